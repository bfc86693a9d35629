// coronet::broadcast_group: delivery to every member across threads in publish order,
// and each overflow policy for a member that does not read.
#include "support.hpp"

#include <coronet/framing/broadcast_group.hpp>

#include <asio/post.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace coronet;
using namespace coronet::test;

namespace {

using group = broadcast_group<line_codec>;

struct room_server {
  explicit room_server(overflow policy, std::size_t threads = 1, std::size_t hwm = 1 << 20)
      : srv({.host = "127.0.0.1", .threads = threads}) {
    srv.start([this, policy, hwm](connection c) { return session(std::move(c), policy, hwm); });
  }
  // Each line a member sends is published to everyone; "!" asks for the member count.
  asio::awaitable<void> session(connection conn, overflow policy, std::size_t hwm) {
    framed lines{std::move(conn), line_codec{}, {.high_water_mark = hwm}};
    auto me = room.join(lines);
    ++joined;
    try {
      while (auto line = co_await lines.read()) {
        if (*line == "!")
          lines.write(std::to_string(room.size()));
        else
          room.publish(std::string{*line}, policy);
      }
    } catch (const std::system_error& e) {
      last_error = e.code() == errc::outbox_full ? 1 : 2;
    }
  }
  std::uint16_t port() const { return srv.local_endpoint().port(); }

  group room;
  std::atomic<int> joined{0};
  std::atomic<int> last_error{0};  // 1: a member's read ended with errc::outbox_full
  server srv;
};

// `n` reading members; returns once the server has seen `total` joins.
asio::awaitable<std::vector<std::unique_ptr<framed<line_codec>>>> members(std::uint16_t port, int n,
                                                                          std::atomic<int>* joined,
                                                                          int total) {
  std::vector<std::unique_ptr<framed<line_codec>>> out;
  for (int i = 0; i < n; ++i)
    out.push_back(std::make_unique<framed<line_codec>>(co_await connect("127.0.0.1", port)));
  while (joined->load() < total)
    co_await sleep_for(1ms);
  co_return out;
}

// A member that never reads, with a small receive buffer: its outbox fills quickly.
asio::awaitable<connection> sloth(std::uint16_t port) {
  auto c = co_await connect("127.0.0.1", port);
  c.socket().set_option(asio::socket_base::receive_buffer_size(4096));
  co_return c;
}

}  // namespace

TEST_SUITE("threads") {
  TEST_CASE("broadcast_group delivers to every member on two threads in publish order") {
    room_server s{overflow::close(), 2};
    run([](room_server* rs) -> asio::awaitable<void> {
      auto all = co_await members(rs->port(), 6, &rs->joined, 6);
      for (int i = 0; i < 200; ++i)
        all[0]->write(std::to_string(i));
      co_await all[0]->flush();
      for (auto& m : all)
        for (int i = 0; i < 200; ++i) {
          auto line = co_await with_timeout(m->read(), 10s);
          REQUIRE(line);
          CHECK(*line == std::to_string(i));
        }
      all[5]->write(std::string_view{"!"});
      auto count = co_await with_timeout(all[5]->read(), 10s);
      CHECK(count == std::optional<std::string_view>{"6"});
      all.pop_back();  // one leaves: membership ends with its handler
      all[0]->write(std::string_view{"!"});
      std::optional<std::string_view> after;
      for (int tries = 0; tries < 1000; ++tries) {
        after = co_await with_timeout(all[0]->read(), 10s);
        if (after == std::optional<std::string_view>{"5"}) break;
        co_await sleep_for(2ms);
        all[0]->write(std::string_view{"!"});
      }
      CHECK(after == std::optional<std::string_view>{"5"});
    }(&s));
  }
}

TEST_SUITE("broadcast") {
  TEST_CASE("overflow close drops a member that does not read and tells its handler why") {
    room_server s{overflow::close(), 1, 64 * 1024};
    run(
        [](room_server* rs) -> asio::awaitable<void> {
          auto slow = co_await sloth(rs->port());
          auto all = co_await members(rs->port(), 1, &rs->joined, 2);
          const std::string text(1900, 'm');
          int received = 0;
          for (int i = 0; i < 20000 && rs->room.closed_slow() == 0; ++i) {
            all[0]->write(text);
            auto line = co_await with_timeout(all[0]->read(), 10s);
            REQUIRE(line);
            ++received;
          }
          CHECK(rs->room.closed_slow() == 1);
          CHECK(received > 0);
          for (int i = 0; i < 1000 && rs->last_error.load() == 0; ++i)
            co_await sleep_for(2ms);
          CHECK(rs->last_error.load() == 1);  // the slow member's read() threw outbox_full
        }(&s),
        60s);
  }

  TEST_CASE("overflow drop skips messages for a slow member and keeps it") {
    room_server s{overflow::drop(), 1, 16 * 1024};
    run(
        [](room_server* rs) -> asio::awaitable<void> {
          auto slow = co_await sloth(rs->port());
          auto all = co_await members(rs->port(), 1, &rs->joined, 2);
          const std::string text(1900, 'd');
          for (int i = 0; i < 20000 && rs->room.dropped() == 0; ++i) {
            all[0]->write(text);
            CHECK((co_await with_timeout(all[0]->read(), 10s)).has_value());
          }
          CHECK(rs->room.dropped() > 0);
          CHECK(rs->room.closed_slow() == 0);
          CHECK(rs->room.size() == 2);  // the sloth is still a member
          CHECK(rs->last_error.load() == 0);
          slow.close();
        }(&s),
        60s);
  }

  TEST_CASE("overflow wait closes a member that stays slow past the deadline") {
    room_server s{overflow::wait(200ms), 1, 16 * 1024};
    run(
        [](room_server* rs) -> asio::awaitable<void> {
          auto slow = co_await sloth(rs->port());
          auto all = co_await members(rs->port(), 1, &rs->joined, 2);
          const std::string text(1900, 'w');
          for (int i = 0; i < 20000 && rs->room.closed_slow() == 0; ++i) {
            all[0]->write(text);
            CHECK((co_await with_timeout(all[0]->read(), 10s)).has_value());
          }
          CHECK(rs->room.closed_slow() == 1);
          for (int i = 0; i < 1000 && rs->last_error.load() == 0; ++i)
            co_await sleep_for(2ms);
          CHECK(rs->last_error.load() == 1);
        }(&s),
        60s);
  }
}

namespace {

// A handler that prepares its thread and then holds it, while the test posts the
// member's join to it and publishes, both from another thread (as chat's cluster thread
// does): the join runs first, then the delivery.
struct late_join_server {
  explicit late_join_server(bool join_here = false)
      : join_here_(join_here), srv({.host = "127.0.0.1", .threads = 1}) {
    srv.start([this](connection c) { return session(std::move(c)); });
  }
  asio::awaitable<void> session(connection conn) {
    framed<line_codec> lines{std::move(conn)};
    executor = co_await asio::this_coro::executor;
    frames = &lines;
    room.prepare(executor);
    prepared = true;
    while (!published.load())  // holds this thread: what is posted meanwhile waits
      std::this_thread::sleep_for(1ms);
    if (join_here_) me = room.join(lines);  // before the deliveries posted meanwhile run
    while (co_await lines.read()) {
    }
  }
  std::uint16_t port() const { return srv.local_endpoint().port(); }

  group room;
  group::membership me;
  asio::any_io_executor executor;
  framed<line_codec>* frames = nullptr;
  std::atomic<bool> prepared{false};
  std::atomic<bool> published{false};
  bool join_here_;
  server srv;
};

}  // namespace

TEST_SUITE("broadcast") {
  TEST_CASE("prepare and ticket: a join posted before a publish from another thread gets it") {
    late_join_server s;
    run(
        [](late_join_server* ls) -> asio::awaitable<void> {
          framed<line_codec> member{co_await connect("127.0.0.1", ls->port())};
          while (!ls->prepared.load())
            co_await sleep_for(1ms);
          // Nobody has joined on the worker's thread yet: without prepare() it would have
          // no slot, and publish() would post nothing to it.
          std::thread other{[ls] {
            const auto since = ls->room.ticket();  // joins as of now, though it runs later
            asio::post(ls->executor, [ls, since] { ls->me = ls->room.join(*ls->frames, since); });
            ls->room.publish(std::string{"first"});
          }};
          other.join();
          ls->published = true;
          auto line = co_await with_timeout(member.read(), 10s);
          REQUIRE(line);
          CHECK(*line == "first");
        }(&s),
        20s);
  }

  TEST_CASE("join: a member gets nothing published before it joined, though it arrives after") {
    late_join_server s{true};
    run(
        [](late_join_server* ls) -> asio::awaitable<void> {
          framed<line_codec> member{co_await connect("127.0.0.1", ls->port())};
          while (!ls->prepared.load())
            co_await sleep_for(1ms);
          // Published before the join, delivered to the worker's thread after it.
          std::thread other{[ls] { ls->room.publish(std::string{"before"}); }};
          other.join();
          ls->published = true;
          while (ls->room.size() == 0)
            co_await sleep_for(1ms);
          ls->room.publish(std::string{"after"});
          auto line = co_await with_timeout(member.read(), 10s);
          REQUIRE(line);
          CHECK(*line == "after");
        }(&s),
        20s);
  }
}
