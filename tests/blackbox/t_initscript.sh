#!/bin/sh
# t_initscript.sh - the SysV init script (initscripts/pushgateway) against the real binary in
# a scratch root: every action and its LSB exit code (start, stop, restart, condrestart,
# try-restart, reload, force-reload, status, configtest, unknown), double start, stop when
# stopped, a stale pid file, a dead daemon (status 1), a stale lock (status 2), reload
# reopening the log file, start failures (configuration, port in use, missing binary), and
# running as a dedicated user. The pid, lock and log paths come from the sysconfig file, the
# file's location from PGW_SYSCONFIG; /etc/rc.d/init.d/functions is replaced by the script's
# fallbacks (PGW_INIT_FUNCTIONS points nowhere). Runs under sh and, when present, bash.
if [ -z "${PGW_SUBREAPER:-}" ] && command -v "${PGW_PYTHON:-python3}" >/dev/null 2>&1; then
	exec "${PGW_PYTHON:-python3}" "$(dirname "$0")/subreaper.py" sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

is_ours || skip_all "tests the packaged init script with pushgateway-c"
[ -r /proc/self/stat ] || skip_all "needs /proc"
INIT="$PGW_SRC/initscripts/pushgateway"
[ -r "$INIT" ] || die "missing $INIT"

ROOT="$T_TMP/root"
SYSCONFIG="$ROOT/etc/sysconfig/pushgateway"
PIDFILE="$ROOT/var/run/pushgateway/pushgateway.pid"
LOCKFILE="$ROOT/var/lock/subsys/pushgateway"
LOGFILE="$ROOT/var/log/pushgateway/pushgateway.log"
mkdir -p "$ROOT/etc/sysconfig" "$ROOT/var/lib/pushgateway"

# write_sysconfig [EXTRA LINES]: the packaged file plus the scratch-root paths.
write_sysconfig() {
	{
		cat "$PGW_SRC/packaging/pushgateway.sysconfig"
		echo "PUSHGATEWAY_WEB_LISTEN_ADDRESS=127.0.0.1:$PORT"
		echo "PUSHGATEWAY_PERSISTENCE_FILE=$ROOT/var/lib/pushgateway/pushgateway.db"
		echo "DAEMON_USER=$RUNAS"
		echo "PIDFILE=$PIDFILE"
		echo "LOCKFILE=$LOCKFILE"
		echo "LOGFILE=$LOGFILE"
		echo "STOP_TIMEOUT=5"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$SYSCONFIG"
}

# svc ACTION: run the init script with $SH; RC and OUT (stdout+stderr) set.
svc() {
	OUT=$(PGW_INIT_FUNCTIONS="$ROOT/no/functions" PGW_SYSCONFIG="$SYSCONFIG" PGW_EXEC="$EXEC" \
		timeout 60 $SH "$INIT" "$@" 2>&1 </dev/null)
	RC=$?
}

proc_state() {
	if [ -r "/proc/$1/stat" ]; then
		sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null
	else
		echo gone
	fi
}
alive() {
	case $(proc_state "$1") in
	gone | Z | X | "") return 1 ;;
	esac
	return 0
}
wait_gone() {
	_n=0
	while alive "$1"; do
		[ $_n -ge 100 ] && return 1
		sleep 0.1
		_n=$((_n + 1))
	done
	return 0
}
http_code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT$1"
}
pidof_file() {
	cat "$PIDFILE" 2>/dev/null
}

# run_suite SHELL: every action under one shell.
run_suite() {
	SH=$1
	note "init script under $SH (user: ${RUNAS:-$(id -un)})"
	PORT=$(free_port)
	write_sysconfig
	rm -rf "$ROOT/var/run" "$ROOT/var/lock" "$ROOT/var/log" "$ROOT/var/lib/pushgateway"
	# The package owns /var/lib/pushgateway by the daemon's user.
	mkdir -p "$ROOT/var/lib/pushgateway"
	[ -n "$RUNAS" ] && chown "$RUNAS" "$ROOT/var/lib/pushgateway"

	svc status
	assert_eq "$RC" 3 "$SH: status before any start: 3 (stopped)"
	assert_contains "$OUT" "pushgateway is stopped" "$SH: status text when stopped"
	svc stop
	assert_eq "$RC" 0 "$SH: stop when stopped: 0"
	svc reload
	assert_eq "$RC" 7 "$SH: reload when stopped: 7 (not running)"
	svc condrestart
	assert_eq "$RC" 0 "$SH: condrestart when stopped: 0"
	assert_eq "$(http_code /-/ready)" 000 "$SH: condrestart did not start it"
	svc configtest
	assert_eq "$RC" 0 "$SH: configtest: 0"
	assert_contains "$OUT" "configuration OK" "$SH: configtest output"
	svc bogus
	assert_eq "$RC" 2 "$SH: unknown action: 2"
	assert_contains "$OUT" "Usage:" "$SH: usage"

	# start
	svc start
	assert_eq "$RC" 0 "$SH: start: 0"
	assert_contains "$OUT" "Starting pushgateway:" "$SH: start text"
	P1=$(pidof_file)
	T_PIDS="$T_PIDS $P1"
	assert_true "$SH: pid file names a live process" alive "$P1"
	assert_true "$SH: lock file created" test -f "$LOCKFILE"
	assert_eq "$(http_code /-/ready)" 200 "$SH: serving after start returned"
	assert_contains "$(cat "$LOGFILE" 2>/dev/null)" "Listening on" "$SH: logging to LOGFILE"
	if [ -n "$RUNAS" ]; then
		assert_eq "$(stat -c %U "/proc/$P1")" "$RUNAS" "$SH: runs as DAEMON_USER"
	fi
	svc status
	assert_eq "$RC" 0 "$SH: status when running: 0"
	assert_contains "$OUT" "pushgateway (pid  $P1) is running..." "$SH: status text"

	# double start
	svc start
	assert_eq "$RC" 0 "$SH: start when running: 0"
	assert_eq "$(pidof_file)" "$P1" "$SH: double start keeps the process"
	assert_eq "$(pgrep -f -c -- "--config.file=$SYSCONFIG" 2>/dev/null || echo 1)" 1 \
		"$SH: one process after a double start"

	# reload reopens the log file
	mv "$LOGFILE" "$LOGFILE.1"
	svc reload
	assert_eq "$RC" 0 "$SH: reload: 0"
	wait_until 50 test -s "$LOGFILE"
	assert_contains "$(cat "$LOGFILE" 2>/dev/null)" "log file reopened" "$SH: reload reopens the log"
	assert_eq "$(pidof_file)" "$P1" "$SH: reload keeps the process"

	# restart, condrestart, try-restart, force-reload: a new process each time
	for a in restart condrestart try-restart force-reload; do
		svc $a
		assert_eq "$RC" 0 "$SH: $a: 0"
		P2=$(pidof_file)
		T_PIDS="$T_PIDS $P2"
		assert_ne "$P2" "$P1" "$SH: $a runs a new process"
		assert_true "$SH: the old process is gone after $a" wait_gone "$P1"
		assert_eq "$(http_code /-/ready)" 200 "$SH: serving after $a"
		P1=$P2
	done

	# restart refuses a broken configuration and keeps the running gateway
	write_sysconfig 'PUSHGATEWAY_LOG_LEVEL=loud'
	svc restart
	assert_eq "$RC" 6 "$SH: restart with a broken configuration: 6"
	assert_contains "$OUT" "PUSHGATEWAY_LOG_LEVEL" "$SH: restart shows the error"
	assert_true "$SH: the running gateway survives a refused restart" alive "$P1"
	svc configtest
	assert_eq "$RC" 1 "$SH: configtest of a broken file: 1"
	assert_contains "$OUT" "$SYSCONFIG:" "$SH: configtest names file:line"
	write_sysconfig

	# a dead daemon: status 1, then stop cleans up
	kill -9 "$P1"
	wait_gone "$P1"
	svc status
	assert_eq "$RC" 1 "$SH: status of a killed daemon: 1 (dead, pid file exists)"
	assert_contains "$OUT" "dead but pid file exists" "$SH: status text for a dead daemon"
	svc stop
	assert_eq "$RC" 0 "$SH: stop after the daemon died: 0"
	assert_true "$SH: stop removes the pid file" test ! -e "$PIDFILE"
	assert_true "$SH: stop removes the lock file" test ! -e "$LOCKFILE"
	svc status
	assert_eq "$RC" 3 "$SH: status after stop: 3"

	# a stale lock without a pid file: status 2
	mkdir -p "$(dirname "$LOCKFILE")"
	touch "$LOCKFILE"
	svc status
	assert_eq "$RC" 2 "$SH: stale lock: 2 (dead but subsys locked)"
	rm -f "$LOCKFILE"

	# a stale pid file (a pid that has exited): start works
	sh -c 'exit 0' &
	DEAD=$!
	wait "$DEAD"
	mkdir -p "$(dirname "$PIDFILE")"
	echo "$DEAD" >"$PIDFILE"
	svc status
	assert_eq "$RC" 1 "$SH: stale pid file: status 1"
	svc start
	assert_eq "$RC" 0 "$SH: start over a stale pid file: 0"
	P1=$(pidof_file)
	T_PIDS="$T_PIDS $P1"
	assert_ne "$P1" "$DEAD" "$SH: the stale pid file is replaced"
	assert_eq "$(http_code /-/ready)" 200 "$SH: serving after a stale pid file"

	# stop: graceful, removes pid and lock files
	svc stop
	assert_eq "$RC" 0 "$SH: stop: 0"
	assert_contains "$OUT" "Stopping pushgateway:" "$SH: stop text"
	assert_true "$SH: stopped process is gone" wait_gone "$P1"
	assert_true "$SH: pid file removed" test ! -e "$PIDFILE"
	assert_true "$SH: lock file removed" test ! -e "$LOCKFILE"
	assert_contains "$(cat "$LOGFILE")" "pushgateway stopped" "$SH: graceful stop logged"
	svc stop
	assert_eq "$RC" 0 "$SH: second stop: 0"

	# start failures: a broken sysconfig (6), the port in use (1), no binary (5)
	write_sysconfig 'PUSHGATEWAY_WEB_TELEMETRY_PATH=/a b'
	svc start
	assert_eq "$RC" 6 "$SH: start with a malformed sysconfig line: 6"
	assert_contains "$OUT" "$SYSCONFIG:" "$SH: the error names the file"
	assert_contains "$OUT" "unquoted blank" "$SH: and the reason"
	assert_true "$SH: no lock after a failed start" test ! -e "$LOCKFILE"
	write_sysconfig
	rm -f "$T_TMP/hold.ready"
	"$PY" -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(30)' "$PORT" "$T_TMP/hold.ready" &
	HOLD=$!
	T_PIDS="$T_PIDS $HOLD"
	wait_until 50 test -e "$T_TMP/hold.ready" || die "cannot hold port $PORT"
	svc start
	[ -s "$PIDFILE" ] && T_PIDS="$T_PIDS $(cat "$PIDFILE")"
	assert_eq "$RC" 1 "$SH: start with the port in use: 1"
	assert_contains "$OUT" "Address already in use" "$SH: the bind error is shown"
	assert_true "$SH: no pid file after a failed start" test ! -e "$PIDFILE"
	assert_true "$SH: no lock after a failed bind" test ! -e "$LOCKFILE"
	kill "$HOLD" 2>/dev/null
	wait "$HOLD" 2>/dev/null
	_exec=$EXEC
	EXEC="$ROOT/no/pushgateway"
	svc start
	assert_eq "$RC" 5 "$SH: start without the binary: 5"
	EXEC=$_exec
}

EXEC=$PGW_BIN
RUNAS=""
run_suite sh
if command -v bash >/dev/null 2>&1; then
	run_suite bash
fi
# As a dedicated user (root only: runuser), when that user can reach the binary.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	chmod 755 "$T_TMP" "$ROOT"
	if runuser -u nobody -- test -x "$PGW_BIN" 2>/dev/null; then
		RUNAS=nobody
		run_suite sh
		assert_eq "$(stat -c %U "$(dirname "$PIDFILE")")" nobody "the pid directory is chowned"
	else
		skip_assert "nobody cannot execute $PGW_BIN"
	fi
else
	skip_assert "running as a dedicated user needs root and runuser"
fi
t_finish
