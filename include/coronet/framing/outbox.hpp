/// @file
/// @code{.unparsed}
/// coronet::outbox: a handle to a framed<> stream's bounded output queue, for producers
/// other than the connection's own coroutine: a chat room broadcasting, replies from
/// concurrent tasks, other threads.
///
///   auto out = lines.get_outbox();          // cheap to copy; store it in the room
///   ...
///   if (!out.try_send(message))             // from any thread; never waits
///     out.close(coronet::errc::outbox_full);  // a slow reader: drop it, nobody else waits
///   co_await out.send(message);             // or wait for room (backpressure)
///
/// All frames go out through one writer coroutine on the connection's executor, so the
/// bytes of two frames never interleave and frames from one producer keep their order.
/// A frame sent from another thread is encoded on that thread and carried over by one
/// post(); from the connection's own thread it is encoded in place, with no allocation.
///
/// The handle does not keep the connection alive: once the framed<> is gone, try_send
/// returns false and send throws coronet::errc::connection_closed.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/core/errc.hpp"
#include "coronet/core/send_result.hpp"
#include "coronet/detail/executor.hpp"
#include "coronet/detail/framed_state.hpp"
#include "coronet/framing/codec.hpp"

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <string>

namespace coronet {

/// A handle to a framed<> stream's bounded output queue, usable from any thread (see the
/// file comment).
template <decoder Codec, typename Stream = connection>
class outbox {
 public:
  /// A handle to no stream: try_send() answers send_status::closed.
  outbox() = default;
  /// Made by framed::get_outbox().
  explicit outbox(const std::shared_ptr<detail::framed_state<Codec, Stream>>& state)
      : state_(state) {}

  /// Queues `frame` unless high_water_mark bytes are already queued (send_status::full)
  /// or the stream is closed (send_status::closed); the result converts to bool, true
  /// when queued. Safe from any thread; never waits.
  template <typename T>
  requires encoder_for<Codec, T> send_result try_send(const T& frame)
  const {
    auto s = state_.lock();
    if (!s || s->dead.load(std::memory_order_relaxed)) return send_status::closed;
    if (detail::running_in_this_thread(s->stream.get_executor())) return s->try_send_here(frame);
    if (s->queued.load(std::memory_order_relaxed) >= s->options.high_water_mark)
      return send_status::full;
    std::string bytes;
    s->codec.encode(frame, bytes);
    s->queued.fetch_add(bytes.size(), std::memory_order_relaxed);
    asio::post(s->stream.get_executor(), [s, b = std::move(bytes)] { s->append_encoded(b); });
    return send_status::queued;
  }

  /// Waits while high_water_mark bytes are queued, then queues `frame`. Safe from any
  /// coroutine on any executor. Throws coronet::errc::connection_closed once closed.
  template <typename T>
  requires encoder_for<Codec, T> asio::awaitable<void> send(T frame)
  const {
    auto s = state_.lock();
    if (!s) throw_error(errc::connection_closed, "outbox::send");
    if (detail::running_in_this_thread(s->stream.get_executor())) {
      co_await state_type::template send<T>(s, std::move(frame));
    } else {
      auto ex = s->stream.get_executor();
      co_await asio::co_spawn(ex, state_type::template send<T>(std::move(s), std::move(frame)),
                              asio::use_awaitable);
    }
  }

  /// Closes the stream (from any thread): the way to drop a consumer that cannot keep
  /// up. The connection's read() then throws std::system_error with `reason` (for a slow
  /// consumer, coronet::errc::outbox_full), so its handler learns why.
  void close(std::error_code reason = make_error_code(errc::connection_closed)) const {
    if (auto s = state_.lock()) {
      s->dead = true;
      asio::post(s->stream.get_executor(), [s, reason] { s->close(reason); });
    }
  }
  /// The same, with a coronet::errc reason.
  void close(errc reason) const { close(make_error_code(reason)); }

  /// True while the stream exists and has not been closed.
  bool is_open() const noexcept {
    auto s = state_.lock();
    return s && !s->dead.load(std::memory_order_relaxed);
  }

  /// Bytes encoded and not yet written; 0 once the stream is gone.
  std::size_t queued_bytes() const noexcept {
    auto s = state_.lock();
    return s ? s->queued.load(std::memory_order_relaxed) : 0;
  }

  /// Handles compare equal when they refer to the same stream.
  friend bool operator==(const outbox& a, const outbox& b) noexcept {
    return !a.state_.owner_before(b.state_) && !b.state_.owner_before(a.state_);
  }

 private:
  using state_type = detail::framed_state<Codec, Stream>;
  std::weak_ptr<state_type> state_;
};

}  // namespace coronet
