// rpc_client: calls one JSON-RPC 2.0 method and prints the result as JSON.
//
//   rpc_client sum '[1,2,4]'                                 # prints 7
//   rpc_client subtract '{"minuend":42,"subtrahend":23}'     # prints 19
//   rpc_client --notify update '[1,2,3]'                     # prints nothing
//   rpc_client foobar                                        # error on stderr, exit 1
//
// Exit status: 0 with a result, 1 when the server answered with an error or the call
// failed (connection, timeout), 2 for bad usage.
#include "../common/command_line.hpp"
#include "../common/fatal.hpp"
#include "../common/tls.hpp"

#include <coronet/coronet.hpp>
#include <coronet/rpc.hpp>

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

namespace {

using nlohmann::json;

struct invocation {
  std::string host;
  std::uint16_t port = 0;
  std::string method;
  json params;
  bool notify = false;
  std::chrono::milliseconds timeout{0};
  std::shared_ptr<coronet::tls_context> tls;  // null: plain TCP
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
  const coronet::connect_options options{.timeout = how.timeout, .tls = how.tls};
  auto conn = co_await coronet::connect(how.host, how.port, options);
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
  CLI::App app{"Calls METHOD with PARAMS (a JSON array or object) and prints the result as JSON.",
               "rpc_client"};
  examples::standard_options(app);
  invocation how;
  how.host = "127.0.0.1";
  how.port = 7070;
  std::string framing = "line";
  std::int64_t timeout_ms = 10000;
  std::string params;
  examples::add_host(app, how.host, "server address");
  examples::add_port(app, how.port, examples::connecting);
  examples::add_framing(app, framing, {"line", "length"},
                        "line (newline-delimited JSON) or length (4-byte prefix)");
  app.add_option("--timeout", timeout_ms, "milliseconds for connecting and for the call")
      ->type_name("MS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{3'600'000}));
  app.add_flag("--notify", how.notify, "send a notification: no id, no response");
  app.add_option("METHOD", how.method, "the method to call")->required();
  auto* params_given = app.add_option("PARAMS", params, "its parameters: a JSON array or object");
  examples::tls_client_flags tls;
  tls.add(app);
  examples::parse(app, argc, argv);
  how.timeout = std::chrono::milliseconds(timeout_ms);
  if (*params_given) {
    try {
      how.params = json::parse(params);
    } catch (const json::parse_error& e) {
      examples::usage_error(app, std::string{"PARAMS is not JSON: "} + e.what());
    }
    if (!how.params.is_array() && !how.params.is_object())
      examples::usage_error(app, "PARAMS must be a JSON array or object");
  }

  std::optional<json> result;
  try {
    how.tls = tls.context();
    coronet::sync_wait(run(std::move(how), framing, &result));
  } catch (const coronet::rpc::error& e) {  // the server's error response
    return examples::fatal("rpc_client", "error ", e.code(), ": ", e.message(),
                           e.data() ? " " + e.data()->dump() : std::string{});
  } catch (const std::exception& e) {
    return examples::fatal("rpc_client", e.what());
  }
  if (result) std::cout << result->dump() << "\n";
  return 0;
}
