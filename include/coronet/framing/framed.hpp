/// @file
/// @code{.unparsed}
/// coronet::framed<Codec, Stream>: frames over any Asio async stream.
///
///   asio::awaitable<void> echo_lines(coronet::connection conn) {
///     coronet::framed lines{std::move(conn), coronet::line_codec{}};
///     while (auto line = co_await lines.read())   // std::nullopt at a clean EOF
///       lines.write(*line);                        // buffered; sent before the next wait
///   }
///
/// Reading: read() hands out every complete frame already buffered before it touches the
/// socket again. Over a socket (or a coronet::connection) the read buffer is allocated
/// only when the first bytes arrive, so a connection that stays silent holds none. A frame is a
/// view into the read buffer, valid until the next read(): no copy and no allocation per frame. The
/// buffer grows only as far as the codec's limit (max_buffered()) and compacts itself. A decode
/// error or a stream error throws std::system_error and ends the stream; an EOF in the middle of a
/// frame is coronet::errc::truncated_frame.
///
/// Writing: write() encodes into one output buffer; flush() sends it; read() flushes
/// before it waits for input. So a peer that pipelines 100 requests in one packet gets
/// its 100 replies in one or a few write system calls.
///
/// Many producers: send() / try_send() go through a bounded outbox drained by a single
/// writer coroutine, and get_outbox() returns a handle usable from any thread (see
/// outbox.hpp). Bytes of two frames never interleave. Above `high_water_mark` queued
/// bytes, send() waits and try_send() returns false: a slow reader slows its producer
/// (or is dropped by it) instead of growing the server's memory.
///
/// A framed owns its stream and closes it when destroyed; call flush() first if output
/// must still reach the peer (read() returning nullopt has already flushed), or finish()
/// to hang up politely. After read() throws (a frame over the limit, undecodable input),
/// write(), flush() and finish() still work: the error ended the input, not the output.
///
/// Thread safety: a framed is used on its stream's executor, like the stream itself. The
/// outbox handle is the part meant for other threads.
/// @endcode
#pragma once

#include "coronet/framing/outbox.hpp"  // and with it the codec concepts, connection, framed_state

#include <asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

namespace coronet {

/// Stream defaults to coronet::connection; with a codec argument both are deduced:
///   coronet::framed lines{std::move(conn), coronet::line_codec{}};
///   coronet::framed<coronet::line_codec> lines{std::move(conn)};   // the same
template <decoder Codec, typename Stream = connection>
class framed {
  using state_type = detail::framed_state<Codec, Stream>;

 public:
  using codec_type = Codec;                                  ///< the codec
  using stream_type = Stream;                                ///< the stream it owns
  using frame_type = typename Codec::frame_type;             ///< what read() hands out
  using executor_type = typename state_type::executor_type;  ///< the stream's executor

  /// Takes over `stream`, to decode and encode its bytes with `codec`.
  explicit framed(Stream stream, Codec codec = Codec{}, framed_options options = {})
      : state_(std::make_shared<state_type>(std::move(stream), std::move(codec), options)) {}

  /// Takes over the other framed's stream; the other is left empty.
  framed(framed&&) noexcept = default;
  /// Closes this one's stream, then takes over the other's.
  framed& operator=(framed&& other) noexcept {
    if (this != &other) {
      close();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  framed(const framed&) = delete;
  framed& operator=(const framed&) = delete;
  ~framed() { close(); }

  /// The next frame, or std::nullopt at a clean EOF between frames (pending output has
  /// been flushed by then). The frame stays valid until the next read().
  asio::awaitable<std::optional<frame_type>> read() { return state_type::read(state_); }

  /// Input that arrived before this framed took over the stream: bytes an earlier reader
  /// already took off it past its own part, such as a WebSocket client's first frame
  /// read together with its HTTP upgrade request. read() decodes them before it reads
  /// the stream again. Call it before the first read(); the bytes are copied.
  void preload(std::string_view bytes) { state_->preload(bytes); }

  /// Encodes `frame` into the output buffer; nothing is sent until flush(), read() or
  /// the outbox's writer does it. Meant for replies to what was just read: it never
  /// waits, and what it queues is bounded by the reading instead. read() sends it before
  /// it waits for input, and while the outbox's writer holds the stream with more than
  /// high_water_mark bytes queued, read() stops reading until they drain (backpressure
  /// on a peer that makes the server answer and does not read the answers).
  template <typename T>
  requires encoder_for<Codec, T>
  void write(const T& frame) { state_->write(frame); }

  /// Sends everything buffered so far; returns when the stream has taken it.
  asio::awaitable<void> flush() { return state_type::flush(state_); }

  /// Queues `frame` for the writer coroutine, first waiting while more than
  /// high_water_mark bytes are queued. Returns once queued, not once sent.
  template <typename T>
  requires encoder_for<Codec, T> asio::awaitable<void> send(T frame) {
    return state_type::template send<T>(state_, std::move(frame));
  }

  /// Queues `frame` unless high_water_mark bytes are already queued or the stream is
  /// closed; returns whether it was queued. Never waits.
  template <typename T>
  requires encoder_for<Codec, T> send_result try_send(const T& frame) {
    return state_->try_send_here(frame);
  }

  /// A handle for other coroutines and threads to send through this stream.
  outbox<Codec, Stream> get_outbox() const { return outbox<Codec, Stream>{state_}; }

  /// Ends the conversation politely: sends everything queued, half-closes (FIN), reads
  /// and discards what the peer still sends until it closes too, then closes; all of it
  /// within `linger`. The way to answer with an error line and hang up:
  ///   std::optional<std::string> error;
  ///   try { ... co_await lines.read() ... } catch (const std::system_error& e) { error = e.what();
  ///   } if (error) { lines.write(*error); co_await lines.finish(); }   // no co_await in catch
  asio::awaitable<void> finish(
      std::chrono::steady_clock::duration linger = std::chrono::seconds(1)) {
    return state_type::finish(state_, linger);
  }

  /// Closes the stream now; pending operations fail, queued output is dropped.
  void close() noexcept {
    if (state_) state_->close();
  }

  /// Why the stream was closed by close(reason), an outbox's close(reason) included (for
  /// a consumer dropped as too slow, errc::outbox_full); empty otherwise.
  std::error_code close_reason() const noexcept { return state_->close_reason; }

  /// The stream it owns.
  Stream& stream() noexcept { return state_->stream; }
  /// The codec it decodes and encodes with.
  Codec& codec() noexcept { return state_->codec; }
  /// The stream's executor, where the framed is used.
  executor_type get_executor() noexcept { return state_->stream.get_executor(); }

  /// Bytes encoded and not yet written (by write(), send(), try_send() and the outbox).
  std::size_t queued_bytes() const noexcept { return state_->queued.load(); }
  /// System-call level counters, for tests and tuning: read operations issued on the
  /// stream, and write operations (each one gathered write of everything queued).
  std::size_t read_count() const noexcept { return state_->read_count; }
  /// Write operations issued on the stream so far (see read_count()).
  std::size_t write_count() const noexcept { return state_->write_count; }
  /// Bytes of read buffer held now. 0 for a connection that has not sent anything yet:
  /// over a socket, the buffer is taken only once data is there to read.
  std::size_t read_buffer_capacity() const noexcept { return state_->rbuf.capacity(); }

 private:
  std::shared_ptr<state_type> state_;
};

/// Deduces framed's Codec and Stream from the constructor's arguments.
template <typename Stream, decoder Codec>
framed(Stream, Codec) -> framed<Codec, Stream>;
/// The same, with options.
template <typename Stream, decoder Codec>
framed(Stream, Codec, framed_options) -> framed<Codec, Stream>;

}  // namespace coronet
