#!/usr/bin/env bash
# The Debian package used as users use it: unpacks build/package/coronet-dev_*.deb into a
# temporary root (the CMake package and the pkg-config files are relocatable), then
# builds tests/consumer/main.cpp against it in Release, with g++ and clang++, static and
# shared, both ways:
#   find_package(coronet) with CMAKE_PREFIX_PATH (CORONET_USE_STATIC_LIBS for static),
#   a plain `$CXX main.cpp $(pkg-config --cflags --libs coronet-tls coronet-json coronet-redis)`,
# and runs each (an RPC call with a deadline, Redis, a signal_set of its own beside a
# server, TLS: tests/consumer/run_consumer.sh). Also checks the packages' metadata, the
# shared library's SONAME and the example programs. Run by scripts/test.sh after
# scripts/package.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source_dir=$PWD
dev_deb=$(ls build/package/coronet-dev_*.deb)
examples_deb=$(ls build/package/coronet-examples_*.deb)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
dpkg-deb -x "$dev_deb" "$root"
dpkg-deb -x "$examples_deb" "$work/examples"
libdir=$(dirname "$(find "$root" -name 'libcoronet.so' | head -1)")
version=$(sed -n 's/^project(coronet VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
failures=0
pass() { echo "ok $*"; }
fail() { echo "FAILED $*"; failures=$((failures + 1)); }

# Metadata: the names, the version, what a consumer needs.
info=$(dpkg-deb -I "$dev_deb")
grep -q "^ Package: coronet-dev$" <<<"$info" && grep -q "^ Version: $version$" <<<"$info" &&
  grep -q "^ Depends: .*libasio-dev.*libssl-dev.*nlohmann-json3-dev" <<<"$info" &&
  pass "coronet-dev metadata" || fail "coronet-dev metadata: $info"
soname=$(readelf -d "$libdir/libcoronet.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
major_minor=${version%.*}
[ "$soname" = "libcoronet.so.$major_minor" ] && pass "SONAME $soname" || fail "SONAME '$soname'"
for f in libcoronet.a libcoronet_tls.a libcoronet_json.a libcoronet_redis.a \
         pkgconfig/coronet.pc pkgconfig/coronet-tls.pc pkgconfig/coronet-json.pc \
         pkgconfig/coronet-redis.pc cmake/coronet/coronetConfig.cmake; do
  [ -e "$libdir/$f" ] || fail "missing $f"
done
[ -e "$root/usr/include/coronet/version.hpp" ] || fail "missing the headers"
"$work/examples/usr/bin/coronet-echo-server" --version | grep -q "coronet $version" &&
  pass "coronet-echo-server --version" || fail "coronet-echo-server --version"
"$work/examples/usr/bin/coronet-make-cert" "$work/made-certs" >/dev/null &&
  [ -s "$work/made-certs/server.pem" ] && pass "coronet-make-cert" || fail "coronet-make-cert"

export PKG_CONFIG_PATH=$libdir/pkgconfig
modules="coronet-tls coronet-json coronet-redis"
[ "$(pkg-config --modversion coronet)" = "$version" ] && pass "pkg-config --modversion" ||
  fail "pkg-config --modversion"
launcher=()
if command -v ccache >/dev/null; then launcher=(ccache); fi
for cxx in g++ clang++; do
  for kind in shared static; do
    name="$cxx $kind find_package"
    static=OFF
    if [ $kind = static ]; then static=ON; fi
    dir=$work/cmake-$cxx-$kind
    if cmake -S tests/consumer -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
         -DCMAKE_CXX_COMPILER=$cxx -DCMAKE_CXX_COMPILER_LAUNCHER="${launcher[*]}" \
         -DCMAKE_PREFIX_PATH="$root/usr" -DCORONET_USE_STATIC_LIBS=$static >"$dir.log" 2>&1 &&
       cmake --build "$dir" >>"$dir.log" 2>&1; then
      linked=$(ldd "$dir/consumer" | grep -c libcoronet || true)
      if [ $kind = shared ] && [ "$linked" -eq 0 ]; then fail "$name: not linked to libcoronet.so"
      elif [ $kind = static ] && [ "$linked" -ne 0 ]; then fail "$name: linked to libcoronet.so"
      elif bash tests/consumer/run_consumer.sh "$dir/consumer" "$source_dir" >"$dir.run" 2>&1; then
        pass "$name"
      else fail "$name: $(cat "$dir.run")"; fi
    else
      fail "$name: $(tail -30 "$dir.log")"
    fi

    name="$cxx $kind pkg-config"
    exe=$work/pc-$cxx-$kind
    if [ $kind = shared ]; then
      libs=$(pkg-config --libs $modules)
    else  # the coronet libraries' archives, and what they need (pkg-config --static)
      libs="-Wl,-Bstatic $(pkg-config --libs-only-l $modules | sed 's/-pthread//g') -Wl,-Bdynamic"
      libs="$libs $(pkg-config --static --libs $modules | tr ' ' '\n' | grep -v '^-lcoronet' | tr '\n' ' ')"
    fi
    # shellcheck disable=SC2046,SC2086
    if "${launcher[@]}" $cxx -O2 tests/consumer/main.cpp -o "$exe" $(pkg-config --cflags $modules) \
         $libs >"$exe.log" 2>&1; then
      if LD_LIBRARY_PATH=$libdir bash tests/consumer/run_consumer.sh "$exe" "$source_dir" >"$exe.run" 2>&1; then
        pass "$name"
      else fail "$name: $(cat "$exe.run")"; fi
    else
      fail "$name: $(tail -30 "$exe.log")"
    fi
  done
done
echo "package consumers: $failures failed"
[ $failures -eq 0 ]
