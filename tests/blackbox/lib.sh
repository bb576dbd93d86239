# lib.sh - shared helpers for the pushgateway black-box tests (POSIX sh).
#
# Sourced by tests/blackbox/t_*.sh.  Environment:
#   PGW_BIN   the gateway binary to test (default: $PGW_SRC/build/pushgateway)
#   PGW_SRC   repository root (default: two levels above this file)
#   PGW_IMPL  "upstream" when PGW_BIN is the Go Pushgateway (Debian 1.5.1),
#             anything else (default "c") for pushgateway-c.
#   PGW_PYTHON python interpreter (default python3; t_python_client.sh looks
#             for one that can import prometheus_client).
#   PGW_KEEP  if non-empty, keep the temporary directory (for debugging).
#   PGW_SCHEME  http (default) or https: the scheme of PGW_URL.
#   PGW_CURL_ARGS  extra curl arguments (split at blanks) for every request the helpers
#             send, e.g. "-k -u user:password" for a gateway with --web.config.file.
# Exit codes: 0 pass, 1 fail, 77 skip.
#
# The target behaviour is upstream Pushgateway 1.11.3
# (/work/shared/spec/pushgateway-behaviour.md).  The suite is validated against
# the Debian Go binary 1.5.1.  Places where an assertion depends on the
# implementation are guarded with is_upstream / is_ours:
#
# Legitimate 1.5.1 vs 1.11.3 differences (assert 1.11 for ours, relax or skip
# for upstream):
#   U1 /metrics Content-Type: 1.11 appends "; escaping=underscores"
#      (1.5.1: "text/plain; version=0.0.4; charset=utf-8").  Parameters are
#      compared as a set.
#   U2 gzip response negotiation: 1.11 honours q-values and prefers identity on
#      a tie ("gzip;q=0", "identity, gzip" -> identity); 1.5.1 gzips whenever a
#      list item is "gzip" or starts with "gzip;".
#   U3 path cleaning: 1.11 does not clean %2E%2E / %2E (they reach the handler
#      as the values ".." / "."); 1.5.1 redirects them like literal "/../".
#   U4 body "{} 1": the 1.11.3 tag panics; the target (common HEAD) answers 400
#      "text format parsing error in line 1: invalid metric name".  1.5.1
#      answers exactly that too (observed), so it is asserted for both.
#   U5 1.5.x leaves a per-route mutex locked after an invalid base64 *job*:
#      the next request on that route hangs.  Observed on 1.5.1 for DELETE too
#      (the spec only mentions PUT/POST), per registered route (job@base64/:job
#      and job@base64/:job/*labels separately).  Invalid base64 job pushes are
#      sent to ours only; upstream gets one invalid-job DELETE per route, as the
#      last request on that route.
#   U6 --version prints to stdout since 1.9 (1.5.1: stderr; --help: stderr).
#      Usage errors: ours exits 2, kingpin in 1.5.1 exits 1 (non-zero asserted).
#      Bad values: 1.5.1's message names the value, not the flag.
#   U7 1.5.1 has no --push.enable-utf8-names (1.11.0+): not in its --help nor
#      in the /api/v1/status flags; Debian's 1.5.1 adds web.local-assets.
#   U8 Content-Encoding of request bodies: 1.5.1 compares "gzip" exactly and
#      has no snappy (1.6+).  Upper-case GZIP is tested on ours only.
#   U9 histogram counts that are not integers: 1.5.1 truncates them, 1.11
#      stores floats (and rejects negative non-integral counts).
#   U10 1.5.1's text parser rejects quoted names (m{"a"="1"}) and the \" escape
#      in HELP; the 1.11 parser accepts them.  Those rows are ours-only.
#   U11 1.5.1 cannot encode a GAUGE_HISTOGRAM (pushed via protobuf) in the text
#      exposition: the scrape breaks off after "# TYPE gh".  1.11 prints it as a
#      histogram; that exposition check is ours-only.
#
# Deliberate differences of pushgateway-c from upstream (assert OUR behaviour
# when PGW_IMPL != upstream; skip that assertion for upstream):
#   D1 HEAD is answered like GET without a body (upstream: 405 everywhere).
#   D2 a push whose grouping label value is not valid UTF-8
#      (/metrics/job/bad%FFjob) answers 400 with a body starting
#      "pushed metrics are invalid or inconsistent with existing metrics: "
#      and does NOT create a group (no store poisoning; scrapes stay 200).
#   D3 groups in /api/v1/metrics are sorted by grouping key, and the HELP of a
#      family whose groups disagree comes from the first group in grouping-key
#      order (upstream: random map order).
#   D4 no go_* metrics in our /metrics (so a pushed untyped go_goroutines does
#      not conflict with anything).
#   D5 an unchecked push (--push.disable-consistency-check, 202) is visible
#      immediately (upstream: only queued; tests poll there).
#   D6 a body starting with "{}" answers 400 "text format parsing error in
#      line 1: invalid metric name" (see U4).
#   D7 (same as upstream) a failed push (timestamp, consistency) into a new
#      key creates the group with push_time 0 and failure time set.
#   D8 a pushed family named like one of the gateway's own families always
#      takes the gateway's HELP; a different pushed HELP never fails the push
#      (upstream fails it for own families that had no series at start-up).
#   D9 a request with an extension method (BREW) is refused by libevent with
#      501 Not Implemented before routing (upstream: httprouter's 405).
#
# Expectations taken from observing 1.5.1 where the spec is silent or wrong
# (asserted for both):
#   - redirects keep the query string in Location (httprouter v1.3.0 uses
#     req.URL.String(); the spec's "Location without query" is wrong);
#   - an unknown method (BREW /metrics) gets httprouter's 405 with Allow
#     (upstream only, see D9);
#   - with a route prefix, POST /-/quit (unprefixed) answers 405 with
#     "Allow: GET, OPTIONS" (GET /-/quit is registered without the prefix);
#   - a gateway-own family pushed with the right type keeps the pushed HELP in
#     the API (only the gather uses the gateway's HELP) - upstream only;
#   - bind failure: ours must exit non-zero (1.5.1 exits 0 - upstream skipped).

set -u

NL='
'
TAB='	'

PGW_IMPL=${PGW_IMPL:-c}
T_DIR=$(cd "$(dirname "$0")" && pwd)
if [ -z "${PGW_SRC:-}" ]; then
	PGW_SRC=$(cd "$(dirname "$0")/../.." && pwd)
fi
PGW_BIN=${PGW_BIN:-$PGW_SRC/build/pushgateway}
PY=${PGW_PYTHON:-python3}
# resolve wrappers (e.g. pyenv shims) once: the suite starts python often
_py_real=$("$PY" -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -x "$_py_real" ] && PY=$_py_real
T_NAME=$(basename "$0" .sh)

T_ASSERTS=0
T_FAILS=0
T_SKIPS=0
T_PIDS=""
PGW_PID=""
PGW_PORT=""
PGW_URL=""
PGW_LOG=""
PGW_READY_PATH=${PGW_READY_PATH:-/-/ready}

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgwbb.XXXXXX") || {
	echo "$T_NAME: mktemp failed" >&2
	exit 1
}

t_cleanup() {
	for _p in $T_PIDS; do
		if kill -0 "$_p" 2>/dev/null; then
			kill -TERM "$_p" 2>/dev/null
			_i=0
			while kill -0 "$_p" 2>/dev/null && [ $_i -lt 50 ]; do
				sleep 0.1
				_i=$((_i + 1))
			done
			kill -KILL "$_p" 2>/dev/null
		fi
	done
	if [ -n "${PGW_KEEP:-}" ]; then
		echo "$T_NAME: keeping $T_TMP" >&2
	else
		rm -rf "$T_TMP"
	fi
}
trap 't_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

is_upstream() { [ "$PGW_IMPL" = upstream ]; }
is_ours() { [ "$PGW_IMPL" != upstream ]; }

log() { printf '%s\n' "$*" >&2; }
note() { printf '# %s\n' "$*" >&2; }

# ---------------------------------------------------------------- assertions

# Show a value so that trailing newlines, tabs and CRs are visible.
t_show() {
	printf '%s' "$1" | sed -e 's/\r/\\r/g' -e 's/\t/\\t/g' -e 's/^/      |/'
	case "$1" in
	*"$NL") printf '\n      (ends with newline)\n' ;;
	"") printf '      (empty)\n' ;;
	*) printf '\n      (no trailing newline)\n' ;;
	esac
}

# fail MESSAGE [EXPECTED ACTUAL]
fail() {
	T_FAILS=$((T_FAILS + 1))
	{
		printf 'FAIL [%s] %s\n' "$T_NAME" "$1"
		if [ $# -ge 3 ]; then
			printf '    expected:\n'
			t_show "$2"
			printf '    actual:\n'
			t_show "$3"
		fi
	} >&2
	return 0
}

ok() { T_ASSERTS=$((T_ASSERTS + 1)); }

# skip_assert REASON: count a single skipped assertion (documented difference).
skip_assert() {
	T_SKIPS=$((T_SKIPS + 1))
	note "skipped for $PGW_IMPL: $*"
}

# skip_all REASON: skip the whole script.
skip_all() {
	echo "SKIP [$T_NAME] $*" >&2
	exit 77
}

die() {
	echo "FATAL [$T_NAME] $*" >&2
	if [ -n "$PGW_LOG" ] && [ -f "$PGW_LOG" ]; then
		echo "---- gateway log (last 30 lines) ----" >&2
		tail -n 30 "$PGW_LOG" >&2
	fi
	exit 1
}

# assert_eq ACTUAL EXPECTED MESSAGE
assert_eq() {
	ok
	if [ "$1" != "$2" ]; then
		fail "$3" "$2" "$1"
	fi
}

assert_ne() {
	ok
	if [ "$1" = "$2" ]; then
		fail "$3 (value must differ from '$2')"
	fi
}

# assert_contains HAYSTACK NEEDLE MESSAGE
assert_contains() {
	ok
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: missing substring" "...$2..." "$1" ;;
	esac
}

assert_not_contains() {
	ok
	case "$1" in
	*"$2"*) fail "$3: unexpected substring '$2'" "(without) $2" "$1" ;;
	esac
}

# assert_prefix STRING PREFIX MESSAGE
assert_prefix() {
	ok
	case "$1" in
	"$2"*) ;;
	*) fail "$3: wrong prefix" "$2..." "$1" ;;
	esac
}

# assert_match STRING EXTENDED-REGEX MESSAGE (whole string, grep -E per line)
assert_match() {
	ok
	if ! printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3: no line matches /$2/" "/$2/" "$1"
	fi
}

assert_true() {
	# assert_true MESSAGE COMMAND...
	ok
	_m=$1
	shift
	if ! "$@"; then
		fail "$_m (command failed: $*)"
	fi
}

# Lines of a text: assert_has_line TEXT LINE MESSAGE
assert_has_line() {
	ok
	if ! printf '%s\n' "$1" | grep -Fxq -- "$2"; then
		fail "$3: line not found" "$2" "$1"
	fi
}

assert_no_line() {
	ok
	if printf '%s\n' "$1" | grep -Fxq -- "$2"; then
		fail "$3: line must not be present" "(no line) $2" "$1"
	fi
}

# t_finish: print summary, exit 0/1.
t_finish() {
	if [ "$T_FAILS" -gt 0 ]; then
		echo "$T_NAME: $T_FAILS of $T_ASSERTS assertions FAILED ($T_SKIPS skipped, impl=$PGW_IMPL)" >&2
		exit 1
	fi
	echo "$T_NAME: all $T_ASSERTS assertions passed ($T_SKIPS skipped, impl=$PGW_IMPL)" >&2
	exit 0
}

# ------------------------------------------------------------ gateway process

free_port() {
	"$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# t_wait_pid_exit PID TENTHS -> 0 if it exited in time
t_wait_pid_exit() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $_i -ge "$2" ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# pgw_start [FLAGS...]
# Starts the gateway on a free loopback port and waits until
# GET $PGW_READY_PATH answers 200 (set PGW_READY_PATH for a route prefix).
# Adds --persistence.file= unless a --persistence.file flag is given.
# Sets PGW_PID PGW_PORT PGW_URL (http://127.0.0.1:PORT) PGW_LOG.
pgw_start() {
	[ -n "$PGW_PID" ] && pgw_stop
	[ -x "$PGW_BIN" ] || die "PGW_BIN '$PGW_BIN' is not an executable"
	_pf="--persistence.file="
	for _a in "$@"; do
		case "$_a" in
		--persistence.file | --persistence.file=*) _pf="" ;;
		esac
	done
	_try=0
	while [ $_try -lt 5 ]; do
		_try=$((_try + 1))
		PGW_PORT=$(free_port) || die "cannot pick a free port"
		PGW_URL="${PGW_SCHEME:-http}://127.0.0.1:$PGW_PORT"
		PGW_LOG="$T_TMP/gateway.$PGW_PORT.log"
		if [ -n "$_pf" ]; then
			"$PGW_BIN" "--web.listen-address=127.0.0.1:$PGW_PORT" "$_pf" "$@" \
				</dev/null >"$PGW_LOG" 2>&1 &
		else
			"$PGW_BIN" "--web.listen-address=127.0.0.1:$PGW_PORT" "$@" \
				</dev/null >"$PGW_LOG" 2>&1 &
		fi
		PGW_PID=$!
		T_PIDS="$T_PIDS $PGW_PID"
		_i=0
		while [ $_i -lt 100 ]; do
			if ! kill -0 "$PGW_PID" 2>/dev/null; then
				break
			fi
			_c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 ${PGW_CURL_ARGS:-} \
				"$PGW_URL$PGW_READY_PATH" 2>/dev/null)
			if [ "$_c" = 200 ]; then
				return 0
			fi
			sleep 0.1
			_i=$((_i + 1))
		done
		if kill -0 "$PGW_PID" 2>/dev/null; then
			kill -KILL "$PGW_PID" 2>/dev/null
			wait "$PGW_PID" 2>/dev/null
			PGW_PID=""
			die "gateway not ready within 10 s (flags: $*)"
		fi
		wait "$PGW_PID" 2>/dev/null
		PGW_PID=""
		if grep -qi -e 'address already in use' -e 'bind' -e 'listen' "$PGW_LOG"; then
			note "port $PGW_PORT taken, retrying"
			continue
		fi
		die "gateway exited during start-up (flags: $*)"
	done
	die "could not bind a free port after 5 attempts"
}

# pgw_stop: SIGTERM and wait (bounded, 10 s).  Sets PGW_EXIT to the exit status.
pgw_stop() {
	PGW_EXIT=""
	[ -n "$PGW_PID" ] || return 0
	kill -TERM "$PGW_PID" 2>/dev/null
	if ! t_wait_pid_exit "$PGW_PID" 100; then
		kill -KILL "$PGW_PID" 2>/dev/null
		wait "$PGW_PID" 2>/dev/null
		PGW_EXIT=timeout
		PGW_PID=""
		return 1
	fi
	wait "$PGW_PID" 2>/dev/null
	PGW_EXIT=$?
	PGW_PID=""
	return 0
}

# --------------------------------------------------------------------- HTTP

# http METHOD PATH [curl args...]
# Sets HTTP_STATUS, HTTP_BODY (exact, trailing newlines kept), HTTP_HEADERS
# (CRs removed), and the files $HTTP_BODY_FILE / $HTTP_HDR_FILE.
# PATH is appended to $PGW_URL verbatim (curl --path-as-is, so "//" and
# "/../" are sent unchanged).  HEAD uses curl --head.
HTTP_BODY_FILE=""
HTTP_HDR_FILE=""
http() {
	_m=$1
	_p=$2
	shift 2
	HTTP_BODY_FILE="$T_TMP/body"
	HTTP_HDR_FILE="$T_TMP/headers"
	: >"$HTTP_BODY_FILE"
	: >"$HTTP_HDR_FILE"
	if [ "$_m" = HEAD ]; then
		HTTP_STATUS=$(curl -s -S --path-as-is --max-time 10 ${PGW_CURL_ARGS:-} --head \
			-D "$HTTP_HDR_FILE" -o "$HTTP_BODY_FILE" -w '%{http_code}' \
			"$@" "$PGW_URL$_p" 2>"$T_TMP/curl.err")
	else
		HTTP_STATUS=$(curl -s -S --path-as-is --max-time 10 ${PGW_CURL_ARGS:-} -X "$_m" \
			-D "$HTTP_HDR_FILE" -o "$HTTP_BODY_FILE" -w '%{http_code}' \
			"$@" "$PGW_URL$_p" 2>"$T_TMP/curl.err")
	fi
	HTTP_RC=$?
	if [ $HTTP_RC -ne 0 ]; then
		HTTP_STATUS="curl-error-$HTTP_RC"
	fi
	HTTP_BODY=$(cat "$HTTP_BODY_FILE"; printf x)
	HTTP_BODY=${HTTP_BODY%x}
	HTTP_HEADERS=$(tr -d '\r' <"$HTTP_HDR_FILE")
	return 0
}

# hdr NAME: value of response header NAME (case-insensitive, first occurrence,
# prints nothing if absent).  hdr_count NAME: number of occurrences.
hdr() {
	printf '%s\n' "$HTTP_HEADERS" | awk -v n="$1" '
		BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i == 0) next
		  k = tolower(substr($0, 1, i - 1))
		  if (k == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }'
}
hdr_count() {
	printf '%s\n' "$HTTP_HEADERS" | awk -v n="$1" '
		BEGIN { n = tolower(n); c = 0 }
		{ i = index($0, ":"); if (i == 0) next
		  if (tolower(substr($0, 1, i - 1)) == n) c++ }
		END { print c }'
}

# assert_status EXPECTED MESSAGE
assert_status() {
	ok
	if [ "$HTTP_STATUS" != "$1" ]; then
		fail "$2: HTTP status" "$1" "$HTTP_STATUS (body: $HTTP_BODY)"
	fi
}

# assert_body EXPECTED MESSAGE  (exact byte comparison; use $NL for newlines)
assert_body() {
	assert_eq "$HTTP_BODY" "$1" "$2: body"
}

# assert_header NAME EXPECTED MESSAGE
assert_header() {
	ok
	if [ "$(hdr_count "$1")" = 0 ]; then
		fail "$3: header $1 missing" "$1: $2" "$HTTP_HEADERS"
		return 0
	fi
	_v=$(hdr "$1")
	if [ "$_v" != "$2" ]; then
		fail "$3: header $1" "$2" "$_v"
	fi
}

assert_no_header() {
	ok
	if [ "$(hdr_count "$1")" != 0 ]; then
		fail "$2: header $1 must be absent" "(absent)" "$1: $(hdr "$1")"
	fi
}

# assert_date MESSAGE: the last answer has one Date header, written as Go's
# http.TimeFormat, within a few seconds of the local clock.
assert_date() {
	assert_eq "$(hdr_count Date)" 1 "$1: one Date header"
	assert_match "$(hdr Date)" '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT$' "$1: Date format"
	_dd=$(( $(date -u +%s) - $(date -u -d "$(hdr Date)" +%s 2>/dev/null || echo 0) ))
	assert_true "$1: Date is now (off by ${_dd}s)" [ "$_dd" -ge -2 -a "$_dd" -le 5 ]
}

# Status + exact body in one go: expect STATUS BODY MESSAGE
expect() {
	assert_status "$1" "$3"
	assert_body "$2" "$3"
}

# assert_plain_error STATUS BODY MESSAGE: an http.Error answer
# (text/plain; charset=utf-8, nosniff, body ends with newline).
assert_plain_error() {
	expect "$1" "$2" "$3"
	assert_header Content-Type "text/plain; charset=utf-8" "$3"
	assert_header X-Content-Type-Options nosniff "$3"
	assert_date "$3"
}

# push METHOD PATH BODY [curl args...]: send BODY (exact bytes) with the method.
push() {
	_pm=$1
	_pp=$2
	printf '%s' "$3" >"$T_TMP/push_body"
	shift 3
	http "$_pm" "$_pp" --data-binary "@$T_TMP/push_body" "$@"
}

# push_ok METHOD PATH BODY: push and assert 200 with empty body.
push_ok() {
	push "$1" "$2" "$3"
	assert_status 200 "$1 $2 must succeed"
	assert_body "" "$1 $2 success body"
}

# ------------------------------------------------------------ store views

# metrics_raw: GET telemetry path (default /metrics; set PGW_METRICS_PATH)
# into $T_TMP/scrape.  Returns the status in SCRAPE_STATUS.
metrics_raw() {
	SCRAPE_STATUS=$(curl -s -S --max-time 10 ${PGW_CURL_ARGS:-} -o "$T_TMP/scrape" -w '%{http_code}' \
		"$PGW_URL${PGW_METRICS_PATH:-/metrics}" 2>"$T_TMP/curl.err")
	[ "$SCRAPE_STATUS" = 200 ] || fail "scrape of ${PGW_METRICS_PATH:-/metrics} returned $SCRAPE_STATUS: $(cat "$T_TMP/scrape")"
	ok
}

# t_filter_own: drop the gateway's own families (go_*, process_*, pushgateway_*)
t_filter_own() {
	awk '
		/^# (HELP|TYPE) (go_|process_|pushgateway_)/ { next }
		/^(go_|process_|pushgateway_)/ { next }
		{ print }'
}

# t_mask_times: push_time_seconds / push_failure_time_seconds values are
# written as 0 if zero, T if within one hour of now, else left unchanged.
t_mask_times() {
	awk -v now="$(date +%s)" '
		/^push_(failure_)?time_seconds[{ ]/ {
			v = $NF
			if (v == "0") { print; next }
			d = v - now; if (d < 0) d = -d
			if (v + 0 > 1000000000 && d < 3600) { sub(/[^ ]+$/, "T") }
		}
		{ print }'
}

# store: scrape, filter own families, mask times; result in $STORE
# (no trailing newline) and $T_TMP/store.
store() {
	metrics_raw
	t_filter_own <"$T_TMP/scrape" | t_mask_times >"$T_TMP/store"
	STORE=$(cat "$T_TMP/store")
}

# assert_store EXPECTED MESSAGE: compare the masked store view exactly.
assert_store() {
	store
	assert_eq "$STORE" "$1" "$2: /metrics store view"
}

assert_store_empty() {
	assert_store "" "$1"
}

# store_line_value SERIES-PREFIX: value of the (unmasked) exposition line
# starting with "SERIES-PREFIX " e.g. 'push_time_seconds{instance="",job="x"}'
series_value() {
	metrics_raw
	awk -v s="$1" 'index($0, s " ") == 1 { print $NF; exit }' "$T_TMP/scrape"
}

# API snapshot: canonical JSON of /api/v1/metrics (groups sorted), written to
# FULL and (without push_failure_time_seconds and last_push_successful) to
# DROP.  api_canon_files FULL DROP
api_canon_files() {
	if ! curl -s -S --max-time 10 ${PGW_CURL_ARGS:-} -o "$T_TMP/api.json" "$PGW_URL${PGW_API_PREFIX:-}/api/v1/metrics" 2>/dev/null; then
		echo "API fetch failed" >"$1"
		echo "API fetch failed" >"$2"
		return 0
	fi
	"$PY" - "$T_TMP/api.json" "$1" "$2" <<'PYEOF'
import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
except Exception as e:
    d = {"status": "JSON-ERROR %s" % e, "data": []}
full, drop = [], []
for g in d.get("data", []):
    full.append(json.dumps(g, sort_keys=True))
    g.pop("push_failure_time_seconds", None)
    g.pop("last_push_successful", None)
    drop.append(json.dumps(g, sort_keys=True))
for path, groups in ((sys.argv[2], full), (sys.argv[3], drop)):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("%s\n" % d.get("status"))
        for g in sorted(groups):
            fh.write(g + "\n")
PYEOF
}

# snap NAME: record the complete observable store (raw, unmasked /metrics minus
# own families, and canonical API JSON including time stamps).
snap() {
	metrics_raw
	t_filter_own <"$T_TMP/scrape" >"$T_TMP/snap.$1.m"
	grep -v '^push_failure_time_seconds[{ ]' "$T_TMP/snap.$1.m" >"$T_TMP/snap.$1.md"
	api_canon_files "$T_TMP/snap.$1.j" "$T_TMP/snap.$1.jd"
}

# assert_unchanged NAME MESSAGE: store identical to snapshot NAME.
assert_unchanged() {
	metrics_raw
	t_filter_own <"$T_TMP/scrape" >"$T_TMP/now.m"
	api_canon_files "$T_TMP/now.j" "$T_TMP/now.jd"
	ok
	if ! cmp -s "$T_TMP/snap.$1.m" "$T_TMP/now.m"; then
		fail "$2: /metrics changed" "$(cat "$T_TMP/snap.$1.m")" "$(cat "$T_TMP/now.m")"
	fi
	ok
	if ! cmp -s "$T_TMP/snap.$1.j" "$T_TMP/now.j"; then
		fail "$2: /api/v1/metrics changed" "$(cat "$T_TMP/snap.$1.j")" "$(cat "$T_TMP/now.j")"
	fi
}

# assert_unchanged_but_failure NAME MESSAGE: like assert_unchanged but
# push_failure_time_seconds values / families and last_push_successful may differ.
assert_unchanged_but_failure() {
	metrics_raw
	t_filter_own <"$T_TMP/scrape" | grep -v '^push_failure_time_seconds[{ ]' >"$T_TMP/now.md"
	api_canon_files "$T_TMP/now.j" "$T_TMP/now.jd"
	ok
	if ! cmp -s "$T_TMP/snap.$1.md" "$T_TMP/now.md"; then
		fail "$2: /metrics changed (ignoring failure times)" "$(cat "$T_TMP/snap.$1.md")" "$(cat "$T_TMP/now.md")"
	fi
	ok
	if ! cmp -s "$T_TMP/snap.$1.jd" "$T_TMP/now.jd"; then
		fail "$2: /api/v1/metrics changed (ignoring failure times)" "$(cat "$T_TMP/snap.$1.jd")" "$(cat "$T_TMP/now.jd")"
	fi
}

# ------------------------------------------------------------------- JSON

# json_eval FILE EXPR: evaluate python EXPR with d = json.load(FILE); print the
# result as compact JSON with sorted keys (strings unquoted if EXPR yields a str).
json_eval() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
except Exception as e:
    print("JSON-ERROR: %s" % e)
    sys.exit(0)
def group(labels):
    for g in d["data"]:
        if g["labels"] == labels:
            return g
    return None
try:
    r = eval(sys.argv[2])
except Exception as e:
    print("EVAL-ERROR: %r" % (e,))
    sys.exit(0)
if isinstance(r, str):
    print(r)
else:
    print(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
EOF
}

# assert_json FILE EXPR EXPECTED MESSAGE
assert_json() {
	assert_eq "$(json_eval "$1" "$2")" "$3" "$4: JSON $2"
}

# api_metrics: GET /api/v1/metrics into $T_TMP/api.json (HTTP_* set too).
api_metrics() {
	http GET "${PGW_API_PREFIX:-}/api/v1/metrics"
	cp "$HTTP_BODY_FILE" "$T_TMP/api.json"
	API="$T_TMP/api.json"
}

# wait_until TENTHS COMMAND...: poll until COMMAND succeeds (for upstream's
# asynchronous 202 operations).  Returns 1 on time-out.
wait_until() {
	_n=$1
	shift
	_i=0
	while ! "$@"; do
		[ $_i -ge "$_n" ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# num_gt A B: true if the number A > B (awk float comparison).
num_gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

# Common exposition blocks for the gateway-maintained timestamp families.
PT_HDR='# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
# TYPE push_time_seconds gauge'
PF_HDR='# HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
# TYPE push_failure_time_seconds gauge'
PT_HELP='Last Unix time when changing this group in the Pushgateway succeeded.'
PF_HELP='Last Unix time when changing this group in the Pushgateway failed.'
ERR_PREFIX='pushed metrics are invalid or inconsistent with existing metrics: '
PB_CT='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'

# pb_encode SPEC: write length-delimited protobuf families to $T_TMP/pb.bin
pb_encode() {
	"$PY" "$T_DIR/pbenc.py" "$T_TMP/pb.bin" "$1" || die "pbenc.py failed"
}
# pb_push METHOD PATH SPEC [curl args]
pb_push() {
	_bm=$1
	_bp=$2
	pb_encode "$3"
	shift 3
	http "$_bm" "$_bp" -H "Content-Type: $PB_CT" --data-binary "@$T_TMP/pb.bin" "$@"
}

# assert_store_has LINE MESSAGE / assert_store_lacks LINE MESSAGE: scrape and
# look for an exact line of the masked store view.
assert_store_has() {
	store
	assert_has_line "$STORE" "$1" "$2"
}
assert_store_lacks() {
	store
	assert_no_line "$STORE" "$1" "$2"
}

# store_user: the masked store view without the two timestamp families, in
# $USER_STORE.
store_user() {
	store
	USER_STORE=$(printf '%s\n' "$STORE" | awk '
		/^# (HELP|TYPE) push_(failure_)?time_seconds / { next }
		/^push_(failure_)?time_seconds[{ ]/ { next }
		{ print }')
}

# raw_head PATH: send "HEAD PATH" on a raw connection (Connection: close) and
# read everything the server sends.  Sets RAW_STATUS (status code) and
# RAW_EXTRA (number of bytes after the header block: must be 0 for HEAD).
raw_head() {
	_r=$("$PY" - "$PGW_PORT" "$1" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % sys.argv[2]).encode())
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
head, sep, rest = data.partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "none"
print(status, len(rest) if sep else -1)
PYEOF
)
	RAW_STATUS=${_r% *}
	RAW_EXTRA=${_r#* }
}

# assert_static_links HTML PREFIX MESSAGE: every src/href pointing into
# static/ uses PREFIX/static/ or a relative ./static/ or static/ link.
assert_static_links() {
	ok
	_bad=$(printf '%s\n' "$1" | grep -o -E '(src|href)="[^"]*static/[^"]*"' |
		sed -E 's/^(src|href)="//; s/"$//' |
		grep -v -E "^($2/static/|\./static/|static/)" | head -n 3)
	if [ -n "$_bad" ]; then
		fail "$3: static links must use $2/static/ or be relative" "$2/static/..." "$_bad"
	fi
}
