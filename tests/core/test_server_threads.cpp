// coronet::server's worker threads: spreading connections, reuse_port listeners, the
// direct I/O policy and fairness between connections on one thread.
#include "support.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/local/connect_pair.hpp>
#include <asio/local/stream_protocol.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace coronet;
using namespace coronet::test;

namespace {

asio::awaitable<void> connect_then_expect_eof(std::uint16_t port) {
  auto conn = co_await connect("127.0.0.1", port);
  CHECK((co_await read_to_eof(conn)).empty());
}

asio::awaitable<void> many_clients(std::uint16_t port, int clients) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  std::atomic<int> ok{0};
  int finished = 0;
  asio::steady_timer all_done{ex, std::chrono::steady_clock::time_point::max()};
  for (int i = 0; i < clients; ++i) {
    asio::co_spawn(ex, echo_once(port, "client " + std::to_string(i) + " says hi"),
                   [&](std::exception_ptr e) {
                     if (!e) ++ok;
                     if (++finished == clients) all_done.cancel();
                   });
  }
  if (finished < clients) {
    auto [ec] = co_await all_done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  CHECK(ok.load() == clients);
}

}  // namespace

TEST_SUITE("server") {
  TEST_CASE("server serves 200 concurrent clients") {
    running_server s{echo_handler};
    run(many_clients(s.port(), 200));
  }
}

TEST_SUITE("threads") {
  TEST_CASE("threads = 2 spreads connections over both worker threads") {
    std::mutex m;
    std::set<std::thread::id> seen;
    running_server s{[&](connection c) {
                       {
                         std::lock_guard lock{m};
                         seen.insert(std::this_thread::get_id());
                       }
                       return echo_handler(std::move(c));
                     },
                     {.threads = 2}};
    run(many_clients(s.port(), 8));
    s.stop_and_wait();
    CHECK(seen.size() == 2);
    CHECK(seen.count(std::this_thread::get_id()) == 0);
  }

  TEST_CASE("stop() called from inside a handler shuts the server down") {
    // The server starts serving while `s` is still being constructed: the handler only
    // runs once a client connects, after that.
    running_server s{[&s](connection c) {
                       s.server().stop();  // must not block or deadlock on a worker thread
                       return echo_handler(std::move(c));
                     },
                     {.threads = 2}};
    run(connect_then_expect_eof(s.port()));
    s.server().wait();
    CHECK(s.server().connection_count() == 0);
  }
}

namespace {
struct hand_off_probe {
  std::atomic<bool> returned{false};
  std::atomic<bool> keeper_done{false};
};

// Returns at once, leaving its connection to a detached coroutine that keeps the
// connection's state alive for a while (as an outbox handle on another thread can).
asio::awaitable<void> hand_off(connection conn, hand_off_probe* probe) {
  auto keeper = [](connection held, hand_off_probe* p) -> asio::awaitable<void> {
    co_await sleep_for(2s);
    CHECK_FALSE(held.is_open());  // the server closed it when the handler returned
    p->keeper_done = true;
  };
  auto ex = conn.get_executor();
  asio::co_spawn(ex, keeper(std::move(conn), probe), asio::detached);
  probe->returned = true;
  co_return;
}

asio::awaitable<void> count_drops_with_handler(std::uint16_t port, server* srv,
                                               hand_off_probe* probe) {
  auto conn = co_await connect("127.0.0.1", port);
  for (int i = 0; i < 150 && !probe->returned; ++i)
    co_await sleep_for(10ms);
  REQUIRE(probe->returned.load());
  for (int i = 0; i < 150 && srv->connection_count() != 0; ++i)
    co_await sleep_for(10ms);
  CHECK(srv->connection_count() == 0);  // the handler is done: the connection is over
  CHECK_FALSE(probe->keeper_done);      // although its state is still alive
}
}  // namespace

TEST_SUITE("server") {
  TEST_CASE("a connection leaves the server's count when its handler returns") {
    hand_off_probe probe;
    running_server s{[&probe](connection c) { return hand_off(std::move(c), &probe); }};
    run(count_drops_with_handler(s.port(), &s.server(), &probe));
  }

  TEST_CASE("a peer that resets before its handler starts still has the address it came from") {
    // The only worker is held inside the first handler while the second client connects
    // and resets; by the time the second handler runs, the socket can no longer tell
    // its peer (getpeername fails), so the address must come from accept.
    std::promise<void> first_started;
    std::promise<void> release_first;
    auto release = release_first.get_future().share();
    std::promise<asio::ip::tcp::endpoint> second_peer;
    std::atomic<int> handlers{0};
    running_server s{[&](connection conn) -> asio::awaitable<void> {
      if (handlers++ == 0) {
        first_started.set_value();
        release.wait();  // blocks the worker thread on purpose
      } else {
        second_peer.set_value(conn.remote_endpoint());
      }
      co_return;
    }};
    asio::io_context io;
    asio::ip::tcp::socket first{io};
    first.connect(s.server().local_endpoint());
    REQUIRE(first_started.get_future().wait_for(10s) == std::future_status::ready);
    asio::ip::tcp::socket second{io};
    second.connect(s.server().local_endpoint());
    const auto second_address = second.local_endpoint();
    second.set_option(asio::socket_base::linger(true, 0));
    second.close();  // RST, while the connection waits in the accept queue
    release_first.set_value();
    auto seen = second_peer.get_future();
    REQUIRE(seen.wait_for(10s) == std::future_status::ready);
    CHECK(seen.get() == second_address);
  }
}

// reuse_port: a listening socket per worker thread (SO_REUSEPORT).
TEST_SUITE("threads") {
  TEST_CASE("reuse_port: with 4 threads and 2000 connections every worker serves some") {
    std::mutex m;
    std::set<std::thread::id> serving;
    auto handler = [&](connection conn) -> asio::awaitable<void> {
      {
        std::lock_guard lock{m};
        serving.insert(std::this_thread::get_id());
      }
      co_await echo_handler(std::move(conn));
    };
    running_server s{handler, {.threads = 4, .listen = {.reuse_port = true}}};
    CHECK(s.port() != 0);  // port 0: the OS's choice, shared by all four listeners
    run(
        [&]() -> asio::awaitable<void> {
          // 20 rounds of 100 concurrent connections: connect, one echo, close.
          auto ex = co_await asio::this_coro::executor;
          for (int round = 0; round < 20; ++round) {
            int done = 0;
            for (int i = 0; i < 100; ++i) {
              asio::co_spawn(
                  ex,
                  [&]() -> asio::awaitable<void> {
                    auto conn = co_await connect("127.0.0.1", s.port());
                    co_await conn.write(asio::buffer("e", 1));
                    CHECK(co_await read_exactly(conn, 1) == "e");
                  },
                  [&](std::exception_ptr e) {
                    if (e) MESSAGE(describe(e));
                    ++done;
                  });
            }
            while (done < 100)
              co_await sleep_for(5ms);
          }
        }(),
        120s);
    s.stop_and_wait();
    std::lock_guard lock{m};
    CHECK(serving.size() == 4);
  }

  TEST_CASE("reuse_port: max_connections holds across listeners and stop closes every one") {
    running_server s{
        echo_handler,
        {.threads = 4, .listen = {.reuse_port = true}, .limits = {.max_connections = 10}}};
    const auto port = s.port();
    run([&]() -> asio::awaitable<void> {
      std::vector<connection> held;  // closed with this io_context's coroutine
      for (int i = 0; i < 40; ++i)
        held.push_back(co_await connect("127.0.0.1", port));
      // The refused ones are closed at once: their reads end.
      int open = 0;
      for (auto& c : held) {
        co_await c.write(asio::buffer("x", 1));
        char b;
        try {
          if (co_await with_timeout(c.read_some(asio::buffer(&b, 1)), 2s) == 1) ++open;
        } catch (const std::system_error&) {
        }
      }
      CHECK(open == 10);
    }());
    CHECK(s.server().stats().total.connections_refused == 30);
    s.stop_and_wait();
    // Every listener is closed: nobody is accepted any more (30 tries spread by the
    // kernel's hash would reach each of four listeners).
    run([&]() -> asio::awaitable<void> {
      for (int i = 0; i < 30; ++i) {
        try {
          co_await connect("127.0.0.1", port, 1s);
          FAIL("a stopped server accepted a connection");
        } catch (const std::system_error& e) {
          CHECK(e.code() == asio::error::connection_refused);
        }
      }
    }());
  }
}

namespace {

// `reads` reads of 16 bytes; 'a' for each full one ('x' for a short one).
asio::awaitable<void> read_in_sixteens(connection& conn, int reads, std::vector<char>& order) {
  std::array<char, 16> buf{};
  for (int i = 0; i < reads; ++i) {
    const auto n = co_await conn.read_some(asio::buffer(buf));
    order.push_back(n == buf.size() ? 'a' : 'x');
  }
}

// One read, which must be "ping"; then 'b'.
asio::awaitable<void> read_once(connection& conn, std::vector<char>& order) {
  std::array<char, 16> buf{};
  const auto n = co_await conn.read_some(asio::buffer(buf));
  CHECK(std::string_view(buf.data(), n) == "ping");
  order.push_back('b');
}

}  // namespace

TEST_SUITE("server") {
  TEST_CASE("direct_io_policy: reads try while they find data, writes only while reads wait") {
    using policy = detail::direct_io_policy;
    policy p;
    // Hits: 16 direct reads in a row, then one through the event loop, then again.
    // Writes go through the loop all along (their trip lets the peer answer).
    for (int i = 0; i < policy::max_streak; ++i) {
      REQUIRE(p.should_read_now());
      p.read_hit();
      REQUIRE_FALSE(p.should_write_now());
    }
    CHECK_FALSE(p.should_read_now());
    CHECK(p.should_read_now());
    // A write completing through the loop restarts the count.
    for (int i = 0; i < 10; ++i)
      p.read_hit();
    p.yielded();
    for (int i = 0; i < policy::max_streak; ++i) {
      REQUIRE(p.should_read_now());
      p.read_hit();
    }
    CHECK_FALSE(p.should_read_now());
    // Misses: skip 1, 2, 4 ... 64 reads, and no more than 64. Writes go direct while
    // reads skip, except the write before the read that tries again.
    for (int skip : {1, 2, 4, 8, 16, 32, 64, 64}) {
      REQUIRE(p.should_read_now());
      p.read_miss();
      for (int i = 0; i < skip; ++i) {
        REQUIRE(p.should_write_now());
        REQUIRE_FALSE(p.should_read_now());
      }
      REQUIRE_FALSE(p.should_write_now());
    }
    // A hit ends the backoff.
    REQUIRE(p.should_read_now());
    p.read_hit();
    REQUIRE(p.should_read_now());
    p.read_miss();
    CHECK(p.should_write_now());
    CHECK_FALSE(p.should_read_now());
    CHECK_FALSE(p.should_write_now());
    CHECK(p.should_read_now());
  }

  TEST_CASE("a connection that always has data to read still lets the others on its thread run") {
    // Reads that find data return without a trip through the event loop; after 16 in a
    // row one goes through it. Here one connection has 32 KiB waiting and reads it 16
    // bytes at a time, while another has one message waiting: that message must be read
    // long before the 2 048 reads are done, and every byte must be counted.
    asio::io_context io{1};
    asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    asio::ip::tcp::socket busy_client{io};
    busy_client.connect(acceptor.local_endpoint());
    connection busy{acceptor.accept()};
    asio::ip::tcp::socket quiet_client{io};
    quiet_client.connect(acceptor.local_endpoint());
    connection quiet{acceptor.accept()};
    const std::string flood(std::size_t{32} * 1024, 'x');
    asio::write(busy_client, asio::buffer(flood));
    asio::write(quiet_client, asio::buffer(std::string_view{"ping"}));

    std::vector<char> order;  // 'a' per read of the busy connection, 'b' for the other
    const int busy_reads = static_cast<int>(flood.size() / 16);
    asio::co_spawn(io, read_in_sixteens(busy, busy_reads, order), asio::detached);
    asio::co_spawn(io, read_once(quiet, order), asio::detached);
    io.run_for(20s);
    REQUIRE(order.size() == static_cast<std::size_t>(busy_reads) + 1);
    const auto b_at = std::find(order.begin(), order.end(), 'b') - order.begin();
    MESSAGE("the quiet connection's read finished after ", b_at, " busy reads");
    CHECK(b_at <= 2 * detail::direct_io_policy::max_streak);
    CHECK(std::count(order.begin(), order.end(), 'x') == 0);  // every busy read was full
    CHECK(busy.bytes_read() == flood.size());
    CHECK(quiet.bytes_read() == 4);
  }
}
