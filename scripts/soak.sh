#!/usr/bin/env bash
# Soak test, outside CI: runs echo_server under steady mixed load (pipelined messages
# over 100 connections, bursts of 2000 short-lived connections) for a few minutes and
# samples the server's RSS from /proc every second. Prints every sample, then the
# first/last/max figures, and fails if the RSS of the last minute is more than
# SOAK_MAX_GROWTH_PCT (default 25) % above that of the first minute after warm-up.
#
#   scripts/soak.sh                        # 180 s on build/dev (ASan: RSS is inflated)
#   BUILD_DIR=build/release SOAK_SECONDS=600 scripts/soak.sh
#
# Needs a build with examples and tests (for stress_client): cmake --workflow --preset dev
set -euo pipefail
cd "$(dirname "$0")/.."

build="${BUILD_DIR:-build/dev}"
seconds="${SOAK_SECONDS:-180}"
max_growth="${SOAK_MAX_GROWTH_PCT:-25}"
server_bin="$build/examples/echo/echo_server"
client_bin="$build/tests/stress_client"
for b in "$server_bin" "$client_bin"; do
  [ -x "$b" ] || { echo "soak.sh: $b not built" >&2; exit 1; }
done

ulimit -n "$(ulimit -Hn)"
# Under ASan the default 256 MiB quarantine of freed memory fills first and would be
# read as growth; a small one keeps the samples about the server's own memory.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"
log="$(mktemp)"
samples="$(mktemp)"
"$server_bin" --port 0 --framing line 2>"$log" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -f "$log" "$samples"
}
trap cleanup EXIT
for _ in $(seq 100); do
  port="$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$log" | grep -oE '[0-9]+$' || true)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "soak.sh: echo_server did not start" >&2; exit 1; }
echo "soak: echo_server pid $server port $port, ${seconds}s" >&2

# Load in the background: alternate a pipelined run and a connection burst.
(
  while true; do
    "$client_bin" --port "$port" --mode pipeline --connections 100 --messages 200000 >/dev/null
    "$client_bin" --port "$port" --mode hold --connections 2000 >/dev/null
  done
) &
load=$!
trap 'kill "$load" 2>/dev/null || true; cleanup' EXIT

start=$(date +%s)
while [ $(( $(date +%s) - start )) -lt "$seconds" ]; do
  rss_kb="$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")"
  t=$(( $(date +%s) - start ))
  echo "$t $rss_kb" >>"$samples"
  echo "t=${t}s rss=${rss_kb} kB"
  sleep 1
done
kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true

# Warm-up: the first 20 s (allocator pools, ASan quarantine) are not counted.
awk -v total="$seconds" -v max_growth="$max_growth" '
  { t = $1; r = $2; if (r > peak) peak = r; last = r }
  t >= 20 && t < 80 { early += r; ne++ }
  t >= total - 60   { late += r;  nl++ }
  END {
    e = early / (ne ? ne : 1); l = late / (nl ? nl : 1)
    growth = (l - e) * 100 / (e ? e : 1)
    printf "soak: early avg %.0f kB, late avg %.0f kB, peak %d kB, last %d kB, growth %.1f%%\n", e, l, peak, last, growth
    exit growth > max_growth ? 1 : 0
  }' "$samples"
