// The machinery behind rpc::basic_client: requests in flight matched to responses by
// id, the reader coroutine, deadlines (src/rpc/client.cpp).
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/core/errc.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/detail/scope_exit.hpp"
#include "coronet/detail/wakeup.hpp"
#include "coronet/framing/framed.hpp"
#include "coronet/framing/line_codec.hpp"
#include "coronet/json/json_channel.hpp"
#include "coronet/rpc/batch.hpp"
#include "coronet/rpc/client_options.hpp"
#include "coronet/rpc/error.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
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

namespace coronet::rpc::detail {

// Throws std::invalid_argument unless params is null (absent), an array or an object:
// the specification allows only structured params.
void check_params(const nlohmann::json& params);

// The request object; a notification when id is null.
nlohmann::json make_request(std::string method, nlohmann::json params, const nlohmann::json* id);

// The result member of a response, or throws its rpc::error (or message_error when it
// has neither).
nlohmann::json take_result(nlohmann::json response);
result to_result(nlohmann::json response);

// One call waiting for its response, until `deadline`. The reader fills it and wakes
// the caller.
struct pending_call {
  pending_call(const asio::any_io_executor& ex, std::chrono::steady_clock::time_point at)
      : wake(ex), deadline(at) {}
  coronet::detail::wakeup wake;
  std::chrono::steady_clock::time_point deadline;
  std::optional<nlohmann::json> response;
  std::exception_ptr failure;  // set when the connection ended first
  bool done() const noexcept { return response.has_value() || failure != nullptr; }
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
    auto call = std::make_shared<pending_call>(frames.get_executor(), at);
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
    call->wake.notify();
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
      call->wake.notify();
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
    coronet::detail::scope_exit forget{[&s, id] { s.pending.erase(id); }};
    co_await send(self, std::move(text), at);
    json response = co_await await_response(std::move(waiting));
    co_return take_result(std::move(response));
  }

  static asio::awaitable<void> notify(std::shared_ptr<client_state> self, std::string method,
                                      json params) {
    std::string text;
    coronet::detail::append_json(make_request(std::move(method), std::move(params), nullptr), text);
    const auto at = self->deadline(self->options.call_timeout);
    // clang-tidy 14 takes a co_await after a moved coroutine parameter for a use of it.
    // NOLINTNEXTLINE(bugprone-use-after-move)
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
    coronet::detail::scope_exit forget{[&s, &calls] {
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

}  // namespace coronet::rpc::detail
