/// @file
/// @code{.unparsed}
/// coronet::websocket::close_code: the status codes of a WebSocket close frame (RFC 6455
/// section 7.4), and the std::error_category that carries them.
///
/// A decoder failure is an std::error_code in this category whose value is the close
/// code the RFC names for it, so whoever ends the connection knows what to send:
///
///   try { ... co_await frames.read() ... }
///   catch (const std::system_error& e) {
///     if (e.code().category() == coronet::websocket::error_category())
///       code = e.code().value();   // 1002, 1007 or 1009
///   }
///
/// websocket::stream does exactly that for you.
/// @endcode
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace coronet::websocket {

/// The status code of a close frame (RFC 6455 section 7.4); an std::error_code enum.
enum class close_code : std::uint16_t {
  normal = 1000,               ///< done
  going_away = 1001,           ///< the server is stopping, or a browser leaves the page
  protocol_error = 1002,       ///< a frame that breaks RFC 6455
  unsupported_data = 1003,     ///< a message type the endpoint does not take
  no_status = 1005,            ///< never sent: a close frame that carried no code
  abnormal = 1006,             ///< never sent: the TCP connection ended without a close frame
  invalid_payload = 1007,      ///< text that is not UTF-8
  policy_violation = 1008,     ///< a rule of the application's
  message_too_big = 1009,      ///< over the configured maximum message size
  mandatory_extension = 1010,  ///< client only: the server negotiated no extension it needs
  internal_error = 1011,       ///< the server failed
};

/// Whether `code` may appear in a close frame on the wire (RFC 6455 7.4.1 and 7.4.2, plus
/// the IANA registry's 1012-1014): 1000-1003, 1007-1014 and 3000-4999.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

/// The category of decode failures: value() is the close code to send.
const std::error_category& error_category() noexcept;

/// `c` as an std::error_code in error_category(): what lets a close_code become one.
inline std::error_code make_error_code(close_code c) noexcept {
  return {static_cast<int>(c), error_category()};
}

/// "protocol error", "message too big", ... for logs; "" for codes it does not name.
std::string_view to_string(close_code c) noexcept;

}  // namespace coronet::websocket

/// @cond
template <>
struct std::is_error_code_enum<coronet::websocket::close_code> : std::true_type {};
/// @endcond
