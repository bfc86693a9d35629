// kv_server's commands: Redis semantics and Redis's exact error texts, so redis-cli,
// redis-benchmark and client libraries see a familiar server.
//
//   kv::execute(db, request, out)  runs one command, writing its reply through
//                                  out.write(...) (a framed<resp_codec, S>, usually)
//   kv::serve_framed(&f, &db)      the connection loop: read, execute, write; replies to
//                                  a pipelined burst leave in one write
//
// Templates over the output and the stream so tests can drive them over an in-memory
// stream and compare bytes; kv.cpp instantiates them for real connections.
#pragma once

#include "store.hpp"

#include <coronet/errc.hpp>
#include <coronet/framed.hpp>
#include <coronet/resp_codec.hpp>

#include <asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

namespace kv {

namespace resp = coronet::resp;

enum class outcome { proceed, close };  // close: QUIT, reply and end the connection

// Redis's glob (`*`, `?`, `[abc]`, `[a-z]`, `\x`), case-insensitive, for CONFIG GET.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

// The CONFIG GET table: what redis-benchmark and redis-cli ask for at startup.
struct config_entry {
  std::string_view name, value;
};
inline constexpr std::array<config_entry, 2> config_table{{{"save", ""}, {"appendonly", "no"}}};

namespace detail {

// Redis's wording and limits: `-ERR unknown command 'foo', with args beginning with:
// 'a' 'b' `; CR and LF become spaces, as Redis does, so a hostile name cannot end the
// reply early.
std::string unknown_command_message(const resp::request& req);
std::string arity_message(std::string_view name);
std::string unknown_subcommand_message(std::string_view sub, std::string_view command);

template <typename Out>
void arity_error(Out& out, std::string_view name) {
  const auto text = arity_message(name);
  out.write(resp::error{text});
}

template <typename Out>
void not_integer(Out& out) {
  out.write(resp::error{"ERR value is not an integer or out of range"});
}

// Arguments 1..n of a request, as a range of string_view.
inline auto args_from(const resp::request& req, std::size_t first) {
  return std::ranges::subrange(req.begin() + static_cast<std::ptrdiff_t>(first), req.end());
}

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
void cmd_get(store& db, const resp::request& req, Out& out) {
  db.get(req[1], [&out](std::optional<std::string_view> v) {
    if (v)
      out.write(resp::bulk{*v});
    else
      out.write(resp::null);
  });
}

// SET key value [NX|XX] [EX seconds|PX milliseconds|KEEPTTL]
template <typename Out>
void cmd_set(store& db, const resp::request& req, Out& out) {
  auto when = store::condition::always;
  std::int64_t ttl_ms = -1;
  bool has_ttl = false;
  for (std::size_t i = 3; i < req.size(); ++i) {
    const auto opt = req[i];
    if (resp::iequals(opt, "NX") && when != store::condition::if_present) {
      when = store::condition::if_absent;
    } else if (resp::iequals(opt, "XX") && when != store::condition::if_absent) {
      when = store::condition::if_present;
    } else if ((resp::iequals(opt, "EX") || resp::iequals(opt, "PX")) && !has_ttl &&
               i + 1 < req.size()) {
      std::int64_t n = 0;
      if (!parse_int64(req[++i], n)) return not_integer(out);
      const std::int64_t scale = resp::iequals(opt, "EX") ? 1000 : 1;
      if (n <= 0 || n > std::numeric_limits<std::int64_t>::max() / scale)
        return out.write(resp::error{"ERR invalid expire time in 'set' command"});
      ttl_ms = n * scale;
      has_ttl = true;
    } else {
      return out.write(resp::error{"ERR syntax error"});
    }
  }
  auto expires = never;
  if (has_ttl) {
    // Redis refuses a deadline past the int64 range of Unix milliseconds.
    const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    if (ttl_ms > std::numeric_limits<std::int64_t>::max() - unix_ms)
      return out.write(resp::error{"ERR invalid expire time in 'set' command"});
    // Deadlines past the steady clock's range (~292 years of nanoseconds) mean "never".
    const auto now = clock::now();
    const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(never - now).count();
    if (ttl_ms < room) expires = now + std::chrono::milliseconds(ttl_ms);
  }
  if (db.set(req[1], req[2], when, expires))
    out.write(resp::simple{"OK"});
  else
    out.write(resp::null);
}

template <typename Out>
void cmd_del(store& db, const resp::request& req, Out& out) {
  std::int64_t n = 0;
  for (auto key : args_from(req, 1))
    n += db.erase(key) ? 1 : 0;
  out.write(resp::integer{n});
}

template <typename Out>
void cmd_exists(store& db, const resp::request& req, Out& out) {
  std::int64_t n = 0;
  for (auto key : args_from(req, 1))
    n += db.contains(key) ? 1 : 0;
  out.write(resp::integer{n});
}

template <typename Out>
void incr(store& db, std::string_view key, std::int64_t delta, Out& out) {
  std::int64_t result = 0;
  switch (db.incr_by(key, delta, result)) {
    case store::incr_status::ok:
      return out.write(resp::integer{result});
    case store::incr_status::not_integer:
      return not_integer(out);
    case store::incr_status::overflow:
      return out.write(resp::error{"ERR increment or decrement would overflow"});
  }
}

template <typename Out>
void cmd_incr(store& db, const resp::request& req, Out& out) {
  incr(db, req[1], 1, out);
}

template <typename Out>
void cmd_decr(store& db, const resp::request& req, Out& out) {
  incr(db, req[1], -1, out);
}

template <typename Out>
void cmd_mget(store& db, const resp::request& req, Out& out) {
  out.write(resp::array_header{req.size() - 1});
  db.get_many(args_from(req, 1), [&out](std::optional<std::string_view> v) {
    if (v)
      out.write(resp::bulk{*v});
    else
      out.write(resp::null);
  });
}

template <typename Out>
void cmd_mset(store& db, const resp::request& req, Out& out) {
  if (req.size() % 2 == 0) return arity_error(out, "mset");
  db.set_many(args_from(req, 1));
  out.write(resp::simple{"OK"});
}

template <typename Out>
void cmd_dbsize(store& db, const resp::request&, Out& out) {
  out.write(resp::integer{static_cast<std::int64_t>(db.size())});
}

template <typename Out>
void cmd_flushall(store& db, const resp::request& req, Out& out) {
  if (req.size() > 2 ||
      (req.size() == 2 && !resp::iequals(req[1], "SYNC") && !resp::iequals(req[1], "ASYNC")))
    return out.write(resp::error{"ERR syntax error"});
  db.clear();
  out.write(resp::simple{"OK"});
}

template <typename Out>
void cmd_quit(store&, const resp::request&, Out& out) {
  out.write(resp::simple{"OK"});
}

inline constexpr std::size_t command_total = 17;  // the size of the table below

// Minimal: enough for clients that probe it. `COMMAND` and `COMMAND DOCS|INFO|LIST`
// answer an empty array (redis-cli then just shows no hints), `COMMAND COUNT` the
// number of commands this server knows.
template <typename Out>
void cmd_command(store&, const resp::request& req, Out& out) {
  if (req.size() == 1) return out.write(resp::array_header{0});
  const auto sub = req[1];
  if (resp::iequals(sub, "COUNT"))
    return out.write(resp::integer{static_cast<std::int64_t>(command_total)});
  if (resp::iequals(sub, "DOCS") || resp::iequals(sub, "INFO") || resp::iequals(sub, "LIST"))
    return out.write(resp::array_header{0});
  const auto text = unknown_subcommand_message(sub, "COMMAND");
  out.write(resp::error{text});
}

// CONFIG GET pattern [pattern ...]: name/value pairs, each parameter once.
template <typename Out>
void cmd_config(store&, const resp::request& req, Out& out) {
  const auto sub = req[1];
  if (!resp::iequals(sub, "GET")) {
    const auto text = unknown_subcommand_message(sub, "CONFIG");
    return out.write(resp::error{text});
  }
  if (req.size() < 3) return arity_error(out, "config|get");
  std::array<bool, config_table.size()> hit{};
  std::size_t hits = 0;
  for (auto pattern : args_from(req, 2))
    for (std::size_t i = 0; i < config_table.size(); ++i)
      if (!hit[i] && glob_match(pattern, config_table[i].name)) {
        hit[i] = true;
        ++hits;
      }
  out.write(resp::array_header{2 * hits});
  for (std::size_t i = 0; i < config_table.size(); ++i)
    if (hit[i]) {
      out.write(resp::bulk{config_table[i].name});
      out.write(resp::bulk{config_table[i].value});
    }
}

// INCRBY / DECRBY key n
template <typename Out>
void incr_by_arg(store& db, const resp::request& req, Out& out, bool negate) {
  std::int64_t n = 0;
  if (!parse_int64(req[2], n)) return not_integer(out);
  if (negate && n == std::numeric_limits<std::int64_t>::min())
    return out.write(resp::error{"ERR decrement would overflow"});
  incr(db, req[1], negate ? -n : n, out);
}

template <typename Out>
void cmd_incrby(store& db, const resp::request& req, Out& out) {
  incr_by_arg(db, req, out, false);
}

template <typename Out>
void cmd_decrby(store& db, const resp::request& req, Out& out) {
  incr_by_arg(db, req, out, true);
}

template <typename Out>
struct command_spec {
  std::string_view name;  // lower case, as Redis names commands in its errors
  int arity;              // Redis's convention: n exactly, -n at least n (name included)
  void (*run)(store&, const resp::request&, Out&);
  outcome then = outcome::proceed;
};

// Most frequent first: the lookup is a linear scan comparing lengths before letters.
template <typename Out>
inline constexpr std::array<command_spec<Out>, command_total> commands{{
    {"get", 2, cmd_get<Out>},
    {"set", -3, cmd_set<Out>},
    {"incr", 2, cmd_incr<Out>},
    {"decr", 2, cmd_decr<Out>},
    {"mget", -2, cmd_mget<Out>},
    {"mset", -3, cmd_mset<Out>},
    {"del", -2, cmd_del<Out>},
    {"exists", -2, cmd_exists<Out>},
    {"ping", -1, cmd_ping<Out>},
    {"echo", 2, cmd_echo<Out>},
    {"incrby", 3, cmd_incrby<Out>},
    {"decrby", 3, cmd_decrby<Out>},
    {"dbsize", 1, cmd_dbsize<Out>},
    {"flushall", -1, cmd_flushall<Out>},
    {"command", -1, cmd_command<Out>},
    {"config", -2, cmd_config<Out>},
    {"quit", -1, cmd_quit<Out>, outcome::close},
}};

}  // namespace detail

// Runs one command and writes its reply (exactly one RESP value) to `out`. `req` must
// not be empty.
template <typename Out>
outcome execute(store& db, const resp::request& req, Out& out) {
  const auto name = req.name();
  for (const auto& spec : detail::commands<Out>) {
    if (spec.name.size() != name.size() || !resp::iequals(spec.name, name)) continue;
    const auto argc = static_cast<int>(std::min<std::size_t>(req.size(), 1 << 30));
    if (spec.arity > 0 ? argc != spec.arity : argc < -spec.arity) {
      detail::arity_error(out, spec.name);
      return outcome::proceed;
    }
    spec.run(db, req, out);
    return spec.then;
  }
  const auto text = detail::unknown_command_message(req);
  out.write(resp::error{text});
  return outcome::proceed;
}

// Replies buffered beyond this are sent before the next command runs: a pipelined
// burst of small requests for large values (16 KiB of `GET big`) must not turn into
// gigabytes of pending output, and a peer that does not read then stalls its own
// connection instead of growing the server.
inline constexpr std::size_t max_unflushed_replies = 256 * 1024;

// Serves one connection until EOF, QUIT, or a protocol error (answered with Redis's
// `-ERR Protocol error: ...`, after the replies owed to earlier requests, then closed).
template <typename Stream>
asio::awaitable<void> serve_framed(coronet::framed<coronet::resp_codec, Stream>* f, store* db) {
  try {
    while (auto req = co_await f->read()) {
      if (req->empty()) continue;  // blank line, `*0`: Redis ignores them too
      if (execute(*db, *req, *f) == outcome::close) {
        co_await f->flush();
        co_return;
      }
      if (f->queued_bytes() > max_unflushed_replies) co_await f->flush();
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
