#include "coronet/websocket/close_code.hpp"

#include <string>

namespace coronet::websocket {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "websocket"; }
  std::string message(int value) const override {
    const auto text = to_string(static_cast<close_code>(value));
    return text.empty() ? "websocket close code " + std::to_string(value) : std::string{text};
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

std::string_view to_string(close_code c) noexcept {
  switch (c) {
    case close_code::normal:
      return "normal closure";
    case close_code::going_away:
      return "going away";
    case close_code::protocol_error:
      return "protocol error";
    case close_code::unsupported_data:
      return "unsupported data";
    case close_code::no_status:
      return "no status code";
    case close_code::abnormal:
      return "closed without a close frame";
    case close_code::invalid_payload:
      return "invalid payload (not UTF-8)";
    case close_code::policy_violation:
      return "policy violation";
    case close_code::message_too_big:
      return "message too big";
    case close_code::mandatory_extension:
      return "mandatory extension";
    case close_code::internal_error:
      return "internal error";
  }
  return {};
}

}  // namespace coronet::websocket
