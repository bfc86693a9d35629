// Built against an installed coronet, as a user's program is: the things that break when
// a program holds two copies of Asio (one inside libcoronet, one in the program's own
// translation units), each checked, none only echoed:
//   - a JSON-RPC call with a deadline: the client's reads compare error codes made by the
//     library with Asio's categories as the program sees them (would_block, eof);
//   - a Redis command and a subscription against the redis-server the runner started;
//   - an asio::signal_set of the program's own beside a coronet::server that handles
//     SIGINT/SIGTERM: both must get their signals (one signal state, not two);
//   - an echo over TLS, with the certificates the runner made.
// Usage: consumer REDIS_PORT CERT_DIR (tests/consumer/run_consumer.sh runs it).
#include <coronet/coronet.hpp>
#include <coronet/json.hpp>
#include <coronet/redis.hpp>
#include <coronet/tls.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <unistd.h>
#include <array>
#include <atomic>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok " : "FAILED ") << what << '\n';
  if (!ok) ++failures;
}

asio::awaitable<void> echo(coronet::connection conn) {
  std::array<char, 256> buf;
  for (;;) {
    auto n = co_await conn.read_some(asio::buffer(buf));
    if (n == 0) co_return;
    co_await conn.write(asio::buffer(buf, n));
  }
}

asio::awaitable<nlohmann::json> sum(nlohmann::json params) {
  long total = 0;
  for (const auto& v : params)
    total += v.get<long>();
  co_return total;
}

asio::awaitable<void> rpc_calls(std::uint16_t port) {
  coronet::rpc::client rpc{co_await coronet::connect("127.0.0.1", port)};
  // Twice, so that the reader has met an empty socket (would_block) in between.
  for (int i = 0; i < 2; ++i) {
    auto result = co_await rpc.call("sum", coronet::rpc::positional(1, 2, 4),
                                    std::chrono::milliseconds(2000));
    check(result.get<long>() == 7, "rpc call with a deadline");
  }
}

asio::awaitable<void> redis_round_trip(std::uint16_t port) {
  auto redis = co_await coronet::redis::client::connect("127.0.0.1", port);
  auto sub = co_await coronet::redis::subscriber::connect("127.0.0.1", port);
  auto channels = std::vector<std::string>{"consumer.news"};  // named: g++ 12 and braced
  co_await sub.subscribe(channels);                           // temporaries in co_await
  auto set = std::vector<std::string>{"SET", "consumer.key", "hello"};
  co_await redis.command(set);
  auto get = std::vector<std::string>{"GET", "consumer.key"};
  auto v = co_await redis.command(get);
  check(v.text == "hello", "redis SET then GET");
  auto publish = std::vector<std::string>{"PUBLISH", "consumer.news", "extra"};
  co_await redis.command(publish);
  auto m = co_await sub.receive();
  check(m.channel == "consumer.news" && m.payload == "extra", "redis subscription");
}

asio::awaitable<void> tls_echo(std::uint16_t port, std::string ca) {
  const coronet::connect_options how{.tls = coronet::tls::make_client_context({.ca_file = ca})};
  auto conn = co_await coronet::connect("localhost", port, how);
  co_await conn.write(asio::buffer(std::string_view{"secret"}));
  std::array<char, 16> buf;
  auto n = co_await conn.read_some(asio::buffer(buf));
  check(std::string(buf.data(), n) == "secret", "echo over TLS");
}

// Runs one client coroutine to its end; an exception is a failure, named.
template <typename Awaitable>
void client(Awaitable op, const std::string& what) {
  asio::io_context io;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      check(false, what + ": " + x.what());
    }
  });
  io.run_for(std::chrono::seconds(20));
}

// The program's own signal_set gets SIGUSR1 while a server run() waits for
// SIGINT/SIGTERM; then SIGTERM stops that server.
void signals() {
  coronet::server server{{.host = "127.0.0.1"}};
  server.listen();  // SIGINT and SIGTERM are the server's from here on
  std::thread serving{[&] { server.run(echo); }};

  asio::io_context io;
  asio::signal_set own{io, SIGUSR1};
  bool got = false;
  own.async_wait([&](std::error_code ec, int) { got = !ec; });
  ::kill(::getpid(), SIGUSR1);
  io.run_for(std::chrono::seconds(10));
  check(got, "the program's own signal_set beside a server");

  ::kill(::getpid(), SIGTERM);
  serving.join();  // run() returned: the server took its signal
  check(true, "SIGTERM stops the server's run()");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: consumer REDIS_PORT CERT_DIR\n";
    return 2;
  }
  ::alarm(60);  // a watchdog: a hang fails the test
  const auto redis_port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  const std::string certs = argv[2];

  coronet::server plain{{.host = "127.0.0.1"}};
  plain.start(echo);
  client(
      [](std::uint16_t port) -> asio::awaitable<void> {
        auto conn = co_await coronet::connect("127.0.0.1", port);
        co_await conn.write(asio::buffer(std::string_view{"ping"}));
        std::array<char, 16> buf;
        auto n = co_await conn.read_some(asio::buffer(buf));
        check(std::string(buf.data(), n) == "ping", "echo");
      }(plain.local_endpoint().port()),
      "echo");

  coronet::rpc::router router;
  router.add("sum", sum);
  coronet::server rpc_server{{.host = "127.0.0.1"}};
  rpc_server.start([&router](coronet::connection c) { return router.serve(std::move(c)); });
  client(rpc_calls(rpc_server.local_endpoint().port()), "rpc");

  client(redis_round_trip(redis_port), "redis");

  coronet::server_options tls_options{.host = "127.0.0.1"};
  tls_options.tls = coronet::tls::make_server_context(
      {.certificate_chain_file = certs + "/server.pem", .private_key_file = certs + "/server.key"});
  coronet::server tls_server{tls_options};
  tls_server.start(echo);
  client(tls_echo(tls_server.local_endpoint().port(), certs + "/ca.pem"), "tls");

  for (auto* s : {&plain, &rpc_server, &tls_server}) {
    s->stop();
    s->wait();
  }
  signals();
  std::cout << (failures == 0 ? "consumer: all passed\n" : "consumer: FAILED\n");
  return failures == 0 ? 0 : 1;
}
