// The JSON-RPC tests' shared pieces: the example's methods plus test methods (slow,
// failing, counting, typed) in one rpc::router, served on loopback in either framing, and
// raw exchanges that show every reply the server sends, or that it sends none.
#pragma once

#include "support.hpp"

#include <coronet/rpc.hpp>
#include <methods.hpp>

#include <asio/experimental/as_tuple.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace demo_rpc {
struct point {
  int x = 0;
  int y = 0;
};
inline void from_json(const nlohmann::json& j, point& p) {
  j.at("x").get_to(p.x);
  j.at("y").get_to(p.y);
}
}  // namespace demo_rpc

namespace coronet::test::rpc_support {

using nlohmann::json;

// What the test methods saw, for the tests that look (the server is one thread).
inline std::atomic<int> running{0};
inline std::atomic<int> most_running{0};
inline std::atomic<bool> sleep_started{false};
inline std::atomic<bool> sleep_cancelled{false};
inline json recorded;  // the last "record" notification

// Echoes its params after a random delay of 0-3 ms, so responses come back out of order.
inline asio::awaitable<json> echo_later(json params) {
  thread_local std::minstd_rand random{12345};
  const auto delay = std::chrono::microseconds(random() % 3000);
  asio::steady_timer t{co_await asio::this_coro::executor, delay};
  co_await t.async_wait(asio::use_awaitable);
  co_return params;
}

inline asio::awaitable<json> sleep_ms(json params) {
  asio::steady_timer t{co_await asio::this_coro::executor,
                       std::chrono::milliseconds(params.at("ms").get<int>())};
  sleep_started = true;
  auto [ec] = co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  if (ec) {
    sleep_cancelled = true;
    throw std::system_error(ec);
  }
  co_return "slept";
}

// Counts how many calls run at once.
inline asio::awaitable<json> crowd(json /*params*/) {
  const int now = ++running;
  int seen = most_running.load();
  while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
  }
  asio::steady_timer t{co_await asio::this_coro::executor, std::chrono::milliseconds(10)};
  co_await t.async_wait(asio::use_awaitable);
  --running;
  co_return now;
}

inline asio::awaitable<json> fail(json /*params*/) {
  throw std::runtime_error("secret: /etc/db.conf");
  co_return nullptr;
}

inline asio::awaitable<json> app_error(json /*params*/) {
  throw rpc::error{-32001, "insufficient funds", {{"balance", 5}}};
  co_return nullptr;
}

inline asio::awaitable<json> big(json params) {
  co_return std::string(params.at(0).get<std::size_t>(), 'x');
}

inline asio::awaitable<int> mul(std::tuple<int, int> p) {
  co_return std::get<0>(p) * std::get<1>(p);
}

inline asio::awaitable<int> norm(demo_rpc::point p) {
  co_return p.x* p.x + p.y* p.y;
}

inline asio::awaitable<json> record(json params) {
  recorded = std::move(params);
  co_return nullptr;
}
inline asio::awaitable<json> get_recorded(json /*params*/) {
  co_return recorded;
}

inline rpc::router make_rpc(rpc::router_options options = {}) {
  rpc::router r{options};
  examples::add_spec_methods(r);
  r.add("echo", echo_later);
  r.add("sleep", sleep_ms);
  r.add("crowd", crowd);
  r.add("fail", fail);
  r.add("app_error", app_error);
  r.add("big", big);
  r.add("record", record);
  r.add("recorded", get_recorded);
  r.add<std::tuple<int, int>>("mul", mul);
  r.add<demo_rpc::point>("norm", norm);
  return r;
}

enum class framing { line, length };

// The example server on 127.0.0.1, a free port, in its own thread.
struct rpc_fixture {
  explicit rpc_fixture(framing f = framing::line, rpc::router_options options = {},
                       server_options base = {})
      : rpc(make_rpc(options)), srv(handler(f), std::move(base)) {}

  std::uint16_t port() const { return srv.port(); }

  rpc::router rpc;
  running_server srv;

 private:
  server::handler_type handler(framing f) {
    if (f == framing::line) return [this](connection c) { return rpc.serve(std::move(c)); };
    return [this](connection c) { return rpc.serve(std::move(c), length_prefixed_codec{}); };
  }
};

inline std::string length_frame(const std::string& payload) {
  std::string out;
  length_prefixed_codec{}.encode(payload, out);
  return out;
}

// Sends `request` exactly as written (plus the framing) on a fresh connection,
// half-closes, and returns every reply until the server closes: the server answers
// everything still running before it does, so "no reply" is observable.
inline asio::awaitable<std::vector<json>> exchange(std::uint16_t port, std::string request,
                                                   framing f = framing::line) {
  auto conn = co_await connect("127.0.0.1", port);
  const std::string bytes = f == framing::line ? request + "\n" : length_frame(request);
  co_await conn.write(asio::buffer(bytes));
  conn.shutdown_send();
  const std::string text = co_await read_to_eof(conn);
  std::vector<json> replies;
  if (f == framing::line) {
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      REQUIRE(end != std::string::npos);
      replies.push_back(json::parse(text.substr(start, end - start)));
      start = end + 1;
    }
  } else {
    length_prefixed_codec codec;
    std::span<const char> rest{text.data(), text.size()};
    while (!rest.empty()) {
      auto r = codec.decode(rest);
      REQUIRE(r.status == decode_status::ready);
      replies.push_back(json::parse(r.frame));
      rest = rest.subspan(r.consumed);
    }
  }
  co_return replies;
}

// Sends one request line and returns the single reply.
inline asio::awaitable<json> ask(std::uint16_t port, std::string request) {
  auto replies = co_await exchange(port, std::move(request));
  REQUIRE(replies.size() == 1);
  co_return replies[0];
}

inline json error_reply(const json& id, int code, const char* message) {
  json reply{{"jsonrpc", "2.0"}, {"id", id}};
  reply["error"] = json{{"code", code}, {"message", message}};
  return reply;
}

template <typename F>
bool throws_rpc_error(F&& f, int code) {
  try {
    f();
  } catch (const rpc::error& e) {
    return e.code() == code;
  }
  return false;
}

}  // namespace coronet::test::rpc_support
