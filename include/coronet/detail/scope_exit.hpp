// detail::scope_exit: runs a function on every way out of a scope, exceptions and
// coroutine destruction included.
//
//   state.writing = true;
//   scope_exit done{[&state] { state.writing = false; state.wake.notify(); }};
#pragma once

#include <type_traits>
#include <utility>

namespace coronet::detail {

template <typename F>
class scope_exit {
 public:
  explicit scope_exit(F f) noexcept(std::is_nothrow_move_constructible_v<F>) : f_(std::move(f)) {}
  scope_exit(const scope_exit&) = delete;
  scope_exit& operator=(const scope_exit&) = delete;
  ~scope_exit() { f_(); }

 private:
  F f_;
};

template <typename F>
scope_exit(F) -> scope_exit<F>;

}  // namespace coronet::detail
