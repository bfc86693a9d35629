// ws_loadgen: WebSocket echo load for bench/ws_compare.sh. `connections` clients each
// send a binary message of `size` bytes, wait for its echo, check it, and send again,
// for `seconds`; prints the messages echoed per second.
//   ws_loadgen PORT CONNECTIONS SIZE SECONDS [THREADS]
// The client is coronet's own (websocket::connect): it masks, as a browser does, so the
// server under test unmasks every byte as it would for real clients.
#include <coronet/coronet.hpp>
#include <coronet/websocket.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct run_state {
  std::uint16_t port = 0;
  std::size_t size = 64;
  clock_type::time_point start;
  clock_type::time_point stop;
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::size_t> connected{0};
};

asio::awaitable<void> client(run_state* s) {
  auto ws = co_await coronet::websocket::connect("127.0.0.1", s->port, "/");
  ++s->connected;
  const std::string payload(s->size, 'x');
  while (clock_type::now() < s->start) {
    asio::steady_timer t{co_await asio::this_coro::executor, std::chrono::milliseconds(5)};
    co_await t.async_wait(asio::use_awaitable);
  }
  std::uint64_t n = 0;
  while (clock_type::now() < s->stop) {
    const coronet::websocket::binary<std::string_view> msg{payload};
    ws.write(msg);
    auto echo = co_await ws.read();
    if (!echo || echo->payload.size() != payload.size()) {
      ++s->errors;
      break;
    }
    ++n;
  }
  s->messages += n;
  co_await ws.close();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: ws_loadgen PORT CONNECTIONS SIZE SECONDS [THREADS]\n";
    return 2;
  }
  run_state s;
  s.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  const auto connections = static_cast<std::size_t>(std::stoul(argv[2]));
  s.size = static_cast<std::size_t>(std::stoul(argv[3]));
  const double seconds = std::stod(argv[4]);
  const auto threads = argc > 5 ? static_cast<std::size_t>(std::stoul(argv[5])) : 1;
  // Connections first (within a second), then the measured window.
  s.start = clock_type::now() + std::chrono::seconds(1);
  s.stop = s.start + std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      asio::io_context io{1};
      for (std::size_t c = t; c < connections; c += threads)
        asio::co_spawn(io, client(&s), [&](const std::exception_ptr& e) {
          if (e) {
            ++s.errors;
            std::cerr << "client: " << coronet::describe(e) << "\n";
          }
        });
      io.run();
    });
  }
  for (auto& t : pool)
    t.join();
  const double rate = static_cast<double>(s.messages.load()) / seconds;
  std::printf("messages: %llu, errors: %llu, connected: %zu, rate: %.0f\n",
              static_cast<unsigned long long>(s.messages.load()),
              static_cast<unsigned long long>(s.errors.load()), s.connected.load(), rate);
  return s.errors.load() == 0 ? 0 : 1;
}
