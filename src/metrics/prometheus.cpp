// coronet/metrics/prometheus.hpp: the text exposition format, written by hand (it is a few
// lines per family; no client library needed).
#include "coronet/metrics/prometheus.hpp"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace coronet {
namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// name{worker="i"[,label="value"]} value
void sample(std::string& out, std::string_view name, std::size_t worker, std::uint64_t value,
            std::string_view label = {}, std::string_view label_value = {}) {
  out.append(name).append("{worker=\"").append(std::to_string(worker)).append("\"");
  if (!label.empty()) out.append(",").append(label).append("=\"").append(label_value).append("\"");
  out.append("} ").append(std::to_string(value)).append("\n");
}

// One family with one sample per worker: `field` picks the value from a worker_stats.
template <typename Field>
void per_worker(std::string& out, const server_stats& stats, std::string_view name,
                std::string_view type, std::string_view help, Field field) {
  family(out, name, type, help);
  for (std::size_t i = 0; i < stats.workers.size(); ++i)
    sample(out, name, i, field(stats.workers[i]));
}

}  // namespace

void append_prometheus_text(const server_stats& stats, std::string& out) {
  per_worker(out, stats, "coronet_connections_accepted_total", "counter",
             "Connections accepted and given to a worker.",
             [](const worker_stats& w) { return w.connections_accepted; });
  per_worker(out, stats, "coronet_connections_refused_total", "counter",
             "Connections closed at accept because the server was at max_connections.",
             [](const worker_stats& w) { return w.connections_refused; });
  per_worker(out, stats, "coronet_connections_open", "gauge",
             "Connections accepted and not yet closed.",
             [](const worker_stats& w) { return w.open(); });

  family(out, "coronet_connections_closed_total", "counter",
         "Connections closed, by the reason they ended.");
  for (std::size_t i = 0; i < stats.workers.size(); ++i) {
    for (std::size_t c = 0; c < close_cause_count; ++c) {
      sample(out, "coronet_connections_closed_total", i, stats.workers[i].connections_closed[c],
             "reason", to_string(static_cast<close_cause>(c)));
    }
  }

  per_worker(out, stats, "coronet_read_bytes_total", "counter",
             "Bytes read by handlers (decrypted bytes over TLS).",
             [](const worker_stats& w) { return w.bytes_read; });
  per_worker(out, stats, "coronet_written_bytes_total", "counter",
             "Bytes written by handlers (before encryption over TLS).",
             [](const worker_stats& w) { return w.bytes_written; });
  per_worker(out, stats, "coronet_frames_read_total", "counter",
             "Frames decoded by framed<> on server connections.",
             [](const worker_stats& w) { return w.frames_read; });
  per_worker(out, stats, "coronet_frames_written_total", "counter",
             "Frames encoded by framed<> on server connections.",
             [](const worker_stats& w) { return w.frames_written; });

  family(out, "coronet_decode_errors_total", "counter",
         "Peer input that could not be decoded, by kind.");
  for (std::size_t i = 0; i < stats.workers.size(); ++i) {
    for (std::size_t k = 0; k < decode_error_count; ++k) {
      sample(out, "coronet_decode_errors_total", i, stats.workers[i].decode_errors[k], "kind",
             to_string(static_cast<decode_error>(k)));
    }
  }

  family(out, "coronet_uptime_seconds", "gauge", "Seconds since the server started.");
  const auto uptime = std::chrono::duration<double>(stats.uptime).count();
  out.append("coronet_uptime_seconds ").append(std::to_string(uptime)).append("\n");
}

std::string prometheus_text(const server_stats& stats) {
  std::string out;
  out.reserve(2048 + stats.workers.size() * 1536);
  append_prometheus_text(stats, out);
  return out;
}

}  // namespace coronet
