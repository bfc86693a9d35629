#!/usr/bin/env bash
# Connections accepted per second by echo_server with two worker threads: one acceptor
# that deals connections round robin (the default) against one listener per worker
# (--reuse-port, SO_REUSEPORT). Each client connection: connect, one 64 B echo, close
# (coronet-loadgen --mode handshake over plain TCP). Rounds alternate the two servers so
# that the machine's noise hits both alike; prints the medians and their ratio.
#
#   bench/comparisons/accept_rate.sh [--rounds N] [--duration S] [--no-build]
#
# Loopback only; every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=5
duration=3
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "accept_rate.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bin=build/release
if [ "$build" = 1 ]; then
  cmake --preset release -B "$bin" >/dev/null
  cmake --build "$bin" -j2 --target echo_server coronet-loadgen >&2
fi

pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
work=$(mktemp -d /tmp/coronet-accept.XXXXXX)

# One round against one server: prints connections per second.
measure() {
  local log="$work/server.log"
  "$bin/examples/echo/echo_server" --port 0 --framing raw --threads 2 "$@" 2>"$log" &
  pid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "accept_rate.sh: echo_server did not start" >&2; exit 1; }
  "$bin/bench/coronet-loadgen" --mode handshake --port "$port" --connections 20 \
    --size 64 --duration "$duration" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["connections_per_s"])'
  kill -TERM "$pid"
  wait "$pid" || true
  pid=""
}

: >"$work/one" ; : >"$work/per_worker"
for r in $(seq "$rounds"); do
  measure >>"$work/one"
  measure --reuse-port >>"$work/per_worker"
  echo "round $r: one acceptor $(tail -1 "$work/one")/s, per worker $(tail -1 "$work/per_worker")/s" >&2
done
python3 - "$work/one" "$work/per_worker" <<'PY'
import statistics, sys
one = [float(x) for x in open(sys.argv[1])]
per = [float(x) for x in open(sys.argv[2])]
m1, m2 = statistics.median(one), statistics.median(per)
print("| listeners (threads = 2) | connections/s (median of %d) | ratio |" % len(one))
print("|---|---:|---:|")
print("| one acceptor, dealt round robin | %.0f | 1.00 |" % m1)
print("| one per worker (`reuse_port`) | %.0f | %.2f |" % (m2, m2 / m1))
PY
rm -rf "$work"
