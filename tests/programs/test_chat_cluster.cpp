// chat_server --redis: one room across instances, run as users run it. Every process
// (redis-server, chat_server, HAProxy) is started here on loopback and stopped by its
// pid; members are plain sockets speaking JSON or text, as nc and chat_client do.
#include "chat_cluster_support.hpp"
#include "process.hpp"
#include "redis_support.hpp"

#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#if defined(CLI_CHAT_SERVER_PATH)

namespace {

using namespace coronet::test::chat_cluster;
using coronet::test::redis_instance;
using coronet::test::run_to_end;

}  // namespace

TEST_SUITE("cluster") {
  TEST_CASE(
      "cluster: members on two instances chat, whisper, list, rename and leave as in one room") {
    redis_instance redis;
    instance a{redis.port(), "a"};
    instance b{redis.port(), "b"};

    member alice{a.port};  // JSON, on a
    alice.send(join_json("alice"));
    CHECK(alice.wait(R"("type":"welcome","name":"alice","users":\["alice"\])"));
    member bob{b.port};  // text, on b
    bob.send("bob");
    CHECK(bob.wait(R"(^\* welcome, bob! online: alice, bob$)"));
    CHECK(alice.wait(R"(\{"type":"joined","name":"bob"\})"));

    // Names are unique across the cluster, case-insensitively.
    member carol{a.port};
    carol.send("BOB");
    CHECK(carol.wait(R"(^! name_taken: )"));
    carol.send("carol");
    CHECK(carol.wait(R"(^\* welcome, carol! online: alice, bob, carol$)"));
    CHECK(bob.wait(R"(^\* carol joined$)"));

    alice.send(say_json("hello"));
    CHECK(bob.wait(R"(^<alice> hello$)"));
    CHECK(carol.wait(R"(^<alice> hello$)"));

    // A whisper crosses instances and reaches only its two ends.
    bob.send("/msg alice psst");
    CHECK(alice.wait(R"(\{"type":"whisper","from":"bob","to":"alice","text":"psst"\})"));
    CHECK(bob.wait(R"(^\*bob\* \(whisper to alice\) psst$)"));
    bob.send("/msg nobody x");
    CHECK(bob.wait(R"(^! no_such_user: )"));

    alice.send(R"({"type":"who"})");
    CHECK(alice.wait(R"(\{"type":"users","users":\["alice","bob","carol"\]\})"));
    bob.send("/who");
    CHECK(bob.wait(R"(^\* online: alice, bob, carol$)"));

    // Renaming is checked and seen everywhere.
    bob.send("/nick Carol");
    CHECK(bob.wait(R"(^! name_taken: )"));
    bob.send("/nick bobby");
    CHECK(alice.wait(R"(\{"type":"renamed","from":"bob","to":"bobby"\})"));
    CHECK(carol.wait(R"(^\* bob is now known as bobby$)"));
    CHECK(bob.wait(R"(^\* bob is now known as bobby$)"));

    // One sender's messages arrive in order at a member on the other instance.
    constexpr int count = 300;
    for (int i = 0; i < count; ++i)
      alice.send(say_json("m" + std::to_string(i)));
    alice.send(say_json("end"));
    REQUIRE(bob.wait(R"(^<alice> end$)", 30s));
    // wait() left the lines before "end" in place: they must be m0 ... m299, in order.
    std::vector<int> got;
    const std::regex numbered{R"(^<alice> m(\d+)$)"};
    for (const auto& line : bob.drain(10ms)) {
      std::smatch m;
      if (std::regex_match(line, m, numbered)) got.push_back(std::stoi(m[1].str()));
    }
    REQUIRE(got.size() == count);
    for (int i = 0; i < count; ++i)
      if (got[static_cast<std::size_t>(i)] != i)
        FAIL("message " << i << " arrived as " << got[static_cast<std::size_t>(i)]);

    bob.send("/quit");
    CHECK(alice.wait(R"(\{"type":"left","name":"bobby"\})"));
    CHECK(carol.wait(R"(^\* bobby left$)"));
    // The name is free again, anywhere.
    member dave{a.port};
    dave.send("bobby");
    CHECK(dave.wait(R"(^\* welcome, bobby! online: alice, bobby, carol$)"));

    // Nothing of the whisper reached carol.
    for (const auto& line : carol.drain())
      CHECK_MESSAGE(line.find("psst") == std::string::npos, line);
  }

  TEST_CASE(
      "cluster: a later instance sees everyone, SIGTERM leaves at once, SIGKILL within 15 s") {
    redis_instance redis;
    instance a{redis.port(), "a"};
    instance b{redis.port(), "b"};
    member alice{a.port};
    alice.send(join_json("alice"));
    REQUIRE(alice.wait(R"("type":"welcome")"));
    member bob{b.port};
    bob.send("bob");
    REQUIRE(bob.wait(R"(^\* welcome, bob!)"));

    std::optional<instance> c{std::in_place, redis.port(), "c"};
    member carol{c->port};
    carol.send(join_json("carol"));
    CHECK(carol.wait(R"(\{"type":"welcome","name":"carol","users":\["alice","bob","carol"\]\})"));
    CHECK(alice.wait(R"(\{"type":"joined","name":"carol"\})"));
    carol.send(say_json("hi from c"));
    CHECK(bob.wait(R"(^<carol> hi from c$)"));

    // Stopped normally: its members' departure is announced by the time it exits.
    c->process.signal(SIGTERM);
    CHECK(c->process.wait(20s) == 0);
    CHECK(alice.wait(R"(\{"type":"left","name":"carol"\})", 5s));
    CHECK(bob.wait(R"(^\* carol left$)", 5s));

    // Killed: the others notice by its missing heartbeat and free its names.
    const auto killed_at = std::chrono::steady_clock::now();
    b.process.signal(SIGKILL);
    CHECK(alice.wait(R"(\{"type":"left","name":"bob"\})", 15s));
    const auto noticed = std::chrono::steady_clock::now() - killed_at;
    MESSAGE("a killed instance's member left after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count() << " ms");
    alice.send(R"({"type":"who"})");
    CHECK(alice.wait(R"(\{"type":"users","users":\["alice"\]\})"));
    member bob2{a.port};
    bob2.send("bob");
    CHECK(bob2.wait(R"(^\* welcome, bob! online: alice, bob$)"));
  }

  TEST_CASE(
      "cluster: Redis stopped and restarted: each instance serves its own, then the room is whole "
      "again") {
    redis_instance redis;
    instance a{redis.port(), "a"};
    instance b{redis.port(), "b"};
    member alice{a.port};
    alice.send(join_json("alice"));
    REQUIRE(alice.wait(R"("type":"welcome")"));
    member anna{a.port};
    anna.send("anna");
    REQUIRE(anna.wait(R"(^\* welcome, anna!)"));
    member bob{b.port};
    bob.send("bob");
    REQUIRE(bob.wait(R"(^\* welcome, bob! online: alice, anna, bob$)"));

    redis.stop();
    CHECK(alice.wait(R"(\{"type":"system","event":"split",)"));
    CHECK(anna.wait(R"(^\* the room is split)"));
    CHECK(bob.wait(R"(^\* the room is split)"));

    // Split: each instance still serves its own members.
    alice.send(say_json("just us"));
    CHECK(anna.wait(R"(^<alice> just us$)"));
    member zed{b.port};
    zed.send("zed");
    CHECK(zed.wait(R"(^\* welcome, zed! online: bob, zed$)"));
    bob.send("/msg alice are you there");
    CHECK(bob.wait(R"(^! no_such_user: )"));
    // The same name taken on both sides of the split: when the room is whole again,
    // the first registered keeps it, the other is told and disconnected.
    member carol_a{a.port};
    carol_a.send("carol");
    CHECK(carol_a.wait(R"(^\* welcome, carol!)"));
    member carol_b{b.port};
    carol_b.send("Carol");
    CHECK(carol_b.wait(R"(^\* welcome, Carol!)"));

    redis.start();
    CHECK(alice.wait(R"(\{"type":"system","event":"rejoined",)", 20s));
    CHECK(bob.wait(R"(^\* the room is whole again$)", 20s));
    // Each instance registered its members again before saying so: with both back,
    // the registry holds everyone, zed (who joined during the split) included.
    const bool a_kept = !carol_a.wait(R"(^! name_taken: )", 2s).has_value();
    auto& loser = a_kept ? carol_b : carol_a;
    if (a_kept) CHECK(carol_b.wait(R"(^! name_taken: while the room was split)", 5s));
    loser.drain(2s);
    CHECK(loser.closed());
    alice.send(R"({"type":"who"})");
    CHECK(alice.wait(a_kept
                         ? R"(\{"type":"users","users":\["alice","anna","bob","carol","zed"\]\})"
                         : R"(\{"type":"users","users":\["alice","anna","bob","Carol","zed"\]\})",
                     10s));
    alice.send(say_json("together again"));
    CHECK(bob.wait(R"(^<alice> together again$)"));
    CHECK(zed.wait(R"(^<alice> together again$)"));
    zed.send("/msg anna hello anna");
    CHECK(anna.wait(R"(^\*zed\* \(whisper\) hello anna$)"));
    // Nothing said during the split crossed over.
    for (const auto& line : bob.drain())
      CHECK_MESSAGE(line.find("just us") == std::string::npos, line);
  }

  TEST_CASE("cluster: chat_server --redis exits with a clear message when Redis is unreachable") {
    const auto nobody = free_port();  // bound, then released: nothing listens there
    const auto r = run_to_end(
        {CLI_CHAT_SERVER_PATH, "--port", "0", "--redis", "127.0.0.1:" + std::to_string(nobody)});
    CHECK(r.code == 1);
    CHECK_MESSAGE(r.err.find("cannot reach Redis at 127.0.0.1:" + std::to_string(nobody)) !=
                      std::string::npos,
                  r.err);
  }

  TEST_CASE(
      "cluster: behind HAProxy (round robin, send-proxy-v2) two members land on two instances") {
    const char* haproxy = "/usr/sbin/haproxy";
    REQUIRE_MESSAGE(std::filesystem::exists(haproxy),
                    "haproxy is not installed (scripts/setup.sh)");
    redis_instance redis;
    const std::vector<std::string> proxied{"--proxy-protocol", "--log-connections"};
    instance a{redis.port(), "a", proxied};
    instance b{redis.port(), "b", proxied};
    const auto front = free_port();
    char pattern[] = "/tmp/coronet-cluster-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::filesystem::path dir{pattern};
    const auto config = (dir / "haproxy.cfg").string();
    {
      std::ofstream cfg{config};
      cfg << "global\n  maxconn 100\n"
          << "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n"
          << "  timeout server 60s\n"
          << "frontend chat\n  bind 127.0.0.1:" << front << "\n  default_backend chat\n"
          << "backend chat\n  balance roundrobin\n"
          << "  server a 127.0.0.1:" << a.port << " send-proxy-v2\n"
          << "  server b 127.0.0.1:" << b.port << " send-proxy-v2\n";
    }
    {
      child_process proxy{{haproxy, "-db", "-f", config}};  // killed by its pid at scope end
      member u1{front};
      u1.send("u1");
      REQUIRE(u1.wait(R"(^\* welcome, u1!)"));
      member u2{front};
      u2.send("u2");
      CHECK(u2.wait(R"(^\* welcome, u2! online: u1, u2$)"));
      CHECK(u1.wait(R"(^\* u2 joined$)"));
      u1.send("hi u2");
      CHECK(u2.wait(R"(^<u1> hi u2$)"));
      // One joined on each instance, and the instance saw the member's own address and
      // port (from the PROXY header), not HAProxy's.
      const std::regex joined{R"(join: (u\d))"};
      const auto on_a = a.process.wait_stderr(joined, 5s);
      const auto on_b = b.process.wait_stderr(joined, 5s);
      REQUIRE(on_a);
      REQUIRE(on_b);
      CHECK(*on_a != *on_b);
      auto& u1_home = *on_a == "u1" ? a : b;
      const std::regex u1_opened{R"(\(127\.0\.0\.1:)" + std::to_string(u1.local_port()) +
                                 R"(\) opened)"};
      CHECK_MESSAGE(u1_home.process.wait_stderr(u1_opened, 5s), u1_home.process.err_text);
      proxy.signal(SIGTERM);
      proxy.wait(10s);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  TEST_CASE(
      "cluster: scripts/cluster.sh runs Redis, two instances and HAProxy, Ctrl-C stops them") {
    const auto front = free_port();
    const auto redis_port = free_port();
    const auto a_port = free_port();
    const auto b_port = free_port();
    const std::string script = std::string{CORONET_SOURCE_DIR} + "/scripts/cluster.sh";
    child_process cluster{{"/usr/bin/env", "CLUSTER_PORT=" + std::to_string(front),
                           "REDIS_PORT=" + std::to_string(redis_port),
                           "A_PORT=" + std::to_string(a_port), "B_PORT=" + std::to_string(b_port),
                           std::string{"CHAT_SERVER="} + CLI_CHAT_SERVER_PATH, "bash", script}};
    REQUIRE_MESSAGE(cluster.wait_stderr(std::regex{"Join from two terminals"}, 30s),
                    cluster.err_text);
    REQUIRE(cluster.wait_stderr(std::regex{R"(\[a\] .*joined the room)"}, 20s));
    REQUIRE(cluster.wait_stderr(std::regex{R"(\[b\] .*joined the room)"}, 20s));
    {
      member one{front};
      one.send("one");
      REQUIRE(one.wait(R"(^\* welcome, one!)"));
      member two{front};
      two.send("two");
      CHECK(two.wait(R"(^\* welcome, two! online: one, two$)"));
      two.send("hello one");
      CHECK(one.wait(R"(^<two> hello one$)"));
      // Round robin: one joined on each instance.
      const auto first = cluster.wait_stderr(std::regex{R"(\[([ab])\] [^\n]*join: one)"}, 5s);
      const auto second = cluster.wait_stderr(std::regex{R"(\[([ab])\] [^\n]*join: two)"}, 5s);
      REQUIRE(first);
      REQUIRE(second);
      CHECK(*first != *second);
    }
    cluster.signal(SIGINT);
    CHECK(cluster.wait(20s) == 0);
    // Everything it started is gone: nothing listens on its ports any more.
    for (const auto port : {front, redis_port, a_port, b_port}) {
      asio::io_context io;
      asio::ip::tcp::socket probe{io};
      std::error_code ec;
      probe.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
      CHECK_MESSAGE(ec, "port " << port << " still answers");
    }
  }
}

#endif  // CLI_CHAT_SERVER_PATH
