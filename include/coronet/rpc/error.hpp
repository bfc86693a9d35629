/// @file
/// @code{.unparsed}
/// coronet::rpc::error: a JSON-RPC 2.0 error object as a C++ exception.
///
///   asio::awaitable<nlohmann::json> withdraw(nlohmann::json params) {
///     if (params.at("amount").get<int>() > balance)
///       throw coronet::rpc::error{-32001, "insufficient funds", {{"balance", balance}}};
///     ...
///   }
///
/// A method throws it to answer with that error; rpc::client::call() throws it when the
/// server answered with an error. The predefined codes of the specification are the
/// constants below; -32099..-32000 are reserved for implementation-defined server errors
/// and everything outside -32768..-32000 is free for applications.
/// @endcode
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace coronet::rpc {

inline constexpr int parse_error = -32700;       ///< the message is not JSON (id null)
inline constexpr int invalid_request = -32600;   ///< JSON, but not a request object
inline constexpr int method_not_found = -32601;  ///< no such method
inline constexpr int invalid_params = -32602;    ///< params do not fit the method
inline constexpr int internal_error = -32603;    ///< the method failed unexpectedly

/// The specification's message for a predefined code ("Parse error", "Invalid Request",
/// "Method not found", "Invalid params", "Internal error", "Server error" for
/// -32099..-32000); "Error" for any other code.
const char* default_message(int code) noexcept;

/// A JSON-RPC 2.0 error object (code, message, optional data) as an exception.
class error : public std::runtime_error {
 public:
  /// The specification's message for `code` (see default_message), no data.
  explicit error(int code);
  /// An error with `code` and `message`, no data.
  error(int code, const std::string& message);
  /// `data` is sent as the error object's "data" member (null included).
  error(int code, const std::string& message, nlohmann::json data);

  /// The error code: one of the constants above, or the application's.
  int code() const noexcept { return code_; }
  /// The message, what() as a std::string.
  std::string message() const { return what(); }
  /// The "data" member; nothing when the error has none.
  const std::optional<nlohmann::json>& data() const noexcept { return data_; }

  /// The error object: {"code": ..., "message": ..., "data": ...}.
  nlohmann::json to_json() const;
  /// Reads an error object. Lenient, because it describes someone else's failure: a
  /// missing or mistyped code becomes internal_error, a missing message the default.
  static error from_json(const nlohmann::json& object);

 private:
  int code_;
  std::optional<nlohmann::json> data_;
};

}  // namespace coronet::rpc
