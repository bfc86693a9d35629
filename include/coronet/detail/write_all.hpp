// async_write_all(stream, buffer, token): asio::async_write for one contiguous buffer,
// without asio::async_write's own cancellation state.
//
// Why: asio::async_write (Asio 1.22) builds a cancellation_state per call and hooks it
// into the caller's cancellation slot, then hands the socket operation its own slot: two
// install/clear pairs per write where one does. On the echo path that is a measurable
// share of the server's user time (docs/benchmarks.md). This operation passes the
// caller's associated slot, executor and allocator straight to each async_write_some, so
// cancellation reaches the socket operation exactly as before. A write to a socket that
// takes the whole buffer (the common case) is one async_write_some.
#pragma once

#include "coronet/detail/associated_handler.hpp"
#include "coronet/detail/connection_io.hpp"

#include <asio/async_result.hpp>
#include <asio/buffer.hpp>

#include <cstddef>
#include <system_error>
#include <utility>

namespace coronet::detail {

template <typename Stream, typename Handler>
struct write_all_op {
  using inner_handler_type = Handler;  // its associations are ours (associated_handler.hpp)
  const Handler& inner_handler() const noexcept { return handler_; }

  Stream& stream_;
  asio::const_buffer rest_;
  std::size_t total_;
  Handler handler_;

  void operator()(std::error_code ec, std::size_t n) {
    rest_ += n;
    if (!ec && rest_.size() != 0) {
      async_write_some_uncounted(stream_, rest_, std::move(*this));
      return;
    }
    const std::size_t written = total_ - rest_.size();
    if constexpr (std::is_same_v<Stream, connection>) state_of(stream_)->count_write(written);
    std::move(handler_)(ec, written);
  }
};

// Completes with (error_code, bytes written): all of `buffer` unless an error stopped it.
template <typename Stream, typename CompletionToken>
auto async_write_all(Stream& stream, asio::const_buffer buffer, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
      [&stream](auto handler, asio::const_buffer b) {
        // An empty buffer completes at once, through the stream (asio posts it).
        // Uncounted: write_all_op counts the whole write once, when it completes.
        async_write_some_uncounted(
            stream, b,
            write_all_op<Stream, decltype(handler)>{stream, b, b.size(), std::move(handler)});
      },
      token, buffer);
}

}  // namespace coronet::detail
