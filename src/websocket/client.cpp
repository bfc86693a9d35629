#include "coronet/websocket/client.hpp"

#include "coronet/core/errc.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/http/response_head.hpp"
#include "coronet/websocket/handshake.hpp"

#include <asio/buffer.hpp>

#include <algorithm>

namespace coronet::websocket {
namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void refuse(int status, const std::string& why) {
  throw handshake_error(status, "websocket handshake: " + why);
}

}  // namespace

handshake_error::handshake_error(int status, const std::string& what)
    : std::system_error(make_error_code(errc::upgrade_failed), what), status_(status) {}

asio::awaitable<stream> handshake(connection conn, std::string host_header, std::string path,
                                  client_options options) {
  const auto deadline = clock::now() + options.handshake_timeout;
  const std::string key = make_key();
  std::string request;
  request.reserve(256);
  request.append("GET ").append(path).append(" HTTP/1.1\r\n");
  request.append("Host: ").append(host_header).append("\r\n");
  request.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  request.append("Sec-WebSocket-Key: ").append(key).append("\r\n");
  request.append("Sec-WebSocket-Version: 13\r\n");
  if (!options.origin.empty()) request.append("Origin: ").append(options.origin).append("\r\n");
  if (!options.subprotocols.empty()) {
    request.append("Sec-WebSocket-Protocol: ");
    for (std::size_t i = 0; i < options.subprotocols.size(); ++i)
      request.append(i == 0 ? "" : ", ").append(options.subprotocols[i]);
    request.append("\r\n");
  }
  for (const auto& [name, value] : options.headers)
    request.append(name).append(": ").append(value).append("\r\n");
  request.append("\r\n");
  co_await with_timeout(conn.write(asio::buffer(request)), deadline - clock::now());

  // Read up to the blank line; what follows it is already the server's first frames.
  std::string in;
  http::response_head r;  // views `in`
  http::response_limits limits;
  limits.max_head_size = options.max_response_head;
  std::size_t head_size = 0;
  for (;;) {
    const auto parsed = http::parse_response_head(in, r, limits);
    if (parsed.status == http::parse_status::ready) {
      head_size = parsed.size;
      break;
    }
    // r.status: 0 if the answer was not HTTP at all, else the status it meant.
    if (parsed.status == http::parse_status::fail)
      refuse(r.status, "a bad answer: " + std::string{parsed.error});
    // `more` means fewer than max_response_head bytes are here, so there is room.
    const std::size_t have = in.size();
    const std::size_t room = std::min<std::size_t>(4096, options.max_response_head - have);
    in.resize(have + room);
    const auto left = std::max(clock::duration::zero(), deadline - clock::now());
    const auto n =
        co_await with_timeout(conn.read_some(asio::buffer(in.data() + have, room)), left);
    in.resize(have + n);
    if (n == 0) refuse(0, "the server closed the connection");
  }
  if (r.status != 101) refuse(r.status, "refused with HTTP " + std::to_string(r.status));
  if (!r.has_token("upgrade", "websocket")) refuse(101, "no \"Upgrade: websocket\"");
  if (!r.has_token("connection", "upgrade")) refuse(101, "no \"Connection: Upgrade\"");
  const auto accept = r.find("sec-websocket-accept");
  if (!accept || *accept != accept_key(key)) refuse(101, "a wrong Sec-WebSocket-Accept");
  if (r.find("sec-websocket-extensions")) refuse(101, "an extension that was not offered");
  std::string subprotocol;
  if (const auto p = r.find("sec-websocket-protocol")) {
    if (std::find(options.subprotocols.begin(), options.subprotocols.end(), *p) ==
        options.subprotocols.end())
      refuse(101, "a subprotocol that was not offered");
    subprotocol = std::string{*p};
  }
  options.stream.codec.role = role::client;
  const std::string_view already_read = std::string_view{in}.substr(head_size);
  co_return stream{std::move(conn), options.stream, std::move(subprotocol), already_read};
}

asio::awaitable<stream> connect(std::string host, std::uint16_t port, std::string path,
                                client_options options) {
  auto conn = co_await coronet::connect(host, port, options.connect);
  std::string host_header =
      options.host_header.empty() ? host + ":" + std::to_string(port) : options.host_header;
  co_return co_await handshake(std::move(conn), std::move(host_header), std::move(path),
                               std::move(options));
}

}  // namespace coronet::websocket
