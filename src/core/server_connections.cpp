// coronet::server: each connection's life, from accept to close (server.cpp's top
// comment, steps 1 to 3): the accept loops, the hand-over of an accepted socket to its
// worker, the opening steps (opening.cpp) and the handler, and the counting and
// reporting of how it ended.
#include "opening.hpp"
#include "server_impl.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

namespace coronet {

namespace {

using asio::experimental::as_tuple;
using detail::default_error_report;
using detail::is_quiet;
using detail::owned_descriptor;
using tcp = asio::ip::tcp;

}  // namespace

asio::awaitable<void> server::impl::accept_loop(tcp::acceptor& listener, worker* own) {
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
      if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
          ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory) {
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

void server::impl::hand_over(worker& w, tcp::socket socket, const tcp::endpoint& peer) {
  if (&w == &main_worker()) {
    asio::post(w.io,
               [this, &w, s = std::move(socket), peer]() mutable { spawn(w, std::move(s), peer); });
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

void server::impl::spawn(worker& w, tcp::socket socket, const tcp::endpoint& peer) {
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

asio::awaitable<void> server::impl::serve_prepared(
    worker& w, std::shared_ptr<detail::connection_state> state) {
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

void server::impl::refuse_opening(detail::connection_state& s, std::error_code ec,
                                  const std::string& why) {
  auto error = std::make_exception_ptr(std::system_error(ec, why));
  if (options.observers.on_close) s.opening_error = error;
  if (s.stopping) return;  // a stop ends openings too; not the peer's fault
  report_to(options.observers.on_handshake_error, {s.id, s.remote, std::move(error)});
}

asio::awaitable<bool> server::impl::handshake(detail::connection_state& s) {
  auto [ec, why] = co_await detail::open_tls(s, *options.tls, options.limits.handshake_timeout);
  if (!ec) co_return true;
  s.refused = close_cause::handshake_failed;
  refuse_opening(s, ec, why);
  co_return false;
}

asio::awaitable<bool> server::impl::read_proxy_header(detail::connection_state& s) {
  auto [ec, why] = co_await detail::read_proxy_header(s, trusted, options.proxy.header_timeout);
  if (!ec) co_return true;
  s.refused = close_cause::proxy_refused;
  refuse_opening(s, ec, why);
  co_return false;
}

void server::impl::count_close(worker& w, const detail::connection_state& s,
                               const std::exception_ptr& e) {
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

void server::impl::notify_open(const worker& w, const detail::connection_state& s) {
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

void server::impl::report(const detail::connection_state& s, std::exception_ptr e) {
  report_to(options.observers.on_error, {s.id, s.remote, std::move(e)});
}

void server::impl::report_to(const std::function<void(const error_info&)>& observer,
                             const error_info& info) noexcept {
  try {
    if (observer)
      observer(info);
    else
      default_error_report(info);
  } catch (...) {
  }
}

void server::impl::on_connection_gone() {
  if (count.fetch_sub(1, std::memory_order_acq_rel) == 1 && stop_requested)
    asio::post(main_worker().io, [this] { drain_timer->cancel(); });
}

}  // namespace coronet
