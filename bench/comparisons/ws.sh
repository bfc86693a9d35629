# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's WebSocket section (sourced): `echo_server --framing websocket`
# against node_ws_echo_server.js (Node's `ws`, from build/npm), both one thread pinned to
# core 0, under `coronet-loadgen --mode ws` (plain Asio; masks every frame, checks every
# echo) at 64 B x 100 and 16 KiB x 10, rounds and duration as the TCP echo. The
# system-call section starts the same servers. Report: bench/reports/ws.py.

# start_ws_servers: coronet's WebSocket echo (both builds) and Node's ws, in ws_servers.
start_ws_servers() {
  ws_servers=(coronet_ws node_ws)
  declare -gA ws_port=([coronet_ws]=7321 [node_ws]=7322 [coronet_ws_uring]=7323)
  start coronet_ws 7321 "$bin/examples/echo/echo_server" --port 7321 --framing websocket
  start node_ws 7322 env NODE_PATH="$node_modules" node bench/comparisons/node_ws_echo_server.js 7322
  if [ "$uring" = 1 ]; then
    start coronet_ws_uring 7323 "$bin_uring/examples/echo/echo_server" --port 7323 --framing websocket
    ws_servers+=(coronet_ws_uring)
  fi
}

# run_ws: the WebSocket rounds, and ws_params.json.
run_ws() {
  local r shape label size conns s
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
}
