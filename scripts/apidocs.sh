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
  echo "apidocs: Doxygen found $(grep -c 'warning:\|error:' "$out/warnings.txt" 2>/dev/null || true) problems:" >&2
  cat "$out/warnings.txt" "$out/doxygen.log" >&2
  exit 1
fi
# Doxygen does not warn about an enumerator without a brief; the XML tells.
undocumented=$(python3 - "$out/xml" <<'PY'
import glob, re, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.xml")):
    text = open(path).read()
    for enum in re.finditer(r'<memberdef kind="enum"[^>]*prot="(\w+)".*?</memberdef>', text, re.S):
        if enum.group(1) == "private":
            continue
        qualified = re.search(r"<qualifiedname>(.*?)</qualifiedname>", enum.group(0))
        for value in re.finditer(r"<enumvalue [^>]*>(.*?)</enumvalue>", enum.group(0), re.S):
            body = value.group(1)
            docs = re.findall(r"<(?:brief|detailed)description>(.*?)</(?:brief|detailed)description>", body, re.S)
            if not re.sub(r"<[^>]+>|\s", "", "".join(docs)):
                name = re.search(r"<name>(.*?)</name>", body).group(1)
                print(f"{qualified.group(1) if qualified else '?'}::{name} is not documented")
PY
)
if [ -n "$undocumented" ]; then
  echo "apidocs: enumerators without a brief:" >&2
  echo "$undocumented" >&2
  exit 1
fi

# The guides link to the reference, and the reference's main page back to the guides:
# every such link must lead somewhere.
broken=0
for page in $(grep -oh '\.\./build/apidocs/html/[A-Za-z0-9_]*\.html' docs/*.md | sort -u); do
  [ -f "$out/html/${page#../build/apidocs/html/}" ] || { echo "apidocs: docs/ links to a missing $page" >&2; broken=1; }
done
for guide in $(grep -oh 'href="\.\./\.\./\.\./[^"]*"' docs/api/mainpage.md | sed 's/href="\.\.\/\.\.\/\.\.\///; s/"$//' | sort -u); do
  [ -f "$guide" ] || { echo "apidocs: the main page links to a missing $guide" >&2; broken=1; }
done
[ "$broken" -eq 0 ] || exit 1

# Coverage, from Doxygen's XML: the public entities it found (classes and structs,
# functions, fields, enumerations and their values, type aliases, macros), every one
# with a brief or the warnings above would have failed the run.
count() { cat "$out"/xml/*.xml | grep -o "$1" | wc -l; }
compounds=$(count '<compounddef [^>]*kind="\(class\|struct\|union\)"')
members=$(count '<memberdef ')
values=$(count '<enumvalue ')
echo "apidocs: $out/html/index.html, version $version: $((compounds + members + values)) public" \
     "entities documented ($compounds classes, $members members, $values enumerators; none" \
     "undocumented), $(($(date +%s) - start)) s" >&2
