// parse_request_head: one pass, left to right, over the bytes received so far.
//
// Every check is made at the byte that decides it, looking only at the bytes before it.
// So a prefix of a head fails exactly when the whole would fail for a reason inside that
// prefix, and running out of bytes anywhere means "more" (fuzz/fuzz_http_request_head
// checks both). The size limit is applied by parsing only the first max_head_size bytes:
// whatever lies past them cannot change the answer.
#include "coronet/http/request_head.hpp"

#include "field_lines.hpp"

#include "coronet/http/detail/syntax.hpp"
#include "coronet/http/fields.hpp"

#include <algorithm>
#include <limits>

namespace coronet::http {
namespace {

using status = parse_status;
using detail::is_digit;
using detail::is_tchar;
using detail::is_vchar;

parse_result fail(int http_status, std::string_view why) {
  return {status::fail, 0, http_status, why};
}

// The checks that need the whole head: framing (Content-Length, Transfer-Encoding) and
// Host. A server and a proxy in front of it must agree on where a request ends, so
// anything two implementations could read differently is refused.
parse_result check_fields(request_head& out, std::size_t size) {
  std::size_t hosts = 0;
  bool transfer_encoding = false;
  for (const auto& f : out.headers) {
    if (iequals(f.name, "host")) {
      ++hosts;
    } else if (iequals(f.name, "content-length")) {
      // 1*DIGIT; a repeat must say the same (RFC 9112 6.3). Lists ("5, 5") are refused.
      const auto v = f.value;
      if (v.empty() || !std::all_of(v.begin(), v.end(), is_digit))
        return fail(400, "invalid Content-Length");
      std::uint64_t n = 0;
      for (char c : v) {
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
          return fail(400, "Content-Length too large");
        n = n * 10 + d;
      }
      if (out.content_length && *out.content_length != n)
        return fail(400, "conflicting Content-Length fields");
      out.content_length = n;
    } else if (iequals(f.name, "transfer-encoding")) {
      // Anything but a single "chunked" would need codings this parser does not know
      // (gzip, "chunked, chunked", ...): 501, which RFC 9112 6.1 allows.
      if (transfer_encoding || !iequals(f.value, "chunked"))
        return fail(501, "Transfer-Encoding other than chunked");
      transfer_encoding = true;
    }
  }
  if (transfer_encoding && out.content_length)
    return fail(400, "both Transfer-Encoding and Content-Length");
  if (transfer_encoding && out.version_minor == 0)
    return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host, and to
  // any request with more than one.
  if (hosts > 1) return fail(400, "more than one Host field");
  if (hosts == 0 && out.version_minor == 1) return fail(400, "HTTP/1.1 request without Host");
  out.chunked = transfer_encoding;
  return {status::ready, size, 0, {}};
}

// The parse itself, on at most max_head_size bytes. `more` means the bytes ran out.
parse_result parse(std::string_view in, request_head& out, const request_limits& limits) {
  const auto more = parse_result{};
  std::size_t at = 0;
  const std::size_t end = in.size();

  // Empty lines before the request line (a client may send a CR LF after a body).
  while (at < end && in[at] == '\r') {
    if (const auto e = detail::end_line(in, at); e != detail::line_end_status::ok)
      return e == detail::line_end_status::partial ? more
                                                   : fail(400, "bare CR in the request line");
  }

  // request-line = method SP request-target SP HTTP-version CRLF, single spaces.
  const std::size_t method_start = at;
  while (at < end && is_tchar(in[at]))
    ++at;
  if (at == end) return more;
  if (at == method_start || in[at] != ' ') return fail(400, "malformed request line");
  out.method = in.substr(method_start, at - method_start);
  ++at;

  const std::size_t target_start = at;
  while (at < end && is_vchar(in[at]))
    ++at;
  if (at == end) return more;
  if (at == target_start) return fail(400, "malformed request line");
  if (in[at] != ' ')  // "GET /\r\n" is HTTP/0.9, which is not served
    return fail(400,
                in[at] == '\r' ? "request line without a version" : "malformed request target");
  out.target = in.substr(target_start, at - target_start);
  ++at;

  // "HTTP/" DIGIT "." DIGIT, compared byte by byte so a bad one fails as it arrives.
  constexpr std::string_view version_form = "HTTP/0.0";
  for (char want : version_form) {
    if (at == end) return more;
    const char c = in[at];
    if (want == '0' ? !is_digit(c) : c != want) return fail(400, "malformed HTTP version");
    ++at;
  }
  if (at == end) return more;
  if (in[at] != '\r') return fail(400, "malformed HTTP version");
  if (const auto e = detail::end_line(in, at); e != detail::line_end_status::ok)
    return e == detail::line_end_status::partial ? more : fail(400, "bare CR in the request line");
  out.version_major = in[at - 5] - '0';
  out.version_minor = in[at - 3] - '0';
  if (out.version_major != 1 || out.version_minor > 1)
    return fail(505, "HTTP version not supported");

  auto r = detail::parse_field_lines(in, at, out.headers, limits.max_headers);
  if (r.status != status::ready) return r;
  return check_fields(out, r.size);
}

}  // namespace

parse_result parse_request_head(std::string_view data, request_head& out,
                                const request_limits& limits) {
  out.method = {};
  out.target = {};
  out.version_major = 1;
  out.version_minor = 1;
  out.headers.clear();  // keeps its capacity: a connection's requests reuse it
  out.content_length.reset();
  out.chunked = false;
  const auto r = parse(data.substr(0, limits.max_head_size), out, limits);
  // Out of bytes with the limit's worth in hand: the head is larger than allowed.
  if (r.status == status::more && data.size() >= limits.max_head_size)
    return fail(431, "request head too large");
  return r;
}

std::optional<std::string_view> request_head::find(std::string_view name) const noexcept {
  return find_field(headers, name);
}

std::size_t request_head::count(std::string_view name) const noexcept {
  return count_fields(headers, name);
}

bool request_head::has_token(std::string_view name, std::string_view token) const noexcept {
  return fields_have_token(headers, name, token);
}

bool request_head::keep_alive() const noexcept {
  if (has_token("connection", "close")) return false;
  return version_minor >= 1 || has_token("connection", "keep-alive");
}

std::string_view request_head::path() const noexcept {
  auto t = target.substr(0, target.find('?'));
  // absolute-form: scheme "://" authority path; an empty path there means "/".
  if (const auto scheme = t.find("://"); !t.starts_with('/') && scheme != std::string_view::npos) {
    const auto slash = t.find('/', scheme + 3);
    return slash == std::string_view::npos ? std::string_view{"/"} : t.substr(slash);
  }
  return t;  // origin-form "/p", asterisk-form "*" or authority-form "host:port"
}

std::string_view request_head::query() const noexcept {
  const auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 421:
      return "Misdirected Request";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

}  // namespace coronet::http
