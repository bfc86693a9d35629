// kv_server's commands: Redis semantics and Redis's exact error texts, so redis-cli,
// redis-benchmark and client libraries see a familiar server.
//
//   kv::execute(db, request, out)  runs one command, writing its reply through
//                                  out.write(...) (serve_framed passes a framed<> wrapped
//                                  in a limited_output)
//   kv::serve_framed(&f, &db, opt) the connection loop: read, execute, write; replies to
//                                  a pipelined burst leave in one write
//
// One file per group of commands under commands/, as mini-redis has one per command:
//   strings.hpp     GET MGET MSET INCR DECR INCRBY DECRBY, and set.hpp: SET
//   keys.hpp        DEL EXISTS DBSIZE FLUSHALL
//   connection.hpp  PING ECHO QUIT
//   config.hpp      CONFIG GET
//   command.hpp     COMMAND, and the table of every command's name, arity and flags
//   info.hpp        INFO
// This file is the dispatch table that maps each name to its function, and the loop.
// The output limit is in output_limit.hpp.
//
// Templates over the output and the stream so tests can drive them over an in-memory
// stream and compare bytes; kv.cpp instantiates them for real connections.
#pragma once

#include "commands/command.hpp"
#include "commands/config.hpp"
#include "commands/connection.hpp"
#include "commands/info.hpp"
#include "commands/keys.hpp"
#include "commands/strings.hpp"
#include "output_limit.hpp"
#include "store.hpp"

#include <coronet/core/errc.hpp>
#include <coronet/framing/framed.hpp>
#include <coronet/resp/resp_codec.hpp>

#include <asio/awaitable.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <system_error>

namespace kv {

namespace resp = coronet::resp;

enum class outcome { proceed, close };  // close: QUIT, reply and end the connection

namespace detail {

// Redis's wording and limits: `-ERR unknown command 'foo', with args beginning with:
// 'a' 'b' `; CR and LF become spaces, as Redis does, so a hostile name cannot end the
// reply early.
std::string unknown_command_message(const resp::request& req);

template <typename Out>
struct command_spec {
  std::string_view name;  // the same as command_table's at the same index
  void (*run)(store&, const resp::request&, Out&);
  outcome then = outcome::proceed;
  // Instead of `run`, for a command that reports on the server around the store (INFO).
  void (*run_with_info)(store&, const server_info*, const resp::request&, Out&) = nullptr;
};

// command_table's order (names, arities and the rest are there).
template <typename Out>
inline constexpr std::array<command_spec<Out>, command_table.size()> commands{{
    {"get", cmd_get<Out>},
    {"set", cmd_set<Out>},
    {"incr", cmd_incr<Out>},
    {"decr", cmd_decr<Out>},
    {"mget", cmd_mget<Out>},
    {"mset", cmd_mset<Out>},
    {"del", cmd_del<Out>},
    {"exists", cmd_exists<Out>},
    {"ping", cmd_ping<Out>},
    {"echo", cmd_echo<Out>},
    {"incrby", cmd_incrby<Out>},
    {"decrby", cmd_decrby<Out>},
    {"dbsize", cmd_dbsize<Out>},
    {"flushall", cmd_flushall<Out>},
    {"command", cmd_command<Out>},
    {"config", cmd_config<Out>},
    {"quit", cmd_quit<Out>, outcome::close},
    {"info", nullptr, outcome::proceed, cmd_info<Out>},
}};

template <typename Out>
constexpr bool commands_match_table() {
  for (std::size_t i = 0; i < command_table.size(); ++i)
    if (commands<Out>[i].name != command_table[i].name) return false;
  return true;
}

}  // namespace detail

// Runs one command and writes its reply (exactly one RESP value) to `out`. `req` must
// not be empty. `info`: what INFO reports about the server (null: the process's figures
// only; see commands/info.hpp).
template <typename Out>
outcome execute(store& db, const resp::request& req, Out& out, const server_info* info = nullptr) {
  static_assert(detail::commands_match_table<Out>());
  const auto name = req.name();
  for (std::size_t i = 0; i < detail::command_table.size(); ++i) {
    const auto& meta = detail::command_table[i];
    if (meta.name.size() != name.size() || !resp::iequals(meta.name, name)) continue;
    if (!detail::arity_fits(meta.arity, req.size())) {
      detail::arity_error(out, meta.name);
      return outcome::proceed;
    }
    const auto& spec = detail::commands<Out>[i];
    if (spec.run != nullptr)
      spec.run(db, req, out);
    else
      spec.run_with_info(db, info, req, out);
    return spec.then;
  }
  const auto text = detail::unknown_command_message(req);
  out.write(resp::error{text});
  return outcome::proceed;
}

// Replies buffered beyond this are sent before the next command runs: a pipelined
// burst of small requests for large values (16 KiB of `GET big`) must not turn into
// gigabytes of pending output, and a peer that does not read then stalls its own
// connection instead of growing the server. Within one command, options::max_output
// bounds the reply (output_limit.hpp).
inline constexpr std::size_t max_unflushed_replies = 256 * 1024;

// Serves one connection until EOF, QUIT, or a protocol error (answered with Redis's
// `-ERR Protocol error: ...`, after the replies owed to earlier requests, then closed).
// A command whose reply would take the queued output past opt.max_output ends the
// connection at once: that reply is not sent, nor any still queued (output_limit.hpp).
template <typename Stream>
asio::awaitable<void> serve_framed(coronet::framed<coronet::resp_codec, Stream>* f, store* db,
                                   options opt = {}) {
  // Flushing at half the limit at the latest leaves every reply up to half of it room,
  // however small the limit: replies merely waiting for the batch to end never count
  // against a client.
  const std::size_t flush_above = std::min(max_unflushed_replies, opt.max_output / 2);
  try {
    while (auto req = co_await f->read()) {
      if (req->empty()) continue;  // blank line, `*0`: Redis ignores them too
      limited_output out{*f, opt.max_output};
      const auto then = execute(*db, *req, out, opt.info);
      if (out.exceeded()) {
        log_output_limit(req->name(), opt.max_output);
        f->close();
        co_return;
      }
      if (then == outcome::close) {
        co_await f->flush();
        co_return;
      }
      if (f->queued_bytes() > flush_above) co_await f->flush();
    }
    co_return;
  } catch (const std::system_error& e) {
    if (e.code() != coronet::errc::bad_message && e.code() != coronet::errc::frame_too_large) throw;
  }
  // Only a malformed or oversized request gets here.
  std::string text{"ERR Protocol error: "};
  text += f->codec().error_detail();
  f->write(resp::error{text});
  co_await f->flush();
}

}  // namespace kv
