// In-process loopback round trip, one connection, 64 B each way: coronet (framed with
// line_codec on both sides, as echo_server --framing line and its client) against a
// hand-written Asio callback client/server pair (the floor). Both run in one
// io_context on one thread, so a round trip is two writes, two reads and the wake-ups
// in between, and the difference is the framework's own cost.
//
// loopback/coronet and loopback/asio report round trips/s each; loopback/ratio runs
// both alternately in the same iterations (so machine noise hits both alike) and
// reports coronet_per_asio = coronet rate / Asio rate (1.0 = no overhead).
#include "alloc_counter.hpp"

#include <coronet/core/connection.hpp>
#include <coronet/framing/framed.hpp>
#include <coronet/framing/line_codec.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

namespace {

using asio::ip::tcp;
using lines = coronet::framed<coronet::line_codec, coronet::connection>;
constexpr std::size_t message_bytes = 64;  // on the wire, '\n' included
constexpr std::size_t rounds_per_batch = 1000;

// A connected pair of sockets on 127.0.0.1 in `io`.
std::pair<tcp::socket, tcp::socket> socket_pair(asio::io_context& io) {
  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  tcp::socket client{io};
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  client.set_option(tcp::no_delay(true));
  server.set_option(tcp::no_delay(true));
  return {std::move(client), std::move(server)};
}

// ---- coronet ------------------------------------------------------------------

asio::awaitable<void> coronet_echo(coronet::connection conn) {
  lines frames{std::move(conn)};
  while (auto frame = co_await frames.read())
    frames.write(*frame);
}

asio::awaitable<void> coronet_rounds(lines* client, std::size_t rounds, bool* done) {
  const std::string msg(message_bytes - 1, 'x');
  for (std::size_t i = 0; i < rounds; ++i) {
    client->write(std::string_view{msg});
    auto reply = co_await client->read();  // flushes the request first
    if (!reply || reply->size() != msg.size()) throw std::runtime_error("bad echo");
  }
  *done = true;
}

struct coronet_pair {
  asio::io_context io{1};
  std::unique_ptr<lines> client;

  coronet_pair() {
    auto [c, s] = socket_pair(io);
    client = std::make_unique<lines>(coronet::connection{std::move(c)});
    // The echo coroutine ends with an error when the pair is torn down; that is expected.
    asio::co_spawn(io, coronet_echo(coronet::connection{std::move(s)}),
                   [](const std::exception_ptr&) {});
  }
  ~coronet_pair() {
    client.reset();  // closes the client; the server sees EOF and returns
    io.run();
  }
  void batch(std::size_t rounds) {
    bool done = false;
    asio::co_spawn(io, coronet_rounds(client.get(), rounds, &done), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    while (!done)
      io.run_one();
  }
};

// ---- hand-written Asio ----------------------------------------------------------

class asio_session : public std::enable_shared_from_this<asio_session> {
 public:
  explicit asio_session(tcp::socket s) : socket_(std::move(s)) {}
  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](std::error_code ec, std::size_t n) {
                              if (!ec) self->write(n);
                            });
  }

 private:
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buf_, n),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }
  tcp::socket socket_;
  std::array<char, 16 * 1024> buf_;
};

class asio_client {
 public:
  explicit asio_client(tcp::socket s) : socket_(std::move(s)), msg_(message_bytes, 'x') {
    msg_.back() = '\n';
  }
  void start(std::size_t rounds, bool* done) {
    left_ = rounds;
    done_ = done;
    send();
  }

 private:
  void send() {
    asio::async_write(socket_, asio::buffer(msg_), [this](std::error_code ec, std::size_t) {
      if (ec) throw std::system_error(ec);
      asio::async_read(socket_, asio::buffer(reply_), [this](std::error_code ec2, std::size_t) {
        if (ec2) throw std::system_error(ec2);
        if (--left_ == 0)
          *done_ = true;
        else
          send();
      });
    });
  }
  tcp::socket socket_;
  std::string msg_;
  std::array<char, message_bytes> reply_;
  std::size_t left_ = 0;
  bool* done_ = nullptr;
};

struct asio_pair {
  asio::io_context io{1};
  std::unique_ptr<asio_client> client;

  asio_pair() {
    auto [c, s] = socket_pair(io);
    client = std::make_unique<asio_client>(std::move(c));
    std::make_shared<asio_session>(std::move(s))->read();
  }
  ~asio_pair() {
    client.reset();
    io.run();
  }
  void batch(std::size_t rounds) {
    bool done = false;
    client->start(rounds, &done);
    while (!done)
      io.run_one();
  }
};

template <typename Pair>
void loopback(benchmark::State& state) {
  Pair pair;
  pair.batch(rounds_per_batch);  // warm up: buffers sized, frames cached
  const auto allocs_before = bench::allocations();
  for (auto _ : state)
    pair.batch(rounds_per_batch);
  const auto rounds = static_cast<double>(state.iterations() * rounds_per_batch);
  state.SetItemsProcessed(static_cast<std::int64_t>(rounds));
  state.SetBytesProcessed(static_cast<std::int64_t>(rounds * 2 * message_bytes));
  state.counters["allocs_per_round_trip"] =
      static_cast<double>(bench::allocations() - allocs_before) / rounds;
}

void loopback_ratio(benchmark::State& state) {
  coronet_pair c;
  asio_pair a;
  c.batch(rounds_per_batch);
  a.batch(rounds_per_batch);
  using clock = std::chrono::steady_clock;
  clock::duration coronet_time{}, asio_time{};
  for (auto _ : state) {
    auto t0 = clock::now();
    c.batch(rounds_per_batch);
    auto t1 = clock::now();
    a.batch(rounds_per_batch);
    auto t2 = clock::now();
    coronet_time += t1 - t0;
    asio_time += t2 - t1;
  }
  const double rounds = static_cast<double>(state.iterations() * rounds_per_batch);
  const double coronet_rate = rounds / std::chrono::duration<double>(coronet_time).count();
  const double asio_rate = rounds / std::chrono::duration<double>(asio_time).count();
  state.counters["coronet_rt_per_s"] = coronet_rate;
  state.counters["asio_rt_per_s"] = asio_rate;
  state.counters["coronet_per_asio"] = coronet_rate / asio_rate;
}

}  // namespace

BENCHMARK(loopback<coronet_pair>)->Name("loopback/coronet")->Unit(benchmark::kMillisecond);
BENCHMARK(loopback<asio_pair>)->Name("loopback/asio")->Unit(benchmark::kMillisecond);
BENCHMARK(loopback_ratio)->Name("loopback/ratio")->Unit(benchmark::kMillisecond);
