// coronet::server: listeners, worker threads, limits and shutdown.
//
// A connection's life, and where each step lives (steps 1 to 3 and the openings in
// server_connections.cpp and opening.cpp, the rest here; server_impl.hpp declares them):
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

#include "server_impl.hpp"

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
#include <functional>
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

// How long forced-closed handlers get to unwind before their io_context is stopped.
constexpr auto force_grace = std::chrono::milliseconds(500);

}  // namespace

void server::impl::start(handler_type h, bool with_signals) {
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

void server::impl::run_worker(asio::io_context& io) {
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

void server::impl::bind() {
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

void server::impl::catch_signals() {
  if (!signals) signals.emplace(main_worker().io, SIGINT, SIGTERM);
}

void server::impl::wait_for_signal() {
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

server_stats server::impl::snapshot() const {
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

void server::impl::request_stop() noexcept {
  if (stop_requested.exchange(true)) return;
  if (!started) return;
  try {
    asio::post(main_worker().io, [this] { begin_shutdown(); });
  } catch (...) {
  }
}

void server::impl::begin_shutdown() {
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

asio::awaitable<void> server::impl::drain() {
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

void server::impl::force_close_all() {
  forced = true;
  for (auto& w : workers) {
    asio::post(w.io, [&w] { w.registry.for_each([](auto& s) { s.force_close(); }); });
  }
}

void server::impl::finish() {
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

void server::impl::wait() {
  std::lock_guard lock{join_mutex};
  for (auto& w : workers) {
    if (w.thread.joinable()) {
      if (w.thread.get_id() == std::this_thread::get_id())
        throw std::logic_error("coronet::server::wait() called from a worker thread");
      w.thread.join();
    }
  }
}

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
