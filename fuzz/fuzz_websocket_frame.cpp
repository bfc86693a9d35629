// libFuzzer target: websocket::codec's decoder on arbitrary bytes, whole and in pieces.
//
// Input: one byte of options (bit 0: client role, else server; bit 1: a small
// max_message of 64 to 1087 bytes, taken from the next byte, so the limit is reached
// often), then fuzz_common's chunk prefix, then the stream.
//
// Checks: the codec contract (fuzz_common); the same frames or the same error however
// the stream is cut; every failure is a close code of RFC 6455's (1002, 1007, 1009);
// messages are within max_message, text messages are UTF-8, control payloads at most
// 125 bytes, close codes valid; every decoded frame re-encodes (server side: as the
// server would send it) and decodes again, on the other side, to the same frame.
#include "fuzz_common.hpp"

#include <coronet/websocket/codec.hpp>
#include <coronet/websocket/detail/utf8.hpp>

#include <vector>

using namespace coronet::websocket;
using coronet::fuzz::check;

namespace {

struct owned {
  opcode op;
  std::string payload;
  std::uint16_t code;
  bool operator==(const owned&) const = default;
};

owned own(const frame& f) {
  return {f.op, std::string{f.payload}, f.code};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  codec_options options;
  options.role = (data[0] & 1u) != 0 ? role::client : role::server;
  if ((data[0] & 2u) != 0) options.max_message = 64 + std::size_t{data[1]} * 4;
  const auto in = coronet::fuzz::split_input(data, size, 2);

  const auto on_frame = [&](const frame& f, std::size_t consumed) {
    check(consumed >= 2, "a frame shorter than its header");
    switch (f.op) {
      case opcode::text:
        check(detail::is_valid_utf8(f.payload), "text that is not UTF-8");
        [[fallthrough]];
      case opcode::binary:
        check(f.payload.size() <= options.max_message, "a message over max_message");
        break;
      case opcode::close:
        check(f.code == 1005 || is_valid_close_code(f.code), "an invalid close code");
        check(f.code != 1005 || f.payload.empty(), "a reason without a code");
        check(detail::is_valid_utf8(f.payload), "a close reason that is not UTF-8");
        [[fallthrough]];
      case opcode::ping:
      case opcode::pong:
        check(f.payload.size() <= 125, "a control frame over 125 bytes");
        break;
      case opcode::continuation:
        check(f.payload.empty(), "a fragment with a payload");
        break;
    }
  };
  const auto whole = coronet::fuzz::decode_stream(codec{options}, in.stream, {0}, own, on_frame);
  const auto pieces =
      coronet::fuzz::decode_stream(codec{options}, in.stream, in.chunks, own, on_frame);
  check(whole.frames == pieces.frames, "cut differently, other frames");
  check(whole.error == pieces.error, "cut differently, another error");
  if (whole.error) {
    check(whole.error.category() == error_category(), "an error outside the websocket category");
    const int c = whole.error.value();
    check(c == 1002 || c == 1007 || c == 1009, "a close code the decoder must not give");
  }

  // Re-encoded by the other side's codec, every message and control frame decodes back
  // to itself.
  codec_options other = options;
  other.role = options.role == role::server ? role::client : role::server;
  const codec encoder{other};
  std::string wire;
  std::vector<owned> expected;
  for (const auto& f : whole.frames) {
    if (f.op == opcode::continuation) continue;
    encoder.encode(frame{f.op, f.payload, f.code}, wire);
    expected.push_back(f);
  }
  const auto again = coronet::fuzz::decode_stream(codec{options}, wire, {0}, own, on_frame);
  check(!again.error, "a re-encoded frame does not decode");
  check(again.frames == expected, "a re-encoded frame decodes differently");
  return 0;
}
