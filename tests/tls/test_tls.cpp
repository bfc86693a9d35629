// TLS (coronet::tls): servers and clients, verification, mutual TLS, hostile peers,
// certificate reload and graceful close, with coronet's own client on both ends.
// test_tls_tools.cpp runs clients nobody here wrote against the example servers.
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
  TEST_CASE("tls: echo with the same handler and what both sides negotiated") {
    std::mutex m;
    std::optional<tls_info> seen;
    auto handler = [&](connection conn) -> asio::awaitable<void> {
      {
        std::lock_guard lock{m};
        seen = conn.tls();
      }
      co_await echo_handler(std::move(conn));
    };
    running_server s{handler, tls_server({.alpn = {"coronet", "h2"}})};
    run([&]() -> asio::awaitable<void> {
      // Named first: g++ 12 cannot compile a braced list in a co_await statement.
      auto offering = trusting_client({.alpn = {"h2", "coronet"}});
      auto conn = co_await tls_connect(s.port(), offering);
      CHECK(conn.is_tls());
      co_await conn.write(asio::buffer("hello over tls", 14));
      CHECK(co_await read_exactly(conn, 14) == "hello over tls");
      // A gather write is joined into one record, not one per piece.
      const std::array<asio::const_buffer, 3> pieces{
          asio::buffer("one ", 4), asio::buffer("two ", 4), asio::buffer("three", 5)};
      co_await asio::async_write(conn, pieces, asio::use_awaitable);
      CHECK(co_await read_exactly(conn, 13) == "one two three");
      auto mine = conn.tls();
      REQUIRE(mine);
      CHECK(mine->version == "TLSv1.3");
      CHECK(mine->alpn == "coronet");  // the server's preference wins
      CHECK(contains(mine->peer_subject, "CN=localhost"));
      // A million bytes each way: records, partial writes and full socket buffers.
      std::string big(1 << 20, 'x');
      for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>('a' + i % 26);
      auto sender = [&]() -> asio::awaitable<void> { co_await conn.write(asio::buffer(big)); };
      asio::co_spawn(co_await asio::this_coro::executor, sender(), asio::detached);
      CHECK(co_await read_exactly(conn, big.size()) == big);
    }());
    std::lock_guard lock{m};
    REQUIRE(seen);
    CHECK(seen->version == "TLSv1.3");
    CHECK(seen->server_name == "localhost");
    CHECK(seen->alpn == "coronet");
    CHECK(seen->peer_subject.empty());
    CHECK(!seen->cipher.empty());
  }

  TEST_CASE("tls: a plain TCP connection says so") {
    running_server s{[](connection conn) -> asio::awaitable<void> {
      CHECK(!conn.is_tls());
      CHECK(!conn.tls());
      co_await echo_handler(std::move(conn));
    }};
    run([&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", s.port());
      CHECK(!conn.tls());
      co_await conn.write(asio::buffer("x", 1));
      CHECK(co_await read_exactly(conn, 1) == "x");
    }());
  }

  TEST_CASE("tls: framed lines run unchanged") {
    auto handler = [](connection conn) -> asio::awaitable<void> {
      framed frames{std::move(conn), line_codec{}};
      while (auto line = co_await frames.read())
        frames.write("got " + std::string{*line});
    };
    running_server s{handler, tls_server()};
    run([&]() -> asio::awaitable<void> {
      framed lines{co_await tls_connect(s.port(), trusting_client()), line_codec{}};
      for (int i = 0; i < 100; ++i)
        lines.write("line " + std::to_string(i));
      for (int i = 0; i < 100; ++i) {
        auto reply = co_await lines.read();
        REQUIRE(reply);
        CHECK(*reply == "got line " + std::to_string(i));
      }
      co_await lines.finish(1s);  // close_notify, FIN, drain: the server ends cleanly
    }());
  }

  TEST_CASE("tls: the client refuses a wrong name an expired certificate and an unknown CA") {
    const auto& c = certificates();
    running_server right{echo_handler, tls_server()};
    running_server wrong_name{echo_handler, tls_server({.certificate_chain_file = c.wrong_name_pem,
                                                        .private_key_file = c.wrong_name_key})};
    running_server expired{echo_handler, tls_server({.certificate_chain_file = c.expired_pem,
                                                     .private_key_file = c.expired_key})};
    running_server unknown{echo_handler, tls_server({.certificate_chain_file = c.other_server_pem,
                                                     .private_key_file = c.other_server_key})};
    run([&]() -> asio::awaitable<void> {
      auto ctx = trusting_client();
      CHECK(co_await failure_of(right.port(), ctx) == "");
      CHECK(co_await failure_of(right.port(), ctx, "127.0.0.1") == "");  // IP SAN
      auto e = co_await failure_of(right.port(), ctx, "example.org");
      CHECK_MESSAGE(contains(e, "hostname mismatch"), e);
      e = co_await failure_of(wrong_name.port(), ctx);
      CHECK_MESSAGE(contains(e, "hostname mismatch"), e);
      e = co_await failure_of(expired.port(), ctx);
      CHECK_MESSAGE(contains(e, "certificate has expired"), e);
      e = co_await failure_of(unknown.port(), ctx);
      CHECK_MESSAGE(contains(e, "unable to get local issuer certificate"), e);
      CHECK_MESSAGE(contains(e, "certificate verify failed"), e);
      // The error code is the one to test, the text the one to log.
      try {
        co_await tls_connect(unknown.port(), ctx);
        FAIL("an unknown CA was accepted");
      } catch (const std::system_error& se) {
        CHECK(se.code() == errc::handshake_failed);
        CHECK(contains(se.what(), "127.0.0.1:"));
      }
      // The opt-out for tests accepts all of them.
      auto insecure = tls::make_client_context({.insecure_skip_verify = true});
      CHECK(co_await failure_of(unknown.port(), insecure) == "");
      CHECK(co_await failure_of(expired.port(), insecure, "nobody") == "");
    }());
  }

  TEST_CASE("tls: the client gives up on a server that never answers its handshake") {
    // A plain TCP server that reads the ClientHello and says nothing.
    running_server silent{
        [](connection conn) -> asio::awaitable<void> { co_await read_to_eof(conn); }};
    run([&]() -> asio::awaitable<void> {
      const connect_options how{.tls = trusting_client(),
                                .tls_handshake_timeout = std::chrono::milliseconds(300)};
      try {
        co_await connect("127.0.0.1", silent.port(), how);
        FAIL("a handshake without an answer succeeded");
      } catch (const std::system_error& e) {
        CHECK(e.code() == errc::timed_out);
        CHECK_MESSAGE(contains(e.what(), "TLS handshake with 127.0.0.1:"), e.what());
      }
    }());
  }

  TEST_CASE("tls: mutual TLS serves a client certificate from the client CA and only that") {
    const auto& c = certificates();
    std::mutex m;
    std::vector<std::string> subjects;
    auto handler = [&](connection conn) -> asio::awaitable<void> {
      {
        std::lock_guard lock{m};
        subjects.push_back(conn.tls()->peer_subject);
      }
      co_await echo_handler(std::move(conn));
    };
    running_server s{handler, tls_server({.client_ca_file = c.ca})};
    run([&]() -> asio::awaitable<void> {
      auto none = co_await failure_of(s.port(), trusting_client());
      CHECK(none != "");
      // Contexts named first: braced settings inside a co_await statement break g++ 12.
      auto certified = trusting_client(
          {.certificate_chain_file = c.client_pem, .private_key_file = c.client_key});
      auto foreign = trusting_client(
          {.certificate_chain_file = c.other_client_pem, .private_key_file = c.other_client_key});
      auto good = co_await failure_of(s.port(), certified);
      CHECK(good == "");
      auto other = co_await failure_of(s.port(), foreign);
      CHECK(other != "");
    }());
    s.stop_and_wait();
    std::lock_guard lock{m};
    REQUIRE(subjects.size() == 1);
    CHECK(contains(subjects[0], "CN=coronet-client"));
    CHECK(s.server().stats().total.closed(close_cause::handshake_failed) == 2);
  }

  TEST_CASE("tls: plaintext to a TLS port is refused and the server keeps serving") {
    std::atomic<int> handled{0};
    std::atomic<int> reported{0};
    std::string reason;
    std::mutex m;
    auto options = tls_server();
    options.observers.on_handshake_error = [&](const error_info& info) {
      ++reported;
      std::lock_guard lock{m};
      reason = describe(info.error);
    };
    running_server s{[&](connection conn) -> asio::awaitable<void> {
                       ++handled;
                       co_await echo_handler(std::move(conn));
                     },
                     options};
    run([&]() -> asio::awaitable<void> {
      const std::array<std::string, 2> plaintext{"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                                                 "*1\r\n$4\r\nPING\r\n"};
      for (const auto& plain : plaintext) {
        auto conn = co_await connect("127.0.0.1", s.port());
        co_await conn.write(asio::buffer(plain));
        auto rest = co_await read_to_eof(conn);  // an alert at most, then the close
        CHECK(rest.size() < 64);
      }
      CHECK(co_await failure_of(s.port(), trusting_client()) == "");
    }());
    s.stop_and_wait();
    CHECK(handled == 1);
    CHECK(reported == 2);
    CHECK(s.server().stats().total.closed(close_cause::handshake_failed) == 2);
    std::lock_guard lock{m};
    CHECK_MESSAGE(contains(reason, "TLS handshake failed"), reason);
  }

  TEST_CASE("tls: silent and trickling handshakes are closed by the handshake timeout") {
    std::atomic<int> timeouts{0};
    auto options = tls_server();
    options.limits.handshake_timeout = 300ms;
    options.observers.on_handshake_error = [&](const error_info& info) {
      try {
        std::rethrow_exception(info.error);
      } catch (const std::system_error& e) {
        if (e.code() == errc::timed_out) ++timeouts;
      }
    };
    running_server s{echo_handler, options};
    run([&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      // Silent: connects and sends nothing.
      auto silent = co_await connect("127.0.0.1", s.port());
      // Trickling: a ClientHello-like header one byte every 50 ms, never finishing.
      auto trickle = co_await connect("127.0.0.1", s.port());
      const auto started = std::chrono::steady_clock::now();
      bool trickle_closed = false;
      // A named lambda: its captures must outlive the coroutine it starts.
      auto trickler = [&]() -> asio::awaitable<void> {
        const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
                                       0x00, 0x01, 0xfc, 0x03, 0x03};
        try {
          for (int i = 0; i < 200; ++i) {
            co_await trickle.write(asio::buffer(&hello[i % sizeof hello], 1));
            co_await sleep_for(50ms);
          }
        } catch (const std::system_error&) {
          trickle_closed = true;
        }
      };
      asio::co_spawn(ex, trickler(), asio::detached);
      CHECK(co_await read_to_eof(silent) == "");
      while (!trickle_closed)
        co_await sleep_for(20ms);
      // Closed by the timeout, long before 200 bytes at 50 ms each (10 s) were sent.
      CHECK(std::chrono::steady_clock::now() - started < 8s);
    }());
    s.stop_and_wait();
    CHECK(timeouts == 2);
    CHECK(s.server().stats().total.closed(close_cause::handshake_failed) == 2);
  }

  // Server threads and the test thread meet here: run again under TSan.
  TEST_CASE("tls: a reload serves the new certificate to new clients only" *
            doctest::test_suite("threads")) {
    const auto& c = certificates();
    const auto dir = c.dir / "reload";
    std::filesystem::create_directories(dir);
    const auto pem = (dir / "cert.pem").string();
    const auto key = (dir / "key.pem").string();
    std::filesystem::copy_file(c.server_pem, pem,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(c.server_key, key,
                               std::filesystem::copy_options::overwrite_existing);
    auto context =
        tls::make_server_context({.certificate_chain_file = pem, .private_key_file = key});
    server_options options;
    options.tls = context;
    running_server s{echo_handler, options};
    run([&]() -> asio::awaitable<void> {
      auto before = co_await tls_connect(s.port(), trusting_client());
      CHECK(!contains(before.tls()->peer_subject, "O=renewed"));

      std::filesystem::copy_file(c.renewed_pem, pem,
                                 std::filesystem::copy_options::overwrite_existing);
      std::filesystem::copy_file(c.renewed_key, key,
                                 std::filesystem::copy_options::overwrite_existing);
      context->reload();
      auto after = co_await tls_connect(s.port(), trusting_client());
      CHECK(contains(after.tls()->peer_subject, "O=renewed"));
      co_await before.write(asio::buffer("still here", 10));
      CHECK(co_await read_exactly(before, 10) == "still here");

      // A key that does not match: the reload throws, the renewed certificate stays.
      std::filesystem::copy_file(c.server_key, key,
                                 std::filesystem::copy_options::overwrite_existing);
      try {
        context->reload();
        FAIL("a mismatched key was loaded");
      } catch (const std::runtime_error& e) {
        CHECK_MESSAGE(contains(e.what(), "does not match"), e.what());
      }
      std::filesystem::remove(pem);
      CHECK_THROWS_WITH_AS(context->reload(), doctest::Contains("cert.pem"), std::runtime_error);
      auto later = co_await tls_connect(s.port(), trusting_client());
      CHECK(contains(later.tls()->peer_subject, "O=renewed"));
    }());
  }

  TEST_CASE("tls: settings that cannot load say which file and why") {
    const auto& c = certificates();
    CHECK_THROWS_WITH_AS(tls::server_context({.certificate_chain_file = "/nonexistent.pem",
                                              .private_key_file = c.server_key}),
                         doctest::Contains("/nonexistent.pem"), std::runtime_error);
    CHECK_THROWS_WITH_AS(tls::server_context({.certificate_chain_file = c.server_pem,
                                              .private_key_file = c.client_key}),
                         doctest::Contains("does not match"), std::runtime_error);
    CHECK_THROWS_WITH_AS(tls::client_context({.ca_file = "/nonexistent-ca.pem"}),
                         doctest::Contains("/nonexistent-ca.pem"), std::runtime_error);
    CHECK_THROWS_AS(tls::server_context({.certificate_chain_file = c.server_pem,
                                         .private_key_file = c.server_key,
                                         .alpn = {std::string(256, 'a')}}),
                    std::invalid_argument);
  }
}
