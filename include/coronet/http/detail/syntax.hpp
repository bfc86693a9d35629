// The character classes of HTTP/1.1 heads (RFC 9110 5.6, RFC 9112), shared by the
// request and response head parsers so that both accept exactly the same bytes.
#pragma once

#include <array>
#include <string_view>

namespace coronet::http::detail {

// tchar (RFC 9110 5.6.2): the characters of a method, a field name or a token.
inline constexpr auto tchar_table = [] {
  std::array<bool, 256> t{};
  for (unsigned char c = '0'; c <= '9'; ++c)
    t[c] = true;
  for (unsigned char c = 'a'; c <= 'z'; ++c)
    t[c] = true;
  for (unsigned char c = 'A'; c <= 'Z'; ++c)
    t[c] = true;
  for (unsigned char c : std::string_view{"!#$%&'*+-.^_`|~"})
    t[c] = true;
  return t;
}();

constexpr bool is_tchar(char c) noexcept {
  return tchar_table[static_cast<unsigned char>(c)];
}
// VCHAR: what a request target may hold.
constexpr bool is_vchar(char c) noexcept {
  return c > 0x20 && c < 0x7f;
}
// field-vchar, SP or HTAB: what a field value (or a reason phrase) may hold. obs-text,
// bytes 0x80 and above, is included: old peers send Latin-1.
constexpr bool is_value_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}
constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

}  // namespace coronet::http::detail
