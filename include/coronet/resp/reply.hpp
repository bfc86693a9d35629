/// @file
/// @code{.unparsed}
/// The RESP2 values resp_codec encodes: replies (framed::write(resp::integer{3}) and so
/// on) and commands for clients.
/// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace coronet::resp {

/// `+OK\r\n`. The text must not hold CR or LF (encode throws errc::invalid_frame).
struct simple {
  std::string_view text;  ///< The string, without the `+` and the CRLF.
};
/// `-ERR message\r\n`: the text starts with the error code. No CR or LF.
struct error {
  std::string_view text;  ///< The message, error code first, without the `-` and the CRLF.
};
/// `:42\r\n`
struct integer {
  std::int64_t value;  ///< The number.
};
/// `$5\r\nhello\r\n`; binary-safe. A plain std::string_view encodes the same way.
/// Large bulk strings go out by send() without a copy (a gathered write).
struct bulk {
  std::string_view data;  ///< The payload; any bytes.
  /// The payload, for gathered writes.
  operator std::string_view() const noexcept { return data; }  // NOLINT: for gathered writes
};
/// `$-1\r\n`, the null bulk string (GET of a missing key).
struct null_bulk {};
/// The null bulk string, to write: `f.write(resp::null)`.
inline constexpr null_bulk null{};
/// `*-1\r\n`, the null array.
struct null_array {};
/// `*3\r\n`: the start of an array whose `count` elements are written next, one by one
/// (nest arrays by writing an element that is itself an array).
struct array_header {
  std::size_t count;  ///< How many elements follow.
};
/// A whole array from a range (begin()/end(), walked twice) of anything encodable
/// (string_view, integer, std::optional<std::string_view> for bulk-or-null, another
/// array, ...). An lvalue range is held by reference (no copy: encode it before the
/// range changes), an rvalue one by value. Plain begin()/end() rather than std::ranges:
/// clang 14 cannot check libstdc++ 12's range concepts.
template <typename R>
struct array {
  R items;  ///< The range: a reference for an lvalue range, else the range itself.
};
/// Deduction guide: `resp::array{v}` holds an lvalue `v` by reference, an rvalue by value.
template <typename R>
array(R&&) -> array<R>;
/// A command as clients send it: an array of bulk strings. Holds views: encode it before
/// the arguments go away (f.write(resp::command{"SET", "k", "v"}) is fine).
struct command {
  /// From the arguments in place: `resp::command{"GET", "k"}`. Valid only within the
  /// full-expression that builds it (the list's array is a temporary).
  command(std::initializer_list<std::string_view> a) noexcept : args(a.begin(), a.size()) {}
  /// From arguments held elsewhere, e.g. a std::vector of std::string_view.
  explicit command(std::span<const std::string_view> a) noexcept : args(a) {}
  std::span<const std::string_view> args;  ///< The command name, then its arguments.
};

}  // namespace coronet::resp
