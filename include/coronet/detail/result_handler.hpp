// Completion handlers that turn an Asio (error_code, size_t) result into what
// coronet::connection promises (0 at EOF, std::system_error with a context otherwise).
//
// Why not a small coroutine around the operation: with Asio 1.22's use_awaitable every
// coroutine layer is one more frame allocated and resumed per call, and on the echo path
// that was a tenth of the server's user-space instructions (docs/benchmarks.md). A
// handler wrapper does the same translation inside the operation's own completion, so
// `co_await conn.read_some(...)` costs what `co_await socket.async_read_some(...)` does.
//
// The wrappers forward every associated property (executor, allocator, cancellation
// slot) of the handler they wrap, so per-operation cancellation (with_timeout) still
// reaches the socket operation underneath.
#pragma once

#include "coronet/detail/associated_handler.hpp"
#include "coronet/detail/connection_state.hpp"

#include <asio/error.hpp>

#include <cstddef>
#include <exception>
#include <system_error>
#include <utility>

namespace coronet::detail {

enum class result_kind {
  read,   // (ec, n) -> (exception_ptr, n): EOF is (nullptr, 0), any other error throws
  write,  // (ec, n) -> (exception_ptr): any error, EOF included, throws
};

// Wraps `Handler` (use_awaitable's handler, in practice) for one of the result kinds
// above. Exceptions carry `what_` as their context ("read", "write"). A read is counted
// on `counted_` when it is set (connection_io.hpp: the read was started uncounted).
template <result_kind Kind, typename Handler>
struct result_handler {
  using inner_handler_type = Handler;  // its associations are ours (associated_handler.hpp)
  const Handler& inner_handler() const noexcept { return handler_; }

  Handler handler_;
  const char* what_;
  connection_state* counted_ = nullptr;

  void operator()(std::error_code ec, std::size_t n) {
    if constexpr (Kind == result_kind::read) {
      if (counted_ != nullptr) counted_->count_read(ec, n);
    }
    std::exception_ptr error;
    if (ec && !(Kind == result_kind::read && ec == asio::error::eof))
      error = std::make_exception_ptr(std::system_error(ec, what_));
    if constexpr (Kind == result_kind::read)
      std::move(handler_)(std::move(error), ec == asio::error::eof ? std::size_t{0} : n);
    else
      std::move(handler_)(std::move(error));
  }
};

}  // namespace coronet::detail
