// SHA-1 (FIPS 180-4) and base64 (RFC 4648), just enough for the WebSocket handshake's
// Sec-WebSocket-Accept (RFC 6455 section 4.2.2). Self-contained, so the core library
// needs no crypto dependency. SHA-1 is no longer collision-resistant; the handshake
// uses it only to prove that the server understood the request, not for security.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coronet::websocket::detail {

std::array<std::uint8_t, 20> sha1(std::string_view data) noexcept;

std::string base64_encode(std::string_view bytes);
// The decoded bytes, or nothing if `text` is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace coronet::websocket::detail
