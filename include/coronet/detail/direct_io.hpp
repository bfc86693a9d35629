// read_now_policy: when a read should first try the socket directly (one non-blocking
// recv, no asynchronous operation) before it falls back to Asio's asynchronous read.
//
// Why: an asynchronous read that finds data at once still costs a trip through the
// event loop: Asio allocates the operation, tries the recv, posts the completion, and
// the loop pops it and resumes the coroutine. Under load (many busy connections) the
// read after a reply almost always finds the peer's next message, so that trip is
// pure overhead: about a fifth of the server's user-space time per message at
// 64 B x 100 connections (docs/benchmarks.md, "Reading without the event loop").
//
// Two rules keep it from costing anything elsewhere:
// - A miss (nothing to read yet) costs a recv that fails with EAGAIN, on top of the
//   one Asio's asynchronous read then makes. So after a miss the next reads skip the
//   direct try, 1, 2, 4 ... up to 64 of them while misses continue (one connection
//   in ping-pong: the reply's peer has not answered yet); a hit resets the backoff.
// - A direct read never yields to other connections. After 16 direct reads in a row
//   without a write completing (writes always complete through the event loop) the
//   next read goes through the loop, so that a connection that only reads cannot
//   starve the others on its thread.
//
// Used on plain TCP connections only; a TLS session has its own buffering, and the
// io_uring build leaves it off (a direct recv is a system call that io_uring's
// batched submissions avoid).
#pragma once

#include <cstdint>

namespace coronet::detail {

class read_now_policy {
 public:
  static constexpr std::uint8_t max_streak = 16;   // direct reads before one through the loop
  static constexpr std::uint8_t max_backoff = 64;  // reads skipped after repeated misses

  // Whether this read should try the socket directly. Counts the read either way.
  bool should_try() noexcept {
    if (skip_ != 0) {
      --skip_;
      return false;
    }
    if (streak_ >= max_streak) {
      streak_ = 0;  // this read goes through the event loop, which is a yield
      return false;
    }
    return true;
  }

  void hit() noexcept {
    ++streak_;
    backoff_ = 1;
  }

  void miss() noexcept {
    skip_ = backoff_;
    if (backoff_ < max_backoff) backoff_ = static_cast<std::uint8_t>(backoff_ * 2);
  }

  // A write completed through the event loop: the connection has let others run.
  void yielded() noexcept { streak_ = 0; }

 private:
  std::uint8_t streak_ = 0;
  std::uint8_t skip_ = 0;
  std::uint8_t backoff_ = 1;
};

}  // namespace coronet::detail
