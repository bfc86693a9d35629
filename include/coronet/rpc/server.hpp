// coronet::rpc::server: the earlier name of coronet::rpc::router (rpc/router.hpp), kept
// as an alias along with server_options.
#pragma once

#include "coronet/rpc/router.hpp"
