#include "commands/info.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string_view>

namespace kv {

namespace {

namespace resp = coronet::resp;

// The Redis release whose replies kv_server reproduces (COMMAND INFO is checked byte for
// byte against it), for tools that decide what to send from redis_version, as other
// Redis-compatible servers report one.
constexpr std::string_view redis_version = "7.0.15";

struct section_name {
  std::string_view name;
  unsigned bit;
};
constexpr std::array<section_name, 7> section_names{{
    {"server", info_server},
    {"clients", info_clients},
    {"memory", info_memory},
    {"stats", info_stats},
    {"replication", info_replication},
    {"cpu", info_cpu},
    {"keyspace", info_keyspace},
}};

std::chrono::microseconds to_microseconds(const timeval& t) {
  return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
}

// Writes INFO's lines: "# Title\r\n" opens a section (after an empty line unless it is
// the first), "field:value\r\n" the rest.
class info_writer {
 public:
  void section(std::string_view title) {
    if (!out_.empty()) out_ += "\r\n";
    (out_ += "# ") += title;
    out_ += "\r\n";
  }
  void field(std::string_view name, std::string_view value) {
    ((out_ += name) += ':') += value;
    out_ += "\r\n";
  }
  void field(std::string_view name, std::uint64_t value) { field(name, std::to_string(value)); }
  // "%ld.%06ld", as Redis writes CPU seconds.
  void field(std::string_view name, std::chrono::microseconds t) {
    char text[48];
    const auto us = t.count();
    std::snprintf(text, sizeof text, "%" PRId64 ".%06" PRId64,
                  static_cast<std::int64_t>(us / 1'000'000),
                  static_cast<std::int64_t>(us % 1'000'000));
    field(name, std::string_view{text});
  }
  // "%.2f", as Redis writes its kbps figures.
  void field_kib(std::string_view name, std::uint64_t bytes) {
    char text[48];
    std::snprintf(text, sizeof text, "%.2f", static_cast<double>(bytes) / 1024);
    field(name, std::string_view{text});
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

server_figures process_figures() {
  server_figures f;
  f.process_id = static_cast<std::uint64_t>(::getpid());
  // statm: size resident shared text lib data dt, in pages.
  std::ifstream statm{"/proc/self/statm"};
  std::uint64_t size = 0, resident = 0;
  if (statm >> size >> resident)
    f.used_memory_rss = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  // In use from malloc's arenas plus its mmap()ed blocks: Redis's used_memory is the same
  // idea (what its allocator handed out). It walks the free lists under each arena's
  // lock, which is why only INFO calls it.
  const auto m = ::mallinfo2();
  f.used_memory = m.uordblks + m.hblkhd;
  rusage self{}, children{};
  if (::getrusage(RUSAGE_SELF, &self) == 0) {
    f.used_cpu_sys = to_microseconds(self.ru_stime);
    f.used_cpu_user = to_microseconds(self.ru_utime);
  }
  if (::getrusage(RUSAGE_CHILDREN, &children) == 0) {
    f.used_cpu_sys_children = to_microseconds(children.ru_stime);
    f.used_cpu_user_children = to_microseconds(children.ru_utime);
  }
  return f;
}

void rate_meter::sample(std::uint64_t reading, std::chrono::steady_clock::time_point now) noexcept {
  if (started_) {
    // Redis's trackInstantaneousMetric(): whole milliseconds, 0 if none passed.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_time_).count();
    const auto delta = reading >= last_reading_ ? reading - last_reading_ : 0;
    rates_[next_] = ms > 0 ? delta * 1000 / static_cast<std::uint64_t>(ms) : 0;
    next_ = (next_ + 1) % sample_count;
  }
  started_ = true;
  last_reading_ = reading;
  last_time_ = now;
}

std::uint64_t rate_meter::per_second() const noexcept {
  std::uint64_t sum = 0;
  for (auto r : rates_)
    sum += r;
  return sum / sample_count;
}

unsigned info_sections(const resp::request& req) noexcept {
  if (req.size() == 1) return info_default_sections;
  unsigned sections = 0;
  for (std::size_t i = 1; i < req.size(); ++i) {
    const auto name = req[i];
    // kv_server's default sections are all it has, so the three words mean the same.
    if (resp::iequals(name, "default") || resp::iequals(name, "all") ||
        resp::iequals(name, "everything")) {
      sections |= info_default_sections;
      continue;
    }
    for (const auto& s : section_names)
      if (resp::iequals(name, s.name)) sections |= s.bit;
  }
  return sections;
}

std::string human_bytes(std::uint64_t n) {
  // Redis's bytesToHuman(): B below 1 KiB, then two decimals of K, M, G, T or P.
  if (n < 1024) return std::to_string(n) + "B";
  std::uint64_t unit_size = 1024;
  for (char unit : {'K', 'M', 'G', 'T', 'P'}) {
    if (n / unit_size < 1024) {
      char text[48];
      std::snprintf(text, sizeof text, "%.2f%c",
                    static_cast<double>(n) / static_cast<double>(unit_size), unit);
      return text;
    }
    unit_size *= 1024;
  }
  return std::to_string(n) + "B";  // 1024 P and more, as Redis writes it
}

std::string info_text(unsigned sections, const server_figures& f, const keyspace_figures& k) {
  info_writer w;
  if ((sections & info_server) != 0) {
    w.section("Server");
    w.field("redis_version", redis_version);
    w.field("redis_mode", "standalone");
    w.field("arch_bits", std::uint64_t{sizeof(void*) * 8});
    w.field("process_id", f.process_id);
    w.field("tcp_port", std::uint64_t{f.tcp_port});
    const auto seconds = static_cast<std::uint64_t>(f.uptime.count());
    w.field("uptime_in_seconds", seconds);
    w.field("uptime_in_days", seconds / 86400);
  }
  if ((sections & info_clients) != 0) {
    w.section("Clients");
    w.field("connected_clients", f.connected_clients);
    w.field("maxclients", f.maxclients);
    w.field("blocked_clients", std::uint64_t{0});  // no kv command blocks
  }
  if ((sections & info_memory) != 0) {
    w.section("Memory");
    w.field("used_memory", f.used_memory);
    w.field("used_memory_human", human_bytes(f.used_memory));
    w.field("used_memory_rss", f.used_memory_rss);
    w.field("used_memory_rss_human", human_bytes(f.used_memory_rss));
    w.field("maxmemory", std::uint64_t{0});  // no memory limit, so no eviction
    w.field("maxmemory_human", "0B");
    w.field("maxmemory_policy", "noeviction");
    w.field("mem_allocator", "libc");
  }
  if ((sections & info_stats) != 0) {
    w.section("Stats");
    w.field("total_connections_received", f.total_connections_received);
    w.field("total_commands_processed", f.total_commands_processed);
    w.field("instantaneous_ops_per_sec", f.instantaneous_ops_per_sec);
    w.field("total_net_input_bytes", f.total_net_input_bytes);
    w.field("total_net_output_bytes", f.total_net_output_bytes);
    w.field_kib("instantaneous_input_kbps", f.instantaneous_input_bytes_per_sec);
    w.field_kib("instantaneous_output_kbps", f.instantaneous_output_bytes_per_sec);
    w.field("rejected_connections", f.rejected_connections);
  }
  if ((sections & info_replication) != 0) {
    w.section("Replication");
    w.field("role", "master");  // kv_server stands alone: no replicas, no primary
    w.field("connected_slaves", std::uint64_t{0});
  }
  if ((sections & info_cpu) != 0) {
    w.section("CPU");
    w.field("used_cpu_sys", f.used_cpu_sys);
    w.field("used_cpu_user", f.used_cpu_user);
    w.field("used_cpu_sys_children", f.used_cpu_sys_children);
    w.field("used_cpu_user_children", f.used_cpu_user_children);
  }
  if ((sections & info_keyspace) != 0) {
    w.section("Keyspace");
    // Redis omits an empty database. avg_ttl is Redis's estimate from the keys its expiry
    // cycle sampled; kv's expiry is lazy and samples nothing, so it is 0, as Redis's is
    // before its first sample.
    if (k.keys != 0)
      w.field("db0", "keys=" + std::to_string(k.keys) + ",expires=" + std::to_string(k.expires) +
                         ",avg_ttl=0");
  }
  return w.take();
}

namespace detail {

std::string info_reply(store& db, const server_info* info, const resp::request& req) {
  const auto sections = info_sections(req);
  server_figures figures;
  if ((sections & ~unsigned{info_keyspace}) != 0)
    figures = info != nullptr ? info->figures() : process_figures();
  keyspace_figures keyspace;
  if ((sections & info_keyspace) != 0) {
    const auto counts = db.counts();
    keyspace = {counts.keys, counts.expiring};
  }
  return info_text(sections, figures, keyspace);
}

}  // namespace detail
}  // namespace kv
