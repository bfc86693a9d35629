// coronet::resp_codec: the Redis protocol (RESP2), server side. Decodes requests, both
// multibulk arrays (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what every client library and
// redis-cli send) and inline commands (`PING\r\n`, what telnet users and
// `redis-benchmark -t ping_inline` send); encodes every RESP2 reply type, and commands
// (arrays of bulk strings) for clients.
//
//   coronet::framed<coronet::resp_codec, coronet::connection> f{std::move(conn)};
//   while (auto req = co_await f.read()) {             // a coronet::resp::request
//     if (req->empty()) continue;                      // a blank line: no reply
//     if (coronet::resp::iequals((*req)[0], "PING")) f.write(coronet::resp::simple{"PONG"});
//     else f.write(coronet::resp::error{"ERR unknown command"});
//   }
//
// Why this lives in the library rather than beside the kv example: it is written only
// against the public coronet::codec concept (which it thereby proves sufficient for a
// real third-party protocol), it is one optional header that costs nothing unless
// included, and anyone can build a Redis-protocol server (or a client that sends
// commands) with it, which the redis-cli / redis-benchmark ecosystem makes useful well
// beyond the example. It is not part of the umbrella coronet.hpp.
//
// Frames: a resp::request is a view of the arguments, zero-copy into the read buffer and
// valid until the next read(), like every coronet frame. The argument table lives in
// the codec and is reused, so a steady stream of requests (up to 1024 arguments each;
// a larger table is given back after its request) allocates nothing. A request
// may be empty (a blank inline line, `*0` or `*-1`; Redis ignores those): skip it.
//
// Inline commands are split as Redis splits them (sdssplitargs): arguments are separated
// by whitespace, and "double quotes" (with \n \r \t \b \a \xHH and \<any> escapes) or
// 'single quotes' (only \' escaped) group an argument; an unterminated quote, or a closing
// quote not followed by whitespace, is `unbalanced quotes in request` (bad_message). A
// line without quotes is split in place (views into the read buffer); only a line with
// quotes is unescaped, into a buffer the codec owns (valid, like any frame, until the
// next decode). Multibulk input is stricter than Redis: the CRLF after each bulk payload
// is checked, not skipped.
//
// Security: the limits below bound what one peer can make the server buffer or
// allocate, and each is checked as soon as the bytes that break it arrive, never after
// buffering more: `$1000000000\r\n` fails on its own header, an inline line fails at
// max_inline bytes without a newline, a count over max_arguments fails on `*N\r\n`.
// Over a limit: coronet::errc::frame_too_large. Malformed input (a non-digit or
// negative length other than `*-1`, a missing CRLF, no `$` where a bulk string must
// start): coronet::errc::bad_message. Either way the stream is over; error_detail()
// names the problem in Redis's words, for a `-ERR Protocol error: ...` reply.
//
// Not here: decoding replies (a client's side of RESP) and RESP3.
#pragma once

#include "coronet/codec.hpp"
#include "coronet/errc.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coronet {

struct resp_options {
  // Largest bulk string (one argument) accepted. Redis allows 512 MiB
  // (proto-max-bulk-len), which lets every connection pin half a gigabyte before its
  // first command runs; 64 MiB still holds any sane value.
  std::size_t max_bulk = 64 * 1024 * 1024;
  // Most arguments in one multibulk request; Redis's historical limit. The argument
  // table grows with the arguments actually received, not with the announced count,
  // so `*1048576\r\n` alone costs nothing.
  std::size_t max_arguments = 1024 * 1024;
  // Longest inline command line, CRLF not counted: Redis's PROTO_INLINE_MAX_SIZE.
  std::size_t max_inline = 64 * 1024;
  // Largest whole request. A request is a view into the read buffer, so all of it must
  // fit there: this is the read buffer's ceiling (max_buffered()). Twice max_bulk, the
  // ratio of Redis's client-query-buffer-limit to its proto-max-bulk-len, so `SET k
  // <max_bulk bytes>` fits with room to spare.
  std::size_t max_request = 128 * 1024 * 1024;
};

namespace resp {

// ASCII case-insensitive comparison, for command names and options: no allocation,
// unlike lower-casing a copy.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    const auto lower = x | 0x20;  // only letters differ in bit 5 alone between cases
    if (lower != (y | 0x20) || lower < 'a' || lower > 'z') return false;
  }
  return true;
}

namespace detail {
struct slice {
  std::size_t offset;  // from the start of the request's bytes
  std::size_t size;
};
}  // namespace detail

// The arguments of one decoded request, as string_views into the read buffer. Valid
// until the next read() of the framed<> (or decode() of the codec) that produced it.
class request {
 public:
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using iterator_concept = std::random_access_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using reference = std::string_view;
    using pointer = void;

    iterator() = default;
    iterator(const char* base, const detail::slice* at) noexcept : base_(base), at_(at) {}

    std::string_view operator*() const noexcept { return {base_ + at_->offset, at_->size}; }
    std::string_view operator[](difference_type n) const noexcept { return *(*this + n); }
    iterator& operator++() noexcept { return ++at_, *this; }
    iterator operator++(int) noexcept { return {base_, at_++}; }
    iterator& operator--() noexcept { return --at_, *this; }
    iterator operator--(int) noexcept { return {base_, at_--}; }
    iterator& operator+=(difference_type n) noexcept { return at_ += n, *this; }
    iterator& operator-=(difference_type n) noexcept { return at_ -= n, *this; }
    friend iterator operator+(iterator i, difference_type n) noexcept { return i += n; }
    friend iterator operator+(difference_type n, iterator i) noexcept { return i += n; }
    friend iterator operator-(iterator i, difference_type n) noexcept { return i -= n; }
    friend difference_type operator-(iterator a, iterator b) noexcept { return a.at_ - b.at_; }
    friend bool operator==(iterator a, iterator b) noexcept { return a.at_ == b.at_; }
    friend auto operator<=>(iterator a, iterator b) noexcept { return a.at_ <=> b.at_; }

   private:
    const char* base_ = nullptr;
    const detail::slice* at_ = nullptr;
  };

  request() = default;
  request(const char* base, std::span<const detail::slice> args) noexcept
      : base_(base), args_(args) {}

  std::size_t size() const noexcept { return args_.size(); }
  bool empty() const noexcept { return args_.empty(); }
  std::string_view operator[](std::size_t i) const noexcept {
    return {base_ + args_[i].offset, args_[i].size};
  }
  // The command name as sent (compare it with resp::iequals).
  std::string_view name() const noexcept { return empty() ? std::string_view{} : (*this)[0]; }
  iterator begin() const noexcept { return {base_, args_.data()}; }
  iterator end() const noexcept { return {base_, args_.data() + args_.size()}; }

 private:
  const char* base_ = nullptr;
  std::span<const detail::slice> args_;
};

// ---- replies and commands to encode (framed::write(resp::integer{3}) and so on) ----

// `+OK\r\n`. The text must not hold CR or LF (encode throws errc::invalid_frame).
struct simple {
  std::string_view text;
};
// `-ERR message\r\n`: the text starts with the error code. No CR or LF.
struct error {
  std::string_view text;
};
// `:42\r\n`
struct integer {
  std::int64_t value;
};
// `$5\r\nhello\r\n`; binary-safe. A plain std::string_view encodes the same way.
// Large bulk strings go out by send() without a copy (a gathered write).
struct bulk {
  std::string_view data;
  operator std::string_view() const noexcept { return data; }  // NOLINT: for gathered writes
};
// `$-1\r\n`, the null bulk string (GET of a missing key).
struct null_bulk {};
inline constexpr null_bulk null{};
// `*-1\r\n`, the null array.
struct null_array {};
// `*3\r\n`: the start of an array whose `count` elements are written next, one by one
// (nest arrays by writing an element that is itself an array).
struct array_header {
  std::size_t count;
};
// A whole array from a forward range of anything encodable (string_view, integer,
// std::optional<std::string_view> for bulk-or-null, another array, ...). Takes an
// lvalue range by reference (no copy): encode it before the range changes.
template <std::ranges::forward_range R>
struct array {
  R items;
};
template <typename R>
array(R&&) -> array<std::views::all_t<R>>;
// A command as clients send it: an array of bulk strings. Holds views: encode it before
// the arguments go away (f.write(resp::command{"SET", "k", "v"}) is fine).
struct command {
  command(std::initializer_list<std::string_view> a) noexcept : args(a.begin(), a.size()) {}
  explicit command(std::span<const std::string_view> a) noexcept : args(a) {}
  std::span<const std::string_view> args;
};

}  // namespace resp

class resp_codec {
 public:
  using frame_type = resp::request;

  resp_codec() { slices_.reserve(initial_slices); }
  explicit resp_codec(resp_options options) : options_(options) { slices_.reserve(initial_slices); }

  // ---- decoding ----------------------------------------------------------------

  // Keeps its progress (arguments already found, position) between need_more answers,
  // so a request arriving in many pieces is scanned once, not once per piece.
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

  // Why the last decode failed, in Redis's words: reply `-ERR Protocol error: <this>`.
  std::string_view error_detail() const noexcept { return detail_; }

  // The read buffer never needs more than one whole request.
  std::size_t max_buffered() const noexcept {
    return std::max(options_.max_request, options_.max_inline + 2);
  }
  const resp_options& options() const noexcept { return options_; }

  // ---- encoding ----------------------------------------------------------------
  // Each appends one RESP value. Throws std::system_error(errc::invalid_frame) for a
  // simple string or error holding CR or LF (it would end the reply early).

  void encode(const resp::simple& s, std::string& out) const { line('+', s.text, out); }
  void encode(const resp::error& e, std::string& out) const { line('-', e.text, out); }
  void encode(const resp::integer& i, std::string& out) const { number(':', i.value, out); }
  void encode(const resp::bulk& b, std::string& out) const { encode(b.data, out); }
  void encode(std::string_view b, std::string& out) const {
    number('$', static_cast<std::int64_t>(b.size()), out);
    out.append(b);
    out.append("\r\n", 2);
  }
  void encode(resp::null_bulk, std::string& out) const { out.append("$-1\r\n", 5); }
  void encode(resp::null_array, std::string& out) const { out.append("*-1\r\n", 5); }
  void encode(const resp::array_header& h, std::string& out) const {
    number('*', static_cast<std::int64_t>(h.count), out);
  }
  template <typename T>
  requires encoder_for<resp_codec, T>
  void encode(const std::optional<T>& v, std::string& out) const {
    if (v)
      encode(*v, out);
    else
      encode(resp::null, out);
  }
  template <typename R>
  requires encoder_for<resp_codec, std::ranges::range_value_t<const R>>
  void encode(const resp::array<R>& a, std::string& out) const {
    number('*', static_cast<std::int64_t>(std::ranges::distance(a.items)), out);
    for (const auto& item : a.items)
      encode(item, out);
  }
  void encode(const resp::command& c, std::string& out) const {
    number('*', static_cast<std::int64_t>(c.args.size()), out);
    for (auto arg : c.args)
      encode(arg, out);
  }
  // A decoded request re-encoded as a command (a proxy forwarding it).
  void encode(const resp::request& r, std::string& out) const {
    number('*', static_cast<std::int64_t>(r.size()), out);
    for (auto arg : r)
      encode(arg, out);
  }

  // Gathered writes of large bulk strings (see codec.hpp).
  void encode_header(const resp::bulk& b, std::string& out) const {
    number('$', static_cast<std::int64_t>(b.data.size()), out);
  }
  void encode_trailer(const resp::bulk& /*b*/, std::string& out) const { out.append("\r\n", 2); }

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
      while (i < len && is_space(in[i]))
        ++i;
      const std::size_t start = i;
      while (i < len && !ends_argument(in[i]))
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
      while (i < line.size() && is_space(line[i]))
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
          if (ends_argument(c)) break;
          if (c == '"' || c == '\'') {
            quote = c;
          } else {
            unquoted_.push_back(c);
          }
          continue;
        }
        if (c == quote) {  // a closing quote ends the argument, and must end a word
          if (i + 1 < line.size() && !is_space(line[i + 1])) return unbalanced();
          ++i;
          break;
        }
        if (c == '\\' && i + 1 < line.size()) {
          if (quote == '\'') {
            if (line[i + 1] == '\'') ++i;  // only \' is an escape in single quotes
            unquoted_.push_back(line[i]);
            continue;
          }
          if (line[i + 1] == 'x' && i + 3 < line.size() && is_hex(line[i + 2]) &&
              is_hex(line[i + 3])) {
            unquoted_.push_back(
                static_cast<char>(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3])));
            i += 3;
            continue;
          }
          unquoted_.push_back(unescape(line[++i]));
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

  // Redis's inline splitting: whitespace in the C locale's isspace() sense separates
  // arguments, but only space, tab, CR and LF end an unquoted one (so `a\vb` is one
  // argument and `\va` is `a`), exactly as sdssplitargs behaves.
  static bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  }
  static bool ends_argument(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }
  static bool is_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
  }
  static int hex_value(char c) noexcept { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }
  // The character after a backslash inside double quotes.
  static char unescape(char c) noexcept {
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

  static void line(char prefix, std::string_view text, std::string& out) {
    if (text.find_first_of("\r\n") != std::string_view::npos)
      throw_error(errc::invalid_frame, "resp_codec::encode: CR or LF in a simple string");
    out.push_back(prefix);
    out.append(text);
    out.append("\r\n", 2);
  }

  static void number(char prefix, std::int64_t v, std::string& out) {
    char buf[24];
    buf[0] = prefix;
    const auto [p, ec] = std::to_chars(buf + 1, buf + sizeof buf - 2, v);
    p[0] = '\r';
    p[1] = '\n';
    out.append(buf, static_cast<std::size_t>(p + 2 - buf));
  }

  resp_options options_{};
  // Parse progress of the current request, kept across need_more answers.
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

}  // namespace coronet
