// chat_server's TCP members: one command or event per line, in JSON or in text (the
// first line decides).
#pragma once

#include "room/room.hpp"

#include <coronet/core/connection.hpp>

#include <asio/awaitable.hpp>

namespace chat {

// Serves one connection: the chat protocol in JSON or text mode (the first line
// decides).
asio::awaitable<void> session(coronet::connection conn, room* r);

}  // namespace chat
