// The kv example's INFO (examples/kv/info.hpp): Redis's text format and section rules
// against fixed figures, the process's own figures, and INFO in the command table.
#include "kv_info_support.hpp"
#include "kv_support.hpp"

#include <unistd.h>

#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::kv_support;
using namespace coronet::test::kv_info_support;

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
}
