#include "coronet/websocket/client.hpp"

#include "coronet/core/errc.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/websocket/handshake.hpp"

#include <asio/buffer.hpp>

#include <algorithm>
#include <charconv>

namespace coronet::websocket {
namespace {

using clock = std::chrono::steady_clock;

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Whether the comma-separated `list` holds `token`, without regard to case.
bool has_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

struct response_head {
  int status = 0;
  std::vector<std::pair<std::string_view, std::string_view>> fields;

  std::optional<std::string_view> find(std::string_view name) const noexcept {
    for (const auto& [n, v] : fields)
      if (iequals(n, name)) return v;
    return std::nullopt;
  }
};

[[noreturn]] void refuse(int status, const std::string& why) {
  throw handshake_error(status, "websocket handshake: " + why);
}

// The status line and fields of `head` (which ends with the blank line).
response_head parse_response(std::string_view head) {
  response_head r;
  const auto line_end = head.find("\r\n");
  const auto status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" || status_line[8] != ' ')
    refuse(0, "the answer is not HTTP");
  const auto code = status_line.substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, r.status).ptr != code.data() + 3)
    refuse(0, "the answer is not HTTP");
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty() && rest.substr(0, 2) != "\r\n") {
    const auto end = rest.find("\r\n");
    const auto line = rest.substr(0, end);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) refuse(r.status, "a malformed header field");
    r.fields.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
    rest.remove_prefix(end + 2);
  }
  return r;
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
  std::size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    if (in.size() >= options.max_response_head) refuse(0, "the answer's head is too large");
    const std::size_t have = in.size();
    const std::size_t room = std::min<std::size_t>(4096, options.max_response_head - have);
    in.resize(have + room);
    const auto left = std::max(clock::duration::zero(), deadline - clock::now());
    const auto n =
        co_await with_timeout(conn.read_some(asio::buffer(in.data() + have, room)), left);
    in.resize(have + n);
    if (n == 0) refuse(0, "the server closed the connection");
    head_end = in.find("\r\n\r\n", have >= 3 ? have - 3 : 0);
  }
  const std::string_view head{in.data(), head_end + 4};
  const auto r = parse_response(head);
  if (r.status != 101) refuse(r.status, "refused with HTTP " + std::to_string(r.status));
  const auto upgrade = r.find("upgrade");
  const auto connection_field = r.find("connection");
  if (!upgrade || !has_token(*upgrade, "websocket")) refuse(101, "no \"Upgrade: websocket\"");
  if (!connection_field || !has_token(*connection_field, "upgrade"))
    refuse(101, "no \"Connection: Upgrade\"");
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
  const std::string_view already_read = std::string_view{in}.substr(head.size());
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
