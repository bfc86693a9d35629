#!/usr/bin/env bash
# The whole test suite: installs what is missing, then
#   1. builds the whole tree with clang 14 on io_uring (the `uring` preset: library,
#      examples, tests, benchmarks and the libFuzzer targets, CORONET_IO_URING, warnings
#      as errors), runs each fuzzer for FUZZ_SECONDS (default 30) on a copy of its seed
#      corpus (scripts/fuzz.sh), checks style and clang-tidy findings (scripts/lint.sh),
#      and runs the core, framing and WebSocket tests on the io_uring back end; one
#      clang build serves all four, and the epoll back end is what steps 2 and 3 test,
#   2. runs the multi-threaded tests under ThreadSanitizer,
#   3. builds everything under ASan + UBSan with warnings as errors and runs every test,
#   4. builds the Debian packages (scripts/package.sh) and builds and runs programs
#      against them with g++ and clang++, static and shared, through find_package and
#      pkg-config (tests/package/consume_deb.sh).
# Before all of it, the API reference (scripts/apidocs.sh): anything public left
# undocumented fails the run.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

source scripts/ccache_env.sh
jobs=$(nproc)

echo "== API reference (Doxygen; undocumented public entities fail) ==" >&2
scripts/apidocs.sh

echo "== clang 14 build of the whole tree, on io_uring ==" >&2
cmake --preset uring >/dev/null
cmake --build --preset uring -j "$jobs"
LINT_BUILD_DIR=build/uring scripts/lint.sh
FUZZ_BIN_DIR=build/uring/fuzz scripts/fuzz.sh
# The io_uring tests need a kernel that allows io_uring (a container's seccomp profile or
# the sysctl kernel.io_uring_disabled may refuse it): asked first, and said loudly if not.
if python3 - <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
fd = libc.syscall(425, 8, params)  # io_uring_setup (x86-64 and AArch64 alike)
if fd < 0:
    print("io_uring_setup: " + os.strerror(ctypes.get_errno()), file=sys.stderr)
    sys.exit(1)
os.close(fd)
PY
then
  echo "== io_uring: core, framing, WebSocket, TLS and program tests ==" >&2
  ctest --preset uring
else
  echo "== io_uring: THIS KERNEL REFUSES io_uring; the io_uring build is built and linted but its tests are not run ==" >&2
fi

echo "== ThreadSanitizer: multi-threaded tests ==" >&2
cmake --workflow --preset tsan

echo "== AddressSanitizer + UBSan: every test ==" >&2
cmake --workflow --preset dev

echo "== Debian packages, and programs built against them ==" >&2
scripts/package.sh
tests/package/consume_deb.sh
