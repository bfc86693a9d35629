/// @file
/// @code{.unparsed}
/// Umbrella header of coronet's JSON layer: json_channel (typed JSON messages over any
/// framing) and JSON-RPC 2.0 (rpc::router, rpc::client, rpc::error). Links against
/// coronet::json, which brings nlohmann_json; see docs/json.md and docs/rpc.md.
///
///   #include <coronet/coronet.hpp>
///   #include <coronet/json.hpp>
///   target_link_libraries(app PRIVATE coronet::json)   # CMake
/// @endcode
#pragma once

#include "coronet/json/json_channel.hpp"
#include "coronet/rpc.hpp"
