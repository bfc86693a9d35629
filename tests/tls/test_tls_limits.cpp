// TLS under pressure: graceful stop against a silent peer, many concurrent handshakes,
// limits over TLS, and the reliability promises of the TCP suite over TLS.
#include "reliability_support.hpp"
#include "support.hpp"
#include "tls_support.hpp"

#include <coronet/tls.hpp>

#include <asio/connect.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::reliability_support;

TEST_SUITE("tls") {
  TEST_CASE("tls: a graceful stop is not held by a peer that never answers close_notify") {
    auto options = tls_server();
    options.shutdown.timeout = 5s;
    running_server s{echo_handler, options};
    run([&]() -> asio::awaitable<void> {
      std::vector<connection> idle;
      for (int i = 0; i < 20; ++i)
        idle.push_back(co_await tls_connect(s.port(), trusting_client()));
      // The clients now read nothing and answer nothing.
      const auto started = std::chrono::steady_clock::now();
      std::thread stopper([&] { s.stop_and_wait(); });
      stopper.join();
      CHECK(std::chrono::steady_clock::now() - started < 4s);
      // Each client got close_notify (a clean end), not a reset.
      for (auto& conn : idle)
        CHECK(co_await read_to_eof(conn) == "");
    }());
  }

  // Server threads and the test thread meet here: run again under TSan.
  TEST_CASE("tls: 1000 concurrent handshakes complete" * doctest::test_suite("threads")) {
    auto options = tls_server();
    options.threads = 2;
    running_server s{echo_handler, options};
    run(
        [&]() -> asio::awaitable<void> {
          auto ex = co_await asio::this_coro::executor;
          auto ctx = trusting_client();
          int ok = 0, done = 0;
          constexpr int clients = 1000;
          for (int i = 0; i < clients; ++i) {
            asio::co_spawn(
                ex,
                [&]() -> asio::awaitable<void> {
                  auto conn = co_await tls_connect(s.port(), ctx);
                  co_await conn.write(asio::buffer("!", 1));
                  if (co_await read_exactly(conn, 1) == "!") ++ok;
                },
                [&](std::exception_ptr e) {
                  if (e) MESSAGE(describe(e));
                  ++done;
                });
          }
          while (done < clients)
            co_await sleep_for(20ms);
          CHECK(ok == clients);
        }(),
        120s);
    CHECK(s.server().stats().total.closed(close_cause::handshake_failed) == 0);
  }

  TEST_CASE("tls: idle timeout and max_connections hold over TLS") {
    auto options = tls_server();
    options.limits.idle_timeout = 200ms;
    options.limits.max_connections = 2;
    running_server s{echo_handler, options};
    run([&]() -> asio::awaitable<void> {
      auto a = co_await tls_connect(s.port(), trusting_client());
      auto b = co_await tls_connect(s.port(), trusting_client());
      // A third is over the cap: accepted and closed before any handshake.
      auto third = co_await failure_of(s.port(), trusting_client());
      CHECK(third != "");
      // The idle ones are closed by the timeout: a clean end of stream.
      CHECK(co_await read_to_eof(a) == "");
      CHECK(co_await read_to_eof(b) == "");
    }());
    CHECK(s.server().stats().total.connections_refused >= 1);
  }
}

// The reliability promises of the TCP suite (test_reliability_*.cpp), over TLS with the
// same clients and handlers (reliability_support.hpp).
TEST_SUITE("tls") {
  TEST_CASE("tls: half-close: a client that sends close_notify still gets every reply") {
    end_probe probe;
    auto options = tls_server();
    running_server s{[&probe](connection c) {
                       return framed_echo(std::move(c), line_codec{}, framed_options{}, &probe);
                     },
                     options};
    std::string got;
    std::string sent;
    run(half_close_client(s.port(), trusting_client(), 5000, &got, &sent));
    CHECK(got.size() == sent.size());
    CHECK(got == sent);
    s.stop_and_wait();
    CHECK(probe.clean == 1);
  }

  TEST_CASE("tls: slow consumer: queued_bytes stays under high_water_mark plus one frame") {
    consumer_probe probe;
    running_server s{[&probe](connection c) { return producer(std::move(c), &probe); },
                     tls_server()};
    std::size_t stalled_at = 0;
    run(stop_reading_then_drain(s.port(), trusting_client(), &probe, &stalled_at), 60s);
    CHECK(stalled_at < probe.count);
    CHECK(probe.peak <= probe.hwm + probe.frame + 1);
  }

  TEST_CASE("tls: a failed handshake says \"TLS handshake failed\" once, server and client") {
    const auto once = [](const std::string& text) {
      const std::string phrase = "TLS handshake failed";
      std::size_t n = 0;
      for (auto at = text.find(phrase); at != std::string::npos; at = text.find(phrase, at + 1))
        ++n;
      return n == 1;
    };
    std::mutex m;
    std::vector<std::string> reasons;
    auto options = tls_server({.client_ca_file = certificates().ca});
    options.observers.on_handshake_error = [&](const error_info& info) {
      std::lock_guard lock{m};
      reasons.push_back(describe(info.error));
    };
    running_server s{echo_handler, options};
    run([&]() -> asio::awaitable<void> {
      CHECK(co_await failure_of(s.port(), trusting_client()) != "");  // no client certificate
      auto plain = co_await connect("127.0.0.1", s.port());
      co_await plain.write(asio::buffer("*1\r\n$4\r\nPING\r\n", 14));
      co_await read_to_eof(plain);
      // The client's side: an unknown CA.
      auto untrusting = tls::make_client_context(tls::client_options{});
      auto e = co_await failure_of(s.port(), untrusting);
      CHECK_MESSAGE(once(e), e);
      CHECK_MESSAGE(contains(e, "certificate verify failed"), e);
    }());
    s.stop_and_wait();
    std::lock_guard lock{m};
    REQUIRE(reasons.size() == 3);
    for (const auto& r : reasons)
      CHECK_MESSAGE(once(r), r);
    CHECK(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
      return contains(r, "peer did not return a certificate");
    }));
  }

#if defined(ECHO_SERVER_PATH) && defined(STRESS_CLIENT_PATH)
  TEST_CASE("tls: SIGTERM with 100 busy TLS connections: every earlier request answered") {
    const auto& c = certificates();
    sigterm_with_busy_clients({"--tls-cert", c.server_pem, "--tls-key", c.server_key},
                              {"--tls-ca", c.ca});
  }
#endif
}
