/// @file
/// @code{.unparsed}
/// coronet::metrics_server: a small HTTP/1.1 endpoint for a Prometheus scrape, on its own
/// address and thread, next to the servers it reports on.
///
///   coronet::server app{{.port = 7000}};
///   coronet::metrics_server metrics{{.port = 9100}, [&] {
///     return "# TYPE app_connections gauge\napp_connections " +
///            std::to_string(app.connection_count()) + "\n";
///   }};
///   metrics.start();        // serves GET /metrics on 127.0.0.1:9100
///   app.run(handler);
///
/// `render` is called once per GET or HEAD of the path, on the metrics server's thread:
/// whatever it reads must be safe to read from there (atomics, or a lock). Its string is
/// the body, sent as `text/plain; version=0.0.4` (the Prometheus text format). If it
/// throws, that request gets 500 and the server carries on.
///
/// What it answers: GET and HEAD of `path` (a query string is ignored: "/metrics?x=1"
/// matches), 404 for any other path, 405 with "Allow: GET, HEAD" for another method. It
/// never reads request bodies: a request with one gets 413 and the connection is closed.
/// A malformed head gets 400, one over requests.limits.max_head_size 431, an HTTP version other
/// than 1.0 or 1.1 gets 505; each then closes the connection. Connections are kept alive between
/// requests (Prometheus reuses them) unless the client says "Connection: close".
///
/// It is built on coronet::server with one thread: everything a request does runs there,
/// and one client's mistakes cost other clients nothing but their share of that thread.
/// @endcode
#pragma once

#include "coronet/core/server_options.hpp"
#include "coronet/http/request.hpp"

#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace coronet {

/// Where a metrics_server listens, what it serves, and its limits and timeouts.
struct metrics_server_options {
  /// The address to listen on. Loopback by default: metrics tell more about a process
  /// than its users should see.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: the OS picks one; see metrics_server::local_endpoint()
  /// The path served (it must start with '/'); any other path gets 404.
  std::string path = "/metrics";
  /// The Content-Type of the metrics response (the Prometheus text format by default).
  std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
  /// Security: a request head (request line and header fields) larger than
  /// requests.limits.max_head_size (8 KiB) is answered 431 and the connection closed; no
  /// connection buffers more than that. A head must arrive whole within
  /// requests.head_timeout (5 s), counted from the accept for a connection's first
  /// request and from its first byte for later ones; else 408 (or, if nothing came at
  /// all, a silent close). head_timeout is also the time a stop() waits for requests in
  /// flight.
  http::request_options requests{.head_timeout = std::chrono::seconds(5)};
  /// Security: at most limits.max_connections (16) connections are held. A newcomer
  /// beyond them closes the kept-alive connection idle the longest between requests (as
  /// nginx's keep-alive pool), so idle connections never lock a scraper out; with none
  /// idle, it is closed at once. While an evicted connection finishes a request that
  /// arrived as it was closed, one more than this is held. A scraper needs one or two.
  /// A kept-alive connection with no request for limits.idle_timeout (60 s) is closed
  /// (and so is one whose peer stops reading a response): longer than a usual scrape
  /// interval (15 s), so that a scraper keeps its connection. 0: no limit, and then only
  /// max_connections bounds how many idle connections are held. (handshake_timeout is
  /// not used: the endpoint speaks plain HTTP.) Setting `.limits = {...}` starts from
  /// limit_options' own defaults, so name both fields there.
  limit_options limits{.max_connections = 16, .idle_timeout = std::chrono::seconds(60)};
};

/// A small HTTP/1.1 endpoint for a Prometheus scrape, on its own address and thread.
class metrics_server {
 public:
  /// Makes the body of the metrics response; called on the server's thread for each GET or
  /// HEAD of the path. If it throws, that request gets 500.
  using render_function = std::function<std::string()>;

  /// Neither listens nor serves yet (see listen() and start()). Throws
  /// std::invalid_argument for an empty `render`, a path not starting with '/', or a
  /// requests.limits.max_head_size of 0.
  metrics_server(metrics_server_options options, render_function render);
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;
  ~metrics_server();  ///< stop() and wait()

  /// Binds and listens now, so local_endpoint() is known before start(). Optional:
  /// start() listens if this was not called. Throws std::system_error if the address
  /// cannot be bound.
  void listen();
  /// Starts serving on a thread of its own and returns at once.
  void start();
  /// Begins a graceful stop and returns at once; safe from any thread, idempotent.
  void stop() noexcept;
  /// Blocks until the server has stopped and its thread has exited.
  void wait();

  /// The address and port listened on (the port the OS chose, for port 0), once listening.
  asio::ip::tcp::endpoint local_endpoint() const;
  /// The options it was made with.
  const metrics_server_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace coronet
