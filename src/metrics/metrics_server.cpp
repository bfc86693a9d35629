// metrics_server: one coroutine per connection, on a coronet::server with one thread.
// serve() is a thin user of http::request_reader (coronet/http/keep_alive.hpp), which
// reads each head (pipelined ones included), answers refusals (400, 408, 431, ...) and
// decides keep-alive; this file only routes a head to its answer and runs the pool below.
//
// Time bounds, so that no client holds one of the few connection slots for long:
//   - a head must be whole by its deadline (requests.head_timeout, the reader's);
//   - between requests, and while a response is being written, the server's own
//     idle_timeout closes a connection on which nothing has started for that long;
//   - hanging up lingers at most a second for the peer to close its side.
//
// A keep-alive pool, as nginx's: idle kept-alive connections must not lock a scraper out
// for the whole idle timeout (16 of them, each renewed by one GET a minute, would). The
// server admits one connection over max_connections; serve() then makes room by closing
// the connection idle the longest between requests, or, with none idle, closes the
// newcomer at once (what the server does over its limit). Connections still on their
// first request are not taken: requests.head_timeout bounds them already.
#include "coronet/metrics/metrics_server.hpp"

#include "coronet/core/connection.hpp"
#include "coronet/core/server.hpp"
#include "coronet/detail/scope_exit.hpp"
#include "coronet/http/keep_alive.hpp"
#include "coronet/http/response.hpp"

#include <chrono>
#include <limits>
#include <list>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace coronet {
namespace {

// What serve() answers to a request other than a metrics one: plain text, kept alive.
http::response error_reply(int status, std::string_view why = {}) {
  auto r = http::error_response(status, why);
  r.keep_alive = true;
  return r;
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
  http::response route(const http::request_head& head) const {
    // The body is never read (the reader closes after such a request): say why.
    if (head.has_body()) return http::error_response(413, "request bodies are not accepted");
    if (head.path() != options.path) return error_reply(404);
    if (head.method != "GET" && head.method != "HEAD") {
      auto r = error_reply(405, "only GET and HEAD");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    try {
      http::response r;
      r.content_type = options.content_type;
      r.body = render();
      r.keep_alive = true;
      return r;
    } catch (...) {
      // The renderer's failure is the application's; the endpoint keeps serving.
      return error_reply(500, "the metrics could not be rendered");
    }
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
    bool evicted = false;                   // closed by make_room() for a newcomer
    std::list<idle_entry>::iterator entry;  // in idle_pool, while idle
    http::keep_alive_options o;
    o.requests = options.requests;
    // 0: the server's own limits.idle_timeout bounds the wait between requests (and a
    // peer that stops reading a response).
    o.idle_timeout = std::chrono::milliseconds::zero();
    http::request_reader reader{conn, o};
    // In the pool only while waiting between requests with no byte of the next one.
    reader.on_idle([this, &conn, &evicted, &entry](bool waiting) {
      if (waiting)
        entry = idle_pool.insert(idle_pool.end(), {&conn, &evicted});
      else if (!evicted)
        idle_pool.erase(entry);
    });
    while (const auto* head = co_await reader.next()) {
      auto answer = route(*head);
      // A request that raced in as make_room() closed the connection is still answered.
      if (evicted) answer.keep_alive = false;
      if (!co_await reader.respond(std::move(answer))) co_return;
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
