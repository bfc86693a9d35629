// The WebSocket test server (an echo on /echo, a page on /, 404 elsewhere) and raw
// helpers for test_websocket.cpp: an HTTP exchange over a bare connection, and an
// upgrade done by hand so a test can send bytes no well-behaved client would.
#pragma once

#include "support.hpp"

#include <coronet/websocket.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace coronet::test {

struct ws_app {
  http::request_options request{};
  websocket::accept_options accept{};
  std::mutex mutex;
  std::vector<websocket::close_info> closes;  // how each server-side stream ended
  std::atomic<int> upgrades{0};

  void record(const websocket::close_info& c) {
    const std::lock_guard lock{mutex};
    closes.push_back(c);
  }
  std::vector<websocket::close_info> closes_seen() {
    const std::lock_guard lock{mutex};
    return closes;
  }
};

inline const std::string ws_page = "<!doctype html><title>coronet</title><p>hello</p>\n";

inline asio::awaitable<void> serve_ws_app(connection conn, ws_app* app) {
  auto req = co_await http::read_request(conn, app->request);
  if (!req) co_return;
  if (req->path() == "/") {
    if (req->method() != "GET" && req->method() != "HEAD") {
      auto refusal = http::error_response(405);
      refusal.headers.emplace_back("Allow", "GET, HEAD");
      co_await http::respond(conn, refusal);
      co_return;
    }
    http::response page;
    page.content_type = "text/html; charset=utf-8";
    page.body = ws_page;
    page.head_only = req->method() == "HEAD";
    co_await http::respond(conn, page);
    co_return;
  }
  if (req->path() != "/echo") {
    const auto missing = http::error_response(404);
    co_await http::respond(conn, missing);
    co_return;
  }
  auto options = app->accept;
  options.subprotocol = std::string{websocket::choose_subprotocol(*req, {"echo.v1"})};
  auto ws = co_await websocket::accept(std::move(conn), std::move(*req), options);
  if (!ws) co_return;
  ++app->upgrades;
  for (;;) {
    auto msg = co_await ws->read();
    if (!msg) break;
    if (msg->is_text() && msg->payload == "close-me") {
      co_await ws->close(4001, "asked");
      break;
    }
    ws->write(*msg);
  }
  app->record(*ws->close_status());
}

inline coronet::server::handler_type ws_handler(ws_app& app) {
  return [&app](connection conn) { return serve_ws_app(std::move(conn), &app); };
}

// Sends `request` over a fresh connection and returns everything the server answers
// until it closes.
inline asio::awaitable<std::string> http_exchange(std::uint16_t port, std::string request) {
  auto conn = co_await coronet::connect("127.0.0.1", port);
  co_await conn.write(asio::buffer(request));
  co_return co_await read_to_eof(conn);
}

inline int status_of(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 9) != "HTTP/1.1 ") return 0;
  return std::stoi(std::string{response.substr(9, 3)});
}

inline std::string upgrade_request(std::string_view path = "/echo",
                                   std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==",
                                   std::string_view version = "13") {
  std::string r = "GET ";
  r.append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
  r.append("Connection: Upgrade\r\n");
  if (!key.empty()) r.append("Sec-WebSocket-Key: ").append(key).append("\r\n");
  if (!version.empty()) r.append("Sec-WebSocket-Version: ").append(version).append("\r\n");
  r.append("\r\n");
  return r;
}

// A frame as a client sends it (masked with a fixed key unless `masked` is false).
inline std::string client_frame(unsigned first, std::string_view payload, bool masked = true) {
  std::string out;
  out += static_cast<char>(first);
  const unsigned m = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(m | payload.size());
  } else {
    out += static_cast<char>(m | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  }
  const char key[4] = {0x11, 0x22, 0x33, 0x44};
  if (masked) out.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  return out;
}

// What the server sent after its 101 head, decoded as a client would: frames until a
// close frame or EOF.
struct server_frames {
  std::string head;  // the 101 response head
  std::vector<websocket::frame> frames;
  std::vector<std::string> payloads;  // owned copies of frames' payloads
  std::optional<std::uint16_t> close_code;
};

inline server_frames decode_server_bytes(const std::string& all) {
  server_frames out;
  const auto end = all.find("\r\n\r\n");
  if (end == std::string::npos) {
    out.head = all;
    return out;
  }
  out.head = all.substr(0, end + 4);
  std::string rest = all.substr(end + 4);
  websocket::codec_options o;
  o.role = websocket::role::client;
  websocket::codec c{o};
  for (;;) {
    auto r = c.decode(std::span<const char>{rest.data(), rest.size()});
    if (r.status != decode_status::ready) break;
    out.payloads.emplace_back(r.frame.payload);
    out.frames.push_back(r.frame);
    if (r.frame.op == websocket::opcode::close) out.close_code = r.frame.code;
    rest.erase(0, r.consumed);
    if (out.close_code) break;
  }
  return out;
}

// Upgrades by hand, sends `frames` (in the same write as the request when `together`),
// then reads until the server closes.
inline asio::awaitable<server_frames> raw_session(std::uint16_t port, std::string frames,
                                                  bool together = false) {
  auto conn = co_await coronet::connect("127.0.0.1", port);
  auto request = upgrade_request();
  if (together) {
    request += frames;
    co_await conn.write(asio::buffer(request));
  } else {
    co_await conn.write(asio::buffer(request));
    co_await conn.write(asio::buffer(frames));
  }
  const auto all = co_await read_to_eof(conn);
  co_return decode_server_bytes(all);
}

}  // namespace coronet::test
