// coronet::metrics_server over loopback: answers, keep-alive, every refusal, slow and
// silent clients, a failing renderer, and curl (or Python) as a client nobody here
// wrote. (The request-head parser it uses: tests/http/test_request_head.cpp.)
#include "metrics_support.hpp"
#include "process.hpp"
#include "support.hpp"

#include <coronet/metrics/metrics_server.hpp>

#include <atomic>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::metrics_support;

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
}
