#!/usr/bin/env bash
# User-space instructions per echoed message, for each echo server (a profiling aid).
# Unlike msg/s and msg/CPU-s this figure does not move with the machine's load:
# it counts the instructions a server executes in user space (callgrind), divided by the
# messages echoed in the same window. Kernel time is not in it; see docs/benchmarks.md.
#
#   bench/profiling/instructions.sh        # 64 B x 100 connections, 4 s per server
#   bench/profiling/instructions.sh --size 16384 --connections 10 --no-build
#
# Each server runs under valgrind on 127.0.0.1; the load comes from coronet-loadgen.
# Counting starts after a 1 s warm-up (callgrind_control -z) and stops with a dump.
set -euo pipefail
cd "$(dirname "$0")/../.."

size=64
connections=100
duration=4
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "instructions.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh valgrind
bin=build/release
if [ "$build" = 1 ]; then
  cmake --preset release -B "$bin" >/dev/null
  cmake --build "$bin" -j2 --target echo_server coronet-loadgen asio_echo_server >&2
fi
loadgen="$bin/bench/coronet-loadgen"

work=$(mktemp -d /tmp/coronet-instructions.XXXXXX)
vg_pid=
cleanup() {
  if [ -n "$vg_pid" ]; then kill -9 "$vg_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# measure LABEL NAME PORT COMMAND...: prints "LABEL instructions/message messages".
measure() {
  local label=$1 name=$2 port=$3
  shift 3
  valgrind --tool=callgrind --callgrind-out-file="$work/$name.%p" "$@" >/dev/null 2>&1 &
  vg_pid=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.2
  done
  local load=(--mode pingpong --port "$port" --size "$size" --connections "$connections")
  "$loadgen" "${load[@]}" --duration 1 >/dev/null  # warm-up: connections, buffers, caches
  callgrind_control -z "$vg_pid" >/dev/null 2>&1
  local json
  json=$("$loadgen" "${load[@]}" --duration "$duration" --json)
  callgrind_control -d "$vg_pid" >/dev/null 2>&1
  kill -9 "$vg_pid" 2>/dev/null || true
  wait "$vg_pid" 2>/dev/null || true
  vg_pid=
  local dump instructions messages
  dump=$(ls "$work/$name".*.1)
  instructions=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  messages=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["messages"])' "$json")
  printf '%-26s %8d instructions/message  (%d messages)\n' "$label" \
    "$((instructions / messages))" "$messages"
}

echo "== user-space instructions per echoed message: ${size} B x ${connections} connections ==" >&2
measure "hand-written Asio (floor)" asio 7601 "$bin/bench/asio_echo_server" --port 7601 --threads 1
measure "coronet echo raw" raw 7602 "$bin/examples/echo/echo_server" --port 7602 --framing raw
measure "coronet echo line" line 7603 "$bin/examples/echo/echo_server" --port 7603 --framing line
measure "coronet echo length" length 7604 "$bin/examples/echo/echo_server" --port 7604 --framing length
