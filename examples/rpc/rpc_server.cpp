// rpc_server: a JSON-RPC 2.0 server with the methods of the specification's examples
// (subtract, sum, update, notify_hello, notify_sum, get_data).
//
//   rpc_server --port 7070                  # newline-delimited JSON
//   rpc_server --framing length             # 4-byte big-endian length prefix
//   echo '{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":1}' | nc -q1 127.0.0.1 7070
#include "../common/cli.hpp"
#include "methods.hpp"

#include <coronet/coronet.hpp>
#include <coronet/rpc.hpp>

#include <iostream>

int main(int argc, char** argv) {
  examples::cli args{"rpc_server", "Serves the JSON-RPC 2.0 specification's example methods."};
  args.option("host", "127.0.0.1", "address to listen on")
      .option("port", "7070", "TCP port (0: any free port)")
      .option("framing", "line", "line (newline-delimited JSON) or length (4-byte prefix)")
      .option("threads", "1", "worker threads")
      .option("max-frame", "1048576",
              "largest request in bytes with --framing length (line: 64 KiB); a parsed "
              "request can take 10 to 20 times its size in memory");
  args.parse(argc, argv);
  const auto& framing = args.get("framing");
  if (framing != "line" && framing != "length") args.fail("--framing must be line or length");

  try {
    coronet::rpc::server rpc;
    examples::add_spec_methods(rpc);

    coronet::server server{{.host = args.get("host"),
                            .port = static_cast<std::uint16_t>(args.number("port", 0, 65535)),
                            .threads = static_cast<std::size_t>(args.number("threads", 1, 256))}};
    server.listen();
    std::cerr << "rpc_server listening on " << server.local_endpoint() << " (" << framing
              << " framing)\n";
    const auto max_frame = static_cast<std::size_t>(args.number("max-frame", 1, 1L << 30));
    if (framing == "line") {
      server.run([&rpc](coronet::connection c) { return rpc.serve(std::move(c)); });
    } else {
      // The codec's 16 MiB default is a framing limit, not a JSON one: a parsed JSON
      // document takes many times its text in memory, so bound requests much lower.
      server.run([&rpc, max_frame](coronet::connection c) {
        return rpc.serve(std::move(c), coronet::length_prefixed_codec{{.max_frame = max_frame}});
      });
    }
  } catch (const std::exception& e) {
    std::cerr << "rpc_server: " << e.what() << "\n";
    return 1;
  }
}
