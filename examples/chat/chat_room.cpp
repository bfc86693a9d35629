#include "chat_room.hpp"

#include "../common/log.hpp"

#include <asio/post.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace chat {
namespace {

using nlohmann::json;
// Events keep their fields in protocol order ("type" first) for people reading them.
using ordered = nlohmann::ordered_json;

std::string dump(const ordered& j) {
  return j.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += printable(n);
  }
  return out;
}

}  // namespace

namespace events {

// Every text form passes what it shows through printable(): the text of a JSON user
// may hold line breaks and terminal control sequences, and chat_client renders what a
// server sends, which it need not trust either.
rendered welcome(const std::string& name, const std::vector<std::string>& users) {
  return {dump({{"type", "welcome"}, {"name", name}, {"users", users}}),
          "* welcome, " + printable(name) + "! online: " + join_names(users)};
}
rendered joined(const std::string& name) {
  return {dump({{"type", "joined"}, {"name", name}}), "* " + printable(name) + " joined"};
}
rendered left(const std::string& name) {
  return {dump({{"type", "left"}, {"name", name}}), "* " + printable(name) + " left"};
}
rendered message(const std::string& from, std::string_view text) {
  return {dump({{"type", "message"}, {"from", from}, {"text", text}}),
          "<" + printable(from) + "> " + printable(text)};
}
rendered whisper(const std::string& from, const std::string& to, std::string_view text,
                 bool for_sender) {
  return {dump({{"type", "whisper"}, {"from", from}, {"to", to}, {"text", text}}),
          "*" + printable(from) + "* (whisper" +
              (for_sender ? " to " + printable(to) : std::string{}) + ") " + printable(text)};
}
rendered renamed(const std::string& from, const std::string& to) {
  return {dump({{"type", "renamed"}, {"from", from}, {"to", to}}),
          "* " + printable(from) + " is now known as " + printable(to)};
}
rendered users(const std::vector<std::string>& names) {
  return {dump({{"type", "users"}, {"users", names}}), "* online: " + join_names(names)};
}
rendered error(std::string_view code, std::string_view message) {
  return {dump({{"type", "error"}, {"code", code}, {"message", message}}),
          "! " + printable(code) + ": " + printable(message)};
}

std::string text_of(const std::string& json_event, const std::string& me) {
  const json e = json::parse(json_event, nullptr, false);
  if (!e.is_object() || !e.contains("type") || !e["type"].is_string()) return printable(json_event);
  auto str = [&e](const char* k) {
    return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string{};
  };
  auto list = [&e](const char* k) {
    std::vector<std::string> out;
    if (e.contains(k) && e[k].is_array())
      for (const auto& v : e[k])
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
  };
  const auto type = e["type"].get<std::string>();
  if (type == "welcome") return welcome(str("name"), list("users")).text;
  if (type == "joined") return joined(str("name")).text;
  if (type == "left") return left(str("name")).text;
  if (type == "message") return message(str("from"), str("text")).text;
  if (type == "whisper")
    return whisper(str("from"), str("to"), str("text"), str("from") == me).text;
  if (type == "renamed") return renamed(str("from"), str("to")).text;
  if (type == "users") return users(list("users")).text;
  if (type == "error") return error(str("code"), str("message")).text;
  return printable(json_event);
}

}  // namespace events

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || c == '\r') {
      out += ' ';  // one event, one line
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      out += '^';  // caret notation, as `cat -v` shows them: ESC is ^[, NUL is ^@
      out += static_cast<char>(c ^ 0x40);
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      out += '?';  // a C1 control (U+0080 to U+009F, CSI among them) in UTF-8
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

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

bool valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
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
    names.push_back(e.name);
  // Sorted case-insensitively, which is the order of the keys.
  return names;
}

std::vector<std::string> room::users() const {
  std::lock_guard lock{mutex_};
  return users_locked();
}

room_error room::join(member& m, coronet::framed<coronet::line_codec>& frames,
                      const std::string& name, std::vector<std::string>* users) {
  if (!valid_name(name)) return room_error::invalid_name;
  {
    std::lock_guard lock{mutex_};
    auto [it, inserted] = by_key_.try_emplace(key(name), entry{m.id, name, m.mode, m.out});
    if (!inserted) return room_error::name_taken;
    *users = users_locked();
  }
  m.place = (m.mode == mode::json ? json_ : text_).join(frames);
  broadcast(events::joined(name), &m);
  examples::log_event(examples::level::info, "join", {{"conn", m.id}, {"name", name}},
                      "join: ", name, " (connection ", m.id, ")");
  return room_error::none;
}

room_error room::rename(std::uint64_t id, const std::string& from, const std::string& to) {
  if (!valid_name(to)) return room_error::invalid_name;
  {
    std::lock_guard lock{mutex_};
    auto old = by_key_.find(key(from));
    if (old == by_key_.end() || old->second.id != id) return room_error::not_joined;
    if (key(from) != key(to) && by_key_.count(key(to)) != 0) return room_error::name_taken;
    entry e = old->second;
    e.name = to;
    by_key_.erase(old);
    by_key_.emplace(key(to), std::move(e));
  }
  broadcast(events::renamed(from, to), nullptr);
  examples::log_event(examples::level::info, "rename", {{"from", from}, {"to", to}},
                      "rename: ", from, " -> ", to);
  return room_error::none;
}

room_error room::whisper(const member& from, const std::string& from_name, const std::string& to,
                         std::string_view text) {
  entry target;
  {
    std::lock_guard lock{mutex_};
    auto it = by_key_.find(key(to));
    if (it == by_key_.end()) return room_error::no_such_user;
    target = it->second;
  }
  auto to_me = events::whisper(from_name, target.name, text, true);
  if (target.id != from.id) {  // to oneself: one copy, the sender's
    auto to_them = events::whisper(from_name, target.name, text, false);
    if (target.out.try_send(std::string_view{to_them.for_mode(target.mode)}).full()) {
      examples::log_event(examples::level::warn, "slow_receiver",
                          {{"conn", target.id}, {"max_queued", options_.max_queued}},
                          "disconnecting slow receiver (connection ", target.id, "): outbox over ",
                          options_.max_queued, " bytes");
      ++slow_;
      target.out.close(coronet::errc::outbox_full);
    }
  }
  from.out.try_send(std::string_view{to_me.for_mode(from.mode)});
  return room_error::none;
}

void room::say(const std::string& from, std::string_view text) {
  broadcast(events::message(from, text), nullptr);
}

void room::leave(member& m, const std::string& name) {
  {
    std::lock_guard lock{mutex_};
    auto it = by_key_.find(key(name));
    if (it != by_key_.end() && it->second.id == m.id) by_key_.erase(it);
  }
  m.place.leave();
  broadcast(events::left(name), nullptr);
  examples::log_event(examples::level::info, "leave", {{"conn", m.id}, {"name", name}},
                      "leave: ", name, " (connection ", m.id, ")");
}

void room::broadcast(const rendered& event, const member* except) {
  const auto skip = [except](mode m) {
    return except != nullptr && except->mode == m ? except->place.id() : 0;
  };
  json_.publish(event.json, coronet::overflow::close(), skip(mode::json));
  text_.publish(event.text, coronet::overflow::close(), skip(mode::text));
}

}  // namespace chat
