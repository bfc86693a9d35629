// coronet::resp::reply_decoder and resp_client_codec: every RESP2 reply type, nested
// arrays, a reply stream split at every byte position and fed byte by byte, each limit
// failing on the bytes that break it, malformed replies, and to_string.
#include "script_stream.hpp"

#include <coronet/framing/framed.hpp>
#include <coronet/resp/resp_client_codec.hpp>

#include <doctest/doctest.h>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace coronet;
using namespace std::string_literals;
using resp::value;

namespace {

value simple(std::string s) {
  return {.kind = resp::kind::simple_string, .text = std::move(s)};
}
value err(std::string s) {
  return {.kind = resp::kind::error, .text = std::move(s)};
}
value num(std::int64_t n) {
  return {.kind = resp::kind::integer, .integer = n};
}
value bulk(std::string s) {
  return {.kind = resp::kind::bulk_string, .text = std::move(s)};
}
value nil() {
  return {};
}
value array(std::vector<value> e) {
  return {.kind = resp::kind::array, .elements = std::move(e)};
}

struct outcome {
  std::vector<value> replies;
  std::error_code error;
  std::size_t calls = 0;
};

// Feeds `stream` to a decoder as framed<> does: bytes appended `chunk` at a time (0:
// all at once), decode() after each, consumed bytes erased.
outcome feed(std::string_view stream, std::size_t chunk = 0, resp::reply_limits limits = {}) {
  resp::reply_decoder d{limits};
  outcome out;
  std::string buf;
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t n = chunk == 0 ? stream.size() : std::min(chunk, stream.size() - at);
    buf.append(stream.substr(at, n));
    at += n;
    while (!buf.empty()) {
      ++out.calls;
      auto r = d.decode({buf.data(), buf.size()});
      if (r.status == decode_status::fail) {
        out.error = r.error;
        return out;
      }
      if (r.status == decode_status::more) break;
      REQUIRE(r.consumed > 0);
      REQUIRE(r.consumed <= buf.size());
      out.replies.push_back(std::move(r.frame));
      buf.erase(0, r.consumed);
    }
  }
  return out;
}

decode_result<value> once(std::string_view input, resp::reply_limits limits = {}) {
  resp::reply_decoder d{limits};
  return d.decode({input.data(), input.size()});
}

const std::string sample_stream =
    "+OK\r\n"
    "-ERR unknown command 'FOO'\r\n"
    ":0\r\n"
    ":-42\r\n"
    ":9223372036854775807\r\n"
    "$5\r\nhello\r\n"
    "$0\r\n\r\n"
    "$7\r\na\r\n\0b\rc\r\n"s
    "$-1\r\n"
    "*-1\r\n"
    "*0\r\n"
    "+\r\n"
    "*3\r\n$3\r\nfoo\r\n$-1\r\n:7\r\n"
    "*2\r\n*2\r\n:1\r\n:2\r\n*3\r\n+a\r\n-b\r\n*0\r\n"
    "*1\r\n*1\r\n*1\r\n$1\r\nx\r\n";

std::vector<value> sample_replies() {
  return {simple("OK"),
          err("ERR unknown command 'FOO'"),
          num(0),
          num(-42),
          num(9223372036854775807),
          bulk("hello"),
          bulk(""),
          bulk("a\r\n\0b\rc"s),
          nil(),
          nil(),
          array({}),
          simple(""),
          array({bulk("foo"), nil(), num(7)}),
          array({array({num(1), num(2)}), array({simple("a"), err("b"), array({})})}),
          array({array({array({bulk("x")})})})};
}

asio::awaitable<void> read_replies(framed<resp_client_codec, test::script_stream>* f,
                                   std::vector<value>* out) {
  while (auto r = co_await f->read())
    out->push_back(std::move(*r));
}

}  // namespace

TEST_SUITE("resp") {
  TEST_CASE("resp reply: every reply type decodes, nested arrays included") {
    auto d = feed(sample_stream);
    REQUIRE_MESSAGE(!d.error, d.error.message());
    CHECK(d.replies == sample_replies());
    CHECK(d.replies[0].is_string());
    CHECK(d.replies[1].is_error());
    CHECK(d.replies[2].is_integer());
    CHECK(d.replies[8].is_null());
    CHECK(d.replies[9].is_null());  // the null array is kind::null too
    CHECK(d.replies[10].is_array());
  }

  TEST_CASE("resp reply: the reply stream decodes the same split at every byte position") {
    const auto expected = sample_replies();
    for (std::size_t cut = 0; cut <= sample_stream.size(); ++cut) {
      CAPTURE(cut);
      resp::reply_decoder d;
      std::vector<value> got;
      std::string buf = sample_stream.substr(0, cut);
      for (int part = 0; part < 2; ++part) {
        if (part == 1) buf += sample_stream.substr(cut);
        for (;;) {
          auto r = d.decode({buf.data(), buf.size()});
          REQUIRE(r.status != decode_status::fail);
          if (r.status == decode_status::more) break;
          got.push_back(std::move(r.frame));
          buf.erase(0, r.consumed);
        }
      }
      CHECK(buf.empty());
      REQUIRE(got == expected);
    }
  }

  TEST_CASE("resp reply: byte by byte and in small chunks, the same replies") {
    for (std::size_t chunk : {1, 2, 3, 7, 64}) {
      CAPTURE(chunk);
      auto d = feed(sample_stream, chunk);
      REQUIRE(!d.error);
      CHECK(d.replies == sample_replies());
    }
  }

  TEST_CASE("resp reply: a big array byte by byte is parsed once, not once per byte") {
    // 20000 elements of 4 bytes, fed one byte at a time: with the parse state kept,
    // decoding costs one call per byte and touches each byte a bounded number of times;
    // a decoder starting over would take ~80000^2 / 2 steps (and time out here).
    std::string stream = "*20000\r\n";
    for (int i = 0; i < 20000; ++i)
      stream += ":" + std::to_string(i % 10) + "\r\n";
    const auto start = std::chrono::steady_clock::now();
    auto d = feed(stream, 1);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(!d.error);
    REQUIRE(d.replies.size() == 1);
    REQUIRE(d.replies[0].elements.size() == 20000);
    CHECK(d.replies[0].elements[12345] == num(5));
    CHECK(d.calls == stream.size());
    // Generous (sanitizers, a busy machine); the quadratic version takes minutes.
    CHECK(took < std::chrono::seconds(10));
  }

  TEST_CASE("resp reply: a long bulk string and a long simple string byte by byte") {
    const std::string payload(100000, 'p');
    const std::string stream = "$100000\r\n" + payload + "\r\n+" + payload + "\r\n";
    auto d = feed(stream, 1);
    REQUIRE(!d.error);
    REQUIRE(d.replies.size() == 2);
    CHECK(d.replies[0] == bulk(payload));
    CHECK(d.replies[1] == simple(payload));
    // The bulk header tells how much the reply needs.
    auto r = once("$100000\r\nppp");
    CHECK(r.status == decode_status::more);
    CHECK(r.needed == 9 + 100000 + 2);
  }

  TEST_CASE("resp reply: max_bulk fails on the header alone") {
    auto r = once("$1000000000\r\n");
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == errc::frame_too_large);
    r = once("$65\r\n", {.max_bulk = 64});
    CHECK(r.error == errc::frame_too_large);
    r = once("*2\r\n$1\r\nx\r\n$65\r\n", {.max_bulk = 64});  // inside an array too
    CHECK(r.error == errc::frame_too_large);
    r = once("$64\r\n", {.max_bulk = 64});
    CHECK(r.status == decode_status::more);
    r = once("$67108865\r\n");  // the 64 MiB default, plus one
    CHECK(r.error == errc::frame_too_large);
    // A simple string or error line is bounded by max_bulk too: it fails as soon as
    // max_bulk + 1 bytes arrived without a CR.
    r = once("+" + std::string(64, 'x'), {.max_bulk = 64});
    CHECK(r.status == decode_status::more);
    r = once("+" + std::string(64, 'x') + "\r", {.max_bulk = 64});
    CHECK(r.status == decode_status::more);
    r = once("+" + std::string(65, 'x'), {.max_bulk = 64});
    CHECK(r.error == errc::frame_too_large);
    r = once("-" + std::string(65, 'x'), {.max_bulk = 64});
    CHECK(r.error == errc::frame_too_large);
    auto d = feed("+" + std::string(100, 'x') + "\r\n", 1, {.max_bulk = 64});
    CHECK(d.error == errc::frame_too_large);
  }

  TEST_CASE("resp reply: max_elements fails on the array header alone") {
    auto r = once("*1048577\r\n");
    CHECK(r.error == errc::frame_too_large);
    r = once("*1048576\r\n");
    CHECK(r.status == decode_status::more);
    r = once("*5\r\n", {.max_elements = 4});
    CHECK(r.error == errc::frame_too_large);
    r = once("*1\r\n*5\r\n", {.max_elements = 4});  // per array, nested too
    CHECK(r.error == errc::frame_too_large);
    auto d = feed("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", 0, {.max_elements = 4});
    REQUIRE(!d.error);
    CHECK(d.replies[0].elements.size() == 4);
  }

  TEST_CASE("resp reply: max_depth fails on the array that goes one level too deep") {
    std::string deep;
    for (int i = 0; i < 32; ++i)
      deep += "*1\r\n";
    auto r = once(deep);  // 32 levels: fine so far
    CHECK(r.status == decode_status::more);
    auto d = feed(deep + ":1\r\n");
    REQUIRE(!d.error);
    auto r33 = once(deep + "*1\r\n");
    CHECK(r33.error == errc::frame_too_large);
    r = once("*1\r\n*1\r\n*1\r\n", {.max_depth = 2});
    CHECK(r.error == errc::frame_too_large);
    // A null or empty array at the limit opens nothing.
    d = feed("*1\r\n*1\r\n*-1\r\n*1\r\n*1\r\n*0\r\n", 0, {.max_depth = 2});
    REQUIRE(!d.error);
    CHECK(d.replies.size() == 2);
  }

  TEST_CASE("resp reply: max_reply bounds the whole reply") {
    resp::reply_limits small{.max_bulk = 100, .max_reply = 64};
    auto r = once("$60\r\n", small);  // 5 + 60 + 2 > 64
    CHECK(r.error == errc::frame_too_large);
    r = once("*3\r\n$20\r\n" + std::string(20, 'a') + "\r\n$20\r\n" + std::string(20, 'b') +
                 "\r\n$20\r\n",
             small);
    CHECK(r.error == errc::frame_too_large);
    CHECK(resp::reply_decoder{small}.max_buffered() == 64);
    auto d = feed("$57\r\n" + std::string(57, 'x') + "\r\n", 0, small);  // exactly 64
    CHECK(!d.error);
  }

  TEST_CASE("resp reply: malformed replies are bad_message") {
    const std::vector<std::string> bad{
        "?\r\n",                      // unknown type byte
        "_\r\n",                      // RESP3 null
        "%1\r\n+a\r\n+b\r\n",         // RESP3 map
        "#t\r\n",                     // RESP3 boolean
        ":\r\n",                      // no number
        ":12a\r\n",                   // not a number
        ":+1\r\n",                    // a sign Redis never sends
        ":99999999999999999999\r\n",  // over int64
        "$-2\r\n",                    // negative, not -1
        "*-2\r\n",
        "$abc\r\n",
        "$3\r\nabcd\r\n",  // no CRLF after the payload
        "$3\r\nab\r\n\r\n",
        "+OK\n",                     // LF without CR
        "+OK\rx",                    // CR without LF
        "+O\nK\r\n",                 // LF inside a simple string
        "-E\nR\r\n",                 // and inside an error
        ":1\rx\n",                   // header CR without LF
        "$" + std::string(30, '9'),  // no CR within a header's length
        "*1\r\n?x\r\n",              // inside an array
        "\r\n",
    };
    for (const auto& input : bad) {
      CAPTURE(input);
      auto d = feed(input);
      CHECK(d.error == errc::bad_message);
      auto bytewise = feed(input, 1);
      CHECK(bytewise.error == errc::bad_message);
    }
  }

  TEST_CASE("resp reply: after a reply the decoder starts clean") {
    resp::reply_decoder d;
    const std::string two = "*2\r\n:1\r\n:2\r\n+next\r\n";
    auto r = d.decode({two.data(), two.size()});
    REQUIRE(r.status == decode_status::ready);
    CHECK(r.frame == array({num(1), num(2)}));
    auto r2 = d.decode({two.data() + r.consumed, two.size() - r.consumed});
    REQUIRE(r2.status == decode_status::ready);
    CHECK(r2.frame == simple("next"));
    // Shorter input than it parsed: a new stream, parsed from its start.
    const std::string part = "*2\r\n:1\r\n";
    CHECK(d.decode({part.data(), part.size()}).status == decode_status::more);
    const std::string other = "+x\r\n";
    auto r3 = d.decode({other.data(), other.size()});
    REQUIRE(r3.status == decode_status::ready);
    CHECK(r3.frame == simple("x"));
  }

  TEST_CASE("resp reply: resp_client_codec encodes commands and values that decode back") {
    resp_client_codec codec;
    std::string out;
    const std::vector<std::string> cmd{"SET", "k", "a\r\nb"};
    codec.encode(cmd, out);
    CHECK(out == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
    out.clear();
    codec.encode(resp::command{"GET", "k"}, out);
    CHECK(out == "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    out.clear();
    for (const auto& v : sample_replies())
      codec.encode(v, out);
    auto d = feed(out);
    REQUIRE(!d.error);
    // Encoding writes kind::null as the null bulk string; otherwise the same.
    CHECK(d.replies == sample_replies());
    std::string bad;
    CHECK_THROWS_AS(codec.encode(simple("a\r\nb"), bad), std::system_error);
  }

  TEST_CASE("resp reply: framed<resp_client_codec> reads replies from a stream") {
    asio::io_context io;
    std::vector<std::string> chunks;
    for (std::size_t i = 0; i < sample_stream.size(); i += 5)
      chunks.push_back(sample_stream.substr(i, 5));
    framed<resp_client_codec, test::script_stream> f{
        test::script_stream{io.get_executor(), std::move(chunks)}};
    std::vector<value> got;
    asio::co_spawn(io, read_replies(&f, &got), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run_for(std::chrono::seconds(10));
    CHECK(got == sample_replies());
  }

  TEST_CASE("resp reply: to_string prints as redis-cli does") {
    CHECK(resp::to_string(simple("OK")) == "OK");
    CHECK(resp::to_string(err("ERR x")) == "(error) ERR x");
    CHECK(resp::to_string(num(-3)) == "(integer) -3");
    CHECK(resp::to_string(bulk("a\"b\n\x01")) == "\"a\\\"b\\n\\x01\"");
    CHECK(resp::to_string(nil()) == "(nil)");
    CHECK(resp::to_string(array({})) == "(empty array)");
    CHECK(resp::to_string(array({bulk("a"), array({num(1), nil()})})) ==
          "1) \"a\"\n2) 1) (integer) 1\n   2) (nil)");
  }
}
