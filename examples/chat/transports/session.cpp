// The one session loop, and the one end of a session, for every transport (session.hpp).
#include "transports/session.hpp"

#include "../../common/log.hpp"

#include <coronet/core/errc.hpp>

#include <utility>
#include <vector>

namespace chat {
namespace {

// The reasons every transport shares; `t` first says if it knows better.
std::string reason_for(transport& t, const std::system_error& e, detail::session_state& s,
                       const room& r) {
  if (auto why = t.reason_for(e, s)) return std::move(*why);
  if (e.code() == coronet::errc::outbox_full)
    return "too slow: more than " + std::to_string(r.settings().max_queued) +
           " bytes waiting for it";
  return e.what();
}

void log_end(const session_info& who, const std::string& reason) {
  std::vector<examples::log_field> fields{{"conn", who.id}, {"peer", who.peer}, {"reason", reason}};
  if (who.web) fields.emplace_back("web", true);
  examples::log_event(examples::level::info, "session_end", fields, who.web ? "web " : "",
                      "connection ", who.id, " (", who.peer, ") closed: ", reason);
}

}  // namespace

asio::awaitable<void> run_session(transport& t, room* r, session_info who) {
  detail::session_state s{r, &t.self(), who.peer.address()};
  std::string reason = "disconnected";
  try {
    while (!s.done()) {
      auto text = co_await t.next(s);
      if (!text) break;
      auto next = s.handle(*text);
      if (next) co_await s.run(std::move(*next));
    }
    co_await t.drain();
  } catch (const std::system_error& e) {
    reason = reason_for(t, e, s, *r);
  }
  const bool left = s.done();  // asked to: before leave() below, which sets done()
  if (s.joined()) s.leave();
  if (left)
    reason = "left";
  else if (auto why = t.closed_reason())
    reason = std::move(*why);
  co_await t.goodbye(left);
  log_end(who, reason);
}

}  // namespace chat
