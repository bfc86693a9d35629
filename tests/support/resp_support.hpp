// The RESP codec tests' shared pieces: requests decoded into plain argument lists, by the
// codec alone or through framed<> over a scripted stream delivering chosen chunks.
#pragma once

#include "script_stream.hpp"
#include "support.hpp"

#include <coronet/framing/framed.hpp>
#include <coronet/resp/resp_codec.hpp>

#include <string>
#include <vector>

namespace coronet::test::resp_support {

using args = std::vector<std::string>;

inline args to_args(const resp::request& r) {
  return {r.begin(), r.end()};
}

// Feeds `input` to `codec` as framed<> does, all of it at once; collects the requests
// (copied) until the codec needs more or fails.
inline decode_status decode_all(resp_codec& codec, std::string_view input, std::vector<args>& out,
                                std::error_code* error = nullptr) {
  std::size_t at = 0;
  for (;;) {
    auto r = codec.decode(std::span<const char>(input.data() + at, input.size() - at));
    if (r.status == decode_status::ready) {
      out.push_back(to_args(r.frame));
      at += r.consumed;
      continue;
    }
    if (r.status == decode_status::fail && error != nullptr) *error = r.error;
    return r.status;
  }
}

// One decode() of `input` by a fresh codec: what it said, without the frame (which
// would point into the codec's argument table).
struct answer {
  decode_status status;
  std::error_code error;
  std::size_t needed;
};
inline answer decode_once(std::string_view input, resp_options o = {}) {
  resp_codec codec{o};
  auto r = codec.decode({input.data(), input.size()});
  return {r.status, r.error, r.needed};
}

inline asio::awaitable<void> collect(framed<resp_codec, script_stream>* f, std::vector<args>* out,
                                     std::error_code* error) {
  try {
    while (auto r = co_await f->read())
      out->push_back(to_args(*r));
  } catch (const std::system_error& e) {
    *error = e.code();
  }
}

struct decoded {
  std::vector<args> requests;
  std::error_code error;
  std::size_t reads = 0;
  std::string detail;
};

// Reads `chunks` through framed<> until EOF or an error.
inline decoded decode_chunks(std::vector<std::string> chunks, resp_options o = {},
                             framed_options fo = {}) {
  asio::io_context io;
  framed<resp_codec, script_stream> f{script_stream{io.get_executor(), std::move(chunks)},
                                      resp_codec{o}, fo};
  decoded d;
  asio::co_spawn(io, collect(&f, &d.requests, &d.error), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run_for(std::chrono::seconds(20));
  d.reads = f.read_count();
  d.detail = f.codec().error_detail();
  return d;
}

}  // namespace coronet::test::resp_support
