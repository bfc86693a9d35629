// What every example server takes besides its own options, added and applied in one
// place: TLS (tls.hpp: --tls-cert, --tls-key, --tls-client-ca, SIGHUP reload), the
// PROXY protocol (proxy.hpp: --proxy-protocol, --trusted-proxy), connection logging
// (--log-connections; log.hpp) and Prometheus metrics (--metrics HOST:PORT).
//
//   examples::server_flags serving;
//   serving.add(app);
//   examples::parse(app, argc, argv);
//   coronet::server_options options{.host = host, .port = port};
//   serving.apply(options);
//   coronet::server server{options};
//   examples::reload_on_hangup reload{serving.tls.context()};
//   auto metrics = serving.serve_metrics(server);   // GET /metrics until destroyed
#pragma once

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

namespace examples {

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

}  // namespace examples
