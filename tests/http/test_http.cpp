// coronet/http's shared pieces: the response-head parser (every split, limits, status
// line errors), the header-field helpers, the Date format, and the keep-alive request
// loop over loopback (pipelining, idle timeout, head deadline), asserted byte for byte.
#include "support.hpp"

#include <coronet/http/fields.hpp>
#include <coronet/http/keep_alive.hpp>
#include <coronet/http/response.hpp>
#include <coronet/http/response_head.hpp>

#include <array>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using http::parse_status;

namespace {

http::parse_result parse(std::string_view text, http::response_head* out = nullptr,
                         const http::response_limits& limits = {}) {
  http::response_head ignored;
  return http::parse_response_head(text, out != nullptr ? *out : ignored, limits);
}

// The error of a failing head, or "" if it does not fail.
std::string_view failure(std::string_view text, const http::response_limits& limits = {}) {
  const auto r = parse(text, nullptr, limits);
  if (r.status != parse_status::fail) return {};
  CHECK(r.http_status == 0);
  CHECK(!r.error.empty());
  return r.error;
}

const std::string upgrade_answer =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "X-Empty:\r\n"
    "\r\n";

// The Date value of a response, replaced so that responses compare byte for byte.
std::string without_date(const std::string& bytes) {
  static const std::regex date{"\r\nDate: [^\r]*\r\n"};
  return std::regex_replace(bytes, date, "\r\nDate: <date>\r\n");
}

// Answers every request with its method and target, kept alive.
http::response echo_target(const http::request_head& head) {
  http::response r;
  r.body = std::string{head.method} + " " + std::string{head.target} + "\n";
  r.keep_alive = true;
  return r;
}

asio::awaitable<void> serve_echo(connection conn, http::keep_alive_options options) {
  co_await http::serve_requests(conn, echo_target, options);
}

coronet::server::handler_type echo_server(http::keep_alive_options options) {
  // Not a coroutine: it hands the connection to one whose frame owns it.
  return [options](connection conn) { return serve_echo(std::move(conn), options); };
}

// The exact answer of echo_target() to `method target` (its body for a HEAD: none).
std::string echo_bytes(std::string_view method, std::string_view target, bool close = false) {
  const std::string body = std::string{method} + " " + std::string{target} + "\n";
  return "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" +
         (method == "HEAD" ? "" : body);
}

// The size on the wire of a response written as echo_bytes() writes it: an IMF-fixdate
// is always 29 bytes where echo_bytes() has "<date>".
std::size_t wire_size(const std::string& expected) {
  return expected.size() - std::string_view{"<date>"}.size() + 29;
}

// Writes `bytes`, then reads until the server closes or `n` bytes came.
asio::awaitable<std::string> send_and_read(std::uint16_t port, std::string bytes,
                                           std::size_t n = std::string::npos) {
  auto conn = co_await connect("127.0.0.1", port);
  co_await conn.write(asio::buffer(bytes));
  std::string out;
  std::array<char, 4096> chunk{};
  while (out.size() < n) {
    const auto k = co_await conn.read_some(asio::buffer(chunk));
    if (k == 0) break;
    out.append(chunk.data(), k);
  }
  co_return out;
}

}  // namespace

TEST_SUITE("http") {
  TEST_CASE("http: a response head, its fields and what follows it") {
    http::response_head h;
    const std::string input = upgrade_answer + "\x81\x02hi";
    const auto r = parse(input, &h);
    REQUIRE(r.status == parse_status::ready);
    CHECK(r.size == upgrade_answer.size());
    CHECK(input.substr(r.size) == "\x81\x02hi");
    CHECK(h.version_minor == 1);
    CHECK(h.status == 101);
    CHECK(h.reason == "Switching Protocols");
    REQUIRE(h.headers.size() == 4);
    CHECK(h.headers[3].value.empty());
    CHECK(h.find("UPGRADE") == "websocket");
    CHECK(h.has_token("connection", "upgrade"));
    CHECK(!h.has_token("connection", "close"));
    CHECK(h.count("x-empty") == 1);
    // An empty reason, with or without its space; HTTP/1.0.
    REQUIRE(parse("HTTP/1.0 204 \r\n\r\n", &h).status == parse_status::ready);
    CHECK(h.status == 204);
    CHECK(h.version_minor == 0);
    CHECK(h.reason.empty());
    REQUIRE(parse("HTTP/1.1 200\r\nA: b\r\n\r\n", &h).status == parse_status::ready);
    CHECK(h.status == 200);
    CHECK(h.find("a") == "b");
  }

  TEST_CASE("http: a response head split at every byte gives the whole head's answer") {
    const std::vector<std::string> inputs = {
        upgrade_answer, "HTTP/1.1 200\r\n\r\n", "HTTP/1.1 404 Not Found\r\nX: y\r\n\r\nbody",
        // failures: each prefix is `more` or the same failure
        "HTTP/1.1 101 OK\r\nBad Name: x\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "SSH-2.0-OpenSSH\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"};
    for (const auto& text : inputs) {
      CAPTURE(text);
      const auto whole = parse(text);
      REQUIRE(whole.status != parse_status::more);
      for (std::size_t k = 0; k < text.size(); ++k) {
        CAPTURE(k);
        const auto part = parse(std::string_view{text}.substr(0, k));
        if (whole.status == parse_status::ready) {
          CHECK(part.status == (k < whole.size ? parse_status::more : parse_status::ready));
        } else if (part.status != parse_status::more) {
          CHECK(part.status == parse_status::fail);
          CHECK(part.error == whole.error);
        }
      }
    }
  }

  TEST_CASE("http: response head limits") {
    http::response_limits small;
    small.max_head_size = 64;
    CHECK(failure("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a') + "\r\n\r\n", small) ==
          "response head too large");
    // At the limit exactly is fine; one byte less is not.
    const std::string exact = "HTTP/1.1 200 OK\r\nX: " + std::string(40, 'a') + "\r\n\r\n";
    REQUIRE(exact.size() == 64);
    CHECK(parse(exact, nullptr, small).status == parse_status::ready);
    small.max_head_size = 63;
    CHECK(failure(exact, small) == "response head too large");
    // An unfinished head fails once the limit's worth has arrived, not before.
    CHECK(parse(exact.substr(0, 62), nullptr, small).status == parse_status::more);
    std::string fields;
    for (int i = 0; i < 3; ++i)
      fields += "X-" + std::to_string(i) + ": v\r\n";
    http::response_limits few;
    few.max_headers = 2;
    CHECK(failure("HTTP/1.1 200 OK\r\n" + fields + "\r\n", few) == "too many header fields");
    few.max_headers = 3;
    CHECK(failure("HTTP/1.1 200 OK\r\n" + fields + "\r\n", few).empty());
  }

  TEST_CASE("http: status line errors") {
    CHECK(failure("hello\r\n") == "not an HTTP response");
    CHECK(failure("http/1.1 200 OK\r\n") == "not an HTTP response");
    CHECK(failure("HTTP/1.1  200 OK\r\n") == "malformed status line");
    CHECK(failure("HTTP/2.0 200 OK\r\n\r\n") == "HTTP version not supported");
    CHECK(failure("HTTP/1.2 200 OK\r\n\r\n") == "HTTP version not supported");
    CHECK(failure("HTTP/1.1 20x OK\r\n") == "malformed status line");
    CHECK(failure("HTTP/1.1 2000 OK\r\n") == "malformed status line");
    CHECK(failure("HTTP/1.1 099 Low\r\n") == "status code out of range");
    CHECK(failure("HTTP/1.1 600 High\r\n") == "status code out of range");
    CHECK(failure("HTTP/1.1 200 O\x01K\r\n") == "malformed status line");
    CHECK(failure("HTTP/1.1 200 OK\n\r\n") == "malformed status line");  // bare LF
    CHECK(failure("HTTP/1.1 200 OK\rX") == "bare CR in the status line");
    CHECK(failure("HTTP/1.1 200 OK\r\nX : y\r\n\r\n") ==
          "whitespace before the colon of a header field");
    CHECK(failure("HTTP/1.1 200 OK\r\n: y\r\n\r\n") == "empty header field name");
    CHECK(failure("HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n") == "bare LF in the header");
    // A bad field after a good status line still tells the status that was meant.
    http::response_head h;
    CHECK(parse("HTTP/1.1 403 Forbidden\r\nBad Name: x\r\n\r\n", &h).status == parse_status::fail);
    CHECK(h.status == 403);
    // A reused head forgets the previous response.
    REQUIRE(parse("HTTP/1.1 200 OK\r\n\r\n", &h).status == parse_status::ready);
    CHECK(h.headers.empty());
    CHECK(parse("", &h).status == parse_status::more);
    CHECK(h.status == 0);
  }

  TEST_CASE("http: header field helpers") {
    CHECK(http::iequals("Sec-WebSocket-Key", "sec-websocket-key"));
    CHECK(!http::iequals("upgrade", "upgrades"));
    CHECK(!http::iequals("[", "{"));  // 0x20 apart, as cases are, but not letters
    CHECK(http::iequals("", ""));
    CHECK(http::ascii_lower('Q') == 'q');
    CHECK(http::ascii_lower('\xc9') == '\xc9');  // not ASCII: left alone, whatever the locale
    CHECK(http::trim(" \t a b \t ") == "a b");
    CHECK(http::trim(" \t ").empty());
    CHECK(http::trim("\r\nx\r\n") == "\r\nx\r\n");  // only spaces and tabs are OWS
    CHECK(http::list_contains("keep-alive, Upgrade", "upgrade"));
    CHECK(http::list_contains(",,  close  ,", "CLOSE"));
    CHECK(!http::list_contains("upgrades, keep-alive", "upgrade"));
    CHECK(!http::list_contains("", "x"));
    std::vector<std::string_view> elements;
    CHECK(!http::any_list_element("a, ,b ,\tc,", [&](std::string_view e) {
      elements.push_back(e);
      return false;
    }));
    CHECK(elements == std::vector<std::string_view>{"a", "b", "c"});
    CHECK(http::any_list_element("a, b, c", [](std::string_view e) { return e == "b"; }));
    const std::vector<http::header_field> fields = {
        {"Connection", "keep-alive"}, {"connection", "Upgrade"}, {"Host", "h"}};
    CHECK(http::find_field(fields, "CONNECTION") == "keep-alive");
    CHECK(!http::find_field(fields, "origin"));
    CHECK(http::count_fields(fields, "connection") == 2);
    CHECK(http::fields_have_token(fields, "connection", "upgrade"));  // in the second field
    CHECK(!http::fields_have_token(fields, "host", "upgrade"));
    static_assert(http::iequals("ABC", "abc") && http::list_contains("x, Y", "y"));
  }

  TEST_CASE("http: Date is IMF-fixdate (RFC 7231 7.1.1.1), in every response") {
    CHECK(http::format_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC's example
    CHECK(http::format_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(http::format_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(http::format_date(1735689599) == "Tue, 31 Dec 2024 23:59:59 GMT");
    const std::regex fixdate{
        "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] "
        "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
        "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT"};
    CHECK(std::regex_match(http::date_now(), fixdate));
    const auto bytes = http::format(http::error_response(404));
    std::smatch m;
    REQUIRE(std::regex_search(bytes, m, std::regex{"\r\nDate: ([^\r]*)\r\n"}));
    CHECK(std::regex_match(m[1].str(), fixdate));
    CHECK(without_date(bytes) ==
          "HTTP/1.1 404 Not Found\r\nDate: <date>\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 14\r\nConnection: close\r\n\r\n404 Not Found\n");
  }

  TEST_CASE("http: pipelined requests in one write are all answered, in order") {
    running_server s{echo_server({})};
    // Three requests, then half of a fourth that completes in a second write: none of
    // the bytes after a head may be lost.
    std::string out;
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", s.port());
      const std::string burst =
          "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
          "HEAD /b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
          "GET /c HTTP/1.1\r\nHost: h\r\n\r\n"
          "GET /d HTTP/1.1\r\nHo";
      co_await conn.write(asio::buffer(burst));
      co_await sleep_for(50ms);
      const std::string tail = "st: h\r\nConnection: close\r\n\r\n";
      co_await conn.write(asio::buffer(tail));
      out = co_await read_to_eof(conn);
    };
    run(client(), 10s);
    CHECK(without_date(out) == echo_bytes("GET", "/a") + echo_bytes("HEAD", "/b?x=1") +
                                   echo_bytes("GET", "/c") + echo_bytes("GET", "/d", true));
  }

  TEST_CASE("http: HTTP/1.0 keep-alive is said back, and a request with a body closes") {
    running_server s{echo_server({})};
    std::string out;
    run([&]() -> asio::awaitable<void> {
      out = co_await send_and_read(s.port(),
                                   "GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                   "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
                                   "GET /never HTTP/1.1\r\nHost: h\r\n\r\n");
    }());
    const std::string kept =
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 7\r\nConnection: keep-alive\r\n\r\nGET /k\n";
    // The body is not read, so nothing after it is taken for a request.
    CHECK(without_date(out) == kept + echo_bytes("POST", "/p", true));
  }

  TEST_CASE("http: a connection idle between requests is closed after idle_timeout") {
    http::keep_alive_options o;
    o.idle_timeout = 200ms;
    running_server s{echo_server(o)};
    std::string first, rest = "unset";
    std::chrono::steady_clock::duration waited{};
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", s.port());
      const std::string request = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
      co_await conn.write(asio::buffer(request));
      first = co_await read_exactly(conn, wire_size(echo_bytes("GET", "/x")));
      const auto started = std::chrono::steady_clock::now();
      rest = co_await read_to_eof(conn);  // the event: the server closes, saying nothing
      waited = std::chrono::steady_clock::now() - started;
    };
    run(client(), 10s);
    CHECK(without_date(first) == echo_bytes("GET", "/x"));
    CHECK(rest.empty());
    CHECK(waited >= 150ms);
    CHECK(waited < 5s);  // the idle timeout, not the 10 s head timeout
  }

  TEST_CASE("http: a head past its deadline is answered 408, a silent peer just closed") {
    http::keep_alive_options o;
    o.requests.head_timeout = 200ms;
    running_server s{echo_server(o)};
    std::string slow, silent = "unset";
    run([&]() -> asio::awaitable<void> {
      slow = co_await send_and_read(s.port(), "GET /slow HTTP/1.1\r\nHo");
      silent = co_await send_and_read(s.port(), "");
    }());
    CHECK(without_date(slow) ==
          "HTTP/1.1 408 Request Timeout\r\nDate: <date>\r\n"
          "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 52\r\n"
          "Connection: close\r\n\r\n408 Request Timeout: the request head took too long\n");
    CHECK(silent.empty());
    // On a kept-alive connection the time of a later head runs from its first byte.
    std::string patient;
    run([&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", s.port());
      const std::string request = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
      co_await conn.write(asio::buffer(request));
      patient = co_await read_exactly(conn, wire_size(echo_bytes("GET", "/1")));
      co_await sleep_for(300ms);  // longer than head_timeout, shorter than idle_timeout
      co_await conn.write(asio::buffer(request));
      patient += co_await read_exactly(conn, wire_size(echo_bytes("GET", "/1")));
    }());
    CHECK(without_date(patient) == echo_bytes("GET", "/1") + echo_bytes("GET", "/1"));
  }

  TEST_CASE("http: refusals by the reader, and a throwing handler's 500") {
    running_server s{echo_server({})};
    std::string bad, big;
    run([&]() -> asio::awaitable<void> {
      bad = co_await send_and_read(s.port(), "GET /ok HTTP/1.1\r\nHost: h\r\n\r\nhello\r\n");
      big = co_await send_and_read(s.port(), "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n");
    }());
    CHECK(without_date(bad) ==
          echo_bytes("GET", "/ok") +
              "HTTP/1.1 400 Bad Request\r\nDate: <date>\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 40\r\n"
              "Connection: close\r\n\r\n400 Bad Request: malformed request line\n");
    CHECK(big.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));

    const auto fails = [](connection conn) -> asio::awaitable<void> {
      co_await http::serve_requests(conn, [](const http::request_head&) -> http::response {
        throw std::runtime_error("handler broke");
      });
    };
    running_server t{fails};
    std::string answer;
    run([&]() -> asio::awaitable<void> {
      answer = co_await send_and_read(t.port(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    }());
    CHECK(without_date(answer) ==
          "HTTP/1.1 500 Internal Server Error\r\nDate: <date>\r\n"
          "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 26\r\n"
          "Connection: close\r\n\r\n500 Internal Server Error\n");
  }
}
