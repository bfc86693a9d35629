#include "coronet/http/request.hpp"

#include "coronet/core/errc.hpp"
#include "coronet/http/response.hpp"
#include "coronet/core/timeout.hpp"

#include <asio/buffer.hpp>

#include <algorithm>

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
namespace {

using clock = std::chrono::steady_clock;

// How much one read asks for: a browser's whole upgrade request fits.
constexpr std::size_t read_chunk = 4096;

}  // namespace

asio::awaitable<std::optional<request>> read_request(connection* conn, request_options options) {
  const auto deadline = clock::now() + options.head_timeout;
  std::vector<char> in;
  request_head probe;
  for (;;) {
    parse_result parsed =
        parse_request_head(std::string_view{in.data(), in.size()}, probe, options.limits);
    if (parsed.status == parse_status::ready) {
      co_return request::parse(std::string_view{in.data(), in.size()}, options.limits);
    }
    if (parsed.status == parse_status::fail) {
      const auto refusal = error_response(parsed.http_status, parsed.error);
      co_await write_response(conn, format(refusal), true);
      co_return std::nullopt;
    }
    // `more` means fewer than max_head_size bytes are here, so there is room.
    const std::size_t have = in.size();
    const std::size_t room = std::min(read_chunk, options.limits.max_head_size - have);
    in.resize(have + room);
    const auto left = std::max(clock::duration::zero(), deadline - clock::now());
    std::size_t n = 0;
    bool timed_out = false;
    try {
      n = co_await with_timeout(conn->read_some(asio::buffer(in.data() + have, room)), left);
    } catch (const std::system_error& e) {
      if (e.code() != errc::timed_out) throw;
      timed_out = true;
    }
    in.resize(have + n);
    if (timed_out && !in.empty()) {
      const auto late = error_response(408, "the request head took too long");
      co_await write_response(conn, format(late), true);
      co_return std::nullopt;
    }
    // Silent until the deadline, closed by the peer, or the server is stopping.
    if (timed_out || n == 0) co_return std::nullopt;
  }
}

}  // namespace detail
}  // namespace coronet::http
