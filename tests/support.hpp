// Shared helpers for coronet's tests: run a client coroutine under a watchdog.
#pragma once

#include <coronet/coronet.hpp>

#include <doctest/doctest.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

namespace coronet::test {

using namespace std::chrono_literals;

// Runs `op` on a fresh io_context in this thread. Fails the test (never hangs) if it
// has not finished after `limit`; rethrows what it threw.
template <typename Awaitable>
void run(Awaitable op, std::chrono::steady_clock::duration limit = 20s) {
  asio::io_context io;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.run_for(limit);
  REQUIRE_MESSAGE(done, "test coroutine did not finish within its time limit");
  if (error) std::rethrow_exception(error);
}

inline asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  asio::steady_timer t{co_await asio::this_coro::executor, d};
  co_await t.async_wait(asio::use_awaitable);
}

// Reads until `n` bytes arrived or EOF; returns what was read.
inline asio::awaitable<std::string> read_exactly(connection& conn, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    auto k = co_await conn.read_some(asio::buffer(out.data() + got, n - got));
    if (k == 0) break;
    got += k;
  }
  out.resize(got);
  co_return out;
}

// Reads until EOF; returns everything.
inline asio::awaitable<std::string> read_to_eof(connection& conn) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto k = co_await conn.read_some(asio::buffer(buf));
    if (k == 0) co_return out;
    out.append(buf, k);
  }
}

inline asio::awaitable<void> echo_handler(connection conn) {
  char buf[4096];
  for (;;) {
    auto n = co_await conn.read_some(asio::buffer(buf));
    if (n == 0) co_return;
    co_await conn.write(asio::buffer(buf, n));
  }
}

}  // namespace coronet::test
