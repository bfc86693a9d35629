/// @file
/// @code{.unparsed}
/// coronet::rpc::client: JSON-RPC 2.0 calls over one connection.
///
///   using coronet::rpc::positional;
///   coronet::rpc::client rpc{co_await coronet::connect("127.0.0.1", 7070)};
///   nlohmann::json seven = co_await rpc.call("sum", positional(1, 2, 4));  // or throws
///   int nineteen = co_await rpc.call<int>("subtract", positional(42, 23));
///   auto quick = co_await rpc.call("slow", nullptr, std::chrono::milliseconds(200));
///   co_await rpc.notify("update", positional(1, 2, 3));   // no response expected
///
///   coronet::rpc::batch b;
///   b.call("sum", {1, 2, 4}).notify("notify_hello", {7}).call("get_data");
///   std::vector<coronet::rpc::result> r = co_await rpc.batch(std::move(b));
///   r[0].value();   // 7; r[1] is get_data's; value() throws the call's rpc::error
///
/// Params are any nlohmann::json array or object (or null: none), so with GCC 13 or
/// clang `co_await rpc.call("sum", {1, 2, 4})` works too; GCC 12 rejects a braced list
/// inside a co_await expression, hence positional() or a named variable there.
///
/// The reader: the constructor starts one coroutine on the stream's executor that reads
/// every response and hands it to the call waiting for its id. So any number of calls may
/// be outstanding at once, from as many coroutines, and responses may come in any order.
/// The client must be used on the stream's executor (like the connection itself).
///
/// Failures of a call:
///   - the server answered with an error object: rpc::error (code, message, data);
///   - no response within the timeout (client_options::call_timeout, default 30 s, or
///     the per-call argument): std::system_error with coronet::errc::timed_out; a late
///     response is dropped (counted in unmatched_responses());
///   - the connection ended (the server closed it, a read error, close()): every pending
///     call fails at once, and later ones at their start, with std::system_error
///     carrying coronet::errc::connection_closed; close_reason() tells what happened;
///   - a result that does not convert to R in call<R>: coronet::message_error.
/// Responses the client cannot match to a pending call (an id it did not send, id null,
/// not JSON) are dropped and counted in unmatched_responses().
///
/// Lifetime: destroying (or close()-ing) the client closes the connection; coroutines
/// still inside call() then fail with connection_closed. The reader ends with it.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/framing/line_codec.hpp"
#include "coronet/rpc/batch.hpp"
#include "coronet/rpc/client_options.hpp"
#include "coronet/rpc/detail/client_state.hpp"
#include "coronet/rpc/error.hpp"

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace coronet::rpc {

/// JSON-RPC 2.0 calls over one stream framed by `Codec` (see the top of this file).
template <typename Codec = line_codec, typename Stream = connection>
class basic_client {
  using state_type = detail::client_state<Codec, Stream>;

 public:
  /// Takes the stream and starts the reader coroutine on its executor.
  explicit basic_client(Stream stream, Codec codec = Codec{}, client_options options = {})
      : state_(std::make_shared<state_type>(std::move(stream), std::move(codec), options)) {
    // read_loop catches everything; a fault escaping it anyway (allocation failure in
    // its error path) is rethrown out of the io_context's run(), not dropped.
    asio::co_spawn(state_->frames.get_executor(), state_type::read_loop(state_),
                   [](const std::exception_ptr& e) {
                     if (e) std::rethrow_exception(e);
                   });
  }
  /// Takes over the connection and its pending calls; the reader carries on.
  basic_client(basic_client&&) noexcept = default;
  /// Closes this client (its pending calls fail), then takes over `other`'s connection.
  basic_client& operator=(basic_client&& other) noexcept {
    if (this == &other) return *this;
    close();  // this client's calls fail; the other's connection carries on here
    state_ = std::move(other.state_);
    return *this;
  }
  basic_client(const basic_client&) = delete;
  basic_client& operator=(const basic_client&) = delete;
  ~basic_client() { close(); }

  /// Calls `method` and returns its result. params: an array, an object, or null for
  /// none. Throws as described at the top of this file.
  asio::awaitable<nlohmann::json> call(std::string method, nlohmann::json params = nullptr) {
    return state_type::call(state_, std::move(method), std::move(params),
                            state_->options.call_timeout);
  }
  /// The same, with this timeout instead of client_options::call_timeout (0: none).
  asio::awaitable<nlohmann::json> call(std::string method, nlohmann::json params,
                                       std::chrono::milliseconds timeout) {
    return state_type::call(state_, std::move(method), std::move(params), timeout);
  }

  /// The result converted with from_json (coronet::message_error if it does not convert).
  template <typename R>
  asio::awaitable<R> call(std::string method, nlohmann::json params = nullptr) {
    return detail::convert_result<R>(call(std::move(method), std::move(params)));
  }
  /// The same, with this timeout instead of client_options::call_timeout (0: none).
  template <typename R>
  asio::awaitable<R> call(std::string method, nlohmann::json params,
                          std::chrono::milliseconds timeout) {
    return detail::convert_result<R>(call(std::move(method), std::move(params), timeout));
  }

  /// Sends a notification; returns once it is queued (flush() to know it was written).
  asio::awaitable<void> notify(std::string method, nlohmann::json params = nullptr) {
    return state_type::notify(state_, std::move(method), std::move(params));
  }

  /// Sends the batch as one message; the results of its calls in the order they were
  /// added (notifications have none). The timeout covers the whole batch.
  asio::awaitable<std::vector<result>> batch(rpc::batch requests) {
    return state_type::run_batch(state_, std::move(requests), state_->options.call_timeout);
  }
  /// The same, with this timeout instead of client_options::call_timeout (0: none).
  asio::awaitable<std::vector<result>> batch(rpc::batch requests,
                                             std::chrono::milliseconds timeout) {
    return state_type::run_batch(state_, std::move(requests), timeout);
  }

  /// Returns once everything queued so far has been written to the stream.
  asio::awaitable<void> flush() { return state_->frames.flush(); }

  /// Closes the connection; pending calls fail with errc::connection_closed.
  void close() noexcept {
    if (!state_) return;
    state_->closed_here = true;
    state_->frames.close();
  }

  /// Whether the connection is still open: calls can still be made.
  bool is_open() const noexcept { return state_ && state_->open; }
  /// How many calls are waiting for their response.
  std::size_t pending_count() const noexcept { return state_ ? state_->pending.size() : 0; }
  /// How many responses were dropped because they matched no pending call.
  std::size_t unmatched_responses() const noexcept { return state_ ? state_->unmatched : 0; }
  /// Why the connection ended (the read error, or errc::connection_closed for a clean
  /// close); empty while open.
  std::error_code close_reason() const noexcept {
    return state_ ? state_->close_reason : std::error_code{};
  }

  /// The stream underneath (the connection).
  Stream& stream() noexcept { return state_->frames.stream(); }

 private:
  std::shared_ptr<state_type> state_;
};

/// Newline-delimited JSON over a coronet::connection.
using client = basic_client<>;

}  // namespace coronet::rpc
