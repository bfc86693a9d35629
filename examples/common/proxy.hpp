// The PROXY protocol on the example servers' command lines, spelt the same everywhere:
//
//   --proxy-protocol               every connection starts with a PROXY header (v1 or v2)
//   --trusted-proxy CIDR           who may send one (repeatable; default: loopback)
//
//   examples::proxy_flags proxy;
//   proxy.add(app);
//   examples::parse(app, argc, argv);
//   proxy.apply(options);
//
// The servers then log the client's address from the header (docs/proxy.md).
#pragma once

#include <coronet/core/server.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace examples {

struct proxy_flags {
  bool enabled = false;
  std::vector<std::string> trusted;

  void add(CLI::App& app) {
    app.add_flag("--proxy-protocol", enabled,
                 "expect a PROXY protocol header (v1 or v2) from a load balancer first");
    app.add_option("--trusted-proxy", trusted,
                   "address or CIDR block allowed to send a PROXY header (repeatable; "
                   "default 127.0.0.0/8 and ::1)")
        ->type_name("CIDR")
        ->allow_extra_args(false);
  }

  void apply(coronet::server_options& options) const {
    options.proxy.enabled = enabled;
    options.proxy.trusted = trusted;  // empty: loopback
  }
};

}  // namespace examples
