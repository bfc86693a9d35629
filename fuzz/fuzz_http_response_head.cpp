// libFuzzer target: parse_response_head (what coronet's WebSocket client reads from a
// server) on arbitrary bytes, whole and fed in pieces.
//
// Input: one byte that picks the limits (below 0x80: the defaults; else a small head
// size and field count, so the limits are reached often), then fuzz_common's chunk
// prefix, then the bytes of the stream.
//
// Checks: a head never claims more bytes than it was given or than the limit; every view
// points into the head; the status is 100 to 599; a failure carries a reason and no
// size; fed in growing pieces, the parser says `more` until it gives the whole input's
// answer; a whole head is `more` without its last byte and parses alone the same.
#include "fuzz_http_common.hpp"

#include <coronet/http/response_head.hpp>

using namespace coronet::http;
using coronet::fuzz::check;
using coronet::fuzz::inside;
using coronet::fuzz::same;

namespace {

void check_head(const response_head& h, std::string_view head) {
  check(h.status >= 100 && h.status <= 599, "status outside 100 to 599");
  check(h.version_minor == 0 || h.version_minor == 1, "bad version");
  check(inside(h.reason, head), "reason outside the head");
  for (const auto& f : h.headers) {
    check(!f.name.empty() && inside(f.name, head), "field name outside the head");
    check(inside(f.value, head), "field value outside the head");
    check(h.find(f.name).has_value(), "a field's own name is not found");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  response_limits limits;
  if (data[0] >= 0x80) {
    limits.max_head_size = 16 + (data[0] & 0x3fu) * 4u;  // 16 to 268 bytes
    limits.max_headers = data[0] & 7u;
  }
  const auto in = coronet::fuzz::split_input(data, size, 1);
  const auto all = in.stream;

  response_head whole_head;
  const auto whole = parse_response_head(all, whole_head, limits);
  check(whole.http_status == 0, "a response parse with an HTTP status to answer");
  switch (whole.status) {
    case parse_status::more:
      check(all.size() < limits.max_head_size, "more with the limit's worth of bytes");
      break;
    case parse_status::fail:
      check(!whole.error.empty(), "failure without a reason");
      check(whole.size == 0, "failure with a size");
      break;
    case parse_status::ready:
      check(whole.size > 0 && whole.size <= all.size(), "head size outside the input");
      check(whole.size <= limits.max_head_size, "head over the size limit");
      check(whole_head.headers.size() <= limits.max_headers, "more fields than the limit");
      check(whole.error.empty(), "success with an error");
      check_head(whole_head, all.substr(0, whole.size));
      break;
  }

  coronet::fuzz::check_fed_in_pieces<response_head>(
      in, whole,
      [&](std::string_view bytes, response_head& h) {
        return parse_response_head(bytes, h, limits);
      },
      check_head);

  if (whole.status == parse_status::ready) {
    response_head shorter, alone;
    check(parse_response_head(all.substr(0, whole.size - 1), shorter, limits).status ==
              parse_status::more,
          "the head without its last byte is not `more`");
    const auto r = parse_response_head(all.substr(0, whole.size), alone, limits);
    check(same(r, whole), "the head alone parses differently");
    check(alone.status == whole_head.status && alone.reason == whole_head.reason &&
              alone.headers.size() == whole_head.headers.size(),
          "the head alone gives other fields");
  }
  return 0;
}
