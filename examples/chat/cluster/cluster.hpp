// The chat room across instances: names, presence and events shared through Redis
// (chat_server --redis HOST:PORT). docs/scale-out.md has the design and its picture.
//
// What lives where:
//   * Redis keys (prefix `coronet:chat:`): `names`, a hash from each member's lower-cased
//     name to "NODE\nName"; `node:NODE`, a hash of the members on one instance; `nodes`,
//     a sorted set of instances scored by the time their presence expires.
//   * Channels: `events` carries every room event (joined, left, renamed, message) as
//     "ORIGIN\n{json}"; `to:NODE` carries whispers for members on NODE (and NODE's
//     own sync markers); the formats are in messages.hpp.
//   * Every change of the name registry is one Lua script, so Redis runs it atomically
//     and publishes its event in the same step: names are unique across the cluster,
//     and one sender's events (join, says, rename, leave) go out on one connection in
//     the order the sender made them.
//   * Each instance mirrors the registry's names from those events (member_mirror.hpp):
//     a joiner's welcome and `who` come from there, so a join costs Redis O(1).
//
// Delivery: an instance delivers its own members' events to its own members directly
// (as without Redis) and publishes them; every instance delivers what it receives from
// other origins to its members. So each member sees each sender's events in order.
//
// Presence: each instance refreshes its entry in `nodes` every heartbeat (2 s); an
// instance whose entry expired (10 s: it was killed, or cut off) is reaped by the next
// heartbeat of any other instance, which frees its names and announces its members'
// departure. An instance stopped normally removes itself at once.
//
// Faults: when Redis cannot be reached the room is split. Every instance keeps serving
// its own members (joins, says and whispers among them), tells them so (a `system`
// event), and reconnects with bounded exponential backoff; back in touch, it registers
// its members again (a member whose name another instance took meanwhile is told, and
// disconnected) and tells them the room is whole, with the member list.
//
// Threads: the Redis connections live on a thread of their own. Sessions call in from
// their worker threads; each awaitable operation runs on the cluster's thread and
// resumes on the caller's, and the fire-and-forget ones are queued there in call order.
#pragma once

#include "cluster/member_mirror.hpp"

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace coronet::redis {
class client;
}

namespace chat {

class room;
class sender;

struct cluster_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string username;  // Redis ACL user; empty: the default user
  std::string password;  // AUTH at every (re)connection when not empty
  std::string node;      // this instance's name in the cluster, unique; empty: host:port
  std::chrono::milliseconds heartbeat{2000};
  std::chrono::milliseconds presence_ttl{10000};  // reaped after this long without a heartbeat
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds max_backoff{5000};
  std::string prefix = "coronet:chat:";
};

// Where a name is registered: the instance and the name as its owner spelled it.
struct located {
  std::string node;
  std::string name;
};

class cluster {
 public:
  cluster(cluster_options options, room* local);
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;
  ~cluster();

  // Connects to Redis, registers this node (the room is whole when it returns) and
  // starts the cluster's thread. Throws std::runtime_error with a
  // readable reason ("cannot reach Redis at 127.0.0.1:6379: Connection refused").
  void start();
  // Tells the other instances that this one's members are gone, then stops the thread.
  // Call after the server stopped (its sessions have left). Idempotent.
  void stop();

  const std::string& node() const noexcept { return options_.node; }
  // False while Redis is out of reach (the room is split). A hint: an operation may
  // still fail (std::system_error) when the link breaks under it.
  bool whole() const noexcept { return whole_.load(std::memory_order_acquire); }

  // ---- operations for sessions, from any thread -------------------------------------
  // Each throws std::system_error when Redis cannot be asked (the room is split).

  // Registers `name` and publishes `event` (the joined event's JSON). When the event
  // comes back on the channel, this instance's members get it and `welcome` is called
  // (on the cluster's thread) with every member's name, from the mirror at that point of
  // the stream: the joiner joins delivery there, so it gets exactly the events after the
  // list it is welcomed with. Returns false when the name is taken (then `welcome` is
  // not called).
  asio::awaitable<bool> join(std::string name, std::string event,
                             std::function<void(std::vector<std::string>)> welcome);
  // Moves a member's registration from `from` to `to` and publishes `event`; returns once
  // this instance's members got it (from the channel, in the stream's order). False: taken.
  asio::awaitable<bool> rename(std::string from, std::string to, std::string event);
  // Every member's name, sorted case-insensitively (from the mirror once it is synced).
  asio::awaitable<std::vector<std::string>> users();
  // Where `name` is registered, if anywhere.
  asio::awaitable<std::optional<located>> locate(std::string name);

  // Fire and forget, in call order (a lost link drops them: the room is split then).
  // Unregisters and publishes `event`, which this instance's members get from the
  // channel too.
  void leave(std::string name, std::string event);
  void say(std::string event);  // publishes `event` to the room
  // Publishes a whisper for the member `name` on instance `node`.
  void whisper(std::string node, std::string name, std::string event);

 private:
  struct link;
  std::shared_ptr<coronet::redis::client> commands() const;  // throws when split
  asio::awaitable<void> run();
  asio::awaitable<void> connect_link();
  asio::awaitable<void> connect_and_register();  // start()'s first connection
  asio::awaitable<void> heartbeat_loop();
  std::vector<std::string> heartbeat_command() const;
  asio::awaitable<void> receive_loop();
  asio::awaitable<void> register_members();
  asio::awaitable<void> sync_mirror();
  void replay(std::vector<member_mirror::message> held);
  asio::awaitable<void> goodbye();
  asio::awaitable<bool> join_here(std::string name, std::string event,
                                  std::function<void(std::vector<std::string>)> welcome);
  asio::awaitable<bool> change(std::uint64_t seq, std::string_view script,
                               std::vector<std::string> args, std::string event);
  // Waits (up to the command timeout) for the operation `seq`'s event to come back.
  asio::awaitable<void> await_echo(std::uint64_t seq);
  void echoed(std::uint64_t seq, std::vector<std::string> names);
  asio::awaitable<bool> rename_here(std::string from, std::string to, std::string event);
  asio::awaitable<std::vector<std::string>> users_here();
  asio::awaitable<std::optional<located>> locate_here(std::string name);
  void fire(std::vector<std::string> command);
  asio::awaitable<void> close_later(sender out);
  asio::awaitable<void> send_ignoring_errors(std::vector<std::string> command);
  void deliver(const std::string& channel, const std::string& payload);
  void set_whole(bool whole);

  cluster_options options_;
  room* room_;
  asio::io_context io_{1};
  std::unique_ptr<link> link_;  // the Redis connections; touched on io_'s thread only
  std::thread thread_;
  std::atomic<bool> whole_{false};
  // Operations waiting for their event to come back on the channel, by sequence number
  // (the "#SEQ" line of their payload).
  struct pending {
    std::function<void(std::vector<std::string>)> on_echo;
    asio::steady_timer* wake = nullptr;
    bool echoed = false;
  };
  std::map<std::uint64_t, pending> pending_;  // io_'s thread only
  member_mirror mirror_;                      // io_'s thread only
  std::uint64_t next_seq_ = 1;                // io_'s thread only
  bool split_announced_ = false;              // io_'s thread only
  bool stopping_ = false;                     // io_'s thread only
  bool stopped_ = false;
};

}  // namespace chat
