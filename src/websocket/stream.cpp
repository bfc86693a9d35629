#include "coronet/websocket/stream.hpp"

#include "coronet/core/errc.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/http/response.hpp"
#include "coronet/websocket/handshake.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace coronet::websocket {
namespace {

using clock = std::chrono::steady_clock;

constexpr auto code_of(close_code c) noexcept {
  return static_cast<std::uint16_t>(c);
}

}  // namespace

// Shared by the stream and its keepalive coroutine, which must not touch the stream
// itself (it may move). Touched on the connection's thread only.
struct stream::keepalive {
  explicit keepalive(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::uint64_t frames = 0;  // frames read() took, the sign of life
  bool stopped = false;      // the stream is gone
  bool expired = false;      // closed for want of an answer to a ping
};

asio::awaitable<void> stream::run_keepalive(std::shared_ptr<keepalive> k,
                                            outbox<codec, connection> out,
                                            std::chrono::milliseconds interval,
                                            std::chrono::milliseconds patience) {
  using asio::experimental::as_tuple;
  std::uint64_t seen = k->frames;
  for (;;) {
    k->timer.expires_after(interval);
    auto [ec] = co_await k->timer.async_wait(as_tuple(asio::use_awaitable));
    if (ec || k->stopped) co_return;
    if (k->frames != seen) {
      seen = k->frames;
      continue;
    }
    const ping probe{};
    if (out.try_send(probe).closed()) co_return;
    k->timer.expires_after(patience);
    auto [ec2] = co_await k->timer.async_wait(as_tuple(asio::use_awaitable));
    if (ec2 || k->stopped) co_return;
    if (k->frames != seen) {
      seen = k->frames;
      continue;
    }
    // Nothing for a whole interval and the ping's patience: the peer is gone (or stuck).
    k->expired = true;
    out.close(errc::timed_out);
    co_return;
  }
}

stream::stream(connection conn, stream_options options, std::string subprotocol,
               std::string_view already_read)
    : frames_(std::move(conn), codec{options.codec}, options.framing),
      options_(options),
      subprotocol_(std::move(subprotocol)) {
  if (!already_read.empty()) frames_.preload(already_read);
  if (options_.ping_interval.count() > 0) {
    keepalive_ = std::make_shared<keepalive>(frames_.get_executor());
    const auto patience =
        options_.pong_timeout.count() > 0 ? options_.pong_timeout : options_.ping_interval;
    // run_keepalive ends on its own (timer cancelled, outbox closed); nothing it does
    // throws but the coroutine machinery, which this handler then ignores.
    asio::co_spawn(
        frames_.get_executor(),
        run_keepalive(keepalive_, frames_.get_outbox(), options_.ping_interval, patience),
        [](const std::exception_ptr&) {});
  }
}

stream& stream::operator=(stream&& other) noexcept {
  if (this != &other) {
    stop_keepalive();
    frames_ = std::move(other.frames_);
    options_ = other.options_;
    subprotocol_ = std::move(other.subprotocol_);
    closed_ = std::move(other.closed_);
    close_sent_ = other.close_sent_;
    keepalive_ = std::move(other.keepalive_);
  }
  return *this;
}

stream::~stream() {
  stop_keepalive();
}

void stream::stop_keepalive() noexcept {
  if (!keepalive_) return;
  keepalive_->stopped = true;
  keepalive_->timer.cancel();
  keepalive_.reset();
}

asio::awaitable<std::optional<frame>> stream::read() {
  for (;;) {
    if (closed_) co_return std::nullopt;
    std::optional<frame> f;
    std::error_code failure;
    std::exception_ptr error;
    try {
      f = co_await frames_.read();
    } catch (const std::system_error& e) {
      failure = e.code();
      error = std::current_exception();
    }
    if (failure) {
      co_await fail(failure, error);  // rethrows what is not the end of a conversation
      co_return std::nullopt;
    }
    if (!f) {  // the peer closed TCP between frames, or the server is stopping
      if (transport().stopping()) {
        std::string why = "server shutting down";  // named: g++ 12 and temporaries in co_await
        co_await close_and_finish(code_of(close_code::going_away), std::move(why));
      } else {
        closed_ = close_info{code_of(close_code::abnormal), {}, true};
        frames_.close();
      }
      co_return std::nullopt;
    }
    if (keepalive_) ++keepalive_->frames;
    switch (f->op) {
      case opcode::text:
      case opcode::binary:
        co_return f;
      case opcode::ping:
        if (!close_sent_) frames_.write(pong{f->payload});  // flushed before the next wait
        continue;
      case opcode::pong:
      case opcode::continuation:
        continue;
      case opcode::close:
        break;
    }
    // The peer's close: answer with its code (RFC 6455 5.5.1), then close TCP.
    closed_ = close_info{f->code, std::string{f->payload}, true};
    if (!close_sent_) {
      close_sent_ = true;
      const bool no_code = f->code == code_of(close_code::no_status);
      const close_frame answer{no_code ? std::uint16_t{0} : f->code, {}};
      frames_.write(answer);
    }
    co_await frames_.finish(options_.close_timeout);
    co_return std::nullopt;
  }
}

asio::awaitable<void> stream::fail(std::error_code ec, std::exception_ptr error) {
  // What to send, if anything. (Values named before the co_await: g++ 12 mishandles
  // temporaries inside a co_await statement.)
  std::uint16_t code = 0;
  std::string why;
  if (ec.category() == error_category()) {
    code = static_cast<std::uint16_t>(ec.value());
    why = ec.message();
  } else if (ec == errc::frame_too_large) {
    code = code_of(close_code::message_too_big);
    why = "message too big";
  } else if (ec == errc::timed_out && keepalive_ && keepalive_->expired) {
    closed_ = close_info{code_of(close_code::abnormal), "no answer to a ping", false};
  } else if (ec == errc::timed_out) {  // framed_options::read_timeout: a frame too slow
    code = code_of(close_code::policy_violation);
    why = "frame too slow";
  } else if (ec == errc::truncated_frame && transport().stopping()) {
    code = code_of(close_code::going_away);
    why = "server shutting down";
  } else if (ec == errc::truncated_frame) {
    closed_ = close_info{code_of(close_code::abnormal), {}, true};
    frames_.close();
  } else {
    std::rethrow_exception(error);
  }
  if (code != 0) co_await close_and_finish(code, std::move(why));
}

asio::awaitable<void> stream::close_and_finish(std::uint16_t code, std::string reason) {
  if (reason.size() > codec::max_control_payload - 2) reason.resize(codec::max_control_payload - 2);
  if (!close_sent_) {
    close_sent_ = true;
    const close_frame c{code, reason};
    frames_.write(c);
  }
  closed_ = close_info{code, std::move(reason), false};
  co_await frames_.finish(options_.close_timeout);
}

asio::awaitable<void> stream::close_handshake(std::uint16_t code, std::string reason) {
  if (close_sent_ || closed_) co_return;
  close_sent_ = true;
  const close_frame c{code, reason};
  frames_.write(c);  // throws errc::invalid_frame for a code that may not be sent
  const auto deadline = clock::now() + options_.close_timeout;
  bool done = false;
  try {
    co_await frames_.flush();
  } catch (const std::system_error&) {
    done = true;  // the peer is gone: nothing to wait for
  }
  // Wait for the peer's close frame; messages still on their way are dropped.
  while (!done) {
    const auto left = deadline - clock::now();
    if (left <= clock::duration::zero()) break;
    std::optional<frame> f;
    try {
      f = co_await with_timeout(frames_.read(), left);
    } catch (const std::system_error&) {
      break;
    }
    done = !f || f->op == opcode::close;
  }
  closed_ = close_info{code, std::move(reason), false};
  co_await frames_.finish(options_.close_timeout);
}

asio::awaitable<std::optional<stream>> accept(connection conn, http::request req,
                                              accept_options options) {
  const auto check = check_upgrade(req);
  if (!check) {
    auto refusal = http::error_response(check.status, check.why);
    if (check.status == 426) refusal.headers.emplace_back("Sec-WebSocket-Version", "13");
    if (check.status == 405) refusal.headers.emplace_back("Allow", "GET");
    co_await http::respond(conn, refusal);
    co_return std::nullopt;
  }
  if (!options.subprotocol.empty()) {
    const auto offered = offered_subprotocols(req);
    if (std::find(offered.begin(), offered.end(), options.subprotocol) == offered.end())
      throw std::invalid_argument("websocket::accept: a subprotocol the client did not offer");
  }
  std::string out;
  out.reserve(256);
  out.append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  out.append(accept_key(*req.find("sec-websocket-key"))).append("\r\n");
  if (!options.subprotocol.empty())
    out.append("Sec-WebSocket-Protocol: ").append(options.subprotocol).append("\r\n");
  for (const auto& [name, value] : options.headers)
    out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n");
  co_await conn.write(asio::buffer(out));
  options.stream.codec.role = role::server;
  std::optional<stream> upgraded;
  upgraded.emplace(std::move(conn), options.stream, std::move(options.subprotocol), req.rest());
  co_return std::move(upgraded);
}

}  // namespace coronet::websocket
