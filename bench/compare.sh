#!/usr/bin/env bash
# Side-by-side benchmarks: coronet against the servers users would pick
# instead, in one run, alternating servers round by round so that the noise of this
# small shared machine hits every server alike.
#
#   bench/compare.sh            # full run (every section), about 30 minutes
#   bench/compare.sh --rounds 6 --kv-rounds 3   # the same, fewer rounds: about 21 minutes
#   bench/compare.sh --quick    # about 3 minutes: one round, short loads
#   bench/compare.sh --rounds 5 --kv-rounds 3 --duration 4 --no-build
#   bench/compare.sh --tls-only # only the TLS section, about 4 minutes
#   bench/compare.sh --no-tls   # everything but the TLS section
#   bench/compare.sh --chat-only  # only the chat fan-out section, about 3 minutes
#   bench/compare.sh --no-chat  # everything but the chat section
#   bench/compare.sh --accept-only  # only accepting: one acceptor vs reuse_port, 1 minute
#   bench/compare.sh --no-accept    # everything but that
#   bench/compare.sh --ws-only      # only the WebSocket echo against Node's ws, 2 minutes
#   bench/compare.sh --no-ws        # everything but that
#   bench/compare.sh --syscalls-only  # only system calls per message, about 2 minutes
#   bench/compare.sh --no-syscalls  # everything but that
#   bench/compare.sh --no-uring     # without the io_uring build's servers
#   bench/compare.sh --unpinned-only  # only echo and kv with nothing pinned, 6 minutes
#   bench/compare.sh --no-unpinned  # everything but that
#   bench/compare.sh --chat-only --no-build --chat-server OTHER/build/release/examples/chat/chat_server
#
# Writes docs/benchmarks.md (tables: medians and ratios) and docs/benchmarks.png (chart),
# and prints the tables. --tls-only rewrites only the TLS section of docs/benchmarks.md
# (between its <!-- tls:begin --> and <!-- tls:end --> markers) and leaves the rest and
# the chart alone; --chat-only likewise the chat section (<!-- chat:begin --> ...) and
# --accept-only the accepting section (<!-- accept:begin --> ...), --ws-only the
# WebSocket section and --syscalls-only the system-call section; every section keeps its
# place (bench/report_sections.py). Everything listens on 127.0.0.1 only, every load is
# bounded in time or count, and every server started here is stopped on exit (trap).
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
#
# The TLS section (bench/report_tls.py writes its tables): certificates are made by
# scripts/make-cert.sh in the run's temporary directory (ECDSA P-256); the servers are
# coronet's echo_server (raw and line) with --tls-cert/--tls-key, the hand-written
# asio::ssl floor (bench/asio_ssl_echo_server) and Node's tls
# (bench/node_tls_echo_server.js); the client is coronet-loadgen --tls-ca (asio::ssl,
# verifying the certificate and the name 127.0.0.1). Echo: pingpong, as above. Handshakes:
# coronet-loadgen --mode handshake (connect, full handshake, one 64 B block and its
# echo, close; 10 clients at once). Memory: RSS per idle TLS connection with 5000
# connections, each past its handshake.
#
# The chat section (bench/report_chat.py writes its tables): chat_server (threads 1,
# pinned to core 0; threads 2, on both cores) and bench/node_chat_server.js, under
# coronet-loadgen --mode chat at 100 receivers x 5 senders and 1000 receivers x 1 sender
# (64 B texts, --chat-rounds rounds of --chat-duration s each). The join phase is reported
# apart; server CPU per phase comes from loadgen's --server-pid (/proc/PID/stat read at
# the phase boundaries). Before each run the script waits for the servers' CPU to go
# quiet, so the last run's members leaving are not billed to the next. The cluster
# variant runs only when `chat_server --help` mentions --redis: redis-server on a free
# loopback port, 1 chat_server instance against 2 sharing the room through --redis, the
# same members spread over both, with the CPU of each instance and of redis-server.
#
# The io_uring build (CMake preset release-uring, CORONET_IO_URING; built here unless
# --no-uring): its echo_server (raw, line, length) and kv_server run beside the epoll
# build's in the echo, kv, WebSocket and system-call sections, as coronet_*_uring and
# kv_uring, so that both back ends are measured in the same run.
#
# The WebSocket section (bench/report_ws.py): `echo_server --framing websocket` against
# bench/node_ws_echo_server.js (Node's `ws`, from build/npm), both one thread pinned to
# core 0, under `coronet-loadgen --mode ws` (plain Asio; masks every frame, checks every
# echo) at 64 B x 100 and 16 KiB x 10, rounds and duration as the TCP echo.
#
# The system-call section (bench/report_syscalls.py): after the timed rounds, one more
# load per server and shape (echo, kv under redis-benchmark, WebSocket, TLS echo, chat
# per delivery) runs under
# `perf stat -p SERVER_PID` counting the server's system calls by tracepoint
# (raw_syscalls:sys_enter for the total, syscalls:sys_enter_* per kind, and the read
# exits that returned EAGAIN); each count is divided by the messages of that load. These
# loads are not timed: tracepoints cost the server a little, which is why the timed
# figures come from runs without perf. Needs perf (linux-perf) and root.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=10        # echo rounds
duration=1.5     # seconds per echo load
kv_rounds=5
redis_requests=100000     # per redis-benchmark test, -P 1 (x8 with -P 16)
idle_connections=10000
tls_idle_connections=5000
tls_hs_connections=10    # handshake mode: clients cycling at once
main=1                   # the TCP echo, kv, memory and micro sections
tls=1                    # the TLS section
chat=1                   # the chat fan-out section
accept=1                 # one acceptor against reuse_port (bench/accept_rate.sh)
accept_rounds=5
accept_duration=3
ws=1                     # the WebSocket echo section
syscalls=1               # system calls per message (perf)
syscall_duration=2       # seconds per counted load
uring=1                  # also the io_uring build's servers
unpinned=1               # echo and kv again with no taskset (bench/report_unpinned.py)
unpinned_rounds=5
chat_rounds=3
chat_duration=2          # seconds of the message phase per chat load
chat_size=64             # text bytes
chat_server=""           # default: this tree's build
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1; kv_rounds=1; chat_rounds=1; unpinned_rounds=1; duration=1.5
      syscall_duration=1; redis_requests=50000; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --kv-rounds) kv_rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --chat-rounds) chat_rounds="$2"; shift 2 ;;
    --chat-duration) chat_duration="$2"; shift 2 ;;
    --chat-server) chat_server="$2"; shift 2 ;;  # another build's chat_server
    --tls-only) main=0; tls=1; chat=0; accept=0; ws=0; syscalls=0; unpinned=0; shift ;;
    --no-tls) tls=0; shift ;;
    --chat-only) main=0; tls=0; chat=1; accept=0; ws=0; syscalls=0; unpinned=0; shift ;;
    --no-chat) chat=0; shift ;;
    --accept-only) main=0; tls=0; chat=0; accept=1; ws=0; syscalls=0; unpinned=0; shift ;;
    --no-accept) accept=0; shift ;;
    --ws-only) main=0; tls=0; chat=0; accept=0; ws=1; syscalls=0; unpinned=0; shift ;;
    --no-ws) ws=0; shift ;;
    --syscalls-only) main=0; tls=0; chat=0; accept=0; ws=0; syscalls=1; unpinned=0; shift ;;
    --no-syscalls) syscalls=0; shift ;;
    --no-uring) uring=0; shift ;;
    --unpinned-only) main=0; tls=0; chat=0; accept=0; ws=0; syscalls=0; unpinned=1; shift ;;
    --no-unpinned) unpinned=0; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | cut -c3-; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$main" = 0 ] && [ "$tls" = 0 ] && [ "$chat" = 0 ] && [ "$accept" = 0 ] && [ "$ws" = 0 ] &&
  [ "$syscalls" = 0 ] && [ "$unpinned" = 0 ]; then
  echo "compare.sh: these options leave nothing to run" >&2
  exit 2
fi

extra_packages=()
if [ "$main" = 1 ]; then extra_packages+=(gnuplot-nox); fi
if [ "$syscalls" = 1 ]; then extra_packages+=(linux-perf); fi
scripts/setup.sh "${extra_packages[@]}"
command -v node >/dev/null || { echo "compare.sh: node is needed for the Node.js baseline" >&2; exit 1; }
node_modules="$PWD/build/npm/node_modules"  # Node's ws, installed there by setup.sh

bin=build/release
# Only the echo, kv, WebSocket, system-call and unpinned sections run io_uring servers.
need_uring=0
if [ "$uring" = 1 ] && { [ "$main" = 1 ] || [ "$ws" = 1 ] || [ "$syscalls" = 1 ] || [ "$unpinned" = 1 ]; }; then
  need_uring=1
fi
if [ "$build" = 1 ]; then
  targets=(coronet-loadgen)
  if [ "$main" = 1 ] || [ "$tls" = 1 ] || [ "$accept" = 1 ] || [ "$ws" = 1 ] || [ "$syscalls" = 1 ]; then
    targets+=(echo_server)
  fi
  if [ "$main" = 1 ]; then targets+=(kv_server asio_echo_server coronet_bench); fi
  if [ "$unpinned" = 1 ]; then targets+=(echo_server kv_server asio_echo_server); fi
  if [ "$syscalls" = 1 ]; then targets+=(kv_server asio_echo_server asio_ssl_echo_server chat_server); fi
  if [ "$tls" = 1 ]; then targets+=(asio_ssl_echo_server); fi
  if [ "$chat" = 1 ]; then targets+=(chat_server); fi
  cmake --preset release -B "$bin" >/dev/null
  cmake --build "$bin" -j2 --target "${targets[@]}" >&2
  if [ "$need_uring" = 1 ]; then
    cmake --preset release-uring >/dev/null
    cmake --build build/release-uring -j2 --target echo_server kv_server >&2
  fi
fi
bin_uring=build/release-uring
if [ "$need_uring" = 1 ] && [ ! -x "$bin_uring/examples/echo_server" ]; then
  echo "compare.sh: $bin_uring is not built (drop --no-build, or pass --no-uring)" >&2
  exit 1
fi
loadgen="$bin/bench/coronet-loadgen"
chat_server=${chat_server:-$bin/examples/chat/chat_server}
# The idle test holds 10 000 sockets in each of two processes; the chat's 1000 members
# need over 1000 in the client and in the server.
ulimit -n "$(ulimit -Hn)"
if [ "$chat" = 1 ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 2100 ]; then
  echo "compare.sh: the chat section needs 2100 descriptors per process; the hard limit is $(ulimit -Hn)" >&2
  exit 1
fi

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
  local pid p kept=()
  pid=$(eval echo "\$pid_$1")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Forget it, so that the exit trap never signals a number the system has reused.
  for p in "${server_pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  server_pids=("${kept[@]}")
}

# CPU time (utime + stime, all threads) of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
user_ticks() { awk '{print $14}' "/proc/$1/stat"; }
ticks_per_s=$(getconf CLK_TCK)
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# The run's time and load, for the sections that say when they were measured.
params() {  # params FILE KEY VALUE...: a JSON object of the pairs, with when and load
  local file=$1
  shift
  python3 -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
    "$@" when "$(date -u '+%Y-%m-%d %H:%M UTC')" load "$(cut -d' ' -f1-3 /proc/loadavg)" >"$file"
}

# record KIND SERVER SHAPE ROUND MSGS_PER_S MESSAGES CPU_TICKS P99_US
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

# load KIND SHAPE ROUND SERVER PORT LOADGEN-ARGS...: one bounded coronet-loadgen run
# pinned to the client core, recorded with the server's CPU time over the run.
load() {
  local kind=$1 label=$2 r=$3 s=$4 p=$5 pid before after json rate messages p99 user_before
  shift 5
  pid=$(eval echo "\$pid_$s")
  before=$(cpu_ticks "$pid")
  user_before=$(user_ticks "$pid")
  json=$("${pin_client[@]}" timeout 60 "$loadgen" --port "$p" --duration "$duration" --json "$@") || {
    echo "compare.sh: loadgen failed against $s ($label)" >&2; json='{}'; }
  after=$(cpu_ticks "$pid")
  read -r rate messages p99 < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}");
print(d.get("messages_per_s",0), d.get("messages",0), d.get("p99_us",0))' "$json")
  record "$kind" "$s" "$label" "$r" "$rate" "$messages" "$((after - before))" "$p99"
  # The user-space share of that CPU time, for the reports that split it.
  printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$s" "$label" "$r" \
    "$(($(user_ticks "$pid") - user_before))" >>"$work/user_ticks.tsv"
  # What TLS the server agreed on (the first run against it says).
  if [[ $kind == tls_* ]] && [ ! -s "$work/tls_agreed_$s" ]; then
    python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print(d.get("tls_agreed",""))' \
      "$json" >"$work/tls_agreed_$s"
  fi
  printf '  round %d %-9s %-15s %10.0f %s  cpu %5.2fs\n' "$r" "$label" "$s" "$rate" \
    "$([ "$kind" = tls_hs ] && echo conn/s || echo msg/s)" \
    "$(awk -v t=$((after - before)) -v hz="$ticks_per_s" 'BEGIN {print t / hz}')" >&2
}

# alternated ROUND NAMES...: the names, reversed on even rounds, so that no server
# always runs first (or right after a particular neighbour).
alternated() {
  local r=$1
  shift
  if ((r % 2 == 0)); then printf '%s\n' "$@" | tac; else printf '%s\n' "$@"; fi
}

# idle_one KIND NAME PORT N [LOADGEN-ARGS...]: RSS of a started server before and with N
# idle connections held by coronet-loadgen --mode idle in another process.
idle_one() {
  local kind=$1 name=$2 p=$3 n=$4 pid before after fifo
  shift 4
  pid=$(eval echo "\$pid_$name")
  sleep 0.5
  before=$(rss_kib "$pid")
  fifo="$work/idle-$kind-$name"
  "${pin_client[@]}" timeout 120 "$loadgen" --mode idle --port "$p" \
    --connections "$n" --duration 60 "$@" >"$fifo" 2>&1 &
  local client=$!
  for _ in $(seq 900); do
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
  record "$kind" "$name" idle 1 "$before" "$after" 0 "$n"
  printf '  %-15s RSS %7d KiB -> %7d KiB  (%.2f KiB per connection)\n' "$name" "$before" "$after" \
    "$(awk -v d=$((after - before)) -v n="$n" 'BEGIN {print d / n}')" >&2
}

# start_echo_servers: the TCP echo servers (the io_uring build's too, unless
# --no-uring), listed in echo_servers, their ports in port[].
start_echo_servers() {
  echo_servers=(coronet_raw coronet_line coronet_length asio node)
  declare -gA port=([coronet_raw]=7301 [coronet_line]=7302 [coronet_length]=7303 [asio]=7304
    [node]=7305 [coronet_raw_uring]=7331 [coronet_line_uring]=7332 [coronet_length_uring]=7333)
  local f
  for f in raw line length; do
    start "coronet_$f" "${port[coronet_$f]}" "$bin/examples/echo_server" --port "${port[coronet_$f]}" --framing "$f"
  done
  start asio 7304 "$bin/bench/asio_echo_server" --port 7304 --threads 1
  start node 7305 node bench/node_echo_server.js 7305
  if [ "$uring" = 1 ]; then
    for f in raw line length; do
      start "coronet_${f}_uring" "${port[coronet_${f}_uring]}" "$bin_uring/examples/echo_server" \
        --port "${port[coronet_${f}_uring]}" --framing "$f"
      echo_servers+=("coronet_${f}_uring")
    done
  fi
}

# start_ws_servers: coronet's WebSocket echo (both builds) and Node's ws, in ws_servers.
start_ws_servers() {
  ws_servers=(coronet_ws node_ws)
  declare -gA ws_port=([coronet_ws]=7321 [node_ws]=7322 [coronet_ws_uring]=7323)
  start coronet_ws 7321 "$bin/examples/echo_server" --port 7321 --framing websocket
  start node_ws 7322 env NODE_PATH="$node_modules" node bench/node_ws_echo_server.js 7322
  if [ "$uring" = 1 ]; then
    start coronet_ws_uring 7323 "$bin_uring/examples/echo_server" --port 7323 --framing websocket
    ws_servers+=(coronet_ws_uring)
  fi
}

# run_echo KIND ROUNDS: the echo pingpong of every echo server, recorded as KIND.
run_echo() {
  local kind=$1 n_rounds=$2 r shape label size conns s
  start_echo_servers
  echo "== echo pingpong ($kind): ${#shapes[@]} shapes x ${#echo_servers[@]} servers x $n_rounds rounds x ${duration}s ==" >&2
  for ((r = 1; r <= n_rounds; r++)); do
    for shape in "${shapes[@]}"; do
      IFS=: read -r label size conns <<<"$shape"
      for s in $(alternated "$r" "${echo_servers[@]}"); do
        load "$kind" "$label" "$r" "$s" "${port[$s]}" --mode pingpong --size "$size" --connections "$conns"
      done
    done
  done
  for s in "${echo_servers[@]}"; do stop "$s"; done
}
shapes=("64x1:64:1" "64x100:64:100" "16384x10:16384:10")

# start_kv_servers: redis-server and kv_server (both builds), listed in kv_servers, their
# ports in kv_port[].
start_kv_servers() {
  start kv 7306 "$bin/examples/kv/kv_server" --port 7306 --threads 1
  start redis 7307 redis-server --port 7307 --bind 127.0.0.1 --save '' --appendonly no \
    --protected-mode no --daemonize no --loglevel warning
  declare -gA kv_port=([kv]=7306 [redis]=7307 [kv_uring]=7336)
  kv_servers=(redis kv)
  if [ "$uring" = 1 ]; then
    start kv_uring 7336 "$bin_uring/examples/kv/kv_server" --port 7336 --threads 1
    kv_servers+=(kv_uring)
  fi
}

# run_kv KIND ROUNDS: redis-benchmark against redis-server and kv_server (both builds),
# recorded as KIND.
run_kv() {
  local kind=$1 n_rounds=$2 r pipeline n test s pid before after out rate
  echo "== kv ($kind): redis-benchmark -c 50, -P 1 and -P 16, $n_rounds rounds ==" >&2
  start_kv_servers
  for ((r = 1; r <= n_rounds; r++)); do
    for pipeline in 1 16; do
      n=$redis_requests
      if [ "$pipeline" = 16 ]; then n=$((redis_requests * 8)); fi
      for test in ping_inline ping_mbulk set get incr; do
        for s in $(alternated "$r" "${kv_servers[@]}"); do
          pid=$(eval echo "\$pid_$s")
          before=$(cpu_ticks "$pid")
          out=$("${pin_client[@]}" timeout 120 redis-benchmark -h 127.0.0.1 -p "${kv_port[$s]}" \
            -c 50 -n "$n" -P "$pipeline" -t "$test" --csv 2>/dev/null) || out=''
          after=$(cpu_ticks "$pid")
          # CSV: "test","rps",...; the first data line.
          rate=$(printf '%s\n' "$out" | awk -F'"' 'NR == 2 {print $4}')
          rate=${rate:-0}
          record "$kind" "$s" "${test}_P$pipeline" "$r" "$rate" "$n" "$((after - before))" 0
          printf '  round %d %-16s %-8s %10.0f req/s\n' "$r" "${test}_P$pipeline" "$s" "$rate" >&2
        done
      done
    done
  done
  for s in "${kv_servers[@]}"; do stop "$s"; done
}

if [ "$main" = 1 ]; then
# ---- echo servers: pingpong ----------------------------------------------------------
run_echo echo "$rounds"

# ---- kv_server vs redis-server under redis-benchmark ----------------------------------
run_kv kv "$kv_rounds"

# ---- memory: RSS per idle connection -----------------------------------------------
echo "== memory: RSS with $idle_connections idle connections ==" >&2
start coronet_line 7302 "$bin/examples/echo_server" --port 7302 --framing line
idle_one mem coronet_line 7302 "$idle_connections"
stop coronet_line
start coronet_raw 7301 "$bin/examples/echo_server" --port 7301 --framing raw
idle_one mem coronet_raw 7301 "$idle_connections"
stop coronet_raw
start asio 7304 "$bin/bench/asio_echo_server" --port 7304 --threads 1
idle_one mem asio 7304 "$idle_connections"
stop asio
start node 7305 node bench/node_echo_server.js 7305
idle_one mem node 7305 "$idle_connections"
stop node

fi  # main

if [ "$tls" = 1 ]; then
# ---- TLS: echo, handshakes, idle memory -----------------------------------------------
certs="$work/certs"
scripts/make-cert.sh "$certs" >/dev/null
cert=(--tls-cert "$certs/server.pem" --tls-key "$certs/server.key")
client_tls=(--tls-ca "$certs/ca.pem")  # verify the chain and the name, as a client must
cert_type="ECDSA P-256"
tls_servers=(coronet_raw coronet_line asio_ssl node_tls)
declare -A tls_port=([coronet_raw]=7311 [coronet_line]=7312 [asio_ssl]=7313 [node_tls]=7314)
tls_start() {  # tls_start NAME: starts the TLS server NAME on its port
  local p=${tls_port[$1]}
  case "$1" in
    coronet_raw) start coronet_raw "$p" "$bin/examples/echo_server" --port "$p" --framing raw "${cert[@]}" ;;
    coronet_line) start coronet_line "$p" "$bin/examples/echo_server" --port "$p" --framing line "${cert[@]}" ;;
    asio_ssl) start asio_ssl "$p" "$bin/bench/asio_ssl_echo_server" --port "$p" --threads 1 "${cert[@]}" ;;
    node_tls) start node_tls "$p" node bench/node_tls_echo_server.js "$p" "$certs/server.pem" "$certs/server.key" ;;
  esac
}
for s in "${tls_servers[@]}"; do tls_start "$s"; done

tls_shapes=("64x100:64:100" "16384x10:16384:10")
echo "== TLS echo pingpong and handshakes ($cert_type): ${#tls_servers[@]} servers x $rounds rounds x ${duration}s ==" >&2
for ((r = 1; r <= rounds; r++)); do
  for shape in "${tls_shapes[@]}"; do
    IFS=: read -r label size conns <<<"$shape"
    for s in $(alternated "$r" "${tls_servers[@]}"); do
      load tls_echo "$label" "$r" "$s" "${tls_port[$s]}" --mode pingpong --size "$size" \
        --connections "$conns" "${client_tls[@]}"
    done
  done
  for s in $(alternated "$r" "${tls_servers[@]}"); do
    load tls_hs handshake "$r" "$s" "${tls_port[$s]}" --mode handshake --size 64 \
      --connections "$tls_hs_connections" "${client_tls[@]}"
  done
done
for s in "${tls_servers[@]}"; do stop "$s"; done

echo "== TLS memory: RSS with $tls_idle_connections idle TLS connections ==" >&2
for s in coronet_raw coronet_line asio_ssl node_tls; do
  tls_start "$s"
  idle_one tls_mem "$s" "${tls_port[$s]}" "$tls_idle_connections" "${client_tls[@]}"
  stop "$s"
done
# What report_tls.py needs to say how the figures were taken.
params "$work/tls_params.json" rounds "$rounds" duration "$duration" \
  idle_connections "$tls_idle_connections" hs_connections "$tls_hs_connections" cert_type "$cert_type"
fi  # tls

if [ "$chat" = 1 ]; then
# ---- chat fan-out: chat_server (threads 1 and 2) against Node, and the cluster -------
chat_log="$work/chat.jsonl"
: >"$chat_log"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_quiet PID...: until the processes' CPU time stops growing for 0.3 s (at most 10 s),
# so that the last run's members leaving are not billed to the next run.
wait_quiet() {
  local before after pid
  for _ in $(seq 33); do
    before=0; after=0
    for pid in "$@"; do before=$((before + $(cpu_ticks "$pid"))); done
    sleep 0.3
    for pid in "$@"; do after=$((after + $(cpu_ticks "$pid"))); done
    if [ "$before" = "$after" ]; then return 0; fi
  done
  return 0
}
# chat_load SERVER SHAPE ROUND RECEIVERS SENDERS TARGETS ROLES NAME...: one bounded
# coronet-loadgen --mode chat run, pinned to the client core, against TARGETS
# (HOST:PORT,...), with the CPU per phase of the started servers NAME... (ROLES names
# them in the report, comma-separated); its JSON report goes to chat.jsonl.
chat_load() {
  local s=$1 shape=$2 r=$3 receivers=$4 senders=$5 targets=$6 roles=$7 pids=() name json ok=1
  shift 7
  for name in "$@"; do pids+=("$(eval echo "\$pid_$name")"); done
  wait_quiet "${pids[@]}"
  json=$("${pin_client[@]}" timeout 120 "$loadgen" --mode chat --targets "$targets" \
    --receivers "$receivers" --senders "$senders" --size "$chat_size" --duration "$chat_duration" \
    --server-pid "$(IFS=,; echo "${pids[*]}")" --json) || ok=0
  [ -n "$json" ] || json='{}'
  python3 -c 'import json, sys
d = json.loads(sys.argv[1]); d.update(server=sys.argv[2], shape=sys.argv[3], round=int(sys.argv[4]),
roles=sys.argv[5].split(","), exit_ok=sys.argv[6] == "1"); print(json.dumps(d))' \
    "$json" "$s" "$shape" "$r" "$roles" "$ok" >>"$chat_log"
  [ "$ok" = 1 ] || echo "compare.sh: chat load failed against $s ($shape): $json" >&2
  python3 -c 'import json, sys; d = json.loads(sys.argv[1])
print("  round %s %-9s %-13s %9.0f deliveries/s %9.0f per CPU-s  join %.2f s" % (sys.argv[2],
sys.argv[3], sys.argv[4], d.get("deliveries_per_s", 0), d.get("deliveries_per_cpu_s", 0),
d.get("join_s", 0)))' "$json" "$r" "$shape" "$s" >&2
}
chat_shapes=("100x5:100:5" "1000x1:1000:1")
chat_servers=(chat_t1 chat_t2 node_chat)
declare -A chat_port=([chat_t1]=$(free_port) [chat_t2]=$(free_port) [node_chat]=$(free_port))
start chat_t1 "${chat_port[chat_t1]}" "$chat_server" --port "${chat_port[chat_t1]}" --threads 1
# Two threads get both cores (pinned to one they would only take turns); the client
# shares core 1 with one of them, so read its deliveries per CPU-second.
pin_server=(taskset -c 0,1)
start chat_t2 "${chat_port[chat_t2]}" "$chat_server" --port "${chat_port[chat_t2]}" --threads 2
pin_server=(taskset -c "$server_core")
start node_chat "${chat_port[node_chat]}" node bench/node_chat_server.js --port "${chat_port[node_chat]}"
echo "== chat fan-out: ${#chat_shapes[@]} shapes x ${#chat_servers[@]} servers x $chat_rounds rounds x ${chat_duration}s ==" >&2
for ((r = 1; r <= chat_rounds; r++)); do
  for shape in "${chat_shapes[@]}"; do
    IFS=: read -r label receivers senders <<<"$shape"
    for s in $(alternated "$r" "${chat_servers[@]}"); do
      chat_load "$s" "$label" "$r" "$receivers" "$senders" "127.0.0.1:${chat_port[$s]}" server "$s"
    done
  done
done
for s in "${chat_servers[@]}"; do stop "$s"; done

# The cluster: only with a chat_server that shares a room through Redis.
if "$chat_server" --help 2>/dev/null | grep -q -- '--redis'; then
  redis_port=$(free_port)
  start chat_redis "$redis_port" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --appendonly no --protected-mode no --daemonize no --loglevel warning
  one=$(free_port) a=$(free_port) b=$(free_port)
  redis_flag=(--redis "127.0.0.1:$redis_port")
  start cluster_one "$one" "$chat_server" --port "$one" "${redis_flag[@]}"
  start cluster_a "$a" "$chat_server" --port "$a" "${redis_flag[@]}"
  start cluster_b "$b" "$chat_server" --port "$b" "${redis_flag[@]}"
  echo "== chat cluster through redis-server: 1 instance against 2, ${#chat_shapes[@]} shapes x $chat_rounds rounds ==" >&2
  for ((r = 1; r <= chat_rounds; r++)); do
    for shape in "${chat_shapes[@]}"; do
      IFS=: read -r label receivers senders <<<"$shape"
      for s in $(alternated "$r" cluster_1 cluster_2); do
        if [ "$s" = cluster_1 ]; then
          chat_load cluster_1 "$label" "$r" "$receivers" "$senders" "127.0.0.1:$one" \
            "chat_server,redis-server" cluster_one chat_redis
        else
          chat_load cluster_2 "$label" "$r" "$receivers" "$senders" "127.0.0.1:$a,127.0.0.1:$b" \
            "chat_server a,chat_server b,redis-server" cluster_a cluster_b chat_redis
        fi
      done
    done
  done
  for s in cluster_one cluster_a cluster_b chat_redis; do stop "$s"; done
else
  echo "== chat cluster: skipped (chat_server --help does not mention --redis) ==" >&2
fi
params "$work/chat_params.json" rounds "$chat_rounds" duration "$chat_duration" size "$chat_size" \
  chat_server "$chat_server"
fi  # chat

if [ "$unpinned" = 1 ]; then
# ---- echo and kv with nothing pinned: the scheduler places servers and clients ---------
# So that no target depends on one placement's timing (bench/report_unpinned.py).
saved_server_pin=("${pin_server[@]}")
saved_client_pin=("${pin_client[@]}")
pin_server=()
pin_client=()
run_echo echo_unpinned "$unpinned_rounds"
run_kv kv_unpinned "$unpinned_rounds"
pin_server=("${saved_server_pin[@]}")
pin_client=("${saved_client_pin[@]}")
params "$work/unpinned_params.json" rounds "$unpinned_rounds" duration "$duration"
fi  # unpinned

if [ "$ws" = 1 ]; then
# ---- WebSocket echo: coronet against Node's ws ---------------------------------------
if [ ! -f "$node_modules/ws/package.json" ]; then
  echo "compare.sh: Node's ws is missing in $node_modules (scripts/setup.sh installs it)" >&2
  exit 1
fi
start_ws_servers
ws_shapes=("64x100:64:100" "16384x10:16384:10")
echo "== WebSocket echo: ${#ws_shapes[@]} shapes x ${#ws_servers[@]} servers x $rounds rounds x ${duration}s ==" >&2
for ((r = 1; r <= rounds; r++)); do
  for shape in "${ws_shapes[@]}"; do
    IFS=: read -r label size conns <<<"$shape"
    for s in $(alternated "$r" "${ws_servers[@]}"); do
      load ws_echo "$label" "$r" "$s" "${ws_port[$s]}" --mode ws --size "$size" --connections "$conns"
    done
  done
done
for s in "${ws_servers[@]}"; do stop "$s"; done
params "$work/ws_params.json" rounds "$rounds" duration "$duration"
fi  # ws

if [ "$syscalls" = 1 ]; then
# ---- system calls per message (perf stat on the server process) ------------------------
command -v perf >/dev/null || { echo "compare.sh: --syscalls needs perf (linux-perf)" >&2; exit 1; }
syscall_log="$work/syscalls.jsonl"
: >"$syscall_log"
sc_events=$(python3 bench/syscall_counts.py --events)
mapfile -t sc_eagain < <(python3 bench/syscall_counts.py --eagain-events)
# count_syscalls KIND SERVER SHAPE MESSAGES COMMAND...: runs COMMAND (a bounded load,
# pinned to the client core) while perf counts the system calls of SERVER's process;
# MESSAGES is the load's message count, or "json" to take it from the loadgen's report
# ("json:KEY": that field of it).
count_syscalls() {
  local kind=$1 s=$2 label=$3 messages=$4 pid out
  shift 4
  pid=$(eval echo "\$pid_$s")
  out=$(perf stat -x, -o "$work/perf.csv" -e "$sc_events" "${sc_eagain[@]}" -p "$pid" -- \
    "${pin_client[@]}" timeout 120 "$@") || {
    echo "compare.sh: counted load failed against $s ($label)" >&2; return 0; }
  if [[ $messages == json* ]]; then
    local key=messages
    if [[ $messages == json:* ]]; then key=${messages#json:}; fi
    messages=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' \
      "$out" "$key")
  fi
  python3 -c 'import json, sys
d = json.loads(sys.argv[1]); d.update(kind=sys.argv[2], server=sys.argv[3], shape=sys.argv[4])
print(json.dumps(d))' "$(python3 bench/syscall_counts.py "$work/perf.csv" "$messages")" \
    "$kind" "$s" "$label" | tee -a "$syscall_log" | python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
print("  %-5s %-10s %-15s %5.2f calls/msg: reads %.2f (EAGAIN %.2f) writes %.2f waits %.2f other %.2f" %
      (d["kind"], d["shape"], d["server"], d["total"], d["reads"], d["eagain_reads"], d["writes"],
       d["waits"], d["other"]))' >&2
}
echo "== system calls per message: echo, kv, WebSocket, TLS, chat (perf stat, ${syscall_duration}s loads) ==" >&2
start_echo_servers
for shape in "64x1:64:1" "64x100:64:100" "16384x10:16384:10"; do
  IFS=: read -r label size conns <<<"$shape"
  for s in "${echo_servers[@]}"; do
    count_syscalls echo "$s" "$label" json "$loadgen" --port "${port[$s]}" --mode pingpong \
      --size "$size" --connections "$conns" --duration "$syscall_duration" --json
  done
done
for s in "${echo_servers[@]}"; do stop "$s"; done
start_kv_servers
for pipeline in 1 16; do
  n=$((redis_requests / 2))
  if [ "$pipeline" = 16 ]; then n=$((redis_requests * 4)); fi
  for test in ping_mbulk set get; do
    for s in "${kv_servers[@]}"; do
      count_syscalls kv "$s" "${test}_P$pipeline" "$n" redis-benchmark -h 127.0.0.1 \
        -p "${kv_port[$s]}" -c 50 -n "$n" -P "$pipeline" -t "$test" -q
    done
  done
done
for s in "${kv_servers[@]}"; do stop "$s"; done
if [ -f "$node_modules/ws/package.json" ]; then
  start_ws_servers
  for shape in "64x100:64:100" "16384x10:16384:10"; do
    IFS=: read -r label size conns <<<"$shape"
    for s in "${ws_servers[@]}"; do
      count_syscalls ws "$s" "$label" json "$loadgen" --port "${ws_port[$s]}" --mode ws \
        --size "$size" --connections "$conns" --duration "$syscall_duration" --json
    done
  done
  for s in "${ws_servers[@]}"; do stop "$s"; done
fi
# TLS: the servers of the TLS section (certificates made here).
sc_certs="$work/sc-certs"
scripts/make-cert.sh "$sc_certs" >/dev/null
sc_cert=(--tls-cert "$sc_certs/server.pem" --tls-key "$sc_certs/server.key")
declare -A sc_tls_port=([coronet_raw]=7341 [coronet_line]=7342 [asio_ssl]=7343 [node_tls]=7344)
start sc_tls_coronet_raw 7341 "$bin/examples/echo_server" --port 7341 --framing raw "${sc_cert[@]}"
start sc_tls_coronet_line 7342 "$bin/examples/echo_server" --port 7342 --framing line "${sc_cert[@]}"
start sc_tls_asio_ssl 7343 "$bin/bench/asio_ssl_echo_server" --port 7343 --threads 1 "${sc_cert[@]}"
start sc_tls_node_tls 7344 node bench/node_tls_echo_server.js 7344 "$sc_certs/server.pem" \
  "$sc_certs/server.key"
for shape in "64x100:64:100" "16384x10:16384:10"; do
  IFS=: read -r label size conns <<<"$shape"
  for s in asio_ssl coronet_raw coronet_line node_tls; do
    count_syscalls tls "sc_tls_$s" "$label" json "$loadgen" --port "${sc_tls_port[$s]}" \
      --mode pingpong --size "$size" --connections "$conns" --duration "$syscall_duration" \
      --tls-ca "$sc_certs/ca.pem" --json
  done
done
for s in asio_ssl coronet_raw coronet_line node_tls; do stop "sc_tls_$s"; done
# Chat: per delivery (a message to one member), joins included.
sc_chat_port=7351
start chat_t1 "$sc_chat_port" "$chat_server" --port "$sc_chat_port" --threads 1
start node_chat 7352 node bench/node_chat_server.js --port 7352
for shape in "100x5:100:5" "1000x1:1000:1"; do
  IFS=: read -r label receivers senders <<<"$shape"
  for s in chat_t1 node_chat; do
    p=$sc_chat_port
    if [ "$s" = node_chat ]; then p=7352; fi
    count_syscalls chat "$s" "$label" json:deliveries_total "$loadgen" --mode chat \
      --targets "127.0.0.1:$p" --receivers "$receivers" --senders "$senders" --size "$chat_size" \
      --duration "$syscall_duration" --json
  done
done
stop chat_t1
stop node_chat
params "$work/syscalls_params.json" duration "$syscall_duration"
fi  # syscalls

if [ "$main" = 1 ]; then
# ---- microbenchmark highlights -------------------------------------------------------
echo "== microbenchmarks (line decode, loopback ratio) ==" >&2
"${pin_client[@]}" "$bin/bench/coronet_bench" --benchmark_min_time=0.3 \
  --benchmark_filter='decode/line/64$|decode/resp/64$|loopback/ratio' \
  --benchmark_format=json >"$work/micro.json" 2>/dev/null || echo '{}' >"$work/micro.json"

echo "$(date -u '+%Y-%m-%d %H:%M UTC') $(cut -d' ' -f1-3 /proc/loadavg)" >"$work/run_info"

# ---- report --------------------------------------------------------------------------
# report.py writes the whole file, the TLS section too when this run measured it.
python3 bench/report.py "$results" "$work/micro.json" "$ticks_per_s" "$idle_connections" \
  "$rounds" "$duration" "$work" docs/benchmarks.md "$kv_rounds"
gnuplot "$work/chart.gp"
echo "compare.sh: wrote docs/benchmarks.md and docs/benchmarks.png (raw data in $work)" >&2
else
# ---- report: the sections measured, each in place --------------------------------------
if [ "$tls" = 1 ]; then
  python3 bench/report_tls.py "$results" "$ticks_per_s" "$work" docs/benchmarks.md
  echo "compare.sh: wrote the TLS section of docs/benchmarks.md (raw data in $work)" >&2
fi
if [ "$chat" = 1 ]; then
  python3 bench/report_chat.py "$work" docs/benchmarks.md
  echo "compare.sh: wrote the chat section of docs/benchmarks.md (raw data in $work)" >&2
fi
fi

# ---- accepting: one acceptor against one listener per worker (reuse_port) -------------
# After the other reports: a full run's report.py rewrites the whole file first.
if [ "$accept" = 1 ]; then
  echo "== accepting: one acceptor vs one listener per worker (reuse_port) ==" >&2
  bench/accept_rate.sh --no-build --rounds "$accept_rounds" --duration "$accept_duration" \
    >"$work/accept.md"
  cat "$work/accept.md"
  python3 bench/report_accept.py "$work/accept.md" "$accept_rounds" "$accept_duration" \
    docs/benchmarks.md
  echo "compare.sh: wrote the accepting section of docs/benchmarks.md" >&2
fi

# ---- the unpinned, WebSocket and system-call sections, each in place -------------------
if [ "$unpinned" = 1 ]; then
  python3 bench/report_unpinned.py "$results" "$ticks_per_s" "$work" docs/benchmarks.md
  echo "compare.sh: wrote the unpinned section of docs/benchmarks.md (raw data in $work)" >&2
fi
if [ "$ws" = 1 ]; then
  python3 bench/report_ws.py "$results" "$ticks_per_s" "$work" docs/benchmarks.md
  echo "compare.sh: wrote the WebSocket section of docs/benchmarks.md (raw data in $work)" >&2
fi
if [ "$syscalls" = 1 ]; then
  python3 bench/report_syscalls.py "$work" docs/benchmarks.md
  echo "compare.sh: wrote the system-call section of docs/benchmarks.md (raw data in $work)" >&2
fi
