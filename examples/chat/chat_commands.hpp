// The chat protocol's commands, shared by both transports: a TCP session
// (chat_session.cpp: JSON or text lines) and a web session (web_session.cpp: JSON in
// WebSocket text messages). A session feeds it what it reads (handle_json() or
// handle_text()) and awaits the commands that may ask the cluster (run()).
#pragma once

#include "chat_room.hpp"

#include <coronet/json/json_channel.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace chat::detail {

using nlohmann::json;

// A command that may have to ask the cluster, so the session awaits it.
struct command {
  enum kind { join, who, whisper, nick } what;
  std::string name;  // join, nick: the name; whisper: to whom
  std::string text;  // whisper
};

class session_state {
 public:
  // A line session (TCP: the first line picks JSON or text) or a web session (frames
  // of WebSocket messages: JSON).
  session_state(room* r, line_frames* f, std::uint64_t id)
      : room_(r),
        frames_(f),
        self_{id, mode::json, f->get_outbox(), {}},
        peer_(f->stream().remote_endpoint().address()) {}
  session_state(room* r, web_frames* f, std::uint64_t id)
      : room_(r),
        frames_(f),
        self_{id, mode::web, f->get_outbox(), {}},
        peer_(f->stream().remote_endpoint().address()),
        mode_known_(true) {}

  bool joined() const noexcept { return !name_.empty(); }
  const std::string& name() const noexcept { return name_; }
  chat::mode mode() const noexcept { return self_.mode; }
  bool mode_known() const noexcept { return mode_known_; }
  void set_mode(chat::mode m) noexcept {
    self_.mode = m;
    mode_known_ = true;
  }
  bool done() const noexcept { return done_; }

  // Sends a reply to this member; a member too slow to take its own replies is dropped.
  // Before the first line has chosen a mode, replies take the text form: the only such
  // reply is the error for an over-long first line, and a human with nc is the likelier
  // sender of one than a JSON client, whose first line is a short join.
  void reply(const rendered& r) {
    const auto m = mode_known_ ? self_.mode : mode::text;
    send_here(frames_, r.for_mode(m));
  }
  void fail(std::string_view code, std::string_view message) {
    reply(events::error(code, message));
  }
  std::optional<command> failed(std::string_view code, std::string_view message) {
    fail(code, message);
    return std::nullopt;
  }

  // ---- JSON mode ----------------------------------------------------------------

  // Says are handled here and now; the commands that may ask the cluster (join, who,
  // whisper, nick) are returned for handle() to await.
  std::optional<command> handle_json(std::string_view line) {
    json msg;
    try {
      msg = coronet::parse_message(line, 16);
    } catch (const coronet::message_error& e) {
      return failed("bad_message", e.what());
    }
    if (!msg.is_object()) return failed("bad_message", "expected a JSON object");
    auto type = msg.find("type");
    if (type == msg.end() || !type->is_string()) return failed("bad_message", "missing \"type\"");
    const auto& t = type->get_ref<const std::string&>();

    if (t == "join") {
      auto n = string_field(msg, "name");
      if (!n) return failed("bad_message", "join needs a string \"name\"");
      return command{command::join, std::move(*n), {}};
    }
    if (t != "say" && t != "whisper" && t != "who" && t != "nick" && t != "leave")
      return failed("unknown_type", "unknown message type \"" + t + "\"");
    if (!joined()) return failed("not_joined", "join first");

    if (t == "say") {
      auto text = string_field(msg, "text");
      if (!text) return failed("bad_message", "say needs a string \"text\"");
      say(*text);
      return std::nullopt;
    }
    if (t == "whisper") {
      auto to = string_field(msg, "to");
      auto text = string_field(msg, "text");
      if (!to || !text) return failed("bad_message", "whisper needs strings \"to\" and \"text\"");
      return command{command::whisper, std::move(*to), std::move(*text)};
    }
    if (t == "who") return command{command::who, {}, {}};
    if (t == "nick") {
      auto n = string_field(msg, "name");
      if (!n) return failed("bad_message", "nick needs a string \"name\"");
      return command{command::nick, std::move(*n), {}};
    }
    leave();
    return std::nullopt;
  }

  // ---- text mode ----------------------------------------------------------------

  std::optional<command> handle_text(std::string_view line) {
    if (!joined()) return command{command::join, std::string{line}, {}};
    if (line.empty()) return std::nullopt;
    if (line.front() != '/') {
      say(std::string{line});
      return std::nullopt;
    }
    auto [cmd, rest] = split(line.substr(1));
    if (cmd == "who") return command{command::who, {}, {}};
    if (cmd == "quit") {
      leave();
      return std::nullopt;
    }
    if (cmd == "nick") return command{command::nick, std::string{rest}, {}};
    if (cmd == "msg") {
      auto [to, text] = split(rest);
      if (to.empty() || text.empty()) return failed("bad_message", "usage: /msg NAME TEXT");
      return command{command::whisper, std::string{to}, std::string{text}};
    }
    return failed("unknown_type",
                  "unknown command /" + std::string{cmd} + " (try /who, /msg, /nick, /quit)");
  }

  asio::awaitable<void> run(command c) {
    switch (c.what) {
      case command::join:
        co_await join(std::move(c.name));
        break;
      case command::who: {
        const auto everyone = co_await room_->everyone();
        reply(events::users(everyone));
        break;
      }
      case command::whisper:
        co_await whisper(std::move(c.name), std::move(c.text));
        break;
      case command::nick:
        co_await nick(std::move(c.name));
        break;
    }
  }

  // ---- shared -------------------------------------------------------------------

  asio::awaitable<void> join(std::string name) {
    if (joined()) co_return fail("already_joined", "already joined as " + name_);
    if (const auto wait = admit_join(); wait > wait.zero()) {
      const auto s = std::chrono::ceil<std::chrono::seconds>(wait).count();
      co_return fail("rate_limited",
                     "too many joins from here; try again in " + std::to_string(s) + " s");
    }
    const auto error = co_await room_->join(&self_, frames_, name);
    if (error == room_error::invalid_name)
      co_return fail(code(error), "names are 1 to 32 letters, digits, '_' or '-'");
    if (error == room_error::name_taken)
      co_return fail(code(error), "the name " + name + " is taken");
    name_ = name;  // and the room sent the welcome
  }

  void say(const std::string& text) {
    if (text.size() > room_->settings().max_text) return fail("too_large", "text over the limit");
    room_->say(name_, text);
  }

  asio::awaitable<void> whisper(std::string to, std::string text) {
    if (text.size() > room_->settings().max_text)
      co_return fail("too_large", "text over the limit");
    const auto error = co_await room_->whisper(&self_, name_, to, std::move(text));
    if (error == room_error::no_such_user)
      fail(code(room_error::no_such_user), "nobody here is called " + to);
  }

  asio::awaitable<void> nick(std::string to) {
    const auto error = co_await room_->rename(self_.id, name_, to);
    if (error == room_error::invalid_name)
      co_return fail(code(error), "names are 1 to 32 letters, digits, '_' or '-'");
    if (error == room_error::name_taken)
      co_return fail(code(error), "the name " + to + " is taken");
    if (error == room_error::none) name_ = to;
  }

  void leave() {
    if (joined()) room_->leave(self_, name_);
    name_.clear();
    done_ = true;
  }

 private:
  // Every attempt counts, refused ones too (each asks the registry, and with --redis
  // Redis): first against this connection's bucket, then against its address's.
  std::chrono::steady_clock::duration admit_join() {
    const auto now = std::chrono::steady_clock::now();
    if (const auto wait = joins_.take(now); wait > wait.zero()) return wait;
    return room_->admit_join(peer_);
  }

  static std::optional<std::string> string_field(const json& msg, const char* key) {
    auto it = msg.find(key);
    if (it == msg.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  }

  static std::pair<std::string_view, std::string_view> split(std::string_view s) {
    auto space = s.find(' ');
    if (space == std::string_view::npos) return {s, {}};
    auto rest = s.substr(space + 1);
    while (!rest.empty() && rest.front() == ' ')
      rest.remove_prefix(1);
    return {s.substr(0, space), rest};
  }

  room* room_;
  frames_ref frames_;
  room::member self_;
  asio::ip::address peer_;  // the client's (behind a proxy: from its PROXY header)
  token_bucket joins_{room_->settings().joins.per_connection,  // 0: never empty
                      room_->settings().joins.period};
  std::string name_;
  bool mode_known_ = false;
  bool done_ = false;
};

}  // namespace chat::detail
