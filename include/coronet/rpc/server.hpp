// coronet::rpc::server: JSON-RPC 2.0 methods served over any coronet framing.
//
//   asio::awaitable<nlohmann::json> sum(nlohmann::json params) {   // [1, 2, 4] -> 7
//     int total = 0;
//     for (const auto& v : params) total += v.get<int>();
//     co_return total;
//   }
//
//   coronet::rpc::server rpc;
//   rpc.add("sum", sum);
//   rpc.add<std::tuple<int, int>>("mul", [](std::tuple<int, int> p) { return mul(p); });
//
//   coronet::server server{{.port = 7070}};
//   server.run([&rpc](coronet::connection c) { return rpc.serve(std::move(c)); });
//
// An rpc::server is a router: a table of methods shared by every connection it serves.
// Register every method before the first serve(); add() afterwards throws
// std::logic_error, so the table is never written while other threads read it. The
// method objects are called concurrently from every serving thread.
//
// Methods take `params` by value: the array or object the caller sent, or null when it
// sent none. The typed form add<Params>(name, f) converts params with from_json first;
// any exception from that conversion is answered with -32602 Invalid params, its what()
// as the error's data. A positional array reaches Params' from_json as it is (write one
// that accepts both shapes if you like, see examples/rpc/methods.cpp); for
// Params = std::tuple<...> the array must have exactly as many elements as the tuple.
//
// Serving one connection (serve()): requests run concurrently, each as its own
// coroutine on the connection's executor, and responses go out as they complete, each
// carrying its request's id. Responses go through the framing's bounded outbox, so a
// client that does not read its responses stalls its own requests, then its reads.
// Batches run their elements concurrently and are answered with one array in request
// order once all are done. At EOF, serve() waits for the requests still running and for
// their responses to be written, then returns. If serve() ends with an error or is
// cancelled, running methods are cancelled (terminal cancellation) and the connection
// closed.
//
// The specification's rules, as implemented:
//   - "jsonrpc" must be exactly "2.0", "method" a string, "params" (optional) an array
//     or an object, "id" (optional) a string, a number or null; else -32600.
//   - A request without "id" is a notification: never answered, not even with an error,
//     also inside a batch. A request with "id": null is answered (with id null).
//   - The id is echoed as received. A request that is invalid (-32600) is answered with
//     its id when it had a valid one, else with id null; text that is not JSON gets
//     -32700 with id null.
//   - `[]` is answered with one -32600 (not an array); each invalid element of a batch
//     with its own -32600; a batch of notifications only gets no reply at all.
//   - Methods named "rpc.*" are reserved: add() refuses them, so calls get -32601.
//   - A method throwing rpc::error is answered with that error; any other exception
//     with -32603 Internal error (what() is not sent unless expose_error_details).
//   - Frames holding only whitespace are skipped (a stray blank line is not an error).
//
// Security settings are in server_options; the size of one request is bounded by the
// codec (line_codec: 64 KiB). A frame over that limit, or any other framing or stream
// error, ends the connection: the byte stream cannot be trusted to resynchronize.
#pragma once

#include "coronet/connection.hpp"
#include "coronet/errc.hpp"
#include "coronet/framed.hpp"
#include "coronet/json_channel.hpp"
#include "coronet/line_codec.hpp"
#include "coronet/rpc/error.hpp"

#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace coronet::rpc {

struct server_options {
  // Security: method calls one connection may have running at once (batch elements
  // count one each). At the limit the server stops reading that connection until one
  // finishes, so one client cannot pile up unbounded work or memory.
  std::size_t max_concurrent_requests = 64;
  // Security: most elements in one batch; a larger batch is answered with one -32600.
  std::size_t max_batch_size = 1000;
  // Security: deepest nesting of arrays/objects in a request (checked before parsing).
  std::size_t max_depth = 64;
  // Security: the largest response (one frame) sent to a client; 0 means the codec's own
  // frame limit (line_codec: max_length; length_prefixed_codec: max_frame), on the
  // assumption that clients accept what this server accepts. A response over it is
  // replaced: a batch by an array of -32603 errors, one per call, and when even that is
  // too large, or for a single call, by one -32603 error "response too large" (with
  // the call's id when it fits, else id null followed by closing the connection, since
  // the client cannot tell which call failed). The client always gets an answer or a
  // close, never silence.
  std::size_t max_response_size = 0;
  // Adds a "data" member saying what was wrong to -32700 and -32600 errors, and the
  // exception's what() to -32603. Off by default: what() of an arbitrary exception can
  // reveal internals (paths, queries, addresses) to any client.
  bool expose_error_details = false;
};

// A method: params in (array, object, or null when absent), result out.
using method_function = std::function<asio::awaitable<nlohmann::json>(nlohmann::json params)>;

namespace detail {

struct router {
  server_options options;
  std::unordered_map<std::string, method_function> methods;
  std::atomic<bool> frozen{false};  // set by the first serve(): the table is read-only
};

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
parsed_frame parse_frame(std::string_view text, const server_options& options);

// One element of a message: a valid request, or the -32600 response to send for it.
std::variant<request, nlohmann::json> check_request(nlohmann::json& element,
                                                    const server_options& options);

// The -32700 / -32600 error: data only when options.expose_error_details.
error protocol_error(int code, const std::string& reason, const server_options& options);

nlohmann::json error_response(const nlohmann::json& id, const error& e);

// Runs a valid request. The response, or std::nullopt for a notification. Exceptions of
// the method become error responses; nothing escapes but std::bad_alloc.
asio::awaitable<std::optional<nlohmann::json>> invoke(std::shared_ptr<const router> r, request req);

// Ids are echoed exactly: a number id that its parsed value would not print as written
// (184467440737095516160, -0, 1E2) is kept as its text, a json binary value that
// append_response() writes back verbatim (src/rpc_ids.cpp).
void keep_id_lexemes(std::string_view text, nlohmann::json& message);
bool is_id_lexeme(const nlohmann::json& id) noexcept;
void append_response(const nlohmann::json& response, std::string& out);

// The replacement sent when a response does not fit the codec's frame limit.
nlohmann::json too_large_response(const nlohmann::json& response);

// A response as the text to send within `limit` bytes (see max_response_size). `close`
// is set when the connection must end after it (nothing that names the calls fits);
// `text` is empty when not even a bare error fits.
struct fitted_response {
  std::string text;
  bool close = false;
};
fitted_response fit_response(const nlohmann::json& response, std::size_t limit);

// One whole message handled in place, batch elements one after the other.
asio::awaitable<std::optional<std::string>> handle_message(std::shared_ptr<const router> r,
                                                           std::string text);

template <typename T>
struct awaitable_value;
template <typename T>
struct awaitable_value<asio::awaitable<T>> {
  using type = T;
};

template <typename T>
inline constexpr bool is_tuple = false;
template <typename... Ts>
inline constexpr bool is_tuple<std::tuple<Ts...>> = true;

template <typename T>
inline constexpr bool is_framed = false;
template <typename C, typename S>
inline constexpr bool is_framed<framed<C, S>> = true;

template <typename T>
inline constexpr bool is_json_channel = false;
template <typename C, typename S>
inline constexpr bool is_json_channel<json_channel<C, S>> = true;

template <typename Params>
Params convert_params(const nlohmann::json& params) {
  if constexpr (is_tuple<Params>) {
    constexpr auto n = std::tuple_size_v<Params>;
    if (!params.is_array() || params.size() != n)
      throw error{invalid_params, default_message(invalid_params),
                  "expected an array of " + std::to_string(n) + " parameters"};
  }
  try {
    return params.template get<Params>();
  } catch (const error&) {
    throw;  // the user's from_json chose its own answer
  } catch (const std::exception& e) {
    // Conversion only looks at what the client sent, so saying why is safe and useful.
    throw error{invalid_params, default_message(invalid_params), e.what()};
  }
}

// A coroutine, so it takes the method object by value: it lives in this frame.
template <typename Params, typename F>
asio::awaitable<nlohmann::json> call_typed(F f, nlohmann::json params) {
  Params converted = convert_params<Params>(params);
  using result_type = typename awaitable_value<std::invoke_result_t<F&, Params>>::type;
  if constexpr (std::is_void_v<result_type>) {
    co_await std::invoke(f, std::move(converted));
    co_return nlohmann::json();
  } else if constexpr (std::is_same_v<result_type, nlohmann::json>) {
    co_return co_await std::invoke(f, std::move(converted));
  } else {
    nlohmann::json out = co_await std::invoke(f, std::move(converted));
    co_return out;
  }
}

// The state of one served connection. Shared by serve()'s coroutine and every request
// coroutine, so a request finishing after serve() gave up still has a stream to fail
// writing to. Touched only on the connection's executor.
template <typename Codec, typename Stream>
class server_session : public std::enable_shared_from_this<server_session<Codec, Stream>> {
  using clock = std::chrono::steady_clock;
  using json = nlohmann::json;

  struct batch_state {
    explicit batch_state(std::size_t n) : replies(n), remaining(n) {}
    std::vector<std::optional<json>> replies;
    std::size_t remaining;
  };

 public:
  server_session(std::shared_ptr<const router> r, framed<Codec, Stream> frames)
      : router_(std::move(r)),
        frames_(std::move(frames)),
        signal_(frames_.get_executor(), clock::time_point::max()) {}

  static asio::awaitable<void> run(std::shared_ptr<server_session> self) {
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
  const server_options& options() const noexcept { return router_->options; }
  std::size_t limit() const noexcept {
    return std::max<std::size_t>(1, options().max_concurrent_requests);
  }

  // The frame is a view into the read buffer: everything needed is parsed out of it
  // before the first suspension that could let another read() happen (none can: only
  // run() reads, and it is suspended here).
  asio::awaitable<void> on_frame(std::shared_ptr<server_session> self, std::string_view text) {
    auto parsed = parse_frame(text, options());
    if (parsed.kind == parsed_frame::blank) co_return;
    if (parsed.kind == parsed_frame::failed) {
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

  static asio::awaitable<void> single(std::shared_ptr<server_session> self, request req) {
    auto response = co_await invoke(self->router_, std::move(req));
    if (response) co_await self->reply(std::move(*response));
  }

  static asio::awaitable<void> element(std::shared_ptr<server_session> self,
                                       std::shared_ptr<batch_state> batch, std::size_t index,
                                       request req) {
    auto response = co_await invoke(self->router_, std::move(req));
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
  // response over the limit is replaced (see server_options::max_response_size).
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
      failure_ = std::make_exception_ptr(std::system_error(
          make_error_code(errc::frame_too_large),
          "rpc::server: a response over max_response_size; connection closed"));
    frames_.close();
  }

  std::size_t response_limit() noexcept {
    if (options().max_response_size != 0) return options().max_response_size;
    if constexpr (requires(Codec& c) {
                    { c.max_frame() } -> std::convertible_to<std::size_t>;
                  })
      return frames_.codec().max_frame();
    else
      return static_cast<std::size_t>(-1);
  }

  void start(const std::shared_ptr<server_session>& self, asio::awaitable<void> task) {
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
    notify();
  }

  void abort() noexcept {
    std::vector<std::shared_ptr<asio::cancellation_signal>> signals(cancels_.begin(),
                                                                    cancels_.end());
    for (auto& signal : signals)
      signal->emit(asio::cancellation_type::terminal);
    frames_.close();
  }

  void notify() noexcept {
    try {
      signal_.cancel();
    } catch (...) {  // reactor failures only; nothing to do about them
    }
  }

  asio::awaitable<void> wait_until_below(std::size_t n) {
    while (in_flight_ >= n) {
      co_await signal_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      // The signal is a cancel() of the timer; tell it apart from our own cancellation.
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none)
        throw std::system_error(asio::error::operation_aborted, "rpc::server: serve cancelled");
    }
  }

  std::shared_ptr<const router> router_;
  framed<Codec, Stream> frames_;
  asio::steady_timer signal_;  // cancelled whenever a request finishes
  std::size_t in_flight_ = 0;
  std::unordered_set<std::shared_ptr<asio::cancellation_signal>> cancels_;
  std::exception_ptr failure_;
};

template <typename Codec, typename Stream>
asio::awaitable<void> serve_framed(std::shared_ptr<const router> r, framed<Codec, Stream> frames) {
  auto session = std::make_shared<server_session<Codec, Stream>>(std::move(r), std::move(frames));
  co_await server_session<Codec, Stream>::run(std::move(session));
}

}  // namespace detail

class server {
 public:
  explicit server(server_options options = {});
  server(server&&) noexcept = default;
  server& operator=(server&&) noexcept = default;
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server() = default;

  // Registers `method` under `name`, replacing any earlier one. Throws
  // std::invalid_argument for reserved names ("rpc.*"), std::logic_error once serving.
  server& add(std::string name, method_function method);

  // Typed: `f` takes Params (converted from params with from_json; failure is -32602)
  // and returns asio::awaitable<R> with R convertible to JSON, or awaitable<void>
  // (result null).
  template <typename Params, typename F>
  server& add(std::string name, F f) {
    return add(std::move(name), method_function{[f = std::move(f)](nlohmann::json params) {
                 return detail::call_typed<Params>(f, std::move(params));
               }});
  }

  bool has(const std::string& name) const { return router_->methods.count(name) != 0; }
  const server_options& options() const noexcept { return router_->options; }

  // Serves one connection (or any stream) until EOF; see the top of this file. The
  // default framing is newline-delimited JSON; pass a codec for another one:
  //   co_await rpc.serve(std::move(conn), coronet::length_prefixed_codec{});
  // The returned coroutine keeps the method table alive by itself: it does not refer to
  // this object.
  //
  // The default framing answers a last request that ends at EOF without its newline
  // (`printf '{...}' | nc`): JSON text is complete without it.
  template <typename Stream>
  requires(!detail::is_framed<Stream> && !detail::is_json_channel<Stream>)
      asio::awaitable<void> serve(Stream stream) const {
    return serve(std::move(stream), line_codec{{.final_line_without_delimiter = true}});
  }
  template <typename Stream, typename Codec>
  requires(!detail::is_framed<Stream> && !detail::is_json_channel<Stream>)
      asio::awaitable<void> serve(Stream stream, Codec codec, framed_options framing = {})
  const { return serve(framed<Codec, Stream>{std::move(stream), std::move(codec), framing}); }

  template <typename Codec, typename Stream>
  asio::awaitable<void> serve(framed<Codec, Stream> frames) const {
    router_->frozen.store(true, std::memory_order_relaxed);
    return detail::serve_framed(std::shared_ptr<const detail::router>{router_}, std::move(frames));
  }

  // Takes over a channel's framing (the channel's own max_depth is replaced by this
  // server's).
  template <typename Codec, typename Stream>
  asio::awaitable<void> serve(json_channel<Codec, Stream> channel) const {
    return serve(std::move(channel.frames()));
  }

  // One message (a request or a batch) in, the reply out, or std::nullopt when there
  // is nothing to send (notifications). For transports that are not streams (an HTTP
  // body, a message queue). Batch elements run one after the other here.
  asio::awaitable<std::optional<std::string>> handle(std::string message) const;

 private:
  std::shared_ptr<detail::router> router_;
};

}  // namespace coronet::rpc
