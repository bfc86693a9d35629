// Observability of the example programs as users run them: --log-format json (every
// line one JSON object with the named fields), --metrics (a scrape checked by promtool
// and by a real Prometheus server) and kv_server's INFO.
#include "process.hpp"
#include "program_support.hpp"
#include "support.hpp"

#include <nlohmann/json.hpp>

#include <asio/experimental/as_tuple.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::program_support;

#if defined(CLI_ECHO_SERVER_PATH)

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

  TEST_CASE("--metrics: a scrape taken under load passes promtool and counts what the test did") {
    program echo{{CLI_ECHO_SERVER_PATH, "--port", "0", "--framing", "line", "--threads", "2",
                  "--metrics", "127.0.0.1:0"}};
    const auto mport = echo.process.wait_stderr(metrics_address, 10s);
    REQUIRE_MESSAGE(mport, echo.process.err_text);
    const auto metrics_port = static_cast<std::uint16_t>(std::stoi(*mport));

    // Scrape while 20 clients echo: the scrape must be valid mid-flight.
    std::size_t sent = 0;
    std::string during;
    auto load_and_scrape = [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      bool load_done = false;
      asio::co_spawn(ex, echo_load(echo.port, 20, 200, &sent),
                     [&](const std::exception_ptr&) { load_done = true; });
      co_await sleep_for(50ms);  // the load is under way
      const std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      during = co_await exchange(metrics_port, get);
      while (!load_done)
        co_await sleep_for(10ms);
    };
    run(load_and_scrape(), 60s);
    REQUIRE(during.rfind("HTTP/1.1 200", 0) == 0);
    const auto body = during.substr(during.find("\r\n\r\n") + 4);

    const auto dir =
        std::filesystem::temp_directory_path() / ("coronet-promtool-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    write_file((dir / "scrape.txt").string(), body);
    const auto check = run_to_end(
        {"/bin/sh", "-c", "promtool check metrics < '" + (dir / "scrape.txt").string() + "'"});
    std::filesystem::remove_all(dir);
    CHECK_MESSAGE(check.code == 0, check.out << check.err);

    // After the load: exact figures (the scrape connections are the metrics server's own).
    const std::size_t expected_bytes = sent;
    std::string after;
    for (int i = 0; i < 200; ++i) {
      after = http_get(metrics_port, "/metrics");
      const auto closed0 =
          sample(after, R"(coronet_connections_closed_total{worker="0",reason="peer_closed"})");
      const auto closed1 =
          sample(after, R"(coronet_connections_closed_total{worker="1",reason="peer_closed"})");
      if (closed0 && closed1 && *closed0 + *closed1 == 20) break;
      std::this_thread::sleep_for(20ms);
    }
    const auto accepted = *sample(after, R"(coronet_connections_accepted_total{worker="0"})") +
                          *sample(after, R"(coronet_connections_accepted_total{worker="1"})");
    CHECK(accepted == 20);
    CHECK(*sample(after, R"(coronet_connections_accepted_total{worker="0"})") ==
          10);  // dealt round robin
    const auto read = *sample(after, R"(coronet_read_bytes_total{worker="0"})") +
                      *sample(after, R"(coronet_read_bytes_total{worker="1"})");
    CHECK(read == static_cast<double>(expected_bytes));
    const auto frames = *sample(after, R"(coronet_frames_read_total{worker="0"})") +
                        *sample(after, R"(coronet_frames_read_total{worker="1"})");
    CHECK(frames == 20 * 200);
    CHECK(*sample(after, R"(coronet_connections_open{worker="0"})") == 0);
    CHECK(echo.stop() == 0);
  }

  TEST_CASE("a real Prometheus server scrapes an example server and its query API has the count") {
    program kv{{CLI_KV_SERVER_PATH, "--port", "0", "--metrics", "127.0.0.1:0"}};
    const auto mport = kv.process.wait_stderr(metrics_address, 10s);
    REQUIRE_MESSAGE(mport, kv.process.err_text);

    // Seven connections, each sending one PING.
    for (int i = 0; i < 7; ++i)
      CHECK(exchange_now(kv.port, "PING\r\n") == "+PONG\r\n");

    const auto dir = std::filesystem::temp_directory_path() /
                     ("coronet-prometheus-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "data");
    write_file((dir / "prometheus.yml").string(),
               "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
               "scrape_configs:\n  - job_name: kv\n    static_configs:\n"
               "      - targets: ['127.0.0.1:" +
                   *mport + "']\n");
    const auto prom_port = free_port();
    child_process prometheus{{"/usr/bin/prometheus",
                              "--config.file=" + (dir / "prometheus.yml").string(),
                              "--storage.tsdb.path=" + (dir / "data").string(),
                              "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)}};
    // Poll the query API until the scraped value arrives (Prometheus starts, then scrapes
    // every second); bounded.
    double value = -1;
    std::string last;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(500ms);
      int status = 0;
      try {
        std::tie(status, last) =
            try_http_get(prom_port, "/api/v1/query?query=coronet_connections_accepted_total");
      } catch (const std::exception&) {
        continue;  // not listening yet
      }
      if (status != 200) continue;  // 503 while it starts
      const auto j = nlohmann::json::parse(last, nullptr, false);
      if (j.is_discarded() || j["status"] != "success" || j["data"]["result"].empty()) continue;
      value = std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
      CHECK(j["data"]["result"][0]["metric"]["worker"] == "0");
      CHECK(j["data"]["result"][0]["metric"]["job"] == "kv");
      break;
    }
    prometheus.signal(SIGTERM);
    CHECK(prometheus.wait(20s));
    std::filesystem::remove_all(dir);
    CHECK_MESSAGE(value == 7, last << prometheus.err_text.substr(0, 2000));
    CHECK(kv.stop() == 0);
  }

  TEST_CASE(
      "bad requests to --metrics get their status, and the server it reports on keeps serving") {
    program echo{
        {CLI_ECHO_SERVER_PATH, "--port", "0", "--framing", "line", "--metrics", "127.0.0.1:0"}};
    const auto mport = echo.process.wait_stderr(metrics_address, 10s);
    REQUIRE_MESSAGE(mport, echo.process.err_text);
    const auto metrics_port = static_cast<std::uint16_t>(std::stoi(*mport));
    const auto status_of = [](const std::string& response) {
      return response.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(response.c_str() + 9) : 0;
    };
    CHECK(status_of(exchange_now(metrics_port, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")) ==
          405);
    CHECK(status_of(exchange_now(metrics_port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n")) == 404);
    CHECK(status_of(exchange_now(metrics_port, "hello there\r\n\r\n")) == 400);
    const std::string huge = "GET /" + std::string(20'000, 'a') + " HTTP/1.1\r\n\r\n";
    CHECK(status_of(exchange_now(metrics_port, huge)) == 431);
    // A request head that never ends: the endpoint answers 408 within its request
    // timeout (5 s in the examples) and closes; meanwhile both servers serve.
    std::string slow_reply;
    auto slow_and_serving = [&]() -> asio::awaitable<void> {
      auto slow = co_await connect("127.0.0.1", metrics_port);
      const std::string partial = "GET /metrics HTTP/1.1\r\n";
      co_await slow.write(asio::buffer(partial));
      CHECK(co_await exchange(echo.port, "still here\n") == "still here\n");
      const std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      CHECK((co_await exchange(metrics_port, get)).rfind("HTTP/1.1 200", 0) == 0);
      slow_reply = co_await read_to_eof(slow);
    };
    run(slow_and_serving(), 30s);
    CHECK(status_of(slow_reply) == 408);
    CHECK(exchange_now(echo.port, "after all that\n") == "after all that\n");
    const auto body = http_get(metrics_port, "/metrics");
    CHECK(*sample(body, R"(coronet_connections_accepted_total{worker="0"})") == 2);
    CHECK(echo.stop() == 0);
  }
}

#endif
