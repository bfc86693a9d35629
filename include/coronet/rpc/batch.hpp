/// @file
/// @code{.unparsed}
/// The values an rpc::client call works with: positional(...) params, a batch under
/// construction, and one call's result.
/// @endcode
#pragma once

#include "coronet/json/json_channel.hpp"
#include "coronet/rpc/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace coronet::rpc {

/// Positional params built without a braced list: GCC 12 cannot compile a braced list
/// inside a co_await expression ("array used as initializer"), so there
///   co_await rpc.call("sum", coronet::rpc::positional(1, 2, 4));
/// replaces co_await rpc.call("sum", {1, 2, 4}) (fine with GCC 13 and clang).
template <typename... Ts>
nlohmann::json positional(Ts&&... values) {
  return json_array(std::forward<Ts>(values)...);
}

/// The outcome of one call of a batch: a result value or an rpc::error.
class result {
 public:
  /// A call that succeeded with `value`.
  explicit result(nlohmann::json value) : outcome_(std::move(value)) {}
  /// A call that failed with `e`.
  explicit result(rpc::error e) : outcome_(std::move(e)) {}

  /// Whether the call succeeded: value() is its result.
  bool ok() const noexcept { return outcome_.index() == 0; }
  /// The same as ok().
  explicit operator bool() const noexcept { return ok(); }
  /// The value; throws the rpc::error when the call failed.
  const nlohmann::json& value() const {
    if (const auto* e = std::get_if<rpc::error>(&outcome_)) throw *e;
    return std::get<nlohmann::json>(outcome_);
  }
  /// The error; precondition: !ok() (throws std::bad_variant_access otherwise).
  const rpc::error& error() const { return std::get<rpc::error>(outcome_); }

 private:
  std::variant<nlohmann::json, rpc::error> outcome_;
};

/// A batch under construction: calls (each gets a result) and notifications (none).
class batch {
 public:
  /// One call or notification, as call() or notify() recorded it.
  struct entry {
    std::string method;         ///< the method's name
    nlohmann::json params;      ///< null: no params member
    bool notification = false;  ///< true: a notification (no id, no result)
  };

  /// Throws std::invalid_argument if params is neither null, an array nor an object.
  batch& call(std::string method, nlohmann::json params = nullptr);
  /// Adds a notification, which gets no result; throws as call() does.
  batch& notify(std::string method, nlohmann::json params = nullptr);

  /// The calls and notifications, in the order they were added.
  const std::vector<entry>& entries() const noexcept { return entries_; }
  /// How many calls and notifications the batch holds.
  std::size_t size() const noexcept { return entries_.size(); }
  /// Whether the batch holds nothing yet.
  bool empty() const noexcept { return entries_.empty(); }

 private:
  std::vector<entry> entries_;
};

}  // namespace coronet::rpc
