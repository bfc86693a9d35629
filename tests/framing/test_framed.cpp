// framed<> over a scripted stream: every chunking decodes the same frames, EOF and limits
// surface from read(), the read buffer grows only as bytes arrive, a pipelined burst costs
// one write, and decoding a buffered frame allocates nothing.
#include "script_stream.hpp"
#include "support.hpp"

#include <coronet/framing/framed.hpp>
#include <coronet/framing/length_prefixed_codec.hpp>
#include <coronet/framing/line_codec.hpp>
#include <coronet/resp/resp_codec.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

// Counting global allocator: lets a test prove that decoding allocates nothing.
namespace {
std::atomic<bool> count_allocations{false};
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (count_allocations.load(std::memory_order_relaxed)) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc{};
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace coronet;
using namespace coronet::test;

namespace {

using line_script = framed<line_codec, script_stream>;
using length_script = framed<length_prefixed_codec, script_stream>;

template <typename Framed>
asio::awaitable<void> collect(Framed* f, std::vector<std::string>* frames, std::error_code* error) {
  try {
    while (auto frame = co_await f->read())
      frames->emplace_back(*frame);
  } catch (const std::system_error& e) {
    *error = e.code();
  }
}

// Decodes `chunks` through a framed over a scripted stream.
template <typename Codec>
std::vector<std::string> decode_chunks(Codec codec, std::vector<std::string> chunks,
                                       std::error_code* error = nullptr,
                                       framed_options options = {}) {
  asio::io_context io;
  framed<Codec, script_stream> f{script_stream{io.get_executor(), std::move(chunks)}, codec,
                                 options};
  std::vector<std::string> frames;
  std::error_code ec;
  asio::co_spawn(io, collect(&f, &frames, &ec), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  if (error != nullptr)
    *error = ec;
  else
    CHECK_MESSAGE(!ec, ec.message());
  return frames;
}

std::vector<std::string> sample_lines() {
  return {"hello", "", "world", std::string(250, 'x'), "tab\tand space", "last one"};
}

std::string encode_all(const auto& codec, const std::vector<std::string>& frames) {
  std::string out;
  for (const auto& f : frames)
    codec.encode(std::string_view{f}, out);
  return out;
}

}  // namespace

TEST_SUITE("framed") {
  TEST_CASE("line frames split at every byte position decode to the same frames") {
    line_codec codec;
    auto frames = sample_lines();
    auto bytes = encode_all(codec, frames);
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      CAPTURE(cut);
      auto got = decode_chunks(codec, {bytes.substr(0, cut), bytes.substr(cut)});
      REQUIRE(got == frames);
    }
  }

  TEST_CASE("length-prefixed frames split at every byte position with all header sizes") {
    auto frames = sample_lines();
    for (std::size_t h : {1u, 2u, 4u, 8u}) {
      for (auto order : {byte_order::big, byte_order::little}) {
        length_prefixed_codec codec{{.header_bytes = h, .byte_order = order, .max_frame = 1000}};
        auto bytes = encode_all(codec, frames);
        for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
          CAPTURE(h);
          CAPTURE(cut);
          REQUIRE(decode_chunks(codec, {bytes.substr(0, cut), bytes.substr(cut)}) == frames);
        }
      }
    }
  }

  TEST_CASE("random chunkings down to one byte at a time decode to the same frames") {
    std::mt19937 rng{12345};
    std::vector<std::string> frames;
    for (int i = 0; i < 300; ++i)
      frames.push_back(std::string(rng() % 200, static_cast<char>('a' + i % 26)));
    line_codec lines;
    length_prefixed_codec lengths;
    for (int round = 0; round < 40; ++round) {
      for (int which = 0; which < 2; ++which) {
        auto bytes = which == 0 ? encode_all(lines, frames) : encode_all(lengths, frames);
        std::vector<std::string> chunks;
        const std::size_t max_chunk = round < 5 ? 1 : 1 + rng() % 5000;
        for (std::size_t at = 0; at < bytes.size();) {
          std::size_t n = std::min<std::size_t>(bytes.size() - at, 1 + rng() % max_chunk);
          chunks.push_back(bytes.substr(at, n));
          at += n;
        }
        auto got = which == 0 ? decode_chunks(lines, chunks) : decode_chunks(lengths, chunks);
        REQUIRE(got == frames);
      }
    }
  }

  TEST_CASE("frames larger than the initial read buffer grow it within the codec limit") {
    framed_options small{.read_buffer_size = 64};
    std::vector<std::string> frames{std::string(5000, 'a'), "b", std::string(70000, 'c')};
    line_codec lines{{.max_length = 70000}};
    CHECK(decode_chunks(lines, {encode_all(lines, frames)}, nullptr, small) == frames);
    length_prefixed_codec lengths{{.max_frame = 70000}};
    CHECK(decode_chunks(lengths, {encode_all(lengths, frames)}, nullptr, small) == frames);
  }

  TEST_CASE("EOF between frames is a clean end and EOF inside a frame is truncated_frame") {
    std::error_code ec;
    auto got = decode_chunks(line_codec{}, {"a\nb\n"}, &ec);
    CHECK(got == std::vector<std::string>{"a", "b"});
    CHECK(!ec);
    got = decode_chunks(line_codec{}, {"a\nbrok", "en"}, &ec);
    CHECK(got == std::vector<std::string>{"a"});
    CHECK(ec == errc::truncated_frame);
    got = decode_chunks(length_prefixed_codec{}, {std::string("\0\0\0\5ab", 6)}, &ec);
    CHECK(got.empty());
    CHECK(ec == errc::truncated_frame);
    got = decode_chunks(line_codec{{.final_line_without_delimiter = true}}, {"a\nlast"}, &ec);
    CHECK(got == std::vector<std::string>{"a", "last"});
    CHECK(!ec);
  }

  TEST_CASE("frame_too_large surfaces from read() and nothing past the limit is buffered") {
    std::error_code ec;
    auto got = decode_chunks(line_codec{{.max_length = 100}}, {"ok\n", std::string(10000, 'x')},
                             &ec, {.read_buffer_size = 64});
    CHECK(got == std::vector<std::string>{"ok"});
    CHECK(ec == errc::frame_too_large);
    got = decode_chunks(length_prefixed_codec{{.header_bytes = 8}},
                        {std::string("\x80\0\0\0\0\0\0\0", 8)}, &ec);
    CHECK(ec == errc::frame_too_large);
  }

  TEST_CASE("a header announcing a large frame reserves memory only as its bytes arrive") {
    // 30 bytes announcing 64 MiB must not reserve 64 MiB: 300 such connections would
    // hold 19 GB of address space before sending anything more.
    asio::io_context io;
    length_script f{script_stream{io.get_executor(), {std::string("\x04\0\0\0", 4), "abcd"}},
                    length_prefixed_codec{{.max_frame = 128u << 20}},
                    {}};
    std::vector<std::string> frames;
    std::error_code ec;
    asio::co_spawn(io, collect(&f, &frames, &ec), asio::detached);
    io.run();
    CHECK(ec == errc::truncated_frame);
    CHECK(f.read_buffer_capacity() <= 2 * framed_options{}.read_buffer_size);

    // And a frame that does arrive in full still decodes, growing the buffer as it goes.
    const std::string payload(300000, 'p');
    std::string bytes{"\0\x04\x93\xe0", 4};  // 300 000
    bytes += payload;
    std::vector<std::string> chunks;
    for (std::size_t i = 0; i < bytes.size(); i += 7000)
      chunks.push_back(bytes.substr(i, 7000));
    auto got = decode_chunks(length_prefixed_codec{}, chunks, &ec);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == payload);

    // The kv example's case: a RESP bulk header announcing 64 MiB.
    asio::io_context io2;
    framed<resp_codec, script_stream> kv{
        script_stream{io2.get_executor(), {"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$67108864\r\n"}},
        resp_codec{},
        {}};
    asio::co_spawn(
        io2,
        [](framed<resp_codec, script_stream>* requests) -> asio::awaitable<void> {
          try {
            while (co_await requests->read()) {
            }
          } catch (const std::system_error&) {
          }
        }(&kv),
        asio::detached);
    io2.run();
    CHECK(kv.read_buffer_capacity() <= 2 * framed_options{}.read_buffer_size);
  }
}

namespace {

asio::awaitable<void> echo_frames(line_script* f) {
  while (auto frame = co_await f->read())
    f->write(*frame);
}

}  // namespace

TEST_SUITE("framed") {
  TEST_CASE("1000 pipelined requests in one packet are answered in one write") {
    asio::io_context io;
    std::string burst;
    for (int i = 0; i < 1000; ++i)
      burst += "request " + std::to_string(i) + "\n";
    line_script f{script_stream{io.get_executor(), {burst}}};
    asio::co_spawn(io, echo_frames(&f), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run();
    CHECK(f.stream().written == burst);
    CHECK(f.write_count() == 1);
    CHECK(f.stream().writes == 1);
    CHECK(f.read_count() == 2);  // the burst, then EOF
  }

  TEST_CASE("decoding a buffered frame allocates nothing") {
    asio::io_context io;
    std::string burst;
    for (int i = 0; i < 10000; ++i)
      burst += "0123456789012345678901234567890123456789012345678901234567890\n";
    line_script f{script_stream{io.get_executor(), {burst}}};
    std::size_t frames = 0;
    std::size_t allocated = 0;
    asio::co_spawn(
        io,
        [](line_script* fr, std::size_t* count, std::size_t* allocs) -> asio::awaitable<void> {
          co_await fr->read();  // warm up: buffer and coroutine frame caches
          co_await fr->read();
          allocations = 0;
          count_allocations = true;
          for (int i = 0; i < 9000; ++i)
            if (co_await fr->read()) ++*count;
          count_allocations = false;
          *allocs = allocations;
        }(&f, &frames, &allocated),
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
    CHECK(frames == 9000);
    CHECK(allocated == 0);
  }
}
