// libFuzzer target: parse_request_head on arbitrary bytes, whole and fed in pieces.
//
// Input: one byte that picks the limits (below 0x80: the defaults; else a small head
// size and header count, so the limits are reached often), then fuzz_common's chunk
// prefix, then the bytes of the stream.
//
// Checks: a head never claims more bytes than it was given or than the limit; every view
// points into the head; a failure carries a status of 400, 431, 501 or 505 and a reason;
// fed in growing pieces, the parser says `more` until it gives the whole input's answer,
// and a head that is done is `more` at every shorter prefix and parses alone to the same
// fields.
#include "fuzz_http_common.hpp"

#include <coronet/http/request_head.hpp>

using namespace coronet::http;
using coronet::fuzz::check;
using coronet::fuzz::inside;
using coronet::fuzz::same;

namespace {

void check_head(const request_head& h, std::string_view head) {
  check(!h.method.empty() && inside(h.method, head), "method outside the head");
  check(!h.target.empty() && inside(h.target, head), "target outside the head");
  check(h.version_major == 1 && (h.version_minor == 0 || h.version_minor == 1), "bad version");
  for (const auto& f : h.headers) {
    check(!f.name.empty() && inside(f.name, head), "field name outside the head");
    check(inside(f.value, head), "field value outside the head");
    check(h.find(f.name).has_value(), "a field's own name is not found");
  }
  check(!(h.chunked && h.content_length), "both chunked and Content-Length");
  const auto path = h.path();
  check(inside(path, head) || path == "/", "path outside the head");
  check(inside(h.query(), head), "query outside the head");
  (void)h.keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  request_limits limits;
  if (data[0] >= 0x80) {
    limits.max_head_size = 16 + (data[0] & 0x3fu) * 4u;  // 16 to 268 bytes
    limits.max_headers = data[0] & 7u;
  }
  const auto in = coronet::fuzz::split_input(data, size, 1);
  const auto all = in.stream;

  request_head whole_head;
  const auto whole = parse_request_head(all, whole_head, limits);
  switch (whole.status) {
    case parse_status::more:
      check(all.size() < limits.max_head_size, "more with the limit's worth of bytes");
      break;
    case parse_status::fail:
      check(whole.http_status == 400 || whole.http_status == 431 || whole.http_status == 501 ||
                whole.http_status == 505,
            "unexpected failure status");
      check(!whole.error.empty(), "failure without a reason");
      check(whole.size == 0, "failure with a size");
      break;
    case parse_status::ready:
      check(whole.size > 0 && whole.size <= all.size(), "head size outside the input");
      check(whole.size <= limits.max_head_size, "head over the size limit");
      check(whole_head.headers.size() <= limits.max_headers, "more fields than the limit");
      check(whole.http_status == 0 && whole.error.empty(), "success with an error");
      check_head(whole_head, all.substr(0, whole.size));
      break;
  }

  coronet::fuzz::check_fed_in_pieces<request_head>(
      in, whole,
      [&](std::string_view bytes, request_head& h) { return parse_request_head(bytes, h, limits); },
      check_head);

  if (whole.status == parse_status::ready) {
    request_head shorter, alone;
    check(parse_request_head(all.substr(0, whole.size - 1), shorter, limits).status ==
              parse_status::more,
          "the head without its last byte is not `more`");
    const auto r = parse_request_head(all.substr(0, whole.size), alone, limits);
    check(same(r, whole), "the head alone parses differently");
    check(alone.method == whole_head.method && alone.target == whole_head.target &&
              alone.headers.size() == whole_head.headers.size() &&
              alone.content_length == whole_head.content_length &&
              alone.chunked == whole_head.chunked && alone.keep_alive() == whole_head.keep_alive(),
          "the head alone gives other fields");
  }
  return 0;
}
