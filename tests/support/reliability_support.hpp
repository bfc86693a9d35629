// The reliability tests' shared pieces: a framed echo handler that records how each
// connection ended, and a well-behaved client that keeps measuring its round trips while
// hostile peers, floods or disconnects hit the same server.
#pragma once

#include "support.hpp"

#if defined(ECHO_SERVER_PATH) && defined(STRESS_CLIENT_PATH)
#include "process.hpp"

#include <regex>
#include <thread>
#include <vector>
#endif

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

namespace coronet::test::reliability_support {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct end_probe {
  std::atomic<int> frame_too_large{0};
  std::atomic<int> timed_out{0};
  std::atomic<int> other_error{0};
  std::atomic<int> clean{0};
};

inline void classify(end_probe* p, const std::error_code& ec) {
  if (ec == errc::frame_too_large)
    ++p->frame_too_large;
  else if (ec == errc::timed_out)
    ++p->timed_out;
  else
    ++p->other_error;
}

template <typename Codec>
asio::awaitable<void> framed_echo(connection conn, Codec codec, framed_options fo, end_probe* p) {
  framed<Codec, connection> f{std::move(conn), std::move(codec), fo};
  try {
    while (auto frame = co_await f.read())
      f.write(*frame);
    ++p->clean;
  } catch (const std::system_error& e) {
    classify(p, e.code());
  }
}

struct latency {
  std::size_t replies = 0;
  clock_type::duration worst{};
};

// A well-behaved client: `count` request/reply round trips, `gap` apart, each verified.
inline asio::awaitable<void> steady_client(std::uint16_t port, std::string request,
                                           std::string reply, int count, clock_type::duration gap,
                                           latency* out) {
  auto conn = co_await connect("127.0.0.1", port);
  for (int i = 0; i < count; ++i) {
    const auto t0 = clock_type::now();
    co_await conn.write(asio::buffer(request));
    auto got = co_await read_exactly(conn, reply.size());
    REQUIRE(got == reply);
    ++out->replies;
    out->worst = std::max(out->worst, clock_type::now() - t0);
    co_await sleep_for(gap);
  }
}

// While `hostile` runs, `good` keeps being served: no stall beyond a generous bound (the
// machine is shared; a stall from a blocked loop would be seconds).
inline void check_no_stall(const latency& l, int expected) {
  CHECK(l.replies == static_cast<std::size_t>(expected));
  CHECK(l.worst < 1s);
  MESSAGE("worst round trip of the well-behaved client: "
          << std::chrono::duration_cast<std::chrono::microseconds>(l.worst).count() << " us");
}

// Line `i` of a numbered stream, `size` bytes: "i:" then one letter repeated.
inline std::string numbered_line(std::size_t i, std::size_t size) {
  std::string s = std::to_string(i) + ":";
  s.resize(size, static_cast<char>('a' + i % 26));
  return s;
}

// Writes `lines` numbered lines, half-closes, and reads every reply to the end. `tls`:
// null for TCP, or a client context to run the same over TLS.
inline asio::awaitable<void> half_close_client(std::uint16_t port, std::shared_ptr<tls_context> tls,
                                               std::size_t lines, std::string* got,
                                               std::string* sent) {
  const connect_options how{.tls = std::move(tls)};
  auto conn = co_await connect("127.0.0.1", port, how);
  for (std::size_t i = 0; i < lines; ++i)
    *sent += numbered_line(i, 40) + "\n";
  co_await conn.write(asio::buffer(*sent));
  conn.shutdown_send();  // "that is all": replies must still come
  *got = co_await read_to_eof(conn);
}

struct consumer_probe {
  std::atomic<std::size_t> peak{0};
  std::atomic<std::size_t> sent{0};
  std::size_t hwm = 64 * 1024;
  std::size_t frame = 4000;
  std::size_t count = 4000;  // 16 MB: more than the kernel's socket buffers hold
};

// A producer that respects backpressure: send() waits at the high-water mark.
inline asio::awaitable<void> producer(connection conn, consumer_probe* p) {
  framed<line_codec, connection> f{std::move(conn), line_codec{}, {.high_water_mark = p->hwm}};
  for (std::size_t i = 0; i < p->count; ++i) {
    const std::string line = numbered_line(i, p->frame);
    co_await f.send(std::string_view{line});
    ++p->sent;
    std::size_t q = f.queued_bytes();
    std::size_t peak = p->peak.load();
    while (q > peak && !p->peak.compare_exchange_weak(peak, q)) {
    }
  }
  co_await f.flush();
}

// `tls` as for half_close_client().
inline asio::awaitable<void> stop_reading_then_drain(std::uint16_t port,
                                                     std::shared_ptr<tls_context> tls,
                                                     consumer_probe* p,
                                                     std::size_t* sent_while_stalled) {
  const connect_options how{.tls = std::move(tls)};
  auto conn = co_await connect("127.0.0.1", port, how);
  // A fixed window, so the kernel stops soaking up the stream; not a tiny one, which
  // would make the final drain crawl at one segment per delayed ACK.
  conn.socket().set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  co_await sleep_for(700ms);  // not reading: the server's producer must stall
  *sent_while_stalled = p->sent.load();
  // Then read everything: nothing lost or reordered by the backpressure.
  framed<line_codec, connection> in{std::move(conn), line_codec{{.max_length = 8192}}};
  for (std::size_t i = 0; i < p->count; ++i) {
    auto line = co_await in.read();
    REQUIRE(line);
    REQUIRE(*line == numbered_line(i, p->frame));
  }
}

#if defined(ECHO_SERVER_PATH) && defined(STRESS_CLIENT_PATH)
// SIGTERM to `echo_server --framing line` while stress_client keeps 100 connections busy:
// every request written before the signal is answered and both exit 0. The extra
// arguments run the same over TLS (server: --tls-cert/--tls-key, client: --tls-ca).
inline void sigterm_with_busy_clients(const std::vector<std::string>& server_extra,
                                      const std::vector<std::string>& client_extra) {
  std::vector<std::string> server_argv{ECHO_SERVER_PATH, "--port", "0", "--framing", "line"};
  server_argv.insert(server_argv.end(), server_extra.begin(), server_extra.end());
  child_process srv{server_argv};
  auto port = srv.wait_stderr(listening, 10s);
  REQUIRE(port);
  std::vector<std::string> client_argv{
      STRESS_CLIENT_PATH, "--port", *port,      "--mode", "shutdown",
      "--connections",    "100",    "--window", "4"};
  client_argv.insert(client_argv.end(), client_extra.begin(), client_extra.end());
  child_process client{client_argv};

  REQUIRE(client.wait_stderr(std::regex{R"(busy: (\d+))"}, 60s) == "100");
  std::this_thread::sleep_for(200ms);  // under load for a while
  const auto signalled = clock_type::now();
  srv.signal(SIGTERM);
  client.write_stdin(std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        signalled.time_since_epoch())
                                        .count()) +
                     "\n");
  client.close_stdin();
  auto code = srv.wait(15s);
  const auto took = clock_type::now() - signalled;
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(took < 10s);  // echo_server's shutdown_timeout (the default, 10 s)
  CHECK(srv.err_text.find("echo_server stopped") != std::string::npos);
  auto client_code = client.wait(30s);
  MESSAGE(client.out_text << "server exited "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms after SIGTERM");
  REQUIRE(client_code);
  CHECK(*client_code == 0);
  CHECK(output_field(client.out_text, "unanswered_before_signal") == "0");
  CHECK(output_field(client.out_text, "mismatches") == "0");
  // Every connection was closed by the server: FIN, or RST when a request written after
  // the signal was still unread at close (TCP's rule, not an unclean shutdown).
  CHECK(std::stoi("0" + output_field(client.out_text, "eof")) +
            std::stoi("0" + output_field(client.out_text, "reset")) ==
        100);
}
#endif

}  // namespace coronet::test::reliability_support
