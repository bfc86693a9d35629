# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's kv section (sourced): examples/kv's kv_server (the io_uring build's
# too, unless --no-uring) against redis-server, under redis-benchmark -c 50 at -P 1 and
# -P 16 (ping_inline, ping_mbulk, set, get, incr). The unpinned and system-call sections
# start the same servers. Report: bench/reports/full.py.

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
