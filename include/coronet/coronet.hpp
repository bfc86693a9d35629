/// @file
/// @code{.unparsed}
/// Umbrella header of coronet's core and framing layers: servers, connections, clients,
/// timeouts, errors, codecs, framed<> and outboxes; the HTTP request-head parser and the
/// metrics endpoint built on it. Links against coronet::coronet.
/// JSON messages and JSON-RPC are a layer of their own: <coronet/json.hpp>, target
/// coronet::json (the only part that needs nlohmann_json).
/// @endcode
#pragma once

#include "coronet/core/connect.hpp"
#include "coronet/core/connection.hpp"
#include "coronet/core/errc.hpp"
#include "coronet/core/io_backend.hpp"
#include "coronet/core/server.hpp"
#include "coronet/core/stats.hpp"
#include "coronet/core/sync_wait.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/framing/broadcast_group.hpp"
#include "coronet/framing/codec.hpp"
#include "coronet/framing/framed.hpp"
#include "coronet/framing/framed_options.hpp"
#include "coronet/framing/length_prefixed_codec.hpp"
#include "coronet/framing/line_codec.hpp"
#include "coronet/framing/outbox.hpp"
#include "coronet/http/request_head.hpp"
#include "coronet/metrics/metrics_server.hpp"
#include "coronet/metrics/prometheus.hpp"
#include "coronet/proxy/proxy_protocol.hpp"
#include "coronet/version.hpp"
