// Log lines of the example programs, on stderr, in one of two formats (--log-format):
//
//   text (default)  2026-11-24T21:00:00.123Z echo_server (raw) listening on 127.0.0.1:7000
//   json            {"ts":"2026-11-24T21:00:00.123Z","level":"info","event":"listening",
//                    "address":"127.0.0.1:7000","msg":"echo_server (raw) listening on ..."}
//
// A line is an event with fields; the text format shows its readable message, the JSON
// format one object per line with `ts` (RFC 3339, UTC, milliseconds), `level`, `event`,
// the fields (numbers unquoted) and the message as `msg`:
//
//   examples::log_event(examples::level::info, "listening",
//                       {{"address", ep}, {"threads", threads}},
//                       "echo_server listening on ", ep);
//   examples::log("chat_server stopped");   // event "message", level info
//
// Thread-safe: whole lines never interleave.
#pragma once

#include <coronet/core/errc.hpp>
#include <coronet/core/server.hpp>
#include <coronet/core/stats.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace examples {

enum class log_format { text, json };
enum class level { debug, info, warn, error };

// The process-wide format, set once from the command line (add_log_format).
inline log_format& current_log_format() {
  static log_format format = log_format::text;
  return format;
}

inline std::string_view to_string(level l) {
  switch (l) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

// One field of an event: any streamable value; arithmetic ones stay numbers in JSON.
struct log_field {
  template <typename T>
  log_field(std::string_view k, const T& v) : key(k) {
    if constexpr (std::is_same_v<T, bool>) {
      value = v ? "true" : "false";
      number = true;
    } else if constexpr (std::is_arithmetic_v<T>) {
      value = std::to_string(v);
      number = true;
    } else {
      std::ostringstream s;
      s << v;
      value = s.str();
    }
  }
  std::string_view key;
  std::string value;
  bool number = false;  // written bare in JSON (numbers, booleans)
};

namespace detail {

// "2026-11-24T21:00:00.123Z"
inline std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[40];
  const auto n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(millis));
  return stamp;
}

// A JSON string literal: quotes, backslashes and control characters escaped. Bytes
// above 0x7f pass through (a peer's name is UTF-8 already, or was refused).
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
          out += esc;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

inline void write_line(const std::string& line) {
  static std::mutex m;
  std::lock_guard lock{m};
  std::fputs(line.c_str(), stderr);
}

}  // namespace detail

// Logs `event` with `fields`; the message parts make the text line (and `msg`).
template <typename... Parts>
void log_event(level l, std::string_view event, const std::vector<log_field>& fields,
               const Parts&... message) {
  std::ostringstream text;
  (text << ... << message);
  std::string line;
  if (current_log_format() == log_format::text) {
    line = detail::utc_timestamp() + " " + text.str();
  } else {
    line = "{\"ts\":\"" + detail::utc_timestamp() + "\",\"level\":\"";
    line.append(to_string(l)).append("\",\"event\":");
    detail::append_json_string(line, event);
    for (const auto& f : fields) {
      line += ',';
      detail::append_json_string(line, f.key);
      line += ':';
      if (f.number)
        line += f.value;
      else
        detail::append_json_string(line, f.value);
    }
    if (!text.str().empty()) {
      line += ",\"msg\":";
      detail::append_json_string(line, text.str());
    }
    line += '}';
  }
  line += '\n';
  detail::write_line(line);
}

// A plain message: event "message", level info.
template <typename... Parts>
void log(const Parts&... parts) {
  log_event(level::info, "message", {}, parts...);
}

// A connection that ended by the server's doing or the peer's fault (handler error, bad
// input, refused TLS handshake or PROXY header, idle timeout, forced close): one line,
// event "close". With `all`, every connection's close (and open) is logged.
inline void log_close(const coronet::close_event& e, bool all) {
  using coronet::close_cause;
  const bool quiet = e.cause == close_cause::peer_closed ||
                     e.cause == close_cause::handler_closed ||
                     e.cause == close_cause::server_stop || e.cause == close_cause::peer_reset;
  if (quiet && !all) return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(e.duration).count();
  const auto reason = coronet::to_string(e.cause);
  std::vector<log_field> fields{{"conn", e.id},
                                {"peer", e.remote},
                                {"reason", reason},
                                {"bytes_in", e.bytes_read},
                                {"bytes_out", e.bytes_written},
                                {"duration_ms", ms}};
  std::ostringstream text;
  text << "connection " << e.id << " (" << e.remote << ") closed: ";
  if (e.error) {
    // The text as servers always logged a failed connection: what went wrong.
    const auto error = coronet::describe(e.error);
    fields.emplace_back("error", error);
    text << error;
  } else {
    text << reason << ", " << e.bytes_read << " bytes in, " << e.bytes_written << " out, " << ms
         << " ms";
  }
  log_event(quiet ? level::info : level::warn, "close", fields, text.str());
}

inline void log_open(const coronet::open_event& e) {
  log_event(level::info, "open", {{"conn", e.id}, {"peer", e.remote}, {"tls", e.tls}},
            "connection ", e.id, " (", e.remote, ") opened", e.tls ? " (TLS)" : "");
}

// An on_error hook for coronet::server that logs one line per failed connection (for
// servers that do not set on_close; log_close reports the same failures).
inline void log_connection_error(const coronet::error_info& info) {
  log_event(level::warn, "connection_error",
            {{"conn", info.connection_id},
             {"peer", info.remote},
             {"error", coronet::describe(info.error)}},
            "connection ", info.connection_id, " (", info.remote,
            ") closed: ", coronet::describe(info.error));
}

}  // namespace examples
