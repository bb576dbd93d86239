#!/bin/sh
# run.sh - run every tests/blackbox/t_*.sh (or the scripts named as
# arguments), print PASS/FAIL/SKIP per script, show the log of each failure,
# and end with "N passed, N failed, N skipped".
#
#   PGW_BIN=build/pushgateway sh tests/blackbox/run.sh
#   PGW_IMPL=upstream PGW_BIN=/usr/bin/prometheus-pushgateway sh tests/blackbox/run.sh
#   sh tests/blackbox/run.sh t_push.sh t_api.sh
DIR=$(cd "$(dirname "$0")" && pwd)
PGW_SRC=${PGW_SRC:-$(cd "$DIR/../.." && pwd)}
PGW_BIN=${PGW_BIN:-$PGW_SRC/build/pushgateway}
export PGW_SRC PGW_BIN
[ -n "${PGW_IMPL:-}" ] && export PGW_IMPL

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/pgwrun.XXXXXX") || exit 1
trap 'rm -rf "$LOGDIR"' EXIT
trap 'exit 130' INT TERM

if [ $# -gt 0 ]; then
	SCRIPTS=""
	for a in "$@"; do
		case $a in
		*/*) SCRIPTS="$SCRIPTS $a" ;;
		*) SCRIPTS="$SCRIPTS $DIR/$a" ;;
		esac
	done
else
	SCRIPTS=$(ls "$DIR"/t_*.sh)
fi

# PGW_RUN_EXCLUDE: space-separated script names not to run.  Against upstream
# the default excludes t_docs (it checks this repository's docs and our
# --help on stdout, not gateway behaviour).
if [ -z "${PGW_RUN_EXCLUDE+set}" ] && [ "${PGW_IMPL:-c}" = upstream ]; then
	PGW_RUN_EXCLUDE=t_docs
fi
echo "pushgateway black-box tests: PGW_BIN=$PGW_BIN PGW_IMPL=${PGW_IMPL:-c}"
PASS=0
FAILN=0
SKIP=0
FAILED=""
for s in $SCRIPTS; do
	name=$(basename "$s" .sh)
	case " ${PGW_RUN_EXCLUDE:-} " in
	*" $name "*)
		SKIP=$((SKIP + 1))
		echo "SKIP $name: excluded by PGW_RUN_EXCLUDE"
		continue
		;;
	esac
	start=$(date +%s)
	sh "$s" >"$LOGDIR/$name.log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	summary=$(grep -E "^$name: " "$LOGDIR/$name.log" | tail -n 1)
	case $rc in
	0)
		PASS=$((PASS + 1))
		echo "PASS $name (${secs}s) ${summary#"$name": }"
		;;
	77)
		SKIP=$((SKIP + 1))
		echo "SKIP $name: $(grep -E '^SKIP ' "$LOGDIR/$name.log" | tail -n 1)"
		;;
	*)
		FAILN=$((FAILN + 1))
		FAILED="$FAILED $name"
		echo "FAIL $name (exit $rc, ${secs}s) ${summary#"$name": }"
		;;
	esac
done
for name in $FAILED; do
	echo
	echo "======== log of $name ========"
	cat "$LOGDIR/$name.log"
done
echo
if [ "$SKIP" -gt 0 ]; then
	echo "$PASS passed, $FAILN failed, $SKIP skipped"
else
	echo "$PASS passed, $FAILN failed"
fi
[ "$FAILN" -eq 0 ]
