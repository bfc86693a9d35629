/// @file
/// @code{.unparsed}
/// coronet::connection: one TCP connection, owned by the coroutine that serves it.
///
///   asio::awaitable<void> echo(coronet::connection conn) {
///     std::array<char, 4096> buf;
///     for (;;) {
///       auto n = co_await conn.read_some(asio::buffer(buf));  // 0 at clean EOF
///       if (n == 0) co_return;
///       co_await conn.write(asio::buffer(buf, n));
///     }
///   }
///
/// A connection is move-only and closes its socket when the last owner goes away. It is
/// an Asio AsyncReadStream and AsyncWriteStream, so asio::async_read, asio::async_write
/// and coronet::framed work on it directly.
///
/// TLS: a connection accepted by a server with TLS on (server_options::tls), or opened by
/// connect() with a TLS context, is encrypted; it has the same type and the same members,
/// so every handler, framed<> and json_channel work over it unchanged. tls() tells the two
/// apart. The handshake has finished before a handler gets the connection.
///
/// Thread safety: like an Asio socket, one connection is used from its own executor
/// (the server's worker thread that accepted it). stopping(), id() and
/// remote_endpoint() may be called from anywhere.
/// @endcode
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/core/tls_context.hpp"
#include "coronet/detail/connection_io.hpp"
#include "coronet/detail/connection_state.hpp"
#include "coronet/detail/counted_handler.hpp"
#include "coronet/detail/result_handler.hpp"
#include "coronet/detail/tls_io.hpp"
#include "coronet/detail/write_all.hpp"

#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/detail/bind_handler.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>

namespace coronet {

namespace detail {
struct connection_access;
}  // namespace detail

/// One TCP connection (plain or TLS), owned by the coroutine that serves it (see the file
/// comment).
class connection {
 public:
  using executor_type = asio::any_io_executor;    ///< the executor its operations run on
  using socket_type = asio::ip::tcp::socket;      ///< the underlying socket
  using endpoint_type = asio::ip::tcp::endpoint;  ///< a TCP address and port

  /// Wraps an already connected socket (what connect() and the server do).
  explicit connection(socket_type socket);
  /// Takes over the other connection; it is left empty (not open).
  connection(connection&&) noexcept = default;
  /// Takes over the other connection, releasing this one's (closed if this was the last
  /// owner).
  connection& operator=(connection&&) noexcept = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() = default;

  /// Reads at least one byte. Returns 0 at a clean end of input: the peer closed or
  /// half-closed its side, the server is stopping (after the bytes already received are
  /// drained), or the idle timeout closed the connection. Other errors (reset, ...)
  /// throw std::system_error.
  ///
  /// When the socket is likely to hold data already (a busy peer), the read first tries
  /// it directly and returns without a trip through the event loop
  /// (detail/direct_io.hpp); otherwise, and always over TLS, it is Asio's asynchronous
  /// read.
  template <typename MutableBufferSequence>
  asio::awaitable<std::size_t> read_some(const MutableBufferSequence& buffers) {
    if constexpr (std::is_convertible_v<MutableBufferSequence, asio::mutable_buffer>) {
      if (detail::direct_io_enabled && state_->tls == nullptr &&
          state_->direct_io.should_read_now())
        return read_some_direct(asio::mutable_buffer(buffers));
    }
    return read_some_async(buffers);
  }

  /// Writes the whole buffer sequence or throws std::system_error. While the peer is slow
  /// to answer, a single buffer is first offered to the socket directly
  /// (detail/direct_io.hpp); what it does not take is written asynchronously.
  template <typename ConstBufferSequence>
  asio::awaitable<void> write(const ConstBufferSequence& buffers) {
    if constexpr (std::is_convertible_v<ConstBufferSequence, asio::const_buffer>) {
      if (detail::direct_io_enabled && state_->tls == nullptr &&
          state_->direct_io.should_write_now())
        return write_direct(asio::const_buffer(buffers));
    }
    return write_async(buffers);
  }

  /// Waits until the socket is readable: data, EOF or an error is there to be read. Lets
  /// a handler hold no buffer while its peer is silent:
  ///
  ///   co_await conn.wait_readable();
  ///   auto buf = std::make_unique_for_overwrite<char[]>(16 * 1024);
  ///
  /// Throws std::system_error if the connection is closed meanwhile.
  asio::awaitable<void> wait_readable();

  /// Half-close: sends FIN (over TLS, close_notify first); reads still work until the
  /// peer closes too.
  void shutdown_send();
  /// Closes the socket now; pending operations complete with operation_aborted.
  void close();
  /// True while the socket is open (false for a moved-from connection).
  bool is_open() const noexcept { return state_ && state_->socket.is_open(); }

  /// True once the owning server has begun a graceful stop.
  bool stopping() const noexcept {
    return state_ && state_->stopping.load(std::memory_order_relaxed);
  }
  /// Why the library ended this connection: errc::timed_out (idle timeout),
  /// errc::shutting_down (server stop), or empty (it did not).
  std::error_code close_reason() const noexcept {
    return state_ ? state_->close_reason : std::error_code{};
  }

  /// What TLS negotiated, or nothing for a plain TCP connection.
  std::optional<tls_info> tls() const;
  /// True for a TLS connection, false for plain TCP.
  bool is_tls() const noexcept { return state_ && state_->tls != nullptr; }

  /// A number unique to this connection within the process, counting from 1; 0 when
  /// empty.
  std::uint64_t id() const noexcept { return state_ ? state_->id : 0; }
  /// Bytes read and written through this connection so far (as Node's socket.bytesRead
  /// and bytesWritten; decrypted bytes over TLS). Also counted, per worker, in
  /// server::stats().
  std::uint64_t bytes_read() const noexcept { return state_ ? state_->bytes_read : 0; }
  /// Bytes written through this connection so far (see bytes_read()).
  std::uint64_t bytes_written() const noexcept { return state_ ? state_->bytes_written : 0; }
  /// The peer: the client's address, also when it came through a proxy that sent a
  /// PROXY header (server_options::proxy_protocol).
  endpoint_type remote_endpoint() const noexcept { return state_->remote; }
  /// What the PROXY header said and the proxy's own address; null without one.
  const proxy_info* proxy() const noexcept { return state_ ? state_->proxy.get() : nullptr; }
  /// This side's address and port.
  endpoint_type local_endpoint() const;

  /// The executor the connection's operations run on (its worker thread's).
  executor_type get_executor() noexcept { return state_->socket.get_executor(); }
  /// The raw socket, for options and operations this class does not wrap. Using it
  /// bypasses idle-time bookkeeping, and on a TLS connection its bytes are ciphertext:
  /// read or write through the connection, never the socket.
  socket_type& socket() noexcept { return state_->socket; }
  /// The same, read-only.
  const socket_type& socket() const noexcept { return state_->socket; }

  /// AsyncReadStream / AsyncWriteStream requirements. One initiation serves both
  /// transports, so the result type depends on the token only; plain TCP pays one
  /// predictable branch. Every completion is counted (detail/counted_handler.hpp), which
  /// needs the connection alive until its operations complete: keep it (as a coroutine
  /// does) rather than destroying it with an operation pending.
  template <typename MutableBufferSequence, typename CompletionToken>
  auto async_read_some(const MutableBufferSequence& buffers, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
        [](auto handler, detail::connection_state* s, const MutableBufferSequence& b) {
          detail::start_read(*s, b,
                             detail::count_io<detail::io_direction::read>(std::move(handler), s));
        },
        token, state_.get(), buffers);
  }
  /// The write half of the requirements above.
  template <typename ConstBufferSequence, typename CompletionToken>
  auto async_write_some(const ConstBufferSequence& buffers, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
        [](auto handler, detail::connection_state* s, const ConstBufferSequence& b) {
          detail::start_write(*s, b,
                              detail::count_io<detail::io_direction::write>(std::move(handler), s));
        },
        token, state_.get(), buffers);
  }
  /// Readiness, as asio::basic_socket::async_wait. A wait on a connection costs an
  /// epoll_ctl but no buffer (see wait_readable()). Over TLS, "readable" also holds when
  /// decrypted bytes are already waiting in the session (the socket may have none).
  template <typename CompletionToken>
  auto async_wait(asio::socket_base::wait_type what, CompletionToken&& token) {
    state_->touch();
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [](auto handler, detail::connection_state* s, asio::socket_base::wait_type w) {
          if (s->tls != nullptr && w == asio::socket_base::wait_read && s->tls->has_pending())
            asio::post(s->socket.get_executor(),
                       asio::detail::bind_handler(std::move(handler), std::error_code{}));
          else
            s->socket.async_wait(w, std::move(handler));
        },
        token, state_.get(), what);
  }

 private:
  // The server and connect() wrap a connection's shared state (detail::connection_access).
  friend struct detail::connection_access;
  explicit connection(std::shared_ptr<detail::connection_state> state) noexcept
      : state_(std::move(state)) {}

  friend detail::connection_state* detail::state_of(const connection& c) noexcept;

  /// The direct paths: coroutines, but only taken when the policy said to try (the
  /// asynchronous paths below then cost no frame of their own).
  asio::awaitable<std::size_t> read_some_direct(asio::mutable_buffer buffer) {
    const std::size_t n = detail::recv_now(*state_, buffer);
    if (n != 0) co_return n;
    co_return co_await read_some_async(buffer);
  }
  asio::awaitable<void> write_direct(asio::const_buffer buffer) {
    buffer += detail::send_now(*state_, buffer);
    if (buffer.size() != 0) co_await write_async(buffer);
  }

  /// write() through Asio. Not a coroutine, as read_some_async.
  template <typename ConstBufferSequence>
  asio::awaitable<void> write_async(const ConstBufferSequence& buffers) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [this](auto handler, const ConstBufferSequence& b) {
          detail::result_handler<detail::result_kind::write, decltype(handler)> h{
              std::move(handler), "write"};
          if constexpr (std::is_convertible_v<ConstBufferSequence, asio::const_buffer>)
            detail::async_write_all(*this, asio::const_buffer(b), std::move(h));
          else
            asio::async_write(*this, b, std::move(h));
        },
        asio::use_awaitable, buffers);
  }

  /// read_some() through Asio. Not a coroutine: the translation to an exception happens
  /// in the completion handler, so this costs no frame of its own
  /// (detail/result_handler.hpp).
  template <typename MutableBufferSequence>
  asio::awaitable<std::size_t> read_some_async(const MutableBufferSequence& buffers) {
    return asio::async_initiate<const asio::use_awaitable_t<>&,
                                void(std::exception_ptr, std::size_t)>(
        [this](auto handler, const MutableBufferSequence& b) {
          // Started uncounted: result_handler counts it (connection_io.hpp says why).
          detail::start_read(*state_, b,
                             detail::result_handler<detail::result_kind::read, decltype(handler)>{
                                 std::move(handler), "read", state_.get()});
        },
        asio::use_awaitable, buffers);
  }

  std::shared_ptr<detail::connection_state> state_;
};

/// @cond
namespace detail {
// How the library (the server, connect()) makes a connection from its shared state,
// without a public constructor that takes detail:: types.
struct connection_access {
  static connection make(std::shared_ptr<connection_state> state) noexcept {
    return connection{std::move(state)};
  }
};
}  // namespace detail
/// @endcond

/// @cond
inline detail::connection_state* detail::state_of(const connection& c) noexcept {
  return c.state_.get();
}
/// @endcond

/// Out of the class: it uses async_wait, whose return type is deduced further down.
inline asio::awaitable<void> connection::wait_readable() {
  return async_wait(asio::socket_base::wait_read, asio::use_awaitable);
}

}  // namespace coronet
