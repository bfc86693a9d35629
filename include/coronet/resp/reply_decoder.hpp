/// @file
/// @code{.unparsed}
/// coronet::resp::reply_decoder: RESP2 replies (`+`, `-`, `:`, `$`, `*`) into owning
/// resp::value trees; the client half of RESP. A coronet::codec decoder (codec.hpp), so
/// it runs under framed<> as well as in coronet::redis's own reader.
///
///   resp::reply_decoder d;
///   auto r = d.decode(bytes);   // ready(value, consumed) / more(needed) / fail(error)
///
/// Incremental: between `more` answers it keeps what it already parsed (the open arrays
/// with their finished elements, the position reached), so a reply arriving in many
/// pieces, a 1M-element array byte by byte included, is parsed once, never rescanned.
/// Like every decoder it expects each call's input to start where the reply started;
/// input shorter than what it already parsed means a new stream, and it starts over.
///
/// Security: a client trusts its server more than a server trusts its clients, but a
/// compromised or misconfigured server (or a man in the middle on a plain connection)
/// must not make the client allocate without bound. The limits below are checked as
/// soon as the bytes that break them arrive: `$1000000000\r\n` fails on its header
/// before any payload, `*2000000\r\n` on its own, the 33rd nested `*` on itself.
/// Over a limit: coronet::errc::frame_too_large. Malformed (a RESP3 or unknown type
/// byte, a non-numeric or negative length other than -1, a missing CRLF, CR or LF
/// inside a simple string or error): coronet::errc::bad_message. Either way the stream
/// is over: the reply boundaries are lost.
/// @endcode
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/framing/codec.hpp"
#include "coronet/resp/value.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace coronet::resp {

/// The limits of reply_decoder: security settings against the server.
struct reply_limits {
  /// Largest bulk string, and longest simple string or error line. Redis's own
  /// proto-max-bulk-len is 512 MiB; 64 MiB holds any sane value.
  std::size_t max_bulk = std::size_t{64} * 1024 * 1024;
  /// Most elements in one array (each nested array counts its own). The element table
  /// grows with the elements actually received, not with the announced count.
  std::size_t max_elements = std::size_t{1024} * 1024;
  /// Deepest nesting of arrays: a non-empty array at depth max_depth + 1 fails on its
  /// header (an empty or null one holds nothing and is allowed, like a leaf). Redis's own
  /// replies nest at most a few levels (EXEC of SCAN results, XREAD, COMMAND).
  std::size_t max_depth = 32;
  /// Largest whole reply, in bytes on the wire. The reply is buffered whole before it is
  /// handed out, so this is the read buffer's ceiling (max_buffered()). Twice max_bulk:
  /// MGET of a large value or two fits. The decoded tree costs more than the wire for
  /// tiny elements (a resp::value is ~80 bytes, `:1\r\n` is 4), so against a server
  /// you do not trust, lower this and max_elements together.
  std::size_t max_reply = std::size_t{128} * 1024 * 1024;
};

/// Decodes RESP2 replies into resp::value trees, incrementally; a coronet::codec decoder.
class reply_decoder {
 public:
  using frame_type = value;  ///< One whole reply.

  /// With the default reply_limits.
  reply_decoder() = default;
  /// With the given limits.
  explicit reply_decoder(reply_limits limits) : limits_(limits) {}

  /// The reply at the start of `in`: ready(value, consumed), more() while it is
  /// incomplete, or fail() with errc::frame_too_large or errc::bad_message.
  decode_result<value> decode(std::span<const char> in) {
    using result = decode_result<value>;
    if (in.size() < pos_) reset();  // not the reply we were in
    for (;;) {
      if (pos_ >= in.size()) return result::more();
      value leaf;
      std::size_t next = 0;
      const char type = in[pos_];
      switch (type) {
        case '+':
        case '-': {
          const auto r = line(in, next);
          if (r != step::ok) return answer(r);
          leaf.kind = type == '+' ? kind::simple_string : kind::error;
          leaf.text.assign(in.data() + pos_ + 1, next - 2 - pos_ - 1);
          break;
        }
        case ':': {
          std::int64_t n = 0;
          const auto r = header(in, n, next);
          if (r != step::ok) return answer(r);
          leaf.kind = kind::integer;
          leaf.integer = n;
          break;
        }
        case '$': {
          std::int64_t n = 0;
          const auto r = header(in, n, next);
          if (r != step::ok) return answer(r);
          if (n == -1) break;  // null bulk string
          if (n < 0) return fail(errc::bad_message);
          if (static_cast<std::uint64_t>(n) > limits_.max_bulk) return fail(errc::frame_too_large);
          const std::size_t end = next + static_cast<std::size_t>(n) + 2;
          if (end > limits_.max_reply) return fail(errc::frame_too_large);
          if (in.size() < end) return result::more(end);
          if (in[end - 2] != '\r' || in[end - 1] != '\n') return fail(errc::bad_message);
          leaf.kind = kind::bulk_string;
          leaf.text.assign(in.data() + next, static_cast<std::size_t>(n));
          next = end;
          break;
        }
        case '*': {
          std::int64_t n = 0;
          const auto r = header(in, n, next);
          if (r != step::ok) return answer(r);
          if (n == -1) break;  // null array
          if (n < 0) return fail(errc::bad_message);
          if (static_cast<std::uint64_t>(n) > limits_.max_elements)
            return fail(errc::frame_too_large);
          leaf.kind = kind::array;
          if (n == 0) break;  // opens nothing: no deeper than a leaf
          if (stack_.size() >= limits_.max_depth) return fail(errc::frame_too_large);
          // Reserve for what is announced only up to a small bound: the count is the
          // peer's claim, the elements are what it actually sends. Small, too, because
          // a finished array keeps its capacity: 1024 slots for `*2` would let a few
          // bytes pin kilobytes.
          leaf.elements.reserve(std::min<std::size_t>(static_cast<std::size_t>(n), 16));
          stack_.push_back({std::move(leaf), static_cast<std::size_t>(n)});
          pos_ = next;
          scanned_ = 0;
          continue;
        }
        default:
          return fail(errc::bad_message);
      }
      pos_ = next;
      scanned_ = 0;
      // Close every array this leaf completes; a reply is ready when none is left open.
      for (;;) {
        if (stack_.empty()) {
          const std::size_t consumed = pos_;
          reset();
          return result::ready(std::move(leaf), consumed);
        }
        auto& top = stack_.back();
        top.array.elements.push_back(std::move(leaf));
        if (--top.remaining > 0) break;
        leaf = std::move(top.array);
        stack_.pop_back();
      }
    }
  }

  /// The read buffer never needs more than one whole reply.
  std::size_t max_buffered() const noexcept { return limits_.max_reply; }
  /// The limits it enforces.
  const reply_limits& limits() const noexcept { return limits_; }

 private:
  enum class step { ok, more, bad, too_large };
  /// The type byte, at most 20 characters of number, CRLF: anything longer is malformed.
  static constexpr std::size_t max_header = 24;

  struct open_array {
    value array;
    std::size_t remaining;
  };

  void reset() noexcept {
    stack_.clear();
    pos_ = 0;
    scanned_ = 0;
  }

  decode_result<value> fail(errc e) {
    reset();
    return decode_result<value>::fail(e);
  }

  decode_result<value> answer(step s) {
    if (s == step::more) return decode_result<value>::more();
    return fail(s == step::bad ? errc::bad_message : errc::frame_too_large);
  }

  /// A `+` or `-` line from pos_: `next` is just past its CRLF. Remembers how far it
  /// looked, so a long line arriving byte by byte is scanned once.
  step line(std::span<const char> in, std::size_t& next) {
    const std::size_t start = pos_ + 1;
    // A valid line has its CR within max_bulk bytes; look no further.
    const std::size_t window = std::min(in.size(), start + limits_.max_bulk + 1);
    for (std::size_t i = std::max(start, scanned_); i < window; ++i) {
      if (in[i] == '\n') return step::bad;
      if (in[i] != '\r') continue;
      if (i + 1 >= in.size()) {
        scanned_ = i;
        return step::more;
      }
      if (in[i + 1] != '\n') return step::bad;
      next = i + 2;
      return next > limits_.max_reply ? step::too_large : step::ok;
    }
    scanned_ = window;
    if (window - start > limits_.max_bulk) return step::too_large;
    if (window > limits_.max_reply) return step::too_large;
    return step::more;
  }

  /// `:`, `$` or `*` and a decimal number, then CRLF.
  step header(std::span<const char> in, std::int64_t& n, std::size_t& next) const {
    const std::size_t start = pos_ + 1;
    const std::size_t window = std::min(in.size(), pos_ + max_header);
    std::size_t cr = start;
    while (cr < window && in[cr] != '\r')
      ++cr;
    if (cr == window) return in.size() >= pos_ + max_header ? step::bad : step::more;
    if (cr + 1 >= in.size()) return step::more;
    if (in[cr + 1] != '\n') return step::bad;
    const char* first = in.data() + start;
    const char* last = in.data() + cr;
    const auto [p, ec] = std::from_chars(first, last, n);
    if (first == last || ec != std::errc{} || p != last) return step::bad;
    next = cr + 2;
    return next > limits_.max_reply ? step::too_large : step::ok;
  }

  reply_limits limits_;
  std::vector<open_array> stack_;  ///< the arrays open around the current position
  std::size_t pos_ = 0;            ///< where the next element starts
  std::size_t scanned_ = 0;        ///< how far a `+`/`-` line at pos_ was already searched
};

}  // namespace coronet::resp
