// The chat example against what hostile testing found: rooms whose member list is far
// over the line limit, texts that grow when escaped, terminal control characters,
// whispering to oneself, an over-long first line, a client joining and leaving in a loop.
#include "chat_support.hpp"

#include <sys/resource.h>

#include <asio/ip/tcp.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::chat_peers;
using nlohmann::json;

namespace {

// Two descriptors per member (both ends live in this process).
void allow_descriptors(rlim_t wanted) {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &limit) == 0);
  REQUIRE_MESSAGE(limit.rlim_cur >= wanted, "not enough file descriptors for this test");
}

// A peer from another loopback address: another client, for the limits per address.
asio::awaitable<std::unique_ptr<peer>> open_from(std::uint16_t port, const char* source) {
  asio::ip::tcp::socket s{co_await asio::this_coro::executor};
  s.open(asio::ip::tcp::v4());
  s.bind({asio::ip::make_address(source), 0});
  co_await s.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  co_return std::make_unique<peer>(connection{std::move(s)}, line_codec{{.max_length = 1 << 20}});
}

std::size_t count_names(std::string_view list) {
  return static_cast<std::size_t>(std::count(list.begin(), list.end(), ',')) + 1;
}

asio::awaitable<void> big_room(std::uint16_t port, chat::room* room, std::size_t members) {
  // Text members with 32-character names, joining all at once (so the server can
  // coalesce the announcements each member gets); each then reads its welcome.
  std::vector<std::unique_ptr<peer>> all;
  for (std::size_t i = 0; i < members; ++i) {
    auto p = co_await open(port);
    const auto digits = std::to_string(i);
    say_line(*p, std::string(32 - digits.size(), 'm') + digits);
    all.push_back(std::move(p));
  }
  for (auto& p : all) {
    const auto welcome = co_await next_text(p.get());
    REQUIRE(welcome.starts_with("* welcome, "));
  }
  // The member list is now about 70 KB, far over the 8 KiB a client may send.
  auto alice = co_await joined_json(port, "alice");
  CHECK(room->users().size() == members + 1);
  send(*alice, {{"type", "who"}});
  const auto users = co_await next(alice.get());
  CHECK(users["type"] == "users");
  CHECK(users["users"].size() == members + 1);

  // A text member asks too; before the answer come the announcements of later joins.
  auto& first = *all.front();
  say_line(first, "/who");
  std::string line;
  do
    line = co_await next_text(&first);
  while (!line.starts_with("* online: "));
  CHECK(count_names(line) == members + 1);
  CHECK(line.size() > 8 * 1024);
  CHECK(room->users().size() == members + 1);  // nobody was dropped for asking
}

}  // namespace

TEST_SUITE("chat") {
  TEST_CASE("a room of 2000 members with 32-character names takes more members and answers who") {
    constexpr std::size_t members = 2000;
    allow_descriptors(2 * members + 200);
    chat_fixture fx;
    run(big_room(fx.port(), &fx.room, members), 240s);  // about 70 s under ASan
  }

  TEST_CASE("a client joining and leaving in a loop is rate_limited, other addresses are not") {
    chat_fixture fx{{.joins = {.per_connection = 2, .per_address = 3, .limit_loopback = true}}};
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto watcher = co_await open_from(port, "127.0.0.2");
      send(*watcher, {{"type", "join"}, {"name", "watcher"}});
      CHECK((co_await next(watcher.get()))["type"] == "welcome");
      // Leaving ends the session: the loop reconnects, and its address runs out.
      int joined = 0;
      for (int i = 0; i < 10; ++i) {
        auto p = co_await open(port);
        send(*p, {{"type", "join"}, {"name", "loop" + std::to_string(i)}});
        const auto answer = co_await next(p.get());
        if (answer["type"] == "error") {
          CHECK(answer["code"] == "rate_limited");
          break;
        }
        ++joined;
        send(*p, {{"type", "leave"}});
        CHECK(co_await closed(p.get()));
      }
      CHECK(joined == 3);
      // One connection retrying a taken name runs out on its own.
      auto retry = co_await open_from(port, "127.0.0.3");
      for (int i = 0; i < 2; ++i) {
        send(*retry, {{"type", "join"}, {"name", "WATCHER"}});
        CHECK((co_await next(retry.get()))["code"] == "name_taken");
      }
      send(*retry, {{"type", "join"}, {"name", "retry"}});
      CHECK((co_await next(retry.get()))["code"] == "rate_limited");
      // The watcher saw the three loops come and go, and nothing of the refused joins.
      auto other = co_await open_from(port, "127.0.0.4");
      send(*other, {{"type", "join"}, {"name", "other"}});
      CHECK((co_await next(other.get()))["type"] == "welcome");
      std::vector<std::string> seen;
      for (;;) {
        const auto e = co_await next(watcher.get());
        if (e["type"] == "joined" && e["name"] == "other") break;
        seen.push_back(e["type"].get<std::string>() + " " + e["name"].get<std::string>());
      }
      CHECK(seen == std::vector<std::string>{"joined loop0", "left loop0", "joined loop1",
                                             "left loop1", "joined loop2", "left loop2"});
    }(fx.port()));
  }

  TEST_CASE("a text that grows past the line limit when escaped reaches every member") {
    chat_fixture fx;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto viewer = co_await joined_text(port, "viewer");
      auto js = co_await joined_json(port, "js");
      auto sender = co_await joined_text(port, "sender");
      CHECK((co_await next_text(viewer.get())) == "* js joined");
      CHECK((co_await next_text(viewer.get())) == "* sender joined");
      CHECK((co_await next(js.get()))["name"] == "sender");

      // 1400 bytes, under the 2000-byte text limit; as JSON, 1400 "\u0001": 8.4 KB.
      const std::string text(1400, '\x01');
      say_line(*sender, text);
      const auto m = co_await next(js.get());
      CHECK(m["type"] == "message");
      CHECK(m["text"] == text);
      std::string carets;
      for (int i = 0; i < 1400; ++i)
        carets += "^A";
      CHECK((co_await next_text(viewer.get())) == "<sender> " + carets);
      CHECK((co_await next_text(sender.get())) == "<sender> " + carets);
      say_line(*sender, "/who");  // and the sender is still here
      CHECK((co_await next_text(sender.get())) == "* online: js, sender, viewer");
    }(fx.port()));
  }

  TEST_CASE("terminal control characters reach text members and chat_client harmlessly") {
    chat_fixture fx;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto viewer = co_await joined_text(port, "viewer");
      auto js = co_await joined_json(port, "js");
      CHECK((co_await next_text(viewer.get())) == "* js joined");
      const std::string hostile = std::string("\x1b[31mred\x07", 9) + std::string(1, '\0') +
                                  "\x7f" + "\xc2\x9b" + "2J\tok \xc3\xa9";
      send(*js, {{"type", "say"}, {"text", hostile}});
      const auto shown = co_await next_text(viewer.get());
      CHECK(shown == "<js> ^[[31mred^G^@^??2J\tok \xc3\xa9");
      // chat_client prints events through text_of: the same rendering.
      const auto event = co_await next(js.get());
      CHECK(event["text"] == hostile);
      CHECK(chat::events::text_of(event.dump(), "me") == shown);
      // Whatever a server sends, nothing below 0x20 but a tab reaches the screen.
      for (const auto& raw : {std::string("not json \x1b]0;title\x07"), event.dump()}) {
        const auto out = chat::events::text_of(raw, "me");
        CHECK(std::none_of(out.begin(), out.end(), [](char c) {
          return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == '\x7f';
        }));
      }
    }(fx.port()));
  }

  TEST_CASE("whispering to oneself delivers one copy") {
    chat_fixture fx;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto js = co_await joined_json(port, "js");
      send(*js, {{"type", "whisper"}, {"to", "JS"}, {"text", "note to self"}});
      const json expected{
          {"type", "whisper"}, {"from", "js"}, {"to", "js"}, {"text", "note to self"}};
      const auto got = co_await next(js.get());
      CHECK(got == expected);
      send(*js, {{"type", "who"}});
      CHECK((co_await next(js.get()))["type"] == "users");  // not a second whisper
    }(fx.port()));
  }

  TEST_CASE("an over-long first line is answered in text before any mode is chosen") {
    chat_fixture fx;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto p = co_await open(port);
      say_line(*p, std::string(9000, 'x'));
      CHECK((co_await next_text(p.get())) ==
            "! too_large: line over the limit; closing the connection");
      CHECK(co_await closed(p.get()));
    }(fx.port()));
  }

  TEST_CASE("a last line cut off by EOF is still said") {
    chat_fixture fx;
    run([](std::uint16_t port) -> asio::awaitable<void> {
      auto viewer = co_await joined_text(port, "viewer");
      auto tom = co_await connect("127.0.0.1", port);
      const std::string typed = "tom\nlast words";  // no newline after the last line
      co_await tom.write(asio::buffer(typed));
      tom.shutdown_send();
      CHECK((co_await next_text(viewer.get())) == "* tom joined");
      CHECK((co_await next_text(viewer.get())) == "<tom> last words");
      CHECK((co_await next_text(viewer.get())) == "* tom left");
    }(fx.port()));
  }
}
