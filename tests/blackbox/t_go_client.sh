#!/bin/sh
# t_go_client.sh - pushes from the real Go client library (client_golang's push package,
# protobuf bodies): Push (PUT), Add (POST) and Delete with a grouping label holding '/',
# a counter, a gauge vector, a classic histogram, a summary and a native histogram; checked
# through /metrics, /api/v1/metrics and a protobuf scrape decoded by client_golang's expfmt.
# The client is built offline in GOPATH mode against Debian's
# golang-github-prometheus-client-golang-dev; without Go or those sources the script skips.
. "$(dirname "$0")/lib.sh"

GOSRC=/usr/share/gocode
command -v go >/dev/null 2>&1 || skip_all "no go toolchain (Debian: golang-go)"
[ -f "$GOSRC/src/github.com/prometheus/client_golang/prometheus/push/push.go" ] ||
	skip_all "no client_golang sources (Debian: golang-github-prometheus-client-golang-dev)"

PUSHER="$T_TMP/go_pusher"
if ! env GO111MODULE=off GOPATH="$GOSRC" GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
	GOCACHE="$T_TMP/gocache" go build -o "$PUSHER" "$T_DIR/go_pusher.go" \
	>"$T_TMP/gobuild.log" 2>&1; then
	cat "$T_TMP/gobuild.log" >&2
	die "building go_pusher.go failed"
fi

pgw_start

# ------------------------------------------------------------------ Push (PUT)
"$PUSHER" "$PGW_URL" push 2>"$T_TMP/pusher.err"
assert_eq "$?" 0 "Push() succeeds ($(cat "$T_TMP/pusher.err"))"
store_user
assert_eq "$USER_STORE" '# HELP gc_counter_total A counter.
# TYPE gc_counter_total counter
gc_counter_total{instance="a/b",job="gojob"} 3
# HELP gc_gauge A gauge.
# TYPE gc_gauge gauge
gc_gauge{color="blue",instance="a/b",job="gojob"} -2
gc_gauge{color="red",instance="a/b",job="gojob"} 1.5
# HELP gc_histogram A histogram.
# TYPE gc_histogram histogram
gc_histogram_bucket{instance="a/b",job="gojob",le="0.5"} 1
gc_histogram_bucket{instance="a/b",job="gojob",le="1"} 2
gc_histogram_bucket{instance="a/b",job="gojob",le="5"} 3
gc_histogram_bucket{instance="a/b",job="gojob",le="+Inf"} 4
gc_histogram_sum{instance="a/b",job="gojob"} 13.8
gc_histogram_count{instance="a/b",job="gojob"} 4
# HELP gc_native A native histogram.
# TYPE gc_native histogram
gc_native_bucket{instance="a/b",job="gojob",le="+Inf"} 6
gc_native_sum{instance="a/b",job="gojob"} 6.0001
gc_native_count{instance="a/b",job="gojob"} 6
# HELP gc_summary A summary.
# TYPE gc_summary summary
gc_summary{instance="a/b",job="gojob",quantile="0.5"} 2
gc_summary{instance="a/b",job="gojob",quantile="0.9"} 4
gc_summary_sum{instance="a/b",job="gojob"} 10
gc_summary_count{instance="a/b",job="gojob"} 4' "pushed families in /metrics"
assert_has_line "$STORE" 'push_time_seconds{instance="a/b",job="gojob"} T' "push time set"
assert_has_line "$STORE" 'push_failure_time_seconds{instance="a/b",job="gojob"} 0' "no failure"

api_metrics
G='group({"instance":"a/b","job":"gojob"})'
assert_json "$API" "$G[\"labels\"]" '{"instance":"a/b","job":"gojob"}' "grouping key with '/'"
assert_json "$API" "$G[\"last_push_successful\"]" 'true' "last push successful"
assert_json "$API" "$G[\"gc_counter_total\"][\"type\"]" 'COUNTER' "counter type"
assert_json "$API" "$G[\"gc_counter_total\"][\"metrics\"]" \
	'[{"labels":{"instance":"a/b","job":"gojob"},"value":"3"}]' "counter in the API"
assert_json "$API" "$G[\"gc_gauge\"][\"help\"]" 'A gauge.' "gauge help"
assert_json "$API" "$G[\"gc_histogram\"][\"metrics\"]" \
	'[{"buckets":{"0.5":"1","1":"2","5":"3"},"count":"4","labels":{"instance":"a/b","job":"gojob"},"sum":"13.8"}]' \
	"classic histogram in the API"
assert_json "$API" "$G[\"gc_summary\"][\"metrics\"]" \
	'[{"count":"4","labels":{"instance":"a/b","job":"gojob"},"quantiles":{"0.5":"2","0.9":"4"},"sum":"10"}]' \
	"summary in the API"
if is_ours; then
	# Native histograms in the API: since 1.8 (1.5.1 shows an empty bucket map).
	assert_json "$API" "$G[\"gc_native\"][\"metrics\"]" \
		'[{"buckets":[[1,"-4","-2","1"],[3,"-0.001","0.001","2"],[0,"1","2","2"],[0,"4","8","1"]],"count":"6","labels":{"instance":"a/b","job":"gojob"},"sum":"6.0001"}]' \
		"native histogram buckets in the API"
else
	skip_assert "native histogram buckets in the API (1.8+)"
fi

# The same store scraped as delimited protobuf, decoded and re-rendered by client_golang.
"$PUSHER" "$PGW_URL" scrape >"$T_TMP/go_scrape" 2>"$T_TMP/scrape.err"
assert_eq "$?" 0 "protobuf scrape decodes ($(cat "$T_TMP/scrape.err"))"
t_filter_own <"$T_TMP/go_scrape" | t_mask_times >"$T_TMP/go_store"
store
assert_eq "$(cat "$T_TMP/go_store")" "$STORE" "protobuf scrape equals the text scrape"
if is_ours; then
	assert_contains "$(cat "$T_TMP/scrape.err")" \
		"Content-Type: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores" \
		"protobuf scrape Content-Type"
else
	skip_assert "U1: 1.5.1 has no escaping parameter"
fi

# ------------------------------------------------------------------ Add (POST)
"$PUSHER" "$PGW_URL" add 2>"$T_TMP/pusher.err"
assert_eq "$?" 0 "Add() succeeds ($(cat "$T_TMP/pusher.err"))"
store
assert_has_line "$STORE" 'gc_added{instance="a/b",job="gojob"} 42' "added gauge"
assert_has_line "$STORE" 'gc_counter_total{instance="a/b",job="gojob"} 3' "POST keeps the others"
assert_has_line "$STORE" 'gc_native_count{instance="a/b",job="gojob"} 6' "POST keeps the native histogram"

# ------------------------------------------------------------ Push again (PUT)
"$PUSHER" "$PGW_URL" push 2>"$T_TMP/pusher.err"
assert_eq "$?" 0 "second Push() succeeds ($(cat "$T_TMP/pusher.err"))"
store
assert_no_line "$STORE" 'gc_added{instance="a/b",job="gojob"} 42' "PUT drops the added gauge"
assert_has_line "$STORE" 'gc_summary_count{instance="a/b",job="gojob"} 4' "PUT stores the set again"

# ------------------------------------------------------------------- Delete
"$PUSHER" "$PGW_URL" delete 2>"$T_TMP/pusher.err"
assert_eq "$?" 0 "Delete() succeeds ($(cat "$T_TMP/pusher.err"))"
wait_until 50 sh -c "! curl -s --max-time 5 '$PGW_URL/metrics' | grep -q '^gc_'"
assert_store_empty "group deleted"

pgw_stop
t_finish
