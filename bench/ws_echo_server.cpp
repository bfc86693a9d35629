// ws_echo_server: the WebSocket echo that bench/ws_compare.sh measures against Node's
// `ws` (bench/node_ws_echo_server.js). Every path upgrades; each message is echoed as
// it came (text as text, binary as binary).
//   ws_echo_server [port] [threads]      (listens on 127.0.0.1)
#include <coronet/coronet.hpp>
#include <coronet/websocket.hpp>

#include <iostream>
#include <string>

namespace {

asio::awaitable<void> echo(coronet::connection conn) {
  auto req = co_await coronet::http::read_request(conn);
  if (!req) co_return;
  coronet::websocket::accept_options options;
  options.stream.codec.max_message = std::size_t{16} << 20;
  auto ws = co_await coronet::websocket::accept(std::move(conn), std::move(*req), options);
  if (!ws) co_return;
  while (auto msg = co_await ws->read())
    ws->write(*msg);  // sent before the next read waits: one write per batch read
}

}  // namespace

int main(int argc, char** argv) {
  coronet::server_options options;
  options.host = "127.0.0.1";
  options.port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7300);
  options.threads = argc > 2 ? static_cast<std::size_t>(std::stoi(argv[2])) : 1;
  coronet::server server{options};
  server.listen();
  std::cerr << "ws_echo_server listening on " << server.local_endpoint() << "\n";
  server.run(echo);
}
