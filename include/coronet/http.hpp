/// @file
/// @code{.unparsed}
/// Umbrella header for coronet's HTTP/1.1 layer (target coronet::coronet): request and
/// response heads, header fields, responses, and the keep-alive request loop that
/// metrics_server, the WebSocket handshake and the chat page share.
///
///   #include <coronet/http.hpp>
///
///   co_await coronet::http::serve_requests(conn, [](const coronet::http::request_head& h) {
///     return coronet::http::response{.body = std::string(h.path())};
///   });
/// @endcode
#pragma once

#include "coronet/http/fields.hpp"
#include "coronet/http/keep_alive.hpp"
#include "coronet/http/request.hpp"
#include "coronet/http/request_head.hpp"
#include "coronet/http/response.hpp"
#include "coronet/http/response_head.hpp"
