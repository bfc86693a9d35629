// coronet::connect: resolve, connect, and for TLS run the client handshake.
#include "coronet/core/connect.hpp"

#include "coronet/core/timeout.hpp"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>

#include <memory>

namespace coronet {
namespace {

asio::awaitable<asio::ip::tcp::socket> resolve_and_connect(std::string host, std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver{ex};
  auto endpoints = co_await resolver.async_resolve(host, std::to_string(port), asio::use_awaitable);
  asio::ip::tcp::socket socket{ex};
  co_await asio::async_connect(socket, endpoints, asio::use_awaitable);
  co_return socket;
}

asio::awaitable<void> handshake(detail::connection_state& state) {
  co_await detail::async_tls_handshake(state, asio::use_awaitable);
}

}  // namespace

asio::awaitable<connection> connect(std::string host, std::uint16_t port, connect_options options) {
  const auto where = host + ":" + std::to_string(port);
  asio::ip::tcp::socket socket{co_await asio::this_coro::executor};
  try {
    socket = co_await with_timeout(resolve_and_connect(host, port), options.timeout);
  } catch (const std::system_error& e) {
    // Keep the code (callers test it), add where we were going.
    throw_error(e.code(), "connect to " + where);
  }
  socket.set_option(asio::ip::tcp::no_delay(true));
  if (!options.tls) co_return connection{std::move(socket)};

  socket.non_blocking(true);  // the session reads and writes the descriptor directly
  auto state = std::make_shared<detail::connection_state>(std::move(socket));
  const auto& name = options.server_name.empty() ? host : options.server_name;
  state->tls = options.tls->make_session(state->socket.native_handle(), name);
  try {
    co_await with_timeout(handshake(*state), options.tls_handshake_timeout);
  } catch (const std::system_error& e) {
    if (e.code() == errc::timed_out) throw_error(errc::timed_out, "TLS handshake with " + where);
    // what() ends with the code's own "TLS handshake failed": add only the reason.
    auto what = "TLS handshake with " + where;
    auto why = state->tls->last_error();
    if (why.empty() && e.code() != errc::handshake_failed) why = e.code().message();
    if (!why.empty()) what += ": " + why;
    throw_error(errc::handshake_failed, what);
  }
  co_return detail::connection_access::make(std::move(state));
}

asio::awaitable<connection> connect(std::string host, std::uint16_t port,
                                    std::chrono::milliseconds timeout) {
  return connect(std::move(host), port, connect_options{.timeout = timeout});
}

}  // namespace coronet
