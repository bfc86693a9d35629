#!/usr/bin/env bash
# Installs the Debian 12 packages coronet needs to build, test and run its examples.
# Idempotent: does nothing (and needs no network) when everything is already there.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format clang-tidy ccache git
  libasio-dev nlohmann-json3-dev doctest-dev libbenchmark-dev libcli11-dev libssl-dev openssl haproxy
  redis-server redis-tools netcat-openbsd python3 procps nodejs prometheus curl
)
packages+=("$@")  # callers may ask for more (the benchmarks want gnuplot)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
