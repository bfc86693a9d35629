// The cluster's link to Redis: connecting, registering this instance, the heartbeat,
// the split and the reconnection, and the events that come in (cluster.hpp). The
// operations sessions ask for are in operations.cpp.
#include "cluster/cluster.hpp"

#include "../../common/log.hpp"
#include "cluster/link.hpp"
#include "cluster/messages.hpp"
#include "cluster/scripts.hpp"
#include "room/room.hpp"

#include <coronet/core/errc.hpp>
#include <coronet/redis.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <algorithm>
#include <future>
#include <stdexcept>

namespace chat {

using namespace std::chrono_literals;
using coronet::resp::value;
using detail::checked;
using detail::sorted_names;
using detail::throw_split;
using messages::name_of;

cluster::cluster(cluster_options options, room* local)
    : options_(std::move(options)), room_(local), link_(std::make_unique<link>()) {
  if (options_.node.empty()) options_.node = options_.host + ":" + std::to_string(options_.port);
  if (options_.node.find('\n') != std::string::npos)
    throw std::invalid_argument("--node: a node name cannot hold a line break");
}

cluster::~cluster() {
  stop();
}

std::shared_ptr<coronet::redis::client> cluster::commands() const {
  if (!link_->commands) throw_split();
  return link_->commands;
}

void cluster::start() {
  // Connected and this node registered before start() returns, so that the first member
  // to join (the program listens right after) joins the whole room, not a split.
  auto connected = asio::co_spawn(io_, connect_and_register(), asio::use_future);
  thread_ = std::thread([this] { io_.run(); });
  try {
    connected.get();
  } catch (const std::exception& e) {
    io_.stop();
    thread_.join();
    throw std::runtime_error("cannot reach Redis at " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + e.what());
  }
  // The link's loop keeps io_ busy until stop(); it reports its own failures (as a split).
  asio::co_spawn(io_, run(), asio::detached);
}

void cluster::stop() {
  if (stopped_ || !thread_.joinable()) return;
  stopped_ = true;
  auto done = asio::co_spawn(io_, goodbye(), asio::use_future);
  // goodbye() bounds itself by the command timeout; the wait here is a safety net.
  if (done.wait_for(options_.command_timeout + 2s) != std::future_status::ready) io_.stop();
  thread_.join();
}

asio::awaitable<void> cluster::connect_link() {
  coronet::redis::client_options o;
  o.connect_timeout = options_.command_timeout;
  o.command_timeout = options_.command_timeout;
  o.client_name = "coronet-chat-" + options_.node;
  o.username = options_.username;
  o.password = options_.password;
  auto commands = co_await coronet::redis::client::connect(options_.host, options_.port, o);
  auto events = co_await coronet::redis::subscriber::connect(options_.host, options_.port, o);
  auto channels =
      std::vector<std::string>{options_.prefix + "events", options_.prefix + "to:" + options_.node};
  co_await events.subscribe(channels);
  link_->commands = std::make_shared<coronet::redis::client>(std::move(commands));
  link_->events.emplace(std::move(events));
  if (!link_->wait) link_->wait.emplace(io_);
}

asio::awaitable<void> cluster::connect_and_register() {
  co_await connect_link();
  co_await register_members();
  set_whole(true);
}

// Connected, in touch; split, reconnecting with backoff; until stop().
asio::awaitable<void> cluster::run() {
  using namespace asio::experimental::awaitable_operators;
  coronet::redis::backoff backoff{100ms, options_.max_backoff};
  while (!stopping_) {
    if (!link_->connected()) {
      bool ok = false;
      try {
        co_await connect_link();
        ok = true;
      } catch (const std::exception& e) {
        examples::log_event(examples::level::debug, "redis_retry", {{"error", e.what()}},
                            "chat cluster: Redis still out of reach: ", e.what());
      }
      if (!ok) {
        link_->close();
        link_->wait->expires_after(backoff.next());
        co_await link_->wait->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        continue;
      }
      backoff.reset();
    }
    std::string failure;
    try {
      if (!whole()) {  // start() registered the first time
        co_await register_members();
        set_whole(true);
      }
      co_await (heartbeat_loop() || receive_loop());
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (stopping_) break;
    replay(mirror_.abandon());  // what arrived before the link broke
    set_whole(false);
    link_->close();
    for (auto& [seq, op] : pending_)  // their events will not come back: a split
      if (op.wake != nullptr) op.wake->cancel();
    examples::log_event(examples::level::warn, "split", {{"error", failure}},
                        "chat cluster: lost Redis (", failure, "); serving this instance's ",
                        "members alone and reconnecting");
  }
}

void cluster::set_whole(bool whole) {
  whole_.store(whole, std::memory_order_release);
  if (!whole && !split_announced_) {
    split_announced_ = true;
    room_->notify(events::system("split",
                                 "the room is split: members on other servers are out of "
                                 "reach for now; reconnecting"));
  } else if (whole && split_announced_) {
    split_announced_ = false;
    examples::log_event(examples::level::info, "rejoined", {}, "chat cluster: Redis is back");
    room_->notify(events::system("rejoined", "the room is whole again"));
    // The member list as it is now, for members who missed joins and leaves meanwhile.
    auto c = std::vector<std::string>{"HVALS", options_.prefix + "names"};
    asio::co_spawn(
        io_,
        [](cluster* self, std::vector<std::string> cmd) -> asio::awaitable<void> {
          try {
            auto reply = co_await self->commands()->command(std::move(cmd));
            self->room_->notify(events::users(sorted_names(checked(reply))));
          } catch (const std::exception&) {
            // The link broke again: the split it causes is announced by run().
          }
        }(this, std::move(c)),
        asio::detached);
  }
}

asio::awaitable<void> cluster::register_members() {
  // The heartbeat first: it reaps instances that died while we were away and tells us
  // whether Redis still knows this one.
  auto beat = heartbeat_command();
  checked(co_await commands()->command(std::move(beat)));
  co_await sync_mirror();  // before any join of this link's: their welcomes need it
  // Members who join from now on register themselves (the link is up and whole_ is set
  // by the caller right after); the snapshot below covers everyone before them. The
  // join script accepts a name that is already its member's, so overlap is harmless.
  whole_.store(true, std::memory_order_release);
  auto cmd = std::vector<std::string>{"EVAL",
                                      scripts::register_members,
                                      "2",
                                      options_.prefix + "names",
                                      options_.prefix + "node:" + options_.node,
                                      options_.node,
                                      options_.prefix + "events"};
  for (auto& [k, name] : room_->registered()) {
    cmd.push_back(k);
    cmd.push_back(name);
  }
  const auto conflicts = co_await commands()->command(std::move(cmd));
  for (const auto& k : checked(conflicts).elements) {
    examples::log_event(examples::level::warn, "name_conflict", {{"key", k.text}},
                        "chat cluster: name ", k.text,
                        " was taken on another server while the room was split");
    auto out = room_->evict(k.text, events::error("name_taken",
                                                  "while the room was split, your name was taken "
                                                  "on another server; please join again"));
    // Closing drops what is queued: give the explanation a moment to leave first.
    if (out) asio::co_spawn(io_, close_later(std::move(*out)), asio::detached);
  }
}

asio::awaitable<void> cluster::close_later(sender out) {
  asio::steady_timer pause{io_, std::chrono::milliseconds(500)};
  co_await pause.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  out.close(coronet::errc::connection_closed);
}

// One heartbeat: refreshes this node's presence and reaps expired nodes (the script).
std::vector<std::string> cluster::heartbeat_command() const {
  return {"EVAL",
          scripts::heartbeat,
          "2",
          options_.prefix + "nodes",
          options_.prefix + "names",
          options_.node,
          std::to_string(options_.presence_ttl.count()),
          options_.prefix,
          options_.prefix + "events"};
}

asio::awaitable<void> cluster::heartbeat_loop() {
  // However this loop ends (a failed command, or cancelled because receive_loop ended),
  // close the link so that the other loop ends at once too.
  struct close_at_end {
    link* l;
    ~close_at_end() { l->close(); }
  } guard{link_.get()};
  for (;;) {
    link_->wait->expires_after(options_.heartbeat);
    co_await link_->wait->async_wait(asio::use_awaitable);
    auto beat = heartbeat_command();
    const auto known = co_await commands()->command(std::move(beat));
    if (checked(known).integer == 0) co_await register_members();
  }
}

asio::awaitable<void> cluster::receive_loop() {
  try {
    for (;;) {
      const auto m = co_await link_->events->receive();
      deliver(m.channel, m.payload);
    }
  } catch (const std::exception&) {
    link_->close();  // ends the heartbeat's wait or command at once
    throw;
  }
}

// Payloads: messages.hpp. Membership events update the mirror whatever their
// origin (it mirrors the registry); this instance's own membership changes reach its
// members from the channel, in the stream's order, and a joiner's welcome is cut there.
void cluster::deliver(const std::string& channel, const std::string& payload) {
  if (mirror_.holding()) return mirror_.hold({channel, payload});
  if (channel != options_.prefix + "events") {
    const auto d = messages::parse_direct(payload);
    if (!d) return;
    if (d->key.empty()) return mirror_.marker(d->marker);
    room_->deliver_whisper(std::string{d->key}, std::string{d->json});
    return;
  }
  const auto e = messages::parse_event(payload);
  if (!e) return;
  mirror_.apply(e->json);
  const std::string json{e->json};
  if (e->origin != options_.node) return room_->deliver(json);
  // Our own: says went to our members directly; a tagged membership change did not.
  if (!e->tagged) return;
  const bool joining = json.starts_with(R"({"type":"joined")");
  if (joining && !pending_.contains(e->seq)) return;  // its session gave up, joined alone
  room_->deliver(json);  // before the joiner is in: it does not get its own "joined"
  echoed(e->seq, joining ? mirror_.names() : std::vector<std::string>{});
}

// A snapshot of the registry for the mirror, cut at the same point of the event stream
// as the marker the script publishes to our own channel (member_mirror.hpp).
asio::awaitable<void> cluster::sync_mirror() {
  replay(mirror_.abandon());
  const auto token = mirror_.begin_sync();
  auto cmd = std::vector<std::string>{"EVAL",
                                      scripts::snapshot,
                                      "1",
                                      options_.prefix + "names",
                                      options_.prefix + "to:" + options_.node,
                                      messages::marker(options_.node, token)};
  const auto reply = co_await commands()->command(std::move(cmd));
  std::vector<std::string> names;
  for (const auto& e : checked(reply).elements)
    names.push_back(name_of(e.text));
  replay(mirror_.snapshot(token, std::move(names)));
}

void cluster::replay(std::vector<member_mirror::message> held) {
  for (const auto& m : held)
    deliver(m.channel, m.payload);
}

asio::awaitable<void> cluster::goodbye() {
  stopping_ = true;
  if (link_->connected() && whole()) {
    auto cmd = std::vector<std::string>{"EVAL",
                                        scripts::goodbye,
                                        "3",
                                        options_.prefix + "nodes",
                                        options_.prefix + "names",
                                        options_.prefix + "node:" + options_.node,
                                        options_.node,
                                        options_.prefix + "events"};
    try {
      co_await commands()->command(std::move(cmd));
    } catch (const std::exception& e) {
      examples::log_event(examples::level::warn, "goodbye", {{"error", e.what()}},
                          "chat cluster: could not say goodbye: ", e.what(),
                          " (the other servers will reap this one)");
    }
  }
  whole_.store(false, std::memory_order_release);
  link_->close();
}

}  // namespace chat
