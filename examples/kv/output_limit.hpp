// kv::options and the output limit: how much reply one client may make the server hold.
//
// A reply is built in memory before it is sent (a command runs under its shards' locks
// and cannot wait for the peer half way), so without a bound one request can demand
// gigabytes: `MGET big big ... big` (1500 times a 1 MiB value) is 1.5 GB of reply to a
// 40 KB request. limited_output stops producing as soon as the client's queued output
// would pass options::max_output, and serve_framed() then closes the connection without
// sending anything more, as Redis does with a client over its
// client-output-buffer-limit.
#pragma once

#include <coronet/resp/resp_codec.hpp>

#include <cstddef>
#include <string_view>

namespace kv {

class server_info;  // commands/info.hpp

struct options {
  // Security: the most reply bytes one client may have queued, the reply being built
  // included. A command whose reply would pass it is not answered: the connection is
  // closed and the event logged. It must hold the largest legitimate reply: 128 MiB is
  // two of the largest values resp_options::max_bulk lets a client store (as the read
  // side allows max_request, 2 x max_bulk, per connection).
  std::size_t max_output = std::size_t{128} * 1024 * 1024;
  // What INFO reports about the server (connections, traffic, commands; commands/info.hpp). Null:
  // only the process's own figures, the server's reading 0. Must outlive the connections.
  const server_info* info = nullptr;
};

// Logs (to stderr) that a client was closed for passing max_output while `command` ran.
void log_output_limit(std::string_view command, std::size_t max_output);

// A reply sink over `Out` (a framed<resp_codec, S>) that refuses, from the first value
// that would take the queued output past `limit`, this and every later value.
template <typename Out>
class limited_output {
 public:
  limited_output(Out& out, std::size_t limit) noexcept : out_(out), limit_(limit) {}

  template <typename T>
  void write(const T& value) {
    if (exceeded_) return;
    if (out_.queued_bytes() + encoded_size_bound(value) > limit_) {
      exceeded_ = true;
      return;
    }
    out_.write(value);
  }
  bool exceeded() const noexcept { return exceeded_; }

 private:
  // An upper bound of each value's RESP encoding: type byte, up to 20 digits, CRLFs.
  static constexpr std::size_t framing = 32;
  static std::size_t encoded_size_bound(const coronet::resp::bulk& b) noexcept {
    return b.data.size() + framing;
  }
  static std::size_t encoded_size_bound(const coronet::resp::simple& s) noexcept {
    return s.text.size() + framing;
  }
  static std::size_t encoded_size_bound(const coronet::resp::error& e) noexcept {
    return e.text.size() + framing;
  }
  static std::size_t encoded_size_bound(coronet::resp::integer) noexcept { return framing; }
  static std::size_t encoded_size_bound(coronet::resp::null_bulk) noexcept { return framing; }
  static std::size_t encoded_size_bound(coronet::resp::array_header) noexcept { return framing; }

  Out& out_;
  std::size_t limit_;
  bool exceeded_ = false;
};

}  // namespace kv
