// HOST:PORT as the examples' flags take it (--metrics, --redis): "127.0.0.1:9100",
// "localhost:6379", "[::1]:9100". One parser, so every flag reads addresses alike.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace examples {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

// Throws std::runtime_error naming `flag` when `text` is not HOST:PORT.
inline host_port parse_host_port(const std::string& text, const std::string& flag) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw std::runtime_error(flag + ": expected HOST:PORT, got '" + text + "'");
  host_port out;
  out.host = text.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);  // [::1]:9100
  try {
    std::size_t used = 0;
    const auto port = std::stoul(text.substr(colon + 1), &used);
    if (port > 65535 || used != text.size() - colon - 1) throw std::out_of_range("port");
    out.port = static_cast<std::uint16_t>(port);
  } catch (const std::logic_error&) {
    throw std::runtime_error(flag + ": bad port in '" + text + "'");
  }
  return out;
}

}  // namespace examples
