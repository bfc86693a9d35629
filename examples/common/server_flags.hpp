// What every example server takes besides its own options, added and applied in one
// place: TLS (tls.hpp: --tls-cert, --tls-key, --tls-client-ca, SIGHUP reload), the
// PROXY protocol (proxy.hpp: --proxy-protocol, --trusted-proxy) and connection logging
// (--log-connections; log.hpp).
//
//   examples::server_flags serving;
//   serving.add(app);
//   examples::parse(app, argc, argv);
//   coronet::server_options options{.host = host, .port = port};
//   serving.apply(options);
//   coronet::server server{options};
//   examples::reload_on_hangup reload{serving.tls.context()};
#pragma once

#include "log.hpp"
#include "proxy.hpp"
#include "tls.hpp"

#include <coronet/server.hpp>

#include <CLI/CLI.hpp>

namespace examples {

struct server_flags {
  tls_server_flags tls;
  proxy_flags proxy;
  bool log_connections = false;

  void add(CLI::App& app) {
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
    options.on_error = [](const coronet::error_info&) {};
    options.on_handshake_error = [](const coronet::error_info&) {};
    options.on_close = [all = log_connections](const coronet::close_event& e) {
      log_close(e, all);
    };
    if (log_connections) options.on_open = log_open;
  }

  // For the "listening on" line.
  const char* scheme() const { return tls.cert.empty() ? "" : " (TLS)"; }
};

}  // namespace examples
