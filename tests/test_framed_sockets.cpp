// framed<> and outbox<> over real sockets: pipelined requests coalesced into few writes,
// backpressure at the high-water mark against a peer that never reads, the read buffer
// taken only once data arrives, and the byte count of a gathered send.
#include "support.hpp"

#include <coronet/framed.hpp>
#include <coronet/length_prefixed_codec.hpp>
#include <coronet/line_codec.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>

using namespace coronet;
using namespace coronet::test;

namespace {

struct server_probe {
  std::atomic<std::size_t> writes{0};
  std::atomic<std::size_t> frames{0};
};

asio::awaitable<void> counting_echo(connection conn, server_probe* probe) {
  framed<line_codec, connection> f{std::move(conn)};
  while (auto frame = co_await f.read()) {
    f.write(*frame);
    ++probe->frames;
  }
  probe->writes += f.write_count();
}

asio::awaitable<void> pipeline_1000(std::uint16_t port) {
  auto conn = co_await connect("127.0.0.1", port);
  std::string burst;
  for (int i = 0; i < 1000; ++i)
    burst += "req-" + std::to_string(i) + "\n";
  co_await conn.write(asio::buffer(burst));
  conn.shutdown_send();
  auto replies = co_await read_to_eof(conn);
  CHECK(replies == burst);
}

}  // namespace

TEST_SUITE("framed") {
  TEST_CASE("framed over a socket: 1000 pipelined requests in far fewer than 1000 writes") {
    server_probe probe;
    running_server s{[&probe](connection c) { return counting_echo(std::move(c), &probe); }};
    run(pipeline_1000(s.port()));
    s.stop_and_wait();
    CHECK(probe.frames == 1000);
    CHECK(probe.writes < 50);
    MESSAGE("writes for 1000 pipelined replies: " << probe.writes.load());
  }
}

namespace {

struct flood_probe {
  std::size_t accepted = 0;
  bool refused = false;
  std::size_t queued_peak = 0;
  bool send_blocked = false;
  std::size_t hwm = 0;
};

// Sends to a peer that never reads until try_send refuses, then proves send() waits.
asio::awaitable<void> flood(connection conn, flood_probe* probe) {
  framed<line_codec, connection> f{std::move(conn), line_codec{}, {.high_water_mark = 64 * 1024}};
  probe->hwm = 64 * 1024;
  const std::string frame(1000, 'z');
  // The kernel's socket buffers take a few MiB first; once they are full the outbox
  // stays at its mark and every try_send is refused.
  int refused_in_a_row = 0;
  for (int i = 0; i < 100000 && refused_in_a_row < 20; ++i) {
    if (f.try_send(std::string_view{frame})) {
      ++probe->accepted;
      refused_in_a_row = 0;
    } else {
      probe->refused = true;
      ++refused_in_a_row;
      co_await sleep_for(10ms);  // let the writer drain what the kernel still takes
    }
    probe->queued_peak = std::max(probe->queued_peak, f.queued_bytes());
  }
  auto out = f.get_outbox();
  CHECK_FALSE(out.try_send(std::string_view{frame}));
  try {
    co_await with_timeout(f.send(std::string_view{frame}), 300ms);
  } catch (const std::system_error& e) {
    probe->send_blocked = e.code() == errc::timed_out;
  }
  f.close();
}

asio::awaitable<void> never_read(std::uint16_t port, server* srv) {
  auto conn = co_await connect("127.0.0.1", port);
  conn.socket().set_option(asio::socket_base::receive_buffer_size(4096));
  while (srv->connection_count() != 0 || !srv->stopping()) {
    co_await sleep_for(20ms);
    if (srv->connection_count() == 0) break;
  }
}

}  // namespace

TEST_SUITE("framed") {
  TEST_CASE("a peer that never reads: try_send refuses and send blocks at the high-water mark") {
    flood_probe probe;
    running_server s{[&probe](connection c) { return flood(std::move(c), &probe); }};
    run(never_read(s.port(), &s.server()));
    s.stop_and_wait();
    CHECK(probe.refused);
    CHECK(probe.send_blocked);
    CHECK(probe.queued_peak <= probe.hwm + 1001);
    MESSAGE("frames accepted before refusal: " << probe.accepted);
  }
}

namespace {

// A server-side framed over a freshly accepted connection, in this test's own thread,
// so that its state can be inspected while its read is pending.
struct accepted_pair {
  connection client;
  framed<line_codec, connection> server_side;
};

asio::awaitable<accepted_pair> accept_pair(asio::ip::tcp::acceptor& acceptor) {
  auto client = co_await connect("127.0.0.1", acceptor.local_endpoint().port());
  auto socket = co_await acceptor.async_accept(asio::use_awaitable);
  co_return accepted_pair{std::move(client),
                          framed<line_codec, connection>{connection{std::move(socket)}}};
}

asio::awaitable<void> silent_then_talk() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acceptor{ex, {asio::ip::make_address("127.0.0.1"), 0}};
  auto pair = co_await accept_pair(acceptor);
  auto& f = pair.server_side;

  std::optional<std::string> got;
  bool done = false;
  auto reader = [&]() -> asio::awaitable<void> {
    auto frame = co_await f.read();
    if (frame) got = std::string{*frame};
    done = true;
  };
  asio::co_spawn(ex, reader(), asio::detached);  // `reader` outlives its coroutine

  co_await sleep_for(50ms);  // the read has started and is waiting for the peer
  REQUIRE_FALSE(done);
  CHECK(f.read_buffer_capacity() == 0);  // waiting costs no buffer

  const std::string_view hello{"hello\n"};
  co_await pair.client.write(asio::buffer(hello));
  while (!done)
    co_await sleep_for(5ms);
  REQUIRE(got);
  CHECK(*got == "hello");
  CHECK(f.read_buffer_capacity() == framed_options{}.read_buffer_size);
}

// A frame a little over read_buffer_size grows the buffer, which is then kept for the
// next such frame (up to keep_read_buffer); a frame past that is given back once read.
asio::awaitable<void> large_frames_keep_or_return_the_buffer() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acceptor{ex, {asio::ip::make_address("127.0.0.1"), 0}};
  auto client = co_await connect("127.0.0.1", acceptor.local_endpoint().port());
  const framed_options options{.keep_read_buffer = 32 * 1024};
  framed<line_codec, connection> f{connection{co_await acceptor.async_accept(asio::use_awaitable)},
                                   line_codec{}, options};
  // 16 484 bytes: the buffer doubles to 32 KiB and is kept; 40 000: 64 KiB, given back.
  for (const std::size_t size : {options.read_buffer_size + 100, std::size_t{40000}}) {
    CAPTURE(size);
    const std::string line = std::string(size, 'k') + "\n";
    co_await client.write(asio::buffer(line));
    auto frame = co_await f.read();
    REQUIRE(frame);
    CHECK(frame->size() == size);
    CHECK(f.read_buffer_capacity() > size);  // grown to hold the frame
    std::optional<std::string> next;
    bool done = false;
    auto reader = [&]() -> asio::awaitable<void> {
      auto n = co_await f.read();
      if (n) next = std::string{*n};
      done = true;
    };
    asio::co_spawn(ex, reader(), asio::detached);  // `reader` outlives its coroutine
    co_await sleep_for(50ms);                      // waiting for the peer, buffer empty
    REQUIRE_FALSE(done);
    if (size < 20000)
      CHECK(f.read_buffer_capacity() == 32 * 1024);  // kept
    else
      CHECK(f.read_buffer_capacity() == 0);  // given back
    co_await client.write(asio::buffer(std::string_view{"x\n"}));
    while (!done)
      co_await sleep_for(5ms);
    CHECK(next == "x");
  }
}

asio::awaitable<void> gathered_send_accounting() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acceptor{ex, {asio::ip::make_address("127.0.0.1"), 0}};
  auto client = co_await connect("127.0.0.1", acceptor.local_endpoint().port());
  framed<length_prefixed_codec, connection> f{
      connection{co_await acceptor.async_accept(asio::use_awaitable)}};
  framed<length_prefixed_codec, connection> peer{std::move(client)};

  const std::string big(200 * 1024, 'g');    // over gather_threshold: sent from our memory
  f.write(std::string_view{"small first"});  // pending bytes ahead of the gathered frame
  co_await f.send(std::string_view{big});
  co_await f.flush();
  CHECK(f.queued_bytes() == 0);                // header and trailer bytes were counted both ways
  co_await f.send(std::string_view{"after"});  // would wait forever if the count wrapped
  co_await f.flush();
  CHECK(f.queued_bytes() == 0);

  auto a = co_await peer.read();
  REQUIRE(a);
  CHECK(*a == "small first");
  auto b = co_await peer.read();
  REQUIRE(b);
  CHECK(b->size() == big.size());
  auto c = co_await peer.read();
  REQUIRE(c);
  CHECK(*c == "after");
}

}  // namespace

TEST_SUITE("framed") {
  TEST_CASE("framed over a socket takes its read buffer only once data arrives") {
    run(silent_then_talk());
  }

  TEST_CASE("a read buffer grown for a frame is kept up to keep_read_buffer, given back past it") {
    run(large_frames_keep_or_return_the_buffer());
  }

  TEST_CASE("a gathered send leaves queued_bytes at zero once written") {
    run(gathered_send_accounting());
  }
}
