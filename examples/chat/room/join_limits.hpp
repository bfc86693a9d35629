// How often one client may join the chat room (docs/chat.md, "Limits"): a token bucket
// per connection and one per remote address.
//
// Why: every join is announced to every member (and, with --redis, goes through Redis
// to every instance), and the joiner is sent the whole member list. Without a limit one
// client joining and leaving in a loop makes the whole room (the whole cluster) do that
// work at the rate of its loop. Leaving ends a session, so a loop reconnects: the limit
// per address is the one that stops it; the one per connection stops a client retrying
// taken names without end.
#pragma once

#include <asio/ip/address.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace chat {

// Security: join attempts (accepted or refused) allowed, each a bucket of `count`
// refilled evenly over `period` (so `count` at once, then one every period / count).
// Over it the join is refused with the error `rate_limited`.
struct join_limits {
  unsigned per_connection = 10;  // 0: no limit
  unsigned per_address = 30;     // per remote address, IPv6 per /64; 0: no limit
  std::chrono::seconds period{60};
  // Loopback peers are not counted per address: local tests, benchmarks and a proxy on
  // the same host that sends no PROXY header all come from there. Behind a proxy, turn
  // the PROXY protocol on, so that the limit counts each client's own address.
  bool limit_loopback = false;
};

// `capacity` tokens refilled at `capacity` per `period`, as GCRA keeps it: one time
// point (when the bucket is full again) instead of a count and a clock.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket(unsigned capacity, clock::duration period)
      : interval_(capacity == 0 ? clock::duration::zero() : period / capacity),
        slack_(period - interval_) {}

  // Takes a token: zero when there was one, else how long until there is one.
  clock::duration take(clock::time_point now) {
    const auto due = std::max(full_at_, now);
    if (due - now > slack_) return due - now - slack_;
    full_at_ = due + interval_;
    return clock::duration::zero();
  }
  bool full(clock::time_point now) const noexcept { return full_at_ <= now; }

 private:
  clock::duration interval_;
  clock::duration slack_;
  clock::time_point full_at_{};
};

// The buckets of every remote address that joined lately; shared by every session.
class address_limiter {
 public:
  using clock = token_bucket::clock;

  explicit address_limiter(const join_limits& limits) : limits_(limits) {}

  // As token_bucket::take for `peer`'s bucket.
  clock::duration take(const asio::ip::address& peer, clock::time_point now) {
    const bool loopback = peer.is_loopback() || is_mapped_loopback(peer);
    if (limits_.per_address == 0 || (loopback && !limits_.limit_loopback))
      return clock::duration::zero();
    std::lock_guard lock{mutex_};
    if (buckets_.size() >= prune_at_) prune(now);
    auto it = buckets_.try_emplace(key_of(peer), limits_.per_address, limits_.period).first;
    return it->second.take(now);
  }

  std::size_t tracked() const {
    std::lock_guard lock{mutex_};
    return buckets_.size();
  }

 private:
  static bool is_mapped_loopback(const asio::ip::address& a) {
    return a.is_v6() && a.to_v6().is_v4_mapped() &&
           asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }

  // IPv4 (mapped or not): the address; IPv6: its /64, which one client usually holds.
  static std::string key_of(const asio::ip::address& a) {
    if (a.is_v4()) return std::string{'4'} + a.to_string();
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped())
      return std::string{'4'} + asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    const auto bytes = v6.to_bytes();
    return std::string{'6'} + std::string(bytes.begin(), bytes.begin() + 8);
  }

  // A full bucket says nothing a new one would not: dropped. So the map holds the
  // addresses that joined within the last period, however many addresses come by.
  void prune(clock::time_point now) {
    std::erase_if(buckets_, [now](const auto& b) { return b.second.full(now); });
    prune_at_ = std::max<std::size_t>(1024, 2 * buckets_.size());
  }

  join_limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, token_bucket> buckets_;
  std::size_t prune_at_ = 1024;
};

}  // namespace chat
