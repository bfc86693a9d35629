// One connection on chat_server's --web address: the page at /, the chat's JSON protocol
// over WebSocket at /chat (one command or event per text message), 404 or 405 for the
// rest. A WebSocket member is a member of the same room as the TCP ones: the commands
// are chat_commands.hpp's, the delivery the room's third group.
#include "../common/log.hpp"
#include "chat_commands.hpp"
#include "chat_room.hpp"

#include <coronet/http/response.hpp>
#include <coronet/timeout.hpp>
#include <coronet/websocket/handshake.hpp>
#include <coronet/websocket/stream.hpp>

#include <algorithm>
#include <cctype>

namespace chat {
namespace {

namespace http = coronet::http;
namespace ws = coronet::websocket;
using detail::session_state;

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether the request's Origin (if any) is the site it was sent to: "http://HOST" or
// "https://HOST" where HOST is the request's Host field.
bool same_origin(const http::request& req) {
  const auto origin = req.find("origin");
  if (!origin) return true;  // not a browser: nobody else's page is involved
  const auto host = req.find("host");
  if (!host) return false;
  auto o = *origin;
  if (o.starts_with("http://"))
    o.remove_prefix(7);
  else if (o.starts_with("https://"))
    o.remove_prefix(8);
  else
    return false;
  return same_text(o, *host);
}

// The page's own rules for the browser: nothing from elsewhere, no framing by others.
http::response page_response(std::string_view page, bool head_only) {
  http::response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::string{page};
  r.head_only = head_only;
  r.headers = {{"Cache-Control", "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy",
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                "img-src data:; connect-src 'self'; frame-ancestors 'none'"}};
  return r;
}

http::response method_not_allowed(std::string_view allow) {
  auto r = http::error_response(405);
  r.headers.emplace_back("Allow", std::string{allow});
  return r;
}

// Serves the chat protocol over an accepted WebSocket until the member leaves, the
// browser goes or the server stops.
asio::awaitable<void> chat_over(ws::stream stream, room* r, std::uint64_t id,
                                coronet::connection::endpoint_type peer) {
  session_state s{r, &stream.frames(), id};
  std::string reason = "disconnected";
  try {
    while (!s.done()) {
      auto msg = co_await stream.read();
      if (!msg) break;
      if (!msg->is_text()) {
        s.fail("bad_message", "send each command as one JSON text message");
        continue;
      }
      auto next = s.handle_json(msg->payload);
      if (next) co_await s.run(std::move(*next));
    }
  } catch (const std::system_error& e) {
    if (e.code() == coronet::errc::outbox_full)
      reason = "too slow: more than " + std::to_string(r->settings().max_queued) +
               " bytes waiting for it";
    else
      reason = e.what();
  }
  const bool asked_to_leave = s.done();  // before leave() below, which sets done()
  if (s.joined()) s.leave();
  if (asked_to_leave) {
    reason = "left";
    // The member asked to leave: end politely. close() is bounded by close_timeout.
    try {
      co_await stream.close(ws::close_code::normal, "bye");
    } catch (const std::exception&) {
    }
  } else if (const auto& c = stream.close_status()) {
    reason = "websocket closed " + std::to_string(c->code) + (c->by_peer ? " by the browser" : "");
    if (c->code == static_cast<std::uint16_t>(ws::close_code::message_too_big))
      reason += " (message over " + std::to_string(r->settings().max_line) + " bytes)";
  }
  examples::log_event(examples::level::info, "session_end",
                      {{"conn", id}, {"peer", peer}, {"reason", reason}, {"web", true}},
                      "web connection ", id, " (", peer, ") closed: ", reason);
}

}  // namespace

asio::awaitable<void> web_session(coronet::connection conn, room* r, const web_options* options) {
  const auto id = conn.id();
  const auto peer = conn.remote_endpoint();
  auto req = co_await http::read_request(conn, options->request);
  if (!req) co_return;  // closed, silent, or refused (answered 400/408/431)
  const auto path = req->path();
  if (path == "/" || path == "/index.html") {
    if (req->method() != "GET" && req->method() != "HEAD") {
      const auto refused = method_not_allowed("GET, HEAD");
      co_await http::respond(conn, refused);
      co_return;
    }
    const auto page = page_response(options->page, req->method() == "HEAD");
    co_await http::respond(conn, page);
    co_return;
  }
  if (path != "/chat") {
    const auto missing = http::error_response(404);
    co_await http::respond(conn, missing);
    co_return;
  }
  if (options->check_origin && !same_origin(*req)) {
    const auto forbidden = http::error_response(403, "a page from another site");
    co_await http::respond(conn, forbidden);
    co_return;
  }
  ws::accept_options accept;
  // A command is at most one protocol line: over it, close 1009 (as a TCP member's
  // too_large disconnects it).
  accept.stream.codec.max_message = r->settings().max_line;
  accept.stream.framed.high_water_mark = r->settings().max_queued;
  accept.stream.ping_interval = options->ping_interval;
  auto stream = co_await ws::accept(std::move(conn), std::move(*req), accept);
  if (!stream) co_return;  // not a valid upgrade: answered 400, 405 or 426
  co_await chat_over(std::move(*stream), r, id, peer);
}

}  // namespace chat
