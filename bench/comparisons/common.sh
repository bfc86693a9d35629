# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's shared helpers (sourced; every section file uses them): the run's
# directory and its results, pinning, starting and stopping servers, one timed load
# recorded with the server's CPU time, RSS with idle connections, and the reports.
# Sourcing this makes the run's directory and sets the exit trap that stops every server
# started here.

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

# report SECTION: bench/reports' SECTION of docs/benchmarks.md, from this run's directory.
report() { PYTHONPATH=bench python3 -m reports "$1" "$work" docs/benchmarks.md; }
# wrote WHAT: says so, and where the raw data are.
wrote() { echo "compare.sh: wrote the $1 section of docs/benchmarks.md (raw data in $work)" >&2; }
