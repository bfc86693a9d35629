// coronet::redis::subscriber against a real redis-server: subscribe, publish and receive,
// messages during subscribe() not lost, a slow subscriber, close() ending a pending
// receive(), and Redis restarting under a client and a subscriber.
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
}
