// The figures behind kv's INFO (rates, human sizes, the store's TTL count), and
// kv_server run as a process with redis-cli reading the figures of a known workload.
#include "kv_info_support.hpp"
#include "kv_support.hpp"
#include "process.hpp"

#include <coronet/core/connect.hpp>

#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::kv_support;
using namespace coronet::test::kv_info_support;
using namespace std::chrono_literals;

namespace {

#if defined(CLI_KV_SERVER_PATH)  // the process test's helpers (no examples: not built)
// What kv_server must have seen so far, counted on the client side.
struct tally {
  std::uint64_t connections = 0, commands = 0, bytes_in = 0, bytes_out = 0;
};

constexpr int workload_connections = 3, workload_sets = 100;

// The workload, from coronet clients whose every byte is known: 3 connections one after
// the other, each with 100 pipelined SETs (the very first with a TTL), all answered, then
// closed.
asio::awaitable<void> set_keys(std::uint16_t port, tally* t) {
  for (int c = 0; c < workload_connections; ++c) {
    auto conn = co_await coronet::connect("127.0.0.1", port);
    std::string request;
    for (int i = 0; i < workload_sets; ++i) {
      const auto key = "key:" + std::to_string(c) + ":" + std::to_string(i);
      if (c == 0 && i == 0)
        request += command({"SET", key, "value", "EX", "1000"});
      else
        request += command({"SET", key, "value"});
    }
    co_await conn.write(asio::buffer(request));
    const auto replies = co_await read_exactly(conn, workload_sets * 5);
    CHECK(replies.size() == workload_sets * 5);
    CHECK(replies.find_first_not_of("+OK\r\n") == std::string::npos);
    conn.close();
    t->connections += 1;
    t->commands += workload_sets;
    t->bytes_in += request.size();
    t->bytes_out += replies.size();
  }
}

// 1000 pipelined PINGs, a pause of three sampling periods, then INFO stats on the same
// connection, while the burst is still in the sampler's 1.6 s window; `reply` gets the
// INFO reply.
asio::awaitable<void> burst_then_info(std::uint16_t port, std::string* reply) {
  auto conn = co_await coronet::connect("127.0.0.1", port);
  std::string request;
  for (int i = 0; i < 1000; ++i)
    request += "PING\r\n";
  co_await conn.write(asio::buffer(request));
  const auto pongs = co_await read_exactly(conn, 1000 * 7);
  CHECK(pongs.size() == 1000 * 7);
  co_await sleep_for(300ms);
  const auto info = command({"INFO", "stats"});
  co_await conn.write(asio::buffer(info));
  char buf[4096];
  while (reply->find("rejected_connections") == std::string::npos) {
    const auto n = co_await conn.read_some(asio::buffer(buf));
    if (n == 0) break;
    reply->append(buf, n);
  }
}

// redis-cli's INFO text, and the tally as it stood when the server answered it.
struct cli_reply {
  std::string text;
  tally at;
};
#endif

}  // namespace

TEST_SUITE("kv") {
  TEST_CASE("kv: INFO's human sizes as Redis's bytesToHuman writes them") {
    CHECK(kv::human_bytes(0) == "0B");
    CHECK(kv::human_bytes(1023) == "1023B");
    CHECK(kv::human_bytes(1024) == "1.00K");
    CHECK(kv::human_bytes(1536) == "1.50K");
    CHECK(kv::human_bytes(1024 * 1024 - 1) == "1024.00K");
    CHECK(kv::human_bytes(1024 * 1024) == "1.00M");
    CHECK(kv::human_bytes(std::uint64_t{5} << 30) == "5.00G");
    CHECK(kv::human_bytes(std::uint64_t{3} << 40) == "3.00T");
    CHECK(kv::human_bytes(std::uint64_t{1} << 50) == "1.00P");
    CHECK(kv::human_bytes(std::uint64_t{1} << 60) == "1152921504606846976B");
  }

  TEST_CASE("kv: INFO's rate_meter averages the last 16 rates as Redis's instantaneous metrics") {
    kv::rate_meter m;
    const auto t0 = std::chrono::steady_clock::now();
    m.sample(500, t0);  // the baseline: no rate yet
    CHECK(m.per_second() == 0);
    m.sample(600, t0 + 100ms);  // 100 in 100 ms: 1000/s, one sample of 16
    CHECK(m.per_second() == 1000 / 16);
    for (int i = 2; i <= 16; ++i)
      m.sample(500 + 100 * static_cast<std::uint64_t>(i), t0 + i * 100ms);
    CHECK(m.per_second() == 1000);
    // Idle: the burst leaves the window one sample at a time.
    for (int i = 17; i <= 24; ++i)
      m.sample(2100, t0 + i * 100ms);
    CHECK(m.per_second() == 500);
    for (int i = 25; i <= 32; ++i)
      m.sample(2100, t0 + i * 100ms);
    CHECK(m.per_second() == 0);
    m.sample(2200, t0 + 32 * 100ms);  // no time passed: Redis records 0
    CHECK(m.per_second() == 0);
  }

  TEST_CASE("kv: the store counts keys with a TTL for INFO through every write") {
    kv::store db;
    const auto later = kv::clock::now() + std::chrono::hours(1);
    const auto past = kv::clock::now() - std::chrono::milliseconds(1);
    const auto expiring = [&db] { return db.counts().expiring; };
    db.set("a", "v", kv::store::condition::always, later);
    db.set("b", "v", kv::store::condition::always, later);
    db.set("c", "v");
    CHECK(db.counts().keys == 3);
    CHECK(expiring() == 2);
    db.set("a", "v2");  // a plain SET clears the TTL
    CHECK(expiring() == 1);
    db.set_with("b", "v2", kv::store::condition::always, kv::never, true,
                [](std::optional<std::string_view>) {});  // KEEPTTL
    CHECK(expiring() == 1);
    db.set_with("c", "v2", kv::store::condition::always, later, true,
                [](std::optional<std::string_view>) {});  // KEEPTTL on a key without one
    CHECK(expiring() == 1);
    db.set("c", "v3", kv::store::condition::if_present, later);
    CHECK(expiring() == 2);
    db.set("c", "v4", kv::store::condition::if_absent);  // refused: nothing changes
    CHECK(expiring() == 2);
    std::int64_t n = 0;
    db.set("n", "1", kv::store::condition::always, later);
    CHECK(db.incr_by("n", 1, n) == kv::store::incr_status::ok);  // INCR keeps the TTL
    CHECK(expiring() == 3);
    const std::vector<std::string_view> pairs{"b", "x", "new", "y"};
    db.set_many(pairs);  // MSET clears TTLs
    CHECK(expiring() == 2);
    CHECK(db.erase("c"));
    CHECK(expiring() == 1);
    db.set("gone", "v", kv::store::condition::always, past);
    CHECK(expiring() == 2);  // expired, not yet touched: counted, as in size()
    CHECK_FALSE(db.contains("gone"));
    CHECK(expiring() == 1);
    CHECK(db.counts().keys == db.size());
    db.clear();
    CHECK(db.counts().keys == 0);
    CHECK(expiring() == 0);
  }

#if defined(CLI_KV_SERVER_PATH)
  TEST_CASE("kv: redis-cli INFO reads kv_server's figures for a known workload") {
    // kv_server as users run it, stopped with SIGTERM at the end (and by child_process
    // with SIGKILL if the test fails before that).
    child_process server{{CLI_KV_SERVER_PATH, "--port", "0"}};
    const auto port_text = server.wait_stderr(listening, 20s);
    REQUIRE_MESSAGE(port_text, server.err_text);
    const auto port = static_cast<std::uint16_t>(std::stoi(*port_text));

    tally sent;
    run(set_keys(port, &sent));

    // redis-cli with one command: one connection, one request (redis-cli sends nothing
    // else when given a command), and INFO's reply a bulk string it prints as it came
    // (with no newline of its own, as the text ends in one).
    const auto cli = [&](std::vector<std::string> args) {
      std::vector<std::string> argv{"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", *port_text};
      argv.insert(argv.end(), args.begin(), args.end());
      const auto r = run_to_end(argv);
      REQUIRE_MESSAGE(r.code == 0, r.err);
      REQUIRE(r.out.ends_with("\r\n"));
      std::string request = "*" + std::to_string(args.size()) + "\r\n";
      for (const auto& a : args)
        request += bulk(a);
      sent.connections += 1;
      sent.commands += 1;
      sent.bytes_in += request.size();
      cli_reply reply{r.out, sent};
      sent.bytes_out += bulk(reply.text).size();  // after: a reply is not in its own figures
      return reply;
    };

    // The workload's connections are gone once the server has seen their EOF: wait for
    // connected_clients to be this client alone.
    std::map<std::string, std::string> clients;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;;) {
      clients = fields_of(cli({"INFO", "clients"}).text);
      if (clients["connected_clients"] == "1" || std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(20ms);
    }
    CHECK(clients["connected_clients"] == "1");
    CHECK(clients["maxclients"] == "10000");

    const auto stats_reply = cli({"INFO", "stats"});
    CAPTURE(stats_reply.text);
    CHECK(stats_reply.text.starts_with("# Stats\r\n"));
    const auto stats = fields_of(stats_reply.text);
    CHECK(stats.at("total_connections_received") == std::to_string(stats_reply.at.connections));
    CHECK(stats.at("total_commands_processed") == std::to_string(stats_reply.at.commands));
    CHECK(stats.at("total_net_input_bytes") == std::to_string(stats_reply.at.bytes_in));
    CHECK(stats.at("total_net_output_bytes") == std::to_string(stats_reply.at.bytes_out));
    CHECK(stats.at("rejected_connections") == "0");
    CHECK(stats.count("instantaneous_ops_per_sec") == 1);

    const auto keyspace = cli({"INFO", "keyspace"}).text;
    CHECK(keyspace == "# Keyspace\r\ndb0:keys=300,expires=1,avg_ttl=0\r\n");

    // INFO alone: Redis's sections in Redis's order, and the same counts once more.
    const auto all_reply = cli({"INFO"});
    CAPTURE(all_reply.text);
    std::vector<std::string> titles;
    for (const auto& line : split_lines(all_reply.text))
      if (line.starts_with("# ")) titles.push_back(line);
    CHECK(titles == std::vector<std::string>{"# Server\r", "# Clients\r", "# Memory\r", "# Stats\r",
                                             "# Replication\r", "# CPU\r", "# Keyspace\r"});
    const auto all = fields_of(all_reply.text);
    CHECK(all.at("tcp_port") == *port_text);
    CHECK(all.at("total_connections_received") == std::to_string(all_reply.at.connections));
    CHECK(all.at("total_commands_processed") == std::to_string(all_reply.at.commands));
    CHECK(all.at("total_net_input_bytes") == std::to_string(all_reply.at.bytes_in));
    CHECK(all.at("total_net_output_bytes") == std::to_string(all_reply.at.bytes_out));
    CHECK(all.at("db0") == "keys=300,expires=1,avg_ttl=0");
    CHECK(std::stoull(all.at("used_memory_rss")) > 0);
    // used_memory is malloc's figure: 0 under AddressSanitizer, whose allocator is not
    // malloc's.
    CHECK(all.at("used_memory").find_first_not_of("0123456789") == std::string::npos);
    CHECK(std::stoull(all.at("uptime_in_seconds")) < 600);
    CHECK(all.at("process_id").find_first_not_of("0123456789") == std::string::npos);

    // The rate, sampled every 100 ms: a burst shows while it is in the last 16 samples.
    std::string burst_reply;
    run(burst_then_info(port, &burst_reply));
    CAPTURE(burst_reply);
    CHECK(std::stoull(fields_of(burst_reply).at("instantaneous_ops_per_sec")) > 0);

    server.signal(SIGTERM);
    CHECK(server.wait(15s) == 0);
  }
#endif
}
