// libFuzzer target: the JSON channel's receive path: line framing in arbitrary
// chunkings, then parse_message() on every line, as json_channel<>::read() does.
#include "fuzz_common.hpp"

#include <coronet/framing/line_codec.hpp>
#include <coronet/json/json_channel.hpp>

using namespace coronet;
using coronet::fuzz::check;

namespace {

std::size_t depth_of(const nlohmann::json& v) {
  if (!v.is_structured()) return 0;
  std::size_t d = 0;
  for (const auto& item : v)
    d = std::max(d, depth_of(item));
  return d + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_depth = (data[0] & 0x1fu) + 1u;
  auto in = fuzz::split_input(data, size, 1);

  auto owned = [](std::string_view f) { return std::string{f}; };
  auto on_frame = [&](std::string_view line, std::size_t) {
    nlohmann::json value;
    try {
      value = parse_message(line, max_depth);
    } catch (const message_error& e) {
      check(e.code() == errc::bad_message, "message_error without errc::bad_message");
      check(e.offset() <= line.size() + 1, "error offset past the message");
      return;
    }
    check(depth_of(value) <= max_depth, "accepted a message nested deeper than max_depth");
    // What json_channel writes must read back as the same value, on one line.
    std::string text;
    json_channel<>::serialize(value, text);
    check(text.find('\n') == std::string::npos, "serialized message spans lines");
    check(parse_message(text, max_depth) == value, "serialize/parse round trip differs");
  };
  line_codec_options lo;
  lo.max_length = 4096;
  auto chunked = fuzz::decode_stream(line_codec{lo}, in.stream, in.chunks, owned, on_frame);
  auto whole = fuzz::decode_stream(line_codec{lo}, in.stream, {0}, owned, [](auto, auto) {});
  check(chunked.frames == whole.frames, "lines depend on how the bytes were split");
  return 0;
}
