/// @file
/// @code{.unparsed}
/// coronet::rpc::server: the earlier name of coronet::rpc::router (rpc/router.hpp), kept
/// as an alias along with server_options.
/// @endcode
#pragma once

#include "coronet/rpc/router.hpp"
