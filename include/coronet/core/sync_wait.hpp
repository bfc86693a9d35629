/// @file
/// @code{.unparsed}
/// coronet::sync_wait: runs one awaitable to completion on a fresh io_context in the
/// calling thread and returns its result, or rethrows what it threw. The `main` of a
/// client, like #[tokio::main] or asio::co_spawn with use_future, without the
/// boilerplate:
///
///   asio::awaitable<std::string> fetch(std::uint16_t port) {
///     auto conn = co_await coronet::connect("127.0.0.1", port);
///     ...
///   }
///   int main() { std::cout << coronet::sync_wait(fetch(7000)) << '\n'; }
///
/// Work the awaitable spawned on the same io_context (co_spawn on its executor) also
/// runs until it is done, so sync_wait returns once nothing is left to do: a coroutine
/// that never ends keeps it waiting, as it would keep io_context::run().
/// @endcode
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace coronet {

/// Runs `op` to completion on a fresh io_context in the calling thread; returns its
/// result or rethrows what it threw (see the file comment).
template <typename T>
T sync_wait(asio::awaitable<T> op) {
  asio::io_context io{1};
  std::exception_ptr failure;
  if constexpr (std::is_void_v<T>) {
    asio::co_spawn(io, std::move(op), [&failure](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
  } else {
    std::optional<T> result;
    asio::co_spawn(io, std::move(op), [&failure, &result](std::exception_ptr e, T value) {
      failure = e;
      if (!e) result.emplace(std::move(value));
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
  }
}

}  // namespace coronet
