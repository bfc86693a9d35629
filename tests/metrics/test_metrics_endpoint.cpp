// The HTTP request-head parser (coronet/http/request_head.hpp): valid heads, every head
// split at every byte, limits, malformed lines and fields, versions, framing headers;
// and coronet::metrics_server over loopback: answers, keep-alive, every refusal, slow
// and silent clients, a failing renderer, and curl (or Python) as a client nobody here
// wrote.
#include "process.hpp"
#include "support.hpp"

#include <coronet/http/request_head.hpp>
#include <coronet/metrics/metrics_server.hpp>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
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

// ---- a client for the endpoint ------------------------------------------------------

struct http_response {
  int status = 0;  // 0: the server closed before a whole response
  std::string head;
  std::string body;

  // A response header's value (first match, any case), or "" if absent.
  std::string header(std::string_view name) const {
    std::size_t at = head.find("\r\n");
    while (at != std::string::npos && at + 2 < head.size()) {
      const auto next = head.find("\r\n", at + 2);
      const auto line = std::string_view{head}.substr(at + 2, next - at - 2);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos && colon == name.size()) {
        bool same = true;
        for (std::size_t i = 0; i < colon; ++i)
          same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                             std::tolower(static_cast<unsigned char>(name[i]));
        if (same) {
          auto v = line.substr(colon + 1);
          while (!v.empty() && v.front() == ' ')
            v.remove_prefix(1);
          return std::string{v};
        }
      }
      at = next;
    }
    return {};
  }
};

// Reads one response from `conn`, keeping what follows it in `buf`; the body's length is
// its Content-Length (none after a HEAD).
asio::awaitable<http_response> read_response(connection& conn, std::string& buf,
                                             bool head_request = false) {
  http_response r;
  char chunk[4096];
  std::size_t end = 0;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    const auto n = co_await conn.read_some(asio::buffer(chunk));
    if (n == 0) co_return r;
    buf.append(chunk, n);
  }
  r.head = buf.substr(0, end + 2);
  buf.erase(0, end + 4);
  REQUIRE(r.head.starts_with("HTTP/1.1 "));
  r.status = std::stoi(r.head.substr(9, 3));
  const auto length = r.header("content-length");
  REQUIRE_MESSAGE(!length.empty(), "no Content-Length in " << r.head);
  const std::size_t size = head_request ? 0 : std::stoul(length);
  while (buf.size() < size) {
    const auto n = co_await conn.read_some(asio::buffer(chunk));
    if (n == 0) break;
    buf.append(chunk, n);
  }
  r.body = buf.substr(0, size);
  buf.erase(0, std::min(size, buf.size()));
  co_return r;
}

std::string get_request(std::string_view target = "/metrics", std::string_view extra = "") {
  return "GET " + std::string{target} + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string{extra} +
         "\r\n";
}

// Sends `request` on a new connection and reads one response.
http_response exchange(std::uint16_t port, const std::string& request, bool head_request = false) {
  http_response out;
  const auto client = [&]() -> asio::awaitable<void> {
    auto conn = co_await connect("127.0.0.1", port);
    co_await conn.write(asio::buffer(request));
    std::string buf;
    out = co_await read_response(conn, buf, head_request);
  };
  run(client(), 10s);
  return out;
}

// Sends `bytes` on a new connection, then returns everything the server says until it
// closes (bounded by the test's watchdog, not by this function).
std::string until_closed(std::uint16_t port, const std::string& bytes) {
  std::string out;
  const auto client = [&]() -> asio::awaitable<void> {
    auto conn = co_await connect("127.0.0.1", port);
    if (!bytes.empty()) co_await conn.write(asio::buffer(bytes));
    try {
      out = co_await read_to_eof(conn);
    } catch (const std::system_error&) {
      // reset: what was read is lost, and `out` stays empty
    }
  };
  run(client(), 10s);
  return out;
}

const std::string sample_metrics =
    "# HELP app_up Whether the app is up.\n# TYPE app_up gauge\napp_up 1\n";

// A metrics_server on 127.0.0.1, port 0, with a renderer that counts its calls.
struct endpoint {
  explicit endpoint(metrics_server_options o = {})
      : server{loopback(std::move(o)), [this] {
                 ++renders;
                 if (fail_next.exchange(false)) throw std::runtime_error("renderer broke");
                 return sample_metrics;
               }} {
    server.start();
  }
  static metrics_server_options loopback(metrics_server_options o) {
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }
  std::uint16_t port() const { return server.local_endpoint().port(); }

  // A fresh client still gets the metrics: whatever the last client did, it cost the
  // others nothing.
  void check_still_serves() {
    const auto r = exchange(port(), get_request());
    CHECK(r.status == 200);
    CHECK(r.body == sample_metrics);
  }

  std::atomic<int> renders{0};
  std::atomic<bool> fail_next{false};
  metrics_server server;  // last: stopped before the counters go
};

metrics_server_options short_timeouts() {
  metrics_server_options o;
  o.requests.head_timeout = 300ms;
  return o;
}

// The full path of `name` on PATH, or "".
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (;;) {
    const auto colon = dirs.find(':');
    const auto candidate = std::filesystem::path{std::string{dirs.substr(0, colon)}} / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

}  // namespace

// ---- the parser ---------------------------------------------------------------------

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

TEST_SUITE("metrics") {
  TEST_CASE("metrics: GET returns the callback's body with its headers") {
    endpoint e;
    const auto r = exchange(e.port(), get_request());
    CHECK(r.status == 200);
    CHECK(r.head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(r.header("Content-Length") == std::to_string(sample_metrics.size()));
    CHECK(r.header("Date").ends_with(" GMT"));
    CHECK(r.header("Connection").empty());  // HTTP/1.1: kept alive without saying so
    CHECK(r.body == sample_metrics);
    CHECK(e.renders == 1);
    // A query string still matches the path.
    const auto q = exchange(e.port(), get_request("/metrics?x=1&name[]=a"));
    CHECK(q.status == 200);
    CHECK(q.body == sample_metrics);
  }

  TEST_CASE("metrics: HEAD, then GET on the same connection") {
    endpoint e;
    http_response head, get;
    std::string leftover;
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      const std::string request = "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n" + get_request();
      co_await conn.write(asio::buffer(request));  // pipelined: both in one write
      std::string buf;
      head = co_await read_response(conn, buf, true);
      get = co_await read_response(conn, buf);
      leftover = buf;
    };
    run(client(), 10s);
    CHECK(head.status == 200);
    CHECK(head.header("Content-Length") == std::to_string(sample_metrics.size()));
    CHECK(head.body.empty());
    // Had HEAD sent a body, it would sit in front of the GET's response.
    CHECK(get.status == 200);
    CHECK(get.body == sample_metrics);
    CHECK(leftover.empty());
  }

  TEST_CASE("metrics: keep-alive serves requests one after another on one connection") {
    endpoint e;
    std::vector<http_response> got;
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      std::string buf;
      for (int i = 0; i < 3; ++i) {
        const auto request = get_request();
        co_await conn.write(asio::buffer(request));
        got.push_back(co_await read_response(conn, buf));
      }
      // Connection: close is honoured: answered, said so, then closed.
      const auto last = get_request("/metrics", "Connection: close\r\n");
      co_await conn.write(asio::buffer(last));
      got.push_back(co_await read_response(conn, buf));
      got.back().body += co_await read_to_eof(conn);  // nothing more, then EOF
    };
    run(client(), 10s);
    REQUIRE(got.size() == 4);
    for (const auto& r : got) {
      CHECK(r.status == 200);
      CHECK(r.body == sample_metrics);
    }
    CHECK(got[3].header("Connection") == "close");
    CHECK(e.renders == 4);
  }

  TEST_CASE("metrics: HTTP/1.0 closes unless it asks for keep-alive") {
    endpoint e;
    const auto plain = until_closed(e.port(), "GET /metrics HTTP/1.0\r\n\r\n");
    CHECK(plain.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(plain.find("Connection: close\r\n") != std::string::npos);
    CHECK(plain.ends_with(sample_metrics));
    const auto kept = exchange(e.port(), "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(kept.status == 200);
    CHECK(kept.header("Connection") == "keep-alive");
  }

  TEST_CASE("metrics: other paths are 404, other methods 405") {
    endpoint e;
    for (const auto* target : {"/", "/metricsx", "/metrics/", "/other?metrics"}) {
      CAPTURE(target);
      const auto r = exchange(e.port(), get_request(target));
      CHECK(r.status == 404);
      CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
    }
    http_response post, after;
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      const std::string request =
          "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" + get_request();
      co_await conn.write(asio::buffer(request));
      std::string buf;
      post = co_await read_response(conn, buf);
      after = co_await read_response(conn, buf);  // still kept alive
    };
    run(client(), 10s);
    CHECK(post.status == 405);
    CHECK(post.header("Allow") == "GET, HEAD");
    CHECK(after.status == 200);
    CHECK(e.renders == 1);  // neither 404s nor the 405 rendered anything
  }

  TEST_CASE("metrics: a request with a body is 413 and closes") {
    endpoint e;
    const auto r = until_closed(
        e.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    CHECK(r.starts_with("HTTP/1.1 413 "));
    CHECK(r.find("Connection: close\r\n") != std::string::npos);
    const auto chunked = until_closed(
        e.port(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK(chunked.starts_with("HTTP/1.1 413 "));
    e.check_still_serves();
  }

  TEST_CASE("metrics: a non-HTTP line is 400 and closes") {
    endpoint e;
    const auto r = until_closed(e.port(), "hello\r\n");
    CHECK(r.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    CHECK(r.find("Connection: close\r\n") != std::string::npos);
    e.check_still_serves();
    CHECK(until_closed(e.port(), "GET / HTTP/2.0\r\n\r\n").starts_with("HTTP/1.1 505 "));
    CHECK(until_closed(e.port(), "GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400 "));
    e.check_still_serves();
  }

  TEST_CASE("metrics: a huge request line is 431 and closes") {
    endpoint e;
    const auto r = until_closed(e.port(), "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n");
    CHECK(r.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    e.check_still_serves();
    // So are too many fields.
    std::string fields;
    for (int i = 0; i < 65; ++i)
      fields += "X-" + std::to_string(i) + ": v\r\n";
    CHECK(until_closed(e.port(), get_request("/metrics", fields)).starts_with("HTTP/1.1 431 "));
    e.check_still_serves();
  }

  TEST_CASE("metrics: a slow request gets 408 and is closed, a silent one is closed") {
    endpoint e{short_timeouts()};
    std::string slow_reply, silent_reply, kept_reply;
    bool silent_closed = false;
    const auto slow = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      const std::string half = "GET /metrics HTTP/1.1\r\nHo";
      co_await conn.write(asio::buffer(half));
      slow_reply = co_await read_to_eof(conn);  // the event: the server's answer and close
    };
    const auto silent = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      silent_reply = co_await read_to_eof(conn);
      silent_closed = true;
    };
    const auto started = std::chrono::steady_clock::now();
    run(slow(), 5s);
    run(silent(), 5s);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(slow_reply.starts_with("HTTP/1.1 408 Request Timeout\r\n"));
    CHECK(slow_reply.find("Connection: close\r\n") != std::string::npos);
    CHECK(silent_closed);
    CHECK(silent_reply.empty());  // nothing was asked, so nothing is answered
    CHECK(took >= 2 * 300ms);
    CHECK(took < 4s);  // bounded by request_timeout, not by the 60 s idle timeout
    // A request's time runs from its first byte on a kept-alive connection: a client
    // that waits longer than request_timeout between requests is still served.
    const auto patient = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      std::string buf;
      const auto request = get_request();
      co_await conn.write(asio::buffer(request));
      const auto first = co_await read_response(conn, buf);
      CHECK(first.status == 200);
      co_await sleep_for(500ms);  // the gap under test, longer than request_timeout
      co_await conn.write(asio::buffer(request));
      const auto second = co_await read_response(conn, buf);
      CHECK(second.status == 200);
    };
    run(patient(), 5s);
    e.check_still_serves();
  }

  TEST_CASE("metrics: idle kept-alive connections are closed after idle_timeout") {
    auto o = short_timeouts();
    o.limits.idle_timeout = 300ms;
    endpoint e{o};
    std::string rest = "unset";
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      std::string buf;
      const auto request = get_request();
      co_await conn.write(asio::buffer(request));
      CHECK((co_await read_response(conn, buf)).status == 200);
      rest = co_await read_to_eof(conn);  // the event: the server closes
    };
    run(client(), 5s);
    CHECK(rest.empty());
  }

  TEST_CASE("metrics: a throwing callback is 500 and the server keeps serving") {
    endpoint e;
    e.fail_next = true;
    http_response failed, next;
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      std::string buf;
      const auto request = get_request();
      co_await conn.write(asio::buffer(request));
      failed = co_await read_response(conn, buf);
      co_await conn.write(asio::buffer(request));
      next = co_await read_response(conn, buf);  // the same connection still works
    };
    run(client(), 10s);
    CHECK(failed.status == 500);
    CHECK(failed.body.find("renderer broke") == std::string::npos);  // no internals leak
    CHECK(next.status == 200);
    CHECK(next.body == sample_metrics);
    e.check_still_serves();
  }

  TEST_CASE("metrics: connections over max_connections are closed, the others served") {
    metrics_server_options o;
    o.limits.max_connections = 1;
    endpoint e{o};
    http_response later;
    std::string refused = "unset";
    const auto client = [&]() -> asio::awaitable<void> {
      // Mid-request, so not idle: nothing can be closed to make room for `extra`.
      // Accepted first, so counted first.
      auto held = co_await connect("127.0.0.1", e.port());
      const std::string request = get_request();
      const auto split = request.size() / 2;
      co_await held.write(asio::buffer(request.data(), split));
      auto extra = co_await connect("127.0.0.1", e.port());
      try {
        refused = co_await read_to_eof(extra);
      } catch (const std::system_error&) {
        refused.clear();  // closed with a reset: refused all the same
      }
      co_await held.write(asio::buffer(request.data() + split, request.size() - split));
      std::string buf;
      later = co_await read_response(held, buf);
    };
    run(client(), 10s);
    CHECK(refused.empty());
    CHECK(later.status == 200);
  }

  TEST_CASE("metrics: at max_connections, a newcomer closes the longest-idle kept-alive one") {
    endpoint e;  // the defaults: 16 connections, 60 s idle timeout
    const auto cap = e.server.options().limits.max_connections;
    http_response newcomer, still_kept;
    std::string oldest = "unset";
    const auto client = [&]() -> asio::awaitable<void> {
      // Every slot holds a connection that made one GET and now waits between requests,
      // oldest first; without a pool they lock the next scraper out for 60 s.
      std::vector<connection> held;
      std::vector<std::string> bufs(cap);
      const auto request = get_request();
      for (std::size_t i = 0; i < cap; ++i) {
        held.push_back(co_await connect("127.0.0.1", e.port()));
        co_await held.back().write(asio::buffer(request));
        CHECK((co_await read_response(held.back(), bufs[i])).status == 200);
      }
      auto late = co_await connect("127.0.0.1", e.port());
      std::string buf;
      try {
        co_await late.write(asio::buffer(request));
        newcomer = co_await read_response(late, buf);
      } catch (const std::system_error&) {
        // reset: refused, and `newcomer` stays status 0
      }
      // The event: the longest-idle connection is closed, at once and cleanly.
      try {
        oldest = co_await read_to_eof(held.front());
      } catch (const std::system_error&) {
        oldest = "reset";
      }
      // The others are kept: the next-oldest still answers.
      co_await held[1].write(asio::buffer(request));
      still_kept = co_await read_response(held[1], bufs[1]);
    };
    run(client(), 10s);
    CHECK(newcomer.status == 200);
    CHECK(newcomer.body == sample_metrics);
    CHECK(oldest.empty());
    CHECK(still_kept.status == 200);
  }

  TEST_CASE("metrics: stop() ends kept-alive connections and wait() returns") {
    endpoint e;
    std::string after_stop = "unset";
    const auto client = [&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", e.port());
      std::string buf;
      const auto request = get_request();
      co_await conn.write(asio::buffer(request));
      CHECK((co_await read_response(conn, buf)).status == 200);
      e.server.stop();
      after_stop = co_await read_to_eof(conn);  // the event: the server closes it
    };
    run(client(), 10s);
    CHECK(after_stop.empty());
    e.server.wait();
    CHECK_THROWS_AS(exchange(e.port(), get_request()), std::system_error);  // no one listens
  }

  TEST_CASE("metrics: options are checked") {
    const auto render = [] { return std::string{}; };
    metrics_server_options o;
    o.path = "metrics";
    CHECK_THROWS_AS(metrics_server(o, render), std::invalid_argument);
    CHECK_THROWS_AS(metrics_server({}, nullptr), std::invalid_argument);
    o = {};
    o.path = "/custom";
    endpoint e{o};
    CHECK(e.server.options().path == "/custom");
    CHECK(exchange(e.port(), get_request("/custom")).status == 200);
    CHECK(exchange(e.port(), get_request("/metrics")).status == 404);
  }

  TEST_CASE("metrics: curl (or Python's urllib) scrapes it") {
    endpoint e;
    const auto url = "http://127.0.0.1:" + std::to_string(e.port()) + "/metrics";
    const auto curl = find_program("curl");
    if (!curl.empty()) {
      // Two URLs in one run: curl reuses the kept-alive connection for the second
      // (num_connects 0), so keep-alive works with a client nobody here wrote.
      const auto got =
          run_to_end({curl, "--silent", "--show-error", "--max-time", "10", "--include",
                      "--write-out", "connects=%{num_connects}\n", url, url + "?again=1"});
      CHECK(got.code == 0);
      CAPTURE(got.out);
      CAPTURE(got.err);
      CHECK(got.out.starts_with("HTTP/1.1 200 OK\r\n"));
      CHECK(got.out.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") !=
            std::string::npos);
      CHECK(got.out.find(sample_metrics + "connects=1\n") != std::string::npos);
      CHECK(got.out.find(sample_metrics + "connects=0\n") != std::string::npos);
      CHECK(e.renders == 2);
      // HEAD (curl --head) and a 404 as curl reports them.
      const auto head = run_to_end({curl, "--silent", "--max-time", "10", "--head", url});
      CHECK(head.out.starts_with("HTTP/1.1 200 OK\r\n"));
      CHECK(head.out.find("Content-Length: " + std::to_string(sample_metrics.size())) !=
            std::string::npos);
      const auto missing = run_to_end({curl, "--silent", "--max-time", "10", "--output",
                                       "/dev/null", "--write-out", "%{http_code}", url + "x"});
      CHECK(missing.out == "404");
    } else {
      const auto python = find_program("python3");
      REQUIRE_MESSAGE(!python.empty(), "neither curl nor python3 is installed");
      const auto got = run_to_end({python, "-c",
                                   "import sys, urllib.request\n"
                                   "with urllib.request.urlopen(sys.argv[1], timeout=10) as r:\n"
                                   "    print(r.status, r.headers['Content-Type'])\n"
                                   "    sys.stdout.write(r.read().decode())\n",
                                   url});
      CHECK(got.code == 0);
      CHECK(got.out == "200 text/plain; version=0.0.4; charset=utf-8\n" + sample_metrics);
    }
    e.check_still_serves();
  }
}
