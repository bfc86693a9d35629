/// @file
/// @code{.unparsed}
/// coronet::websocket::connect(): the client side of the opening handshake.
///
///   auto ws = co_await coronet::websocket::connect("127.0.0.1", 8080, "/chat");
///   co_await ws.send_text("hello");
///   auto reply = co_await ws.read();
///   co_await ws.close();
///
/// Sends a GET with a fresh Sec-WebSocket-Key, checks the server's 101 (Upgrade,
/// Connection, Sec-WebSocket-Accept, a subprotocol among those offered, no extension),
/// and returns the stream; the client masks every frame with a fresh random key. A
/// refusal or a bad answer throws websocket::handshake_error (errc::upgrade_failed)
/// whose status() is the HTTP status the server answered (0 if it was not HTTP). Over TLS
/// (wss) set options.connect.tls, as for coronet::connect().
/// @endcode
#pragma once

#include "coronet/core/connect.hpp"
#include "coronet/core/connection.hpp"
#include "coronet/websocket/stream.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace coronet::websocket {

/// How connect() and handshake() open a WebSocket: transport, request fields and limits.
struct client_options {
  coronet::connect_options connect{};  ///< timeout, TLS
  /// The Host field; "" sends "host:port" as given to connect().
  std::string host_header{};
  std::string origin{};                                        ///< sent as Origin when not empty
  std::vector<std::string> subprotocols{};                     ///< offered in this order
  std::vector<std::pair<std::string, std::string>> headers{};  ///< more request fields
  /// Security: the server's answer must arrive within this time and this many bytes.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  /// Security: the most bytes the head of the server's answer may take.
  std::size_t max_response_head = 8192;
  stream_options stream{};  ///< the role is set to client
};

/// A refused or malformed answer to the opening handshake (errc::upgrade_failed).
class handshake_error : public std::system_error {
 public:
  /// An error for the HTTP `status` the server answered (0 if not HTTP), saying `what`.
  handshake_error(int status, const std::string& what);
  /// The HTTP status of a refusal (400, 426, ...); 101 if the 101 itself was wrong; 0 if
  /// the answer was not HTTP.
  int status() const noexcept { return status_; }

 private:
  int status_;
};

/// Connects to host:port and upgrades `path` ("/chat", may hold a query).
asio::awaitable<stream> connect(std::string host, std::uint16_t port, std::string path,
                                client_options options);

/// The handshake over a connection already open (a proxy's, a test's): `host_header` is
/// the Host field.
asio::awaitable<stream> handshake(connection conn, std::string host_header, std::string path,
                                  client_options options);

/// With the default options. Overloads, not default arguments: g++ 12 corrupts a braced
/// temporary holding a std::string (client_options{}) when it is made inside a co_await
/// statement; here it is made in a plain function.
inline asio::awaitable<stream> connect(std::string host, std::uint16_t port,
                                       std::string path = "/") {
  return connect(std::move(host), port, std::move(path), client_options{});
}
/// The handshake over a connection already open, with the default options.
inline asio::awaitable<stream> handshake(connection conn, std::string host_header,
                                         std::string path) {
  return handshake(std::move(conn), std::move(host_header), std::move(path), client_options{});
}

}  // namespace coronet::websocket
