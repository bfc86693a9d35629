// Reliability against hostile peers: endless frames and huge length headers (the bytes
// read are the memory bound), floods of junk on sockets, invalid UTF-8 and NUL bytes,
// slowloris and silent clients. Each test fails if its promise breaks; docs/reliability.md
// lists them with the figures measured.
#include "reliability_support.hpp"

#include <coronet/json.hpp>
#include <coronet/resp/resp_codec.hpp>

#include <asio/experimental/awaitable_operators.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::reliability_support;
using namespace asio::experimental::awaitable_operators;

namespace {

// A peer that never stops talking: `prefix`, then `fill` forever. Counts the bytes it
// handed out, which is what the reader had to buffer or discard: the memory bound.
class endless_stream {
 public:
  using executor_type = asio::any_io_executor;

  endless_stream(executor_type ex, std::string prefix, char fill)
      : ex_(std::move(ex)), prefix_(std::move(prefix)), fill_(fill) {}

  executor_type get_executor() const { return ex_; }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          std::size_t n = 0;
          for (auto it = asio::buffer_sequence_begin(b); it != asio::buffer_sequence_end(b); ++it) {
            asio::mutable_buffer mb = *it;
            auto* p = static_cast<char*>(mb.data());
            for (std::size_t i = 0; i < mb.size(); ++i, ++delivered)
              p[i] = delivered < prefix_.size() ? prefix_[delivered] : fill_;
            n += mb.size();
          }
          asio::post(ex_,
                     [h = std::move(handler), n]() mutable { std::move(h)(std::error_code{}, n); });
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          const std::size_t n = asio::buffer_size(b);
          asio::post(ex_,
                     [h = std::move(handler), n]() mutable { std::move(h)(std::error_code{}, n); });
        },
        token, buffers);
  }

  void close(std::error_code& ec) {
    open_ = false;
    ec = {};
  }
  bool is_open() const { return open_; }

  std::size_t delivered = 0;

 private:
  executor_type ex_;
  std::string prefix_;
  char fill_;
  bool open_ = true;
};

struct endless_result {
  std::error_code error;
  std::size_t delivered = 0;
  std::size_t frames = 0;
};

// Reads frames from an endless peer until the codec gives up.
template <typename Codec>
asio::awaitable<void> read_endless(std::string prefix, Codec codec, endless_result* out) {
  endless_stream s{co_await asio::this_coro::executor, std::move(prefix), 'x'};
  framed<Codec, endless_stream> f{std::move(s), std::move(codec)};
  try {
    for (int i = 0; i < 1'000'000; ++i) {  // bounded: a broken limit fails, not hangs
      if (!co_await f.read()) break;
      ++out->frames;
    }
  } catch (const std::system_error& e) {
    out->error = e.code();
  }
  out->delivered = f.stream().delivered;
}

// Sends `prefix` and then `flood` bytes of junk, ignoring write errors (the server hangs
// up on us), and reports whether the server closed the connection.
asio::awaitable<void> hostile_peer(std::uint16_t port, std::string prefix, std::size_t flood,
                                   bool* closed) {
  auto conn = co_await connect("127.0.0.1", port);
  const std::string junk(64 * 1024, 'x');
  try {
    co_await conn.write(asio::buffer(prefix));
    for (std::size_t sent = 0; sent < flood; sent += junk.size())
      co_await conn.write(asio::buffer(junk));
  } catch (const std::system_error&) {  // reset or broken pipe: closed on us
  }
  try {
    char buf[4096];
    while (co_await conn.read_some(asio::buffer(buf)) != 0) {
    }
  } catch (const std::system_error&) {  // reset: closed with our bytes unread
  }
  *closed = true;
}

}  // namespace

TEST_SUITE("reliability") {
  // ---- hostile input, decoder level: the bytes read are the memory bound ----------

  TEST_CASE("an endless line without a delimiter fails with frame_too_large after a bounded read") {
    endless_result r;
    line_codec codec;  // max_length 64 KiB
    run(read_endless("", codec, &r));
    CHECK(r.error == errc::frame_too_large);
    CHECK(r.frames == 0);
    // Everything read is held in the buffer until the error: never past the codec's
    // ceiling, whatever the peer sends.
    CHECK(r.delivered <= codec.max_buffered());
    MESSAGE("bytes read before the error: " << r.delivered);
  }

  TEST_CASE("a length header of 2^63 fails on the header alone") {
    for (std::size_t h : {4u, 8u}) {
      CAPTURE(h);
      endless_result r;
      // 2^63 in 8 bytes; 0xffffffff (over the 16 MiB default) in 4.
      std::string header = h == 8 ? std::string{"\x80\0\0\0\0\0\0\0", 8} : std::string(4, '\xff');
      run(read_endless(header, length_prefixed_codec{{.header_bytes = h}}, &r));
      CHECK(r.error == errc::frame_too_large);
      // One read of the initial buffer: nothing was allocated for the announced size.
      CHECK(r.delivered <= framed_options{}.read_buffer_size);
    }
  }

  // ---- hostile input on sockets: that peer is closed, the others are served -------

  TEST_CASE("hostile peers on sockets are closed with an error while another client is served") {
    for (int which = 0; which < 3; ++which) {
      CAPTURE(which);
      end_probe probe;
      server::handler_type handler;
      std::string request;
      std::string prefix;
      if (which == 0) {  // an endless line
        handler = [&probe](connection c) {
          return framed_echo(std::move(c), line_codec{}, framed_options{}, &probe);
        };
        request = "hello\n";
      } else if (which == 1) {  // a 2^63 length header
        handler = [&probe](connection c) {
          return framed_echo(std::move(c), length_prefixed_codec{{.header_bytes = 8}},
                             framed_options{}, &probe);
        };
        request = std::string{"\0\0\0\0\0\0\0\5hello", 13};
        prefix = std::string{"\x80\0\0\0\0\0\0\0", 8};
      } else {  // a RESP bulk of a billion bytes
        handler = [&probe](connection c) {
          return framed_echo(std::move(c), resp_codec{}, framed_options{}, &probe);
        };
        request = "*1\r\n$5\r\nhello\r\n";
        prefix = "*2\r\n$3\r\nSET\r\n$1000000000\r\n";
      }
      running_server s{handler};
      bool closed = false;
      latency good;
      run(hostile_peer(s.port(), prefix, 4 * 1024 * 1024, &closed) &&
          steady_client(s.port(), request, request, 20, 10ms, &good));
      CHECK(closed);
      check_no_stall(good, 20);
      s.stop_and_wait();
      CHECK(probe.frame_too_large == 1);
      CHECK(s.server().connection_count() == 0);
    }
  }

  TEST_CASE("invalid UTF-8 and NUL bytes pass through line and raw echo unchanged") {
    static constexpr char raw[] = "\xff\xfe\0bad\xc3\x28utf8\xed\xa0\x80\0\n";
    const std::string text{raw, sizeof raw - 1};
    {
      end_probe probe;
      running_server s{[&probe](connection c) {
        return framed_echo(std::move(c), line_codec{}, framed_options{}, &probe);
      }};
      latency l;
      run(steady_client(s.port(), text, text, 3, 1ms, &l));
      CHECK(l.replies == 3);
    }
    {
      running_server s{echo_handler};
      latency l;
      run(steady_client(s.port(), text, text, 3, 1ms, &l));
      CHECK(l.replies == 3);
    }
  }
}

namespace {

// Echoes JSON messages; a message that is not valid JSON gets an error reply and the
// channel goes on.
asio::awaitable<void> json_echo(connection conn) {
  json_channel<> ch{std::move(conn)};
  for (;;) {
    std::optional<nlohmann::json> msg;
    try {
      msg = co_await ch.read();
    } catch (const message_error& e) {
      nlohmann::json err = {{"error", "bad_message"}};
      ch.write(err);
      continue;
    }
    if (!msg) co_return;
    ch.write(*msg);
  }
}

asio::awaitable<void> json_exchange(std::uint16_t port, std::vector<std::string>* replies) {
  auto conn = co_await connect("127.0.0.1", port);
  static constexpr char raw[] =
      "{\"a\":\"\xff\xfe\"}\n"         // invalid UTF-8 inside a string
      "{\"a\":\"x\0y\"}\n"             // a raw NUL: a control character, not JSON
      "{\"a\":\"\\u0000\xc3\xa9\"}\n"  // an escaped NUL and valid UTF-8: fine
      "[1,1e3000]\n"  // a number over a double's range (found by fuzz_json_channel)
      "[1,2]\n";
  const std::string requests{raw, sizeof raw - 1};
  co_await conn.write(asio::buffer(requests));
  conn.shutdown_send();
  auto all = co_await read_to_eof(conn);
  std::size_t at = 0;
  for (auto nl = all.find('\n'); nl != std::string::npos; nl = all.find('\n', at)) {
    replies->push_back(all.substr(at, nl - at));
    at = nl + 1;
  }
}

}  // namespace

TEST_SUITE("reliability") {
  TEST_CASE("json_channel answers invalid UTF-8 and raw NUL with message_error and keeps serving") {
    running_server s{json_echo};
    std::vector<std::string> replies;
    run(json_exchange(s.port(), &replies));
    REQUIRE(replies.size() == 5);
    CHECK(replies[0] == R"({"error":"bad_message"})");
    CHECK(replies[1] == R"({"error":"bad_message"})");
    CHECK(replies[2] == std::string{"{\"a\":\"\\u0000\xc3\xa9\"}"});
    CHECK(replies[3] == R"({"error":"bad_message"})");
    CHECK(replies[4] == "[1,2]");
  }
}

namespace {

struct drip_result {
  bool closed = false;
  std::size_t bytes_sent = 0;
  clock_type::duration closed_after{};
};

// Slowloris: one byte of a line every 100 ms, never the newline. Between bytes it
// watches for the server hanging up.
asio::awaitable<void> slowloris(std::uint16_t port, drip_result* out) {
  auto conn = co_await connect("127.0.0.1", port);
  const auto start = clock_type::now();
  char buf[64];
  for (int i = 0; i < 100 && !out->closed; ++i) {  // 10 s at most
    try {
      co_await conn.write(asio::buffer("a", 1));
      ++out->bytes_sent;
      if (co_await with_timeout(conn.read_some(asio::buffer(buf)), 100ms) == 0) out->closed = true;
    } catch (const std::system_error& e) {
      if (e.code() != errc::timed_out) out->closed = true;  // reset / broken pipe
    }
  }
  out->closed_after = clock_type::now() - start;
}

asio::awaitable<void> silent_client(std::uint16_t port, drip_result* out) {
  // Timed from before the connect: the server may accept (and start its idle clock)
  // before this thread resumes from connect(), so a later start could make a correct
  // close look early.
  const auto start = clock_type::now();
  auto conn = co_await connect("127.0.0.1", port);
  auto rest = co_await with_timeout(read_to_eof(conn), 5s);
  CHECK(rest.empty());
  out->closed = true;
  out->closed_after = clock_type::now() - start;
}

}  // namespace

TEST_SUITE("reliability") {
  TEST_CASE("slowloris: framed read_timeout closes a peer sending one byte every 100 ms") {
    end_probe probe;
    running_server s{[&probe](connection c) {
      return framed_echo(std::move(c), line_codec{}, framed_options{.read_timeout = 300ms}, &probe);
    }};
    drip_result drip;
    latency good;
    run(slowloris(s.port(), &drip) && steady_client(s.port(), "ok\n", "ok\n", 40, 20ms, &good));
    CHECK(drip.closed);
    // The frame began with the first byte: closed at read_timeout, not after 100 bytes.
    CHECK(drip.closed_after >= 300ms);
    CHECK(drip.bytes_sent < 30);
    check_no_stall(good, 40);
    s.stop_and_wait();
    CHECK(probe.timed_out == 1);
    MESSAGE("slowloris closed after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(drip.closed_after).count()
            << " ms, " << drip.bytes_sent << " bytes");
  }

  TEST_CASE("a client that connects and sends nothing is closed by idle_timeout") {
    running_server s{echo_handler, {.limits = {.idle_timeout = 200ms}}};
    drip_result silent;
    latency good;
    // The busy client is never idle for 200 ms, so only the silent one is closed.
    run(silent_client(s.port(), &silent) && steady_client(s.port(), "ok", "ok", 30, 20ms, &good));
    CHECK(silent.closed);
    CHECK(silent.closed_after >= 200ms);
    CHECK(silent.closed_after < 2s);
    check_no_stall(good, 30);
    s.stop_and_wait();
    CHECK(s.server().connection_count() == 0);
  }
}
