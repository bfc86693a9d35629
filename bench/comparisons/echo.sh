# shellcheck shell=bash disable=SC2034,SC2154  # sourced: compare.sh's variables
# bench/compare.sh's echo section (sourced): coronet's echo_server (raw, line, length;
# the io_uring build's too, unless --no-uring) against the hand-written Asio floor
# (bench/floors/asio_echo_server.cpp) and Node's net (node_echo_server.js), under
# coronet-loadgen --mode pingpong at 64 B x 1, 64 B x 100 and 16 KiB x 10 connections;
# and the memory section: RSS per idle connection, with 10 000 idle connections held by
# coronet-loadgen --mode idle in another process. The unpinned and system-call sections
# start the same servers. Report: bench/reports/full.py.

# start_echo_servers: the TCP echo servers (the io_uring build's too, unless
# --no-uring), listed in echo_servers, their ports in port[].
start_echo_servers() {
  echo_servers=(coronet_raw coronet_line coronet_length asio node)
  declare -gA port=([coronet_raw]=7301 [coronet_line]=7302 [coronet_length]=7303 [asio]=7304
    [node]=7305 [coronet_raw_uring]=7331 [coronet_line_uring]=7332 [coronet_length_uring]=7333)
  local f
  for f in raw line length; do
    start "coronet_$f" "${port[coronet_$f]}" "$bin/examples/echo/echo_server" --port "${port[coronet_$f]}" --framing "$f"
  done
  start asio 7304 "$bin/bench/asio_echo_server" --port 7304 --threads 1
  start node 7305 node bench/comparisons/node_echo_server.js 7305
  if [ "$uring" = 1 ]; then
    for f in raw line length; do
      start "coronet_${f}_uring" "${port[coronet_${f}_uring]}" "$bin_uring/examples/echo/echo_server" \
        --port "${port[coronet_${f}_uring]}" --framing "$f"
      echo_servers+=("coronet_${f}_uring")
    done
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

# run_memory: RSS with $idle_connections idle connections, one server at a time.
run_memory() {
  echo "== memory: RSS with $idle_connections idle connections ==" >&2
  start coronet_line 7302 "$bin/examples/echo/echo_server" --port 7302 --framing line
  idle_one mem coronet_line 7302 "$idle_connections"
  stop coronet_line
  start coronet_raw 7301 "$bin/examples/echo/echo_server" --port 7301 --framing raw
  idle_one mem coronet_raw 7301 "$idle_connections"
  stop coronet_raw
  start asio 7304 "$bin/bench/asio_echo_server" --port 7304 --threads 1
  idle_one mem asio 7304 "$idle_connections"
  stop asio
  start node 7305 node bench/comparisons/node_echo_server.js 7305
  idle_one mem node 7305 "$idle_connections"
  stop node
}
