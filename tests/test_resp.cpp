// coronet::resp_codec: decoding at every split point, every reply type byte-exact,
// malformed and oversized input refused early.
#include "script_stream.hpp"
#include "support.hpp"

#include <coronet/framed.hpp>
#include <coronet/resp_codec.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace std::string_literals;

static_assert(codec<resp_codec>);
static_assert(encoder_for<resp_codec, resp::simple>);
static_assert(encoder_for<resp_codec, resp::error>);
static_assert(encoder_for<resp_codec, resp::integer>);
static_assert(encoder_for<resp_codec, resp::bulk>);
static_assert(encoder_for<resp_codec, resp::null_bulk>);
static_assert(encoder_for<resp_codec, resp::null_array>);
static_assert(encoder_for<resp_codec, resp::array_header>);
static_assert(encoder_for<resp_codec, resp::command>);
static_assert(encoder_for<resp_codec, resp::request>);
static_assert(encoder_for<resp_codec, std::optional<std::string_view>>);
static_assert(encoder_for<resp_codec, resp::array<std::span<const std::string_view>>>);
static_assert(!encoder_for<resp_codec, int>);  // integers must say resp::integer
static_assert(detail::has_max_buffered<resp_codec>);
static_assert(detail::gather_encoder_for<resp_codec, resp::bulk>);
static_assert(std::ranges::random_access_range<resp::request>);

namespace {

using args = std::vector<std::string>;

args to_args(const resp::request& r) {
  return {r.begin(), r.end()};
}

// Feeds `input` to `codec` as framed<> does, all of it at once; collects the requests
// (copied) until the codec needs more or fails.
decode_status decode_all(resp_codec& codec, std::string_view input, std::vector<args>& out,
                         std::error_code* error = nullptr) {
  std::size_t at = 0;
  for (;;) {
    auto r = codec.decode(std::span<const char>(input.data() + at, input.size() - at));
    if (r.status == decode_status::ready) {
      out.push_back(to_args(r.frame));
      at += r.consumed;
      continue;
    }
    if (r.status == decode_status::error && error != nullptr) *error = r.error;
    return r.status;
  }
}

// One decode() of `input` by a fresh codec: what it said, without the frame (which
// would point into the codec's argument table).
struct answer {
  decode_status status;
  std::error_code error;
  std::size_t needed;
};
answer decode_once(std::string_view input, resp_options o = {}) {
  resp_codec codec{o};
  auto r = codec.decode({input.data(), input.size()});
  return {r.status, r.error, r.needed};
}

asio::awaitable<void> collect(framed<resp_codec, script_stream>* f, std::vector<args>* out,
                              std::error_code* error) {
  try {
    while (auto r = co_await f->read())
      out->push_back(to_args(*r));
  } catch (const std::system_error& e) {
    *error = e.code();
  }
}

struct decoded {
  std::vector<args> requests;
  std::error_code error;
  std::size_t reads = 0;
  std::string detail;
};

decoded decode_chunks(std::vector<std::string> chunks, resp_options o = {},
                      framed_options fo = {}) {
  asio::io_context io;
  framed<resp_codec, script_stream> f{script_stream{io.get_executor(), std::move(chunks)},
                                      resp_codec{o}, fo};
  decoded d;
  asio::co_spawn(io, collect(&f, &d.requests, &d.error), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run_for(std::chrono::seconds(20));
  d.reads = f.read_count();
  d.detail = f.codec().error_detail();
  return d;
}

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

std::string encoded(auto&& value) {
  std::string out;
  resp_codec{}.encode(value, out);
  return out;
}

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
    REQUIRE(decode_all(c, s, want) == decode_status::need_more);
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
    REQUIRE(r.status == decode_status::need_more);
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
    CHECK(decode_all(c, "\r\n \t \r\n*0\r\n*-1\r\n\n", got) == decode_status::need_more);
    CHECK(got == std::vector<args>(5));
  }

  TEST_CASE("resp: inline lines split on all whitespace as Redis's sdssplitargs does") {
    std::vector<args> got;
    resp_codec c;
    // Any isspace() separates arguments; only space, tab, CR and LF end an unquoted one.
    CHECK(decode_all(c, "PING\rPING\r\n\vPING\f \t\r\r\nA\vB \fC\n", got) ==
          decode_status::need_more);
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
      CHECK(decode_all(c, in, got) == decode_status::need_more);
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

  TEST_CASE("resp: malformed requests are bad_message with Redis's wording") {
    struct bad_case {
      std::string input;
      std::string detail;
    };
    const std::vector<bad_case> cases{
        {"*x\r\n", "invalid multibulk length"},
        {"*\r\n", "invalid multibulk length"},
        {"*+1\r\n", "invalid multibulk length"},
        {"*01\r\n", "invalid multibulk length"},
        {"*1 \r\n", "invalid multibulk length"},
        {"*-2\r\n", "invalid multibulk length"},    // negative, not -1
        {"*1\r\n$-2\r\n", "invalid bulk length"},   // negative bulk length
        {"*1\r\n$-1\r\n", "invalid bulk length"},   // a null is no argument
        {"*1\r\n$abc\r\n", "invalid bulk length"},  // non-numeric
        {"*1\r\n$3x\r\n", "invalid bulk length"},
        {"*1\r\n$\r\n", "invalid bulk length"},
        {"*1\r\n$3\r\nabcd\r\n", "missing CRLF after bulk string"},
        {"*1\r\n$3\r\nabc\n\r", "missing CRLF after bulk string"},
        {"*1\n$3\r\nabc\r\n", "invalid multibulk length"},  // LF without CR
        {"*1\rx", "invalid multibulk length"},              // CR without LF
        {"*1\r\n$3\rxabc\r\n", "invalid bulk length"},
        {"*2\r\n$3\r\nGET\r\n:1\r\n", "expected '$', got ':'"},
        {"*1\r\nPING\r\n", "expected '$', got 'P'"},
        {"*" + std::string(30, '1'), "invalid multibulk length"},  // no CR within 24 bytes
        {"*1\r\n$" + std::string(30, '9'), "invalid bulk length"},
        {"*99999999999999999999\r\n", "invalid multibulk length"},  // over int64
    };
    for (const auto& bc : cases) {
      CAPTURE(bc.input);
      resp_codec c;
      auto r = c.decode({bc.input.data(), bc.input.size()});
      CHECK(r.status == decode_status::error);
      CHECK(r.error == errc::bad_message);
      CHECK(c.error_detail() == bc.detail);
    }
  }

  TEST_CASE("resp: an oversized bulk length is refused on its header with nothing buffered") {
    // Through framed<>: the header alone ends the stream; the 1 MiB that follows is
    // never read, and the read buffer never grew for it.
    auto d = decode_chunks({"*1\r\n$1000000000\r\n", std::string(1 << 20, 'x')});
    CHECK(d.error == errc::frame_too_large);
    CHECK(d.reads == 1);
    CHECK(d.detail == "invalid bulk length");
    CHECK(decode_chunks({"*1\r\n$1000000000\r\n"}).error == errc::frame_too_large);

    auto r = decode_once("*1\r\n$65\r\n", {.max_bulk = 64});
    CHECK(r.error == errc::frame_too_large);
    r = decode_once("*1\r\n$64\r\n", {.max_bulk = 64});
    CHECK(r.status == decode_status::need_more);
    CHECK(r.needed == 9 + 64 + 2);
    r = decode_once("*1\r\n$67108865\r\n");  // the 64 MiB default, plus one
    CHECK(r.error == errc::frame_too_large);
  }

  TEST_CASE("resp: an oversized argument count is refused on its header") {
    auto r = decode_once("*1048577\r\n");
    CHECK(r.status == decode_status::error);
    CHECK(r.error == errc::frame_too_large);
    r = decode_once("*1048576\r\n");
    CHECK(r.status == decode_status::need_more);
    r = decode_once("*4\r\n", {.max_arguments = 3});
    CHECK(r.error == errc::frame_too_large);
    r = decode_once("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", {.max_arguments = 3});
    CHECK(r.status == decode_status::ready);
  }

  TEST_CASE("resp: the whole request is bounded by max_request") {
    resp_options o{.max_bulk = 100, .max_inline = 16, .max_request = 64};
    auto r = decode_once("*2\r\n$40\r\n" + std::string(40, 'a') + "\r\n$10\r\n", o);
    CHECK(r.error == errc::frame_too_large);  // 56 + 10 + 2 > 64: refused on its header
    r = decode_once("*2\r\n$40\r\n" + std::string(40, 'a') + "\r\n$5\r\n", o);
    CHECK(r.status == decode_status::need_more);
    CHECK(resp_codec{o}.max_buffered() == 64);
    CHECK(resp_codec{}.max_buffered() == 128u * 1024 * 1024);
  }

  TEST_CASE("resp: inline lines of max_inline pass and one byte more fails at once") {
    const resp_options o{.max_inline = 16};
    const std::string line(16, 'x');
    CHECK(decode_once(line + "\r\n", o).status == decode_status::ready);
    CHECK(decode_once(line + "\n", o).status == decode_status::ready);
    CHECK(decode_once(line, o).status == decode_status::need_more);
    CHECK(decode_once(line + "\r", o).status == decode_status::need_more);
    CHECK(decode_once(line + "x", o).error == errc::frame_too_large);
    CHECK(decode_once(line + "\rx", o).error == errc::frame_too_large);
    CHECK(decode_once(line + "x\r\n", o).error == errc::frame_too_large);

    // The default, 64 KiB: a line that never ends fails after 64 KiB + 1, not later.
    auto d = decode_chunks({std::string(70000, 'a'), std::string(1 << 20, 'b')}, {},
                           {.read_buffer_size = 1024});
    CHECK(d.error == errc::frame_too_large);
    CHECK(d.reads <= 8);  // 1 KiB doubling up to just past 64 KiB; the 1 MiB never read
    CHECK(d.detail == "too big inline request");
  }

  TEST_CASE("resp: EOF inside a request is truncated_frame and between requests a clean end") {
    CHECK(decode_chunks({"PING\r\n*2\r\n$3\r\nGET"}).error == errc::truncated_frame);
    CHECK(decode_chunks({"PING"}).error == errc::truncated_frame);
    auto d = decode_chunks({"PING\r\n"});
    CHECK(!d.error);
    CHECK(d.requests == std::vector<args>{{"PING"}});
  }

  TEST_CASE("resp: every reply type encodes byte-exact") {
    CHECK(encoded(resp::simple{"OK"}) == "+OK\r\n");
    CHECK(encoded(resp::simple{""}) == "+\r\n");
    CHECK(encoded(resp::error{"ERR unknown command"}) == "-ERR unknown command\r\n");
    CHECK(encoded(resp::integer{0}) == ":0\r\n");
    CHECK(encoded(resp::integer{-42}) == ":-42\r\n");
    CHECK(encoded(resp::integer{std::numeric_limits<std::int64_t>::max()}) ==
          ":9223372036854775807\r\n");
    CHECK(encoded(resp::integer{std::numeric_limits<std::int64_t>::min()}) ==
          ":-9223372036854775808\r\n");
    CHECK(encoded(resp::bulk{"hello"}) == "$5\r\nhello\r\n");
    CHECK(encoded(resp::bulk{""}) == "$0\r\n\r\n");
    CHECK(encoded(resp::bulk{"a\r\n\0b"s}) == "$5\r\na\r\n\0b\r\n"s);
    CHECK(encoded(std::string_view{"sv"}) == "$2\r\nsv\r\n");
    CHECK(encoded(resp::null) == "$-1\r\n");
    CHECK(encoded(resp::null_array{}) == "*-1\r\n");
    CHECK(encoded(resp::array_header{0}) == "*0\r\n");
    CHECK(encoded(resp::array_header{3}) == "*3\r\n");
    CHECK(encoded(std::optional<std::string_view>{}) == "$-1\r\n");
    CHECK(encoded(std::optional<std::string_view>{"v"}) == "$1\r\nv\r\n");

    const std::vector<std::string_view> words{"a", "bc"};
    CHECK(encoded(resp::array{words}) == "*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
    CHECK(encoded(resp::array{std::vector<std::string_view>{}}) == "*0\r\n");
    const std::vector<resp::integer> numbers{{1}, {-2}};
    CHECK(encoded(resp::array{numbers}) == "*2\r\n:1\r\n:-2\r\n");
    const std::vector<std::optional<std::string_view>> maybe{"x", std::nullopt};
    CHECK(encoded(resp::array{maybe}) == "*2\r\n$1\r\nx\r\n$-1\r\n");
    // Nested: [[a, bc], [a, bc]].
    const std::vector<std::vector<std::string_view>> nested{words, words};
    const auto inner = [](const std::vector<std::string_view>& v) { return resp::array{v}; };
    CHECK(encoded(resp::array{nested | std::views::transform(inner)}) ==
          "*2\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n");

    CHECK(encoded(resp::command{"SET", "k", "v"}) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    CHECK(encoded(resp::command{std::span<const std::string_view>{words}}) ==
          "*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
  }

  TEST_CASE("resp: a decoded request re-encodes as the same command") {
    const std::string in = "SET k   v\r\n";
    resp_codec c;
    auto r = c.decode({in.data(), in.size()});
    REQUIRE(r.status == decode_status::ready);
    CHECK(encoded(r.frame) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    CHECK(encoded(resp::request{}) == "*0\r\n");
  }

  TEST_CASE("resp: CR or LF in a simple string or error is refused") {
    for (auto text : {"a\r\nb", "a\n", "\r"}) {
      CAPTURE(text);
      std::string out;
      try {
        resp_codec{}.encode(resp::simple{text}, out);
        FAIL("encoded a simple string holding CR/LF");
      } catch (const std::system_error& e) {
        CHECK(e.code() == errc::invalid_frame);
      }
      CHECK_THROWS_AS(resp_codec{}.encode(resp::error{text}, out), std::system_error);
      CHECK(out.empty());
    }
  }

  TEST_CASE("resp: iequals ignores the case of ASCII letters and nothing else") {
    CHECK(resp::iequals("get", "GET"));
    CHECK(resp::iequals("ConFig", "CONFIG"));
    CHECK(resp::iequals("", ""));
    CHECK_FALSE(resp::iequals("get", "GETS"));
    CHECK_FALSE(resp::iequals("get", "GEX"));
    CHECK_FALSE(resp::iequals("@", "`"));  // differ in bit 5 only, but not letters
    CHECK_FALSE(resp::iequals("[", "{"));
  }

  TEST_CASE("resp: framed writes replies in one write and send() gathers a large bulk") {
    asio::io_context io;
    framed<resp_codec, script_stream> f{script_stream{io.get_executor(), {}}};
    const std::string big(100000, 'z');
    asio::co_spawn(
        io,
        [](framed<resp_codec, script_stream>* fr,
           const std::string* payload) -> asio::awaitable<void> {
          fr->write(resp::simple{"OK"});
          fr->write(resp::integer{3});
          fr->write(resp::null);
          co_await fr->flush();
          co_await fr->send(resp::bulk{*payload});
          co_await fr->flush();
        }(&f, &big),
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run_for(std::chrono::seconds(20));
    CHECK(f.stream().written == "+OK\r\n:3\r\n$-1\r\n$100000\r\n" + big + "\r\n");
    CHECK(f.write_count() == 2);
  }
}
