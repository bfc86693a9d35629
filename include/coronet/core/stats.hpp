/// @file
/// @code{.unparsed}
/// What a coronet::server counts, and what it tells an observer about each connection.
///
///   auto s = server.stats();   // a snapshot, safe from any thread
///   std::cout << s.total.connections_accepted << " accepted, " << s.total.open() << " open, "
///             << s.total.closed(coronet::close_cause::idle_timeout) << " closed idle, "
///             << s.total.bytes_read << " bytes in\n";
///   for (std::size_t i = 0; i < s.workers.size(); ++i)
///     std::cout << "worker " << i << ": " << s.workers[i].open() << " open\n";
///
/// Every figure counts since the server started. Each worker thread counts into its own
/// counters, which no other thread writes, so counting costs a plain add on the thread
/// that does the work (no locked instruction, no shared cache line); stats() sums them
/// when asked. A snapshot is consistent per counter, not across counters: taken under
/// load, `bytes_read` may already include a message whose frame is not yet counted.
///
/// Prometheus: coronet/metrics/prometheus.hpp renders a snapshot;
/// coronet/metrics/metrics_server.hpp serves it. docs/observability.md lists what moves each
/// counter.
/// @endcode
#pragma once

#include "coronet/proxy/proxy_protocol.hpp"

#include <asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>
#include <vector>

namespace coronet {

/// Why a connection ended. Exactly one cause is counted for every connection that
/// reached a worker: the first that applies, in this order.
enum class close_cause : std::uint8_t {
  handshake_failed,  ///< TLS handshake failed or timed out; the handler never ran
  proxy_refused,     ///< PROXY header refused (untrusted peer, malformed, late); no handler
  forced_close,      ///< still open when a stop's shutdown.timeout ran out (or a 2nd signal)
  server_stop,       ///< ended during a graceful stop
  idle_timeout,      ///< idle_timeout, or a framed read_timeout, closed it
  bad_input,         ///< the peer sent a frame over the limit, undecodable or truncated
  handler_error,     ///< the handler threw (anything but the peer going away)
  peer_reset,        ///< the peer reset the connection (or the pipe broke)
  peer_closed,       ///< the peer closed (EOF) and the handler then returned
  handler_closed,    ///< the handler returned (or closed) with the peer still there
};
inline constexpr std::size_t close_cause_count = 10;  ///< how many close_cause values there are

/// How a framed<> (or json_channel) read failed to decode the peer's input.
enum class decode_error : std::uint8_t {
  too_large,  ///< a frame over the codec's limit (errc::frame_too_large)
  malformed,  ///< bytes the codec or the JSON parser cannot make sense of
  truncated,  ///< the stream ended inside a frame (errc::truncated_frame)
};
inline constexpr std::size_t decode_error_count = 3;  ///< how many decode_error values there are

/// "peer_closed", "too_large", ...: the names used in logs and in Prometheus labels.
std::string_view to_string(close_cause c) noexcept;
/// The same, for a decode_error.
std::string_view to_string(decode_error e) noexcept;

/// The counters of one worker thread (or, in server_stats::total, of all of them).
struct worker_stats {
  std::uint64_t connections_accepted = 0;  ///< given a slot (then served or refused below)
  std::uint64_t connections_refused = 0;   ///< over max_connections: closed at accept
  std::array<std::uint64_t, close_cause_count> connections_closed{};  ///< by close_cause
  std::uint64_t bytes_read = 0;      ///< by handlers (decrypted bytes over TLS)
  std::uint64_t bytes_written = 0;   ///< by handlers (before encryption over TLS)
  std::uint64_t frames_read = 0;     ///< decoded by framed<> on server connections
  std::uint64_t frames_written = 0;  ///< encoded by framed<> on server connections
  std::array<std::uint64_t, decode_error_count> decode_errors{};  ///< by decode_error

  /// Connections closed for cause `c`.
  std::uint64_t closed(close_cause c) const noexcept {
    return connections_closed[static_cast<std::size_t>(c)];
  }
  std::uint64_t closed() const noexcept;  ///< for every cause
  /// Decode errors of kind `e`.
  std::uint64_t decode_errors_of(decode_error e) const noexcept {
    return decode_errors[static_cast<std::size_t>(e)];
  }
  /// Accepted and not closed yet, handshakes and PROXY headers in progress included.
  std::uint64_t open() const noexcept { return connections_accepted - closed(); }

  /// Adds every counter of `other` to this one's (how stats() sums the workers).
  worker_stats& operator+=(const worker_stats& other) noexcept;
};

/// A snapshot of a server's counters, per worker and in total (server::stats()).
struct server_stats {
  std::vector<worker_stats> workers;             ///< index: the worker thread (open_event::worker)
  worker_stats total;                            ///< the sum of `workers`
  std::chrono::steady_clock::duration uptime{};  ///< since start() or run()
};

/// server_options::on_open: a connection is about to be handed to its handler (after its
/// PROXY header and TLS handshake, when those are configured).
struct open_event {
  std::uint64_t id = 0;               ///< connection::id()
  asio::ip::tcp::endpoint remote{};   ///< the client (from the PROXY header when there is one)
  const proxy_info* proxy = nullptr;  ///< the PROXY header, or null
  bool tls = false;                   ///< a TLS connection, as connection::is_tls()
  std::size_t worker = 0;             ///< the worker thread's index (server_stats::workers)
};

/// server_options::on_close: a connection has ended, for any reason (refused openings
/// included, which had no open_event).
struct close_event {
  std::uint64_t id = 0;              ///< connection::id()
  asio::ip::tcp::endpoint remote{};  ///< the peer (the PROXY header's client once accepted)
  std::size_t worker = 0;            ///< the worker thread's index (server_stats::workers)
  close_cause cause = close_cause::handler_closed;  ///< why it ended
  std::chrono::steady_clock::duration duration{};   ///< from accept to close
  std::uint64_t bytes_read = 0;     ///< through the connection, as connection::bytes_read()
  std::uint64_t bytes_written = 0;  ///< as connection::bytes_written()
  std::exception_ptr error{};       ///< what the handler threw, or why the opening failed
};

}  // namespace coronet
