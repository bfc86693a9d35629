// Small pieces of server.cpp that are not about its lifecycle: how a failed handler is
// reported, which failures are not worth reporting, a descriptor in transit between
// worker threads, and opening the listening socket.
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/core/server.hpp"
#include "coronet/detail/connection_state.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <unistd.h>

namespace coronet::detail {

inline void default_error_report(const error_info& info) {
  std::cerr << "coronet: connection " << info.connection_id << " (" << info.remote
            << ") failed: " << describe(info.error) << '\n';
}

inline bool is_quiet(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error& se) {
    return is_disconnect(se.code());
  } catch (...) {
    return false;
  }
}

// Why a connection ended, from what was seen on its way (connection_state's `seen`
// flags, its close_reason) and what its handler threw; the first that applies, in the
// order of close_cause.
inline close_cause close_cause_of(const connection_state& s, const std::exception_ptr& e) {
  if (s.refused) return *s.refused;
  if ((s.seen & connection_state::saw_force_close) != 0) return close_cause::forced_close;
  if (s.close_reason == errc::shutting_down) return close_cause::server_stop;
  if (s.close_reason == errc::timed_out) return close_cause::idle_timeout;
  if ((s.seen & connection_state::saw_bad_input) != 0) return close_cause::bad_input;
  if (e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::system_error& se) {
      const auto ec = se.code();
      if (ec == errc::timed_out) return close_cause::idle_timeout;  // a framed read_timeout
      if (ec == errc::frame_too_large || ec == errc::truncated_frame) return close_cause::bad_input;
      if (ec == asio::error::eof) return close_cause::peer_closed;
      if (is_disconnect(ec)) return close_cause::peer_reset;
    } catch (...) {
    }
    return close_cause::handler_error;
  }
  if ((s.seen & connection_state::saw_eof) != 0) return close_cause::peer_closed;
  if ((s.seen & connection_state::saw_reset) != 0) return close_cause::peer_reset;
  return close_cause::handler_closed;
}

// A native socket descriptor in transit between threads; closes it unless released.
class owned_descriptor {
 public:
  explicit owned_descriptor(int fd) noexcept : fd_(fd) {}
  owned_descriptor(owned_descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  owned_descriptor& operator=(owned_descriptor&&) = delete;
  ~owned_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  void release() noexcept { fd_ = -1; }

 private:
  int fd_;
};

// A listening socket on `endpoint`, or the error that stopped it. `reuse_port`: with
// SO_REUSEPORT, so that every worker can listen on the same address and the kernel
// spreads new connections among them.
inline std::optional<asio::ip::tcp::acceptor> try_listen(asio::io_context& io,
                                                         const asio::ip::tcp::endpoint& endpoint,
                                                         int backlog, bool reuse_port,
                                                         std::error_code& ec) {
  asio::ip::tcp::acceptor a{io};
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port)
    a.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(backlog, ec);
  if (ec) return std::nullopt;
  return a;
}

// A listening socket on the first of options.host's addresses that binds.
inline asio::ip::tcp::acceptor open_acceptor(asio::io_context& io, const server_options& options) {
  using tcp = asio::ip::tcp;
  tcp::resolver resolver{io};
  auto results = resolver.resolve(options.host, std::to_string(options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service);
  std::error_code last = asio::error::host_not_found;
  for (const auto& entry : results) {
    std::error_code ec;
    auto a =
        try_listen(io, entry.endpoint(), options.listen.backlog, options.listen.reuse_port, ec);
    if (a) return std::move(*a);
    last = ec;
  }
  throw_error(last, "bind " + options.host + ":" + std::to_string(options.port));
}

}  // namespace coronet::detail
