// echo_server: sends back what each client sends, as raw bytes, lines,
// length-prefixed frames or WebSocket messages. The smallest useful coronet server.
//
//   echo_server --port 7000 --framing line      # then: nc 127.0.0.1 7000
//   echo_server --port 7300 --framing websocket # then: ws://127.0.0.1:7300/ (any path)
//   echo_server --tls-cert server.pem --tls-key server.key   # TLS: docs/tls.md
#include "../common/command_line.hpp"
#include "../common/fatal.hpp"
#include "../common/log.hpp"
#include "../common/server_flags.hpp"

#include <coronet/coronet.hpp>
#include <coronet/websocket.hpp>

#include <memory>

namespace {

asio::awaitable<void> echo_raw(coronet::connection conn) {
  // A silent client costs no buffer: take the 16 KiB only once there is data.
  co_await conn.wait_readable();
  constexpr std::size_t size = 16 * 1024;
  auto buf = std::make_unique_for_overwrite<char[]>(size);
  for (;;) {
    auto n = co_await conn.read_some(asio::buffer(buf.get(), size));  // 0 at clean EOF
    if (n == 0) co_return;
    co_await conn.write(asio::buffer(buf.get(), n));
  }
}

// Frames out as they came in; replies to a pipelined burst leave in one write. A frame
// over the codec's limit throws, which ends this connection with one log line.
template <typename Codec>
asio::awaitable<void> echo_frames(coronet::connection conn, Codec codec) {
  coronet::framed frames{std::move(conn), std::move(codec)};
  while (auto frame = co_await frames.read())
    frames.write(*frame);
}

// Lines: a last line cut off by EOF (`printf 'abc' | nc`) is echoed too, with its
// newline, as an interactive tool should; a frame protocol would rather refuse it.
asio::awaitable<void> echo_lines(coronet::connection conn) {
  return echo_frames(std::move(conn), coronet::line_codec{{.final_line_without_delimiter = true}});
}

asio::awaitable<void> echo_length_prefixed(coronet::connection conn) {
  return echo_frames(std::move(conn), coronet::length_prefixed_codec{});
}

// WebSocket: every path upgrades; each message goes back as it came (text as text,
// binary as binary). Messages up to 16 MiB, the limit Node's `ws` is given in the
// benchmark this server is measured in (bench/compare.sh).
asio::awaitable<void> echo_websocket(coronet::connection conn) {
  auto req = co_await coronet::http::read_request(conn);
  if (!req) co_return;  // not HTTP, or too slow: already answered
  coronet::websocket::accept_options options;
  options.stream.codec.max_message = std::size_t{16} << 20;
  auto ws = co_await coronet::websocket::accept(std::move(conn), std::move(*req), options);
  if (!ws) co_return;  // a bad upgrade: answered 400/405/426
  while (auto msg = co_await ws->read())
    ws->write(*msg);  // sent before the next read waits: one write per batch read
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Echoes back whatever each client sends.", "echo_server"};
  examples::standard_options(app);
  examples::listen_flags where{.port = 7000};
  std::string framing = "line";
  where.add(app);
  examples::add_framing(app, framing, {"raw", "line", "length", "websocket"},
                        "raw, line (newline-delimited), length (4-byte big-endian length) or "
                        "websocket (RFC 6455, any path)");
  bool reuse_port = false;
  app.add_flag("--reuse-port", reuse_port,
               "a listening socket per worker thread (SO_REUSEPORT) instead of one that deals");
  examples::server_flags serving;  // --tls-*, --proxy-protocol, --trusted-proxy
  serving.add(app);
  examples::parse(app, argc, argv);

  coronet::server::handler_type handler;
  if (framing == "raw")
    handler = echo_raw;
  else if (framing == "line")
    handler = echo_lines;
  else if (framing == "length")
    handler = echo_length_prefixed;
  else
    handler = echo_websocket;

  try {
    auto options = where.options();
    options.listen.reuse_port = reuse_port;
    examples::listening_server s{serving, std::move(options)};
    auto& server = s.server;
    examples::log_event(examples::level::info, "listening",
                        {{"address", server.local_endpoint()},
                         {"framing", framing},
                         {"tls", serving.tls.enabled()}},
                        "echo_server (", framing, serving.scheme(), ") listening on ",
                        server.local_endpoint());
    server.run(handler);  // until SIGINT/SIGTERM; then drains and returns
    examples::log_event(examples::level::info, "stopped", {}, "echo_server stopped");
  } catch (const std::exception& e) {
    return examples::fatal("echo_server", e.what());
  }
}
