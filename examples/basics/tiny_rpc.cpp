// tiny_rpc: JSON-RPC 2.0 over newline-delimited JSON with two methods: add, which
// answers at once, and slow, which takes as many milliseconds as it is asked to (at most
// 5000) without holding up anything else.
//
//   tiny_rpc [PORT]                    # default 7000
//   echo '{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}' | nc -q1 127.0.0.1 7000
//   {"id":1,"jsonrpc":"2.0","result":5}
//   tiny_rpc_client 7000               # add and a slow call with a deadline
//
// [snippet:tiny_rpc]
#include <coronet/coronet.hpp>
#include <coronet/json.hpp>  // CMake: target_link_libraries(app PRIVATE coronet::json)

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <tuple>

// Typed params: [2, 3] arrives as a tuple; anything else is answered -32602 Invalid params.
// Two ints always fit their sum in a long long: no overflow, whatever a client sends.
asio::awaitable<long long> add(std::tuple<int, int> p) {
  co_return static_cast<long long>(std::get<0>(p)) + std::get<1>(p);
}

// A timer, not a sleep: the thread serves other calls and connections meanwhile.
asio::awaitable<std::string> slow(std::tuple<int> p) {
  const auto ms = std::chrono::milliseconds(std::clamp(std::get<0>(p), 0, 5000));  // Security
  asio::steady_timer timer{co_await asio::this_coro::executor, ms};
  co_await timer.async_wait(asio::use_awaitable);
  co_return "done";
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  coronet::rpc::router rpc;  // every method is added before the first serve()
  rpc.add<std::tuple<int, int>>("add", add);
  rpc.add<std::tuple<int>>("slow", slow);
  coronet::server server{{.host = "127.0.0.1", .port = port}};
  server.listen();
  std::cerr << "listening on " << server.local_endpoint() << "\n";
  server.run([&rpc](coronet::connection c) { return rpc.serve(std::move(c)); });
}
// [snippet:end]
