// Runs the example programs from tests: start a child with pipes, feed its stdin, read
// its output, signal it, wait for it, all bounded in time.
#pragma once

#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace coronet::test {

using namespace std::chrono_literals;

// The lines of `text`, without their '\n'.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// What the example servers print on stderr once they listen; the group is the port.
inline const std::regex listening{R"(listening on 127\.0\.0\.1:(\d+))"};

// The number after "`name`: " in a program's report (stress_client's "verified: 10000"),
// or an empty string.
inline std::string output_field(const std::string& text, const std::string& name) {
  std::smatch m;
  const std::regex re{name + R"(: (\d+))"};
  return std::regex_search(text, m, re) ? m[1].str() : std::string{};
}

class child_process {
 public:
  explicit child_process(std::vector<std::string> argv) {
    int in[2], out[2], err[2];
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
        close(fd);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    for (int fd : {stdin_, stdout_, stderr_})
      if (fd >= 0) close(fd);
  }

  void write_stdin(const std::string& text) {
    std::size_t at = 0;
    while (at < text.size()) {
      auto n = ::write(stdin_, text.data() + at, text.size() - at);
      if (n <= 0) throw std::runtime_error("write to child stdin failed");
      at += static_cast<std::size_t>(n);
    }
  }
  void close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

  // Reads stderr (stdout) until `pattern` matches what was read; returns the first
  // capture group (or the whole match), or nullopt after `timeout`.
  std::optional<std::string> wait_stderr(const std::regex& pattern,
                                         std::chrono::milliseconds timeout) {
    return wait_for(err_text, pattern, timeout);
  }
  std::optional<std::string> wait_stdout(const std::regex& pattern,
                                         std::chrono::milliseconds timeout) {
    return wait_for(out_text, pattern, timeout);
  }

  void signal(int sig) { ::kill(pid_, sig); }

  // Collects output until the child exits; returns its exit code, or nullopt (and kills
  // it) after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pump(deadline)) {
    }
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      usleep(10'000);
    }
    return std::nullopt;
  }

  std::string out_text;
  std::string err_text;

 private:
  std::optional<std::string> wait_for(const std::string& text, const std::regex& pattern,
                                      std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::smatch m;
    while (!std::regex_search(text, m, pattern)) {
      if (!pump(deadline)) return std::nullopt;
    }
    return m.size() > 1 ? m[1].str() : m[0].str();
  }

  // Reads what is available on stdout/stderr; false once both are closed or the
  // deadline passed.
  bool pump(std::chrono::steady_clock::time_point deadline) {
    if (stdout_ < 0 && stderr_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? stdout_ : stderr_;
      if (fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) {
        close(fd);
        fd = -1;
      } else {
        (i == 0 ? out_text : err_text).append(buf, static_cast<std::size_t>(n));
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  std::optional<int> exit_code_;
};

// Runs a program to its end with stdin closed; fails the test if it does not exit in
// time.
struct finished {
  int code = -1;
  std::string out, err;
};

inline finished run_to_end(std::vector<std::string> argv, std::chrono::milliseconds limit = 20s) {
  child_process p{std::move(argv)};
  p.close_stdin();
  auto code = p.wait(limit);
  REQUIRE_MESSAGE(code, "did not exit in time; stderr: " << p.err_text);
  return {*code, p.out_text, p.err_text};
}

}  // namespace coronet::test
