#include "coronet/errc.hpp"

#include <asio/error.hpp>

namespace coronet {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "coronet"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::timed_out:
        return "operation timed out";
      case errc::frame_too_large:
        return "frame exceeds the configured limit";
      case errc::truncated_frame:
        return "stream ended inside a frame";
      case errc::bad_message:
        return "malformed message";
      case errc::invalid_frame:
        return "frame cannot be encoded";
      case errc::shutting_down:
        return "server is shutting down";
      case errc::connection_limit:
        return "connection limit reached";
      case errc::outbox_full:
        return "outbox is full";
      case errc::connection_closed:
        return "connection closed";
    }
    return "unknown coronet error";
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
