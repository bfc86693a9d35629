/// @file
/// @verbatim
/// coronet::rpc::server: the earlier name of coronet::rpc::router (rpc/router.hpp), kept
/// as an alias along with server_options.
/// @endverbatim
#pragma once

#include "coronet/rpc/router.hpp"
