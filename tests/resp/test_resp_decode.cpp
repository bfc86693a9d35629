// coronet::resp_codec decoding: a mixed request stream split at every byte position,
// arguments as views into the input, progress kept between reads, inline lines split and
// unquoted as Redis does, EOF inside and between requests.
#include "resp_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::resp_support;
using namespace std::string_literals;

namespace {

// A stream mixing both request forms, empty and binary arguments, CRLF inside a bulk
// string, blank lines and `*0`.
const std::string sample_stream =
    "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"s
    "PING\r\n"
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n"
    "SET  a\tb\r\n"
    "\r\n"
    "*0\r\n"
    "*1\r\n$4\r\nPING\r\n"
    "*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\0bc\r\n"s
    "INLINE with LF only\n"
    "*-1\r\n"
    "*3\r\n$4\r\nMSET\r\n$10\r\n0123456789\r\n$1\r\nx\r\n"
    "PING\rPING\r\n"
    "ECHO \"a b\\x41\" 'c\\'d' e\"f g\"\r\n";

const std::vector<args> sample_requests{
    {"GET", "k"},
    {"PING"},
    {"SET", "key", ""},
    {"SET", "a", "b"},
    {},
    {},
    {"PING"},
    {"ECHO", "a\r\n\0bc"s},
    {"INLINE", "with", "LF", "only"},
    {},
    {"MSET", "0123456789", "x"},
    {"PING", "PING"},
    {"ECHO", "a bA", "c'd", "ef g"},
};

}  // namespace

TEST_SUITE("resp") {
  TEST_CASE("resp: a mixed request stream decodes the same split at every byte position") {
    for (std::size_t cut = 0; cut <= sample_stream.size(); ++cut) {
      CAPTURE(cut);
      auto d = decode_chunks({sample_stream.substr(0, cut), sample_stream.substr(cut)});
      REQUIRE_MESSAGE(!d.error, d.error.message());
      REQUIRE(d.requests == sample_requests);
    }
  }

  TEST_CASE("resp: every pair of split points and one byte at a time") {
    const std::string s = sample_stream.substr(0, 60);  // three requests, all kinds of bytes
    std::vector<args> want;
    resp_codec c;
    REQUIRE(decode_all(c, s, want) == decode_status::more);
    for (std::size_t a = 0; a <= s.size(); ++a)
      for (std::size_t b = a; b <= s.size(); ++b) {
        CAPTURE(a);
        CAPTURE(b);
        auto d = decode_chunks({s.substr(0, a), s.substr(a, b - a), s.substr(b)});
        REQUIRE(d.error == errc::truncated_frame);  // s ends inside the fourth request
        REQUIRE(d.requests == want);
      }
    std::vector<std::string> bytes;
    for (char ch : sample_stream)
      bytes.emplace_back(1, ch);
    auto d = decode_chunks(bytes);
    CHECK(!d.error);
    CHECK(d.requests == sample_requests);
  }

  TEST_CASE("resp: arguments are views into the input and not copies") {
    const std::string in = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPING  x\r\n";
    resp_codec c;
    auto r = c.decode({in.data(), in.size()});
    REQUIRE(r.status == decode_status::ready);
    CHECK(r.consumed == 22);
    REQUIRE(r.frame.size() == 2);
    CHECK(r.frame[0].data() == in.data() + 8);
    CHECK(r.frame[1].data() == in.data() + 17);
    CHECK(r.frame.name() == "GET");
    r = c.decode({in.data() + 22, in.size() - 22});
    REQUIRE(r.status == decode_status::ready);
    CHECK(to_args(r.frame) == args{"PING", "x"});
    CHECK(r.frame[1].data() == in.data() + 22 + 6);
  }

  TEST_CASE("resp: progress is kept between need_more answers (no rescan)") {
    // The decoder must not parse again what it already parsed: given the same request
    // grown by more bytes, it picks up where it stopped. Proven by scrambling the part
    // it has already seen: a decoder that rescanned would reject the garbage.
    std::string in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel";
    resp_codec c;
    auto r = c.decode({in.data(), in.size()});
    REQUIRE(r.status == decode_status::more);
    CHECK(r.needed == in.size() - 3 + 5 + 2);  // the whole request, once its size is known
    std::string moved = in + "lo\r\n";
    for (std::size_t i = 0; i < 20; ++i)
      moved[i] = '#';  // already parsed: SET and k
    r = c.decode({moved.data(), moved.size()});
    REQUIRE(r.status == decode_status::ready);
    CHECK(r.consumed == moved.size());
    CHECK(r.frame[0] == "###");  // offsets, applied to the buffer as it is now
    CHECK(r.frame[2] == "hello");
  }

  TEST_CASE(
      "resp: a large request arriving in small reads decodes while the buffer grows and moves") {
    std::string in = "*20001\r\n$4\r\nMSET\r\n";
    args want{"MSET"};
    for (int i = 0; i < 20000; ++i) {
      auto v = std::to_string(i);
      in += "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
      want.push_back(v);
    }
    in += "PING\r\n";
    std::vector<std::string> chunks;
    for (std::size_t at = 0; at < in.size(); at += 997)
      chunks.push_back(in.substr(at, 997));
    auto d = decode_chunks(chunks, {}, {.read_buffer_size = 64});
    CHECK(!d.error);
    REQUIRE(d.requests.size() == 2);
    CHECK(d.requests[0] == want);
    CHECK(d.requests[1] == args{"PING"});
  }

  TEST_CASE("resp: blank lines and *0 and *-1 are empty requests") {
    std::vector<args> got;
    resp_codec c;
    CHECK(decode_all(c, "\r\n \t \r\n*0\r\n*-1\r\n\n", got) == decode_status::more);
    CHECK(got == std::vector<args>(5));
  }

  TEST_CASE("resp: inline lines split on all whitespace as Redis's sdssplitargs does") {
    std::vector<args> got;
    resp_codec c;
    // Any isspace() separates arguments; only space, tab, CR and LF end an unquoted one.
    CHECK(decode_all(c, "PING\rPING\r\n\vPING\f \t\r\r\nA\vB \fC\n", got) == decode_status::more);
    CHECK(got == std::vector<args>{{"PING", "PING"}, {"PING\f"}, {"A\vB", "C"}});
  }

  TEST_CASE("resp: quoted inline arguments are unescaped and unbalanced quotes refused") {
    struct quoted_case {
      std::string line;
      args want;
    };
    const std::vector<quoted_case> good{
        {R"(ECHO "a\x41\n")", {"ECHO", "aA\n"}},
        {R"(ECHO "\a\b\t\r\q\"\\")", {"ECHO", "\a\b\t\rq\"\\"}},
        {R"(ECHO "\x4" "\xZZ" "\X41" "\x4a")", {"ECHO", "x4", "xZZ", "X41", "J"}},
        {R"(ECHO "\x00")", {"ECHO", "\0"s}},
        {R"(ECHO 'a\nb' 'it\'s' '"')", {"ECHO", R"(a\nb)", "it's", "\""}},
        {R"(ECHO "" '')", {"ECHO", "", ""}},
        {"ECHO a\"b c\"\v'd'\t", {"ECHO", "ab c", "d"}},
        {R"(ECHO a\b)", {"ECHO", R"(a\b)"}},  // outside quotes a backslash is a byte
    };
    for (const auto& g : good) {
      CAPTURE(g.line);
      std::vector<args> got;
      resp_codec c;
      const std::string in = g.line + "\r\nPING\r\n";
      CHECK(decode_all(c, in, got) == decode_status::more);
      CHECK(got == std::vector<args>{g.want, {"PING"}});
    }
    for (std::string bad : {R"(ECHO "abc)", R"(ECHO 'abc)", R"(ECHO "a"b)", R"(ECHO 'a'b)",
                            R"(ECHO a'b'c)", R"(ECHO "a\")", R"(ECHO a\"b)", R"(ECHO "a\)"}) {
      CAPTURE(bad);
      auto d = decode_chunks({"PING\r\n" + bad + "\r\nPING\r\n"});
      CHECK(d.requests == std::vector<args>{{"PING"}});
      CHECK(d.error == errc::bad_message);
      CHECK(d.detail == "unbalanced quotes in request");
    }
  }

  TEST_CASE("resp: EOF inside a request is truncated_frame and between requests a clean end") {
    CHECK(decode_chunks({"PING\r\n*2\r\n$3\r\nGET"}).error == errc::truncated_frame);
    CHECK(decode_chunks({"PING"}).error == errc::truncated_frame);
    auto d = decode_chunks({"PING\r\n"});
    CHECK(!d.error);
    CHECK(d.requests == std::vector<args>{{"PING"}});
  }
}
