/// @file
/// @code{.unparsed}
/// coronet::redis::client_options: how redis::client and redis::subscriber connect, how
/// long they wait, and what they accept from the server; redis::parse_url for the
/// redis://[user[:password]@]host[:port] form.
///
///   auto u = coronet::redis::parse_url("redis://alice@10.0.0.5:6379");
///   coronet::redis::client_options o;
///   o.username = u.username;
///   o.password = u.password.empty() ? password_from_a_file_or_the_environment() : u.password;
///   auto redis = co_await coronet::redis::client::connect(u.host, u.port, o);
/// @endcode
#pragma once

#include "coronet/resp/reply_decoder.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace coronet::redis {

/// How a redis::client or redis::subscriber connects, how long it waits, what it accepts.
struct client_options {
  /// Resolving and connecting (coronet::connect); AUTH and CLIENT SETNAME then run under
  /// command_timeout each.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(2)};
  /// A reply later than this fails its command with errc::timed_out and closes the
  /// connection: the replies behind it can no longer be matched to their commands. Also
  /// bounds subscribe()'s wait for Redis's confirmations. Zero or less: no timeout.
  std::chrono::milliseconds command_timeout{std::chrono::seconds(5)};
  /// Security: what one reply may make the client allocate (resp/reply_decoder.hpp).
  /// Over a limit the connection is closed and pending commands fail with
  /// errc::frame_too_large.
  resp::reply_limits limits{};
  /// `AUTH [username] password` right after connecting (and after every reconnect()),
  /// before CLIENT SETNAME, when not empty; `username` for a Redis 6 ACL user. A refusal
  /// (WRONGPASS, or a server with no password set) fails the connect with
  /// errc::redis_auth_failed; so does NOAUTH from a server that wants a password when
  /// none is given (at CLIENT SETNAME, or at the first SUBSCRIBE).
  std::string password{};
  /// `CLIENT SETNAME client_name` right after connecting, when not empty: names the
  /// connection in CLIENT LIST and the slow log.
  std::string client_name{};
  /// ACL user for AUTH; empty: the default user. Needs a password: a username without
  /// one fails to connect with errc::redis_auth_failed.
  std::string username{};
  /// Security, subscriber only: messages queued for receive() before the subscriber
  /// stops reading from the socket. A consumer slower than its publishers then backs up
  /// into Redis, whose client-output-buffer-limit for pub/sub decides, instead of into
  /// this process's memory. While it is paused, subscribe() confirmations wait too.
  std::size_t max_queued_messages = 10000;
};

/// A Redis address as a URL gives it (parse_url).
struct url {
  /// A name, an IPv4 address, or an IPv6 one (without its brackets).
  std::string host;
  /// The port; 6379 when the URL gives none.
  std::uint16_t port = 6379;
  std::string username;  ///< empty: the default user
  std::string password;  ///< empty: none in the URL
};

/// Parses redis://[user[:password]@]host[:port][/0]: the host a name, an IPv4 address
/// or a bracketed IPv6 one ([::1]); user and password percent-decoded (%40 for '@', %3A
/// for ':'); the port 6379 when absent. "redis://secret@host" names a user, as URLs do
/// (redis-cli reads it as a password). Throws std::invalid_argument saying what is wrong,
/// without repeating the URL (it may hold a password): another scheme (rediss://, TLS,
/// included: the client speaks plain TCP), no host, a bad port, a database other than 0
/// (the client sends no SELECT), a query or fragment, a bad %-escape, spaces.
url parse_url(std::string_view text);

}  // namespace coronet::redis
