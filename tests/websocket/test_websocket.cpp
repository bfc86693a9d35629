// The WebSocket layer over loopback: a coronet server (websocket::accept) and coronet
// clients (websocket::connect), raw clients for what no polite client sends, the
// upgrade's refusals, the keepalive, a server stop; and clients nobody here wrote:
// Python's `websockets` and Node's `ws`: test_websocket_clients.cpp.
#include "process.hpp"
#include "websocket_support.hpp"

#include <filesystem>
#include <regex>

using namespace coronet;
using namespace coronet::test;
using websocket::close_code;
using websocket::opcode;

namespace {

websocket::client_options client_opts() {
  websocket::client_options o;
  o.handshake_timeout = 5s;
  return o;
}

asio::awaitable<void> echo_round_trips(std::uint16_t port) {
  auto options = client_opts();
  options.subprotocols = {"other", "echo.v1"};
  auto ws = co_await websocket::connect("127.0.0.1", port, "/echo", options);
  CHECK(ws.subprotocol() == "echo.v1");
  co_await ws.send_text("hello");
  auto m = co_await ws.read();
  REQUIRE(m);
  CHECK(m->is_text());
  CHECK(m->payload == "hello");

  const std::string blob("\x00\xff\x10 binary", 10);
  co_await ws.send_binary(blob);
  m = co_await ws.read();
  REQUIRE(m);
  CHECK(m->is_binary());
  CHECK(m->payload == blob);

  // 200 KB: a 64-bit length both ways, the read buffer growing and shrinking.
  const std::string big(200'000, 'z');
  co_await ws.send_text(big);
  m = co_await ws.read();
  REQUIRE(m);
  CHECK(m->payload == big);

  // Many buffered messages, one flush, answers in order.
  for (int i = 0; i < 100; ++i)
    ws.write(std::string_view{std::to_string(i)});
  for (int i = 0; i < 100; ++i) {
    m = co_await ws.read();
    REQUIRE(m);
    CHECK(m->payload == std::to_string(i));
  }

  // A fragmented message, written frame by frame with the codec.
  std::string wire;
  ws.frames().codec().encode_frame(opcode::text, "frag", wire, false);
  ws.frames().codec().encode_frame(opcode::continuation, "men", wire, false);
  const websocket::ping probe{"mid"};
  ws.frames().codec().encode(probe, wire);
  ws.frames().codec().encode_frame(opcode::continuation, "ted \xe2\x82", wire, false);
  ws.frames().codec().encode_frame(opcode::continuation, "\xac", wire, true);
  co_await ws.transport().write(asio::buffer(wire));
  m = co_await ws.read();  // the pong for "mid" is skipped by read()
  REQUIRE(m);
  CHECK(m->payload == "fragmented \xe2\x82\xac");

  // A ping is answered with a pong carrying its data (seen below read(), on frames()).
  const websocket::ping ping{"are you there"};
  ws.write(ping);
  co_await ws.flush();
  auto f = co_await ws.frames().read();
  REQUIRE(f);
  CHECK(f->op == opcode::pong);
  CHECK(f->payload == "are you there");

  co_await ws.close(4000, "bye");
  REQUIRE(ws.close_status());
  CHECK(ws.close_status()->code == 4000);
  CHECK_FALSE(ws.close_status()->by_peer);
  CHECK_FALSE(co_await ws.read());
}

asio::awaitable<void> server_closes(std::uint16_t port) {
  auto ws = co_await websocket::connect("127.0.0.1", port, "/echo", client_opts());
  co_await ws.send_text("close-me");
  CHECK_FALSE(co_await ws.read());
  REQUIRE(ws.close_status());
  CHECK(ws.close_status()->code == 4001);
  CHECK(ws.close_status()->reason == "asked");
  CHECK(ws.close_status()->by_peer);
}

asio::awaitable<void> stop_while_reading(std::uint16_t port, coronet::server* srv) {
  auto a = co_await websocket::connect("127.0.0.1", port, "/echo", client_opts());
  auto b = co_await websocket::connect("127.0.0.1", port, "/echo", client_opts());
  co_await a.send_text("x");
  CHECK(co_await a.read());
  srv->stop();
  for (auto* ws : {&a, &b}) {
    CHECK_FALSE(co_await ws->read());
    REQUIRE(ws->close_status());
    CHECK(ws->close_status()->code == 1001);
    CHECK(ws->close_status()->by_peer);
  }
}

asio::awaitable<void> refused_by_status(std::uint16_t port, std::string path, int* status) {
  try {
    auto ws = co_await websocket::connect("127.0.0.1", port, path, client_opts());
  } catch (const websocket::handshake_error& e) {
    *status = e.status();
  }
}

asio::awaitable<void> silent_client(std::uint16_t port, std::string* got) {
  // Upgrades, then neither reads nor answers: the server's keepalive pings, then gives up.
  auto conn = co_await coronet::connect("127.0.0.1", port);
  const auto request = upgrade_request();
  co_await conn.write(asio::buffer(request));
  co_await sleep_for(600ms);
  *got = co_await read_to_eof(conn);
}

asio::awaitable<void> answers_pings(std::uint16_t port, int* pings) {
  auto ws = co_await websocket::connect("127.0.0.1", port, "/echo", client_opts());
  // Keeps reading (and so answering pings) for 800 ms; nothing else is sent.
  const auto until = std::chrono::steady_clock::now() + 800ms;
  for (;;) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= 0ms) break;
    std::optional<websocket::frame> f;
    try {
      f = co_await with_timeout(ws.frames().read(), left);
    } catch (const std::system_error&) {
      break;
    }
    if (!f) break;
    if (f->op == opcode::ping) {
      ++*pings;
      const websocket::pong answer{f->payload};
      ws.write(answer);
    }
  }
  CHECK(ws.transport().is_open());
}

// A chat room in miniature: every member's messages go to every member through a
// broadcast_group<websocket::codec>, across the server's worker threads.
struct room_app {
  broadcast_group<websocket::codec> room;
  std::atomic<int> joined{0};
};

asio::awaitable<void> serve_room(connection conn, room_app* app) {
  auto req = co_await http::read_request(conn);
  if (!req) co_return;
  auto ws = co_await websocket::accept(std::move(conn), std::move(*req));
  if (!ws) co_return;
  auto me = app->room.join(ws->frames());
  ++app->joined;
  while (auto msg = co_await ws->read())
    app->room.publish(std::string{msg->payload});
}

asio::awaitable<void> room_members(std::uint16_t port, room_app* app) {
  auto a = co_await websocket::connect("127.0.0.1", port, "/room", client_opts());
  auto b = co_await websocket::connect("127.0.0.1", port, "/room", client_opts());
  while (app->joined < 2)
    co_await sleep_for(5ms);
  co_await a.send_text("hi all");
  for (auto* ws : {&a, &b}) {
    auto m = co_await ws->read();
    REQUIRE(m);
    CHECK(m->is_text());
    CHECK(m->payload == "hi all");
  }
  // From a thread that is none of the server's.
  app->room.publish(std::string{"from outside"});
  for (auto* ws : {&a, &b}) {
    auto m = co_await ws->read();
    REQUIRE(m);
    CHECK(m->payload == "from outside");
  }
  co_await a.close();
  co_await b.close();
}

}  // namespace

TEST_SUITE("websocket") {
  TEST_CASE("websocket: echo of text, binary, fragments and pings, then the close handshake") {
    ws_app app;
    running_server s{ws_handler(app)};
    run(echo_round_trips(s.port()));
    run(server_closes(s.port()));
    s.stop_and_wait();
    const auto closes = app.closes_seen();
    REQUIRE(closes.size() == 2);
    CHECK(app.upgrades == 2);
    // The server saw the client's 4000 and sent its own 4001.
    const bool first_is_4000 = closes[0].code == 4000;
    const auto& peer = first_is_4000 ? closes[0] : closes[1];
    const auto& ours = first_is_4000 ? closes[1] : closes[0];
    CHECK(peer.code == 4000);
    CHECK(peer.reason == "bye");
    CHECK(peer.by_peer);
    CHECK(ours.code == 4001);
    CHECK_FALSE(ours.by_peer);
  }

  TEST_CASE("websocket: a server stop sends 1001 to every client, then drains") {
    ws_app app;
    running_server s{ws_handler(app)};
    run(stop_while_reading(s.port(), &s.server()));
    s.stop_and_wait();
    const auto closes = app.closes_seen();
    REQUIRE(closes.size() == 2);
    for (const auto& c : closes) {
      CHECK(c.code == 1001);
      CHECK_FALSE(c.by_peer);
    }
  }

  TEST_CASE("websocket: broadcast_group<websocket::codec> sends text to every member") {
    room_app app;
    coronet::server_options two_threads;
    two_threads.threads = 2;
    running_server s{[&app](connection conn) { return serve_room(std::move(conn), &app); },
                     two_threads};
    run(room_members(s.port(), &app));
  }

  TEST_CASE("websocket: a frame sent together with the upgrade request is not lost") {
    ws_app app;
    running_server s{ws_handler(app)};
    server_frames got;
    const auto frames = client_frame(0x81, "early") + client_frame(0x88, "\x03\xe8");
    run([](std::uint16_t port, std::string f, server_frames* out) -> asio::awaitable<void> {
      *out = co_await raw_session(port, std::move(f), true);
    }(s.port(), frames, &got));
    CHECK(status_of(got.head) == 101);
    CHECK(got.head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") !=
          std::string::npos);
    REQUIRE(got.payloads.size() == 2);
    CHECK(got.payloads[0] == "early");
    CHECK(got.close_code == std::optional<std::uint16_t>{1000});
  }

  TEST_CASE("websocket: every violation from a raw client closes with its code") {
    ws_app app;
    app.accept.stream.codec.max_message = 4096;
    running_server s{ws_handler(app)};
    struct violation {
      const char* what;
      std::string frames;
      std::uint16_t code;
    };
    const std::vector<violation> cases{
        {"unmasked client frame", client_frame(0x81, "plain", false), 1002},
        {"reserved opcode", client_frame(0x83, "x"), 1002},
        {"reserved bit", client_frame(0xC1, "x"), 1002},
        {"control frame over 125 bytes", client_frame(0x89, std::string(126, 'p')), 1002},
        {"fragmented control frame", client_frame(0x09, "p"), 1002},
        {"continuation without a start", client_frame(0x80, "x"), 1002},
        {"new message inside a fragmented one", client_frame(0x01, "a") + client_frame(0x81, "b"),
         1002},
        {"close payload of one byte", client_frame(0x88, "x"), 1002},
        {"invalid close code", client_frame(0x88, "\x03\xed"), 1002},
        {"invalid UTF-8", client_frame(0x81, "\xc0\xaf"), 1007},
        {"invalid UTF-8 across fragments",
         client_frame(0x01, "\xed") + client_frame(0x80, "\xa0\x80"), 1007},
        {"message over the limit", client_frame(0x82, std::string(5000, 'b')), 1009},
        {"fragments over the limit",
         client_frame(0x02, std::string(3000, 'b')) + client_frame(0x80, std::string(3000, 'b')),
         1009},
    };
    for (const auto& c : cases) {
      server_frames got;
      run([](std::uint16_t port, std::string f, server_frames* out) -> asio::awaitable<void> {
        *out = co_await raw_session(port, std::move(f));
      }(s.port(), c.frames, &got));
      CHECK_MESSAGE(status_of(got.head) == 101, c.what);
      CHECK_MESSAGE(got.close_code == std::optional<std::uint16_t>{c.code}, c.what);
    }
    s.stop_and_wait();
    for (const auto& c : app.closes_seen())
      CHECK_FALSE(c.by_peer);
  }

  TEST_CASE("websocket: refused upgrades and plain HTTP on the same port") {
    ws_app app;
    app.request.head_timeout = 300ms;
    running_server s{ws_handler(app)};
    const auto exchange = [&](std::string request) {
      std::string answer;
      run([](std::uint16_t port, std::string r, std::string* out) -> asio::awaitable<void> {
        *out = co_await http_exchange(port, std::move(r));
      }(s.port(), std::move(request), &answer));
      return answer;
    };
    CHECK(status_of(exchange(upgrade_request("/echo", ""))) == 400);          // no key
    CHECK(status_of(exchange(upgrade_request("/echo", "c2hvcnQ="))) == 400);  // 5 bytes
    CHECK(status_of(exchange(upgrade_request("/echo", "not a key"))) == 400);
    const auto old = exchange(upgrade_request("/echo", "dGhlIHNhbXBsZSBub25jZQ==", "8"));
    CHECK(status_of(old) == 426);
    CHECK(old.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
    auto post = upgrade_request();
    post.replace(0, 3, "POST");
    const auto posted = exchange(post);
    CHECK(status_of(posted) == 405);
    CHECK(posted.find("\r\nAllow: GET\r\n") != std::string::npos);
    // Over the 8 KiB head limit.
    std::string huge =
        "GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(9000, 'a') + "\r\n\r\n";
    CHECK(status_of(exchange(huge)) == 431);
    CHECK(status_of(exchange("nonsense\r\n\r\n")) == 400);
    // Plain HTTP.
    const auto page = exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(status_of(page) == 200);
    CHECK(page.find("\r\nContent-Type: text/html; charset=utf-8\r\n") != std::string::npos);
    CHECK(page.substr(page.size() - ws_page.size()) == ws_page);
    CHECK(status_of(exchange("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")) == 404);
    CHECK(status_of(exchange("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")) == 405);
    // A head that starts and stalls: 408 after head_timeout.
    std::string slow;
    const auto started = std::chrono::steady_clock::now();
    run([](std::uint16_t port, std::string* out) -> asio::awaitable<void> {
      auto conn = co_await coronet::connect("127.0.0.1", port);
      const std::string part = "GET /echo HTTP/1.1\r\nHost: x\r\n";
      co_await conn.write(asio::buffer(part));
      *out = co_await read_to_eof(conn);
    }(s.port(), &slow));
    CHECK(status_of(slow) == 408);
    CHECK(std::chrono::steady_clock::now() - started >= 250ms);
    // coronet's own client sees the status.
    int status = 0;
    run(refused_by_status(s.port(), "/missing", &status));
    CHECK(status == 404);
    CHECK(app.upgrades == 0);
  }

  TEST_CASE("websocket: the keepalive pings a quiet peer and drops a dead one") {
    ws_app app;
    app.accept.stream.ping_interval = 100ms;
    app.accept.stream.pong_timeout = 150ms;
    running_server s{ws_handler(app)};
    int pings = 0;
    run(answers_pings(s.port(), &pings));
    CHECK(pings >= 2);  // one per 250 ms or so (interval + answer), and still open

    std::string got;
    run(silent_client(s.port(), &got));
    const auto frames = decode_server_bytes(got);
    CHECK(status_of(frames.head) == 101);
    REQUIRE_FALSE(frames.frames.empty());
    CHECK(frames.frames[0].op == opcode::ping);
    s.stop_and_wait();
    bool dropped = false;
    for (const auto& c : app.closes_seen())
      dropped = dropped || (c.code == 1006 && c.reason == "no answer to a ping");
    CHECK(dropped);
  }
}
