// Umbrella header for coronet's JSON-RPC 2.0 layer: rpc::server, rpc::client,
// rpc::error. See docs/rpc.md.
#pragma once

#include "coronet/rpc/client.hpp"
#include "coronet/rpc/error.hpp"
#include "coronet/rpc/server.hpp"
