// What every example server takes besides its own options, added and applied in one
// place: TLS (tls.hpp: --tls-cert, --tls-key, --tls-client-ca, SIGHUP reload) and the
// PROXY protocol (proxy.hpp: --proxy-protocol, --trusted-proxy).
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

  void add(CLI::App& app) {
    tls.add(app);
    proxy.add(app);
  }

  // TLS and the PROXY protocol as asked; a connection refused before its handler (bad
  // handshake, refused header) is logged like a failed one. Throws std::runtime_error
  // when a TLS file cannot be loaded.
  void apply(coronet::server_options& options) {
    options.tls = tls.context();
    options.on_handshake_error = log_connection_error;
    proxy.apply(options);
  }

  // For the "listening on" line.
  const char* scheme() const { return tls.cert.empty() ? "" : " (TLS)"; }
};

}  // namespace examples
