#!/usr/bin/env bash
# Runs the consumer program (tests/consumer/main.cpp) with what it needs: a redis-server of
# its own on a free loopback port, in a temporary directory, stopped by its process id
# whatever the outcome, and TLS certificates from scripts/make-cert.sh.
#
#   tests/consumer/run_consumer.sh CONSUMER_BINARY SOURCE_DIR
set -euo pipefail
consumer=$1
source_dir=$2
work=$(mktemp -d)
redis_pid=
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$work" \
  --logfile "$work/redis.log" &
redis_pid=$!
for _ in $(seq 1 100); do
  if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then break; fi
  sleep 0.1
done
bash "$source_dir/scripts/make-cert.sh" "$work/certs" >/dev/null
"$consumer" "$port" "$work/certs"
