// The conveniences a newcomer reaches for: sync_wait for a client's main, JSON values
// without braced lists (GCC 12), finish() to answer an error and hang up, what
// try_send did and why an outbox closed a stream, plain functions as JSON-RPC methods.
#include "support.hpp"

#include <coronet/json.hpp>

#include <stdexcept>
#include <string>

using namespace coronet;
using namespace coronet::test;
using nlohmann::json;

namespace {

asio::awaitable<int> forty_two() {
  co_return 42;
}
asio::awaitable<int> fails() {
  throw std::runtime_error("boom");
  co_return 0;
}

// Answers every line with its length; a line over 16 bytes gets an error line, then
// finish(): no co_await inside the catch, a flag instead. docs/framing.md shows this.
// [snippet:finish]
asio::awaitable<void> strict(coronet::connection conn) {
  coronet::framed lines{std::move(conn), coronet::line_codec{{.max_length = 16}}};
  std::optional<std::string> error;
  try {
    while (auto line = co_await lines.read())
      lines.write(std::to_string(line->size()));
  } catch (const std::system_error& e) {
    error = e.code().message();
  }
  if (error) {
    lines.write("error: " + *error);  // write() still works after a decode error
    co_await lines.finish(std::chrono::seconds(5));
  }
}
// [snippet:end]

}  // namespace

TEST_SUITE("conveniences") {
  TEST_CASE("sync_wait returns the result or rethrows") {
    CHECK(sync_wait(forty_two()) == 42);
    CHECK_THROWS_WITH_AS(sync_wait(fails()), "boom", std::runtime_error);
    bool ran = false;
    sync_wait([](bool* flag) -> asio::awaitable<void> {
      *flag = true;
      co_return;
    }(&ran));
    CHECK(ran);
  }

  TEST_CASE("json_object and json_array build values inside a co_await statement") {
    server srv{{.host = "127.0.0.1"}};
    srv.start([](connection conn) -> asio::awaitable<void> {
      json_channel<> ch{std::move(conn)};
      while (auto msg = co_await ch.read())
        co_await ch.send(json_object("echo", *msg, "list", json_array(1, "two", 3.5)));
    });
    const auto port = srv.local_endpoint().port();
    const auto reply = sync_wait([](std::uint16_t p) -> asio::awaitable<json> {
      json_channel<> ch{co_await connect("127.0.0.1", p)};
      co_await ch.send(json_object("type", "hello", "n", 1));
      auto answer = co_await ch.read();
      co_return answer.value_or(json());
    }(port));
    CHECK(reply == json::parse(R"({"echo":{"type":"hello","n":1},"list":[1,"two",3.5]})"));
  }

  TEST_CASE("finish answers an error line and hangs up without losing it") {
    server srv{{.host = "127.0.0.1"}};
    srv.start(strict);
    const auto port = srv.local_endpoint().port();
    const auto text = sync_wait([](std::uint16_t p) -> asio::awaitable<std::string> {
      auto conn = co_await connect("127.0.0.1", p);
      const std::string lines = "abc\n" + std::string(5000, 'x');  // the second is too long
      co_await conn.write(asio::buffer(lines));
      // The server half-closes after its error line; everything arrives, then EOF (no
      // reset: finish() drained what we sent before closing).
      std::string got;
      std::array<char, 1024> buf;
      for (;;) {
        auto n = co_await with_timeout(conn.read_some(asio::buffer(buf)), 10s);
        if (n == 0) break;
        got.append(buf.data(), n);
      }
      conn.shutdown_send();
      co_return got;
    }(port));
    CHECK(text == "3\nerror: frame exceeds the configured limit\n");
  }

  TEST_CASE("try_send tells a full queue from a closed stream and close gives a reason") {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    asio::ip::tcp::socket peer{io};
    peer.connect(acceptor.local_endpoint());
    framed lines{connection{acceptor.accept()}, line_codec{}, {.high_water_mark = 8}};
    auto out = lines.get_outbox();
    CHECK(out.try_send(std::string_view{"0123456789"}).status() == send_status::queued);
    const auto full = out.try_send(std::string_view{"more"});
    CHECK(full.full());
    CHECK_FALSE(full);  // the old bool answer
    io.run_for(100ms);  // the writer drains the queue into the socket
    io.restart();       // run_for() stopped the context when it ran out of work
    CHECK(out.try_send(std::string_view{"again"}));
    out.close(errc::outbox_full);
    io.run_for(100ms);
    io.restart();
    CHECK(out.try_send(std::string_view{"late"}).closed());
    CHECK(lines.close_reason() == errc::outbox_full);
    std::error_code read_error;
    asio::co_spawn(
        io,
        [](framed<line_codec>* f, std::error_code* ec) -> asio::awaitable<void> {
          try {
            co_await f->read();
          } catch (const std::system_error& e) {
            *ec = e.code();
          }
        }(&lines, &read_error),
        asio::detached);
    io.run_for(100ms);
    CHECK(read_error == errc::outbox_full);
  }

  TEST_CASE("plain functions and lambdas are JSON-RPC methods too") {
    rpc::router router;
    router.add("twice", [](json params) { return params.at(0).get<int>() * 2; });
    router.add("nothing", [](json /*params*/) {});
    router.add<std::tuple<int, int>>(
        "mul", [](std::tuple<int, int> p) { return std::get<0>(p) * std::get<1>(p); });
    auto ask = [&router](std::string request) {
      return json::parse(sync_wait(router.handle(std::move(request))).value());
    };
    CHECK(ask(R"({"jsonrpc":"2.0","method":"twice","params":[21],"id":1})").at("result") == 42);
    CHECK(ask(R"({"jsonrpc":"2.0","method":"nothing","id":2})").at("result").is_null());
    CHECK(ask(R"({"jsonrpc":"2.0","method":"mul","params":[6,7],"id":3})").at("result") == 42);
    CHECK(ask(R"({"jsonrpc":"2.0","method":"mul","params":[6],"id":4})").at("error").at("code") ==
          rpc::invalid_params);
  }
}
