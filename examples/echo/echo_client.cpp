// echo_client: talks to echo_server.
//
//   echo_client                                   # interactive: lines from stdin, echoes printed
//   echo_client --count 100000 --size 64 --connections 10   # load: verify and time every echo
//
// In load mode each connection sends one message, waits for its echo, checks it byte
// for byte, and repeats; the messages are spread evenly over the connections. It prints
// p50/p99 round-trip latency and messages per second, and exits 1 on any mismatch.
// --tls (with --tls-ca FILE or --tls-insecure) talks to a server run with --tls-cert.
#include "../common/command_line.hpp"
#include "../common/fatal.hpp"
#include "../common/tls.hpp"

#include <coronet/coronet.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

namespace {

// How every connection is opened: TLS or not (set once in main, before any connection).
coronet::connect_options connect_how;

using clock_type = std::chrono::steady_clock;

struct load_result {
  std::vector<double> latencies_us;
  std::size_t mismatches = 0;
  std::string error;
};

// One message of `size` bytes framed for `framing`; the payload varies per message so a
// reply from the wrong request cannot pass verification.
std::string make_payload(std::size_t size, std::size_t seq) {
  std::string p(size, 'a');
  for (std::size_t i = 0; i < size; ++i)
    p[i] = static_cast<char>('a' + (seq + i) % 26);
  return p;
}

template <typename Codec>
asio::awaitable<void> load_framed(std::string host, std::uint16_t port, std::size_t count,
                                  std::size_t size, std::size_t first_seq, load_result* out) {
  coronet::framed<Codec, coronet::connection> f{co_await coronet::connect(host, port, connect_how)};
  for (std::size_t i = 0; i < count; ++i) {
    const auto payload = make_payload(size, first_seq + i);
    const auto start = clock_type::now();
    f.write(std::string_view{payload});
    auto reply = co_await f.read();  // flushes the request first
    out->latencies_us.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
    if (!reply) throw std::runtime_error("server closed the connection");
    if (*reply != payload) ++out->mismatches;
  }
}

asio::awaitable<void> load_raw(std::string host, std::uint16_t port, std::size_t count,
                               std::size_t size, std::size_t first_seq, load_result* out) {
  auto conn = co_await coronet::connect(host, port, connect_how);
  std::string reply(size, '\0');
  for (std::size_t i = 0; i < count; ++i) {
    const auto payload = make_payload(size, first_seq + i);
    const auto start = clock_type::now();
    co_await conn.write(asio::buffer(payload));
    std::size_t got = 0;
    while (got < size) {
      auto n = co_await conn.read_some(asio::buffer(reply.data() + got, size - got));
      if (n == 0) throw std::runtime_error("server closed the connection");
      got += n;
    }
    out->latencies_us.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
    if (reply != payload) ++out->mismatches;
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

int run_load(const std::string& host, std::uint16_t port, const std::string& framing,
             std::size_t count, std::size_t size, std::size_t connections) {
  asio::io_context io{1};
  std::vector<load_result> results(connections);
  const auto start = clock_type::now();
  for (std::size_t c = 0; c < connections; ++c) {
    const std::size_t share = count / connections + (c < count % connections ? 1 : 0);
    const std::size_t first = c * (count / connections + 1);
    auto* out = &results[c];
    asio::awaitable<void> task =
        framing == "raw" ? load_raw(host, port, share, size, first, out)
        : framing == "line"
            ? load_framed<coronet::line_codec>(host, port, share, size, first, out)
            : load_framed<coronet::length_prefixed_codec>(host, port, share, size, first, out);
    asio::co_spawn(io, std::move(task), [out](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        out->error = ex.what();
      }
    });
  }
  io.run();
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();

  std::vector<double> all;
  std::size_t mismatches = 0;
  int failed = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    mismatches += r.mismatches;
    if (!r.error.empty()) {
      examples::report_error("echo_client", "connection failed: ", r.error);
      ++failed;
    }
  }
  std::cout << "messages: " << all.size() << " of " << count << ", size " << size << " B, "
            << connections << " connection(s), framing " << framing << "\n"
            << "verified: " << (all.size() - mismatches) << ", mismatches: " << mismatches << "\n"
            << "rate: " << static_cast<long long>(static_cast<double>(all.size()) / secs)
            << " msg/s over " << secs << " s\n"
            << "latency: p50 " << percentile(all, 0.50) << " us, p99 " << percentile(all, 0.99)
            << " us\n";
  return (mismatches == 0 && failed == 0 && all.size() == count) ? 0 : 1;
}

// Interactive: one line from stdin, its echo printed, and so on. Reading stdin blocks
// the (only) thread between echoes, which is all a line-at-a-time tool needs, and works
// for terminals, pipes and files alike.
asio::awaitable<void> interactive(std::string host, std::uint16_t port) {
  coronet::framed<coronet::line_codec, coronet::connection> f{
      co_await coronet::connect(host, port, connect_how)};
  std::string line;
  while (std::getline(std::cin, line)) {
    f.write(std::string_view{line});
    auto echo = co_await f.read();
    if (!echo) {
      examples::report_error("echo_client", "server closed the connection");
      co_return;
    }
    std::cout << *echo << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sends lines to echo_server, or measures it under load.", "echo_client"};
  examples::standard_options(app);
  std::string host = "127.0.0.1";
  std::uint16_t port = 7000;
  std::string framing = "line";
  std::size_t count = 0;
  std::size_t size = 64;
  std::size_t connections = 1;
  examples::add_host(app, host, "server address");
  examples::add_port(app, port, examples::connecting);
  examples::add_framing(app, framing, {"raw", "line", "length"},
                        "raw, line or length (must match the server)");
  app.add_option("--count", count, "load mode: total messages to send (0: interactive)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000'000}));
  app.add_option("--size", size, "load mode: bytes per message")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16 * 1024 * 1024}));
  app.add_option("--connections", connections, "load mode: concurrent connections")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  examples::tls_client_flags tls;
  tls.add(app);
  examples::parse(app, argc, argv);
  try {
    connect_how.tls = tls.context();
    if (count > 0) return run_load(host, port, framing, count, size, connections);
    coronet::sync_wait(interactive(host, port));
  } catch (const std::exception& e) {
    return examples::fatal("echo_client", e.what());
  }
  return 0;
}
