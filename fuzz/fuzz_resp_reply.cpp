// libFuzzer target: resp::reply_decoder (the client side of RESP2) in arbitrary
// chunkings, with small limits taken from the first input byte. Checks the codec
// contract (fuzz_common.hpp), that every reply respects the limits, that the replies
// do not depend on how the bytes were split, and that a reply re-encoded by
// resp_client_codec decodes to the same value.
#include "fuzz_common.hpp"

#include <coronet/resp/resp_client_codec.hpp>

using namespace coronet;
using coronet::fuzz::check;

namespace {

// Depth of arrays in `v` (0 for a leaf or an empty array), and every limit but max_reply checked on
// the way down.
std::size_t depth_checked(const resp::value& v, const resp::reply_limits& l) {
  if (v.is_string() || v.is_error()) check(v.text.size() <= l.max_bulk, "string over max_bulk");
  if (!v.is_array()) {
    check(v.elements.empty() && (v.kind == resp::kind::integer || v.integer == 0),
          "a leaf with array elements or a stray integer");
    return 0;
  }
  check(v.elements.size() <= l.max_elements, "array over max_elements");
  // An empty array opens nothing, so like a leaf it may sit one level below max_depth.
  if (v.elements.empty()) return 0;
  std::size_t deepest = 0;
  for (const auto& e : v.elements)
    deepest = std::max(deepest, depth_checked(e, l));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  resp::reply_limits l;
  if ((data[0] & 0x80u) == 0) {  // small limits; otherwise the defaults
    l.max_bulk = (data[0] & 0x0fu) * 8u;
    l.max_elements = ((data[0] >> 4) & 0x7u) + 1u;
    l.max_depth = (data[0] & 0x3u) + 1u;
    l.max_reply = l.max_bulk * 4u + 64u;
  }
  auto in = fuzz::split_input(data, size, 1);

  auto owned = [](const resp::value& v) { return v; };
  auto on_frame = [&](const resp::value& v, std::size_t consumed) {
    check(consumed <= l.max_reply, "a reply over max_reply");
    check(depth_checked(v, l) <= l.max_depth, "arrays nested deeper than max_depth");
    resp_client_codec codec{l};
    std::string wire;
    codec.encode(v, wire);  // never throws: decoded lines hold no CR or LF
    // The null array comes back as the null bulk string (both kind::null), so the
    // re-encoding may be shorter than the input, never longer.
    check(wire.size() <= consumed, "re-encoded reply longer than the input");
    auto again = codec.decode(std::span<const char>{wire.data(), wire.size()});
    check(again.status == decode_status::ready && again.consumed == wire.size(),
          "re-encoded reply does not decode");
    check(again.frame == v, "re-encoded reply decodes differently");
  };
  auto chunked = fuzz::decode_stream(resp::reply_decoder{l}, in.stream, in.chunks, owned, on_frame);
  auto whole = fuzz::decode_stream(resp::reply_decoder{l}, in.stream, {0}, owned, on_frame);
  check(chunked.frames == whole.frames, "replies depend on how the bytes were split");
  check(chunked.error == whole.error, "error depends on how the bytes were split");
  return 0;
}
