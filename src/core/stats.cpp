// coronet/core/stats.hpp: the names of causes and error kinds, and summing snapshots.
#include "coronet/core/stats.hpp"

#include <numeric>

namespace coronet {

std::string_view to_string(close_cause c) noexcept {
  switch (c) {
    case close_cause::handshake_failed:
      return "handshake_failed";
    case close_cause::proxy_refused:
      return "proxy_refused";
    case close_cause::forced_close:
      return "forced_close";
    case close_cause::server_stop:
      return "server_stop";
    case close_cause::idle_timeout:
      return "idle_timeout";
    case close_cause::bad_input:
      return "bad_input";
    case close_cause::handler_error:
      return "handler_error";
    case close_cause::peer_reset:
      return "peer_reset";
    case close_cause::peer_closed:
      return "peer_closed";
    case close_cause::handler_closed:
      return "handler_closed";
  }
  return "unknown";
}

std::string_view to_string(decode_error e) noexcept {
  switch (e) {
    case decode_error::too_large:
      return "too_large";
    case decode_error::malformed:
      return "malformed";
    case decode_error::truncated:
      return "truncated";
  }
  return "unknown";
}

std::uint64_t worker_stats::closed() const noexcept {
  return std::accumulate(connections_closed.begin(), connections_closed.end(), std::uint64_t{0});
}

worker_stats& worker_stats::operator+=(const worker_stats& other) noexcept {
  connections_accepted += other.connections_accepted;
  connections_refused += other.connections_refused;
  for (std::size_t i = 0; i < close_cause_count; ++i)
    connections_closed[i] += other.connections_closed[i];
  bytes_read += other.bytes_read;
  bytes_written += other.bytes_written;
  frames_read += other.frames_read;
  frames_written += other.frames_written;
  for (std::size_t i = 0; i < decode_error_count; ++i)
    decode_errors[i] += other.decode_errors[i];
  return *this;
}

}  // namespace coronet
