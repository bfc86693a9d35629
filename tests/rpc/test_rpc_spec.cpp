// JSON-RPC 2.0 conformance: every example exchange of the specification replayed against
// the example server in both framings, the rules around ids and invalid requests, many
// requests on one connection, numbers kept exactly, and rpc::router without a stream.
#include "rpc_support.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::rpc_support;
using nlohmann::json;

namespace {

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

}  // namespace

TEST_SUITE("rpc") {
  TEST_CASE("every example exchange of the specification over newline-delimited JSON") {
    rpc_fixture s;
    run(replay_spec(s.port(), framing::line));
  }

  TEST_CASE("every example exchange of the specification over length-prefixed frames") {
    rpc_fixture s{framing::length};
    run(replay_spec(s.port(), framing::length));
  }

  TEST_CASE("ids are echoed exactly and invalid requests keep a valid id but lose an invalid one") {
    rpc_fixture s;
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
    rpc_fixture s;
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

  TEST_CASE("at EOF the server finishes running requests and flushes their responses") {
    rpc_fixture s;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto replies =
          co_await exchange(port, R"({"jsonrpc":"2.0","method":"sleep","params":{"ms":200},"id":1}
{"jsonrpc":"2.0","method":"sum","params":[2,3],"id":2})");
      REQUIRE(replies.size() == 2);
      CHECK(replies[0].at("id") == 2);  // the quick one first: responses as they complete
      CHECK(replies[1].at("result") == "slept");
    }(s.port()));
  }

  TEST_CASE("handle() answers one message without a stream") {
    auto r = make_rpc();
    std::optional<std::string> reply;
    std::optional<std::string> none{"unset"};
    run([](rpc::router* rs, std::optional<std::string>* batch_reply,
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
    rpc::router r;
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

  TEST_CASE("the example methods are exact with big numbers or answer an error") {
    auto r = make_rpc();
    auto call = [&r](const std::string& method, const std::string& params) {
      std::optional<std::string> reply;
      run([](rpc::router* rs, std::string request,
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
    rpc_fixture s;
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
      run([](rpc::router* rs, std::string text,
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
