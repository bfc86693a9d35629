// The codec written from scratch in docs/framing.md ("5:hello,"), kept here verbatim so
// the documentation's example is compiled and tested.
#pragma once

#include <coronet/core/errc.hpp>
#include <coronet/framing/codec.hpp>

#include <charconv>
#include <span>
#include <string>
#include <string_view>

// [netstring]
class netstring_codec {
 public:
  using frame_type = std::string_view;

  explicit netstring_codec(std::size_t max_frame = 64 * 1024) : max_frame_(max_frame) {}

  coronet::decode_result<std::string_view> decode(std::span<const char> in) const {
    using result = coronet::decode_result<std::string_view>;
    // At most this many digits can announce a frame within the limit.
    const std::size_t max_digits = std::to_string(max_frame_).size();
    const std::size_t window = std::min(in.size(), max_digits + 1);
    const std::string_view head{in.data(), window};
    const auto colon = head.find(':');
    if (colon == std::string_view::npos) {
      // No ':' yet: fine while the digits could still be a valid length.
      return window > max_digits ? result::fail(coronet::errc::frame_too_large) : result::more();
    }
    std::size_t length = 0;
    auto [end, ec] = std::from_chars(in.data(), in.data() + colon, length);
    if (colon == 0 || ec != std::errc{} || end != in.data() + colon)
      return result::fail(coronet::errc::bad_message);
    if (length > max_frame_) return result::fail(coronet::errc::frame_too_large);
    const std::size_t total = colon + 1 + length + 1;  // digits ':' payload ','
    if (in.size() < total) return result::more(total);
    if (in[total - 1] != ',') return result::fail(coronet::errc::bad_message);
    return result::ready({in.data() + colon + 1, length}, total);
  }

  void encode(std::string_view payload, std::string& out) const {
    if (payload.size() > max_frame_) coronet::throw_error(coronet::errc::frame_too_large);
    out += std::to_string(payload.size());
    out += ':';
    out += payload;
    out += ',';
  }

  std::size_t max_buffered() const noexcept {
    return std::to_string(max_frame_).size() + 2 + max_frame_;
  }

 private:
  std::size_t max_frame_;
};

static_assert(coronet::codec<netstring_codec>);
// [netstring]
