// coronet::rpc::client: JSON-RPC 2.0 calls over one connection.
//
//   using coronet::rpc::positional;
//   coronet::rpc::client rpc{co_await coronet::connect("127.0.0.1", 7070)};
//   nlohmann::json seven = co_await rpc.call("sum", positional(1, 2, 4));  // or throws
//   int nineteen = co_await rpc.call<int>("subtract", positional(42, 23));
//   auto quick = co_await rpc.call("slow", nullptr, std::chrono::milliseconds(200));
//   co_await rpc.notify("update", positional(1, 2, 3));   // no response expected
//
//   coronet::rpc::batch b;
//   b.call("sum", {1, 2, 4}).notify("notify_hello", {7}).call("get_data");
//   std::vector<coronet::rpc::result> r = co_await rpc.batch(std::move(b));
//   r[0].value();   // 7; r[1] is get_data's; value() throws the call's rpc::error
//
// Params are any nlohmann::json array or object (or null: none), so with GCC 13 or
// clang `co_await rpc.call("sum", {1, 2, 4})` works too; GCC 12 rejects a braced list
// inside a co_await expression, hence positional() or a named variable there.
//
// The reader: the constructor starts one coroutine on the stream's executor that reads
// every response and hands it to the call waiting for its id. So any number of calls may
// be outstanding at once, from as many coroutines, and responses may come in any order.
// The client must be used on the stream's executor (like the connection itself).
//
// Failures of a call:
//   - the server answered with an error object: rpc::error (code, message, data);
//   - no response within the timeout (client_options::call_timeout, default 30 s, or
//     the per-call argument): std::system_error with coronet::errc::timed_out; a late
//     response is dropped (counted in unmatched_responses());
//   - the connection ended (the server closed it, a read error, close()): every pending
//     call fails at once, and later ones at their start, with std::system_error
//     carrying coronet::errc::connection_closed; close_reason() tells what happened;
//   - a result that does not convert to R in call<R>: coronet::message_error.
// Responses the client cannot match to a pending call (an id it did not send, id null,
// not JSON) are dropped and counted in unmatched_responses().
//
// Lifetime: destroying (or close()-ing) the client closes the connection; coroutines
// still inside call() then fail with connection_closed. The reader ends with it.
#pragma once

#include "coronet/connection.hpp"
#include "coronet/errc.hpp"
#include "coronet/framed.hpp"
#include "coronet/json_channel.hpp"
#include "coronet/line_codec.hpp"
#include "coronet/rpc/error.hpp"
#include "coronet/timeout.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace coronet::rpc {

struct client_options {
  // Deadline of call(), notify() and batch(), from the start of the call until its
  // response (including a wait for room in the outbox). 0: none.
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};
  // Security: deepest nesting of arrays/objects accepted in a response.
  std::size_t max_depth = 64;
  framed_options framing{};
};

// Positional params built without a braced list: GCC 12 cannot compile a braced list
// inside a co_await expression ("array used as initializer"), so there
//   co_await rpc.call("sum", coronet::rpc::positional(1, 2, 4));
// replaces co_await rpc.call("sum", {1, 2, 4}) (fine with GCC 13 and clang).
template <typename... Ts>
nlohmann::json positional(Ts&&... values) {
  nlohmann::json out = nlohmann::json::array();
  (out.push_back(nlohmann::json(std::forward<Ts>(values))), ...);
  return out;
}

// The outcome of one call of a batch: a result value or an rpc::error.
class result {
 public:
  explicit result(nlohmann::json value) : outcome_(std::move(value)) {}
  explicit result(rpc::error e) : outcome_(std::move(e)) {}

  bool ok() const noexcept { return outcome_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  // The value; throws the rpc::error when the call failed.
  const nlohmann::json& value() const {
    if (const auto* e = std::get_if<rpc::error>(&outcome_)) throw *e;
    return std::get<nlohmann::json>(outcome_);
  }
  // The error; precondition: !ok() (throws std::bad_variant_access otherwise).
  const rpc::error& error() const { return std::get<rpc::error>(outcome_); }

 private:
  std::variant<nlohmann::json, rpc::error> outcome_;
};

// A batch under construction: calls (each gets a result) and notifications (none).
class batch {
 public:
  struct entry {
    std::string method;
    nlohmann::json params;  // null: no params member
    bool notification = false;
  };

  // Throws std::invalid_argument if params is neither null, an array nor an object.
  batch& call(std::string method, nlohmann::json params = nullptr);
  batch& notify(std::string method, nlohmann::json params = nullptr);

  const std::vector<entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }

 private:
  std::vector<entry> entries_;
};

namespace detail {

// Throws std::invalid_argument unless params is null (absent), an array or an object:
// the specification allows only structured params.
void check_params(const nlohmann::json& params);

// The request object; a notification when id is null.
nlohmann::json make_request(std::string method, nlohmann::json params, const nlohmann::json* id);

// The result member of a response, or throws its rpc::error (or message_error when it
// has neither).
nlohmann::json take_result(nlohmann::json response);
result to_result(nlohmann::json response);

// One call waiting for its response. The reader fills it and cancels the timer; the
// timer's expiry is the call's deadline.
struct pending_call {
  explicit pending_call(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<nlohmann::json> response;
  std::exception_ptr failure;  // set when the connection ended first
  bool done() const noexcept { return response.has_value() || failure != nullptr; }
  void wake() noexcept;
};

// Waits for the response of `call`. Throws errc::timed_out at the deadline, the
// stored failure, or operation_aborted when the caller cancels.
asio::awaitable<nlohmann::json> await_response(std::shared_ptr<pending_call> call);

template <typename R>
asio::awaitable<R> convert_result(asio::awaitable<nlohmann::json> op) {
  nlohmann::json value = co_await std::move(op);
  try {
    co_return value.template get<R>();
  } catch (const nlohmann::json::exception& e) {
    throw message_error(e.what(), 0);
  }
}

// Erases a call's pending entry on every way out of the calling coroutine.
template <typename F>
struct on_exit {
  explicit on_exit(F fn) : f(std::move(fn)) {}
  on_exit(const on_exit&) = delete;
  on_exit& operator=(const on_exit&) = delete;
  ~on_exit() { f(); }
  F f;
};
template <typename F>
on_exit(F) -> on_exit<F>;

template <typename Codec, typename Stream>
struct client_state {
  using clock = std::chrono::steady_clock;
  using json = nlohmann::json;

  client_state(Stream stream, Codec codec, client_options o)
      : frames(std::move(stream), std::move(codec), o.framing), options(o) {}

  framed<Codec, Stream> frames;
  client_options options;
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<pending_call>> pending;
  bool open = true;
  bool closed_here = false;
  std::error_code close_reason;
  std::string close_message;
  std::size_t unmatched = 0;

  clock::time_point deadline(std::chrono::milliseconds timeout) const {
    if (timeout.count() <= 0) return clock::time_point::max();
    return clock::now() + timeout;
  }

  std::shared_ptr<pending_call> expect(std::uint64_t id, clock::time_point at) {
    auto call = std::make_shared<pending_call>(frames.get_executor());
    call->timer.expires_at(at);
    pending.emplace(id, call);
    return call;
  }

  [[noreturn]] void throw_closed() const { throw_error(errc::connection_closed, close_message); }

  void deliver(json response) {
    const auto id = response.is_object() ? response.find("id") : response.end();
    if (!response.is_object() || id == response.end() || !id->is_number_unsigned()) {
      ++unmatched;
      return;
    }
    const auto it = pending.find(id->template get<std::uint64_t>());
    if (it == pending.end()) {  // timed out already, or never ours
      ++unmatched;
      return;
    }
    auto call = std::move(it->second);
    pending.erase(it);
    call->response = std::move(response);
    call->wake();
  }

  void fail_all(std::error_code ec, std::string message) {
    open = false;
    close_reason = ec;
    close_message = std::move(message);
    auto calls = std::move(pending);
    pending.clear();
    for (auto& [id, call] : calls) {
      call->failure = std::make_exception_ptr(
          std::system_error(make_error_code(errc::connection_closed), close_message));
      call->wake();
    }
  }

  // Never throws: its end is reported to the pending calls instead.
  static asio::awaitable<void> read_loop(std::shared_ptr<client_state> self) {
    auto& s = *self;
    std::error_code ec = make_error_code(errc::connection_closed);
    std::string message = "rpc::client: the server closed the connection";
    try {
      while (auto frame = co_await s.frames.read()) {
        const std::string_view text{*frame};
        if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
        json response;
        try {
          response = parse_message(text, s.options.max_depth);
        } catch (const message_error&) {
          ++s.unmatched;  // cannot tell whose it was; that call runs into its timeout
          continue;
        }
        if (response.is_array()) {
          for (auto& one : response)
            s.deliver(std::move(one));
        } else {
          s.deliver(std::move(response));
        }
      }
    } catch (const std::system_error& e) {
      ec = e.code();
      message = std::string{"rpc::client: connection lost: "} + e.what();
    } catch (const std::exception& e) {
      message = std::string{"rpc::client: connection lost: "} + e.what();
    } catch (...) {
      message = "rpc::client: connection lost";
    }
    if (s.closed_here) message = "rpc::client: closed";
    s.fail_all(ec, std::move(message));
    s.frames.close();
  }

  // Queues one message; when the outbox is full (the server is not reading) waits for
  // room, but not past the deadline.
  static asio::awaitable<void> send(std::shared_ptr<client_state> self, std::string text,
                                    clock::time_point at) {
    auto& s = *self;
    if (!s.open) s.throw_closed();
    if (s.frames.try_send(std::string_view{text})) co_return;
    if (at == clock::time_point::max()) {
      co_await s.frames.send(std::string_view{text});
      co_return;
    }
    const auto left = at - clock::now();
    if (left <= clock::duration::zero()) throw_error(errc::timed_out, "rpc::client: send");
    co_await with_timeout(s.frames.send(std::string_view{text}), left);
  }

  static asio::awaitable<json> call(std::shared_ptr<client_state> self, std::string method,
                                    json params, std::chrono::milliseconds timeout) {
    auto& s = *self;
    if (!s.open) s.throw_closed();
    const auto at = s.deadline(timeout);
    const std::uint64_t id = s.next_id++;
    const json id_value = id;
    std::string text;
    coronet::detail::append_json(make_request(std::move(method), std::move(params), &id_value),
                                 text);
    auto waiting = s.expect(id, at);
    on_exit forget{[&s, id] { s.pending.erase(id); }};
    co_await send(self, std::move(text), at);
    json response = co_await await_response(std::move(waiting));
    co_return take_result(std::move(response));
  }

  static asio::awaitable<void> notify(std::shared_ptr<client_state> self, std::string method,
                                      json params) {
    std::string text;
    coronet::detail::append_json(make_request(std::move(method), std::move(params), nullptr), text);
    const auto at = self->deadline(self->options.call_timeout);
    co_await send(self, std::move(text), at);
  }

  static asio::awaitable<std::vector<result>> run_batch(std::shared_ptr<client_state> self,
                                                        rpc::batch requests,
                                                        std::chrono::milliseconds timeout) {
    auto& s = *self;
    if (!s.open) s.throw_closed();
    std::vector<result> results;
    if (requests.empty()) co_return results;  // `[]` is not a valid batch: send nothing
    const auto at = s.deadline(timeout);
    json array = json::array();
    std::vector<std::pair<std::uint64_t, std::shared_ptr<pending_call>>> calls;
    on_exit forget{[&s, &calls] {
      for (const auto& c : calls)
        s.pending.erase(c.first);
    }};
    for (const auto& e : requests.entries()) {
      if (e.notification) {
        array.push_back(make_request(e.method, e.params, nullptr));
        continue;
      }
      const std::uint64_t id = s.next_id++;
      const json id_value = id;
      array.push_back(make_request(e.method, e.params, &id_value));
      calls.emplace_back(id, s.expect(id, at));
    }
    std::string text;
    coronet::detail::append_json(array, text);
    co_await send(self, std::move(text), at);
    results.reserve(calls.size());
    for (auto& c : calls) {
      json response = co_await await_response(c.second);
      results.push_back(to_result(std::move(response)));
    }
    co_return results;
  }
};

}  // namespace detail

template <typename Codec = line_codec, typename Stream = connection>
class basic_client {
  using state_type = detail::client_state<Codec, Stream>;

 public:
  // Takes the stream and starts the reader coroutine on its executor.
  explicit basic_client(Stream stream, Codec codec = Codec{}, client_options options = {})
      : state_(std::make_shared<state_type>(std::move(stream), std::move(codec), options)) {
    // read_loop catches everything; a fault escaping it anyway (allocation failure in
    // its error path) is rethrown out of the io_context's run(), not dropped.
    asio::co_spawn(state_->frames.get_executor(), state_type::read_loop(state_),
                   [](const std::exception_ptr& e) {
                     if (e) std::rethrow_exception(e);
                   });
  }
  basic_client(basic_client&&) noexcept = default;
  basic_client& operator=(basic_client&& other) noexcept {
    if (this != &other) {
      close();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  basic_client(const basic_client&) = delete;
  basic_client& operator=(const basic_client&) = delete;
  ~basic_client() { close(); }

  // Calls `method` and returns its result. params: an array, an object, or null for
  // none. Throws as described at the top of this file.
  asio::awaitable<nlohmann::json> call(std::string method, nlohmann::json params = nullptr) {
    return state_type::call(state_, std::move(method), std::move(params),
                            state_->options.call_timeout);
  }
  asio::awaitable<nlohmann::json> call(std::string method, nlohmann::json params,
                                       std::chrono::milliseconds timeout) {
    return state_type::call(state_, std::move(method), std::move(params), timeout);
  }

  // The result converted with from_json (coronet::message_error if it does not convert).
  template <typename R>
  asio::awaitable<R> call(std::string method, nlohmann::json params = nullptr) {
    return detail::convert_result<R>(call(std::move(method), std::move(params)));
  }
  template <typename R>
  asio::awaitable<R> call(std::string method, nlohmann::json params,
                          std::chrono::milliseconds timeout) {
    return detail::convert_result<R>(call(std::move(method), std::move(params), timeout));
  }

  // Sends a notification; returns once it is queued (flush() to know it was written).
  asio::awaitable<void> notify(std::string method, nlohmann::json params = nullptr) {
    return state_type::notify(state_, std::move(method), std::move(params));
  }

  // Sends the batch as one message; the results of its calls in the order they were
  // added (notifications have none). The timeout covers the whole batch.
  asio::awaitable<std::vector<result>> batch(rpc::batch requests) {
    return state_type::run_batch(state_, std::move(requests), state_->options.call_timeout);
  }
  asio::awaitable<std::vector<result>> batch(rpc::batch requests,
                                             std::chrono::milliseconds timeout) {
    return state_type::run_batch(state_, std::move(requests), timeout);
  }

  // Returns once everything queued so far has been written to the stream.
  asio::awaitable<void> flush() { return state_->frames.flush(); }

  // Closes the connection; pending calls fail with errc::connection_closed.
  void close() noexcept {
    if (!state_) return;
    state_->closed_here = true;
    state_->frames.close();
  }

  bool is_open() const noexcept { return state_ && state_->open; }
  std::size_t pending_count() const noexcept { return state_ ? state_->pending.size() : 0; }
  std::size_t unmatched_responses() const noexcept { return state_ ? state_->unmatched : 0; }
  // Why the connection ended (the read error, or errc::connection_closed for a clean
  // close); empty while open.
  std::error_code close_reason() const noexcept {
    return state_ ? state_->close_reason : std::error_code{};
  }

  Stream& stream() noexcept { return state_->frames.stream(); }

 private:
  std::shared_ptr<state_type> state_;
};

// Newline-delimited JSON over a coronet::connection.
using client = basic_client<>;

}  // namespace coronet::rpc
