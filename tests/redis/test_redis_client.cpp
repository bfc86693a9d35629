// coronet::redis against a real redis-server (tests/support/redis_support.hpp): commands and
// their reply types, pipelining from many coroutines and pipeline(), big values and
// the reply limits, command and connect timeouts, AUTH and CLIENT SETNAME, pub/sub
// (messages during subscribe() not lost, close() ending a pending receive()), and Redis
// restarting under a client and a subscriber; plus redis::backoff.
#include "redis_client_support.hpp"
#include "redis_support.hpp"
#include "support.hpp"

#include <coronet/redis.hpp>

#include <doctest/doctest.h>
#include <asio/experimental/as_tuple.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;

using namespace coronet::test::redis_client_support;

namespace {

// ---------------------------------------------------------------------------------

asio::awaitable<void> commands(std::uint16_t port) {
  auto c = co_await redis::client::connect("127.0.0.1", port);
  CHECK(c.connected());
  auto r = co_await cmd(c, "SET", "greeting", "hello");
  CHECK(r == ok());
  r = co_await cmd(c, "GET", "greeting");
  CHECK(r == bulk("hello"));
  r = co_await cmd(c, "GET", "missing");
  CHECK(r.is_null());
  r = co_await cmd(c, "INCR", "n");
  CHECK(r == num(1));
  r = co_await cmd(c, "INCRBY", "n", "-5");
  CHECK(r == num(-4));
  // Error replies are values; the connection carries on.
  r = co_await cmd(c, "INCR", "greeting");
  CHECK(r.is_error());
  CHECK(r.text.starts_with("ERR"));
  r = co_await cmd(c, "NOSUCHCOMMAND");
  CHECK(r.is_error());
  r = co_await cmd(c, "LPUSH", "greeting", "a");
  CHECK(r.is_error());
  CHECK(r.text.starts_with("WRONGTYPE"));
  // Arrays, with a nil inside, and binary-safe values.
  co_await cmd(c, "RPUSH", "l", "x", "", std::string("a\r\n\0b", 5));
  r = co_await cmd(c, "LRANGE", "l", "0", "-1");
  REQUIRE(r.is_array());
  CHECK(r.elements == std::vector<value>{bulk("x"), bulk(""), bulk(std::string("a\r\n\0b", 5))});
  r = co_await cmd(c, "MGET", "greeting", "missing");
  REQUIRE(r.is_array());
  REQUIRE(r.elements.size() == 2);
  CHECK(r.elements[0] == bulk("hello"));
  CHECK(r.elements[1].is_null());
  r = co_await cmd(c, "LRANGE", "nolist", "0", "-1");
  CHECK((r.is_array() && r.elements.empty()));
  CHECK(resp::to_string(r) == "(empty array)");
  // An empty command would get no reply at all: refused before it is sent.
  auto empty = strings{};
  auto ec = co_await error_of(c.command(empty));
  CHECK(ec == errc::invalid_frame);
  CHECK(c.connected());
  r = co_await cmd(c, "PING");
  CHECK(r == value{.kind = resp::kind::simple_string, .text = "PONG"});
}

asio::awaitable<void> one_caller(redis::client* c, int i) {
  const auto key = "key:" + std::to_string(i);
  const auto val = "value:" + std::to_string(i * 7);
  auto set = strings{"SET", key, val};
  auto r = co_await c->command(set);
  CHECK(r == ok());
  auto get = strings{"GET", key};
  r = co_await c->command(get);
  CHECK(r == bulk(val));
  auto incr = strings{"INCR", "counter"};
  r = co_await c->command(incr);
  CHECK((r.is_integer() && r.integer >= 1 && r.integer <= 300));
}

asio::awaitable<void> concurrent_commands(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto c = co_await redis::client::connect("127.0.0.1", port);
  auto observer = co_await redis::client::connect("127.0.0.1", port);
  auto info = strings{"INFO", "stats"};
  const auto before = info_field(co_await observer.command(info), "total_reads_processed");
  constexpr int callers = 300;
  latch all{ex, callers};
  for (int i = 0; i < callers; ++i)
    asio::co_spawn(ex, one_caller(&c, i), all.done());
  co_await all.wait();
  const auto after = info_field(co_await observer.command(info), "total_reads_processed");
  auto r = co_await cmd(c, "GET", "counter");
  CHECK(r == bulk("300"));
  // 900 commands in three rounds of 300 coinciding calls: pipelined, they reach Redis
  // in a handful of reads, not hundreds (the observer's own INFO is one of them).
  REQUIRE(before >= 0);
  CHECK(after - before < 60);
  MESSAGE("redis reads for 900 pipelined commands: " << (after - before));
}

asio::awaitable<void> pipelines(std::uint16_t port) {
  auto c = co_await redis::client::connect("127.0.0.1", port);
  auto batch = std::vector<strings>{{"SET", "a", "1"},  {"INCR", "a"},   {"GET", "a"},
                                    {"HSET", "a", "f"}, {"GET", "none"}, {"ECHO", "done"}};
  auto replies = co_await c.pipeline(batch);
  REQUIRE(replies.size() == 6);
  CHECK(replies[0] == ok());
  CHECK(replies[1] == num(2));
  CHECK(replies[2] == bulk("2"));
  CHECK(replies[3].is_error());
  CHECK(replies[4].is_null());
  CHECK(replies[5] == bulk("done"));
  auto none = std::vector<strings>{};
  replies = co_await c.pipeline(none);
  CHECK(replies.empty());
  // A big one: 10000 commands in one write.
  std::vector<strings> many;
  for (int i = 0; i < 10000; ++i)
    many.push_back({"ECHO", std::to_string(i)});
  replies = co_await c.pipeline(many);
  REQUIRE(replies.size() == 10000);
  bool in_order = true;
  for (int i = 0; i < 10000; ++i)
    in_order = in_order && replies[static_cast<std::size_t>(i)] == bulk(std::to_string(i));
  CHECK(in_order);
}

asio::awaitable<void> big_values(std::uint16_t port) {
  auto c = co_await redis::client::connect("127.0.0.1", port);
  std::string big(8 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  auto r = co_await cmd(c, "SET", "big", big);
  CHECK(r == ok());
  r = co_await cmd(c, "GET", "big");
  CHECK(r.kind == resp::kind::bulk_string);
  CHECK(r.text.size() == big.size());
  CHECK(r.text == big);
  r = co_await cmd(c, "STRLEN", "big");
  CHECK(r == num(static_cast<std::int64_t>(big.size())));
  // Over the client's own limit: the reply is refused on its header and the connection
  // ends, since the bytes after it can no longer be framed.
  redis::client_options small;
  small.limits.max_bulk = 1024 * 1024;
  auto limited = co_await redis::client::connect("127.0.0.1", port, small);
  auto get = strings{"GET", "big"};
  auto ec = co_await error_of(limited.command(get));
  CHECK(ec == errc::frame_too_large);
  CHECK(!limited.connected());
  CHECK(limited.close_reason() == errc::frame_too_large);
  ec = co_await error_of(limited.command(get));
  CHECK(ec == errc::connection_closed);
}

asio::awaitable<void> command_timeout(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  redis::client_options o;
  o.command_timeout = std::chrono::milliseconds(200);
  auto c = co_await redis::client::connect("127.0.0.1", port, o);
  // BLPOP blocks for 2 s on an empty list: its reply is later than the timeout. A
  // command sent after it waits behind it and fails with it.
  auto blpop = strings{"BLPOP", "empty-list", "2"};
  std::error_code ec;
  std::error_code behind;
  latch both{ex, 2};
  const auto start = std::chrono::steady_clock::now();
  // co_spawn starts each right away, in this order: BLPOP is sent first.
  asio::co_spawn(ex, store_error(error_of(c.command(blpop)), &ec), both.done());
  asio::co_spawn(ex, pending_get(&c, &behind), both.done());
  co_await both.wait();
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(ec == errc::timed_out);
  CHECK(behind == errc::timed_out);
  CHECK(took < std::chrono::milliseconds(1500));
  CHECK(!c.connected());
  CHECK(c.close_reason() == errc::timed_out);
  auto ping = strings{"PING"};
  const auto after = co_await error_of(c.command(ping));
  CHECK(after == errc::connection_closed);
  // A new connection works again.
  co_await c.reconnect();
  CHECK(c.connected());
  auto r = co_await c.command(ping);
  CHECK(r.text == "PONG");
}

asio::awaitable<void> connect_failures(std::uint16_t closed_port) {
  auto ex = co_await asio::this_coro::executor;
  auto ec = co_await error_of(redis::client::connect("127.0.0.1", closed_port));
  CHECK(ec == asio::error::connection_refused);
  ec = co_await error_of(redis::subscriber::connect("127.0.0.1", closed_port));
  CHECK(ec == asio::error::connection_refused);

  // A listener that never accepts, its backlog full: only the timeout ends the attempt.
  asio::ip::tcp::acceptor full{ex};
  asio::ip::tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
  full.open(ep.protocol());
  full.bind(ep);
  full.listen(0);
  ep = full.local_endpoint();
  std::vector<asio::ip::tcp::socket> fillers;
  for (int i = 0; i < 4; ++i) {
    fillers.emplace_back(ex);
    fillers.back().async_connect(ep, [](std::error_code) {});
  }
  co_await sleep_for(100ms);
  redis::client_options o;
  o.connect_timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  ec = co_await error_of(redis::client::connect("127.0.0.1", ep.port(), o));
  CHECK(ec == errc::timed_out);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  for (auto& s : fillers)
    s.close();
}

asio::awaitable<void> silent_peer(connection conn) {
  co_await read_to_eof(conn);
}

asio::awaitable<void> silent_server_handshake(std::uint16_t port) {
  // A server that accepts and never answers: AUTH is bounded by command_timeout.
  redis::client_options o;
  o.password = "secret";
  o.command_timeout = std::chrono::milliseconds(200);
  auto ec = co_await error_of(redis::client::connect("127.0.0.1", port, o));
  CHECK(ec == errc::timed_out);
}

asio::awaitable<void> auth_and_name(std::uint16_t port) {
  auto admin = co_await redis::client::connect("127.0.0.1", port);
  auto r = co_await cmd(admin, "CONFIG", "SET", "requirepass", "s3cret");
  REQUIRE(r == ok());
  redis::client_options o;
  o.password = "s3cret";
  o.client_name = "coronet-test";
  auto c = co_await redis::client::connect("127.0.0.1", port, o);
  r = co_await cmd(c, "CLIENT", "GETNAME");
  CHECK(r == bulk("coronet-test"));
  auto s = co_await redis::subscriber::connect("127.0.0.1", port, o);
  CHECK(s.connected());
  // The wrong password fails the connect; none leaves commands refused by Redis.
  redis::client_options wrong;
  wrong.password = "nope";
  auto ec = co_await error_of(redis::client::connect("127.0.0.1", port, wrong));
  CHECK(ec == errc::redis_auth_failed);
  auto anonymous = co_await redis::client::connect("127.0.0.1", port);
  r = co_await cmd(anonymous, "GET", "k");
  CHECK(r.is_error());
  CHECK(r.text.starts_with("NOAUTH"));
  // A name Redis refuses (spaces) fails the connect the same way.
  redis::client_options bad_name = o;
  bad_name.client_name = "has spaces";
  ec = co_await error_of(redis::client::connect("127.0.0.1", port, bad_name));
  CHECK(ec == errc::redis_error);
  r = co_await cmd(admin, "CONFIG", "SET", "requirepass", "");
  CHECK(r == ok());
}

}  // namespace

TEST_SUITE("redis") {
  TEST_CASE("redis: commands, reply types, error replies as values") {
    redis_instance redis;
    run(commands(redis.port()));
  }

  TEST_CASE("redis: concurrent command() calls are pipelined, each gets its own reply") {
    redis_instance redis;
    run(concurrent_commands(redis.port()));
  }

  TEST_CASE("redis: pipeline() sends its commands together and returns replies in order") {
    redis_instance redis;
    run(pipelines(redis.port()));
  }

  TEST_CASE("redis: big values round trip and a reply over limits ends the connection") {
    redis_instance redis;
    run(big_values(redis.port()));
  }

  TEST_CASE("redis: a reply later than command_timeout is timed_out and closes the connection") {
    redis_instance redis;
    run(command_timeout(redis.port()));
  }

  TEST_CASE("redis: connect refused and connect timeout") {
    asio::io_context io;
    asio::ip::tcp::acceptor probe{io, {asio::ip::make_address("127.0.0.1"), 0}};
    const auto closed_port = probe.local_endpoint().port();
    probe.close();
    run(connect_failures(closed_port));
    running_server silent{silent_peer};
    run(silent_server_handshake(silent.port()));
  }

  TEST_CASE("redis: AUTH and CLIENT SETNAME at connect") {
    redis_instance redis;
    run(auth_and_name(redis.port()));
  }

  TEST_CASE("redis: backoff doubles with jitter up to its bound, and resets") {
    using std::chrono::milliseconds;
    redis::backoff b{milliseconds(100), milliseconds(1000)};
    const std::vector<long> steps{100, 200, 400, 800, 1000, 1000, 1000};
    for (long step : steps) {
      const auto d = b.next().count();
      CHECK(d >= step / 2);
      CHECK(d <= step);
    }
    b.reset();
    const auto d = b.next().count();
    CHECK((d >= 50 && d <= 100));
    // Many steps never overflow past the bound.
    redis::backoff big{milliseconds(1), milliseconds(5000)};
    for (int i = 0; i < 200; ++i)
      CHECK(big.next() <= milliseconds(5000));
  }
}
