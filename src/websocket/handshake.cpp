#include "coronet/websocket/handshake.hpp"

#include "coronet/http/fields.hpp"
#include "coronet/websocket/detail/sha1.hpp"

#include <algorithm>
#include <array>
#include <random>

namespace coronet::websocket {
namespace {

constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

}  // namespace

std::string accept_key(std::string_view key) {
  std::string text;
  text.reserve(key.size() + guid.size());
  text.append(key).append(guid);
  const auto digest = detail::sha1(text);
  return detail::base64_encode(
      std::string_view{reinterpret_cast<const char*>(digest.data()), digest.size()});
}

std::string make_key() {
  thread_local std::mt19937 generator{std::random_device{}()};
  std::array<char, 16> bytes{};
  for (auto& b : bytes)
    b = static_cast<char>(generator() & 0xFF);
  return detail::base64_encode(std::string_view{bytes.data(), bytes.size()});
}

bool is_upgrade(const http::request_head& req) noexcept {
  return req.has_token("upgrade", "websocket");
}

upgrade_check check_upgrade(const http::request_head& req) noexcept {
  if (req.method != "GET") return {405, "a WebSocket upgrade must be a GET"};
  if (req.version_minor < 1) return {400, "a WebSocket upgrade needs HTTP/1.1"};
  if (!req.has_token("upgrade", "websocket")) return {400, "no \"Upgrade: websocket\""};
  if (!req.has_token("connection", "upgrade")) return {400, "no \"Connection: Upgrade\""};
  if (req.has_body()) return {400, "a WebSocket upgrade has no body"};
  const auto version = req.find("sec-websocket-version");
  if (!version || req.count("sec-websocket-version") != 1 || http::trim(*version) != "13")
    return {426, "only Sec-WebSocket-Version 13 is supported"};
  const auto key = req.find("sec-websocket-key");
  if (!key || req.count("sec-websocket-key") != 1) return {400, "no Sec-WebSocket-Key"};
  const auto decoded = detail::base64_decode(http::trim(*key));
  if (!decoded || decoded->size() != 16)
    return {400, "Sec-WebSocket-Key is not the base64 of 16 bytes"};
  return {};
}

std::vector<std::string_view> offered_subprotocols(const http::request_head& req) {
  std::vector<std::string_view> out;
  for (const auto& field : req.headers) {
    if (!http::iequals(field.name, "sec-websocket-protocol")) continue;
    http::any_list_element(field.value, [&out](std::string_view item) {
      out.push_back(item);
      return false;  // all of them
    });
  }
  return out;
}

std::string_view choose_subprotocol(const http::request_head& req,
                                    std::initializer_list<std::string_view> supported) {
  const auto offered = offered_subprotocols(req);
  for (const auto s : supported)
    if (std::find(offered.begin(), offered.end(), s) != offered.end()) return s;
  return {};
}

}  // namespace coronet::websocket
