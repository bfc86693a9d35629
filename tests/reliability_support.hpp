// The reliability tests' shared pieces: a framed echo handler that records how each
// connection ended, and a well-behaved client that keeps measuring its round trips while
// hostile peers, floods or disconnects hit the same server.
#pragma once

#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <string>

namespace coronet::test::reliability_support {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct end_probe {
  std::atomic<int> frame_too_large{0};
  std::atomic<int> timed_out{0};
  std::atomic<int> other_error{0};
  std::atomic<int> clean{0};
};

inline void classify(end_probe* p, const std::error_code& ec) {
  if (ec == errc::frame_too_large)
    ++p->frame_too_large;
  else if (ec == errc::timed_out)
    ++p->timed_out;
  else
    ++p->other_error;
}

template <typename Codec>
asio::awaitable<void> framed_echo(connection conn, Codec codec, framed_options fo, end_probe* p) {
  framed<Codec, connection> f{std::move(conn), std::move(codec), fo};
  try {
    while (auto frame = co_await f.read())
      f.write(*frame);
    ++p->clean;
  } catch (const std::system_error& e) {
    classify(p, e.code());
  }
}

struct latency {
  std::size_t replies = 0;
  clock_type::duration worst{};
};

// A well-behaved client: `count` request/reply round trips, `gap` apart, each verified.
inline asio::awaitable<void> steady_client(std::uint16_t port, std::string request,
                                           std::string reply, int count, clock_type::duration gap,
                                           latency* out) {
  auto conn = co_await connect("127.0.0.1", port);
  for (int i = 0; i < count; ++i) {
    const auto t0 = clock_type::now();
    co_await conn.write(asio::buffer(request));
    auto got = co_await read_exactly(conn, reply.size());
    REQUIRE(got == reply);
    ++out->replies;
    out->worst = std::max(out->worst, clock_type::now() - t0);
    co_await sleep_for(gap);
  }
}

// While `hostile` runs, `good` keeps being served: no stall beyond a generous bound (the
// machine is shared; a stall from a blocked loop would be seconds).
inline void check_no_stall(const latency& l, int expected) {
  CHECK(l.replies == static_cast<std::size_t>(expected));
  CHECK(l.worst < 1s);
  MESSAGE("worst round trip of the well-behaved client: "
          << std::chrono::duration_cast<std::chrono::microseconds>(l.worst).count() << " us");
}

// Line `i` of a numbered stream, `size` bytes: "i:" then one letter repeated.
inline std::string numbered_line(std::size_t i, std::size_t size) {
  std::string s = std::to_string(i) + ":";
  s.resize(size, static_cast<char>('a' + i % 26));
  return s;
}

}  // namespace coronet::test::reliability_support
