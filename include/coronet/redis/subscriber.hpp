/// @file
/// @code{.unparsed}
/// coronet::redis::subscriber: one connection in Redis's subscribe mode, receiving the
/// messages published to its channels and patterns.
///
///   auto sub = co_await coronet::redis::subscriber::connect("127.0.0.1", 6379);
///   auto channels = std::vector<std::string>{"room:1", "room:2"};
///   co_await sub.subscribe(channels);           // returns once Redis confirmed them all
///   for (;;) {
///     coronet::redis::message m = co_await sub.receive();
///     handle(m.channel, m.payload);             // m.pattern: set for PSUBSCRIBE matches
///   }
///
/// In RESP2 a subscribed connection takes only (P)(UN)SUBSCRIBE and PING, so publishing
/// goes through a redis::client. A reader coroutine queues every message as it arrives:
/// subscribe() may run while a receive() waits in another coroutine, or with none
/// waiting, and messages arriving meanwhile are kept for receive() in order.
/// options.max_queued_messages bounds that queue: past it the reader stops reading (the
/// backlog stays in Redis, under its client-output-buffer-limit) until receive() catches
/// up.
///
/// Failures throw std::system_error: receive() when the connection breaks (the OS
/// error, or errc::connection_closed when the server closed it or close() was called)
/// after the messages already queued were received; subscribe() and the others with
/// errc::timed_out when Redis does not confirm within command_timeout (the connection
/// is then closed), with errc::bad_message when Redis answers with an error reply (the
/// text in what()); errc::redis_auth_failed when that reply is NOAUTH (the server wants
/// a password: client_options::password), and as receive() when the connection ends
/// first. connect() and reconnect() throw as client::connect.
///
/// Reconnecting: the subscriber remembers the channels and patterns asked for (subscribe
/// adds, unsubscribe removes, at the call); reconnect() opens a new connection and
/// subscribes to all of them again. Messages published while it was disconnected are
/// lost: Redis pub/sub is fire and forget.
///
/// Threading: as redis::client, use it only from coroutines on the executor that
/// connected it; the object must outlive a reconnect() in progress.
/// @endcode
#pragma once

#include "coronet/redis/client_options.hpp"

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace coronet::redis {

namespace detail {
class subscriber_session;
}

/// One published message.
struct message {
  std::string channel;  ///< the channel it was published to
  std::string payload;  ///< the message, as published
  std::string pattern;  ///< the PSUBSCRIBE pattern it matched; empty for SUBSCRIBE
};

/// One connection in Redis's subscribe mode, receiving what is published to its channels
/// and patterns.
class subscriber {
 public:
  /// As client::connect (AUTH and CLIENT SETNAME included).
  static asio::awaitable<subscriber> connect(std::string host, std::uint16_t port,
                                             client_options options);
  /// With default options. An overload rather than a default argument: g++ 12 corrupts
  /// a default `= {}` argument (a braced temporary) inside the caller's co_await.
  static asio::awaitable<subscriber> connect(std::string host, std::uint16_t port);

  /// Takes over the other subscriber's connection, queue and channels; the other is left
  /// disconnected.
  subscriber(subscriber&&) noexcept;
  /// Closes this subscriber's connection, then takes over the other's.
  subscriber& operator=(subscriber&&) noexcept;
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;
  ~subscriber();  ///< closes the connection

  /// Subscribes to `channels` (SUBSCRIBE); returns once Redis confirmed every one. An
  /// empty list does nothing.
  asio::awaitable<void> subscribe(std::vector<std::string> channels);
  /// Unsubscribes from `channels` (UNSUBSCRIBE); returns once Redis confirmed every one.
  /// An empty list means every channel this subscriber asked for.
  asio::awaitable<void> unsubscribe(std::vector<std::string> channels);
  /// Subscribes to `patterns` (PSUBSCRIBE); returns once Redis confirmed every one. An
  /// empty list does nothing.
  asio::awaitable<void> psubscribe(std::vector<std::string> patterns);
  /// Unsubscribes from `patterns` (PUNSUBSCRIBE); returns once Redis confirmed every one.
  /// An empty list means every pattern this subscriber asked for.
  asio::awaitable<void> punsubscribe(std::vector<std::string> patterns);

  /// The next published message, in the order Redis sent them.
  asio::awaitable<message> receive();

  /// Whether the connection is open: false once it ended (see close_reason()), until a
  /// reconnect().
  bool connected() const noexcept;
  /// A new connection to the same server, subscribed again to every channel and
  /// pattern asked for. Messages still queued are kept. Throws std::system_error on
  /// failure, leaving the subscriber disconnected.
  asio::awaitable<void> reconnect();
  /// Closes the connection now. A pending receive() ends with errc::connection_closed
  /// (once the messages already queued have been received); pending subscribe() calls
  /// likewise.
  void close() noexcept;

  /// The channels subscribe() asked for minus those unsubscribe() removed; what
  /// reconnect() subscribes to again.
  const std::set<std::string>& channels() const noexcept { return channels_; }
  /// The patterns psubscribe() asked for minus those punsubscribe() removed.
  const std::set<std::string>& patterns() const noexcept { return patterns_; }
  /// Messages received from Redis and not yet returned by receive().
  std::size_t queued() const noexcept;
  /// Why the connection ended (the error a pending receive() fails with); empty while
  /// connected.
  std::error_code close_reason() const noexcept;

 private:
  subscriber(std::string host, std::uint16_t port, client_options options,
             std::shared_ptr<detail::subscriber_session> session) noexcept;

  std::string host_;
  std::uint16_t port_ = 0;
  client_options options_;
  std::set<std::string> channels_;
  std::set<std::string> patterns_;
  std::shared_ptr<detail::subscriber_session> session_;
};

}  // namespace coronet::redis
