// chat_client: a terminal client for chat_server's JSON mode.
//
//   chat_client --name alice [--host 127.0.0.1] [--port 7777]
//
// Lines typed are said to the room; /who, /msg NAME TEXT, /nick NAME and /quit work as
// in text mode. Incoming events print as readable lines while you type. With stdin
// piped it runs as a script: it sends its lines, waits until the server has answered
// each of them, then leaves.
#include "../common/command_line.hpp"
#include "../common/fatal.hpp"
#include "../common/tls.hpp"
#include "protocol/events.hpp"

#include <coronet/core/connect.hpp>
#include <coronet/framing/framed.hpp>
#include <coronet/framing/line_codec.hpp>
#include <coronet/framing/outbox.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace {

using nlohmann::json;

struct client_state {
  std::string name;
  std::size_t awaiting = 0;  // commands sent whose answer has not arrived yet
  bool input_done = false;
  bool left = false;
  int exit_code = 0;
};

std::string to_line(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Turns one typed line into a command; returns false if nothing was sent.
bool send_command(const coronet::outbox<coronet::line_codec>& f, client_state& st,
                  const std::string& line) {
  json cmd;
  if (line.empty()) return false;
  if (line.front() != '/') {
    cmd = {{"type", "say"}, {"text", line}};
  } else if (line == "/who") {
    cmd = {{"type", "who"}};
  } else if (line == "/quit") {
    cmd = {{"type", "leave"}};
    st.left = true;
    f.try_send(std::string_view{to_line(cmd)});
    return false;
  } else if (line.rfind("/nick ", 0) == 0) {
    cmd = {{"type", "nick"}, {"name", line.substr(6)}};
  } else if (line.rfind("/msg ", 0) == 0) {
    auto rest = line.substr(5);
    auto space = rest.find(' ');
    if (space == std::string::npos) {
      std::cout << "! usage: /msg NAME TEXT" << std::endl;
      return false;
    }
    cmd = {{"type", "whisper"}, {"to", rest.substr(0, space)}, {"text", rest.substr(space + 1)}};
  } else {
    std::cout << "! unknown command (try /who, /msg, /nick, /quit)" << std::endl;
    return false;
  }
  if (!f.try_send(std::string_view{to_line(cmd)})) return false;
  ++st.awaiting;
  return true;
}

// Events that answer one of our own commands.
bool answers_me(const json& e, const client_state& st) {
  const auto type = e.value("type", "");
  if (type == "users" || type == "error") return true;
  if (type == "message" || type == "whisper") return e.value("from", "") == st.name;
  if (type == "renamed") return e.value("to", "") == st.name || e.value("from", "") == st.name;
  return false;
}

asio::awaitable<void> run_client(std::string host, std::uint16_t port,
                                 examples::tls_client_flags tls, client_state* st) {
  // The server's lines can be long (a welcome lists every member: about 350 KB for
  // 10 000 members); the client trusts its server more than a server trusts clients.
  // The TLS files are loaded here, so that a bad one is reported like any failure.
  const coronet::connect_options options{.tls = tls.context()};
  coronet::framed f{co_await coronet::connect(host, port, options),
                    coronet::line_codec{{.max_length = 16 * 1024 * 1024}}};
  const json join{{"type", "join"}, {"name", st->name}};
  f.write(std::string_view{to_line(join)});

  // stdin is read on its own thread (it blocks) and each line posted here. The posted
  // work holds the outbox, a weak handle, so it is harmless once the connection is gone.
  auto ex = co_await asio::this_coro::executor;
  const auto out = f.get_outbox();
  bool welcomed = false;

  while (auto line = co_await f.read()) {
    const std::string text{*line};
    const json e = json::parse(text, nullptr, false);
    std::cout << chat::events::text_of(text, st->name) << std::endl;
    if (!welcomed) {
      if (e.value("type", "") != "welcome") {
        st->exit_code = 1;  // e.g. name_taken: nothing more to do
        co_return;
      }
      welcomed = true;
      std::thread([ex, st, out] {
        std::string typed;
        while (std::getline(std::cin, typed)) {
          asio::post(ex, [st, out, typed] {
            if (!st->left) send_command(out, *st, typed);
          });
        }
        asio::post(ex, [st, out] {
          st->input_done = true;
          if (st->awaiting == 0 && !st->left) send_command(out, *st, "/quit");
        });
      }).detach();  // getline cannot be interrupted: main ends the process under it
      continue;
    }
    if (e.value("type", "") == "renamed" && e.value("from", "") == st->name)
      st->name = e.value("to", st->name);
    if (answers_me(e, *st) && st->awaiting > 0) --st->awaiting;
    if (st->input_done && st->awaiting == 0 && !st->left) send_command(out, *st, "/quit");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A terminal client for chat_server (JSON mode).", "chat_client"};
  examples::standard_options(app);
  client_state st;
  std::string host = "127.0.0.1";
  std::uint16_t port = 7777;
  app.add_option("--name", st.name, "your name: 1 to 32 letters, digits, '_' or '-'")
      ->type_name("NAME")
      ->required();
  examples::add_host(app, host, "server address");
  examples::add_port(app, port, examples::connecting);
  examples::tls_client_flags tls;
  tls.add(app);
  examples::parse(app, argc, argv);

  // Not coronet::sync_wait: the stdin thread posts to this io_context and may still be
  // blocked in getline when the chat ends, so the context must outlive main's return
  // (the process ends with _Exit below, never destroying it).
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, run_client(host, port, tls, &st), [&](std::exception_ptr e) { failure = e; });
  io.run();
  int code = st.exit_code;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      code = examples::fatal("chat_client", e.what());
    }
  }
  // The stdin thread may still be blocked in getline and holds a handle to `io`: end
  // the process here rather than run destructors under it.
  std::cout.flush();
  std::_Exit(code);
}
