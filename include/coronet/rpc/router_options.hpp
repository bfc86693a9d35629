/// @file
/// @code{.unparsed}
/// coronet::rpc::router_options and method_function: the settings and the method type of
/// a JSON-RPC 2.0 router (rpc/router.hpp).
/// @endcode
#pragma once

#include <asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>

namespace coronet::rpc {

/// The security limits and error reporting of a JSON-RPC 2.0 router.
struct router_options {
  /// Security: method calls one connection may have running at once (batch elements
  /// count one each). At the limit the server stops reading that connection until one
  /// finishes, so one client cannot pile up unbounded work or memory.
  std::size_t max_concurrent_requests = 64;
  /// Security: most elements in one batch; a larger batch is answered with one -32600.
  std::size_t max_batch_size = 1000;
  /// Security: deepest nesting of arrays/objects in a request (checked before parsing).
  std::size_t max_depth = 64;
  /// Security: the largest response (one frame) sent to a client; 0 means the codec's own
  /// frame limit (line_codec: max_length; length_prefixed_codec: max_frame), on the
  /// assumption that clients accept what this server accepts. A response over it is
  /// replaced: a batch by an array of -32603 errors, one per call, and when even that is
  /// too large, or for a single call, by one -32603 error "response too large" (with
  /// the call's id when it fits, else id null followed by closing the connection, since
  /// the client cannot tell which call failed). The client always gets an answer or a
  /// close, never silence.
  std::size_t max_response_size = 0;
  /// Adds a "data" member saying what was wrong to -32700 and -32600 errors, and the
  /// exception's what() to -32603. Off by default: what() of an arbitrary exception can
  /// reveal internals (paths, queries, addresses) to any client.
  bool expose_error_details = false;
};

/// A method: params in (array, object, or null when absent), result out.
using method_function = std::function<asio::awaitable<nlohmann::json>(nlohmann::json params)>;

}  // namespace coronet::rpc
