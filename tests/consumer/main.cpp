// Built against an installed coronet (coronet::coronet, coronet::json, coronet::redis): one
// echo round trip and one JSON-RPC call on loopback, and the Redis client's backoff (no
// redis-server needed) to check coronet::redis links.
#include <coronet/coronet.hpp>
#include <coronet/json.hpp>
#include <coronet/redis.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <array>
#include <iostream>
#include <string>

asio::awaitable<void> echo(coronet::connection conn) {
  std::array<char, 256> buf;
  for (;;) {
    auto n = co_await conn.read_some(asio::buffer(buf));
    if (n == 0) co_return;
    co_await conn.write(asio::buffer(buf, n));
  }
}

asio::awaitable<nlohmann::json> sum(nlohmann::json params) {
  long total = 0;
  for (const auto& v : params)
    total += v.get<long>();
  co_return total;
}

asio::awaitable<void> client(std::uint16_t port, std::uint16_t rpc_port, std::string* reply,
                             long* total) {
  auto conn = co_await coronet::connect("127.0.0.1", port);
  co_await conn.write(asio::buffer(std::string_view{"ping"}));
  std::array<char, 16> buf;
  auto n = co_await conn.read_some(asio::buffer(buf));
  reply->assign(buf.data(), n);
  coronet::rpc::client rpc{co_await coronet::connect("127.0.0.1", rpc_port)};
  auto result = co_await rpc.call("sum", coronet::rpc::positional(1, 2, 4));
  *total = result.get<long>();
}

int main() {
  coronet::server server{{.host = "127.0.0.1"}};
  server.start(echo);
  coronet::rpc::router router;
  router.add("sum", sum);
  coronet::server rpc_server{{.host = "127.0.0.1"}};
  rpc_server.start([&router](coronet::connection c) { return router.serve(std::move(c)); });
  asio::io_context io;
  std::string reply;
  long total = 0;
  asio::co_spawn(
      io,
      client(server.local_endpoint().port(), rpc_server.local_endpoint().port(), &reply, &total),
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run_for(std::chrono::seconds(10));
  server.stop();
  rpc_server.stop();
  server.wait();
  rpc_server.wait();
  coronet::redis::backoff delay{std::chrono::milliseconds(100), std::chrono::seconds(1)};
  const auto first = delay.next();
  std::cout << "consumer got: " << reply << " and sum " << total << '\n';
  return reply == "ping" && total == 7 && first.count() >= 50 && first.count() <= 100 ? 0 : 1;
}
