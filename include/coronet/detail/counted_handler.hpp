// The completion handler of a connection's public async_read_some/async_write_some: it
// adds the bytes to the connection's counts (and its server worker's, see counters.hpp)
// and notes an EOF or a reset for the close cause, then calls the handler it wraps.
//
// User code, asio::async_read and asio::async_write reach the socket this way, so every
// byte they move is counted. coronet's own read and write paths count in a completion
// they already have instead (connection_io.hpp). It presents the wrapped handler's
// executor, allocator and cancellation slot (associated_handler.hpp).
//
// The state is held by pointer: a connection's operations need its state (the socket,
// and over TLS the session) until they complete, which its owner guarantees by keeping
// the connection alive while waiting on it.
#pragma once

#include "coronet/detail/associated_handler.hpp"
#include "coronet/detail/connection_state.hpp"

#include <cstddef>
#include <system_error>
#include <utility>

namespace coronet::detail {

enum class io_direction { read, write };

template <io_direction Direction, typename Handler>
struct counted_handler {
  using inner_handler_type = Handler;
  const Handler& inner_handler() const noexcept { return handler_; }

  Handler handler_;
  connection_state* state_;

  void operator()(std::error_code ec, std::size_t n) {
    if constexpr (Direction == io_direction::read)
      state_->count_read(ec, n);
    else
      state_->count_write(n);
    std::move(handler_)(ec, n);
  }
};

template <io_direction Direction, typename Handler>
counted_handler<Direction, std::decay_t<Handler>> count_io(Handler&& h, connection_state* s) {
  return {std::forward<Handler>(h), s};
}

}  // namespace coronet::detail
