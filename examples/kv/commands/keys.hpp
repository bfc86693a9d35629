// The keyspace commands: DEL key [key ...], EXISTS key [key ...], DBSIZE,
// FLUSHALL [SYNC|ASYNC].
#pragma once

#include "commands/arguments.hpp"
#include "store.hpp"

#include <coronet/resp/resp_codec.hpp>

#include <cstdint>

namespace kv::detail {

namespace resp = coronet::resp;

// DEL and EXISTS: how many of the keys named `test` holds for (a repeated key counts
// each time, as in Redis).
template <typename Out, typename Test>
void count_keys(const resp::request& req, Out& out, Test test) {
  std::int64_t n = 0;
  for (auto key : args_from(req, 1))
    n += test(key) ? 1 : 0;
  out.write(resp::integer{n});
}

template <typename Out>
void cmd_del(store& db, const resp::request& req, Out& out) {
  count_keys(req, out, [&db](auto key) { return db.erase(key); });
}

template <typename Out>
void cmd_exists(store& db, const resp::request& req, Out& out) {
  count_keys(req, out, [&db](auto key) { return db.contains(key); });
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

}  // namespace kv::detail
