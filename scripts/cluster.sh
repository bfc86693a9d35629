#!/usr/bin/env bash
# One chat room served by two chat_server instances, as it would run in production:
# redis-server (shared names, presence and events), two chat_servers, and HAProxy on
# 127.0.0.1:7777 spreading connections round robin with the PROXY protocol (v2).
#
#   bash scripts/cluster.sh            # then, in two other terminals:  nc 127.0.0.1 7777
#
# The two nc sessions land on different instances and chat in one room (the servers'
# log lines, prefixed [a] and [b], show who joined where). Ctrl-C stops everything this
# script started. Ports: CLUSTER_PORT (7777, HAProxy), REDIS_PORT (7780), and the two
# instances on CLUSTER_PORT+1 and +2 unless A_PORT / B_PORT say otherwise. Set
# CHAT_SERVER to use an already built chat_server and skip the build.
set -euo pipefail
cd "$(dirname "$0")/.."
front="${CLUSTER_PORT:-7777}"
redis_port="${REDIS_PORT:-7780}"
a_port="${A_PORT:-$((front + 1))}"
b_port="${B_PORT:-$((front + 2))}"

if [ -z "${CHAT_SERVER:-}" ]; then
  scripts/setup.sh haproxy redis-server
  cmake --preset release -DCORONET_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build --preset release --target chat_server chat_client >&2
  CHAT_SERVER=build/release/examples/chat/chat_server
fi

work="$(mktemp -d)"
pids=()
redis_pid=""
stop() {
  local code="${1:-0}"
  trap - INT TERM EXIT
  # The chat servers and HAProxy first, so that the servers can say goodbye through
  # Redis; Redis last.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$code"
}
trap stop INT TERM
trap 'stop $?' EXIT

# Prefixes every line of a process's output with its name.
label() { sed -u "s/^/[$1] /" >&2; }

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  > >(label redis) 2>&1 &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

for name in a b; do
  port=$a_port
  [ "$name" = b ] && port=$b_port
  "$CHAT_SERVER" --port "$port" --redis "127.0.0.1:$redis_port" --node "$name" \
    --proxy-protocol 2> >(label "$name") &
  pids+=($!)
done

cat > "$work/haproxy.cfg" <<CFG
global
  maxconn 1000
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
frontend chat
  bind 127.0.0.1:$front
  default_backend chat
backend chat
  balance roundrobin
  server a 127.0.0.1:$a_port send-proxy-v2
  server b 127.0.0.1:$b_port send-proxy-v2
CFG
haproxy -db -f "$work/haproxy.cfg" > >(label haproxy) 2>&1 &
pids+=($!)

cat >&2 <<MSG

  coronet chat cluster: HAProxy on 127.0.0.1:$front -> chat_server a (:$a_port) and b (:$b_port),
  sharing one room through redis-server on 127.0.0.1:$redis_port.
  Join from two terminals with:   nc 127.0.0.1 $front
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}" "$redis_pid" || true
echo "cluster.sh: a process exited; stopping the rest" >&2
stop
