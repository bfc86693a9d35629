/// @file
/// @code{.unparsed}
/// coronet::websocket::codec: WebSocket framing (RFC 6455 section 5) as a coronet codec.
///
///   coronet::framed<coronet::websocket::codec> ws{std::move(conn)};   // server side
///   while (auto f = co_await ws.read()) {
///     if (f->is_message()) ws.write(*f);       // echo, text as text, binary as binary
///   }
///
/// Most programs use websocket::stream (stream.hpp), which adds the handshake, answers
/// pings, runs the close handshake and turns every violation into the right close
/// code. The codec alone is what outbox<websocket::codec> and
/// broadcast_group<websocket::codec> are made of: their try_send(std::string_view) sends
/// one text message.
///
/// Decoding (a frame, need more, or fail, as every coronet codec):
///   - the header is checked as soon as its bytes are there: reserved bits (no extension
///     is ever negotiated), reserved opcodes, a control frame that is fragmented or
///     longer than 125 bytes, a continuation without a message begun, a new message
///     before the last one finished, the mask bit (a server takes masked frames only, a
///     client unmasked ones only), a 64-bit length with its top bit set: each fails at
///     once with close_code::protocol_error (1002);
///   - a message longer than max_message fails with close_code::message_too_big (1009)
///     as soon as a frame header announces it, before its payload is buffered;
///   - text must be UTF-8, checked fragment by fragment: close_code::invalid_payload
///     (1007); so must a close frame's reason; a close frame with a one-byte payload or
///     a code that may not be sent is a protocol error.
///   - a fragmented message is reassembled in a buffer of the codec's, reused from one
///     message to the next; a non-final fragment decodes as opcode::continuation. An
///     unmasked unfragmented message (what a client receives) is a view into the read
///     buffer; a masked one is unmasked into the codec's buffer. Control frames may come
///     between the fragments of a message, as the RFC allows.
///
/// Encoding: one frame per value, FIN set (frame.hpp lists the types). A server's frames
/// are not masked; a client's are, each with a fresh random key (a per-thread generator
/// seeded from std::random_device, so outboxes may encode on any thread). encode() of a
/// control frame over 125 bytes throws coronet::errc::invalid_frame.
///
/// Security: max_message bounds the reassembly buffer and, with a frame header, the
/// read buffer (max_buffered()); a connection costs at most about twice max_message.
/// @endcode
#pragma once

#include "coronet/framing/codec.hpp"
#include "coronet/websocket/close_code.hpp"
#include "coronet/websocket/detail/utf8.hpp"
#include "coronet/websocket/frame.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace coronet::websocket {

/// Which end of the connection a codec is: it decides who masks frames.
enum class role {
  server,  ///< takes masked frames, sends unmasked ones
  client,  ///< sends masked frames, takes unmasked ones
};

/// How a codec frames: its role, and the memory a connection may make it hold.
struct codec_options {
  /// server: takes masked frames, sends unmasked ones; client: the other way round.
  websocket::role role = websocket::role::server;
  /// Security: the longest message (after reassembly) accepted from the peer; longer ones
  /// fail with close_code::message_too_big (1009) as soon as a header announces them.
  std::size_t max_message = std::size_t{1} << 20;
  /// Reassembly and unmasking buffers larger than this are given back once their message
  /// has been handled (when the stream next waits for input), so one big message does
  /// not pin memory for the connection's lifetime.
  std::size_t keep_buffer = std::size_t{64} * 1024;
};

/// WebSocket framing (RFC 6455 section 5) as a coronet codec (see the top of this file).
class codec {
 public:
  using frame_type = websocket::frame;  ///< what decode() yields

  codec() = default;
  /// A codec with these options (the default one is a server's).
  explicit codec(codec_options options) : options_(options) {}

  /// The next frame at the start of `in`, a request for more bytes, or a failure whose
  /// error_code is the close code to send (see the top of this file).
  decode_result<frame> decode(std::span<const char> in);

  /// One text message.
  void encode(std::string_view text, std::string& out) const;
  /// One binary message.
  template <typename Bytes>
  void encode(const binary<Bytes>& b, std::string& out) const {
    encode_frame(opcode::binary, std::string_view{b.data}, out);
  }
  /// One ping frame; throws errc::invalid_frame if its data is over 125 bytes.
  void encode(const ping& p, std::string& out) const;
  /// One pong frame; throws errc::invalid_frame if its data is over 125 bytes.
  void encode(const pong& p, std::string& out) const;
  /// One close frame; throws errc::invalid_frame for a code that may not be sent, a reason
  /// over 123 bytes, or a reason without a code.
  void encode(const close_frame& c, std::string& out) const;
  /// Whatever `f` holds, so an echo is write(*msg); a continuation throws
  /// errc::invalid_frame.
  void encode(const frame& f, std::string& out) const;

  /// One frame: header, then `payload` (masked on the client side). For fragmenting a
  /// message yourself: the first frame with the message's opcode, the rest
  /// opcode::continuation, FIN only on the last.
  void encode_frame(opcode op, std::string_view payload, std::string& out, bool fin = true) const;

  /// The read buffer never needs more than the longest frame and its header: a message
  /// frame of max_message bytes, or a control frame of 125 (which max_message does not
  /// bound, however small it is set).
  std::size_t max_buffered() const noexcept {
    return max_header + std::max(options_.max_message, max_control_payload);
  }
  /// The options this codec was made with.
  const codec_options& options() const noexcept { return options_; }

  /// Gives back the unmasking buffer, and the reassembly buffer between messages, when
  /// they grew past keep_buffer (framed<> calls it before it waits for input, when the
  /// last message handed out is no longer in use). Bytes held now, for tests and tuning:
  /// buffer_capacity().
  void release_memory() noexcept;
  /// The bytes the reassembly and unmasking buffers hold now.
  std::size_t buffer_capacity() const noexcept { return message_.capacity() + scratch_.capacity(); }

  /// The longest frame header: 2 bytes, 8 of extended length, 4 of mask key.
  static constexpr std::size_t max_header = 14;
  /// The longest payload of a control frame (RFC 6455 section 5.5).
  static constexpr std::size_t max_control_payload = 125;

 private:
  decode_result<frame> fail(close_code c) noexcept;

  codec_options options_{};
  /// Between frames of one fragmented message.
  bool in_message_ = false;
  opcode message_op_ = opcode::text;
  detail::utf8_validator utf8_;
  std::string message_;                              ///< the fragments so far (unmasked)
  std::string scratch_;                              ///< an unfragmented masked message, unmasked
  std::array<char, max_control_payload> control_{};  ///< a control frame's payload, unmasked
  bool failed_ = false;
};

}  // namespace coronet::websocket
