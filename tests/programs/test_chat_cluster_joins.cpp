// Joins in the chat cluster: what one join costs Redis and the wire, how often one client
// may join, and the loser of a name claimed on both sides of a split leaving without
// announcing the winner's departure. First the pieces alone (member_mirror, the token
// buckets), then chat_server processes sharing a real redis-server (chat_cluster_support.hpp).
#include "chat_cluster_support.hpp"
#include "redis_support.hpp"
#include "support.hpp"

#include <cluster/member_mirror.hpp>
#include <room/join_limits.hpp>

#include <coronet/redis.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using names = std::vector<std::string>;

TEST_SUITE("chat") {
  TEST_CASE("chat: member_mirror follows joined, left and renamed events, case-insensitively") {
    chat::member_mirror m;
    const auto token = m.begin_sync();
    CHECK_FALSE(m.current());
    CHECK(m.snapshot(token, {"bob", "Alice"}).empty());
    m.marker(token);
    REQUIRE(m.current());
    CHECK(m.names() == names{"Alice", "bob"});
    m.apply(R"({"type":"joined","name":"carol"})");
    m.apply(R"({"type":"message","from":"bob","text":"{\"type\":\"left\",\"name\":\"bob\"}"})");
    m.apply(R"({"type":"left","name":"BOB"})");
    m.apply(R"({"type":"renamed","from":"alice","to":"ALICE"})");  // a change of case
    m.apply(R"({"type":"joined","name":"Carol"})");                // the same key
    CHECK(m.names() == names{"ALICE", "Carol"});
  }

  TEST_CASE("chat: member_mirror is cut where the marker is in the stream, whichever comes first") {
    chat::member_mirror m;
    // The snapshot first: events before the marker are in it, so they change nothing.
    auto token = m.begin_sync();
    CHECK(m.snapshot(token, {"a"}).empty());
    m.apply(R"({"type":"joined","name":"before"})");
    CHECK_FALSE(m.holding());
    m.marker(token);
    m.apply(R"({"type":"joined","name":"after"})");
    CHECK(m.names() == names{"a", "after"});

    // The marker first: what comes after it waits for the snapshot, then goes on top.
    token = m.begin_sync();
    CHECK_FALSE(m.current());
    m.marker(token - 1);  // an abandoned sync's marker
    CHECK_FALSE(m.holding());
    m.marker(token);
    REQUIRE(m.holding());
    m.hold({"events", "x\n{\"type\":\"joined\",\"name\":\"later\"}"});
    const auto held = m.snapshot(token, {"b", "c"});
    REQUIRE(held.size() == 1);
    CHECK(held[0].channel == "events");
    CHECK(m.current());
    CHECK(m.names() == names{"b", "c"});  // the held event is the caller's to deliver

    // A broken link: the sync is dropped and what was held is handed back.
    token = m.begin_sync();
    m.marker(token);
    m.hold({"events", "y"});
    CHECK(m.abandon().size() == 1);
    CHECK_FALSE(m.holding());
    CHECK(m.names() == names{"b", "c"});
  }

  TEST_CASE("chat: token_bucket allows a burst of N, then one every period / N") {
    const auto t0 = std::chrono::steady_clock::now();
    chat::token_bucket b{3, 60s};
    for (int i = 0; i < 3; ++i)
      CHECK(b.take(t0) == 0s);
    CHECK(b.take(t0) == 20s);
    CHECK(b.take(t0 + 19s) == 1s);
    CHECK(b.take(t0 + 20s) == 0s);
    CHECK_FALSE(b.full(t0 + 79s));
    CHECK(b.full(t0 + 80s));
    chat::token_bucket unlimited{0, 60s};
    for (int i = 0; i < 1000; ++i)
      REQUIRE(unlimited.take(t0) == 0s);
  }

  TEST_CASE("chat: joins are counted per IPv4 address and IPv6 /64, loopback only if asked") {
    const auto t0 = std::chrono::steady_clock::now();
    const auto ip = [](const char* a) { return asio::ip::make_address(a); };
    chat::address_limiter l{{.per_connection = 0, .per_address = 2}};
    for (int i = 0; i < 10; ++i) {
      REQUIRE(l.take(ip("127.0.0.1"), t0) == 0s);
      REQUIRE(l.take(ip("::1"), t0) == 0s);
      REQUIRE(l.take(ip("::ffff:127.0.0.1"), t0) == 0s);
    }
    CHECK(l.take(ip("10.0.0.1"), t0) == 0s);
    CHECK(l.take(ip("::ffff:10.0.0.1"), t0) == 0s);  // the same client, mapped
    CHECK(l.take(ip("10.0.0.1"), t0) == 30s);
    CHECK(l.take(ip("10.0.0.2"), t0) == 0s);
    CHECK(l.take(ip("2001:db8::1"), t0) == 0s);
    CHECK(l.take(ip("2001:db8::ffff:2"), t0) == 0s);
    CHECK(l.take(ip("2001:db8::3"), t0) > 0s);  // the same /64
    CHECK(l.take(ip("2001:db8:0:1::1"), t0) == 0s);

    chat::address_limiter strict{{.per_address = 1, .limit_loopback = true}};
    CHECK(strict.take(ip("127.0.0.1"), t0) == 0s);
    CHECK(strict.take(ip("127.0.0.1"), t0) > 0s);
    CHECK(strict.take(ip("127.0.0.2"), t0) == 0s);
  }
}

#if defined(CLI_CHAT_SERVER_PATH)

namespace {

using namespace coronet::test::chat_cluster;
using coronet::test::redis_instance;
using nlohmann::json;

// `count` names registered by an instance that is not running (as if it had crashed and
// not been reaped): a big room without thousands of sockets.
void prefill(std::uint16_t redis_port, int count) {
  coronet::test::run(
      [](std::uint16_t port, int n) -> asio::awaitable<void> {
        auto c = co_await coronet::redis::client::connect("127.0.0.1", port);
        std::vector<std::string> cmd{"HSET", "coronet:chat:names"};
        for (int i = 0; i < n; ++i) {
          const auto name = "user" + std::to_string(10000 + i);
          cmd.push_back(name);
          cmd.push_back("ghost\n" + name);
        }
        const auto reply = co_await c.command(std::move(cmd));
        CHECK(reply.integer == n);
      }(redis_port, count),
      30s);
}

// The next message on the cluster's events channel that mentions `name`.
asio::awaitable<std::string> published_about(coronet::redis::subscriber* sub, std::string name) {
  for (;;) {
    auto m = co_await sub->receive();
    if (m.payload.find('"' + name + '"') != std::string::npos) co_return m.payload;
  }
}

std::vector<std::string> users_of(const std::string& welcome_or_users) {
  return json::parse(welcome_or_users)["users"].get<std::vector<std::string>>();
}

constexpr std::size_t room_size = 5000;

bool lists(const std::vector<std::string>& users, const std::string& name) {
  return std::find(users.begin(), users.end(), name) != users.end();
}

}  // namespace

TEST_SUITE("cluster") {
  TEST_CASE("cluster: a join publishes one short event whatever the room's size") {
    redis_instance redis;
    prefill(redis.port(), static_cast<int>(room_size));
    instance a{redis.port(), "a"};
    instance b{redis.port(), "b"};
    coronet::test::run(
        [](std::uint16_t redis_port, std::uint16_t a_port,
           std::uint16_t b_port) -> asio::awaitable<void> {
          auto sub = co_await coronet::redis::subscriber::connect("127.0.0.1", redis_port);
          auto channels = std::vector<std::string>{"coronet:chat:events"};
          co_await sub.subscribe(channels);  // (a braced argument in co_await trips g++ 12)

          // The joiner is welcomed with everyone (from its instance's mirror, synced when
          // it connected), but what goes to every instance is the one event.
          member alice{a_port};
          alice.send(join_json("alice"));
          const auto welcome = alice.wait(R"(^\{"type":"welcome","name":"alice",)");
          REQUIRE(welcome);
          const auto everyone = users_of(*welcome);
          CHECK(everyone.size() == room_size + 1);
          CHECK(lists(everyone, "alice"));
          CHECK(lists(everyone, "user14999"));
          const auto sent = co_await published_about(&sub, "alice");
          MESSAGE("published for one join in a room of " << room_size << ": " << sent.size()
                                                         << " bytes");
          CHECK(sent.size() < 200);  // the whole list was about 50 KB

          // Another instance's joiner: welcomed with alice, whom its mirror learnt of
          // from the stream; alice learns of it.
          member bob{b_port};
          bob.send(join_json("bob"));
          const auto bob_welcome = bob.wait(R"(^\{"type":"welcome","name":"bob",)");
          REQUIRE(bob_welcome);
          CHECK(users_of(*bob_welcome).size() == room_size + 2);
          CHECK(lists(users_of(*bob_welcome), "alice"));
          CHECK((co_await published_about(&sub, "bob")).size() < 200);
          CHECK(alice.wait(R"(^\{"type":"joined","name":"bob"\}$)"));

          // A departure reaches the mirrors too: the next joiner's list and `who`.
          bob.send(R"({"type":"leave"})");
          CHECK(alice.wait(R"(^\{"type":"left","name":"bob"\}$)"));
          member carol{a_port};
          carol.send(join_json("carol"));
          const auto carol_welcome = carol.wait(R"(^\{"type":"welcome","name":"carol",)");
          REQUIRE(carol_welcome);
          CHECK(users_of(*carol_welcome).size() == room_size + 2);
          CHECK_FALSE(lists(users_of(*carol_welcome), "bob"));
          member dave{b_port};
          dave.send(join_json("dave"));
          REQUIRE(dave.wait(R"(^\{"type":"welcome","name":"dave",)"));
          CHECK(carol.wait(R"(^\{"type":"joined","name":"dave"\}$)"));
          dave.send(R"({"type":"who"})");
          const auto who = dave.wait(R"(^\{"type":"users",)");
          REQUIRE(who);
          CHECK(users_of(*who).size() == room_size + 3);
          CHECK(lists(users_of(*who), "carol"));
          CHECK_FALSE(lists(users_of(*who), "bob"));
        }(redis.port(), a.port, b.port),
        90s);
  }

  TEST_CASE("cluster: a client joining and leaving in a loop is rate_limited, others are not") {
    redis_instance redis;
    instance a{redis.port(),
               "a",
               {"--max-joins-per-address", "5", "--max-joins-per-connection", "3",
                "--limit-loopback-joins"}};
    instance b{redis.port(), "b"};
    member watcher{b.port, "127.0.0.3"};  // on the other instance
    watcher.send(join_json("watcher"));
    REQUIRE(watcher.wait(R"("type":"welcome")"));

    // Leaving ends the session, so the loop reconnects: the limit per address stops it.
    int joined = 0;
    for (int i = 0; i < 20; ++i) {
      member loop{a.port};
      loop.send(join_json("loop" + std::to_string(i)));
      const auto answer = loop.wait(R"re("type":"(welcome|error)")re");
      REQUIRE(answer);
      if (answer->find("rate_limited") != std::string::npos) {
        std::smatch wait;
        REQUIRE(std::regex_search(*answer, wait, std::regex{R"(try again in (\d+) s)"}));
        CHECK(std::stoi(wait[1].str()) <= 12);  // 60 s / 5, less the loop's time
        break;
      }
      ++joined;
      loop.send(R"({"type":"leave"})");
      loop.drain(5s);  // until the server closes it
      REQUIRE(loop.closed());
    }
    CHECK(joined == 5);

    // Another address joins as usual; the refused joins were announced nowhere.
    member other{a.port, "127.0.0.2"};
    other.send("other");
    CHECK(other.wait(R"(^\* welcome, other! online: other, watcher$)"));
    REQUIRE(watcher.wait(R"(^\{"type":"joined","name":"other"\}$)"));
    int announced = 0;
    for (const auto& line : watcher.drain(10ms))
      if (line.find(R"("name":"loop)") != std::string::npos) ++announced;
    CHECK(announced == 2 * joined);  // each loop member's joined and left

    // One connection retrying taken names: 3 answers, then rate_limited (text mode:
    // the next line is tried as a name again).
    member retry{a.port, "127.0.0.4"};
    for (int i = 0; i < 3; ++i) {
      retry.send("Other");
      CHECK(retry.wait(R"(^! name_taken: )"));
    }
    retry.send("fresh");
    CHECK(retry.wait(R"(^! rate_limited: too many joins from here; try again in \d+ s$)"));
  }

  TEST_CASE("cluster: the loser of a name claimed on both sides of a split leaves unannounced") {
    redis_instance redis;
    instance a{redis.port(), "a"};
    instance b{redis.port(), "b"};
    member on_a{a.port};
    on_a.send(join_json("on_a"));
    REQUIRE(on_a.wait(R"("type":"welcome")"));
    member on_b{b.port};
    on_b.send(join_json("on_b"));
    REQUIRE(on_b.wait(R"("type":"welcome")"));

    redis.stop();
    REQUIRE(on_a.wait(R"("event":"split")"));
    REQUIRE(on_b.wait(R"("event":"split")"));
    member dup_a{a.port};
    dup_a.send("dup");
    REQUIRE(dup_a.wait(R"(^\* welcome, dup!)"));
    member dup_b{b.port};
    dup_b.send("DUP");
    REQUIRE(dup_b.wait(R"(^\* welcome, DUP!)"));

    redis.start();
    REQUIRE(on_a.wait(R"("event":"rejoined")", 20s));
    REQUIRE(on_b.wait(R"("event":"rejoined")", 20s));
    // Whoever registered first kept the name; the other is told and disconnected.
    const std::regex conflict{"name dup was taken on another server"};
    member* loser = nullptr;
    for (const auto deadline = std::chrono::steady_clock::now() + 15s;
         loser == nullptr && std::chrono::steady_clock::now() < deadline;) {
      if (a.process.wait_stderr(conflict, 100ms))
        loser = &dup_a;
      else if (b.process.wait_stderr(conflict, 100ms))
        loser = &dup_b;
    }
    REQUIRE(loser != nullptr);
    CHECK(loser->wait("^! name_taken: while the room was split"));
    const bool a_lost = loser == &dup_a;
    const std::string winner = a_lost ? "DUP" : "dup";
    auto& loser_home = a_lost ? a : b;
    loser->drain(5s);
    REQUIRE(loser->closed());
    // The loser's session has ended (its leave is logged), then a say from the same
    // instance: whatever the leave sent reached everyone before it.
    REQUIRE(loser_home.process.wait_stderr(std::regex{R"(leave: (dup|DUP) \(connection)"}, 10s));
    auto& speaker = a_lost ? on_a : on_b;
    speaker.send(say_json("after"));
    for (auto* m : {&on_a, &on_b}) {
      REQUIRE(m->wait(R"("type":"message","from":"on_[ab]","text":"after")"));
      for (const auto& line : m->drain(10ms))
        CHECK_MESSAGE(line.find(R"("type":"left")") == std::string::npos, line);
      // And the winner is still listed everywhere.
      m->send(R"({"type":"who"})");
      const auto who = m->wait(R"(^\{"type":"users",)");
      REQUIRE(who);
      CHECK(lists(users_of(*who), winner));
    }
  }
}

#endif  // CLI_CHAT_SERVER_PATH
