// The PROXY protocol: the parser against the specification's examples, every header
// split at every byte, hostile headers; the server option with trusted proxies, limits
// and TLS; and HAProxy itself in front of a coronet server (send-proxy, send-proxy-v2).
#include "process.hpp"
#include "proxy_support.hpp"
#include "support.hpp"

#include <coronet/proxy/proxy_protocol.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

using namespace coronet;
using namespace coronet::test;

namespace {

using tcp = asio::ip::tcp;

std::string be16(unsigned v) {
  return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

std::string tlv(unsigned type, const std::string& value) {
  return std::string(1, static_cast<char>(type)) + be16(static_cast<unsigned>(value.size())) +
         value;
}

const std::string v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};

// A version 2 header: command (0 LOCAL, 1 PROXY), family/transport byte, then body.
std::string v2(unsigned command, unsigned family, const std::string& body) {
  return v2_signature + static_cast<char>(0x20 | command) + static_cast<char>(family) +
         be16(static_cast<unsigned>(body.size())) + body;
}

std::string v2_tcp4(const std::string& tlvs = {}) {
  const std::string addresses{"\xcb\x00\x71\x07\x7f\x00\x00\x01", 8};  // 203.0.113.7 -> 127.0.0.1
  return v2(1, 0x11, addresses + be16(4242) + be16(7000) + tlvs);
}

// CPU time of the whole process (all threads), user and system.
std::chrono::microseconds process_cpu_time() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto us = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return us(u.ru_utime) + us(u.ru_stime);
}

proxy_parse_result parse(std::string_view text, proxy_header* out = nullptr) {
  proxy_header ignored;
  return parse_proxy_header(text, out != nullptr ? *out : ignored);
}

}  // namespace

TEST_SUITE("proxy") {
  TEST_CASE("proxy: the specification's version 1 examples") {
    proxy_header h;
    auto r = parse("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n", &h);
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(r.size == 47);
    CHECK(h.version == 1);
    CHECK(!h.local);
    CHECK(h.source == tcp::endpoint{asio::ip::make_address("192.168.0.1"), 56324});
    CHECK(h.destination == tcp::endpoint{asio::ip::make_address("192.168.0.11"), 443});

    const std::string worst6 =
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    r = parse(worst6, &h);
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(r.size == 104);
    CHECK(h.source.port() == 65535);
    CHECK(h.source.address().is_v6());

    r = parse("PROXY UNKNOWN\r\n", &h);
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(h.local);
    const std::string worst_unknown =
        "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    CHECK(worst_unknown.size() == 107);
    r = parse(worst_unknown, &h);
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(r.size == 107);
    CHECK(h.local);
  }

  TEST_CASE("proxy: version 2 addresses TLVs LOCAL and UNSPEC") {
    proxy_header h;
    const auto with_tlvs = v2_tcp4(tlv(0x01, "h2") + tlv(0x02, "example.com") + tlv(0x04, "pad") +
                                   tlv(0x05, "id-123"));
    auto r = parse(with_tlvs + "payload", &h);
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(r.size == with_tlvs.size());
    CHECK(h.version == 2);
    CHECK(h.source == tcp::endpoint{asio::ip::make_address("203.0.113.7"), 4242});
    CHECK(h.destination == tcp::endpoint{asio::ip::make_address("127.0.0.1"), 7000});
    CHECK(h.alpn == "h2");
    CHECK(h.authority == "example.com");
    CHECK(h.unique_id == "id-123");

    std::string six(32, '\0');
    six[15] = 1;  // ::1
    six[31] = 2;  // ::2
    r = parse(v2(1, 0x21, six + be16(1) + be16(2)), &h);
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(h.source == tcp::endpoint{asio::ip::make_address("::1"), 1});

    r = parse(v2(0, 0x00, ""), &h);  // LOCAL: a health check
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(h.local);
    r = parse(v2(0, 0x11, std::string(12, 'x')), &h);  // LOCAL may carry anything
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(h.local);
    r = parse(v2(1, 0x00, ""), &h);  // PROXY with UNSPEC: the socket's addresses stand
    REQUIRE(r.status == proxy_parse_status::ready);
    CHECK(h.local);
  }

  TEST_CASE("proxy: every header split at every byte is more until whole") {
    const std::vector<std::string> headers{
        "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
        "PROXY TCP6 ::1 ::2 1 2\r\n",
        "PROXY UNKNOWN\r\n",
        v2_tcp4(tlv(0x05, "abc")),
        v2(0, 0x00, ""),
    };
    for (const auto& h : headers) {
      CAPTURE(h);
      for (std::size_t k = 0; k < h.size(); ++k) {
        CAPTURE(k);
        REQUIRE(parse(h.substr(0, k)).status == proxy_parse_status::more);
      }
      auto r = parse(h + "rest of the stream");
      REQUIRE(r.status == proxy_parse_status::ready);
      CHECK(r.size == h.size());
    }
  }

  TEST_CASE("proxy: garbage truncated and oversized headers fail with a reason") {
    const std::vector<std::string> bad{
        "GET / HTTP/1.1\r\n",
        std::string("\x16\x03\x01\x02\x00", 5),  // a TLS ClientHello
        "PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n",
        std::string("PROXY TCP4 1.2.3.4\0\0 4.5.6.7 1 2\r\n", 34),  // NUL after an address
        "PROXY TCP4 1.2.3.4 4.5.6.7 01 2\r\n",
        "PROXY TCP4 1.2.3.4 4.5.6.7 1 65536\r\n",
        "PROXY TCP4 1.2.3.4 4.5.6.7 1\r\n",
        "PROXY TCP4 1.2.3.4 4.5.6.7 1 2 3\r\n",
        "PROXY TCP6 1.2.3.4 4.5.6.7 1 2\r\n",
        "PROXY UDP4 1.2.3.4 4.5.6.7 1 2\r\n",
        "PROXY TCP4 1.2.3.4 4.5.6.7 1 2\n",
        "PROXY " + std::string(110, 'A'),
        v2_signature + '\x31' + '\x11' + be16(12) + std::string(12, '\0'),  // version 3
        v2_signature + '\x22' + '\x11' + be16(12) + std::string(12, '\0'),  // command 2
        v2(1, 0x12, std::string(12, '\0')),                                 // DGRAM
        v2(1, 0x11, std::string(11, '\0')),                                 // addresses cut short
        v2(1, 0x41, std::string(12, '\0')),                                 // family 4
        v2_tcp4(std::string("\x05\x00\x10", 3) + "short"),                  // TLV overrun
        v2_tcp4(tlv(0x05, std::string(129, 'u'))),                          // unique ID too long
        v2(1, 0x11, std::string(4000, '\0')),                               // over the size limit
    };
    for (const auto& b : bad) {
      CAPTURE(b);
      auto r = parse(b);
      CHECK(r.status == proxy_parse_status::fail);
      CHECK(!r.error.empty());
    }
    // An oversized v2 header fails on its 16 fixed bytes, before the rest arrives.
    CHECK(parse(v2(1, 0x11, std::string(4000, '\0')).substr(0, 16)).status ==
          proxy_parse_status::fail);
  }

  TEST_CASE("proxy: the server reports the client from the header and what follows is intact") {
    reporting_server s;
    auto said = exchange_now(s.server.port(), v2_tcp4(tlv(0x05, "req-9") + tlv(0x01, "h2")));
    CHECK(said == "203.0.113.7 4242 via 127.0.0.1 v2 id=req-9 alpn=h2 authority=\ndata");
    // Version 1, the header dribbled in one byte every 5 ms.
    said = exchange_now(s.server.port(), "PROXY TCP4 198.51.100.1 127.0.0.1 5555 7000\r\n", 1,
                        std::chrono::milliseconds(5));
    CHECK(said == "198.51.100.1 5555 via 127.0.0.1 v1 id= alpn= authority=\ndata");
    // LOCAL keeps the socket's own address.
    said = exchange_now(s.server.port(), v2(0, 0, ""));
    CHECK(said.starts_with("127.0.0.1 "));
    CHECK(s.server.server().stats().total.closed(close_cause::proxy_refused) == 0);
  }

  // A peer that sends half a header and pauses must cost nothing while it pauses. The
  // header reader used to peek and leave the bytes in the socket, so its wait for more
  // completed at once, every time: about 90 % of a core until the header timeout. The
  // server's CPU time over the pause tells (the test's own thread sleeps meanwhile).
  TEST_CASE("proxy: a header cut short and paused does not spin the worker") {
    reporting_server s;
    const auto port = s.server.port();
    asio::io_context io;
    tcp::socket peer{io};
    peer.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(peer, asio::buffer(std::string_view{"PROXY TCP4 1.2.3"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the server see it
    const auto before = process_cpu_time();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the pause being measured
    const auto spent = process_cpu_time() - before;
    MESSAGE("server CPU during a 500 ms pause: " << spent.count() << " us");
    CHECK(spent < std::chrono::milliseconds(100));
    // The rest of the header, then data: served as if it had come whole.
    asio::write(peer, asio::buffer(std::string_view{".4 127.0.0.1 1234 7000\r\ndata"}));
    std::string said;
    std::error_code ec;
    for (;;) {
      char chunk[256];
      const auto n = peer.read_some(asio::buffer(chunk), ec);
      said.append(chunk, n);
      if (ec || said.ends_with("data")) break;
    }
    CHECK(said == "1.2.3.4 1234 via 127.0.0.1 v1 id= alpn= authority=\ndata");
  }

  TEST_CASE("proxy: bad headers untrusted peers and silence are refused and counted") {
    std::atomic<int> reported{0};
    server_options o;
    o.proxy.header_timeout = std::chrono::milliseconds(300);
    reporting_server s{o};
    const auto port = s.server.port();
    CHECK(exchange_now(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") == "");
    CHECK(exchange_now(port, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n") == "");
    CHECK(exchange_now(port, v2(1, 0x11, std::string(4000, '\0'))) == "");
    CHECK(exchange_now(port, "PROXY TCP4 1.2.") == "");  // cut short, then "data": garbage
    // Silent: closed by the header timeout.
    run([&]() -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", port);
      CHECK(co_await read_to_eof(conn) == "");
    }());
    // The silent one is counted as its handler-less coroutine ends, just after the close
    // its client saw.
    for (int i = 0;
         i < 500 && s.server.server().stats().total.closed(close_cause::proxy_refused) < 5; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(s.server.server().stats().total.closed(close_cause::proxy_refused) == 5);
    // The server still serves a good header.
    CHECK(exchange_now(port, "PROXY TCP4 9.9.9.9 127.0.0.1 9 7000\r\n").starts_with("9.9.9.9 9 "));

    // Only trusted peers may send a header at all: 127.0.0.1 is not in 10.0.0.0/8.
    server_options strict;
    strict.proxy.trusted = {"10.0.0.0/8", "192.168.1.1"};
    std::string refusal;
    std::error_code refusal_code;
    strict.observers.on_handshake_error = [&](const error_info& info) {
      try {
        std::rethrow_exception(info.error);
      } catch (const std::system_error& e) {
        refusal = e.what();
        refusal_code = e.code();
      }
      ++reported;
    };
    strict.proxy.enabled = true;
    running_server untrusting{echo_handler, strict};
    CHECK(exchange_now(untrusting.port(), "PROXY TCP4 9.9.9.9 127.0.0.1 9 7000\r\n") == "");
    untrusting.stop_and_wait();
    CHECK(untrusting.server().stats().total.closed(close_cause::proxy_refused) == 1);
    CHECK(reported == 1);
    // Its own error, whose text says what happened once (it used to borrow TLS's:
    // "PROXY header refused: the peer is not a trusted proxy: TLS handshake failed").
    CHECK(refusal_code == errc::proxy_refused);
    CHECK(refusal == "the peer is not a trusted proxy: PROXY header refused");

    server_options broken;
    broken.proxy.trusted = {"10.0.0.0/33"};
    CHECK_THROWS_AS(server{broken}, std::invalid_argument);
    broken.proxy.trusted = {"not an address"};
    CHECK_THROWS_AS(server{broken}, std::invalid_argument);
  }
}
