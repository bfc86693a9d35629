/// @file
/// @code{.unparsed}
/// The codec contract: how a byte stream becomes frames and frames become bytes.
///
/// A decoder looks at the bytes buffered so far, which always start at the beginning of
/// the next frame, and answers with one of three things:
///
///   decode_result<F>::ready(frame, consumed)  // a frame; `consumed` bytes belong to it
///   decode_result<F>::more(needed)            // not enough bytes yet (`needed`: total
///                                             // bytes the frame needs, if known, else 0)
///   decode_result<F>::fail(error)             // the input is bad; the stream is over
///
/// The frame may point into the input (a view): framed<> keeps those bytes alive until
/// its next read(). A decoder may keep state between calls (how far it already scanned),
/// as long as it resets it after each frame.
///
/// An encoder appends one frame to an output std::string. encode() is const and must
/// not touch mutable state: outboxes encode on the sending thread.
///
/// Optional members, found by framed<> when present:
///   decode_eof(input)      the stream ended with `input` left over (default: error
///                          coronet::errc::truncated_frame)
///   max_buffered()         the most bytes one frame can need; the read buffer never
///                          grows past it (default: framed_options::max_read_buffer)
///   encode_header(f, out) / encode_trailer(f, out) and a frame convertible to
///   std::string_view: lets large frames go out as a gathered write without copying the
///   payload.
///   release_memory()       called when framed<> is about to wait for input with nothing
///                          buffered (the last frame handed out is no longer in use):
///                          the decoder gives back memory it grew for earlier frames, so
///                          an idle connection does not hold it.
///
/// Limits are security settings: a decoder must reject a frame as soon as the buffered
/// bytes show it is over its limit, never after buffering more.
/// @endcode
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <system_error>

namespace coronet {

/// What a decoder answers; the names match decode_result's factories (and
/// http::parse_status, proxy_parse_status: ready, more, fail everywhere).
enum class decode_status {
  ready,  ///< a whole frame was decoded
  more,   ///< not enough bytes yet
  fail,   ///< the input is bad; the stream is over
};

/// A decoder's answer: a frame, a request for more bytes, or an error (see the file comment).
template <typename Frame>
struct decode_result {
  decode_status status = decode_status::more;  ///< which of the three answers this is
  Frame frame{};                               ///< ready: the decoded frame
  std::size_t consumed = 0;  ///< ready: bytes of input the frame used, framing included
  std::size_t needed = 0;    ///< more: total bytes the frame needs, 0 if unknown
  std::error_code error{};   ///< fail: why

  /// A frame, `f`, that used `consumed` bytes of input, framing included.
  static decode_result ready(Frame f, std::size_t consumed) {
    return {decode_status::ready, std::move(f), consumed, 0, {}};
  }
  /// Not enough bytes yet; `needed`: total bytes the frame needs, 0 if unknown.
  static decode_result more(std::size_t needed = 0) {
    return {decode_status::more, Frame{}, 0, needed, {}};
  }
  /// The input is bad, for reason `ec`; the stream is over.
  static decode_result fail(std::error_code ec) { return {decode_status::fail, Frame{}, 0, 0, ec}; }
};

/// A decoder: has a `frame_type` and a decode(input) that returns its decode_result.
template <typename C>
concept decoder = requires(C& c, std::span<const char> input) {
  typename C::frame_type;
  { c.decode(input) } -> std::same_as<decode_result<typename C::frame_type>>;
};

/// A codec that can append a `T` as one frame to an output std::string: encode(value, out).
template <typename C, typename T>
concept encoder_for = requires(const C& c, const T& value, std::string& out) {
  c.encode(value, out);
};

/// A codec decodes frames and encodes at least its own frame type.
template <typename C>
concept codec = decoder<C> && encoder_for<C, typename C::frame_type>;

namespace detail {

template <typename C>
concept has_decode_eof = requires(C& c, std::span<const char> input) {
  { c.decode_eof(input) } -> std::same_as<decode_result<typename C::frame_type>>;
};

template <typename C>
concept has_max_buffered = requires(const C& c) {
  { c.max_buffered() } -> std::convertible_to<std::size_t>;
};

template <typename C>
concept has_release_memory = requires(C& c) {
  c.release_memory();
};

template <typename C, typename T>
concept gather_encoder_for = std::convertible_to<const T&, std::string_view> &&
    requires(const C& c, const T& value, std::string& out) {
  c.encode_header(value, out);
  c.encode_trailer(value, out);
};

}  // namespace detail
}  // namespace coronet
