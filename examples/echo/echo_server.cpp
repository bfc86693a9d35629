// echo_server: sends every byte back. The smallest useful coronet server.
#include "../common/cli.hpp"

#include <coronet/coronet.hpp>

#include <array>
#include <iostream>

namespace {

asio::awaitable<void> echo_raw(coronet::connection conn) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    auto n = co_await conn.read_some(asio::buffer(buf));  // 0 at clean EOF
    if (n == 0) co_return;
    co_await conn.write(asio::buffer(buf, n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  examples::cli args{"echo_server", "Echoes back whatever each client sends."};
  args.option("host", "127.0.0.1", "address to listen on")
      .option("port", "7000", "TCP port (0: any free port)")
      .option("threads", "1", "worker threads");
  args.parse(argc, argv);

  try {
    coronet::server server{{.host = args.get("host"),
                            .port = static_cast<std::uint16_t>(args.number("port", 0, 65535)),
                            .threads = static_cast<std::size_t>(args.number("threads", 1, 256))}};
    server.listen();
    std::cerr << "echo_server listening on " << server.local_endpoint() << "\n";
    server.run(echo_raw);  // until SIGINT/SIGTERM
  } catch (const std::exception& e) {
    std::cerr << "echo_server: " << e.what() << "\n";
    return 1;
  }
}
