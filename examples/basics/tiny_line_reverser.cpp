// tiny_line_reverser: answers each line with the line reversed. A line longer than 1 KiB
// ends that connection (the server logs one line); the others carry on.
//
//   tiny_line_reverser [PORT]                            # default 7000
//   printf 'hello\nworld\n' | nc -q1 127.0.0.1 7000      # olleh, dlrow
//
// [snippet:tiny_line_reverser]
#include <coronet/coronet.hpp>

#include <iostream>
#include <string>

asio::awaitable<void> reverse_lines(coronet::connection conn) {
  // Security: the limit bounds what a peer can make us buffer while we wait for '\n'.
  coronet::framed lines{std::move(conn), coronet::line_codec{{.max_length = 1024}}};
  while (auto line = co_await lines.read()) {  // std::nullopt at a clean EOF
    const std::string reversed{line->rbegin(), line->rend()};
    lines.write(reversed);  // buffered; sent before read() waits again
  }
}  // a longer line throws coronet::errc::frame_too_large: the server logs it, closes

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  coronet::server server{{.host = "127.0.0.1", .port = port}};
  server.listen();
  std::cerr << "listening on " << server.local_endpoint() << "\n";
  server.run(reverse_lines);
}
// [snippet:end]
