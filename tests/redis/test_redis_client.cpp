// coronet::redis against a real redis-server (tests/support/redis_support.hpp): commands and
// their reply types, pipelining from many coroutines and pipeline(), big values and
// the reply limits, command and connect timeouts, AUTH and CLIENT SETNAME, pub/sub
// (messages during subscribe() not lost, close() ending a pending receive()), and Redis
// restarting under a client and a subscriber; plus redis::backoff.
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
using resp::value;
using strings = std::vector<std::string>;

namespace {

value ok() {
  return {.kind = resp::kind::simple_string, .text = "OK"};
}
value bulk(std::string s) {
  return {.kind = resp::kind::bulk_string, .text = std::move(s)};
}
value num(std::int64_t n) {
  return {.kind = resp::kind::integer, .integer = n};
}

// Waits until `count` coroutines spawned with done() as their completion finished;
// keeps the first exception.
struct latch {
  explicit latch(const asio::any_io_executor& ex, std::size_t count)
      : timer(ex, std::chrono::steady_clock::time_point::max()), left(count) {}
  auto done() {
    return [this](const std::exception_ptr& e) {
      if (e && !error) error = e;
      if (--left == 0) timer.cancel();
    };
  }
  asio::awaitable<void> wait() {
    if (left > 0) co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (error) std::rethrow_exception(error);
  }
  asio::steady_timer timer;
  std::size_t left;
  std::exception_ptr error;
};

// One command from its arguments. Not a coroutine: the vector is built here, outside
// the caller's co_await statement (g++ 12 mishandles braced temporaries there).
template <typename... Args>
asio::awaitable<value> cmd(redis::client& c, Args&&... args) {
  return c.command(strings{std::string(std::forward<Args>(args))...});
}

asio::awaitable<void> store_error(asio::awaitable<std::error_code> op, std::error_code* out) {
  *out = co_await std::move(op);
}

// The std::error_code a system_error thrown by `op` carries (empty if it did not throw).
template <typename T>
asio::awaitable<std::error_code> error_of(asio::awaitable<T> op) {
  try {
    co_await std::move(op);
  } catch (const std::system_error& e) {
    co_return e.code();
  }
  co_return std::error_code{};
}

std::int64_t info_field(const value& info, const std::string& name) {
  const auto at = info.text.find(name + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(info.text.substr(at + name.size() + 1));
}

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

asio::awaitable<void> pending_get(redis::client* c, std::error_code* out) {
  auto other = strings{"GET", "x"};
  *out = co_await error_of(c->command(other));
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

asio::awaitable<void> pubsub(std::uint16_t port) {
  auto pub = co_await redis::client::connect("127.0.0.1", port);
  auto sub = co_await redis::subscriber::connect("127.0.0.1", port);
  auto channels = strings{"room:1", "room:2"};
  co_await sub.subscribe(channels);
  CHECK(sub.channels().size() == 2);
  auto r = co_await cmd(pub, "PUBLISH", "room:1", "hello");
  CHECK(r == num(1));  // one subscriber got it
  auto m = co_await sub.receive();
  CHECK(m.channel == "room:1");
  CHECK(m.payload == "hello");
  CHECK(m.pattern.empty());
  auto patterns = strings{"news.*"};
  co_await sub.psubscribe(patterns);
  r = co_await cmd(pub, "PUBLISH", "news.sport", std::string("bin\0\r\n", 6));
  CHECK(r == num(1));
  m = co_await sub.receive();
  CHECK(m.channel == "news.sport");
  CHECK(m.payload == std::string("bin\0\r\n", 6));
  CHECK(m.pattern == "news.*");
  auto leave = strings{"room:1"};
  co_await sub.unsubscribe(leave);
  CHECK(sub.channels() == std::set<std::string>{"room:2"});
  r = co_await cmd(pub, "PUBLISH", "room:1", "nobody");
  CHECK(r == num(0));
  r = co_await cmd(pub, "PUBLISH", "room:2", "still here");
  CHECK(r == num(1));
  m = co_await sub.receive();
  CHECK(m.channel == "room:2");
  CHECK(m.payload == "still here");
  // Unsubscribing from everything (an empty list), patterns too.
  auto all = strings{};
  co_await sub.unsubscribe(all);
  co_await sub.punsubscribe(all);
  CHECK(sub.channels().empty());
  CHECK(sub.patterns().empty());
  r = co_await cmd(pub, "PUBLISH", "room:2", "gone");
  CHECK(r == num(0));
  CHECK(sub.queued() == 0);
  CHECK(sub.connected());
}

asio::awaitable<void> collect(redis::subscriber* sub, std::size_t n,
                              std::vector<redis::message>* out) {
  while (out->size() < n)
    out->push_back(co_await sub->receive());
}

asio::awaitable<void> publish_many(redis::client* pub, std::string channel, int n) {
  std::vector<strings> batch;
  for (int i = 0; i < n; ++i)
    batch.push_back({"PUBLISH", channel, std::to_string(i)});
  auto replies = co_await pub->pipeline(batch);
  for (const auto& r : replies)
    CHECK(r == num(1));
}

asio::awaitable<void> messages_during_subscribe(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto pub = co_await redis::client::connect("127.0.0.1", port);
  auto sub = co_await redis::subscriber::connect("127.0.0.1", port);
  auto first = strings{"a"};
  co_await sub.subscribe(first);
  // A receive() is pending while the publisher floods channel "a" and, at the same
  // time, subscribe() asks for more channels: the confirmations arrive between the
  // messages, and no message may be lost or reordered.
  constexpr int n = 500;
  std::vector<redis::message> got;
  latch done{ex, 2};
  asio::co_spawn(ex, collect(&sub, n + 1, &got), done.done());
  asio::co_spawn(ex, publish_many(&pub, "a", n), done.done());
  std::vector<std::string> more;
  for (int i = 0; i < 50; ++i)
    more.push_back("b" + std::to_string(i));
  co_await sub.subscribe(more);
  auto r = co_await cmd(pub, "PUBLISH", "b7", "after");
  CHECK(r == num(1));
  co_await done.wait();
  REQUIRE(got.size() == n + 1);
  bool in_order = true;
  for (int i = 0; i < n; ++i)
    in_order = in_order && got[static_cast<std::size_t>(i)].channel == "a" &&
               got[static_cast<std::size_t>(i)].payload == std::to_string(i);
  CHECK(in_order);
  CHECK(got.back().channel == "b7");
  CHECK(got.back().payload == "after");

  // Without any receive() waiting, messages queue up for later.
  co_await publish_many(&pub, "a", 10);
  auto r2 = co_await cmd(pub, "PING");  // the messages went out before this reply
  CHECK(r2.text == "PONG");
  auto again = strings{"c"};
  co_await sub.subscribe(again);  // by now the ten are queued
  CHECK(sub.queued() == 10);
  for (int i = 0; i < 10; ++i) {
    auto m = co_await sub.receive();
    CHECK(m.payload == std::to_string(i));
  }
}

asio::awaitable<void> slow_consumer(std::uint16_t port) {
  // With max_queued_messages = 5 the subscriber stops reading once five messages wait:
  // the rest stay in the socket and in Redis, and arrive, all of them and in order, as
  // receive() catches up.
  redis::client_options o;
  o.max_queued_messages = 5;
  auto pub = co_await redis::client::connect("127.0.0.1", port);
  auto sub = co_await redis::subscriber::connect("127.0.0.1", port, o);
  auto ch = strings{"flood"};
  co_await sub.subscribe(ch);
  constexpr int n = 200;
  const std::string pad(1024, 'x');
  std::vector<strings> batch;
  for (int i = 0; i < n; ++i)
    batch.push_back({"PUBLISH", "flood", std::to_string(i) + ":" + pad});
  co_await pub.pipeline(batch);
  co_await sleep_for(100ms);
  // One read's worth at most (16 KiB of ~1 KiB messages) past the limit.
  CHECK(sub.queued() >= 5);
  CHECK(sub.queued() <= 30);
  bool in_order = true;
  for (int i = 0; i < n; ++i) {
    auto m = co_await sub.receive();
    in_order = in_order && m.payload == std::to_string(i) + ":" + pad;
  }
  CHECK(in_order);
  CHECK(sub.queued() == 0);
}

asio::awaitable<void> receive_until_error(redis::subscriber* sub, std::error_code* out) {
  try {
    for (;;)
      co_await sub->receive();
  } catch (const std::system_error& e) {
    *out = e.code();
  }
}

asio::awaitable<void> close_ends_pending(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto sub = co_await redis::subscriber::connect("127.0.0.1", port);
  auto ch = strings{"quiet"};
  co_await sub.subscribe(ch);
  std::error_code ec;
  latch done{ex, 1};
  asio::co_spawn(ex, receive_until_error(&sub, &ec), done.done());
  co_await sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  sub.close();
  co_await done.wait();
  CHECK(ec == errc::connection_closed);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  CHECK(!sub.connected());

  // A client's pending commands likewise: BLPOP blocks, GET waits behind it.
  auto c = co_await redis::client::connect("127.0.0.1", port);
  auto blpop = strings{"BLPOP", "nothing", "5"};
  std::error_code blocked_ec;
  std::error_code cmd_ec;
  latch done2{ex, 2};
  asio::co_spawn(ex, store_error(error_of(c.command(blpop)), &blocked_ec), done2.done());
  asio::co_spawn(ex, pending_get(&c, &cmd_ec), done2.done());
  co_await sleep_for(50ms);
  const auto closing = std::chrono::steady_clock::now();
  c.close();
  co_await done2.wait();
  CHECK(cmd_ec == errc::connection_closed);
  CHECK(blocked_ec == errc::connection_closed);
  CHECK(std::chrono::steady_clock::now() - closing < std::chrono::milliseconds(500));
}

asio::awaitable<void> restart(redis_instance* redis) {
  auto ex = co_await asio::this_coro::executor;
  const auto port = redis->port();
  redis::client_options o;
  o.connect_timeout = std::chrono::milliseconds(500);
  auto c = co_await redis::client::connect("127.0.0.1", port, o);
  auto sub = co_await redis::subscriber::connect("127.0.0.1", port, o);
  auto channels = strings{"news"};
  auto patterns = strings{"ev.*"};
  co_await sub.subscribe(channels);
  co_await sub.psubscribe(patterns);
  std::error_code receive_ec;
  latch receiving{ex, 1};
  asio::co_spawn(ex, receive_until_error(&sub, &receive_ec), receiving.done());
  co_await sleep_for(20ms);

  redis->kill();  // SIGKILL: no goodbye, the kernel closes the sockets
  co_await receiving.wait();
  CHECK(receive_ec);
  CHECK(!sub.connected());
  auto ping = strings{"PING"};
  auto ec = co_await error_of(c.command(ping));
  CHECK(ec);
  CHECK(!c.connected());
  // While Redis is down, reconnect() fails (one attempt), and so does a loop of them.
  ec = co_await error_of(c.reconnect());
  CHECK(ec == asio::error::connection_refused);
  ec = co_await error_of(sub.reconnect());
  CHECK(ec == asio::error::connection_refused);

  redis->start();
  redis::backoff delay{std::chrono::milliseconds(10), std::chrono::milliseconds(100)};
  for (int attempt = 0;; ++attempt) {
    ec = co_await error_of(c.reconnect());
    if (!ec) break;
    REQUIRE(attempt < 20);
    co_await sleep_for(delay.next());
  }
  CHECK(c.connected());
  auto set = strings{"SET", "after", "restart"};
  auto r = co_await c.command(set);
  CHECK(r == ok());
  co_await sub.reconnect();
  CHECK(sub.connected());
  CHECK(sub.channels() == std::set<std::string>{"news"});
  // The subscriber is back on its old channel and pattern.
  r = co_await cmd(c, "PUBLISH", "news", "back");
  CHECK(r == num(1));
  auto m = co_await sub.receive();
  CHECK(m.channel == "news");
  CHECK(m.payload == "back");
  r = co_await cmd(c, "PUBLISH", "ev.1", "pattern too");
  CHECK(r == num(1));
  m = co_await sub.receive();
  CHECK(m.pattern == "ev.*");
  CHECK(m.payload == "pattern too");

  // A graceful stop (SIGTERM) closes the connections: EOF, connection_closed.
  std::error_code second_ec;
  latch receiving2{ex, 1};
  asio::co_spawn(ex, receive_until_error(&sub, &second_ec), receiving2.done());
  redis->stop();
  co_await receiving2.wait();
  CHECK(second_ec == errc::connection_closed);
  ec = co_await error_of(c.command(ping));
  CHECK(ec);
  redis->start();
  co_await c.reconnect();
  co_await sub.reconnect();
  r = co_await cmd(c, "PUBLISH", "news", "again");
  CHECK(r == num(1));
  m = co_await sub.receive();
  CHECK(m.payload == "again");
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

  TEST_CASE("redis: pub/sub: subscribe, publish, receive, psubscribe, unsubscribe") {
    redis_instance redis;
    run(pubsub(redis.port()));
  }

  TEST_CASE("redis: messages arriving during subscribe() are queued, not lost") {
    redis_instance redis;
    run(messages_during_subscribe(redis.port()));
  }

  TEST_CASE("redis: a slow subscriber stops reading at max_queued_messages, loses nothing") {
    redis_instance redis;
    run(slow_consumer(redis.port()));
  }

  TEST_CASE("redis: close() ends a pending receive() and pending commands promptly") {
    redis_instance redis;
    run(close_ends_pending(redis.port()));
  }

  TEST_CASE("redis: Redis restarting under a client and a subscriber, then reconnect()") {
    redis_instance redis;
    run(restart(&redis), 60s);
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
