/// @file
/// @code{.unparsed}
/// coronet::http::response and respond(): answer a request read by read_request().
///
///   coronet::http::response page;
///   page.content_type = "text/html; charset=utf-8";
///   page.body = index_html;
///   co_await coronet::http::respond(conn, std::move(page));   // then the handler returns
///
///   co_await coronet::http::respond(conn, coronet::http::error_response(404));
///
/// Name the response before the co_await, as above: g++ 12 mishandles a braced or
/// designated-initializer temporary inside a co_await statement.
///
/// Unless keep_alive is set, the response says "Connection: close" and respond() hangs
/// up politely after it (hang_up()): FIN, then it reads and drops what the peer still
/// sends until the peer closes too, for at most a second. (Closing with unread input
/// sends RST, which can destroy the response before the peer reads it: a 431 to a client
/// still sending its oversized head.) To answer several requests on one connection, see
/// request_reader (keep_alive.hpp).
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coronet::http {

/// An HTTP response for respond(): status, content type, body and extra header fields.
struct response {
  int status = 200;                                        ///< the status code
  std::string content_type = "text/plain; charset=utf-8";  ///< the Content-Type field
  std::string body;                                        ///< follows the head, unless head_only
  /// More header fields, sent as given (after Date, Content-Type and Content-Length).
  std::vector<std::pair<std::string, std::string>> headers;
  /// false: "Connection: close" and respond() hangs up after writing.
  bool keep_alive = false;
  /// An answer to HEAD: the Content-Length of `body`, and no body.
  bool head_only = false;
};

/// A plain-text response for `status`: "404 Not Found" and, when given, ": why".
response error_response(int status, std::string_view why = {});

/// The bytes of `r` on the wire: status line, Date, Content-Type, Content-Length,
/// Connection, the extra fields, a blank line and the body.
std::string format(const response& r);

/// `time` in the form HTTP wants, IMF-fixdate (RFC 9110 5.6.7), in UTC and whatever the
/// locale: format_date(784111777) is "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_date(std::time_t time);

/// The current time as format_date() writes it: the Date field of every response.
std::string date_now();

namespace detail {
asio::awaitable<void> write_response(connection* conn, std::string bytes, bool hang_up);
asio::awaitable<void> hang_up(connection* conn, std::chrono::milliseconds linger);
}  // namespace detail

/// Ends `conn` politely after a last answer: half-closes it (FIN), then reads and drops
/// what the peer still sends until the peer closes too, for at most `linger`. Never
/// throws for a peer that is gone or resets. `conn` must outlive the operation.
inline asio::awaitable<void> hang_up(connection& conn,
                                     std::chrono::milliseconds linger = std::chrono::seconds(1)) {
  return detail::hang_up(&conn, linger);
}

/// Writes `r` to `conn`; then, unless r.keep_alive, hangs up (see above). `conn` must
/// outlive the operation.
inline asio::awaitable<void> respond(connection& conn, const response& r) {
  return detail::write_response(&conn, format(r), !r.keep_alive);
}

}  // namespace coronet::http
