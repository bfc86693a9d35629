// The command lines of the example programs and coronet-loadgen (CLI11): --help and
// --version, every option that existed before with its default, and usage errors with
// exit status 2.
#include "process.hpp"
#include "support.hpp"

#include <coronet/version.hpp>

#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace coronet;
using namespace coronet::test;

namespace {

#if defined(TINY_ECHO_PATH) && defined(CLI_ECHO_SERVER_PATH)

// One example program's command line as it was before the move to CLI11: every option's
// name and default must still be there.
struct cli_program {
  std::string path;
  std::vector<std::string> needs;  // what every run needs besides the flag tried
  std::vector<std::pair<std::string, std::string>> options;  // name, default ("" if none)
};

std::vector<cli_program> cli_programs() {
  const std::string host = "127.0.0.1";
  std::vector<cli_program> programs{
      {CLI_ECHO_SERVER_PATH,
       {},
       {{"host", host}, {"port", "7000"}, {"framing", "line"}, {"threads", "1"}}},
      {CLI_ECHO_CLIENT_PATH,
       {},
       {{"host", host},
        {"port", "7000"},
        {"framing", "line"},
        {"count", "0"},
        {"size", "64"},
        {"connections", "1"}}},
      {CLI_CHAT_SERVER_PATH,
       {},
       {{"host", host}, {"port", "7777"}, {"threads", "1"}, {"max-queue", "262144"}}},
      {CLI_CHAT_CLIENT_PATH, {"--name", "amy"}, {{"name", ""}, {"host", host}, {"port", "7777"}}},
      {CLI_RPC_SERVER_PATH,
       {},
       {{"host", host},
        {"port", "7070"},
        {"framing", "line"},
        {"threads", "1"},
        {"max-frame", "1048576"}}},
      {CLI_RPC_CLIENT_PATH,
       {"sum"},
       {{"host", host},
        {"port", "7070"},
        {"framing", "line"},
        {"timeout", "10000"},
        {"notify", ""}}},
      {CLI_KV_SERVER_PATH,
       {},
       {{"host", host}, {"port", "6380"}, {"threads", "1"}, {"max-output", "134217728"}}},
  };
#if defined(CLI_LOADGEN_PATH)
  programs.push_back({CLI_LOADGEN_PATH,
                      {},
                      {{"mode", "pingpong"},
                       {"host", host},
                       {"port", "7000"},
                       {"connections", "1"},
                       {"size", "64"},
                       {"duration", "5"},
                       {"pipeline", "1"},
                       {"framing", "line"},
                       {"threads", "1"},
                       {"json", ""}}});
#endif
  return programs;
}

bool has_option(const cli_program& p, const std::string& name) {
  for (const auto& [option, fallback] : p.options)
    if (option == name) return true;
  return false;
}

finished run_with(const cli_program& p, std::vector<std::string> args) {
  std::vector<std::string> argv{p.path};
  argv.insert(argv.end(), p.needs.begin(), p.needs.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_end(std::move(argv));
}

#endif

}  // namespace

TEST_SUITE("basics") {
  // One version: project() in CMakeLists.txt, the macros of coronet/version.hpp, and the
  // library's coronet::version().
  TEST_CASE("the version macros and coronet::version() agree with the project's version") {
    CHECK(coronet::version() == CORONET_PROJECT_VERSION);
    CHECK(std::string{CORONET_VERSION_STRING} == CORONET_PROJECT_VERSION);
    CHECK(std::to_string(CORONET_VERSION_MAJOR) + "." + std::to_string(CORONET_VERSION_MINOR) +
              "." + std::to_string(CORONET_VERSION_PATCH) ==
          CORONET_PROJECT_VERSION);
    CHECK(CORONET_VERSION ==
          CORONET_VERSION_MAJOR * 10000 + CORONET_VERSION_MINOR * 100 + CORONET_VERSION_PATCH);
  }

#if defined(TINY_ECHO_PATH) && defined(CLI_ECHO_SERVER_PATH)
  TEST_CASE("example programs print the project version for --version") {
    for (const auto& program : cli_programs()) {
      CAPTURE(program.path);
      const auto r = run_with(program, {"--version"});
      CHECK(r.code == 0);
      CHECK(r.out.find("(coronet " CORONET_PROJECT_VERSION ")") != std::string::npos);
    }
  }

  TEST_CASE("example programs keep every option and its default in --help") {
    for (const auto& program : cli_programs()) {
      CAPTURE(program.path);
      const auto r = run_with(program, {"--help"});
      CHECK(r.code == 0);
      CHECK(r.out.find("--version") != std::string::npos);
      const auto lines = split_lines(r.out);
      for (const auto& option : program.options) {
        const auto& name = option.first;
        const auto& fallback = option.second;
        CAPTURE(name);
        const std::regex option_line{"^  --" + name + "( |$)"};
        const std::string* line = nullptr;
        for (const auto& l : lines)
          if (std::regex_search(l, option_line)) line = &l;
        REQUIRE(line != nullptr);
        CAPTURE(*line);
        // "  --port PORT:INT in [0 - 65535]=7000    description"
        if (!fallback.empty())
          CHECK(std::regex_search(*line, std::regex{"=" + fallback + "( |$)"}));
      }
    }
  }

  TEST_CASE("example programs refuse bad numbers and choices with exit status 2") {
    for (const auto& program : cli_programs()) {
      CAPTURE(program.path);
      std::vector<std::vector<std::string>> bad{
          {"--port", "70000"}, {"--port", "seven"}, {"--port", "-1"}, {"--no-such-option"}};
      if (has_option(program, "threads")) bad.push_back({"--threads", "0"});
      if (has_option(program, "framing")) bad.push_back({"--framing", "carrier-pigeon"});
      if (has_option(program, "mode")) bad.push_back({"--mode", "fast"});
      if (has_option(program, "duration")) bad.push_back({"--duration", "0"});
      for (const auto& args : bad) {
        CAPTURE(args.front());
        CAPTURE(args.back());
        const auto r = run_with(program, args);
        CHECK(r.code == 2);
        CHECK(r.out == "");
        CHECK(r.err.find(args.front()) != std::string::npos);  // the error names the option
      }
    }
  }

  TEST_CASE("rpc_client takes METHOD and PARAMS around its options") {
    const auto served = [](std::vector<std::string> args) {
      child_process server{{CLI_RPC_SERVER_PATH, "--port", "0"}};
      auto port = server.wait_stderr(listening, 10s);
      REQUIRE(port);
      std::vector<std::string> argv{CLI_RPC_CLIENT_PATH};
      for (auto a : args) {
        if (const auto at = a.find("PORT"); at != std::string::npos) a.replace(at, 4, *port);
        argv.push_back(a);
      }
      auto r = run_to_end(std::move(argv));
      server.signal(SIGTERM);
      CHECK(server.wait(15s) == 0);
      return r;
    };
    auto sum = served({"--port", "PORT", "sum", "[1,2,4]"});
    CHECK(sum.code == 0);
    CHECK(sum.out == "7\n");
    auto named = served({"subtract", "--port=PORT", R"({"minuend":42,"subtrahend":23})"});
    CHECK(named.code == 0);
    CHECK(named.out == "19\n");
    auto notified = served({"--notify", "--port", "PORT", "update", "[1,2,3]"});
    CHECK(notified.code == 0);
    CHECK(notified.out == "");
    auto scalar = run_to_end({CLI_RPC_CLIENT_PATH, "sum", "3"});
    CHECK(scalar.code == 2);
    CHECK(scalar.err.find("PARAMS must be a JSON array or object") != std::string::npos);
    auto missing = run_to_end({CLI_RPC_CLIENT_PATH, "--port", "7070"});
    CHECK(missing.code == 2);
    CHECK(missing.err.find("METHOD") != std::string::npos);
  }
#endif
}
