/// @file
/// @code{.unparsed}
/// coronet::rpc::client_options: deadlines and limits of an rpc::client.
/// @endcode
#pragma once

#include "coronet/framing/framed_options.hpp"

#include <chrono>
#include <cstddef>

namespace coronet::rpc {

/// Deadlines and limits of an rpc::client, and the options of its framing.
struct client_options {
  /// Deadline of call(), notify() and batch(), from the start of the call until its
  /// response (including a wait for room in the outbox). 0: none.
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};
  /// Security: deepest nesting of arrays/objects accepted in a response.
  std::size_t max_depth = 64;
  framed_options framing{};  ///< buffers, limits and timeouts of the framed<> underneath
};

}  // namespace coronet::rpc
