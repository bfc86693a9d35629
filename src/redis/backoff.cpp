#include "coronet/redis/backoff.hpp"

#include <algorithm>

namespace coronet::redis {

backoff::backoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
    : first_(std::max(first, std::chrono::milliseconds{1})),
      max_(std::max(max, first_)),
      step_(first_),
      random_(std::random_device{}()) {}

std::chrono::milliseconds backoff::next() {
  const auto step = step_;
  // Double for next time, without overflowing: stop at max.
  step_ = step_ > max_ / 2 ? max_ : std::min(step_ * 2, max_);
  std::uniform_int_distribution<std::chrono::milliseconds::rep> pick{step.count() / 2,
                                                                     step.count()};
  return std::chrono::milliseconds{pick(random_)};
}

void backoff::reset() noexcept {
  step_ = first_;
}

}  // namespace coronet::redis
