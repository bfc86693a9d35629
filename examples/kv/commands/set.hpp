// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT unix-s|PXAT unix-ms|KEEPTTL], as Redis 7.0
// parses it (t_string.c, parseExtendedStringArgumentsOrReply and setGenericCommand):
//
//   - an option may repeat (`EX 10 EX 20`: the last value counts), but conflicting ones
//     (NX with XX, two different expiry forms, KEEPTTL with any of them) are
//     `-ERR syntax error`;
//   - the expiry's number is read only once every option has parsed, so a syntax error
//     anywhere wins over a bad number (`EX abc FOO` is a syntax error);
//   - GET replies with the old value (or nil) instead of OK, whether or not NX / XX let
//     the SET happen (NX with GET is allowed since Redis 7.0).
#pragma once

#include "store.hpp"

#include <coronet/resp/resp_codec.hpp>

#include <optional>
#include <string_view>

namespace kv::detail {

namespace resp = coronet::resp;

struct set_arguments {
  enum class expiry { none, ex, px, exat, pxat, keep_ttl };
  store::condition when = store::condition::always;
  bool get = false;
  expiry ttl = expiry::none;
  std::string_view ttl_value;  // the number after EX / PX / EXAT / PXAT
};

// Parses the options after `SET key value`; false: a syntax error.
bool parse_set_arguments(const resp::request& req, set_arguments& args) noexcept;

// The deadline the expiry option asks for (kv::never without one), or the error text to
// reply with: Redis's `value is not an integer` or `invalid expire time` errors.
const char* set_deadline(const set_arguments& args, clock::time_point& deadline) noexcept;

template <typename Out>
void cmd_set(store& db, const resp::request& req, Out& out) {
  set_arguments args;
  if (!parse_set_arguments(req, args)) return out.write(resp::error{"ERR syntax error"});
  auto expires = never;
  if (const char* error = set_deadline(args, expires)) return out.write(resp::error{error});
  const bool keep_ttl = args.ttl == set_arguments::expiry::keep_ttl;
  if (!args.get) {
    const bool done = db.set_with(req[1], req[2], args.when, expires, keep_ttl,
                                  [](std::optional<std::string_view>) {});
    if (done)
      out.write(resp::simple{"OK"});
    else
      out.write(resp::null);
    return;
  }
  // The old value goes straight from the store into the reply, under the shard lock.
  db.set_with(req[1], req[2], args.when, expires, keep_ttl,
              [&out](std::optional<std::string_view> old) {
                if (old)
                  out.write(resp::bulk{*old});
                else
                  out.write(resp::null);
              });
}

}  // namespace kv::detail
