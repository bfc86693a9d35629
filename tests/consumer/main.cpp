// Built against an installed coronet: serves one echo round trip on loopback.
#include <coronet/coronet.hpp>

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

asio::awaitable<void> client(std::uint16_t port, std::string* reply) {
  auto conn = co_await coronet::connect("127.0.0.1", port);
  co_await conn.write(asio::buffer(std::string_view{"ping"}));
  std::array<char, 16> buf;
  auto n = co_await conn.read_some(asio::buffer(buf));
  reply->assign(buf.data(), n);
}

int main() {
  coronet::server server{{.host = "127.0.0.1"}};
  server.start(echo);
  asio::io_context io;
  std::string reply;
  asio::co_spawn(io, client(server.local_endpoint().port(), &reply), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run_for(std::chrono::seconds(10));
  server.stop();
  server.wait();
  std::cout << "consumer got: " << reply << '\n';
  return reply == "ping" ? 0 : 1;
}
