#include "coronet/http/request.hpp"

#include "coronet/http/keep_alive.hpp"

namespace coronet::http {

std::optional<request> request::parse(std::string_view bytes, const request_limits& limits,
                                      parse_result* result) {
  request r;
  r.bytes_.assign(bytes.begin(), bytes.end());
  const auto parsed =
      parse_request_head(std::string_view{r.bytes_.data(), r.bytes_.size()}, r.head_, limits);
  if (result != nullptr) *result = parsed;
  if (parsed.status != parse_status::ready) return std::nullopt;
  r.head_size_ = parsed.size;
  return r;
}

namespace detail {

asio::awaitable<std::optional<request>> read_request(connection* conn, request_options options) {
  // One turn of the keep-alive reader: the same limits, deadline and refusals.
  keep_alive_options once;
  once.requests = options;
  request_reader reader{*conn, once};
  if (co_await reader.next() == nullptr) co_return std::nullopt;
  // The head and what followed it, contiguous in the reader's buffer.
  const auto head = reader.raw_head();
  co_return request::parse(std::string_view{head.data(), head.size() + reader.rest().size()},
                           options.limits);
}

}  // namespace detail
}  // namespace coronet::http
