// The kv tests' shared pieces: kv's connection loop over a scripted stream (replies
// compared byte for byte), the same handler on a real socket, and a shell for redis-cli.
#pragma once

#include "script_stream.hpp"
#include "support.hpp"

#include <kv.hpp>

#include <coronet/framing/framed.hpp>
#include <coronet/resp/resp_codec.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

namespace coronet::test::kv_support {

struct served {
  std::string written;
  std::size_t writes = 0;
  std::size_t reads = 0;
};

// Runs kv's connection loop over a scripted stream delivering `chunks`.
inline served serve_script(kv::store& db, std::vector<std::string> chunks,
                           framed_options options = {}, kv::options kv_options = {}) {
  asio::io_context io;
  framed<resp_codec, script_stream> f{script_stream{io.get_executor(), std::move(chunks)},
                                      resp_codec{}, options};
  bool done = false;
  asio::co_spawn(io, kv::serve_framed(&f, &db, kv_options), [&done](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run_for(std::chrono::seconds(20));
  REQUIRE_MESSAGE(done, "kv::serve_framed did not finish");
  return {f.stream().written, f.write_count(), f.read_count()};
}

inline std::string command(std::initializer_list<std::string_view> args) {
  std::string out;
  resp_codec{}.encode(resp::command{args}, out);
  return out;
}

inline std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

struct exchange {
  std::string request;  // inline form; or raw RESP when it starts with '*'
  std::string reply;
};

// Sends all requests in one chunk; expects exactly the concatenated replies.
inline void check_exchanges(const std::vector<exchange>& script) {
  kv::store db;
  std::string in, want;
  for (const auto& e : script) {
    in += e.request.starts_with("*") ? e.request : e.request + "\r\n";
    want += e.reply;
  }
  auto got = serve_script(db, {in});
  // Compare reply by reply so a failure names the command.
  std::size_t at = 0;
  for (const auto& e : script) {
    CAPTURE(e.request);
    REQUIRE(got.written.size() >= at);
    CHECK(got.written.substr(at, e.reply.size()) == e.reply);
    at += e.reply.size();
  }
  CHECK(got.written == want);
}

// `MGET key key ... key` (n times), inline.
inline std::string mget_inline(std::string_view key, int n) {
  std::string line = "MGET";
  for (int i = 0; i < n; ++i)
    (line += ' ') += key;
  return line + "\r\n";
}

struct run_result {
  int status = -1;
  std::string output;
};

// Runs a shell command, returning its exit status and output (stdout and stderr).
inline run_result shell(const std::string& cmd) {
  run_result r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// An in-process kv server on 127.0.0.1, any free port.
struct kv_fixture {
  explicit kv_fixture(std::size_t threads = 1, kv::options opt = {})
      : srv{[this, opt](connection c) { return kv::serve(std::move(c), &db, opt); },
            {.threads = threads}} {}

  std::uint16_t port() const { return srv.port(); }
  std::string cli() const {
    // `timeout` bounds the test even if the server never answered.
    return "timeout 20 redis-cli -h 127.0.0.1 -p " + std::to_string(port()) + " ";
  }

  kv::store db;
  running_server srv;
};

}  // namespace coronet::test::kv_support
