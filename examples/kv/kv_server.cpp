// kv_server: an in-memory key-value server speaking the Redis protocol (RESP2), for
// redis-cli, redis-benchmark and Redis client libraries. See docs/kv.md.
#include "../common/command_line.hpp"
#include "../common/fatal.hpp"
#include "../common/server_flags.hpp"
#include "kv.hpp"

#include <coronet/core/server.hpp>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

namespace {

// INFO's figures from the running server: coronet's counters (server::stats(), summed
// from the workers' own counters when asked), and the instantaneous rates, which a thread
// of their own samples every 100 ms as Redis's cron does. No request pays for any of it.
class live_server_info final : public kv::server_info {
 public:
  explicit live_server_info(const coronet::server& server)
      : server_(server), sampler_([this] { sample_loop(); }) {}
  live_server_info(const live_server_info&) = delete;
  live_server_info& operator=(const live_server_info&) = delete;
  ~live_server_info() override {
    {
      std::lock_guard lock{mutex_};
      stopping_ = true;
    }
    wake_.notify_one();
    sampler_.join();
  }

  kv::server_figures figures() const override {
    auto f = kv::process_figures();
    const auto stats = server_.stats();
    f.tcp_port = server_.local_endpoint().port();
    f.uptime = std::chrono::duration_cast<std::chrono::seconds>(stats.uptime);
    f.connected_clients = server_.connection_count();
    f.maxclients = server_.options().limits.max_connections;
    f.total_connections_received = stats.total.connections_accepted;
    f.rejected_connections = stats.total.connections_refused;
    // Each RESP request is one frame decoded by framed<resp_codec>: every request read,
    // this INFO included (Redis counts its commands once they ran), and so also unknown
    // commands and ones refused for their arity. Blank lines and `*0` are frames too.
    f.total_commands_processed = stats.total.frames_read;
    f.total_net_input_bytes = stats.total.bytes_read;
    f.total_net_output_bytes = stats.total.bytes_written;
    std::lock_guard lock{mutex_};
    f.instantaneous_ops_per_sec = ops_.per_second();
    f.instantaneous_input_bytes_per_sec = input_.per_second();
    f.instantaneous_output_bytes_per_sec = output_.per_second();
    return f;
  }

 private:
  void sample_loop() {
    std::unique_lock lock{mutex_};
    while (!stopping_) {
      lock.unlock();
      const auto stats = server_.stats();
      const auto now = std::chrono::steady_clock::now();
      lock.lock();
      ops_.sample(stats.total.frames_read, now);
      input_.sample(stats.total.bytes_read, now);
      output_.sample(stats.total.bytes_written, now);
      wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
    }
  }

  const coronet::server& server_;
  mutable std::mutex mutex_;  // the meters and stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  kv::rate_meter ops_, input_, output_;
  std::thread sampler_;  // last: it starts once everything above exists
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"An in-memory key-value store speaking the Redis protocol (RESP2).", "kv_server"};
  examples::standard_options(app);
  examples::listen_flags address{.port = 6380};
  std::size_t max_output = 134217728;
  address.add(app, "worker threads (they share one store)");
  app.add_option("--max-output", max_output,
                 "bytes of reply one client may have queued; past it the client is closed")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 40));
  examples::server_flags serving;  // --tls-*, --proxy-protocol, --trusted-proxy
  serving.add(app);
  examples::parse(app, argc, argv);

  try {
    kv::store db;
    examples::listening_server s{serving, address.options()};
    auto& server = s.server;
    const live_server_info info{server};  // INFO's; stopped before the server is destroyed
    const kv::options opt{.max_output = max_output, .info = &info};
    const auto threads = address.threads;
    examples::log_event(examples::level::info, "listening",
                        {{"address", server.local_endpoint()},
                         {"threads", threads},
                         {"tls", serving.tls.enabled()}},
                        "kv_server", serving.scheme(), " listening on ", server.local_endpoint(),
                        " (", threads, threads == 1 ? " thread)" : " threads)");
    server.run([&db, opt](coronet::connection c) { return kv::serve(std::move(c), &db, opt); });
    examples::log_event(examples::level::info, "stopped", {}, "kv_server stopped");
  } catch (const std::exception& e) {
    return examples::fatal("kv_server", e.what());
  }
  return 0;
}
