// libFuzzer target: length_prefixed_codec decoding in arbitrary chunkings, options
// taken from the first input byte.
#include "fuzz_common.hpp"

#include <coronet/framing/length_prefixed_codec.hpp>

using namespace coronet;
using coronet::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  length_prefixed_options o;
  constexpr std::size_t header_sizes[] = {1, 2, 4, 8};
  o.header_bytes = header_sizes[data[0] & 3u];
  o.byte_order = (data[0] & 4u) != 0 ? byte_order::little : byte_order::big;
  o.length_includes_header = (data[0] & 8u) != 0;
  // Small limits (0..1023) so that oversized frames are common; plus the default.
  o.max_frame =
      (data[0] & 0xf0u) == 0xf0u ? o.max_frame : static_cast<std::size_t>(data[0] >> 4u) * 64u + 3u;
  auto in = fuzz::split_input(data, size, 1);

  auto owned = [](std::string_view f) { return std::string{f}; };
  auto on_frame = [&](std::string_view f, std::size_t consumed) {
    check(f.size() <= o.max_frame, "frame over max_frame");
    check(consumed == f.size() + o.header_bytes, "consumed is not header + payload");
    length_prefixed_codec codec{o};
    std::string wire;
    codec.encode(f, wire);
    auto r = codec.decode(std::span<const char>{wire.data(), wire.size()});
    check(r.status == decode_status::ready && r.frame == f && r.consumed == wire.size(),
          "re-encoded frame does not decode to itself");
  };
  auto chunked =
      fuzz::decode_stream(length_prefixed_codec{o}, in.stream, in.chunks, owned, on_frame);
  auto whole = fuzz::decode_stream(length_prefixed_codec{o}, in.stream, {0}, owned, on_frame);
  check(chunked.frames == whole.frames, "frames depend on how the bytes were split");
  check(chunked.error == whole.error, "error depends on how the bytes were split");
  return 0;
}
