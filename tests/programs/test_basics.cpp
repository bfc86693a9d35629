// examples/basics as a user runs them: each tiny_* program, run as a process on
// 127.0.0.1 with port 0, puts the promised bytes on the wire. The snippets in the docs
// are tested in test_basics_snippets.cpp, the example programs' command lines in test_cli.cpp.
#include "process.hpp"
#include "support.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace std::string_view_literals;

namespace {

#if defined(TINY_ECHO_PATH)

// A tiny_* server (a process) started with port 0; stop() sends SIGTERM and returns the exit code.
class program_server {
 public:
  explicit program_server(const char* path) : process_{{path, "0"}} {
    auto found = process_.wait_stderr(listening, 10s);
    REQUIRE_MESSAGE(found, "no 'listening on' line; stderr: " << process_.err_text);
    port_text_ = *found;
  }
  std::uint16_t port() const { return static_cast<std::uint16_t>(std::stoi(port_text_)); }
  const std::string& port_text() const { return port_text_; }
  const std::string& err_text() const { return process_.err_text; }
  int stop() {
    process_.signal(SIGTERM);
    auto code = process_.wait(15s);
    REQUIRE(code);
    return *code;
  }

 private:
  child_process process_;
  std::string port_text_;
};

// Reads one line, failing the test at EOF.
asio::awaitable<std::string> next_line(framed<line_codec>* lines) {
  auto line = co_await with_timeout(lines->read(), 10s);
  REQUIRE(line);
  co_return std::string{*line};
}

// Reads one frame and parses it as JSON, failing the test at EOF.
template <typename Codec>
asio::awaitable<nlohmann::json> next_json(framed<Codec>* frames) {
  auto frame = co_await with_timeout(frames->read(), 10s);
  REQUIRE(frame);
  co_return nlohmann::json::parse(*frame);
}

// Reads until EOF; a reset (our unread bytes, or theirs, at close) also ends it.
asio::awaitable<std::string> read_until_closed(connection* conn) {
  std::string got;
  char buf[16 * 1024];
  for (;;) {
    std::size_t n = 0;
    try {
      n = co_await conn->read_some(asio::buffer(buf));
    } catch (const std::system_error& e) {
      CHECK(e.code() == asio::error::connection_reset);
      co_return got;
    }
    if (n == 0) co_return got;
    got.append(buf, n);
  }
}

#endif

}  // namespace

TEST_SUITE("basics") {
#if defined(TINY_ECHO_PATH)
  TEST_CASE("tiny_echo returns every byte and exits 0 on SIGTERM") {
    program_server srv{TINY_ECHO_PATH};
    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", p);
      std::string bytes{"hello\0world\r\n\xff", 14};
      bytes += std::string(100'000, 'x');  // more than one 4 KiB read
      co_await conn.write(asio::buffer(bytes));
      CHECK(co_await read_exactly(conn, bytes.size()) == bytes);
      conn.shutdown_send();
      CHECK(co_await read_until_closed(&conn) == "");
    }(srv.port()));
    CHECK(srv.stop() == 0);
  }

  TEST_CASE("tiny_line_reverser reverses lines and closes a peer whose line is too long") {
    program_server srv{TINY_LINE_REVERSER_PATH};
    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", p);
      co_await conn.write(asio::buffer(std::string_view{"hello\nworld\r\n\nab"}));
      co_await conn.write(asio::buffer(std::string_view{"c\n"}));
      CHECK(co_await read_exactly(conn, 17) == "olleh\ndlrow\n\ncba\n");

      auto flooder = co_await connect("127.0.0.1", p);
      const std::string too_long(2000, 'x');  // over max_length = 1024, no newline
      co_await flooder.write(asio::buffer(too_long));
      CHECK(co_await with_timeout(read_until_closed(&flooder), 10s) == "");

      co_await conn.write(asio::buffer(std::string_view{"still here\n"}));
      CHECK(co_await read_exactly(conn, 11) == "ereh llits\n");
    }(srv.port()));
    CHECK(srv.stop() == 0);
    CHECK(srv.err_text().find("frame exceeds the configured limit") != std::string::npos);
  }

  TEST_CASE("tiny_json_orders accepts orders and answers a bad line with an error") {
    program_server srv{TINY_JSON_ORDERS_PATH};
    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", p);
      framed lines{std::move(conn), line_codec{}};
      lines.write(std::string_view{R"({"item":"tea","quantity":2})"});
      lines.write(std::string_view{"not json"});
      lines.write(std::string_view{R"({"item":"tea"})"});
      lines.write(std::string_view{R"({"quantity":1,"item":"cake"})"});
      CHECK(co_await next_line(&lines) == R"({"accepted":{"item":"tea","quantity":2}})");
      const auto not_json = nlohmann::json::parse(co_await next_line(&lines));
      CHECK(not_json.at("error").is_string());
      CHECK(not_json.at("offset") == 2);  // where the parser gave up: "no"
      const auto not_order = nlohmann::json::parse(co_await next_line(&lines));
      CHECK(not_order.at("error").get<std::string>().find("quantity") != std::string::npos);
      CHECK(co_await next_line(&lines) == R"({"accepted":{"item":"cake","quantity":1}})");
    }(srv.port()));
    CHECK(srv.stop() == 0);
  }

  TEST_CASE("tiny_line_client prints the reply line and exits 1 when nobody listens") {
    program_server echoer{TINY_ECHO_PATH};
    program_server reverser{TINY_LINE_REVERSER_PATH};
    auto echoed = run_to_end({TINY_LINE_CLIENT_PATH, echoer.port_text(), "hi there"});
    CHECK(echoed.code == 0);
    CHECK(echoed.out == "hi there\n");
    auto reversed = run_to_end({TINY_LINE_CLIENT_PATH, reverser.port_text()});
    CHECK(reversed.code == 0);
    CHECK(reversed.out == "olleh\n");  // the default text is "hello"
    CHECK(reverser.stop() == 0);
    const auto closed_port = echoer.port_text();
    CHECK(echoer.stop() == 0);
    auto refused = run_to_end({TINY_LINE_CLIENT_PATH, closed_port, "anyone?"});
    CHECK(refused.code == 1);
    CHECK(refused.out == "");
    CHECK(refused.err.starts_with("tiny_line_client: "));
  }

  TEST_CASE("tiny_chat sends each line to every member and announces joins and leaves") {
    program_server srv{TINY_CHAT_PATH};
    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto a_conn = co_await connect("127.0.0.1", p);
      framed a{std::move(a_conn), line_codec{}};
      const std::regex joined{R"(\* (user\d+) joined)"};
      std::smatch m;
      const auto a_joined = co_await next_line(&a);
      REQUIRE(std::regex_match(a_joined, m, joined));
      const std::string a_name = m[1];

      auto b_conn = co_await connect("127.0.0.1", p);
      framed b{std::move(b_conn), line_codec{}};
      const auto b_joined = co_await next_line(&b);  // B is in the room once it sees this
      REQUIRE(std::regex_match(b_joined, m, joined));
      const std::string b_name = m[1];
      CHECK(b_name != a_name);
      CHECK(co_await next_line(&a) == b_joined);

      // An escape sequence arrives defused, to both.
      a.write(std::string_view{"hi \x1b[2J all"});
      co_await a.flush();
      CHECK(co_await next_line(&a) == a_name + ": hi ?[2J all");
      CHECK(co_await next_line(&b) == a_name + ": hi ?[2J all");
      b.write(std::string_view{"bye"});
      co_await b.flush();
      CHECK(co_await next_line(&a) == b_name + ": bye");
      CHECK(co_await next_line(&b) == b_name + ": bye");

      b.close();
      CHECK(co_await next_line(&a) == "* " + b_name + " left");
    }(srv.port()));
    CHECK(srv.stop() == 0);
  }

  TEST_CASE("tiny_chat drops a member that stops reading and keeps serving the others") {
    program_server srv{TINY_CHAT_PATH};
    run(
        [](std::uint16_t p) -> asio::awaitable<void> {
          auto a_conn = co_await connect("127.0.0.1", p);
          framed a{std::move(a_conn), line_codec{{.max_length = 1 << 20}}};
          const auto a_joined = co_await next_line(&a);
          const std::string a_name = a_joined.substr(2, a_joined.find(' ', 2) - 2);

          // B joins and never reads: the kernel's buffers fill, then its 256 KiB queue.
          auto silent = co_await connect("127.0.0.1", p);
          const auto b_joined = co_await next_line(&a);
          const std::string b_left = "* " + b_joined.substr(2, b_joined.find(' ', 2) - 2) + " left";

          const std::string text(1000, 'x');
          const std::string expected = a_name + ": " + text;
          std::size_t sent = 0;
          bool dropped = false;
          while (!dropped && sent < 50'000) {  // at most 50 MB; a few MB should do
            for (int i = 0; i < 64; ++i)
              a.write(text);
            sent += 64;
            for (int got = 0; got < 64;) {
              const auto line = co_await next_line(&a);
              if (line == b_left) {
                dropped = true;
                continue;
              }
              REQUIRE(line == expected);  // A, which reads, receives every line
              ++got;
            }
          }
          CHECK(dropped);
          const auto b_got = co_await with_timeout(read_until_closed(&silent), 20s);
          CHECK(b_got.size() < sent * expected.size());
        }(srv.port()),
        120s);
    CHECK(srv.stop() == 0);
  }

  TEST_CASE("tiny_json_kv_client gets back through tiny_json_kv what it set") {
    program_server srv{TINY_JSON_KV_PATH};
    auto first = run_to_end({TINY_JSON_KV_CLIENT_PATH, srv.port_text(), "greeting", "hello world"});
    CHECK(first.code == 0);
    CHECK(first.out == "{\"value\":\"hello world\"}\n");
    CHECK(first.err == "");
    // Round-robin puts the next connection on the other worker thread: one shared store.
    auto second = run_to_end({TINY_JSON_KV_CLIENT_PATH, srv.port_text(), "answer", "42"});
    CHECK(second.code == 0);
    CHECK(second.out == "{\"value\":\"42\"}\n");
    auto defaults = run_to_end({TINY_JSON_KV_CLIENT_PATH, srv.port_text()});
    CHECK(defaults.out == "{\"value\":\"hello\"}\n");

    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", p);
      // The wire format the docs promise: a 4-byte big-endian length, then JSON.
      co_await conn.write(asio::buffer("\0\0\0\x1b{\"op\":\"get\",\"key\":\"answer\"}"sv));
      CHECK(co_await read_exactly(conn, 4 + 14) == "\0\0\0\x0e{\"value\":\"42\"}"sv);
      framed<length_prefixed_codec> frames{std::move(conn)};
      frames.write(std::string_view{R"({"op":"get","key":"greeting"})"});
      frames.write(std::string_view{"not json"});
      frames.write(std::string_view{R"({"op":"get"})"});
      frames.write(std::string_view{R"({"op":"get","key":"nobody"})"});
      frames.write(std::string_view{R"({"op":"drop","key":"greeting"})"});
      frames.write(std::string_view{R"({"op":"set","key":"n","value":[1,{"a":null}]})"});
      frames.write(std::string_view{R"({"op":"get","key":"n"})"});
      CHECK((co_await next_json(&frames)).dump() == R"({"value":"hello"})");
      CHECK((co_await next_json(&frames)).at("error").is_string());  // not JSON: goes on
      const auto no_key = co_await next_json(&frames);
      CHECK(no_key.at("error").get<std::string>().find("key") != std::string::npos);
      CHECK((co_await next_json(&frames)).dump() == R"({"error":"no such key"})");
      CHECK((co_await next_json(&frames)).dump() == R"({"error":"unknown op"})");
      CHECK((co_await next_json(&frames)).dump() == R"({"ok":true})");
      CHECK((co_await next_json(&frames)).dump() == R"({"value":[1,{"a":null}]})");
    }(srv.port()));

    const auto closed_port = srv.port_text();
    CHECK(srv.stop() == 0);
    auto refused = run_to_end({TINY_JSON_KV_CLIENT_PATH, closed_port});
    CHECK(refused.code == 1);
    CHECK(refused.out == "");
    CHECK(refused.err.starts_with("tiny_json_kv_client: "));
  }

  TEST_CASE("tiny_rpc_client prints the sum and a timeout error from tiny_rpc") {
    program_server srv{TINY_RPC_PATH};
    auto client = run_to_end({TINY_RPC_CLIENT_PATH, srv.port_text()});
    CHECK(client.code == 0);
    CHECK(client.err == "");
    const auto timed_out = make_error_code(errc::timed_out).message();
    CHECK(client.out == "add(2, 3) = 5\nslow(1000) with a 100 ms deadline: " + timed_out +
                            "\nadd(20, 22) = 42\n");

    run([](std::uint16_t p) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", p);
      framed lines{std::move(conn), line_codec{}};
      lines.write(std::string_view{R"({"jsonrpc":"2.0","method":"slow","params":[500],"id":1})"});
      lines.write(std::string_view{R"({"jsonrpc":"2.0","method":"add","params":[2,3],"id":2})"});
      lines.write(std::string_view{R"({"jsonrpc":"2.0","method":"add","params":[1],"id":3})"});
      // add answers while slow still waits: calls run concurrently, answered as they end.
      CHECK(co_await next_json(&lines) ==
            nlohmann::json::parse(R"({"jsonrpc":"2.0","result":5,"id":2})"));
      const auto bad = co_await next_json(&lines);
      CHECK(bad.at("id") == 3);
      CHECK(bad.at("error").at("code") == -32602);
      CHECK(co_await next_json(&lines) ==
            nlohmann::json::parse(R"({"jsonrpc":"2.0","result":"done","id":1})"));
    }(srv.port()));
    CHECK(srv.stop() == 0);
  }
#endif
}
