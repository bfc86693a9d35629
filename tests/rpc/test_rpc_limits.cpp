// JSON-RPC limits and failures: batch size, nesting depth, response size (answered with
// an error, never silence), concurrent methods per connection, and method errors that
// pass through or stay private.
#include "rpc_support.hpp"

#include <string>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::rpc_support;
using nlohmann::json;

TEST_SUITE("rpc") {
  TEST_CASE("limits on batch size and nesting depth and response size") {
    rpc_fixture s{framing::line, {.max_batch_size = 3, .max_depth = 8}};
    run([](std::uint16_t port) -> asio::awaitable<void> {
      const std::string one = R"({"jsonrpc":"2.0","method":"sum","params":[1],"id":1})";
      auto r = co_await ask(port, "[" + one + "," + one + "," + one + "]");
      CHECK(r.size() == 3);
      r = co_await ask(port, "[" + one + "," + one + "," + one + "," + one + "]");
      CHECK(r == error_reply(nullptr, rpc::invalid_request, "Invalid Request"));

      r = co_await ask(port,
                       R"({"jsonrpc":"2.0","method":"sum","params":[[[[[[[[[1]]]]]]]]],"id":1})");
      CHECK(r == error_reply(nullptr, rpc::parse_error, "Parse error"));

      // 70 KB does not fit a 64 KiB line: the caller gets an internal error instead.
      r = co_await ask(port, R"({"jsonrpc":"2.0","method":"big","params":[70000],"id":5})");
      CHECK(r.at("id") == 5);
      CHECK(r.at("error").at("code") == rpc::internal_error);
      r = co_await ask(port, R"({"jsonrpc":"2.0","method":"big","params":[1000],"id":6})");
      CHECK(r.at("result").get<std::string>().size() == 1000);
    }(s.port()));
  }

  TEST_CASE("method errors - rpc::error passes through and other exceptions do not leak") {
    rpc_fixture quiet;
    rpc_fixture detailed{framing::line, {.expose_error_details = true}};
    run([](std::uint16_t quiet_port, std::uint16_t detailed_port) -> asio::awaitable<void> {
      const std::string fail = R"({"jsonrpc":"2.0","method":"fail","id":1})";
      CHECK(co_await ask(quiet_port, fail) ==
            error_reply(1, rpc::internal_error, "Internal error"));
      auto r = co_await ask(detailed_port, fail);
      CHECK(r.at("error").at("code") == rpc::internal_error);
      CHECK(r.at("error").at("data").get<std::string>().find("secret") != std::string::npos);

      r = co_await ask(quiet_port, R"({"jsonrpc":"2.0","method":"app_error","id":2})");
      json expected = error_reply(2, -32001, "insufficient funds");
      expected["error"]["data"] = json{{"balance", 5}};
      CHECK(r == expected);

      // With details, protocol errors say what was wrong.
      r = co_await ask(detailed_port, R"({"jsonrpc":"2.0","method":7,"id":3})");
      CHECK(r.at("error").at("data").get<std::string>().find("method") != std::string::npos);
    }(quiet.port(), detailed.port()));
  }

  TEST_CASE("max_concurrent_requests bounds the methods running for one connection") {
    running = 0;
    most_running = 0;
    rpc_fixture s{framing::line, {.max_concurrent_requests = 4}};
    run([](std::uint16_t port) -> asio::awaitable<void> {
      std::string text;
      for (int i = 0; i < 20; ++i)
        text += R"({"jsonrpc":"2.0","method":"crowd","id":)" + std::to_string(i) + "}\n";
      auto replies = co_await exchange(port, text);
      CHECK(replies.size() == 20);
      CHECK(most_running.load() == 4);
    }(s.port()));
  }

  TEST_CASE("a batch whose response is over the frame limit is answered - never silence") {
    rpc_fixture s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      // 820 invalid elements: 820 -32600 errors make about 65 KB, over the 64 KiB line,
      // and so would 820 -32603 replacements. One error with id null, then a close.
      std::string ones = "[1";
      for (int i = 1; i < 820; ++i)
        ones += ",1";
      ones += "]";
      // 1000 calls of an unknown method: the same, from valid requests with ids.
      std::string unknown = "[";
      for (int i = 0; i < 1000; ++i)
        unknown += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"foobar","id":)" +
                   std::to_string(i) + "}";
      unknown += "]";
      for (const auto& request : {ones, unknown}) {
        auto conn = co_await connect("127.0.0.1", port);
        const std::string line = request + "\n";
        co_await conn.write(asio::buffer(line));
        // No half-close from this side: only the server's own close can end the read.
        const auto text = co_await with_timeout(read_to_eof(conn), 10s);
        REQUIRE(!text.empty());
        CHECK(text.back() == '\n');
        const auto r = json::parse(text.substr(0, text.size() - 1));
        CHECK(r.at("id").is_null());
        CHECK(r.at("error").at("code") == rpc::internal_error);
      }

      // Replacements that fit keep their ids, and the connection lives on.
      auto conn = co_await connect("127.0.0.1", port);
      framed<line_codec, connection> lines{std::move(conn)};
      lines.write(std::string_view{R"([{"jsonrpc":"2.0","method":"big","params":[40000],"id":1},)"
                                   R"({"jsonrpc":"2.0","method":"big","params":[40000],"id":2}])"});
      auto reply = co_await with_timeout(lines.read(), 10s);
      REQUIRE(reply);
      const auto both = json::parse(*reply);
      REQUIRE(both.size() == 2);
      for (const auto& r : both)
        CHECK(r.at("error").at("code") == rpc::internal_error);
      CHECK((both[0].at("id") == 1 || both[1].at("id") == 1));
      lines.write(std::string_view{R"({"jsonrpc":"2.0","method":"sum","params":[2,3],"id":3})"});
      reply = co_await with_timeout(lines.read(), 10s);
      REQUIRE(reply);
      CHECK(json::parse(*reply).at("result") == 5);
    }(s.port()));
  }

  TEST_CASE("a client whose batch cannot be answered within the limit fails at once") {
    rpc_fixture s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", port),
                    line_codec{},
                    {.call_timeout = std::chrono::seconds(60)}};
      rpc::batch b;
      for (int i = 0; i < 1000; ++i)
        b.call("foobar");
      bool closed = false;
      try {
        co_await c.batch(std::move(b));
      } catch (const std::system_error& e) {
        closed = e.code() == errc::connection_closed;
      }
      // The 60 s call timeout is past the watchdog: only the server's answer ends it.
      CHECK(closed);
    }(s.port()));
  }

  TEST_CASE("a response limit of its own - max_response_size") {
    rpc_fixture s{framing::length, {.max_response_size = 200}};
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto r = co_await exchange(port, R"({"jsonrpc":"2.0","method":"big","params":[50],"id":7})",
                                 framing::length);
      REQUIRE(r.size() == 1);
      CHECK(r[0].at("result").get<std::string>().size() == 50);
      r = co_await exchange(port, R"({"jsonrpc":"2.0","method":"big","params":[500],"id":7})",
                            framing::length);
      REQUIRE(r.size() == 1);
      CHECK(r[0].at("id") == 7);
      CHECK(r[0].at("error").at("code") == rpc::internal_error);
    }(s.port()));
  }
}
