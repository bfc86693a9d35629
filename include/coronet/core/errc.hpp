/// @file
/// @code{.unparsed}
/// coronet error codes and their std::error_category.
///
/// Expected, connection-level conditions (a clean EOF, the server stopping, an idle
/// connection closed by its timeout) are reported as values. Failures a caller cannot
/// ignore throw std::system_error carrying one of these codes, so `catch
/// (const std::system_error& e)` plus `e.code() == coronet::errc::timed_out` works.
/// @endcode
#pragma once

#include <exception>
#include <string>
#include <system_error>

namespace coronet {

/// coronet's error codes, in error_category(); they start at 1, as 0 means no error.
enum class errc {
  timed_out = 1,      ///< an operation did not complete within its deadline
  frame_too_large,    ///< a peer announced or sent a frame over the codec's limit
  truncated_frame,    ///< the stream ended in the middle of a frame
  bad_message,        ///< a frame that does not parse (e.g. not JSON) or convert
  invalid_frame,      ///< a frame the codec cannot encode (e.g. a line holding its delimiter)
  shutting_down,      ///< the server is stopping; the operation was not started
  connection_limit,   ///< refused: the server is at max_connections
  outbox_full,        ///< a bounded outbox rejected a frame (try_send / overflow policy)
  connection_closed,  ///< the connection was closed while the operation was pending
  handshake_failed,   ///< TLS: the handshake failed (the exception's text says why)
  tls_error,          ///< TLS: a protocol error after the handshake (bad record, alert)
  redis_auth_failed,  ///< Redis refused the credentials: AUTH failed, or NOAUTH (none given)
  redis_error,        ///< Redis refused a command the client sends itself (CLIENT SETNAME, ...)
  proxy_refused,      ///< PROXY protocol: no valid header from a trusted proxy (the text says why)
  upgrade_failed,     ///< WebSocket: the opening handshake was refused or malformed
};

/// The category of coronet::errc codes, named "coronet"; its errc::timed_out also
/// compares equal to std::errc::timed_out.
const std::error_category& error_category() noexcept;

/// `e` as a std::error_code in error_category(); lets an errc compare with error codes.
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// Throws std::system_error with `e` and an optional context message.
[[noreturn]] void throw_error(errc e, const std::string& what = {});
/// Throws std::system_error with `ec` and an optional context message.
[[noreturn]] void throw_error(std::error_code ec, const std::string& what = {});

/// True for errors that only say "the peer went away" (reset, broken pipe, EOF,
/// aborted by close). Servers treat them as a normal end of a connection, not a fault.
bool is_disconnect(std::error_code ec) noexcept;

/// The what() of the exception `e` holds ("unknown exception" for one not derived from
/// std::exception), for logging a failure reported as an exception_ptr.
std::string describe(const std::exception_ptr& e);

}  // namespace coronet

/// @cond
template <>
struct std::is_error_code_enum<coronet::errc> : std::true_type {};
/// @endcond
