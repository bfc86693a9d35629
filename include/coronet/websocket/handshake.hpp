/// @file
/// @code{.unparsed}
/// The WebSocket opening handshake (RFC 6455 section 4) as pure functions, for routing and
/// for tests; websocket::accept() and websocket::connect() use them.
///
///   if (coronet::websocket::is_upgrade(req)) ...        // the client asks for WebSocket
///   auto check = coronet::websocket::check_upgrade(req); // 0, or the status to refuse with
///   coronet::websocket::accept_key("dGhlIHNhbXBsZSBub25jZQ==")  // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
///
/// check_upgrade()'s answers, each with a reason:
///   405  the method is not GET (with "Allow: GET"): the resource exists, the method is wrong
///   400  HTTP/1.0; no "Upgrade: websocket" or no "upgrade" in Connection; a body; a
///        Sec-WebSocket-Key missing, repeated, or not the base64 of 16 bytes
///   426  Sec-WebSocket-Version missing or not 13 (answered with
///        "Sec-WebSocket-Version: 13", RFC 6455 4.4)
/// @endcode
#pragma once

#include "coronet/http/request.hpp"
#include "coronet/http/request_head.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::websocket {

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view key);

/// A fresh Sec-WebSocket-Key: 16 random bytes in base64 (what a client sends).
std::string make_key();

/// Whether the request asks for a WebSocket (its Upgrade field holds "websocket"); the
/// rest is check_upgrade()'s business.
bool is_upgrade(const http::request_head& req) noexcept;
/// The same, for a request read by read_request().
inline bool is_upgrade(const http::request& req) noexcept {
  return is_upgrade(req.head());
}

/// What check_upgrade() says of a request: valid, or the status to refuse it with, and why.
struct upgrade_check {
  int status = 0;        ///< 0: a valid upgrade request; else the status to refuse with
  std::string_view why;  ///< a static string
  /// Whether the request is a valid upgrade request (status 0).
  explicit operator bool() const noexcept { return status == 0; }
};

/// Checks that `req` is a valid WebSocket upgrade request (see the top of this file).
upgrade_check check_upgrade(const http::request_head& req) noexcept;
/// The same, for a request read by read_request().
inline upgrade_check check_upgrade(const http::request& req) noexcept {
  return check_upgrade(req.head());
}

/// The subprotocols the client offers (Sec-WebSocket-Protocol, all fields), in its order.
std::vector<std::string_view> offered_subprotocols(const http::request_head& req);
/// The same, for a request read by read_request(); the views point into `req`.
inline std::vector<std::string_view> offered_subprotocols(const http::request& req) {
  return offered_subprotocols(req.head());
}

/// The first of `supported` (the server's preference order) that the client offers; ""
/// if none.
std::string_view choose_subprotocol(const http::request_head& req,
                                    std::initializer_list<std::string_view> supported);
/// The same, for a request read by read_request().
inline std::string_view choose_subprotocol(const http::request& req,
                                           std::initializer_list<std::string_view> supported) {
  return choose_subprotocol(req.head(), supported);
}

}  // namespace coronet::websocket
