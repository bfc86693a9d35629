// coronet-loadgen's shared pieces: the run's configuration and counters (loadgen.cpp
// drives the run and reports; loadgen_traffic.cpp is what each connection sends and
// checks).
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace loadgen {

using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using asio::experimental::as_tuple;

struct config {
  std::string mode = "pingpong";
  std::string framing = "line";
  std::string host = "127.0.0.1";
  std::uint16_t port = 7000;
  std::size_t connections = 1;
  std::size_t size = 64;
  std::size_t pipeline = 1;
  std::size_t threads = 1;
  double duration = 5;
  bool json = false;
};

// What one connection measured. Written only by its own thread; read after join.
struct conn_stats {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t mismatches = 0;
  std::vector<float> latency_us;
  std::string error;
};

// Shared by all threads: the clock and the live counters for the progress line.
struct run_state {
  config cfg;
  clock_type::time_point deadline;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> bytes{0};
};

// One thread's connections and its watchdog.
struct worker {
  asio::io_context io{1};
  std::deque<tcp::socket> sockets;
  std::size_t running = 0;
  asio::steady_timer watchdog{io};
};

// The pingpong block of `size` bytes (see loadgen.cpp's top comment).
std::string make_block(std::size_t size);

// Runs one connection's traffic for the configured mode until the deadline.
asio::awaitable<void> run_connection(tcp::socket* sock, run_state* st, worker* w,
                                     std::uint64_t index, conn_stats* out);

}  // namespace loadgen
