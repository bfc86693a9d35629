// parse_response_head: one pass, left to right, over the bytes received so far, under
// the same rules as parse_request_head (request_head.cpp): every check is made at the
// byte that decides it, so a prefix fails exactly when the whole would fail for a reason
// inside that prefix, and running out of bytes anywhere means "more".
#include "coronet/http/response_head.hpp"

#include "field_lines.hpp"

#include "coronet/http/detail/syntax.hpp"

namespace coronet::http {
namespace {

using status = parse_status;
using detail::is_digit;
using detail::is_value_char;

parse_result fail(std::string_view why) {
  return {status::fail, 0, 0, why};
}

parse_result parse(std::string_view in, response_head& out, const response_limits& limits) {
  const auto more = parse_result{};
  std::size_t at = 0;
  const std::size_t end = in.size();

  // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
  constexpr std::string_view version_form = "HTTP/0.0 000";
  for (std::size_t i = 0; i < version_form.size(); ++i, ++at) {
    if (at == end) return more;
    const char want = version_form[i];
    const char c = in[at];
    if (want == '0' ? !is_digit(c) : c != want)
      return fail(i < 8 ? "not an HTTP response" : "malformed status line");
    if (i == 7 && (in[5] != '1' || (in[7] != '0' && in[7] != '1')))
      return fail("HTTP version not supported");
  }
  out.version_minor = in[7] - '0';
  const int code = (in[9] - '0') * 100 + (in[10] - '0') * 10 + (in[11] - '0');
  if (code < 100 || code > 599) return fail("status code out of range");
  out.status = code;
  if (at == end) return more;
  if (in[at] == ' ') {
    ++at;
    const std::size_t reason_start = at;
    while (at < end && is_value_char(in[at]))
      ++at;
    if (at == end) return more;
    out.reason = in.substr(reason_start, at - reason_start);
  }
  if (in[at] != '\r') return fail("malformed status line");
  if (const auto e = detail::end_line(in, at); e != detail::line_end_status::ok)
    return e == detail::line_end_status::partial ? more : fail("bare CR in the status line");

  auto r = detail::parse_field_lines(in, at, out.headers, limits.max_headers);
  r.http_status = 0;  // a client answers nobody
  return r;
}

}  // namespace

parse_result parse_response_head(std::string_view data, response_head& out,
                                 const response_limits& limits) {
  out.version_minor = 1;
  out.status = 0;
  out.reason = {};
  out.headers.clear();  // keeps its capacity
  const auto r = parse(data.substr(0, limits.max_head_size), out, limits);
  // Out of bytes with the limit's worth in hand: the head is larger than allowed.
  if (r.status == status::more && data.size() >= limits.max_head_size)
    return fail("response head too large");
  return r;
}

}  // namespace coronet::http
