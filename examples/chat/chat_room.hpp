// The chat room behind chat_server: who is here, and delivery of events to them.
//
// Threading (the design muduo's chat examples arrive at): every worker thread has a
// slot listing the members whose connections live on that thread. A broadcast renders
// the event once, delivers it inline to its own thread's members and posts it once to
// every other thread, which delivers to its members. So a message costs one post per
// thread, not one per receiver, no lock is held while sending, and events from one
// sender reach every receiver in the order sent (posts to one thread run in order).
// The name registry, touched on join, rename, leave, who and whisper only, sits behind
// one mutex.
//
// Slow receivers: delivery uses the member's bounded outbox (try_send). A receiver whose
// queue is over its high-water mark is disconnected and logged; nobody else waits, and
// nothing that goes wrong for one receiver stops delivery to the others.
#pragma once

#include <coronet/connection.hpp>
#include <coronet/framed.hpp>
#include <coronet/line_codec.hpp>
#include <coronet/outbox.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace chat {

struct options {
  std::size_t max_line = 8 * 1024;      // longer lines: too_large, then disconnect
  std::size_t max_text = 2000;          // longer say/whisper texts: too_large
  std::size_t max_queued = 256 * 1024;  // per-receiver outbox high-water mark
};

enum class mode { json, text };

using line_framed = coronet::framed<coronet::line_codec, coronet::connection>;
using line_outbox = coronet::outbox<coronet::line_codec, coronet::connection>;

// One event as each kind of client sees it.
struct rendered {
  std::string json;
  std::string text;
  const std::string& for_mode(mode m) const { return m == mode::json ? json : text; }
};

// Builders for every event and reply of the protocol (JSON and text forms).
namespace events {
rendered welcome(const std::string& name, const std::vector<std::string>& users);
rendered joined(const std::string& name);
rendered left(const std::string& name);
rendered message(const std::string& from, std::string_view text);
rendered whisper(const std::string& from, const std::string& to, std::string_view text,
                 bool for_sender);
rendered renamed(const std::string& from, const std::string& to);
rendered users(const std::vector<std::string>& names);
rendered error(std::string_view code, std::string_view message);

// The text form of a JSON event received from the server (what chat_client prints).
// `me` picks the sender's form of a whisper. Unknown events print as their JSON.
std::string text_of(const std::string& json_event, const std::string& me);
}  // namespace events

// Names: 1 to 32 letters, digits, '_' or '-'.
bool valid_name(std::string_view name) noexcept;

// `s` made safe to show on a terminal: line breaks become spaces, other control
// characters caret notation (ESC is "^["), C1 controls '?'. Text-mode lines and
// chat_client's output go through it, so no peer can send escape sequences to a screen.
std::string printable(std::string_view s);

// What a room operation can refuse, and the protocol's code for it ("" for none).
enum class room_error { none, invalid_name, name_taken, not_joined, no_such_user };
std::string_view code(room_error e) noexcept;

class room {
 public:
  explicit room(options o = {}) : options_(o) {}

  const options& settings() const noexcept { return options_; }

  struct member {
    std::uint64_t id = 0;
    chat::mode mode = mode::json;
    line_outbox out;
    asio::any_io_executor executor;  // the member's connection's
  };

  // Called on the member's own thread (its session).
  room_error join(const member& m, const std::string& name, std::vector<std::string>* users);
  room_error rename(std::uint64_t id, const std::string& from, const std::string& to);
  // To oneself: one copy (the sender's form).
  room_error whisper(const member& from, const std::string& from_name, const std::string& to,
                     std::string_view text);
  void say(const std::string& from, std::string_view text);
  void leave(std::uint64_t id, const std::string& name);
  std::vector<std::string> users() const;

  std::size_t disconnected_slow() const noexcept { return slow_.load(); }

 private:
  static constexpr std::size_t max_threads = 256;

  struct slot {
    std::thread::id thread;
    asio::any_io_executor executor;
    std::vector<member> members;  // touched on `thread` only
  };

  struct entry {
    std::uint64_t id;
    std::string name;  // as the user spelled it
    chat::mode mode;
    line_outbox out;
  };

  slot& local_slot(const asio::any_io_executor& ex);
  void broadcast(const std::shared_ptr<const rendered>& event, std::uint64_t except_id);
  void deliver(slot& s, const rendered& event, std::uint64_t except_id);
  void send_or_drop(const line_outbox& out, const std::string& line, std::uint64_t id);
  static std::string key(std::string_view name);
  std::vector<std::string> users_locked() const;

  options options_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> by_key_;  // lower-cased name -> member
  std::array<std::unique_ptr<slot>, max_threads> slots_{};
  std::atomic<std::size_t> slot_count_{0};
  std::atomic<std::size_t> slow_{0};
};

// Serves one connection: the chat protocol in JSON or text mode (the first line
// decides).
asio::awaitable<void> session(coronet::connection conn, room* r);

}  // namespace chat
