// One chat connection: reads lines, speaks JSON or text (the first line decides), and
// turns each command into room operations and replies.
#include "../common/log.hpp"
#include "chat_commands.hpp"
#include "chat_room.hpp"

#include <coronet/core/timeout.hpp>

#include <nlohmann/json.hpp>

namespace chat {
namespace {

using detail::session_state;

bool looks_like_json_object(std::string_view line) {
  auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '{') return false;
  return nlohmann::json::accept(line);
}

}  // namespace

asio::awaitable<void> session(coronet::connection conn, room* r) {
  const auto id = conn.id();
  const auto peer = conn.remote_endpoint();
  line_frames frames{std::move(conn),
                     // A last line cut off by EOF (nc, then Ctrl-D) still counts: people type that.
                     coronet::line_codec{{.max_length = r->settings().max_line,
                                          .final_line_without_delimiter = true}},
                     {.high_water_mark = r->settings().max_queued}};
  session_state s{r, &frames, id};
  std::string reason = "disconnected";
  try {
    while (!s.done()) {
      auto line = co_await frames.read();
      if (!line) break;
      if (!s.mode_known()) s.set_mode(looks_like_json_object(*line) ? mode::json : mode::text);
      auto next = s.mode() == mode::json ? s.handle_json(*line) : s.handle_text(*line);
      if (next) co_await s.run(std::move(*next));
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
