/// @file
/// @code{.unparsed}
/// coronet::resp::request_decoder: RESP requests (multibulk `*2\r\n$3\r\nGET\r\n...` and
/// inline `GET key\r\n`) into resp::request views; the server half of RESP and the
/// decoding half of resp_codec. A coronet::codec decoder (codec.hpp).
///
///   resp::request_decoder d{{.max_arguments = 64}};
///   auto r = d.decode(bytes);   // ready(request, consumed) / more() / fail(error)
///   if (r.status == coronet::decode_status::fail)
///     reply("-ERR Protocol error: " + std::string(d.error_detail()));
///
/// Security: every limit of resp_options is checked as the bytes that break it arrive.
/// @endcode
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/framing/codec.hpp"
#include "coronet/resp/detail/inline_syntax.hpp"
#include "coronet/resp/options.hpp"
#include "coronet/resp/request.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::resp {

/// Decodes RESP requests incrementally (see the file comment).
class request_decoder {
 public:
  /// With the default resp_options.
  request_decoder() { slices_.reserve(initial_slices); }
  /// With the given request limits.
  explicit request_decoder(resp_options options) : options_(options) {
    slices_.reserve(initial_slices);
  }

  /// The next request at the start of `in`. Keeps its progress (arguments already found,
  /// position) between `more` answers, so a request arriving in many pieces is scanned
  /// once, not once per piece.
  decode_result<resp::request> decode(std::span<const char> in) {
    using result = decode_result<resp::request>;
    if (in.size() < std::max(pos_, scanned_)) reset();  // not the request we were in
    if (state_ == state::start) {
      if (in.empty()) return result::more();
      if (slices_.capacity() > keep_slices) {
        // The last request was huge; do not pin its table for the connection's life.
        std::vector<resp::detail::slice>{}.swap(slices_);
        slices_.reserve(initial_slices);
      }
      if (unquoted_.capacity() > keep_unquoted) std::string{}.swap(unquoted_);  // likewise
      slices_.clear();
      if (in[0] != '*') {
        state_ = state::in_inline;
      } else {
        std::int64_t count = 0;
        std::size_t next = 0;
        switch (parse_header(in, 0, count, next)) {
          case header::more:
            return result::more();
          case header::bad:
            return fail(errc::bad_message, "invalid multibulk length");
          case header::ok:
            break;
        }
        if (count == 0 || count == -1) return result::ready({}, next);  // Redis skips these
        if (count < 0) return fail(errc::bad_message, "invalid multibulk length");
        if (static_cast<std::uint64_t>(count) > options_.max_arguments)
          return fail(errc::frame_too_large, "invalid multibulk length");
        state_ = state::in_multibulk;
        remaining_ = static_cast<std::size_t>(count);
        bulk_size_ = no_bulk;
        pos_ = next;
      }
    }
    return state_ == state::in_inline ? decode_inline(in) : decode_multibulk(in);
  }

  /// Why the last decode failed, in Redis's words: reply `-ERR Protocol error: <this>`.
  std::string_view error_detail() const noexcept { return detail_; }

  /// The read buffer never needs more than one whole request.
  std::size_t max_buffered() const noexcept {
    return std::max(options_.max_request, options_.max_inline + 2);
  }
  /// The limits this decoder checks.
  const resp_options& options() const noexcept { return options_; }

 private:
  enum class state { start, in_inline, in_multibulk };
  enum class header { ok, more, bad };
  static constexpr std::size_t no_bulk = static_cast<std::size_t>(-1);
  static constexpr std::size_t initial_slices = 16;
  static constexpr std::size_t keep_slices = 1024;
  static constexpr std::size_t keep_unquoted = 1024;
  // `*` or `$`, at most 20 characters of number, CRLF: anything longer is not a header.
  static constexpr std::size_t max_header = 24;

  decode_result<resp::request> fail(errc e, const char* detail) {
    reset();
    detail_ = detail;
    return decode_result<resp::request>::fail(e);
  }

  void reset() noexcept {
    state_ = state::start;
    pos_ = 0;
    scanned_ = 0;
    remaining_ = 0;
    bulk_size_ = no_bulk;
  }

  decode_result<resp::request> ready(const char* base, std::size_t consumed) {
    reset();
    return decode_result<resp::request>::ready({base, slices_}, consumed);
  }

  decode_result<resp::request> decode_inline(std::span<const char> in) {
    // A valid line has its '\n' within max_inline + 2 bytes; look no further.
    const std::size_t window = std::min(in.size(), options_.max_inline + 2);
    const void* nl =
        window > scanned_ ? std::memchr(in.data() + scanned_, '\n', window - scanned_) : nullptr;
    if (nl == nullptr) {
      scanned_ = window;
      // Still fine: up to max_inline bytes, or exactly one more if it is the '\r' of a
      // CRLF whose '\n' has not arrived.
      if (in.size() <= options_.max_inline ||
          (in.size() == options_.max_inline + 1 && in.back() == '\r'))
        return decode_result<resp::request>::more();
      return fail(errc::frame_too_large, "too big inline request");
    }
    const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - in.data());
    std::size_t len = end;
    if (len > 0 && in[len - 1] == '\r') --len;
    if (len > options_.max_inline) return fail(errc::frame_too_large, "too big inline request");
    const std::string_view line{in.data(), len};
    if (line.find_first_of("\"'") != std::string_view::npos) return decode_quoted(line, end + 1);
    for (std::size_t i = 0; i < len;) {
      while (i < len && detail::is_space(in[i]))
        ++i;
      const std::size_t start = i;
      while (i < len && !detail::ends_argument(in[i]))
        ++i;
      if (i == start) break;
      if (slices_.size() == options_.max_arguments)
        return fail(errc::frame_too_large, "too many arguments");
      slices_.push_back({start, i - start});
    }
    return ready(in.data(), end + 1);
  }

  // An inline line with quotes, split and unescaped as Redis's sdssplitargs does it, into
  // unquoted_ (the request's arguments then point there).
  decode_result<resp::request> decode_quoted(std::string_view line, std::size_t consumed) {
    unquoted_.clear();
    const auto unbalanced = [this] {
      return fail(errc::bad_message, "unbalanced quotes in request");
    };
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && detail::is_space(line[i]))
        ++i;
      if (i == line.size()) break;
      if (slices_.size() == options_.max_arguments)
        return fail(errc::frame_too_large, "too many arguments");
      const std::size_t start = unquoted_.size();
      char quote = 0;  // the quote we are inside, if any
      for (;; ++i) {
        if (i == line.size()) {
          if (quote != 0) return unbalanced();
          break;
        }
        const char c = line[i];
        if (quote == 0) {
          if (detail::ends_argument(c)) break;
          if (c == '"' || c == '\'') {
            quote = c;
          } else {
            unquoted_.push_back(c);
          }
          continue;
        }
        if (c == quote) {  // a closing quote ends the argument, and must end a word
          if (i + 1 < line.size() && !detail::is_space(line[i + 1])) return unbalanced();
          ++i;
          break;
        }
        if (c == '\\' && i + 1 < line.size()) {
          if (quote == '\'') {
            if (line[i + 1] == '\'') ++i;  // only \' is an escape in single quotes
            unquoted_.push_back(line[i]);
            continue;
          }
          if (line[i + 1] == 'x' && i + 3 < line.size() && detail::is_hex(line[i + 2]) &&
              detail::is_hex(line[i + 3])) {
            unquoted_.push_back(static_cast<char>(detail::hex_value(line[i + 2]) * 16 +
                                                  detail::hex_value(line[i + 3])));
            i += 3;
            continue;
          }
          unquoted_.push_back(detail::unescape(line[++i]));
          continue;
        }
        unquoted_.push_back(c);
      }
      slices_.push_back({start, unquoted_.size() - start});
    }
    return ready(unquoted_.data(), consumed);
  }

  decode_result<resp::request> decode_multibulk(std::span<const char> in) {
    while (remaining_ > 0) {
      if (bulk_size_ == no_bulk) {
        if (pos_ >= in.size()) return decode_result<resp::request>::more();
        if (in[pos_] != '$') {
          detail_buf_ = "expected '$', got ' '";
          detail_buf_[detail_buf_.size() - 2] = in[pos_];
          reset();
          detail_ = detail_buf_;
          return decode_result<resp::request>::fail(errc::bad_message);
        }
        std::int64_t size = 0;
        std::size_t next = 0;
        switch (parse_header(in, pos_, size, next)) {
          case header::more:
            return decode_result<resp::request>::more();
          case header::bad:
            return fail(errc::bad_message, "invalid bulk length");
          case header::ok:
            break;
        }
        // -1 (a null bulk string) means nothing as a request argument; Redis refuses it too.
        if (size < 0) return fail(errc::bad_message, "invalid bulk length");
        if (static_cast<std::uint64_t>(size) > options_.max_bulk)
          return fail(errc::frame_too_large, "invalid bulk length");
        bulk_size_ = static_cast<std::size_t>(size);
        pos_ = next;
      }
      const std::size_t need = pos_ + bulk_size_ + 2;
      if (need > options_.max_request) return fail(errc::frame_too_large, "request too large");
      if (in.size() < need) return decode_result<resp::request>::more(need);
      if (in[need - 2] != '\r' || in[need - 1] != '\n')
        return fail(errc::bad_message, "missing CRLF after bulk string");
      slices_.push_back({pos_, bulk_size_});
      pos_ = need;
      bulk_size_ = no_bulk;
      --remaining_;
    }
    return ready(in.data(), pos_);
  }

  // Parses `<prefix><integer>\r\n` at `at` (the prefix is already checked): Redis's
  // rules, an optional '-' then digits without leading zeros. Never looks past
  // max_header bytes, so an endless digit string fails at once.
  static header parse_header(std::span<const char> in, std::size_t at, std::int64_t& value,
                             std::size_t& next) noexcept {
    const std::size_t end = std::min(in.size(), at + max_header);
    const void* cr = std::memchr(in.data() + at + 1, '\r', end - at - 1);
    if (cr == nullptr) return end - at >= max_header ? header::bad : header::more;
    const auto r = static_cast<std::size_t>(static_cast<const char*>(cr) - in.data());
    if (r + 1 >= in.size()) return header::more;
    if (in[r + 1] != '\n') return header::bad;
    if (!parse_integer({in.data() + at + 1, r - at - 1}, value)) return header::bad;
    next = r + 2;
    return header::ok;
  }

  static bool parse_integer(std::string_view s, std::int64_t& value) noexcept {
    const std::size_t digits = !s.empty() && s[0] == '-' ? 1 : 0;
    if (s.size() == digits) return false;
    if (s[digits] == '0' && s.size() != 1) return false;  // no leading zeros, no "-0"
    for (std::size_t i = digits; i < s.size(); ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    return ec == std::errc{} && p == s.data() + s.size();
  }

  resp_options options_{};
  // Parse progress of the current request, kept across more answers.
  state state_ = state::start;
  std::size_t pos_ = 0;              // multibulk: next unparsed byte
  std::size_t scanned_ = 0;          // inline: bytes known to hold no '\n'
  std::size_t remaining_ = 0;        // multibulk: arguments still to come
  std::size_t bulk_size_ = no_bulk;  // size from the `$` header just parsed, if any
  // Offsets rather than string_views: the read buffer may move (grow, compact) while a
  // request is incomplete; offsets from the request's start stay true.
  std::vector<resp::detail::slice> slices_;
  std::string unquoted_;  // the arguments of an inline line with quotes, unescaped
  std::string_view detail_;
  std::string detail_buf_;
};

}  // namespace coronet::resp
