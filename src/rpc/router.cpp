#include "coronet/rpc/router.hpp"

#include <stdexcept>

namespace coronet::rpc {
namespace detail {
namespace {

using json = nlohmann::json;

bool valid_id(const json& id) noexcept {
  return id.is_string() || id.is_number() || id.is_null() || is_id_lexeme(id);
}

json result_response(json id, json result) {
  json response = json::object();
  response["jsonrpc"] = "2.0";
  response["result"] = std::move(result);
  response["id"] = std::move(id);
  return response;
}

}  // namespace

parsed_frame parse_frame(std::string_view text, const router_options& options) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
  try {
    auto message = parse_message(text, options.max_depth);
    keep_id_lexemes(text, message);
    return {parsed_frame::message, std::move(message)};
  } catch (const message_error& e) {
    return {parsed_frame::failed,
            error_response(nullptr, protocol_error(parse_error, e.what(), options))};
  }
}

std::variant<request, json> check_request(json& element, const router_options& options) {
  auto invalid = [&options](const json& id, const char* reason) {
    return error_response(id, protocol_error(invalid_request, reason, options));
  };
  if (!element.is_object()) return invalid(nullptr, "a request must be an object");

  // The id first: an otherwise invalid request is still answered with its id when the
  // id itself could be read.
  const auto id = element.find("id");
  const bool has_id = id != element.end();
  if (has_id && !valid_id(*id)) return invalid(nullptr, "id must be a string, a number or null");
  const json& echo = has_id ? *id : json(nullptr);

  const auto version = element.find("jsonrpc");
  if (version == element.end() || !version->is_string() ||
      version->get_ref<const std::string&>() != "2.0")
    return invalid(echo, "jsonrpc must be \"2.0\"");
  const auto method = element.find("method");
  if (method == element.end() || !method->is_string())
    return invalid(echo, "method must be a string");

  request req;
  if (const auto params = element.find("params"); params != element.end()) {
    if (!params->is_array() && !params->is_object())
      return invalid(echo, "params must be an array or an object");
    req.params = std::move(*params);
  }
  req.method = std::move(method->get_ref<std::string&>());
  if (has_id) req.id = std::move(*id);
  return req;
}

error protocol_error(int code, const std::string& reason, const router_options& options) {
  if (options.expose_error_details) return error{code, default_message(code), reason};
  return error{code};
}

json error_response(const json& id, const error& e) {
  json response = json::object();
  response["jsonrpc"] = "2.0";
  response["error"] = e.to_json();
  response["id"] = id;
  return response;
}

asio::awaitable<std::optional<json>> invoke(std::shared_ptr<const method_table> r, request req) {
  std::optional<error> failure;
  json result;
  const auto it = r->methods.find(req.method);
  if (it == r->methods.end()) {
    failure.emplace(method_not_found);
  } else {
    try {
      result = co_await it->second(std::move(req.params));
    } catch (const error& e) {
      failure.emplace(e);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      if (r->options.expose_error_details)
        failure.emplace(internal_error, default_message(internal_error), json(e.what()));
      else
        failure.emplace(internal_error);
    } catch (...) {
      failure.emplace(internal_error);
    }
  }
  if (!req.id) co_return std::nullopt;  // a notification: never answered
  if (failure) co_return error_response(*req.id, *failure);
  co_return result_response(std::move(*req.id), std::move(result));
}

json too_large_response(const json& response) {
  const error e{internal_error, default_message(internal_error), "response too large"};
  auto one = [&e](const json& r) {
    const auto id = r.is_object() ? r.find("id") : r.end();
    return error_response(id != r.end() ? *id : json(nullptr), e);
  };
  if (!response.is_array()) return one(response);
  json out = json::array();
  for (const auto& r : response)
    out.push_back(one(r));
  return out;
}

fitted_response fit_response(const json& response, std::size_t limit) {
  fitted_response out;
  append_response(response, out.text);
  if (out.text.size() <= limit) return out;
  out.text.clear();
  append_response(too_large_response(response), out.text);
  if (out.text.size() <= limit) return out;
  // Nothing naming the calls fits: one error with id null, then the connection ends.
  out.close = true;
  out.text.clear();
  append_response(error_response(nullptr, error{internal_error, default_message(internal_error),
                                                "response too large"}),
                  out.text);
  if (out.text.size() > limit) out.text.clear();
  return out;
}

asio::awaitable<std::optional<std::string>> handle_message(std::shared_ptr<const method_table> r,
                                                           std::string text) {
  auto parsed = parse_frame(text, r->options);
  std::optional<json> reply;
  if (parsed.kind == parsed_frame::failed) {
    reply = std::move(parsed.value);
  } else if (parsed.kind == parsed_frame::message) {
    json& message = parsed.value;
    if (!message.is_array()) {
      auto checked = check_request(message, r->options);
      if (auto* bad = std::get_if<json>(&checked))
        reply = std::move(*bad);
      else
        reply = co_await invoke(r, std::get<request>(std::move(checked)));
    } else if (message.empty() || message.size() > r->options.max_batch_size) {
      const char* reason = message.empty() ? "empty batch" : "batch too large";
      reply = error_response(nullptr, protocol_error(invalid_request, reason, r->options));
    } else {
      json out = json::array();
      for (auto& element : message) {
        auto checked = check_request(element, r->options);
        std::optional<json> one;
        if (auto* bad = std::get_if<json>(&checked))
          one = std::move(*bad);
        else
          one = co_await invoke(r, std::get<request>(std::move(checked)));
        if (one) out.push_back(std::move(*one));
      }
      if (!out.empty()) reply = std::move(out);
    }
  }
  if (!reply) co_return std::nullopt;
  const auto limit = r->options.max_response_size;
  auto fitted = fit_response(*reply, limit != 0 ? limit : static_cast<std::size_t>(-1));
  co_return std::move(fitted.text);
}

}  // namespace detail

router::router(router_options options) : table_(std::make_shared<detail::method_table>()) {
  table_->options = options;
}

router& router::add(std::string name, method_function method) {
  if (name.starts_with("rpc."))
    throw std::invalid_argument("rpc::router: method names beginning with \"rpc.\" are reserved");
  if (!method) throw std::invalid_argument("rpc::router: empty method for \"" + name + "\"");
  if (table_->frozen.load(std::memory_order_relaxed))
    throw std::logic_error("rpc::router: methods must be added before serving");
  table_->methods.insert_or_assign(std::move(name), std::move(method));
  return *this;
}

asio::awaitable<std::optional<std::string>> router::handle(std::string message) const {
  table_->frozen.store(true, std::memory_order_relaxed);
  return detail::handle_message(table_, std::move(message));
}

}  // namespace coronet::rpc
