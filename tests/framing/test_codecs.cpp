// line_codec and length_prefixed_codec as pure functions: no streams, no sockets.
#include <coronet/framing/framed.hpp>
#include <coronet/framing/length_prefixed_codec.hpp>
#include <coronet/framing/line_codec.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace coronet;

namespace {

// Feeds `input` to `codec` in one go the way framed<> does, collecting frames (copied)
// until it needs more; returns the status that stopped it.
template <typename Codec>
decode_status decode_all(Codec& codec, std::string_view input, std::vector<std::string>& frames,
                         std::error_code* error = nullptr) {
  std::size_t at = 0;
  for (;;) {
    auto r = codec.decode(std::span<const char>(input.data() + at, input.size() - at));
    if (r.status == decode_status::ready) {
      frames.emplace_back(r.frame);
      at += r.consumed;
      continue;
    }
    if (r.status == decode_status::fail && error != nullptr) *error = r.error;
    return r.status;
  }
}

}  // namespace

TEST_SUITE("codecs") {
  TEST_CASE("splits LF and CRLF lines and keeps empty lines") {
    line_codec codec;
    std::vector<std::string> frames;
    CHECK(decode_all(codec, "one\ntwo\r\n\n\r\nlast", frames) == decode_status::more);
    CHECK(frames == std::vector<std::string>{"one", "two", "", ""});
  }

  TEST_CASE("strip_cr off keeps the carriage return") {
    line_codec codec{{.strip_cr = false}};
    std::vector<std::string> frames;
    decode_all(codec, "two\r\n", frames);
    CHECK(frames == std::vector<std::string>{"two\r"});
  }

  TEST_CASE("a custom delimiter") {
    line_codec codec{{.delimiter = '\0'}};
    std::vector<std::string> frames;
    decode_all(codec, std::string_view("a\0bc\0", 5), frames);
    CHECK(frames == std::vector<std::string>{"a", "bc"});
  }

  TEST_CASE("max_length exactly passes and one byte over fails") {
    line_codec codec{{.max_length = 8}};
    std::vector<std::string> frames;
    CHECK(decode_all(codec, "12345678\n", frames) == decode_status::more);
    CHECK(decode_all(codec, "12345678\r\n", frames) == decode_status::more);
    CHECK(frames == std::vector<std::string>{"12345678", "12345678"});
    std::error_code ec;
    CHECK(decode_all(codec, "123456789\n", frames, &ec) == decode_status::fail);
    CHECK(ec == errc::frame_too_large);
  }

  TEST_CASE("an over-long line fails as soon as the limit is passed without its delimiter") {
    line_codec codec{{.max_length = 8}};
    std::vector<std::string> frames;
    // Eight bytes: could still be a valid line.
    CHECK(decode_all(codec, "12345678", frames) == decode_status::more);
    // A ninth byte that is not '\r' settles it.
    std::error_code ec;
    CHECK(decode_all(codec, "123456789", frames, &ec) == decode_status::fail);
    CHECK(ec == errc::frame_too_large);
    // "12345678\r" may still be "12345678\r\n"; one more non-'\n' byte is too much.
    line_codec fresh{{.max_length = 8}};
    CHECK(decode_all(fresh, "12345678\r", frames) == decode_status::more);
    CHECK(decode_all(fresh, "12345678\rx", frames, &ec) == decode_status::fail);
  }

  TEST_CASE("an endless line is rejected after scanning no more than the limit") {
    line_codec codec{{.max_length = 1024}};
    std::string flood(1 << 20, 'x');
    std::error_code ec;
    auto r = codec.decode(std::span<const char>(flood.data(), flood.size()));
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == errc::frame_too_large);
  }

  TEST_CASE("incremental scanning finds a delimiter that arrives later") {
    line_codec codec;
    std::string buf = "abc";
    CHECK(codec.decode(std::span<const char>(buf.data(), buf.size())).status ==
          decode_status::more);
    buf += "def\nrest";
    auto r = codec.decode(std::span<const char>(buf.data(), buf.size()));
    REQUIRE(r.status == decode_status::ready);
    CHECK(r.frame == "abcdef");
    CHECK(r.consumed == 7);
  }

  TEST_CASE("EOF with a partial line is truncated unless the option hands it over") {
    std::string rest = "partial\r";
    line_codec strict;
    auto r = strict.decode_eof(std::span<const char>(rest.data(), rest.size()));
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == errc::truncated_frame);
    line_codec lenient{{.final_line_without_delimiter = true}};
    r = lenient.decode_eof(std::span<const char>(rest.data(), rest.size()));
    REQUIRE(r.status == decode_status::ready);
    CHECK(r.frame == "partial");
  }

  TEST_CASE("encode appends the delimiter and refuses lines it cannot frame") {
    line_codec codec{{.max_length = 4}};
    std::string out;
    codec.encode(std::string_view{"ab"}, out);
    codec.encode(std::string_view{""}, out);
    CHECK(out == "ab\n\n");
    try {
      codec.encode(std::string_view{"a\nb"}, out);
      FAIL("a line holding the delimiter was encoded");
    } catch (const std::system_error& e) {
      CHECK(e.code() == errc::invalid_frame);
    }
  }

  TEST_CASE("max_length limits what is read and never what is written") {
    // A server's answer may be longer than anything it accepts (a member list, an
    // escaped message): the input limit must not refuse it.
    line_codec codec{{.max_length = 4}};
    std::string out;
    codec.encode(std::string_view{"123456789"}, out);
    CHECK(out == "123456789\n");
    line_codec reader{{.max_length = 4}};
    auto r = reader.decode(std::span<const char>(out.data(), out.size()));
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == errc::frame_too_large);
    CHECK(codec.max_frame() == 4);
  }
}

TEST_SUITE("codecs") {
  TEST_CASE("round trips with headers of 1 2 4 and 8 bytes in both byte orders") {
    for (std::size_t h : {1u, 2u, 4u, 8u}) {
      for (auto order : {byte_order::big, byte_order::little}) {
        CAPTURE(h);
        length_prefixed_codec codec{{.header_bytes = h, .byte_order = order, .max_frame = 200}};
        std::string out;
        std::vector<std::string> sent{"", "x", std::string(200, 'y'), "hello"};
        for (const auto& s : sent)
          codec.encode(std::string_view{s}, out);
        std::vector<std::string> frames;
        CHECK(decode_all(codec, out, frames) == decode_status::more);
        CHECK(frames == sent);
      }
    }
  }

  TEST_CASE("the header is laid out in the requested byte order") {
    std::string out;
    length_prefixed_codec big{{.header_bytes = 4}};
    big.encode(std::string_view{"abc"}, out);
    CHECK(out == std::string("\0\0\0\3abc", 7));
    out.clear();
    length_prefixed_codec little{{.header_bytes = 2, .byte_order = byte_order::little}};
    little.encode(std::string(258, 'z'), out);
    CHECK(out.substr(0, 2) == std::string("\2\1", 2));
  }

  TEST_CASE("max_frame exactly passes and one over fails before any payload arrives") {
    length_prefixed_codec codec{{.header_bytes = 4, .max_frame = 10}};
    std::string ok;
    codec.encode(std::string(10, 'a'), ok);
    std::vector<std::string> frames;
    decode_all(codec, ok, frames);
    CHECK(frames.size() == 1);
    std::string header("\0\0\0\x0b", 4);  // 11: only the header has arrived
    std::error_code ec;
    CHECK(decode_all(codec, header, frames, &ec) == decode_status::fail);
    CHECK(ec == errc::frame_too_large);
    // The limit is on input: a longer payload is still written (the header holds it).
    std::string longer;
    codec.encode(std::string(11, 'a'), longer);
    CHECK(longer.size() == 15);
    CHECK(codec.max_frame() == 10);
  }

  TEST_CASE("a header announcing 2^63 bytes is refused from its 8 bytes alone") {
    length_prefixed_codec codec{{.header_bytes = 8}};
    std::string header("\x80\0\0\0\0\0\0\0", 8);
    auto r = codec.decode(std::span<const char>(header.data(), header.size()));
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == errc::frame_too_large);
  }

  TEST_CASE("need_more reports the bytes the frame needs") {
    length_prefixed_codec codec{{.header_bytes = 2}};
    std::string part("\0\5ab", 4);
    auto r = codec.decode(std::span<const char>(part.data(), 1));
    CHECK(r.status == decode_status::more);
    CHECK(r.needed == 2);
    r = codec.decode(std::span<const char>(part.data(), part.size()));
    CHECK(r.status == decode_status::more);
    CHECK(r.needed == 7);
  }

  TEST_CASE("length_includes_header counts the header and rejects lengths below it") {
    length_prefixed_codec codec{{.header_bytes = 2, .length_includes_header = true}};
    std::string out;
    codec.encode(std::string_view{"abc"}, out);
    CHECK(out == std::string("\0\5abc", 5));
    std::vector<std::string> frames;
    decode_all(codec, out, frames);
    CHECK(frames == std::vector<std::string>{"abc"});
    std::string bad("\0\1", 2);
    std::error_code ec;
    CHECK(decode_all(codec, bad, frames, &ec) == decode_status::fail);
    CHECK(ec == errc::bad_message);
  }

  TEST_CASE("a payload too long for a 1-byte header cannot be encoded") {
    length_prefixed_codec codec{{.header_bytes = 1}};
    std::string out;
    CHECK_THROWS_AS(codec.encode(std::string(256, 'a'), out), std::system_error);
    codec.encode(std::string(255, 'a'), out);
    CHECK(out.size() == 256);
  }

  TEST_CASE("header_bytes other than 1 2 4 or 8 is a programming error") {
    CHECK_THROWS_AS(length_prefixed_codec({.header_bytes = 3}), std::invalid_argument);
  }
}

static_assert(codec<line_codec>);
static_assert(codec<length_prefixed_codec>);
