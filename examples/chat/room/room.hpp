// The chat room behind chat_server: who is here, and delivery of events to them.
//
// The room holds members (member.hpp) without knowing their transport: each reads events
// in one form, JSON or text, and delivery (delivery.hpp) renders every event once per
// form and sends it through broadcast groups of the members' own frames. The name
// registry, touched on join, rename, leave, who and whisper only, sits behind one mutex.
//
// Across instances (chat_server --redis): attach a chat::cluster (cluster/cluster.hpp).
// The room then also registers names in Redis, publishes its members' events and
// delivers the other instances' events to its members; without one it is this process
// alone.
//
// Slow receivers: delivery uses the member's bounded outbox. A receiver whose queue is
// over its high-water mark is closed (its session logs errc::outbox_full as the reason);
// nobody else waits.
#pragma once

#include "protocol/events.hpp"
#include "room/delivery.hpp"
#include "room/join_limits.hpp"
#include "room/member.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat {

struct options {
  std::size_t max_line = 8 * 1024;      // longer lines: too_large, then disconnect
  std::size_t max_text = 2000;          // longer say/whisper texts: too_large
  std::size_t max_queued = 256 * 1024;  // per-receiver outbox high-water mark
  join_limits joins{};                  // join attempts per connection and per address
};

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

  // Called on the member's own thread (its session); `m` must outlive the call. With a
  // cluster attached, join, rename, whisper and everyone() ask Redis; while the room is
  // split they act on this instance's members alone.
  //
  // join() sends the welcome (with everyone's names) itself, before any other event
  // reaches the member.
  asio::awaitable<room_error> join(member* m, std::string name);
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

  std::size_t disconnected_slow() const noexcept { return slow_.load() + delivery_.closed_slow(); }

 private:
  struct entry {
    std::uint64_t id;
    std::string name;  // as the user spelled it
    form reads;
    sender out;
    bool renaming = false;  // the new name of a rename in progress: held, not listed yet
  };
  static entry entry_of(const member& m, const std::string& name) {
    return entry{m.id(), name, m.reads(), m.out()};
  }

  // The welcome: sent on the member's thread, before anything else reaches it.
  static void welcome(member& m, const std::string& name, const std::vector<std::string>& users);
  static void log_join(const member& m, const std::string& name);
  // A whisper to one member; a member too slow to take it is dropped.
  void send_or_drop(const entry& target, const std::string& line);
  // To every member but `except` (no one when null).
  void broadcast(const rendered& event, member* except);
  static std::string key(std::string_view name);
  std::vector<std::string> users_locked() const;

  options options_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> by_key_;  // lower-cased name -> member
  delivery delivery_;
  std::atomic<std::size_t> slow_{0};  // whisper targets dropped as too slow
  address_limiter joins_by_address_;
  cluster* cluster_ = nullptr;
};

}  // namespace chat
