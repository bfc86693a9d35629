# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's system-call section (sourced): after the timed rounds, one more
# load per server and shape (echo, kv under redis-benchmark, WebSocket, TLS echo, chat
# per delivery) runs under `perf stat -p SERVER_PID` counting the server's system calls
# by tracepoint (raw_syscalls:sys_enter for the total, syscalls:sys_enter_* per kind,
# and the read exits that returned EAGAIN; syscall_counts.py); each count is divided by
# the messages of that load. These loads are not timed: tracepoints cost the server a
# little, which is why the timed figures come from runs without perf. Needs perf
# (linux-perf) and root. Report: bench/reports/syscalls.py.

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
print(json.dumps(d))' "$(python3 bench/comparisons/syscall_counts.py "$work/perf.csv" "$messages")" \
    "$kind" "$s" "$label" | tee -a "$syscall_log" | python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
print("  %-5s %-10s %-15s %5.2f calls/msg: reads %.2f (EAGAIN %.2f) writes %.2f waits %.2f other %.2f" %
      (d["kind"], d["shape"], d["server"], d["total"], d["reads"], d["eagain_reads"], d["writes"],
       d["waits"], d["other"]))' >&2
}

# run_syscalls: the counted loads into syscalls.jsonl, and syscalls_params.json.
run_syscalls() {
  local shape label size conns s pipeline n test receivers senders p
  command -v perf >/dev/null || { echo "compare.sh: --syscalls needs perf (linux-perf)" >&2; exit 1; }
  syscall_log="$work/syscalls.jsonl"
  : >"$syscall_log"
  sc_events=$(python3 bench/comparisons/syscall_counts.py --events)
  mapfile -t sc_eagain < <(python3 bench/comparisons/syscall_counts.py --eagain-events)
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
  local -A sc_tls_port=([coronet_raw]=7341 [coronet_line]=7342 [asio_ssl]=7343 [node_tls]=7344)
  start sc_tls_coronet_raw 7341 "$bin/examples/echo/echo_server" --port 7341 --framing raw "${sc_cert[@]}"
  start sc_tls_coronet_line 7342 "$bin/examples/echo/echo_server" --port 7342 --framing line "${sc_cert[@]}"
  start sc_tls_asio_ssl 7343 "$bin/bench/asio_ssl_echo_server" --port 7343 --threads 1 "${sc_cert[@]}"
  start sc_tls_node_tls 7344 node bench/comparisons/node_tls_echo_server.js 7344 "$sc_certs/server.pem" \
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
  start node_chat 7352 node bench/comparisons/node_chat_server.js --port 7352
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
}
