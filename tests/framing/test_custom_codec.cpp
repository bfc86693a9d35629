// The codec from docs/framing.md plugs into framed<> with no change to the library.
#include "netstring_codec.hpp"
#include "script_stream.hpp"
#include "support.hpp"

#include <coronet/framing/framed.hpp>

using namespace coronet;
using namespace coronet::test;

namespace {

asio::awaitable<void> reverse_each(connection conn) {
  framed<netstring_codec, connection> f{std::move(conn), netstring_codec{100}};
  while (auto frame = co_await f.read())
    f.write(std::string(frame->rbegin(), frame->rend()));
}

asio::awaitable<void> talk(std::uint16_t port) {
  framed<netstring_codec, connection> f{co_await connect("127.0.0.1", port)};
  f.write(std::string_view{"hello"});
  f.write(std::string_view{""});
  f.write(std::string_view{"coronet"});
  for (std::string_view want : {"olleh", "", "tenoroc"}) {
    auto got = co_await f.read();
    REQUIRE(got);
    CHECK(*got == want);
  }
}

}  // namespace

TEST_SUITE("codecs") {
  TEST_CASE("a user codec written from scratch works over a connection") {
    running_server s{reverse_each};
    run(talk(s.port()));
  }

  TEST_CASE("the netstring codec rejects bad and oversized frames early") {
    netstring_codec codec{100};
    auto decode = [&](std::string_view s) {
      return codec.decode(std::span<const char>(s.data(), s.size()));
    };
    CHECK(decode("5:hel").status == decode_status::more);
    CHECK(decode("5:hel").needed == 8);
    CHECK(decode("5:hello,").frame == "hello");
    CHECK(decode("5:hello;").error == errc::bad_message);
    CHECK(decode("x:").error == errc::bad_message);
    CHECK(decode("101:").error == errc::frame_too_large);
    CHECK(decode("1234").error == errc::frame_too_large);  // four digits cannot fit 100
    CHECK(decode("123").status == decode_status::more);
  }
}
