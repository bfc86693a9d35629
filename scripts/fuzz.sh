#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time on a copy of its seed corpus; fails on
# the first crash, leak, timeout or sanitizer report. Builds nothing: scripts/test.sh
# builds the `clang` preset first, which builds the fuzzers with everything else
# (or: cmake --preset fuzz && cmake --build --preset fuzz, then FUZZ_BIN_DIR=build/fuzz/fuzz).
#
#   scripts/fuzz.sh                       # ~30 s per target
#   FUZZ_SECONDS=600 scripts/fuzz.sh fuzz_resp_codec    # one target, longer
#
# Crash inputs land in build/fuzz/artifacts/; replay one with
#   build/clang/fuzz/<target> build/fuzz/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
bin_dir="${FUZZ_BIN_DIR:-build/clang/fuzz}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_line_codec fuzz_length_prefixed_codec fuzz_resp_codec fuzz_resp_reply
           fuzz_json_channel fuzz_proxy_header fuzz_http_request_head fuzz_http_response_head
           fuzz_websocket_frame)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p build/fuzz/artifacts

for t in "${targets[@]}"; do
  if [ ! -x "$bin_dir/$t" ]; then
    echo "fuzz.sh: $bin_dir/$t is not built (cmake --build --preset clang)" >&2
    exit 1
  fi
  # A copy: what the fuzzer adds to its corpus must not dirty the checked-in seeds.
  mkdir -p "$work/$t"
  cp fuzz/corpus/"$t"/* "$work/$t"/
  echo "== fuzz: $t for ${seconds}s ==" >&2
  # -rss_limit_mb and -timeout turn runaway memory or a hang into a failure too.
  if ! "$bin_dir/$t" "$work/$t" -max_total_time="$seconds" -max_len=4096 \
       -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix=build/fuzz/artifacts/ >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log" >&2
    echo "fuzz.sh: $t FAILED; the input is in build/fuzz/artifacts/" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$work/$t.log" \
    | sed "s/^/  $t: /" >&2 || true
  echo "  $t: corpus $(ls "$work/$t" | wc -l) inputs, no crash" >&2
done
