// The one way an example program reports an error it cannot go on from, servers and
// clients alike:
//
//   } catch (const std::exception& e) {
//     return examples::fatal("kv_server", e.what());   // prints, returns the exit code 1
//   }
//
// With --log-format text (the default) the line is "NAME: message", as command-line
// tools and these programs' usage errors print theirs; with --log-format json it is one
// log line (log.hpp) with level "error", event "error" and the program's name, so a log
// collector sees the reason a server died among its other lines.
#pragma once

#include "log.hpp"

#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace examples {

// The exit status of a program that stopped on an error (a usage error exits 2).
inline constexpr int exit_failure = 1;

// Reports an error in the program's log format without ending anything: for an error the
// program goes on from (one failed connection of many) before it exits with fatal().
template <typename... Parts>
void report_error(std::string_view program, const Parts&... parts) {
  std::ostringstream text;
  (text << ... << parts);
  if (current_log_format() == log_format::text) {
    std::cerr << std::string{program} + ": " + text.str() + "\n";
    return;
  }
  log_event(level::error, "error", {{"program", program}}, text.str());
}

// Reports a fatal error (see the file comment) and returns the exit status for main.
template <typename... Parts>
[[nodiscard]] int fatal(std::string_view program, const Parts&... parts) {
  report_error(program, parts...);
  return exit_failure;
}

}  // namespace examples
