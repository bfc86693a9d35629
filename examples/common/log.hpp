// One-line, timestamped log messages on stderr for the example programs.
#pragma once

#include <coronet/server.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <sstream>
#include <string>

namespace examples {

// Writes "2026-11-24T21:00:00.123Z <message>" to stderr. Thread-safe: whole lines never
// interleave.
template <typename... Parts>
void log(const Parts&... parts) {
  std::ostringstream line;
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ ", static_cast<int>(millis));
  line << stamp << ms;
  (line << ... << parts);
  line << '\n';
  static std::mutex m;
  std::lock_guard lock{m};
  std::fputs(line.str().c_str(), stderr);
}

// An on_error hook for coronet::server that logs one line per failed connection.
inline void log_connection_error(const coronet::error_info& info) {
  log("connection ", info.connection_id, " (", info.remote,
      ") closed: ", coronet::describe(info.error));
}

}  // namespace examples
