/// @file
/// @code{.unparsed}
/// coronet::line_codec: newline-delimited text frames.
///
///   coronet::framed<coronet::line_codec, coronet::connection> lines{std::move(conn)};
///   while (auto line = co_await lines.read()) lines.write(*line);   // a line echo
///
/// Frames are std::string_view into the read buffer, without the delimiter (and without
/// a trailing CR unless strip_cr is off). An empty line is a frame.
///
/// Security: `max_length` bounds what one peer can make the server buffer. A line longer
/// than that fails with coronet::errc::frame_too_large as soon as max_length bytes have
/// arrived without a delimiter; nothing more is buffered for it. Bytes left at EOF
/// without a delimiter fail with coronet::errc::truncated_frame unless
/// `final_line_without_delimiter` hands them over as a last frame.
///
/// The limit is on input only. What the program itself writes is not bounded by it: a
/// server's answer (a member list, an escaped message) may legitimately be longer than
/// anything it accepts, and a peer's limit is the peer's to choose, as with tokio's
/// LinesCodec and Netty's LineBasedFrameDecoder. A protocol that must keep its output
/// within a peer's limit checks that where it builds the output (rpc::router does).
/// @endcode
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/framing/codec.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace coronet {

/// Limits and delimiter of a line_codec; the default: LF-terminated lines up to 64 KiB.
struct line_codec_options {
  std::size_t max_length =
      std::size_t{64} * 1024;  ///< longest line read, delimiter and CR not counted
  char delimiter = '\n';       ///< the byte that ends a line; LF by default
  bool strip_cr = true;        ///< a line that ends in CR LF loses its CR
  /// Deliver bytes left at EOF without a delimiter as a last line (what tokio's
  /// LinesCodec and Node's readline do), instead of errc::truncated_frame. Off by
  /// default: a server cannot tell "the peer ended its last line with EOF" from "the
  /// peer died mid-line", and acting on half a command is the worse mistake. Turn it on
  /// where a final unterminated line is normal (interactive text, `printf '...' | nc`);
  /// rpc::router's default framing does.
  bool final_line_without_delimiter = false;
};

/// Newline-delimited text frames (see the file comment).
class line_codec {
 public:
  using frame_type = std::string_view;  ///< a line, a view into the read buffer

  /// A codec with the default options.
  line_codec() = default;
  /// A codec with these options.
  explicit line_codec(line_codec_options options) : options_(options) {}

  /// The next line, without its delimiter (and CR, with strip_cr); errc::frame_too_large
  /// once max_length bytes have arrived without a delimiter.
  decode_result<std::string_view> decode(std::span<const char> in) noexcept {
    // A valid line ends with its delimiter within max_length (+1 for a '\r') bytes, so
    // the search never needs to look further than that.
    const std::size_t window = std::min(in.size(), options_.max_length + 1 + cr_allowance());
    if (scanned_ > window) scanned_ = 0;  // input shrank: a new stream of bytes
    const void* hit = window > scanned_
                          ? std::memchr(in.data() + scanned_, options_.delimiter, window - scanned_)
                          : nullptr;
    if (hit != nullptr) {
      scanned_ = 0;
      const auto end = static_cast<std::size_t>(static_cast<const char*>(hit) - in.data());
      std::size_t len = end;
      if (options_.strip_cr && len > 0 && in[len - 1] == '\r') --len;
      if (len > options_.max_length)
        return decode_result<std::string_view>::fail(errc::frame_too_large);
      return decode_result<std::string_view>::ready({in.data(), len}, end + 1);
    }
    scanned_ = window;
    if (over_limit(in)) {
      scanned_ = 0;
      return decode_result<std::string_view>::fail(errc::frame_too_large);
    }
    return decode_result<std::string_view>::more();
  }

  /// Bytes left at EOF without a delimiter: errc::truncated_frame, or a last line with
  /// final_line_without_delimiter.
  decode_result<std::string_view> decode_eof(std::span<const char> in) noexcept {
    scanned_ = 0;
    if (!options_.final_line_without_delimiter)
      return decode_result<std::string_view>::fail(errc::truncated_frame);
    std::size_t len = in.size();
    if (options_.strip_cr && len > 0 && in[len - 1] == '\r') --len;
    if (len > options_.max_length)
      return decode_result<std::string_view>::fail(errc::frame_too_large);
    return decode_result<std::string_view>::ready({in.data(), len}, in.size());
  }

  /// Appends `line` and the delimiter, whatever its length (max_length limits input
  /// only). Throws std::system_error(errc::invalid_frame) if the line holds the
  /// delimiter: it would arrive as two lines.
  void encode(std::string_view line, std::string& out) const {
    encode_header(line, out);
    out.append(line);
    out.push_back(options_.delimiter);
  }
  /// For a gathered write: appends nothing, but throws as encode() does if `line` holds
  /// the delimiter.
  void encode_header(std::string_view line, std::string& /*out*/) const {
    if (std::memchr(line.data(), options_.delimiter, line.size()) != nullptr)
      throw_error(errc::invalid_frame, "line_codec::encode: line contains the delimiter");
  }
  /// For a gathered write: appends the delimiter.
  void encode_trailer(std::string_view /*line*/, std::string& out) const {
    out.push_back(options_.delimiter);
  }

  /// The most bytes one line needs buffered: max_length, the delimiter and a CR.
  std::size_t max_buffered() const noexcept { return options_.max_length + 1 + cr_allowance(); }
  /// The longest frame this codec accepts from a peer.
  std::size_t max_frame() const noexcept { return options_.max_length; }
  /// The options it was made with.
  const line_codec_options& options() const noexcept { return options_; }

 private:
  std::size_t cr_allowance() const noexcept { return options_.strip_cr ? 1 : 0; }

  /// No delimiter in the window: is the line already too long?
  bool over_limit(std::span<const char> in) const noexcept {
    if (in.size() > options_.max_length + cr_allowance()) return true;
    // Exactly max_length + 1 bytes: still fine only if the last one is the '\r' of a
    // "\r\n" whose '\n' has not arrived yet.
    if (in.size() == options_.max_length + 1) return !(options_.strip_cr && in.back() == '\r');
    return false;
  }

  line_codec_options options_{};
  std::size_t scanned_ = 0;  ///< bytes of the current frame already known to hold no delimiter
};

}  // namespace coronet
