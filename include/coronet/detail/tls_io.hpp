// Asynchronous TLS operations on a connection_state: each runs tls_session steps and,
// when a step is blocked, waits for the socket to become readable or writable, then
// tries again.
//
// They are Asio composed operations (asio::async_compose), so the caller's executor,
// allocator and cancellation slot reach every socket wait, as they do for a plain
// socket operation. An operation that finishes without waiting completes through
// asio::post: a handler is never called from inside the function that started it.
#pragma once

#include "coronet/detail/connection_state.hpp"
#include "coronet/detail/tls_session.hpp"

#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <cstddef>
#include <system_error>
#include <vector>

namespace coronet::detail {

// TLS records carry at most 16 KiB of data; a gather write is joined up to that size so
// that small pieces do not become one record (and one system call) each.
inline constexpr std::size_t tls_record_size = std::size_t{16} * 1024;

enum class tls_op_kind { handshake, read, write };

template <tls_op_kind Kind>
struct tls_op {
  connection_state* state;  // valid while the operation is pending: see connection.hpp
  asio::mutable_buffer in{};
  asio::const_buffer out{};
  std::vector<char> joined{};  // gathered output, kept until written (see write())
  enum { start, waiting, posted } phase = start;
  tls_step result{};

  template <typename Self>
  void operator()(Self& self, std::error_code ec = {}) {
    if (phase == posted) return finish(self);
    // A failed wait: closed or cancelled. The state may be gone; do not touch it.
    if (ec) return complete(self, ec);
    if (!state->socket.is_open()) {
      result = {tls_want::nothing, 0, asio::error::bad_descriptor};
    } else {
      result = step();
    }
    if (result.want != tls_want::nothing) {
      phase = waiting;
      state->socket.async_wait(result.want == tls_want::read ? asio::socket_base::wait_read
                                                             : asio::socket_base::wait_write,
                               std::move(self));
      return;
    }
    if (phase == start) {
      phase = posted;
      asio::post(std::move(self));
      return;
    }
    finish(self);
  }

 private:
  tls_step step() {
    if constexpr (Kind == tls_op_kind::handshake) return state->tls->handshake();
    if constexpr (Kind == tls_op_kind::read) return state->tls->read(in);
    if constexpr (Kind == tls_op_kind::write) return state->tls->write(out);
  }
  template <typename Self>
  void finish(Self& self) {
    complete(self, result.error, result.bytes);
  }
  template <typename Self>
  static void complete(Self& self, std::error_code ec, std::size_t n = 0) {
    if constexpr (Kind == tls_op_kind::handshake)
      self.complete(ec);
    else
      self.complete(ec, n);
  }
};

template <typename CompletionToken>
auto async_tls_handshake(connection_state& s, CompletionToken&& token) {
  return asio::async_compose<CompletionToken, void(std::error_code)>(
      tls_op<tls_op_kind::handshake>{&s}, token, s.socket);
}

// Reads into the first non-empty buffer of the sequence, as a socket's read_some may.
template <typename MutableBufferSequence, typename CompletionToken>
auto async_tls_read_some(connection_state& s, const MutableBufferSequence& buffers,
                         CompletionToken&& token) {
  tls_op<tls_op_kind::read> op{&s};
  for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
       ++it) {
    if (asio::mutable_buffer b(*it); b.size() != 0) {
      op.in = b;
      break;
    }
  }
  return asio::async_compose<CompletionToken, void(std::error_code, std::size_t)>(std::move(op),
                                                                                  token, s.socket);
}

template <typename ConstBufferSequence, typename CompletionToken>
auto async_tls_write_some(connection_state& s, const ConstBufferSequence& buffers,
                          CompletionToken&& token) {
  tls_op<tls_op_kind::write> op{&s};
  auto it = asio::buffer_sequence_begin(buffers);
  const auto end = asio::buffer_sequence_end(buffers);
  while (it != end && asio::const_buffer(*it).size() == 0)
    ++it;
  if (it != end) {
    op.out = asio::const_buffer(*it);
    const auto total = std::min(asio::buffer_size(buffers), tls_record_size);
    if (op.out.size() < total) {
      op.joined.resize(total);
      op.out = asio::buffer(op.joined.data(), asio::buffer_copy(asio::buffer(op.joined), buffers));
    }
  }
  return asio::async_compose<CompletionToken, void(std::error_code, std::size_t)>(std::move(op),
                                                                                  token, s.socket);
}

}  // namespace coronet::detail
