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

asio::awaitable<json> await_response(std::shared_ptr<pending_call> call) {
  while (!call->done()) {
    // Throws operation_aborted when the caller itself is cancelled.
    const bool woken = co_await call->wake.wait_until(call->deadline);
    if (!woken && !call->done())
      throw_error(errc::timed_out, "rpc::client: no response within the timeout");
  }
  if (call->failure) std::rethrow_exception(call->failure);
  co_return std::move(*call->response);
}

}  // namespace detail
}  // namespace coronet::rpc
