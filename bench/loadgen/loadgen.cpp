// coronet-loadgen: drives a TCP or TLS server on loopback and reports what it sustained.
//
//   coronet-loadgen --mode pingpong --port 7000 --connections 100 --size 64 --duration 5
//   coronet-loadgen --mode request --framing line --pipeline 16 --port 7000 --json
//   coronet-loadgen --mode idle --connections 10000 --port 7000 --duration 30
//   coronet-loadgen --mode handshake --tls-ca ca.pem --connections 10 --port 7443
//   coronet-loadgen --mode chat --receivers 100 --senders 5 --size 64 --port 7777
//   coronet-loadgen --mode chat --targets 127.0.0.1:7001,127.0.0.1:7002 --receivers 1000
//   coronet-loadgen --mode ws --connections 100 --size 64 --port 7300
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
//   idle      opens --connections connections (with --tls: and completes each
//             handshake), prints "idle: N open" and holds them for --duration seconds
//             sending nothing (for memory per connection).
//   handshake each of --connections clients repeatedly connects, completes the TLS
//             handshake (with --tls; plain TCP without), sends one --size block (the
//             pingpong block), reads its echo, and closes. A message is one such
//             connection; the report gives connections per second. Every handshake is a
//             full one (no session resumption); latency is one whole cycle.
//   chat      --receivers N and --senders M join a chat room (docs/chat.md's JSON
//             protocol) at once, then the senders say --size byte texts as fast as a
//             window of --window messages per sender allows, for --duration seconds;
//             every member checks every delivery (count, per-sender order, content).
//             Reports the join phase apart, deliveries/s and messages sent/s, and with
//             --server-pid the server's CPU per phase. See loadgen_chat.cpp's top comment.
//   ws        WebSocket: each connection upgrades (GET /), then sends a --size byte
//             binary message, masked, and waits for its echo, which it checks; one
//             message per connection is always in flight. See loadgen_ws.cpp.
//
// --targets HOST:PORT,... (instead of --host/--port): connections are spread over these
// servers round-robin (chat: senders and receivers each); TLS checks the first's host.
//
// TLS (any mode), spelt as the example clients' flags: --tls verifies the server against
// the system's CAs, --tls-ca FILE against that CA file, --tls-insecure not at all (for
// testing only); the last two imply --tls. The name checked is --host (an IP address or a
// DNS name, which is also sent as SNI). The client side is asio::ssl over OpenSSL, so it
// shares no code with a coronet server under test.
//
// Every load is bounded: it ends after --duration seconds, and connections that are
// still stuck 2 s later are closed. Only 127.0.0.1 is used unless --host says otherwise.
// A progress line is printed each second when stdout is a terminal; --json prints the
// final report as one JSON object instead of text. Exit status 1 on any mismatch or
// connection error.
#include "loadgen.hpp"

#include "common/command_line.hpp"
#include "common/fatal.hpp"

namespace loadgen {

double percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::vector<tcp::endpoint> endpoints_of(const config& cfg) {
  if (cfg.targets.empty()) return {{asio::ip::make_address(cfg.host), cfg.port}};
  std::vector<tcp::endpoint> eps;
  for (const auto& t : cfg.targets) {
    const auto colon = t.rfind(':');
    std::uint16_t port = 0;
    const char* last = t.data() + t.size();
    if (colon == std::string::npos ||
        std::from_chars(t.data() + colon + 1, last, port).ptr != last || port == 0)
      throw std::runtime_error("--targets: " + t + " is not HOST:PORT");
    auto host = t.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')  // [::1]:7000
      host = host.substr(1, host.size() - 2);
    eps.emplace_back(asio::ip::make_address(host), port);
  }
  return eps;
}

namespace {

// Ends the load at the deadline, and closes what a stuck server still holds 2 s later.
asio::awaitable<void> watch(run_state* st, worker* w) {
  w->watchdog.expires_at(st->deadline);
  auto [ec] = co_await w->watchdog.async_wait(as_tuple(asio::use_awaitable));
  st->stop = true;
  if (ec || w->running == 0) co_return;
  w->watchdog.expires_after(std::chrono::seconds(2));
  auto [ec2] = co_await w->watchdog.async_wait(as_tuple(asio::use_awaitable));
  if (ec2) co_return;
  for (auto& l : w->links)
    l.close();
}

// The client handshake of a connected link, bounded in time like every load: a server
// that never answers (a plain TCP server, say) fails it after 10 s instead of hanging.
void handshake_bounded(asio::io_context& io, tls_stream& s) {
  std::error_code result = asio::error::would_block;
  bool timed_out = false;
  asio::steady_timer timer{io, std::chrono::seconds(10)};
  s.async_handshake(asio::ssl::stream_base::client, [&](std::error_code ec) {
    result = ec;
    timer.cancel();
  });
  timer.async_wait([&](std::error_code ec) {
    if (ec) return;
    timed_out = true;
    std::error_code ignored;
    s.next_layer().close(ignored);
  });
  io.restart();
  io.run();
  io.restart();
  if (timed_out) throw std::runtime_error("TLS handshake: no answer from the server in 10 s");
  if (result) throw std::system_error(result, "TLS handshake");
}

// Connects every socket (and completes every TLS handshake) before the clock starts:
// connection setup is not the load, except in the handshake mode, which connects in its
// loop. `keep_tls`: false for idle connections, which drop the client's TLS state once
// the handshake is done (the server's side is what is measured, and 10 000 client
// sessions with asio::ssl's buffers would cost this process ~0.5 GB).
void connect_all(const config& cfg, asio::ssl::context* ssl,
                 std::vector<std::unique_ptr<worker>>& workers, bool keep_tls = true) {
  const auto eps = endpoints_of(cfg);
  for (std::size_t c = 0; c < cfg.connections; ++c) {
    auto& w = *workers[c % workers.size()];
    auto& l = w.links.emplace_back();
    if (cfg.mode == "handshake") continue;
    l.reset(w.io, ssl, cfg);
    l.lowest().connect(eps[c % eps.size()]);
    l.lowest().set_option(tcp::no_delay(true));
    if (!l.tls) continue;
    handshake_bounded(w.io, *l.tls);
    if (!keep_tls) {
      tcp::socket socket = std::move(l.tls->next_layer());
      l.tls.reset();
      l.plain.emplace(std::move(socket));
    }
  }
}

int run_idle(const config& cfg, asio::ssl::context* ssl) {
  std::vector<std::unique_ptr<worker>> workers;
  workers.push_back(std::make_unique<worker>());
  connect_all(cfg, ssl, workers, /*keep_tls=*/false);
  std::cout << "idle: " << cfg.connections << " open" << std::endl;
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.duration));
  return 0;
}

int run_load(const config& cfg, asio::ssl::context* ssl) {
  std::vector<std::unique_ptr<worker>> workers;
  for (std::size_t i = 0; i < cfg.threads; ++i)
    workers.push_back(std::make_unique<worker>());
  connect_all(cfg, ssl, workers);

  run_state st;
  st.cfg = cfg;
  st.endpoints = endpoints_of(cfg);
  st.ssl = ssl;
  std::vector<conn_stats> stats(cfg.connections);
  for (auto& s : stats)
    s.latency_us.reserve(1 << 16);
  const auto start = clock_type::now();
  st.deadline = start + std::chrono::duration_cast<clock_type::duration>(
                            std::chrono::duration<double>(cfg.duration));
  for (std::size_t c = 0; c < cfg.connections; ++c) {
    auto& w = *workers[c % workers.size()];
    auto* conn = &w.links[c / workers.size()];
    ++w.running;
    asio::co_spawn(w.io, run_connection(conn, &st, &w, c, &stats[c]), asio::detached);
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
  std::string tls_agreed;
  for (auto& s : stats) {
    if (tls_agreed.empty()) tls_agreed = s.tls_agreed;
    all.insert(all.end(), s.latency_us.begin(), s.latency_us.end());
    messages += s.messages;
    bytes += s.bytes;
    mismatches += s.mismatches;
    if (!s.error.empty()) {
      if (errors++ == 0) examples::report_error("coronet-loadgen", "connection failed: ", s.error);
    }
  }
  const double secs = cfg.duration;
  const double rate = static_cast<double>(messages) / secs;
  const double mib = static_cast<double>(bytes) / secs / (1024.0 * 1024.0);
  const double p50 = percentile(all, 0.50), p99 = percentile(all, 0.99),
               p999 = percentile(all, 0.999);
  if (cfg.json) {
    nlohmann::json report = {
        {"mode", cfg.mode},     {"framing", cfg.framing},   {"connections", cfg.connections},
        {"size", cfg.size},     {"pipeline", cfg.pipeline}, {"duration_s", secs},
        {"messages", messages}, {"messages_per_s", rate},   {"mib_per_s", mib},
        {"tls", cfg.use_tls()}, {"tls_agreed", tls_agreed}, {"p50_us", p50},
        {"p99_us", p99},        {"p999_us", p999},          {"mismatches", mismatches},
        {"errors", errors}};
    if (cfg.mode == "handshake") report["connections_per_s"] = rate;
    std::cout << report.dump() << std::endl;
  } else {
    const std::string framing = cfg.mode == "request" ? " " + cfg.framing : "";
    std::printf("%s%s%s: %zu conn x %zu B, pipeline %zu, %.1f s\n", cfg.mode.c_str(),
                framing.c_str(), cfg.use_tls() ? " (TLS)" : "", cfg.connections, cfg.size,
                cfg.pipeline, secs);
    if (cfg.mode == "handshake")
      std::printf("connections: %llu  (%.0f conn/s)\n", static_cast<unsigned long long>(messages),
                  rate);
    else
      std::printf("messages: %llu  (%.0f msg/s, %.1f MiB/s)\n",
                  static_cast<unsigned long long>(messages), rate, mib);
    if (!tls_agreed.empty()) std::printf("TLS: %s\n", tls_agreed.c_str());
    std::printf("latency: p50 %.1f us, p99 %.1f us, p999 %.1f us\n", p50, p99, p999);
    std::printf("mismatches: %llu, connection errors: %llu\n",
                static_cast<unsigned long long>(mismatches),
                static_cast<unsigned long long>(errors));
  }
  return (mismatches == 0 && errors == 0) ? 0 : 1;
}

}  // namespace
}  // namespace loadgen

int main(int argc, char** argv) {
  using namespace loadgen;
  CLI::App app{"Drives a TCP or TLS server on loopback and reports its throughput.",
               "coronet-loadgen"};
  examples::standard_options(app);
  config cfg;
  app.add_option("--mode", cfg.mode, "pingpong, request, idle, handshake, chat or ws")
      ->type_name("MODE")
      ->check(CLI::IsMember({"pingpong", "request", "idle", "handshake", "chat", "ws"}));
  auto* host = examples::add_host(app, cfg.host, "server address");
  auto* port = examples::add_port(app, cfg.port, examples::connecting);
  app.add_option("--targets", cfg.targets,
                 "servers HOST:PORT, comma-separated or repeated, instead of --host and --port; "
                 "connections go round-robin")
      ->type_name("HOST:PORT,...")
      ->delimiter(',')
      ->excludes(host)
      ->excludes(port);
  app.add_option("--receivers", cfg.receivers, "chat: members that only listen")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100'000}));
  app.add_option("--senders", cfg.senders, "chat: members that say texts (and listen)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}));
  app.add_option("--window", cfg.window,
                 "chat: messages per sender not yet received by every member (0: what fits in "
                 "half of --max-queue)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000}));
  app.add_option("--max-queue", cfg.max_queue,
                 "chat: the server's per-receiver limit in bytes (chat_server --max-queue), for "
                 "the default --window")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  app.add_option("--server-pid", cfg.server_pids,
                 "chat: report the CPU time of this process (repeatable) per phase")
      ->type_name("PID")
      ->delimiter(',');
  app.add_option("--connections", cfg.connections, "concurrent connections")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  app.add_option("--size", cfg.size,
                 "pingpong, handshake: block bytes on the wire; request, ws: payload bytes; chat: "
                 "text bytes")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64 * 1024 * 1024}));
  app.add_option("--duration", cfg.duration,
                 "seconds of load (idle: seconds to hold the connections; chat: of the message "
                 "phase)")
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
  // The TLS flags of examples/common/tls.hpp (tls_client_flags), spelt and described the
  // same; replicated because that struct makes coronet's own client context.
  app.add_flag("--tls", cfg.tls, "connect over TLS, verifying the server against the system's CAs");
  auto* tls_ca =
      app.add_option("--tls-ca", cfg.tls_ca, "TLS: trust the CAs in this file (PEM); implies --tls")
          ->type_name("FILE")
          ->check(CLI::ExistingFile);
  app.add_flag("--tls-insecure", cfg.tls_insecure,
               "TLS without verifying the server: for testing only; implies --tls")
      ->excludes(tls_ca);
  examples::parse(app, argc, argv);
  if (cfg.mode == "pingpong" || cfg.mode == "handshake") {
    if (cfg.size < 5)
      examples::usage_error(app, cfg.mode + ": --size must be at least 5 (header, body, newline)");
    const auto block = make_block(cfg.size);
    if (std::memchr(block.data(), '\n', 4) != nullptr)
      examples::usage_error(
          app, cfg.mode + ": this --size puts a newline byte in the length header; pick another");
  }
  if (cfg.mode == "chat") {
    if (cfg.use_tls()) examples::usage_error(app, "chat: no TLS (yet)");
    if (cfg.size < 16 || cfg.size > 2000)
      examples::usage_error(app, "chat: --size must be 16 to 2000 (chat_server's longest text)");
  }
  if (!cfg.targets.empty())
    cfg.host = cfg.targets.front().substr(0, cfg.targets.front().rfind(':'));
  try {
    if (cfg.mode == "chat") return run_chat(cfg);
    std::shared_ptr<asio::ssl::context> ssl;
    if (cfg.use_tls()) ssl = make_tls_context(cfg);
    return cfg.mode == "idle" ? run_idle(cfg, ssl.get()) : run_load(cfg, ssl.get());
  } catch (const std::exception& e) {
    return examples::fatal("coronet-loadgen", e.what());
  }
}
