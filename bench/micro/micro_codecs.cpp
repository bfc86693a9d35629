// Codec microbenchmarks: decode and encode of line, length-prefixed and RESP frames
// from 16 B to 64 KiB of payload.
//
// Decoding walks a buffer holding many frames back to back, calling decode() on what is
// left after each frame, exactly as framed<>::read() does for a pipelined burst. Encoding
// appends frames to one std::string that is cleared (capacity kept) once it has been
// "sent", as framed<> does with its output buffer. Counters: bytes/s (framing
// included), frames/s (items), and allocs_per_frame from the counting operator new.
#include "alloc_counter.hpp"

#include <coronet/framing/length_prefixed_codec.hpp>
#include <coronet/framing/line_codec.hpp>
#include <coronet/resp/resp_codec.hpp>

#include <benchmark/benchmark.h>

#include <span>
#include <string>
#include <string_view>

namespace {

// About this many bytes of frames per decode pass, and never fewer than 16 frames, so
// per-pass overhead vanishes and the input stays cache-resident at small sizes.
constexpr std::size_t pass_bytes = 256 * 1024;

std::size_t frames_per_pass(std::size_t frame_bytes) {
  return std::max<std::size_t>(16, pass_bytes / frame_bytes);
}

std::string payload(std::size_t size) {
  std::string p(size, 'a');
  for (std::size_t i = 0; i < size; ++i)
    p[i] = static_cast<char>('a' + i % 26);
  return p;
}

// A value for RESP: `SET key:000042 <payload>`, the shape redis-benchmark sends.
template <typename Codec>
void encode_request(const Codec& codec, std::string_view value, std::string& out) {
  if constexpr (std::is_same_v<Codec, coronet::resp_codec>) {
    codec.encode(coronet::resp::command{"SET", "key:000042", value}, out);
  } else {
    codec.encode(value, out);
  }
}

template <typename Codec>
Codec make_codec() {
  if constexpr (std::is_same_v<Codec, coronet::line_codec>) {
    return coronet::line_codec{{.max_length = 64 * 1024}};
  } else {
    return Codec{};
  }
}

template <typename Codec>
void decode_frames(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  auto codec = make_codec<Codec>();
  const auto value = payload(size);
  std::string one;
  encode_request(codec, value, one);
  const std::size_t count = frames_per_pass(one.size());
  std::string input;
  input.reserve(one.size() * count);
  for (std::size_t i = 0; i < count; ++i)
    input += one;

  std::size_t frames = 0;
  const auto allocs_before = bench::allocations();
  for (auto _ : state) {
    std::span<const char> in{input};
    while (!in.empty()) {
      auto r = codec.decode(in);
      if (r.status != coronet::decode_status::ready) {
        state.SkipWithError("decode did not produce a frame");
        return;
      }
      benchmark::DoNotOptimize(r.frame);
      in = in.subspan(r.consumed);
      ++frames;
    }
  }
  const auto allocs = bench::allocations() - allocs_before;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(frames));
  state.counters["allocs_per_frame"] =
      frames == 0 ? 0.0 : static_cast<double>(allocs) / static_cast<double>(frames);
  state.counters["frame_bytes"] = static_cast<double>(one.size());
}

template <typename Codec>
void encode_frames(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const auto codec = make_codec<Codec>();
  const auto value = payload(size);
  std::string probe;
  encode_request(codec, value, probe);
  const std::size_t count = frames_per_pass(probe.size());
  std::string out;
  out.reserve(probe.size() * count);  // the output buffer framed<> keeps between writes

  std::size_t frames = 0;
  const auto allocs_before = bench::allocations();
  for (auto _ : state) {
    out.clear();
    for (std::size_t i = 0; i < count; ++i)
      encode_request(codec, value, out);
    benchmark::DoNotOptimize(out.data());
    frames += count;
  }
  const auto allocs = bench::allocations() - allocs_before;
  state.SetBytesProcessed(static_cast<std::int64_t>(frames * probe.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(frames));
  state.counters["allocs_per_frame"] =
      frames == 0 ? 0.0 : static_cast<double>(allocs) / static_cast<double>(frames);
  state.counters["frame_bytes"] = static_cast<double>(probe.size());
}

void sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t s = 16; s <= 64 * 1024; s *= 4)
    b->Arg(s);
}

}  // namespace

BENCHMARK(decode_frames<coronet::line_codec>)->Name("decode/line")->Apply(sizes);
BENCHMARK(decode_frames<coronet::length_prefixed_codec>)->Name("decode/length")->Apply(sizes);
BENCHMARK(decode_frames<coronet::resp_codec>)->Name("decode/resp")->Apply(sizes);
BENCHMARK(encode_frames<coronet::line_codec>)->Name("encode/line")->Apply(sizes);
BENCHMARK(encode_frames<coronet::length_prefixed_codec>)->Name("encode/length")->Apply(sizes);
BENCHMARK(encode_frames<coronet::resp_codec>)->Name("encode/resp")->Apply(sizes);
