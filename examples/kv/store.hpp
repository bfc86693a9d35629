// kv::store: the in-memory string store behind kv_server, shared by all its threads.
//
// Sharded: 64 maps, each behind its own mutex, a key's shard picked by its hash. With
// --threads 1 every lock is uncontended (an atomic exchange and a store, no system
// call); with N threads two commands only meet when their keys share a shard. One
// global mutex would serialise every command of every thread, which is the very thing
// extra threads are meant to avoid; per-thread stores would need cross-thread routing
// of every command. Commands on several keys (MGET, MSET, FLUSHALL) lock all the shards
// involved in index order, so they stay atomic as in Redis and cannot deadlock.
//
// Expiry is lazy: a key past its deadline is removed when a command touches it, and
// counts in size() until then (Redis's DBSIZE behaves the same between its sweeps).
// There is no background sweep thread or timer; a key set with a TTL and never read
// again holds its memory until it is overwritten, deleted or FLUSHALL runs.
//
// Lookups take std::string_view keys without building a std::string (heterogeneous
// lookup); values are handed to callbacks under the shard lock, so a GET copies the
// value once, straight into the reply buffer.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kv {

using clock = std::chrono::steady_clock;
inline constexpr clock::time_point never = clock::time_point::max();

// Redis's rules for a string that is an integer (string2ll): optional '-', digits,
// no leading zeros, no spaces, no '+', fits in int64.
bool parse_int64(std::string_view s, std::int64_t& value) noexcept;

class store {
 public:
  static constexpr std::size_t shard_count = 64;

  enum class condition { always, if_absent, if_present };  // SET's NX / XX
  enum class incr_status { ok, not_integer, overflow };

  // Calls fn(std::optional<std::string_view>) with the key's live value (nullopt if
  // absent or expired), under the shard lock: fn must not call back into the store.
  template <typename F>
  void get(std::string_view key, F&& fn) {
    auto& s = shard_of(key);
    std::lock_guard lock{s.mutex};
    auto it = find_live(s, key);
    if (it == s.map.end())
      std::forward<F>(fn)(std::optional<std::string_view>{});
    else
      std::forward<F>(fn)(std::optional<std::string_view>{it->second.value});
  }

  // Stores `value` under `key` unless `when` forbids it; returns whether it did. A new
  // value replaces any TTL with `expires` (kv::never: none).
  bool set(std::string_view key, std::string_view value, condition when = condition::always,
           clock::time_point expires = never);

  // SET in full. As set(), but with `keep_ttl` a live key keeps its deadline (KEEPTTL),
  // and seen(std::optional<std::string_view>) is first called with the key's live value
  // (nullopt if none) under the shard lock, whether or not `when` lets the SET happen
  // (SET ... GET). One lookup, and the read and the write are one atomic step.
  template <typename F>
  bool set_with(std::string_view key, std::string_view value, condition when,
                clock::time_point expires, bool keep_ttl, F&& seen) {
    auto& s = shard_of(key);
    std::lock_guard lock{s.mutex};
    auto it = find_live(s, key);
    const bool present = it != s.map.end();
    if (present)
      std::forward<F>(seen)(std::optional<std::string_view>{it->second.value});
    else
      std::forward<F>(seen)(std::optional<std::string_view>{});
    if (when != condition::always && present != (when == condition::if_present)) return false;
    if (!present) {
      s.map.emplace(std::string{key}, entry{std::string{value}, expires});
      if (expires != never) ++s.expiring;
    } else {
      it->second.value.assign(value);  // reuses the old value's capacity
      if (!keep_ttl) retime(s, it->second, expires);
    }
    return true;
  }

  // The key's deadline (kv::never: no TTL), or nullopt if it is absent or expired.
  std::optional<clock::time_point> deadline(std::string_view key);
  bool erase(std::string_view key);
  bool contains(std::string_view key);
  // INCRBY: a missing key counts as 0; the TTL is kept.
  incr_status incr_by(std::string_view key, std::int64_t delta, std::int64_t& result);

  // MGET: calls fn(std::optional<std::string_view>) for each key of `keys` (anything
  // with begin() and end() yielding string_views, walked twice), in order, all under
  // one consistent view of the store.
  template <typename Keys, typename F>
  void get_many(const Keys& keys, F&& fn) {
    std::uint64_t mask = 0;
    for (std::string_view k : keys)
      mask |= bit(index_of(k));
    multi_lock lock{*this, mask};
    for (std::string_view k : keys) {
      auto& s = shards_[index_of(k)];
      auto it = find_live(s, k);
      if (it == s.map.end())
        fn(std::optional<std::string_view>{});
      else
        fn(std::optional<std::string_view>{it->second.value});
    }
  }

  // MSET: key, value, key, value ... (even length, walked twice), set atomically.
  template <typename Pairs>
  void set_many(const Pairs& pairs) {
    std::uint64_t mask = 0;
    bool is_key = true;
    for (std::string_view k : pairs) {
      if (is_key) mask |= bit(index_of(k));
      is_key = !is_key;
    }
    multi_lock lock{*this, mask};
    for (auto it = pairs.begin(); it != pairs.end();) {
      const std::string_view k = *it++;
      const std::string_view v = *it++;
      assign(shards_[index_of(k)], k, v, never);
    }
  }

  // Keys held, expired ones not yet evicted included.
  std::size_t size();
  // size() and how many of those keys have a TTL (INFO's Keyspace line), each shard
  // counted under its lock.
  struct key_counts {
    std::size_t keys = 0;
    std::size_t expiring = 0;
  };
  key_counts counts();
  void clear();

 private:
  struct entry {
    std::string value;
    clock::time_point expires = never;
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using map_type = std::unordered_map<std::string, entry, string_hash, std::equal_to<>>;
  // A cache line each, so threads locking neighbouring shards do not share one.
  struct alignas(64) shard {
    std::mutex mutex;
    map_type map;
    // Entries of `map` with a deadline, kept by every write that adds, removes or
    // retimes one (Redis keeps its expires dict the same way), so INFO's count costs a
    // read per shard rather than a walk over every key.
    std::size_t expiring = 0;
  };

  // Locks the shards in `mask` in ascending order, the one order every caller uses.
  class multi_lock {
   public:
    multi_lock(store& s, std::uint64_t mask);
    ~multi_lock();
    multi_lock(const multi_lock&) = delete;
    multi_lock& operator=(const multi_lock&) = delete;

   private:
    store& store_;
    std::uint64_t mask_;
  };

  static std::uint64_t bit(std::size_t i) noexcept { return std::uint64_t{1} << i; }
  static std::size_t index_of(std::string_view key) noexcept {
    // Top bits of a multiplicative mix: the map's buckets use the low bits of the same
    // hash, so shard choice and bucket choice stay independent.
    const std::uint64_t h = string_hash{}(key);
    return static_cast<std::size_t>((h * 0x9E3779B97F4A7C15ULL) >> 58);
  }
  shard& shard_of(std::string_view key) noexcept { return shards_[index_of(key)]; }

  // The key's entry, or end() if absent; an expired entry is erased on the way.
  static map_type::iterator find_live(shard& s, std::string_view key);
  // Gives `e` the deadline `expires`, keeping s.expiring right.
  static void retime(shard& s, entry& e, clock::time_point expires) noexcept {
    if (e.expires != never) --s.expiring;
    if (expires != never) ++s.expiring;
    e.expires = expires;
  }
  static void remove(shard& s, map_type::iterator it) noexcept {
    if (it->second.expires != never) --s.expiring;
    s.map.erase(it);
  }
  static void assign(shard& s, std::string_view key, std::string_view value,
                     clock::time_point expires);

  static_assert(shard_count == 64, "index_of() and the lock masks assume 64 shards");
  std::array<shard, shard_count> shards_;
};

}  // namespace kv
