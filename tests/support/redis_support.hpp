// A redis-server for the length of a test: on a free loopback port, in a temporary
// directory, without persistence; stopped by its pid whatever the test's outcome.
//
//   coronet::test::redis_instance redis;              // started and answering PING
//   auto c = co_await coronet::redis::client::connect("127.0.0.1", redis.port());
//   redis.kill();  ...  redis.start();                // the same port again
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace coronet::test {

class redis_instance {
 public:
  static constexpr const char* server_path = "/usr/bin/redis-server";

  // Starts it and waits until it answers PING; FAILs the test if redis-server is not
  // installed or does not come up.
  redis_instance() : redis_instance(std::vector<std::string>{}) {}
  // With more arguments for redis-server, e.g. {"--requirepass", "s3cret"} (a PING
  // answered with NOAUTH counts as up).
  explicit redis_instance(std::vector<std::string> extra_args)
      : extra_args_(std::move(extra_args)) {
    REQUIRE_MESSAGE(::access(server_path, X_OK) == 0,
                    "redis-server is not installed at "
                        << server_path << " (Debian: apt-get install redis-server)");
    std::string tmpl = (std::filesystem::temp_directory_path() / "coronet-redis-XXXXXX").string();
    REQUIRE_MESSAGE(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp failed");
    dir_ = tmpl;
    // A port the OS just handed out is free unless something takes it meanwhile: then
    // redis-server exits at once and another port is tried.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      if (launch()) return;
    }
    FAIL("redis-server did not start; its log:\n" << log());
  }
  ~redis_instance() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      reap();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  redis_instance(const redis_instance&) = delete;
  redis_instance& operator=(const redis_instance&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  bool running() const noexcept { return pid_ > 0; }

  // SIGTERM, then waits for it to exit (SIGKILL after 10 s).
  void stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }
  // SIGKILL, then waits for it.
  void kill() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    reap();
  }
  // Starts it again on the same port; waits until it answers PING.
  void start() {
    if (running()) return;
    // The old listener is gone; redis-server sets SO_REUSEADDR, so TIME_WAIT
    // connections on the port do not stop it. Retry briefly anyway.
    for (int attempt = 0; attempt < 20; ++attempt)
      if (launch()) return;
    FAIL("redis-server did not restart on port " << port_ << "; its log:\n" << log());
  }

  std::string log() const {
    std::ifstream in{dir_ / "redis.log"};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  static std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    REQUIRE(ok);
    return ntohs(a.sin_port);
  }

  void reap() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // Starts redis-server; true once it answers PING, false if it exited first.
  bool launch() {
    std::vector<std::string> argv{server_path, "--port",       std::to_string(port_),
                                  "--bind",    "127.0.0.1",    "--save",
                                  "",          "--appendonly", "no",
                                  "--dir",     dir_.string()};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    const std::string log_path = (dir_ / "redis.log").string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int devnull = ::open("/dev/null", O_RDONLY);
      const int logfd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(devnull, 0);
      ::dup2(logfd, 1);
      ::dup2(logfd, 2);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: port taken, or worse
        pid_ = -1;
        return false;
      }
      if (answers_ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill();
    return false;
  }

  bool answers_ping() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    bool ok = false;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
      char buf[16];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      ok = (n >= 5 && std::string(buf, 5) == "+PONG") ||
           (n >= 7 && std::string(buf, 7) == "-NOAUTH");
    }
    ::close(fd);
    return ok;
  }

  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace coronet::test
