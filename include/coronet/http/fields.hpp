/// @file
/// @code{.unparsed}
/// coronet::http::iequals, trim, any_list_element, list_contains: the text rules of
/// HTTP header fields (RFC 9110 5), for code that reads fields itself.
///
///   http::iequals(field.name, "upgrade");            // names compare without regard to case
///   http::trim(" \tvalue \t");                       // "value": OWS is spaces and tabs
///   http::list_contains("keep-alive, Upgrade", "upgrade");          // true
///   http::any_list_element("a, , b", [](std::string_view e) {       // "a", then "b"
///     return e == "b";                               // true stops the walk
///   });
///   http::find_field(head.headers, "host");          // the first Host value, if any
///   http::fields_have_token(head.headers, "connection", "close");
///
/// request_head and response_head answer find(), count() and has_token() with these.
/// Case is ASCII only (HTTP's tokens are ASCII), so the answers never depend on the
/// process's locale, as std::tolower's do.
/// @endcode
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace coronet::http {

/// One header field of a request or response head. Both views point into the buffer
/// that was parsed; the value has no leading or trailing whitespace.
struct header_field {
  std::string_view name;   ///< as sent; compare it without regard to case
  std::string_view value;  ///< without leading or trailing whitespace
};

/// `c` in lower case if it is an ASCII capital letter; otherwise `c`.
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Whether `a` and `b` are the same without regard to ASCII case: how field names,
/// tokens such as "websocket" and host names compare.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

/// `s` without the optional whitespace (spaces and tabs) at its start and end.
constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Calls `f(element)` for each non-empty, trimmed element of the comma-separated `list`
/// (RFC 9110 5.6.1: empty elements are allowed and ignored), in order, until `f`
/// returns true. Returns whether it did.
template <typename F>
constexpr bool any_list_element(std::string_view list, F f) {
  for (;;) {
    const auto comma = list.find(',');
    const auto element = trim(list.substr(0, comma));
    if (!element.empty() && f(element)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

/// Whether the comma-separated `list` holds `token`, without regard to case:
/// list_contains("keep-alive, Upgrade", "upgrade") is true.
constexpr bool list_contains(std::string_view list, std::string_view token) noexcept {
  return any_list_element(list, [token](std::string_view e) { return iequals(e, token); });
}

/// The value of the first field of `fields` called `name` (without regard to case).
constexpr std::optional<std::string_view> find_field(std::span<const header_field> fields,
                                                     std::string_view name) noexcept {
  for (const auto& f : fields)
    if (iequals(f.name, name)) return f.value;
  return std::nullopt;
}

/// How many fields of `fields` are called `name` (without regard to case).
constexpr std::size_t count_fields(std::span<const header_field> fields,
                                   std::string_view name) noexcept {
  std::size_t n = 0;
  for (const auto& f : fields)
    n += iequals(f.name, name) ? 1 : 0;
  return n;
}

/// Whether the comma-separated lists in the fields called `name` hold `token`, without
/// regard to case: fields_have_token(fields, "connection", "close").
constexpr bool fields_have_token(std::span<const header_field> fields, std::string_view name,
                                 std::string_view token) noexcept {
  return std::any_of(fields.begin(), fields.end(), [&](const header_field& f) {
    return iequals(f.name, name) && list_contains(f.value, token);
  });
}

}  // namespace coronet::http
