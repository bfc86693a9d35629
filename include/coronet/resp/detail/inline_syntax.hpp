// The character classes of Redis's inline command syntax (sdssplitargs), for the
// request decoder.
#pragma once

namespace coronet::resp::detail {

// Redis's inline splitting: whitespace in the C locale's isspace() sense separates
// arguments, but only space, tab, CR and LF end an unquoted one (so `a\vb` is one
// argument and `\va` is `a`), exactly as sdssplitargs behaves.
inline bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
inline bool ends_argument(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
inline bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
inline int hex_value(char c) noexcept {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
// The character after a backslash inside double quotes.
inline char unescape(char c) noexcept {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

}  // namespace coronet::resp::detail
