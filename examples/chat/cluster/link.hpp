// What the cluster's two source files share (cluster.cpp, operations.cpp): its Redis
// connections, and how a reply or a lost link becomes an error.
#pragma once

#include "cluster/cluster.hpp"
#include "cluster/messages.hpp"

#include <coronet/core/errc.hpp>
#include <coronet/redis.hpp>

#include <asio/steady_timer.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace chat {

struct cluster::link {
  // Shared: a command in flight keeps the connection it was sent on alive across a
  // reconnect that replaces it.
  std::shared_ptr<coronet::redis::client> commands;
  std::optional<coronet::redis::subscriber> events;
  std::optional<asio::steady_timer> wait;  // backoff and heartbeat pauses; cancelled by stop

  bool connected() const noexcept {
    return commands && commands->connected() && events && events->connected();
  }
  void close() noexcept {
    if (commands) commands->close();
    if (events) events->close();
    if (wait) wait->cancel();
  }
};

namespace detail {

[[noreturn]] inline void throw_split() {
  throw std::system_error(make_error_code(coronet::errc::connection_closed),
                          "the chat cluster's Redis is out of reach");
}

// The names of a registry reply (HVALS of "NODE\nName" values), sorted as the room sorts
// them: case-insensitively.
inline std::vector<std::string> sorted_names(const coronet::resp::value& reply) {
  std::vector<std::string> names;
  names.reserve(reply.elements.size());
  for (const auto& e : reply.elements)
    names.push_back(messages::name_of(e.text));
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return messages::lower(a) < messages::lower(b);
  });
  return names;
}

// A Redis error reply to one of our own scripts is a bug (or a Redis that refuses
// scripts); report it as the link failing, which the caller handles as a split.
inline const coronet::resp::value& checked(const coronet::resp::value& reply) {
  if (reply.is_error())
    throw std::system_error(make_error_code(coronet::errc::bad_message),
                            "Redis refused a chat cluster command: " + reply.text);
  return reply;
}

}  // namespace detail
}  // namespace chat
