// coronet::connect and coronet::with_timeout.
#include "support.hpp"

#include <asio/connect.hpp>

using namespace coronet;
using namespace coronet::test;

namespace {

// A loopback port with nothing listening on it.
std::uint16_t unused_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a{io, {asio::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

asio::awaitable<void> expect_refused(std::uint16_t port) {
  try {
    co_await connect("127.0.0.1", port, 2s);
    FAIL("connect to a closed port succeeded");
  } catch (const std::system_error& e) {
    CHECK(e.code() == asio::error::connection_refused);
    CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
  }
}

// A listener that never accepts, with its backlog already full: the kernel drops
// further SYNs, so a connect can only end by its timeout.
asio::awaitable<void> expect_connect_timeout() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor full{ex};
  asio::ip::tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
  full.open(ep.protocol());
  full.bind(ep);
  full.listen(0);
  ep = full.local_endpoint();
  std::vector<asio::ip::tcp::socket> fillers;
  for (int i = 0; i < 4; ++i) {
    fillers.emplace_back(ex);
    fillers.back().async_connect(ep, [](std::error_code) {});
  }
  co_await sleep_for(100ms);
  try {
    co_await connect("127.0.0.1", ep.port(), 300ms);
    FAIL("connect to a full backlog succeeded");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::timed_out);
    CHECK(e.code() == std::errc::timed_out);
  }
  for (auto& s : fillers)
    s.close();
}

asio::awaitable<void> silent_server_times_out(std::uint16_t port) {
  auto conn = co_await connect("127.0.0.1", port);
  char buf[8];
  try {
    co_await with_timeout(conn.read_some(asio::buffer(buf)), 100ms);
    FAIL("read from a silent server completed");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::timed_out);
  }
  // The connection is still usable after a timed-out read.
  co_await conn.write(asio::buffer(std::string_view{"ok"}));
  auto n = co_await with_timeout(conn.read_some(asio::buffer(buf)), 5s);
  CHECK(std::string_view(buf, n) == "ok");
}

asio::awaitable<void> silent_then_echo(connection conn) {
  co_await sleep_for(300ms);
  co_await test::echo_handler(std::move(conn));
}

// wait_readable(): returns when data or EOF is there, and takes no byte itself.
asio::awaitable<void> readiness_without_a_buffer() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acceptor{ex, {asio::ip::make_address("127.0.0.1"), 0}};
  auto client = co_await connect("127.0.0.1", acceptor.local_endpoint().port());
  connection conn{co_await acceptor.async_accept(asio::use_awaitable)};

  bool ready = false;
  auto waiter = [&]() -> asio::awaitable<void> {
    co_await conn.wait_readable();
    ready = true;
  };
  asio::co_spawn(ex, waiter(), asio::detached);
  co_await sleep_for(50ms);
  CHECK_FALSE(ready);  // nothing sent yet
  co_await client.write(asio::buffer(std::string_view{"x"}));
  while (!ready)
    co_await sleep_for(5ms);
  char c = 0;
  CHECK(co_await conn.read_some(asio::buffer(&c, 1)) == 1);
  CHECK(c == 'x');

  ready = false;
  asio::co_spawn(ex, waiter(), asio::detached);
  client.shutdown_send();  // EOF counts as readable
  while (!ready)
    co_await sleep_for(5ms);
  CHECK(co_await conn.read_some(asio::buffer(&c, 1)) == 0);

  // Errors other than EOF throw, and say which operation failed.
  conn.close();
  try {
    co_await conn.read_some(asio::buffer(&c, 1));
    FAIL("read on a closed connection succeeded");
  } catch (const std::system_error& e) {
    CHECK(std::string_view{e.what()}.starts_with("read"));
  }
  try {
    co_await conn.write(asio::buffer(std::string_view{"y"}));
    FAIL("write on a closed connection succeeded");
  } catch (const std::system_error& e) {
    CHECK(std::string_view{e.what()}.starts_with("write"));
  }
}

}  // namespace

TEST_SUITE("connect") {
  TEST_CASE("connect to a refused port fails with connection_refused") {
    run(expect_refused(unused_port()));
  }

  TEST_CASE("connect times out with errc::timed_out against a full backlog") {
    run(expect_connect_timeout());
  }

  TEST_CASE("with_timeout cancels a read and leaves the connection usable") {
    running_server s{silent_then_echo};
    run(silent_server_times_out(s.port()));
  }

  TEST_CASE("errc has a category with readable messages") {
    std::error_code ec = errc::frame_too_large;
    CHECK(ec.category().name() == std::string("coronet"));
    CHECK(ec.message() == "frame exceeds the configured limit");
    CHECK(std::error_code(errc::timed_out) == std::errc::timed_out);
    CHECK(is_disconnect(asio::error::connection_reset));
    CHECK_FALSE(is_disconnect(errc::bad_message));
  }

  TEST_CASE("wait_readable returns on data and on EOF and takes no byte") {
    run(readiness_without_a_buffer());
  }
}
