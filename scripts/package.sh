#!/usr/bin/env bash
# The Debian packages, with CPack's DEB generator, into build/package/:
#   coronet-dev_VERSION_ARCH.deb       headers, static and shared libraries, the CMake
#                                      package and pkg-config files
#   coronet-examples_VERSION_ARCH.deb  the example programs and coronet-make-cert
# Two Release trees, both with Asio header-only (CORONET_ASIO_SEPARATE_COMPILATION=OFF),
# so that g++ and clang++ users alike can use the package: build/package/shared and
# build/package/static (which also builds the example programs, linked statically).
# Install with: apt install ./build/package/coronet-dev_*.deb (docs/packaging.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/ccache_env.sh
start=$(date +%s)
out=build/package
mkdir -p "$out"
rm -f "$out"/*.deb
for kind in shared static; do
  shared=OFF examples=ON
  if [ "$kind" = shared ]; then shared=ON examples=OFF; fi
  cmake -S . -B "$out/$kind" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DBUILD_SHARED_LIBS=$shared -DCORONET_ASIO_SEPARATE_COMPILATION=OFF \
    -DCORONET_BUILD_TESTS=OFF -DCORONET_BUILD_EXAMPLES=$examples -DCORONET_INSTALL=ON >/dev/null
  cmake --build "$out/$kind" -j "$(nproc)"
done
# One CPack run over both trees: each component takes its files from both installs.
(cd "$out" && cpack -G DEB --config static/CPackConfig.cmake \
  -D "CPACK_INSTALL_CMAKE_PROJECTS=$PWD/shared;coronet;ALL;/;$PWD/static;coronet;ALL;/" \
  -D "CPACK_OUTPUT_FILE_PREFIX=$PWD" >/dev/null)
for deb in "$out"/*.deb; do
  echo "package: $deb ($(du -k "$deb" | cut -f1) KiB)" >&2
done
echo "package: $(($(date +%s) - start)) s" >&2
