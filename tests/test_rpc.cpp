// JSON-RPC 2.0: every example exchange of the specification replayed against the
// example server, the rules around ids and invalid requests, the client (concurrent
// calls, timeouts, dropped connections, batches, typed calls), both framings.
#include "support.hpp"

#include <coronet/rpc.hpp>
#include <methods.hpp>

#include <asio/experimental/as_tuple.hpp>

#include <algorithm>
#include <limits>
#include <atomic>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using nlohmann::json;

namespace demo_rpc {
struct point {
  int x = 0;
  int y = 0;
};
void from_json(const json& j, point& p) {
  j.at("x").get_to(p.x);
  j.at("y").get_to(p.y);
}
}  // namespace demo_rpc

namespace {

std::atomic<int> running{0};
std::atomic<int> most_running{0};
std::atomic<bool> sleep_started{false};
std::atomic<bool> sleep_cancelled{false};

// Echoes its params after a random delay of 0-3 ms, so responses come back out of order.
asio::awaitable<json> echo_later(json params) {
  thread_local std::minstd_rand random{12345};
  const auto delay = std::chrono::microseconds(random() % 3000);
  asio::steady_timer t{co_await asio::this_coro::executor, delay};
  co_await t.async_wait(asio::use_awaitable);
  co_return params;
}

asio::awaitable<json> sleep_ms(json params) {
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
asio::awaitable<json> crowd(json /*params*/) {
  const int now = ++running;
  int seen = most_running.load();
  while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
  }
  asio::steady_timer t{co_await asio::this_coro::executor, std::chrono::milliseconds(10)};
  co_await t.async_wait(asio::use_awaitable);
  --running;
  co_return now;
}

asio::awaitable<json> fail(json /*params*/) {
  throw std::runtime_error("secret: /etc/db.conf");
  co_return nullptr;
}

asio::awaitable<json> app_error(json /*params*/) {
  throw rpc::error{-32001, "insufficient funds", {{"balance", 5}}};
  co_return nullptr;
}

asio::awaitable<json> big(json params) {
  co_return std::string(params.at(0).get<std::size_t>(), 'x');
}

asio::awaitable<int> mul(std::tuple<int, int> p) {
  co_return std::get<0>(p) * std::get<1>(p);
}

asio::awaitable<int> norm(demo_rpc::point p) {
  co_return p.x* p.x + p.y* p.y;
}

// Per connection: remembers the last "record" notification (the server is one thread).
json recorded;
asio::awaitable<json> record(json params) {
  recorded = std::move(params);
  co_return nullptr;
}
asio::awaitable<json> get_recorded(json /*params*/) {
  co_return recorded;
}

rpc::server make_rpc(rpc::server_options options = {}) {
  rpc::server r{options};
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
struct test_server {
  explicit test_server(framing f = framing::line, rpc::server_options options = {},
                       server_options base = {.host = "127.0.0.1"})
      : rpc(make_rpc(options)), srv(base) {
    if (f == framing::line) {
      srv.start([this](connection c) { return rpc.serve(std::move(c)); });
    } else {
      srv.start([this](connection c) { return rpc.serve(std::move(c), length_prefixed_codec{}); });
    }
  }
  std::uint16_t port() const { return srv.local_endpoint().port(); }

  rpc::server rpc;
  server srv;
};

std::string length_frame(const std::string& payload) {
  std::string out;
  length_prefixed_codec{}.encode(payload, out);
  return out;
}

// Sends `request` exactly as written (plus the framing) on a fresh connection,
// half-closes, and returns every reply until the server closes: the server answers
// everything still running before it does, so "no reply" is observable.
asio::awaitable<std::vector<json>> exchange(std::uint16_t port, std::string request,
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

// Batch replies may come in any order: compare them as multisets.
bool same_reply(const json& got, const json& expected) {
  if (!got.is_array() || !expected.is_array()) return got == expected;
  if (got.size() != expected.size()) return false;
  std::vector<std::string> a, b;
  for (const auto& v : got)
    a.push_back(v.dump());
  for (const auto& v : expected)
    b.push_back(v.dump());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

struct spec_example {
  const char* name;
  const char* request;  // the specification's text, on one line
  const char* reply;    // nullptr: the server must not reply
};

// Section 7 of the JSON-RPC 2.0 specification, in order.
const spec_example spec_examples[] = {
    {"positional parameters",
     R"({"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1})",
     R"({"jsonrpc": "2.0", "result": 19, "id": 1})"},
    {"positional parameters, swapped",
     R"({"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2})",
     R"({"jsonrpc": "2.0", "result": -19, "id": 2})"},
    {"named parameters",
     R"({"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3})",
     R"({"jsonrpc": "2.0", "result": 19, "id": 3})"},
    {"named parameters, reordered",
     R"({"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4})",
     R"({"jsonrpc": "2.0", "result": 19, "id": 4})"},
    {"notification", R"({"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]})", nullptr},
    {"notification of a missing method", R"({"jsonrpc": "2.0", "method": "foobar"})", nullptr},
    {"non-existent method", R"({"jsonrpc": "2.0", "method": "foobar", "id": "1"})",
     R"({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"})"},
    {"invalid JSON", R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
     R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})"},
    {"invalid Request object", R"({"jsonrpc": "2.0", "method": 1, "params": "bar"})",
     R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})"},
    {"batch, invalid JSON",
     R"([{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"])",
     R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})"},
    {"empty array", R"([])",
     R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})"},
    {"invalid batch, not empty", R"([1])",
     R"([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])"},
    {"invalid batch", R"([1,2,3])",
     R"([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
         {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
         {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])"},
    {"batch",
     R"([{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}, {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"}, {"foo": "boo"}, {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"}, {"jsonrpc": "2.0", "method": "get_data", "id": "9"}])",
     R"([{"jsonrpc": "2.0", "result": 7, "id": "1"},
         {"jsonrpc": "2.0", "result": 19, "id": "2"},
         {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
         {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
         {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}])"},
    {"batch of notifications only",
     R"([{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}])",
     nullptr},
};

asio::awaitable<void> replay_spec(std::uint16_t port, framing f) {
  for (const auto& ex : spec_examples) {
    INFO("example: " << std::string{ex.name});
    auto replies = co_await exchange(port, ex.request, f);
    if (ex.reply == nullptr) {
      CHECK(replies.empty());
      continue;
    }
    REQUIRE(replies.size() == 1);
    const json expected = json::parse(ex.reply);
    CHECK_MESSAGE(same_reply(replies[0], expected), "got " << replies[0].dump());
  }
}

// Sends one request line and returns the single reply.
asio::awaitable<json> ask(std::uint16_t port, std::string request) {
  auto replies = co_await exchange(port, std::move(request));
  REQUIRE(replies.size() == 1);
  co_return replies[0];
}

json error_reply(const json& id, int code, const char* message) {
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

// One call of many: its params are unique, so a response matched to the wrong call
// cannot pass.
asio::awaitable<void> echo_call(rpc::client* c, int i, int* ok, std::vector<int>* order) {
  const std::string tag = "call-" + std::to_string(i);
  const json params{{"i", i}, {"tag", tag}};
  json r = co_await c->call("echo", params);
  if (r == params) ++*ok;
  order->push_back(i);
}

asio::awaitable<void> spawn_calls(rpc::client* client, int n, int* ok, int* done,
                                  std::vector<int>* order, asio::steady_timer* all_done) {
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(co_await asio::this_coro::executor, echo_call(client, i, ok, order),
                   [done, n, all_done](std::exception_ptr e) {
                     CHECK_MESSAGE(!e, "a call failed");
                     if (++*done == n) all_done->cancel();
                   });
  }
}

}  // namespace

TEST_SUITE("rpc") {
  TEST_CASE("every example exchange of the specification over newline-delimited JSON") {
    test_server s;
    run(replay_spec(s.port(), framing::line));
  }

  TEST_CASE("every example exchange of the specification over length-prefixed frames") {
    test_server s{framing::length};
    run(replay_spec(s.port(), framing::length));
  }

  TEST_CASE("ids are echoed exactly and invalid requests keep a valid id but lose an invalid one") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      const json nine{{"jsonrpc", "2.0"}, {"result", 9}, {"id", "abc"}};
      CHECK(co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","params":[4,5],"id":"abc"})") ==
            nine);
      // id null is a request, not a notification: it is answered.
      auto r = co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","params":[1],"id":null})");
      CHECK(r.at("id").is_null());
      CHECK(r.at("result") == 1);
      r = co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","params":[1],"id":1.5})");
      CHECK(r.at("id") == 1.5);
      r = co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","params":[1],"id":-7})");
      CHECK(r.at("id") == -7);

      CHECK(co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","id":{"a":1}})") ==
            error_reply(nullptr, rpc::invalid_request, "Invalid Request"));
      CHECK(co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","id":[1]})") ==
            error_reply(nullptr, rpc::invalid_request, "Invalid Request"));
      CHECK(co_await ask(port, R"({"method":"sum","params":[1],"id":7})") ==
            error_reply(7, rpc::invalid_request, "Invalid Request"));
      CHECK(co_await ask(port, R"({"jsonrpc":"1.0","method":"sum","params":[1],"id":7})") ==
            error_reply(7, rpc::invalid_request, "Invalid Request"));
      CHECK(co_await ask(port, R"({"jsonrpc":2.0,"method":"sum","params":[1],"id":7})") ==
            error_reply(7, rpc::invalid_request, "Invalid Request"));
      CHECK(co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","params":"bar","id":9})") ==
            error_reply(9, rpc::invalid_request, "Invalid Request"));
      CHECK(co_await ask(port, R"({"jsonrpc":"2.0","method":"sum","params":5,"id":9})") ==
            error_reply(9, rpc::invalid_request, "Invalid Request"));
      // An invalid request without an id is still answered: it is not a notification.
      CHECK(co_await ask(port, R"({"jsonrpc":"2.0"})") ==
            error_reply(nullptr, rpc::invalid_request, "Invalid Request"));
      CHECK(co_await ask(port, R"("just a string")") ==
            error_reply(nullptr, rpc::invalid_request, "Invalid Request"));
      // Reserved names cannot be registered, so they are never found.
      CHECK(co_await ask(port, R"({"jsonrpc":"2.0","method":"rpc.discover","id":1})") ==
            error_reply(1, rpc::method_not_found, "Method not found"));
      // A notification that fails is not answered either.
      auto none = co_await exchange(port, R"({"jsonrpc":"2.0","method":"fail"})");
      CHECK(none.empty());
      none = co_await exchange(port, R"({"jsonrpc":"2.0","method":"mul","params":["x"]})");
      CHECK(none.empty());
    }(s.port()));
  }

  TEST_CASE("many requests on one connection with blank lines skipped and errors not ending it") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      std::string text;
      for (int i = 0; i < 50; ++i) {
        text += R"({"jsonrpc":"2.0","method":"sum","params":[)" + std::to_string(i) +
                R"(,1],"id":)" + std::to_string(i) + "}\n\r\n";
        text += "{not json\n";
      }
      text += R"({"jsonrpc":"2.0","method":"get_data","id":"last"})";
      auto replies = co_await exchange(port, text);
      REQUIRE(replies.size() == 101);
      int sums = 0;
      int parse_errors = 0;
      for (const auto& r : replies) {
        if (r.contains("result") && r.at("id").is_number()) {
          CHECK(r.at("result") == r.at("id").get<int>() + 1);
          ++sums;
        } else if (r.contains("error")) {
          CHECK(r.at("error").at("code") == rpc::parse_error);
          ++parse_errors;
        }
      }
      CHECK(sums == 50);
      CHECK(parse_errors == 50);
      CHECK(replies.back().at("id") == "last");
    }(s.port()));
  }

  TEST_CASE("limits on batch size and nesting depth and response size") {
    test_server s{framing::line, {.max_batch_size = 3, .max_depth = 8}};
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
    test_server quiet;
    test_server detailed{framing::line, {.expose_error_details = true}};
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

  TEST_CASE("typed registration converts with from_json and answers -32602 when that fails") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", port)};
      CHECK(co_await c.call("mul", rpc::positional(6, 7)) == 42);
      CHECK(co_await c.call<int>("mul", rpc::positional(6, 7)) == 42);
      // (Named values and rpc::positional: GCC 12 rejects any braced list inside a
      // co_await expression.)
      const json named_point{{"x", 3}, {"y", 4}};
      CHECK(co_await c.call<int>("norm", named_point) == 25);
      const json named{{"minuend", 5}, {"subtrahend", 7}};
      CHECK(co_await c.call("subtract", named) == -2);

      // Wrong shape, wrong count, wrong types: all -32602, with the reason as data.
      std::vector<std::pair<std::string, json>> bad;
      bad.emplace_back("mul", json::parse("[6]"));
      bad.emplace_back("mul", json::parse("[6, 7, 8]"));
      bad.emplace_back("mul", json::parse(R"(["a", "b"])"));
      bad.emplace_back("mul", json::object());
      bad.emplace_back("norm", json::parse("[3, 4]"));
      for (const auto& entry : bad) {  // (no structured binding: clang 14 cannot capture one)
        const std::string& method = entry.first;
        const json& params = entry.second;
        int code = 0;
        bool has_data = false;
        try {
          co_await c.call(method, params);
        } catch (const rpc::error& e) {
          code = e.code();
          has_data = e.data().has_value();
        }
        CHECK_MESSAGE(code == rpc::invalid_params, method << " " << params.dump());
        CHECK(has_data);
      }
      int absent = 0;
      try {
        co_await c.call("subtract");  // no params at all
      } catch (const rpc::error& e) {
        absent = e.code();
      }
      CHECK(absent == rpc::invalid_params);

      // A result that does not convert on the client side.
      bool bad_message = false;
      try {
        co_await c.call<std::string>("mul", rpc::positional(6, 7));
      } catch (const message_error& e) {
        bad_message = e.code() == errc::bad_message;
      }
      CHECK(bad_message);
    }(s.port()));
  }

  TEST_CASE("1000 concurrent calls on one connection answered out of order and matched by id") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", port)};
      constexpr int n = 1000;
      int ok = 0;
      int done = 0;
      std::vector<int> order;
      asio::steady_timer all_done{co_await asio::this_coro::executor,
                                  std::chrono::steady_clock::time_point::max()};
      co_await spawn_calls(&c, n, &ok, &done, &order, &all_done);
      while (done < n)
        co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      CHECK(ok == n);
      CHECK(order.size() == static_cast<std::size_t>(n));
      CHECK_FALSE(std::is_sorted(order.begin(), order.end()));  // really out of order
      CHECK(c.pending_count() == 0);
      CHECK(c.unmatched_responses() == 0);
    }(s.port()));
  }

  TEST_CASE("max_concurrent_requests bounds the methods running for one connection") {
    running = 0;
    most_running = 0;
    test_server s{framing::line, {.max_concurrent_requests = 4}};
    run([](std::uint16_t port) -> asio::awaitable<void> {
      std::string text;
      for (int i = 0; i < 20; ++i)
        text += R"({"jsonrpc":"2.0","method":"crowd","id":)" + std::to_string(i) + "}\n";
      auto replies = co_await exchange(port, text);
      CHECK(replies.size() == 20);
      CHECK(most_running.load() == 4);
    }(s.port()));
  }

  TEST_CASE("at EOF the server finishes running requests and flushes their responses") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto replies =
          co_await exchange(port, R"({"jsonrpc":"2.0","method":"sleep","params":{"ms":200},"id":1}
{"jsonrpc":"2.0","method":"sum","params":[2,3],"id":2})");
      REQUIRE(replies.size() == 2);
      CHECK(replies[0].at("id") == 2);  // the quick one first: responses as they complete
      CHECK(replies[1].at("result") == "slept");
    }(s.port()));
  }

  TEST_CASE("a dropped connection fails every pending call at once") {
    // A server that reads three requests, answers none, and hangs up.
    server srv{{.host = "127.0.0.1"}};
    srv.start([](connection conn) -> asio::awaitable<void> {
      framed<line_codec, connection> lines{std::move(conn)};
      for (int i = 0; i < 3; ++i)
        if (!co_await lines.read()) co_return;
    });
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", port),
                    line_codec{},
                    {.call_timeout = std::chrono::seconds(60)}};
      int closed = 0;
      int done = 0;
      asio::steady_timer all_done{co_await asio::this_coro::executor,
                                  std::chrono::steady_clock::time_point::max()};
      for (int i = 0; i < 3; ++i) {
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [](rpc::client* client, int* closed_count) -> asio::awaitable<void> {
              try {
                co_await client->call("sum", rpc::positional(1, 2));
              } catch (const std::system_error& e) {
                if (e.code() == errc::connection_closed) ++*closed_count;
              }
            }(&c, &closed),
            [&done, &all_done](std::exception_ptr e) {
              CHECK(!e);
              if (++done == 3) all_done.cancel();
            });
      }
      // The 60 s call timeout is far past the test's watchdog: only the drop can end them.
      while (done < 3)
        co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      CHECK(closed == 3);
      CHECK_FALSE(c.is_open());
      CHECK(c.pending_count() == 0);
      bool refused = false;
      try {
        co_await c.call("sum", rpc::positional(1));
      } catch (const std::system_error& e) {
        refused = e.code() == errc::connection_closed;
      }
      CHECK(refused);
    }(srv.local_endpoint().port()));
  }

  TEST_CASE("per-call timeout keeps the connection usable and drops the late answer") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", port)};
      const json slow{{"ms", 300}};
      bool timed_out = false;
      try {
        co_await c.call("sleep", slow, std::chrono::milliseconds(50));
      } catch (const std::system_error& e) {
        timed_out = e.code() == errc::timed_out;
      }
      CHECK(timed_out);
      CHECK(c.pending_count() == 0);
      CHECK(co_await c.call("sum", rpc::positional(1, 2)) == 3);
      co_await sleep_for(std::chrono::milliseconds(400));
      CHECK(co_await c.call("sum", rpc::positional(2, 2)) == 4);
      CHECK(c.unmatched_responses() == 1);  // the sleep's answer, after its caller left
    }(s.port()));
  }

  TEST_CASE("notify gets no reply but the server still runs it") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", port)};
      const json value{42, "x"};
      co_await c.notify("record", value);
      co_await c.notify("no_such_method");
      CHECK(co_await c.call("recorded") == value);
      CHECK(c.unmatched_responses() == 0);
    }(s.port()));
  }

  TEST_CASE(
      "client batch returns results in request order with errors per call and no notifications") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", port)};
      rpc::batch b;
      b.call("sum", {1, 2, 4})
          .notify("notify_hello", {7})
          .call("subtract", {42, 23})
          .call("foo.get", {{"name", "myself"}})
          .call("get_data");
      auto results = co_await c.batch(std::move(b));
      REQUIRE(results.size() == 4);
      CHECK(results[0].value() == 7);
      CHECK(results[1].value() == 19);
      CHECK_FALSE(results[2].ok());
      CHECK(results[2].error().code() == rpc::method_not_found);
      CHECK(throws_rpc_error([&] { (void)results[2].value(); }, rpc::method_not_found));
      CHECK(results[3].value() == json{"hello", 5});

      rpc::batch quiet;
      quiet.notify("notify_sum", {1, 2, 4}).notify("notify_hello", {7});
      auto none = co_await c.batch(std::move(quiet));
      CHECK(none.empty());
      CHECK(co_await c.call("sum", rpc::positional(1)) == 1);
      CHECK(c.unmatched_responses() == 0);
      CHECK_THROWS_AS(b.call("sum", 5), std::invalid_argument);
    }(s.port()));
  }

  TEST_CASE("client over length-prefixed framing") {
    test_server s{framing::length};
    run([](std::uint16_t port) -> asio::awaitable<void> {
      rpc::basic_client<length_prefixed_codec> c{co_await connect("127.0.0.1", port),
                                                 length_prefixed_codec{}};
      CHECK(co_await c.call("sum", rpc::positional(1, 2, 4)) == 7);
      int code = 0;
      try {
        co_await c.call("foobar");
      } catch (const rpc::error& e) {
        code = e.code();
      }
      CHECK(code == rpc::method_not_found);
    }(s.port()));
  }

  TEST_CASE("serve() also takes a framed<> or a json_channel<>") {
    rpc::server r = make_rpc();
    server by_framed{{.host = "127.0.0.1"}};
    by_framed.start(
        [&r](connection c) { return r.serve(framed<line_codec, connection>{std::move(c)}); });
    server by_channel{{.host = "127.0.0.1"}};
    by_channel.start(
        [&r](connection c) { return r.serve(json_channel<length_prefixed_codec>{std::move(c)}); });
    run([](std::uint16_t line_port, std::uint16_t length_port) -> asio::awaitable<void> {
      rpc::client a{co_await connect("127.0.0.1", line_port)};
      CHECK(co_await a.call("sum", rpc::positional(1, 2)) == 3);
      rpc::basic_client<length_prefixed_codec> b{co_await connect("127.0.0.1", length_port)};
      CHECK(co_await b.call("get_data") == json::parse(R"(["hello", 5])"));
    }(by_framed.local_endpoint().port(), by_channel.local_endpoint().port()));
  }

  TEST_CASE("a server stop cancels methods still running") {
    sleep_cancelled = false;
    sleep_started = false;
    test_server s{framing::line,
                  {},
                  {.host = "127.0.0.1",
                   .shutdown_timeout = std::chrono::milliseconds(50),
                   .cancel_on_force_close = true}};
    run([](test_server* ts) -> asio::awaitable<void> {
      rpc::client c{co_await connect("127.0.0.1", ts->port())};
      bool closed = false;
      bool finished = false;
      asio::co_spawn(
          co_await asio::this_coro::executor,
          [](rpc::client* client, bool* was_closed) -> asio::awaitable<void> {
            const json long_sleep{{"ms", 60000}};
            try {
              co_await client->call("sleep", long_sleep);
            } catch (const std::system_error& e) {
              *was_closed = e.code() == errc::connection_closed;
            }
          }(&c, &closed),
          [&finished](std::exception_ptr e) {
            CHECK(!e);
            finished = true;
          });
      // Stop only once the method runs: a request arriving after the stop is not read.
      for (int i = 0; i < 500 && !sleep_started; ++i)
        co_await sleep_for(std::chrono::milliseconds(10));
      REQUIRE(sleep_started.load());
      ts->srv.stop();
      for (int i = 0; i < 500 && !(finished && sleep_cancelled); ++i)
        co_await sleep_for(std::chrono::milliseconds(10));
      CHECK(finished);
      CHECK(closed);
      CHECK(sleep_cancelled.load());
    }(&s));
  }

  TEST_CASE("handle() answers one message without a stream") {
    auto r = make_rpc();
    std::optional<std::string> reply;
    std::optional<std::string> none{"unset"};
    run([](rpc::server* rs, std::optional<std::string>* batch_reply,
           std::optional<std::string>* notification_reply) -> asio::awaitable<void> {
      *batch_reply = co_await rs->handle(
          R"([{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1},{"jsonrpc":"2.0","method":"update"}])");
      *notification_reply =
          co_await rs->handle(R"({"jsonrpc":"2.0","method":"update","params":[1]})");
    }(&r, &reply, &none));
    REQUIRE(reply);
    CHECK(json::parse(*reply) == json::parse(R"([{"jsonrpc":"2.0","result":3,"id":1}])"));
    CHECK_FALSE(none);
    CHECK_THROWS_AS(r.add("late", echo_later), std::logic_error);
  }

  TEST_CASE("registration rules") {
    rpc::server r;
    CHECK_THROWS_AS(r.add("rpc.discover", echo_later), std::invalid_argument);
    r.add("echo", echo_later);
    CHECK(r.has("echo"));
    CHECK_FALSE(r.has("foobar"));
    CHECK(rpc::error{rpc::invalid_request}.message() == "Invalid Request");
    CHECK(rpc::error{-32050}.message() == "Server error");
    const auto e =
        rpc::error::from_json(json{{"code", -32001}, {"message", "m"}, {"data", nullptr}});
    CHECK(e.code() == -32001);
    REQUIRE(e.data());
    CHECK(e.data()->is_null());
    CHECK(e.to_json() == json{{"code", -32001}, {"message", "m"}, {"data", nullptr}});
  }

  TEST_CASE("a batch whose response is over the frame limit is answered - never silence") {
    test_server s;
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
      lines.write(std::string_view{
          R"([{"jsonrpc":"2.0","method":"big","params":[40000],"id":1},)"
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
    test_server s;
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
    test_server s{framing::length, {.max_response_size = 200}};
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

  TEST_CASE("the example methods are exact with big numbers or answer an error") {
    auto r = make_rpc();
    auto call = [&r](const std::string& method, const std::string& params) {
      std::optional<std::string> reply;
      run([](rpc::server* rs, std::string request,
             std::optional<std::string>* out) -> asio::awaitable<void> {
        *out = co_await rs->handle(std::move(request));
      }(&r, R"({"jsonrpc":"2.0","method":")" + method + R"(","params":)" + params + R"(,"id":1})",
        &reply));
      REQUIRE(reply);
      return json::parse(*reply);
    };
    const auto u64max = std::numeric_limits<std::uint64_t>::max();
    CHECK(call("subtract", "[18446744073709551615,1]").at("result") == u64max - 1);
    CHECK(call("sum", "[18446744073709551615]").at("result") == u64max);
    CHECK(call("subtract", "[9223372036854775808,0]").at("result") ==
          std::uint64_t{9223372036854775808u});
    CHECK(call("sum", "[18446744073709551615,1,-1]").at("result") == u64max);
    CHECK(call("subtract", "[-9223372036854775808,-1]").at("result") ==
          std::numeric_limits<std::int64_t>::min() + 1);
    CHECK(call("subtract", "[0,18446744073709551615]").at("error").at("code") == -32000);
    CHECK(call("sum", "[18446744073709551615,1]").at("error").at("code") == -32000);
    CHECK(call("subtract", "[-9223372036854775808,1]").at("error").at("code") == -32000);
    CHECK(call("sum", "[1e308,1e308]").at("error").at("code") == -32000);
    CHECK(call("sum", "[1.5,2]").at("result") == 3.5);
    CHECK(call("subtract", "[42,23]").at("result").is_number_integer());
  }

  TEST_CASE("a last request without its newline before EOF is answered") {
    test_server s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", port);
      const std::string request = R"({"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1})";
      co_await conn.write(asio::buffer(request));
      conn.shutdown_send();
      const auto text = co_await read_to_eof(conn);
      REQUIRE(!text.empty());
      CHECK(json::parse(text).at("result") == 3);
    }(s.port()));
  }

  TEST_CASE("number ids come back exactly as written - past 64 bits and -0 too") {
    auto r = make_rpc();
    auto answer = [&r](std::string request) {
      std::optional<std::string> reply;
      run([](rpc::server* rs, std::string text,
             std::optional<std::string>* out) -> asio::awaitable<void> {
        *out = co_await rs->handle(std::move(text));
      }(&r, std::move(request), &reply));
      REQUIRE(reply);
      return *reply;
    };
    CHECK(answer(R"({"jsonrpc":"2.0","method":"sum","params":[1],"id":184467440737095516160})") ==
          R"({"id":184467440737095516160,"jsonrpc":"2.0","result":1})");
    CHECK(answer(R"({"jsonrpc":"2.0","method":"sum","params":[1],"id":-0})") ==
          R"({"id":-0,"jsonrpc":"2.0","result":1})");
    CHECK(answer(R"({"jsonrpc":"2.0","method":"sum","params":[1], "id" : 1E2 })") ==
          R"({"id":1E2,"jsonrpc":"2.0","result":1})");
    // Errors, invalid requests and batches (with an escaped key) keep them too.
    CHECK(answer(R"({"jsonrpc":"2.0","method":"foobar","id":1.50})") ==
          R"({"error":{"code":-32601,"message":"Method not found"},"id":1.50,"jsonrpc":"2.0"})");
    CHECK(answer(R"({"jsonrpc":"1.0","method":"sum","id":-0.0})") ==
          R"({"error":{"code":-32600,"message":"Invalid Request"},"id":-0.0,"jsonrpc":"2.0"})");
    CHECK(answer(R"([{"jsonrpc":"2.0","method":"sum","params":[2],"\u0069d":99999999999999999999},)"
                 R"(7,{"jsonrpc":"2.0","method":"sum","params":[3],"id":{"x":"\"id\":1"}},)"
                 R"({"jsonrpc":"2.0","method":"sum","params":[4],"id":4}])") ==
          R"([{"id":99999999999999999999,"jsonrpc":"2.0","result":2},)"
          R"({"error":{"code":-32600,"message":"Invalid Request"},"id":null,"jsonrpc":"2.0"},)"
          R"({"error":{"code":-32600,"message":"Invalid Request"},"id":null,"jsonrpc":"2.0"},)"
          R"({"id":4,"jsonrpc":"2.0","result":4}])");
    // Ordinary ids take no detour.
    CHECK(answer(R"({"jsonrpc":"2.0","method":"sum","params":[1],"id":0})") ==
          R"({"id":0,"jsonrpc":"2.0","result":1})");
  }
}
