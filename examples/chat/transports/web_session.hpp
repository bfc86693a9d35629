// chat_server --web: the chat in a browser. One address serves the page (GET /) and the
// chat's JSON protocol over WebSocket (/chat, one command or event per text message);
// its members are members of the same room as the TCP ones.
#pragma once

#include "room/room.hpp"

#include <coronet/core/connection.hpp>
#include <coronet/http/request.hpp>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

// What the web address serves besides the room.
struct web_options {
  std::string_view page;  // GET / (the chat page, HTML); must outlive the server
  // Security (DNS rebinding): the Host values this address answers to
  // ("127.0.0.1:8080", "localhost:8080", "chat.example.com"). Anything else, or no Host,
  // gets 421, the page and /chat alike: a page from a name that merely resolves here
  // (attacker.example rebound to 127.0.0.1) names itself in both Host and Origin, so
  // neither can vouch for the other. Empty: every request is refused.
  std::vector<std::string> hosts;
  // Security: the origins whose pages may open /chat ("http://127.0.0.1:8080"); an
  // upgrade with another Origin gets 403 (a page on another site opening a socket in a
  // visitor's browser). Upgrades without Origin (non-browser clients) are let in.
  std::vector<std::string> origins;
  // Security: the request head's limits and time (8 KiB, 10 s by default).
  coronet::http::request_options request{};
  // Keepalive: a ping after this much silence drops vanished browsers.
  std::chrono::milliseconds ping_interval{std::chrono::seconds(30)};
};

// An origin as --web-origin takes it: http or https, a host, maybe a port, nothing
// after (a lone "/" is dropped). Returned as a browser sends it in Origin, in lower case
// and without a default port ("HTTPS://Chat.example.com:443/" ->
// "https://chat.example.com"); nullopt when `text` is not one.
std::optional<std::string> web_origin(std::string_view text);

// Fills o.hosts and o.origins: `listening` and the localhost names (localhost,
// 127.0.0.1, [::1]) with its port, over https if `tls`, and each of `extra` (--web-origin)
// with its host. Throws std::invalid_argument for an entry of `extra` that is not an
// origin.
void allow_web_names(web_options& o, const asio::ip::tcp::endpoint& listening, bool tls,
                     const std::vector<std::string>& extra);

// The chat page (examples/chat/web/index.html, embedded at build time).
std::string_view web_page() noexcept;

// Serves one connection on the web address: GET / is the page, /chat the JSON protocol
// over WebSocket (one event or command per text message), anything else 404 or 405; a
// Host not in options->hosts 421, an upgrade's Origin not in options->origins 403.
asio::awaitable<void> web_session(coronet::connection conn, room* r, const web_options* options);

}  // namespace chat
