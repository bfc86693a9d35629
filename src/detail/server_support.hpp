// Small pieces of server.cpp that are not about its lifecycle: how a failed handler is
// reported, which failures are not worth reporting, a descriptor in transit between
// worker threads, and opening the listening socket.
#pragma once

#include "coronet/errc.hpp"
#include "coronet/server.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <exception>
#include <iostream>
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

// A listening socket on the first of options.host's addresses that binds.
inline asio::ip::tcp::acceptor open_acceptor(asio::io_context& io, const server_options& options) {
  using tcp = asio::ip::tcp;
  tcp::resolver resolver{io};
  auto results = resolver.resolve(options.host, std::to_string(options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service);
  std::error_code last = asio::error::host_not_found;
  for (const auto& entry : results) {
    tcp::acceptor a{io};
    std::error_code ec;
    a.open(entry.endpoint().protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(entry.endpoint(), ec);
    if (!ec) a.listen(options.backlog, ec);
    if (!ec) return a;
    last = ec;
  }
  throw_error(last, "bind " + options.host + ":" + std::to_string(options.port));
}

}  // namespace coronet::detail
