// The example programs as a user runs them: real processes on loopback.
#include "chat_support.hpp"
#include "process.hpp"

#include <coronet/core/io_backend.hpp>
#include <coronet/framing/length_prefixed_codec.hpp>
#include <nlohmann/json.hpp>

#include <regex>
#include <thread>

using namespace coronet;
using namespace coronet::test;
using coronet::test::chat_peers::chat_fixture;

TEST_SUITE("programs") {
  TEST_CASE("echo_server in line mode echoes a last line cut off by EOF") {
    child_process server{{ECHO_SERVER_PATH, "--port", "0", "--framing", "line"}};
    auto port = server.wait_stderr(listening, 10s);
    REQUIRE(port);
    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", p);
      co_await conn.write(asio::buffer(std::string_view{"first\nno newline"}));
      conn.shutdown_send();
      CHECK(co_await with_timeout(read_to_eof(conn), 10s) == "first\nno newline\n");
    }(static_cast<std::uint16_t>(std::stoi(*port))));
    server.signal(SIGTERM);
    CHECK(server.wait(15s) == 0);
    CHECK(server.err_text.find("stream ended inside a frame") == std::string::npos);
  }

  TEST_CASE("echo_server in each framing mode verified by echo_client --count exits 0 on SIGTERM") {
    for (std::string framing : {"raw", "line", "length"}) {
      CAPTURE(framing);
      child_process server{{ECHO_SERVER_PATH, "--port", "0", "--framing", framing}};
      auto port = server.wait_stderr(listening, 10s);
      REQUIRE(port);
      child_process client{{ECHO_CLIENT_PATH, "--port", *port, "--framing", framing, "--count",
                            "2000", "--size", "100", "--connections", "4"}};
      auto code = client.wait(60s);
      REQUIRE(code);
      CHECK(*code == 0);
      CHECK(client.out_text.find("verified: 2000, mismatches: 0") != std::string::npos);
      CHECK(client.out_text.find("p99") != std::string::npos);
      server.signal(SIGTERM);
      auto server_code = server.wait(15s);
      REQUIRE(server_code);
      CHECK(*server_code == 0);
    }
  }

  TEST_CASE("echo_server --framing websocket echoes Python websockets' text and binary") {
    child_process server{{ECHO_SERVER_PATH, "--port", "0", "--framing", "websocket"}};
    auto port = server.wait_stderr(listening, 10s);
    REQUIRE(port);
    // A client nobody here wrote: any path upgrades, text comes back as text (UTF-8
    // intact), binary as binary, a 100 KiB message whole, and the close handshake is 1000.
    const std::string script = R"(
import asyncio, sys, websockets
async def main(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/any/path", max_size=None) as ws:
        await ws.send("h\u00e9llo")
        assert await ws.recv() == "h\u00e9llo"
        await ws.send(b"\x00\x01\xff")
        assert await ws.recv() == b"\x00\x01\xff"
        big = bytes(range(256)) * 400
        await ws.send(big)
        assert await ws.recv() == big
    assert ws.close_code == 1000, ws.close_code
    print("echoed")
asyncio.run(asyncio.wait_for(main(int(sys.argv[1])), 20))
)";
    child_process client{{"/usr/bin/python3", "-c", script, *port}};
    client.close_stdin();
    const auto code = client.wait(30s);
    REQUIRE_MESSAGE(code, "client did not finish; stderr: " << client.err_text);
    CHECK_MESSAGE(*code == 0, client.out_text << client.err_text);
    CHECK(client.out_text == "echoed\n");
    server.signal(SIGTERM);
    CHECK(server.wait(15s) == 0);
  }

  TEST_CASE("where the kernel refuses io_uring an io_uring build fails at start and epoll serves") {
    // deny_io_uring makes io_uring_setup fail with EPERM, as a container's seccomp
    // profile or kernel.io_uring_disabled do. It has filters for x86-64 and AArch64
    // only (exit status 77 elsewhere).
    {
      child_process probe{{DENY_IO_URING_PATH, "/bin/true"}};
      const auto probe_code = probe.wait(10s);
      REQUIRE(probe_code);
      if (*probe_code == 77) {
        MESSAGE("skipped: " << probe.err_text);
        return;
      }
      REQUIRE_MESSAGE(*probe_code == 0, probe.err_text);
    }
    child_process server{
        {DENY_IO_URING_PATH, ECHO_SERVER_PATH, "--port", "0", "--framing", "line"}};
    if (coronet::io_backend() == "io_uring") {
      const auto code = server.wait(15s);
      REQUIRE(code);
      CHECK(*code == 1);
      CHECK_MESSAGE(server.err_text.find("built for io_uring (CORONET_IO_URING) but this kernel "
                                         "refuses it") != std::string::npos,
                    server.err_text);
      CHECK(server.err_text.find("Operation not permitted") != std::string::npos);
    } else {
      CHECK(coronet::io_backend() == "epoll");
      auto port = server.wait_stderr(listening, 10s);
      REQUIRE_MESSAGE(port, server.err_text);
      run([](std::uint16_t p) -> asio::awaitable<void> {
        auto conn = co_await connect("127.0.0.1", p);
        co_await conn.write(asio::buffer(std::string_view{"still here\n"}));
        CHECK(co_await read_exactly(conn, 11) == "still here\n");
      }(static_cast<std::uint16_t>(std::stoi(*port))));
      server.signal(SIGTERM);
      CHECK(server.wait(15s) == 0);
    }
  }

  TEST_CASE("echo_server logs a framing error in one line and keeps serving others") {
    child_process server{{ECHO_SERVER_PATH, "--port", "0", "--framing", "line"}};
    auto port = server.wait_stderr(listening, 10s);
    REQUIRE(port);
    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto bad = co_await connect("127.0.0.1", p);
      const std::string flood(70 * 1024, 'x');  // over line_codec's 64 KiB default
      co_await bad.write(asio::buffer(flood));
      // Closed with our unread bytes still queued, the kernel may send RST instead of FIN.
      std::string rest;
      try {
        rest = co_await read_to_eof(bad);
      } catch (const std::system_error& e) {
        CHECK(e.code() == asio::error::connection_reset);
      }
      CHECK(rest.empty());
      auto good = co_await connect("127.0.0.1", p);
      co_await good.write(asio::buffer(std::string_view{"fine\n"}));
      CHECK(co_await read_exactly(good, 5) == "fine\n");
    }(static_cast<std::uint16_t>(std::stoi(*port))));
    server.signal(SIGTERM);
    REQUIRE(server.wait(15s));
    const std::regex one_line{R"(closed: decode: frame exceeds the configured limit)"};
    CHECK(std::regex_search(server.err_text, one_line));
  }

  TEST_CASE("chat_client scripted through a pipe sends its lines and waits for their echoes") {
    chat_fixture fx;
    const auto port = std::to_string(fx.port());
    child_process client{{CHAT_CLIENT_PATH, "--name", "zed", "--port", port}};
    client.write_stdin("hello there\n/who\n/nick zed2\nbye\n");
    client.close_stdin();
    auto code = client.wait(20s);
    REQUIRE(code);
    CHECK(*code == 0);
    const std::string expected =
        "* welcome, zed! online: zed\n"
        "<zed> hello there\n"
        "* online: zed\n"
        "* zed is now known as zed2\n"
        "<zed2> bye\n";
    CHECK(client.out_text == expected);
  }

  TEST_CASE("chat_client exits 1 when its name is taken") {
    chat_fixture fx;
    const auto port = std::to_string(fx.port());
    child_process first{{CHAT_CLIENT_PATH, "--name", "amy", "--port", port}};
    for (int i = 0; i < 1000 && fx.room.users().empty(); ++i)
      std::this_thread::sleep_for(10ms);  // joined
    child_process second{{CHAT_CLIENT_PATH, "--name", "AMY", "--port", port}};
    second.close_stdin();
    auto code = second.wait(20s);
    REQUIRE(code);
    CHECK(*code == 1);
    CHECK(second.out_text.starts_with("! name_taken: "));
    first.close_stdin();
    CHECK(first.wait(20s) == 0);
  }

  TEST_CASE("rpc_server --framing length bounds requests by --max-frame") {
    child_process server{
        {RPC_SERVER_PATH, "--port", "0", "--framing", "length", "--max-frame", "1000"}};
    auto port = server.wait_stderr(listening, 10s);
    REQUIRE(port);
    run([](std::uint16_t p) -> asio::awaitable<void> {
      const auto frame = [](const std::string& payload) {
        std::string out;
        length_prefixed_codec{}.encode(payload, out);
        return out;
      };
      std::string big = R"({"jsonrpc":"2.0","method":"sum","params":[1)";
      while (big.size() < 1100)
        big += ",1";
      big += R"(],"id":1})";
      auto refused = co_await connect("127.0.0.1", p);
      co_await refused.write(asio::buffer(frame(big)));
      std::string rest;
      try {
        rest = co_await with_timeout(read_to_eof(refused), 10s);
      } catch (const std::system_error& e) {
        CHECK(e.code() == asio::error::connection_reset);
      }
      CHECK(rest.empty());
      auto served = co_await connect("127.0.0.1", p);
      co_await served.write(
          asio::buffer(frame(R"({"jsonrpc":"2.0","method":"sum","params":[1,2],"id":2})")));
      served.shutdown_send();
      const auto reply = co_await with_timeout(read_to_eof(served), 10s);
      REQUIRE(reply.size() > 4);
      const auto response = nlohmann::json::parse(reply.substr(4));
      CHECK(response.at("result") == 3);
      CHECK(response.at("id") == 2);
    }(static_cast<std::uint16_t>(std::stoi(*port))));
    server.signal(SIGTERM);
    CHECK(server.wait(15s) == 0);
  }
}
