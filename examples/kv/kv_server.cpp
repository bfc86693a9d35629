// kv_server: an in-memory key-value server speaking the Redis protocol (RESP2), for
// redis-cli, redis-benchmark and Redis client libraries. See docs/kv.md.
#include "../common/cli.hpp"
#include "kv.hpp"

#include <coronet/server.hpp>

#include <iostream>

int main(int argc, char** argv) {
  examples::cli args{"kv_server",
                     "An in-memory key-value store speaking the Redis protocol (RESP2)."};
  args.option("host", "127.0.0.1", "address to listen on")
      .option("port", "6380", "TCP port (0: any free port)")
      .option("threads", "1", "worker threads (they share one store)")
      .option("max-output", "134217728",
              "bytes of reply one client may have queued; past it the client is closed");
  args.parse(argc, argv);

  try {
    const auto threads = static_cast<std::size_t>(args.number("threads", 1, 256));
    const kv::options opt{.max_output =
                              static_cast<std::size_t>(args.number("max-output", 1024, 1L << 40))};
    kv::store db;
    coronet::server server{{.host = args.get("host"),
                            .port = static_cast<std::uint16_t>(args.number("port", 0, 65535)),
                            .threads = threads}};
    server.listen();
    std::cerr << "kv_server listening on " << server.local_endpoint() << " (" << threads
              << (threads == 1 ? " thread)\n" : " threads)\n");
    server.run([&db, opt](coronet::connection c) { return kv::serve(std::move(c), &db, opt); });
    std::cerr << "kv_server stopped\n";
  } catch (const std::exception& e) {
    std::cerr << "kv_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
