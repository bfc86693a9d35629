// metrics_server: one coroutine per connection, on a coronet::server with one thread.
// Each turn of serve()'s loop reads until parse_request_head() has a whole head (or
// fails), answers it, and keeps the connection for the next request or hangs up.
//
// Time bounds, so that no client holds one of the few connection slots for long:
//   - a head must be whole by its deadline (requests.head_timeout), enforced by with_timeout
//     on each read;
//   - between requests, and while a response is being written, the server's own
//     idle_timeout closes a connection on which nothing has started for that long;
//   - hanging up lingers at most `linger` for the peer to close its side.
//
// A keep-alive pool, as nginx's: idle kept-alive connections must not lock a scraper out
// for the whole idle timeout (16 of them, each renewed by one GET a minute, would). The
// server admits one connection over max_connections; serve() then makes room by closing
// the connection idle the longest between requests, or, with none idle, closes the
// newcomer at once (what the server does over its limit). Connections still on their
// first request are not taken: requests.head_timeout bounds them already.
#include "coronet/metrics/metrics_server.hpp"

#include "coronet/core/connection.hpp"
#include "coronet/detail/scope_exit.hpp"
#include "coronet/core/errc.hpp"
#include "coronet/http/request_head.hpp"
#include "coronet/core/server.hpp"
#include "coronet/core/timeout.hpp"

#include <asio/buffer.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <limits>
#include <list>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace coronet {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How much one read asks for: a scraper's whole request fits.
constexpr std::size_t read_chunk = 4096;
// After an answer that ends the connection: time for the peer to read it and close.
// Closing a socket with unread input sends RST, which can destroy the answer before the
// peer has read it (a 431 to a client still sending its oversized head).
constexpr milliseconds linger{1000};

milliseconds time_left(clock::time_point deadline) {
  return std::max(milliseconds{0},
                  std::chrono::duration_cast<milliseconds>(deadline - clock::now()));
}

// RFC 9110 5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". Written by hand: strftime's
// %a and %b follow the process's locale.
std::string http_date() {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 40> text{};
  const int n = std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              days.at(static_cast<std::size_t>(tm.tm_wday)), tm.tm_mday,
                              months.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_year + 1900,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
  return {text.data(), static_cast<std::size_t>(std::max(n, 0))};
}

struct reply {
  int status = 200;
  std::string body;
  bool is_metrics = false;  // the body is render()'s, in options.content_type
  bool close = false;       // end the connection after this reply
};

// An error reply: the status, and why, as plain text.
reply error_reply(int status, std::string_view why, bool close) {
  std::string body{http::reason_phrase(status)};
  if (!why.empty()) body.append(": ").append(why);
  body += '\n';
  return {status, std::move(body), false, close};
}

}  // namespace

struct metrics_server::impl {
  impl(metrics_server_options o, render_function r)
      : options(std::move(o)), render(std::move(r)), server(server_options_for(options)) {}

  static server_options server_options_for(const metrics_server_options& o) {
    server_options s{.host = o.host, .port = o.port, .threads = 1, .limits = o.limits};
    // One over: the newcomer that serve() makes room for (see the top of this file).
    if (s.limits.max_connections != std::numeric_limits<std::size_t>::max())
      ++s.limits.max_connections;
    // A stop waits for answers in flight, no longer than a request may take.
    s.shutdown = {.timeout = o.requests.head_timeout, .handle_signals = false};
    return s;
  }

  // What to answer to a whole, valid head.
  reply route(const http::request_head& head) const {
    // The body is never read, so it would be taken for the next request: answer, close.
    if (head.has_body()) return error_reply(413, "request bodies are not accepted", true);
    if (head.path() != options.path) return error_reply(404, "", false);
    if (head.method != "GET" && head.method != "HEAD")
      return error_reply(405, "only GET and HEAD", false);
    try {
      return {200, render(), true, false};
    } catch (...) {
      // The renderer's failure is the application's; the endpoint keeps serving.
      return error_reply(500, "the metrics could not be rendered", false);
    }
  }

  std::string encode(const reply& r, bool head_only, bool http10_keep_alive) const {
    std::string out;
    out.reserve(200 + (head_only ? 0 : r.body.size()));
    out.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
    out.append(http::reason_phrase(r.status)).append("\r\n");
    out.append("Date: ").append(http_date()).append("\r\n");
    out.append("Content-Type: ")
        .append(r.is_metrics ? std::string_view{options.content_type}
                             : std::string_view{"text/plain; charset=utf-8"})
        .append("\r\n");
    // HEAD: the length the GET body would have, and no body (RFC 9110 9.3.2).
    out.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
    if (r.status == 405) out.append("Allow: GET, HEAD\r\n");
    if (r.close)
      out.append("Connection: close\r\n");
    else if (http10_keep_alive)
      out.append("Connection: keep-alive\r\n");  // an HTTP/1.0 client closes otherwise
    out.append("\r\n");
    if (!head_only) out.append(r.body);
    return out;
  }

  // A connection waiting between requests; `evicted` is its serve()'s flag.
  struct idle_entry {
    connection* conn;
    bool* evicted;
  };

  // Closes the connection idle the longest, if any: its waiting read ends as at EOF
  // (shutdown(SHUT_RD), as a graceful stop does) and its serve() returns, which frees
  // its slot. A request that raced in is still answered, with "Connection: close".
  bool make_room() {
    if (idle_pool.empty()) return false;
    const auto oldest = idle_pool.front();
    idle_pool.pop_front();
    *oldest.evicted = true;
    std::error_code ignored;
    oldest.conn->socket().shutdown(asio::socket_base::shutdown_receive, ignored);
    return true;
  }

  asio::awaitable<void> serve(connection conn) {
    ++open_count;
    const detail::scope_exit count{[this] { --open_count; }};
    // Over the limit: a slot is freed from the idle, or this one is refused.
    if (open_count > options.limits.max_connections && !make_room()) co_return;
    bool evicted = false;  // closed by make_room() for a newcomer
    std::string in;        // received, not yet answered; never above requests.limits.max_head_size
    http::request_head head;
    http::request_limits limits;
    limits.max_head_size = options.requests.limits.max_head_size;
    // A connection's first request is timed from the accept: a peer that connects and
    // says nothing must not hold a slot for the whole idle timeout.
    auto deadline = clock::now() + options.requests.head_timeout;
    bool idle = false;  // between requests, with no byte of the next one yet
    for (;;) {
      const auto parsed = http::parse_request_head(in, head, limits);
      if (parsed.status == http::parse_status::more) {
        // `more` means less than max_head_size bytes are here, so room is never 0.
        const std::size_t have = in.size();
        const std::size_t room = std::min(read_chunk, limits.max_head_size - have);
        in.resize(have + room);
        auto read = conn.read_some(asio::buffer(in.data() + have, room));
        std::size_t n = 0;
        bool timed_out = false;
        if (idle) {
          // Bounded by the server's idle_timeout, or ended early by make_room().
          const auto entry = idle_pool.insert(idle_pool.end(), {&conn, &evicted});
          const detail::scope_exit busy{[this, entry, &evicted] {
            if (!evicted) idle_pool.erase(entry);
          }};
          n = co_await std::move(read);
        } else {
          try {
            n = co_await with_timeout(std::move(read), time_left(deadline));
          } catch (const std::system_error& e) {
            if (e.code() != errc::timed_out) throw;
            timed_out = true;
          }
        }
        in.resize(have + n);
        if (timed_out && !in.empty()) {
          const auto late = error_reply(408, "the request head took too long", true);
          const auto out = encode(late, false, false);
          co_await conn.write(asio::buffer(out));
          co_await hang_up(std::move(conn));
          co_return;
        }
        // Nothing came in time, the peer closed (mid-head: nothing to answer), the idle
        // timeout passed, or the server is stopping.
        if (timed_out || n == 0) co_return;
        if (idle) deadline = clock::now() + options.requests.head_timeout;
        idle = false;
        continue;
      }

      const bool head_only = parsed.status == http::parse_status::ready && head.method == "HEAD";
      const bool http10_keep_alive =
          parsed.status == http::parse_status::ready && head.version_minor == 0 && head.keep_alive();
      auto answer = parsed.status == http::parse_status::fail
                        ? error_reply(parsed.http_status, parsed.error, true)
                        : route(head);
      if (parsed.status == http::parse_status::ready && !head.keep_alive()) answer.close = true;
      if (conn.stopping() || evicted) answer.close = true;
      const auto out = encode(answer, head_only, http10_keep_alive);
      co_await conn.write(asio::buffer(out));
      if (answer.close) {
        co_await hang_up(std::move(conn));
        co_return;
      }
      // `head` views `in`: erase only now. What remains is the next (pipelined) request.
      in.erase(0, parsed.size);
      idle = in.empty();
      deadline = clock::now() + options.requests.head_timeout;
    }
  }

  // Sends FIN after the last answer, then reads and drops what the peer still sends
  // until it closes too, for at most `linger` (see there).
  static asio::awaitable<void> hang_up(connection conn) {
    try {
      conn.shutdown_send();
    } catch (const std::system_error&) {
      co_return;  // the peer is gone already
    }
    const auto until = clock::now() + linger;
    std::array<char, 1024> sink{};
    for (;;) {
      const auto left = time_left(until);
      if (left.count() == 0) co_return;
      std::size_t n = 0;
      try {
        auto read = conn.read_some(asio::buffer(sink));
        n = co_await with_timeout(std::move(read), left);
      } catch (const std::system_error&) {
        co_return;  // timed out or reset: either way, done
      }
      if (n == 0) co_return;
    }
  }

  metrics_server_options options;
  render_function render;
  // The keep-alive pool; used only on the server's one thread, so without a lock.
  std::list<idle_entry> idle_pool;  // between requests, the longest idle first
  std::size_t open_count = 0;       // connections in serve()
  coronet::server server;           // last: stopped, and its thread joined, before the rest goes
};

metrics_server::metrics_server(metrics_server_options options, render_function render) {
  if (!render) throw std::invalid_argument("metrics_server: no render function");
  if (options.path.empty() || options.path.front() != '/')
    throw std::invalid_argument("metrics_server: the path must start with '/'");
  if (options.requests.limits.max_head_size == 0)
    throw std::invalid_argument("metrics_server: requests.limits.max_head_size must be above 0");
  impl_ = std::make_unique<impl>(std::move(options), std::move(render));
}

metrics_server::~metrics_server() = default;  // ~server: stop() and wait()

void metrics_server::listen() {
  impl_->server.listen();
}

void metrics_server::start() {
  // Not a coroutine itself: it only hands the connection to serve(), whose frame owns it.
  impl_->server.start(
      [self = impl_.get()](connection conn) { return self->serve(std::move(conn)); });
}

void metrics_server::stop() noexcept {
  impl_->server.stop();
}

void metrics_server::wait() {
  impl_->server.wait();
}

asio::ip::tcp::endpoint metrics_server::local_endpoint() const {
  return impl_->server.local_endpoint();
}

const metrics_server_options& metrics_server::options() const noexcept {
  return impl_->options;
}

}  // namespace coronet
