// Reliability as connections and servers end: half-close, abrupt disconnects (RST
// mid-frame, close mid-write), a graceful stop that refuses new connections while old
// ones drain, and SIGTERM to echo_server as a process, under load and with a stuck
// handler. Each test fails if its promise breaks; docs/reliability.md lists them with
// the figures measured.
#include "reliability_support.hpp"

#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>

#if defined(ECHO_SERVER_PATH) && defined(STRESS_CLIENT_PATH)
#include "process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <regex>
#include <thread>
#endif

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::reliability_support;

TEST_SUITE("reliability") {
  TEST_CASE("half-close: a client that shuts down its write side still gets every reply") {
    end_probe probe;
    running_server s{[&probe](connection c) {
      return framed_echo(std::move(c), line_codec{}, framed_options{}, &probe);
    }};
    std::string got;
    std::string sent;
    run(half_close_client(s.port(), nullptr, 5000, &got, &sent));
    CHECK(got.size() == sent.size());
    CHECK(got == sent);
    s.stop_and_wait();
    CHECK(probe.clean == 1);  // EOF between frames: a clean end, not an error
  }
}

namespace {

void reset_close(connection& c) {
  // SO_LINGER 0: close() sends RST instead of FIN, the most abrupt end TCP has.
  c.socket().set_option(asio::socket_base::linger(true, 0));
  c.close();
}

std::string length_frame(std::size_t payload, char fill) {
  std::string f(4 + payload, fill);
  for (int i = 0; i < 4; ++i)
    f[static_cast<std::size_t>(i)] = static_cast<char>((payload >> (8 * (3 - i))) & 0xff);
  return f;
}

asio::awaitable<void> abrupt_clients(std::uint16_t port, int rounds) {
  const std::string half = length_frame(1000, 'h').substr(0, 500);
  const std::string big = length_frame(1024 * 1024, 'b');
  for (int i = 0; i < rounds; ++i) {
    {  // RST in the middle of a frame
      auto c = co_await connect("127.0.0.1", port);
      co_await c.write(asio::buffer(half));
      reset_close(c);
    }
    {  // RST while the server writes a 1 MiB reply we never read
      auto c = co_await connect("127.0.0.1", port);
      co_await c.write(asio::buffer(big));
      co_await sleep_for(1ms);
      reset_close(c);
    }
    {  // plain close mid-write, our unread reply still queued
      auto c = co_await connect("127.0.0.1", port);
      co_await c.write(asio::buffer(big));
      c.close();
    }
  }
  // The server is still fine.
  auto c = co_await connect("127.0.0.1", port);
  const std::string ok = length_frame(2, 'k');
  co_await c.write(asio::buffer(ok));
  CHECK(co_await read_exactly(c, ok.size()) == ok);
}

asio::awaitable<void> wait_for_zero(server* srv, clock_type::duration limit) {
  const auto until = clock_type::now() + limit;
  while (srv->connection_count() != 0 && clock_type::now() < until)
    co_await sleep_for(10ms);
}

void abrupt_test(std::size_t threads, int rounds) {
  end_probe probe;
  running_server s{[&probe](connection c) {
                     return framed_echo(std::move(c),
                                        length_prefixed_codec{{.max_frame = 2 * 1024 * 1024}},
                                        framed_options{}, &probe);
                   },
                   {.threads = threads}};
  run(abrupt_clients(s.port(), rounds), 60s);
  run(wait_for_zero(&s.server(), 10s));
  CHECK(s.server().connection_count() == 0);  // nothing leaked, nothing hung
  s.stop_and_wait();
  // Every connection ended in its handler, one way or another.
  CHECK(probe.clean + probe.other_error + probe.frame_too_large == 3 * rounds + 1);
  MESSAGE("ends: clean " << probe.clean.load() << ", errors " << probe.other_error.load());
}

}  // namespace

TEST_SUITE("reliability") {
  TEST_CASE("abrupt disconnects: RST mid-frame and close mid-write leave connection_count at 0") {
    abrupt_test(1, 30);
  }
}

TEST_SUITE("threads") {
  TEST_CASE("abrupt disconnects with 2 worker threads leave connection_count at 0") {
    abrupt_test(2, 10);
  }
}

namespace {

// A handler that finishes some work after EOF, so the server stays in its drain phase.
asio::awaitable<void> linger_handler(connection conn) {
  char buf[256];
  while (co_await conn.read_some(asio::buffer(buf)) != 0) {
  }
  co_await sleep_for(500ms);
  co_await conn.write(asio::buffer(std::string_view{"bye\n"}));
}

// Connects, waits until the server has the connection, stops the server and waits
// until it is draining; returns the connection, held by linger_handler.
asio::awaitable<connection> connect_then_stop(std::uint16_t port, server* srv) {
  auto a = co_await connect("127.0.0.1", port);
  while (srv->connection_count() == 0)
    co_await sleep_for(5ms);
  srv->stop();
  while (!srv->stopping())
    co_await sleep_for(5ms);
  co_return a;
}

asio::awaitable<void> stop_refuses_new(std::uint16_t port, server* srv, bool* refused,
                                       std::string* last) {
  auto a = co_await connect_then_stop(port, srv);
  co_await sleep_for(50ms);
  try {
    auto b = co_await connect("127.0.0.1", port, 2s);
    *refused = false;
  } catch (const std::system_error& e) {
    *refused = e.code() != errc::timed_out;
    MESSAGE("connect during the drain: " << std::string{e.what()});
  }
  CHECK(srv->connection_count() == 1);  // still draining while it refused
  *last = co_await read_to_eof(a);
}

// stop(), then one SIGTERM while the handler still lingers: the signal must join the
// drain that stop() began, not count as the second signal that forces it.
asio::awaitable<void> stop_then_signal(std::uint16_t port, server* srv, std::string* last) {
  auto a = co_await connect_then_stop(port, srv);
  ::kill(::getpid(), SIGTERM);  // caught by the server's signal set (listen() set it up)
  *last = co_await read_to_eof(a);
}

}  // namespace

TEST_SUITE("reliability") {
  TEST_CASE("stop() and then one SIGTERM: still a graceful drain, not a forced close") {
    // As chat_server --web does: one signal reaches two servers, and main() stops the
    // second on its way out, sometimes before that server's copy of the signal arrives.
    server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.shutdown.handle_signals = true;
    server srv{o};
    srv.listen();  // SIGINT and SIGTERM are caught from here on
    std::thread runner{[&srv] { srv.run(linger_handler); }};
    std::string last;
    run(stop_then_signal(srv.local_endpoint().port(), &srv, &last));
    runner.join();
    CHECK(last == "bye\n");  // the lingering handler finished its reply
    CHECK(srv.stats().total.closed(close_cause::forced_close) == 0);
  }

  TEST_CASE("graceful stop: the listener refuses new connections while old ones drain") {
    running_server s{linger_handler};
    bool refused = false;
    std::string last;
    run(stop_refuses_new(s.port(), &s.server(), &refused, &last));
    s.server().wait();
    CHECK(refused);
    CHECK(last == "bye\n");  // the draining handler still finished its reply
    CHECK(s.server().connection_count() == 0);
  }
}

#if defined(ECHO_SERVER_PATH) && defined(STRESS_CLIENT_PATH)

TEST_SUITE("reliability") {
  // On the io_uring build this found Asio 1.22's cancel requests without user data: a
  // client received its last batch's echo twice in about one run in four
  // (src/asio_impl.cpp; docs/io_uring.md, "A defect found and fixed").
  TEST_CASE("SIGTERM with 100 busy connections: every earlier request answered and exit 0") {
    sigterm_with_busy_clients({}, {});
  }

  TEST_CASE("a second SIGTERM forces echo_server out while a handler is stuck writing") {
    child_process srv{{ECHO_SERVER_PATH, "--port", "0", "--framing", "raw"}};
    auto port = srv.wait_stderr(listening, 10s);
    REQUIRE(port);
    // A client that sends and never reads: the echo handler blocks in write() for good.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(*port)));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const std::string junk(64 * 1024, 'j');
    int full_in_a_row = 0;
    for (int i = 0; i < 400 && full_in_a_row < 5; ++i) {
      if (::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL) < 0) {
        ++full_in_a_row;
        std::this_thread::sleep_for(20ms);
      } else {
        full_in_a_row = 0;
      }
    }
    CHECK(full_in_a_row == 5);  // both directions are full: the server is stuck writing
    srv.signal(SIGTERM);
    CHECK_FALSE(srv.wait(1500ms));  // the first signal waits for the handler to finish
    const auto second = clock_type::now();
    srv.signal(SIGTERM);
    auto code = srv.wait(5s);
    const auto took = clock_type::now() - second;
    ::close(fd);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(took < 3s);  // not the 10 s shutdown_timeout
    MESSAGE("exit " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                    << " ms after the second SIGTERM");
  }
}

#endif
