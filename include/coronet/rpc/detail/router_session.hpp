// One connection served by an rpc::router: reads requests, runs them concurrently up to
// max_concurrent_requests, writes responses through the framing's bounded outbox.
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/detail/wakeup.hpp"
#include "coronet/framing/framed.hpp"
#include "coronet/json/json_channel.hpp"
#include "coronet/rpc/detail/protocol.hpp"

#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace coronet::rpc::detail {

template <typename T>
inline constexpr bool is_framed = false;
template <typename C, typename S>
inline constexpr bool is_framed<framed<C, S>> = true;

template <typename T>
inline constexpr bool is_json_channel = false;
template <typename C, typename S>
inline constexpr bool is_json_channel<json_channel<C, S>> = true;

// The state of one served connection. Shared by serve()'s coroutine and every request
// coroutine, so a request finishing after serve() gave up still has a stream to fail
// writing to. Touched only on the connection's executor.
template <typename Codec, typename Stream>
class router_session : public std::enable_shared_from_this<router_session<Codec, Stream>> {
  using clock = std::chrono::steady_clock;
  using json = nlohmann::json;

  struct batch_state {
    explicit batch_state(std::size_t n) : replies(n), remaining(n) {}
    std::vector<std::optional<json>> replies;
    std::size_t remaining;
  };

 public:
  router_session(std::shared_ptr<const method_table> r, framed<Codec, Stream> frames)
      : table_(std::move(r)), frames_(std::move(frames)), wake_(frames_.get_executor()) {}

  static asio::awaitable<void> run(std::shared_ptr<router_session> self) {
    auto& s = *self;
    try {
      for (;;) {
        co_await s.wait_until_below(s.limit());  // at the limit: stop reading
        auto frame = co_await s.frames_.read();
        if (!frame) break;
        co_await s.on_frame(self, std::string_view{*frame});
      }
      co_await s.wait_until_below(1);
    } catch (...) {
      s.abort();
      if (s.failure_) std::rethrow_exception(s.failure_);  // why the connection was closed
      throw;
    }
    try {
      co_await s.frames_.flush();
    } catch (const std::system_error&) {
      // The peer is gone: nobody is left to read the responses.
    }
    if (s.failure_) std::rethrow_exception(s.failure_);
  }

 private:
  const router_options& options() const noexcept { return table_->options; }
  std::size_t limit() const noexcept {
    return std::max<std::size_t>(1, options().max_concurrent_requests);
  }

  // The frame is a view into the read buffer: everything needed is parsed out of it
  // before the first suspension that could let another read() happen (none can: only
  // run() reads, and it is suspended here).
  asio::awaitable<void> on_frame(std::shared_ptr<router_session> self, std::string_view text) {
    auto parsed = parse_frame(text, options());
    if (parsed.kind == parsed_frame::blank) co_return;
    if (parsed.kind == parsed_frame::failed) {
      // Not JSON: answered in the protocol (-32700), and counted as a decode error over
      // a server connection (server::stats()); the connection goes on.
      coronet::detail::count_decode_error_of(frames_.stream(), decode_error::malformed, false);
      co_await reply(std::move(parsed.value));
      co_return;
    }
    json& message = parsed.value;
    if (!message.is_array()) {
      auto checked = check_request(message, options());
      if (auto* bad = std::get_if<json>(&checked)) {
        co_await reply(std::move(*bad));
        co_return;
      }
      start(self, single(self, std::get<request>(std::move(checked))));
      co_return;
    }
    if (message.empty() || message.size() > options().max_batch_size) {
      const char* reason = message.empty() ? "empty batch" : "batch too large";
      co_await reply(error_response(nullptr, protocol_error(invalid_request, reason, options())));
      co_return;
    }
    auto batch = std::make_shared<batch_state>(message.size());
    for (std::size_t i = 0; i < message.size(); ++i) {
      auto checked = check_request(message[i], options());
      if (auto* bad = std::get_if<json>(&checked)) {
        co_await finish(batch, i, std::move(*bad));
        continue;
      }
      co_await wait_until_below(limit());
      start(self, element(self, batch, i, std::get<request>(std::move(checked))));
    }
  }

  static asio::awaitable<void> single(std::shared_ptr<router_session> self, request req) {
    // clang-tidy 14 takes this co_await for a use of the coroutine parameter moved in it.
    // NOLINTNEXTLINE(bugprone-use-after-move)
    auto response = co_await invoke(self->table_, std::move(req));
    if (response) co_await self->reply(std::move(*response));
  }

  static asio::awaitable<void> element(std::shared_ptr<router_session> self,
                                       std::shared_ptr<batch_state> batch, std::size_t index,
                                       request req) {
    // clang-tidy 14 takes this co_await for a use of the coroutine parameter moved in it.
    // NOLINTNEXTLINE(bugprone-use-after-move)
    auto response = co_await invoke(self->table_, std::move(req));
    co_await self->finish(std::move(batch), index, std::move(response));
  }

  // Records one element's response; the last one sends the batch's reply.
  asio::awaitable<void> finish(std::shared_ptr<batch_state> batch, std::size_t index,
                               std::optional<json> response) {
    batch->replies[index] = std::move(response);
    if (--batch->remaining != 0) co_return;
    json out = json::array();
    for (auto& r : batch->replies)
      if (r) out.push_back(std::move(*r));
    if (!out.empty()) co_await reply(std::move(out));  // all notifications: no reply
  }

  // Queues one response, waiting while the outbox is over its high-water mark. A
  // response over the limit is replaced (see router_options::max_response_size).
  asio::awaitable<void> reply(json response) {
    auto fitted = fit_response(response, response_limit());
    try {
      if (!fitted.text.empty()) co_await frames_.send(std::string_view{fitted.text});
      if (!fitted.close) co_return;
      co_await frames_.flush();
    } catch (const std::system_error&) {
      co_return;  // the connection is gone; the reader sees it
    }
    // The client cannot tell which of its calls failed: end the connection, and say why.
    if (!failure_)
      failure_ = std::make_exception_ptr(
          std::system_error(make_error_code(errc::frame_too_large),
                            "rpc::router: a response over max_response_size; connection closed"));
    frames_.close();
  }

  std::size_t response_limit() noexcept {
    if (options().max_response_size != 0) return options().max_response_size;
    if constexpr (requires(Codec & c) {
                    { c.max_frame() } -> std::convertible_to<std::size_t>;
                  })
      return frames_.codec().max_frame();
    else
      return static_cast<std::size_t>(-1);
  }

  void start(const std::shared_ptr<router_session>& self, asio::awaitable<void> task) {
    // One signal per request, kept alive by the completion handler until the coroutine
    // bound to it has finished.
    auto signal = std::make_shared<asio::cancellation_signal>();
    cancels_.insert(signal);
    ++in_flight_;
    asio::co_spawn(
        frames_.get_executor(), std::move(task),
        asio::bind_cancellation_slot(signal->slot(), [self, signal](std::exception_ptr e) {
          self->done(signal, std::move(e));
        }));
  }

  void done(const std::shared_ptr<asio::cancellation_signal>& signal, std::exception_ptr e) {
    cancels_.erase(signal);
    --in_flight_;
    // Request coroutines turn every method failure into a response; what still arrives
    // here is a real fault (allocation) and is rethrown by run(), never dropped.
    if (e && !failure_) failure_ = std::move(e);
    wake_.notify();
  }

  void abort() noexcept {
    std::vector<std::shared_ptr<asio::cancellation_signal>> signals(cancels_.begin(),
                                                                    cancels_.end());
    for (auto& signal : signals)
      signal->emit(asio::cancellation_type::terminal);
    frames_.close();
  }

  asio::awaitable<void> wait_until_below(std::size_t n) {
    while (in_flight_ >= n)
      co_await wake_.wait();
  }

  std::shared_ptr<const method_table> table_;
  framed<Codec, Stream> frames_;
  coronet::detail::wakeup wake_;  // notified whenever a request finishes
  std::size_t in_flight_ = 0;
  std::unordered_set<std::shared_ptr<asio::cancellation_signal>> cancels_;
  std::exception_ptr failure_;
};

template <typename Codec, typename Stream>
asio::awaitable<void> serve_framed(std::shared_ptr<const method_table> r,
                                   framed<Codec, Stream> frames) {
  auto session = std::make_shared<router_session<Codec, Stream>>(std::move(r), std::move(frames));
  co_await router_session<Codec, Stream>::run(std::move(session));
}

}  // namespace coronet::rpc::detail
