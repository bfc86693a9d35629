// rpc::client against the example server: typed calls, 1000 concurrent calls matched by
// id, a dropped connection, per-call timeouts, notifications, batches, length-prefixed
// framing, serve() over framed<> and json_channel<>, and a server stop cancelling methods.
#include "rpc_support.hpp"

#include <asio/experimental/as_tuple.hpp>

#include <algorithm>
#include <exception>
#include <string>
#include <utility>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::rpc_support;
using nlohmann::json;

namespace {

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
  TEST_CASE("typed registration converts with from_json and answers -32602 when that fails") {
    rpc_fixture s;
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
    rpc_fixture s;
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

  TEST_CASE("a dropped connection fails every pending call at once") {
    // A server that reads three requests, answers none, and hangs up.
    running_server s{[](connection conn) -> asio::awaitable<void> {
      framed<line_codec, connection> lines{std::move(conn)};
      for (int i = 0; i < 3; ++i)
        if (!co_await lines.read()) co_return;
    }};
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
    }(s.port()));
  }

  TEST_CASE("per-call timeout keeps the connection usable and drops the late answer") {
    rpc_fixture s;
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
    rpc_fixture s;
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
    rpc_fixture s;
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
    rpc_fixture s{framing::length};
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
    rpc::router r = make_rpc();
    running_server by_framed{
        [&r](connection c) { return r.serve(framed<line_codec, connection>{std::move(c)}); }};
    running_server by_channel{
        [&r](connection c) { return r.serve(json_channel<length_prefixed_codec>{std::move(c)}); }};
    run([](std::uint16_t line_port, std::uint16_t length_port) -> asio::awaitable<void> {
      rpc::client a{co_await connect("127.0.0.1", line_port)};
      CHECK(co_await a.call("sum", rpc::positional(1, 2)) == 3);
      rpc::basic_client<length_prefixed_codec> b{co_await connect("127.0.0.1", length_port)};
      CHECK(co_await b.call("get_data") == json::parse(R"(["hello", 5])"));
    }(by_framed.port(), by_channel.port()));
  }

  TEST_CASE("a server stop cancels methods still running") {
    sleep_cancelled = false;
    sleep_started = false;
    rpc_fixture s{
        framing::line,
        {},
        {.shutdown = {.timeout = std::chrono::milliseconds(50), .cancel_on_force_close = true}}};
    run([](rpc_fixture* ts) -> asio::awaitable<void> {
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
      ts->srv.server().stop();
      for (int i = 0; i < 500 && !(finished && sleep_cancelled); ++i)
        co_await sleep_for(std::chrono::milliseconds(10));
      CHECK(finished);
      CHECK(closed);
      CHECK(sleep_cancelled.load());
    }(&s));
  }
}
