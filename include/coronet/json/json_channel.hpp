/// @file
/// @code{.unparsed}
/// coronet::json_channel: JSON messages over any framing (nlohmann::json).
///
///   asio::awaitable<void> session(coronet::connection conn) {
///     coronet::json_channel<> ch{std::move(conn)};          // newline-delimited JSON
///     for (;;) {
///       std::optional<nlohmann::json> msg;
///       try {
///         msg = co_await ch.read();                          // std::nullopt at clean EOF
///       } catch (const coronet::message_error& e) {          // not JSON: say so, go on
///         ch.write(nlohmann::json{{"error", e.what()}});
///         continue;
///       }
///       if (!msg) break;
///       ch.write(*msg);                                      // sent before the next wait
///     }
///   }
///
/// Reading is read(), as on framed<>.
/// Typed messages: read<T>() converts with the user's from_json; write/send accept a
/// nlohmann::json or any T with to_json. Serialization is compact (one line per message
/// with the default line_codec) and replaces invalid UTF-8 rather than throwing.
///
/// A frame that is not valid JSON, is nested deeper than max_depth, or does not convert
/// to T throws coronet::message_error (a std::system_error with coronet::errc::bad_message,
/// the parser's message and the byte offset). That frame is skipped: the channel stays
/// usable for the next message. Framing errors (a frame over the codec's limit) end the
/// stream, as with framed<>.
///
/// Security: the size limit is the codec's (line_codec: 64 KiB by default); the depth
/// limit is checked before parsing so that a deeply nested document cannot exhaust the
/// stack in conversions or serialization.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/core/errc.hpp"
#include "coronet/framing/framed.hpp"
#include "coronet/framing/line_codec.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace coronet {

/// A message that could not be parsed or converted. code() is errc::bad_message.
class message_error : public std::system_error {
 public:
  /// A message error saying `what`, found at byte `offset` of the frame.
  message_error(const std::string& what, std::size_t offset)
      : std::system_error(make_error_code(errc::bad_message), what), offset_(offset) {}
  /// Byte offset in the frame where parsing failed (0 when conversion failed).
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

/// How a json_channel reads: the nesting limit, and the options of the framed<> underneath.
struct json_channel_options {
  std::size_t max_depth = 64;  ///< security: deepest nesting of arrays/objects accepted
  framed_options framing{};    ///< buffers, limits and timeouts of the framing
};

namespace detail {

/// True when `text` nests arrays/objects deeper than `max_depth`. One linear pass that
/// skips string contents; run before the parser so depth never reaches recursive code.
inline bool json_too_deep(std::string_view text, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

inline void append_json(const nlohmann::json& value, std::string& out) {
  out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace detail

/// Parses one message; throws message_error. Exposed for servers that read frames
/// themselves (the JSON-RPC server does).
inline nlohmann::json parse_message(std::string_view text, std::size_t max_depth = 64) {
  if (detail::json_too_deep(text, max_depth))
    throw message_error("message nested deeper than " + std::to_string(max_depth) + " levels", 0);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw message_error(e.what(), e.byte);
  } catch (const nlohmann::json::exception& e) {
    // Not only parse_error: a number too large for a double ("1e999") is out_of_range.
    // Either way it is the peer's bad input, which must not escape as another type.
    throw message_error(e.what(), 0);
  }
}

/// JSON values built without a braced list. GCC 12 (Debian 12's compiler) cannot compile
/// a braced list in a statement that also holds a co_await: `co_await ch.send(
/// nlohmann::json{{"type", "hello"}})` fails with "array used as initializer" at the
/// function's closing brace (fine with GCC 13 and clang). These build the
/// same values from plain arguments, so the common shapes stay one line:
///   co_await ch.send(coronet::json_object("type", "hello", "n", 1));
///   co_await ch.send(coronet::json_array(1, 2, 4));
/// (Or bind the braced value to a named variable first, in its own statement.)
template <typename... Values>
nlohmann::json json_array(Values&&... values) {
  nlohmann::json out = nlohmann::json::array();
  (out.push_back(nlohmann::json(std::forward<Values>(values))), ...);
  return out;
}

namespace detail {
inline void add_members(nlohmann::json& /*object*/) {}
template <typename Key, typename Value, typename... Rest>
void add_members(nlohmann::json& object, Key&& key, Value&& value, Rest&&... rest) {
  object[std::string(std::forward<Key>(key))] = nlohmann::json(std::forward<Value>(value));
  add_members(object, std::forward<Rest>(rest)...);
}
}  // namespace detail

/// key, value, key, value ...: keys convertible to std::string, values to JSON.
template <typename... KeysAndValues>
nlohmann::json json_object(KeysAndValues&&... kv) {
  static_assert(sizeof...(kv) % 2 == 0, "json_object takes key, value pairs");
  nlohmann::json out = nlohmann::json::object();
  detail::add_members(out, std::forward<KeysAndValues>(kv)...);
  return out;
}

/// JSON messages over a framed<> stream (see the top of this file).
template <typename Codec = line_codec, typename Stream = connection>
class json_channel {
 public:
  using framed_type = framed<Codec, Stream>;  ///< the framing underneath

  /// Takes over `stream`; one message per frame of `codec` (by default, one per line).
  explicit json_channel(Stream stream, Codec codec = Codec{}, json_channel_options options = {})
      : frames_(std::move(stream), std::move(codec), options.framing), options_(options) {}

  /// The next message, or std::nullopt at a clean EOF. Throws message_error for a frame
  /// that is not JSON (the channel stays usable), std::system_error for stream errors.
  asio::awaitable<std::optional<nlohmann::json>> read() {
    auto frame = co_await frames_.read();
    if (!frame) co_return std::nullopt;
    co_return parse_counted(std::string_view{*frame});
  }

  /// The next message converted with from_json. A message that parses but does not
  /// convert throws message_error too.
  template <typename T>
  asio::awaitable<std::optional<T>> read() {
    auto value = co_await read();
    if (!value) co_return std::nullopt;
    try {
      co_return value->template get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw message_error(e.what(), 0);
    }
  }

  /// Buffers a message; it is sent by flush() or before the next read() waits.
  template <typename T>
  void write(const T& value) {
    std::string text;
    serialize(value, text);
    frames_.write(std::string_view{text});
  }

  /// Queues a message through the bounded outbox, waiting while it is full.
  template <typename T>
  asio::awaitable<void> send(T value) {
    std::string text;
    serialize(value, text);
    co_await frames_.send(std::string_view{text});
  }

  /// Queues a message unless the outbox is full or closed (see send_result); never waits.
  template <typename T>
  send_result try_send(const T& value) {
    std::string text;
    serialize(value, text);
    return frames_.try_send(std::string_view{text});
  }

  /// Sends the messages write() has buffered; returns when the stream has taken them.
  asio::awaitable<void> flush() { return frames_.flush(); }
  /// Closes the stream now; pending operations fail, queued output is dropped.
  void close() noexcept { frames_.close(); }

  /// The framing underneath: its outbox carries already serialized messages.
  framed_type& frames() noexcept { return frames_; }
  /// The stream underneath (the connection).
  Stream& stream() noexcept { return frames_.stream(); }

  /// Appends `value` to `out` as compact JSON, replacing invalid UTF-8 (what write() sends).
  template <typename T>
  static void serialize(const T& value, std::string& out) {
    if constexpr (std::is_same_v<T, nlohmann::json>)
      detail::append_json(value, out);
    else
      detail::append_json(nlohmann::json(value), out);
  }

 private:
  /// parse_message, counting a failure (over a server connection) as a decode error.
  nlohmann::json parse_counted(std::string_view text) {
    try {
      return parse_message(text, options_.max_depth);
    } catch (const message_error&) {
      detail::count_decode_error_of(frames_.stream(), decode_error::malformed, false);
      throw;
    }
  }

  framed_type frames_;
  json_channel_options options_;
};

}  // namespace coronet
