#!/bin/sh
# t_sysconfig.sh - the sysconfig file through the real binary: /bin/sh's view of the file
# (sourced, as the init script does) equals the gateway's (the /api/v1/status flags map) for
# every key, with quoting, escapes, continuation lines and export; the same file gives the
# same running configuration started as the SysV init script does and as the systemd unit
# does (its ExecStart= line, Type=notify); precedence defaults < keys < PUSHGATEWAY_OPTS <
# command line; a malformed line stops start-up with file:line (exit 2, 1 under -n); an
# unknown key is a warning in the log.
if [ -z "${PGW_SUBREAPER:-}" ] && command -v "${PGW_PYTHON:-python3}" >/dev/null 2>&1; then
	exec "${PGW_PYTHON:-python3}" "$(dirname "$0")/subreaper.py" sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

is_ours || skip_all "--config.file is pushgateway-c's"

PORT=$(free_port)
F="$T_TMP/pushgateway.sysconfig"
# The packaged file, then values that exercise the syntax (the later assignment wins).
{
	cat "$PGW_SRC/packaging/pushgateway.sysconfig"
	cat <<EOF
# --- test values
export PUSHGATEWAY_WEB_LISTEN_ADDRESS="127.0.0.1:$PORT"
PUSHGATEWAY_WEB_TELEMETRY_PATH='/m "x" \$y'
PUSHGATEWAY_WEB_EXTERNAL_URL="http://h.example:9091/"
PUSHGATEWAY_PERSISTENCE_FILE="$T_TMP/state dir/p.db"
PUSHGATEWAY_PERSISTENCE_INTERVAL=1m\\
30s
  PUSHGATEWAY_PUSH_ENABLE_UTF8_NAMES=true
PUSHGATEWAY_WEB_ENABLE_LIFECYCLE="t"'rue'
PUSHGATEWAY_LOG_LEVEL=de\\bug
PUSHGATEWAY_LOG_FORMAT="json"
PUSHGATEWAY_WEB_ROUTE_PREFIX=
PUSHGATEWAY_OPTS="--web.enable-admin-api
	--push.disable-consistency-check"
UNRELATED_KEY=1
DAEMON_USER=
PIDFILE=$T_TMP/run/pushgateway.pid
LOCKFILE=$T_TMP/lock/pushgateway
LOGFILE=
EOF
} >"$F"
mkdir -p "$T_TMP/state dir"

# The flags --help lists, and their keys.
FLAGS=$("$PGW_BIN" --help | grep -E '^ +(-[a-z], )?--' | sed -E 's/^ +(-[a-z], )?//' |
	grep -o -- '^--\(\[no-\]\)\?[a-z][a-z0-9.-]*[a-z0-9]' | sed 's/--\[no-\]//; s/^--//' | sort -u)
key_of() {
	printf 'PUSHGATEWAY_%s' "$(printf '%s' "$1" | tr 'a-z.-' 'A-Z__')"
}

# status_flags URL: the flags map as "name<TAB>value" lines, sorted.
status_flags() {
	curl -s --max-time 5 "$1/api/v1/status" >"$T_TMP/status.json"
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))["data"]["flags"]
for k in sorted(d): print(k + "\t" + d[k].replace("\n", "\\n"))' "$T_TMP/status.json"
}

wait_ready() {
	wait_until 100 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 '$1/-/ready')\" = 200 ]"
}

# ------------------------------------------------ 1. as the systemd unit starts it
UNIT="$PGW_SRC/systemd/pushgateway.service"
EXECSTART=$(sed -n 's/^ExecStart=//p' "$UNIT")
assert_eq "$EXECSTART" "/usr/bin/pushgateway --config.file=/etc/sysconfig/pushgateway" \
	"the unit starts the gateway with the sysconfig file only"
assert_eq "$(sed -n 's/^Type=//p' "$UNIT")" notify "the unit is Type=notify"
# shellcheck disable=SC2086
set -- $(printf '%s\n' "$EXECSTART" | sed "s#^/usr/bin/pushgateway#$PGW_BIN#; s#/etc/sysconfig/pushgateway#$F#")
"$PY" "$T_DIR/notifysock.py" "$T_TMP/notify.sock" "$T_TMP/notify.out" &
NP=$!
T_PIDS="$T_PIDS $NP"
wait_until 50 test -e "$T_TMP/notify.out.ready"
(cd "$T_TMP" && NOTIFY_SOCKET="$T_TMP/notify.sock" exec "$@" >"$T_TMP/unit.log" 2>&1 </dev/null) &
UP=$!
T_PIDS="$T_PIDS $UP"
URL="http://127.0.0.1:$PORT"
wait_ready "$URL" || die "unit-style start not ready: $(cat "$T_TMP/unit.log")"
wait_until 50 grep -qs READY=1 "$T_TMP/notify.out"
assert_contains "$(cat "$T_TMP/notify.out" 2>/dev/null)" "READY=1" "unit-style start notifies READY=1"
UNIT_FLAGS=$(status_flags "$URL")
assert_contains "$(cat "$T_TMP/unit.log")" 'unknown key UNRELATED_KEY (ignored)' \
	"an unknown key is a warning in the log"
assert_not_contains "$(cat "$T_TMP/unit.log")" "PIDFILE" "the init script's keys are silent"
kill -TERM "$UP"
wait "$UP"
assert_eq "$?" 0 "unit-style gateway exits 0 on SIGTERM"
assert_contains "$(cat "$T_TMP/notify.out")" "STOPPING=1" "STOPPING=1 on shutdown"
kill "$NP" 2>/dev/null

# ------------------------------------------------ 2. /bin/sh's view equals the gateway's
flag_value() {
	printf '%s\n' "$UNIT_FLAGS" | awk -F '\t' -v k="$1" '$1 == k { sub(/^[^\t]*\t/, ""); print; exit }'
}
for f in $FLAGS; do
	k=$(key_of "$f")
	v=$(flag_value "$f")
	[ -n "$(printf '%s\n' "$UNIT_FLAGS" | awk -F '\t' -v k="$f" '$1 == k')" ] || continue
	for sh in sh bash; do
		command -v $sh >/dev/null 2>&1 || continue
		shv=$($sh -c '. "$1" || exit 9; eval "printf %s \"\${$2-unset}\""' sh "$F" "$k")
		# Values /bin/sh leaves unset come from the defaults; durations are shown normalised.
		[ "$shv" = unset ] && continue
		case $f in
		persistence.interval) shv=1m30s ;;
		esac
		assert_eq "$v" "$shv" "$sh and the gateway agree on $k"
	done
done
assert_eq "$(flag_value web.telemetry-path)" '/m "x" $y' "single quotes kept \$y literal"
assert_eq "$(flag_value persistence.interval)" 1m30s "continuation line"
assert_eq "$(flag_value log.level)" debug "backslash escape"
assert_eq "$(flag_value web.enable-lifecycle)" true "concatenated quotes"
assert_eq "$(flag_value web.enable-admin-api)" true "PUSHGATEWAY_OPTS applied"
assert_eq "$(flag_value push.disable-consistency-check)" true "PUSHGATEWAY_OPTS across lines"

# ------------------------------------------------ 3. the same file under the init script
INIT="$PGW_SRC/initscripts/pushgateway"
svc() {
	OUT=$(PGW_INIT_FUNCTIONS="$T_TMP/none" PGW_SYSCONFIG="$F" PGW_EXEC="$PGW_BIN" \
		timeout 60 sh "$INIT" "$@" 2>&1 </dev/null)
	RC=$?
}
svc start
assert_eq "$RC" 0 "init script start: $OUT"
T_PIDS="$T_PIDS $(cat "$T_TMP/run/pushgateway.pid" 2>/dev/null)"
wait_ready "$URL"
INIT_FLAGS=$(status_flags "$URL")
assert_eq "$INIT_FLAGS" "$UNIT_FLAGS" "same running configuration under SysV init and systemd"
svc stop
assert_eq "$RC" 0 "init script stop"

# ------------------------------------------------ 4. precedence
# (the file's OPTS set --push.disable-consistency-check; the command line sets others)
(cd "$T_TMP" && exec "$PGW_BIN" "--config.file=$F" --log.level=warn \
	"--web.listen-address=127.0.0.1:$PORT" --persistence.interval=2m >"$T_TMP/p.log" 2>&1 </dev/null) &
PP=$!
T_PIDS="$T_PIDS $PP"
wait_ready "$URL" || die "precedence run not ready: $(cat "$T_TMP/p.log")"
P_FLAGS=$(status_flags "$URL")
UNIT_FLAGS=$P_FLAGS
assert_eq "$(flag_value log.level)" warn "the command line beats the file"
assert_eq "$(flag_value persistence.interval)" 2m0s "the command line beats a key"
assert_eq "$(flag_value web.telemetry-path)" '/m "x" $y' "keys the command line leaves alone stay"
assert_eq "$(flag_value web.enable-admin-api)" true "PUSHGATEWAY_OPTS stays"
assert_eq "$(flag_value web.listen-address)" "127.0.0.1:$PORT" "a list given on the command line replaces the file's"
kill -TERM "$PP"
wait "$PP"

# ------------------------------------------------ 5. errors
run() {
	"$PGW_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
	RC=$?
	ERR=$(cat "$T_TMP/err")
	OUT=$(cat "$T_TMP/out")
}
printf 'A=1\n# ok\nPUSHGATEWAY_WEB_TELEMETRY_PATH=/a b\n' >"$T_TMP/bad1"
run "--config.file=$T_TMP/bad1"
assert_eq "$RC" 2 "a malformed line stops start-up with exit 2"
assert_eq "$ERR" "pushgateway: $T_TMP/bad1:3: unquoted blank in the value: quote the value" \
	"file:line: reason"
run "--config.file=$T_TMP/bad1" -n
assert_eq "$RC" 1 "-n: a malformed line exits 1"
printf 'PUSHGATEWAY_LOG_LEVEL="$LEVEL"\n' >"$T_TMP/bad2"
run "--config.file=$T_TMP/bad2" --config.check
assert_eq "$RC" 1 "--config.check: expansion refused"
assert_contains "$ERR" "bad2:1: '\$' inside double quotes" "expansion reason"
printf 'PUSHGATEWAY_PERSISTENCE_INTERVAL=5x\n' >"$T_TMP/bad3"
run "--config.file=$T_TMP/bad3"
assert_eq "$RC" 2 "a bad value stops start-up"
assert_eq "$ERR" "pushgateway: $T_TMP/bad3:1: PUSHGATEWAY_PERSISTENCE_INTERVAL: time: unknown unit \"x\" in duration \"5x\"" \
	"a bad value: file:line: key: reason"
printf 'PUSHGATEWAY_OPTS="--daemon"\n' >"$T_TMP/bad4"
run "--config.file=$T_TMP/bad4" -n
assert_eq "$RC" 1 "--daemon in PUSHGATEWAY_OPTS is refused"
assert_contains "$ERR" "bad4:1: PUSHGATEWAY_OPTS: --daemon: only allowed on the command line" \
	"OPTS reason"
run "--config.file=$T_TMP/missing"
assert_eq "$RC" 2 "a missing file stops start-up"
assert_contains "$ERR" "$T_TMP/missing: No such file or directory" "missing file message"
printf 'FOO=1\n' >"$T_TMP/warn"
run "--config.file=$T_TMP/warn" -n
assert_eq "$RC" 0 "-n: an unknown key is only a warning"
assert_contains "$ERR" "warning: $T_TMP/warn:1: unknown key FOO (ignored)" "-n shows the warning"
assert_eq "$OUT" "pushgateway: configuration OK" "-n: OK"

t_finish
