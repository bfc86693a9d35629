// The machinery shared by redis::client and redis::subscriber: one connection, a
// writer coroutine that sends whatever commands accumulated in one write, and a reader
// coroutine that decodes replies and hands each to the subclass (on_reply). Internal
// to coronet::redis.
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/core/errc.hpp"
#include "coronet/detail/wakeup.hpp"
#include "coronet/redis/client_options.hpp"
#include "coronet/resp/resp_client_codec.hpp"
#include "coronet/resp/value.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace coronet::redis::detail {

// Connects, then runs AUTH and CLIENT SETNAME when the options ask for them. Throws as
// client::connect documents.
asio::awaitable<connection> open_connection(std::string host, std::uint16_t port,
                                            client_options options);

class session {
 public:
  using clock = std::chrono::steady_clock;

  session(connection conn, const client_options& options);
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  session(session&&) = delete;
  session& operator=(session&&) = delete;
  virtual ~session() = default;

  // Starts the reader and the writer on the connection's executor.
  static void start(const std::shared_ptr<session>& self);

  bool open() const noexcept { return open_; }
  std::error_code reason() const noexcept { return reason_; }
  const std::string& reason_message() const noexcept { return message_; }
  const client_options& options() const noexcept { return options_; }
  const asio::any_io_executor& executor() const noexcept { return executor_; }

  // Ends the connection once: closes the socket, records why, lets the subclass fail
  // what is pending (on_close). Later calls do nothing.
  void close(std::error_code why, std::string message) noexcept;

  // Throws errc::connection_closed, saying why the connection ended.
  [[noreturn]] void throw_closed(const char* who) const;

  // Appends a command to the output; the writer sends it (with whatever else
  // accumulates before it runs).
  void send(const std::vector<std::string>& args) {
    codec_.encode(args, out_);
    writer_wake_.notify();
  }

  // The deadline of an operation starting now (time_point::max() without a timeout).
  clock::time_point deadline() const noexcept {
    if (options_.command_timeout.count() <= 0) return clock::time_point::max();
    return clock::now() + options_.command_timeout;
  }

 protected:
  // One decoded reply. May call close().
  virtual void on_reply(resp::value reply) = 0;
  // The connection ended (reason() says why): fail what is pending.
  virtual void on_close() noexcept = 0;
  // While true, the reader reads no more from the socket (replies already buffered are
  // still decoded); call resume_reading() when it turns false.
  virtual bool reading_paused() const noexcept { return false; }
  void resume_reading() noexcept { read_gate_.notify(); }

 private:
  static asio::awaitable<void> read_loop(std::shared_ptr<session> self);
  static asio::awaitable<void> write_loop(std::shared_ptr<session> self);

  connection conn_;
  asio::any_io_executor executor_;
  client_options options_;
  resp_client_codec codec_;
  std::string out_;      // commands not yet handed to a write
  std::string writing_;  // the write in flight
  coronet::detail::wakeup writer_wake_;
  coronet::detail::wakeup read_gate_;
  bool open_ = true;
  std::error_code reason_;
  std::string message_;
};

}  // namespace coronet::redis::detail
