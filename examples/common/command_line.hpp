// Command lines of the example programs and coronet-loadgen, on CLI11: --help and
// --version, each option's default in the help, numbers and choices checked with an
// error that names the option, and the options several programs share (--host, --port,
// --threads, --framing) spelt and described the same way everywhere.
//
//   CLI::App app{"Echoes back whatever each client sends.", "echo_server"};
//   examples::standard_options(app);                    // first: defaults apply to all
//   std::uint16_t port = 7000;
//   examples::add_port(app, port, examples::listening);
//   examples::parse(app, argc, argv);                   // exits on --help, errors
#pragma once

#include "fatal.hpp"
#include "log.hpp"

#include <coronet/version.hpp>

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace examples {

// --version prints "NAME (coronet VERSION)"; --help shows every option's default;
// errors start with the program's name. --log-format picks the log lines' format
// (log.hpp).
inline void standard_options(CLI::App& app) {
  app.add_option_function<std::string>(
         "--log-format",
         [](const std::string& f) {
           current_log_format() = f == "json" ? log_format::json : log_format::text;
         },
         "log lines as readable text, or one JSON object per line")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  app.set_version_flag("--version",
                       app.get_name() + " (coronet " + std::string{coronet::version()} + ")");
  app.option_defaults()->always_capture_default();
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    return a->get_name() + ": " + CLI::FailureMessage::simple(a, e);
  });
}

inline CLI::Option* add_host(CLI::App& app, std::string& host, std::string help) {
  return app.add_option("--host", host, std::move(help))->type_name("ADDRESS");
}

// A server may listen on port 0 (the OS picks one); a client connects to 1 to 65535.
enum port_use { listening, connecting };

inline CLI::Option* add_port(CLI::App& app, std::uint16_t& port, port_use use) {
  return app
      .add_option("--port", port, use == listening ? "TCP port (0: any free port)" : "server port")
      ->type_name("PORT")
      ->check(CLI::Range(use == listening ? 0 : 1, 65535));
}

inline CLI::Option* add_threads(CLI::App& app, std::size_t& threads, std::size_t max,
                                std::string help) {
  return app.add_option("--threads", threads, std::move(help))
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, max));
}

inline CLI::Option* add_framing(CLI::App& app, std::string& framing,
                                std::vector<std::string> choices, std::string help) {
  return app.add_option("--framing", framing, std::move(help))
      ->type_name("FRAMING")
      ->check(CLI::IsMember(std::move(choices)));
}

// Parses the command line. --help and --version print to stdout and exit 0; a usage
// error prints itself and a hint to stderr and exits 2, as these programs always have.
inline void parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e) == 0 ? 0 : 2);
  }
}

// A usage error CLI11 cannot see (options that do not fit together): the same form and
// exit status as a parse error.
[[noreturn]] inline void usage_error(const CLI::App& app, const std::string& message) {
  std::cerr << app.get_name() << ": " << message << "\nRun with --help for more information.\n";
  std::exit(2);
}

}  // namespace examples
