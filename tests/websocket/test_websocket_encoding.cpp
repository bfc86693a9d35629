// websocket::codec's encoder (server frames unmasked, client frames masked, frames it
// refuses), the upgrade checks and the http::request/format pieces they use.
#include <coronet/websocket.hpp>
#include <coronet/websocket/detail/sha1.hpp>
#include <coronet/websocket/detail/utf8.hpp>

#include "websocket_codec_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Not `using namespace coronet`: coronet::codec (the concept) and coronet::detail would
// clash with websocket::codec and websocket::detail.
using namespace coronet::websocket;
using coronet::decode_status;
namespace http = coronet::http;

using namespace coronet::test::websocket_codec_support;

TEST_SUITE("websocket codec") {
  TEST_CASE("websocket: encoding, server frames unmasked, client frames masked") {
    const codec server;
    codec_options co;
    co.role = role::client;
    const codec client{co};
    std::string out;
    server.encode(std::string_view{"Hello"}, out);
    CHECK(out == bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    out.clear();
    server.encode(binary{std::string(256, 'x')}, out);
    CHECK(out.substr(0, 4) == bytes({0x82, 0x7E, 0x01, 0x00}));
    out.clear();
    server.encode(binary{std::string(65536, 'x')}, out);
    CHECK(out.substr(0, 10) == bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
    out.clear();
    server.encode(binary{std::string(125, 'x')}, out);
    CHECK(out.substr(0, 2) == bytes({0x82, 125}));
    out.clear();
    server.encode(binary{std::string(65535, 'x')}, out);
    CHECK(out.substr(0, 4) == bytes({0x82, 0x7E, 0xFF, 0xFF}));
    out.clear();
    server.encode(close_frame{1001, "bye"}, out);
    CHECK(out == bytes({0x88, 0x05, 0x03, 0xE9}) + "bye");
    out.clear();
    server.encode(close_frame{0, {}}, out);
    CHECK(out == bytes({0x88, 0x00}));
    out.clear();
    server.encode(ping{"p"}, out);
    server.encode(pong{"q"}, out);
    CHECK(out == bytes({0x89, 0x01, 'p', 0x8A, 0x01, 'q'}));

    // A client's frames carry the mask bit and decode on the server side; keys vary.
    std::vector<std::string> keys;
    for (int i = 0; i < 16; ++i) {
      out.clear();
      client.encode(std::string_view{"masked text"}, out);
      REQUIRE(out.size() == 2 + 4 + 11);
      CHECK((static_cast<unsigned char>(out[1]) & 0x80) != 0);
      keys.push_back(out.substr(2, 4));
      CHECK(run_server(out) == outcome{{{opcode::text, "masked text", 0}}, {}});
    }
    std::sort(keys.begin(), keys.end());
    CHECK(std::unique(keys.begin(), keys.end()) - keys.begin() > 8);
    // And the other way round.
    out.clear();
    server.encode(binary{std::string_view{"\x00\x01", 2}}, out);
    CHECK(run(co, out) == outcome{{{opcode::binary, std::string("\x00\x01", 2), 0}}, {}});
    // Large client frames, masked eight bytes at a time with an odd tail.
    out.clear();
    const std::string big(70001, 'q');
    client.encode(binary{big}, out);
    CHECK(run_server(out) == outcome{{{opcode::binary, big, 0}}, {}});
    // A decoded frame re-encodes as what it was (an echo).
    const auto echoed = run_server(make_frame(0x88, close_payload(4000, "x"))).events.at(0);
    out.clear();
    server.encode(frame{echoed.op, echoed.payload, echoed.code}, out);
    CHECK(out == bytes({0x88, 0x03, 0x0F, 0xA0}) + "x");
  }

  TEST_CASE("websocket: frames the encoder refuses") {
    const codec c;
    std::string out;
    CHECK_THROWS_AS(c.encode(ping{std::string(126, 'p')}, out), std::system_error);
    CHECK_THROWS_AS(c.encode(close_frame{1000, std::string(124, 'r')}, out), std::system_error);
    CHECK_THROWS_AS(c.encode(close_frame{1005, {}}, out), std::system_error);
    CHECK_THROWS_AS(c.encode(close_frame{0, "reason without code"}, out), std::system_error);
    CHECK_THROWS_AS(c.encode(frame{opcode::continuation, {}, 0}, out), std::system_error);
    CHECK(out.empty());
    c.encode(close_frame{1000, std::string(123, 'r')}, out);
    CHECK(out.size() == 2 + 125);
  }

  TEST_CASE("websocket: the upgrade checks") {
    const auto req = [](std::string head) {
      auto r = http::request::parse(head);
      REQUIRE(r);
      return std::move(*r);
    };
    const std::string good =
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
        "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
        "Sec-WebSocket-Protocol: v3\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const auto ok = req(good);
    CHECK(is_upgrade(ok));
    CHECK(check_upgrade(ok).status == 0);
    CHECK(ok.find("origin") == std::optional<std::string_view>{"http://example.com"});
    CHECK(offered_subprotocols(ok) == std::vector<std::string_view>{"chat", "superchat", "v3"});
    CHECK(choose_subprotocol(ok, {"v3", "chat"}) == "v3");
    CHECK(choose_subprotocol(ok, {"other"}).empty());

    const auto status_of = [&](std::string from, std::string to) {
      std::string h = good;
      const auto at = h.find(from);
      REQUIRE(at != std::string::npos);
      h.replace(at, from.size(), to);
      return check_upgrade(req(h)).status;
    };
    CHECK(status_of("GET", "POST") == 405);
    CHECK(status_of("HTTP/1.1", "HTTP/1.0") == 400);
    CHECK(status_of("Upgrade: websocket\r\n", "") == 400);
    CHECK(status_of("Upgrade: websocket", "Upgrade: h2c") == 400);
    CHECK(status_of("keep-alive, Upgrade", "keep-alive") == 400);
    CHECK(status_of("Sec-WebSocket-Version: 13\r\n", "") == 426);
    CHECK(status_of("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8") == 426);
    CHECK(status_of("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "") == 400);
    CHECK(status_of("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==") == 400);  // 11 bytes
    CHECK(status_of("dGhlIHNhbXBsZSBub25jZQ==", "not base64 at all!!!!!!!") == 400);
    CHECK(status_of("Origin:", "Content-Length: 3\r\nOrigin:") == 400);
    CHECK_FALSE(is_upgrade(req("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  }

  TEST_CASE("websocket: http::request keeps its views across moves, and the rest") {
    auto r = http::request::parse("GET /a?b=1 HTTP/1.1\r\nHost: h\r\n\r\n\x81\x85");
    REQUIRE(r);
    http::request moved = std::move(*r);
    http::request again;
    again = std::move(moved);
    CHECK(again.path() == "/a");
    CHECK(again.query() == "b=1");
    CHECK(again.find("host") == std::optional<std::string_view>{"h"});
    CHECK(again.rest() == "\x81\x85");
    http::parse_result why;
    CHECK_FALSE(http::request::parse("GET / HTTP/1.1\r\n", {}, &why));
    CHECK(why.status == http::parse_status::more);
  }

  TEST_CASE("websocket: http::format writes a whole response") {
    http::response r;
    r.status = 404;
    r.body = "nope\n";
    r.headers.emplace_back("X-Test", "1");
    const auto text = http::format(r);
    CHECK(text.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
    CHECK(text.find("\r\nContent-Length: 5\r\n") != std::string::npos);
    CHECK(text.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(text.find("\r\nX-Test: 1\r\n") != std::string::npos);
    CHECK(text.substr(text.size() - 9) == "\r\n\r\nnope\n");
    CHECK(http::error_response(405, "only GET").body == "405 Method Not Allowed: only GET\n");
  }
}
