#!/bin/sh
# t_ttl.sh - ours: expiry of stale groups (docs/ttl.md). Short TTLs (seconds): a group pushed
# with ?ttl= disappears from /metrics, the API and the web UI after its TTL while groups
# without one stay; a new push postpones it; ttl=0 keeps a group whatever --push.group-ttl
# says; invalid values are 400s; failed pushes change nothing; the TTL and the expiry survive
# restarts with the file backend (graceful and kill -9); own metrics and the log report it.
. "$(dirname "$0")/lib.sh"

is_ours || skip_all "group TTLs are pushgateway-c only (upstream ignores the query string)"

DB="$T_TMP/ttl.db"

# now: Unix time with fractions.
now() { date +%s.%N; }
# elapsed T0: seconds since T0.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# between V LO HI: LO <= V <= HI (floats).
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; }

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

T0=$(now)
push_ok PUT '/metrics/job/short/instance/h1?ttl=2s' 's 1
'
push_ok PUT '/metrics/job/zero?ttl=0' 'z 1
'
push_ok PUT '/metrics/job/post?ttl=3s' 'p 1
'
push_ok PUT '/metrics/job/reset?ttl=2s' 'r 1
'
push_ok PUT '/metrics/job/fail?ttl=3s' 'f 1
'
api_metrics
assert_json "$API" 'group({"job":"short","instance":"h1"})["ttl_seconds"]' 2 "ttl_seconds in the API"
assert_json "$API" 'abs(__import__("datetime").datetime.fromisoformat(group({"job":"short","instance":"h1"})["expires_at"][:26]).replace(tzinfo=__import__("datetime").timezone.utc).timestamp() - float(group({"job":"short","instance":"h1"})["push_time_seconds"]["metrics"][0]["value"]) - 2) < 0.001' \
	true "expires_at = push_time_seconds + ttl"
assert_json "$API" 'group({"job":"zero"}).get("ttl_seconds")' null "ttl=0: no TTL"
assert_eq "$(own pushgateway_groups_with_ttl)" 4 "groups with a TTL"
http GET /
assert_contains "$HTTP_BODY" '<span class="b j">job="short"</span>' "the UI lists the group"
assert_match "$HTTP_BODY" 'job="short".*, expires <time class="r e" data-t="[0-9]+">' "the UI shows when it expires"

# a push without ?ttl= goes back to the default (none); a failed push changes nothing;
# DELETE ignores ttl
push_ok PUT '/metrics/job/reset' 'r 2
'
push PUT '/metrics/job/fail?ttl=1h' 'f 1 1
'
assert_status 400 "failed push (timestamp)"
assert_eq "$(api_field fail '{"job":"fail"}' ttl_seconds)" 3 "a failed push keeps the TTL"
assert_eq "$(api_field fail '{"job":"fail"}' last_push_successful)" False "the failure is recorded"
http DELETE '/metrics/job/nothing?ttl=bad'
expect 202 "" "DELETE ignores ttl"

# after about a second, POST to "post" again: its deadline moves to now + 3 s
sleep 1
T1=$(now)
push_ok POST '/metrics/job/post?ttl=3s' 'p 2
'

assert_true "the group with ttl=2s disappears from /metrics, the API and the UI" wait_until 50 absent short
E=$(elapsed "$T0")
assert_true "... after about two seconds (took ${E}s)" between "$E" 2 4.5
assert_true "the group without a TTL stays" present keep
assert_true "ttl=0 stays" present zero
assert_true "the group pushed again stays" present post
assert_true "the group whose TTL was reset stays" present reset
http GET '/?group=job@base64/c2hvcnQ=/instance@base64/aDE='
assert_status 404 "the one-group view of an expired group"
assert_eq "$(own pushgateway_groups_expired_total)" 1 "pushgateway_groups_expired_total"
assert_match "$(cat "$PGW_LOG")" 'level=INFO .*msg="group expired" group="\{instance=\\"h1\\",job=\\"short\\"\}" ttl=2s deadline=' "the expiry is logged"

assert_true "the pushed-again group expires three seconds after its last push" wait_until 50 absent post
E=$(elapsed "$T1")
assert_true "... (took ${E}s)" between "$E" 3 5.5
assert_true "the group with a failed push expired on its TTL" absent fail
assert_eq "$(own pushgateway_groups_expired_total)" 3 "three expired"
assert_eq "$(own pushgateway_groups_with_ttl)" 0 "none left with a TTL"
assert_true "keep stays" present keep
assert_true "zero stays" present zero
assert_true "reset stays" present reset

# the expiries were journalled like DELETEs: a graceful restart does not resurrect them
pgw_stop
pgw_start "--persistence.file=$DB"
assert_true "expired groups stay expired after a restart" absent short
assert_true "... all of them" absent post
assert_not_contains "$(cat "$PGW_LOG")" 'group expired' "nothing left to expire at start-up"

# ------------------------------------------------------------- the default TTL
# Turning --push.group-ttl on applies to groups pushed without ?ttl= (measured from their last
# push: these are older than 2 s, so they go at once); ttl=0 groups stay.
pgw_stop
pgw_start "--persistence.file=$DB" --push.group-ttl=2s
assert_true "groups that follow the default expire at start-up when already stale" wait_until 20 absent keep
assert_true "... (reset too)" absent reset
assert_true "ttl=0 keeps a group whatever the default" present zero
T2=$(now)
push_ok PUT /metrics/job/dflt 'd 1
'
assert_eq "$(api_field dflt '{"job":"dflt"}' ttl_seconds)" 2 "a push without ?ttl= gets the default"
assert_true "... and expires after it" wait_until 50 absent dflt
E=$(elapsed "$T2")
assert_true "... (took ${E}s)" between "$E" 2 4.5
push_ok PUT '/metrics/job/zero?ttl=0' 'z 2
'
sleep 2.5
assert_true "ttl=0 still stays under --push.group-ttl" present zero
assert_eq "$(own pushgateway_groups_with_ttl)" 0 "ttl=0 is no TTL"

# ------------------------------------------------------------- restarts keep the deadline
pgw_stop
pgw_start "--persistence.file=$DB"
T3=$(now)
push_ok PUT '/metrics/job/later?ttl=4s' 'l 1
'
EXP=$(api_field later '{"job":"later"}' expires_at)
pgw_stop
pgw_start "--persistence.file=$DB"
assert_eq "$(api_field later '{"job":"later"}' expires_at)" "$EXP" "a graceful restart keeps the deadline (snapshot)"
assert_eq "$(own pushgateway_groups_with_ttl)" 1 "with TTL after restart"
assert_true "the group expires at its deadline after the restart" wait_until 60 absent later
E=$(elapsed "$T3")
assert_true "... not later (took ${E}s)" between "$E" 4 6.5

# kill -9: the TTL comes back from the journal; the expiry is in the journal too
push_ok PUT '/metrics/job/crash?ttl=3s' 'c 1
'
EXP=$(api_field crash '{"job":"crash"}' expires_at)
kill -KILL "$PGW_PID"
wait "$PGW_PID" 2>/dev/null
PGW_PID=""
pgw_start "--persistence.file=$DB"
assert_eq "$(api_field crash '{"job":"crash"}' expires_at)" "$EXP" "kill -9: the deadline is replayed from the journal"
assert_true "the replayed group expires" wait_until 50 absent crash
W=$(own 'pushgateway_storage_records_written_total{backend="file"}')
assert_eq "$W" 1 "the expiry was recorded by the storage backend"
kill -KILL "$PGW_PID"
wait "$PGW_PID" 2>/dev/null
PGW_PID=""
pgw_start "--persistence.file=$DB"
assert_true "kill -9 after an expiry: the group stays deleted" absent crash
assert_not_contains "$(cat "$PGW_LOG")" 'group expired' "not resurrected and expired again"
assert_true "zero survived everything" present zero

# a group whose deadline passed while the gateway was down goes right after start-up
push_ok PUT '/metrics/job/down?ttl=1s' 'd 1
'
pgw_stop
sleep 1.2
pgw_start "--persistence.file=$DB"
assert_true "a deadline that passed during the downtime expires at start-up" wait_until 15 absent down
pgw_stop
assert_eq "$PGW_EXIT" 0 "clean exit"

t_finish
