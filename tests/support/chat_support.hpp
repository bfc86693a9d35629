// The chat tests' shared pieces: a chat server on 127.0.0.1 (port 0) serving one room,
// and client peers speaking its JSON or text protocol.
#pragma once

#include "support.hpp"

#include <nlohmann/json.hpp>
#include <room/room.hpp>
#include <transports/line_session.hpp>

#include <memory>
#include <string>

namespace coronet::test::chat_peers {

using namespace std::chrono_literals;
using nlohmann::json;

using peer = coronet::framed<coronet::line_codec>;

struct chat_fixture {
  explicit chat_fixture(chat::options o = {}, std::size_t threads = 1)
      : room(o),
        srv([this](connection c) { return chat::session(std::move(c), &room); },
            {.threads = threads}) {}
  std::uint16_t port() const { return srv.port(); }
  chat::room room;
  running_server srv;
};

// A peer reads lines of up to 1 MiB: the server's own lines (a welcome listing every
// member) may be far longer than the 8 KiB it accepts.
inline asio::awaitable<std::unique_ptr<peer>> open(std::uint16_t port) {
  co_return std::make_unique<peer>(co_await connect("127.0.0.1", port),
                                   line_codec{{.max_length = 1 << 20}});
}

// Queued and sent at once (a plain write() would wait for this peer's next read()).
inline void say_line(peer& p, const std::string& line) {
  REQUIRE(p.try_send(std::string_view{line}));
}
inline void send(peer& p, const json& j) {
  say_line(p, j.dump());
}

// The next event, as JSON; fails the test at EOF.
inline asio::awaitable<json> next(peer* p) {
  auto line = co_await with_timeout(p->read(), 10s);
  REQUIRE_MESSAGE(line, "connection closed while an event was expected");
  co_return json::parse(*line);
}
inline asio::awaitable<std::string> next_text(peer* p) {
  auto line = co_await with_timeout(p->read(), 10s);
  REQUIRE_MESSAGE(line, "connection closed while a line was expected");
  co_return std::string{*line};
}
inline asio::awaitable<bool> closed(peer* p) {
  auto line = co_await with_timeout(p->read(), 10s);
  co_return !line.has_value();
}

inline asio::awaitable<std::unique_ptr<peer>> joined_json(std::uint16_t port, std::string name) {
  auto p = co_await open(port);
  send(*p, {{"type", "join"}, {"name", name}});
  auto welcome = co_await next(p.get());
  CHECK(welcome["type"] == "welcome");
  CHECK(welcome["name"] == name);
  co_return p;
}

// A text-mode member: its first line is its name; returns once welcomed.
inline asio::awaitable<std::unique_ptr<peer>> joined_text(std::uint16_t port, std::string name) {
  auto p = co_await open(port);
  say_line(*p, name);
  const auto welcome = co_await next_text(p.get());
  CHECK(welcome.starts_with("* welcome, " + name + "!"));
  co_return p;
}

}  // namespace coronet::test::chat_peers
