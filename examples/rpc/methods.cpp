#include "methods.hpp"

#include <limits>
#include <stdexcept>

namespace examples {
namespace {

using nlohmann::json;

// Integers stay integers (so 42 - 23 answers 19, not 19.0) unless they overflow.
json add(const json& a, const json& b, bool negate_b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    const auto x = a.get<std::int64_t>();
    const auto y = b.get<std::int64_t>();
    std::int64_t r = 0;
    const bool overflow =
        negate_b ? __builtin_sub_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r);
    if (!overflow) return r;
  }
  const double y = b.get<double>();
  return a.get<double>() + (negate_b ? -y : y);
}

json sum_of(const json& params) {
  if (!params.is_array())
    throw coronet::rpc::error{coronet::rpc::invalid_params, "Invalid params",
                              "sum takes an array of numbers"};
  json total = 0;
  for (const auto& v : params) {
    if (!v.is_number())
      throw coronet::rpc::error{coronet::rpc::invalid_params, "Invalid params",
                                "sum takes an array of numbers"};
    total = add(total, v, false);
  }
  return total;
}

// Typed params accepting both shapes the specification uses for subtract.
struct subtract_params {
  json minuend;
  json subtrahend;
};

void from_json(const json& j, subtract_params& p) {
  if (j.is_array() && j.size() == 2) {
    p.minuend = j[0];
    p.subtrahend = j[1];
  } else if (j.is_object() && j.contains("minuend") && j.contains("subtrahend")) {
    p.minuend = j["minuend"];
    p.subtrahend = j["subtrahend"];
  } else {
    throw std::invalid_argument(
        "subtract takes [minuend, subtrahend] or {\"minuend\": .., \"subtrahend\": ..}");
  }
  if (!p.minuend.is_number() || !p.subtrahend.is_number())
    throw std::invalid_argument("subtract takes numbers");
}

asio::awaitable<json> subtract(subtract_params p) {
  co_return add(p.minuend, p.subtrahend, true);
}

asio::awaitable<json> sum(json params) {
  co_return sum_of(params);
}

// The specification only ever sends these as notifications; they answer anyway when
// called with an id.
asio::awaitable<json> update(json /*params*/) {
  co_return nullptr;
}
asio::awaitable<json> notify_hello(json /*params*/) {
  co_return nullptr;
}

asio::awaitable<json> get_data(json /*params*/) {
  json data = json::array();
  data.push_back("hello");
  data.push_back(5);
  co_return data;
}

}  // namespace

void add_spec_methods(coronet::rpc::server& rpc) {
  rpc.add<subtract_params>("subtract", subtract);
  rpc.add("sum", sum);
  rpc.add("notify_sum", sum);
  rpc.add("update", update);
  rpc.add("notify_hello", notify_hello);
  rpc.add("get_data", get_data);
}

}  // namespace examples
