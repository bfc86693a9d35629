// coronet::metrics_server against slow, silent, idle and too many clients, a failing
// renderer, a stop, bad options, and curl (or Python) as a client nobody here wrote.
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
