/// @file
/// @code{.unparsed}
/// coronet::redis::client: one connection to Redis, commands from any number of
/// coroutines pipelined over it.
///
///   auto redis = co_await coronet::redis::client::connect("127.0.0.1", 6379);
///   auto set = std::vector<std::string>{"SET", "greeting", "hello"};
///   co_await redis.command(set);                           // `OK`
///   auto get = std::vector<std::string>{"GET", "greeting"};
///   resp::value v = co_await redis.command(get);           // v.text == "hello"
///
/// Pipelining: every command() and pipeline() appends its command to one output buffer;
/// a writer sends what has accumulated in one write, so commands from many coroutines
/// that coincide travel together, and one reader hands each reply, in order, to the call
/// that sent its command. pipeline() sends several commands in one write and returns
/// their replies together.
///
/// Failures: a Redis error reply (`-ERR ...`, `-WRONGTYPE ...`) is a value
/// (is_error()), not an exception: it concerns one command, the connection is fine.
/// Transport failures throw std::system_error and end the connection: the OS error
/// (connection reset, ...), errc::connection_closed (the server closed it, close(), or
/// a command on a client whose connection already ended), errc::timed_out (a reply
/// later than command_timeout: every pending command fails with it and the connection
/// is closed, because later replies could no longer be matched), errc::bad_message or
/// errc::frame_too_large (a reply that does not parse or is over options.limits).
/// connected() then says false; reconnect() opens a new connection.
///
/// Not for pub/sub (use redis::subscriber), MONITOR or blocking commands longer than
/// command_timeout: a reply nobody asked for closes the connection (bad_message).
///
/// Threading: not thread-safe. A client belongs to the executor of the coroutine that
/// connected it (its reader and writer coroutines run there); call it only from
/// coroutines on that executor, which must not run handlers concurrently (an
/// io_context run by one thread, or a strand). From another thread, co_spawn onto it.
/// The client object must outlive a reconnect() in progress; command() and pipeline()
/// keep the connection alive by themselves.
/// @endcode
#pragma once

#include "coronet/redis/client_options.hpp"
#include "coronet/resp/value.hpp"

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace coronet::redis {

namespace detail {
class client_session;
}

/// One connection to Redis, commands from any number of coroutines pipelined over it.
class client {
 public:
  /// Connects (one attempt, bounded by connect_timeout), then AUTH and CLIENT SETNAME
  /// when the options ask for them. Throws std::system_error: the OS error (connection
  /// refused, ...), errc::timed_out, errc::redis_auth_failed when AUTH is refused
  /// (WRONGPASS) or the server wants a password none was given for (NOAUTH at CLIENT
  /// SETNAME), errc::redis_error when CLIENT SETNAME is refused otherwise; Redis's reply
  /// in what(). Without a password or a name nothing is sent at connect, and commands
  /// to a server that wants a password get NOAUTH error replies (values, as below).
  static asio::awaitable<client> connect(std::string host, std::uint16_t port,
                                         client_options options);
  /// With default options. An overload rather than a default argument: g++ 12 corrupts
  /// a default `= {}` argument (a braced temporary) inside the caller's co_await.
  static asio::awaitable<client> connect(std::string host, std::uint16_t port);

  /// Takes over the other client's connection; the other is left disconnected.
  client(client&&) noexcept;
  /// Closes this client's connection, then takes over the other's.
  client& operator=(client&&) noexcept;
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client();  ///< closes the connection; pending commands fail with connection_closed

  /// One command, e.g. {"SET", "k", "v"}; its reply. See the top of this file for what
  /// throws.
  asio::awaitable<resp::value> command(std::vector<std::string> args);
  /// Several commands in one write; their replies, in order. One deadline
  /// (command_timeout) for all of them.
  asio::awaitable<std::vector<resp::value>> pipeline(
      std::vector<std::vector<std::string>> commands);

  /// Whether the connection is open: false once it ended (see close_reason()), until a
  /// reconnect().
  bool connected() const noexcept;
  /// Opens a new connection to the same host and port with the same options (one
  /// attempt, as connect()); closes the current one first if it is still open. Throws
  /// std::system_error on failure, leaving the client disconnected.
  asio::awaitable<void> reconnect();
  /// Closes the connection now; pending commands fail with errc::connection_closed.
  void close() noexcept;

  /// Why the connection ended (the error pending commands failed with); empty while
  /// connected.
  std::error_code close_reason() const noexcept;
  /// The options it connects (and reconnects) with.
  const client_options& options() const noexcept { return options_; }

 private:
  client(std::string host, std::uint16_t port, client_options options,
         std::shared_ptr<detail::client_session> session) noexcept;

  std::string host_;
  std::uint16_t port_ = 0;
  client_options options_;
  std::shared_ptr<detail::client_session> session_;
};

}  // namespace coronet::redis
