#!/bin/sh
# t_api.sh - the JSON API (§8): /api/v1/status and /api/v1/metrics shapes,
# CORS and cache headers, OPTIONS preflight, numbers as strings (-0 as "-0"),
# time_stamp format (local zone), last_push_successful, Go JSON escaping and
# key order, group order (D3), family-name quirks.
. "$(dirname "$0")/lib.sh"

CORS_CHECK() {
	assert_header Access-Control-Allow-Headers "Accept, Authorization, Content-Type, Origin" "$1"
	assert_header Access-Control-Allow-Methods "GET, POST, DELETE, OPTIONS" "$1"
	assert_header Access-Control-Allow-Origin '*' "$1"
	assert_header Access-Control-Expose-Headers "Date" "$1"
	assert_header Cache-Control "no-cache, no-store, must-revalidate" "$1"
}
TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]*[1-9])?(Z|[+-][0-9]{2}:[0-9]{2})$'

pgw_start

# ------------------------------------------------------------- empty store
http GET /api/v1/metrics
expect 200 '{"status":"success","data":[]}' "empty store"
assert_header Content-Type application/json "metrics Content-Type"
CORS_CHECK "GET /api/v1/metrics"

# ---------------------------------------------------------------- status
http GET /api/v1/status
assert_status 200 "status"
assert_header Content-Type application/json "status Content-Type"
CORS_CHECK "GET /api/v1/status"
assert_eq "$(tail -c 1 "$HTTP_BODY_FILE")" "}" "no trailing newline in JSON"
S=$HTTP_BODY_FILE
cp "$S" "$T_TMP/status.json"
S="$T_TMP/status.json"
assert_json "$S" 'd["status"]' success "status field"
assert_json "$S" 'sorted(d["data"].keys())' '["build_information","flags","start_time"]' "status data keys"
assert_json "$S" 'sorted(d["data"]["build_information"].keys())' '["branch","buildDate","buildUser","goVersion","revision","version"]' "build_information keys"
assert_json "$S" 'all(isinstance(v, str) for v in d["data"]["build_information"].values())' true "build_information values are strings"
assert_json "$S" 'all(isinstance(v, str) for v in d["data"]["flags"].values())' true "flag values are strings"
assert_match "$(json_eval "$S" 'd["data"]["start_time"]')" "$TS_RE" "start_time RFC 3339"
FLAGS_DEFAULT='{"log.format":"logfmt","log.level":"info","persistence.file":"","persistence.interval":"5m0s","push.disable-consistency-check":"false","push.enable-utf8-names":"false","web.config.file":"","web.enable-admin-api":"false","web.enable-lifecycle":"false","web.external-url":"","web.listen-address":"127.0.0.1:'$PGW_PORT'","web.route-prefix":"","web.systemd-socket":"false","web.telemetry-path":"/metrics"}'
if is_ours; then
	# exactly upstream 1.11's key set: our own flags (storage, packaging) are not listed
	assert_json "$S" 'd["data"]["flags"]' "$FLAGS_DEFAULT" "default flags (1.11 key set)"
else
	# U7: no push.enable-utf8-names in 1.5.1; Debian adds web.local-assets
	assert_json "$S" '{k: v for k, v in d["data"]["flags"].items() if k != "web.local-assets"}' \
		"$(printf '%s' "$FLAGS_DEFAULT" | sed 's/"push.enable-utf8-names":"false",//')" "default flags (1.5.1 key set)"
	skip_assert "U7: push.enable-utf8-names flag only in 1.11"
fi
# raw key order: Go sorts map keys
assert_eq "$("$PY" -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]), object_pairs_hook=lambda p: [k for k, _ in p] if p and p[0][0] in ("branch","log.format") else dict(p))["data"]["flags"]))' "$S")" \
	"$(json_eval "$S" '",".join(sorted(d["data"]["flags"].keys()))')" "flags keys emitted in sorted order"
http OPTIONS /api/v1/status
expect 200 "" "OPTIONS status (preflight)"
CORS_CHECK "OPTIONS /api/v1/status"
assert_no_header Allow "OPTIONS preflight has no Allow"
http OPTIONS /api/v1/metrics -H "Origin: http://example.com" -H "Access-Control-Request-Method: GET"
expect 200 "" "CORS preflight with request headers"
CORS_CHECK "CORS preflight"
http GET /api/v1/metrics -H "Origin: http://example.com"
CORS_CHECK "GET with Origin"
pgw_stop

# flags reflect the command line
PORT2=$(free_port)
pgw_start --persistence.interval=90m --log.level=debug --log.format=json --web.enable-admin-api \
	--web.enable-lifecycle --push.disable-consistency-check --web.telemetry-path=/tm \
	--web.external-url=http://h.example/ "--web.listen-address=127.0.0.1:$PORT2" "--persistence.file=$T_TMP/p.db"
http GET /api/v1/status
F="$T_TMP/flags.json"
cp "$HTTP_BODY_FILE" "$F"
assert_json "$F" 'd["data"]["flags"]["persistence.interval"]' 1h30m0s "duration in Go form"
assert_json "$F" 'd["data"]["flags"]["log.level"]' debug "log.level"
assert_json "$F" 'd["data"]["flags"]["log.format"]' json "log.format"
assert_json "$F" 'd["data"]["flags"]["web.enable-admin-api"]' true "admin flag"
assert_json "$F" 'd["data"]["flags"]["web.enable-lifecycle"]' true "lifecycle flag"
assert_json "$F" 'd["data"]["flags"]["push.disable-consistency-check"]' true "consistency flag"
assert_json "$F" 'd["data"]["flags"]["web.telemetry-path"]' /tm "telemetry flag"
assert_json "$F" 'd["data"]["flags"]["web.external-url"]' http://h.example/ "external-url flag"
assert_json "$F" 'd["data"]["flags"]["web.route-prefix"]' "" "route-prefix from a path-less external URL"
assert_json "$F" 'd["data"]["flags"]["persistence.file"]' "$T_TMP/p.db" "persistence.file flag"
assert_json "$F" 'd["data"]["flags"]["web.listen-address"]' "127.0.0.1:$PGW_PORT,127.0.0.1:$PORT2" "listen addresses joined with ,"
SAVE_URL=$PGW_URL
PGW_URL="http://127.0.0.1:$PORT2"
http GET /-/healthy
expect 200 OK "second listen address serves"
PGW_URL=$SAVE_URL
pgw_stop
pgw_start --persistence.interval=3s
http GET /api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["persistence.interval"]' 3s "3s duration"
pgw_stop

# ---------------------------------------------------------------- metrics
pgw_start
push_ok PUT /metrics/job/j/instance/i '# TYPE g gauge
# HELP g A gauge.
g{v="b"} -0
g{v="a"} 1e6
# TYPE c counter
c NaN
# TYPE u untyped
u +Inf
u{x="1"} -Inf
# TYPE s summary
s{quantile="0.5"} 1.5
s{quantile="0.90"} 2
s_sum 10
s_count 5.7
# TYPE s0 summary
s0_sum 1
s0_count 0
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="1.0"} 2
h_sum 3.5
h_count 3
# TYPE hi histogram
hi_bucket{le="+Inf"} 4
hi_sum 1
hi_count 4
'
api_metrics
assert_header Content-Type application/json "metrics Content-Type"
G='group({"instance":"i","job":"j"})'
assert_json "$API" 'len(d["data"])' 1 "one group"
assert_json "$API" "$G[\"labels\"]" '{"instance":"i","job":"j"}' "group labels"
assert_json "$API" "$G[\"last_push_successful\"]" true "last_push_successful"
assert_json "$API" "sorted($G.keys())" '["c","g","h","hi","labels","last_push_successful","push_failure_time_seconds","push_time_seconds","s","s0","u"]' "group keys"
assert_json "$API" "$G[\"g\"][\"type\"]" GAUGE "gauge type"
assert_json "$API" "$G[\"g\"][\"help\"]" "A gauge." "gauge help"
assert_json "$API" "$G[\"g\"][\"metrics\"]" '[{"labels":{"instance":"i","job":"j","v":"b"},"value":"-0"},{"labels":{"instance":"i","job":"j","v":"a"},"value":"1e+06"}]' "gauge metrics in pushed order, -0 as \"-0\""
assert_json "$API" "$G[\"c\"]" '{"metrics":[{"labels":{"instance":"i","job":"j"},"value":"NaN"}],"time_stamp":'"$(json_eval "$API" "json.dumps($G['c']['time_stamp'])")"',"type":"COUNTER"}' "counter, help omitted"
assert_json "$API" "$G[\"u\"][\"type\"]" UNTYPED "untyped type"
assert_json "$API" "[m['value'] for m in $G['u']['metrics']]" '["+Inf","-Inf"]' "infinities as strings"
assert_json "$API" "$G[\"s\"][\"type\"]" SUMMARY "summary type"
assert_json "$API" "$G[\"s\"][\"metrics\"]" '[{"count":"5","labels":{"instance":"i","job":"j"},"quantiles":{"0.5":"1.5","0.9":"2"},"sum":"10"}]' "summary shape (count truncated, quantile keys formatted)"
assert_json "$API" "$G[\"s0\"][\"metrics\"]" '[{"count":"0","labels":{"instance":"i","job":"j"},"quantiles":{},"sum":"1"}]' "summary without quantiles"
assert_json "$API" "$G[\"h\"][\"type\"]" HISTOGRAM "histogram type"
assert_json "$API" "$G[\"h\"][\"metrics\"]" '[{"buckets":{"0.1":"1","1":"2"},"count":"3","labels":{"instance":"i","job":"j"},"sum":"3.5"}]' "histogram shape, no synthetic +Inf"
assert_json "$API" "$G[\"hi\"][\"metrics\"][0][\"buckets\"]" '{"+Inf":"4"}' "stored +Inf bucket shown"
assert_json "$API" "$G[\"push_time_seconds\"][\"help\"]" "$PT_HELP" "push_time help"
assert_json "$API" "$G[\"push_failure_time_seconds\"][\"help\"]" "$PF_HELP" "push_failure help"
assert_json "$API" "$G[\"push_failure_time_seconds\"][\"metrics\"]" '[{"labels":{"instance":"i","job":"j"},"value":"0"}]' "push_failure value"
assert_json "$API" "all(isinstance(m['value'], str) for f in ('g','c','u','push_time_seconds') for m in $G[f]['metrics'])" true "all values are strings"
# time stamps: one per request, RFC 3339, consistent with push_time_seconds
TS=$(json_eval "$API" "$G['g']['time_stamp']")
assert_match "$TS" "$TS_RE" "time_stamp format"
assert_json "$API" "len(set($G[f]['time_stamp'] for f in ('c','g','h','hi','s','s0','u','push_time_seconds','push_failure_time_seconds')))" 1 "one time_stamp for the whole push"
assert_json "$API" "abs(float($G['push_time_seconds']['metrics'][0]['value']) - __import__('datetime').datetime.strptime(__import__('re').sub(r'(\.\d{6})\d*', r'\1', $G['g']['time_stamp']).replace('Z', '+00:00'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()) < 0.001" true "time_stamp equals push_time_seconds"
# raw key order: group keys sorted; family objects time_stamp,type,help,metrics
RAWORDER=$("$PY" - "$API" <<'EOF'
import json, sys
raw = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
top = [k for k, _ in raw]
data = dict(raw)["data"]
g = data[0]
gk = [k for k, _ in g]
fam = [k for k, _ in dict(g)["g"]]
fam_c = [k for k, _ in dict(g)["c"]]
summ = [k for k, _ in dict(dict(g)["s"])["metrics"][0]]
hist = [k for k, _ in dict(dict(g)["h"])["metrics"][0]]
print(",".join(top), "|", ",".join(gk), "|", ",".join(fam), "|", ",".join(fam_c), "|", ",".join(summ), "|", ",".join(hist))
EOF
)
assert_eq "$RAWORDER" 'status,data | c,g,h,hi,labels,last_push_successful,push_failure_time_seconds,push_time_seconds,s,s0,u | time_stamp,type,help,metrics | time_stamp,type,metrics | count,labels,quantiles,sum | buckets,count,labels,sum' "raw JSON key order"
assert_eq "$(tail -c 1 "$API")" "}" "no trailing newline"

# last_push_successful after a failure and after a success
push PUT /metrics/job/j/instance/i 'g 1 1
'
assert_status 400 "failed push"
api_metrics
assert_json "$API" "$G[\"last_push_successful\"]" false "last_push_successful false after failure"
assert_json "$API" "$G['push_failure_time_seconds']['time_stamp'] > $G['push_time_seconds']['time_stamp']" true "failure family time_stamp updated"
assert_json "$API" "$G['g']['time_stamp'] == $G['push_time_seconds']['time_stamp']" true "other families keep their time_stamp"
push_ok POST /metrics/job/j/instance/i ''
api_metrics
assert_json "$API" "$G[\"last_push_successful\"]" true "last_push_successful true after success"
# failed push into a new key: group without families
push PUT /metrics/job/nf 'x 1 1
'
api_metrics
assert_json "$API" 'group({"job":"nf"})["last_push_successful"]' false "new failed group"
assert_json "$API" 'group({"job":"nf"})["push_time_seconds"]["metrics"][0]["value"]' 0 "new failed group push_time 0"
assert_json "$API" 'group({"job":"nf"})["push_time_seconds"]["metrics"][0]["labels"]' '{"instance":"","job":"nf"}' "timestamp labels get instance=\"\""
assert_json "$API" 'group({"job":"nf"})["labels"]' '{"job":"nf"}' "group labels do not get instance"
http DELETE /metrics/job/nf
http DELETE /metrics/job/j/instance/i

# ------------------------------------------------- escaping and quirks
printf 'labels 1\nlast_push_successful 2\nx{v="<a&b> \342\200\250 \303\274 \\"q\\" \\\\"} -0\n' >"$T_TMP/q.txt"
http PUT /metrics/job/q --data-binary "@$T_TMP/q.txt"
expect 200 "" "quirk push"
api_metrics
assert_contains "$HTTP_BODY" '"v":"\u003ca\u0026b\u003e \u2028 ü \"q\" \\"' "Go JSON escaping (<>& and U+2028 escaped, UTF-8 raw)"
assert_json "$API" 'd["data"][0]["labels"]["type"]' UNTYPED "a family named labels replaces the labels key"
assert_json "$API" 'd["data"][0]["last_push_successful"]["metrics"][0]["value"]' 2 "a family named last_push_successful replaces that key"
http DELETE /metrics/job/q

# protobuf: empty help omitted, empty family listed, gauge histogram as a gauge
pb_push PUT /metrics/job/p "[{'name':'eh','help':'','type':1,'metrics':[{'gauge':1}]},{'name':'em','type':0}]"
expect 200 "" "protobuf push"
api_metrics
assert_json "$API" '"help" in group({"job":"p"})["eh"]' false "empty protobuf help omitted"
assert_json "$API" 'group({"job":"p"})["em"]["metrics"]' '[]' "empty family listed"
assert_json "$API" 'group({"job":"p"})["em"]["type"]' COUNTER "empty family type"
http DELETE /metrics/job/p

# ----------------------------------------------------------- group order (D3)
for j in c a b; do push_ok PUT /metrics/job/$j "m 1
"; done
push_ok PUT /metrics/job/a/x/1 "m2 1
"
api_metrics
if is_ours; then
	assert_json "$API" '[g["labels"] for g in d["data"]]' '[{"job":"a"},{"job":"a","x":"1"},{"job":"b"},{"job":"c"}]' "D3: groups sorted by grouping key"
else
	assert_json "$API" 'sorted(json.dumps(g["labels"], sort_keys=True) for g in d["data"])' '["{\"job\": \"a\", \"x\": \"1\"}","{\"job\": \"a\"}","{\"job\": \"b\"}","{\"job\": \"c\"}"]' "all groups listed"
	skip_assert "D3: upstream group order is random"
fi
# HELP disagreement between groups: exposition takes the first group's HELP (D3)
push_ok PUT /metrics/job/b '# HELP hh from b
hh 1
'
push_ok PUT /metrics/job/c '# HELP hh from c
hh 2
'
if is_ours; then
	assert_store_has '# HELP hh from b' "D3: HELP of the first group in grouping-key order"
else
	skip_assert "D3: upstream picks a random group's HELP"
fi
api_metrics
assert_json "$API" 'group({"job":"b"})["hh"]["help"]' "from b" "API keeps each group's HELP (b)"
assert_json "$API" 'group({"job":"c"})["hh"]["help"]' "from c" "API keeps each group's HELP (c)"
pgw_stop

# ------------------------------------------------------------ local time zone
if [ -f /usr/share/zoneinfo/Asia/Kolkata ]; then
	TZ=Asia/Kolkata
	export TZ
	pgw_start
	push_ok PUT /metrics/job/tz 'm 1
'
	api_metrics
	assert_match "$(json_eval "$API" 'd["data"][0]["m"]["time_stamp"]')" '^[0-9-]{10}T[0-9:]{8}(\.[0-9]*[1-9])?\+05:30$' "time_stamp in the local zone (+05:30)"
	http GET /api/v1/status
	assert_match "$(json_eval "$HTTP_BODY_FILE" 'd["data"]["start_time"]')" '\+05:30$' "start_time in the local zone"
	pgw_stop
	TZ=UTC
	pgw_start
	push_ok PUT /metrics/job/tz 'm 1
'
	api_metrics
	assert_match "$(json_eval "$API" 'd["data"][0]["m"]["time_stamp"]')" '^[0-9-]{10}T[0-9:]{8}(\.[0-9]*[1-9])?Z$' "zero offset written Z"
	pgw_stop
	unset TZ
else
	skip_assert "no tzdata for Asia/Kolkata"
fi

# gauge histogram: rendered like a gauge with value "0" (last: it breaks 1.5.1 scrapes)
pgw_start
pb_push PUT /metrics/job/gh "[{'name':'gh','type':5,'metrics':[{'histogram':{'count':3,'sum':2,'buckets':[(1,1)]}}]}]"
expect 200 "" "gauge histogram push"
api_metrics
assert_json "$API" 'group({"job":"gh"})["gh"]["type"]' GAUGE_HISTOGRAM "gauge histogram type"
assert_json "$API" 'group({"job":"gh"})["gh"]["metrics"]' '[{"labels":{"instance":"","job":"gh"},"value":"0"}]' "gauge histogram quirk: value 0"
pgw_stop

t_finish
