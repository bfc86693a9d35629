#include "store.hpp"

#include <bit>
#include <charconv>
#include <limits>

namespace kv {

bool parse_int64(std::string_view s, std::int64_t& value) noexcept {
  const std::size_t first = !s.empty() && s[0] == '-' ? 1 : 0;
  if (s.size() == first || s.size() > 20) return false;
  if (s[first] == '0' && s.size() != 1) return false;  // "01", "-0"
  for (std::size_t i = first; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc{} && p == s.data() + s.size();
}

store::multi_lock::multi_lock(store& s, std::uint64_t mask) : store_(s), mask_(mask) {
  for (std::uint64_t m = mask_; m != 0; m &= m - 1)
    store_.shards_[static_cast<std::size_t>(std::countr_zero(m))].mutex.lock();
}

store::multi_lock::~multi_lock() {
  for (std::uint64_t m = mask_; m != 0; m &= m - 1)
    store_.shards_[static_cast<std::size_t>(std::countr_zero(m))].mutex.unlock();
}

store::map_type::iterator store::find_live(shard& s, std::string_view key) {
  auto it = s.map.find(key);
  // Reading the clock only for keys that have a TTL keeps plain GETs cheap.
  if (it != s.map.end() && it->second.expires != never && it->second.expires <= clock::now()) {
    remove(s, it);
    return s.map.end();
  }
  return it;
}

void store::assign(shard& s, std::string_view key, std::string_view value,
                   clock::time_point expires) {
  auto it = s.map.find(key);
  if (it == s.map.end()) {
    s.map.emplace(std::string{key}, entry{std::string{value}, expires});
    if (expires != never) ++s.expiring;
  } else {
    it->second.value.assign(value);  // reuses the old value's capacity
    retime(s, it->second, expires);
  }
}

bool store::set(std::string_view key, std::string_view value, condition when,
                clock::time_point expires) {
  return set_with(key, value, when, expires, false, [](std::optional<std::string_view>) {});
}

std::optional<clock::time_point> store::deadline(std::string_view key) {
  auto& s = shard_of(key);
  std::lock_guard lock{s.mutex};
  auto it = find_live(s, key);
  if (it == s.map.end()) return std::nullopt;
  return it->second.expires;
}

bool store::erase(std::string_view key) {
  auto& s = shard_of(key);
  std::lock_guard lock{s.mutex};
  auto it = find_live(s, key);
  if (it == s.map.end()) return false;
  remove(s, it);
  return true;
}

bool store::contains(std::string_view key) {
  auto& s = shard_of(key);
  std::lock_guard lock{s.mutex};
  return find_live(s, key) != s.map.end();
}

store::incr_status store::incr_by(std::string_view key, std::int64_t delta, std::int64_t& result) {
  auto& s = shard_of(key);
  std::lock_guard lock{s.mutex};
  auto it = find_live(s, key);
  std::int64_t current = 0;
  if (it != s.map.end() && !parse_int64(it->second.value, current)) return incr_status::not_integer;
  if ((delta > 0 && current > std::numeric_limits<std::int64_t>::max() - delta) ||
      (delta < 0 && current < std::numeric_limits<std::int64_t>::min() - delta))
    return incr_status::overflow;
  result = current + delta;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, result);
  const std::string_view text{digits, static_cast<std::size_t>(end - digits)};
  if (it == s.map.end())
    s.map.emplace(std::string{key}, entry{std::string{text}, never});
  else
    it->second.value.assign(text);  // keeps the TTL, as Redis does
  return incr_status::ok;
}

std::size_t store::size() {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock{s.mutex};
    n += s.map.size();
  }
  return n;
}

store::key_counts store::counts() {
  key_counts n;
  for (auto& s : shards_) {
    std::lock_guard lock{s.mutex};
    n.keys += s.map.size();
    n.expiring += s.expiring;
  }
  return n;
}

void store::clear() {
  multi_lock lock{*this, ~std::uint64_t{0}};
  for (auto& s : shards_) {
    map_type{}.swap(s.map);  // give the memory back, not just the keys
    s.expiring = 0;
  }
}

}  // namespace kv
