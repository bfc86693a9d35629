// Observability of the example programs as users run them: --log-format json (every
// line one JSON object with the named fields), --metrics (a scrape checked by promtool
// and by a real Prometheus server) and kv_server's INFO.
#include "process.hpp"
#include "support.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;

#if defined(CLI_ECHO_SERVER_PATH)

namespace {

// An example server on a free loopback port; SIGTERM and a wait in stop() (and in the
// destructor, whatever the test's outcome).
struct program {
  child_process process;
  std::uint16_t port = 0;

  explicit program(std::vector<std::string> argv) : process(std::move(argv)) {
    auto p = process.wait_stderr(listening, 20s);
    REQUIRE_MESSAGE(p, process.err_text);
    port = static_cast<std::uint16_t>(std::stoi(*p));
  }
  ~program() { stop(); }
  program(const program&) = delete;
  program& operator=(const program&) = delete;

  int stop() {
    if (!stopped_) {
      process.signal(SIGTERM);
      code_ = process.wait(15s);
      stopped_ = true;
    }
    REQUIRE_MESSAGE(code_, "the server did not stop on SIGTERM");
    return *code_;
  }

 private:
  bool stopped_ = false;
  std::optional<int> code_;
};

// Every line of `text` parsed as JSON, with the fields every line must have checked.
std::vector<nlohmann::json> json_lines(const std::string& text) {
  static const std::regex rfc3339{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"};
  static const std::set<std::string> levels{"debug", "info", "warn", "error"};
  std::vector<nlohmann::json> out;
  for (const auto& line : split_lines(text)) {
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      FAIL("not a JSON line: " << line << " (" << e.what() << ")");
    }
    REQUIRE_MESSAGE(j.is_object(), line);
    REQUIRE_MESSAGE(j.contains("ts"), line);
    CHECK_MESSAGE(std::regex_match(j["ts"].get<std::string>(), rfc3339), line);
    REQUIRE_MESSAGE(j.contains("level"), line);
    CHECK_MESSAGE(levels.count(j["level"].get<std::string>()) == 1, line);
    REQUIRE_MESSAGE(j.contains("event"), line);
    CHECK_MESSAGE(j["event"].is_string(), line);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<nlohmann::json> events_named(const std::vector<nlohmann::json>& lines,
                                         const std::string& event) {
  std::vector<nlohmann::json> out;
  for (const auto& j : lines)
    if (j["event"] == event) out.push_back(j);
  return out;
}

// A raw loopback client: sends `bytes`, half-closes, reads to EOF.
asio::awaitable<std::string> exchange(std::uint16_t port, std::string bytes) {
  auto c = co_await connect("127.0.0.1", port);
  co_await c.write(asio::buffer(bytes));
  c.shutdown_send();
  std::string reply;
  try {
    reply = co_await read_to_eof(c);
  } catch (const std::system_error&) {
    // A server that closes on bad input may reset: the reply is what arrived.
  }
  co_return reply;
}

std::string exchange_now(std::uint16_t port, const std::string& bytes) {
  std::string reply;
  auto op = [](std::uint16_t p, std::string b, std::string* out) -> asio::awaitable<void> {
    *out = co_await exchange(p, std::move(b));
  };
  run(op(port, bytes, &reply));
  return reply;
}

}  // namespace

TEST_SUITE("observability") {
  TEST_CASE("echo_server --log-format json: every line is one JSON object with the named fields") {
    program echo{{CLI_ECHO_SERVER_PATH, "--port", "0", "--framing", "line", "--log-format", "json",
                  "--log-connections"}};
    CHECK(exchange_now(echo.port, "hello\n") == "hello\n");
    exchange_now(echo.port, std::string(70'000, 'x') + "\n");  // over the 64 KiB line limit
    CHECK(echo.stop() == 0);

    const auto lines = json_lines(echo.process.err_text);
    REQUIRE(events_named(lines, "listening").size() == 1);
    CHECK(events_named(lines, "listening")[0]["address"].get<std::string>().find("127.0.0.1:") ==
          0);
    CHECK(events_named(lines, "stopped").size() == 1);
    CHECK(events_named(lines, "open").size() == 2);
    const auto closes = events_named(lines, "close");
    REQUIRE(closes.size() == 2);
    std::map<std::string, nlohmann::json> by_reason;
    for (const auto& c : closes) {
      for (const char* field : {"conn", "bytes_in", "bytes_out", "duration_ms"})
        CHECK_MESSAGE(c[field].is_number_unsigned(), c.dump() << " field " << field);
      for (const char* field : {"peer", "reason"})
        CHECK_MESSAGE(c[field].is_string(), c.dump() << " field " << field);
      by_reason[c["reason"].get<std::string>()] = c;
    }
    REQUIRE(by_reason.count("peer_closed") == 1);
    CHECK(by_reason["peer_closed"]["bytes_in"] == 6);
    CHECK(by_reason["peer_closed"]["bytes_out"] == 6);
    CHECK(by_reason["peer_closed"]["level"] == "info");
    REQUIRE(by_reason.count("bad_input") == 1);
    CHECK(by_reason["bad_input"]["level"] == "warn");
    CHECK(by_reason["bad_input"]["error"].get<std::string>().find("limit") != std::string::npos);
  }

  TEST_CASE("the text format stays as it was: a timestamp and a readable line") {
    program echo{{CLI_ECHO_SERVER_PATH, "--port", "0", "--framing", "line"}};
    exchange_now(echo.port, std::string(70'000, 'x') + "\n");
    CHECK(echo.stop() == 0);
    const std::regex line{
        R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z connection \d+ \(127\.0\.0\.1:\d+\) closed: decode: frame exceeds the configured limit)"};
    CHECK_MESSAGE(std::regex_search(echo.process.err_text, line), echo.process.err_text);
    CHECK(echo.process.err_text.find('{') == std::string::npos);
  }

  TEST_CASE("chat_server, rpc_server and kv_server log JSON lines too, and so do the clients") {
    {
      program chat{{CLI_CHAT_SERVER_PATH, "--port", "0", "--log-format", "json"}};
      exchange_now(chat.port, "alice\nhello room\n");
      CHECK(chat.stop() == 0);
      const auto lines = json_lines(chat.process.err_text);
      REQUIRE(events_named(lines, "join").size() == 1);
      CHECK(events_named(lines, "join")[0]["name"] == "alice");
      CHECK(events_named(lines, "leave").size() == 1);
      CHECK(events_named(lines, "session_end").size() == 1);
      CHECK(events_named(lines, "stopped").size() == 1);
    }
    for (const char* path : {CLI_RPC_SERVER_PATH, CLI_KV_SERVER_PATH}) {
      CAPTURE(path);
      program server{{path, "--port", "0", "--log-format", "json"}};
      CHECK(server.stop() == 0);
      const auto lines = json_lines(server.process.err_text);
      CHECK(events_named(lines, "listening").size() == 1);
    }
    // A client that cannot connect: its error is one JSON line, and it exits 1.
    const auto r =
        run_to_end({CLI_ECHO_CLIENT_PATH, "--port", "1", "--count", "1", "--log-format", "json"});
    CHECK(r.code == 1);
    const auto lines = json_lines(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["level"] == "error");
    CHECK(lines[0]["program"] == "echo_client");
    CHECK(lines[0]["msg"].get<std::string>().find("refused") != std::string::npos);
  }
}

#endif
