// detail::tls_session: one connection's TLS state, behind an interface that OpenSSL
// implements in the coronet::tls target (src/tls/session.cpp).
//
// Each call is one non-blocking step on the socket descriptor: it does what it can and
// says what it waits for. detail/tls_io.hpp turns these steps into Asio asynchronous
// operations by waiting for socket readiness, the way nginx drives OpenSSL. TLS reads
// and writes the socket itself, so there is no second buffer between the socket and
// OpenSSL, and OpenSSL releases its own buffers while a connection is idle.
#pragma once

#include "coronet/core/tls_context.hpp"

#include <asio/buffer.hpp>

#include <cstddef>
#include <string>
#include <system_error>

namespace coronet::detail {

enum class tls_want { nothing, read, write };

// The outcome of one step: done (want == nothing, with bytes and error), or blocked
// until the socket is readable or writable.
struct tls_step {
  tls_want want = tls_want::nothing;
  std::size_t bytes = 0;
  std::error_code error{};  // asio::error::eof at the end of the peer's data
};

class tls_session {
 public:
  tls_session() = default;
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;
  virtual ~tls_session() = default;

  virtual tls_step handshake() = 0;
  virtual tls_step read(asio::mutable_buffer into) = 0;
  // After want::write, the next write must be given the same bytes again.
  virtual tls_step write(asio::const_buffer from) = 0;
  // One non-blocking attempt to send close_notify; never waits for the peer's.
  virtual void send_close_notify() noexcept = 0;
  // Decrypted bytes are waiting inside the session: a read completes without the socket.
  virtual bool has_pending() const noexcept = 0;
  virtual tls_info info() const = 0;
  // Why the last step failed, in words (certificate verify failed: ..., alert ...).
  virtual std::string last_error() const = 0;
};

}  // namespace coronet::detail
