// coronet::redis::client_options: how redis::client and redis::subscriber connect, how
// long they wait, and what they accept from the server.
#pragma once

#include "coronet/resp/reply_decoder.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace coronet::redis {

struct client_options {
  // Resolving and connecting (coronet::connect); AUTH and CLIENT SETNAME then run under
  // command_timeout each.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(2)};
  // A reply later than this fails its command with errc::timed_out and closes the
  // connection: the replies behind it can no longer be matched to their commands. Also
  // bounds subscribe()'s wait for Redis's confirmations. Zero or less: no timeout.
  std::chrono::milliseconds command_timeout{std::chrono::seconds(5)};
  // Security: what one reply may make the client allocate (resp/reply_decoder.hpp).
  // Over a limit the connection is closed and pending commands fail with
  // errc::frame_too_large.
  resp::reply_limits limits{};
  // AUTH <password> right after connecting, when not empty (with `username`, when that
  // is not empty: Redis 6 ACL users).
  std::string password{};
  // CLIENT SETNAME <client_name> right after connecting, when not empty: names the
  // connection in CLIENT LIST and the slow log.
  std::string client_name{};
  // ACL user for AUTH; empty: the default user.
  std::string username{};
  // subscriber only. Security: messages queued for receive() before the subscriber
  // stops reading from the socket. A consumer slower than its publishers then backs up
  // into Redis, whose client-output-buffer-limit for pub/sub decides, instead of into
  // this process's memory. While it is paused, subscribe() confirmations wait too.
  std::size_t max_queued_messages = 10000;
};

}  // namespace coronet::redis
