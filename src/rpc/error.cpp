#include "coronet/rpc/error.hpp"

namespace coronet::rpc {

const char* default_message(int code) noexcept {
  switch (code) {
    case parse_error:
      return "Parse error";
    case invalid_request:
      return "Invalid Request";
    case method_not_found:
      return "Method not found";
    case invalid_params:
      return "Invalid params";
    case internal_error:
      return "Internal error";
    default:
      break;
  }
  if (code >= -32099 && code <= -32000) return "Server error";
  return "Error";
}

error::error(int code) : std::runtime_error(default_message(code)), code_(code) {}

error::error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

error::error(int code, const std::string& message, nlohmann::json data)
    : std::runtime_error(message), code_(code), data_(std::move(data)) {}

nlohmann::json error::to_json() const {
  nlohmann::json object{{"code", code_}, {"message", what()}};
  if (data_) object["data"] = *data_;
  return object;
}

error error::from_json(const nlohmann::json& object) {
  if (!object.is_object()) return error{internal_error, "malformed error object", object};
  int code = internal_error;
  if (auto it = object.find("code"); it != object.end() && it->is_number_integer()) {
    const auto wide = it->get<std::int64_t>();
    if (wide >= INT32_MIN && wide <= INT32_MAX) code = static_cast<int>(wide);
  }
  std::string message = default_message(code);
  if (auto it = object.find("message"); it != object.end() && it->is_string())
    message = it->get<std::string>();
  if (auto it = object.find("data"); it != object.end()) return error{code, message, *it};
  return error{code, message};
}

}  // namespace coronet::rpc
