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
/// end as at EOF (read_some returns 0); handlers get up to `shutdown.timeout` to finish
/// (writes keep working). What remains is then closed (and its coroutine cancelled, with
/// `shutdown.cancel_on_force_close`). A second signal skips the wait; stop() is not a signal, so
/// a signal that arrives after stop() joins the same graceful drain.
///
/// Counters and observers: stats() returns what every worker counted (connections by
/// close cause, bytes, frames, decode errors); on_open and on_close observe each
/// connection (`observers`; coronet/core/stats.hpp, docs/observability.md).
///
/// Errors: an exception escaping a handler is passed to `observers.on_error` (default: one line
/// on stderr with the connection id and peer) and closes that connection only. Errors
/// that just mean "the peer went away" (reset, broken pipe) are not reported.
///
/// TLS (`tls` set, see coronet/tls.hpp): the port speaks TLS only. Each connection's
/// handshake runs before its handler, bounded by `limits.handshake_timeout`; one that fails
/// or times out (a plaintext client, a bad client certificate, a silent peer) closes the
/// connection, never calls the handler, is counted in stats().handshake_failures and is
/// passed once to `observers.on_handshake_error` (default: one line on stderr). The handler's
/// connection is the same type as over TCP; when it returns, close_notify is sent (not
/// waited for) and the socket closed.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/core/server_options.hpp"
#include "coronet/core/stats.hpp"

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
  /// shutdown.handle_signals, SIGINT and SIGTERM are caught from here on and handled by run(), so
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
  /// Counters since start, in total and per worker (coronet/core/stats.hpp). Safe from any
  /// thread; costs one pass over the workers' counters.
  server_stats stats() const;
  /// Connections open now, accepted and not yet ended, across all workers.
  std::size_t connection_count() const noexcept;
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
