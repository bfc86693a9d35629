// The HTTP request-head parser (coronet/http/request_head.hpp): valid heads, every head
// split at every byte, limits, malformed lines and fields, versions, framing headers.
#include "metrics_support.hpp"

#include <coronet/http/request_head.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace coronet;
using coronet::test::metrics_support::get_request;
using http::parse_request_head;
using http::parse_status;

namespace {

http::parse_result parse(std::string_view text, http::request_head* out = nullptr,
                         const http::request_limits& limits = {}) {
  http::request_head ignored;
  return parse_request_head(text, out != nullptr ? *out : ignored, limits);
}

// The status of a failing head, or 0 if it does not fail.
int refusal(std::string_view text, const http::request_limits& limits = {}) {
  const auto r = parse(text, nullptr, limits);
  if (r.status == parse_status::fail) CHECK(!r.error.empty());
  return r.status == parse_status::fail ? r.http_status : 0;
}

// Every prefix shorter than the head is `more`; the head and anything after it give the
// whole parse's answer. For a failing input: every prefix is `more` or the same failure.
void check_every_split(const std::string& text, const http::request_limits& limits = {}) {
  CAPTURE(text);
  const auto whole = parse(text, nullptr, limits);
  REQUIRE(whole.status != parse_status::more);
  for (std::size_t k = 0; k < text.size(); ++k) {
    CAPTURE(k);
    const auto r = parse(std::string_view{text}.substr(0, k), nullptr, limits);
    if (whole.status == parse_status::ready) {
      if (k < whole.size) {
        CHECK(r.status == parse_status::more);
      } else {
        CHECK(r.status == parse_status::ready);
        CHECK(r.size == whole.size);
      }
    } else if (r.status != parse_status::more) {
      CHECK(r.status == parse_status::fail);
      CHECK(r.http_status == whole.http_status);
      CHECK(r.error == whole.error);
    }
  }
}

}  // namespace

TEST_SUITE("http") {
  TEST_CASE("http: a valid request head") {
    const std::string text =
        "GET /metrics?x=1 HTTP/1.1\r\n"
        "Host: 127.0.0.1:9100\r\n"
        "User-Agent:Prometheus/2.42\r\n"
        "Accept: text/plain;version=0.0.4 \t \r\n"
        "X-Empty:\r\n"
        "X-Latin1: caf\xe9\r\n"
        "\r\n";
    const std::string input = text + "next request";
    http::request_head h;
    const auto r = parse(input, &h);
    REQUIRE(r.status == parse_status::ready);
    CHECK(r.size == text.size());
    CHECK(r.http_status == 0);
    CHECK(h.method == "GET");
    CHECK(h.target == "/metrics?x=1");
    CHECK(h.path() == "/metrics");
    CHECK(h.query() == "x=1");
    CHECK(h.version_major == 1);
    CHECK(h.version_minor == 1);
    REQUIRE(h.headers.size() == 5);
    CHECK(h.headers[0].name == "Host");
    CHECK(h.headers[0].value == "127.0.0.1:9100");
    CHECK(h.headers[1].value == "Prometheus/2.42");           // no space after the colon is fine
    CHECK(h.headers[2].value == "text/plain;version=0.0.4");  // trailing whitespace trimmed
    CHECK(h.headers[3].value.empty());
    CHECK(h.headers[4].value == "caf\xe9");  // obs-text is allowed in values
    CHECK(h.find("HOST") == "127.0.0.1:9100");
    CHECK(h.find("user-agent") == "Prometheus/2.42");
    CHECK(!h.find("cookie"));
    CHECK(h.count("host") == 1);
    CHECK(!h.content_length);
    CHECK(!h.chunked);
    CHECK(!h.has_body());
    CHECK(h.keep_alive());
    // Every view points into the caller's buffer: no copies.
    const auto inside = [&](std::string_view v) {
      return v.data() >= text.data() && v.data() + v.size() <= text.data() + text.size();
    };
    http::request_head again;
    REQUIRE(parse(text, &again).status == parse_status::ready);
    CHECK(inside(again.method));
    CHECK(inside(again.target));
    for (const auto& f : again.headers) {
      CHECK(inside(f.name));
      CHECK(inside(f.value));
    }
  }

  TEST_CASE("http: targets, empty lines before the request line, HTTP/1.0") {
    http::request_head h;
    auto r = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &h);
    REQUIRE(r.status == parse_status::ready);  // RFC 9112 2.2: leading empty lines ignored
    CHECK(r.size == 31);
    CHECK(h.path() == "/");
    CHECK(h.query().empty());

    REQUIRE(
        parse("GET http://example.com:9100/metrics?a=b HTTP/1.1\r\nHost: x\r\n\r\n", &h).status ==
        parse_status::ready);
    CHECK(h.path() == "/metrics");  // absolute-form, as proxies send it
    CHECK(h.query() == "a=b");
    REQUIRE(parse("GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n", &h).status ==
            parse_status::ready);
    CHECK(h.path() == "/");
    REQUIRE(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", &h).status == parse_status::ready);
    CHECK(h.path() == "*");

    // HTTP/1.0 needs no Host, and is not kept alive unless it asks.
    REQUIRE(parse("GET /metrics HTTP/1.0\r\n\r\n", &h).status == parse_status::ready);
    CHECK(h.version_minor == 0);
    CHECK(!h.keep_alive());
    REQUIRE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h).status ==
            parse_status::ready);
    CHECK(h.keep_alive());
  }

  TEST_CASE("http: keep_alive and has_token follow the Connection header") {
    // The head views its buffer, so each request is kept in a variable while it is used.
    http::request_head h;
    const auto close = get_request("/", "Connection: close\r\n");
    REQUIRE(parse(close, &h).status == parse_status::ready);
    CHECK(!h.keep_alive());
    const auto both = get_request("/", "Connection: keep-alive, CLOSE\r\n");
    REQUIRE(parse(both, &h).status == parse_status::ready);
    CHECK(!h.keep_alive());  // close wins
    const auto upgrade =
        get_request("/", "Connection: Upgrade\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n");
    REQUIRE(parse(upgrade, &h).status == parse_status::ready);
    CHECK(h.keep_alive());
    CHECK(h.has_token("connection", "upgrade"));
    CHECK(h.has_token("Connection", "KEEP-ALIVE"));  // tokens in repeated fields count too
    CHECK(h.has_token("upgrade", "websocket"));
    CHECK(!h.has_token("connection", "close"));
    CHECK(!h.has_token("connection", "keep"));  // whole elements only
    CHECK(h.count("connection") == 2);
    const auto closed = get_request("/", "Connection: ,, closed , \r\n");
    REQUIRE(parse(closed, &h).status == parse_status::ready);
    CHECK(h.keep_alive());  // "closed" is not "close"
  }

  TEST_CASE("http: every head split at every byte is incomplete then done") {
    const std::vector<std::string> heads{
        get_request(),
        get_request("/metrics?x=1", "Accept: */*\r\nConnection: keep-alive\r\n"),
        "HEAD / HTTP/1.0\r\n\r\n",
        "\r\nPOST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\nbody follows",
        "PUT /x HTTP/1.1\r\nhost:h\r\ntransfer-encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-Tabs:\t a \t\r\n\r\n",
    };
    for (const auto& h : heads)
      check_every_split(h);
    // And the failures: each prefix is either still `more` or the same failure.
    const std::vector<std::string> bad{
        "hello\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
    };
    for (const auto& b : bad)
      check_every_split(b);
    http::request_limits small;
    small.max_head_size = 40;
    check_every_split(get_request("/a-target-long-enough-to-pass-the-limit"), small);
  }

  TEST_CASE("http: limits on head size and header count") {
    // Exactly the limit is fine; one byte more is 431, as soon as the limit is reached.
    http::request_limits limits;
    limits.max_head_size = 64;
    std::string exact = get_request("/", "X: \r\n");
    exact.insert(exact.find("X: ") + 3, 64 - exact.size(), 'a');
    REQUIRE(exact.size() == 64);
    CHECK(parse(exact, nullptr, limits).status == parse_status::ready);
    std::string over = exact;
    over.insert(over.find("X: ") + 3, "a");
    CHECK(refusal(over, limits) == 431);
    CHECK(refusal(over.substr(0, 64), limits) == 431);  // no need to wait for the rest
    CHECK(parse(over.substr(0, 63), nullptr, limits).status == parse_status::more);

    // The default: 8 KiB. A huge request line is refused at 8192 bytes.
    const std::string huge_line = "GET /" + std::string(20000, 'a');
    CHECK(refusal(huge_line) == 431);
    CHECK(parse(std::string_view{huge_line}.substr(0, 8191)).status == parse_status::more);

    // 64 header fields by default; the 65th is 431.
    std::string fields;
    for (int i = 0; i < 63; ++i)
      fields += "X-" + std::to_string(i) + ": v\r\n";
    http::request_head h;
    REQUIRE(parse(get_request("/", fields), &h).status == parse_status::ready);
    CHECK(h.headers.size() == 64);
    CHECK(refusal(get_request("/", fields + "One-More: v\r\n")) == 431);
    limits = {};
    limits.max_headers = 2;
    CHECK(refusal(get_request("/", "A: 1\r\nB: 2\r\n"), limits) == 431);
    CHECK(parse(get_request("/", "A: 1\r\n"), nullptr, limits).status == parse_status::ready);
  }

  TEST_CASE("http: malformed request lines are 400, at once") {
    for (const std::string line :
         {"hello\r\n", "GET  / HTTP/1.1\r\n", "GET / HTTP/1.1 \r\n", " GET / HTTP/1.1\r\n",
          "GET /\r\n", "GET / http/1.1\r\n", "GET / HTTP/1\r\n", "GET / HTTP/1.10\r\n",
          "GET / HTTP/11\r\n", "GET /a\x01 HTTP/1.1\r\n", "GET /caf\xc3\xa9 HTTP/1.1\r\n",
          "G(T / HTTP/1.1\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc",
          "SSH-2.0-OpenSSH_9.2\r\n"}) {
      CAPTURE(line);
      // Refused as soon as the line has arrived, without waiting for the blank line.
      CHECK(refusal(line) == 400);
    }
    CHECK(refusal("GET / HTTP/1.1\r\n") == 0);  // a valid line: waits for the fields
  }

  TEST_CASE("http: bad header names, obs-fold, bare LF and CR") {
    const auto with = [](std::string_view field) {
      return "GET / HTTP/1.1\r\nHost: h\r\n" + std::string{field} + "\r\n";
    };
    CHECK(refusal(with("Name : x\r\n")) == 400);  // whitespace before the colon
    CHECK(refusal(with("Bad Name: x\r\n")) == 400);
    CHECK(refusal(with(": x\r\n")) == 400);
    CHECK(refusal(with("N(ame: x\r\n")) == 400);
    CHECK(refusal(with("NoColon\r\n")) == 400);
    CHECK(refusal(with("X: a\x01z\r\n")) == 400);  // control byte in a value
    CHECK(refusal(with("X: a\x7fz\r\n")) == 400);
    CHECK(refusal(with("X: a\r\n b\r\n")) == 400);  // obs-fold
    CHECK(refusal(with("X: a\r\n\tb\r\n")) == 400);
    CHECK(refusal("GET / HTTP/1.1\r\n Host: h\r\n\r\n") == 400);  // whitespace first
    CHECK(refusal("GET / HTTP/1.1\nHost: h\n\n") == 400);         // bare LF line ends
    CHECK(refusal(with("X: a\n")) == 400);
    CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\n\n") == 400);
    CHECK(refusal(with("X: a\rb\r\n")) == 400);  // bare CR
    CHECK(refusal("GET / HTTP/1.1\rX") == 400);
    CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\n\rX") == 400);
    CHECK(refusal("\rGET / HTTP/1.1\r\n") == 400);
    CHECK(refusal("\nGET / HTTP/1.1\r\n") == 400);
    // A CR at the very end may still be followed by its LF.
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r").status == parse_status::more);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\n\r").status == parse_status::more);
  }

  TEST_CASE("http: versions other than HTTP/1.0 and 1.1 are 505") {
    CHECK(refusal("GET / HTTP/2.0\r\n") == 505);
    CHECK(refusal("GET / HTTP/1.2\r\n") == 505);
    CHECK(refusal("GET / HTTP/0.9\r\n") == 505);
    CHECK(refusal("GET / HTTP/3.1\r\nHost: h\r\n\r\n") == 505);
    CHECK(refusal("GET / HTTP/1.0\r\n\r\n") == 0);
    CHECK(refusal(get_request()) == 0);
  }

  TEST_CASE("http: Host, Content-Length and Transfer-Encoding") {
    http::request_head h;
    CHECK(refusal("GET / HTTP/1.1\r\n\r\n") == 400);  // HTTP/1.1 without Host
    CHECK(refusal("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
    CHECK(refusal("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n") == 400);

    REQUIRE(parse(get_request("/", "Content-Length: 42\r\n"), &h).status == parse_status::ready);
    CHECK(h.content_length == 42u);
    CHECK(h.has_body());
    REQUIRE(parse(get_request("/", "Content-Length: 0\r\n"), &h).status == parse_status::ready);
    CHECK(h.content_length == 0u);
    CHECK(!h.has_body());
    REQUIRE(parse(get_request("/", "Content-Length: 7\r\ncontent-length: 7\r\n"), &h).status ==
            parse_status::ready);
    CHECK(h.content_length == 7u);
    REQUIRE(parse(get_request("/", "Content-Length: 18446744073709551615\r\n"), &h).status ==
            parse_status::ready);
    CHECK(h.content_length == 18446744073709551615u);
    CHECK(refusal(get_request("/", "Content-Length: 18446744073709551616\r\n")) == 400);
    CHECK(refusal(get_request("/", "Content-Length: 7\r\nContent-Length: 8\r\n")) == 400);
    CHECK(refusal(get_request("/", "Content-Length: 5, 5\r\n")) == 400);
    CHECK(refusal(get_request("/", "Content-Length: -1\r\n")) == 400);
    CHECK(refusal(get_request("/", "Content-Length: +1\r\n")) == 400);
    CHECK(refusal(get_request("/", "Content-Length:\r\n")) == 400);

    REQUIRE(parse(get_request("/", "Transfer-Encoding: Chunked\r\n"), &h).status ==
            parse_status::ready);
    CHECK(h.chunked);
    CHECK(h.has_body());
    CHECK(refusal(get_request("/", "Transfer-Encoding: gzip, chunked\r\n")) == 501);
    CHECK(refusal(get_request(
              "/", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")) == 501);
    CHECK(refusal(get_request("/", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n")) == 400);
    CHECK(refusal("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  }

  TEST_CASE("http: a reused request_head forgets the previous request") {
    http::request_head h;
    REQUIRE(parse(get_request("/a", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"), &h)
                .status == parse_status::fail);
    REQUIRE(parse("GET /b HTTP/1.0\r\n\r\n", &h).status == parse_status::ready);
    CHECK(h.target == "/b");
    CHECK(h.headers.empty());
    CHECK(!h.content_length);
    CHECK(!h.chunked);
    CHECK(http::reason_phrase(431) == "Request Header Fields Too Large");
    CHECK(http::reason_phrase(299).empty());
  }
}

// ---- the endpoint -------------------------------------------------------------------
