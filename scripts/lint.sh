#!/usr/bin/env bash
# Style and static checks, run by scripts/test.sh after the clang build:
#   1. clang-format: fails on any C++ file it would change (fix: scripts/lint.sh --fix);
#   2. clang-tidy (the repository's .clang-tidy) on src/ and, through its header filter,
#      include/coronet/: fails on any finding. A finding that is wrong gets a NOLINT with
#      the reason next to it, never a silent pass.
# Needs a clang build's compile_commands.json: build/clang (cmake --preset clang), or the
# directory in LINT_BUILD_DIR (scripts/test.sh: build/uring).
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${sources[@]}"
  exit 0
fi

echo "lint: clang-format on ${#sources[@]} files" >&2
clang-format --dry-run --Werror "${sources[@]}"

db="${LINT_BUILD_DIR:-build/clang}"
if [ ! -f "$db/compile_commands.json" ]; then
  echo "lint: $db/compile_commands.json missing (cmake --preset clang, or set LINT_BUILD_DIR)" >&2
  exit 1
fi
mapfile -t units < <(git ls-files 'src/*.cpp')
echo "lint: clang-tidy on ${#units[@]} files of src/ (and the headers they include)" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
printf '%s\n' "${units[@]}" |
  xargs -P "$(nproc)" -n 1 clang-tidy -p "$db" --quiet 2>/dev/null >"$log" || true
if grep -E "(warning|error):" "$log" >/dev/null; then
  grep -E -A3 "(warning|error):" "$log" >&2
  echo "lint: clang-tidy findings above" >&2
  exit 1
fi
echo "lint: clean" >&2
