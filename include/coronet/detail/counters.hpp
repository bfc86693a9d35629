// The counters behind server::stats(): one block per worker thread, written by that
// thread only and read by anyone.
//
// Why atomics with a load and a store instead of fetch_add: there is one writer, so the
// increment needs no read-modify-write; on x86-64 this compiles to a plain add, where
// fetch_add would be a locked instruction on every read and write the server does.
// Readers on other threads still see whole values (no torn reads, no data race).
#pragma once

#include "coronet/core/stats.hpp"

#include <array>
#include <atomic>
#include <cstdint>

// Counting sits inside Asio's completion paths and framed<>'s read coroutine, where the
// compilers otherwise leave these few instructions as calls (bench/profiling/instructions.sh
// measured it).
#if defined(__GNUC__) || defined(__clang__)
#define CORONET_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define CORONET_ALWAYS_INLINE inline
#endif

namespace coronet::detail {

class counter {
 public:
  // Only from the owning thread.
  CORONET_ALWAYS_INLINE void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }
  std::uint64_t load() const noexcept { return value_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// alignas: two workers' blocks never share a cache line.
struct alignas(64) worker_counters {
  counter accepted;
  counter refused;
  std::array<counter, close_cause_count> closed;
  counter bytes_read;
  counter bytes_written;
  counter frames_read;
  counter frames_written;
  std::array<counter, decode_error_count> decode_errors;

  void count_close(close_cause c) noexcept { closed[static_cast<std::size_t>(c)].add(); }
  void count_decode_error(decode_error e) noexcept {
    decode_errors[static_cast<std::size_t>(e)].add();
  }

  worker_stats snapshot() const noexcept {
    worker_stats s;
    // Closes before accepts: each close was counted after its accept, so open() never
    // goes below zero in a snapshot taken while connections come and go.
    for (std::size_t i = 0; i < close_cause_count; ++i)
      s.connections_closed[i] = closed[i].load();
    s.connections_accepted = accepted.load();
    s.connections_refused = refused.load();
    s.bytes_read = bytes_read.load();
    s.bytes_written = bytes_written.load();
    s.frames_read = frames_read.load();
    s.frames_written = frames_written.load();
    for (std::size_t i = 0; i < decode_error_count; ++i)
      s.decode_errors[i] = decode_errors[i].load();
    return s;
  }
};

// Where connections no server owns (clients) and framed<> over other streams count:
// written, never read. Always having a block to count into saves a branch per count.
// One per thread, so client threads never share its cache lines.
inline worker_counters& unowned_counters() noexcept {
  thread_local worker_counters block;
  return block;
}

}  // namespace coronet::detail
