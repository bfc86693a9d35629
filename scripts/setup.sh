#!/usr/bin/env bash
# Installs the Debian 12 packages coronet needs to build, test and run its examples, and
# Node's `ws` (for the WebSocket tests) and `puppeteer-core` (to drive chromium in the
# chat page's test) into build/npm, which is not committed.
# Idempotent: does nothing (and needs no network) when everything is already there.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format clang-tidy ccache git
  libasio-dev nlohmann-json3-dev doctest-dev libbenchmark-dev libcli11-dev libssl-dev openssl haproxy
  redis-server redis-tools netcat-openbsd python3 python3-websockets procps nodejs prometheus curl
  chromium liburing-dev doxygen dpkg-dev pkg-config binutils
)
# npm for Node's ws below: Debian's nodejs comes without it, NodeSource's nodejs with it.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
packages+=("$@")  # callers may ask for more (the benchmarks want gnuplot)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node's `ws`, the WebSocket client tests/clients/ws_client.js drives (tests/websocket/test_websocket.cpp
# finds it there, or in $CORONET_NODE_PATH), and puppeteer-core, which drives Debian's
# chromium in tests/clients/chat_web_browser.js (puppeteer-core never downloads a browser).
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/build/npm"
if [ ! -f "$npm_dir/node_modules/ws/package.json" ] ||
   [ ! -f "$npm_dir/node_modules/puppeteer-core/package.json" ]; then
  echo "setup: npm install ws puppeteer-core into $npm_dir" >&2
  mkdir -p "$npm_dir"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error \
    ws@8 puppeteer-core@24 >/dev/null
fi
