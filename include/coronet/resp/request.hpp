// coronet::resp::request: one decoded Redis request, its arguments as views into the
// read buffer; and resp::iequals for comparing command names.
#pragma once

#include <cstddef>
#include <iterator>
#include <span>
#include <string_view>

namespace coronet::resp {

// ASCII case-insensitive comparison, for command names and options: no allocation,
// unlike lower-casing a copy.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    const auto lower = x | 0x20;  // only letters differ in bit 5 alone between cases
    if (lower != (y | 0x20) || lower < 'a' || lower > 'z') return false;
  }
  return true;
}

namespace detail {
struct slice {
  std::size_t offset;  // from the start of the request's bytes
  std::size_t size;
};
}  // namespace detail

// The arguments of one decoded request, as string_views into the read buffer. Valid
// until the next read() of the framed<> (or decode() of the codec) that produced it.
class request {
 public:
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using iterator_concept = std::random_access_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using reference = std::string_view;
    using pointer = void;

    iterator() = default;
    iterator(const char* base, const detail::slice* at) noexcept : base_(base), at_(at) {}

    std::string_view operator*() const noexcept { return {base_ + at_->offset, at_->size}; }
    std::string_view operator[](difference_type n) const noexcept { return *(*this + n); }
    iterator& operator++() noexcept { return ++at_, *this; }
    iterator operator++(int) noexcept { return {base_, at_++}; }
    iterator& operator--() noexcept { return --at_, *this; }
    iterator operator--(int) noexcept { return {base_, at_--}; }
    iterator& operator+=(difference_type n) noexcept { return at_ += n, *this; }
    iterator& operator-=(difference_type n) noexcept { return at_ -= n, *this; }
    friend iterator operator+(iterator i, difference_type n) noexcept { return i += n; }
    friend iterator operator+(difference_type n, iterator i) noexcept { return i += n; }
    friend iterator operator-(iterator i, difference_type n) noexcept { return i -= n; }
    friend difference_type operator-(iterator a, iterator b) noexcept { return a.at_ - b.at_; }
    friend bool operator==(iterator a, iterator b) noexcept { return a.at_ == b.at_; }
    friend auto operator<=>(iterator a, iterator b) noexcept { return a.at_ <=> b.at_; }

   private:
    const char* base_ = nullptr;
    const detail::slice* at_ = nullptr;
  };

  request() = default;
  request(const char* base, std::span<const detail::slice> args) noexcept
      : base_(base), args_(args) {}

  std::size_t size() const noexcept { return args_.size(); }
  bool empty() const noexcept { return args_.empty(); }
  std::string_view operator[](std::size_t i) const noexcept {
    return {base_ + args_[i].offset, args_[i].size};
  }
  // The command name as sent (compare it with resp::iequals).
  std::string_view name() const noexcept { return empty() ? std::string_view{} : (*this)[0]; }
  iterator begin() const noexcept { return {base_, args_.data()}; }
  iterator end() const noexcept { return {base_, args_.data() + args_.size()}; }

 private:
  const char* base_ = nullptr;
  std::span<const detail::slice> args_;
};

}  // namespace coronet::resp
