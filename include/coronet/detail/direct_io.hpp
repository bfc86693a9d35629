// direct_io_policy: when a connection's read or write should first try the socket
// directly (one non-blocking recv or send, no asynchronous operation) before it falls
// back to Asio's asynchronous operation.
//
// Why: an asynchronous operation that can complete at once still costs a trip through
// the event loop: Asio allocates the operation, makes the call, posts the completion,
// and the loop pops it and resumes the coroutine. Which trips are worth skipping
// depends on the load, and the reads tell which load this is:
//
// - Busy peers (many connections, each with its next message on the way): the read
//   after a reply almost always finds the next message, so the read's trip is pure
//   overhead and is skipped. The write's trip is not: while it goes round the loop the
//   other connections run, and by the time this one reads again its peer has answered.
//   A direct write would make the next read come too early and fail.
// - A slow peer (one connection in ping-pong): reads find nothing yet, so they go
//   through the loop and wait; the write's trip then buys nothing and costs a turn of
//   the loop (an epoll_wait that finds nothing), so the write goes direct.
//
// The rules:
// - A read tries directly unless it is skipping after misses. A miss (nothing there)
//   costs a recv that fails with EAGAIN on top of the one Asio's asynchronous read then
//   makes, so after a miss the next reads skip the direct try: 1, 2, 4 ... up to 64 of
//   them while misses continue; a hit resets the backoff.
// - A write goes direct only while reads are skipping, and never right before the read
//   that will try again, so that this probe sees the timing of a write that went
//   through the loop.
// - A direct read never yields to other connections. After 16 direct reads in a row
//   without a write completing through the loop, the next read goes through it, so a
//   connection that only reads cannot starve the others on its thread.
//
// Used on plain TCP connections only; a TLS session has its own buffering, and the
// io_uring build leaves it off (a direct call is a system call that io_uring's batched
// submissions avoid). Measured in docs/benchmarks.md ("What was changed", item 7, and
// the system-call section's notes).
#pragma once

#include <cstdint>

namespace coronet::detail {

class direct_io_policy {
 public:
  static constexpr std::uint8_t max_streak = 16;   // direct reads before one through the loop
  static constexpr std::uint8_t max_backoff = 64;  // reads skipped after repeated misses

  // Whether this read should try the socket directly. Counts the read either way.
  bool should_read_now() noexcept {
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

  void read_hit() noexcept {
    ++streak_;
    backoff_ = 1;
  }

  void read_miss() noexcept {
    skip_ = backoff_;
    if (backoff_ < max_backoff) backoff_ = static_cast<std::uint8_t>(backoff_ * 2);
  }

  // Whether a write should try the socket directly: only while the next read will not.
  bool should_write_now() const noexcept { return skip_ != 0; }

  // A write completed through the event loop: the connection has let others run.
  void yielded() noexcept { streak_ = 0; }

 private:
  std::uint8_t streak_ = 0;
  std::uint8_t skip_ = 0;
  std::uint8_t backoff_ = 1;
};

}  // namespace coronet::detail
