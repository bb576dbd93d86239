#!/bin/sh
# valgrind.sh - run representative black-box scenarios with the gateway under valgrind's
# memcheck: any invalid read or write, use of uninitialised memory, invalid free, or
# definite or possible leak at exit fails the stage. Bounded: a fixed set of scripts, each
# with the suite's time limits and an overall timeout per script.
#   scripts/valgrind.sh [BUILD_DIR [SCRIPT...]]     (default: build-test and the set below)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-test}
[ $# -gt 0 ] && shift
scripts=${*:-t_push.sh t_delete.sh t_api.sh t_negotiation.sh t_webconfig.sh t_hostile.sh}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind not found (Debian: apt-get install valgrind)" >&2
    exit 1
fi
[ -x "$build/pushgateway" ] || { echo "valgrind.sh: no $build/pushgateway" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pgw-valgrind.XXXXXX")
trap 'rm -rf "$work"' 0 1 15

# The tests start $PGW_BIN; this wrapper makes that the gateway under valgrind (same pid,
# so the tests' signals reach it). One log per process; --quiet leaves clean runs empty.
cat >"$work/pushgateway" <<EOF
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
    --errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible \\
    --num-callers=30 --log-file="$work/vg.%p.log" "$build/pushgateway" "\$@"
EOF
chmod +x "$work/pushgateway"

status=0
for s in $scripts; do
    echo "valgrind: $s"
    if ! PGW_SLOW=1 PGW_BIN="$work/pushgateway" PGW_SRC="$top" timeout 900 \
            sh "$top/tests/blackbox/$s" \
            >"$work/$s.out" 2>&1; then
        echo "valgrind: $s FAILED"
        tail -40 "$work/$s.out"
        status=1
    fi
done
for log in "$work"/vg.*.log; do
    [ -s "$log" ] || continue
    echo "valgrind: errors in $(basename "$log"):"
    cat "$log"
    status=1
done
n=$(ls "$work"/vg.*.log 2>/dev/null | wc -l)
if [ "$n" -eq 0 ]; then
    echo "valgrind: no gateway ran under valgrind"
    status=1
fi
[ $status = 0 ] && echo "valgrind: clean, $n gateway processes checked ($scripts)"
exit $status
