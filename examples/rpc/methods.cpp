#include "methods.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace examples {
namespace {

using nlohmann::json;

// Exact arithmetic: integers stay integers (42 - 23 answers 19, not 19.0) and are
// added in 128 bits, so no partial sum can wrap (one request holds far fewer than 2^63
// terms of 64 bits). A result outside the 64-bit integers (signed or unsigned, what JSON numbers
// carry exactly here) or a non-finite floating-point result is an error, never a wrong number.
__extension__ using int128 = __int128;  // __extension__: GCC and clang, not ISO C++

constexpr int out_of_range = -32000;  // implementation-defined server error

class exact_sum {
 public:
  void add(const json& v, bool negate) {
    if (v.is_number_unsigned()) {
      const auto x = static_cast<int128>(v.get<std::uint64_t>());
      integer_ += negate ? -x : x;
    } else if (v.is_number_integer()) {
      const auto x = static_cast<int128>(v.get<std::int64_t>());
      integer_ += negate ? -x : x;
    } else {
      const double x = v.get<double>();
      floating_ += negate ? -x : x;
      any_float_ = true;
    }
  }

  json value() const {
    if (any_float_) {
      const double r = floating_ + static_cast<double>(integer_);
      if (!std::isfinite(r))
        throw coronet::rpc::error{out_of_range, "Result out of range",
                                  "the result is not a finite number"};
      return r;
    }
    if (integer_ >= std::numeric_limits<std::int64_t>::min() &&
        integer_ <= std::numeric_limits<std::int64_t>::max())
      return static_cast<std::int64_t>(integer_);
    if (integer_ > 0 && integer_ <= std::numeric_limits<std::uint64_t>::max())
      return static_cast<std::uint64_t>(integer_);
    throw coronet::rpc::error{out_of_range, "Result out of range",
                              "the result does not fit a 64-bit integer"};
  }

 private:
  int128 integer_ = 0;
  double floating_ = 0;
  bool any_float_ = false;
};

json sum_of(const json& params) {
  if (!params.is_array())
    throw coronet::rpc::error{coronet::rpc::invalid_params, "Invalid params",
                              "sum takes an array of numbers"};
  exact_sum total;
  for (const auto& v : params) {
    if (!v.is_number())
      throw coronet::rpc::error{coronet::rpc::invalid_params, "Invalid params",
                                "sum takes an array of numbers"};
    total.add(v, false);
  }
  return total.value();
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
  exact_sum r;
  r.add(p.minuend, false);
  r.add(p.subtrahend, true);
  co_return r.value();
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

void add_spec_methods(coronet::rpc::router& rpc) {
  rpc.add<subtract_params>("subtract", subtract);
  rpc.add("sum", sum);
  rpc.add("notify_sum", sum);
  rpc.add("update", update);
  rpc.add("notify_hello", notify_hello);
  rpc.add("get_data", get_data);
}

}  // namespace examples
