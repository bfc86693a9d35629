#!/usr/bin/env bash
# System calls and CPU time per echoed message, for each echo server (a profiling aid):
# where msg/CPU-s differs between servers, this says which system calls make it differ.
#
#   bench/profiling/syscalls.sh          # plain TCP, 64 B x 100 connections
#   bench/profiling/syscalls.sh --tls    # TLS: coronet raw and line, the asio::ssl floor
#   bench/profiling/syscalls.sh --tls --size 16384 --connections 10 --repeat 3 --no-build
#
# Each server runs pinned to core 0 under `coronet-loadgen --mode pingpong` pinned to
# core 1 (with --tls: --tls-ca, certificates from scripts/make-cert.sh); after a 2 s
# warm-up, `perf stat` counts the server's system calls (tracepoints
# syscalls:sys_enter_*) and its task-clock for --window seconds, and each count is
# divided by the messages echoed in that window (the loadgen's rate times the window).
# --repeat N measures the servers N times, alternated, and prints every measurement.
# Needs perf with tracepoints (root, or kernel.perf_event_paranoid <= -1).
set -euo pipefail
cd "$(dirname "$0")/../.."

size=64
connections=100
window=3
repeat=1
tls=0
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --tls) tls=1; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "syscalls.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v perf >/dev/null || { echo "syscalls.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }

bin=build/release
if [ "$build" = 1 ]; then
  targets=(echo_server coronet-loadgen asio_echo_server)
  if [ "$tls" = 1 ]; then targets+=(asio_ssl_echo_server); fi
  cmake --preset release -B "$bin" >/dev/null
  cmake --build "$bin" -j2 --target "${targets[@]}" >&2
fi
loadgen="$bin/bench/coronet-loadgen"

work=$(mktemp -d /tmp/coronet-syscalls.XXXXXX)
server=
client=
cleanup() {
  if [ -n "$client" ]; then kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true; fi
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

server_args=()
client_args=()
if [ "$tls" = 1 ]; then
  scripts/make-cert.sh "$work/certs" >/dev/null
  server_args=(--tls-cert "$work/certs/server.pem" --tls-key "$work/certs/server.key")
  client_args=(--tls-ca "$work/certs/ca.pem")
fi
calls=(recvfrom sendto recvmsg sendmsg read write readv writev epoll_wait epoll_ctl futex)
events=task-clock
for c in "${calls[@]}"; do events+=",syscalls:sys_enter_$c"; done

# measure LABEL PORT COMMAND...: one line of per-message figures.
measure() {
  local label=$1 port=$2
  shift 2
  taskset -c 0 "$@" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
  local duration
  duration=$(awk -v w="$window" 'BEGIN {print w + 4}')
  taskset -c 1 timeout 60 "$loadgen" --mode pingpong --port "$port" --size "$size" \
    --connections "$connections" --duration "$duration" --json "${client_args[@]}" \
    >"$work/load.json" &
  client=$!
  sleep 2  # connections (and handshakes) made, caches warm
  perf stat -x, -e "$events" -p "$server" -- sleep "$window" 2>"$work/perf.csv" >/dev/null
  wait "$client"
  client=
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
  python3 - "$label" "$window" "$work/load.json" "$work/perf.csv" <<'EOF'
import json, sys
label, window, load, perf = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
messages = json.load(open(load))["messages_per_s"] * window
counts, cpu_ms = {}, 0.0
for line in open(perf):
    f = line.strip().split(",")
    if len(f) < 3 or not f[0].replace(".", "").isdigit():
        continue
    if f[2] == "task-clock":
        cpu_ms = float(f[0])
    else:
        counts[f[2].replace("syscalls:sys_enter_", "")] = float(f[0])
shown = " ".join(f"{k} {v / messages:.2f}" for k, v in counts.items() if v / messages >= 0.005)
print(f"{label:28s} {cpu_ms * 1000 / messages:6.2f} us CPU/msg (core {cpu_ms / window / 10:3.0f} % busy)  {shown}")
EOF
}

echo "== per echoed message: ${size} B x ${connections} connections$([ "$tls" = 1 ] && echo ", TLS"), ${window} s windows ==" >&2
for ((i = 1; i <= repeat; i++)); do
  if [ "$tls" = 1 ]; then
    measure "asio::ssl floor" 7651 "$bin/bench/asio_ssl_echo_server" --port 7651 --threads 1 "${server_args[@]}"
    measure "coronet echo raw (TLS)" 7652 "$bin/examples/echo/echo_server" --port 7652 --framing raw "${server_args[@]}"
    measure "coronet echo line (TLS)" 7653 "$bin/examples/echo/echo_server" --port 7653 --framing line "${server_args[@]}"
  else
    measure "hand-written Asio (floor)" 7651 "$bin/bench/asio_echo_server" --port 7651 --threads 1
    measure "coronet echo raw" 7652 "$bin/examples/echo/echo_server" --port 7652 --framing raw
    measure "coronet echo line" 7653 "$bin/examples/echo/echo_server" --port 7653 --framing line
  fi
done
