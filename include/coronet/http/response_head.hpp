/// @file
/// @code{.unparsed}
/// coronet::http::parse_response_head: the head of an HTTP/1.1 response (RFC 9112), that
/// is the status line and the header fields up to the blank line, parsed in place. For
/// clients; the request side is parse_request_head() (request_head.hpp), with the same
/// contract.
///
///   std::string in;                  // bytes from the server, appended as they arrive
///   coronet::http::response_head head;
///   for (;;) {
///     const auto r = coronet::http::parse_response_head(in, head);
///     if (r.status == coronet::http::parse_status::ready) {
///       head.status;                  // 101
///       head.find("upgrade");         // std::optional<std::string_view>, any case
///       in.erase(0, r.size);          // what follows is a body, or a WebSocket's frames
///       break;                        // (erase only once done with `head`: it views `in`)
///     }
///     if (r.status == coronet::http::parse_status::fail)
///       throw std::runtime_error(std::string{r.error});   // not HTTP, or over a limit
///     in += read_more();              // more: the blank line has not arrived yet
///   }
///
/// Like parse_request_head() it keeps no state between calls, decides a failure at the
/// byte that makes the head invalid, and never looks past limits.max_head_size, so a
/// head split anywhere gives the same answer as the whole head. Lines end in CR LF only,
/// there is no obs-fold, and no whitespace between a field name and its colon. The
/// reason phrase may be empty, and the space before it may be missing (some servers
/// send "HTTP/1.1 200\r\n"); clients ignore it anyway (RFC 9112 4).
///
/// Security: a response head is bounded like a request head (limits.max_head_size,
/// limits.max_headers), so a hostile or broken server cannot make a client buffer more.
/// @endcode
#pragma once

#include "coronet/http/fields.hpp"
#include "coronet/http/request_head.hpp"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace coronet::http {

/// Security: how big a response head may be; past either limit it fails.
struct response_limits {
  /// Security: the status line, the header fields and the blank line together: the most
  /// a client buffers to get a whole head.
  std::size_t max_head_size = 8192;
  /// Security: bounds the work of every header lookup and the size of the field list.
  /// Above request_limits' 64: responses carry more fields (Set-Cookie, ...).
  std::size_t max_headers = 100;
};

/// The parsed head of one response: status line and header fields, viewing the input.
struct response_head {
  int version_minor = 1;  ///< HTTP/1.0 or HTTP/1.1; other versions fail
  /// The status code, 100 to 599. Set as soon as the status line is parsed, so a head
  /// that fails later (a malformed field) still tells which status the server meant.
  int status = 0;
  std::string_view reason;            ///< the reason phrase as sent; may be empty
  std::vector<header_field> headers;  ///< in the order received, repeats kept

  /// The value of the first field called `name` (compared without regard to case).
  std::optional<std::string_view> find(std::string_view name) const noexcept {
    return find_field(headers, name);
  }
  /// How many fields are called `name`.
  std::size_t count(std::string_view name) const noexcept { return count_fields(headers, name); }
  /// Whether the comma-separated lists in the fields called `name` hold `token`, without
  /// regard to case: has_token("connection", "upgrade").
  bool has_token(std::string_view name, std::string_view token) const noexcept {
    return fields_have_token(headers, name, token);
  }
};

/// Parses the response head at the start of `data`, which may hold more (a body, or a
/// WebSocket server's first frames). `out` is overwritten; its views point into `data`
/// and are meaningful only after `ready` (out.status also after a `fail` past the status
/// line). The answer's http_status is always 0: a client answers nobody; `error` says
/// why a head failed. Never reads past `data` or past limits.max_head_size.
parse_result parse_response_head(std::string_view data, response_head& out,
                                 const response_limits& limits = {});

}  // namespace coronet::http
