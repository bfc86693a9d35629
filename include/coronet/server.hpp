/// @file
/// @code{.unparsed}
/// coronet::server: accepts TCP connections and runs a coroutine per connection.
///
///   asio::awaitable<void> echo(coronet::connection conn);   // see connection.hpp
///
///   int main() {
///     coronet::server server{{.port = 7000}};
///     server.run(echo);   // blocks; SIGINT/SIGTERM stop it gracefully
///   }
///
/// Threads: `threads = N` runs N worker threads, each with its own io_context.
/// Accepted connections are spread round-robin; a handler runs entirely on the thread of
/// its connection, so per-connection state needs no locks. The handler object itself is
/// shared by all threads and must be safe to call concurrently when N > 1.
///
/// Shutdown (stop(), or SIGINT/SIGTERM under run()): the server stops accepting; every
/// connection is marked stopping() and its reads drain the bytes already received, then
/// end as at EOF (read_some returns 0); handlers get up to `shutdown_timeout` to finish
/// (writes keep working). What remains is then closed (and its coroutine cancelled, with
/// `cancel_on_force_close`). A second signal skips the wait; stop() is not a signal, so
/// a signal that arrives after stop() joins the same graceful drain.
///
/// Counters and observers: stats() returns what every worker counted (connections by
/// close cause, bytes, frames, decode errors); on_open and on_close observe each
/// connection (coronet/stats.hpp, docs/observability.md).
///
/// Errors: an exception escaping a handler is passed to `on_error` (default: one line
/// on stderr with the connection id and peer) and closes that connection only. Errors
/// that just mean "the peer went away" (reset, broken pipe) are not reported.
///
/// TLS (`tls` set, see coronet/tls.hpp): the port speaks TLS only. Each connection's
/// handshake runs before its handler, bounded by `tls_handshake_timeout`; one that fails
/// or times out (a plaintext client, a bad client certificate, a silent peer) closes the
/// connection, never calls the handler, is counted in handshake_failure_count() and is
/// passed once to `on_handshake_error` (default: one line on stderr). The handler's
/// connection is the same type as over TCP; when it returns, close_notify is sent (not
/// waited for) and the socket closed.
/// @endcode
#pragma once

#include "coronet/connection.hpp"
#include "coronet/stats.hpp"
#include "coronet/tls_context.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/socket_base.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace coronet {

/// Passed to server_options::on_error when a handler fails.
struct error_info {
  std::uint64_t connection_id = 0;   ///< the connection's id(), as connection::id()
  asio::ip::tcp::endpoint remote{};  ///< the peer's address, as connection::remote_endpoint()
  std::exception_ptr error{};        ///< what the handler threw
};

/// How a server listens, and its threads, limits, timeouts, TLS and observers.
struct server_options {
  std::string host = "0.0.0.0";  ///< the address to listen on; the default: every IPv4 one
  std::uint16_t port = 0;        ///< 0: the OS picks a free port; see server::local_endpoint()
  int backlog = asio::socket_base::max_listen_connections;  ///< the listen queue's length
  std::size_t threads = 1;  ///< worker threads, each with its own io_context (0 counts as 1)
  /// One listening socket per worker thread (SO_REUSEPORT): each worker accepts its own
  /// connections and the kernel spreads them, so no accepted connection is handed from
  /// one thread to another. Off: worker 0 accepts and deals connections round robin.
  bool reuse_port = false;
  /// Security: caps memory and descriptors a flood of peers can take. A connection over
  /// the cap is accepted and closed at once (counted in server::rejected_count()).
  std::size_t max_connections = 10'000;
  /// Security: a connection with no read or write started for this long is closed
  /// (its pending read returns 0, close_reason() == errc::timed_out). 0: no limit.
  std::chrono::milliseconds idle_timeout{0};
  /// Shutdown: how long handlers get to finish after a graceful stop begins, before what
  /// remains is closed.
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(10)};
  bool handle_signals = true;  ///< run() only: SIGINT/SIGTERM stop the server
  bool no_delay = true;        ///< TCP_NODELAY on accepted sockets
  /// What a forced close (shutdown_timeout passed, or a second signal) does to handlers
  /// that are still running. It always closes their sockets, so a handler waiting on its
  /// connection sees operation_aborted and ends. With this set, handlers also get
  /// terminal cancellation, which interrupts waits on anything else (a timer, a channel,
  /// rpc methods still running). That binds a cancellation slot to every handler, and
  /// Asio then installs and clears a cancellation handler on each of its asynchronous
  /// operations: about a tenth of the library's user-space cost per echoed message
  /// (docs/benchmarks.md). Off, a handler still waiting after the grace period is
  /// destroyed, with its coroutine frames, when the server stops.
  bool cancel_on_force_close = false;
  std::function<void(const error_info&)> on_error{};  ///< empty: one line on stderr

  /// TLS: a context from coronet::tls::make_server_context (target coronet::tls). Null:
  /// plain TCP. The server shares it; reloading it (certificate rotation) affects new
  /// connections only.
  std::shared_ptr<tls_context> tls{};
  /// Security: a TLS handshake not finished in this time closes the connection, so
  /// peers that never finish cannot hold connection slots.
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(10)};
  /// PROXY protocol (HAProxy's, versions 1 and 2, told apart by their first bytes): every
  /// connection must begin with a header from a trusted proxy. It is read before the
  /// handler (and before a TLS handshake); connection::remote_endpoint() is then the
  /// client's address from the header, connection::proxy() the rest. See
  /// coronet/proxy_protocol.hpp.
  bool proxy_protocol = false;
  /// Security: the peers (addresses or CIDR blocks) allowed to send a PROXY header. A
  /// connection from anywhere else is closed before its handler runs. Empty (the
  /// default): loopback only, 127.0.0.0/8 and ::1. (Not spelt as a default list here:
  /// g++ 12 at -O2 destroys such a list twice when the options are built with designated
  /// initializers.)
  std::vector<std::string> trusted_proxies{};
  /// Security: the header must arrive within this time (and within
  /// max_proxy_header_size bytes).
  std::chrono::milliseconds proxy_header_timeout{std::chrono::seconds(5)};

  /// A connection refused before its handler: a failed TLS handshake or a refused PROXY
  /// header. `error` holds a std::system_error (errc::handshake_failed,
  /// errc::proxy_refused or errc::timed_out) whose text says why. Empty: one line on
  /// stderr.
  std::function<void(const error_info&)> on_handshake_error{};

  /// Observers, for logs and tracing: on_open just before a connection's handler starts
  /// (after its PROXY header and TLS handshake), on_close once it has ended, for every
  /// accepted connection, with its cause, duration and byte counts (coronet/stats.hpp).
  /// Called on the connection's worker thread, so they must be safe to call concurrently
  /// when threads > 1, and should be quick; an exception from one is ignored. Unset (the
  /// default), they cost nothing.
  ///   options.on_close = [](const coronet::close_event& e) {
  ///     std::clog << e.id << " " << e.remote << " " << coronet::to_string(e.cause) << "\n";
  ///   };
  std::function<void(const open_event&)> on_open{};
  /// The other observer (see on_open): once a connection has ended.
  std::function<void(const close_event&)> on_close{};
};

/// A TCP server: accepts connections and runs a handler coroutine for each (see the file
/// comment).
class server {
 public:
  /// The coroutine run for each connection; it owns the connection.
  using handler_type = std::function<asio::awaitable<void>(connection)>;

  /// A server with these options; it does not listen until listen(), run() or start().
  explicit server(server_options options = {});
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();  ///< stop() and wait()

  /// Binds and listens now, so local_endpoint() is known before run() or start() (to
  /// log it, say). Optional: run() and start() listen if this was not called. With
  /// handle_signals, SIGINT and SIGTERM are caught from here on and handled by run(), so
  /// a signal sent as soon as the address is logged stops the server gracefully. Throws
  /// std::system_error if the address cannot be bound.
  void listen();

  /// Binds, serves until stopped, and returns once every thread has finished.
  /// Throws std::system_error if the address cannot be bound.
  void run(handler_type handler);

  /// Binds and starts the worker threads, then returns at once (tests, embedding).
  /// Never installs signal handlers.
  void start(handler_type handler);

  /// Begins a graceful stop and returns at once. Safe from any thread, including a
  /// handler, and idempotent.
  void stop() noexcept;

  /// Blocks until the server has stopped and its threads have exited.
  void wait();

  /// The address and port listened on (the port the OS chose, for port 0), once listening.
  asio::ip::tcp::endpoint local_endpoint() const;
  /// Counters since start, in total and per worker (coronet/stats.hpp). Safe from any
  /// thread; costs one pass over the workers' counters.
  server_stats stats() const;
  /// Connections open now, accepted and not yet ended, across all workers.
  std::size_t connection_count() const noexcept;
  std::size_t rejected_count() const noexcept;           ///< refused by max_connections
  std::size_t handshake_failure_count() const noexcept;  ///< TLS handshakes failed or timed out
  std::size_t proxy_refused_count() const noexcept;      ///< PROXY headers refused, untrusted peers
  /// True once a stop has begun (stop() or a signal).
  bool stopping() const noexcept;
  /// The options the server was made with.
  const server_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Ignores SIGPIPE process-wide. The server does this itself; call it in clients that
/// write to sockets outside coronet (TLS writes can raise SIGPIPE).
void ignore_sigpipe() noexcept;

}  // namespace coronet
