/// @file
/// @code{.unparsed}
/// coronet::resp::encoder: appends RESP2 values (resp/reply.hpp, plain string_views as
/// bulk strings, decoded requests as commands) to an output buffer. The encoding half of
/// resp_codec; stateless, so outboxes may encode on any thread.
/// @endcode
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/framing/codec.hpp"
#include "coronet/resp/reply.hpp"
#include "coronet/resp/request.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace coronet::resp {

/// Appends RESP2 values to an output buffer: the encoding half of resp_codec and
/// resp_client_codec. Stateless.
class encoder {
 public:
  // Each appends one RESP value. Throws std::system_error(errc::invalid_frame) for a
  // simple string or error holding CR or LF (it would end the reply early).

  /// `+text` CRLF. Throws std::system_error(errc::invalid_frame) if the text holds CR or LF.
  void encode(const resp::simple& s, std::string& out) const { line('+', s.text, out); }
  /// `-text` CRLF. Throws std::system_error(errc::invalid_frame) if the text holds CR or LF.
  void encode(const resp::error& e, std::string& out) const { line('-', e.text, out); }
  /// `:42` CRLF.
  void encode(const resp::integer& i, std::string& out) const { number(':', i.value, out); }
  /// A bulk string, copied into `out` (a large one goes out by encode_header() and
  /// encode_trailer() instead, its payload not copied).
  void encode(const resp::bulk& b, std::string& out) const { encode(b.data, out); }
  /// A plain string_view as a bulk string: `$5` CRLF `hello` CRLF; binary-safe.
  void encode(std::string_view b, std::string& out) const {
    number('$', static_cast<std::int64_t>(b.size()), out);
    out.append(b);
    out.append("\r\n", 2);
  }
  /// The null bulk string, `$-1` CRLF.
  void encode(resp::null_bulk, std::string& out) const { out.append("$-1\r\n", 5); }
  /// The null array, `*-1` CRLF.
  void encode(resp::null_array, std::string& out) const { out.append("*-1\r\n", 5); }
  /// `*3` CRLF: the start of an array; its elements are written next.
  void encode(const resp::array_header& h, std::string& out) const {
    number('*', static_cast<std::int64_t>(h.count), out);
  }
  /// The value if there is one, else the null bulk string.
  template <typename T>
  requires encoder_for<encoder, T>
  void encode(const std::optional<T>& v, std::string& out) const {
    if (v)
      encode(*v, out);
    else
      encode(resp::null, out);
  }
  /// A whole array: its element count, then each element.
  template <typename R>
  requires encoder_for<encoder, std::remove_cvref_t<decltype(*std::declval<const R&>().begin())>>
  void encode(const resp::array<R>& a, std::string& out) const {
    const auto& items = a.items;
    number('*', static_cast<std::int64_t>(std::distance(items.begin(), items.end())), out);
    for (const auto& item : items)
      encode(item, out);
  }
  /// A command: an array of bulk strings.
  void encode(const resp::command& c, std::string& out) const {
    number('*', static_cast<std::int64_t>(c.args.size()), out);
    for (auto arg : c.args)
      encode(arg, out);
  }
  /// A decoded request re-encoded as a command (a proxy forwarding it).
  void encode(const resp::request& r, std::string& out) const {
    number('*', static_cast<std::int64_t>(r.size()), out);
    for (auto arg : r)
      encode(arg, out);
  }

  /// Gathered writes of large bulk strings (see codec.hpp): the header, `$5` CRLF, that
  /// goes before the payload.
  void encode_header(const resp::bulk& b, std::string& out) const {
    number('$', static_cast<std::int64_t>(b.data.size()), out);
  }
  /// The CRLF after a gathered bulk string's payload.
  void encode_trailer(const resp::bulk& /*b*/, std::string& out) const { out.append("\r\n", 2); }

 private:
  static void line(char prefix, std::string_view text, std::string& out) {
    if (text.find_first_of("\r\n") != std::string_view::npos)
      throw_error(errc::invalid_frame, "resp_codec::encode: CR or LF in a simple string");
    out.push_back(prefix);
    out.append(text);
    out.append("\r\n", 2);
  }

  static void number(char prefix, std::int64_t v, std::string& out) {
    std::array<char, 24> buf;  // prefix, at most 20 characters of number, CRLF
    buf[0] = prefix;
    const auto [p, ec] = std::to_chars(buf.data() + 1, buf.data() + buf.size() - 2, v);
    p[0] = '\r';
    p[1] = '\n';
    out.append(buf.data(), static_cast<std::size_t>(p + 2 - buf.data()));
  }
};

}  // namespace coronet::resp
