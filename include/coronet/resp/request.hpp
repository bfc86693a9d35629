/// @file
/// @code{.unparsed}
/// coronet::resp::request: one decoded Redis request, its arguments as views into the
/// read buffer; and resp::iequals for comparing command names.
/// @endcode
#pragma once

#include <cstddef>
#include <iterator>
#include <span>
#include <string_view>

namespace coronet::resp {

/// ASCII case-insensitive comparison, for command names and options: no allocation,
/// unlike lower-casing a copy.
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
  std::size_t offset;  ///< from the start of the request's bytes
  std::size_t size;
};
}  // namespace detail

/// The arguments of one decoded request, as string_views into the read buffer. Valid
/// until the next read() of the framed<> (or decode() of the codec) that produced it.
class request {
 public:
  /// A random-access iterator over the arguments, yielding string_views by value.
  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;  ///< Random access.
    using iterator_concept = std::random_access_iterator_tag;   ///< Random access.
    using value_type = std::string_view;                        ///< An argument.
    using difference_type = std::ptrdiff_t;                     ///< A distance in arguments.
    using reference = std::string_view;  ///< What `*it` returns: a view, by value.
    using pointer = void;                ///< None: `*it` is not an lvalue.

    /// A singular iterator.
    iterator() = default;
    /// At the argument `at` of the request whose bytes start at `base`.
    iterator(const char* base, const detail::slice* at) noexcept : base_(base), at_(at) {}

    /// The argument.
    std::string_view operator*() const noexcept { return {base_ + at_->offset, at_->size}; }
    /// The argument `n` places on.
    std::string_view operator[](difference_type n) const noexcept { return *(*this + n); }
    /// To the next argument.
    iterator& operator++() noexcept { return ++at_, *this; }
    /// To the next argument; returns the iterator as it was.
    iterator operator++(int) noexcept { return {base_, at_++}; }
    /// To the previous argument.
    iterator& operator--() noexcept { return --at_, *this; }
    /// To the previous argument; returns the iterator as it was.
    iterator operator--(int) noexcept { return {base_, at_--}; }
    /// `n` arguments on.
    iterator& operator+=(difference_type n) noexcept { return at_ += n, *this; }
    /// `n` arguments back.
    iterator& operator-=(difference_type n) noexcept { return at_ -= n, *this; }
    /// `n` arguments on from `i`.
    friend iterator operator+(iterator i, difference_type n) noexcept { return i += n; }
    /// The same, operands swapped.
    friend iterator operator+(difference_type n, iterator i) noexcept { return i += n; }
    /// `n` arguments back from `i`.
    friend iterator operator-(iterator i, difference_type n) noexcept { return i -= n; }
    /// The number of arguments from `b` to `a`.
    friend difference_type operator-(iterator a, iterator b) noexcept { return a.at_ - b.at_; }
    /// At the same argument.
    friend bool operator==(iterator a, iterator b) noexcept { return a.at_ == b.at_; }
    /// Ordered by position among the arguments.
    friend auto operator<=>(iterator a, iterator b) noexcept { return a.at_ <=> b.at_; }

   private:
    const char* base_ = nullptr;
    const detail::slice* at_ = nullptr;
  };

  /// No arguments.
  request() = default;
  /// Made by the decoder: `args` are slices of the request's bytes, which start at `base`.
  request(const char* base, std::span<const detail::slice> args) noexcept
      : base_(base), args_(args) {}

  /// The number of arguments, the command name included.
  std::size_t size() const noexcept { return args_.size(); }
  /// No arguments: a blank inline line, `*0` or `*-1`; skip it (Redis ignores those).
  bool empty() const noexcept { return args_.empty(); }
  /// Argument `i` (0 is the command name); `i` must be less than size().
  std::string_view operator[](std::size_t i) const noexcept {
    return {base_ + args_[i].offset, args_[i].size};
  }
  /// The command name as sent (compare it with resp::iequals).
  std::string_view name() const noexcept { return empty() ? std::string_view{} : (*this)[0]; }
  /// The first argument, the command name.
  iterator begin() const noexcept { return {base_, args_.data()}; }
  /// Past the last argument.
  iterator end() const noexcept { return {base_, args_.data() + args_.size()}; }

 private:
  const char* base_ = nullptr;
  std::span<const detail::slice> args_;
};

}  // namespace coronet::resp
