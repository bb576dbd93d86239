#!/bin/sh
# t_daemon.sh - process management of the binary itself: --daemon (exit status of the
# start-up, session, cwd, standard streams), --pid-file (written, stale and reused pids,
# "already running", removed on exit), --log.file reopened on SIGHUP, -n/--config.check,
# sd_notify (READY/STATUS/MAINPID/STOPPING on a test socket, path and abstract), socket
# activation (--web.systemd-socket with a passed fd). The test is a child subreaper, so
# daemons it starts are reaped by it rather than left as zombies by a PID 1 that never reaps.
if [ -z "${PGW_SUBREAPER:-}" ] && command -v "${PGW_PYTHON:-python3}" >/dev/null 2>&1; then
	exec "${PGW_PYTHON:-python3}" "$(dirname "$0")/subreaper.py" sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

is_ours || skip_all "pushgateway-c process management (no --daemon upstream)"
[ -r /proc/self/stat ] || skip_all "needs /proc"

# proc_state PID: the state letter from /proc/PID/stat, or "gone".
proc_state() {
	if [ -r "/proc/$1/stat" ]; then
		sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null || echo gone
	else
		echo gone
	fi
}

# alive PID: running and not a zombie.
alive() {
	case $(proc_state "$1") in
	gone | Z | X | "") return 1 ;;
	esac
	return 0
}

# wait_gone PID TENTHS
wait_gone() {
	_n=0
	while alive "$1"; do
		[ $_n -ge "$2" ] && return 1
		sleep 0.1
		_n=$((_n + 1))
	done
	return 0
}

# ready URL: wait until GET URL/-/ready answers 200 (5 s).
ready() {
	wait_until 50 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 '$1/-/ready')\" = 200 ]"
}

D="$T_TMP/d"
mkdir -p "$D"

# ------------------------------------------------------------- --config.check / -n
run() {
	"$PGW_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}
run -n
assert_eq "$RC" 0 "-n with defaults"
assert_eq "$OUT" "pushgateway: configuration OK" "-n prints OK"
run --config.check --web.listen-address=nohost
assert_eq "$RC" 1 "--config.check with a bad listen address exits 1"
assert_contains "$ERR" "listen address nohost: missing port" "the reason"
run -n --log.level=loud
assert_eq "$RC" 1 "-n with a bad flag value exits 1"
run --log.level=loud
assert_eq "$RC" 2 "without -n a bad flag value exits 2"
run -n --log.file=/x --log.syslog
assert_eq "$RC" 1 "-n: two log destinations"
assert_contains "$ERR" "choose one log destination" "log destinations reason"
# -n binds nothing: a port in use does not matter.
PORT=$(free_port)
"$PY" -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(30)' "$PORT" "$T_TMP/hold.ready" &
HOLD=$!
T_PIDS="$T_PIDS $HOLD"
wait_until 50 test -e "$T_TMP/hold.ready" || die "cannot hold port $PORT"
run -n "--web.listen-address=127.0.0.1:$PORT"
assert_eq "$RC" 0 "-n does not bind the port"

# ------------------------------------------------------------- --daemon start-up result
# A port in use: the parent reports the child's failure with its status, on its stderr.
run --daemon "--web.listen-address=127.0.0.1:$PORT" "--pid-file=$D/busy.pid"
[ -s "$D/busy.pid" ] && T_PIDS="$T_PIDS $(cat "$D/busy.pid")"
assert_eq "$RC" 1 "--daemon: bind failure exits 1 in the foreground"
assert_contains "$ERR" "Address already in use" "--daemon: the bind error is shown"
assert_true "no pid file after a failed start" test ! -e "$D/busy.pid"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null

run --daemon --web.listen-address=bad
assert_eq "$RC" 2 "--daemon: a configuration error exits 2 before forking"

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
(cd "$D" && "$PGW_BIN" --daemon "--web.listen-address=127.0.0.1:$PORT" --pid-file=rel.pid \
	--log.file=gw.log >"$T_TMP/out" 2>"$T_TMP/err")
RC=$?
assert_eq "$RC" 0 "--daemon exits 0 once serving"
assert_eq "$(cat "$T_TMP/out" "$T_TMP/err")" "" "--daemon prints nothing when all is well"
assert_true "relative pid file written" test -s "$D/rel.pid"
DPID=$(cat "$D/rel.pid")
T_PIDS="$T_PIDS $DPID"
assert_true "the pid file names a live process" alive "$DPID"
assert_true "serving when the parent has exited" ready "$URL"
assert_eq "$(awk '{print $6}' "/proc/$DPID/stat")" "$DPID" "the daemon leads its own session"
assert_eq "$(readlink "/proc/$DPID/cwd")" "/" "the daemon runs in /"
assert_eq "$(readlink "/proc/$DPID/fd/0")" "/dev/null" "stdin is /dev/null"
assert_eq "$(readlink "/proc/$DPID/fd/1")" "/dev/null" "stdout is /dev/null"
assert_eq "$(readlink "/proc/$DPID/fd/2")" "/dev/null" "stderr is /dev/null"
assert_contains "$(cat "$D/gw.log")" 'msg="Listening on"' "records go to the log file"

# A second instance with the same pid file refuses to start.
run "--web.listen-address=127.0.0.1:$(free_port)" "--pid-file=$D/rel.pid"
assert_eq "$RC" 1 "already running: exit 1"
assert_contains "$ERR" "pid file $D/rel.pid names running process $DPID" "already running: message"
assert_eq "$(cat "$D/rel.pid")" "$DPID" "the running instance's pid file is untouched"

# SIGHUP reopens the log file after logrotate moved it.
mv "$D/gw.log" "$D/gw.log.1"
kill -HUP "$DPID"
wait_until 50 test -s "$D/gw.log"
assert_contains "$(cat "$D/gw.log" 2>/dev/null)" "log file reopened" "new log file after SIGHUP"
assert_not_contains "$(cat "$D/gw.log.1")" "log file reopened" "the old file is closed first"

# SIGTERM: exits, removes its pid file.
kill -TERM "$DPID"
assert_true "daemon exits on SIGTERM" wait_gone "$DPID" 100
assert_true "pid file removed on exit" test ! -e "$D/rel.pid"
assert_contains "$(cat "$D/gw.log")" "pushgateway stopped" "clean shutdown logged"

# ------------------------------------------------------------- stale pid files
# A pid of a process that has exited.
sh -c 'exit 0' &
DEAD=$!
wait "$DEAD"
echo "$DEAD" >"$D/stale.pid"
PORT=$(free_port)
run --daemon "--web.listen-address=127.0.0.1:$PORT" "--pid-file=$D/stale.pid"
assert_eq "$RC" 0 "a stale pid file (dead pid) does not stop start-up"
NPID=$(cat "$D/stale.pid" 2>/dev/null)
T_PIDS="$T_PIDS $NPID"
assert_ne "$NPID" "$DEAD" "the stale pid file is replaced"
assert_true "new pid is alive" alive "$NPID"
kill -TERM "$NPID"
wait_gone "$NPID" 100

# A pid reused by another program.
sleep 30 &
OTHER=$!
T_PIDS="$T_PIDS $OTHER"
echo "$OTHER" >"$D/reused.pid"
run --daemon "--web.listen-address=127.0.0.1:$(free_port)" "--pid-file=$D/reused.pid"
assert_eq "$RC" 0 "a pid file naming another program is stale"
NPID=$(cat "$D/reused.pid" 2>/dev/null)
T_PIDS="$T_PIDS $NPID"
assert_ne "$NPID" "$OTHER" "the reused pid file is replaced"
kill -TERM "$NPID"
wait_gone "$NPID" 100
kill "$OTHER" 2>/dev/null

# Garbage in the pid file.
printf 'not a pid\n' >"$D/junk.pid"
run --daemon "--web.listen-address=127.0.0.1:$(free_port)" "--pid-file=$D/junk.pid"
assert_eq "$RC" 0 "a malformed pid file is stale"
NPID=$(cat "$D/junk.pid" 2>/dev/null)
T_PIDS="$T_PIDS $NPID"
kill -9 "$NPID"
assert_true "SIGKILLed daemon is gone (reaped or a zombie)" wait_gone "$NPID" 50
# After kill -9 the pid file stays; a new start treats it as stale.
run --daemon "--web.listen-address=127.0.0.1:$(free_port)" "--pid-file=$D/junk.pid"
assert_eq "$RC" 0 "restart after SIGKILL (stale pid file of a dead or zombie daemon)"
NPID=$(cat "$D/junk.pid" 2>/dev/null)
T_PIDS="$T_PIDS $NPID"
kill -TERM "$NPID"
wait_gone "$NPID" 100

# ------------------------------------------------------------- --log.syslog
# Records go to syslog(3), not to stderr (whether a syslog daemon listens here or not).
PORT=$(free_port)
"$PGW_BIN" --log.syslog "--web.listen-address=127.0.0.1:$PORT" >"$T_TMP/sl.out" 2>&1 </dev/null &
SL=$!
T_PIDS="$T_PIDS $SL"
assert_true "serves with --log.syslog" ready "http://127.0.0.1:$PORT"
kill -TERM "$SL"
wait "$SL"
assert_eq "$?" 0 "--log.syslog: exit 0"
assert_eq "$(cat "$T_TMP/sl.out")" "" "--log.syslog: nothing on stdout or stderr"

# ------------------------------------------------------------- sd_notify
# notify_test SOCKET: start in the foreground with NOTIFY_SOCKET, expect READY then STOPPING.
notify_test() {
	_out="$T_TMP/notify.$2"
	rm -f "$_out" "$_out.ready"
	"$PY" "$T_DIR/notifysock.py" "$1" "$_out" &
	_np=$!
	T_PIDS="$T_PIDS $_np"
	wait_until 50 test -e "$_out.ready" || fail "notify socket $1 not ready"
	_port=$(free_port)
	NOTIFY_SOCKET=$1 "$PGW_BIN" "--web.listen-address=127.0.0.1:$_port" \
		>"$T_TMP/fg.log" 2>&1 </dev/null &
	_gp=$!
	T_PIDS="$T_PIDS $_gp"
	wait_until 50 grep -qs READY=1 "$_out"
	_msg=$(cat "$_out" 2>/dev/null)
	assert_contains "$_msg" "READY=1" "$2: READY=1 sent"
	assert_contains "$_msg" "STATUS=serving on 127.0.0.1:$_port" "$2: STATUS= sent"
	assert_contains "$_msg" "MAINPID=$_gp" "$2: MAINPID= sent"
	_c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$_port/-/ready")
	assert_eq "$_c" 200 "$2: serving when READY=1 is sent"
	kill -TERM "$_gp"
	wait "$_gp"
	assert_eq "$?" 0 "$2: exit status after SIGTERM"
	assert_contains "$(cat "$_out")" "STOPPING=1" "$2: STOPPING=1 sent"
	kill "$_np" 2>/dev/null
	wait "$_np" 2>/dev/null
}
notify_test "$T_TMP/notify.sock" path
notify_test "@pgw-test-notify-$$" abstract

# Without NOTIFY_SOCKET nothing breaks (covered by every other test); with a socket nobody
# listens on, the gateway warns and serves anyway.
PORT=$(free_port)
NOTIFY_SOCKET="$T_TMP/nobody.sock" "$PGW_BIN" "--web.listen-address=127.0.0.1:$PORT" \
	>"$T_TMP/nb.log" 2>&1 </dev/null &
NB=$!
T_PIDS="$T_PIDS $NB"
assert_true "serves when the notify socket is dead" ready "http://127.0.0.1:$PORT"
assert_contains "$(cat "$T_TMP/nb.log")" "cannot notify systemd" "warns about the notify socket"
kill -TERM "$NB"
wait "$NB"

# ------------------------------------------------------------- socket activation
rm -f "$T_TMP/sa.port"
"$PY" "$T_DIR/sockact.py" "$T_TMP/sa.port" "$PGW_BIN" --web.systemd-socket \
	--web.listen-address=127.0.0.1:1 >"$T_TMP/sa.log" 2>&1 </dev/null &
SA=$!
T_PIDS="$T_PIDS $SA"
wait_until 50 test -s "$T_TMP/sa.port"
SAPORT=$(cat "$T_TMP/sa.port")
assert_true "socket-activated gateway serves on the passed fd" ready "http://127.0.0.1:$SAPORT"
PGW_URL="http://127.0.0.1:$SAPORT"
push_ok PUT /metrics/job/sa "x 1$NL"
assert_store_has 'x{instance="",job="sa"} 1' "push through the passed socket"
assert_contains "$(cat "$T_TMP/sa.log")" "address=127.0.0.1:$SAPORT" "the passed socket is logged"
kill -TERM "$SA"
wait "$SA"
assert_eq "$?" 0 "socket-activated gateway exits 0"

run --web.systemd-socket "--web.listen-address=127.0.0.1:$(free_port)"
assert_eq "$RC" 1 "--web.systemd-socket without LISTEN_FDS fails"
assert_contains "$ERR" "no socket activation file descriptors found" "upstream's message"

rm -f "$T_TMP/sa2.port"
"$PY" "$T_DIR/sockact.py" "$T_TMP/sa2.port" --wrong-pid "$PGW_BIN" --web.systemd-socket \
	>"$T_TMP/sa2.log" 2>&1 </dev/null
assert_eq "$?" 1 "LISTEN_PID of another process: the fds are not ours"
assert_contains "$(cat "$T_TMP/sa2.log")" "no socket activation file descriptors found" \
	"LISTEN_PID mismatch message"

run --daemon --web.systemd-socket
assert_eq "$RC" 2 "--daemon with --web.systemd-socket is refused"

t_finish
