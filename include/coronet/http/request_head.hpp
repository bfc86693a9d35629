/// @file
/// @code{.unparsed}
/// coronet::http::parse_request_head: the head of an HTTP/1.1 request (RFC 9112), that is
/// the request line and the header fields up to the blank line, parsed in place.
///
///   std::string in;                  // bytes from the peer, appended as they arrive
///   coronet::http::request_head head;
///   for (;;) {
///     const auto r = coronet::http::parse_request_head(in, head);
///     if (r.status == coronet::http::parse_status::ready) {
///       head.method;                  // "GET"
///       head.path();                  // "/metrics" (the target without its query)
///       head.find("host");            // std::optional<std::string_view>, any case
///       head.keep_alive();            // HTTP/1.0 and 1.1 rules, Connection header
///       in.erase(0, r.size);          // what follows is a body or the next request
///       break;                        // (erase only once done with `head`: it views `in`)
///     }
///     if (r.status == coronet::http::parse_status::fail)
///       return answer(r.http_status, r.error);   // 400, 431, 501 or 505; then close
///     in += read_more();              // more: the blank line has not arrived yet
///   }
///
/// The parser keeps no state between calls: each call parses `data` from its start, so a
/// caller feeds it a growing buffer and calls it again after every read. The work is
/// bounded by the head size limit (8 KiB by default), so re-parsing costs little, and a
/// head split anywhere gives the same answer as the whole head.
///
/// Strict where leniency has led to request smuggling between proxies and servers: lines
/// end in CR LF only (a bare LF or a bare CR is refused, never taken as a line end), no
/// whitespace between a field name and its colon, no obs-fold (a line continued by
/// leading whitespace), one decimal Content-Length, Transfer-Encoding only as "chunked"
/// and never together with Content-Length, and exactly one Host in HTTP/1.1. Empty lines
/// before the request line are skipped, as RFC 9112 section 2.2 advises.
///
/// A fail is decided as soon as the bytes that make the request invalid have arrived: a
/// peer that sends "hello\r\n" is answered at once, not after the timeout.
/// @endcode
#pragma once

#include "coronet/http/fields.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace coronet::http {

/// Security: how big a request head may be; past either limit it fails with 431.
struct request_limits {
  /// Security: the request line, the header fields and the blank line together. Whoever
  /// reads the network needs to buffer at most this much to get a whole head, and a peer
  /// cannot make it buffer more (431).
  std::size_t max_head_size = 8192;
  /// Security: bounds the work of every header lookup and the size of the field list
  /// (431 past it).
  std::size_t max_headers = 64;
};

/// The parsed head of one request: request line and header fields, viewing the input.
struct request_head {
  std::string_view method;            ///< a token, case-sensitive: "GET", "HEAD", "POST", ...
  std::string_view target;            ///< as sent: "/metrics?x=1", or "*", or an absolute URI
  int version_major = 1;              ///< always 1: other versions fail with 505
  int version_minor = 1;              ///< 0 or 1
  std::vector<header_field> headers;  ///< in the order received, repeats kept
  /// Content-Length, checked (digits only; repeated fields must agree); none if absent.
  std::optional<std::uint64_t> content_length;
  bool chunked = false;  ///< Transfer-Encoding: chunked (the only coding accepted)

  /// The value of the first field called `name` (compared without regard to case).
  std::optional<std::string_view> find(std::string_view name) const noexcept;
  /// How many fields are called `name`.
  std::size_t count(std::string_view name) const noexcept;
  /// Whether the comma-separated lists in the fields called `name` hold `token`, without
  /// regard to case: has_token("connection", "close"), has_token("upgrade", "websocket").
  bool has_token(std::string_view name, std::string_view token) const noexcept;

  /// Whether the connection may carry another request after this one: HTTP/1.1 unless
  /// "Connection: close"; HTTP/1.0 only with "Connection: keep-alive" (RFC 9112 9.3).
  bool keep_alive() const noexcept;
  /// Whether a body follows the head (a Content-Length above 0, or chunked).
  bool has_body() const noexcept { return chunked || content_length.value_or(0) > 0; }
  /// The target's path and query (after the '?', empty if there is none). An absolute
  /// target, which proxies send and servers must accept (RFC 9112 3.2.2), gives the same
  /// path as its origin form: "http://host:9100/metrics?x=1" -> "/metrics", "x=1".
  std::string_view path() const noexcept;
  /// The target's query, after the '?'; empty if there is none (see path()).
  std::string_view query() const noexcept;
};

/// Where parse_request_head() got to.
enum class parse_status {
  more,   ///< a valid beginning: call again once more bytes have arrived
  ready,  ///< a whole head of `size` bytes
  fail,   ///< invalid, or over a limit: answer `http_status` and close the connection
};

/// What parse_request_head() found: its status, and the size or the failure.
struct parse_result {
  parse_status status = parse_status::more;  ///< more, ready or fail
  /// ready: the head's length in bytes, blank line included (and any empty lines before
  /// the request line). A body or the next request starts there.
  std::size_t size = 0;
  /// fail: the status to answer with: 400 (malformed), 431 (over a limit), 501 (a
  /// Transfer-Encoding other than chunked), 505 (a version other than HTTP/1.0 or 1.1).
  int http_status = 0;
  std::string_view error;  ///< fail: why, in a few words (a static string)
};

/// Parses the request head at the start of `data`, which may hold more (a body, or the
/// next pipelined request). `out` is overwritten; its views point into `data` and are
/// meaningful only after `ready`. Never reads past `data` or past limits.max_head_size.
parse_result parse_request_head(std::string_view data, request_head& out,
                                const request_limits& limits = {});

/// The reason phrase for a status code ("Not Found"), or "" for one it does not know.
std::string_view reason_phrase(int status) noexcept;

}  // namespace coronet::http
