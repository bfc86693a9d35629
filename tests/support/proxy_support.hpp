// What the PROXY protocol tests share (tests/proxy/): a coronet server with the PROXY
// protocol on that reports what each connection believes about its peer.
#pragma once

#include "support.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <chrono>
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

// Sends `bytes` (in pieces of `piece` bytes, `gap` apart), then "data", and returns
// everything the server says until it closes.
inline asio::awaitable<std::string> exchange(std::uint16_t port, std::string bytes,
                                             std::size_t piece, std::chrono::milliseconds gap) {
  auto conn = co_await connect("127.0.0.1", port);
  try {
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      co_await conn.write(asio::buffer(bytes.data() + at, std::min(piece, bytes.size() - at)));
      if (gap.count() > 0) co_await sleep_for(gap);
    }
    co_await conn.write(asio::buffer("data", 4));
  } catch (const std::system_error&) {
    // Refused: the server may close while we still write.
  }
  try {
    co_return co_await read_to_eof(conn);
  } catch (const std::system_error&) {
    co_return "";  // reset
  }
}

inline std::string exchange_now(std::uint16_t port, const std::string& bytes,
                                std::size_t piece = 1 << 20,
                                std::chrono::milliseconds gap = std::chrono::milliseconds(0)) {
  std::string out;
  run([&]() -> asio::awaitable<void> { out = co_await exchange(port, bytes, piece, gap); }());
  return out;
}

}  // namespace coronet::test
