// chat_server: a multi-user chat over newline-delimited JSON or plain text.
//
//   chat_server                          # 127.0.0.1:7777
//   chat_client --name alice             # JSON client, or:  nc 127.0.0.1 7777
#include "../common/cli.hpp"
#include "../common/log.hpp"
#include "chat_room.hpp"

#include <coronet/server.hpp>

int main(int argc, char** argv) {
  examples::cli args{"chat_server",
                     "A chat room. Clients speak newline-delimited JSON or plain text\n"
                     "(the first line decides); see docs/chat.md."};
  args.option("host", "127.0.0.1", "address to listen on")
      .option("port", "7777", "TCP port (0: any free port)")
      .option("threads", "1", "worker threads")
      .option("max-queue", "262144", "bytes queued for one receiver before it is dropped");
  args.parse(argc, argv);

  try {
    chat::room room{
        {.max_queued = static_cast<std::size_t>(args.number("max-queue", 1024, 1 << 30))}};
    coronet::server server{{.host = args.get("host"),
                            .port = static_cast<std::uint16_t>(args.number("port", 0, 65535)),
                            .threads = static_cast<std::size_t>(args.number("threads", 1, 256)),
                            .on_error = examples::log_connection_error}};
    server.listen();
    const auto ep = server.local_endpoint();
    examples::log("chat_server listening on ", ep, " with ", server.options().threads,
                  " thread(s)");
    examples::log("join with:  chat_client --name you --port ", ep.port(), "   or:  nc ",
                  ep.address(), " ", ep.port());
    server.run([&room](coronet::connection c) { return chat::session(std::move(c), &room); });
    examples::log("chat_server stopped");
  } catch (const std::exception& e) {
    examples::log("chat_server: ", e.what());
    return 1;
  }
}
