// detail::wakeup: the one way coronet wakes a coroutine that waits for something other
// coroutines on the same executor do (a write finishing, a request completing, a
// response arriving).
//
// It is a steady_timer that never expires by itself: waiting is async_wait, waking is
// cancel(). So a waiter costs no thread and no allocation beyond its wait, and a wake
// with nobody waiting costs nothing (cancel() takes the reactor's lock, so it is
// skipped then). Waiters re-check their condition after waking: a wake says "look
// again", never "it happened".
//
// Used on one executor only, like the state it guards.
#pragma once

#include <asio/error.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <system_error>

namespace coronet::detail {

class wakeup {
 public:
  using clock = std::chrono::steady_clock;

  template <typename Executor>
  explicit wakeup(const Executor& ex) : timer_(ex, clock::time_point::max()) {}

  // Wakes every coroutine in wait() or wait_until().
  void notify() noexcept {
    if (waiters_ == 0) return;
    try {
      timer_.cancel();
    } catch (...) {  // cancel() reports only reactor failures; nothing to do about them
    }
  }

  // Suspends until notify(). Throws std::system_error(operation_aborted) when the
  // waiting coroutine itself is cancelled, so a cancelled waiter never loops.
  asio::awaitable<void> wait() { co_await wait_until(clock::time_point::max()); }

  // The same with a deadline: false when it passed first. The deadline is the timer's
  // own expiry, so only one coroutine may use wait_until() with a finite deadline.
  asio::awaitable<bool> wait_until(clock::time_point deadline) {
    if (deadline != clock::time_point::max()) timer_.expires_at(deadline);
    ++waiters_;
    auto [ec] = co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    --waiters_;
    if (!ec) co_return false;  // expired: the deadline passed
    // Woken, or our own cancellation: the wake is a cancel() of the timer too.
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none)
      throw std::system_error(asio::error::operation_aborted, "wait cancelled");
    co_return true;
  }

  std::size_t waiters() const noexcept { return waiters_; }

 private:
  asio::steady_timer timer_;
  std::size_t waiters_ = 0;
};

}  // namespace coronet::detail
