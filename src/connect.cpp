#include "coronet/connect.hpp"

#include "coronet/timeout.hpp"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>

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

}  // namespace

asio::awaitable<connection> connect(std::string host, std::uint16_t port,
                                    std::chrono::milliseconds timeout) {
  asio::ip::tcp::socket socket{co_await asio::this_coro::executor};
  try {
    socket = co_await with_timeout(resolve_and_connect(host, port), timeout);
  } catch (const std::system_error& e) {
    // Keep the code (callers test it), add where we were going.
    throw_error(e.code(), "connect to " + host + ":" + std::to_string(port));
  }
  socket.set_option(asio::ip::tcp::no_delay(true));
  co_return connection{std::move(socket)};
}

}  // namespace coronet
