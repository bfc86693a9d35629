// Shared by the libFuzzer targets: feeds the fuzzer's bytes to a decoder the way
// framed<> does (one growing buffer, consumed frames erased, the decoder called again
// after every chunk), in a chunking chosen by the input itself, and checks the codec
// contract on every answer.
#pragma once

#include <coronet/framing/codec.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace coronet::fuzz {

// abort() rather than assert(): the check must hold in every build type.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

// Bytes the fuzzer gave us: a prefix that picks the chunk sizes, then the stream.
struct input {
  std::vector<std::size_t> chunks;  // cycled; 0 means "everything left"
  std::string_view stream;
};

// First byte: how many chunk-size bytes follow (0..7); each of those is one chunk size
// (1..255; 0: the rest at once). So the fuzzer explores one-byte-at-a-time delivery and
// frames split at any position, not just whole-buffer decoding.
inline input split_input(const std::uint8_t* data, std::size_t size, std::size_t skip = 0) {
  input in;
  std::size_t at = skip;
  if (at < size) {
    std::size_t n = data[at++] & 7u;
    for (; n > 0 && at < size; --n)
      in.chunks.push_back(data[at++]);
  }
  if (in.chunks.empty()) in.chunks.push_back(0);
  in.stream = std::string_view{reinterpret_cast<const char*>(data) + std::min(at, size),
                               size - std::min(at, size)};
  return in;
}

template <typename Frame>
struct outcome {
  std::vector<Frame> frames;
  std::error_code error;  // decode error that ended the stream, if any
};

// Runs `codec` over `in` like framed<>::read(); `to_owned` copies a frame out of the
// buffer (frames are views, valid only until the next decode); `on_frame` checks it.
template <typename Codec, typename ToOwned, typename OnFrame>
auto decode_stream(Codec codec, std::string_view stream, const std::vector<std::size_t>& chunks,
                   ToOwned to_owned, OnFrame on_frame) {
  using owned = decltype(to_owned(std::declval<typename Codec::frame_type>()));
  outcome<owned> out;
  std::string buf;
  const std::size_t limit = codec.max_buffered();
  std::size_t at = 0;
  std::size_t next_chunk = 0;
  while (at < stream.size()) {
    std::size_t n = chunks[next_chunk++ % chunks.size()];
    if (n == 0 || n > stream.size() - at) n = stream.size() - at;
    buf.append(stream.substr(at, n));
    at += n;
    for (;;) {
      if (buf.empty()) break;
      auto r = codec.decode(std::span<const char>{buf.data(), buf.size()});
      if (r.status == decode_status::fail) {
        check(static_cast<bool>(r.error), "error result without an error code");
        out.error = r.error;
        return out;
      }
      if (r.status == decode_status::more) {
        // framed<> grows its buffer for more only up to max_buffered(): a decoder that
        // asks for more past that would let a peer make the server buffer without bound.
        check(buf.size() < limit, "more with max_buffered() bytes already buffered");
        check(r.needed == 0 || r.needed > buf.size(), "needed not above what is buffered");
        break;
      }
      check(r.consumed > 0, "a frame that consumed nothing (endless loop)");
      check(r.consumed <= buf.size(), "consumed more than the input");
      on_frame(r.frame, r.consumed);
      out.frames.push_back(to_owned(r.frame));
      buf.erase(0, r.consumed);
    }
  }
  return out;
}

}  // namespace coronet::fuzz
