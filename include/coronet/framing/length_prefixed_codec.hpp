/// @file
/// @code{.unparsed}
/// coronet::length_prefixed_codec: each frame is a fixed-size length header followed by
/// that many payload bytes (the framing of most binary protocols).
///
///   coronet::length_prefixed_codec codec{{.header_bytes = 2, .max_frame = 4096}};
///   using frames = coronet::framed<coronet::length_prefixed_codec, coronet::connection>;
///   frames f{std::move(conn), codec};
///
/// Frames are std::string_view payloads into the read buffer. A zero-length frame is
/// valid.
///
/// Security: the length is checked against `max_frame` as soon as the header arrives,
/// before any payload is buffered or allocated; a peer announcing 2^63 bytes costs the
/// server nothing but the error coronet::errc::frame_too_large. EOF inside a frame is
/// coronet::errc::truncated_frame.
/// @endcode
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/framing/codec.hpp"

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet {

/// The byte order of a length header: big-endian (network order) or little-endian.
enum class byte_order {
  big,     ///< most significant byte first (network order)
  little,  ///< least significant byte first
};

/// The length header's size, byte order and meaning, and the largest payload accepted.
struct length_prefixed_options {
  std::size_t header_bytes = 4;                               ///< 1, 2, 4 or 8
  coronet::byte_order byte_order = coronet::byte_order::big;  ///< big: network order
  std::size_t max_frame = std::size_t{16} << 20;              ///< largest payload accepted
  bool length_includes_header = false;  ///< the length counts its own header too
};

/// Frames of a fixed-size length header followed by that many payload bytes (see the file
/// comment).
class length_prefixed_codec {
 public:
  using frame_type = std::string_view;  ///< a payload, a view into the read buffer

  /// A codec with the default options: a 4-byte big-endian header, up to 16 MiB.
  length_prefixed_codec() = default;
  /// A codec with these options. Throws std::invalid_argument unless header_bytes is 1, 2,
  /// 4 or 8.
  explicit length_prefixed_codec(length_prefixed_options options) : options_(options) {
    const auto h = options_.header_bytes;
    if (h != 1 && h != 2 && h != 4 && h != 8)
      throw std::invalid_argument("length_prefixed_codec: header_bytes must be 1, 2, 4 or 8");
  }

  /// The next payload; errc::frame_too_large as soon as a header announces more than
  /// max_frame, errc::bad_message for a length that does not cover its own header.
  decode_result<std::string_view> decode(std::span<const char> in) const noexcept {
    const std::size_t h = options_.header_bytes;
    if (in.size() < h) return decode_result<std::string_view>::more(h);
    std::uint64_t length = read_length(in.data());
    if (options_.length_includes_header) {
      if (length < h) return decode_result<std::string_view>::fail(errc::bad_message);
      length -= h;
    }
    if (length > options_.max_frame)
      return decode_result<std::string_view>::fail(errc::frame_too_large);
    const std::size_t total = h + static_cast<std::size_t>(length);
    if (in.size() < total) return decode_result<std::string_view>::more(total);
    return decode_result<std::string_view>::ready({in.data() + h, static_cast<std::size_t>(length)},
                                                  total);
  }

  /// Appends header and payload. Throws std::system_error(errc::frame_too_large) if the
  /// length does not fit the header (over 255 bytes with a 1-byte header, say).
  void encode(std::string_view payload, std::string& out) const {
    encode_header(payload, out);
    out.append(payload);
  }
  /// For a gathered write: appends the header only; throws as encode() does.
  void encode_header(std::string_view payload, std::string& out) const {
    std::uint64_t length = payload.size();
    if (options_.length_includes_header) length += options_.header_bytes;
    if (length > max_encodable() || length < payload.size())
      throw_error(errc::frame_too_large, "length_prefixed_codec::encode");
    char header[8];
    const std::size_t h = options_.header_bytes;
    for (std::size_t i = 0; i < h; ++i) {
      const std::size_t shift = options_.byte_order == byte_order::big ? (h - 1 - i) * 8 : i * 8;
      header[i] = static_cast<char>((length >> shift) & 0xff);
    }
    out.append(header, h);
  }
  /// For a gathered write: appends nothing (the format has no trailer).
  void encode_trailer(std::string_view /*payload*/, std::string& /*out*/) const noexcept {}

  /// The most bytes one frame needs buffered: the header and max_frame.
  std::size_t max_buffered() const noexcept { return options_.header_bytes + options_.max_frame; }
  /// The longest payload this codec accepts from a peer.
  std::size_t max_frame() const noexcept { return options_.max_frame; }
  /// The options it was made with.
  const length_prefixed_options& options() const noexcept { return options_; }

 private:
  std::uint64_t read_length(const char* p) const noexcept {
    std::uint64_t v = 0;
    const std::size_t h = options_.header_bytes;
    for (std::size_t i = 0; i < h; ++i) {
      const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(p[i]));
      const std::size_t shift = options_.byte_order == byte_order::big ? (h - 1 - i) * 8 : i * 8;
      v |= byte << shift;
    }
    return v;
  }

  std::uint64_t max_encodable() const noexcept {
    return options_.header_bytes >= 8 ? ~std::uint64_t{0}
                                      : (std::uint64_t{1} << (options_.header_bytes * 8)) - 1;
  }

  length_prefixed_options options_{};
};

}  // namespace coronet
