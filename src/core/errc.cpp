#include "coronet/core/errc.hpp"

#include <asio/error.hpp>

#include <array>
#include <iterator>

namespace coronet {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "coronet"; }

  std::string message(int value) const override {
    // Indexed by errc's value (1 to upgrade_failed, in declaration order).
    static constexpr std::array<const char*, 15> messages{
        "operation timed out",         "frame exceeds the configured limit",
        "stream ended inside a frame", "malformed message",
        "frame cannot be encoded",     "server is shutting down",
        "connection limit reached",    "outbox is full",
        "connection closed",           "TLS handshake failed",
        "TLS protocol error",          "Redis authentication failed",
        "Redis refused a command",     "PROXY header refused",
        "WebSocket handshake failed",
    };
    static_assert(std::size(messages) == static_cast<std::size_t>(errc::upgrade_failed));
    if (value < 1 || value > static_cast<int>(std::size(messages))) return "unknown coronet error";
    return messages[value - 1];
  }

  // Lets `ec == std::errc::timed_out` hold for coronet's own timeout too.
  bool equivalent(int value, const std::error_condition& cond) const noexcept override {
    if (static_cast<errc>(value) == errc::timed_out)
      return cond == std::errc::timed_out || default_error_condition(value) == cond;
    return default_error_condition(value) == cond;
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

void throw_error(errc e, const std::string& what) {
  throw std::system_error(make_error_code(e), what);
}

void throw_error(std::error_code ec, const std::string& what) {
  throw std::system_error(ec, what);
}

bool is_disconnect(std::error_code ec) noexcept {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_aborted || ec == asio::error::not_connected ||
         ec == asio::error::bad_descriptor || ec == asio::error::shut_down ||
         ec == errc::connection_closed;
}

std::string describe(const std::exception_ptr& e) {
  if (!e) return "no error";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace coronet
