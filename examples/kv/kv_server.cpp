// kv_server: an in-memory key-value server speaking the Redis protocol (RESP2), for
// redis-cli, redis-benchmark and Redis client libraries. See docs/kv.md.
#include "../common/command_line.hpp"
#include "../common/server_flags.hpp"
#include "kv.hpp"

#include <coronet/server.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"An in-memory key-value store speaking the Redis protocol (RESP2).", "kv_server"};
  examples::standard_options(app);
  std::string host = "127.0.0.1";
  std::uint16_t port = 6380;
  std::size_t threads = 1;
  std::size_t max_output = 134217728;
  examples::add_host(app, host, "address to listen on");
  examples::add_port(app, port, examples::listening);
  examples::add_threads(app, threads, 256, "worker threads (they share one store)");
  app.add_option("--max-output", max_output,
                 "bytes of reply one client may have queued; past it the client is closed")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 40));
  examples::server_flags serving;  // --tls-*, --proxy-protocol, --trusted-proxy
  serving.add(app);
  examples::parse(app, argc, argv);

  try {
    const kv::options opt{.max_output = max_output};
    kv::store db;
    coronet::server_options options{.host = host, .port = port, .threads = threads};
    serving.apply(options);
    coronet::server server{options};
    examples::reload_on_hangup reload{serving.tls.context()};
    server.listen();
    auto metrics = serving.serve_metrics(server);
    examples::log_event(examples::level::info, "listening",
                        {{"address", server.local_endpoint()},
                         {"threads", threads},
                         {"tls", serving.tls.enabled()}},
                        "kv_server", serving.scheme(), " listening on ", server.local_endpoint(),
                        " (", threads, threads == 1 ? " thread)" : " threads)");
    server.run([&db, opt](coronet::connection c) { return kv::serve(std::move(c), &db, opt); });
    examples::log_event(examples::level::info, "stopped", {}, "kv_server stopped");
  } catch (const std::exception& e) {
    examples::print_error("kv_server", e.what());
    return 1;
  }
  return 0;
}
