// tiny_rpc_client: calls tiny_rpc's add, then its slow method with a deadline shorter
// than the call takes, and shows the timeout error.
//
//   tiny_rpc_client [PORT]             # default 7000
//   add(2, 3) = 5
//   slow(1000) with a 100 ms deadline: operation timed out
//
// [snippet:tiny_rpc_client]
#include <coronet/coronet.hpp>
#include <coronet/json.hpp>

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;
using coronet::rpc::positional;  // [a, b, ...] params, without GCC 12's braced-list trouble

asio::awaitable<void> demo(std::uint16_t port) {
  coronet::rpc::client rpc{co_await coronet::connect("127.0.0.1", port, 2s)};
  const int sum = co_await rpc.call<int>("add", positional(2, 3));
  std::cout << "add(2, 3) = " << sum << "\n";
  try {
    // The last argument is this call's deadline; without it, client_options::call_timeout (30 s).
    co_await rpc.call("slow", positional(1000), 100ms);
    std::cout << "slow(1000): done\n";
  } catch (const std::system_error& e) {
    if (e.code() != coronet::errc::timed_out) throw;
    std::cout << "slow(1000) with a 100 ms deadline: " << e.code().message() << "\n";
  }
  // The connection is still usable; the late answer to slow is dropped when it comes.
  std::cout << "add(20, 22) = " << co_await rpc.call<int>("add", positional(20, 22)) << "\n";
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  try {
    coronet::sync_wait(demo(port));
  } catch (const std::exception& e) {  // refused, an error response, the server went away
    std::cerr << "tiny_rpc_client: " << e.what() << "\n";
    return 1;
  }
}
// [snippet:end]
