// The steps a server connection may take before its handler runs: reading a PROXY header
// from a trusted proxy, then a TLS handshake, each bounded by a deadline. server.cpp
// decides when they run and counts and reports what they refuse; these say only whether
// the step succeeded and, if not, why.
#pragma once

#include "address_range.hpp"

#include "coronet/core/tls_context.hpp"
#include "coronet/detail/connection_state.hpp"

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace coronet::detail {

// Closes a connection's socket when `timeout` passes, which ends whatever the opening
// step waits for; expired() then says why. The phase is shared with the timer's
// handler: a timer that fired just as the step finished must change nothing.
class opening_deadline {
 public:
  opening_deadline(connection_state& s, std::chrono::milliseconds timeout);
  opening_deadline(const opening_deadline&) = delete;
  opening_deadline& operator=(const opening_deadline&) = delete;
  ~opening_deadline() { finish(); }

  bool expired() const noexcept { return *phase_ == phase::expired; }
  // The step is over: from now on the timer changes nothing.
  void finish() noexcept {
    if (*phase_ == phase::running) *phase_ = phase::finished;
    timer_.cancel();
  }

 private:
  enum class phase { running, expired, finished };
  asio::steady_timer timer_;
  std::shared_ptr<phase> phase_ = std::make_shared<phase>(phase::running);
};

// An opening step's outcome: no error, or the error to report (errc::handshake_failed,
// errc::proxy_refused, errc::timed_out or the socket's) and why, in words.
struct opening_result {
  std::error_code error{};
  std::string why{};
};

// The TLS handshake, within `timeout`. On success s.tls holds the session; on failure it
// is reset (no close_notify for a session that never started).
asio::awaitable<opening_result> open_tls(connection_state& s, tls_context& context,
                                         std::chrono::milliseconds timeout);

// The PROXY header, from a peer in `trusted`, within `timeout`. On success s.remote is the
// client's address from the header (unless it is a LOCAL one) and s.proxy holds it. Takes
// no byte past the header: what follows stays in the socket for the handler.
asio::awaitable<opening_result> read_proxy_header(connection_state& s,
                                                  const std::vector<address_range>& trusted,
                                                  std::chrono::milliseconds timeout);

}  // namespace coronet::detail
