// Reads and writes on a connection's transport (the socket, or its TLS session), with
// and without the counting wrapper.
//
// Every byte a connection moves is counted (connection::bytes_read(), server::stats()).
// User code reaches the transport through connection::async_read_some/async_write_some,
// which wrap each completion in counted_handler. coronet's own layers already have a
// completion of their own where they look at the result (result_handler, write_all_op,
// framed<>'s read loop); they start the operation uncounted and count there, which on
// the echo path saves a handler layer per operation: about 3 % of the server's
// user-space instructions per message, as bench/profiling/instructions.sh measured.
#pragma once

#include "coronet/detail/connection_state.hpp"
#include "coronet/detail/tls_io.hpp"

#include <asio/async_result.hpp>
#include <asio/buffer.hpp>

#include <sys/socket.h>

#include <cstddef>
#include <system_error>
#include <type_traits>
#include <utility>

namespace coronet::detail {

// Starts a read on `s`'s transport; `handler` gets (error_code, bytes). Not counted.
template <typename MutableBufferSequence, typename Handler>
void start_read(connection_state& s, const MutableBufferSequence& buffers, Handler&& handler) {
  s.touch();
  if (s.tls == nullptr) [[likely]]
    s.socket.async_read_some(buffers, std::forward<Handler>(handler));
  else
    async_tls_read_some(s, buffers, std::forward<Handler>(handler));
}

// Direct reads and writes (direct_io.hpp): off in the io_uring build, where each would
// be a system call that io_uring's batched submissions avoid.
#if defined(CORONET_IO_URING)
inline constexpr bool direct_io_enabled = false;
#else
inline constexpr bool direct_io_enabled = true;
#endif

// One non-blocking recv into `buffer`, counted, after direct_io_policy said to try:
// the bytes read, or 0 when the caller should read asynchronously instead (nothing
// there yet, or an error or EOF, which the asynchronous read then reports as usual).
inline std::size_t recv_now(connection_state& s, asio::mutable_buffer buffer) noexcept {
  const auto n = ::recv(s.socket.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n <= 0) {
    s.direct_io.read_miss();
    return 0;
  }
  s.direct_io.read_hit();
  s.touch();
  s.count_read({}, static_cast<std::size_t>(n));
  return static_cast<std::size_t>(n);
}

// recv_now when the policy says to try (never over TLS, whose session buffers), else 0.
inline std::size_t read_now(connection_state& s, asio::mutable_buffer buffer) noexcept {
  if (!direct_io_enabled || s.tls != nullptr || buffer.size() == 0 ||
      !s.direct_io.should_read_now())
    return 0;
  return recv_now(s, buffer);
}

// How much of `buffer` one non-blocking send took, counted, after direct_io_policy said
// to try; the caller sends the rest asynchronously, where an error then shows.
inline std::size_t send_now(connection_state& s, asio::const_buffer buffer) noexcept {
  const auto n =
      ::send(s.socket.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n <= 0) return 0;
  s.touch();
  s.count_write(static_cast<std::size_t>(n), false);
  return static_cast<std::size_t>(n);
}

// send_now when the policy says to try (never over TLS), else 0.
inline std::size_t write_now(connection_state& s, asio::const_buffer buffer) noexcept {
  if (!direct_io_enabled || s.tls != nullptr || buffer.size() == 0 ||
      !s.direct_io.should_write_now())
    return 0;
  return send_now(s, buffer);
}

template <typename ConstBufferSequence, typename Handler>
void start_write(connection_state& s, const ConstBufferSequence& buffers, Handler&& handler) {
  s.touch();
  if (s.tls == nullptr) [[likely]]
    s.socket.async_write_some(buffers, std::forward<Handler>(handler));
  else
    async_tls_write_some(s, buffers, std::forward<Handler>(handler));
}

// stream.async_read_some(...), except that for a coronet::connection the operation is
// not counted: the caller counts it (state_of(stream)->count_read) on completion.
template <typename Stream, typename MutableBufferSequence, typename CompletionToken>
auto async_read_some_uncounted(Stream& stream, const MutableBufferSequence& buffers,
                               CompletionToken&& token) {
  if constexpr (std::is_same_v<Stream, connection>) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
        [](auto handler, connection_state* s, const MutableBufferSequence& b) {
          start_read(*s, b, std::move(handler));
        },
        token, state_of(stream), buffers);
  } else {
    return stream.async_read_some(buffers, std::forward<CompletionToken>(token));
  }
}

template <typename Stream, typename ConstBufferSequence, typename CompletionToken>
auto async_write_some_uncounted(Stream& stream, const ConstBufferSequence& buffers,
                                CompletionToken&& token) {
  if constexpr (std::is_same_v<Stream, connection>) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
        [](auto handler, connection_state* s, const ConstBufferSequence& b) {
          start_write(*s, b, std::move(handler));
        },
        token, state_of(stream), buffers);
  } else {
    return stream.async_write_some(buffers, std::forward<CompletionToken>(token));
  }
}

}  // namespace coronet::detail
