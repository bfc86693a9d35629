// The chat protocol's commands, the same whatever the transport (transports/): a session
// feeds each command's text to handle() (JSON, or a text line for a member who reads
// text) and awaits the commands that may ask the cluster (run()).
#pragma once

#include "room/join_limits.hpp"
#include "room/member.hpp"
#include "room/room.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat::detail {

// A command that may have to ask the cluster, so the session awaits it.
struct command {
  enum kind { join, who, whisper, nick } what;
  std::string name;  // join, nick: the name; whisper: to whom
  std::string text;  // whisper
};

// One member's side of the protocol: its name, and its commands turned into room
// operations and replies.
class session_state {
 public:
  // `self` must outlive this; `peer` is the client's address (behind a proxy: from its
  // PROXY header), for the joins allowed per address.
  session_state(room* r, member* self, asio::ip::address peer)
      : room_(r),
        self_(self),
        peer_(peer),
        joins_{r->settings().joins.per_connection,  // 0: never empty
               r->settings().joins.period} {}

  bool joined() const noexcept { return !name_.empty(); }
  const std::string& name() const noexcept { return name_; }
  bool done() const noexcept { return done_; }

  // Sends a reply to this member, in the form it reads; a member too slow to take its
  // own replies is dropped.
  void reply(const rendered& r) { self_->send_here(r.in(self_->reads())); }
  void fail(std::string_view code, std::string_view message) {
    reply(events::error(code, message));
  }

  // Handles one command's text in the form the member speaks. Says and leave are done
  // here and now; the commands that may ask the cluster (join, who, whisper, nick) are
  // returned for run() to await.
  std::optional<command> handle(std::string_view text) {
    return self_->reads() == form::json ? handle_json(text) : handle_text(text);
  }
  std::optional<command> handle_json(std::string_view line);
  std::optional<command> handle_text(std::string_view line);

  asio::awaitable<void> run(command c);

  asio::awaitable<void> join(std::string name);
  void say(const std::string& text);
  asio::awaitable<void> whisper(std::string to, std::string text);
  asio::awaitable<void> nick(std::string to);
  void leave();

 private:
  std::optional<command> failed(std::string_view code, std::string_view message) {
    fail(code, message);
    return std::nullopt;
  }
  // Every attempt counts, refused ones too (each asks the registry, and with --redis
  // Redis): first against this connection's bucket, then against its address's.
  std::chrono::steady_clock::duration admit_join();

  room* room_;
  member* self_;
  asio::ip::address peer_;
  token_bucket joins_;
  std::string name_;
  bool done_ = false;
};

}  // namespace chat::detail
