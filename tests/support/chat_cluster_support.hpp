// The cluster tests' shared pieces (test_chat_cluster*.cpp): chat_server --redis
// instances started as processes, and members over plain sockets speaking JSON or text,
// as nc and chat_client do. Waits poll the socket; nothing sleeps.
#pragma once

#include "process.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(CLI_CHAT_SERVER_PATH)

namespace coronet::test::chat_cluster {

using namespace std::chrono_literals;
using coronet::test::child_process;
using coronet::test::listening;

inline std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a{io, {asio::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

// One chat member over a plain socket: sends lines, and waits (by polling the socket,
// never sleeping) for a line matching a pattern.
class member {
 public:
  // From `source` (another loopback address, such as "127.0.0.2", is another client
  // address for per-address limits), or the default one.
  explicit member(std::uint16_t port, const char* source = nullptr) : source_(source) {
    fd_ = open_socket();
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A proxy in front may still be starting: retry for a while.
    for (int attempt = 0; ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
         ++attempt) {
      if (attempt == 100) throw std::runtime_error("cannot connect to the chat server");
      ::close(fd_);
      ::usleep(50'000);
      fd_ = open_socket();
    }
  }
  member(const member&) = delete;
  member& operator=(const member&) = delete;
  ~member() { ::close(fd_); }

  void send(const std::string& line) {
    const std::string data = line + "\n";
    std::size_t at = 0;
    while (at < data.size()) {
      const auto n = ::send(fd_, data.data() + at, data.size() - at, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      at += static_cast<std::size_t>(n);
    }
  }

  // The first line not yet consumed that matches `pattern` (earlier lines that do not
  // match stay available to later waits), or nullopt after `timeout`.
  std::optional<std::string> wait(const std::string& pattern,
                                  std::chrono::milliseconds timeout = 10s) {
    const std::regex re{pattern};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (std::size_t i = 0; i < lines_.size(); ++i) {
        if (std::regex_search(lines_[i], re)) {
          auto found = lines_[i];
          lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(i));
          return found;
        }
      }
      if (!pump(deadline)) {
        std::string seen;
        for (const auto& l : lines_)
          seen += "\n  " + l;
        MESSAGE("no line matched ", pattern, " within the timeout; unmatched lines:", seen);
        return std::nullopt;
      }
    }
  }

  // Every line received so far (within `settle` of quiet), consumed.
  std::vector<std::string> drain(std::chrono::milliseconds settle = 300ms) {
    while (pump(std::chrono::steady_clock::now() + settle)) {
    }
    auto out = std::move(lines_);
    lines_.clear();
    return out;
  }

  bool closed() const noexcept { return eof_; }

  std::uint16_t local_port() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }

 private:
  int open_socket() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source_ != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source_, &from.sin_addr);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
        throw std::runtime_error(std::string{"cannot bind to "} + source_);
    }
    return fd;
  }

  bool pump(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    partial_.append(buf, static_cast<std::size_t>(n));
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
      lines_.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
    return true;
  }

  const char* source_ = nullptr;
  int fd_ = -1;
  std::string partial_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

// A chat_server in the cluster of the Redis on `redis_port`.
struct instance {
  instance(std::uint16_t redis_port, const std::string& node, std::vector<std::string> extra = {})
      : process{args(redis_port, node, std::move(extra))} {
    auto p = process.wait_stderr(listening, 20s);
    REQUIRE_MESSAGE(p, process.err_text);
    port = static_cast<std::uint16_t>(std::stoi(*p));
    REQUIRE(process.wait_stderr(std::regex{"joined the room at Redis"}, 20s));
  }
  static std::vector<std::string> args(std::uint16_t redis_port, const std::string& node,
                                       std::vector<std::string> extra) {
    std::vector<std::string> a{CLI_CHAT_SERVER_PATH,
                               "--port",
                               "0",
                               "--redis",
                               "127.0.0.1:" + std::to_string(redis_port),
                               "--node",
                               node};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  child_process process;
  std::uint16_t port = 0;
};

inline std::string join_json(const std::string& name) {
  return R"({"type":"join","name":")" + name + R"("})";
}
inline std::string say_json(const std::string& text) {
  return R"({"type":"say","text":")" + text + R"("})";
}

}  // namespace coronet::test::chat_cluster

#endif  // CLI_CHAT_SERVER_PATH
