// parse_response_head: one pass, left to right, over the bytes received so far, under
// the same rules as parse_request_head (request_head.cpp): every check is made at the
// byte that decides it, so a prefix fails exactly when the whole would fail for a reason
// inside that prefix, and running out of bytes anywhere means "more".
#include "coronet/http/response_head.hpp"

#include "coronet/http/detail/syntax.hpp"

namespace coronet::http {
namespace {

using status = parse_status;
using detail::is_digit;
using detail::is_ows;
using detail::is_tchar;
using detail::is_value_char;

parse_result fail(std::string_view why) {
  return {status::fail, 0, 0, why};
}

parse_result parse(std::string_view in, response_head& out, const response_limits& limits) {
  const auto more = parse_result{};
  std::size_t at = 0;
  const std::size_t end = in.size();

  // Ends a line at `at`, which holds a CR: CR LF, or more, or a bare CR.
  enum class eol { ok, partial, bad };
  const auto line_end = [&]() {
    if (at + 1 >= end) return eol::partial;
    if (in[at + 1] != '\n') return eol::bad;
    at += 2;
    return eol::ok;
  };

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
  if (const auto e = line_end(); e != eol::ok)
    return e == eol::partial ? more : fail("bare CR in the status line");

  // field-line = field-name ":" OWS field-value OWS CRLF, until an empty line.
  for (;;) {
    if (at == end) return more;
    if (in[at] == '\r') {
      if (const auto e = line_end(); e != eol::ok)
        return e == eol::partial ? more : fail("bare CR in the header");
      return {status::ready, at, 0, {}};
    }
    if (is_ows(in[at])) return fail("obs-fold or whitespace before a header field");
    if (out.headers.size() == limits.max_headers) return fail("too many header fields");

    const std::size_t name_start = at;
    while (at < end && is_tchar(in[at]))
      ++at;
    if (at == end) return more;
    if (in[at] != ':') {
      if (is_ows(in[at])) return fail("whitespace before the colon of a header field");
      return fail("invalid header field name");
    }
    if (at == name_start) return fail("empty header field name");
    const auto name = in.substr(name_start, at - name_start);
    ++at;

    const std::size_t value_start = at;
    while (at < end && is_value_char(in[at]))
      ++at;
    if (at == end) return more;
    if (in[at] != '\r')
      return fail(in[at] == '\n' ? "bare LF in the header" : "control character in a header value");
    const auto value = trim(in.substr(value_start, at - value_start));
    if (const auto e = line_end(); e != eol::ok)
      return e == eol::partial ? more : fail("bare CR in the header");
    out.headers.push_back({name, value});
  }
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
