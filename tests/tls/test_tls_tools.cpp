// TLS with clients nobody here wrote, against the example servers as users run them:
// openssl s_client, Python's ssl module, redis-cli --tls and Node's tls. Also the
// example clients' --tls options and a server's SIGHUP certificate reload.
#include "process.hpp"
#include "support.hpp"
#include "tls_support.hpp"

#include <csignal>
#include <filesystem>
#include <regex>

using namespace coronet;
using namespace coronet::test;

namespace {

// A TLS example server on a free loopback port, stopped with SIGTERM by its destructor
// (SIGKILL by child_process's if that fails).
struct tls_program {
  child_process process;
  std::string port;

  explicit tls_program(std::vector<std::string> argv, const std::string& cert = {},
                       const std::string& key = {})
      : process([&] {
          const auto& c = certificates();
          argv.insert(argv.end(), {"--port", "0", "--tls-cert", cert.empty() ? c.server_pem : cert,
                                   "--tls-key", key.empty() ? c.server_key : key});
          return argv;
        }()) {
    auto p = process.wait_stderr(listening, 20s);
    REQUIRE_MESSAGE(p, process.err_text);
    port = *p;
  }
  ~tls_program() {
    process.signal(SIGTERM);
    process.wait(15s);
  }
};

// Runs a client to the end with `input` on its stdin; returns its exit code and output.
struct finished {
  int code = -1;
  std::string out, err;
};
finished run_client(std::vector<std::string> argv, const std::string& input = {},
                    std::chrono::milliseconds limit = 30s) {
  child_process client{std::move(argv)};
  if (!input.empty()) client.write_stdin(input);
  client.close_stdin();
  auto code = client.wait(limit);
  REQUIRE_MESSAGE(code, "client did not finish: " << client.err_text);
  return {*code, client.out_text, client.err_text};
}

// Python's ssl module, verifying against the test CA and the name "localhost": sends
// `request` and prints what comes back until `until` (a substring) arrived.
finished python_tls(const std::string& port, const std::string& request, const std::string& until,
                    const std::vector<std::string>& extra = {}) {
  static const char* script = R"(
import socket, ssl, sys
port, request, until, ca = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
if len(sys.argv) > 6:
    ctx.load_cert_chain(sys.argv[5], sys.argv[6])
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(request)
        got = b""
        while until not in got:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        sys.stdout.write(s.version() + "\n" + got.decode())
)";
  std::vector<std::string> argv{"/usr/bin/python3", "-c", script, port, request, until,
                                certificates().ca};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_client(std::move(argv));
}

}  // namespace

TEST_SUITE("tls") {
  TEST_CASE("tls tools: openssl s_client against echo_server and chat_server in text mode") {
    const auto& c = certificates();
    {
      tls_program echo{{CLI_ECHO_SERVER_PATH, "--framing", "line"}};
      child_process client{{"/usr/bin/openssl", "s_client", "-quiet", "-connect",
                            "127.0.0.1:" + echo.port, "-CAfile", c.ca, "-verify_return_error",
                            "-servername", "localhost"}};
      client.write_stdin("hello over s_client\n");
      CHECK(client.wait_stdout(std::regex{"hello over s_client\n"}, 20s));
      client.close_stdin();
    }
    {
      tls_program chat{{CLI_CHAT_SERVER_PATH}};
      child_process client{{"/usr/bin/openssl", "s_client", "-quiet", "-connect",
                            "127.0.0.1:" + chat.port, "-CAfile", c.ca, "-verify_return_error"}};
      client.write_stdin("tom\nhello everyone\n");
      CHECK(client.wait_stdout(std::regex{R"(\* welcome, tom!)"}, 20s));
      CHECK(client.wait_stdout(std::regex{"<tom> hello everyone"}, 20s));
      client.close_stdin();
    }
  }

  TEST_CASE("tls tools: Python's ssl module against every example server") {
    {
      tls_program echo{{CLI_ECHO_SERVER_PATH, "--framing", "line"}};
      auto r = python_tls(echo.port, "from python\n", "\n");
      CHECK_MESSAGE(r.code == 0, r.err);
      CHECK(r.out == "TLSv1.3\nfrom python\n");
    }
    {
      tls_program chat{{CLI_CHAT_SERVER_PATH}};
      auto r = python_tls(chat.port, "{\"type\":\"join\",\"name\":\"py\"}\n", "\n");
      CHECK_MESSAGE(r.code == 0, r.err);
      CHECK_MESSAGE(contains(r.out, "\"type\":\"welcome\""), r.out);
    }
    {
      tls_program rpc{{CLI_RPC_SERVER_PATH}};
      auto r = python_tls(rpc.port,
                          R"({"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1})"
                          "\n",
                          "\n");
      CHECK_MESSAGE(r.code == 0, r.err);
      CHECK_MESSAGE(contains(r.out, R"("result":19)"), r.out);
    }
    {
      tls_program kv{{CLI_KV_SERVER_PATH}};
      auto r = python_tls(kv.port, "*1\r\n$4\r\nPING\r\n", "\r\n");
      CHECK_MESSAGE(r.code == 0, r.err);
      CHECK(r.out == "TLSv1.3\n+PONG\r\n");
    }
  }

  TEST_CASE("tls tools: redis-cli --tls against kv_server with SET GET and a pipeline") {
    const auto& c = certificates();
    tls_program kv{{CLI_KV_SERVER_PATH}};
    const std::vector<std::string> cli{"/usr/bin/redis-cli", "--tls", "--cacert", c.ca, "-h",
                                       "127.0.0.1",          "-p",    kv.port};
    auto with = [&](std::vector<std::string> args) {
      auto argv = cli;
      argv.insert(argv.end(), args.begin(), args.end());
      return argv;
    };
    auto set = run_client(with({"SET", "greeting", "hello tls"}));
    CHECK_MESSAGE(set.out == "OK\n", set.err);
    auto get = run_client(with({"GET", "greeting"}));
    CHECK(get.out == "hello tls\n");
    // --pipe: 1000 commands written without waiting for replies.
    std::string commands;
    for (int i = 0; i < 1000; ++i) {
      const auto key = "k" + std::to_string(i);
      commands +=
          "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$1\r\nv\r\n";
    }
    auto piped = run_client(with({"--pipe"}), commands);
    CHECK_MESSAGE(contains(piped.out, "errors: 0, replies: 1000"), (piped.out + piped.err));
    auto count = run_client(with({"DBSIZE"}));
    CHECK(count.out == "1001\n");
  }

  TEST_CASE("tls tools: Node's tls.connect against rpc_server") {
    const auto& c = certificates();
    tls_program rpc{{CLI_RPC_SERVER_PATH}};
    static const char* script = R"(
const tls = require('tls'), fs = require('fs');
const [port, ca] = process.argv.slice(1);
const s = tls.connect({host: '127.0.0.1', port: +port, servername: 'localhost', ca: fs.readFileSync(ca)}, () => {
  s.write(JSON.stringify({jsonrpc: '2.0', method: 'sum', params: [1, 2, 4], id: 'n'}) + '\n');
});
let got = '';
s.on('data', d => { got += d; if (got.includes('\n')) { console.log(s.getProtocol() + ' ' + got.trim()); s.end(); } });
s.on('error', e => { console.error(e.message); process.exit(1); });
)";
    auto r = run_client({"/usr/bin/node", "-e", script, rpc.port, c.ca});
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK_MESSAGE(contains(r.out, "TLSv1.3"), r.out);
    CHECK_MESSAGE(contains(r.out, R"("result":7)"), r.out);
  }

  TEST_CASE("tls tools: echo_server with --tls-client-ca serves only certified clients") {
    const auto& c = certificates();
    tls_program echo{{CLI_ECHO_SERVER_PATH, "--framing", "line", "--tls-client-ca", c.ca}};
    // Refused with a TLS alert the client reports, not merely "no output".
    auto without = python_tls(echo.port, "anyone\n", "\n");
    CHECK(!contains(without.out, "anyone"));
    CHECK(without.code != 0);
    CHECK_MESSAGE(contains(without.err, "CERTIFICATE_REQUIRED"), without.err);
    auto with = python_tls(echo.port, "certified\n", "\n", {c.client_pem, c.client_key});
    CHECK_MESSAGE(with.code == 0, with.err);
    CHECK(contains(with.out, "certified"));
    auto other =
        python_tls(echo.port, "intruder\n", "\n", {c.other_client_pem, c.other_client_key});
    CHECK(!contains(other.out, "intruder"));
    CHECK(other.code != 0);
    CHECK_MESSAGE(contains(other.err, "UNKNOWN_CA"), other.err);
    // Refusals are logged once each by the server, as handshake failures.
    CHECK(echo.process.wait_stderr(std::regex{"TLS handshake failed"}, 10s));
  }

  TEST_CASE("tls tools: the example clients speak TLS with --tls-ca and --tls-insecure") {
    const auto& c = certificates();
    tls_program echo{{CLI_ECHO_SERVER_PATH, "--framing", "line"}};
    auto load = run_client({CLI_ECHO_CLIENT_PATH, "--port", echo.port, "--tls-ca", c.ca, "--count",
                            "500", "--connections", "4"});
    CHECK_MESSAGE(load.code == 0, load.err);
    CHECK(contains(load.out, "mismatches: 0"));
    auto interactive =
        run_client({CLI_ECHO_CLIENT_PATH, "--port", echo.port, "--tls-insecure"}, "typed line\n");
    CHECK(interactive.out == "typed line\n");
    // Against an unknown CA (the system's store) the client refuses, saying why.
    auto refused = run_client({CLI_ECHO_CLIENT_PATH, "--port", echo.port, "--tls"}, "x\n");
    CHECK(refused.code == 1);
    CHECK_MESSAGE(contains(refused.err, "certificate verify failed"), refused.err);

    tls_program rpc{{CLI_RPC_SERVER_PATH}};
    auto call = run_client(
        {CLI_RPC_CLIENT_PATH, "--port", rpc.port, "--tls-ca", c.ca, "subtract", "[10, 4]"});
    CHECK_MESSAGE(call.out == "6\n", call.err);

    tls_program chat{{CLI_CHAT_SERVER_PATH}};
    auto member = run_client(
        {CLI_CHAT_CLIENT_PATH, "--port", chat.port, "--tls-ca", c.ca, "--name", "ann"}, "hello\n");
    CHECK_MESSAGE(contains(member.out, "welcome"), (member.out + member.err));
  }

  TEST_CASE("tls tools: a PROXY header comes before the TLS handshake") {
    const auto& c = certificates();
    tls_program echo{{CLI_ECHO_SERVER_PATH, "--framing", "line", "--proxy-protocol"}};
    static const char* script = R"(
import socket, ssl, sys
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
raw.sendall(b"PROXY TCP4 192.0.2.44 127.0.0.1 4444 7000\r\n")
ctx = ssl.create_default_context(cafile=sys.argv[2])
with ctx.wrap_socket(raw, server_hostname="localhost") as s:
    s.sendall(b"behind a proxy\n")
    print(s.recv(100).decode(), end="")
)";
    auto r = run_client({"/usr/bin/python3", "-c", script, echo.port, c.ca});
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK(r.out == "behind a proxy\n");
  }

  TEST_CASE("tls tools: SIGHUP reloads a server's certificate and a broken reload keeps it") {
    const auto& c = certificates();
    const auto dir = c.dir / "hangup";
    std::filesystem::create_directories(dir);
    const auto pem = (dir / "cert.pem").string();
    const auto key = (dir / "key.pem").string();
    using std::filesystem::copy_options;
    std::filesystem::copy_file(c.server_pem, pem, copy_options::overwrite_existing);
    std::filesystem::copy_file(c.server_key, key, copy_options::overwrite_existing);
    tls_program echo{{CLI_ECHO_SERVER_PATH, "--framing", "line"}, pem, key};
    auto subject = [&] {
      return run_client({"/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + echo.port,
                         "-CAfile", c.ca, "-verify_return_error"})
          .out;
    };
    CHECK(!contains(subject(), "O = renewed"));
    std::filesystem::copy_file(c.renewed_pem, pem, copy_options::overwrite_existing);
    std::filesystem::copy_file(c.renewed_key, key, copy_options::overwrite_existing);
    echo.process.signal(SIGHUP);
    REQUIRE(echo.process.wait_stderr(std::regex{"TLS certificate reloaded"}, 10s));
    CHECK(contains(subject(), "O = renewed"));
    std::filesystem::copy_file(c.server_key, key, copy_options::overwrite_existing);  // mismatch
    echo.process.signal(SIGHUP);
    REQUIRE(echo.process.wait_stderr(std::regex{"not reloaded.*does not match"}, 10s));
    CHECK(contains(subject(), "O = renewed"));
  }
}
