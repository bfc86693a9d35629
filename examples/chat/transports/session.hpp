// What every chat session does, whatever carries it: read commands and run them until
// the member leaves or goes, then end: leave the room, say goodbye, log one line. A
// transport (line_session.cpp: TCP lines; web_session.cpp: WebSocket messages) supplies
// the reading and the goodbye; the rest, the end of a session included, is here once.
#pragma once

#include "protocol/commands.hpp"
#include "room/member.hpp"
#include "room/room.hpp"

#include <coronet/core/connection.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace chat {

class transport {
 public:
  virtual ~transport() = default;

  // The member this connection is, in the room.
  virtual member& self() noexcept = 0;
  // The next command's text, valid until the next call; nullopt once the peer is done.
  // May answer what is not a command itself, through `s` (a binary WebSocket message).
  virtual asio::awaitable<std::optional<std::string_view>> next(detail::session_state& s) = 0;
  // After the last command, while errors still count as the reason: what is queued leaves.
  virtual asio::awaitable<void> drain() = 0;
  // Why `e` ended the session, if this transport knows better than the error's own text;
  // it may tell the peer through `s` (the line that was too long).
  virtual std::optional<std::string> reason_for(const std::system_error& e,
                                                detail::session_state& s) = 0;
  // Why the session ended when the peer went (a WebSocket close frame); nullopt: no
  // more to say than "disconnected".
  virtual std::optional<std::string> closed_reason() const = 0;
  // The last words, bounded in time; `left`: the member asked to leave.
  virtual asio::awaitable<void> goodbye(bool left) = 0;
};

// Who the session's connection is, for its last log line.
struct session_info {
  std::uint64_t id;
  coronet::connection::endpoint_type peer;
  bool web = false;  // on chat_server's --web address
};

// Serves the protocol over `t` for the member `who` until it ends (see the file comment).
asio::awaitable<void> run_session(transport& t, room* r, session_info who);

}  // namespace chat
