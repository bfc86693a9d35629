/// @file
/// @code{.unparsed}
/// coronet::with_timeout: bound any awaitable operation by a deadline.
///
///   auto n = co_await coronet::with_timeout(conn.read_some(asio::buffer(buf)), 5s);
///
/// If the deadline passes first, the operation is cancelled (Asio per-operation
/// cancellation, which socket and timer operations support) and with_timeout throws
/// std::system_error with coronet::errc::timed_out. An operation that ignores
/// cancellation is waited for: the timeout cannot abandon work still in flight.
/// @endcode
#pragma once

#include "coronet/core/errc.hpp"

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>

namespace coronet {
namespace detail {

template <typename T>
asio::awaitable<std::optional<T>> wrap_optional(asio::awaitable<T> op) {
  co_return std::optional<T>{co_await std::move(op)};
}

}  // namespace detail

/// Not awaitable_operators' `||`: in Asio 1.22 that waits for the first *success*, so a
/// failing operation (connection refused) would be reported as a timeout.
template <typename T, typename Rep, typename Period>
asio::awaitable<T> with_timeout(asio::awaitable<T> op, std::chrono::duration<Rep, Period> timeout) {
  using asio::experimental::deferred;
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer{
      ex, std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout)};
  if constexpr (std::is_void_v<T>) {
    auto [order, error, timer_ec] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(ex, std::move(op), deferred), timer.async_wait(deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    if (!error) co_return;  // finished, even if the timer fired meanwhile
    if (order[0] == 1 && !timer_ec) throw_error(errc::timed_out);
    std::rethrow_exception(error);
  } else {
    auto [order, error, value, timer_ec] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(ex, detail::wrap_optional(std::move(op)), deferred),
            timer.async_wait(deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    // A result that raced in while the timer fired is kept rather than lost.
    if (!error && value) co_return std::move(*value);
    if (order[0] == 1 && !timer_ec) throw_error(errc::timed_out);
    if (error) std::rethrow_exception(error);
    throw_error(errc::timed_out);
  }
}

}  // namespace coronet
