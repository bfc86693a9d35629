/// @file
/// @code{.unparsed}
/// coronet::connect: open a client connection.
///
///   auto conn = co_await coronet::connect("127.0.0.1", 7000);        // 10 s timeout
///   auto conn = co_await coronet::connect("localhost", 7000, 500ms);
///
///   // TLS (coronet/tls.hpp, target coronet::tls): verifies the server's certificate
///   // against the system's CA store and checks that it is for "example.com".
///   const coronet::connect_options how{.tls = coronet::tls::make_client_context()};
///   auto conn = co_await coronet::connect("example.com", 7443, how);
///
/// Name the options, as above, rather than writing `connect(host, port, {.tls = ...})`
/// inside the co_await: g++ 12 (Debian 12's compiler) mishandles a braced temporary in a
/// co_await statement and corrupts its std::string member at run time (docs/tls.md).
///
/// Resolves `host`, tries each address in turn, and returns a connected
/// coronet::connection (TCP_NODELAY set) on the calling coroutine's executor. Throws
/// std::system_error: connection_refused and the like from the OS,
/// coronet::errc::timed_out when the attempt outlives its timeout, and
/// coronet::errc::handshake_failed when TLS fails, with the reason in what()
/// ("certificate verify failed: hostname mismatch", "... certificate has expired").
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/core/tls_context.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace coronet {

/// How connect() opens a connection: timeouts and, optionally, TLS.
struct connect_options {
  /// Resolving and connecting together; a TLS handshake has its own bound below.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  /// TLS: a context from coronet::tls::make_client_context. Null: plain TCP.
  std::shared_ptr<tls_context> tls{};
  /// TLS: the name the server's certificate must carry, also sent as SNI. Empty: `host`.
  std::string server_name{};
  /// TLS: how long the handshake may take, after connecting; 10 s by default.
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(10)};
};

/// Opens a connection to `host`:`port` as `options` say (see the file comment).
asio::awaitable<connection> connect(std::string host, std::uint16_t port, connect_options options);

/// Opens a plain TCP connection to `host`:`port`, giving up after `timeout`.
asio::awaitable<connection> connect(std::string host, std::uint16_t port,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace coronet
