#!/usr/bin/env bash
# Builds (release) and runs the bundled chat server on 127.0.0.1:7777.
# Extra arguments go to the server (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target echo_server >&2
cat >&2 <<'MSG'

  Until the chat example lands, the echo server stands in on 127.0.0.1:7777.
  Connect with:  nc 127.0.0.1 7777

MSG
exec build/release/examples/echo_server --port 7777 "$@"
