#!/bin/sh
# t_persistence.sh - persistence round trip (§11): every observable piece of
# state (group labels, families, HELP presence and text, types, summaries,
# histograms, empty families, failure state, time stamps in the API) survives
# a graceful restart exactly; DELETE and wipe are persisted too.
. "$(dirname "$0")/lib.sh"

DB="$T_TMP/state.db"
pgw_start "--persistence.file=$DB" --web.enable-admin-api
push_ok PUT /metrics/job/a/instance/i '# HELP g A gauge with "quotes" and \\ and \n newline.
# TYPE g gauge
g{v="ünï\"\\"} -0
g{v="2"} 1e-300
# TYPE c counter
c NaN
# TYPE s summary
s{quantile="0.5"} 1
s_sum 2
s_count 3
# TYPE h histogram
h_bucket{le="0.5"} 1
h_bucket{le="+Inf"} 2
h_sum 3
h_count 2
u +Inf
'
push_ok PUT /metrics/job/b 'x 1
'
push PUT /metrics/job/b 'x 1 1
'
assert_status 400 "failure state to persist"
push PUT /metrics/job/failed/only/here 'y 1 1
'
assert_status 400 "failed-only group to persist"
pb_push PUT /metrics/job/pb "[{'name':'eh','help':'','type':1,'metrics':[{'gauge':1}]},{'name':'em','type':1}]"
expect 200 "" "protobuf families to persist"
push_ok PUT /metrics/job/gone 'z 1
'
push_ok PUT /metrics/job/a/x@base64/= 'e 1
'
http DELETE /metrics/job/gone
expect 202 "" "delete before shutdown"
wait_until 50 sh -c "! curl -s --max-time 5 '$PGW_URL/metrics' | grep -q 'job=\"gone\"'"
snap full
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status"
assert_true "persistence file written" test -s "$DB"

pgw_start "--persistence.file=$DB" --web.enable-admin-api
assert_unchanged full "state restored exactly (exposition and API incl. time stamps)"
api_metrics
assert_json "$API" 'group({"job":"b"})["last_push_successful"]' false "failure state restored"
assert_json "$API" 'group({"job":"failed","only":"here"})["push_time_seconds"]["metrics"][0]["value"]' 0 "failed-only group restored"
assert_json "$API" 'group({"job":"pb"})["em"]["metrics"]' '[]' "empty family restored"
assert_json "$API" '"help" in group({"job":"pb"})["eh"]' false "empty help restored (API)"
assert_store_has '# HELP eh ' "empty help restored (exposition)"
assert_json "$API" 'group({"job":"gone"}) is None' true "deleted group stays deleted"
assert_json "$API" 'group({"job":"a","x":""})["labels"]' '{"job":"a","x":""}' "empty label value restored"
# the restored store is fully usable
push_ok POST /metrics/job/b 'x 2
'
api_metrics
assert_json "$API" 'group({"job":"b"})["last_push_successful"]' true "push after restore"
push PUT /metrics/job/b '# TYPE g counter
g 1
'
assert_status 400 "consistency check sees restored families"
# wipe is persisted
http PUT /api/v1/admin/wipe
expect 202 "" "wipe"
wait_until 50 sh -c "[ \"\$(curl -s --max-time 5 '$PGW_URL/api/v1/metrics')\" = '{\"status\":\"success\",\"data\":[]}' ]"
pgw_stop
pgw_start "--persistence.file=$DB"
http GET /api/v1/metrics
expect 200 '{"status":"success","data":[]}' "wipe persisted"
pgw_stop

# a missing file is fine; the directory must exist for the shutdown write
rm -f "$DB"
pgw_start "--persistence.file=$DB"
http GET /api/v1/metrics
expect 200 '{"status":"success","data":[]}' "missing file gives an empty store"
pgw_stop
assert_eq "$PGW_EXIT" 0 "exit status"
assert_true "file created at shutdown" test -f "$DB"

# ------------------------------------------------ ours: the file storage backend
# (snapshot + journal, docs/storage-format.md): nothing acknowledged is lost to
# kill -9, torn and corrupt files are handled loudly, SIGHUP snapshots.
if ! is_ours; then
	skip_assert "the journal, kill -9 durability and corruption handling are ours"
	t_finish
fi
J="$T_TMP/j.db"
# corrupt_count: evidence files set aside next to $J
corrupt_count() { ls "$T_TMP" | grep -c '^j\.db.*\.corrupt-'; }
# crash: SIGKILL, no snapshot
crash() {
	kill -KILL "$PGW_PID"
	wait "$PGW_PID" 2>/dev/null
	PGW_PID=""
}
# pyfile EXPR FILE: run a python statement on the file name p
pyfile() { "$PY" -c "import os, sys; p = sys.argv[1]; $1" "$2"; }

pgw_start "--persistence.file=$J"
push_ok PUT /metrics/job/k1/instance/i '# HELP k Kept "exactly".
# TYPE k gauge
k{x="1"} 1.5
k{x="2"} -0
# TYPE ks summary
ks{quantile="0.9"} NaN
ks_sum 1e-300
ks_count 7
'
push_ok POST /metrics/job/k1/instance/i '# HELP k2 
k2 +Inf
'
push_ok PUT /metrics/job/gone 'g 1
'
push PUT /metrics/job/k1/instance/i 'k 1 1
'
assert_status 400 "failed push (timestamp) recorded"
http DELETE /metrics/job/gone
expect 202 "" "delete recorded"
snap crash1
crash
assert_true "no snapshot yet: everything is in the journal" test ! -e "$J"
assert_true "the journal holds the changes" test -s "$J.journal"
pgw_start "--persistence.file=$J"
assert_unchanged crash1 "kill -9: state replayed from the journal exactly (API time stamps included)"
http GET /metrics
assert_has_line "$HTTP_BODY" 'pushgateway_storage_records_replayed{backend="file"} 5' "5 records replayed"
assert_contains "$(cat "$PGW_LOG")" 'msg="storage recovered" backend=file' "recovery logged"

# a torn final record (an interrupted write, never acknowledged) is dropped
push_ok PUT /metrics/job/t1 't 1
'
snap torn
push_ok PUT /metrics/job/t2 't 2
'
crash
pyfile 'os.truncate(p, os.path.getsize(p) - 5)' "$J.journal"
pgw_start "--persistence.file=$J"
assert_unchanged torn "torn final journal record dropped, everything before it kept"
assert_match "$(cat "$PGW_LOG")" 'torn final journal record.* offset=[0-9]+ bytes=[0-9]+' "torn tail logged with its offset"
assert_eq "$(corrupt_count)" 0 "a torn tail is not evidence of corruption"
# appending after the cut works
push_ok PUT /metrics/job/t3 't 3
'
snap torn2
crash
pgw_start "--persistence.file=$J"
assert_unchanged torn2 "records appended after a dropped tail are replayed"

# SIGHUP: flush the journal and snapshot now (the journal starts a new generation)
kill -HUP "$PGW_PID"
assert_true "SIGHUP writes the snapshot" wait_until 50 test -s "$J"
assert_true "SIGHUP empties the journal" wait_until 50 test ! -s "$J.journal"
crash
pgw_start "--persistence.file=$J"
assert_unchanged torn2 "restored from the SIGHUP snapshot"
http GET /metrics
assert_has_line "$HTTP_BODY" 'pushgateway_storage_records_replayed{backend="file"} 0' "nothing left to replay"

# a bit-flipped snapshot: set aside (*.corrupt-*), offset logged, the rest recovered
i=0
while [ $i -lt 20 ]; do
	push_ok PUT "/metrics/job/many/n/$i" "m $i
"
	i=$((i + 1))
done
api_metrics
NG=$(json_eval "$API" 'len(d["data"])')
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM with the file backend"
pyfile 'f = open(p, "r+b"); f.seek(os.path.getsize(p) // 2); b = f.read(1); f.seek(-1, 1); f.write(bytes([b[0] ^ 0x10])); f.close()' "$J"
pgw_start "--persistence.file=$J"
assert_eq "$(corrupt_count)" 1 "corrupt snapshot set aside"
assert_match "$(cat "$PGW_LOG")" 'corrupt storage file set aside.* kind=snapshot .*moved_to=[^ ]*j\.db\.corrupt-[0-9TZ]+ offset=[0-9]+ err=' "corruption logged with file and offset"
api_metrics
assert_eq "$(json_eval "$API" 'len(d["data"])')" $((NG - 1)) "every other group recovered (one of $NG lost)"
pgw_stop
pgw_start "--persistence.file=$J"
assert_eq "$(corrupt_count)" 1 "the rewritten snapshot is clean"
api_metrics
assert_eq "$(json_eval "$API" 'len(d["data"])')" $((NG - 1)) "recovered state persisted"
pgw_stop

# a truncated snapshot: set aside, the complete groups before the cut recovered
pyfile 'os.truncate(p, os.path.getsize(p) - 40)' "$J"
pgw_start "--persistence.file=$J"
assert_eq "$(corrupt_count)" 2 "truncated snapshot set aside"
api_metrics
assert_eq "$(json_eval "$API" 'len(d["data"])')" $((NG - 2)) "groups before the cut recovered"
pgw_stop

# --persistence.fsync=always: concurrent pushes share fdatasyncs and are all durable
pgw_start "--persistence.file=$J" --persistence.fsync=always
i=0
pids=""
while [ $i -lt 30 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' -X PUT --data-binary "fa{n=\"$i\"} $i
" "$PGW_URL/metrics/job/fa/n/$i" >"$T_TMP/fa.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
wait $pids
assert_eq "$(cat "$T_TMP"/fa.* | sort | uniq -c | awk '{ print $1 " " $2 }')" "30 200" "30 concurrent pushes with fsync=always answered 200"
http PUT /metrics/job/fa/n/30 --data-binary 'fa{n="30"} 30
'
expect 200 "" "a held fsync=always reply"
assert_header Content-Length 0 "a held fsync=always reply"
assert_date "a held fsync=always reply"
crash
pgw_start "--persistence.file=$J"
api_metrics
assert_eq "$(json_eval "$API" 'sorted(int(float(g["fa"]["metrics"][0]["value"])) for g in d["data"] if g["labels"]["job"] == "fa")')" \
	"$(seq -s, 0 30 | sed 's/^/[/; s/$/]/')" "every fsync=always push survived kill -9"
pgw_stop

# backend selection
pgw_start "--persistence.file=$T_TMP/mem.db" --storage.backend=memory
push_ok PUT /metrics/job/m 'm 1
'
pgw_stop
assert_true "memory backend writes no files" test ! -e "$T_TMP/mem.db" -a ! -e "$T_TMP/mem.db.journal"
timeout 10 "$PGW_BIN" --web.listen-address=127.0.0.1:0 --storage.backend=nope >"$T_TMP/out" 2>&1
assert_eq "$?" 2 "unknown backend: exit 2"
assert_contains "$(cat "$T_TMP/out")" 'unknown storage backend "nope" (known: memory, file)' "unknown backend message"
timeout 10 "$PGW_BIN" --web.listen-address=127.0.0.1:0 --storage.backend=file --persistence.file= >"$T_TMP/out" 2>&1
assert_eq "$?" 2 "file backend without a file: exit 2"
assert_contains "$(cat "$T_TMP/out")" "needs --persistence.file" "file backend without a file: message"

t_finish
