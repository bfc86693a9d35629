#!/usr/bin/env bash
# Builds (release) and runs the bundled chat server on 127.0.0.1:7777, and its web page
# on http://127.0.0.1:8080/ (unless --web is given).
# Extra arguments go to chat_server (try --help: --host, --port, --threads, --web, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release -DCORONET_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build --preset release --target chat_server chat_client >&2
cat >&2 <<'MSG'

  coronet chat: join from another terminal with
      build/release/examples/chat/chat_client --name you
  or with any line-based tool:
      nc 127.0.0.1 7777
  (the first line you type is your name; /who, /msg NAME TEXT, /nick NAME, /quit)
  or in a browser (unless you chose another --web address):
      http://127.0.0.1:8080/

MSG
web=(--web 127.0.0.1:8080)
for a in "$@"; do
  case "$a" in --web | --web=*) web=() ;; esac
done
exec build/release/examples/chat/chat_server "${web[@]}" "$@"
