#include "coronet/http/response.hpp"

#include "coronet/core/timeout.hpp"
#include "coronet/http/request_head.hpp"

#include <asio/buffer.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace coronet::http {

std::string format_date(std::time_t time) {
  // Written by hand: strftime's %a and %b follow the process's locale.
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&time, &tm);
  std::array<char, 40> text{};
  const int n = std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              days.at(static_cast<std::size_t>(tm.tm_wday)), tm.tm_mday,
                              months.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_year + 1900,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
  return {text.data(), static_cast<std::size_t>(std::max(n, 0))};
}

std::string date_now() {
  return format_date(std::time(nullptr));
}

response error_response(int status, std::string_view why) {
  response r;
  r.status = status;
  r.body = std::to_string(status);
  const auto phrase = reason_phrase(status);
  if (!phrase.empty()) r.body.append(" ").append(phrase);
  if (!why.empty()) r.body.append(": ").append(why);
  r.body += '\n';
  return r;
}

std::string format(const response& r) {
  std::string out;
  out.reserve(160 + (r.head_only ? 0 : r.body.size()));
  out.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
  out.append(reason_phrase(r.status)).append("\r\n");
  out.append("Date: ").append(date_now()).append("\r\n");
  if (!r.content_type.empty()) out.append("Content-Type: ").append(r.content_type).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  if (!r.keep_alive) out.append("Connection: close\r\n");
  for (const auto& [name, value] : r.headers)
    out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n");
  if (!r.head_only) out.append(r.body);
  return out;
}

namespace detail {

asio::awaitable<void> hang_up(connection* conn, std::chrono::milliseconds linger) {
  using clock = std::chrono::steady_clock;
  try {
    conn->shutdown_send();
  } catch (const std::system_error&) {
    co_return;  // the peer is gone already
  }
  const auto until = clock::now() + linger;
  std::array<char, 1024> sink{};
  for (;;) {
    const auto left = until - clock::now();
    if (left <= clock::duration::zero()) co_return;
    std::size_t n = 0;
    try {
      n = co_await with_timeout(conn->read_some(asio::buffer(sink)), left);
    } catch (const std::system_error&) {
      co_return;  // timed out or reset: either way, done
    }
    if (n == 0) co_return;
  }
}

asio::awaitable<void> write_response(connection* conn, std::string bytes, bool hang_up) {
  co_await conn->write(asio::buffer(bytes));
  if (hang_up) co_await detail::hang_up(conn, std::chrono::seconds(1));
}

}  // namespace detail
}  // namespace coronet::http
