// stress_client: the client side of the reliability tests that need a separate process
// (so that two processes, not one, hold the descriptors, and echo_server runs as users
// run it). Talks to `echo_server --framing line`. Prints one summary line on stdout and
// exits 0 only if every check passed.
//
//   stress_client --port P --mode hold --connections 10000
//       opens every connection, and only once all are open has each one send a
//       unique line and verify its echo: N connections served concurrently.
//   stress_client --port P --mode pipeline --connections 100 --messages 1000000
//       pipelines batches of --window lines per connection; every reply is compared
//       byte for byte with what was sent, so a lost, duplicated, reordered or
//       corrupted message fails the run.
//   stress_client --port P --mode shutdown --connections 100
//       keeps every connection busy until the server closes it (the test sends
//       SIGTERM meanwhile and then writes the signal's CLOCK_MONOTONIC time in ns to
//       our stdin); checks that every request written before the signal was answered
//       and that each connection ended in a clean EOF.
#include "../support/cli.hpp"

#include <coronet/coronet.hpp>
#include <coronet/tls.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;  // CLOCK_MONOTONIC: comparable across processes

struct settings {
  std::uint16_t port = 0;
  std::shared_ptr<coronet::tls_context> tls;  // --tls-ca: TLS, trusting that CA
  std::size_t connections = 0;
  std::size_t messages = 0;
  std::size_t window = 0;
  std::size_t size = 0;
};

struct totals {
  std::size_t connected = 0;
  std::size_t verified = 0;
  std::size_t mismatches = 0;
  std::size_t failed = 0;
  std::size_t sent = 0;
  std::size_t resets = 0;
  std::size_t eofs = 0;
  std::size_t finished = 0;
  std::string first_error;
  // shutdown mode: write-completion time of each request, per connection, and how
  // many replies came back.
  std::vector<std::vector<clock_type::time_point>> sent_at;
  std::vector<std::size_t> answered;
};

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Unique per connection and sequence number, so a reply meant for another request or
// another connection cannot pass the byte comparison.
std::string message(std::size_t conn, std::size_t seq, std::size_t size) {
  std::string m = std::to_string(conn) + ":" + std::to_string(seq) + ":";
  for (std::size_t i = 0; m.size() < size; ++i)
    m.push_back(static_cast<char>('a' + (conn * 7 + seq * 13 + i) % 26));
  m.push_back('\n');
  return m;
}

void note_error(totals* t, const std::exception& e) {
  if (t->first_error.empty()) t->first_error = e.what();
}

asio::awaitable<void> wait_until(std::size_t* counter, std::size_t target) {
  asio::steady_timer tick{co_await asio::this_coro::executor};
  while (*counter < target) {
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(asio::use_awaitable);
  }
}

// Connects and counts the outcome; a failed connection is also a finished one.
asio::awaitable<std::optional<coronet::connection>> connect_counted(const settings& s, totals* t) {
  try {
    const coronet::connect_options how{.timeout = std::chrono::seconds(30), .tls = s.tls};
    auto conn = co_await coronet::connect("127.0.0.1", s.port, how);
    ++t->connected;
    co_return std::optional<coronet::connection>{std::move(conn)};
  } catch (const std::exception& e) {
    note_error(t, e);
    ++t->failed;
    ++t->finished;
  }
  co_return std::nullopt;
}

// ---- hold ------------------------------------------------------------------------

asio::awaitable<void> hold_one(settings s, std::size_t i, totals* t) {
  auto conn = co_await connect_counted(s, t);
  if (!conn) co_return;
  try {
    // Nobody speaks before every connection is open: they are all open at once.
    co_await wait_until(&t->connected, s.connections - t->failed);
    const auto m = message(i, 0, s.size);
    co_await conn->write(asio::buffer(m));
    std::string reply(m.size(), '\0');
    co_await asio::async_read(*conn, asio::buffer(reply), asio::use_awaitable);
    if (reply == m)
      ++t->verified;
    else
      ++t->mismatches;
    ++t->finished;
    // Stay open until everyone is verified: proves concurrency, not a relay.
    co_await wait_until(&t->finished, s.connections);
  } catch (const std::exception& e) {
    note_error(t, e);
    ++t->failed;
    ++t->finished;
  }
}

// ---- pipeline --------------------------------------------------------------------

asio::awaitable<void> pipeline_one(settings s, std::size_t i, std::size_t count, totals* t) {
  try {
    const coronet::connect_options how{.timeout = std::chrono::seconds(30), .tls = s.tls};
    auto conn = co_await coronet::connect("127.0.0.1", s.port, how);
    std::string batch;
    std::string reply;
    for (std::size_t seq = 0; seq < count;) {
      batch.clear();
      std::size_t n = 0;
      for (; n < s.window && seq + n < count; ++n)
        batch += message(i, seq + n, s.size);
      co_await conn.write(asio::buffer(batch));
      t->sent += n;
      reply.resize(batch.size());
      co_await asio::async_read(conn, asio::buffer(reply), asio::use_awaitable);
      if (reply == batch) {
        t->verified += n;
      } else {
        ++t->mismatches;
        co_return;
      }
      seq += n;
    }
  } catch (const std::exception& e) {
    note_error(t, e);
    ++t->failed;
  }
  ++t->finished;
}

// ---- shutdown --------------------------------------------------------------------

asio::awaitable<void> busy_one(settings s, std::size_t i, totals* t) {
  auto conn = co_await connect_counted(s, t);
  if (!conn) co_return;
  auto& sent_at = t->sent_at[i];
  std::size_t& answered = t->answered[i];
  std::string expected;  // replies owed, in order
  std::string batch;
  char buf[4096];
  bool ended = false;
  while (!ended) {
    // A small window keeps every request well inside the socket buffers, so a write
    // that completed before the signal means the server had received it.
    batch.clear();
    const std::size_t first = sent_at.size();
    for (std::size_t k = 0; k < s.window; ++k)
      batch += message(i, first + k, s.size);
    try {
      co_await conn->write(asio::buffer(batch));
    } catch (const std::system_error&) {
      break;  // the server is gone; what it answered is checked below
    }
    const auto now = clock_type::now();
    for (std::size_t k = 0; k < s.window; ++k)
      sent_at.push_back(now);
    t->sent += s.window;
    expected += batch;
    // Read this batch's replies (or up to the end of the stream).
    std::size_t want = expected.size();
    std::size_t got_total = 0;
    while (got_total < want) {
      std::size_t n = 0;
      try {
        n = co_await conn->read_some(asio::buffer(buf));
      } catch (const std::system_error&) {
        ++t->resets;
        ended = true;
        break;
      }
      if (n == 0) {
        ++t->eofs;
        ended = true;
        break;
      }
      if (std::string_view(buf, n) != std::string_view(expected).substr(got_total, n)) {
        // Which bytes differ, for whoever has to find out why.
        const std::string_view got_now(buf, n);
        const std::string_view want_now = std::string_view(expected).substr(got_total, n);
        std::size_t at = 0;
        while (at < got_now.size() && at < want_now.size() && got_now[at] == want_now[at])
          ++at;
        std::cerr << "mismatch on connection " << i << " at byte " << got_total + at << " of "
                  << expected.size() << " expected (read of " << n << "): got \""
                  << got_now.substr(at, 40) << "\" want \"" << want_now.substr(at, 40) << "\"\n";
        ++t->mismatches;
        ended = true;
        break;
      }
      got_total += n;
    }
    // Whole lines received are answered requests.
    const std::string_view got = std::string_view(expected).substr(0, got_total);
    for (char c : got)
      if (c == '\n') ++answered;
    expected.erase(0, got_total);
  }
  ++t->finished;
}

asio::awaitable<void> run_all(std::string mode, settings s, totals* t) {
  auto ex = co_await asio::this_coro::executor;
  auto swallow = [](std::exception_ptr) {};  // each coroutine records its own errors
  if (mode == "shutdown") {
    t->sent_at.resize(s.connections);
    t->answered.resize(s.connections);
  }
  for (std::size_t i = 0; i < s.connections; ++i) {
    if (mode == "hold") {
      asio::co_spawn(ex, hold_one(s, i, t), swallow);
    } else if (mode == "pipeline") {
      const std::size_t count =
          s.messages / s.connections + (i < s.messages % s.connections ? 1 : 0);
      asio::co_spawn(ex, pipeline_one(s, i, count, t), swallow);
    } else {
      asio::co_spawn(ex, busy_one(s, i, t), swallow);
    }
  }
  if (mode == "shutdown") {
    // Tell the test once every connection is open and busy; it signals the server then.
    std::size_t all = 0;
    for (;;) {
      all = 0;
      for (auto a : t->answered)
        all += a >= 20 ? 1 : 0;
      if (all + t->failed >= s.connections) break;
      asio::steady_timer tick{ex, std::chrono::milliseconds(5)};
      co_await tick.async_wait(asio::use_awaitable);
    }
    std::cerr << "busy: " << all << std::endl;
  }
  co_await wait_until(&t->finished, s.connections);
}

}  // namespace

int main(int argc, char** argv) {
  examples::cli args{"stress_client", "Load and shutdown client for coronet's reliability tests."};
  args.option("port", "7000", "echo_server port (line framing)")
      .option("mode", "hold", "hold, pipeline or shutdown")
      .option("connections", "100", "concurrent connections")
      .option("messages", "1000", "pipeline: messages in all")
      .option("window", "64", "pipeline/shutdown: lines per batch")
      .option("size", "32", "bytes per line before the newline")
      .option("tls-ca", "", "TLS: connect over TLS, trusting the CAs in this file");
  args.parse(argc, argv);
  const std::string mode = args.get("mode");
  if (mode != "hold" && mode != "pipeline" && mode != "shutdown")
    args.fail("--mode must be hold, pipeline or shutdown");
  settings s;
  s.port = static_cast<std::uint16_t>(args.number("port", 1, 65535));
  s.connections = static_cast<std::size_t>(args.number("connections", 1, 100000));
  s.messages = static_cast<std::size_t>(args.number("messages", 0, 1'000'000'000));
  s.window = static_cast<std::size_t>(args.number("window", 1, 100000));
  s.size = static_cast<std::size_t>(args.number("size", 16, 1'000'000));
  if (!args.get("tls-ca").empty())
    s.tls = coronet::tls::make_client_context({.ca_file = args.get("tls-ca")});

  raise_fd_limit();
  coronet::ignore_sigpipe();
  totals t;
  const auto started = clock_type::now();
  asio::io_context io{1};
  std::exception_ptr failure;
  asio::co_spawn(io, run_all(mode, s, &t), [&](std::exception_ptr e) { failure = e; });
  io.run();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started).count();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cout << "error: " << e.what() << std::endl;
    }
    return 1;
  }

  bool ok = t.failed == 0 && t.mismatches == 0;
  if (mode == "hold") {
    ok = ok && t.verified == s.connections;
    std::cout << "connected: " << t.connected << " verified: " << t.verified
              << " mismatches: " << t.mismatches << " failed: " << t.failed << " ms: " << ms;
  } else if (mode == "pipeline") {
    ok = ok && t.verified == s.messages;
    std::cout << "sent: " << t.sent << " verified: " << t.verified
              << " mismatches: " << t.mismatches << " failed: " << t.failed << " ms: " << ms;
  } else {
    // The test writes the signal's time once it has sent it.
    std::int64_t signal_ns = 0;
    if (!(std::cin >> signal_ns)) {
      std::cout << "error: no signal time on stdin" << std::endl;
      return 1;
    }
    const clock_type::time_point signalled{std::chrono::nanoseconds(signal_ns)};
    std::size_t before = 0;
    std::size_t unanswered = 0;
    std::size_t answered = 0;
    for (std::size_t i = 0; i < s.connections; ++i) {
      answered += t.answered[i];
      for (std::size_t k = 0; k < t.sent_at[i].size(); ++k) {
        if (t.sent_at[i][k] >= signalled) break;
        ++before;
        if (k >= t.answered[i]) ++unanswered;
      }
    }
    ok = ok && unanswered == 0 && before > 0;
    std::cout << "sent_before_signal: " << before << " unanswered_before_signal: " << unanswered
              << " answered: " << answered << " eof: " << t.eofs << " reset: " << t.resets
              << " mismatches: " << t.mismatches << " failed: " << t.failed << " ms: " << ms;
  }
  if (!t.first_error.empty()) std::cout << " first_error: " << t.first_error;
  std::cout << std::endl;
  return ok ? 0 : 1;
}
