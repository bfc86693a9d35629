// tiny_line_client: sends one line to a line-based server and prints the line that
// comes back.
//
//   tiny_line_client [PORT [TEXT]]        # default 7000 and "hello"
//   tiny_line_client 7000 'hello world'   # against tiny_line_reverser: dlrow olleh
//
// [snippet:tiny_line_client]
#include <coronet/coronet.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

asio::awaitable<std::string> ask(std::uint16_t port, std::string text) {
  auto conn = co_await coronet::connect("127.0.0.1", port, std::chrono::seconds(2));
  coronet::framed lines{std::move(conn), coronet::line_codec{}};
  lines.write(text);
  auto reply = co_await lines.read();  // sends the line first; std::nullopt at EOF
  if (!reply) throw std::runtime_error("the server closed the connection");
  co_return std::string{*reply};
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  try {
    // Runs the coroutine to its end on a fresh io_context; rethrows what it threw.
    std::cout << coronet::sync_wait(ask(port, argc > 2 ? argv[2] : "hello")) << "\n";
  } catch (const std::exception& e) {  // connection refused, timed out, closed
    std::cerr << "tiny_line_client: " << e.what() << "\n";
    return 1;
  }
}
// [snippet:end]
