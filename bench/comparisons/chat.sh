# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's chat section (sourced): chat_server (threads 1, pinned to core 0;
# threads 2, on both cores) and node_chat_server.js, under coronet-loadgen --mode chat at
# 100 receivers x 5 senders and 1000 receivers x 1 sender (64 B texts, --chat-rounds
# rounds of --chat-duration s each). The join phase is reported apart; server CPU per
# phase comes from loadgen's --server-pid (/proc/PID/stat read at the phase boundaries).
# Before each run the section waits for the servers' CPU to go quiet, so the last run's
# members leaving are not billed to the next. The cluster variant runs only when
# `chat_server --help` mentions --redis: redis-server on a free loopback port, 1
# chat_server instance against 2 sharing the room through --redis, the same members
# spread over both, with the CPU of each instance and of redis-server.
# Report: bench/reports/chat.py.

# free_port: a free TCP port on the loopback.
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

# run_chat: the chat section's loads (the cluster's too, when chat_server has --redis),
# into chat.jsonl, and chat_params.json.
run_chat() {
  local r shape label receivers senders s redis_port one a b redis_flag
  chat_log="$work/chat.jsonl"
  : >"$chat_log"
  chat_shapes=("100x5:100:5" "1000x1:1000:1")
  chat_servers=(chat_t1 chat_t2 node_chat)
  local -A chat_port=([chat_t1]=$(free_port) [chat_t2]=$(free_port) [node_chat]=$(free_port))
  start chat_t1 "${chat_port[chat_t1]}" "$chat_server" --port "${chat_port[chat_t1]}" --threads 1
  # Two threads get both cores (pinned to one they would only take turns); the client
  # shares core 1 with one of them, so read its deliveries per CPU-second.
  pin_server=(taskset -c 0,1)
  start chat_t2 "${chat_port[chat_t2]}" "$chat_server" --port "${chat_port[chat_t2]}" --threads 2
  pin_server=(taskset -c "$server_core")
  start node_chat "${chat_port[node_chat]}" node bench/comparisons/node_chat_server.js --port "${chat_port[node_chat]}"
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
}
