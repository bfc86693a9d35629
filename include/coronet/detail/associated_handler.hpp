// Completion handlers that wrap another handler (an operation's intermediate handler)
// must present the wrapped handler's associated executor, allocator and cancellation
// slot to Asio, or a caller's per-operation cancellation (with_timeout) and executor
// would be lost. One constrained specialization of asio::associator does that for every
// such wrapper in coronet: the wrapper names its inner handler's type and returns it.
#pragma once

#include <asio/associator.hpp>

#include <concepts>

namespace coronet::detail {

template <typename T>
concept wraps_handler = requires(const T& t) {
  typename T::inner_handler_type;
  { t.inner_handler() } -> std::same_as<const typename T::inner_handler_type&>;
};

}  // namespace coronet::detail

namespace asio {

template <template <typename, typename> class Associator, typename T, typename DefaultCandidate>
requires coronet::detail::wraps_handler<T>
struct associator<Associator, T, DefaultCandidate>
    : Associator<typename T::inner_handler_type, DefaultCandidate> {
  static typename Associator<typename T::inner_handler_type, DefaultCandidate>::type get(
      const T& wrapper, const DefaultCandidate& c = DefaultCandidate()) noexcept {
    return Associator<typename T::inner_handler_type, DefaultCandidate>::get(
        wrapper.inner_handler(), c);
  }
};

}  // namespace asio
