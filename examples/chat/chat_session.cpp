// One chat connection: reads lines, speaks JSON or text (the first line decides), and
// turns each command into room operations and replies.
#include "chat_room.hpp"

#include "../common/log.hpp"

#include <coronet/json_channel.hpp>
#include <coronet/timeout.hpp>

#include <nlohmann/json.hpp>

namespace chat {
namespace {

using nlohmann::json;

class session_state {
 public:
  session_state(room* r, coronet::framed<coronet::line_codec>* f, std::uint64_t id)
      : room_(r), frames_(f), self_{id, mode::json, f->get_outbox(), {}} {}

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
    if (!frames_->try_send(std::string_view{r.for_mode(m)})) frames_->close();
  }
  void fail(std::string_view code, std::string_view message) {
    reply(events::error(code, message));
  }

  // ---- JSON mode ----------------------------------------------------------------

  void handle_json(std::string_view line) {
    json msg;
    try {
      msg = coronet::parse_message(line, 16);
    } catch (const coronet::message_error& e) {
      return fail("bad_message", e.what());
    }
    if (!msg.is_object()) return fail("bad_message", "expected a JSON object");
    auto type = msg.find("type");
    if (type == msg.end() || !type->is_string()) return fail("bad_message", "missing \"type\"");
    const auto& t = type->get_ref<const std::string&>();

    if (t == "join") {
      auto n = string_field(msg, "name");
      if (!n) return fail("bad_message", "join needs a string \"name\"");
      return join(*n);
    }
    if (t != "say" && t != "whisper" && t != "who" && t != "nick" && t != "leave")
      return fail("unknown_type", "unknown message type \"" + t + "\"");
    if (!joined()) return fail("not_joined", "join first");

    if (t == "say") {
      auto text = string_field(msg, "text");
      if (!text) return fail("bad_message", "say needs a string \"text\"");
      return say(*text);
    }
    if (t == "whisper") {
      auto to = string_field(msg, "to");
      auto text = string_field(msg, "text");
      if (!to || !text) return fail("bad_message", "whisper needs strings \"to\" and \"text\"");
      return whisper(*to, *text);
    }
    if (t == "who") return reply(events::users(room_->users()));
    if (t == "nick") {
      auto n = string_field(msg, "name");
      if (!n) return fail("bad_message", "nick needs a string \"name\"");
      return nick(*n);
    }
    leave();
  }

  // ---- text mode ----------------------------------------------------------------

  void handle_text(std::string_view line) {
    if (!joined()) return join(std::string{line});
    if (line.empty()) return;
    if (line.front() != '/') return say(std::string{line});
    auto [cmd, rest] = split(line.substr(1));
    if (cmd == "who") return reply(events::users(room_->users()));
    if (cmd == "quit") return leave();
    if (cmd == "nick") return nick(std::string{rest});
    if (cmd == "msg") {
      auto [to, text] = split(rest);
      if (to.empty() || text.empty()) return fail("bad_message", "usage: /msg NAME TEXT");
      return whisper(std::string{to}, std::string{text});
    }
    fail("unknown_type",
         "unknown command /" + std::string{cmd} + " (try /who, /msg, /nick, /quit)");
  }

  // ---- shared -------------------------------------------------------------------

  void join(const std::string& name) {
    if (joined()) return fail("already_joined", "already joined as " + name_);
    std::vector<std::string> users;
    const auto error = room_->join(self_, *frames_, name, &users);
    if (error == room_error::invalid_name)
      return fail(code(error), "names are 1 to 32 letters, digits, '_' or '-'");
    if (error == room_error::name_taken) return fail(code(error), "the name " + name + " is taken");
    name_ = name;
    reply(events::welcome(name_, users));
  }

  void say(const std::string& text) {
    if (text.size() > room_->settings().max_text) return fail("too_large", "text over the limit");
    room_->say(name_, text);
  }

  void whisper(const std::string& to, const std::string& text) {
    if (text.size() > room_->settings().max_text) return fail("too_large", "text over the limit");
    if (room_->whisper(self_, name_, to, text) == room_error::no_such_user)
      fail(code(room_error::no_such_user), "nobody here is called " + to);
  }

  void nick(const std::string& to) {
    const auto error = room_->rename(self_.id, name_, to);
    if (error == room_error::invalid_name)
      return fail(code(error), "names are 1 to 32 letters, digits, '_' or '-'");
    if (error == room_error::name_taken) return fail(code(error), "the name " + to + " is taken");
    if (error == room_error::none) name_ = to;
  }

  void leave() {
    if (joined()) room_->leave(self_, name_);
    name_.clear();
    done_ = true;
  }

 private:
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
  coronet::framed<coronet::line_codec>* frames_;
  room::member self_;
  std::string name_;
  bool mode_known_ = false;
  bool done_ = false;
};

bool looks_like_json_object(std::string_view line) {
  auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '{') return false;
  return nlohmann::json::accept(line);
}

}  // namespace

asio::awaitable<void> session(coronet::connection conn, room* r) {
  const auto id = conn.id();
  const auto peer = conn.remote_endpoint();
  coronet::framed<coronet::line_codec> frames{
      std::move(conn),
      // A last line cut off by EOF (nc, then Ctrl-D) still counts: people type that.
      coronet::line_codec{
          {.max_length = r->settings().max_line, .final_line_without_delimiter = true}},
      {.high_water_mark = r->settings().max_queued}};
  session_state s{r, &frames, id};
  std::string reason = "disconnected";
  try {
    while (!s.done()) {
      auto line = co_await frames.read();
      if (!line) break;
      if (!s.mode_known()) s.set_mode(looks_like_json_object(*line) ? mode::json : mode::text);
      if (s.mode() == mode::json)
        s.handle_json(*line);
      else
        s.handle_text(*line);
    }
    if (s.done()) reason = "left";
    co_await frames.flush();
  } catch (const std::system_error& e) {
    if (e.code() == coronet::errc::frame_too_large) {
      reason = "line over " + std::to_string(r->settings().max_line) + " bytes";
      s.fail("too_large", "line over the limit; closing the connection");
    } else if (e.code() == coronet::errc::outbox_full) {
      reason = "too slow: more than " + std::to_string(r->settings().max_queued) +
               " bytes waiting for it";
    } else {
      reason = e.what();
    }
  }
  if (s.joined()) s.leave();
  // Say goodbye (an error, say) but never wait long for a peer that does not read.
  try {
    co_await coronet::with_timeout(frames.flush(), std::chrono::seconds(1));
  } catch (const std::exception&) {
  }
  examples::log_event(examples::level::info, "session_end",
                      {{"conn", id}, {"peer", peer}, {"reason", reason}}, "connection ", id, " (",
                      peer, ") closed: ", reason);
}

}  // namespace chat
