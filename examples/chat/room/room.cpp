#include "room/room.hpp"

#include "../../common/log.hpp"
#include "cluster/cluster.hpp"

#include <asio/post.hpp>
#include <asio/this_coro.hpp>

#include <cctype>

namespace chat {

std::string_view code(room_error e) noexcept {
  switch (e) {
    case room_error::none:
      return "";
    case room_error::invalid_name:
      return "invalid_name";
    case room_error::name_taken:
      return "name_taken";
    case room_error::not_joined:
      return "not_joined";
    case room_error::no_such_user:
      return "no_such_user";
  }
  return "";
}

std::string room::key(std::string_view name) {
  std::string k{name};
  for (auto& c : k)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

std::vector<std::string> room::users_locked() const {
  std::vector<std::string> names;
  names.reserve(by_key_.size());
  for (const auto& [k, e] : by_key_)
    if (!e.renaming) names.push_back(e.name);
  // Sorted case-insensitively, which is the order of the keys.
  return names;
}

std::vector<std::string> room::users() const {
  std::lock_guard lock{mutex_};
  return users_locked();
}

asio::awaitable<room_error> room::join(member* m, std::string name) {
  if (!valid_name(name)) co_return room_error::invalid_name;
  const auto k = key(name);
  if (cluster_ != nullptr && cluster_->whole()) {
    {
      // Held here first, so that nobody on this instance takes it meanwhile; then the
      // cluster-wide registry decides.
      std::lock_guard lock{mutex_};
      if (!by_key_.try_emplace(k, entry_of(*m, name)).second) co_return room_error::name_taken;
    }
    // The joiner enters delivery and is welcomed on its own thread, at the point of the
    // event stream where its join is (the cluster calls this there).
    auto here = co_await asio::this_coro::executor;
    // Publishes from the cluster's thread must reach this thread from the joiner's
    // place in the stream on, though nobody here may have joined yet.
    channel* joins = &m->channel_in(delivery_);
    joins->prepare(here);
    auto enter_here = [this, m, joins, here, name](std::vector<std::string> users) {
      // On the cluster's thread, at the join's place in the stream: what it publishes
      // from here on reaches the joiner, even what reaches its thread before the join.
      const auto since = joins->ticket();
      asio::post(here, [this, m, name, since, users = std::move(users)] {
        m->enter(delivery_, since);
        welcome(*m, name, users);
      });
    };
    bool joined = false;
    bool answered = false;
    try {
      joined = co_await cluster_->join(name, events::joined(name).json, enter_here);
      answered = true;
    } catch (const std::system_error&) {
      // Split under us: this instance alone decides, as while split (below).
    }
    if (answered) {
      if (!joined) {
        std::lock_guard lock{mutex_};
        auto it = by_key_.find(k);
        if (it != by_key_.end() && it->second.id == m->id()) by_key_.erase(it);
        co_return room_error::name_taken;
      }
      log_join(*m, name);
      co_return room_error::none;
    }
  }
  std::vector<std::string> users;
  {
    // Under the lock, so that joins are announced in the order their welcomes list
    // them: a member welcomed with a list gets a "joined" for exactly those after it.
    std::lock_guard lock{mutex_};
    auto [it, inserted] = by_key_.try_emplace(k, entry_of(*m, name));
    if (!inserted && it->second.id != m->id()) co_return room_error::name_taken;
    users = users_locked();
    m->enter(delivery_, m->channel_in(delivery_).ticket());
    broadcast(events::joined(name), m);
  }
  welcome(*m, name, users);
  log_join(*m, name);
  co_return room_error::none;
}

void room::welcome(member& m, const std::string& name, const std::vector<std::string>& users) {
  // A member too slow to take its own welcome is dropped, as for any reply.
  m.send_here(events::welcome(name, users).in(m.reads()));
}

void room::log_join(const member& m, const std::string& name) {
  examples::log_event(examples::level::info, "join", {{"conn", m.id()}, {"name", name}},
                      "join: ", name, " (connection ", m.id(), ")");
}

asio::awaitable<room_error> room::rename(std::uint64_t id, std::string from, std::string to) {
  if (!valid_name(to)) co_return room_error::invalid_name;
  const auto old_key = key(from);
  const auto new_key = key(to);
  const bool same_key = old_key == new_key;
  {
    std::lock_guard lock{mutex_};
    auto old = by_key_.find(old_key);
    if (old == by_key_.end() || old->second.id != id) co_return room_error::not_joined;
    if (!same_key) {
      entry held = old->second;
      held.name = to;
      held.renaming = true;
      if (!by_key_.emplace(new_key, std::move(held)).second) co_return room_error::name_taken;
    }
  }
  const auto release_new = [&] {
    std::lock_guard lock{mutex_};
    auto it = by_key_.find(new_key);
    if (it != by_key_.end() && it->second.id == id && it->second.renaming) by_key_.erase(it);
  };
  bool announced = false;  // by the cluster, to everyone here, in the stream's order
  if (cluster_ != nullptr && cluster_->whole()) {
    bool taken = false;
    try {
      taken = !co_await cluster_->rename(from, to, events::renamed(from, to).json);
      announced = !taken;
    } catch (const std::system_error&) {
      // Split under us: this instance alone decides.
    }
    if (taken) {
      if (!same_key) release_new();
      co_return room_error::name_taken;
    }
  }
  {
    std::lock_guard lock{mutex_};
    auto old = by_key_.find(old_key);
    if (old != by_key_.end() && old->second.id == id) {
      if (same_key) {
        old->second.name = to;
      } else {
        by_key_.erase(old);
      }
    }
    auto now = by_key_.find(new_key);
    if (now != by_key_.end() && now->second.id == id) now->second.renaming = false;
  }
  if (!announced) broadcast(events::renamed(from, to), nullptr);
  examples::log_event(examples::level::info, "rename", {{"from", from}, {"to", to}},
                      "rename: ", from, " -> ", to);
  co_return room_error::none;
}

asio::awaitable<room_error> room::whisper(const member* from, std::string from_name, std::string to,
                                          std::string text) {
  std::optional<entry> target;
  {
    std::lock_guard lock{mutex_};
    auto it = by_key_.find(key(to));
    if (it != by_key_.end()) target = it->second;
  }
  if (!target) {
    // Not here: perhaps on another instance.
    std::optional<located> where;
    if (cluster_ != nullptr && cluster_->whole()) {
      try {
        where = co_await cluster_->locate(to);
      } catch (const std::system_error&) {
        // Split: only this instance's members can be reached.
      }
    }
    if (!where || where->node == cluster_->node()) co_return room_error::no_such_user;
    cluster_->whisper(where->node, where->name,
                      events::whisper(from_name, where->name, text, false).json);
    const auto to_me = events::whisper(from_name, where->name, text, true);
    from->out().try_send(to_me.in(from->reads()));
    co_return room_error::none;
  }
  auto to_me = events::whisper(from_name, target->name, text, true);
  if (target->id != from->id()) {  // to oneself: one copy, the sender's
    auto to_them = events::whisper(from_name, target->name, text, false);
    send_or_drop(*target, to_them.in(target->reads));
  }
  from->out().try_send(to_me.in(from->reads()));
  co_return room_error::none;
}

void room::send_or_drop(const entry& target, const std::string& line) {
  if (target.out.try_send(line).full()) {
    examples::log_event(examples::level::warn, "slow_receiver",
                        {{"conn", target.id}, {"max_queued", options_.max_queued}},
                        "disconnecting slow receiver (connection ", target.id, "): outbox over ",
                        options_.max_queued, " bytes");
    ++slow_;
    target.out.close(coronet::errc::outbox_full);
  }
}

void room::say(const std::string& from, std::string_view text) {
  auto event = events::message(from, text);
  broadcast(event, nullptr);
  if (cluster_ != nullptr) cluster_->say(std::move(event.json));
}

void room::leave(member& m, const std::string& name) {
  bool was_here = false;
  {
    std::lock_guard lock{mutex_};
    auto it = by_key_.find(key(name));
    if (it != by_key_.end() && it->second.id == m.id()) {
      by_key_.erase(it);
      was_here = true;
    }
  }
  m.leave_channel();
  // Not registered here: evicted, its name won by a member of another instance, who is
  // still in. A "left" for the name would tell everyone the winner left.
  if (was_here) {
    auto event = events::left(name);
    // Shared: everyone here gets it back from the channel, in the stream's order (so a
    // member joining meanwhile learns of it exactly when its welcome still listed it).
    if (cluster_ != nullptr && cluster_->whole())
      cluster_->leave(name, std::move(event.json));
    else
      broadcast(event, nullptr);
  }
  examples::log_event(examples::level::info, "leave",
                      {{"conn", m.id()}, {"name", name}, {"evicted", !was_here}}, "leave: ", name,
                      " (connection ", m.id(), was_here ? ")" : ", evicted: not announced)");
}

asio::awaitable<std::vector<std::string>> room::everyone() const {
  if (cluster_ != nullptr && cluster_->whole()) {
    std::optional<std::vector<std::string>> all;
    try {
      all = co_await cluster_->users();
    } catch (const std::system_error&) {
      // Split: this instance's members are who can be reached.
    }
    if (all) co_return std::move(*all);
  }
  co_return users();
}

void room::deliver(const std::string& event_json) {
  broadcast(rendered{event_json, events::text_of(event_json, {})}, nullptr);
}

void room::deliver_whisper(const std::string& k, const std::string& event_json) {
  std::optional<entry> target;
  {
    std::lock_guard lock{mutex_};
    auto it = by_key_.find(k);
    if (it != by_key_.end()) target = it->second;
  }
  if (!target) return;  // gone meanwhile: nothing is written to a member who left
  send_or_drop(*target, target->reads == form::text ? events::text_of(event_json, {}) : event_json);
}

void room::notify(const rendered& event) {
  broadcast(event, nullptr);
}

std::vector<std::pair<std::string, std::string>> room::registered() const {
  std::lock_guard lock{mutex_};
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(by_key_.size());
  for (const auto& [k, e] : by_key_)
    out.emplace_back(k, e.name);
  return out;
}

std::optional<sender> room::evict(const std::string& k, const rendered& why) {
  std::optional<entry> gone;
  {
    std::lock_guard lock{mutex_};
    auto it = by_key_.find(k);
    if (it == by_key_.end()) return std::nullopt;
    gone = std::move(it->second);
    by_key_.erase(it);
  }
  gone->out.try_send(why.in(gone->reads));
  return gone->out;
}

void room::broadcast(const rendered& event, member* except) {
  if (except == nullptr) return delivery_.publish(event);
  delivery_.publish(event, &except->channel_in(delivery_), except->place());
}

}  // namespace chat
