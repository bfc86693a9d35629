// One connection on chat_server's --web address: the page at /, the chat's JSON protocol
// over WebSocket at /chat (one command or event per text message), 404 or 405 for the
// rest, 421 for a Host it does not serve (DNS rebinding; allow_web_names()). A WebSocket
// member is a member of the same room as the TCP ones: the commands are
// protocol/commands.hpp's, the rest of the session session.cpp's.
#include "transports/web_session.hpp"

#include "room/member.hpp"
#include "transports/session.hpp"

#include <coronet/core/timeout.hpp>
#include <coronet/http/fields.hpp>
#include <coronet/http/response.hpp>
#include <coronet/websocket/handshake.hpp>
#include <coronet/websocket/stream.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chat {
namespace {

namespace http = coronet::http;
namespace ws = coronet::websocket;

// Host names and origins compare without regard to ASCII case, as header tokens do.
bool listed(std::string_view value, const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(),
                     [value](const std::string& n) { return http::iequals(value, n); });
}

// Whether the request names one of the hosts this address serves. The browser puts the
// name it resolved in Host, so a page from a rebound name (attacker.example ->
// 127.0.0.1) fails here even though its Origin agrees with its Host.
bool served_host(const http::request& req, const web_options& o) {
  const auto host = req.find("host");
  return host && listed(*host, o.hosts);
}

// Whether an upgrade's Origin (if any) is a page of ours.
bool allowed_origin(const http::request& req, const web_options& o) {
  const auto origin = req.find("origin");
  if (!origin) return true;  // not a browser: nobody else's page is involved
  return listed(*origin, o.origins);
}

http::response misdirected() {
  // Not error_response(421): reason_phrase() has no text for 421 (the status line
  // still parses: the phrase may be empty). The Host is not echoed back.
  http::response r;
  r.status = 421;
  r.body =
      "421 Misdirected Request: this server does not answer to that host name "
      "(chat_server --web-origin adds one)\n";
  return r;
}

bool host_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
}

std::string lower(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    c = http::ascii_lower(c);
  return out;
}

// Adds the Host values and the origin under which a browser reaches `authority`
// ("name" or "name:port", already without a default port) over `scheme`.
void allow(web_options& o, std::string_view scheme, const std::string& authority,
           bool default_port) {
  const std::string origin = std::string{scheme} + "://" + authority;
  if (!listed(origin, o.origins)) o.origins.push_back(origin);
  if (!listed(authority, o.hosts)) o.hosts.push_back(authority);
  // A browser leaves a default port out of Origin but some clients put it in Host.
  const std::string with_port = authority + (scheme == "https" ? ":443" : ":80");
  if (default_port && !listed(with_port, o.hosts)) o.hosts.push_back(with_port);
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

// A member over an accepted WebSocket: one command per text message, JSON always.
class web_transport final : public transport {
 public:
  web_transport(ws::stream stream, std::uint64_t id, const options& o)
      : options_(o), stream_(std::move(stream)), self_{stream_.frames(), id, form::json} {}

  member& self() noexcept override { return self_; }

  asio::awaitable<std::optional<std::string_view>> next(detail::session_state& s) override {
    for (;;) {
      auto msg = co_await stream_.read();
      if (!msg) co_return std::nullopt;
      if (msg->is_text()) co_return msg->payload;
      s.fail("bad_message", "send each command as one JSON text message");
    }
  }

  asio::awaitable<void> drain() override { co_return; }

  std::optional<std::string> reason_for(const std::system_error&, detail::session_state&) override {
    return std::nullopt;
  }

  std::optional<std::string> closed_reason() const override {
    const auto& c = stream_.close_status();
    if (!c) return std::nullopt;
    auto reason =
        "websocket closed " + std::to_string(c->code) + (c->by_peer ? " by the browser" : "");
    if (c->code == static_cast<std::uint16_t>(ws::close_code::message_too_big))
      reason += " (message over " + std::to_string(options_.max_line) + " bytes)";
    return reason;
  }

  // The member asked to leave: end politely. close() is bounded by close_timeout.
  asio::awaitable<void> goodbye(bool left) override {
    if (!left) co_return;
    try {
      co_await stream_.close(ws::close_code::normal, "bye");
    } catch (const std::exception&) {
    }
  }

 private:
  const options& options_;
  ws::stream stream_;
  member_of<coronet::websocket::codec> self_;
};

}  // namespace

asio::awaitable<void> web_session(coronet::connection conn, room* r, const web_options* options) {
  const auto id = conn.id();
  const auto peer = conn.remote_endpoint();
  auto req = co_await http::read_request(conn, options->request);
  if (!req) co_return;  // closed, silent, or refused (answered 400/408/431)
  if (!served_host(*req, *options)) {
    const auto refused = misdirected();
    co_await http::respond(conn, refused);
    co_return;
  }
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
  if (!allowed_origin(*req, *options)) {
    const auto forbidden = http::error_response(403, "a page from another site");
    co_await http::respond(conn, forbidden);
    co_return;
  }
  ws::accept_options accept;
  // A command is at most one protocol line: over it, close 1009 (as a TCP member's
  // too_large disconnects it).
  accept.stream.codec.max_message = r->settings().max_line;
  accept.stream.framing.high_water_mark = r->settings().max_queued;
  accept.stream.ping_interval = options->ping_interval;
  auto stream = co_await ws::accept(std::move(conn), std::move(*req), accept);
  if (!stream) co_return;  // not a valid upgrade: answered 400, 405 or 426
  web_transport t{std::move(*stream), id, r->settings()};
  co_await run_session(t, r, session_info{id, peer, true});
}

std::optional<std::string> web_origin(std::string_view text) {
  const auto s = lower(text);
  std::string_view v = s;
  std::string_view scheme;
  if (v.starts_with("http://"))
    scheme = "http";
  else if (v.starts_with("https://"))
    scheme = "https";
  else
    return std::nullopt;
  v.remove_prefix(scheme.size() + 3);
  if (v.ends_with('/')) v.remove_suffix(1);
  // The host: a bracketed IPv6 address or a name (no userinfo, path, query or space).
  std::size_t end = 0;
  if (v.starts_with('[')) {
    end = v.find(']');
    if (end == std::string_view::npos || end < 2) return std::nullopt;
    const auto inside = v.substr(1, end - 1);
    if (!std::all_of(inside.begin(), inside.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        }))
      return std::nullopt;
    ++end;
  } else {
    end = std::min(v.find(':'), v.size());
    if (end == 0 ||
        !std::all_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(end), host_char))
      return std::nullopt;
  }
  std::string out = std::string{scheme} + "://" + std::string{v.substr(0, end)};
  auto rest = v.substr(end);
  if (rest.empty()) return out;
  if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
  rest.remove_prefix(1);
  if (!std::all_of(rest.begin(), rest.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
    return std::nullopt;
  const auto port = std::stoul(std::string{rest});
  if (port == 0 || port > 65535) return std::nullopt;
  if (port != (scheme == "https" ? 443U : 80U)) out += ":" + std::to_string(port);
  return out;
}

void allow_web_names(web_options& o, const asio::ip::tcp::endpoint& listening, bool tls,
                     const std::vector<std::string>& extra) {
  const std::string_view scheme = tls ? "https" : "http";
  const auto port = listening.port();
  const bool default_port = port == (tls ? 443 : 80);
  const auto authority = [&](const std::string& host) {
    return default_port ? host : host + ":" + std::to_string(port);
  };
  const auto a = listening.address();
  const auto address = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  for (const auto& name :
       {address, std::string{"localhost"}, std::string{"127.0.0.1"}, std::string{"[::1]"}})
    allow(o, scheme, authority(name), default_port);
  for (const auto& e : extra) {
    const auto origin = web_origin(e);
    if (!origin) throw std::invalid_argument("--web-origin: not an origin: '" + e + "'");
    // "https://chat.example.com[:8443]": its authority is the Host a browser sends.
    const auto colon = origin->find("://");
    const auto their_scheme = std::string_view{*origin}.substr(0, colon);
    const auto their_authority = origin->substr(colon + 3);
    // Without a port the scheme's default is meant (web_origin() dropped it). A port of
    // an IPv6 address follows its ']'.
    const auto last = their_authority.rfind(':');
    const bool no_port = last == std::string::npos ||
                         (their_authority.front() == '[' && their_authority.back() == ']');
    allow(o, their_scheme, their_authority, no_port);
  }
}

}  // namespace chat
