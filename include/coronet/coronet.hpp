// Umbrella header: everything a coronet user needs.
#pragma once

#include "coronet/codec.hpp"
#include "coronet/connect.hpp"
#include "coronet/connection.hpp"
#include "coronet/errc.hpp"
#include "coronet/framed.hpp"
#include "coronet/framed_options.hpp"
#include "coronet/json_channel.hpp"
#include "coronet/length_prefixed_codec.hpp"
#include "coronet/line_codec.hpp"
#include "coronet/outbox.hpp"
#include "coronet/rpc.hpp"
#include "coronet/server.hpp"
#include "coronet/timeout.hpp"
