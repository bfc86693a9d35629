/// @file
/// @code{.unparsed}
/// coronet::http::request_reader and serve_requests(): the requests of one kept-alive
/// HTTP/1.1 connection, one after another, pipelined ones included.
///
///   asio::awaitable<void> status_page(coronet::connection conn) {
///     co_await coronet::http::serve_requests(conn, [](const coronet::http::request_head& h) {
///       coronet::http::response r;
///       r.body = h.path() == "/health" ? "ok\n" : "hello\n";
///       r.keep_alive = true;           // the reader decides whether it may be
///       return r;
///     });
///   }
///
/// Or, to await something between a request and its answer, the reader itself:
///
///   coronet::http::request_reader reader{conn};
///   while (const auto* head = co_await reader.next()) {
///     auto r = co_await answer(*head);   // r.keep_alive = true to offer keep-alive
///     if (!co_await reader.respond(std::move(r))) break;
///   }
///
/// Bytes after one head are kept as the start of the next request (pipelining: a
/// client may send several requests in one write, and each is answered, in order).
/// Request bodies are never read: a request with one is answered and the connection
/// closed, since its body would otherwise be taken for the next request.
///
/// respond() keeps the connection only if the response offers it (keep_alive), the
/// request allows it (HTTP/1.1 without "Connection: close", or HTTP/1.0 with
/// "Connection: keep-alive", which is then said back), the request has no body and the
/// server is not stopping. Otherwise the response says "Connection: close" and the
/// connection is hung up politely (hang_up() in response.hpp). An answer to HEAD never
/// has a body.
///
/// Security: each head must fit in requests.limits (431 past it) and arrive whole within
/// requests.head_timeout (408 if it began and did not finish), counted from the first
/// next() for the first request (a peer that connects and says nothing is closed after
/// it, without an answer), from its first byte for a later one and from the previous
/// answer for a pipelined one. A malformed head is answered 400 (or 501, 505). Between
/// requests a connection may wait at most idle_timeout for the next one's first byte,
/// then it is closed without an answer. No connection buffers more than
/// requests.limits.max_head_size.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/http/request.hpp"
#include "coronet/http/request_head.hpp"
#include "coronet/http/response.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace coronet::http {

/// How a request_reader reads the requests of a kept-alive connection.
struct keep_alive_options {
  /// Security: each head's limits, and the time it may take to arrive (see the top of
  /// this file for when that time starts).
  request_options requests{};
  /// Security: how long a connection may wait between requests for the next one's first
  /// byte before it is closed. 0: no limit here (a server's limits.idle_timeout may
  /// still bound it).
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  /// After a response that ends the connection: how long hang_up() waits for the peer to
  /// close its side.
  std::chrono::milliseconds linger{std::chrono::seconds(1)};
};

/// Reads the request heads of one connection in turn and writes their answers, keeping
/// the connection alive between them (see the top of this file).
class request_reader {
 public:
  /// Reads from `conn`, which must outlive the reader.
  explicit request_reader(connection& conn, keep_alive_options options = {})
      : conn_(&conn), options_(options) {}

  /// Waits for the next request and returns its head, whose views are valid until the
  /// next call. Nothing when the connection is done: the peer closed, was silent or idle
  /// too long, the server is stopping, the last answer closed it, or the head was refused
  /// (then already answered 400, 408, 431, 501 or 505, and hung up). Throws
  /// std::system_error if the connection fails (a reset).
  asio::awaitable<const request_head*> next();

  /// Writes `r` as the answer to the request next() returned, then keeps the connection
  /// or hangs up (see the top of this file). Returns whether another request may follow.
  asio::awaitable<bool> respond(response r);

  /// Whether next() starts by waiting between requests: a request was answered and no
  /// byte of another one has arrived (a pipelined one is already here).
  bool idle() const noexcept { return answered_ && in_.size() == head_size_; }

  /// Sets `f` to be called with true when next() begins a wait between requests and with
  /// false when that wait ends, however it ends. A server that holds few connections can
  /// close idle ones with that (metrics_server does); `f` must not throw.
  void on_idle(std::function<void(bool waiting)> f) { on_idle_ = std::move(f); }

  /// The current request's head as received, blank line included.
  std::string_view raw_head() const noexcept { return {in_.data(), head_size_}; }
  /// The bytes received after the current head: a body's start or pipelined requests.
  std::string_view rest() const noexcept { return std::string_view{in_}.substr(head_size_); }
  /// The options it was made with.
  const keep_alive_options& options() const noexcept { return options_; }

 private:
  asio::awaitable<void> refuse(int status, std::string_view why);

  connection* conn_;
  keep_alive_options options_;
  std::string in_;             ///< the current head, then what followed it
  std::size_t head_size_ = 0;  ///< the current head's size, dropped by the next next()
  request_head head_;
  bool answered_ = false;  ///< a request was answered: the next wait is between requests
  bool done_ = false;      ///< closed, or hung up: next() has nothing more
  std::function<void(bool)> on_idle_;
};

/// Computes the answer to one request: called by serve_requests() for each of them.
using request_handler = std::function<response(const request_head&)>;

namespace detail {
asio::awaitable<void> serve_requests(connection* conn, request_handler handler,
                                     keep_alive_options options);
}  // namespace detail

/// Answers the requests of `conn` with `handler` until the connection is done (see the
/// top of this file). If `handler` throws, the request is answered 500 and the
/// connection hung up, then the exception is rethrown. `conn` must outlive the
/// operation; a plain co_await guarantees that.
inline asio::awaitable<void> serve_requests(connection& conn, request_handler handler,
                                            keep_alive_options options = {}) {
  return detail::serve_requests(&conn, std::move(handler), options);
}

}  // namespace coronet::http
