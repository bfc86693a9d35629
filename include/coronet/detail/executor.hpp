// Executor and stream helpers shared by the framing layer.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/socket_base.hpp>
#include <asio/strand.hpp>

#include <system_error>
#include <type_traits>

namespace coronet::detail {

// True when the caller already runs on `ex`, so state owned by that executor may be
// touched directly. Unknown executor types answer false: the caller then posts, which
// is always safe.
template <typename Executor>
bool running_in_this_thread(const Executor& ex) noexcept {
  if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
    if (const auto* io = ex.template target<asio::io_context::executor_type>())
      return io->running_in_this_thread();
    if (const auto* st = ex.template target<asio::strand<asio::io_context::executor_type>>())
      return st->running_in_this_thread();
    return false;
  } else if constexpr (requires { ex.running_in_this_thread(); }) {
    return ex.running_in_this_thread();
  } else {
    return false;
  }
}

// Closes any stream coronet can frame: sockets, coronet::connection, and layered
// streams such as asio::ssl::stream (through lowest_layer()).
template <typename Stream>
void close_stream(Stream& s) noexcept {
  if constexpr (requires(std::error_code & ec) { s.close(ec); }) {
    std::error_code ignored;
    s.close(ignored);
  } else if constexpr (requires { s.close(); }) {
    try {
      s.close();
    } catch (...) {
    }
  } else if constexpr (requires(std::error_code & ec) { s.lowest_layer().close(ec); }) {
    std::error_code ignored;
    s.lowest_layer().close(ignored);
  }
}

// Half-closes (sends FIN on) any stream coronet can frame that supports it; a no-op
// for the others. Errors are ignored: the peer may be gone already.
template <typename Stream>
void shutdown_send_stream(Stream& s) noexcept {
  if constexpr (requires { s.shutdown_send(); }) {
    try {
      s.shutdown_send();
    } catch (...) {
    }
  } else if constexpr (requires(std::error_code & ec) {
                         s.shutdown(asio::socket_base::shutdown_send, ec);
                       }) {
    std::error_code ignored;
    s.shutdown(asio::socket_base::shutdown_send, ignored);
  } else if constexpr (requires(std::error_code & ec) {
                         s.lowest_layer().shutdown(asio::socket_base::shutdown_send, ec);
                       }) {
    std::error_code ignored;
    s.lowest_layer().shutdown(asio::socket_base::shutdown_send, ignored);
  }
}

}  // namespace coronet::detail
