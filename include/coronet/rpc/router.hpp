/// @file
/// @code{.unparsed}
/// coronet::rpc::router: JSON-RPC 2.0 methods served over any coronet framing. (Its
/// earlier name, rpc::router, is an alias: it routes calls to methods and does not
/// listen; a coronet::server does that.)
///
///   asio::awaitable<nlohmann::json> sum(nlohmann::json params) {   // [1, 2, 4] -> 7
///     int total = 0;
///     for (const auto& v : params) total += v.get<int>();
///     co_return total;
///   }
///
///   coronet::rpc::router rpc;
///   rpc.add("sum", sum);
///   rpc.add<std::tuple<int, int>>("mul", [](std::tuple<int, int> p) { return mul(p); });
///
///   coronet::server server{{.port = 7070}};
///   server.run([&rpc](coronet::connection c) { return rpc.serve(std::move(c)); });
///
/// A router is a table of methods shared by every connection it serves.
/// Register every method before the first serve(); add() afterwards throws
/// std::logic_error, so the table is never written while other threads read it. The
/// method objects are called concurrently from every serving thread.
///
/// Methods are coroutines or plain callables (a lambda returning a value is fine). A
/// call whose client gave up waiting (its own timeout) still runs to its end on the
/// server and counts against max_concurrent_requests until then; JSON-RPC has no way
/// to cancel a call, so a method that may run long should bound itself.
///
/// Methods take `params` by value: the array or object the caller sent, or null when it
/// sent none. The typed form add<Params>(name, f) converts params with from_json first;
/// any exception from that conversion is answered with -32602 Invalid params, its what()
/// as the error's data. A positional array reaches Params' from_json as it is (write one
/// that accepts both shapes if you like, see examples/rpc/methods.cpp); for
/// Params = std::tuple<...> the array must have exactly as many elements as the tuple.
///
/// Serving one connection (serve()): requests run concurrently, each as its own
/// coroutine on the connection's executor, and responses go out as they complete, each
/// carrying its request's id. Responses go through the framing's bounded outbox, so a
/// client that does not read its responses stalls its own requests, then its reads.
/// Batches run their elements concurrently and are answered with one array in request
/// order once all are done. At EOF, serve() waits for the requests still running and for
/// their responses to be written, then returns. If serve() ends with an error or is
/// cancelled, running methods are cancelled (terminal cancellation) and the connection
/// closed.
///
/// The specification's rules, as implemented:
///   - "jsonrpc" must be exactly "2.0", "method" a string, "params" (optional) an array
///     or an object, "id" (optional) a string, a number or null; else -32600.
///   - A request without "id" is a notification: never answered, not even with an error,
///     also inside a batch. A request with "id": null is answered (with id null).
///   - The id is echoed as received. A request that is invalid (-32600) is answered with
///     its id when it had a valid one, else with id null; text that is not JSON gets
///     -32700 with id null.
///   - `[]` is answered with one -32600 (not an array); each invalid element of a batch
///     with its own -32600; a batch of notifications only gets no reply at all.
///   - Methods named "rpc.*" are reserved: add() refuses them, so calls get -32601.
///   - A method throwing rpc::error is answered with that error; any other exception
///     with -32603 Internal error (what() is not sent unless expose_error_details).
///   - Frames holding only whitespace are skipped (a stray blank line is not an error).
///
/// Security settings are in router_options; the size of one request is bounded by the
/// codec (line_codec: 64 KiB). A frame over that limit, or any other framing or stream
/// error, ends the connection: the byte stream cannot be trusted to resynchronize.
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/framing/framed.hpp"
#include "coronet/framing/line_codec.hpp"
#include "coronet/json/json_channel.hpp"
#include "coronet/rpc/detail/protocol.hpp"
#include "coronet/rpc/detail/router_session.hpp"
#include "coronet/rpc/detail/typed_method.hpp"
#include "coronet/rpc/error.hpp"
#include "coronet/rpc/router_options.hpp"

#include <asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace coronet::rpc {

/// A table of JSON-RPC 2.0 methods, served over any coronet framing (see the top of this file).
class router {
 public:
  /// A router with no methods yet.
  explicit router(router_options options = {});
  /// Moves the method table to the new router.
  router(router&&) noexcept = default;
  /// The same for move assignment.
  router& operator=(router&&) noexcept = default;
  router(const router&) = delete;
  router& operator=(const router&) = delete;
  ~router() = default;

  /// Registers `method` under `name`, replacing any earlier one. Throws
  /// std::invalid_argument for reserved names ("rpc.*"), std::logic_error once serving.
  router& add(std::string name, method_function method);

  /// Any other callable taking the params as nlohmann::json: a plain function or lambda
  /// returning a value convertible to JSON (or void: result null) works as well as a
  /// coroutine. It runs on the connection's executor, like a coroutine method, and
  /// blocks that worker thread while it runs: keep it short, or make it a coroutine.
  template <typename F>
  requires(!std::is_convertible_v<F, method_function> &&
           std::is_invocable_v<F&, nlohmann::json>) router& add(std::string name, F f) {
    return add(std::move(name), method_function{[f = std::move(f)](nlohmann::json params) {
                 return detail::call_method(f, std::move(params));
               }});
  }

  /// Typed: `f` takes Params (converted from params with from_json; failure is -32602)
  /// and returns R convertible to JSON, void (result null), or asio::awaitable of either.
  template <typename Params, typename F>
  router& add(std::string name, F f) {
    return add(std::move(name), method_function{[f = std::move(f)](nlohmann::json params) {
                 return detail::call_typed<Params>(f, std::move(params));
               }});
  }

  /// Whether a method is registered under `name`.
  bool has(const std::string& name) const { return table_->methods.count(name) != 0; }
  /// The options this router was made with.
  const router_options& options() const noexcept { return table_->options; }

  /// Serves one connection (or any stream) until EOF; see the top of this file. The
  /// default framing is newline-delimited JSON; pass a codec for another one:
  ///   co_await rpc.serve(std::move(conn), coronet::length_prefixed_codec{});
  /// The returned coroutine keeps the method table alive by itself: it does not refer to
  /// this object.
  ///
  /// The default framing answers a last request that ends at EOF without its newline
  /// (`printf '{...}' | nc`): JSON text is complete without it.
  template <typename Stream>
  requires(!detail::is_framed<Stream> &&
           !detail::is_json_channel<Stream>) asio::awaitable<void> serve(Stream stream)
  const { return serve(std::move(stream), line_codec{{.final_line_without_delimiter = true}}); }
  /// The same, framed by `codec` with the `framing` options.
  template <typename Stream, typename Codec>
  requires(!detail::is_framed<Stream> && !detail::is_json_channel<Stream>)
      asio::awaitable<void> serve(Stream stream, Codec codec, framed_options framing = {})
  const { return serve(framed<Codec, Stream>{std::move(stream), std::move(codec), framing}); }

  /// Serves a stream already framed, with the codec and options it has.
  template <typename Codec, typename Stream>
  asio::awaitable<void> serve(framed<Codec, Stream> frames) const {
    table_->frozen.store(true, std::memory_order_relaxed);
    return detail::serve_framed(std::shared_ptr<const detail::method_table>{table_},
                                std::move(frames));
  }

  /// Takes over a channel's framing (the channel's own max_depth is replaced by this
  /// server's).
  template <typename Codec, typename Stream>
  asio::awaitable<void> serve(json_channel<Codec, Stream> channel) const {
    return serve(std::move(channel.frames()));
  }

  /// One message (a request or a batch) in, the reply out, or std::nullopt when there
  /// is nothing to send (notifications). For transports that are not streams (an HTTP
  /// body, a message queue). Batch elements run one after the other here.
  asio::awaitable<std::optional<std::string>> handle(std::string message) const;

 private:
  std::shared_ptr<detail::method_table> table_;
};

}  // namespace coronet::rpc
