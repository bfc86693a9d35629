// websocket::codec, the UTF-8 validator, SHA-1, base64 and the handshake checks as pure
// functions: no streams, no sockets.
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
  TEST_CASE("websocket: SHA-1 test vectors (FIPS 180 and block boundaries)") {
    using detail::sha1;
    CHECK(hex(sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(hex(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(hex(sha1(std::string(1000000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    // Around the padding's one-or-two-block boundary.
    CHECK(hex(sha1(std::string(55, 'a'))) == "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    CHECK(hex(sha1(std::string(56, 'a'))) == "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    CHECK(hex(sha1(std::string(63, 'a'))) == "03f09f5b158a7a8cdad920bddc29b81c18a551f5");
    CHECK(hex(sha1(std::string(64, 'a'))) == "0098ba824b5c16427bd7a1122a5a442a25ec644d");
    CHECK(hex(sha1(std::string(65, 'a'))) == "11655326c708d70319be2610e8a57d9a5b959d3b");
    CHECK(hex(sha1(std::string(119, 'a'))) == "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56");
    CHECK(hex(sha1(std::string(120, 'a'))) == "f34c1488385346a55709ba056ddd08280dd4c6d6");
  }

  TEST_CASE("websocket: Sec-WebSocket-Accept of RFC 6455's sample key") {
    // RFC 6455 section 1.3 (Python's websockets and Node's crypto agree).
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const auto key = make_key();
    CHECK(key.size() == 24);
    const auto raw = detail::base64_decode(key);
    REQUIRE(raw);
    CHECK(raw->size() == 16);
    CHECK(make_key() != key);
  }

  TEST_CASE("websocket: base64 round trips and refuses what is not canonical") {
    using detail::base64_decode;
    using detail::base64_encode;
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
    for (const char* s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
      CHECK(base64_decode(base64_encode(s)) == std::optional<std::string>{s});
    CHECK_FALSE(base64_decode("Zg="));       // not a multiple of 4
    CHECK_FALSE(base64_decode("Zh=="));      // bits under the padding not zero
    CHECK_FALSE(base64_decode("Z!=="));      // not the alphabet
    CHECK_FALSE(base64_decode("Zg==Zg=="));  // padding in the middle
    CHECK_FALSE(base64_decode("===="));
  }

  TEST_CASE("websocket: UTF-8 validation") {
    using detail::is_valid_utf8;
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ASCII, long enough for the eight-byte path"));
    CHECK(is_valid_utf8(
        "\xc2\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));  // ©, €, 😀, U+10FFFF
    CHECK(is_valid_utf8("\xed\x9f\xbf\xee\x80\x80"));  // U+D7FF, U+E000: around the surrogates
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));            // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xc1\xbf"));            // overlong
    CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));        // overlong, three bytes
    CHECK_FALSE(is_valid_utf8("\xf0\x80\x80\xaf"));    // overlong, four bytes
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));        // U+D800, a surrogate
    CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));        // U+DFFF
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));    // U+110000
    CHECK_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xff"));
    CHECK_FALSE(is_valid_utf8("\x80"));         // a stray continuation byte
    CHECK_FALSE(is_valid_utf8("abc\xe2\x82"));  // cut short
    CHECK_FALSE(is_valid_utf8("12345678\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"));
    // Incrementally, split anywhere, the same answers.
    const std::string euro_smile = "a\xe2\x82\xac\xf0\x9f\x98\x80z";
    for (std::size_t i = 0; i <= euro_smile.size(); ++i) {
      detail::utf8_validator v;
      CHECK(v.feed(std::string_view{euro_smile}.substr(0, i)));
      CHECK(v.feed(std::string_view{euro_smile}.substr(i)));
      CHECK(v.complete());
    }
    detail::utf8_validator early;
    CHECK_FALSE(early.feed("\xed\xa0"));  // known bad at the second byte already
  }

  TEST_CASE("websocket: RFC 6455 section 5.7's examples") {
    codec_options client;
    client.role = role::client;
    // A single-frame unmasked text message, as a client receives it.
    auto r = run(client, bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    CHECK(r == outcome{{{opcode::text, "Hello", 0}}, {}});
    // A single-frame masked text message, as a server receives it.
    r = run_server(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    CHECK(r == outcome{{{opcode::text, "Hello", 0}}, {}});
    // A fragmented unmasked text message.
    r = run(client, bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}));
    CHECK(r == outcome{{{opcode::continuation, "", 0}, {opcode::text, "Hello", 0}}, {}});
    // Unmasked ping, masked pong.
    r = run(client, bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    CHECK(r == outcome{{{opcode::ping, "Hello", 0}}, {}});
    r = run_server(bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    CHECK(r == outcome{{{opcode::pong, "Hello", 0}}, {}});
    // 256 bytes and 64 KiB binary messages in one unmasked frame: 16- and 64-bit lengths.
    const std::string b256(256, 'x');
    auto wire = bytes({0x82, 0x7E, 0x01, 0x00}) + b256;
    CHECK(run(client, wire) == outcome{{{opcode::binary, b256, 0}}, {}});
    const std::string b64k(65536, 'y');
    wire = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}) + b64k;
    CHECK(run(client, wire) == outcome{{{opcode::binary, b64k, 0}}, {}});
  }

  TEST_CASE("websocket: every frame split at every byte position decodes the same") {
    const codec_options server;
    const std::vector<std::string> streams{
        make_frame(0x81, "Hello"),
        make_frame(0x82, std::string(300, 'b')),    // 16-bit length
        make_frame(0x82, std::string(70000, 'c')),  // 64-bit length
        make_frame(0x81, "seven", rfc_key, 64),     // a long form for a short one
        make_frame(0x81, ""),                       // empty text
        make_frame(0x01, "Hel") + make_frame(0x89, "ping!") + make_frame(0x00, "l") +
            make_frame(0x80, "o"),                                 // ping between fragments
        make_frame(0x01, "a\xe2") + make_frame(0x80, "\x82\xac"),  // € across fragments
        make_frame(0x02, "") + make_frame(0x00, "x") + make_frame(0x80, ""),
        make_frame(0x88, close_payload(1000, "bye")) + make_frame(0x81, "after"),
        make_frame(0x88, ""),
        make_frame(0x8A, std::string(125, 'p')),
        make_frame(0x81, "ok") + make_frame(0x81, "\xc0\xaf"),  // then bad UTF-8
        make_frame(0x81, "ok") + make_frame(0xC1, "rsv1"),      // then a reserved bit
    };
    for (const auto& s : streams)
      check_every_split(server, s);

    codec_options client;
    client.role = role::client;
    check_every_split(client, make_frame(0x81, "unmasked", std::nullopt) +
                                  make_frame(0x02, "ab", std::nullopt) +
                                  make_frame(0x80, "cd", std::nullopt));
    check_every_split(client, make_frame(0x82, std::string(1000, 'z'), std::nullopt));
  }

  TEST_CASE("websocket: fragments are reassembled, control frames may come between them") {
    const auto r =
        run_server(make_frame(0x01, "Hel") + make_frame(0x89, "p") + make_frame(0x00, "l") +
                   make_frame(0x8A, "q") + make_frame(0x80, "o") + make_frame(0x82, "next"));
    const std::vector<event> want{{opcode::continuation, "", 0}, {opcode::ping, "p", 0},
                                  {opcode::continuation, "", 0}, {opcode::pong, "q", 0},
                                  {opcode::text, "Hello", 0},    {opcode::binary, "next", 0}};
    CHECK(r == outcome{want, {}});
  }

  // One big message must not pin its buffers: release_memory() (called by framed<>
  // before it waits for input) gives back what grew past keep_buffer, unfragmented
  // (the unmasking buffer) or fragmented (the reassembly buffer), and keeps a
  // reassembly in progress.
  TEST_CASE("websocket: release_memory gives back buffers a big message grew") {
    codec c{codec_options{.max_message = 4 << 20}};
    const std::string big(1 << 20, 'b');
    auto whole = make_frame(0x82, big);
    auto r = c.decode(whole);
    REQUIRE(r.status == decode_status::ready);
    CHECK(r.frame.payload == big);
    CHECK(c.buffer_capacity() >= big.size());
    c.release_memory();
    CHECK(c.buffer_capacity() < 64);  // empty strings: their small inline buffers only

    const std::string part(300 * 1024, 'f');
    auto first = make_frame(0x02, part);
    REQUIRE(c.decode(first).status == decode_status::ready);
    c.release_memory();  // between fragments: the message so far is kept
    CHECK(c.buffer_capacity() >= part.size());
    auto last = make_frame(0x80, part);
    r = c.decode(last);
    REQUIRE(r.status == decode_status::ready);
    CHECK(r.frame.payload.size() == 2 * part.size());
    c.release_memory();
    CHECK(c.buffer_capacity() < 64);

    // Small messages keep their buffer: no allocation per message.
    auto small = make_frame(0x81, std::string(1000, 's'));
    REQUIRE(c.decode(small).status == decode_status::ready);
    c.release_memory();
    CHECK(c.buffer_capacity() >= 1000);
  }

  TEST_CASE("websocket: close frames") {
    auto r = run_server(make_frame(0x88, close_payload(1001, "going")));
    CHECK(r == outcome{{{opcode::close, "going", 1001}}, {}});
    r = run_server(make_frame(0x88, ""));
    CHECK(r == outcome{{{opcode::close, "", 1005}}, {}});
    r = run_server(make_frame(0x88, close_payload(4999)));
    CHECK(r == outcome{{{opcode::close, "", 4999}}, {}});
    // A one-byte payload, codes that may not be sent: protocol errors.
    CHECK(run_server(make_frame(0x88, "x")).error == code(close_code::protocol_error));
    for (unsigned bad : {0u, 999u, 1004u, 1005u, 1006u, 1015u, 1016u, 2999u, 5000u, 65535u})
      CHECK_MESSAGE(run_server(make_frame(0x88, close_payload(bad))).error ==
                        code(close_code::protocol_error),
                    bad);
    // A reason that is not UTF-8.
    CHECK(run_server(make_frame(0x88, close_payload(1000, "\xff"))).error ==
          code(close_code::invalid_payload));
  }

  TEST_CASE("websocket: every protocol violation fails with its close code") {
    struct violation {
      const char* what;
      std::string wire;
      close_code expected;
    };
    const std::vector<violation> cases{
        {"unmasked frame from a client", make_frame(0x81, "hi", std::nullopt),
         close_code::protocol_error},
        {"RSV1 without an extension", make_frame(0xC1, "hi"), close_code::protocol_error},
        {"RSV2", make_frame(0xA1, "hi"), close_code::protocol_error},
        {"RSV3", make_frame(0x91, "hi"), close_code::protocol_error},
        {"reserved data opcode 3", make_frame(0x83, "hi"), close_code::protocol_error},
        {"reserved data opcode 7", make_frame(0x87, "hi"), close_code::protocol_error},
        {"reserved control opcode 0xB", make_frame(0x8B, "hi"), close_code::protocol_error},
        {"reserved control opcode 0xF", make_frame(0x8F, "hi"), close_code::protocol_error},
        {"ping of 126 bytes", make_frame(0x89, std::string(126, 'p')), close_code::protocol_error},
        {"fragmented ping", make_frame(0x09, "p"), close_code::protocol_error},
        {"fragmented close", make_frame(0x08, close_payload(1000)), close_code::protocol_error},
        {"continuation without a start", make_frame(0x80, "x"), close_code::protocol_error},
        {"new message inside a fragmented one", make_frame(0x01, "a") + make_frame(0x81, "b"),
         close_code::protocol_error},
        {"64-bit length with its top bit set",
         bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x37, 0xfa, 0x21, 0x3d}),
         close_code::protocol_error},
        {"invalid UTF-8", make_frame(0x81, "\xc0\xaf"), close_code::invalid_payload},
        {"UTF-8 cut at the end of a message", make_frame(0x01, "a") + make_frame(0x80, "\xe2\x82"),
         close_code::invalid_payload},
        {"a surrogate across fragments", make_frame(0x01, "\xed") + make_frame(0x80, "\xa0\x80"),
         close_code::invalid_payload},
        {"above U+10FFFF", make_frame(0x81, "\xf4\x90\x80\x80"), close_code::invalid_payload},
    };
    for (const auto& c : cases) {
      CHECK_MESSAGE(run_server(c.wire).error == code(c.expected), c.what);
      CHECK_MESSAGE(run_server(c.wire).events.size() <= 1, c.what);
    }
    // Binary is not checked for UTF-8.
    CHECK(run_server(make_frame(0x82, "\xc0\xaf")).events.size() == 1);
    // A client takes no masked frame.
    codec_options client;
    client.role = role::client;
    CHECK(run(client, make_frame(0x81, "hi")).error == code(close_code::protocol_error));
  }

  TEST_CASE("websocket: violations are caught as soon as the bytes show them") {
    codec c;
    // Two bytes tell reserved bits, opcodes, the mask bit and a control frame's length.
    for (const auto& two : {bytes({0xC1, 0x82}), bytes({0x83, 0x82}), bytes({0x81, 0x02}),
                            bytes({0x89, 0xFE}), bytes({0x09, 0x81}), bytes({0x80, 0x81})}) {
      codec fresh;
      CHECK(fresh.decode(std::span<const char>{two.data(), two.size()}).status ==
            decode_status::fail);
    }
    // Invalid UTF-8 in the first fragment fails then, not at the message's end.
    const auto first = make_frame(0x01, "ok\xff");
    auto r = c.decode(std::span<const char>{first.data(), first.size()});
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == code(close_code::invalid_payload));
  }

  TEST_CASE("websocket: max_message fails with 1009 from the header alone") {
    codec_options o;
    o.max_message = 1000;
    // Exactly the limit passes, in one frame or in fragments.
    CHECK(run(o, make_frame(0x82, std::string(1000, 'a'))).events.size() == 1);
    CHECK(run(o, make_frame(0x02, std::string(600, 'a')) + make_frame(0x80, std::string(400, 'b')))
              .events.back()
              .payload.size() == 1000);
    // One byte over: only the header has been received.
    const auto header = make_frame(0x82, std::string(1001, 'a')).substr(0, 8);
    codec c{o};
    auto r = c.decode(std::span<const char>{header.data(), header.size()});
    CHECK(r.status == decode_status::fail);
    CHECK(r.error == code(close_code::message_too_big));
    // Fragments adding up to more: fails at the header of the fragment that passes it.
    const auto first = make_frame(0x02, std::string(600, 'a'));
    const auto second = make_frame(0x80, std::string(401, 'b')).substr(0, 8);
    auto out = run(o, first + second);
    CHECK(out.error == code(close_code::message_too_big));
    // A 2^62-byte announcement costs nothing.
    CHECK(run(o, bytes({0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})).error ==
          code(close_code::message_too_big));
    // The read buffer's ceiling follows the limit, but always holds a control frame.
    CHECK(codec{o}.max_buffered() == 1000 + codec::max_header);
    o.max_message = 10;
    CHECK(codec{o}.max_buffered() == 125 + codec::max_header);
    CHECK(run(o, make_frame(0x89, std::string(125, 'p'))).events.size() == 1);  // found by fuzzing
  }

  TEST_CASE("websocket: `more` says how many bytes the frame needs") {
    codec c;
    const auto f = make_frame(0x82, std::string(300, 'x'));
    auto r = c.decode(std::span<const char>{f.data(), 1});
    CHECK(r.status == decode_status::more);
    CHECK(r.needed == 2);
    r = c.decode(std::span<const char>{f.data(), 2});
    CHECK(r.needed == 8);  // 2 + 2 length bytes + 4 mask bytes
    r = c.decode(std::span<const char>{f.data(), 8});
    CHECK(r.needed == 308);
    r = c.decode(std::span<const char>{f.data(), f.size()});
    CHECK(r.status == decode_status::ready);
    CHECK(r.consumed == 308);
  }
}
