// tiny_echo: sends back every byte it receives. The README's first program;
// examples/echo/echo_server.cpp is the full one (framings, TLS, limits, metrics).
//
//   tiny_echo [PORT]                # default 7000; 0 picks a free port
//   nc 127.0.0.1 7000               # type lines: each comes back
//
// [snippet:tiny_echo]
#include <coronet/coronet.hpp>

#include <array>
#include <iostream>
#include <string>

asio::awaitable<void> echo(coronet::connection conn) {
  std::array<char, 4096> buf;
  for (;;) {
    auto n = co_await conn.read_some(asio::buffer(buf));  // 0 at clean EOF
    if (n == 0) co_return;
    co_await conn.write(asio::buffer(buf, n));  // whole buffer, or throws
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  coronet::server server{{.host = "127.0.0.1", .port = port}};
  server.listen();  // bound now, so the port is known even when the OS picked it
  std::cerr << "listening on " << server.local_endpoint() << "\n";
  server.run(echo);  // blocks; SIGINT/SIGTERM stop it gracefully
}
// [snippet:end]
