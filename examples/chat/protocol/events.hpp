// The chat protocol's events and replies as clients read them, in two forms: JSON (one
// object per line, or per WebSocket text message) and text (one line for a person with
// nc). docs/chat.md lists them. The room renders each event once in both forms and each
// member gets the form it reads; chat_client turns the JSON form back into text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chat {

// How a member reads events: JSON objects (chat_client, browsers) or text lines (nc).
enum class form { json, text };

// One event as each kind of client sees it.
struct rendered {
  std::string json;
  std::string text;
  const std::string& in(form f) const { return f == form::text ? text : json; }
};

// Builders for every event and reply of the protocol (JSON and text forms).
namespace events {
rendered welcome(const std::string& name, const std::vector<std::string>& users);
rendered joined(const std::string& name);
rendered left(const std::string& name);
rendered message(const std::string& from, std::string_view text);
rendered whisper(const std::string& from, const std::string& to, std::string_view text,
                 bool for_sender);
rendered renamed(const std::string& from, const std::string& to);
rendered users(const std::vector<std::string>& names);
rendered error(std::string_view code, std::string_view message);
// About the room itself: "split" (other servers out of reach) and "rejoined".
rendered system(std::string_view event, std::string_view message);

// The text form of a JSON event received from the server (what chat_client prints).
// `me` picks the sender's form of a whisper. Unknown events print as their JSON.
std::string text_of(const std::string& json_event, const std::string& me);
}  // namespace events

// Names: 1 to 32 letters, digits, '_' or '-'.
bool valid_name(std::string_view name) noexcept;

// `s` made safe to show on a terminal: line breaks become spaces, other control
// characters caret notation (ESC is "^["), C1 controls '?'. Text-mode lines and
// chat_client's output go through it, so no peer can send escape sequences to a screen.
std::string printable(std::string_view s);

}  // namespace chat
