#!/bin/sh
# t_ttl.sh - ours: expiry of stale groups (docs/ttl.md). Short TTLs (seconds): a group pushed
# with ?ttl= disappears from /metrics, the API and the web UI after its TTL while groups
# without one stay; a new push postpones it; ttl=0 keeps a group whatever --push.group-ttl
# says; invalid values are 400s; failed pushes change nothing; the TTL and the expiry survive
# restarts with the file backend (graceful and kill -9); own metrics and the log report it.
#
# Nothing here depends on how fast the test runs (sanitizers, a loaded machine): when a group
# expired is read from the gateway's own log, whose "group expired" record gives the time of
# the deletion, the TTL and the deadline. Each expiry must be logged once, with the expected
# TTL, at a deadline that is the group's push time (bracketed by the test's clock before and
# after the push) plus the TTL, not before that deadline and at most LATE_MAX seconds after it
# (after start-up when the deadline passed while the gateway was down). Waits poll with a
# bounded deadline. A group that must still be there is either one that no test step can
# outlast (TTL 1h, or none) or is checked after a group with a later deadline expired (the
# timer deletes groups in deadline order).
. "$(dirname "$0")/lib.sh"

is_ours || skip_all "group TTLs are pushgateway-c only (upstream ignores the query string)"

DB="$T_TMP/ttl.db"
# How late an expiry may be logged: docs/ttl.md promises a few milliseconds for TTLs of a
# second or more; this leaves room for sanitizers and a loaded machine.
LATE_MAX=0.5

# now: Unix time with fractions.
now() { date +%s.%N; }
# past T SECONDS: more than SECONDS have passed since T.
past() { awk -v t="$1" -v s="$2" -v n="$(now)" 'BEGIN { exit !(n - t > s + 0) }'; }
# within SECONDS COMMAND...: poll COMMAND until it succeeds, for at most SECONDS of wall time.
within() {
	_end=$(($(date +%s) + $1 + 1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
	return 0
}

# in_metrics JOB / in_api JOB / in_ui JOB: the group of job JOB is in that view.
in_metrics() { curl -s --max-time 5 "$PGW_URL/metrics" | grep -q "^push_time_seconds{.*job=\"$1\""; }
in_api() {
	curl -s --max-time 5 -o "$T_TMP/ttl_api.json" "$PGW_URL/api/v1/metrics"
	[ "$(json_eval "$T_TMP/ttl_api.json" "any(g['labels'].get('job') == '$1' for g in d['data'])")" = true ]
}
in_ui() { curl -s --max-time 5 "$PGW_URL/" | grep -q "<span class=\"b j\">job=\"$1\"</span>"; }
present() { in_metrics "$1" && in_api "$1" && in_ui "$1"; }
absent() { ! in_metrics "$1" && ! in_api "$1" && ! in_ui "$1"; }

# own SERIES: value of an own metric (name, or name{labels} as exposed).
own() {
	metrics_raw
	awk -v s="$1" '$1 == s { print $NF; exit }' "$T_TMP/scrape"
}

# api_field JOB FIELD: a group's field in /api/v1/metrics ("None" when missing).
api_field() {
	api_metrics
	json_eval "$API" "str(group($2).get('$3'))"
}

# expired.py LOG JOB TTL T_BEFORE T_AFTER LATE_MAX: "ok SECONDS-LATE", or what is wrong with the expiry
# of job JOB's group as LOG records it (see the top of this file).
cat >"$T_TMP/expired.py" <<'EOF'
import datetime, re, sys

log, job, ttl, t_before, t_after, late_max = sys.argv[1:7]

def unix(s):
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", s)
    if m is None:
        raise ValueError("not an RFC 3339 UTC time: %r" % s)
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() + float(m.group(2) or 0)

listening, records = 0.0, []
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.match(r"time=(\S+) ", line)
    if m is None:
        continue
    if 'msg="Listening on"' in line:
        listening = unix(m.group(1))
    elif 'msg="group expired"' in line and ('job=\\"%s\\"}" ' % job) in line:
        records.append((unix(m.group(1)), line))
if len(records) != 1:
    print("%d expiry records for job %s in %s" % (len(records), job, log))
    sys.exit(0)
when, line = records[0]
got_ttl = re.search(r" ttl=(\S+)", line).group(1)
deadline = unix(re.search(r" deadline=(\S+)", line).group(1))
secs = float(ttl.rstrip("s"))
lo, hi = float(t_before) + secs, float(t_after) + secs
late = when - max(deadline, listening)
bad = []
if got_ttl != ttl:
    bad.append("ttl=%s, want %s" % (got_ttl, ttl))
if not lo <= deadline <= hi:
    bad.append("deadline %.6f is not the push time plus the TTL: [%.6f, %.6f]" % (deadline, lo, hi))
if late < -0.001:  # the log's time has milliseconds
    bad.append("deleted %.3f s before its deadline" % -late)
if late > float(late_max):
    bad.append("deleted %.3f s after its deadline (or start-up, if that was later)" % late)
print("; ".join(bad) if bad else "ok %.3f" % late)
EOF

# assert_expired JOB TTL T_BEFORE T_AFTER MESSAGE: the running gateway's log records the
# expiry of job JOB's group, pushed between T_BEFORE and T_AFTER with ?ttl=TTL ("Ns").
assert_expired() {
	_r=$("$PY" "$T_TMP/expired.py" "$PGW_LOG" "$1" "$2" "$3" "$4" "$LATE_MAX" 2>&1)
	ok
	case "$_r" in
	"ok "*) note "$1: deleted ${_r#ok } s after its deadline (or start-up)" ;;
	*) fail "$5" "ok" "$_r" ;;
	esac
}

# ------------------------------------------------------------- the flag
"$PGW_BIN" --help >"$T_TMP/help" 2>&1
assert_contains "$(cat "$T_TMP/help")" "--push.group-ttl=0" "--help lists the flag with its default"
"$PGW_BIN" --push.group-ttl=5x --web.listen-address=127.0.0.1:1 >"$T_TMP/out" 2>&1
assert_eq "$?" 2 "a bad --push.group-ttl stops start-up"
assert_eq "$(cat "$T_TMP/out")" 'pushgateway: --push.group-ttl: time: unknown unit "x" in duration "5x"' "bad flag message"
"$PGW_BIN" --push.group-ttl=-1m --web.listen-address=127.0.0.1:1 >"$T_TMP/out" 2>&1
assert_eq "$?" 2 "a negative --push.group-ttl stops start-up"
assert_eq "$(cat "$T_TMP/out")" 'pushgateway: --push.group-ttl: must not be negative (0 = never expire)' "negative flag message"

# ------------------------------------------------------------- expiry, postponing, ttl=0
pgw_start "--persistence.file=$DB"
http GET /api/v1/status
assert_not_contains "$HTTP_BODY" "group-ttl" "the flag is ours: not in the upstream flags map"
assert_eq "$(own pushgateway_groups_with_ttl)" 0 "no group has a TTL yet"
assert_eq "$(own pushgateway_groups_expired_total)" 0 "nothing expired yet"

# invalid values: 400, nothing stored (not even a failure)
push PUT '/metrics/job/bad?ttl=5x' 'm 1
'
assert_plain_error 400 'invalid ttl "5x": time: unknown unit "x" in duration "5x"
' "ttl=5x"
push PUT '/metrics/job/bad?ttl=-1s' 'm 1
'
assert_plain_error 400 'invalid ttl "-1s": must not be negative
' "negative ttl"
push POST '/metrics/job/bad?a=b&ttl=' 'm 1
'
assert_plain_error 400 'invalid ttl "": time: invalid duration ""
' "empty ttl"
push PUT '/metrics/job/bad?ttl=10' 'm 1
'
assert_plain_error 400 'invalid ttl "10": time: missing unit in duration "10"
' "ttl without unit"
api_metrics
assert_json "$API" 'group({"job":"bad"}) is None' true "rejected pushes store nothing"

# other parameters stay ignored, as upstream ignores the query string
push_ok PUT '/metrics/job/keep?foo=bar' 'k 1
'
assert_eq "$(api_field keep '{"job":"keep"}' ttl_seconds)" None "a group without a TTL has no ttl_seconds"
assert_eq "$(api_field keep '{"job":"keep"}' expires_at)" None "... and no expires_at"

# how a TTL shows (an hour: nothing here races with its expiry)
push_ok PUT '/metrics/job/long/instance/h1?ttl=1h' 'l 1
'
push_ok PUT '/metrics/job/zero?ttl=0' 'z 1
'
api_metrics
assert_json "$API" 'group({"job":"long","instance":"h1"})["ttl_seconds"]' 3600 "ttl_seconds in the API"
assert_json "$API" 'abs(__import__("datetime").datetime.fromisoformat(group({"job":"long","instance":"h1"})["expires_at"][:26]).replace(tzinfo=__import__("datetime").timezone.utc).timestamp() - float(group({"job":"long","instance":"h1"})["push_time_seconds"]["metrics"][0]["value"]) - 3600) < 0.001' \
	true "expires_at = push_time_seconds + ttl"
assert_json "$API" 'group({"job":"zero"}).get("ttl_seconds")' null "ttl=0: no TTL"
assert_eq "$(own pushgateway_groups_with_ttl)" 1 "groups with a TTL"
http GET /
assert_contains "$HTTP_BODY" '<span class="b j">job="long"</span>' "the UI lists the group"
assert_match "$HTTP_BODY" 'job="long".*, expires <time class="r e" data-t="[0-9]+">' "the UI shows when it expires"

# a push without ?ttl= goes back to the default (none); a failed push changes neither the TTL
# nor the deadline; DELETE ignores ttl
push_ok PUT '/metrics/job/reset?ttl=1h' 'r 1
'
push_ok PUT '/metrics/job/reset' 'r 2
'
assert_eq "$(api_field reset '{"job":"reset"}' ttl_seconds)" None "a push without ?ttl= drops the TTL"
push_ok PUT '/metrics/job/fail?ttl=1h' 'f 1
'
EXP=$(api_field fail '{"job":"fail"}' expires_at)
push PUT '/metrics/job/fail?ttl=1s' 'f 1 1
'
assert_status 400 "failed push (timestamp)"
assert_eq "$(api_field fail '{"job":"fail"}' ttl_seconds)" 3600 "a failed push keeps the TTL"
assert_eq "$(api_field fail '{"job":"fail"}' expires_at)" "$EXP" "... and the deadline"
assert_eq "$(api_field fail '{"job":"fail"}' last_push_successful)" False "the failure is recorded"
assert_eq "$(own pushgateway_groups_with_ttl)" 2 "groups with a TTL (long, fail)"
http DELETE '/metrics/job/nothing?ttl=bad'
expect 202 "" "DELETE ignores ttl"

# a second push postpones the deadline to its own time plus the TTL; then the group we watch
push_ok PUT '/metrics/job/post?ttl=3s' 'p 1
'
T1=$(now)
push_ok POST '/metrics/job/post?ttl=3s' 'p 2
'
T1B=$(now)
T0=$(now)
push_ok PUT '/metrics/job/short/instance/h1?ttl=2s' 's 1
'
T0B=$(now)

assert_true "the group with ttl=2s disappears from /metrics, the API and the UI" within 30 absent short
assert_expired short 2s "$T0" "$T0B" "short: expired once, at its deadline"
# Everything below has a later deadline than short (or none), so is still there; a failed push
# that had applied its ttl=1s would have made fail go before short.
assert_true "the group without a TTL stays" present keep
assert_true "ttl=0 stays" present zero
assert_true "the group whose TTL was dropped stays" present reset
assert_true "the group with an hour's TTL stays" present long
assert_true "the group with a failed push stays" present fail
http GET '/?group=job@base64/c2hvcnQ=/instance@base64/aDE='
assert_status 404 "the one-group view of an expired group"
assert_match "$(cat "$PGW_LOG")" 'level=INFO .*msg="group expired" group="\{instance=\\"h1\\",job=\\"short\\"\}" ttl=2s deadline=' "the expiry is logged"

assert_true "the group pushed again disappears too" within 30 absent post
assert_expired post 3s "$T1" "$T1B" "post: expired once, three seconds after its second push"
assert_eq "$(own pushgateway_groups_expired_total)" 2 "pushgateway_groups_expired_total"
assert_eq "$(own pushgateway_groups_with_ttl)" 2 "the groups with an hour's TTL are left"
http DELETE /metrics/job/long/instance/h1
assert_status 202 "DELETE long"
http DELETE /metrics/job/fail
assert_status 202 "DELETE fail"
assert_eq "$(own pushgateway_groups_with_ttl)" 0 "a DELETE takes a group off the expiry list"
assert_eq "$(own pushgateway_groups_expired_total)" 2 "... without counting it as expired"

# the expiries were journalled like DELETEs: a graceful restart does not resurrect them
pgw_stop
pgw_start "--persistence.file=$DB"
assert_true "expired groups stay expired after a restart" absent short
assert_true "... all of them" absent post
assert_not_contains "$(cat "$PGW_LOG")" 'group expired' "nothing left to expire at start-up"

# ------------------------------------------------------------- the default TTL
# Turning --push.group-ttl on applies to groups pushed without ?ttl= (measured from their last
# push: keep and reset were last pushed before short, which has expired since, so they are
# older than 2 s and go at once); ttl=0 groups stay (zero was pushed before reset: were it on
# the default, it would be gone too).
pgw_stop
pgw_start "--persistence.file=$DB" --push.group-ttl=2s
assert_true "groups that follow the default expire at start-up when already stale" within 30 absent keep
assert_true "... (reset too)" within 30 absent reset
assert_true "ttl=0 keeps a group whatever the default" present zero
push_ok PUT '/metrics/job/zero?ttl=0' 'z 2
'
T2=$(now)
push_ok PUT /metrics/job/dflt 'd 1
'
T2B=$(now)
assert_true "a push without ?ttl= gets the default and expires after it" within 30 absent dflt
assert_expired dflt 2s "$T2" "$T2B" "dflt: expired on the default TTL"
assert_true "ttl=0 still stays under --push.group-ttl (pushed before dflt)" present zero
assert_eq "$(own pushgateway_groups_with_ttl)" 0 "ttl=0 is no TTL"

# ------------------------------------------------------------- restarts keep the deadline
pgw_stop
pgw_start "--persistence.file=$DB"
push_ok PUT '/metrics/job/later?ttl=1h' 'l 1
'
EXP=$(api_field later '{"job":"later"}' expires_at)
T3=$(now)
push_ok PUT '/metrics/job/soon?ttl=3s' 's 1
'
T3B=$(now)
pgw_stop
pgw_start "--persistence.file=$DB"
assert_eq "$(api_field later '{"job":"later"}' expires_at)" "$EXP" "a graceful restart keeps the deadline (snapshot)"
assert_true "the group with a short TTL expires after the restart" within 30 absent soon
assert_expired soon 3s "$T3" "$T3B" "soon: expired at the deadline of its push, not one counted from the restart"
assert_eq "$(own pushgateway_groups_with_ttl)" 1 "with TTL after restart"

# kill -9: the TTL comes back from the journal; the expiry is in the journal too
push_ok PUT '/metrics/job/crashlong?ttl=1h' 'c 1
'
EXP=$(api_field crashlong '{"job":"crashlong"}' expires_at)
T4=$(now)
push_ok PUT '/metrics/job/crash?ttl=3s' 'c 1
'
T4B=$(now)
kill -KILL "$PGW_PID"
wait "$PGW_PID" 2>/dev/null
PGW_PID=""
pgw_start "--persistence.file=$DB"
assert_eq "$(api_field crashlong '{"job":"crashlong"}' expires_at)" "$EXP" "kill -9: the deadline is replayed from the journal"
assert_true "the replayed group expires" within 30 absent crash
assert_expired crash 3s "$T4" "$T4B" "crash: expired at the deadline of its push after kill -9"
W=$(own 'pushgateway_storage_records_written_total{backend="file"}')
assert_eq "$W" 1 "the expiry was recorded by the storage backend"
kill -KILL "$PGW_PID"
wait "$PGW_PID" 2>/dev/null
PGW_PID=""
pgw_start "--persistence.file=$DB"
assert_true "kill -9 after an expiry: the group stays deleted" absent crash
assert_not_contains "$(cat "$PGW_LOG")" 'group expired' "not resurrected and expired again"
assert_true "zero survived everything" present zero

# a group whose deadline passed while the gateway was down goes right after start-up: the
# gateway is stopped (SIGSTOP: no timer runs) right after the push, killed once the deadline
# has passed, and started again
T5=$(now)
push_ok PUT '/metrics/job/down?ttl=2s' 'd 1
'
T5B=$(now)
kill -STOP "$PGW_PID"
assert_true "the deadline passes" within 30 past "$T5B" 2.01
kill -KILL "$PGW_PID"
wait "$PGW_PID" 2>/dev/null
PGW_PID=""
pgw_start "--persistence.file=$DB"
assert_true "a deadline that passed during the downtime expires at start-up" within 30 absent down
assert_expired down 2s "$T5" "$T5B" "down: expired right after start-up"
pgw_stop
assert_eq "$PGW_EXIT" 0 "clean exit"

t_finish
