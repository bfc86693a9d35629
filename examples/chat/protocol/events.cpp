// The protocol's events in both forms (events.hpp). Every text form passes what it
// shows through printable(): the text of a JSON user may hold line breaks and terminal
// control sequences, and chat_client renders what a server sends, which it need not
// trust either.
#include "protocol/events.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

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
rendered system(std::string_view event, std::string_view message) {
  return {dump({{"type", "system"}, {"event", event}, {"message", message}}),
          "* " + printable(message)};
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
  if (type == "system") return system(str("event"), str("message")).text;
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

bool valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

}  // namespace chat
