// coronet::connect: open a client connection.
//
//   auto conn = co_await coronet::connect("127.0.0.1", 7000);        // 10 s timeout
//   auto conn = co_await coronet::connect("localhost", 7000, 500ms);
//
// Resolves `host`, tries each address in turn, and returns a connected
// coronet::connection (TCP_NODELAY set) on the calling coroutine's executor. Throws
// std::system_error: connection_refused and the like from the OS, or
// coronet::errc::timed_out when the whole attempt outlives `timeout`.
#pragma once

#include "coronet/connection.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace coronet {

asio::awaitable<connection> connect(std::string host, std::uint16_t port,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace coronet
