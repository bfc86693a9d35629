/// @file
/// @code{.unparsed}
/// The PROXY protocol (HAProxy's specification, versions 1 and 2): how a load balancer
/// tells the server behind it who the client is.
///
/// Servers use it through server_options::proxy_protocol; then
/// connection::remote_endpoint() is the client's address from the header and
/// connection::proxy() says what else the header carried:
///
///   coronet::server_options options{.port = 7000, .proxy = {.enabled = true}};
///   // HAProxy: server s1 127.0.0.1:7000 send-proxy-v2
///
///   asio::awaitable<void> handler(coronet::connection conn) {
///     conn.remote_endpoint();                   // the client, as HAProxy saw it
///     if (auto* p = conn.proxy()) p->proxy;     // HAProxy's own address
///   }
///
/// parse_proxy_header() is the parser itself, for other transports and for tests.
/// @endcode
#pragma once

#include <asio/ip/tcp.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace coronet {

/// A header is refused past this size. Version 1 headers are at most 107 bytes; version
/// 2 allows 64 KiB of TLVs, far more than a proxy sends (HAProxy: a few hundred bytes).
inline constexpr std::size_t max_proxy_header_size = 2048;

/// What a PROXY header says: the client's and the destination's addresses, and a few TLVs.
struct proxy_header {
  int version = 0;  ///< 1 or 2
  /// LOCAL (v2) or UNKNOWN (v1): the proxy's own connection, such as a health check; no
  /// client address was given, so the socket's addresses stand.
  bool local = false;
  asio::ip::tcp::endpoint source{};       ///< the client
  asio::ip::tcp::endpoint destination{};  ///< the address the client connected to
  /// Version 2 TLVs the server may want; empty when absent.
  std::string alpn{};       ///< PP2_TYPE_ALPN: the application protocol the client agreed on
  std::string authority{};  ///< PP2_TYPE_AUTHORITY: the host name (SNI) the client asked for
  std::string unique_id{};  ///< PP2_TYPE_UNIQUE_ID: the proxy's identifier for the connection
};

/// What parse_proxy_header() found: more bytes needed, a whole header, or a failure.
enum class proxy_parse_status {
  more,   ///< a valid beginning: more bytes are needed
  ready,  ///< a whole header of `size` bytes
  fail,   ///< not a PROXY header, malformed, or over max_proxy_header_size
};

/// parse_proxy_header()'s answer: the status, and the header's size or the error.
struct proxy_parse_result {
  proxy_parse_status status = proxy_parse_status::more;  ///< more, ready or fail
  std::size_t size = 0;  ///< ready: the header's length; the stream's data follows it
  std::string error{};   ///< fail: why
};

/// Parses a PROXY header at the start of `data` (which may hold more than the header).
/// Never reads past `data` or past max_proxy_header_size.
proxy_parse_result parse_proxy_header(std::string_view data, proxy_header& out);

/// What a connection that arrived through a proxy knows about it (connection::proxy()).
struct proxy_info {
  asio::ip::tcp::endpoint proxy{};  ///< the socket's peer: the proxy itself
  proxy_header header{};            ///< what the PROXY header said
};

}  // namespace coronet
