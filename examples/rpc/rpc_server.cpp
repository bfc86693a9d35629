// rpc_server: a JSON-RPC 2.0 server with the methods of the specification's examples
// (subtract, sum, update, notify_hello, notify_sum, get_data).
//
//   rpc_server --port 7070                  # newline-delimited JSON
//   rpc_server --framing length             # 4-byte big-endian length prefix
//   echo '{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":1}' | nc -q1 127.0.0.1 7070
#include "../common/command_line.hpp"
#include "../common/fatal.hpp"
#include "../common/server_flags.hpp"
#include "methods.hpp"

#include <coronet/coronet.hpp>
#include <coronet/rpc.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"Serves the JSON-RPC 2.0 specification's example methods.", "rpc_server"};
  examples::standard_options(app);
  examples::listen_flags where{.port = 7070};
  std::string framing = "line";
  std::size_t max_frame = 1048576;
  where.add(app);
  examples::add_framing(app, framing, {"line", "length"},
                        "line (newline-delimited JSON) or length (4-byte prefix)");
  app.add_option("--max-frame", max_frame,
                 "largest request in bytes with --framing length (line: 64 KiB); a parsed "
                 "request can take 10 to 20 times its size in memory")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  examples::server_flags serving;  // --tls-*, --proxy-protocol, --trusted-proxy
  serving.add(app);
  examples::parse(app, argc, argv);

  try {
    coronet::rpc::router rpc;
    examples::add_spec_methods(rpc);

    examples::listening_server s{serving, where.options()};
    auto& server = s.server;
    examples::log_event(examples::level::info, "listening",
                        {{"address", server.local_endpoint()},
                         {"framing", framing},
                         {"tls", serving.tls.enabled()}},
                        "rpc_server", serving.scheme(), " listening on ", server.local_endpoint(),
                        " (", framing, " framing)");
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
    return examples::fatal("rpc_server", e.what());
  }
}
