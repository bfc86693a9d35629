#!/usr/bin/env bash
# WebSocket echo: coronet (bench/ws_echo_server.cpp) vs Node with `ws`
# (bench/node_ws_echo_server.js), both on one thread, driven by bench/ws_loadgen.cpp.
# Two loads: 64 B x 100 connections and 16 KiB x 10, each a ping-pong per connection.
# Reports messages/s and messages per server CPU-second (utime+stime of the server
# process over the measured run, from /proc/PID/stat). Loopback only.
#
#   bench/ws_compare.sh                  # needs the release preset's build (benchmarks on)
#   SECONDS_PER_RUN=10 ROUNDS=3 bench/ws_compare.sh
#
# (Separate from compare.sh, whose table does not include WebSocket yet.)
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${BIN_DIR:-build/release/bench}"
seconds="${SECONDS_PER_RUN:-5}"
rounds="${ROUNDS:-2}"
node_modules="${CORONET_NODE_PATH:-$PWD/build/npm/node_modules}"
for exe in ws_echo_server ws_loadgen; do
  if [ ! -x "$bin/$exe" ]; then
    echo "ws_compare.sh: $bin/$exe is not built (cmake --preset release && cmake --build build/release --target ws_echo_server ws_loadgen)" >&2
    exit 1
  fi
done
if [ ! -f "$node_modules/ws/package.json" ]; then
  echo "ws_compare.sh: Node's ws is missing in $node_modules (scripts/setup.sh installs it)" >&2
  exit 1
fi

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_server NAME PORT: starts it in the background (its pid in $server_pid), then
# waits for the port to accept connections. Not run in $(...): the server would hold the
# substitution's pipe open.
start_server() {
  local name=$1 port=$2
  case "$name" in
    coronet) "$bin/ws_echo_server" "$port" 1 >/dev/null 2>&1 & ;;
    node) NODE_PATH="$node_modules" node bench/node_ws_echo_server.js "$port" >/dev/null 2>&1 & ;;
  esac
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "ws_compare.sh: $name did not listen on $port" >&2
  return 1
}

printf '%-8s %-14s %6s %12s %10s %16s\n' server load round "msgs/s" "cpu s" "msgs/cpu-s"
for load in "64 100" "16384 10"; do
  read -r size conns <<<"$load"
  for r in $(seq "$rounds"); do
    for name in coronet node; do
      port=$(free_port)
      start_server "$name" "$port"
      pid=$server_pid
      before=$(cpu_ticks "$pid")
      out=$("$bin/ws_loadgen" "$port" "$conns" "$size" "$seconds" 1)
      after=$(cpu_ticks "$pid")
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      rate=$(sed -n 's/.*rate: \([0-9]*\).*/\1/p' <<<"$out")
      msgs=$(sed -n 's/^messages: \([0-9]*\),.*/\1/p' <<<"$out")
      cpu=$(awk -v a="$after" -v b="$before" -v hz="$hz" 'BEGIN {printf "%.2f", (a - b) / hz}')
      per=$(awk -v m="$msgs" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.0f", m / c; else print "-"}')
      printf '%-8s %-14s %6s %12s %10s %16s\n' "$name" "${size}Bx${conns}" "$r" "$rate" "$cpu" "$per"
    done
  done
done
