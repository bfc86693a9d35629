/// @file
/// @code{.unparsed}
/// coronet::server_options: how a server listens, and its limits, shutdown, TLS, PROXY
/// protocol and observers, grouped by concern. The fields nearly every program sets
/// (host, port, threads, tls) are at the top; the rest sit in groups that read well
/// with designated initializers:
///
///   coronet::server server{{
///       .host = "127.0.0.1",
///       .port = 7000,
///       .threads = 4,
///       .limits = {.max_connections = 2'000, .idle_timeout = 30s},
///       .shutdown = {.timeout = 5s},
///       .proxy = {.enabled = true, .trusted = {"10.0.0.0/8"}},
///   }};
///
///   options.observers.on_close = [](const coronet::close_event& e) { ... };
///
/// Groups are declared in the order above (listen, limits, shutdown, proxy, observers),
/// which is the order designated initializers must follow.
/// @endcode
#pragma once

#include "coronet/core/stats.hpp"
#include "coronet/core/tls_context.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/socket_base.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace coronet {

/// Passed to server_options::observers.on_error when a handler fails.
struct error_info {
  std::uint64_t connection_id = 0;   ///< the connection's id(), as connection::id()
  asio::ip::tcp::endpoint remote{};  ///< the peer's address, as connection::remote_endpoint()
  std::exception_ptr error{};        ///< what the handler threw
};

/// server_options::listen: the listening sockets and the sockets they accept.
struct listen_options {
  int backlog = asio::socket_base::max_listen_connections;  ///< the listen queue's length
  /// One listening socket per worker thread (SO_REUSEPORT): each worker accepts its own
  /// connections and the kernel spreads them, so no accepted connection is handed from
  /// one thread to another. Off: worker 0 accepts and deals connections round robin.
  bool reuse_port = false;
  bool no_delay = true;  ///< TCP_NODELAY on accepted sockets
};

/// server_options::limits: what a flood of peers, or one slow peer, may hold. Security
/// settings all.
struct limit_options {
  /// Caps memory and descriptors a flood of peers can take. A connection over the cap is
  /// accepted and closed at once (counted in worker_stats::connections_refused).
  std::size_t max_connections = 10'000;
  /// A connection with no read or write started for this long is closed (its pending
  /// read returns 0, close_reason() == errc::timed_out). 0: no limit.
  std::chrono::milliseconds idle_timeout{0};
  /// A TLS handshake not finished in this time closes the connection, so peers that
  /// never finish cannot hold connection slots.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
};

/// server_options::shutdown: how a graceful stop ends.
struct shutdown_options {
  /// How long handlers get to finish after a graceful stop begins, before what remains
  /// is closed.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  bool handle_signals = true;  ///< run() only: SIGINT/SIGTERM stop the server
  /// What a forced close (timeout passed, or a second signal) does to handlers that are
  /// still running. It always closes their sockets, so a handler waiting on its
  /// connection sees operation_aborted and ends. With this set, handlers also get
  /// terminal cancellation, which interrupts waits on anything else (a timer, a channel,
  /// rpc methods still running). That binds a cancellation slot to every handler, and
  /// Asio then installs and clears a cancellation handler on each of its asynchronous
  /// operations: about a tenth of the library's user-space cost per echoed message
  /// (docs/benchmarks.md). Off, a handler still waiting after the grace period is
  /// destroyed, with its coroutine frames, when the server stops.
  bool cancel_on_force_close = false;
};

/// server_options::proxy: HAProxy's PROXY protocol (versions 1 and 2, told apart by their
/// first bytes; coronet/proxy/proxy_protocol.hpp).
struct proxy_options {
  /// Every connection must begin with a header from a trusted proxy. It is read before
  /// the handler (and before a TLS handshake); connection::remote_endpoint() is then the
  /// client's address from the header, connection::proxy() the rest.
  bool enabled = false;
  /// Security: the peers (addresses or CIDR blocks) allowed to send a PROXY header. A
  /// connection from anywhere else is closed before its handler runs. Empty (the
  /// default): loopback only, 127.0.0.0/8 and ::1. (Not spelt as a default list here:
  /// g++ 12 at -O2 destroys such a list twice when the options are built with designated
  /// initializers.)
  std::vector<std::string> trusted{};
  /// Security: the header must arrive within this time (and within
  /// max_proxy_header_size bytes).
  std::chrono::milliseconds header_timeout{std::chrono::seconds(5)};
};

/// server_options::observers: callbacks for errors, logs and tracing. Called on the
/// connection's worker thread, so they must be safe to call concurrently when
/// threads > 1, and should be quick; an exception from one is ignored. Unset (the
/// default), they cost nothing.
struct observer_options {
  /// A handler failed. Empty: one line on stderr.
  std::function<void(const error_info&)> on_error{};
  /// A connection refused before its handler: a failed TLS handshake or a refused PROXY
  /// header. `error` holds a std::system_error (errc::handshake_failed,
  /// errc::proxy_refused or errc::timed_out) whose text says why. Empty: one line on
  /// stderr.
  std::function<void(const error_info&)> on_handshake_error{};
  /// Just before a connection's handler starts (after its PROXY header and TLS
  /// handshake), for logs and tracing (coronet/core/stats.hpp):
  ///   options.observers.on_open = [](const coronet::open_event& e) { ... };
  std::function<void(const open_event&)> on_open{};
  /// Once a connection has ended, for every accepted connection, with its cause,
  /// duration and byte counts:
  ///   options.observers.on_close = [](const coronet::close_event& e) {
  ///     std::clog << e.id << " " << e.remote << " " << coronet::to_string(e.cause) << "\n";
  ///   };
  std::function<void(const close_event&)> on_close{};
};

/// How a server listens, and its threads, limits, shutdown, TLS, PROXY protocol and
/// observers (see the file comment).
struct server_options {
  std::string host = "0.0.0.0";  ///< the address to listen on; the default: every IPv4 one
  std::uint16_t port = 0;        ///< 0: the OS picks a free port; see server::local_endpoint()
  std::size_t threads = 1;       ///< worker threads, each with its own io_context (0 counts as 1)
  /// TLS: a context from coronet::tls::make_server_context (target coronet::tls). Null:
  /// plain TCP. The server shares it; reloading it (certificate rotation) affects new
  /// connections only. The handshake is bounded by limits.handshake_timeout.
  std::shared_ptr<tls_context> tls{};
  listen_options listen{};       ///< backlog, SO_REUSEPORT, TCP_NODELAY
  limit_options limits{};        ///< connections, idle and handshake timeouts (security)
  shutdown_options shutdown{};   ///< the grace period, signals, forced close
  proxy_options proxy{};         ///< the PROXY protocol and whom to trust for it
  observer_options observers{};  ///< on_error, on_handshake_error, on_open, on_close
};

}  // namespace coronet
