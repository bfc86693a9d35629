// What the tests of the example programs' observability share
// (tests/programs/test_observability.cpp): an example server run as a process, its JSON
// log lines, raw and HTTP clients, Prometheus samples.
#pragma once

#include "process.hpp"
#include "support.hpp"

#include <nlohmann/json.hpp>

#include <asio/experimental/as_tuple.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace coronet::test::program_support {

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
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
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

inline std::vector<nlohmann::json> events_named(const std::vector<nlohmann::json>& lines,
                                                const std::string& event) {
  std::vector<nlohmann::json> out;
  for (const auto& j : lines)
    if (j["event"] == event) out.push_back(j);
  return out;
}

// A raw loopback client: sends `bytes`, half-closes, reads to EOF.
inline asio::awaitable<std::string> exchange(std::uint16_t port, std::string bytes) {
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

inline std::string exchange_now(std::uint16_t port, const std::string& bytes) {
  std::string reply;
  auto op = [](std::uint16_t p, std::string b, std::string* out) -> asio::awaitable<void> {
    *out = co_await exchange(p, std::move(b));
  };
  run(op(port, bytes, &reply));
  return reply;
}

// GET `target` from 127.0.0.1:`port` over HTTP/1.1 with Connection: close: the status
// (0 when there was no HTTP answer) and the body.
inline std::pair<int, std::string> try_http_get(std::uint16_t port, const std::string& target) {
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  const auto response = exchange_now(port, request);
  const auto head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos || response.rfind("HTTP/1.1 ", 0) != 0) return {0, response};
  return {std::atoi(response.c_str() + 9), response.substr(head_end + 4)};
}

inline std::string http_get(std::uint16_t port, const std::string& target) {
  auto answer = try_http_get(port, target);  // no structured binding: clang 14, doctest
  REQUIRE_MESSAGE(answer.first == 200, answer.second);
  return answer.second;
}

// The value of one sample line ("name{labels} value") in a Prometheus text scrape.
inline std::optional<double> sample(const std::string& scrape, const std::string& series) {
  for (const auto& line : split_lines(scrape)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

inline const std::regex metrics_address{R"(metrics on 127\.0\.0\.1:(\d+))"};

// A port that was free a moment ago (for servers that cannot be told to take port 0
// and report it, such as Prometheus).
inline std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a{io, {asio::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

// `clients` connections that each echo `rounds` lines through a line-framed echo
// server, all at once; the bytes they sent.
inline asio::awaitable<void> echo_load(std::uint16_t port, int clients, int rounds,
                                       std::size_t* sent) {
  auto ex = co_await asio::this_coro::executor;
  int finished = 0;
  asio::steady_timer all_done{ex, std::chrono::steady_clock::time_point::max()};
  auto one = [](std::uint16_t p, int n, std::size_t* total) -> asio::awaitable<void> {
    auto c = co_await connect("127.0.0.1", p);
    for (int i = 0; i < n; ++i) {
      const std::string line = "message " + std::to_string(i) + "\n";
      co_await c.write(asio::buffer(line));
      *total += line.size();
      CHECK(co_await read_exactly(c, line.size()) == line);
    }
  };
  for (int i = 0; i < clients; ++i) {
    asio::co_spawn(ex, one(port, rounds, sent), [&](const std::exception_ptr& e) {
      CHECK_FALSE(e);
      if (++finished == clients) all_done.cancel();
    });
  }
  auto [ec] = co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  (void)ec;
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path};
  out << text;
  REQUIRE(out.good());
}

}  // namespace coronet::test::program_support
