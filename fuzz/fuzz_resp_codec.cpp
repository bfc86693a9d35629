// libFuzzer target: resp_codec request decoding (multibulk and inline) in arbitrary
// chunkings, with small limits taken from the first input byte.
#include "fuzz_common.hpp"

#include <coronet/resp/resp_codec.hpp>

using namespace coronet;
using coronet::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  resp_options o;
  if ((data[0] & 0x80u) == 0) {  // small limits; otherwise the defaults
    o.max_bulk = (data[0] & 0x0fu) * 8u + 1u;
    o.max_arguments = ((data[0] >> 4) & 0x7u) + 1u;
    o.max_inline = (data[0] & 0x0fu) * 4u + 2u;
    o.max_request = o.max_bulk * 4u + 64u;
  }
  auto in = fuzz::split_input(data, size, 1);

  using args = std::vector<std::string>;
  auto owned = [](const resp::request& r) {
    args a;
    for (auto s : r)
      a.emplace_back(s);
    return a;
  };
  auto on_frame = [&](const resp::request& r, std::size_t consumed) {
    check(r.size() <= o.max_arguments, "more arguments than max_arguments");
    std::size_t total = 0;
    for (auto s : r) {
      // Multibulk arguments are bounded by max_bulk, inline ones by max_inline.
      check(s.size() <= std::max(o.max_bulk, o.max_inline) && s.size() <= consumed,
            "argument over its limits");
      total += s.size();
    }
    check(total <= consumed, "arguments larger than the bytes consumed");
    // A request re-encoded as a command decodes to the same arguments. Inline
    // arguments never hold blanks or newlines and multibulk ones are binary-safe, so
    // this holds for both forms.
    if (r.empty()) return;
    resp_codec codec{o};
    std::string wire;
    codec.encode(r, wire);
    // Framing overhead may push it over max_request, and an inline argument may be
    // longer than max_bulk: then the multibulk form is rightly refused.
    if (wire.size() > o.max_request) return;
    for (auto arg : r)
      if (arg.size() > o.max_bulk) return;
    auto again = codec.decode(std::span<const char>{wire.data(), wire.size()});
    check(again.status == decode_status::ready && again.consumed == wire.size(),
          "re-encoded request does not decode");
    check(owned(again.frame) == owned(r), "re-encoded request decodes differently");
  };
  auto chunked = fuzz::decode_stream(resp_codec{o}, in.stream, in.chunks, owned, on_frame);
  auto whole = fuzz::decode_stream(resp_codec{o}, in.stream, {0}, owned, on_frame);
  check(chunked.frames == whole.frames, "requests depend on how the bytes were split");
  check(chunked.error == whole.error, "error depends on how the bytes were split");
  return 0;
}
