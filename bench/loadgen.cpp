// coronet-loadgen: drives a TCP server on loopback and reports what it sustained.
//
//   coronet-loadgen --mode pingpong --port 7000 --connections 100 --size 64 --duration 5
//   coronet-loadgen --mode request --framing line --pipeline 16 --port 7000 --json
//   coronet-loadgen --mode idle --connections 10000 --port 7000 --duration 30
//
// Modes:
//   pingpong  each connection sends one --size block, then sends back whatever it
//             receives (the ping-pong test of Asio and muduo): one block per connection
//             is always in flight. A message is one --size block returned. The block is
//             valid under raw, line and 4-byte length-prefixed framing at once (a
//             big-endian length header, filler, a final '\n'), so every echo server,
//             whatever its framing, sees the very same bytes.
//   request   each connection sends --pipeline requests of --size payload bytes
//             (framed as line, length or json), waits for all replies, checks each one
//             against its request, and repeats. Latency is per request, from the send
//             of its batch to its reply.
//   idle      opens --connections connections, prints "idle: N open" and holds them
//             for --duration seconds sending nothing (for memory per connection).
//
// Every load is bounded: it ends after --duration seconds, and connections that are
// still stuck 2 s later are closed. Only 127.0.0.1 is used unless --host says otherwise.
// A progress line is printed each second when stdout is a terminal; --json prints the
// final report as one JSON object instead of text. Exit status 1 on any mismatch or
// connection error.
#include "common/command_line.hpp"

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

namespace {

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

// The pingpong block: a 4-byte big-endian length of the rest, filler, and a final '\n'.
// Raw echo servers return it as is, a line server sees one line, a length-prefixed
// server one frame. Sizes whose header would contain a '\n' byte are refused.
std::string make_block(std::size_t size) {
  std::string b(size, 'x');
  for (std::size_t i = 4; i < size; ++i)
    b[i] = static_cast<char>('a' + i % 26);
  const auto body = static_cast<std::uint32_t>(size - 4);
  for (int i = 0; i < 4; ++i)
    b[static_cast<std::size_t>(i)] = static_cast<char>(body >> (24 - 8 * i));
  b.back() = '\n';
  return b;
}

// A request payload that differs per sequence number, so that a reply to the wrong
// request cannot pass verification. Never holds '\n'.
void make_payload(std::size_t size, std::uint64_t seq, std::string& out) {
  out.assign(size, 'a');
  char digits[24];
  const int len =
      std::snprintf(digits, sizeof digits, "%llu:", static_cast<unsigned long long>(seq));
  for (std::size_t i = 0; i < size; ++i)
    out[i] =
        i < static_cast<std::size_t>(len) ? digits[i] : static_cast<char>('a' + (seq + i) % 26);
}

void record(run_state& st, conn_stats& out, clock_type::time_point now,
            clock_type::time_point since, std::uint64_t bytes) {
  if (now > st.deadline) return;  // only what completed inside the measured window counts
  ++out.messages;
  out.bytes += bytes;
  out.latency_us.push_back(std::chrono::duration<float, std::micro>(now - since).count());
  st.messages.fetch_add(1, std::memory_order_relaxed);
  st.bytes.fetch_add(bytes, std::memory_order_relaxed);
}

asio::awaitable<void> pingpong(tcp::socket* sock, run_state* st, conn_stats* out) {
  const std::size_t size = st->cfg.size;
  const std::string block = make_block(size);
  std::vector<char> buf(std::max<std::size_t>(size, 16 * 1024));
  auto [wec, wn] =
      co_await asio::async_write(*sock, asio::buffer(block), as_tuple(asio::use_awaitable));
  if (wec) throw std::system_error(wec, "write");
  std::uint64_t received = 0;
  auto last = clock_type::now();
  while (!st->stop.load(std::memory_order_relaxed)) {
    auto [ec, n] = co_await sock->async_read_some(asio::buffer(buf), as_tuple(asio::use_awaitable));
    if (ec) {
      if (st->stop.load()) break;
      throw std::system_error(ec, "read");
    }
    // Verify: what comes back is the block, continuing where the last read stopped.
    std::size_t at = received % size;
    for (std::size_t done = 0; done < n;) {
      const std::size_t chunk = std::min(n - done, size - at);
      if (std::memcmp(buf.data() + done, block.data() + at, chunk) != 0) ++out->mismatches;
      done += chunk;
      at = 0;
    }
    // One block is in flight per connection, so a block boundary is crossed once per
    // round trip: the time between two crossings is the round-trip latency.
    const auto before = received / size;
    received += n;
    if (received / size != before) {
      const auto now = clock_type::now();
      record(*st, *out, now, last, size);
      last = now;
    }
    auto [ec2, n2] = co_await asio::async_write(*sock, asio::buffer(buf.data(), n),
                                                as_tuple(asio::use_awaitable));
    if (ec2) {
      if (st->stop.load()) break;
      throw std::system_error(ec2, "write");
    }
  }
}

// Reads bytes into `in` until one reply frame is complete; returns it (a view into `in`,
// valid until the next call) and remembers how much to consume next time.
struct reply_reader {
  std::vector<char> in = std::vector<char>(64 * 1024);
  std::size_t begin = 0, end = 0, consume = 0;

  // Frame length and header size of the reply at `begin`, or 0 when incomplete.
  bool parse(const std::string& framing, std::string_view& frame) {
    const char* p = in.data() + begin;
    const std::size_t avail = end - begin;
    if (framing == "length") {
      if (avail < 4) return false;
      const std::size_t len = (std::size_t{static_cast<unsigned char>(p[0])} << 24) |
                              (std::size_t{static_cast<unsigned char>(p[1])} << 16) |
                              (std::size_t{static_cast<unsigned char>(p[2])} << 8) |
                              std::size_t{static_cast<unsigned char>(p[3])};
      if (len + 4 > in.size()) in.resize(len + 4);
      if (avail < len + 4) return false;
      frame = {p + 4, len};
      consume = len + 4;
      return true;
    }
    const void* nl = std::memchr(p, '\n', avail);
    if (nl == nullptr) {
      if (avail == in.size()) in.resize(in.size() * 2);
      return false;
    }
    const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - p);
    frame = {p, len};
    consume = len + 1;
    return true;
  }

  asio::awaitable<std::string_view> next(tcp::socket* sock, const std::string& framing) {
    begin += consume;
    consume = 0;
    if (begin == end) begin = end = 0;
    for (;;) {
      std::string_view frame;
      if (parse(framing, frame)) co_return frame;
      if (begin > 0) {  // make room at the back
        std::memmove(in.data(), in.data() + begin, end - begin);
        end -= begin;
        begin = 0;
        continue;  // parse() may have resized; retry with the moved bytes
      }
      auto [ec, n] = co_await sock->async_read_some(asio::buffer(in.data() + end, in.size() - end),
                                                    as_tuple(asio::use_awaitable));
      if (ec) throw std::system_error(ec, "read");
      end += n;
    }
  }
};

void encode_request(const std::string& framing, const std::string& payload, std::string& out) {
  if (framing == "length") {
    const auto n = static_cast<std::uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<char>(n >> (24 - 8 * i)));
    out += payload;
  } else {
    out += payload;
    out.push_back('\n');
  }
}

asio::awaitable<void> requester(tcp::socket* sock, run_state* st, std::uint64_t first_seq,
                                conn_stats* out) {
  const auto& cfg = st->cfg;
  const bool json = cfg.framing == "json";
  std::vector<std::string> expected(cfg.pipeline);
  std::vector<std::uint64_t> ids(cfg.pipeline);
  std::string wire, payload;
  reply_reader reader;
  std::uint64_t seq = first_seq;
  while (!st->stop.load(std::memory_order_relaxed)) {
    wire.clear();
    for (std::size_t i = 0; i < cfg.pipeline; ++i) {
      ids[i] = seq;
      make_payload(cfg.size, seq++, payload);
      if (json) {
        // A chat-like message, as the JSON examples exchange.
        nlohmann::json msg = {
            {"id", ids[i]}, {"type", "say"}, {"room", "bench"}, {"text", payload}};
        expected[i] = msg.dump();
        encode_request("line", expected[i], wire);
      } else {
        expected[i] = payload;
        encode_request(cfg.framing, payload, wire);
      }
    }
    const auto sent = clock_type::now();
    auto [ec, n] =
        co_await asio::async_write(*sock, asio::buffer(wire), as_tuple(asio::use_awaitable));
    if (ec) throw std::system_error(ec, "write");
    for (std::size_t i = 0; i < cfg.pipeline; ++i) {
      auto frame = co_await reader.next(sock, cfg.framing);
      bool ok = frame == expected[i];
      if (!ok && json) {  // a server may reformat JSON: then the id must still match
        auto reply = nlohmann::json::parse(frame, nullptr, false);
        ok = !reply.is_discarded() && reply.is_object() &&
             reply.value("id", ~std::uint64_t{0}) == ids[i];
      }
      if (!ok) ++out->mismatches;
      record(*st, *out, clock_type::now(), sent, frame.size());
    }
  }
}

// Runs one connection's load and lets the thread's watchdog go once all are done.
asio::awaitable<void> run_connection(tcp::socket* sock, run_state* st, worker* w,
                                     std::uint64_t index, conn_stats* out) {
  try {
    if (st->cfg.mode == "pingpong")
      co_await pingpong(sock, st, out);
    else
      co_await requester(sock, st, index << 40, out);
  } catch (const std::exception& e) {
    if (!st->stop.load()) out->error = e.what();
  }
  std::error_code ignored;
  sock->close(ignored);
  if (--w->running == 0) w->watchdog.cancel();
}

// Ends the load at the deadline, and closes what a stuck server still holds 2 s later.
asio::awaitable<void> watch(run_state* st, worker* w) {
  w->watchdog.expires_at(st->deadline);
  auto [ec] = co_await w->watchdog.async_wait(as_tuple(asio::use_awaitable));
  st->stop = true;
  if (ec || w->running == 0) co_return;
  w->watchdog.expires_after(std::chrono::seconds(2));
  auto [ec2] = co_await w->watchdog.async_wait(as_tuple(asio::use_awaitable));
  if (ec2) co_return;
  for (auto& s : w->sockets) {
    std::error_code ignored;
    s.close(ignored);
  }
}

double percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Connects every socket before the clock starts: connection setup is not the load.
void connect_all(const config& cfg, std::vector<std::unique_ptr<worker>>& workers) {
  const tcp::endpoint ep{asio::ip::make_address(cfg.host), cfg.port};
  for (std::size_t c = 0; c < cfg.connections; ++c) {
    auto& w = *workers[c % workers.size()];
    auto& s = w.sockets.emplace_back(w.io);
    s.connect(ep);
    s.set_option(tcp::no_delay(true));
  }
}

int run_idle(const config& cfg) {
  std::vector<std::unique_ptr<worker>> workers;
  workers.push_back(std::make_unique<worker>());
  connect_all(cfg, workers);
  std::cout << "idle: " << cfg.connections << " open" << std::endl;
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.duration));
  return 0;
}

int run_load(const config& cfg) {
  std::vector<std::unique_ptr<worker>> workers;
  for (std::size_t i = 0; i < cfg.threads; ++i)
    workers.push_back(std::make_unique<worker>());
  connect_all(cfg, workers);

  run_state st;
  st.cfg = cfg;
  std::vector<conn_stats> stats(cfg.connections);
  for (auto& s : stats)
    s.latency_us.reserve(1 << 16);
  const auto start = clock_type::now();
  st.deadline = start + std::chrono::duration_cast<clock_type::duration>(
                            std::chrono::duration<double>(cfg.duration));
  for (std::size_t c = 0; c < cfg.connections; ++c) {
    auto& w = *workers[c % workers.size()];
    auto* sock = &w.sockets[c / workers.size()];
    ++w.running;
    asio::co_spawn(w.io, run_connection(sock, &st, &w, c, &stats[c]), asio::detached);
  }
  for (auto& w : workers)
    asio::co_spawn(w->io, watch(&st, w.get()), asio::detached);

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers.size(); ++i)
    threads.emplace_back([&w = *workers[i]] { w.io.run(); });
  std::thread progress;
  std::atomic<bool> done{false};
  if (!cfg.json && ::isatty(STDOUT_FILENO)) {
    progress = std::thread([&] {
      std::uint64_t last_m = 0, last_b = 0;
      for (int sec = 1; !done.load(); ++sec) {
        for (int i = 0; i < 10 && !done.load(); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (done.load()) break;
        const auto m = st.messages.load(), b = st.bytes.load();
        std::printf("\r%3ds  %10llu msg/s  %9.1f MiB/s  %zu conn  ", sec,
                    static_cast<unsigned long long>(m - last_m),
                    static_cast<double>(b - last_b) / (1024.0 * 1024.0), cfg.connections);
        std::fflush(stdout);
        last_m = m;
        last_b = b;
      }
    });
  }
  workers[0]->io.run();
  for (auto& t : threads)
    t.join();
  done = true;
  if (progress.joinable()) {
    progress.join();
    std::printf("\n");
  }

  std::vector<float> all;
  std::uint64_t messages = 0, bytes = 0, mismatches = 0, errors = 0;
  for (auto& s : stats) {
    all.insert(all.end(), s.latency_us.begin(), s.latency_us.end());
    messages += s.messages;
    bytes += s.bytes;
    mismatches += s.mismatches;
    if (!s.error.empty()) {
      if (errors++ == 0) std::cerr << "coronet-loadgen: connection failed: " << s.error << "\n";
    }
  }
  const double secs = cfg.duration;
  const double rate = static_cast<double>(messages) / secs;
  const double mib = static_cast<double>(bytes) / secs / (1024.0 * 1024.0);
  const double p50 = percentile(all, 0.50), p99 = percentile(all, 0.99),
               p999 = percentile(all, 0.999);
  if (cfg.json) {
    nlohmann::json report = {{"mode", cfg.mode},
                             {"framing", cfg.framing},
                             {"connections", cfg.connections},
                             {"size", cfg.size},
                             {"pipeline", cfg.pipeline},
                             {"duration_s", secs},
                             {"messages", messages},
                             {"messages_per_s", rate},
                             {"mib_per_s", mib},
                             {"p50_us", p50},
                             {"p99_us", p99},
                             {"p999_us", p999},
                             {"mismatches", mismatches},
                             {"errors", errors}};
    std::cout << report.dump() << std::endl;
  } else {
    std::printf("%s%s: %zu conn x %zu B, pipeline %zu, %.1f s\n", cfg.mode.c_str(),
                cfg.mode == "pingpong" ? "" : (" " + cfg.framing).c_str(), cfg.connections,
                cfg.size, cfg.pipeline, secs);
    std::printf("messages: %llu  (%.0f msg/s, %.1f MiB/s)\n",
                static_cast<unsigned long long>(messages), rate, mib);
    std::printf("latency: p50 %.1f us, p99 %.1f us, p999 %.1f us\n", p50, p99, p999);
    std::printf("mismatches: %llu, connection errors: %llu\n",
                static_cast<unsigned long long>(mismatches),
                static_cast<unsigned long long>(errors));
  }
  return (mismatches == 0 && errors == 0) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Drives a TCP server on loopback and reports its throughput.", "coronet-loadgen"};
  examples::standard_options(app);
  config cfg;
  app.add_option("--mode", cfg.mode, "pingpong, request or idle")
      ->type_name("MODE")
      ->check(CLI::IsMember({"pingpong", "request", "idle"}));
  examples::add_host(app, cfg.host, "server address");
  examples::add_port(app, cfg.port, examples::connecting);
  app.add_option("--connections", cfg.connections, "concurrent connections")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  app.add_option("--size", cfg.size, "pingpong: block bytes on the wire; request: payload bytes")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64 * 1024 * 1024}));
  app.add_option("--duration", cfg.duration,
                 "seconds of load (idle: seconds to hold the connections)")
      ->type_name("SECONDS")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            double seconds = 0;
            if (!CLI::detail::lexical_cast(text, seconds) || !(seconds > 0 && seconds <= 3600))
              return "Value " + text + " is not a number of seconds in (0, 3600]";
            return {};
          },
          "(0, 3600]"));
  app.add_option("--pipeline", cfg.pipeline,
                 "request: requests sent before waiting for their replies")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  examples::add_framing(app, cfg.framing, {"line", "length", "json"},
                        "request: line, length or json");
  examples::add_threads(app, cfg.threads, 64, "client threads, one io_context each");
  app.add_flag("--json", cfg.json, "print the final report as one JSON object");
  examples::parse(app, argc, argv);
  if (cfg.mode == "pingpong") {
    if (cfg.size < 5)
      examples::usage_error(app, "pingpong: --size must be at least 5 (header, body, newline)");
    const auto block = make_block(cfg.size);
    if (std::memchr(block.data(), '\n', 4) != nullptr)
      examples::usage_error(
          app, "pingpong: this --size puts a newline byte in the length header; pick another");
  }
  try {
    return cfg.mode == "idle" ? run_idle(cfg) : run_load(cfg);
  } catch (const std::exception& e) {
    std::cerr << "coronet-loadgen: " << e.what() << "\n";
    return 1;
  }
}
