/// @file
/// @code{.unparsed}
/// coronet::redis::backoff: bounded exponential backoff with jitter, for reconnect
/// loops.
///
///   coronet::redis::backoff delay{100ms, 5s};
///   for (;;) {
///     try {
///       co_await redis.reconnect();
///       delay.reset();
///       break;
///     } catch (const std::system_error&) {
///     }
///     co_await sleep_for(delay.next());   // ~100 ms, ~200 ms, ~400 ms, ... at most 5 s
///   }
///
/// The step doubles from `first` up to `max`; each next() returns a random duration
/// between half the step and the step ("equal jitter"), so many clients that lost the
/// same server do not all come back in the same millisecond. Not thread-safe.
/// @endcode
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace coronet::redis {

/// Bounded exponential backoff with jitter, for reconnect loops; not thread-safe.
class backoff {
 public:
  /// Steps from `first` (at least 1 ms) up to `max` (at least `first`); seeded from
  /// std::random_device.
  backoff(std::chrono::milliseconds first, std::chrono::milliseconds max);

  /// The next delay: in [step / 2, step], step = min(first * 2^n, max) for the n-th call
  /// since construction or reset(). Never more than max, never negative.
  std::chrono::milliseconds next();
  /// Back to `first`, after a success.
  void reset() noexcept;

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds step_;
  std::minstd_rand random_;
};

}  // namespace coronet::redis
