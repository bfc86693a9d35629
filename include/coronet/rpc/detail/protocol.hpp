// The JSON-RPC 2.0 rules behind rpc::router, stream-free: parsing a frame, checking a
// request, running it, building and fitting responses (src/rpc/router.cpp, ids.cpp).
#pragma once

#include "coronet/json/json_channel.hpp"
#include "coronet/rpc/error.hpp"
#include "coronet/rpc/router_options.hpp"

#include <asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace coronet::rpc::detail {

struct method_table {
  router_options options;
  std::unordered_map<std::string, method_function> methods;
  std::atomic<bool> frozen{false};  // set by the first serve(): the table is read-only
};

// Its implicit moves do not throw (json, std::string and std::optional move without
// allocating); clang-tidy 14 cannot see that.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct request {
  std::string method;
  nlohmann::json params;             // null when absent
  std::optional<nlohmann::json> id;  // empty: a notification
};

struct parsed_frame {
  enum kind_type { blank, message, failed } kind = blank;
  nlohmann::json value;  // message: the JSON; failed: the -32700 response
};

// One frame's text: whitespace only, a JSON value, or the parse error response.
parsed_frame parse_frame(std::string_view text, const router_options& options);

// One element of a message: a valid request, or the -32600 response to send for it.
std::variant<request, nlohmann::json> check_request(nlohmann::json& element,
                                                    const router_options& options);

// The -32700 / -32600 error: data only when options.expose_error_details.
error protocol_error(int code, const std::string& reason, const router_options& options);

nlohmann::json error_response(const nlohmann::json& id, const error& e);

// Runs a valid request. The response, or std::nullopt for a notification. Exceptions of
// the method become error responses; nothing escapes but std::bad_alloc.
asio::awaitable<std::optional<nlohmann::json>> invoke(std::shared_ptr<const method_table> r,
                                                      request req);

// Ids are echoed exactly: a number id that its parsed value would not print as written
// (184467440737095516160, -0, 1E2) is kept as its text, a json binary value that
// append_response() writes back verbatim (src/rpc_ids.cpp).
void keep_id_lexemes(std::string_view text, nlohmann::json& message);
bool is_id_lexeme(const nlohmann::json& id) noexcept;
void append_response(const nlohmann::json& response, std::string& out);

// The replacement sent when a response does not fit the codec's frame limit.
nlohmann::json too_large_response(const nlohmann::json& response);

// A response as the text to send within `limit` bytes (see router_options::max_response_size).
// `close` is set when the connection must end after it (nothing that names the calls fits); `text`
// is empty when not even a bare error fits.
struct fitted_response {
  std::string text;
  bool close = false;
};
fitted_response fit_response(const nlohmann::json& response, std::size_t limit);

// One whole message handled in place, batch elements one after the other.
asio::awaitable<std::optional<std::string>> handle_message(std::shared_ptr<const method_table> r,
                                                           std::string text);

}  // namespace coronet::rpc::detail
