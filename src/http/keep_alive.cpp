// request_reader: each next() reads until parse_request_head() has a whole head (or
// fails); respond() answers it and keeps the connection for the next request or hangs
// up. The buffer holds the current head and whatever came after it; the next next()
// drops the head only then, so the views handed out stay valid until the caller asks
// for more, and a pipelined request is never lost.
#include "coronet/http/keep_alive.hpp"

#include "coronet/core/errc.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/detail/scope_exit.hpp"

#include <asio/buffer.hpp>

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>

namespace coronet::http {
namespace {

using clock = std::chrono::steady_clock;

// How much one read asks for: a usual request's whole head fits.
constexpr std::size_t read_chunk = 4096;

}  // namespace

asio::awaitable<const request_head*> request_reader::next() {
  if (done_) co_return nullptr;
  // Between requests only if nothing of the next one is here yet.
  bool waiting = idle();
  in_.erase(0, head_size_);
  head_size_ = 0;
  const auto& limits = options_.requests.limits;
  // The first request is timed from here (for a server, about the accept): a peer that
  // connects and says nothing must not hold a connection for the whole idle timeout.
  auto deadline = clock::now() + options_.requests.head_timeout;
  for (;;) {
    if (!waiting) {
      const auto parsed = parse_request_head(in_, head_, limits);
      if (parsed.status == parse_status::ready) {
        head_size_ = parsed.size;
        answered_ = false;
        co_return &head_;
      }
      if (parsed.status == parse_status::fail) {
        co_await refuse(parsed.http_status, parsed.error);
        co_return nullptr;
      }
    }
    // `more` means fewer than max_head_size bytes are here, so there is room.
    const std::size_t have = in_.size();
    const std::size_t room = std::min(read_chunk, limits.max_head_size - have);
    in_.resize(have + room);
    auto read = conn_->read_some(asio::buffer(in_.data() + have, room));
    std::size_t n = 0;
    bool timed_out = false;
    try {
      if (waiting) {
        if (on_idle_) on_idle_(true);
        const coronet::detail::scope_exit busy{[this] {
          if (on_idle_) on_idle_(false);
        }};
        if (options_.idle_timeout.count() > 0)
          n = co_await with_timeout(std::move(read), options_.idle_timeout);
        else
          n = co_await std::move(read);
      } else {
        n = co_await with_timeout(std::move(read),
                                  std::max(clock::duration::zero(), deadline - clock::now()));
      }
    } catch (const std::system_error& e) {
      in_.resize(have);
      if (e.code() != errc::timed_out) throw;
      timed_out = true;
    }
    in_.resize(have + n);
    if (timed_out && !waiting && !in_.empty()) {
      co_await refuse(408, "the request head took too long");
      co_return nullptr;
    }
    // Nothing came in time, the peer closed (mid-head: nothing to answer), the wait
    // between requests was too long, or the server is stopping.
    if (timed_out || n == 0) {
      done_ = true;
      co_return nullptr;
    }
    // A later request's time runs from its first byte.
    if (waiting) deadline = clock::now() + options_.requests.head_timeout;
    waiting = false;
  }
}

asio::awaitable<bool> request_reader::respond(response r) {
  if (head_.method == "HEAD") r.head_only = true;  // RFC 9110 9.3.2: never a body
  // A body is never read, so it would be taken for the next request: close after.
  r.keep_alive =
      r.keep_alive && !done_ && head_.keep_alive() && !head_.has_body() && !conn_->stopping();
  // An HTTP/1.0 client closes unless the answer says it may keep the connection.
  if (r.keep_alive && head_.version_minor == 0) r.headers.emplace_back("Connection", "keep-alive");
  const auto bytes = format(r);
  co_await conn_->write(asio::buffer(bytes));
  answered_ = true;
  if (!r.keep_alive) {
    done_ = true;
    co_await detail::hang_up(conn_, options_.linger);
  }
  co_return r.keep_alive;
}

asio::awaitable<void> request_reader::refuse(int status, std::string_view why) {
  done_ = true;
  const auto refusal = error_response(status, why);
  const auto bytes = format(refusal);
  co_await conn_->write(asio::buffer(bytes));
  co_await detail::hang_up(conn_, options_.linger);
}

namespace detail {

asio::awaitable<void> serve_requests(connection* conn, request_handler handler,
                                     keep_alive_options options) {
  request_reader reader{*conn, options};
  while (const auto* head = co_await reader.next()) {
    std::exception_ptr failure;
    response r;
    try {
      r = handler(*head);
    } catch (...) {
      failure = std::current_exception();
      r = error_response(500);  // what failed is the handler's business, not the peer's
    }
    const bool more = co_await reader.respond(std::move(r));
    if (failure) std::rethrow_exception(failure);
    if (!more) co_return;
  }
}

}  // namespace detail
}  // namespace coronet::http
