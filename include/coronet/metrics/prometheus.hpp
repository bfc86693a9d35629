/// @file
/// @code{.unparsed}
/// A server_stats snapshot in the Prometheus text exposition format (version 0.0.4), the
/// body of a GET /metrics.
///
///   std::string body = coronet::prometheus_text(server.stats());
///
/// gives, for every worker thread (label `worker`):
///   coronet_connections_accepted_total{worker="0"} 12
///   coronet_connections_refused_total{worker="0"} 0
///   coronet_connections_open{worker="0"} 3                        (a gauge)
///   coronet_connections_closed_total{worker="0",reason="idle_timeout"} 1
///   coronet_read_bytes_total, coronet_written_bytes_total
///   coronet_frames_read_total, coronet_frames_written_total
///   coronet_decode_errors_total{worker="0",kind="too_large"}
/// and coronet_uptime_seconds, each family with its # HELP and # TYPE lines. Every cause
/// and kind appears, zeros included, so a rate() over any of them has a series from the
/// first scrape. coronet::metrics_server serves it over HTTP.
/// @endcode
#pragma once

#include "coronet/core/stats.hpp"

#include <string>

namespace coronet {

/// `stats` in the Prometheus text format, the body of a GET /metrics (see the file comment).
std::string prometheus_text(const server_stats& stats);

/// Appends to `out` instead (to add the application's own metrics after coronet's).
void append_prometheus_text(const server_stats& stats, std::string& out);

}  // namespace coronet
