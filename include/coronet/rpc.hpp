/// @file
/// @code{.unparsed}
/// Umbrella header for coronet's JSON-RPC 2.0 layer: rpc::router (alias rpc::router),
/// rpc::client, rpc::error. See docs/rpc.md.
/// @endcode
#pragma once

#include "coronet/rpc/client.hpp"
#include "coronet/rpc/error.hpp"
#include "coronet/rpc/router.hpp"
