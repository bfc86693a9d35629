// chat_room: every line a member sends goes to every member, itself included.
//
//   chat_room [PORT]                # default 7000; then, in several terminals:
//   nc 127.0.0.1 7000
//
// The basic version: one mutex around one list of members, simple and fine for a few
// threads. examples/chat is the one that scales (a member list per thread, fed by one
// post per thread), with names, JSON and more; docs/chat.md describes it.
#include <coronet/coronet.hpp>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

using line_outbox = coronet::outbox<coronet::line_codec>;

// A member is its outbox: a bounded queue drained by that member's own writer. A
// broadcast never waits for anyone; a member too slow to keep its queue under the limit
// is disconnected instead of making the room buffer without bound.
class room {
 public:
  void join(const line_outbox& member, const std::string& name) {
    std::lock_guard lock{mutex_};
    members_.push_back(member);
    send_all("* " + name + " joined");
  }
  void leave(const line_outbox& member, const std::string& name) {
    std::lock_guard lock{mutex_};
    std::erase(members_, member);
    send_all("* " + name + " left");
  }
  void broadcast(const std::string& line) {
    std::lock_guard lock{mutex_};
    send_all(line);
  }

 private:
  void send_all(const std::string& line) {  // with mutex_ held
    for (const auto& member : members_)
      if (!member.try_send(line)) member.close();  // queue full: drop the slow reader
  }

  std::mutex mutex_;
  std::vector<line_outbox> members_;
};

// In the room for as long as it lives, so a member leaves however its coroutine ends.
class membership {
 public:
  membership(room* r, line_outbox out, std::string name)
      : room_(r), out_(std::move(out)), name_(std::move(name)) {
    room_->join(out_, name_);
  }
  membership(const membership&) = delete;
  membership& operator=(const membership&) = delete;
  ~membership() { room_->leave(out_, name_); }

 private:
  room* room_;
  line_outbox out_;
  std::string name_;
};

asio::awaitable<void> member(coronet::connection conn, room* chat) {
  const std::string name = "user" + std::to_string(conn.id());
  // Security: lines in are at most 1 KiB; at most 256 KiB wait for one member's reading.
  coronet::framed lines{std::move(conn), coronet::line_codec{{.max_length = 1024}},
                        coronet::framed_options{.high_water_mark = 256 * 1024}};
  const membership here{chat, lines.get_outbox(), name};
  while (auto line = co_await lines.read()) {
    std::string text{*line};
    // No member may send terminal escape sequences to the others' screens.
    std::replace_if(
        text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }, '?');
    chat->broadcast(name + ": " + text);
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  room chat;
  // Two threads: members on different threads share the room, hence its mutex.
  coronet::server server{{.host = "127.0.0.1", .port = port, .threads = 2}};
  server.listen();
  std::cerr << "listening on " << server.local_endpoint() << "\n";
  server.run([&chat](coronet::connection c) { return member(std::move(c), &chat); });
}
