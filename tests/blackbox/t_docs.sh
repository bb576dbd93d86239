#!/bin/sh
# t_docs.sh - every flag that --help lists is documented in docs/configuration.md and
# docs/compatibility.md exists; the README's first two commands are the run and test scripts.
set -u
: "${PGW_BIN:?PGW_BIN must name the binary}"
src=${PGW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
fail=0
flags=$("$PGW_BIN" --help | grep -E '^ +(-[a-z], )?--' | sed -E 's/^ +(-[a-z], )?//' |
    grep -o -- '^--\(\[no-\]\)\?[a-z][a-z0-9.-]*[a-z0-9]' | sed 's/--\[no-\]/--/' | sort -u)
[ -n "$flags" ] || { echo "FAIL: --help listed no flags"; exit 1; }
n=0
for f in $flags; do
    n=$((n + 1))
    if ! grep -q -- "\`$f\`" "$src/docs/configuration.md"; then
        echo "FAIL: $f is not documented in docs/configuration.md"
        fail=1
    fi
done
for doc in API.md architecture.md compatibility.md configuration.md; do
    [ -s "$src/docs/$doc" ] || { echo "FAIL: docs/$doc missing"; fail=1; }
done
cmds=$(grep -E '^scripts/(run|test)\.sh' "$src/README.md" | head -2 | awk '{print $1}' | tr '\n' ' ')
if [ "$cmds" != "scripts/run.sh scripts/test.sh " ]; then
    echo "FAIL: the README's first two commands are not scripts/run.sh and scripts/test.sh: $cmds"
    fail=1
fi
grep -q 'scripts/test.sh' "$src/.ci/run" || { echo "FAIL: .ci/run does not call scripts/test.sh"; fail=1; }
[ $fail = 0 ] && echo "t_docs: $n flags documented, docs present, README and CI agree"
exit $fail
