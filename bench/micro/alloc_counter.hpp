// Counts heap allocations in the benchmark binary: micro_alloc.cpp replaces the global
// operator new, so "allocations per frame" is measured, not guessed.
#pragma once

#include <cstdint>

namespace bench {

// Allocations (every form of operator new) since the program started.
std::uint64_t allocations() noexcept;

}  // namespace bench
