/// @file
/// @code{.unparsed}
/// The WebSocket layer (RFC 6455) on coronet's framing layer: see docs/websocket.md.
///
///   #include <coronet/websocket.hpp>
///
/// Part of the core target (coronet::coronet): the handshake's SHA-1 is built in, so it
/// needs nothing more. Not in coronet.hpp, as json.hpp is not: a program that does not
/// speak WebSocket does not compile it.
/// @endcode
#pragma once

#include "coronet/http/request.hpp"
#include "coronet/http/response.hpp"
#include "coronet/websocket/client.hpp"
#include "coronet/websocket/close_code.hpp"
#include "coronet/websocket/codec.hpp"
#include "coronet/websocket/frame.hpp"
#include "coronet/websocket/handshake.hpp"
#include "coronet/websocket/stream.hpp"
