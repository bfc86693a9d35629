// The small helpers of the Redis client tests (tests/redis/): expected reply values,
// one command from its arguments, a latch for spawned coroutines, errors as values.
#pragma once

#include <coronet/redis.hpp>

#include <doctest/doctest.h>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <system_error>
#include <vector>

namespace coronet::test::redis_client_support {

using resp::value;
using strings = std::vector<std::string>;

inline value ok() {
  return {.kind = resp::kind::simple_string, .text = "OK"};
}
inline value bulk(std::string s) {
  return {.kind = resp::kind::bulk_string, .text = std::move(s)};
}
inline value num(std::int64_t n) {
  return {.kind = resp::kind::integer, .integer = n};
}

// Waits until `count` coroutines spawned with done() as their completion finished;
// keeps the first exception.
struct latch {
  explicit latch(const asio::any_io_executor& ex, std::size_t count)
      : timer(ex, std::chrono::steady_clock::time_point::max()), left(count) {}
  auto done() {
    return [this](const std::exception_ptr& e) {
      if (e && !error) error = e;
      if (--left == 0) timer.cancel();
    };
  }
  asio::awaitable<void> wait() {
    if (left > 0) co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (error) std::rethrow_exception(error);
  }
  asio::steady_timer timer;
  std::size_t left;
  std::exception_ptr error;
};

// One command from its arguments. Not a coroutine: the vector is built here, outside
// the caller's co_await statement (g++ 12 mishandles braced temporaries there).
template <typename... Args>
asio::awaitable<value> cmd(redis::client& c, Args&&... args) {
  return c.command(strings{std::string(std::forward<Args>(args))...});
}

inline asio::awaitable<void> store_error(asio::awaitable<std::error_code> op,
                                         std::error_code* out) {
  *out = co_await std::move(op);
}

// The std::error_code a system_error thrown by `op` carries (empty if it did not throw).
template <typename T>
asio::awaitable<std::error_code> error_of(asio::awaitable<T> op) {
  try {
    co_await std::move(op);
  } catch (const std::system_error& e) {
    co_return e.code();
  }
  co_return std::error_code{};
}

inline std::int64_t info_field(const value& info, const std::string& name) {
  const auto at = info.text.find(name + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(info.text.substr(at + name.size() + 1));
}

// A GET that another coroutine waits behind; its error, if any, lands in *out.
inline asio::awaitable<void> pending_get(redis::client* c, std::error_code* out) {
  auto other = strings{"GET", "x"};
  *out = co_await error_of(c->command(other));
}

}  // namespace coronet::test::redis_client_support
