// framed<> and outbox<> over real sockets: pipelined requests coalesced into few writes,
// backpressure at the high-water mark against a peer that never reads, the read buffer
// taken only once data arrives, and the byte count of a gathered send.
#include "support.hpp"

#include <coronet/framing/framed.hpp>
#include <coronet/framing/length_prefixed_codec.hpp>
#include <coronet/framing/line_codec.hpp>
#include <coronet/websocket/codec.hpp>

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

// A WebSocket connection that sent one 8 MiB message and went idle holds neither the
// read buffer nor the unmasking buffer that message grew (8 MiB each before).
asio::awaitable<void> websocket_idle_after_a_big_message() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acceptor{ex, {asio::ip::make_address("127.0.0.1"), 0}};
  auto client = co_await connect("127.0.0.1", acceptor.local_endpoint().port());
  using ws_codec = websocket::codec;
  framed<ws_codec, connection> f{connection{co_await acceptor.async_accept(asio::use_awaitable)},
                                 ws_codec{websocket::codec_options{.max_message = 16 << 20}}};
  const ws_codec sender{websocket::codec_options{.role = websocket::role::client}};
  std::string wire;
  sender.encode(std::string_view{std::string(8 << 20, 'm')}, wire);  // masked, as clients do
  sender.encode(std::string_view{"small"}, wire);
  asio::co_spawn(ex, client.write(asio::buffer(wire)), asio::detached);
  auto big = co_await f.read();
  REQUIRE(big);
  CHECK(big->payload.size() == std::size_t{8} << 20);
  CHECK(f.codec().buffer_capacity() >= std::size_t{8} << 20);
  auto small = co_await f.read();
  REQUIRE(small);
  CHECK(small->payload == "small");

  bool done = false;
  auto reader = [&]() -> asio::awaitable<void> {
    auto n = co_await f.read();
    CHECK(n);
    done = true;
  };
  asio::co_spawn(ex, reader(), asio::detached);  // `reader` outlives its coroutine
  co_await sleep_for(50ms);                      // waiting for the peer
  REQUIRE_FALSE(done);
  CHECK(f.codec().buffer_capacity() <= f.codec().options().keep_buffer);
  CHECK(f.read_buffer_capacity() <= framed_options{}.keep_read_buffer);
  std::string more;
  sender.encode(std::string_view{"x"}, more);
  co_await client.write(asio::buffer(more));
  while (!done)
    co_await sleep_for(5ms);
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

// A peer that makes the server answer (one reply per line, as a WebSocket pong per
// ping) while the outbox's writer holds the stream, stalled on that same peer, and that
// never reads: read() must stop reading past the high-water mark rather than let the
// replies grow without bound, and resume once the peer reads.
asio::awaitable<void> replies_behind_a_stalled_writer() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acceptor{ex, {asio::ip::make_address("127.0.0.1"), 0}};
  auto client = co_await connect("127.0.0.1", acceptor.local_endpoint().port());
  // Small socket buffers, so that the writer stalls soon (not too small: loopback TCP
  // with a window of a few KiB falls into zero-window probing with back-off).
  client.socket().set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  auto accepted = co_await acceptor.async_accept(asio::use_awaitable);
  accepted.set_option(asio::socket_base::send_buffer_size(64 * 1024));
  accepted.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
  constexpr std::size_t hwm = 64 * 1024;
  framed<line_codec, connection> f{connection{std::move(accepted)},
                                   line_codec{},
                                   {.read_buffer_size = 1024, .high_water_mark = hwm}};

  // The outbox's writer takes the stream and stalls: the peer reads nothing. Pushed
  // until half the mark is queued: the socket buffers are full by then, and the writer
  // is waiting on a write that will not complete until the peer reads.
  const std::string pushed(1899, 's');
  int pushes = 0;
  for (int i = 0; i < 20000 && f.queued_bytes() < hwm / 2; ++i) {
    REQUIRE(f.try_send(std::string_view{pushed}).queued());
    ++pushes;
    co_await asio::post(ex, asio::use_awaitable);  // let the writer run
  }
  REQUIRE(f.queued_bytes() >= hwm / 2);
  REQUIRE(f.queued_bytes() < hwm);

  // The handler answers each ping with 99 bytes, through write().
  constexpr int pings = 10000;
  std::size_t answered = 0;
  std::size_t queued_peak = 0;
  bool reader_done = false;
  auto reader = [&]() -> asio::awaitable<void> {
    const std::string reply(99, 'r');
    while (auto line = co_await f.read()) {
      f.write(std::string_view{reply});
      queued_peak = std::max(queued_peak, f.queued_bytes());
      if (++answered == pings) break;
    }
    co_await f.flush();
    reader_done = true;
  };
  asio::co_spawn(ex, reader(), asio::detached);  // `reader` outlives its coroutine
  std::string burst;
  for (int i = 0; i < pings; ++i)
    burst += "ping\n";
  asio::co_spawn(ex, client.write(asio::buffer(burst)), asio::detached);

  // Wait until the reader makes no more progress (it stops at the mark), or has
  // answered every ping (what it did before the fix).
  for (std::size_t last = answered + 1; answered != last && answered < pings;) {
    last = answered;
    co_await sleep_for(300ms);
  }
  MESSAGE("pings answered while the peer did not read: " << answered << ", queued peak "
                                                         << queued_peak);
  CHECK(answered < pings);
  // At most one read's worth of pings answered past the mark: 1024 / 5 * 100 bytes.
  CHECK(queued_peak <= hwm + 1024 / 5 * 100 + 2 * pushed.size());

  // The peer reads: everything arrives, in order, and the reader finishes.
  std::string got;
  const std::size_t expected = static_cast<std::size_t>(pushes) * 1900 + pings * std::size_t{100};
  char chunk[65536];
  while (got.size() < expected) {
    auto n = co_await client.read_some(asio::buffer(chunk));
    if (n == 0) break;
    got.append(chunk, n);
  }
  REQUIRE(got.size() == expected);
  CHECK(got.substr(0, pushed.size() + 1) == pushed + "\n");
  CHECK(got.substr(got.size() - 100) == std::string(99, 'r') + "\n");
  while (!reader_done)
    co_await sleep_for(5ms);
  CHECK(answered == pings);
}

}  // namespace

TEST_SUITE("framed") {
  TEST_CASE("framed over a socket takes its read buffer only once data arrives") {
    run(silent_then_talk());
  }

  TEST_CASE("a read buffer grown for a frame is kept up to keep_read_buffer, given back past it") {
    run(large_frames_keep_or_return_the_buffer());
  }

  TEST_CASE(
      "replies written behind a stalled outbox writer stop the reading at the high-water mark") {
    run(replies_behind_a_stalled_writer());
  }

  TEST_CASE("a WebSocket connection idle after an 8 MiB message holds none of its buffers") {
    run(websocket_idle_after_a_big_message());
  }

  TEST_CASE("a gathered send leaves queued_bytes at zero once written") {
    run(gathered_send_accounting());
  }
}
