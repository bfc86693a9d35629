// The kv example's INFO (examples/kv/info.hpp): Redis's text format and section rules
// against fixed figures, the pieces behind the figures (rates, human sizes, the store's
// TTL count), and kv_server run as a process with redis-cli reading the figures of a
// workload whose every byte is known.
#include "kv_support.hpp"
#include "process.hpp"

#include <coronet/core/connect.hpp>

#include <unistd.h>

#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::kv_support;
using namespace std::chrono_literals;

namespace {

// Fixed figures, and how often INFO asked for them.
class fake_info final : public kv::server_info {
 public:
  kv::server_figures figures() const override {
    ++calls;
    return f;
  }
  kv::server_figures f{
      .process_id = 4242,
      .tcp_port = 6380,
      .uptime = std::chrono::seconds(2 * 86400 + 5),
      .connected_clients = 3,
      .maxclients = 10000,
      .used_memory = 1536,
      .used_memory_rss = 3 * 1024 * 1024,
      .total_connections_received = 7,
      .total_commands_processed = 1234,
      .instantaneous_ops_per_sec = 56,
      .total_net_input_bytes = 98765,
      .total_net_output_bytes = 43210,
      .instantaneous_input_bytes_per_sec = 2048,
      .instantaneous_output_bytes_per_sec = 512,
      .rejected_connections = 2,
      .used_cpu_sys = std::chrono::microseconds(1'250'000),
      .used_cpu_user = std::chrono::microseconds(3'000'007),
      .used_cpu_sys_children = std::chrono::microseconds(0),
      .used_cpu_user_children = std::chrono::microseconds(999'999),
  };
  mutable int calls = 0;
};

const std::string server_section =
    "# Server\r\n"
    "redis_version:7.0.15\r\n"
    "redis_mode:standalone\r\n"
    "arch_bits:64\r\n"
    "process_id:4242\r\n"
    "tcp_port:6380\r\n"
    "uptime_in_seconds:172805\r\n"
    "uptime_in_days:2\r\n";
const std::string clients_section =
    "# Clients\r\n"
    "connected_clients:3\r\n"
    "maxclients:10000\r\n"
    "blocked_clients:0\r\n";
const std::string memory_section =
    "# Memory\r\n"
    "used_memory:1536\r\n"
    "used_memory_human:1.50K\r\n"
    "used_memory_rss:3145728\r\n"
    "used_memory_rss_human:3.00M\r\n"
    "maxmemory:0\r\n"
    "maxmemory_human:0B\r\n"
    "maxmemory_policy:noeviction\r\n"
    "mem_allocator:libc\r\n";
const std::string stats_section =
    "# Stats\r\n"
    "total_connections_received:7\r\n"
    "total_commands_processed:1234\r\n"
    "instantaneous_ops_per_sec:56\r\n"
    "total_net_input_bytes:98765\r\n"
    "total_net_output_bytes:43210\r\n"
    "instantaneous_input_kbps:2.00\r\n"
    "instantaneous_output_kbps:0.50\r\n"
    "rejected_connections:2\r\n";
const std::string replication_section =
    "# Replication\r\n"
    "role:master\r\n"
    "connected_slaves:0\r\n";
const std::string cpu_section =
    "# CPU\r\n"
    "used_cpu_sys:1.250000\r\n"
    "used_cpu_user:3.000007\r\n"
    "used_cpu_sys_children:0.000000\r\n"
    "used_cpu_user_children:0.999999\r\n";

// The sections joined as Redis joins them: an empty line between two.
std::string joined(const std::vector<std::string>& sections) {
  std::string out;
  for (const auto& s : sections)
    out += (out.empty() ? "" : "\r\n") + s;
  return out;
}

// What kv answers `request` (inline) with `info` behind it.
std::string reply_to(kv::store& db, const std::string& request, const kv::server_info* info) {
  return serve_script(db, {request + "\r\n"}, {}, {.info = info}).written;
}

// The "field:value" lines of an INFO text (as redis-cli prints it), by field.
std::map<std::string, std::string> fields_of(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (auto line : split_lines(text)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return fields;
}

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
  TEST_CASE("kv: INFO answers Redis's default sections in Redis's format") {
    kv::store db;
    fake_info info;
    const std::string empty_keyspace = "# Keyspace\r\n";  // no db0 line for an empty store
    const auto all = joined({server_section, clients_section, memory_section, stats_section,
                             replication_section, cpu_section, empty_keyspace});
    CHECK(reply_to(db, "INFO", &info) == bulk(all));
    CHECK(info.calls == 1);

    db.set("a", "1");
    db.set("b", "2", kv::store::condition::always, kv::clock::now() + std::chrono::hours(1));
    const auto with_keys =
        joined({server_section, clients_section, memory_section, stats_section, replication_section,
                cpu_section, "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n"});
    CHECK(reply_to(db, "INFO", &info) == bulk(with_keys));
    // all, everything and default are every section kv_server has.
    for (const auto* word : {"all", "EVERYTHING", "Default", "default all nosuch"}) {
      CAPTURE(word);
      CHECK(reply_to(db, std::string{"INFO "} + word, &info) == bulk(with_keys));
    }
  }

  TEST_CASE(
      "kv: INFO section picks sections case-insensitively, several at once, in Redis's order") {
    kv::store db;
    db.set("k", "v");
    fake_info info;
    CHECK(reply_to(db, "INFO stats", &info) == bulk(stats_section));
    CHECK(reply_to(db, "INFO CLIENTS", &info) == bulk(clients_section));
    CHECK(reply_to(db, "info Memory", &info) == bulk(memory_section));
    CHECK(reply_to(db, "INFO server", &info) == bulk(server_section));
    CHECK(reply_to(db, "INFO replication", &info) == bulk(replication_section));
    CHECK(reply_to(db, "INFO cpu", &info) == bulk(cpu_section));
    // Several sections (Redis 7): written in Redis's order whatever order they are asked in,
    // each once.
    CHECK(reply_to(db, "INFO keyspace clients stats clients", &info) ==
          bulk(joined({clients_section, stats_section,
                       "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"})));
    // Unknown sections (and Redis's sections kv_server does not have) select nothing: an
    // empty bulk string, as Redis answers `INFO nosuch`.
    CHECK(reply_to(db, "INFO nosuch", &info) == "$0\r\n\r\n");
    CHECK(reply_to(db, "INFO persistence commandstats", &info) == "$0\r\n\r\n");
    CHECK(reply_to(db, "INFO nosuch cpu", &info) == bulk(cpu_section));
  }

  TEST_CASE("kv: INFO asks the server for figures only when a section needs them") {
    kv::store db;
    fake_info info;
    CHECK(reply_to(db, "INFO keyspace", &info) == bulk("# Keyspace\r\n"));
    CHECK(reply_to(db, "INFO nosuch", &info) == "$0\r\n\r\n");
    CHECK(info.calls == 0);
    reply_to(db, "INFO keyspace cpu", &info);
    CHECK(info.calls == 1);
  }

  TEST_CASE("kv: INFO without a server_info reports the process's own figures") {
    kv::store db;
    const auto fields = fields_of(reply_to(db, "INFO", nullptr));
    CHECK(fields.at("process_id") == std::to_string(::getpid()));
    CHECK(fields.at("tcp_port") == "0");
    CHECK(fields.at("connected_clients") == "0");
    CHECK(fields.at("total_commands_processed") == "0");
    CHECK(std::stoull(fields.at("used_memory_rss")) > 0);
    CHECK(fields.at("role") == "master");
    const auto direct = kv::process_figures();
    CHECK(direct.used_memory_rss > 0);
    CHECK(direct.used_memory_rss % static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) == 0);
  }

  TEST_CASE("kv: INFO is in the command table as Redis 7.0 describes it") {
    check_exchanges({
        {"COMMAND INFO info",
         "*1\r\n*10\r\n$4\r\ninfo\r\n:-1\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n"
         "+@slow\r\n+@dangerous\r\n*3\r\n$23\r\nnondeterministic_output\r\n$25\r\nrequest_policy"
         ":all_shards\r\n$23\r\nresponse_policy:special\r\n*0\r\n*0\r\n"},
        {"COMMAND COUNT", ":18\r\n"},
        {"COMMAND LIST FILTERBY PATTERN inf*", "*1\r\n$4\r\ninfo\r\n"},
    });
  }

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
