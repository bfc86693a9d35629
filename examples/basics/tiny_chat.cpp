// tiny_chat: every line a member sends goes to every member, itself included.
//
//   tiny_chat [PORT]                # default 7000; then, in several terminals:
//   nc 127.0.0.1 7000
//
// coronet::broadcast_group keeps the members: a list per worker thread, one post per
// thread per message, and a member too slow to keep its queue under the limit is
// disconnected instead of making the room buffer without bound. examples/chat is the
// full program (names, JSON, whispers); docs/chat.md describes it.
#include <coronet/coronet.hpp>

#include <algorithm>
#include <iostream>
#include <string>

using room = coronet::broadcast_group<coronet::line_codec>;

// A member's time in the room: joins and is announced; when its coroutine ends, however
// it ends, leaves and its departure is announced to the others.
class presence {
 public:
  presence(room& r, coronet::framed<coronet::line_codec>& lines, std::string name)
      : room_(r), name_(std::move(name)), place_(r.join(lines)) {
    room_.publish("* " + name_ + " joined");
  }
  presence(const presence&) = delete;
  presence& operator=(const presence&) = delete;
  ~presence() {
    place_.leave();
    room_.publish("* " + name_ + " left");
  }

 private:
  room& room_;
  std::string name_;
  room::membership place_;
};

asio::awaitable<void> member(coronet::connection conn, room* chat) {
  const std::string name = "user" + std::to_string(conn.id());
  // Security: lines in are at most 1 KiB; at most 256 KiB wait for one member's reading.
  coronet::framed lines{std::move(conn), coronet::line_codec{{.max_length = 1024}},
                        coronet::framed_options{.high_water_mark = 256 * 1024}};
  const presence here{*chat, lines, name};
  try {
    while (auto line = co_await lines.read()) {
      std::string text{*line};
      // No member may send terminal escape sequences to the others' screens.
      std::replace_if(
          text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }, '?');
      chat->publish(name + ": " + text);  // a full queue closes that member (overflow::close)
    }
  } catch (const std::system_error& e) {
    // Dropped as too slow (errc::outbox_full), a line over 1 KiB, a reset: it leaves.
    std::cerr << name << " left: " << e.code().message() << "\n";
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  room chat;
  // Two threads: members on both share the room.
  coronet::server server{{.host = "127.0.0.1", .port = port, .threads = 2}};
  server.listen();
  std::cerr << "listening on " << server.local_endpoint() << "\n";
  server.run([&chat](coronet::connection c) { return member(std::move(c), &chat); });
}
