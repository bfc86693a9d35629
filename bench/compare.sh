#!/usr/bin/env bash
# Side-by-side benchmarks: coronet against the servers users would pick
# instead, in one run, alternating servers round by round so that the noise of this
# small shared machine hits every server alike.
#
#   bench/compare.sh            # full run, about 7-10 minutes
#   bench/compare.sh --quick    # about 2 minutes: one round, short loads
#   bench/compare.sh --rounds 5 --kv-rounds 3 --duration 4 --no-build
#
# Writes docs/benchmarks.md (tables: medians and ratios) and docs/benchmarks.png (chart),
# and prints the tables. Everything listens on 127.0.0.1 only, every load is bounded in
# time or count, and every server started here is stopped on exit (trap).
#
# How figures are taken:
#  - servers run pinned to core 0 with one worker thread each, clients pinned to core 1
#    (taskset), so neither steals the other's CPU;
#  - messages/s is what the client saw (coronet-loadgen, redis-benchmark);
#  - messages per server CPU-second divides the messages of a run by the server
#    process's utime+stime (all threads) over that run, from /proc/PID/stat; on two
#    cores the client is often the bottleneck, and this figure is not hurt by it;
#  - each figure is the median over the rounds; ratios are medians of this run only.
#    Many short echo rounds (10 x 1.5 s) rather than a few long ones: the machine's
#    load comes in phases of tens of seconds, and fine interleaving spreads them over
#    every server alike.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=10        # echo rounds
duration=1.5     # seconds per echo load
kv_rounds=5
redis_requests=100000     # per redis-benchmark test, -P 1 (x8 with -P 16)
idle_connections=10000
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1; kv_rounds=1; duration=1.5; redis_requests=50000; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --kv-rounds) kv_rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh redis-server gnuplot-nox
command -v node >/dev/null || { echo "compare.sh: node is needed for the Node.js baseline" >&2; exit 1; }

bin=build/release
if [ "$build" = 1 ]; then
  cmake --preset release -B "$bin" >/dev/null
  cmake --build "$bin" -j2 --target echo_server kv_server coronet-loadgen asio_echo_server \
    coronet_bench >&2
fi
loadgen="$bin/bench/coronet-loadgen"
# The idle test holds 10 000 sockets in each of two processes.
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/coronet-bench.XXXXXX)
results="$work/results.tsv"
: >"$results"
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

server_core=0
client_core=1
if [ "$(nproc)" -lt 2 ]; then server_core=0; client_core=0; fi
pin_server=(taskset -c "$server_core")
pin_client=(taskset -c "$client_core")

# start NAME PORT COMMAND...: starts a server pinned to the server core, waits until its
# port accepts connections, and remembers its pid as pid_NAME.
start() {
  local name=$1 port=$2
  shift 2
  "${pin_server[@]}" "$@" >"$work/$name.log" 2>&1 &
  local pid=$!
  server_pids+=("$pid")
  eval "pid_$name=$pid"
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.log" >&2; return 1; }
    sleep 0.1
  done
  echo "compare.sh: $name did not start listening on $port" >&2
  return 1
}
stop() {
  local pid
  pid=$(eval echo "\$pid_$1")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# CPU time (utime + stime, all threads) of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_s=$(getconf CLK_TCK)
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# record KIND SERVER SHAPE ROUND MSGS_PER_S MESSAGES CPU_TICKS P99_US
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# ---- echo servers: pingpong ----------------------------------------------------------
echo_servers=(coronet_raw coronet_line coronet_length asio node)
start coronet_raw 7301 "$bin/examples/echo_server" --port 7301 --framing raw
start coronet_line 7302 "$bin/examples/echo_server" --port 7302 --framing line
start coronet_length 7303 "$bin/examples/echo_server" --port 7303 --framing length
start asio 7304 "$bin/bench/asio_echo_server" --port 7304 --threads 1
start node 7305 node bench/node_echo_server.js 7305
declare -A port=([coronet_raw]=7301 [coronet_line]=7302 [coronet_length]=7303 [asio]=7304 [node]=7305)

shapes=("64x1:64:1" "64x100:64:100" "16384x10:16384:10")
echo "== echo pingpong: ${#shapes[@]} shapes x ${#echo_servers[@]} servers x $rounds rounds x ${duration}s ==" >&2
for ((r = 1; r <= rounds; r++)); do
  for shape in "${shapes[@]}"; do
    IFS=: read -r label size conns <<<"$shape"
    # Alternate the order each round so no server always runs first (or right after a
    # particular neighbour).
    order=("${echo_servers[@]}")
    if ((r % 2 == 0)); then order=($(printf '%s\n' "${echo_servers[@]}" | tac)); fi
    for s in "${order[@]}"; do
      pid=$(eval echo "\$pid_$s")
      before=$(cpu_ticks "$pid")
      json=$("${pin_client[@]}" timeout 60 "$loadgen" --mode pingpong --port "${port[$s]}" \
        --size "$size" --connections "$conns" --duration "$duration" --json) || {
        echo "compare.sh: loadgen failed against $s ($label)" >&2; json='{}'; }
      after=$(cpu_ticks "$pid")
      read -r rate messages p99 < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}");
print(d.get("messages_per_s",0), d.get("messages",0), d.get("p99_us",0))' "$json")
      record echo "$s" "$label" "$r" "$rate" "$messages" "$((after - before))" "$p99"
      printf '  round %d %-9s %-15s %10.0f msg/s  cpu %5.2fs\n' "$r" "$label" "$s" "$rate" \
        "$(awk -v t=$((after - before)) -v hz="$ticks_per_s" 'BEGIN {print t / hz}')" >&2
    done
  done
done
for s in "${echo_servers[@]}"; do stop "$s"; done

# ---- kv_server vs redis-server under redis-benchmark ----------------------------------
echo "== kv: redis-benchmark -c 50, -P 1 and -P 16, $kv_rounds rounds ==" >&2
start kv 7306 "$bin/examples/kv/kv_server" --port 7306 --threads 1
start redis 7307 redis-server --port 7307 --bind 127.0.0.1 --save '' --appendonly no \
  --protected-mode no --daemonize no --loglevel warning
declare -A kv_port=([kv]=7306 [redis]=7307)
for ((r = 1; r <= kv_rounds; r++)); do
  for pipeline in 1 16; do
    n=$redis_requests
    if [ "$pipeline" = 16 ]; then n=$((redis_requests * 8)); fi
    for test in ping_inline ping_mbulk set get incr; do
      order=(redis kv)
      if ((r % 2 == 0)); then order=(kv redis); fi
      for s in "${order[@]}"; do
        pid=$(eval echo "\$pid_$s")
        before=$(cpu_ticks "$pid")
        out=$("${pin_client[@]}" timeout 120 redis-benchmark -h 127.0.0.1 -p "${kv_port[$s]}" \
          -c 50 -n "$n" -P "$pipeline" -t "$test" --csv 2>/dev/null) || out=''
        after=$(cpu_ticks "$pid")
        # CSV: "test","rps",...; the first data line.
        rate=$(printf '%s\n' "$out" | awk -F'"' 'NR == 2 {print $4}')
        rate=${rate:-0}
        record kv "$s" "${test}_P$pipeline" "$r" "$rate" "$n" "$((after - before))" 0
        printf '  round %d %-16s %-6s %10.0f req/s\n' "$r" "${test}_P$pipeline" "$s" "$rate" >&2
      done
    done
  done
done
stop kv
stop redis

# ---- memory: RSS per idle connection -----------------------------------------------
echo "== memory: RSS with $idle_connections idle connections ==" >&2
idle_one() {  # idle_one NAME PORT: server already started
  local name=$1 p=$2 pid before after fifo
  pid=$(eval echo "\$pid_$name")
  sleep 0.5
  before=$(rss_kib "$pid")
  fifo="$work/idle-$name"
  "${pin_client[@]}" timeout 120 "$loadgen" --mode idle --port "$p" \
    --connections "$idle_connections" --duration 60 >"$fifo" 2>&1 &
  local client=$!
  for _ in $(seq 600); do
    if grep -q '^idle:' "$fifo" 2>/dev/null; then break; fi
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1  # let the server finish accepting and start its handlers
  after=$(rss_kib "$pid")
  kill "$client" 2>/dev/null || true
  wait "$client" 2>/dev/null || true
  if ! grep -q '^idle:' "$fifo"; then
    echo "compare.sh: idle client against $name failed: $(cat "$fifo")" >&2
    after=$before
  fi
  record mem "$name" idle 1 "$before" "$after" 0 0
  printf '  %-15s RSS %7d KiB -> %7d KiB  (%.2f KiB per connection)\n' "$name" "$before" "$after" \
    "$(awk -v d=$((after - before)) -v n="$idle_connections" 'BEGIN {print d / n}')" >&2
}
start coronet_line 7302 "$bin/examples/echo_server" --port 7302 --framing line
idle_one coronet_line 7302
stop coronet_line
start coronet_raw 7301 "$bin/examples/echo_server" --port 7301 --framing raw
idle_one coronet_raw 7301
stop coronet_raw
start asio 7304 "$bin/bench/asio_echo_server" --port 7304 --threads 1
idle_one asio 7304
stop asio
start node 7305 node bench/node_echo_server.js 7305
idle_one node 7305
stop node

# ---- microbenchmark highlights -------------------------------------------------------
echo "== microbenchmarks (line decode, loopback ratio) ==" >&2
"${pin_client[@]}" "$bin/bench/coronet_bench" --benchmark_min_time=0.3 \
  --benchmark_filter='decode/line/64$|decode/resp/64$|loopback/ratio' \
  --benchmark_format=json >"$work/micro.json" 2>/dev/null || echo '{}' >"$work/micro.json"

echo "$(date -u '+%Y-%m-%d %H:%M UTC') $(cut -d' ' -f1-3 /proc/loadavg)" >"$work/run_info"

# ---- report --------------------------------------------------------------------------
python3 bench/report.py "$results" "$work/micro.json" "$ticks_per_s" "$idle_connections" \
  "$rounds" "$duration" "$work" docs/benchmarks.md "$kv_rounds"
gnuplot "$work/chart.gp"
echo "compare.sh: wrote docs/benchmarks.md and docs/benchmarks.png (raw data in $work)" >&2
