// Every member's name across the cluster, as one instance learns it from the event
// stream: the list a joiner here is welcomed with, and `who`. Owned by chat::cluster and
// touched on its thread only.
//
// Why: a join used to make Redis read and sort the whole registry and publish it, with
// the joined event, to every instance: O(n log n) in Redis and O(n) bytes to each
// instance per join, for a joiner on one of them. With the mirror a join costs Redis
// O(1) and the wire one short event; the O(n) welcome is built by the joiner's own
// instance from memory.
//
// How it stays right: every change of the registry publishes its event in the same Lua
// step (joined, left, renamed), so applying the stream's membership events to a copy of
// the registry keeps the copy equal to the registry as of the point of the stream
// reached. The copy starts from a snapshot taken when the link (re)connects, and the
// snapshot and the stream must be cut at the same point: the script that reads the
// registry also publishes a marker to this instance's own channel, which arrives on the
// same subscriber connection as the events. Events before the marker are in the
// snapshot; events after it are not. The marker (on the subscriber) and the snapshot (a
// command reply) travel on two connections; whichever comes second completes the sync,
// and stream messages that arrive after the marker but before the snapshot are held,
// then delivered in order once it is in.
#pragma once

#include "cluster/messages.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat {

class member_mirror {
 public:
  struct message {
    std::string channel;
    std::string payload;
  };

  // One event of the stream (its JSON): a membership change updates the mirror, any
  // other event is ignored (the check is a prefix compare: says cost next to nothing).
  void apply(std::string_view json) {
    if (!json.starts_with(R"({"type":"joined")") && !json.starts_with(R"({"type":"left")") &&
        !json.starts_with(R"({"type":"renamed")"))
      return;
    const auto e = nlohmann::json::parse(json, nullptr, false);
    auto str = [&e](const char* k) {
      const auto it = e.find(k);
      return it != e.end() && it->is_string() ? it->get<std::string>() : std::string{};
    };
    if (e.is_discarded() || !e.is_object()) return;
    const auto type = str("type");
    if (type == "joined") {
      add(str("name"));
    } else if (type == "left") {
      names_.erase(messages::lower(str("name")));
    } else if (type == "renamed") {
      names_.erase(messages::lower(str("from")));  // first: a change of case keeps the key
      add(str("to"));
    }
  }

  // Every name, sorted case-insensitively (the order of the keys).
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(names_.size());
    for (const auto& [key, name] : names_)
      out.push_back(name);
    return out;
  }
  std::size_t size() const noexcept { return names_.size(); }

  // A snapshot is in and no sync is under way: names() is the registry as of the
  // stream's point. Until then, ask Redis.
  bool current() const noexcept { return installed_ && !sync_; }

  // ---- syncing with the registry ---------------------------------------------------
  // Starts a sync; the caller runs the snapshot script with the returned token. A sync
  // not finished is abandoned first: deliver what abandon() returns before this.
  std::uint64_t begin_sync() {
    sync_ = sync{};  // not emplace(): clang 14 cannot see sync as default-constructible here
    sync_->token = ++last_token_;
    return sync_->token;
  }
  // While true, the caller hands every stream message to hold() instead of handling it.
  bool holding() const noexcept { return sync_ && sync_->marker_seen && !sync_->snapshot; }
  void hold(message m) { sync_->held.push_back(std::move(m)); }

  // The marker of sync `token` came on the stream.
  void marker(std::uint64_t token) {
    if (!sync_ || sync_->token != token) return;  // an abandoned sync's
    sync_->marker_seen = true;
    if (sync_->snapshot) install();
  }
  // The snapshot of sync `token` came back (the registry's names). Returns the held
  // messages, for the caller to handle now, in order.
  std::vector<message> snapshot(std::uint64_t token, std::vector<std::string> names) {
    if (!sync_ || sync_->token != token) return {};
    sync_->snapshot = std::move(names);
    if (!sync_->marker_seen) return {};
    return install();
  }
  // The link broke: the sync will not finish. Returns the held messages (they did
  // arrive: the caller delivers them).
  std::vector<message> abandon() {
    if (!sync_) return {};
    auto held = std::move(sync_->held);
    sync_.reset();
    return held;
  }

 private:
  struct sync {
    std::uint64_t token = 0;
    bool marker_seen = false;
    std::optional<std::vector<std::string>> snapshot;
    std::vector<message> held;
  };

  void add(std::string name) {
    if (name.empty()) return;
    auto key = messages::lower(name);
    names_.insert_or_assign(std::move(key), std::move(name));
  }

  std::vector<message> install() {
    names_.clear();
    for (auto& n : *sync_->snapshot)
      add(std::move(n));
    installed_ = true;
    return abandon();
  }

  std::map<std::string, std::string> names_;  // lower-cased name -> name
  std::optional<sync> sync_;
  std::uint64_t last_token_ = 0;
  bool installed_ = false;
};

}  // namespace chat
