/// @file
/// @code{.unparsed}
/// coronet::websocket::stream: a WebSocket connection, server or client side, after the
/// opening handshake. Made by websocket::accept() (server) or websocket::connect()
/// (client, client.hpp).
///
///   asio::awaitable<void> echo(coronet::connection conn) {
///     auto req = co_await coronet::http::read_request(conn);
///     if (!req) co_return;
///     auto ws = co_await coronet::websocket::accept(std::move(conn), std::move(*req));
///     if (!ws) co_return;                         // refused; the client got 400/405/426
///     while (auto msg = co_await ws->read())      // nothing once the connection is closed
///       ws->write(*msg);                          // echo: text as text, binary as binary
///   }
///
/// read() returns the next whole message (opcode text or binary; fragments reassembled,
/// text checked to be UTF-8), valid until the next read(). Meanwhile it answers pings
/// with pongs and runs the close handshake; it returns nothing once the connection is
/// over, and close_status() then says how it ended:
///   - the peer sent a close frame: it is answered with the same code, the TCP
///     connection closed (by_peer, the peer's code and reason);
///   - the peer broke the protocol: a close frame with the code RFC 6455 names (1002
///     protocol error, 1007 text not UTF-8, 1009 message too big), then close;
///   - the server is stopping (coronet::server::stop(), SIGTERM): a close frame 1001
///     "going away", then close; the server's drain waits for this;
///   - the peer vanished (TCP closed without a close frame, or no answer to the
///     keepalive ping): code 1006, nothing sent.
/// Other failures (a reset, a slow consumer closed by its outbox) throw std::system_error
/// as framed<>::read() does.
///
/// Writing: write() buffers (sent before read() waits, or by flush()); send_text(),
/// send_binary() and send() go through the bounded outbox (backpressure: they wait above
/// the high-water mark); get_outbox() is the handle for other coroutines and threads;
/// frames() is the framed<websocket::codec> underneath, which broadcast_group::join()
/// takes. close(code, reason) starts the close handshake from this side.
///
/// Thread safety: like framed<>, a stream is used on its connection's executor; the
/// outbox is the part for other threads. Do not move a stream while one of its
/// operations is pending.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/framing/framed.hpp"
#include "coronet/framing/framed_options.hpp"
#include "coronet/framing/outbox.hpp"
#include "coronet/http/request.hpp"
#include "coronet/websocket/codec.hpp"
#include "coronet/websocket/frame.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coronet::websocket {

/// How a stream behaves: its codec and framing limits, keepalive pings and close timing.
struct stream_options {
  /// Security: max_message (1 MiB by default) is the largest message taken from the
  /// peer. The role is set by accept() and connect().
  codec_options codec{};
  /// Security: the read buffer, the outbox's high-water mark (1 MiB: above it send()
  /// waits, try_send() refuses) and the time one frame may take to arrive once begun
  /// (read_timeout; 0 by default, no limit).
  framed_options framing{};
  /// Keepalive: after this long without a frame from the peer, a ping is sent; if still
  /// nothing has arrived pong_timeout later (0: one more ping_interval), the connection
  /// is closed (close_status() 1006). 0: no pings. Frames are counted as read() takes
  /// them, so keep reading. Our pings are writes, so they also keep the server's
  /// idle_timeout from closing a quiet connection.
  std::chrono::milliseconds ping_interval{0};
  std::chrono::milliseconds pong_timeout{0};  ///< keepalive: see ping_interval
  /// How long close() waits for the peer's close frame, and how long a closing side
  /// waits for the peer to close its end of the TCP connection.
  std::chrono::milliseconds close_timeout{std::chrono::seconds(5)};
};

/// How a connection ended.
struct close_info {
  /// The close code: the peer's (by_peer) or ours, 1005 when the peer's close frame had
  /// none, 1006 when the TCP connection ended without a close frame.
  std::uint16_t code = 0;
  std::string reason;    ///< the close frame's reason (the peer's or ours); may be empty
  bool by_peer = false;  ///< whether the peer ended it: its close frame, or TCP closed
};

/// A WebSocket connection after the opening handshake (see the top of this file).
class stream {
 public:
  using frames_type = framed<codec, connection>;  ///< the framed connection underneath

  /// Over a connection whose handshake is done; `already_read`: bytes read past the
  /// handshake (the peer's first frames). accept() and connect() call this.
  explicit stream(connection conn, stream_options options = {}, std::string subprotocol = {},
                  std::string_view already_read = {});
  /// Moves the stream; not while one of its operations is pending.
  stream(stream&& other) noexcept = default;
  /// The same for move assignment.
  stream& operator=(stream&& other) noexcept;
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream();

  /// The next message, or nothing once the connection is over (see above).
  asio::awaitable<std::optional<frame>> read();

  /// Buffers a frame: a text message (std::string_view), binary{...}, ping{...}, a frame
  /// read (echo). Sent before read() waits, or by flush().
  template <typename T>
  requires encoder_for<codec, T>
  void write(const T& f) { frames_.write(f); }
  /// Sends what write() has buffered.
  asio::awaitable<void> flush() { return frames_.flush(); }

  /// Through the outbox: waits while high_water_mark bytes are queued. The bytes must
  /// stay valid until the co_await returns.
  asio::awaitable<void> send_text(std::string_view text) { return frames_.send(text); }
  /// One binary message through the outbox, as send_text().
  asio::awaitable<void> send_binary(std::string_view data) {
    return frames_.send(binary<std::string_view>{data});
  }
  /// Any frame the codec encodes (binary{...}, ping{...}, ...) through the outbox, as
  /// send_text().
  template <typename T>
  requires encoder_for<codec, T> asio::awaitable<void> send(T f) {
    return frames_.send(std::move(f));
  }

  /// Starts the close handshake: sends a close frame, waits up to close_timeout for the
  /// peer's (discarding messages that still arrive), then closes. `code` 0 sends a close
  /// frame without a code. Call it from the coroutine that reads, not while a read() is
  /// pending.
  /// (Not coroutines themselves: the reason is copied here, so a temporary passed in a
  /// co_await statement never reaches the coroutine frame.)
  asio::awaitable<void> close(std::uint16_t code = static_cast<std::uint16_t>(close_code::normal),
                              std::string_view reason = {}) {
    return close_handshake(code, std::string{reason});
  }
  /// The same, with a close_code.
  asio::awaitable<void> close(close_code code, std::string_view reason = {}) {
    return close_handshake(static_cast<std::uint16_t>(code), std::string{reason});
  }

  /// For other coroutines and threads: out.try_send(text) sends one text message.
  outbox<codec, connection> get_outbox() const { return frames_.get_outbox(); }
  /// The framed<> underneath: broadcast_group<websocket::codec>::join(ws.frames()).
  frames_type& frames() noexcept { return frames_; }
  /// The connection underneath.
  connection& transport() noexcept { return frames_.stream(); }

  /// The subprotocol agreed in the handshake, "" for none.
  const std::string& subprotocol() const noexcept { return subprotocol_; }
  /// How the connection ended; nothing while it is open.
  const std::optional<close_info>& close_status() const noexcept { return closed_; }
  /// Whether the connection is still open: true until close_status() has a value.
  bool is_open() const noexcept { return !closed_; }

 private:
  struct keepalive;
  static asio::awaitable<void> run_keepalive(std::shared_ptr<keepalive> k,
                                             outbox<codec, connection> out,
                                             std::chrono::milliseconds interval,
                                             std::chrono::milliseconds patience);
  asio::awaitable<void> close_handshake(std::uint16_t code, std::string reason);
  asio::awaitable<void> fail(std::error_code ec, std::exception_ptr error);
  asio::awaitable<void> close_and_finish(std::uint16_t code, std::string reason);
  void stop_keepalive() noexcept;

  frames_type frames_;
  stream_options options_;
  std::string subprotocol_;
  std::optional<close_info> closed_;
  bool close_sent_ = false;
  std::shared_ptr<keepalive> keepalive_;
};

/// How accept() answers an upgrade: the subprotocol, more fields, the stream's options.
struct accept_options {
  /// The subprotocol to agree to, one the client offered (offered_subprotocols(),
  /// choose_subprotocol()); "" for none.
  std::string subprotocol{};
  /// More fields for the 101 response (Set-Cookie, ...).
  std::vector<std::pair<std::string, std::string>> headers{};
  stream_options stream{};  ///< the role is set to server
};

/// The server side of the upgrade: checks `req` (check_upgrade()) and answers 101
/// Switching Protocols with Sec-WebSocket-Accept, or refuses with 400, 405 or 426 (and
/// hangs up) and returns nothing. The bytes that followed the request head (req.rest())
/// are the first of the stream. Throws std::invalid_argument if options.subprotocol is
/// not one the client offered.
asio::awaitable<std::optional<stream>> accept(connection conn, http::request req,
                                              accept_options options);
/// With the default options. An overload, not a default argument: g++ 12 corrupts a
/// braced temporary holding a std::string (accept_options{}) when it is made inside a
/// co_await statement; here it is made in a plain function.
inline asio::awaitable<std::optional<stream>> accept(connection conn, http::request req) {
  return accept(std::move(conn), std::move(req), accept_options{});
}

}  // namespace coronet::websocket
