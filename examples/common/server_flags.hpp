// What every example server takes besides its own options, added and applied in one
// place: TLS (tls.hpp: --tls-cert, --tls-key, --tls-client-ca, SIGHUP reload), the
// PROXY protocol (proxy.hpp: --proxy-protocol, --trusted-proxy), connection logging
// (--log-connections; log.hpp) and Prometheus metrics (--metrics HOST:PORT).
//
//   examples::listen_flags where{.port = 7000};   // --host, --port, --threads
//   examples::server_flags serving;
//   where.add(app);
//   serving.add(app);
//   examples::parse(app, argc, argv);
//   examples::listening_server s{serving, where.options()};  // applied, listening, and
//   s.server.run(handler);                                   // serving GET /metrics
#pragma once

#include "command_line.hpp"
#include "host_port.hpp"
#include "log.hpp"
#include "proxy.hpp"
#include "tls.hpp"

#include <coronet/core/server.hpp>
#include <coronet/metrics/metrics_server.hpp>
#include <coronet/metrics/prometheus.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace examples {

// --host, --port and --threads: the fields of server_options every example server
// takes from its command line.
struct listen_flags {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t threads = 1;

  void add(CLI::App& app, std::string threads_help = "worker threads") {
    add_host(app, host, "address to listen on");
    add_port(app, port, listening);
    add_threads(app, threads, 256, std::move(threads_help));
  }
  coronet::server_options options() const {
    return {.host = host, .port = port, .threads = threads};
  }
};

struct server_flags {
  tls_server_flags tls;
  proxy_flags proxy;
  bool log_connections = false;
  std::string metrics;  // HOST:PORT, empty: no metrics endpoint

  void add(CLI::App& app) {
    app.add_option("--metrics", metrics,
                   "serve Prometheus metrics (GET /metrics) on this address, e.g. "
                   "127.0.0.1:9100 (port 0: any free port)")
        ->type_name("HOST:PORT");
    tls.add(app);
    proxy.add(app);
    app.add_flag("--log-connections", log_connections,
                 "log every connection's open and close (default: only the ones that end "
                 "in an error, a timeout or a refusal)");
  }

  // TLS and the PROXY protocol as asked. Connections are logged from the server's
  // observers: one "close" line for each that failed, timed out or was refused before
  // its handler (with the error), or for every one with --log-connections. Throws
  // std::runtime_error when a TLS file cannot be loaded.
  void apply(coronet::server_options& options) {
    options.tls = tls.context();
    proxy.apply(options);
    // The close line carries the handler's error or the refusal's reason: no second line.
    options.observers.on_error = [](const coronet::error_info&) {};
    options.observers.on_handshake_error = [](const coronet::error_info&) {};
    options.observers.on_close = [all = log_connections](const coronet::close_event& e) {
      log_close(e, all);
    };
    if (log_connections) options.observers.on_open = log_open;
  }

  // With --metrics: an HTTP endpoint serving `server`'s counters in the Prometheus format,
  // started now and stopped when the returned object is destroyed (null without
  // --metrics). Throws std::runtime_error for an address that does not parse or bind.
  // `also`: a second server of the same program (chat_server --web) whose counters are
  // added in, worker by worker, so that one scrape covers every port it listens on.
  std::unique_ptr<coronet::metrics_server> serve_metrics(
      const coronet::server& server, const coronet::server* also = nullptr) const {
    if (metrics.empty()) return nullptr;
    const auto where = parse_host_port(metrics, "--metrics");
    coronet::metrics_server_options o;
    o.host = where.host;
    o.port = where.port;
    auto endpoint = std::make_unique<coronet::metrics_server>(o, [&server, also] {
      auto stats = server.stats();
      if (also != nullptr) {
        const auto more = also->stats();
        if (stats.workers.size() < more.workers.size()) stats.workers.resize(more.workers.size());
        for (std::size_t i = 0; i < more.workers.size(); ++i)
          stats.workers[i] += more.workers[i];
        stats.total += more.total;
      }
      return coronet::prometheus_text(stats);
    });
    endpoint->start();
    log_event(level::info, "metrics", {{"address", endpoint->local_endpoint()}}, "metrics on ",
              endpoint->local_endpoint(), " (GET /metrics)");
    return endpoint;
  }

  // For the "listening on" line.
  const char* scheme() const { return tls.cert.empty() ? "" : " (TLS)"; }
};

// A server as every example runs one: `options` with the flags applied, listening (so
// its address can be logged before run()), its certificate reloaded on SIGHUP, and its
// metrics endpoint serving until this is destroyed. Throws what the server and the
// flags throw (an address in use, a TLS file that does not load).
struct listening_server {
  listening_server(server_flags& flags, coronet::server_options options)
      : server{with(flags, std::move(options))}, reload{flags.tls.context()} {
    server.listen();
    metrics = flags.serve_metrics(server);
  }

  coronet::server server;
  reload_on_hangup reload;
  std::unique_ptr<coronet::metrics_server> metrics;  // null without --metrics

 private:
  static coronet::server_options with(server_flags& flags, coronet::server_options options) {
    flags.apply(options);
    return options;
  }
};

}  // namespace examples
