#!/bin/sh
# t_python_client.sh - the official Python client (prometheus_client):
# push_to_gateway (PUT), pushadd_to_gateway (POST), delete_from_gateway
# (DELETE), grouping keys incl. values with "/" (the client base64-encodes
# them), empty values (the client sends @base64/=) and spaces (quote_plus
# sends "+", which the gateway keeps); results checked via /metrics and the API.
. "$(dirname "$0")/lib.sh"

PYC=""
for cand in ${PGW_PYTHON:-} python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import prometheus_client' 2>/dev/null; then
		PYC=$cand
		break
	fi
done
[ -n "$PYC" ] || skip_all "no python3 with prometheus_client (install python3-prometheus-client)"

pgw_start

# client ACTION JOB GROUPING-KEY-PY-DICT SET: run one client call; SET picks
# the registry contents.  Prints "OK" or "ERR <exception text>".
cat >"$T_TMP/client.py" <<'EOF'
import sys
from prometheus_client import CollectorRegistry, Gauge, Counter, Histogram, Summary
from prometheus_client import push_to_gateway, pushadd_to_gateway, delete_from_gateway

gw, action, job, gk, which = sys.argv[1:6]
gk = eval(gk)
reg = CollectorRegistry()
if which == "batch":
    g = Gauge("job_last_success_unixtime", "Last time a batch job successfully finished", registry=reg)
    g.set(1234.5)
    c = Counter("records_processed", "Records processed.", ["kind"], registry=reg)
    c.labels("a").inc(3)
    c.labels("b").inc(0.5)
elif which == "dist":
    h = Histogram("duration_seconds", "Durations.", buckets=(0.1, 1.0, 10.0), registry=reg)
    for v in (0.05, 0.5, 5, 50):
        h.observe(v)
    s = Summary("size_bytes", "Sizes.", registry=reg)
    s.observe(100)
    s.observe(300)
elif which == "other":
    Gauge("other_gauge", "Another gauge.", registry=reg).set(-2)
elif which == "conflict":
    Summary("other_gauge", "Now a summary.", registry=reg).observe(1)
try:
    if action == "push":
        push_to_gateway(gw, job=job, registry=reg, grouping_key=gk, timeout=10)
    elif action == "pushadd":
        pushadd_to_gateway(gw, job=job, registry=reg, grouping_key=gk, timeout=10)
    elif action == "delete":
        delete_from_gateway(gw, job=job, grouping_key=gk, timeout=10)
    print("OK")
except Exception as e:
    print("ERR %s" % e)
EOF
client() {
	"$PYC" "$T_TMP/client.py" "127.0.0.1:$PGW_PORT" "$@" 2>&1
}
gone() {
	curl -s --max-time 5 -o "$T_TMP/gone.json" "$PGW_URL/api/v1/metrics"
	[ "$(json_eval "$T_TMP/gone.json" "group($1) is None")" = true ]
}

# ------------------------------------------------------------ push (PUT)
assert_eq "$(client push batch "{'instance': 'i1'}" batch)" OK "push_to_gateway"
store_user
assert_has_line "$USER_STORE" '# HELP job_last_success_unixtime Last time a batch job successfully finished' "gauge HELP"
assert_has_line "$USER_STORE" '# TYPE job_last_success_unixtime gauge' "gauge TYPE"
assert_has_line "$USER_STORE" 'job_last_success_unixtime{instance="i1",job="batch"} 1234.5' "gauge value"
assert_has_line "$USER_STORE" '# TYPE records_processed_total counter' "counter TYPE (client adds _total)"
assert_has_line "$USER_STORE" 'records_processed_total{instance="i1",job="batch",kind="a"} 3' "counter a (3.0 -> 3)"
assert_has_line "$USER_STORE" 'records_processed_total{instance="i1",job="batch",kind="b"} 0.5' "counter b"
assert_match "$USER_STORE" '^records_processed_created\{instance="i1",job="batch",kind="a"\} [0-9.]+e\+09$' "client _created series"
store
assert_has_line "$STORE" 'push_time_seconds{instance="i1",job="batch"} T' "push_time set"
api_metrics
assert_json "$API" '[g["labels"] for g in d["data"]]' '[{"instance":"i1","job":"batch"}]' "API group"
assert_json "$API" 'group({"instance":"i1","job":"batch"})["records_processed_total"]["type"]' COUNTER "API counter type"
assert_json "$API" 'group({"instance":"i1","job":"batch"})["job_last_success_unixtime"]["metrics"][0]["value"]' 1234.5 "API gauge value"

# ------------------------------------------------------ pushadd (POST)
assert_eq "$(client pushadd batch "{'instance': 'i1'}" other)" OK "pushadd_to_gateway"
store_user
assert_has_line "$USER_STORE" 'other_gauge{instance="i1",job="batch"} -2' "pushadd added a family"
assert_has_line "$USER_STORE" 'job_last_success_unixtime{instance="i1",job="batch"} 1234.5' "pushadd kept the others"
# push (PUT) replaces the whole group
assert_eq "$(client push batch "{'instance': 'i1'}" other)" OK "push replaces"
store_user
assert_eq "$USER_STORE" '# HELP other_gauge Another gauge.
# TYPE other_gauge gauge
other_gauge{instance="i1",job="batch"} -2' "push replaced the group"

# ------------------------------------------------ histogram and summary
assert_eq "$(client push dist "{}" dist)" OK "push histogram and summary"
store_user
assert_eq "$(printf '%s\n' "$USER_STORE" | grep -E '^(duration_seconds|size_bytes)_(bucket|sum|count)')" 'duration_seconds_bucket{instance="",job="dist",le="0.1"} 1
duration_seconds_bucket{instance="",job="dist",le="1"} 2
duration_seconds_bucket{instance="",job="dist",le="10"} 3
duration_seconds_bucket{instance="",job="dist",le="+Inf"} 4
duration_seconds_sum{instance="",job="dist"} 55.55
duration_seconds_count{instance="",job="dist"} 4
size_bytes_sum{instance="",job="dist"} 400
size_bytes_count{instance="",job="dist"} 2' "histogram (le 1.0 -> 1) and summary"
api_metrics
assert_json "$API" 'group({"job":"dist"})["duration_seconds"]["metrics"][0]["buckets"]' '{"+Inf":"4","0.1":"1","1":"2","10":"3"}' "API histogram buckets"
assert_json "$API" 'group({"job":"dist"})["size_bytes"]["metrics"][0]["count"]' 2 "API summary count"
assert_json "$API" 'group({"job":"dist"})["labels"]' '{"job":"dist"}' "no grouping key: job only"

# ------------------------------------------ grouping keys needing encoding
assert_eq "$(client push batch "{'path': '/var/tmp', 'instance': 'i2'}" other)" OK "value with / (base64)"
assert_eq "$(client push 'a/b' "{'instance': 'i3'}" other)" OK "job with / (job@base64)"
assert_eq "$(client push empty "{'instance': ''}" other)" OK "empty value (@base64/=)"
assert_eq "$(client push space "{'sp': 'a b', 'u': 'ä?&'}" other)" OK "space and special characters (quote_plus)"
api_metrics
assert_json "$API" 'sorted(json.dumps(g["labels"], sort_keys=True, ensure_ascii=False) for g in d["data"])' \
	'["{\"instance\": \"\", \"job\": \"empty\"}","{\"instance\": \"i1\", \"job\": \"batch\"}","{\"instance\": \"i2\", \"job\": \"batch\", \"path\": \"/var/tmp\"}","{\"instance\": \"i3\", \"job\": \"a/b\"}","{\"job\": \"dist\"}","{\"job\": \"space\", \"sp\": \"a+b\", \"u\": \"ä?&\"}"]' \
	"decoded grouping keys ('+' is not a space for the gateway)"
store_user
assert_has_line "$USER_STORE" 'other_gauge{instance="i2",job="batch",path="/var/tmp"} -2' "series with a / value"
assert_has_line "$USER_STORE" 'other_gauge{instance="i3",job="a/b"} -2' "series with a / job"
assert_has_line "$USER_STORE" 'other_gauge{instance="",job="empty"} -2' "series with empty instance"
assert_has_line "$USER_STORE" 'other_gauge{instance="",job="space",sp="a+b",u="ä?&"} -2' "series with + and special characters"

# --------------------------------------------------------------- errors
# a summary named like the gauge other_gauge of other groups: type conflict
snap c0
OUT=$(client pushadd batch "{'instance': 'i1'}" conflict)
assert_prefix "$OUT" "ERR " "type conflict raises in the client"
assert_contains "$OUT" "400" "client error carries the status"
assert_unchanged_but_failure c0 "rejected client push changes nothing"
api_metrics
assert_json "$API" 'group({"instance":"i1","job":"batch"})["last_push_successful"]' false "rejected client push recorded as failure"
assert_eq "$(client pushadd batch "{'instance': 'i1'}" batch)" OK "pushadd batch again"

# --------------------------------------------------------------- delete
for spec in "batch|{'instance': 'i1'}|{\"instance\":\"i1\",\"job\":\"batch\"}" \
	"batch|{'path': '/var/tmp', 'instance': 'i2'}|{\"instance\":\"i2\",\"job\":\"batch\",\"path\":\"/var/tmp\"}" \
	"a/b|{'instance': 'i3'}|{\"instance\":\"i3\",\"job\":\"a/b\"}" \
	"empty|{'instance': ''}|{\"instance\":\"\",\"job\":\"empty\"}" \
	"space|{'sp': 'a b', 'u': 'ä?&'}|{\"job\":\"space\",\"sp\":\"a+b\",\"u\":\"ä?&\"}" \
	"dist|{}|{\"job\":\"dist\"}" \
	"other|{}|{\"job\":\"other\"}"; do
	job=${spec%%|*}
	rest=${spec#*|}
	gk=${rest%%|*}
	labels=${rest#*|}
	assert_eq "$(client delete "$job" "$gk" none)" OK "delete_from_gateway $job $gk"
	assert_true "group $labels deleted" wait_until 50 gone "$labels"
done
api_metrics
assert_body '{"status":"success","data":[]}' "all groups deleted by the client"
assert_eq "$(client delete nothing "{'x': 'y'}" none)" OK "deleting a missing group succeeds"

pgw_stop
t_finish
