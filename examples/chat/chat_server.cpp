// chat_server: a multi-user chat over newline-delimited JSON or plain text.
//
//   chat_server                          # 127.0.0.1:7777
//   chat_client --name alice             # JSON client, or:  nc 127.0.0.1 7777
#include "../common/command_line.hpp"
#include "../common/log.hpp"
#include "../common/server_flags.hpp"
#include "chat_room.hpp"

#include <coronet/server.hpp>

int main(int argc, char** argv) {
  CLI::App app{
      "A chat room. Clients speak newline-delimited JSON or plain text\n"
      "(the first line decides); see docs/chat.md.",
      "chat_server"};
  examples::standard_options(app);
  std::string host = "127.0.0.1";
  std::uint16_t port = 7777;
  std::size_t threads = 1;
  std::size_t max_queue = 262144;
  examples::add_host(app, host, "address to listen on");
  examples::add_port(app, port, examples::listening);
  examples::add_threads(app, threads, 256, "worker threads");
  app.add_option("--max-queue", max_queue, "bytes queued for one receiver before it is dropped")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  examples::server_flags serving;  // --tls-*, --proxy-protocol, --trusted-proxy
  serving.add(app);
  examples::parse(app, argc, argv);

  try {
    chat::room room{{.max_queued = max_queue}};
    coronet::server_options options{.host = host, .port = port, .threads = threads};
    serving.apply(options);
    coronet::server server{options};
    examples::reload_on_hangup reload{serving.tls.context()};
    server.listen();
    auto metrics = serving.serve_metrics(server);
    const auto ep = server.local_endpoint();
    examples::log_event(
        examples::level::info, "listening",
        {{"address", ep}, {"tls", serving.tls.enabled()}, {"threads", server.options().threads}},
        "chat_server", serving.scheme(), " listening on ", ep, " with ", server.options().threads,
        " thread(s)");
    examples::log("join with:  chat_client --name you --port ", ep.port(), "   or:  nc ",
                  ep.address(), " ", ep.port());
    server.run([&room](coronet::connection c) { return chat::session(std::move(c), &room); });
    examples::log_event(examples::level::info, "stopped", {}, "chat_server stopped");
  } catch (const std::exception& e) {
    examples::log_event(examples::level::error, "error", {}, "chat_server: ", e.what());
    return 1;
  }
}
