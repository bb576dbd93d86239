#!/bin/sh
# t_crashloop.sh - zero loss of acknowledged pushes under kill -9 (file backend).
#
# Each cycle starts the gateway on the same --persistence.file, checks that every
# group shows exactly its last acknowledged push (or the one push that was in
# flight when the gateway died: written to the journal but never answered), runs
# concurrent pushers (PUTs with a unique value per request, pushes to one group
# sequential), and kills the gateway with SIGKILL at a random moment: sometimes
# just after a SIGHUP (foreground snapshot), and with --persistence.interval=0s
# the one-second tick forks background snapshots, so kills also land while a
# snapshot child writes (journal rotated to .old). The fsync policy rotates
# through never, interval and always. At least 50 kills within a bounded time
# (< 4 minutes: a safety net inside ctest's 300 s, not a speed test; a cycle takes about
# 1 s, 1.5 s under ASan on a loaded 2-core machine). Nothing asserted depends on timing:
# a push counts as acknowledged only once its answer was read, one still unanswered at
# the kill may or may not be applied, and the next gateway starts only once the killed
# one's lock is free (its snapshot child dies with it).
# Environment: PGW_CRASH_CYCLES (default 60), PGW_CRASH_SECONDS (default 240).
. "$(dirname "$0")/lib.sh"

is_ours || skip_all "file backend crash loop is pushgateway-c only"
command -v "$PY" >/dev/null 2>&1 || skip_all "needs $PY"

CYCLES=${PGW_CRASH_CYCLES:-60}
BUDGET=${PGW_CRASH_SECONDS:-240}
MIN_KILLS=50
[ "$CYCLES" -lt $MIN_KILLS ] && MIN_KILLS=$CYCLES
DB="$T_TMP/crash.db"
STATE="$T_TMP/state.json"
echo '{}' >"$STATE"

# lock_free: the lock on $DB can be taken, i.e. nothing of a killed gateway holds it any more.
lock_free() {
	command -v flock >/dev/null 2>&1 || return 0
	flock -n "$DB.lock" true
}

# pusher PORT FIRST-VALUE: push until the gateway dies; update $STATE with, per
# group, the last acknowledged value and the value in flight (if any).
cat >"$T_TMP/pusher.py" <<'EOF'
import http.client, json, sys, threading

port, first, state_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
WORKERS, GROUPS_PER_WORKER = 4, 3
state = json.load(open(state_file))
errors = []
acks = []

def body(v):
    return ("# TYPE crash_value counter\ncrash_value{w=\"x\"} %d\n"
            "# TYPE crash_aux gauge\ncrash_aux %d\n" % (v, 2 * v)).encode()

def worker(w):
    groups = ["g%d" % (w * GROUPS_PER_WORKER + i) for i in range(GROUPS_PER_WORKER)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    k = 0
    while True:
        g = groups[k % len(groups)]
        v = first + k * WORKERS + w
        k += 1
        rec = state.setdefault(g, {"acked": None, "pending": None})
        rec["pending"] = v
        try:
            conn.request("PUT", "/metrics/job/crash/group/" + g, body(v))
            r = conn.getresponse()
            r.read()
        except Exception:
            return  # the gateway died: v stays pending
        if 200 <= r.status < 300:
            rec["acked"] = v
            rec["pending"] = None
            acks.append(1)
        else:
            errors.append("%s: HTTP %d for value %d" % (g, r.status, v))
            rec["pending"] = None
            return

threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
json.dump(state, open(state_file, "w"))
for e in errors:
    print("PUSH-ERROR " + e)
print("acked=%d" % len(acks))
EOF

# verify PORT: every group shows its last acknowledged value, or the in-flight
# one; both families exact. Rewrites $STATE with what is stored now.
cat >"$T_TMP/verify.py" <<'EOF'
import json, sys, urllib.request

port, state_file = int(sys.argv[1]), sys.argv[2]
state = json.load(open(state_file))
data = json.load(urllib.request.urlopen("http://127.0.0.1:%d/api/v1/metrics" % port, timeout=10))
shown = {}
for g in data["data"]:
    labels = g["labels"]
    if labels.get("job") != "crash":
        continue
    v = float(g["crash_value"]["metrics"][0]["value"])
    aux = float(g["crash_aux"]["metrics"][0]["value"])
    ok_time = float(g["push_time_seconds"]["metrics"][0]["value"]) > 0
    shown[labels["group"]] = (v, aux, ok_time)
bad = []
acked = pending_applied = 0
for grp in sorted(set(state) | set(shown)):
    rec = state.get(grp, {"acked": None, "pending": None})
    got = shown.get(grp)
    allowed = [x for x in (rec["acked"], rec["pending"]) if x is not None]
    if got is None:
        if rec["acked"] is not None:
            bad.append("%s: acknowledged value %d lost (group missing)" % (grp, rec["acked"]))
        continue
    v, aux, ok_time = got
    if v not in [float(a) for a in allowed]:
        bad.append("%s: shows %r, last acknowledged %r, in flight %r" % (grp, v, rec["acked"], rec["pending"]))
    if aux != 2 * v or not ok_time:
        bad.append("%s: families inconsistent: value %r aux %r push_time ok %r" % (grp, v, aux, ok_time))
    if rec["acked"] is not None and v == rec["acked"]:
        acked += 1
    else:
        pending_applied += 1
    state[grp] = {"acked": int(v), "pending": None}
json.dump(state, open(state_file, "w"))
for b in bad:
    print("LOST " + b)
print("groups=%d at_last_ack=%d in_flight_applied=%d" % (len(shown), acked, pending_applied))
EOF

start=$(date +%s)
kills=0
value=1
total_inflight=0
total_acked=0
i=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	case $((i % 3)) in
	0) FS=never ;;
	1) FS=interval ;;
	*) FS=always ;;
	esac
	pgw_start "--persistence.file=$DB" "--persistence.fsync=$FS" --persistence.interval=0s
	out=$("$PY" "$T_TMP/verify.py" "$PGW_PORT" "$STATE" 2>&1)
	ok
	case "$out" in
	*LOST*) fail "cycle $i (fsync=$FS): acknowledged push lost after restart" "(nothing lost)" "$out" ;;
	*groups=*) ;;
	*) fail "cycle $i: verification failed to run" "groups=..." "$out" ;;
	esac
	n=$(printf '%s\n' "$out" | sed -n 's/.*in_flight_applied=\([0-9]*\).*/\1/p')
	total_inflight=$((total_inflight + ${n:-0}))
	# push for a random 50..1300 ms, sometimes with a snapshot (SIGHUP) just before the kill
	"$PY" "$T_TMP/pusher.py" "$PGW_PORT" "$value" "$STATE" >"$T_TMP/pusher.out" 2>&1 &
	pusher=$!
	r=$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.3f %d %.3f", 0.05 + rand() * 1.25, int(rand() * 2), rand() * 0.02 }')
	set -- $r
	sleep "$1"
	if [ "$2" = 1 ]; then
		kill -HUP "$PGW_PID" 2>/dev/null
		sleep "$3"
	fi
	kill -KILL "$PGW_PID" 2>/dev/null
	wait "$PGW_PID" 2>/dev/null
	PGW_PID=""
	kills=$((kills + 1))
	wait "$pusher"
	# A background snapshot child is killed with the gateway (PR_SET_PDEATHSIG); wait for it
	# rather than rely on the next gateway's short wait for the lock.
	if ! wait_until 300 lock_free; then
		fail "cycle $i (fsync=$FS): $DB.lock still held 30 s after kill -9 (a snapshot child outlived the gateway?)"
		break
	fi
	n=$(sed -n 's/^acked=//p' "$T_TMP/pusher.out")
	total_acked=$((total_acked + ${n:-0}))
	if grep -q PUSH-ERROR "$T_TMP/pusher.out"; then
		fail "cycle $i (fsync=$FS): a push was refused" "(all 2xx)" "$(cat "$T_TMP/pusher.out")"
	fi
	value=$((value + 1000000))
	if [ $(($(date +%s) - start)) -ge "$BUDGET" ]; then
		note "time budget of ${BUDGET}s used after $kills kills"
		break
	fi
done

# final restart: everything acknowledged is there
pgw_start "--persistence.file=$DB"
out=$("$PY" "$T_TMP/verify.py" "$PGW_PORT" "$STATE" 2>&1)
assert_not_contains "$out" LOST "final restart: nothing acknowledged lost"
acked_groups=$(printf '%s\n' "$out" | sed -n 's/^groups=\([0-9]*\).*/\1/p')
assert_eq "${acked_groups:-0}" 12 "all 12 groups present"
# One more acknowledged push and kill -9 (no snapshot comes in between: the default
# --persistence.interval is 5m): the restart replays it from the journal. (Whether the last
# cycle left records to replay depends on where its kill landed.)
push_ok PUT /metrics/job/crash/group/g0 "# TYPE crash_value counter
crash_value{w=\"x\"} $value
# TYPE crash_aux gauge
crash_aux $((2 * value))
"
"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
s["g0"] = {"acked": int(sys.argv[2]), "pending": None}
json.dump(s, open(sys.argv[1], "w"))' "$STATE" "$value"
kill -KILL "$PGW_PID"
wait "$PGW_PID" 2>/dev/null
PGW_PID=""
pgw_start "--persistence.file=$DB"
out=$("$PY" "$T_TMP/verify.py" "$PGW_PORT" "$STATE" 2>&1)
assert_not_contains "$out" LOST "kill -9 right after an acknowledged push: nothing lost"
assert_contains "$out" "at_last_ack=12 " "every group at its last acknowledged value"
http GET /metrics
assert_match "$HTTP_BODY" '^pushgateway_storage_records_replayed\{backend="file"\} [1-9]' "records were replayed"
# a graceful stop keeps everything
pgw_stop
assert_eq "$PGW_EXIT" 0 "graceful stop after the crash loop"
pgw_start "--persistence.file=$DB"
out=$("$PY" "$T_TMP/verify.py" "$PGW_PORT" "$STATE" 2>&1)
assert_not_contains "$out" LOST "restore from the final snapshot"
pgw_stop

ok
[ "$kills" -ge "$MIN_KILLS" ] || fail "only $kills kills within ${BUDGET}s (want >= $MIN_KILLS)"
note "$kills kill -9 cycles in $(($(date +%s) - start))s; $total_acked acknowledged pushes, none lost; unanswered pushes found applied: $total_inflight; corrupt files: $(ls "$T_TMP" | grep -c corrupt)"
assert_eq "$(ls "$T_TMP" | grep -c corrupt)" 0 "kill -9 never produces corruption"
t_finish
