// The state shared by a framed<> and its outbox handles: the stream, the codec, the
// read buffer and the output queue with its single writer. Lives in a shared_ptr so
// that a writer coroutine in flight, or a handle held by another thread, never
// outlives it. Everything but `queued` and `dead` is touched on the stream's executor
// only.
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/core/send_result.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/detail/connection_io.hpp"
#include "coronet/detail/connection_state.hpp"
#include "coronet/detail/executor.hpp"
#include "coronet/detail/read_buffer.hpp"
#include "coronet/detail/scope_exit.hpp"
#include "coronet/detail/wakeup.hpp"
#include "coronet/detail/write_all.hpp"
#include "coronet/framing/codec.hpp"
#include "coronet/framing/framed_options.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/socket_base.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace coronet::detail {

// Streams that can wait for readability without a buffer (sockets, coronet::connection).
template <typename Stream>
concept waits_for_readiness = requires(Stream& s) {
  s.async_wait(asio::socket_base::wait_read, asio::experimental::as_tuple(asio::use_awaitable));
};

template <decoder Codec, typename Stream>
struct framed_state : std::enable_shared_from_this<framed_state<Codec, Stream>> {
  using executor_type = decltype(std::declval<Stream&>().get_executor());
  using frame_type = typename Codec::frame_type;
  using clock = std::chrono::steady_clock;

  // Output buffers larger than this are released after a write instead of kept.
  static constexpr std::size_t keep_output_capacity = std::size_t{256} * 1024;

  framed_state(Stream s, Codec c, framed_options o)
      : stream(std::move(s)), codec(std::move(c)), options(o), wake(stream.get_executor()) {
    conn = counted_state_of(stream);
    counters = conn != nullptr ? conn->counters : &unowned_counters();
  }

  Stream stream;
  Codec codec;
  framed_options options;
  // Over a server connection, frames and decode errors are counted in server::stats():
  // `conn` notes a decode error for the close cause, `counters` is the worker's block
  // (unowned_counters() over other streams).
  connection_state* conn = nullptr;
  worker_counters* counters = nullptr;

  // Read side.
  read_buffer rbuf;
  std::size_t consume_next = 0;  // bytes of the frame handed out last
  bool eof = false;
  std::optional<clock::time_point> frame_started;  // for read_timeout
  std::size_t read_count = 0;

  // Write side.
  std::string pending;   // encoded, not yet handed to the stream
  std::string inflight;  // being written
  bool writing = false;  // one writer at a time: a flush() or the writer coroutine
  std::error_code write_error;
  std::atomic<bool> dead{false};       // closed or failed: refuse new output
  std::atomic<std::size_t> queued{0};  // pending + inflight + posted from other threads
  wakeup wake;                         // notified after each write
  std::size_t write_count = 0;
  std::error_code close_reason;  // why close() was called, when it was given a reason

  std::size_t max_read_buffer() const noexcept {
    if constexpr (has_max_buffered<Codec>)
      return std::max<std::size_t>(codec.max_buffered(), options.read_buffer_size);
    else
      return std::max(options.max_read_buffer, options.read_buffer_size);
  }

  // ---- reading -------------------------------------------------------------------

  // The next frame, or nullopt at a clean EOF between frames (framed_read.hpp).
  static asio::awaitable<std::optional<frame_type>> read(std::shared_ptr<framed_state> self);

  // Bytes taken off the stream by an earlier reader (an HTTP upgrade's head reader),
  // appended to the read buffer so that read() decodes them before reading more.
  void preload(std::string_view bytes) {
    const std::size_t ceiling = std::max(max_read_buffer(), rbuf.size() + bytes.size());
    while (!bytes.empty()) {
      auto space = rbuf.prepare(bytes.size(), options.read_buffer_size, ceiling);
      const std::size_t n = std::min(space.size(), bytes.size());
      std::memcpy(space.data(), bytes.data(), n);
      rbuf.commit(n);
      bytes.remove_prefix(n);
    }
  }

  // The peer's input cannot be decoded: counted (over a server connection), then thrown.
  [[noreturn]] void fail_decode(std::error_code ec) {
    if (conn != nullptr) conn->count_decode_error(decode_error_of(ec), true);
    throw_error(ec, "decode");
  }

  // A read that must finish the frame begun at frame_started within read_timeout.
  asio::awaitable<std::tuple<std::error_code, std::size_t>> read_with_deadline(
      asio::mutable_buffer space) {
    if (!frame_started) frame_started = clock::now();
    auto left = *frame_started + options.read_timeout - clock::now();
    if (left <= clock::duration::zero()) throw_error(errc::timed_out, "read: frame incomplete");
    try {
      auto n = co_await with_timeout(stream.async_read_some(space, asio::use_awaitable), left);
      co_return std::tuple<std::error_code, std::size_t>{std::error_code{}, n};
    } catch (const std::system_error& e) {
      if (e.code() == errc::timed_out) throw_error(errc::timed_out, "read: frame incomplete");
      co_return std::tuple<std::error_code, std::size_t>{e.code(), 0};
    }
  }

  // Flush, half-close, drain the peer's input until its EOF, close: all within
  // `linger`. Draining matters: closing a socket with unread input sends RST, and a
  // peer's kernel that gets RST may discard data it has not handed to the application
  // yet, such as the error line just written.
  static asio::awaitable<void> finish(std::shared_ptr<framed_state> self, clock::duration linger) {
    auto& s = *self;
    const auto deadline = clock::now() + linger;
    try {
      co_await with_timeout(flush(self), linger);
      shutdown_send_stream(s.stream);
      std::array<char, 4096> discard;
      for (;;) {
        const auto left = deadline - clock::now();
        if (left <= clock::duration::zero()) break;
        auto n = co_await with_timeout(
            s.stream.async_read_some(asio::buffer(discard), asio::use_awaitable), left);
        if (n == 0) break;
      }
    } catch (const std::system_error&) {
      // EOF (the goal), the peer gone, or the linger time up: close either way.
    }
    s.close();
  }

  // ---- writing -------------------------------------------------------------------

  template <typename T>
  void write(const T& frame) {
    const auto before = pending.size();
    codec.encode(frame, pending);
    queued.fetch_add(pending.size() - before, std::memory_order_relaxed);
    counters->frames_written.add();
  }

  // Same thread: queue unless full or dead; start the writer.
  template <typename T>
  send_result try_send_here(const T& frame) {
    if (dead.load(std::memory_order_relaxed)) return send_status::closed;
    if (queued.load(std::memory_order_relaxed) >= options.high_water_mark) return send_status::full;
    write(frame);
    kick();
    return send_status::queued;
  }

  // Bytes encoded on another thread, already counted in `queued`.
  void append_encoded(const std::string& bytes) {
    if (dead.load(std::memory_order_relaxed)) {
      queued.fetch_sub(bytes.size(), std::memory_order_relaxed);
      return;
    }
    pending.append(bytes);
    counters->frames_written.add();
    kick();
  }

  void kick() {
    if (writing || pending.empty()) return;
    writing = true;  // taken now, so that nothing else starts a writer before it runs
    asio::co_spawn(stream.get_executor(), write_loop(this->shared_from_this()),
                   [](const std::exception_ptr&) {});  // write_loop records its errors
  }

  static asio::awaitable<void> flush(std::shared_ptr<framed_state> self) {
    auto& s = *self;
    for (;;) {
      if (s.write_error) throw_error(s.write_error, "write");
      if (!s.writing) {
        if (s.pending.empty()) co_return;
        if (s.dead) throw_error(errc::connection_closed, "write");
        co_await write_loop(self);
        continue;
      }
      co_await s.wake.wait();
    }
  }

  template <typename T>
  static asio::awaitable<void> send(std::shared_ptr<framed_state> self, T frame) {
    auto& s = *self;
    while (s.queued.load(std::memory_order_relaxed) >= s.options.high_water_mark && !s.dead &&
           !s.write_error)
      co_await s.wake.wait();
    if (s.write_error) throw_error(s.write_error, "write");
    if (s.dead) throw_error(errc::connection_closed, "write");
    if constexpr (gather_encoder_for<Codec, T>) {
      const std::string_view payload = frame;
      if (payload.size() >= s.options.gather_threshold && !s.writing) {
        co_await gather_write(self, frame, payload);
        co_return;
      }
    }
    s.write(frame);
    s.kick();
  }

  // Writes pending + header, payload (from the caller's memory) and trailer in one
  // gathered write, then drains what was queued meanwhile. Precondition: nothing is
  // writing.
  template <typename T>
  static asio::awaitable<void> gather_write(std::shared_ptr<framed_state> self, const T& frame,
                                            std::string_view payload) {
    using asio::experimental::as_tuple;
    auto& s = *self;
    {
      auto writer = s.writing_scope();
      std::string trailer;
      const std::size_t before = s.pending.size();
      s.codec.encode_header(frame, s.pending);
      s.codec.encode_trailer(frame, trailer);
      s.counters->frames_written.add();
      std::swap(s.pending, s.inflight);
      const std::size_t total = s.inflight.size() + payload.size() + trailer.size();
      // Everything but the bytes pending before is new to `queued` (the header too).
      s.queued.fetch_add(total - before, std::memory_order_relaxed);
      std::array<asio::const_buffer, 3> parts{asio::buffer(s.inflight), asio::buffer(payload),
                                              asio::buffer(trailer)};
      ++s.write_count;
      auto [ec, n] = co_await asio::async_write(s.stream, parts, as_tuple(asio::use_awaitable));
      s.finish_write(total, ec);
    }
    co_await write_loop(self);
    if (s.write_error) throw_error(s.write_error, "write");
  }

  // Precondition: no other writer runs (`writing` is false, or kick() took it for this
  // coroutine). Records write errors instead of throwing; only a cancellation (forced
  // close with cancel_on_force_close) leaves it by exception.
  static asio::awaitable<void> write_loop(std::shared_ptr<framed_state> self) {
    using asio::experimental::as_tuple;
    auto& s = *self;
    auto writer = s.writing_scope();
    while (s.next_write()) {
      auto [ec, n] = co_await async_write_all(s.stream, asio::buffer(s.inflight),
                                              as_tuple(asio::use_awaitable));
      s.finish_write(s.inflight.size(), ec);
    }
  }

  // Owns `writing` for one write loop: taken now, given back (and waiters woken) on
  // every way out, including an exception.
  auto writing_scope() noexcept {
    writing = true;
    return scope_exit{[this]() noexcept {
      writing = false;
      wake.notify();
    }};
  }

  // Moves everything pending to `inflight` for the next write; false when there is
  // nothing to write or the stream is done.
  bool next_write() noexcept {
    if (pending.empty() || write_error || dead) return false;
    std::swap(pending, inflight);
    ++write_count;
    return true;
  }

  void finish_write(std::size_t bytes, std::error_code ec) {
    queued.fetch_sub(bytes, std::memory_order_relaxed);
    if (inflight.capacity() > keep_output_capacity)
      std::string{}.swap(inflight);
    else
      inflight.clear();
    if (ec) {
      write_error = ec;
      dead = true;
    }
    wake.notify();
  }

  // Closes the stream; `reason` (the first one given) is what read() then throws and
  // close_reason answers, so a handler learns why its connection was dropped.
  void close(std::error_code reason = {}) noexcept {
    if (reason && !close_reason) close_reason = reason;
    dead = true;
    if (!stream_open()) return;
    close_stream(stream);
    wake.notify();
  }

  bool stream_open() const noexcept {
    if constexpr (requires { stream.is_open(); })
      return stream.is_open();
    else
      return true;
  }
};

}  // namespace coronet::detail

#include "coronet/detail/framed_read.hpp"
