// add<Params>(name, f): a method taking typed params, converted with from_json.
#pragma once

#include "coronet/rpc/error.hpp"

#include <asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <exception>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace coronet::rpc::detail {

template <typename T>
inline constexpr bool is_awaitable = false;
template <typename T>
inline constexpr bool is_awaitable<asio::awaitable<T>> = true;

template <typename T>
inline constexpr bool is_tuple = false;
template <typename... Ts>
inline constexpr bool is_tuple<std::tuple<Ts...>> = true;

template <typename Params>
Params convert_params(const nlohmann::json& params) {
  if constexpr (is_tuple<Params>) {
    constexpr auto n = std::tuple_size_v<Params>;
    if (!params.is_array() || params.size() != n)
      throw error{invalid_params, default_message(invalid_params),
                  "expected an array of " + std::to_string(n) + " parameters"};
  }
  try {
    return params.template get<Params>();
  } catch (const error&) {
    throw;  // the user's from_json chose its own answer
  } catch (const std::exception& e) {
    // Conversion only looks at what the client sent, so saying why is safe and useful.
    throw error{invalid_params, default_message(invalid_params), e.what()};
  }
}

// Calls `f` with `arg` and turns what it gives into the method's JSON result: an
// awaitable is awaited, a plain value converted, void becomes null. A coroutine, so it
// takes the method object by value: it lives in this frame.
template <typename F, typename Arg>
asio::awaitable<nlohmann::json> call_method(F f, Arg arg) {
  using returned = std::invoke_result_t<F&, Arg>;
  if constexpr (is_awaitable<returned>) {
    if constexpr (std::is_void_v<typename returned::value_type>) {
      co_await std::invoke(f, std::move(arg));
      co_return nlohmann::json();
    } else {
      nlohmann::json out = co_await std::invoke(f, std::move(arg));
      co_return out;
    }
  } else if constexpr (std::is_void_v<returned>) {
    std::invoke(f, std::move(arg));
    co_return nlohmann::json();
  } else {
    nlohmann::json out = std::invoke(f, std::move(arg));
    co_return out;
  }
}

template <typename Params, typename F>
asio::awaitable<nlohmann::json> call_typed(F f, nlohmann::json params) {
  co_return co_await call_method(std::move(f), convert_params<Params>(params));
}

}  // namespace coronet::rpc::detail
