// coronet::resp_codec encoding: every reply type byte-exact, decoded requests encoded
// again, what cannot be encoded refused, and framed<> writing replies in one write.
#include "script_stream.hpp"
#include "support.hpp"

#include <coronet/framing/framed.hpp>
#include <coronet/resp/resp_codec.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <ranges>
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

std::string encoded(auto&& value) {
  std::string out;
  resp_codec{}.encode(value, out);
  return out;
}

}  // namespace

TEST_SUITE("resp") {
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
    std::vector<resp::array<const std::vector<std::string_view>&>> nested;
    nested.push_back(resp::array{words});
    nested.push_back(resp::array{words});
    CHECK(encoded(resp::array{nested}) ==
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
