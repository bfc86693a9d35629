// Umbrella header: everything a coronet user needs.
#pragma once

#include "coronet/connect.hpp"
#include "coronet/connection.hpp"
#include "coronet/errc.hpp"
#include "coronet/server.hpp"
#include "coronet/timeout.hpp"
