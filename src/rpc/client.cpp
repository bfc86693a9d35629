#include "coronet/rpc/client.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <stdexcept>

namespace coronet::rpc {

using json = nlohmann::json;

batch& batch::call(std::string method, json params) {
  detail::check_params(params);
  entries_.push_back({std::move(method), std::move(params), false});
  return *this;
}

batch& batch::notify(std::string method, json params) {
  detail::check_params(params);
  entries_.push_back({std::move(method), std::move(params), true});
  return *this;
}

namespace detail {

void check_params(const json& params) {
  if (!params.is_null() && !params.is_array() && !params.is_object())
    throw std::invalid_argument("rpc: params must be an array, an object, or null for none");
}

json make_request(std::string method, json params, const json* id) {
  check_params(params);
  json request = json::object();
  request["jsonrpc"] = "2.0";
  request["method"] = std::move(method);
  if (!params.is_null()) request["params"] = std::move(params);
  if (id != nullptr) request["id"] = *id;
  return request;
}

json take_result(json response) {
  if (const auto e = response.find("error"); e != response.end()) throw error::from_json(*e);
  if (const auto r = response.find("result"); r != response.end()) return std::move(*r);
  throw message_error("rpc::client: a response with neither result nor error", 0);
}

result to_result(json response) {
  if (const auto e = response.find("error"); e != response.end())
    return result{error::from_json(*e)};
  if (const auto r = response.find("result"); r != response.end()) return result{std::move(*r)};
  return result{error{internal_error, "malformed response: neither result nor error", response}};
}

void pending_call::wake() noexcept {
  try {
    timer.cancel();
  } catch (...) {  // reactor failures only; nothing to do about them
  }
}

asio::awaitable<json> await_response(std::shared_ptr<pending_call> call) {
  while (!call->done()) {
    auto [ec] = co_await call->timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (call->done()) break;
    if (!ec) throw_error(errc::timed_out, "rpc::client: no response within the timeout");
    // Aborted but not completed: the caller's own cancellation.
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none)
      throw std::system_error(asio::error::operation_aborted, "rpc::client: call cancelled");
  }
  if (call->failure) std::rethrow_exception(call->failure);
  co_return std::move(*call->response);
}

}  // namespace detail
}  // namespace coronet::rpc
