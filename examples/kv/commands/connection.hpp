// The connection commands: PING [message], ECHO message, QUIT (which the dispatch table
// marks as closing the connection once its reply has left).
#pragma once

#include "commands/command.hpp"
#include "store.hpp"

#include <coronet/resp/resp_codec.hpp>

namespace kv::detail {

namespace resp = coronet::resp;

template <typename Out>
void cmd_ping(store&, const resp::request& req, Out& out) {
  if (req.size() > 2) return arity_error(out, "ping");
  if (req.size() == 2)
    out.write(resp::bulk{req[1]});
  else
    out.write(resp::simple{"PONG"});
}

template <typename Out>
void cmd_echo(store&, const resp::request& req, Out& out) {
  out.write(resp::bulk{req[1]});
}

template <typename Out>
void cmd_quit(store&, const resp::request&, Out& out) {
  out.write(resp::simple{"OK"});
}

}  // namespace kv::detail
