// What the command files share: a request's arguments as a range, and the reply for a
// number that is not one.
#pragma once

#include <coronet/resp/resp_codec.hpp>

#include <cstddef>

namespace kv::detail {

namespace resp = coronet::resp;

template <typename Out>
void not_integer(Out& out) {
  out.write(resp::error{"ERR value is not an integer or out of range"});
}

// Arguments 1..n of a request, as a range of string_view.
// The arguments from `first` on. A plain pair of iterators rather than
// std::ranges::subrange, which clang 14 cannot instantiate with libstdc++ 12's ranges.
struct arg_range {
  resp::request::iterator first;
  resp::request::iterator last;
  resp::request::iterator begin() const noexcept { return first; }
  resp::request::iterator end() const noexcept { return last; }
};
inline arg_range args_from(const resp::request& req, std::size_t first) {
  return {req.begin() + static_cast<std::ptrdiff_t>(first), req.end()};
}

}  // namespace kv::detail
