// coronet::redis with credentials: AUTH against a redis-server started with
// --requirepass and against an ACL user, the errors a refused AUTH gives
// (errc::redis_auth_failed, with Redis's text and nothing about TLS), redis::parse_url,
// and chat_server --redis with the password in CORONET_REDIS_PASSWORD.
#include "process.hpp"
#include "redis_support.hpp"
#include "support.hpp"

#include <coronet/redis.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using strings = std::vector<std::string>;

namespace {

const std::string password = "s3cret";

template <typename... Args>
asio::awaitable<resp::value> cmd(redis::client& c, Args&&... args) {
  return c.command(strings{std::string(std::forward<Args>(args))...});
}

// The system_error `op` throws, as code and what() (empty code: it did not throw).
struct failure {
  std::error_code code;
  std::string what;
};
template <typename T>
asio::awaitable<failure> failure_of(asio::awaitable<T> op) {
  try {
    co_await std::move(op);
  } catch (const std::system_error& e) {
    co_return failure{e.code(), e.what()};
  }
  co_return failure{};
}

// Named before each co_await (g++ 12 mishandles temporaries built inside one).
redis::client_options with(std::string user, std::string pass, std::string name) {
  redis::client_options o;
  o.username = std::move(user);
  o.password = std::move(pass);
  o.client_name = std::move(name);
  o.command_timeout = std::chrono::seconds(5);
  return o;
}

// A command and a subscription as `o`'s user, then both again after reconnect() (which
// must AUTH again), the published message included.
asio::awaitable<void> works(std::uint16_t port, redis::client_options o) {
  auto c = co_await redis::client::connect("127.0.0.1", port, o);
  auto r = co_await cmd(c, "SET", "k", "v");
  CHECK_MESSAGE(!r.is_error(), r.text);
  auto sub = co_await redis::subscriber::connect("127.0.0.1", port, o);
  auto news = strings{"news"};  // named: g++ 12 and braced temporaries in a co_await
  co_await sub.subscribe(news);
  r = co_await cmd(c, "PUBLISH", "news", "one");
  CHECK(r.integer == 1);
  auto m = co_await sub.receive();
  CHECK(m.payload == "one");
  co_await c.reconnect();
  co_await sub.reconnect();
  r = co_await cmd(c, "GET", "k");
  CHECK(r.text == "v");
  r = co_await cmd(c, "PUBLISH", "news", "two");
  CHECK(r.integer == 1);
  m = co_await sub.receive();
  CHECK(m.payload == "two");
}

void check_auth_failure(const failure& f, const std::string& reply) {
  CHECK_MESSAGE(f.code == errc::redis_auth_failed, f.code.message());
  CHECK_MESSAGE(f.what.find(reply) != std::string::npos, f.what);
  CHECK_MESSAGE(f.what.find("TLS") == std::string::npos, f.what);
  CHECK_MESSAGE(f.what.find(password) == std::string::npos, f.what);
}

asio::awaitable<void> requirepass(std::uint16_t port) {
  const auto right = with("", password, "coronet-test");
  co_await works(port, right);
  // The wrong password: Redis's WRONGPASS, as redis_auth_failed.
  const auto wrong = with("", "nope", "");
  auto f = co_await failure_of(redis::client::connect("127.0.0.1", port, wrong));
  check_auth_failure(f, "WRONGPASS");
  f = co_await failure_of(redis::subscriber::connect("127.0.0.1", port, wrong));
  check_auth_failure(f, "WRONGPASS");
  // None: the first command at connect (CLIENT SETNAME) is refused with NOAUTH.
  const auto none = with("", "", "named");
  f = co_await failure_of(redis::client::connect("127.0.0.1", port, none));
  check_auth_failure(f, "NOAUTH");
  // None and nothing to send at connect: the subscriber's first SUBSCRIBE says so.
  auto anonymous = co_await redis::subscriber::connect("127.0.0.1", port);
  auto news = strings{"news"};
  f = co_await failure_of(anonymous.subscribe(news));
  check_auth_failure(f, "NOAUTH");
  // A refused CLIENT SETNAME (a name with spaces) is a Redis error, not an auth failure.
  const auto bad_name = with("", password, "has spaces");
  f = co_await failure_of(redis::client::connect("127.0.0.1", port, bad_name));
  CHECK_MESSAGE(f.code == errc::redis_error, f.code.message());
  CHECK_MESSAGE(f.what.find("CLIENT SETNAME") != std::string::npos, f.what);
  CHECK_MESSAGE(f.what.find("TLS") == std::string::npos, f.what);
}

asio::awaitable<void> acl_user(std::uint16_t port) {
  const auto root = with("", password, "");
  auto admin = co_await redis::client::connect("127.0.0.1", port, root);
  auto r = co_await cmd(admin, "ACL", "SETUSER", "alice", "on", ">pw", "~*", "&*", "+@all");
  REQUIRE_MESSAGE(!r.is_error(), r.text);
  const auto as_alice = with("alice", "pw", "alice-client");
  co_await works(port, as_alice);
  auto alice = co_await redis::client::connect("127.0.0.1", port, as_alice);
  r = co_await cmd(alice, "ACL", "WHOAMI");
  CHECK(r.text == "alice");
  // alice's password for the default user, or another's for alice: refused.
  const auto default_user = with("", "pw", "");
  auto f = co_await failure_of(redis::client::connect("127.0.0.1", port, default_user));
  check_auth_failure(f, "WRONGPASS");
  const auto other_password = with("alice", password, "");
  f = co_await failure_of(redis::client::connect("127.0.0.1", port, other_password));
  check_auth_failure(f, "WRONGPASS");
  const auto unknown_user = with("bob", "pw", "");
  f = co_await failure_of(redis::subscriber::connect("127.0.0.1", port, unknown_user));
  check_auth_failure(f, "WRONGPASS");
}

void check_bad_url(const std::string& text, const std::string& says) {
  try {
    redis::parse_url(text);
    FAIL("accepted: " << text);
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.find(says) != std::string::npos, text << " -> " << what);
    CHECK_MESSAGE(what.find("hunter2") == std::string::npos, what);  // never echoed
  }
}

}  // namespace

TEST_SUITE("redis") {
  TEST_CASE("redis auth: --requirepass: the right password works, a wrong one or none fails") {
    redis_instance redis{{"--requirepass", password}};
    run(requirepass(redis.port()), std::chrono::seconds(30));
  }

  TEST_CASE("redis auth: an ACL user with username and password") {
    redis_instance redis{{"--requirepass", password}};
    run(acl_user(redis.port()), std::chrono::seconds(30));
  }

  TEST_CASE("redis auth: parse_url takes redis://[user[:password]@]host[:port]") {
    auto u = redis::parse_url("redis://127.0.0.1:6380");
    CHECK(u.host == "127.0.0.1");
    CHECK(u.port == 6380);
    CHECK(u.username.empty());
    CHECK(u.password.empty());
    u = redis::parse_url("redis://cache.internal");
    CHECK(u.host == "cache.internal");
    CHECK(u.port == 6379);
    u = redis::parse_url("redis://:s3cret@localhost:7000/");
    CHECK(u.host == "localhost");
    CHECK(u.port == 7000);
    CHECK(u.username.empty());
    CHECK(u.password == "s3cret");
    u = redis::parse_url("redis://alice:pw@10.0.0.5/0");
    CHECK(u.username == "alice");
    CHECK(u.password == "pw");
    CHECK(u.host == "10.0.0.5");
    u = redis::parse_url("redis://alice@h:1");  // the password from elsewhere
    CHECK(u.username == "alice");
    CHECK(u.password.empty());
    CHECK(u.port == 1);
    u = redis::parse_url("redis://[::1]:6390");
    CHECK(u.host == "::1");
    CHECK(u.port == 6390);
    u = redis::parse_url("REDIS://a%40b:p%3Aw%40%2F@h");  // percent-encoded, scheme any case
    CHECK(u.username == "a@b");
    CHECK(u.password == "p:w@/");
    CHECK(u.host == "h");

    check_bad_url("", "redis://");
    check_bad_url("127.0.0.1:6379", "redis://");
    check_bad_url("http://:hunter2@h:1", "redis://");
    check_bad_url("rediss://:hunter2@h:6380", "TLS");
    check_bad_url("redis://", "host");
    check_bad_url("redis://:hunter2@", "host");
    check_bad_url("redis://:hunter2@:6379", "host");
    check_bad_url("redis://h:", "port");
    check_bad_url("redis://h:0", "port");
    check_bad_url("redis://h:65536", "port");
    check_bad_url("redis://h:12ab", "port");
    check_bad_url("redis://h:+12", "port");
    check_bad_url("redis://[::1", "]");
    check_bad_url("redis://[::1]x", "port");
    check_bad_url("redis://h/3", "database");
    check_bad_url("redis://:hunter2@h?timeout=1", "?");
    check_bad_url("redis://:hunter2@h#x", "#");
    check_bad_url("redis://u:hunter2%zz@h", "%");
    check_bad_url("redis://u:hunter2%4@h", "%");
    check_bad_url("redis://a b@h", "space");
  }

#if defined(CLI_CHAT_SERVER_PATH)
  TEST_CASE("redis auth: chat_server --redis takes the password from CORONET_REDIS_PASSWORD") {
    redis_instance redis{{"--requirepass", password}};
    const auto where = "127.0.0.1:" + std::to_string(redis.port());
    // Without it: exits 1 saying why, without a word of TLS.
    const auto refused = run_to_end({CLI_CHAT_SERVER_PATH, "--port", "0", "--redis", where});
    CHECK(refused.code == 1);
    CHECK_MESSAGE(refused.err.find("NOAUTH") != std::string::npos, refused.err);
    CHECK_MESSAGE(refused.err.find("authentication") != std::string::npos, refused.err);
    CHECK_MESSAGE(refused.err.find("TLS") == std::string::npos, refused.err);
    // With it, in the URL form: joins, and a member joins the room.
    child_process server{{"/usr/bin/env", "CORONET_REDIS_PASSWORD=" + password,
                          CLI_CHAT_SERVER_PATH, "--port", "0", "--redis", "redis://" + where}};
    auto port = server.wait_stderr(listening, std::chrono::seconds(20));
    REQUIRE_MESSAGE(port, server.err_text);
    REQUIRE_MESSAGE(
        server.wait_stderr(std::regex{"joined the room at Redis"}, std::chrono::seconds(20)),
        server.err_text);
    CHECK_MESSAGE(server.err_text.find(password) == std::string::npos, server.err_text);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(*port)));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::send(fd, "alice\n", 6, MSG_NOSIGNAL) == 6);
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.find("* welcome, alice! online: alice\n") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    CHECK_MESSAGE(got.find("* welcome, alice! online: alice\n") != std::string::npos, got);
    // An ACL user: the name in the URL, the password in the environment.
    run([&]() -> asio::awaitable<void> {
      const auto root = with("", password, "");
      auto admin = co_await redis::client::connect("127.0.0.1", redis.port(), root);
      auto r = co_await cmd(admin, "ACL", "SETUSER", "carol", "on", ">pw2", "~*", "&*", "+@all");
      CHECK_MESSAGE(!r.is_error(), r.text);
    }());
    child_process acl{{"/usr/bin/env", "CORONET_REDIS_PASSWORD=pw2", CLI_CHAT_SERVER_PATH, "--port",
                       "0", "--node", "acl", "--redis", "redis://carol@" + where}};
    REQUIRE_MESSAGE(
        acl.wait_stderr(std::regex{"joined the room at Redis"}, std::chrono::seconds(20)),
        acl.err_text);
  }
#endif
}
