// The completion handler every connection read and write goes through: it adds the
// bytes to the connection's counts (and its server worker's, see counters.hpp) and
// notes an EOF or a reset for the close cause, then calls the handler it wraps.
//
// A wrapper rather than counting in each caller: framed<>, json_channel, asio::async_read
// and the user's own code all reach the socket through connection::async_read_some and
// async_write_some, so this one place sees every byte. It presents the wrapped handler's
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
