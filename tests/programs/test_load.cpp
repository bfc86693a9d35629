// Load on echo_server as users run it: a separate process, driven by stress_client (its
// own process too, holding its own descriptors). Built only with the example programs
// (tests/CMakeLists.txt). docs/reliability.md lists the figures.
#include "process.hpp"
#include "support.hpp"

#include <cstdlib>
#include <string>

using namespace coronet::test;

namespace {

// 1 000 000 by default; CORONET_STRESS_MESSAGES overrides (see docs/reliability.md).
std::string message_count() {
  const char* env = std::getenv("CORONET_STRESS_MESSAGES");
  return env != nullptr && *env != '\0' ? std::string{env} : std::string{"1000000"};
}

}  // namespace

TEST_SUITE("load") {
  TEST_CASE("10000 concurrent connections to echo_server are each verified") {
    raise_fd_limit();  // both children inherit it (and raise it again themselves)
    child_process srv{{ECHO_SERVER_PATH, "--port", "0", "--framing", "line"}};
    auto port = srv.wait_stderr(listening, 10s);
    REQUIRE(port);
    child_process client{
        {STRESS_CLIENT_PATH, "--port", *port, "--mode", "hold", "--connections", "10000"}};
    auto code = client.wait(100s);
    MESSAGE(client.out_text);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(output_field(client.out_text, "verified") == "10000");
    CHECK(output_field(client.out_text, "mismatches") == "0");
    srv.signal(SIGTERM);
    CHECK(srv.wait(15s) == 0);
  }

  TEST_CASE("one million messages over 100 connections arrive intact and in order") {
    const std::string count = message_count();
    child_process srv{{ECHO_SERVER_PATH, "--port", "0", "--framing", "line"}};
    auto port = srv.wait_stderr(listening, 10s);
    REQUIRE(port);
    child_process client{{STRESS_CLIENT_PATH, "--port", *port, "--mode", "pipeline",
                          "--connections", "100", "--messages", count, "--window", "64"}};
    auto code = client.wait(110s);
    MESSAGE(client.out_text);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(output_field(client.out_text, "verified") == count);
    CHECK(output_field(client.out_text, "mismatches") == "0");
    srv.signal(SIGTERM);
    CHECK(srv.wait(15s) == 0);
  }
}
