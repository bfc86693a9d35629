// What the PROXY protocol tests share (tests/proxy/): a coronet server with the PROXY
// protocol on that reports what each connection believes about its peer.
#pragma once

#include "support.hpp"

#include <string>
#include <utility>

namespace coronet::test {

// A coronet server with the PROXY protocol on, whose handler answers one line: what
// the connection believes about its peer.
struct reporting_server {
  explicit reporting_server(server_options o = {})
      : server{[](connection conn) -> asio::awaitable<void> {
                 std::string line = conn.remote_endpoint().address().to_string() + " " +
                                    std::to_string(conn.remote_endpoint().port());
                 if (const auto* p = conn.proxy()) {
                   line += " via " + p->proxy.address().to_string() + " v" +
                           std::to_string(p->header.version) + " id=" + p->header.unique_id +
                           " alpn=" + p->header.alpn + " authority=" + p->header.authority;
                 }
                 line += "\n";
                 co_await conn.write(asio::buffer(line));
                 char rest[64];
                 auto n = co_await conn.read_some(asio::buffer(rest));  // the first bytes after
                 co_await conn.write(asio::buffer(rest, n));
               },
               with_proxy(std::move(o))} {}
  static server_options with_proxy(server_options o) {
    o.proxy.enabled = true;
    o.observers.on_handshake_error = [](const error_info&) {};
    return o;
  }
  running_server server;
};

}  // namespace coronet::test
