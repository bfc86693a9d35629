/// @file
/// @code{.unparsed}
/// Umbrella header of coronet's core and framing layers: servers, connections, clients,
/// timeouts, errors, codecs, framed<> and outboxes; the HTTP request-head parser and the
/// metrics endpoint built on it. Links against coronet::coronet.
/// JSON messages and JSON-RPC are a layer of their own: <coronet/json.hpp>, target
/// coronet::json (the only part that needs nlohmann_json).
/// @endcode
#pragma once

#include "coronet/broadcast_group.hpp"
#include "coronet/codec.hpp"
#include "coronet/connect.hpp"
#include "coronet/connection.hpp"
#include "coronet/errc.hpp"
#include "coronet/framed.hpp"
#include "coronet/framed_options.hpp"
#include "coronet/http/request_head.hpp"
#include "coronet/io_backend.hpp"
#include "coronet/length_prefixed_codec.hpp"
#include "coronet/line_codec.hpp"
#include "coronet/metrics_server.hpp"
#include "coronet/outbox.hpp"
#include "coronet/prometheus.hpp"
#include "coronet/proxy_protocol.hpp"
#include "coronet/server.hpp"
#include "coronet/stats.hpp"
#include "coronet/sync_wait.hpp"
#include "coronet/timeout.hpp"
#include "coronet/version.hpp"
