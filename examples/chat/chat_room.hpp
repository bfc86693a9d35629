// The chat room behind chat_server: who is here, and delivery of events to them.
//
// Delivery is coronet::broadcast_group's (per-thread member lists, one post per thread
// per event, each sender's events in order at every receiver): one group per mode, so
// an event is rendered once as JSON and once as text and each member gets its own
// form. JSON lines and text lines go to line_codec groups; browsers (chat_server
// --web, web_session.cpp) get the JSON form as WebSocket text messages from a third
// group. The name registry, touched on join, rename, leave, who and whisper only, sits
// behind one mutex.
//
// Across instances (chat_server --redis): attach a chat::cluster (cluster.hpp). The
// room then also registers names in Redis, publishes its members' events and delivers
// the other instances' events to its members; without one it is this process alone.
//
// Slow receivers: delivery uses the member's bounded outbox. A receiver whose queue is
// over its high-water mark is closed (the group's overflow::close(); its session logs
// errc::outbox_full as the reason); nobody else waits.
#pragma once

#include "join_limits.hpp"

#include <coronet/framing/broadcast_group.hpp>
#include <coronet/core/connection.hpp>
#include <coronet/framing/framed.hpp>
#include <coronet/http/request.hpp>
#include <coronet/framing/line_codec.hpp>
#include <coronet/framing/outbox.hpp>
#include <coronet/websocket/codec.hpp>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace chat {

struct options {
  std::size_t max_line = 8 * 1024;      // longer lines: too_large, then disconnect
  std::size_t max_text = 2000;          // longer say/whisper texts: too_large
  std::size_t max_queued = 256 * 1024;  // per-receiver outbox high-water mark
  join_limits joins{};                  // join attempts per connection and per address
};

// json: JSON lines over TCP; text: plain lines (nc); web: JSON over WebSocket, one
// event per text message (chat_server --web).
enum class mode { json, text, web };

// One event as each kind of client sees it.
struct rendered {
  std::string json;
  std::string text;
  const std::string& for_mode(mode m) const { return m == mode::text ? text : json; }
};

using line_frames = coronet::framed<coronet::line_codec>;
using web_frames = coronet::framed<coronet::websocket::codec>;
// A session's own frames, on its own thread: lines (TCP) or WebSocket messages.
using frames_ref = std::variant<line_frames*, web_frames*>;

// Sends `event` through `f` now (on its thread); a member too slow to take it is closed.
void send_here(frames_ref f, std::string_view event);

// A member's outbox, whichever transport it came by: one event per line or per
// WebSocket text message. Usable from any thread, like the outboxes it holds.
class sender {
 public:
  sender() = default;
  sender(coronet::outbox<coronet::line_codec> o) : out_(std::move(o)) {}  // NOLINT: implicit
  sender(coronet::outbox<coronet::websocket::codec> o)                    // NOLINT: implicit
      : out_(std::move(o)) {}

  coronet::send_result try_send(std::string_view event) const {
    return std::visit([event](const auto& o) { return o.try_send(event); }, out_);
  }
  void close(coronet::errc why) const {
    std::visit([why](const auto& o) { o.close(why); }, out_);
  }
  bool is_open() const noexcept {
    return std::visit([](const auto& o) { return o.is_open(); }, out_);
  }

 private:
  std::variant<coronet::outbox<coronet::line_codec>, coronet::outbox<coronet::websocket::codec>>
      out_;
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
// About the room itself: "split" (other servers out of reach) and "rejoined".
rendered system(std::string_view event, std::string_view message);

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

class cluster;

class room {
 public:
  explicit room(options o = {}) : options_(o), joins_by_address_(o.joins) {}

  const options& settings() const noexcept { return options_; }

  // Share the room with other instances through `c` (null: this instance alone). Set
  // before serving.
  void attach(cluster* c) noexcept { cluster_ = c; }

  using group = coronet::broadcast_group<coronet::line_codec>;
  using web_group = coronet::broadcast_group<coronet::websocket::codec>;

  // A member's place in the group of its mode (one of the two is used).
  struct place_in_group {
    group::membership lines;
    web_group::membership web;
    std::uint64_t id() const noexcept { return lines.id() != 0 ? lines.id() : web.id(); }
    void leave() noexcept {
      lines.leave();
      web.leave();
    }
  };

  struct member {
    std::uint64_t id = 0;  // the connection's
    chat::mode mode = mode::json;
    sender out;
    place_in_group place;  // in the group of its mode, once joined
  };

  // Called on the member's own thread (its session), with its connection's frames (of
  // the kind its mode says: line_frames for json and text, web_frames for web); `m` and
  // `frames` must outlive the call. With a cluster attached, join, rename,
  // whisper and everyone() ask Redis; while the room is split they act on this
  // instance's members alone.
  //
  // join() sends the welcome (with everyone's names) itself, before any other event
  // reaches the member.
  asio::awaitable<room_error> join(member* m, frames_ref frames, std::string name);
  asio::awaitable<room_error> rename(std::uint64_t id, std::string from, std::string to);
  // To oneself: one copy (the sender's form).
  asio::awaitable<room_error> whisper(const member* from, std::string from_name, std::string to,
                                      std::string text);
  void say(const std::string& from, std::string_view text);
  // Announces the member's departure, unless it had lost its name to another instance
  // (evict()): the name is the winner's now, and "left" would drop the winner from
  // every member list, whose names compare case-insensitively.
  void leave(member& m, const std::string& name);
  // Counts a join attempt from `peer` (options::joins): zero when it may go ahead,
  // else how long until one may. Any thread.
  std::chrono::steady_clock::duration admit_join(const asio::ip::address& peer) {
    return joins_by_address_.take(peer, std::chrono::steady_clock::now());
  }
  // This instance's members.
  std::vector<std::string> users() const;
  // Every member of the room, on every instance (this instance's while split).
  asio::awaitable<std::vector<std::string>> everyone() const;

  // ---- for the cluster (on its thread) --------------------------------------------
  // Another instance's event, as its JSON, to every member here.
  void deliver(const std::string& event_json);
  // Another instance's whisper to the member here called `key` (lower-cased), if any.
  void deliver_whisper(const std::string& key, const std::string& event_json);
  // An event about the room to every member here.
  void notify(const rendered& event);
  // Every member here: (lower-cased name, name).
  std::vector<std::pair<std::string, std::string>> registered() const;
  // The member here called `key` lost its name to another instance (while the room was
  // split): tell it why and drop it from the room. Returns its outbox, for the caller to
  // close once the message has had time to leave (closing drops what is queued).
  std::optional<sender> evict(const std::string& key, const rendered& why);

  std::size_t disconnected_slow() const noexcept {
    return slow_.load() + json_.closed_slow() + text_.closed_slow() + web_.closed_slow();
  }

 private:
  struct entry {
    std::uint64_t id;
    std::string name;  // as the user spelled it
    chat::mode mode;
    sender out;
    bool renaming = false;  // the new name of a rename in progress: held, not listed yet
  };

  void welcome(const member& m, frames_ref frames, const std::string& name,
               const std::vector<std::string>& users);
  // The delivery group of mode `m`: make it reach this thread, a point in its sequence,
  // and entering it (on the member's thread).
  void prepare(mode m, const asio::any_io_executor& here);
  std::uint64_t ticket(mode m) const noexcept;
  void enter(member& m, frames_ref frames, std::uint64_t since);
  void enter(member& m, frames_ref frames);
  static void log_join(const member& m, const std::string& name);
  // A whisper to one member; a member too slow to take it is dropped.
  void send_or_drop(const entry& target, const std::string& line);
  // To every member but `except` (no one when null).
  void broadcast(const rendered& event, const member* except);
  static std::string key(std::string_view name);
  std::vector<std::string> users_locked() const;

  options options_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> by_key_;  // lower-cased name -> member
  group json_;
  group text_;
  web_group web_;
  std::atomic<std::size_t> slow_{0};  // whisper targets dropped as too slow
  address_limiter joins_by_address_;
  cluster* cluster_ = nullptr;
};

// Serves one connection: the chat protocol in JSON or text mode (the first line
// decides).
asio::awaitable<void> session(coronet::connection conn, room* r);

// chat_server --web: what the web address serves besides the room.
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
