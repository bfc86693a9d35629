// chat_server --web: browser members in the same room as nc members, run as users run
// it. chat_server is started here on loopback and stopped by its pid; the clients are
// ones nobody here wrote: Python's `websockets` (tests/clients/chat_web_client.py) and a headless
// Chromium driven by puppeteer-core (tests/clients/chat_web_browser.js).
#include "process.hpp"
#include "redis_support.hpp"
#include "tls_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#if defined(CLI_CHAT_SERVER_PATH)

namespace {

using namespace std::chrono_literals;
using coronet::test::child_process;
using coronet::test::listening;

// A chat_server with --web, on free ports (0) or the ones given (a restart).
struct web_chat_server {
  explicit web_chat_server(std::uint16_t tcp = 0, std::uint16_t web = 0,
                           std::vector<std::string> extra = {})
      : process{args(tcp, web, std::move(extra))} {
    auto p = process.wait_stderr(listening, 20s);
    REQUIRE_MESSAGE(p, process.err_text);
    port = static_cast<std::uint16_t>(std::stoi(*p));
    auto w = process.wait_stderr(std::regex{R"(chat page on https?://127\.0\.0\.1:(\d+)/)"}, 20s);
    REQUIRE_MESSAGE(w, process.err_text);
    web_port = static_cast<std::uint16_t>(std::stoi(*w));
  }
  ~web_chat_server() {
    process.signal(SIGTERM);
    const auto code = process.wait(15s);
    CHECK_MESSAGE(code, "chat_server did not stop on SIGTERM");
  }
  web_chat_server(const web_chat_server&) = delete;
  web_chat_server& operator=(const web_chat_server&) = delete;

  static std::vector<std::string> args(std::uint16_t tcp, std::uint16_t web,
                                       std::vector<std::string> extra) {
    std::vector<std::string> a{CLI_CHAT_SERVER_PATH, "--port", std::to_string(tcp), "--web",
                               "127.0.0.1:" + std::to_string(web)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  child_process process;
  std::uint16_t port = 0;
  std::uint16_t web_port = 0;
};

void run_client(std::vector<std::string> argv, const std::vector<std::string>& checks,
                std::chrono::milliseconds limit) {
  child_process client{std::move(argv)};
  client.close_stdin();
  const auto code = client.wait(limit);
  REQUIRE_MESSAGE(code, "client did not finish; " << client.out_text << client.err_text);
  CHECK_MESSAGE(*code == 0, client.out_text << client.err_text);
  for (const auto& c : checks)
    CHECK_MESSAGE(client.out_text.find("ok " + c + "\n") != std::string::npos,
                  "missing: " << c << "\n"
                              << client.out_text << client.err_text);
}

// One request per case on a raw socket, with the Host and Origin a browser on some name
// would send; prints each answer's status. A case is HOST|ORIGIN|PATH (no ORIGIN: none
// is sent); /chat asks for a WebSocket upgrade.
const char* const raw_requests = R"(
import socket, sys
port = int(sys.argv[1])
for case in sys.argv[2:]:
    host, origin, path = case.split("|")
    head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
    if origin:
        head += f"Origin: {origin}\r\n"
    if path == "/chat":
        head += ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((head + "\r\n").encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "0", flush=True)
)";

struct request_case {
  std::string host, origin, path;
  int expected;
};

// Runs `cases` against the web port and checks each status.
void check_statuses(std::uint16_t web_port, const std::vector<request_case>& cases) {
  std::vector<std::string> argv{"/usr/bin/python3", "-c", raw_requests, std::to_string(web_port)};
  for (const auto& c : cases)
    argv.push_back(c.host + "|" + c.origin + "|" + c.path);
  child_process client{std::move(argv)};
  client.close_stdin();
  const auto code = client.wait(30s);
  REQUIRE_MESSAGE(code, "the requests did not finish; " << client.out_text << client.err_text);
  REQUIRE_MESSAGE(*code == 0, client.out_text << client.err_text);
  const auto got = coronet::test::split_lines(client.out_text);
  REQUIRE(got.size() == cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i)
    CHECK_MESSAGE(got[i] == std::to_string(cases[i].expected),
                  "Host " << cases[i].host << ", Origin " << cases[i].origin << ", "
                          << cases[i].path << ": " << got[i]);
}

}  // namespace

TEST_SUITE("web") {
  // DNS rebinding: attacker.example resolves first to the attacker, then to 127.0.0.1;
  // the page it served then talks to chat_server as "its own" site, with Host and Origin
  // agreeing with each other. Only the names chat_server serves may be in Host.
  TEST_CASE("chat web: DNS rebinding: a Host it does not serve gets 421, page and upgrade") {
    web_chat_server server;
    const auto p = std::to_string(server.web_port);
    check_statuses(server.web_port,
                   {{"attacker.example:" + p, "http://attacker.example:" + p, "/chat", 421},
                    {"attacker.example:" + p, "", "/", 421},
                    {"attacker.example:" + p, "", "/chat", 421},
                    {"127.0.0.1:" + p, "http://127.0.0.1:" + p, "/chat", 101},
                    {"127.0.0.1:" + p, "", "/", 200},
                    {"127.0.0.1:" + p, "http://attacker.example:" + p, "/chat", 403}});
  }

  TEST_CASE("chat web: DNS rebinding: localhost, 127.0.0.1 and [::1] on the web port are served") {
    web_chat_server server;
    const auto p = std::to_string(server.web_port);
    check_statuses(server.web_port,
                   {{"localhost:" + p, "http://localhost:" + p, "/chat", 101},
                    {"localhost:" + p, "", "/", 200},
                    {"[::1]:" + p, "http://[::1]:" + p, "/chat", 101},
                    // Origins are checked against the served ones, not against Host.
                    {"127.0.0.1:" + p, "http://localhost:" + p, "/chat", 101},
                    {"localhost:" + p, "http://127.0.0.1:" + p, "/chat", 101},
                    // Port 80's names are another server's.
                    {"localhost", "http://localhost", "/chat", 421}});
  }

  TEST_CASE("chat web: DNS rebinding: --web-origin adds a name (behind a proxy) and its Host") {
    web_chat_server server{0, 0, {"--web-origin", "https://chat.example.com"}};
    const auto p = std::to_string(server.web_port);
    check_statuses(server.web_port,
                   {{"chat.example.com", "https://chat.example.com", "/chat", 101},
                    {"chat.example.com", "", "/", 200},
                    {"Chat.Example.com:443", "https://chat.example.com", "/chat", 101},
                    {"chat.example.com", "http://chat.example.com", "/chat", 403},
                    {"chat.example.com", "http://attacker.example", "/chat", 403},
                    {"other.example.com", "https://chat.example.com", "/chat", 421},
                    {"127.0.0.1:" + p, "http://127.0.0.1:" + p, "/chat", 101}});
    // Not an origin: a usage error before anything listens.
    for (const std::string bad :
         {"chat.example.com", "https://chat.example.com/path", "ftp://chat.example.com",
          "https://user@chat.example.com", "https://chat.example.com:0"}) {
      const auto r = coronet::test::run_to_end(
          {CLI_CHAT_SERVER_PATH, "--port", "0", "--web", "127.0.0.1:0", "--web-origin", bad});
      CHECK_MESSAGE(r.code == 2, bad << ": " << r.err);
      CHECK_MESSAGE(r.err.find("--web-origin") != std::string::npos, r.err);
    }
  }

  TEST_CASE("chat web: a WebSocket member and an nc member chat, whisper and rename") {
    web_chat_server server;
    run_client({"/usr/bin/python3", CORONET_SOURCE_DIR "/tests/clients/chat_web_client.py",
                std::to_string(server.port), std::to_string(server.web_port)},
               {"GET / is the page", "404 on another path", "405 on POST /",
                "400 on /chat without an upgrade", "403 for a page from another site",
                "431 for a head over the limit", "still serving after the refusals",
                "web -> nc message", "nc -> web message", "web -> nc whisper", "nc -> web whisper",
                "web rename seen by nc", "nc rename seen by web", "name taken across transports",
                "message over the line limit closes 1009", "web leave seen by nc"},
               90s);
  }

  TEST_CASE("chat web: --metrics counts browser members, and SIGTERM closes them with 1001") {
    child_process server{
        {CLI_CHAT_SERVER_PATH, "--port", "0", "--web", "127.0.0.1:0", "--metrics", "127.0.0.1:0"}};
    REQUIRE_MESSAGE(server.wait_stderr(listening, 20s), server.err_text);
    const auto web =
        server.wait_stderr(std::regex{R"(chat page on http://127\.0\.0\.1:(\d+)/)"}, 20s);
    REQUIRE_MESSAGE(web, server.err_text);
    const auto metrics = server.wait_stderr(std::regex{R"(metrics on 127\.0\.0\.1:(\d+))"}, 20s);
    REQUIRE_MESSAGE(metrics, server.err_text);
    // One browser-style member (Python's websockets) joins; the scrape must count its
    // connection, the only one open; then the member waits for the server's close.
    const std::string script = R"(
import asyncio, json, re, sys, urllib.request, websockets
async def main(web, metrics):
    async with websockets.connect(f"ws://127.0.0.1:{web}/chat", origin=f"http://127.0.0.1:{web}") as ws:
        await ws.send(json.dumps({"type": "join", "name": "mia"}))
        while json.loads(await ws.recv()).get("type") != "welcome":
            pass
        body = urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=10).read().decode()
        open_now = sum(int(v) for v in re.findall(r'^coronet_connections_open\{[^}]*\} (\d+)$', body, re.M))
        print(f"open {open_now}", flush=True)
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed:
            pass
        print(f"closed {ws.close_code}", flush=True)
asyncio.run(asyncio.wait_for(main(int(sys.argv[1]), int(sys.argv[2])), 30))
)";
    child_process client{{"/usr/bin/python3", "-c", script, *web, *metrics}};
    client.close_stdin();
    // The whole line: Python may write the newline after the number, separately.
    REQUIRE_MESSAGE(client.wait_stdout(std::regex{R"(open (\d+)\n)"}, 20s),
                    client.out_text << client.err_text);
    CHECK_MESSAGE(client.out_text.find("open 1\n") != std::string::npos, client.out_text);
    server.signal(SIGTERM);
    const auto code = client.wait(20s);
    REQUIRE_MESSAGE(code, client.out_text << client.err_text);
    CHECK_MESSAGE(*code == 0, client.out_text << client.err_text);
    CHECK_MESSAGE(client.out_text.find("closed 1001\n") != std::string::npos, client.out_text);
    CHECK(server.wait(15s) == 0);
  }

  TEST_CASE("chat web: cluster: a web member on one instance, an nc member on another") {
    coronet::test::redis_instance redis;
    const auto at = "127.0.0.1:" + std::to_string(redis.port());
    web_chat_server a{0, 0, {"--redis", at, "--node", "a"}};
    REQUIRE(a.process.wait_stderr(std::regex{"joined the room at Redis"}, 20s));
    child_process b{{CLI_CHAT_SERVER_PATH, "--port", "0", "--redis", at, "--node", "b"}};
    const auto b_port = b.wait_stderr(listening, 20s);
    REQUIRE_MESSAGE(b_port, b.err_text);
    REQUIRE(b.wait_stderr(std::regex{"joined the room at Redis"}, 20s));
    run_client({"/usr/bin/python3", CORONET_SOURCE_DIR "/tests/clients/chat_web_client.py", *b_port,
                std::to_string(a.web_port), "--chat-only"},
               {"nc member sees the web member", "web -> nc message", "nc -> web message",
                "web -> nc whisper", "nc -> web whisper", "web rename seen by nc",
                "nc rename seen by web", "who from the web", "name taken across transports",
                "web -> web whisper", "the closed member left the room", "web leave seen by nc"},
               90s);
    b.signal(SIGTERM);
    CHECK(b.wait(15s));
  }

  TEST_CASE("chat web: with TLS, the page over https and the chat over wss") {
    const auto& certs = coronet::test::certificates();
    web_chat_server server{0, 0, {"--tls-cert", certs.server_pem, "--tls-key", certs.server_key}};
    run_client({"/usr/bin/python3", CORONET_SOURCE_DIR "/tests/clients/chat_web_client.py",
                std::to_string(server.port), std::to_string(server.web_port), "--tls", certs.ca},
               {"https page", "https 404", "wss member welcomed", "wss message"}, 60s);
  }

  TEST_CASE("chat web: two Chromium pages and an nc member in one room") {
    // scripts/setup.sh installs chromium and puppeteer-core (into build/npm).
    const char* custom = std::getenv("CORONET_NODE_PATH");
    const std::string modules =
        custom != nullptr ? custom : CORONET_SOURCE_DIR "/build/npm/node_modules";
    REQUIRE_MESSAGE(std::filesystem::exists(modules + "/puppeteer-core"),
                    "puppeteer-core is missing: run scripts/setup.sh");
    REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                    "chromium is missing: run scripts/setup.sh");
    setenv("NODE_PATH", modules.c_str(), 1);
    std::optional<web_chat_server> server;
    server.emplace();
    const auto tcp = server->port;
    const auto web = server->web_port;
    const auto shot = std::filesystem::temp_directory_path() / "coronet-chat-web.png";
    child_process browser{{"/usr/bin/node", CORONET_SOURCE_DIR "/tests/clients/chat_web_browser.js",
                           std::to_string(tcp), std::to_string(web), shot.string()}};
    // The script asks for a restart once the pages have talked: same ports, new process.
    const auto asked = browser.wait_stdout(std::regex{"restart now"}, 90s);
    if (asked) {
      server.reset();
      server.emplace(tcp, web);
      browser.write_stdin("restarted\n");
    }
    const auto code = browser.wait(60s);
    REQUIRE_MESSAGE(code,
                    "the browser script did not finish; " << browser.out_text << browser.err_text);
    CHECK_MESSAGE(*code == 0, browser.out_text << browser.err_text);
    for (const std::string c :
         {"pages joined", "nc sees both pages", "pages see each other and nc",
          "page -> nc and page message", "nc -> pages message", "whisper by clicking a name",
          "nc whisper reaches one page only", "rename from the page",
          "nc rename updates the member lists", "name taken shown on the join form",
          "reconnects after the server restarts"})
      CHECK_MESSAGE(browser.out_text.find("ok " + c + "\n") != std::string::npos,
                    "missing: " << c << "\n"
                                << browser.out_text << browser.err_text);
    CHECK(std::filesystem::file_size(shot) > 10000);
  }
}

#endif
