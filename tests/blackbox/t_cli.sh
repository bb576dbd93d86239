#!/bin/sh
# t_cli.sh - the command line (§1): --help lists every upstream flag,
# --version, unknown flags and bad values (non-zero exit, one-line message
# naming the flag), space-separated flag values, signals (SIGTERM exits 0),
# bind failures, and persistence at shutdown (§11).
. "$(dirname "$0")/lib.sh"

[ -x "$PGW_BIN" ] || die "PGW_BIN '$PGW_BIN' is not an executable"

# run_bin ARGS...: run the binary (bounded to 10 s); RC, OUT, ERR set.
run_bin() {
	timeout 10 "$PGW_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# ------------------------------------------------------------------ --help
FLAGS="--web.listen-address --web.systemd-socket --web.config.file --web.telemetry-path --web.external-url
--web.route-prefix --web.enable-lifecycle --web.enable-admin-api --persistence.file --persistence.interval
--push.disable-consistency-check --log.level --log.format --help --version"
for h in --help -h; do
	run_bin $h
	assert_eq "$RC" 0 "$h exit status"
	# kingpin >= 2.3 (1.11) prints boolean flags as --[no-]name
	HELP=$(printf '%s%s' "$OUT" "$ERR" | sed 's/--\[no-\]/--/g')
	assert_ne "$HELP" "" "$h prints something"
	for f in $FLAGS; do
		assert_contains "$HELP" "$f" "$h lists $f"
	done
	if is_ours; then
		assert_contains "$HELP" "--push.enable-utf8-names" "$h lists --push.enable-utf8-names"
	else
		skip_assert "U7: --push.enable-utf8-names is 1.11 only"
	fi
	assert_not_contains "$HELP" "starting pushgateway" "$h does not start the server"
done
# defaults shown in the help
run_bin --help
assert_contains "$OUT$ERR" ":9091" "help shows the default listen address"
assert_contains "$OUT$ERR" "5m" "help shows the default persistence interval"

# --------------------------------------------------------------- --version
run_bin --version
assert_eq "$RC" 0 "--version exit status"
if is_ours; then
	assert_ne "$OUT" "" "U6: --version prints to stdout"
	assert_contains "$OUT" "version" "--version output"
else
	assert_contains "$OUT$ERR" "version" "--version output"
	skip_assert "U6: 1.5.1 prints --version to stderr"
fi

# ------------------------------------------------ usage errors (one line)
# bad ARGS-TEXT WORD-THE-MESSAGE-MUST-NAME [UPSTREAM-WORD]
bad() {
	_word=$2
	if is_upstream && [ -n "${3:-}" ]; then _word=$3; fi
	# shellcheck disable=SC2086
	run_bin --persistence.file= --web.listen-address=127.0.0.1:0 $1
	if is_ours; then
		assert_eq "$RC" 2 "'$1' exit status"
	else
		# kingpin in 1.5.1 exits 1 (U6)
		assert_ne "$RC" 0 "'$1' exits non-zero"
		assert_ne "$RC" 124 "'$1' exits at once"
	fi
	assert_eq "$(printf '%s\n' "$ERR" | grep -c .)" 1 "'$1' prints one line on stderr"
	assert_contains "$ERR" "$_word" "'$1' message names $_word"
	assert_eq "$OUT" "" "'$1' prints nothing on stdout"
}
bad --bogus --bogus
bad --web.bogus=1 --web.bogus
bad -x -x
bad "--persistence.interval=abc" persistence.interval abc
bad "--persistence.interval=" persistence.interval 'invalid duration'
bad "--log.level=verbose" log.level verbose
bad "--log.format=xml" log.format xml
bad "--web.telemetry-path" --web.telemetry-path
bad "unexpected_positional" unexpected_positional

# ------------------------------------------------------------ bind failure
BUSY=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(20)' "$BUSY" &
HOLDER=$!
T_PIDS="$T_PIDS $HOLDER"
sleep 0.5
run_bin --persistence.file= "--web.listen-address=127.0.0.1:$BUSY"
assert_ne "$RC" 124 "bind failure: the process exits"
assert_true "bind failure is logged" grep -qi -e 'in use' -e 'bind' "$T_TMP/err"
if is_ours; then
	assert_ne "$RC" 0 "bind failure exits non-zero"
else
	skip_assert "upstream 1.5.1 exits 0 after a bind failure"
fi
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# ------------------------------------------ space-separated flag values
pgw_start --persistence.interval 7s --web.telemetry-path /tp --log.level debug
http GET /api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["persistence.interval"]' 7s "--persistence.interval 7s"
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.telemetry-path"]' /tp "--web.telemetry-path /tp"
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["log.level"]' debug "--log.level debug"
http GET /tp
assert_status 200 "telemetry path given with a space"
# SIGTERM: graceful, exit 0
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status"

# ------------------------------------------------- persistence on shutdown
DB="$T_TMP/sub/pg.db"
mkdir -p "$T_TMP/sub"
pgw_start "--persistence.file=$DB"
assert_true "no file before any write" test ! -e "$DB"
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status with persistence"
assert_true "file always written at shutdown" test -f "$DB"
assert_eq "$(ls "$T_TMP/sub" | grep -c in_progress)" 0 "no temporary file left"
# a corrupt file: start with an empty store, then the shutdown overwrites it
printf 'this is not a valid persistence file' >"$DB"
pgw_start "--persistence.file=$DB"
http GET /api/v1/metrics
expect 200 '{"status":"success","data":[]}' "corrupt persistence file gives an empty store"
push_ok PUT /metrics/job/after 'x 1
'
pgw_stop
assert_eq "$PGW_EXIT" 0 "exit status after a corrupt file"
assert_ne "$(cat "$DB")" 'this is not a valid persistence file' "corrupt file overwritten at shutdown"
pgw_start "--persistence.file=$DB"
assert_store_has 'x{instance="",job="after"} 1' "data written over the corrupt file restored"
pgw_stop
# an interval that passes: the file is written while running
rm -f "$DB"
pgw_start "--persistence.file=$DB" --persistence.interval=1s
push_ok PUT /metrics/job/iv 'x 2
'
assert_true "file written within the interval" wait_until 50 test -s "$DB"
pgw_stop

t_finish
