// The WebSocket server against clients nobody here wrote: Python's `websockets` and
// Node's `ws` (tests/clients/ws_client.py, tests/clients/ws_client.js).
#include "process.hpp"
#include "websocket_support.hpp"

#include <filesystem>
#include <regex>

using namespace coronet;
using namespace coronet::test;
using websocket::close_code;
using websocket::opcode;

namespace {

// Runs a client script against an echo server with a 64 KiB message limit; every check
// it names must pass.
void run_external_client(std::vector<std::string> argv, const std::vector<std::string>& checks) {
  ws_app app;
  app.accept.stream.codec.max_message = 64 * 1024;
  running_server s{ws_handler(app)};
  argv.push_back(std::to_string(s.port()));
  child_process client{argv};
  client.close_stdin();
  const auto code = client.wait(60s);
  REQUIRE_MESSAGE(code, "client did not finish; stderr: " << client.err_text);
  CHECK_MESSAGE(*code == 0, client.out_text << client.err_text);
  for (const auto& c : checks)
    CHECK_MESSAGE(client.out_text.find("ok " + c + "\n") != std::string::npos,
                  "missing: " << c << "\n"
                              << client.out_text << client.err_text);
}

const std::vector<std::string> external_checks{"text",
                                               "binary",
                                               "fragmented",
                                               "ping answered by pong",
                                               "close 4000 echoed",
                                               "server close 4001",
                                               "1009 message too big",
                                               "1007 invalid UTF-8",
                                               "1002 unmasked client frame",
                                               "1002 reserved opcode",
                                               "1002 control frame over 125 bytes",
                                               "400 without a key",
                                               "400 with a wrong key",
                                               "404 on another path"};

}  // namespace

TEST_SUITE("websocket") {
  TEST_CASE("websocket: Python's websockets as the client") {
    run_external_client({"/usr/bin/python3", CORONET_SOURCE_DIR "/tests/clients/ws_client.py"},
                        external_checks);
  }

  TEST_CASE("websocket: Node's ws as the client") {
    // scripts/setup.sh installs `ws` into build/npm; CORONET_NODE_PATH overrides it.
    const char* custom = std::getenv("CORONET_NODE_PATH");
    const std::string modules =
        custom != nullptr ? custom : CORONET_SOURCE_DIR "/build/npm/node_modules";
    REQUIRE_MESSAGE(std::filesystem::exists(modules + "/ws"),
                    "Node's ws is missing: run scripts/setup.sh (npm install into build/npm)");
    setenv("NODE_PATH", modules.c_str(), 1);
    run_external_client({"/usr/bin/node", CORONET_SOURCE_DIR "/tests/clients/ws_client.js"},
                        external_checks);
  }
}
