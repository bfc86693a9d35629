#!/usr/bin/env bash
# The API reference: Doxygen over the public headers (include/coronet, not detail/) into
# build/apidocs/html (open build/apidocs/html/index.html). Fails, printing the
# warnings, when anything public is undocumented or a doc comment is malformed: every
# public class, function, enumerator and option carries at least a one-line brief.
# scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v doxygen >/dev/null || scripts/setup.sh
out=${CORONET_APIDOCS_DIR:-build/apidocs}
rm -rf "$out"
mkdir -p "$out"
version=$(sed -n 's/^project(coronet VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
start=$(date +%s)
status=0
CORONET_VERSION=$version CORONET_APIDOCS_DIR=$out doxygen docs/api/Doxyfile >"$out/doxygen.log" 2>&1 || status=$?
if [ -s "$out/warnings.txt" ] || [ "$status" -ne 0 ]; then
  echo "apidocs: Doxygen found $(grep -c 'warning:' "$out/warnings.txt" 2>/dev/null || echo 0) problems:" >&2
  cat "$out/warnings.txt" "$out/doxygen.log" >&2
  exit 1
fi
# Coverage: every documented entity Doxygen listed, none undocumented (warnings would say).
entities=$(grep -ho 'class="memItemRight"' "$out"/html/*.html | wc -l)
echo "apidocs: $out/html/index.html, version $version, no undocumented public entity" \
     "($entities members listed; $(($(date +%s) - start)) s)" >&2
