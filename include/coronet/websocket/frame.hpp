/// @file
/// @code{.unparsed}
/// The frames of a WebSocket connection (RFC 6455 section 5) as coronet values.
///
/// What websocket::codec decodes is a websocket::frame: a whole message (op text or
/// binary: fragments already reassembled), a control frame (close, ping, pong), or
/// opcode::continuation, which says "a fragment was taken in; no message yet" (the
/// frame carries nothing then; websocket::stream skips those).
///
/// What it encodes, each as one frame with FIN set:
///
///   std::string_view / std::string      a text message (must be UTF-8; not checked)
///   websocket::binary{bytes}            a binary message
///   websocket::ping{data} / pong{data}  control frames, at most 125 bytes of data
///   websocket::close_frame{code, why}   a close frame; code 0 sends one without a code
///   websocket::frame                    whatever it holds (so an echo is write(*msg))
///
/// A text message as a plain string is what lets outbox<websocket::codec> and
/// broadcast_group<websocket::codec> send text unchanged: out.try_send(std::string_view).
/// @endcode
#pragma once

#include "coronet/websocket/close_code.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace coronet::websocket {

/// The type of a frame, as the 4 bits on the wire carry it.
enum class opcode : std::uint8_t {
  continuation = 0x0,  ///< on the wire, a later fragment; decoded, "no message yet"
  text = 0x1,          ///< a text message (UTF-8)
  binary = 0x2,        ///< a binary message
  close = 0x8,         ///< a close frame: a code and a reason
  ping = 0x9,          ///< a ping, to be answered with a pong carrying the same data
  pong = 0xA,          ///< the answer to a ping
};

/// A decoded frame. `payload` is a view, valid until the next read() (decode()).
struct frame {
  opcode op = opcode::text;  ///< a message (text, binary), a control frame, or continuation
  /// text / binary: the whole message; ping / pong: their data; close: the reason.
  std::string_view payload;
  /// close: the status code, close_code::no_status (1005) if the frame had none.
  std::uint16_t code = 0;

  /// Whether this is a text message.
  bool is_text() const noexcept { return op == opcode::text; }
  /// Whether this is a binary message.
  bool is_binary() const noexcept { return op == opcode::binary; }
  /// Whether this is a message (text or binary), not a control frame or a continuation.
  bool is_message() const noexcept { return op == opcode::text || op == opcode::binary; }
};

/// A binary message. `Bytes` is std::string_view by default; broadcast_group::publish()
/// wants an owning frame: websocket::binary{std::string{...}} (deduced binary<std::string>).
template <typename Bytes = std::string_view>
struct binary {
  Bytes data;  ///< the message
};
/// Deduces binary's `Bytes` from its data: binary{std::string{...}} owns its bytes.
template <typename Bytes>
binary(Bytes) -> binary<Bytes>;
/// A string literal makes a binary<std::string_view>.
binary(const char*)->binary<std::string_view>;

/// A ping control frame.
struct ping {
  std::string_view data;  ///< at most 125 bytes
};

/// A pong control frame, the answer to a ping.
struct pong {
  std::string_view data;  ///< at most 125 bytes
};

/// A close frame: a status code and a reason.
struct close_frame {
  std::uint16_t code = static_cast<std::uint16_t>(close_code::normal);  ///< 0: no code
  std::string_view reason;  ///< at most 123 bytes, UTF-8; only with a code
};

}  // namespace coronet::websocket
