// Shared helpers for coronet's tests: a server on loopback for the length of a test, a
// client coroutine run under a watchdog, and reads that collect what a peer sent.
#pragma once

#include <coronet/coronet.hpp>

#include <doctest/doctest.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace coronet::test {

using namespace std::chrono_literals;

// A coronet::server on 127.0.0.1 and a port the OS picks, serving `handler` from
// construction on; stopped gracefully and waited for on destruction. Whatever the
// handler refers to must be declared before it (and so outlive it). `options` may set
// anything but the address:
//
//   running_server s{echo_handler, {.limits = {.idle_timeout = 200ms}}};
//   run(client(s.port()));
class running_server {
 public:
  explicit running_server(coronet::server::handler_type handler, server_options options = {})
      : srv_(loopback(std::move(options))) {
    srv_.start(std::move(handler));
  }
  ~running_server() { stop_and_wait(); }
  running_server(const running_server&) = delete;
  running_server& operator=(const running_server&) = delete;

  std::uint16_t port() const { return srv_.local_endpoint().port(); }
  coronet::server& server() noexcept { return srv_; }
  const coronet::server& server() const noexcept { return srv_; }

  // For checks of what the handlers left behind (counts, probes) before the end of the
  // test; the destructor's own stop() and wait() are then no-ops.
  void stop_and_wait() {
    srv_.stop();
    srv_.wait();
  }

 private:
  static server_options loopback(server_options o) {
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }

  coronet::server srv_;
};

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

// Soft descriptor limit up to the hard one; children started afterwards inherit it.
inline void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
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

// Connects, writes `message` and checks that it comes back (against echo_handler).
inline asio::awaitable<void> echo_once(std::uint16_t port, std::string message) {
  auto conn = co_await connect("127.0.0.1", port);
  co_await conn.write(asio::buffer(message));
  auto reply = co_await read_exactly(conn, message.size());
  CHECK(reply == message);
}

}  // namespace coronet::test
