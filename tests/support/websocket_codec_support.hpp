// What the WebSocket codec tests share (tests/websocket/test_websocket_codec.cpp and
// test_websocket_encoding.cpp): frames built as a peer would send them, a server-side
// codec run over a byte stream, and RFC 6455's sample masking key.
#pragma once

#include <coronet/websocket.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::test::websocket_codec_support {

using namespace coronet::websocket;
using coronet::decode_status;

// RFC 6455 section 5.7's masking key.
inline constexpr std::array<unsigned char, 4> rfc_key{0x37, 0xfa, 0x21, 0x3d};

inline std::string bytes(std::initializer_list<unsigned> values) {
  std::string s;
  for (auto v : values)
    s += static_cast<char>(v);
  return s;
}

// One frame as a peer would send it. `length_form`: 0 the shortest, else 7, 16 or 64.
inline std::string make_frame(unsigned first, std::string_view payload,
                              std::optional<std::array<unsigned char, 4>> key = rfc_key,
                              int length_form = 0) {
  std::string out;
  out += static_cast<char>(first);
  const unsigned mask_bit = key ? 0x80 : 0;
  const std::uint64_t n = payload.size();
  const int form = length_form != 0 ? length_form : n < 126 ? 7 : n <= 0xFFFF ? 16 : 64;
  if (form == 7) {
    out += static_cast<char>(mask_bit | n);
  } else if (form == 16) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int s = 56; s >= 0; s -= 8)
      out += static_cast<char>((n >> s) & 0xFF);
  }
  if (key) {
    for (auto b : *key)
      out += static_cast<char>(b);
    for (std::size_t i = 0; i < payload.size(); ++i)
      out += static_cast<char>(payload[i] ^ static_cast<char>((*key)[i % 4]));
  } else {
    out.append(payload);
  }
  return out;
}

inline std::string close_payload(unsigned code, std::string_view reason = {}) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xFF);
  p.append(reason);
  return p;
}

struct event {
  opcode op;
  std::string payload;
  std::uint16_t code;
  bool operator==(const event&) const = default;
};

struct outcome {
  std::vector<event> events;
  std::error_code error;
  bool operator==(const outcome&) const = default;
};

// Feeds `stream` to a fresh codec the way framed<> does: a growing buffer, cut at
// `cuts` (increasing offsets), decoded after every piece, consumed bytes erased. Checks
// the codec contract on every answer.
inline outcome run(const codec_options& options, std::string_view stream,
                   const std::vector<std::size_t>& cuts = {}) {
  coronet::websocket::codec c{options};
  outcome out;
  std::string buf;
  std::size_t at = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(stream.size());
  for (const std::size_t end : ends) {
    if (end < at) continue;
    buf.append(stream.substr(at, end - at));
    at = end;
    for (;;) {
      if (buf.empty()) break;
      auto r = c.decode(std::span<const char>{buf.data(), buf.size()});
      if (r.status == decode_status::fail) {
        REQUIRE(r.error);
        out.error = r.error;
        return out;
      }
      if (r.status == decode_status::more) {
        REQUIRE((r.needed == 0 || r.needed > buf.size()));
        REQUIRE(buf.size() < c.max_buffered());
        break;
      }
      REQUIRE(r.consumed > 0);
      REQUIRE(r.consumed <= buf.size());
      out.events.push_back({r.frame.op, std::string{r.frame.payload}, r.frame.code});
      buf.erase(0, r.consumed);
    }
  }
  return out;
}

inline outcome run_server(std::string_view stream, std::size_t max_message = std::size_t{1} << 20) {
  codec_options o;
  o.max_message = max_message;
  return run(o, stream);
}

// The same answer whole, split at every byte position, and one byte at a time.
inline void check_every_split(const codec_options& options, std::string_view stream) {
  const auto whole = run(options, stream);
  // Every position of the headers and the first and last bytes; through a long payload,
  // every 97th (quadratic otherwise, and the payload's bytes are all alike).
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    if (stream.size() > 1024 && i > 64 && i + 64 < stream.size() && i % 97 != 0) continue;
    const auto split = run(options, stream, {i});
    CHECK_MESSAGE(split == whole, "split at " << i);
  }
  std::vector<std::size_t> each;
  for (std::size_t i = 1; i < stream.size(); ++i)
    each.push_back(i);
  CHECK(run(options, stream, each) == whole);
}

inline std::error_code code(close_code c) {
  return make_error_code(c);
}

inline std::string hex(const std::array<std::uint8_t, 20>& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (auto b : d) {
    s += digits[b >> 4];
    s += digits[b & 0xF];
  }
  return s;
}

}  // namespace coronet::test::websocket_codec_support
