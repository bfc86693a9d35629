/// @file
/// @code{.unparsed}
/// coronet::resp::value: one decoded RESP2 reply, owning its bytes (the client side of
/// RESP; requests on the server side are views, resp/request.hpp).
///
///   resp::value v = co_await redis.command(args);
///   if (v.is_error()) log(v.text);                  // "WRONGTYPE Operation against ..."
///   else if (v.is_null()) ...                        // GET of a missing key
///   else if (v.kind == resp::kind::integer) use(v.integer);
///   else if (v.is_array()) for (const auto& e : v.elements) ...
///
/// Owning, unlike the request views: a reply is handed to the coroutine that asked for
/// it, which runs after the read buffer has moved on.
/// @endcode
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::resp {

// GCC's -Wshadow takes the scoped enumerator `null` for a shadow of resp::null (the
// null bulk string constant of reply.hpp); being scoped, it cannot shadow anything.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
/// The type of a decoded reply: resp::value::kind. `null` stands for both the null bulk
/// string and the null array; the others are the RESP2 types of the same names.
enum class kind {
  simple_string,  ///< `+OK`: text in `text`
  error,          ///< `-ERR ...`: the error's text in `text`
  integer,        ///< `:42`: the number in `integer`
  bulk_string,    ///< `$5 hello`: bytes in `text`
  null,           ///< `$-1` or `*-1`: no value
  array,          ///< `*2 ...`: the elements in `elements`
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// One decoded RESP2 reply, owning its bytes; an array holds its elements. Every member
/// has an initializer, so designated initializers may name only the ones they need
/// (value{.kind = resp::kind::integer, .integer = 3}) without -Wmissing-field-initializers.
struct value {
  /// The reply's type. The null bulk string `$-1` and the null array `*-1` are both
  /// kind::null.
  resp::kind kind = resp::kind::null;
  std::string text{};             ///< simple_string, error (code first: "ERR ..."), bulk_string
  std::int64_t integer = 0;       ///< integer
  std::vector<value> elements{};  ///< array

  /// An error reply: `text` holds it, code first.
  bool is_error() const noexcept { return kind == resp::kind::error; }
  /// The null bulk string or the null array.
  bool is_null() const noexcept { return kind == resp::kind::null; }
  /// An array (not the null one): `elements` holds it.
  bool is_array() const noexcept { return kind == resp::kind::array; }
  /// An integer: `integer` holds it.
  bool is_integer() const noexcept { return kind == resp::kind::integer; }
  /// A simple or a bulk string: `text` holds it.
  bool is_string() const noexcept {
    return kind == resp::kind::simple_string || kind == resp::kind::bulk_string;
  }

  /// Equal kind, text, integer and elements.
  friend bool operator==(const value&, const value&) = default;
};

/// The reply as redis-cli prints it, for logs and test messages:
/// `OK`, `(error) ERR ...`, `(integer) 3`, `"text"` (escaped), `(nil)`, numbered lines
/// for arrays (`(empty array)` for none).
std::string to_string(const value& v);

}  // namespace coronet::resp
