// A scripted in-memory Asio stream for framing tests: reads deliver the given chunks
// one by one (a chunk larger than the read buffer is split), then EOF; writes are
// recorded and counted. Lets codec and framed tests run every chunking without sockets.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>

#include <string>
#include <vector>

namespace coronet::test {

class script_stream {
 public:
  using executor_type = asio::any_io_executor;

  script_stream(executor_type ex, std::vector<std::string> chunks)
      : ex_(std::move(ex)), chunks_(std::move(chunks)) {}

  executor_type get_executor() const { return ex_; }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          std::error_code ec;
          std::size_t n = 0;
          ++reads;
          if (!open_) {
            ec = asio::error::bad_descriptor;
          } else if (next_ == chunks_.size()) {
            ec = asio::error::eof;
          } else {
            const std::string& chunk = chunks_[next_];
            n = asio::buffer_copy(b, asio::buffer(chunk.data() + offset_, chunk.size() - offset_));
            offset_ += n;
            if (offset_ == chunk.size()) {
              ++next_;
              offset_ = 0;
            }
          }
          asio::post(ex_, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          std::error_code ec;
          std::size_t n = 0;
          ++writes;
          if (!open_) {
            ec = asio::error::bad_descriptor;
          } else {
            for (auto it = asio::buffer_sequence_begin(b); it != asio::buffer_sequence_end(b);
                 ++it) {
              asio::const_buffer cb = *it;
              written.append(static_cast<const char*>(cb.data()), cb.size());
              n += cb.size();
            }
          }
          asio::post(ex_, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
        },
        token, buffers);
  }

  void close(std::error_code& ec) {
    open_ = false;
    ec = {};
  }
  bool is_open() const { return open_; }

  std::string written;
  std::size_t reads = 0;
  std::size_t writes = 0;

 private:
  executor_type ex_;
  std::vector<std::string> chunks_;
  std::size_t next_ = 0;
  std::size_t offset_ = 0;
  bool open_ = true;
};

}  // namespace coronet::test
