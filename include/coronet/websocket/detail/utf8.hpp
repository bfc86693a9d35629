// An incremental UTF-8 validator (RFC 3629): fed a message piece by piece, it answers as
// soon as the bytes so far cannot begin valid UTF-8, and says at the end whether the
// last character was complete. Overlong forms, surrogates (U+D800-U+DFFF) and code
// points above U+10FFFF are invalid, as RFC 6455 section 8.1 requires.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace coronet::websocket::detail {

class utf8_validator {
 public:
  // Checks the next piece; false once the input is invalid (and from then on).
  bool feed(std::string_view bytes) noexcept {
    if (bad_) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p != end) {
      if (need_ == 0) {
        // ASCII runs, eight bytes at a time: the common case for chat text and JSON.
        while (end - p >= 8) {
          std::uint64_t word = 0;
          std::memcpy(&word, p, 8);
          if ((word & 0x8080808080808080ULL) != 0) break;
          p += 8;
        }
        if (p == end) break;
        const unsigned char c = *p++;
        if (c < 0x80) continue;
        if (c >= 0xC2 && c <= 0xDF) {
          start(1, 0x80, 0xBF);
        } else if (c == 0xE0) {
          start(2, 0xA0, 0xBF);  // no overlong three-byte forms
        } else if (c == 0xED) {
          start(2, 0x80, 0x9F);  // no surrogates
        } else if (c >= 0xE1 && c <= 0xEF) {
          start(2, 0x80, 0xBF);
        } else if (c == 0xF0) {
          start(3, 0x90, 0xBF);  // no overlong four-byte forms
        } else if (c >= 0xF1 && c <= 0xF3) {
          start(3, 0x80, 0xBF);
        } else if (c == 0xF4) {
          start(3, 0x80, 0x8F);  // nothing above U+10FFFF
        } else {
          return fail();  // 0x80-0xC1 (stray continuation, overlong two-byte), 0xF5-0xFF
        }
      } else {
        const unsigned char c = *p++;
        if (c < lo_ || c > hi_) return fail();
        --need_;
        lo_ = 0x80;
        hi_ = 0xBF;
      }
    }
    return true;
  }

  // Whether everything fed so far is valid and ends on a character boundary.
  bool complete() const noexcept { return !bad_ && need_ == 0; }
  bool failed() const noexcept { return bad_; }
  void reset() noexcept { *this = utf8_validator{}; }

 private:
  void start(unsigned need, unsigned char lo, unsigned char hi) noexcept {
    need_ = need;
    lo_ = lo;
    hi_ = hi;
  }
  bool fail() noexcept {
    bad_ = true;
    return false;
  }

  unsigned need_ = 0;        // continuation bytes still expected
  unsigned char lo_ = 0x80;  // the range the next continuation byte must fall in
  unsigned char hi_ = 0xBF;
  bool bad_ = false;
};

// Whether `text` is valid UTF-8 as a whole.
inline bool is_valid_utf8(std::string_view text) noexcept {
  utf8_validator v;
  return v.feed(text) && v.complete();
}

}  // namespace coronet::websocket::detail
