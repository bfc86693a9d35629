// INFO [section ...]: what kv_server tells monitoring tools about itself, in Redis's own
// format, section names and field names, so that `redis-cli INFO`, `redis-cli --stat` and
// the tools that parse INFO read it as they read Redis's.
//
//   class my_info final : public kv::server_info {        // the figures, from the server
//     kv::server_figures figures() const override { ... }
//   };
//   my_info info;
//   kv::serve(std::move(conn), &db, {.info = &info});
//
// The store cannot know how many clients are connected or how many bytes they sent: a
// kv::server_info supplies those (kv_server.cpp wires one to coronet::server::stats();
// tests give fixed figures). The keyspace comes from the store itself. Nothing here is
// counted per command: INFO reads counters the server keeps anyway, so the cost of INFO
// is paid by INFO alone.
#pragma once

#include "store.hpp"

#include <coronet/resp/resp_codec.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace kv {

// The figures INFO reports about the server and the process around the store.
struct server_figures {
  // # Server
  std::uint64_t process_id = 0;
  std::uint16_t tcp_port = 0;
  std::chrono::seconds uptime{0};
  // # Clients
  std::uint64_t connected_clients = 0;  // this INFO's own client included, as in Redis
  std::uint64_t maxclients = 0;
  // # Memory
  std::uint64_t used_memory = 0;      // bytes the allocator has handed out (malloc's view)
  std::uint64_t used_memory_rss = 0;  // resident set size (the kernel's view)
  // # Stats
  std::uint64_t total_connections_received = 0;
  std::uint64_t total_commands_processed = 0;
  std::uint64_t instantaneous_ops_per_sec = 0;
  std::uint64_t total_net_input_bytes = 0;
  std::uint64_t total_net_output_bytes = 0;
  std::uint64_t instantaneous_input_bytes_per_sec = 0;   // shown in KiB/s, as Redis does
  std::uint64_t instantaneous_output_bytes_per_sec = 0;  // shown in KiB/s
  std::uint64_t rejected_connections = 0;
  // # CPU: seconds and microseconds, as getrusage() gives them
  std::chrono::microseconds used_cpu_sys{0}, used_cpu_user{0};
  std::chrono::microseconds used_cpu_sys_children{0}, used_cpu_user_children{0};
};

// Where INFO gets its server_figures. figures() is called once per INFO that asks for a
// section other than Keyspace, on the calling connection's thread: with several server
// threads it must be safe to call concurrently.
class server_info {
 public:
  virtual ~server_info() = default;
  virtual server_figures figures() const = 0;
};

// The process's own figures (process id, memory, CPU time), with the server's left at 0:
// what INFO reports when kv::options::info is null. Memory comes from /proc/self/statm
// (resident pages) and mallinfo2() (bytes in use); CPU time from getrusage().
server_figures process_figures();

// Redis's instantaneous_*_per_sec: a reading of a counter every 100 ms (Redis's cron
// period), the rate between consecutive readings kept for the last 16 readings, and their
// mean reported. Not thread-safe: the caller serialises sample() and per_second().
class rate_meter {
 public:
  static constexpr std::size_t sample_count = 16;  // Redis's STATS_METRIC_SAMPLES

  // Records `reading` (a counter that only grows) taken at `now`. The first reading only
  // sets the baseline.
  void sample(std::uint64_t reading, std::chrono::steady_clock::time_point now) noexcept;
  // The mean of the last 16 rates, per second (0 before two readings).
  std::uint64_t per_second() const noexcept;

 private:
  std::array<std::uint64_t, sample_count> rates_{};
  std::size_t next_ = 0;
  std::uint64_t last_reading_ = 0;
  std::chrono::steady_clock::time_point last_time_{};
  bool started_ = false;
};

// The keyspace figures of `db0`, the only database kv_server has.
struct keyspace_figures {
  std::uint64_t keys = 0;
  std::uint64_t expires = 0;  // keys with a TTL
};

// INFO's sections, in the order Redis writes them. kv_server has these; Redis's other
// sections (Persistence, Modules, Commandstats, Errorstats, Latencystats, Cluster) have
// no counterpart here and are never written, even for `INFO all`.
enum info_section : unsigned {
  info_server = 1U << 0,
  info_clients = 1U << 1,
  info_memory = 1U << 2,
  info_stats = 1U << 3,
  info_replication = 1U << 4,
  info_cpu = 1U << 5,
  info_keyspace = 1U << 6,
};
inline constexpr unsigned info_default_sections = (info_keyspace << 1) - 1;  // all of them

// The sections a request `INFO [section ...]` asks for: none given or `default`: Redis's
// default sections; `all`, `everything`: every section; otherwise the named ones (several
// since Redis 7), case-insensitively. Unknown names select nothing, as in Redis.
unsigned info_sections(const coronet::resp::request& req) noexcept;

// INFO's text for `sections`: "# Server\r\nfield:value\r\n..." with an empty line between
// sections, as Redis writes it. Empty if `sections` is 0.
std::string info_text(unsigned sections, const server_figures& server,
                      const keyspace_figures& keyspace);

// Redis's bytesToHuman(): "1023B", "1.00K", "2.50M", "3.10G" ...
std::string human_bytes(std::uint64_t n);

namespace detail {

// The whole reply text for `req`: asks `info` (or process_figures()) and the store only
// for what the requested sections need.
std::string info_reply(store& db, const server_info* info, const coronet::resp::request& req);

// INFO [section ...]: a bulk string, as Redis answers over RESP2.
template <typename Out>
void cmd_info(store& db, const server_info* info, const coronet::resp::request& req, Out& out) {
  const auto text = info_reply(db, info, req);
  out.write(coronet::resp::bulk{text});
}

}  // namespace detail
}  // namespace kv
