// coronet-loadgen --mode chat: fan-out through a chat room speaking docs/chat.md's JSON
// protocol (chat_server, bench/comparisons/node_chat_server.js, or several chat_server
// instances sharing one room).
//
// Members: --senders M and --receivers N connections, spread round-robin over the
// targets, each joining in JSON mode with a name unique to the run ("<tag>s3", "<tag>r17").
// A sender is a member like any other: the server delivers every message to every
// member, the sender included, so each message makes N + M deliveries and every member
// checks all of them.
//
// Join phase: every member sends its join at once. It ends when every member has its
// welcome and knows every other member's name (from the welcome's list or a "joined"
// event); deliveries in it are the welcomes and "joined" events (N+M + (N+M)(N+M-1)/2
// for a server that announces each join to everyone present).
//
// Message phase (--duration): each sender says texts of exactly --size bytes,
// "<seq>:" and filler, seq counting from 0 per sender. Every member checks each
// delivery: a known sender, the seq next in that sender's order (a gap, a duplicate or a
// reorder is an order error), the text intact. At the deadline senders stop, and the
// run waits until every member has every message sent, or until nothing has come for
// 2 s ("lost" counts what never came).
//
// The window: a sender may send message q only once every member has received message
// q - K (K = --window). No member is then ever more than K messages per sender behind,
// so the server never queues more than M x K lines for one member, which keeps it under
// the server's per-receiver limit (--max-queue, chat_server's default 256 KiB; over it the
// server disconnects the receiver). K defaults to as many as fit in half of --max-queue.
// A window counted from the sender's own copy would not bound anything: the sender's
// copy can come back while another member's socket is megabytes behind. K messages in
// flight per sender keep the server busy (never idle waiting for a round trip), and
// lines queued for one member leave in one write, as in any busy chat.
//
// --server-pid (repeatable): the CPU time (utime + stime, all threads, /proc/PID/stat)
// each of these processes spent in each phase is reported, and deliveries per server
// CPU-second over the message phase (deadline plus drain) with it.
#pragma once

#include "loadgen.hpp"

namespace loadgen {

struct chat_member;

struct chat_worker {
  asio::io_context io{1};
  std::vector<chat_member*> members;
};

// A sender's window, shared with every member that receives its messages.
struct sender_window {
  explicit sender_window(std::size_t ring) : acks(ring), sent_at(ring) {}
  std::vector<std::atomic<std::uint32_t>> acks;    // members that have message q, at q % ring
  std::vector<std::atomic<std::int64_t>> sent_at;  // ns since the join started, at q % ring
  std::atomic<std::uint64_t> sent{0};
  chat_member* member = nullptr;
};

struct chat_member {
  chat_member(asio::io_context& io, chat_worker* home) : w(home), sock(io), wake(io) {}
  std::size_t index = 0;  // senders 0..M-1, receivers M..
  bool sender = false;
  std::string name;
  tcp::endpoint target;
  chat_worker* w;
  tcp::socket sock;
  asio::steady_timer wake;  // a sender waits here for the message phase or window room
  // What this member received and checked; touched on its own thread only.
  std::vector<std::uint64_t> next_seq;  // per sender
  std::vector<char> known;              // names this member knows, by member index
  std::size_t known_count = 0;
  bool welcomed = false, join_done = false;
  std::uint64_t deliveries = 0, order_errors = 0, mismatches = 0, unexpected = 0;
  std::uint64_t join_duplicates = 0;  // joined events for a name the member already had
  std::uint64_t skipped = 0;          // messages jumped over by a gap (lost too)
  std::vector<float> latency_us;
  std::string error;
};

struct chat_run {
  config cfg;
  std::string tag;
  std::size_t members = 0, senders = 0, window = 0, ring = 0;
  std::string filler;
  std::vector<std::unique_ptr<chat_worker>> workers;
  std::vector<std::unique_ptr<chat_member>> all;
  std::vector<std::unique_ptr<sender_window>> windows;
  clock_type::time_point t0;
  std::optional<asio::steady_timer> coordinator;  // on worker 0
  std::atomic<std::size_t> joins_pending{0}, senders_running{0};
  std::atomic<bool> messaging{false}, stop_sending{false}, stop{false}, failed{false};
  std::atomic<std::uint64_t> lines{0}, deliveries{0}, errors_logged{0};
};

// The coordinator's wake-up (it runs on worker 0): the last join is done, or a failure.
void wake_coordinator(chat_run* run);
// A member's connection failed: the run fails, and ends.
void fail(chat_run* run, chat_member* m, std::string why);
// One member's join, then every line it receives, checked (loadgen_chat.cpp).
asio::awaitable<void> chat_receive(chat_run* run, chat_member* m);
// One sender's texts, as fast as its window allows, from the message phase to the
// deadline (loadgen_chat.cpp).
asio::awaitable<void> chat_send(chat_run* run, chat_member* m, sender_window* win);

}  // namespace loadgen
