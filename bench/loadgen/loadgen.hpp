// coronet-loadgen's shared pieces: the run's configuration and counters (loadgen.cpp
// drives the run and reports; loadgen_traffic.cpp is what each connection sends and
// checks; loadgen_tls.cpp the client side of TLS; loadgen_chat.cpp the chat mode).
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <optional>
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
  std::vector<std::string> targets;  // HOST:PORT each; connections round-robin over them
  std::size_t connections = 1;
  std::size_t size = 64;
  std::size_t pipeline = 1;
  std::size_t threads = 1;
  double duration = 5;
  bool json = false;
  // TLS, spelt as the example clients' flags (examples/common/tls.hpp): --tls verifies
  // against the system's CAs, --tls-ca FILE against that file, --tls-insecure not at all.
  bool tls = false;
  std::string tls_ca;
  bool tls_insecure = false;
  bool use_tls() const { return tls || !tls_ca.empty() || tls_insecure; }
  // The chat mode (loadgen_chat.cpp).
  std::size_t receivers = 100;
  std::size_t senders = 1;
  std::size_t window = 0;  // 0: as many as fit in half of max_queue
  std::size_t max_queue =
      std::size_t{256} * 1024;   // the server's per-receiver limit (chat_server's default)
  std::vector<int> server_pids;  // processes whose CPU time each phase reports
};

// The servers to connect to: --targets, or --host and --port.
std::vector<tcp::endpoint> endpoints_of(const config& cfg);

// The p-quantile (0 to 1) of `v`, reordering it.
double percentile(std::vector<float>& v, double p);

// The chat mode's run and report; the exit status (loadgen_chat.cpp).
int run_chat(const config& cfg);
// The window the chat mode uses: --window, or what fits in half of --max-queue.
std::size_t chat_window(const config& cfg);

// The client side of TLS: asio::ssl over the loadgen's own TCP socket, so that the
// client shares no code with the server under test.
using tls_stream = asio::ssl::stream<tcp::socket>;

// The shared client context for the configured verification (loadgen_tls.cpp).
std::shared_ptr<asio::ssl::context> make_tls_context(const config& cfg);

// The version and cipher a completed handshake agreed on.
std::string agreed(tls_stream& s);

// One connection: plain TCP or TLS over TCP. The handshake mode makes a new one for each
// cycle; the watchdog closes whichever is open.
struct stream_slot {
  std::optional<tcp::socket> plain;
  std::optional<tls_stream> tls;

  // A fresh, unconnected link on `io`: TLS when `ssl` is set (host: SNI and name check).
  void reset(asio::io_context& io, asio::ssl::context* ssl, const config& cfg);
  tcp::socket& lowest() { return tls ? tls->next_layer() : *plain; }
  void close() {
    std::error_code ignored;
    if (tls || plain) lowest().close(ignored);
  }
};

// What one connection measured. Written only by its own thread; read after join.
struct conn_stats {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t mismatches = 0;
  std::vector<float> latency_us;
  std::string error;
  std::string tls_agreed;  // "TLSv1.3 TLS_AES_256_GCM_SHA384": what the server chose
};

// Shared by all threads: the clock and the live counters for the progress line.
struct run_state {
  config cfg;
  std::vector<tcp::endpoint> endpoints;
  asio::ssl::context* ssl = nullptr;  // null: plain TCP
  clock_type::time_point deadline;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> bytes{0};
};

// One thread's connections and its watchdog.
struct worker {
  asio::io_context io{1};
  std::deque<stream_slot> links;
  std::size_t running = 0;
  asio::steady_timer watchdog{io};
};

// The pingpong block of `size` bytes (see loadgen.cpp's top comment).
std::string make_block(std::size_t size);

// Counts one reply completed at `now` for a request sent at `since`, if inside the window.
void record(run_state& st, conn_stats& out, clock_type::time_point now,
            clock_type::time_point since, std::uint64_t bytes);

// The ws mode's traffic over one connection (loadgen_ws.cpp): upgrade, then ping-pong.
template <typename Stream>
asio::awaitable<void> websocket_pingpong(Stream* sock, run_state* st, std::uint64_t index,
                                         conn_stats* out);

// Runs one connection's traffic for the configured mode until the deadline.
asio::awaitable<void> run_connection(stream_slot* conn, run_state* st, worker* w,
                                     std::uint64_t index, conn_stats* out);

}  // namespace loadgen
