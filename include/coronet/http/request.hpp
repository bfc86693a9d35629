/// @file
/// @code{.unparsed}
/// coronet::http::request and read_request(): one HTTP/1.1 request head read from a
/// connection, with the limits a server reading from strangers needs.
///
///   asio::awaitable<void> serve(coronet::connection conn) {
///     auto req = co_await coronet::http::read_request(conn);
///     if (!req) co_return;   // closed, silent, or refused (already answered 400/408/431...)
///     if (req->path() == "/") { ... co_await coronet::http::respond(conn, page); }
///   }
///
/// A request owns its bytes (the head, and whatever followed it in the same read), so
/// it can be moved to another coroutine, such as websocket::accept(). The body is not
/// read: rest() holds the bytes that came after the head so far, which for a WebSocket
/// upgrade are the client's first frames.
///
/// Security: the head must fit in limits.max_head_size (8 KiB by default; 431 past it)
/// and arrive whole within head_timeout (10 s; 408 if it began but did not finish); a
/// malformed head is answered 400 (and 501, 505 for what parse_request_head names).
/// Each refusal is answered, then the connection is hung up and read_request returns
/// nothing. A peer that sends nothing at all within head_timeout is closed without an
/// answer.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/http/request_head.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::http {

/// How read_request() reads a head: the size limits and the time allowed.
struct request_options {
  /// Security: the head's size and field count (request_head.hpp).
  request_limits limits{};
  /// Security (slowloris): the whole head must arrive within this time, counted from the
  /// call to read_request().
  std::chrono::milliseconds head_timeout{std::chrono::seconds(10)};
};

/// One HTTP/1.1 request head, read by read_request() or parse(), that owns its bytes.
class request {
 public:
  request() = default;
  /// Moves keep the views valid: the bytes live in a heap block that moves with them.
  request(request&&) noexcept = default;
  /// The same for move assignment.
  request& operator=(request&&) noexcept = default;
  request(const request&) = delete;
  request& operator=(const request&) = delete;
  ~request() = default;

  /// Parses a head at the start of `bytes`; what follows it becomes rest(). Nothing if
  /// the head is incomplete or invalid (`result`, when given, says which and why).
  static std::optional<request> parse(std::string_view bytes, const request_limits& limits = {},
                                      parse_result* result = nullptr);

  /// The parsed head; its views point into this request's bytes.
  const request_head& head() const noexcept { return head_; }
  /// The method, case-sensitive: "GET", "HEAD", "POST", ...
  std::string_view method() const noexcept { return head_.method; }
  /// The target as sent: "/metrics?x=1", or "*", or an absolute URI.
  std::string_view target() const noexcept { return head_.target; }
  /// The target's path, without its query (request_head::path()).
  std::string_view path() const noexcept { return head_.path(); }
  /// The target's query, after the '?'; empty if there is none.
  std::string_view query() const noexcept { return head_.query(); }
  /// The minor HTTP version: 0 or 1.
  int version_minor() const noexcept { return head_.version_minor; }
  /// The header fields, in the order received, repeats kept.
  const std::vector<header_field>& headers() const noexcept { return head_.headers; }
  /// The value of the first field called `name` (compared without regard to case).
  std::optional<std::string_view> find(std::string_view name) const noexcept {
    return head_.find(name);
  }
  /// Whether the comma-separated lists in the fields called `name` hold `token`, without
  /// regard to case (request_head::has_token()).
  bool has_token(std::string_view name, std::string_view token) const noexcept {
    return head_.has_token(name, token);
  }

  /// The head as received, blank line included.
  std::string_view raw_head() const noexcept { return {bytes_.data(), head_size_}; }
  /// The bytes that followed the head in the same read: the start of a body, a
  /// pipelined request, or a WebSocket client's first frames.
  std::string_view rest() const noexcept {
    return {bytes_.data() + head_size_, bytes_.size() - head_size_};
  }

 private:
  std::vector<char> bytes_;  ///< a vector, not a string: moving it never moves the bytes
  request_head head_;
  std::size_t head_size_ = 0;
};

namespace detail {
asio::awaitable<std::optional<request>> read_request(connection* conn, request_options options);
}  // namespace detail

/// Reads one request head from `conn` (see the top of this file). `conn` must outlive
/// the operation; a plain co_await guarantees that.
inline asio::awaitable<std::optional<request>> read_request(connection& conn,
                                                            request_options options = {}) {
  return detail::read_request(&conn, options);
}

}  // namespace coronet::http
