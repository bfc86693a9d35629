// What the request and response head parsers share after their first line: line ends
// and the header fields up to the empty line that ends a head (RFC 9112 5), under one set
// of rules so that a server and a client of coronet's accept exactly the same fields.
// Like the parsers, every check is made at the byte that decides it, and running out of
// bytes anywhere is `more`.
#pragma once

#include "coronet/http/detail/syntax.hpp"
#include "coronet/http/fields.hpp"
#include "coronet/http/request_head.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace coronet::http::detail {

enum class line_end_status { ok, partial, bad };

// Ends a line at `at`, which holds a CR: CR LF (then `at` is past it), or too few bytes,
// or a bare CR.
inline line_end_status end_line(std::string_view in, std::size_t& at) noexcept {
  if (at + 1 >= in.size()) return line_end_status::partial;
  if (in[at + 1] != '\n') return line_end_status::bad;
  at += 2;
  return line_end_status::ok;
}

// field-line = field-name ":" OWS field-value OWS CRLF, from `at` until the empty line.
// `ready`: the head ends at result.size. A failure's http_status is what a server answers
// (400, or 431 past max_headers); a client ignores it.
inline parse_result parse_field_lines(std::string_view in, std::size_t at,
                                      std::vector<header_field>& out, std::size_t max_headers) {
  const auto more = parse_result{};
  const auto fail = [](int http_status, std::string_view why) {
    return parse_result{parse_status::fail, 0, http_status, why};
  };
  const std::size_t end = in.size();
  for (;;) {
    if (at == end) return more;
    if (in[at] == '\r') {  // the empty line: the end of the head
      if (const auto e = end_line(in, at); e != line_end_status::ok)
        return e == line_end_status::partial ? more : fail(400, "bare CR in the header");
      return {parse_status::ready, at, 0, {}};
    }
    // Whitespace at the start of a line is obs-fold, or (after the first line) a field
    // some implementations would skip and others join to the line before.
    if (is_ows(in[at])) return fail(400, "obs-fold or whitespace before a header field");
    if (out.size() == max_headers) return fail(431, "too many header fields");

    const std::size_t name_start = at;
    while (at < end && is_tchar(in[at]))
      ++at;
    if (at == end) return more;
    if (in[at] != ':') {
      if (at == name_start && in[at] == '\n') return fail(400, "bare LF in the header");
      if (is_ows(in[at])) return fail(400, "whitespace before the colon of a header field");
      return fail(400, "invalid header field name");
    }
    if (at == name_start) return fail(400, "empty header field name");
    const auto name = in.substr(name_start, at - name_start);
    ++at;

    const std::size_t value_start = at;
    while (at < end && is_value_char(in[at]))
      ++at;
    if (at == end) return more;
    if (in[at] != '\r')
      return fail(400,
                  in[at] == '\n' ? "bare LF in the header" : "control character in a header value");
    const auto value = trim(in.substr(value_start, at - value_start));
    if (const auto e = end_line(in, at); e != line_end_status::ok)
      return e == line_end_status::partial ? more : fail(400, "bare CR in the header");
    out.push_back({name, value});
  }
}

}  // namespace coronet::http::detail
