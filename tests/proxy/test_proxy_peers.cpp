// The PROXY protocol with real peers: HAProxy in front of a coronet server (send-proxy,
// send-proxy-v2), and echo_server --proxy-protocol.
#include "process.hpp"
#include "proxy_support.hpp"
#include "support.hpp"

#include <coronet/proxy/proxy_protocol.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using tcp = asio::ip::tcp;

// HAProxy 2.6 from Debian, on loopback, in front of a coronet server.
TEST_SUITE("proxy") {
  TEST_CASE("proxy: HAProxy with send-proxy and send-proxy-v2 passes the client's address") {
    const char* haproxy = "/usr/sbin/haproxy";
    if (!std::filesystem::exists(haproxy)) {
      FAIL("haproxy is not installed (scripts/setup.sh installs it)");
      return;
    }
    reporting_server s;
    // Two free loopback ports for HAProxy's frontends (bound, noted, released).
    auto free_port = [] {
      asio::io_context io;
      tcp::acceptor a{io, {asio::ip::make_address("127.0.0.1"), 0}};
      return a.local_endpoint().port();
    };
    const auto v1_port = free_port();
    const auto v2_port = free_port();
    char pattern[] = "/tmp/coronet-haproxy-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::filesystem::path dir{pattern};
    const auto config = (dir / "haproxy.cfg").string();
    {
      std::ofstream cfg{config};
      cfg << "global\n  maxconn 100\n"
          << "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n"
          << "  timeout server 30s\n"
          << "frontend v1\n  bind 127.0.0.1:" << v1_port << "\n  default_backend v1\n"
          << "backend v1\n  server s 127.0.0.1:" << s.server.port() << " send-proxy\n"
          << "frontend v2\n  bind 127.0.0.1:" << v2_port << "\n  default_backend v2\n"
          << "  unique-id-format coronet-%rt\n"
          << "backend v2\n  server s 127.0.0.1:" << s.server.port()
          << " send-proxy-v2 proxy-v2-options unique-id\n";
    }
    child_process proxy{{haproxy, "-db", "-f", config}};  // killed by its pid at scope end
    auto answer = [](std::uint16_t port) {
      std::string out;
      std::string expected;
      run([&]() -> asio::awaitable<void> {
        // HAProxy may still be starting: retry the connect for a while.
        for (int attempt = 0;; ++attempt) {
          try {
            auto conn = co_await connect("127.0.0.1", port);
            const auto me = conn.socket().local_endpoint();
            expected = me.address().to_string() + " " + std::to_string(me.port()) + " via";
            co_await conn.write(asio::buffer("data", 4));
            out = co_await read_to_eof(conn);
            co_return;
          } catch (const std::system_error&) {
            if (attempt == 100) throw;
          }
          co_await sleep_for(std::chrono::milliseconds(50));
        }
      }());
      return std::pair{out, expected};
    };
    // (said, "my address and port"): the server must name this client, not HAProxy.
    const auto one = answer(v1_port);
    CHECK_MESSAGE(one.first.starts_with(one.second), one.first << " / " << one.second);
    CHECK(one.first.find(" v1 ") != std::string::npos);
    const auto two = answer(v2_port);
    CHECK_MESSAGE(two.first.starts_with(two.second), two.first << " / " << two.second);
    CHECK(two.first.find(" v2 id=coronet-") != std::string::npos);
    CHECK(two.first.ends_with("data"));
    proxy.signal(SIGTERM);
    proxy.wait(std::chrono::seconds(10));
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

#if defined(CLI_ECHO_SERVER_PATH)
TEST_SUITE("proxy") {
  TEST_CASE("proxy: echo_server --proxy-protocol echoes and logs the client from the header") {
    child_process server{{CLI_ECHO_SERVER_PATH, "--port", "0", "--framing", "line",
                          "--proxy-protocol", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy",
                          "127.0.0.1"}};
    auto port = server.wait_stderr(listening, std::chrono::seconds(20));
    REQUIRE(port);
    const auto p = static_cast<std::uint16_t>(std::stoi(*port));
    run([&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", p);
      const std::string header = "PROXY TCP4 198.51.100.9 127.0.0.1 1234 7000\r\n";
      co_await conn.write(asio::buffer(header + "hello\n"));
      CHECK(co_await read_exactly(conn, 6) == "hello\n");
      // A line over echo_server's limit: the one log line names the client from the header.
      const std::string huge(100 * 1024, 'x');  // over line_codec's default 64 KiB
      try {
        co_await conn.write(asio::buffer(huge + "\n"));
        co_await read_to_eof(conn);
      } catch (const std::system_error&) {
        // Closed with our bytes unread: a reset, as TCP does.
      }
    }());
    CHECK(server.wait_stderr(std::regex{R"(\(198\.51\.100\.9:1234\))"}, std::chrono::seconds(10)));
    // Without a header the connection is refused, and logged as such.
    CHECK(exchange_now(p, "hello\n") == "");
    CHECK(server.wait_stderr(std::regex{"PROXY header refused"}, std::chrono::seconds(10)));
    server.signal(SIGTERM);
    CHECK(server.wait(std::chrono::seconds(15)) == 0);
  }
}
#endif
