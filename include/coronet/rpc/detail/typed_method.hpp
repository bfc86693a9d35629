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
struct awaitable_value;
template <typename T>
struct awaitable_value<asio::awaitable<T>> {
  using type = T;
};

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

// A coroutine, so it takes the method object by value: it lives in this frame.
template <typename Params, typename F>
asio::awaitable<nlohmann::json> call_typed(F f, nlohmann::json params) {
  Params converted = convert_params<Params>(params);
  using result_type = typename awaitable_value<std::invoke_result_t<F&, Params>>::type;
  if constexpr (std::is_void_v<result_type>) {
    co_await std::invoke(f, std::move(converted));
    co_return nlohmann::json();
  } else if constexpr (std::is_same_v<result_type, nlohmann::json>) {
    co_return co_await std::invoke(f, std::move(converted));
  } else {
    nlohmann::json out = co_await std::invoke(f, std::move(converted));
    co_return out;
  }
}

}  // namespace coronet::rpc::detail
