// detail::connection_state: one connection's socket, idle timer and stop state, and the
// per-worker registry the server keeps them in.
#include "coronet/detail/connection_state.hpp"

#include "coronet/core/errc.hpp"

#include <atomic>

namespace coronet::detail {
namespace {
std::atomic<std::uint64_t> next_connection_id{1};
}

connection_state::connection_state(asio::ip::tcp::socket s, asio::ip::tcp::endpoint peer)
    : socket(std::move(s)),
      id(next_connection_id.fetch_add(1, std::memory_order_relaxed)),
      remote(std::move(peer)) {}

connection_state::connection_state(asio::ip::tcp::socket s)
    : connection_state(std::move(s), asio::ip::tcp::endpoint{}) {
  std::error_code ec;
  remote = socket.remote_endpoint(ec);
}

connection_state::~connection_state() {
  if (idle_timer) idle_timer->cancel();
  close_gracefully();
  if (registry != nullptr) registry->remove(this);
}

void connection_state::start_idle_timer(std::chrono::steady_clock::duration timeout) {
  idle_timeout = timeout;
  last_activity = std::chrono::steady_clock::now();
  idle_timer.emplace(socket.get_executor());
  arm_idle_timer(last_activity + timeout);
}

void connection_state::arm_idle_timer(std::chrono::steady_clock::time_point deadline) {
  idle_timer->expires_at(deadline);
  // A weak reference: a pending wait must not keep the connection alive.
  idle_timer->async_wait([weak = weak_from_this()](std::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->socket.is_open()) return;
    auto due = self->last_activity + self->idle_timeout;
    if (due > std::chrono::steady_clock::now()) {
      self->arm_idle_timer(due);
      return;
    }
    // Silent for a whole period: end the conversation. shutdown(both) wakes a pending
    // read with EOF and tells the peer; the handler then returns normally.
    self->close_reason = make_error_code(errc::timed_out);
    std::error_code ignored;
    self->socket.shutdown(asio::socket_base::shutdown_both, ignored);
  });
}

void connection_state::begin_stop() noexcept {
  if (stopping.exchange(true)) return;
  if (!close_reason) close_reason = make_error_code(errc::shutting_down);
  std::error_code ignored;
  socket.shutdown(asio::socket_base::shutdown_receive, ignored);
}

void connection_state::note_read_error(std::error_code ec) noexcept {
  if (ec == asio::error::eof)
    seen |= saw_eof;
  else if (ec != asio::error::operation_aborted && is_disconnect(ec))
    seen |= saw_reset;
}

void connection_state::force_close() noexcept {
  stopping = true;
  seen |= saw_force_close;
  if (!close_reason) close_reason = make_error_code(errc::shutting_down);
  cancel.emit(asio::cancellation_type::all);
  std::error_code ignored;
  socket.close(ignored);
  if (idle_timer) idle_timer->cancel();
}

void connection_state::close_gracefully() noexcept {
  // The session writes to the descriptor by number: once the socket is closed, that
  // number may already belong to another connection, so never after close.
  if (tls && socket.is_open()) tls->send_close_notify();
  std::error_code ignored;
  socket.close(ignored);
}

void connection_registry::add(connection_state* s) noexcept {
  s->registry = this;
  s->prev = nullptr;
  s->next = head_;
  if (head_ != nullptr) head_->prev = s;
  head_ = s;
  ++size_;
}

void connection_registry::remove(connection_state* s) noexcept {
  if (s->prev != nullptr)
    s->prev->next = s->next;
  else
    head_ = s->next;
  if (s->next != nullptr) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
  s->registry = nullptr;
  --size_;
  if (on_remove) on_remove();
}

}  // namespace coronet::detail
