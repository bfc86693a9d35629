// What the metrics endpoint tests share (tests/metrics/): a small HTTP client that reads
// one response at a time, and a metrics_server on loopback with a known body.
#pragma once

#include "process.hpp"
#include "support.hpp"

#include <coronet/metrics/metrics_server.hpp>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace coronet::test::metrics_support {

// ---- a client for the endpoint ------------------------------------------------------

struct http_response {
  int status = 0;  // 0: the server closed before a whole response
  std::string head;
  std::string body;

  // A response header's value (first match, any case), or "" if absent.
  std::string header(std::string_view name) const {
    std::size_t at = head.find("\r\n");
    while (at != std::string::npos && at + 2 < head.size()) {
      const auto next = head.find("\r\n", at + 2);
      const auto line = std::string_view{head}.substr(at + 2, next - at - 2);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos && colon == name.size()) {
        bool same = true;
        for (std::size_t i = 0; i < colon; ++i)
          same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                             std::tolower(static_cast<unsigned char>(name[i]));
        if (same) {
          auto v = line.substr(colon + 1);
          while (!v.empty() && v.front() == ' ')
            v.remove_prefix(1);
          return std::string{v};
        }
      }
      at = next;
    }
    return {};
  }
};

// Reads one response from `conn`, keeping what follows it in `buf`; the body's length is
// its Content-Length (none after a HEAD).
inline asio::awaitable<http_response> read_response(connection& conn, std::string& buf,
                                                    bool head_request = false) {
  http_response r;
  char chunk[4096];
  std::size_t end = 0;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    const auto n = co_await conn.read_some(asio::buffer(chunk));
    if (n == 0) co_return r;
    buf.append(chunk, n);
  }
  r.head = buf.substr(0, end + 2);
  buf.erase(0, end + 4);
  REQUIRE(r.head.starts_with("HTTP/1.1 "));
  r.status = std::stoi(r.head.substr(9, 3));
  const auto length = r.header("content-length");
  REQUIRE_MESSAGE(!length.empty(), "no Content-Length in " << r.head);
  const std::size_t size = head_request ? 0 : std::stoul(length);
  while (buf.size() < size) {
    const auto n = co_await conn.read_some(asio::buffer(chunk));
    if (n == 0) break;
    buf.append(chunk, n);
  }
  r.body = buf.substr(0, size);
  buf.erase(0, std::min(size, buf.size()));
  co_return r;
}

inline std::string get_request(std::string_view target = "/metrics", std::string_view extra = "") {
  return "GET " + std::string{target} + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string{extra} +
         "\r\n";
}

// Sends `request` on a new connection and reads one response.
inline http_response exchange(std::uint16_t port, const std::string& request,
                              bool head_request = false) {
  http_response out;
  const auto client = [&]() -> asio::awaitable<void> {
    auto conn = co_await connect("127.0.0.1", port);
    co_await conn.write(asio::buffer(request));
    std::string buf;
    out = co_await read_response(conn, buf, head_request);
  };
  run(client(), 10s);
  return out;
}

// Sends `bytes` on a new connection, then returns everything the server says until it
// closes (bounded by the test's watchdog, not by this function).
inline std::string until_closed(std::uint16_t port, const std::string& bytes) {
  std::string out;
  const auto client = [&]() -> asio::awaitable<void> {
    auto conn = co_await connect("127.0.0.1", port);
    if (!bytes.empty()) co_await conn.write(asio::buffer(bytes));
    try {
      out = co_await read_to_eof(conn);
    } catch (const std::system_error&) {
      // reset: what was read is lost, and `out` stays empty
    }
  };
  run(client(), 10s);
  return out;
}

inline const std::string sample_metrics =
    "# HELP app_up Whether the app is up.\n# TYPE app_up gauge\napp_up 1\n";

// A metrics_server on 127.0.0.1, port 0, with a renderer that counts its calls.
struct endpoint {
  explicit endpoint(metrics_server_options o = {})
      : server{loopback(std::move(o)), [this] {
                 ++renders;
                 if (fail_next.exchange(false)) throw std::runtime_error("renderer broke");
                 return sample_metrics;
               }} {
    server.start();
  }
  static metrics_server_options loopback(metrics_server_options o) {
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }
  std::uint16_t port() const { return server.local_endpoint().port(); }

  // A fresh client still gets the metrics: whatever the last client did, it cost the
  // others nothing.
  void check_still_serves() {
    const auto r = exchange(port(), get_request());
    CHECK(r.status == 200);
    CHECK(r.body == sample_metrics);
  }

  std::atomic<int> renders{0};
  std::atomic<bool> fail_next{false};
  metrics_server server;  // last: stopped before the counters go
};

inline metrics_server_options short_timeouts() {
  metrics_server_options o;
  o.requests.head_timeout = 300ms;
  return o;
}

// The full path of `name` on PATH, or "".
inline std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (;;) {
    const auto colon = dirs.find(':');
    const auto candidate = std::filesystem::path{std::string{dirs.substr(0, colon)}} / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

}  // namespace coronet::test::metrics_support
