#include "commands/set.hpp"

#include <chrono>
#include <cstdint>
#include <limits>

namespace kv::detail {

bool parse_set_arguments(const resp::request& req, set_arguments& args) noexcept {
  using expiry = set_arguments::expiry;
  using cond = store::condition;
  for (std::size_t i = 3; i < req.size(); ++i) {
    const auto opt = req[i];
    const bool has_value = i + 1 < req.size();
    // Each expiry form excludes the others but not itself, as in Redis.
    const auto expiry_option = [&](expiry form) {
      if (args.ttl != expiry::none && args.ttl != form) return false;
      if (form == expiry::keep_ttl) {
        args.ttl = form;
        return true;
      }
      if (!has_value) return false;
      args.ttl = form;
      args.ttl_value = req[++i];
      return true;
    };
    bool ok = false;
    if (resp::iequals(opt, "NX")) {
      ok = args.when != cond::if_present;
      args.when = cond::if_absent;
    } else if (resp::iequals(opt, "XX")) {
      ok = args.when != cond::if_absent;
      args.when = cond::if_present;
    } else if (resp::iequals(opt, "GET")) {
      args.get = true;
      ok = true;
    } else if (resp::iequals(opt, "EX")) {
      ok = expiry_option(expiry::ex);
    } else if (resp::iequals(opt, "PX")) {
      ok = expiry_option(expiry::px);
    } else if (resp::iequals(opt, "EXAT")) {
      ok = expiry_option(expiry::exat);
    } else if (resp::iequals(opt, "PXAT")) {
      ok = expiry_option(expiry::pxat);
    } else if (resp::iequals(opt, "KEEPTTL")) {
      ok = expiry_option(expiry::keep_ttl);
    }
    if (!ok) return false;
  }
  return true;
}

const char* set_deadline(const set_arguments& args, clock::time_point& deadline) noexcept {
  using expiry = set_arguments::expiry;
  deadline = never;
  if (args.ttl == expiry::none || args.ttl == expiry::keep_ttl) return nullptr;
  constexpr const char* invalid = "ERR invalid expire time in 'set' command";
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  std::int64_t ms = 0;
  if (!parse_int64(args.ttl_value, ms)) return "ERR value is not an integer or out of range";
  const bool seconds = args.ttl == expiry::ex || args.ttl == expiry::exat;
  if (ms <= 0 || (seconds && ms > max / 1000)) return invalid;
  if (seconds) ms *= 1000;
  // Redis works in Unix milliseconds and refuses a deadline past their int64 range.
  const std::int64_t unix_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  const bool relative = args.ttl == expiry::ex || args.ttl == expiry::px;
  if (relative && ms > max - unix_now) return invalid;
  // Deadlines are kept on the steady clock, so that changing the wall clock does not
  // expire keys: an absolute time becomes "this long from now" (negative if past, and
  // then the key is gone at its first access, as in Redis). Past the steady clock's
  // range (~292 years of nanoseconds) means never.
  const std::int64_t from_now = relative ? ms : ms - unix_now;
  const auto now = clock::now();
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(never - now).count();
  if (from_now < room) deadline = now + std::chrono::milliseconds(from_now);
  return nullptr;
}

}  // namespace kv::detail
