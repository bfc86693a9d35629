// coronet::server: listeners, worker threads, limits and shutdown.
//
// A connection's life, and where each step lives in this file:
//   1. accept: worker 0 runs accept_loop(); the peer's address is taken from accept
//      itself. Over max_connections the socket is closed and counted (rejected).
//      With reuse_port, every worker runs accept_loop() on a listener of its own
//      (SO_REUSEPORT: the kernel spreads connections) and serves what it accepts; step
//      2 does not happen.
//   2. hand-over: hand_over() gives the socket to the next worker, round robin. Another
//      worker gets the bare descriptor and opens its own socket on it, so every I/O
//      object is created and used on one thread (what ASIO_CONCURRENCY_HINT_UNSAFE_IO
//      needs).
//   3. serve: spawn() registers a connection_state in the worker's registry, starts its
//      idle timer and runs the handler coroutine; when the handler returns, the state
//      leaves the registry (on the worker) and the count drops.
//   4. drain (stop() or the first SIGINT/SIGTERM): begin_shutdown() closes the acceptor
//      and shuts the read side of every socket: reads drain what arrived, then end as
//      at EOF; writes still work. drain() waits up to shutdown.timeout for the count to
//      reach zero.
//   5. forced close (timeout, or a second signal): force_close_all() closes every
//      socket (and cancels the handlers when cancel_on_force_close is set), then waits
//      force_grace for them to unwind.
//   6. finish: finish() stops every worker's io_context; wait() joins the threads.
#include "coronet/core/server.hpp"

#include "address_range.hpp"
#include "server_support.hpp"

#include "coronet/core/io_backend.hpp"
#include "coronet/proxy/proxy_protocol.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <sys/socket.h>

namespace coronet {

void ignore_sigpipe() noexcept {
  std::signal(SIGPIPE, SIG_IGN);
}

namespace {

using asio::experimental::as_tuple;
using detail::default_error_report;
using detail::is_quiet;
using detail::owned_descriptor;
using tcp = asio::ip::tcp;

// How long forced-closed handlers get to unwind before their io_context is stopped.
constexpr auto force_grace = std::chrono::milliseconds(500);

}  // namespace

struct server::impl {
  struct worker {
    detail::connection_registry registry;  // outlives io: states unregister on destruction
    // No reactor locks: every socket and timer of a worker is created and used on that
    // worker's thread only (accepted sockets are handed over as descriptors, see
    // accept_loop()), which is what ASIO_CONCURRENCY_HINT_UNSAFE_IO asks. Posting to
    // the context from other threads stays safe: the scheduler keeps its lock.
    asio::io_context io{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::optional<tcp::acceptor> listener;  // reuse_port: this worker's own listener
    std::thread thread;
    std::size_t index = 0;
    detail::worker_counters counters;  // written on this worker's thread only
  };

  explicit impl(server_options o) : options(std::move(o)) {
    if (options.threads == 0) options.threads = 1;
    for (const auto& range : options.proxy.trusted)
      trusted.emplace_back(range);  // throws std::invalid_argument for a bad one
    if (options.proxy.trusted.empty()) {
      trusted.emplace_back("127.0.0.0/8");
      trusted.emplace_back("::1");
    }
    for (std::size_t i = 0; i < options.threads; ++i)
      workers.emplace_back().index = i;
  }

  server_options options;
  handler_type handler;
  std::list<worker> workers;              // list: stable addresses, io_context is not movable
  std::optional<tcp::acceptor> acceptor;  // without reuse_port: worker 0's listener
  bool bound = false;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> drain_timer;  // on worker 0; wakes the shutdown
  tcp::endpoint endpoint;
  std::atomic<std::size_t> count{0};
  // steady_clock ticks at start(); atomic because stats() may read it while start() runs.
  std::atomic<std::chrono::steady_clock::rep> started_at{0};
  std::vector<detail::address_range> trusted;  // options.proxy.trusted, parsed
  std::atomic<bool> started{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> forced{false};
  bool shutdown_begun = false;  // worker 0 only
  bool signalled = false;       // worker 0 only: a SIGINT or SIGTERM has arrived
  std::mutex join_mutex;

  ~impl() {
    // Handlers still suspended are destroyed with their io_context below; their
    // states must not post to contexts that are already gone.
    for (auto& w : workers)
      w.registry.on_remove = nullptr;
  }

  worker& main_worker() { return workers.front(); }

  void start(handler_type h, bool with_signals) {
    if (started.exchange(true)) throw std::logic_error("coronet::server already started");
    handler = std::move(h);
    started_at = std::chrono::steady_clock::now().time_since_epoch().count();
    ignore_sigpipe();
    if (!bound) bind();
    for (auto& w : workers) {
      w.guard.emplace(w.io.get_executor());
      w.registry.on_remove = [this] { on_connection_gone(); };
    }
    drain_timer.emplace(main_worker().io);
    if (with_signals) {
      catch_signals();
      wait_for_signal();
    } else {
      signals.reset();  // listen() caught them for a run() that did not come
    }
    auto report_failure = [](const std::exception_ptr& e) {
      if (e) default_error_report({0, {}, e});
    };
    if (options.listen.reuse_port) {
      for (auto& w : workers)
        asio::co_spawn(w.io, accept_loop(*w.listener, &w), report_failure);
    } else {
      asio::co_spawn(main_worker().io, accept_loop(*acceptor, nullptr), report_failure);
    }
    if (stop_requested) asio::post(main_worker().io, [this] { begin_shutdown(); });
    for (auto& w : workers)
      w.thread = std::thread([&w] { run_worker(w.io); });
  }

  static void run_worker(asio::io_context& io) {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        // Completion handlers are ours and catch everything; this is a last resort so
        // that one bug cannot take a whole worker thread down.
        std::cerr << "coronet: uncaught exception in worker: " << e.what() << '\n';
      }
    }
  }

  // Listening sockets are made here, before any worker thread runs, so each is still
  // used only by the thread of its own io_context.
  void bind() {
    if (!options.listen.reuse_port) {
      acceptor.emplace(detail::open_acceptor(main_worker().io, options));
      endpoint = acceptor->local_endpoint();
    } else {
      // The first resolves the address (and the OS picks the port for port 0); the
      // others join it on exactly that address and port.
      for (auto& w : workers) {
        if (&w == &main_worker()) {
          w.listener.emplace(detail::open_acceptor(w.io, options));
          endpoint = w.listener->local_endpoint();
          continue;
        }
        std::error_code ec;
        w.listener = detail::try_listen(w.io, endpoint, options.listen.backlog, true, ec);
        if (!w.listener) throw_error(ec, "bind another listener on the same port");
      }
    }
    bound = true;
  }

  // From listen() on when run() will handle signals: a SIGTERM that arrives between
  // listen() and run() (say, right after the program logged its address) is kept for
  // run() instead of killing the process.
  void catch_signals() {
    if (!signals) signals.emplace(main_worker().io, SIGINT, SIGTERM);
  }

  // The first signal starts the drain, or joins one that stop() began; only a second
  // signal forces. (Counting stop() as the first made a program that stops a second
  // server on its way out, as chat_server --web does, force that server's connections
  // whenever its own copy of the signal arrived after the stop() call.)
  void wait_for_signal() {
    signals->async_wait([this](std::error_code ec, int) {
      if (ec) return;
      if (signalled) {
        force_close_all();  // second signal: skip the drain wait
        return;
      }
      signalled = true;
      stop_requested = true;
      begin_shutdown();
      wait_for_signal();
    });
  }

  // Accepts on `listener`. `own`: the worker this listener belongs to (reuse_port), which
  // serves all it accepts; null: worker 0's listener, dealt round robin.
  asio::awaitable<void> accept_loop(tcp::acceptor& listener, worker* own) {
    auto next = workers.begin();
    for (;;) {
      auto& w = own != nullptr ? *own : *next;
      if (own == nullptr && ++next == workers.end()) next = workers.begin();
      // The peer's address is taken from accept itself: a peer that resets before its
      // handler starts can no longer be asked (getpeername fails), yet must be logged.
      tcp::endpoint peer;
      auto [ec, socket] = co_await listener.async_accept(peer, as_tuple(asio::use_awaitable));
      if (stop_requested || ec == asio::error::operation_aborted || !listener.is_open()) co_return;
      if (ec) {
        // Out of descriptors or memory: the peer stays in the backlog; back off instead
        // of spinning on a listening socket that is always readable.
        if (ec == std::errc::too_many_files_open ||
            ec == std::errc::too_many_files_open_in_system || ec == std::errc::no_buffer_space ||
            ec == std::errc::not_enough_memory) {
          asio::steady_timer pause{listener.get_executor(), std::chrono::milliseconds(50)};
          co_await pause.async_wait(as_tuple(asio::use_awaitable));
        }
        continue;
      }
      if (count.load(std::memory_order_relaxed) >= options.limits.max_connections) {
        // Counted by the thread running this loop: the listener's own worker.
        (own != nullptr ? *own : main_worker()).counters.refused.add();
        std::error_code ignored;
        socket.close(ignored);
        continue;
      }
      count.fetch_add(1, std::memory_order_relaxed);
      if (own != nullptr)
        spawn(w, std::move(socket), peer);  // already on its worker
      else
        hand_over(w, std::move(socket), peer);
    }
  }

  // Gives an accepted socket (open on worker 0) to worker `w`. Another worker gets the
  // bare descriptor and opens its own socket object on it, on its own thread: a socket
  // registered with a reactor from a foreign thread is what UNSAFE_IO forbids.
  void hand_over(worker& w, tcp::socket socket, const tcp::endpoint& peer) {
    if (&w == &main_worker()) {
      asio::post(w.io, [this, &w, s = std::move(socket), peer]() mutable {
        spawn(w, std::move(s), peer);
      });
      return;
    }
    std::error_code ec;
    const auto protocol = endpoint.protocol();
    owned_descriptor fd{socket.release(ec)};
    if (ec) {
      on_connection_gone();
      return;
    }
    asio::post(w.io, [this, &w, protocol, peer, fd = std::move(fd)]() mutable {
      tcp::socket s{w.io};
      std::error_code error;
      s.assign(protocol, fd.get(), error);
      if (error) {
        on_connection_gone();
        return;  // fd closes the descriptor
      }
      fd.release();
      spawn(w, std::move(s), peer);
    });
  }

  void spawn(worker& w, tcp::socket socket, const tcp::endpoint& peer) {
    std::shared_ptr<detail::connection_state> state;
    try {
      if (options.listen.no_delay) {
        std::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
      }
      state = std::make_shared<detail::connection_state>(std::move(socket), peer);
    } catch (...) {
      on_connection_gone();  // the count was taken for it at accept
      return;
    }
    w.registry.add(state.get());
    w.counters.accepted.add();
    state->counters = &w.counters;
    if (options.observers.on_close) state->opened_at = std::chrono::steady_clock::now();
    if (options.limits.idle_timeout.count() > 0) state->start_idle_timer(options.limits.idle_timeout);
    if (stop_requested) state->begin_stop();
    if (forced) state->force_close();

    // The completion handler keeps the state (and so the cancellation signal the
    // coroutine may be bound to) alive until the coroutine has fully finished.
    auto finished = [this, &w, state](const std::exception_ptr& e) {
      if (e && !state->stopping && !is_quiet(e)) report(*state, e);
      count_close(w, *state, e);  // first: counted before the peer can see the close
      state->close_gracefully();
      // Leave the worker's registry here, on the worker's thread. The state itself may
      // live on in an outbox handle locked by another thread and be destroyed there;
      // the registry is not thread-safe, and the connection is over either way.
      if (state->registry != nullptr) state->registry->remove(state.get());
    };
    const bool prepare = options.tls || options.proxy.enabled;
    if (!prepare && options.observers.on_open) notify_open(w, *state);
    auto serve = prepare ? serve_prepared(w, state) : handler(detail::connection_access::make(state));
    if (options.shutdown.cancel_on_force_close) {
      asio::co_spawn(w.io, std::move(serve),
                     asio::bind_cancellation_slot(state->cancel.slot(), std::move(finished)));
    } else {
      asio::co_spawn(w.io, std::move(serve), std::move(finished));
    }
  }

  // What runs before the handler: the PROXY header, then the TLS handshake, each only
  // when configured. A coroutine of its own, so plain TCP connections pay nothing for it.
  asio::awaitable<void> serve_prepared(worker& w, std::shared_ptr<detail::connection_state> state) {
    // Plain statements: g++ 12 miscompiles a co_await inside an `if` condition here.
    if (options.proxy.enabled) {
      const bool accepted = co_await read_proxy_header(*state);
      if (!accepted) co_return;
    }
    if (options.tls) {
      const bool ready = co_await handshake(*state);
      if (!ready) co_return;
    }
    if (options.observers.on_open) notify_open(w, *state);
    co_await handler(detail::connection_access::make(std::move(state)));
  }

  // Closes a connection's socket when `timeout` passes, which ends whatever the opening
  // step waits for; expired() then says why. The phase is shared with the timer's
  // handler: a timer that fired just as the step finished must change nothing.
  class opening_deadline {
   public:
    opening_deadline(detail::connection_state& s, std::chrono::milliseconds timeout)
        : timer_(s.socket.get_executor(), timeout) {
      timer_.async_wait([&s, shared = phase_](std::error_code ec) {
        if (ec || *shared != phase::running) return;
        *shared = phase::expired;
        s.close_reason = make_error_code(errc::timed_out);
        std::error_code ignored;
        s.socket.close(ignored);
      });
    }
    opening_deadline(const opening_deadline&) = delete;
    opening_deadline& operator=(const opening_deadline&) = delete;
    ~opening_deadline() { finish(); }

    bool expired() const noexcept { return *phase_ == phase::expired; }
    // The step is over: from now on the timer changes nothing.
    void finish() noexcept {
      if (*phase_ == phase::running) *phase_ = phase::finished;
      timer_.cancel();
    }

   private:
    enum class phase { running, expired, finished };
    asio::steady_timer timer_;
    std::shared_ptr<phase> phase_ = std::make_shared<phase>(phase::running);
  };

  // A connection refused before its handler: counted by the caller, reported once.
  void refuse_opening(detail::connection_state& s, std::error_code ec, const std::string& why) {
    auto error = std::make_exception_ptr(std::system_error(ec, why));
    if (options.observers.on_close) s.opening_error = error;
    if (s.stopping) return;  // a stop ends openings too; not the peer's fault
    error_info info{s.id, s.remote, std::move(error)};
    try {
      if (options.observers.on_handshake_error)
        options.observers.on_handshake_error(info);
      else
        default_error_report(info);
    } catch (...) {
    }
  }

  asio::awaitable<bool> handshake(detail::connection_state& s) {
    std::error_code ec;
    std::string why;
    try {
      std::error_code ignored;
      s.socket.non_blocking(true, ignored);  // the session reads and writes it directly
      s.tls = options.tls->make_session(s.socket.native_handle(), {});
    } catch (const std::exception& e) {
      ec = make_error_code(errc::handshake_failed);
      why = e.what();
    }
    if (!ec) {
      opening_deadline deadline{s, options.limits.handshake_timeout};
      std::tie(ec) = co_await detail::async_tls_handshake(s, as_tuple(asio::use_awaitable));
      if (deadline.expired()) {
        ec = make_error_code(errc::timed_out);
        why = "TLS handshake timed out";
      }
      deadline.finish();
      // Only the reason: what() ends with the code's own "TLS handshake failed".
      if (ec && why.empty()) why = s.tls->last_error();
      if (ec && why.empty()) why = ec == errc::handshake_failed ? "no reason given" : ec.message();
    }
    if (!ec) co_return true;
    s.refused = close_cause::handshake_failed;
    refuse_opening(s, ec == errc::timed_out ? ec : make_error_code(errc::handshake_failed), why);
    s.tls.reset();  // no close_notify for a session that never started
    co_return false;
  }

  // Reads the PROXY header without taking a byte that follows it: what follows (a TLS
  // ClientHello, the first request) stays in the socket for the handler, with no buffer
  // to hand over. Each pass peeks at what is there; while the header is incomplete,
  // every byte there belongs to it, so those bytes are taken off the socket (else the
  // wait below would find them again and complete at once, and a peer that sends half
  // a header and pauses would spin the worker until the header timeout). Once the
  // parser sees the whole header, exactly its remaining bytes are taken.
  asio::awaitable<bool> read_proxy_header(detail::connection_state& s) {
    const auto peer = s.remote;
    auto refuse = [&](std::error_code ec, const std::string& why) {
      s.refused = close_cause::proxy_refused;
      // errc::proxy_refused's own text says "PROXY header refused"; a timeout's or the
      // socket's does not.
      refuse_opening(s, ec, ec == errc::proxy_refused ? why : "PROXY header refused: " + why);
    };
    if (std::none_of(trusted.begin(), trusted.end(),
                     [&](const auto& r) { return r.contains(peer.address()); })) {
      refuse(make_error_code(errc::proxy_refused), "the peer is not a trusted proxy");
      co_return false;
    }
    opening_deadline deadline{s, options.proxy.header_timeout};
    std::array<char, max_proxy_header_size> buf;
    std::size_t taken = 0;  // bytes of the header already taken off the socket, in buf
    proxy_header header;
    for (;;) {
      const int fd = s.socket.native_handle();
      ssize_t n = -1;
      int error = EBADF;  // closed by the deadline
      if (s.socket.is_open()) {
        do {
          n = ::recv(fd, buf.data() + taken, buf.size() - taken, MSG_PEEK | MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        error = errno;
      }
      if (n > 0) {
        const auto seen = taken + static_cast<std::size_t>(n);
        const auto r = parse_proxy_header({buf.data(), seen}, header);
        if (r.status == proxy_parse_status::fail) {
          refuse(make_error_code(errc::proxy_refused), r.error);
          co_return false;
        }
        // Peeked, so all of it is there: one recv takes the header's remaining bytes
        // when it is whole, every byte peeked when it is not.
        const auto take = (r.status == proxy_parse_status::ready ? r.size : seen) - taken;
        if (::recv(fd, buf.data() + taken, take, MSG_DONTWAIT) != static_cast<ssize_t>(take)) {
          refuse(make_error_code(errc::proxy_refused), "the header could not be read");
          co_return false;
        }
        taken += take;
        if (r.status == proxy_parse_status::ready) break;
      } else if (n == 0) {
        refuse(make_error_code(errc::proxy_refused), "the peer closed before the header");
        co_return false;
      } else if (error != EAGAIN && error != EWOULDBLOCK) {
        refuse(deadline.expired() ? make_error_code(errc::timed_out)
                                  : std::error_code(error, std::system_category()),
               deadline.expired() ? "no header in time" : "the socket failed");
        co_return false;
      }
      // More to come (a header split over segments) or nothing yet.
      auto [ec] =
          co_await s.socket.async_wait(asio::socket_base::wait_read, as_tuple(asio::use_awaitable));
      if (ec) {
        refuse(deadline.expired() ? make_error_code(errc::timed_out) : ec,
               deadline.expired() ? "no header in time" : ec.message());
        co_return false;
      }
    }
    deadline.finish();
    auto info = std::make_unique<proxy_info>();
    info->proxy = peer;
    if (!header.local) s.remote = header.source;
    info->header = std::move(header);
    s.proxy = std::move(info);
    co_return true;
  }

  // The connection is over (on its worker's thread): count it under its cause, and tell
  // the observer.
  void count_close(worker& w, const detail::connection_state& s, const std::exception_ptr& e) {
    const auto cause = detail::close_cause_of(s, e);
    w.counters.count_close(cause);
    if (!options.observers.on_close) return;
    close_event event;
    event.id = s.id;
    event.remote = s.remote;
    event.worker = w.index;
    event.cause = cause;
    event.duration = std::chrono::steady_clock::now() - s.opened_at;
    event.bytes_read = s.bytes_read;
    event.bytes_written = s.bytes_written;
    event.error = e ? e : s.opening_error;
    try {
      options.observers.on_close(event);
    } catch (...) {
      // An observer that throws must not take the worker down.
    }
  }

  void notify_open(const worker& w, const detail::connection_state& s) {
    open_event event;
    event.id = s.id;
    event.remote = s.remote;
    event.proxy = s.proxy.get();
    event.tls = s.tls != nullptr;
    event.worker = w.index;
    try {
      options.observers.on_open(event);
    } catch (...) {
    }
  }

  server_stats snapshot() const {
    server_stats out;
    out.workers.reserve(workers.size());
    for (const auto& w : workers) {
      out.workers.push_back(w.counters.snapshot());
      out.total += out.workers.back();
    }
    if (const auto at = started_at.load(); at != 0) {
      out.uptime = std::chrono::steady_clock::now() -
                   std::chrono::steady_clock::time_point{std::chrono::steady_clock::duration{at}};
    }
    return out;
  }

  void report(const detail::connection_state& s, std::exception_ptr e) {
    error_info info{s.id, s.remote, std::move(e)};
    try {
      if (options.observers.on_error)
        options.observers.on_error(info);
      else
        default_error_report(info);
    } catch (...) {
      // An error hook that throws must not take the worker down.
    }
  }

  // Runs on the thread of the registry that lost a connection.
  void on_connection_gone() {
    if (count.fetch_sub(1, std::memory_order_acq_rel) == 1 && stop_requested)
      asio::post(main_worker().io, [this] { drain_timer->cancel(); });
  }

  void request_stop() noexcept {
    if (stop_requested.exchange(true)) return;
    if (!started) return;
    try {
      asio::post(main_worker().io, [this] { begin_shutdown(); });
    } catch (...) {
    }
  }

  // On worker 0.
  void begin_shutdown() {
    if (shutdown_begun) return;
    shutdown_begun = true;
    std::error_code ignored;
    if (acceptor) acceptor->close(ignored);
    for (auto& w : workers) {
      asio::post(w.io, [&w] {
        std::error_code closing;
        if (w.listener) w.listener->close(closing);  // on its own thread
        w.registry.for_each([](auto& s) { s.begin_stop(); });
      });
    }
    asio::co_spawn(main_worker().io, drain(), asio::detached);  // drain() catches all
  }

  asio::awaitable<void> drain() {
    try {
      drain_timer->expires_after(options.shutdown.timeout);
      if (count.load() > 0) co_await drain_timer->async_wait(as_tuple(asio::use_awaitable));
      if (count.load() > 0) {
        force_close_all();
        drain_timer->expires_after(force_grace);
        co_await drain_timer->async_wait(as_tuple(asio::use_awaitable));
      }
    } catch (...) {
    }
    finish();
  }

  void force_close_all() {
    forced = true;
    for (auto& w : workers) {
      asio::post(w.io, [&w] { w.registry.for_each([](auto& s) { s.force_close(); }); });
    }
  }

  // On worker 0: let every io_context run dry; stop the ones whose handlers ignored
  // cancellation (their frames are destroyed with the server).
  void finish() {
    if (signals) {
      std::error_code ignored;
      signals->cancel(ignored);
    }
    // Every connection is gone (or abandoned after force_grace). Stop rather than wait
    // for the contexts to run dry: user background work must not keep run() alive.
    for (auto& w : workers) {
      asio::post(w.io, [&w] {
        w.guard.reset();
        w.io.stop();
      });
    }
  }

  void wait() {
    std::lock_guard lock{join_mutex};
    for (auto& w : workers) {
      if (w.thread.joinable()) {
        if (w.thread.get_id() == std::this_thread::get_id())
          throw std::logic_error("coronet::server::wait() called from a worker thread");
        w.thread.join();
      }
    }
  }
};

// check_io_backend() first: an io_uring build on a kernel that refuses io_uring fails
// here, before any io_context exists, with an error that names the cause.
server::server(server_options options)
    : impl_((check_io_backend(), std::make_unique<impl>(std::move(options)))) {}

server::~server() {
  stop();
  try {
    wait();
  } catch (...) {
  }
}

void server::run(handler_type handler) {
  impl_->start(std::move(handler), impl_->options.shutdown.handle_signals);
  wait();
}

void server::listen() {
  if (!impl_->bound) impl_->bind();
  if (impl_->options.shutdown.handle_signals && !impl_->started) impl_->catch_signals();
}

void server::start(handler_type handler) {
  impl_->start(std::move(handler), false);
}

void server::stop() noexcept {
  impl_->request_stop();
}

void server::wait() {
  impl_->wait();
}

asio::ip::tcp::endpoint server::local_endpoint() const {
  return impl_->endpoint;
}

std::size_t server::connection_count() const noexcept {
  return impl_->count.load();
}

server_stats server::stats() const {
  return impl_->snapshot();
}

bool server::stopping() const noexcept {
  return impl_->stop_requested.load();
}

const server_options& server::options() const noexcept {
  return impl_->options;
}

}  // namespace coronet
