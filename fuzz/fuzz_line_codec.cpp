// libFuzzer target: line_codec decoding in arbitrary chunkings.
#include "fuzz_common.hpp"

#include <coronet/framing/line_codec.hpp>

using namespace coronet;
using coronet::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Byte 0 picks the options: small limits so that the fuzzer reaches them.
  line_codec_options o;
  o.max_length = (data[0] & 0x3f) + 1u;
  o.delimiter = (data[0] & 0x40) != 0 ? '\n' : ';';
  o.strip_cr = (data[0] & 0x80) != 0;
  auto in = fuzz::split_input(data, size, 1);

  auto owned = [](std::string_view f) { return std::string{f}; };
  auto on_frame = [&](std::string_view f, std::size_t consumed) {
    check(f.size() <= o.max_length, "line longer than max_length");
    check(f.find(o.delimiter) == std::string_view::npos, "line holds the delimiter");
    check(consumed >= f.size() + 1, "consumed less than the line and its delimiter");
    // Re-encoding gives bytes that decode to the same line; except, with strip_cr, a
    // line that itself ends in '\r' ("a\r\r\n"): encode() adds no '\r' of its own, so
    // the decoder strips that one. A documented property of strip_cr, not a bug.
    if (o.strip_cr && !f.empty() && f.back() == '\r') return;
    line_codec codec{o};
    std::string wire;
    codec.encode(f, wire);
    auto r = codec.decode(std::span<const char>{wire.data(), wire.size()});
    check(r.status == decode_status::ready && r.frame == f && r.consumed == wire.size(),
          "re-encoded line does not decode to itself");
  };
  auto chunked = fuzz::decode_stream(line_codec{o}, in.stream, in.chunks, owned, on_frame);
  auto whole = fuzz::decode_stream(line_codec{o}, in.stream, {0}, owned, on_frame);
  check(chunked.frames == whole.frames, "frames depend on how the bytes were split");
  check(chunked.error == whole.error, "error depends on how the bytes were split");
  return 0;
}
