// The read buffer behind framed<>: one contiguous block holding unconsumed bytes at
// [begin, end). Frames are views into it, so it only moves bytes (compacts) when the
// caller asks for more room, never while a frame handed out may still be in use.
#pragma once

#include <asio/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

namespace coronet::detail {

class read_buffer {
 public:
  std::span<const char> data() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  std::size_t capacity() const noexcept { return capacity_; }

  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;  // free compaction: nothing left to move
  }

  // Space to read into. `needed` is the total size the current frame needs (0 if
  // unknown: then at least one more byte); the caller has already checked it against
  // the codec's limit, `max_capacity`.
  //
  // Security: the buffer grows as bytes arrive (doubling when full), not to `needed` at
  // once: a header announcing a 64 MiB frame reserves nothing until the peer has
  // actually sent that much, so a few bytes cannot make the server reserve memory.
  asio::mutable_buffer prepare(std::size_t needed, std::size_t initial, std::size_t max_capacity) {
    const std::size_t want = std::max(needed, size() + 1);
    if (capacity_ < initial) {
      grow(std::max(initial, size() + 1));
    } else if (begin_ > 0 && (begin_ + want > capacity_ || capacity_ - end_ < capacity_ / 4)) {
      // Move the partial frame to the front so the next read can be large.
      std::memmove(data_.get(), data_.get() + begin_, size());
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == capacity_) grow(std::max(size() + 1, std::min(capacity_ * 2, max_capacity)));
    return asio::buffer(data_.get() + end_, capacity_ - end_);
  }

  void commit(std::size_t n) noexcept { end_ += n; }

  // Gives back a buffer that grew past `keep` for one large frame, once it is empty,
  // so one big message does not pin memory for the rest of the connection.
  void shrink(std::size_t keep) noexcept {
    if (empty() && capacity_ > keep) {
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  void grow(std::size_t capacity) {
    // NOLINTNEXTLINE(modernize-avoid-c-arrays): runtime-sized and left uninitialised
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (!empty()) std::memcpy(bigger.get(), data_.get() + begin_, size());
    end_ -= begin_;
    begin_ = 0;
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;  // NOLINT(modernize-avoid-c-arrays): as in grow()
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace coronet::detail
