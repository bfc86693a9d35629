// coronet::resp_codec's limits and errors: malformed requests refused with Redis's
// wording, oversized bulks, argument counts, requests and inline lines refused on their
// headers, before their bytes are buffered.
#include "resp_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::resp_support;

TEST_SUITE("resp") {
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
      CHECK(r.status == decode_status::fail);
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
    // Past an argument already parsed too, and the codec says why.
    resp_codec c;
    const std::string in = "*2\r\n$3\r\nSET\r\n$1000000000\r\n";
    auto first = c.decode(std::span<const char>{in.data(), in.size()});
    CHECK(first.status == decode_status::fail);
    CHECK(first.error == errc::frame_too_large);
    CHECK(c.error_detail() == "invalid bulk length");

    auto r = decode_once("*1\r\n$65\r\n", {.max_bulk = 64});
    CHECK(r.error == errc::frame_too_large);
    r = decode_once("*1\r\n$64\r\n", {.max_bulk = 64});
    CHECK(r.status == decode_status::more);
    CHECK(r.needed == 9 + 64 + 2);
    r = decode_once("*1\r\n$67108865\r\n");  // the 64 MiB default, plus one
    CHECK(r.error == errc::frame_too_large);
  }

  TEST_CASE("resp: an oversized argument count is refused on its header") {
    auto r = decode_once("*1048577\r\n");
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == errc::frame_too_large);
    r = decode_once("*1048576\r\n");
    CHECK(r.status == decode_status::more);
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
    CHECK(r.status == decode_status::more);
    CHECK(resp_codec{o}.max_buffered() == 64);
    CHECK(resp_codec{}.max_buffered() == 128u * 1024 * 1024);
  }

  TEST_CASE("resp: inline lines of max_inline pass and one byte more fails at once") {
    const resp_options o{.max_inline = 16};
    const std::string line(16, 'x');
    CHECK(decode_once(line + "\r\n", o).status == decode_status::ready);
    CHECK(decode_once(line + "\n", o).status == decode_status::ready);
    CHECK(decode_once(line, o).status == decode_status::more);
    CHECK(decode_once(line + "\r", o).status == decode_status::more);
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
}
