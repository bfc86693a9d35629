// One chat connection over TCP: reads lines, speaks JSON or text (the first line
// decides); the commands are protocol/commands.hpp's, the rest session.cpp's.
#include "transports/line_session.hpp"

#include "room/member.hpp"
#include "transports/session.hpp"

#include <coronet/core/timeout.hpp>
#include <coronet/framing/framed.hpp>
#include <coronet/framing/line_codec.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace chat {
namespace {

using line_frames = coronet::framed<coronet::line_codec>;

bool looks_like_json_object(std::string_view line) {
  auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '{') return false;
  return nlohmann::json::accept(line);
}

class line_transport final : public transport {
 public:
  line_transport(coronet::connection conn, std::uint64_t id, const options& o)
      : options_(o),
        frames_{
            std::move(conn),
            // A last line cut off by EOF (nc, then Ctrl-D) still counts: people type that.
            coronet::line_codec{{.max_length = o.max_line, .final_line_without_delimiter = true}},
            {.high_water_mark = o.max_queued}},
        self_{frames_, id, std::nullopt} {}

  member& self() noexcept override { return self_; }

  asio::awaitable<std::optional<std::string_view>> next(detail::session_state&) override {
    auto line = co_await frames_.read();
    if (line && !self_.form_known())
      self_.set_form(looks_like_json_object(*line) ? form::json : form::text);
    co_return line;
  }

  asio::awaitable<void> drain() override { co_await frames_.flush(); }

  std::optional<std::string> reason_for(const std::system_error& e,
                                        detail::session_state& s) override {
    if (e.code() != coronet::errc::frame_too_large) return std::nullopt;
    s.fail("too_large", "line over the limit; closing the connection");
    return "line over " + std::to_string(options_.max_line) + " bytes";
  }

  std::optional<std::string> closed_reason() const override { return std::nullopt; }

  // Say goodbye (an error, say) but never wait long for a peer that does not read.
  asio::awaitable<void> goodbye(bool) override {
    try {
      co_await coronet::with_timeout(frames_.flush(), std::chrono::seconds(1));
    } catch (const std::exception&) {
    }
  }

 private:
  const options& options_;
  line_frames frames_;
  member_of<coronet::line_codec> self_;
};

}  // namespace

asio::awaitable<void> session(coronet::connection conn, room* r) {
  const session_info who{conn.id(), conn.remote_endpoint()};
  line_transport t{std::move(conn), who.id, r->settings()};
  co_await run_session(t, r, who);
}

}  // namespace chat
