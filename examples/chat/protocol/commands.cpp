// The protocol's commands (commands.hpp): JSON objects or text lines in, room
// operations and replies out.
#include "protocol/commands.hpp"

#include <coronet/json/json_channel.hpp>

#include <nlohmann/json.hpp>

#include <utility>

namespace chat::detail {
namespace {

using nlohmann::json;

std::optional<std::string> string_field(const json& msg, const char* key) {
  auto it = msg.find(key);
  if (it == msg.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::pair<std::string_view, std::string_view> split(std::string_view s) {
  auto space = s.find(' ');
  if (space == std::string_view::npos) return {s, {}};
  auto rest = s.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  return {s.substr(0, space), rest};
}

}  // namespace

std::optional<command> session_state::handle_json(std::string_view line) {
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

std::optional<command> session_state::handle_text(std::string_view line) {
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

asio::awaitable<void> session_state::run(command c) {
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

asio::awaitable<void> session_state::join(std::string name) {
  if (joined()) co_return fail("already_joined", "already joined as " + name_);
  if (const auto wait = admit_join(); wait > wait.zero()) {
    const auto s = std::chrono::ceil<std::chrono::seconds>(wait).count();
    co_return fail("rate_limited",
                   "too many joins from here; try again in " + std::to_string(s) + " s");
  }
  const auto error = co_await room_->join(self_, name);
  if (error == room_error::invalid_name)
    co_return fail(code(error), "names are 1 to 32 letters, digits, '_' or '-'");
  if (error == room_error::name_taken)
    co_return fail(code(error), "the name " + name + " is taken");
  name_ = name;  // and the room sent the welcome
}

void session_state::say(const std::string& text) {
  if (text.size() > room_->settings().max_text) return fail("too_large", "text over the limit");
  room_->say(name_, text);
}

asio::awaitable<void> session_state::whisper(std::string to, std::string text) {
  if (text.size() > room_->settings().max_text) co_return fail("too_large", "text over the limit");
  const auto error = co_await room_->whisper(self_, name_, to, std::move(text));
  if (error == room_error::no_such_user)
    fail(code(room_error::no_such_user), "nobody here is called " + to);
}

asio::awaitable<void> session_state::nick(std::string to) {
  const auto error = co_await room_->rename(self_->id(), name_, to);
  if (error == room_error::invalid_name)
    co_return fail(code(error), "names are 1 to 32 letters, digits, '_' or '-'");
  if (error == room_error::name_taken) co_return fail(code(error), "the name " + to + " is taken");
  if (error == room_error::none) name_ = to;
}

void session_state::leave() {
  if (joined()) room_->leave(*self_, name_);
  name_.clear();
  done_ = true;
}

std::chrono::steady_clock::duration session_state::admit_join() {
  const auto now = std::chrono::steady_clock::now();
  if (const auto wait = joins_.take(now); wait > wait.zero()) return wait;
  return room_->admit_join(peer_);
}

}  // namespace chat::detail
