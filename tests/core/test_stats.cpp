// server::stats(), the on_open / on_close observers and the Prometheus rendering,
// checked against what each test did on loopback.
#include "support.hpp"

#include <coronet/json/json_channel.hpp>
#include <coronet/metrics/prometheus.hpp>
#include <coronet/rpc.hpp>

#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;

namespace {

// Polls `done` (the counters move on the server's threads) for up to `limit`.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Echoes lines of at most 16 bytes; a longer line ends the input (bad_input).
asio::awaitable<void> short_lines(connection conn) {
  framed lines{std::move(conn), line_codec{{.max_length = 16}}};
  while (auto line = co_await lines.read())
    lines.write(*line);
}

// What the client side of the counting test does, and the bytes it moved.
struct client_totals {
  std::size_t sent = 0;
  std::size_t received = 0;
};

asio::awaitable<void> counted_workload(std::uint16_t port, const coronet::server* srv,
                                       client_totals* totals) {
  // Three conversations that fill max_connections = 3.
  auto polite = co_await connect("127.0.0.1", port);
  auto flooder = co_await connect("127.0.0.1", port);
  auto silent = co_await connect("127.0.0.1", port);
  const std::string hello = "hello\n";
  const std::string hi = "hi\n";
  co_await polite.write(asio::buffer(hello));
  co_await flooder.write(asio::buffer(hi));
  totals->sent += hello.size() + hi.size();
  totals->received += (co_await read_exactly(polite, hello.size())).size();
  totals->received += (co_await read_exactly(flooder, hi.size())).size();

  // Two more are refused by the cap: accepted, then closed at once.
  for (int i = 0; i < 2; ++i) {
    auto extra = co_await connect("127.0.0.1", port);
    CHECK((co_await read_to_eof(extra)).empty());
  }
  CHECK(srv->stats().total.connections_refused == 2);

  // One closes (peer_closed), one sends a line over the limit (bad_input), and the
  // silent one is closed by the idle timeout.
  polite.close();
  const std::string flood(100, 'x');
  co_await flooder.write(asio::buffer(flood));
  totals->sent += flood.size();
  CHECK((co_await read_to_eof(flooder)).empty());
  CHECK((co_await read_to_eof(silent)).empty());
}

std::uint64_t sample_value(const std::string& text, const std::string& series) {
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stoull(line.substr(series.size() + 1));
  }
  FAIL("no sample " << series);
  return 0;
}

asio::awaitable<nlohmann::json> pong(nlohmann::json /*params*/) {
  co_return "pong";
}

}  // namespace

TEST_SUITE("stats") {
  TEST_CASE("the JSON-RPC server counts a request that is not JSON and goes on") {
    rpc::router r;
    r.add("ping", pong);
    running_server s{[&r](connection c) { return r.serve(std::move(c)); }};
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
      auto c = co_await connect("127.0.0.1", port);
      const std::string lines = "not json\n{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\n";
      co_await c.write(asio::buffer(lines));
      c.shutdown_send();
      const auto replies = co_await read_to_eof(c);
      CHECK(replies.find("-32700") != std::string::npos);
      CHECK(replies.find("\"pong\"") != std::string::npos);
    };
    run(client(s.port()));
    REQUIRE(eventually([&] { return s.server().stats().total.closed() == 1; }));
    const auto t = s.server().stats().total;
    CHECK(t.decode_errors_of(decode_error::malformed) == 1);
    CHECK(t.frames_read == 2);
    CHECK(t.frames_written == 2);
    CHECK(t.closed(close_cause::peer_closed) == 1);
  }

  TEST_CASE("stats count accepts, refusals, closes by cause, bytes, frames and decode errors") {
    client_totals totals;
    running_server s{short_lines, {.limits = {.max_connections = 3, .idle_timeout = 300ms}}};
    run(counted_workload(s.port(), &s.server(), &totals));
    REQUIRE(eventually([&] { return s.server().stats().total.closed() == 3; }));

    const auto st = s.server().stats();
    const auto& t = st.total;
    CHECK(t.connections_accepted == 3);
    CHECK(t.connections_refused == 2);
    CHECK(t.open() == 0);
    CHECK(t.closed(close_cause::peer_closed) == 1);
    CHECK(t.closed(close_cause::bad_input) == 1);
    CHECK(t.closed(close_cause::idle_timeout) == 1);
    CHECK(t.closed(close_cause::handler_error) == 0);
    CHECK(t.bytes_read == totals.sent);
    CHECK(t.bytes_written == totals.received);
    CHECK(t.frames_read == 2);
    CHECK(t.frames_written == 2);
    CHECK(t.decode_errors_of(decode_error::too_large) == 1);
    CHECK(t.decode_errors_of(decode_error::malformed) == 0);
    REQUIRE(st.workers.size() == 1);
    CHECK(st.workers[0].bytes_read == t.bytes_read);
    CHECK(st.uptime > std::chrono::steady_clock::duration::zero());
  }

  TEST_CASE("on_open and on_close report every connection with its cause and byte counts") {
    std::mutex m;
    std::vector<open_event> opened;
    std::vector<close_event> closed;
    server_options options;
    options.observers.on_open = [&](const open_event& e) {
      std::lock_guard lock{m};
      opened.push_back(e);
    };
    options.observers.on_close = [&](const close_event& e) {
      std::lock_guard lock{m};
      closed.push_back(e);
    };
    options.observers.on_error = [](const error_info&) {};
    auto handler = [](connection conn) -> asio::awaitable<void> {
      char buf[64];
      auto n = co_await conn.read_some(asio::buffer(buf));
      const std::string_view said{buf, n};
      if (said == "boom") throw std::runtime_error("handler exploded");
      if (said == "bye") co_return;  // the server ends it: handler_closed
      co_await conn.write(asio::buffer(buf, n));
      n = co_await conn.read_some(asio::buffer(buf));  // then EOF: peer_closed
      CHECK(n == 0);
    };
    running_server s{handler, options};
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
      {
        auto c = co_await connect("127.0.0.1", port);
        const std::string ping = "ping!";
        co_await c.write(asio::buffer(ping));
        CHECK(co_await read_exactly(c, ping.size()) == ping);
        c.shutdown_send();
        CHECK((co_await read_to_eof(c)).empty());
      }
      {
        auto c = co_await connect("127.0.0.1", port);
        const std::string boom = "boom";
        co_await c.write(asio::buffer(boom));
        CHECK((co_await read_to_eof(c)).empty());
      }
      {
        auto c = co_await connect("127.0.0.1", port);
        const std::string bye = "bye";
        co_await c.write(asio::buffer(bye));
        CHECK((co_await read_to_eof(c)).empty());
      }
    };
    run(client(s.port()));
    REQUIRE(eventually([&] {
      std::lock_guard lock{m};
      return closed.size() == 3;
    }));
    s.stop_and_wait();

    std::lock_guard lock{m};
    REQUIRE(opened.size() == 3);
    std::map<std::uint64_t, close_event> by_id;
    for (const auto& e : closed)
      by_id[e.id] = e;
    for (const auto& o : opened) {
      REQUIRE(by_id.count(o.id) == 1);
      CHECK(o.remote.address().is_loopback());
      CHECK_FALSE(o.tls);
      CHECK(o.proxy == nullptr);
      CHECK(o.worker == 0);
    }
    const auto& echo = by_id[opened[0].id];
    const auto& boom = by_id[opened[1].id];
    const auto& bye = by_id[opened[2].id];
    CHECK(echo.cause == close_cause::peer_closed);
    CHECK(echo.bytes_read == 5);
    CHECK(echo.bytes_written == 5);
    CHECK(echo.duration > std::chrono::steady_clock::duration::zero());
    CHECK_FALSE(echo.error);
    CHECK(boom.cause == close_cause::handler_error);
    CHECK(boom.error);
    CHECK(boom.bytes_read == 4);
    CHECK(bye.cause == close_cause::handler_closed);
    CHECK(to_string(close_cause::peer_closed) == "peer_closed");
  }

  TEST_CASE("a graceful stop and a forced close are told apart") {
    std::atomic<bool> waiting{false};
    auto handler = [&](connection conn) -> asio::awaitable<void> {
      char buf[16];
      if (conn.id() % 2 == 0) {
        // Ignores the stop: waits on a timer only, so the forced close ends it.
        waiting = true;
        asio::steady_timer forever{conn.get_executor(), std::chrono::hours(1)};
        co_await forever.async_wait(asio::use_awaitable);
      }
      while (co_await conn.read_some(asio::buffer(buf)) != 0) {
      }
    };
    server_options options;
    options.shutdown.timeout = 200ms;
    options.shutdown.cancel_on_force_close = true;
    coronet::server srv{options};
    srv.start(handler);
    const auto port = srv.local_endpoint().port();
    asio::io_context io;
    std::vector<asio::ip::tcp::socket> clients;
    for (int i = 0; i < 4; ++i) {
      clients.emplace_back(io);
      clients.back().connect({asio::ip::make_address("127.0.0.1"), port});
    }
    REQUIRE(eventually([&] { return srv.stats().total.connections_accepted == 4 && waiting; }));
    srv.stop();
    srv.wait();
    const auto t = srv.stats().total;
    CHECK(t.closed(close_cause::server_stop) == 2);
    CHECK(t.closed(close_cause::forced_close) == 2);
    CHECK(t.open() == 0);
  }

  TEST_CASE("a client connection counts its own bytes and touches no server's counters") {
    running_server s{echo_handler};
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
      auto c = co_await connect("127.0.0.1", port);
      const std::string text = "twelve bytes";
      co_await c.write(asio::buffer(text));
      CHECK(co_await read_exactly(c, text.size()) == text);
      CHECK(c.bytes_written() == 12);
      CHECK(c.bytes_read() == 12);
    };
    run(client(s.port()));
    REQUIRE(eventually([&] { return s.server().stats().total.closed() == 1; }));
    const auto t = s.server().stats().total;
    CHECK(t.bytes_read == 12);
    CHECK(t.bytes_written == 12);
    CHECK(t.frames_read == 0);  // no framed<> on this server
  }

  TEST_CASE("json_channel counts messages that are not JSON without ending the channel") {
    auto handler = [](connection conn) -> asio::awaitable<void> {
      json_channel ch{std::move(conn)};
      for (;;) {
        std::optional<nlohmann::json> msg;
        bool bad = false;
        try {
          msg = co_await ch.read();
        } catch (const message_error&) {
          bad = true;
        }
        if (bad) {
          ch.write(json_object("error", "not JSON"));
          continue;
        }
        if (!msg) co_return;
        ch.write(*msg);
      }
    };
    running_server s{handler};
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
      auto c = co_await connect("127.0.0.1", port);
      const std::string lines = "{\"a\":1}\nnot json\n[2]\n";
      co_await c.write(asio::buffer(lines));
      c.shutdown_send();
      auto replies = co_await read_to_eof(c);
      CHECK(replies == "{\"a\":1}\n{\"error\":\"not JSON\"}\n[2]\n");
    };
    run(client(s.port()));
    REQUIRE(eventually([&] { return s.server().stats().total.closed() == 1; }));
    const auto t = s.server().stats().total;
    CHECK(t.frames_read == 3);
    CHECK(t.frames_written == 3);
    CHECK(t.decode_errors_of(decode_error::malformed) == 1);
    CHECK(t.closed(close_cause::peer_closed) == 1);  // the bad message did not end it
  }
}

TEST_SUITE("threads") {
  TEST_CASE("stats: per-worker counters sum to the total under load from many threads") {
    running_server s{short_lines, {.threads = 2}};
    auto clients = [](std::uint16_t port) -> asio::awaitable<void> {
      for (int i = 0; i < 40; ++i) {
        auto c = co_await connect("127.0.0.1", port);
        const std::string line = "line " + std::to_string(i) + "\n";
        co_await c.write(asio::buffer(line));
        CHECK(co_await read_exactly(c, line.size()) == line);
      }
    };
    // Readers on another thread while the workers count: a data race here is a TSan report.
    std::atomic<bool> done{false};
    std::thread reader([&] {
      while (!done)
        (void)prometheus_text(s.server().stats());
    });
    run(clients(s.port()));
    REQUIRE(eventually([&] { return s.server().stats().total.closed() == 40; }));
    done = true;
    reader.join();
    const auto st = s.server().stats();
    REQUIRE(st.workers.size() == 2);
    worker_stats sum;
    for (const auto& w : st.workers) {
      CHECK(w.connections_accepted > 0);  // round robin: both served
      sum += w;
    }
    CHECK(sum.connections_accepted == 40);
    CHECK(sum.frames_read == 40);
    CHECK(sum.bytes_read == st.total.bytes_read);
    CHECK(st.total.closed(close_cause::peer_closed) == 40);
  }
}

TEST_SUITE("stats") {
  TEST_CASE("prometheus_text renders every family with HELP and TYPE and the snapshot's values") {
    server_stats st;
    st.workers.resize(2);
    st.workers[0].connections_accepted = 7;
    st.workers[0].connections_closed[static_cast<std::size_t>(close_cause::idle_timeout)] = 2;
    st.workers[1].bytes_read = 1234;
    st.workers[1].decode_errors[static_cast<std::size_t>(decode_error::too_large)] = 5;
    for (const auto& w : st.workers)
      st.total += w;
    st.uptime = std::chrono::milliseconds(2500);
    const auto text = prometheus_text(st);

    CHECK(sample_value(text, "coronet_connections_accepted_total{worker=\"0\"}") == 7);
    CHECK(sample_value(text, "coronet_connections_open{worker=\"0\"}") == 5);
    CHECK(sample_value(
              text, "coronet_connections_closed_total{worker=\"0\",reason=\"idle_timeout\"}") == 2);
    CHECK(sample_value(text, "coronet_read_bytes_total{worker=\"1\"}") == 1234);
    CHECK(sample_value(text, "coronet_decode_errors_total{worker=\"1\",kind=\"too_large\"}") == 5);
    CHECK(text.find("coronet_uptime_seconds 2.5") != std::string::npos);

    // Every family has HELP and TYPE before its samples, once; counters end in _total.
    std::istringstream in{text};
    std::string line;
    std::set<std::string> typed;
    int samples = 0;
    while (std::getline(in, line)) {
      if (line.rfind("# TYPE ", 0) == 0) {
        std::istringstream words{line.substr(7)};
        std::string name, type;
        words >> name >> type;
        CHECK(typed.insert(name).second);
        CHECK(name.rfind("coronet_", 0) == 0);
        if (type == "counter") CHECK(name.size() > 6);
        if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
        continue;
      }
      if (line.rfind("# HELP ", 0) == 0) continue;
      ++samples;
      const auto name = line.substr(0, line.find_first_of("{ "));
      CHECK_MESSAGE(typed.count(name) == 1, line);
    }
    CHECK(typed.size() == 10);
    // 2 workers x (3 + 10 closed + 4 + 3 decode) + uptime
    CHECK(samples == 2 * 20 + 1);
  }
}
