// rpc_client: calls one JSON-RPC 2.0 method and prints the result as JSON.
//
//   rpc_client sum '[1,2,4]'                                 # prints 7
//   rpc_client subtract '{"minuend":42,"subtrahend":23}'     # prints 19
//   rpc_client --notify update '[1,2,3]'                     # prints nothing
//   rpc_client foobar                                        # error on stderr, exit 1
//
// Exit status: 0 with a result, 1 when the server answered with an error or the call
// failed (connection, timeout), 2 for bad usage.
#include "../common/cli.hpp"

#include <coronet/coronet.hpp>
#include <coronet/rpc.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

struct invocation {
  std::string host;
  std::uint16_t port = 0;
  std::string method;
  json params;
  bool notify = false;
  std::chrono::milliseconds timeout{0};
};

template <typename Client>
asio::awaitable<void> run_with(Client client, invocation how, std::optional<json>* out) {
  if (how.notify) {
    co_await client.notify(how.method, how.params);
    co_await client.flush();  // notify() returns once queued; make sure it left
    co_return;
  }
  *out = co_await client.call(how.method, how.params, how.timeout);
}

asio::awaitable<void> run(invocation how, std::string framing, std::optional<json>* out) {
  auto conn = co_await coronet::connect(how.host, how.port, how.timeout);
  if (framing == "line") {
    co_await run_with(coronet::rpc::client{std::move(conn)}, std::move(how), out);
  } else {
    using length_client = coronet::rpc::basic_client<coronet::length_prefixed_codec>;
    co_await run_with(length_client{std::move(conn), coronet::length_prefixed_codec{}},
                      std::move(how), out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  examples::cli args{"rpc_client",
                     "Arguments: METHOD [JSON-PARAMS]. Calls METHOD with JSON-PARAMS (an array "
                     "or an object)\nand prints the result as JSON."};
  args.option("host", "127.0.0.1", "server address")
      .option("port", "7070", "server port")
      .option("framing", "line", "line (newline-delimited JSON) or length (4-byte prefix)")
      .option("timeout", "10000", "milliseconds for connecting and for the call")
      .flag("notify", "send a notification: no id, no response");

  // cli knows only options: hand it those, keep the positional arguments here.
  std::vector<char*> options{argv[0]};
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("-") || arg == "-") {
      positional.emplace_back(arg);
      continue;
    }
    options.push_back(argv[i]);
    const bool takes_value =
        arg == "--host" || arg == "--port" || arg == "--framing" || arg == "--timeout";
    if (takes_value && i + 1 < argc) options.push_back(argv[++i]);
  }
  args.parse(static_cast<int>(options.size()), options.data());
  if (positional.empty() || positional.size() > 2) args.fail("expected METHOD [JSON-PARAMS]");
  const auto& framing = args.get("framing");
  if (framing != "line" && framing != "length") args.fail("--framing must be line or length");

  invocation how;
  how.host = args.get("host");
  how.port = static_cast<std::uint16_t>(args.number("port", 1, 65535));
  how.method = positional[0];
  how.notify = args.has("notify");
  how.timeout = std::chrono::milliseconds(args.number("timeout", 1, 3'600'000));
  if (positional.size() == 2) {
    try {
      how.params = json::parse(positional[1]);
    } catch (const json::parse_error& e) {
      args.fail(std::string{"JSON-PARAMS is not JSON: "} + e.what());
    }
    if (!how.params.is_array() && !how.params.is_object())
      args.fail("JSON-PARAMS must be an array or an object");
  }

  asio::io_context io{1};
  std::optional<json> result;
  std::exception_ptr failure;
  asio::co_spawn(io, run(std::move(how), framing, &result),
                 [&failure](std::exception_ptr e) { failure = std::move(e); });
  io.run();
  try {
    if (failure) std::rethrow_exception(failure);
  } catch (const coronet::rpc::error& e) {
    std::cerr << "error " << e.code() << ": " << e.message();
    if (e.data()) std::cerr << " " << e.data()->dump();
    std::cerr << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rpc_client: " << e.what() << "\n";
    return 1;
  }
  if (result) std::cout << result->dump() << "\n";
  return 0;
}
