// The string commands: GET, MGET, MSET, INCR, DECR, INCRBY, DECRBY; SET, with its many
// options, has a file of its own (set.hpp).
#pragma once

#include "commands/arguments.hpp"
#include "commands/command.hpp"
#include "commands/set.hpp"
#include "store.hpp"

#include <coronet/resp/resp_codec.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace kv::detail {

namespace resp = coronet::resp;

template <typename Out>
void cmd_get(store& db, const resp::request& req, Out& out) {
  db.get(req[1], [&out](std::optional<std::string_view> v) {
    if (v)
      out.write(resp::bulk{*v});
    else
      out.write(resp::null);
  });
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

}  // namespace kv::detail
