#!/bin/sh
# t_consistency.sh - the push-time consistency check (§6.4): type conflicts
# within and across groups and with the gateway's own families, duplicate
# series (within one push and across groups), reserved / invalid label names,
# timestamps, suffix collisions, error joining; after every rejection the store
# is unchanged except for push_failure_time_seconds of the target group.
. "$(dirname "$0")/lib.sh"

pgw_start

# reject URL BODY PHRASE MESSAGE [pb]: push (PUT) into an EXISTING group,
# expect 400 with the prefix and PHRASE, then check nothing else changed and
# the failure time of that group moved forward.
reject() {
	_series=$5
	snap rj
	_before=$(series_value "$_series")
	if [ "${6:-}" = pb ]; then
		pb_push PUT "$1" "$2"
	else
		push PUT "$1" "$2"
	fi
	assert_status 400 "$4"
	assert_header Content-Type "text/plain; charset=utf-8" "$4"
	assert_prefix "$HTTP_BODY" "$ERR_PREFIX" "$4"
	assert_contains "$HTTP_BODY" "$3" "$4"
	assert_eq "$(printf '%s' "$HTTP_BODY" | tail -c 1 | od -An -c | tr -d ' ')" '\n' "$4: body ends with a newline"
	assert_unchanged_but_failure rj "$4"
	_after=$(series_value "$_series")
	assert_true "$4: failure time moved ($_before -> $_after)" num_gt "$_after" "$_before"
	_rb=$HTTP_BODY
	api_metrics
	HTTP_BODY=$_rb
}

FA='push_failure_time_seconds{instance="",job="a"}'
FB='push_failure_time_seconds{instance="",job="b"}'

# ------------------------------------------------ type conflicts across groups
push_ok PUT /metrics/job/a '# TYPE tc gauge
tc 1
'
push_ok PUT /metrics/job/b 'other 1
'
reject /metrics/job/b '# TYPE tc counter
tc 2
' 'is not a' "counter vs gauge in another group" "$FB"
assert_contains "$HTTP_BODY" 'collected metric "tc"' "type conflict names the metric"
assert_json "$API" 'group({"job":"b"})["last_push_successful"]' false "type conflict marks the push failed"
reject /metrics/job/b 'tc 2
' 'is not a' "untyped vs gauge in another group" "$FB"
reject /metrics/job/b '# TYPE tc summary
tc_sum 1
tc_count 1
' 'is not a' "summary vs gauge in another group" "$FB"
# same type is fine, and each group keeps its series
push_ok POST /metrics/job/b '# TYPE tc gauge
tc 2
'
store_user
assert_eq "$(printf '%s\n' "$USER_STORE" | grep '^tc')" 'tc{instance="",job="a"} 1
tc{instance="",job="b"} 2' "same type in two groups"
# PUT into the group that owns the only other series of the family
# replaces it; the type can change once no other group has the family
http DELETE /metrics/job/b
push_ok PUT /metrics/job/a '# TYPE tc counter
tc 3
'
assert_store_has '# TYPE tc counter' "type changes when no other group disagrees"
push_ok PUT /metrics/job/b 'other 1
'

# ------------------------------------------ duplicate series (spec example)
push_ok PUT /metrics/job/job1 'mf1{instance="instance2"} 1
'
push PUT /metrics/job/job1/instance/instance2 'mf1 2
'
assert_status 400 "duplicate across groups (new key)"
assert_prefix "$HTTP_BODY" "$ERR_PREFIX" "duplicate across groups"
assert_contains "$HTTP_BODY" 'collected metric "mf1"' "duplicate across groups names mf1"
assert_contains "$HTTP_BODY" 'was collected before with the same name and label values' "duplicate across groups phrase"
store
assert_has_line "$STORE" 'mf1{instance="instance2",job="job1"} 1' "original series kept"
assert_has_line "$STORE" 'push_time_seconds{instance="instance2",job="job1"} 0' "failed push created the group (push_time 0)"
assert_has_line "$STORE" 'push_failure_time_seconds{instance="instance2",job="job1"} T' "failed push created the group (failure set)"
assert_eq "$(printf '%s\n' "$STORE" | grep -c '^mf1')" 1 "only one mf1 series"
# and into the now existing group: unchanged except failure time
reject /metrics/job/job1/instance/instance2 'mf1 3
' 'was collected before with the same name and label values' "duplicate across groups (existing key)" 'push_failure_time_seconds{instance="instance2",job="job1"}'
# a different label value is no duplicate
push_ok PUT /metrics/job/job1/instance/instance2 'mf1{x="1"} 3
'
http DELETE /metrics/job/job1
http DELETE /metrics/job/job1/instance/instance2

# duplicates within one push
reject /metrics/job/a 'dup 1
dup 2
' 'was collected before with the same name and label values' "duplicate within one push" "$FA"
assert_contains "$HTTP_BODY" 'collected metric "dup"' "duplicate within one push names dup"
reject /metrics/job/a 'dup{x="1",y="2"} 1
dup{y="2",x="1"} 2
' 'was collected before with the same name and label values' "duplicate with reordered labels" "$FA"
# the body's job / instance are overwritten, which can create duplicates
push PUT /metrics/job/a/instance/i 'dup{job="x"} 1
dup{job="y"} 2
'
assert_status 400 "duplicate after sanitising job (new key)"
assert_contains "$HTTP_BODY" 'was collected before with the same name and label values' "duplicate after sanitising job (new key)"
reject /metrics/job/a/instance/i 'dup{instance="x"} 1
dup{instance="y"} 2
' 'was collected before with the same name and label values' "duplicate after sanitising" 'push_failure_time_seconds{instance="i",job="a"}'
http DELETE /metrics/job/a/instance/i

# several errors are joined
reject /metrics/job/a 'e1 1
e1 2
e2 1
e2 2
' '2 error(s) occurred:' "two errors" "$FA"
assert_prefix "$HTTP_BODY" "${ERR_PREFIX}2 error(s) occurred:$NL* collected metric \"e" "two errors: format"
assert_eq "$(printf '%s' "$HTTP_BODY" | grep -c '^\* collected metric "e[12]" .*was collected before with the same name and label values$')" 2 "two errors: one line each"

# ------------------------------------------------------- label names
reject /metrics/job/a 'rl{__foo="x"} 1
' 'has a label with an invalid name: __foo' "reserved label name from the body" "$FA"
assert_contains "$HTTP_BODY" 'collected metric "rl"' "reserved label names the metric"

# ---------------------------------------------------------- timestamps
reject /metrics/job/a 'ts 1 1700000000000
' 'pushed metrics must not have timestamps' "timestamp" "$FA"
assert_body "${ERR_PREFIX}pushed metrics must not have timestamps$NL" "timestamp exact body"
reject /metrics/job/a 'ts 1 -1
' 'pushed metrics must not have timestamps' "negative timestamp" "$FA"
reject /metrics/job/a 'ts 1 0
' 'pushed metrics must not have timestamps' "zero timestamp" "$FA"

# ------------------------------------------------------ suffix collisions
push_ok PUT /metrics/job/a '# TYPE foo histogram
foo_bucket{le="1"} 1
foo_sum 1
foo_count 1
# TYPE bar summary
bar_sum 1
bar_count 1
'
for fam in foo_sum foo_count foo_bucket; do
	reject /metrics/job/b "$fam 1
" 'collides with previously collected' "histogram foo vs $fam" "$FB"
	assert_match "$HTTP_BODY" "\"$fam\"" "collision message names $fam"
	assert_match "$HTTP_BODY" 'histogram.* named "foo"' "collision message names histogram foo"
done
for fam in bar_sum bar_count; do
	reject /metrics/job/b "$fam 1
" 'collides with previously collected' "summary bar vs $fam" "$FB"
	assert_match "$HTTP_BODY" 'summary.* named "bar"' "collision message names summary bar"
done
# a summary together with a separate _bucket family is allowed
push_ok POST /metrics/job/b 'bar_bucket 1
'
assert_store_has 'bar_bucket{instance="",job="b"} 1' "summary bar + bar_bucket allowed"
# the other direction: plain baz_count first, then a summary baz
push_ok POST /metrics/job/b 'baz_count 1
'
reject /metrics/job/a '# TYPE baz summary
baz_sum 1
baz_count 2
' 'collides with previously collected' "summary baz vs existing baz_count" "$FA"
# collision within one push: in text the parser would merge qq_sum into the
# histogram qq (a TYPE line for qq_sum is "second TYPE line for metric name
# qq"), so use protobuf.
reject /metrics/job/a "[{'name':'qq','type':4,'metrics':[{'histogram':{'count':1,'sum':1,'buckets':[(1,1)]}}]},{'name':'qq_sum','type':1,'metrics':[{'gauge':1}]}]" \
	'collides with previously collected' "collision within one push" "$FA" pb

# ------------------------------------------ the gateway's own families (§6.4)
reject /metrics/job/a 'pushgateway_build_info 1
' 'gathered metric family pushgateway_build_info has type UNTYPED but should have GAUGE' "own family, wrong type" "$FA"
assert_body "${ERR_PREFIX}gathered metric family pushgateway_build_info has type UNTYPED but should have GAUGE$NL" "own family, exact body"
reject /metrics/job/a '# TYPE pushgateway_build_info counter
pushgateway_build_info 1
' 'gathered metric family pushgateway_build_info has type COUNTER but should have GAUGE' "own family, counter" "$FA"
# the correct type is accepted; HELP replaced by the gateway's; own series stay
push_ok POST /metrics/job/a '# TYPE pushgateway_build_info gauge
# HELP pushgateway_build_info my own help
pushgateway_build_info{x="1"} 1
'
metrics_raw
assert_has_line "$(cat "$T_TMP/scrape")" 'pushgateway_build_info{instance="",job="a",x="1"} 1' "pushed build_info exposed"
assert_eq "$(grep -c '^pushgateway_build_info{' "$T_TMP/scrape")" 2 "own and pushed build_info series"
assert_eq "$(grep -c '^# HELP pushgateway_build_info ' "$T_TMP/scrape")" 1 "one HELP line"
assert_has_line "$(cat "$T_TMP/scrape")" "# HELP pushgateway_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which pushgateway was built, and the goos and goarch for the build." "own HELP wins"
assert_not_contains "$(cat "$T_TMP/scrape")" "my own help" "pushed HELP replaced"
if is_upstream; then
	# observed on 1.5.1 (the spec is silent): the API keeps the pushed HELP;
	# only the gather (check and exposition) uses the gateway's HELP
	api_metrics
	assert_json "$API" 'group({"job":"a"})["pushgateway_build_info"]["help"]' "my own help" "API keeps the pushed HELP"
fi
# pushgateway_http_requests_total has no series at start-up: its HELP is
# checked (the readiness polls gave it series)
if is_upstream; then
	reject /metrics/job/a '# TYPE pushgateway_http_requests_total counter
# HELP pushgateway_http_requests_total mine
pushgateway_http_requests_total{x="1"} 1
' 'gathered metric family pushgateway_http_requests_total has help "mine" but should have "Total HTTP requests processed by the Pushgateway, excluding scrapes."' "own family without start-up series: help conflict" "$FA"
else
	# D8: the gateway's HELP always wins, so the push is accepted
	push_ok PUT /metrics/job/a '# TYPE pushgateway_http_requests_total counter
# HELP pushgateway_http_requests_total mine
pushgateway_http_requests_total{x="1"} 1
' "own family pushed with another HELP (D8)"
	metrics_raw
	assert_has_line "$(cat "$T_TMP/scrape")" '# HELP pushgateway_http_requests_total Total HTTP requests processed by the Pushgateway, excluding scrapes.' "D8: own HELP shown"
	assert_not_contains "$(cat "$T_TMP/scrape")" "HELP pushgateway_http_requests_total mine" "D8: pushed HELP not shown"
	assert_has_line "$(cat "$T_TMP/scrape")" 'pushgateway_http_requests_total{instance="",job="a",x="1"} 1' "D8: pushed series exposed"
	http DELETE /metrics/job/a
fi
if is_upstream; then
	reject /metrics/job/a 'go_goroutines 1
' 'gathered metric family go_goroutines has type UNTYPED but should have GAUGE' "go_goroutines untyped" "$FA"
	skip_assert "D4: ours has no go_* families, so go_goroutines does not conflict"
else
	# D4: no go_* metrics of our own, so nothing to conflict with
	push_ok POST /metrics/job/a 'go_goroutines 7
'
	metrics_raw
	assert_has_line "$(cat "$T_TMP/scrape")" 'go_goroutines{instance="",job="a"} 7' "D4: pushed go_goroutines exposed"
	assert_eq "$(grep -c '^go_' "$T_TMP/scrape")" 1 "D4: the only go_ series is the pushed one"
fi

# ------------------------------------------------------ protobuf-only checks
reject /metrics/job/a "[{'name':'pu','type':1,'metrics':[{'labels':[('x','1'),('x','2')],'gauge':1}]}]" \
	'has two or more labels with the same name: x' "protobuf duplicate label name" "$FA" pb
reject /metrics/job/a "[{'name':'pq','type':2,'metrics':[{'labels':[('quantile','1')],'summary':{'count':1,'sum':1}}]}]" \
	'must not have an explicit "quantile" label' "protobuf explicit quantile label" "$FA" pb
reject /metrics/job/a "[{'name':'pv','type':1,'metrics':[{'labels':[('a',b'\\xff')],'gauge':1}]}]" \
	'has a label named "a" whose value is not utf8' "protobuf non-UTF-8 label value" "$FA" pb
reject /metrics/job/a "[{'name':'pr','type':1,'metrics':[{'labels':[('__x','1')],'gauge':1}]}]" \
	'has a label with an invalid name: __x' "protobuf reserved label name" "$FA" pb
reject /metrics/job/a "[{'name':'pc','type':0,'metrics':[{'gauge':1}]}]" \
	'is not a COUNTER' "protobuf counter family with gauge value" "$FA" pb
if is_upstream; then
	# ≤ 1.11.1 rejects legacy-invalid label names from protobuf; 1.11.2+ accepts
	# them (§5.1) and the C choice is open (§15): upstream only.
	reject /metrics/job/a "[{'name':'pl','type':1,'metrics':[{'labels':[('bad-label','1')],'gauge':1}]}]" \
		'has a label with an invalid name: bad-label' "protobuf invalid label name" "$FA" pb
else
	skip_assert "protobuf legacy-invalid label names: behaviour chosen by the C port (§15)"
fi

# ------------------------------------------------- HELP conflicts never fail
push_ok PUT /metrics/job/h1 '# HELP hh one
hh 1
'
push_ok PUT /metrics/job/h2 '# HELP hh two
hh 2
'
push_ok PUT /metrics/job/h3 'hh 3
'
metrics_raw
if is_ours; then
	# D3: HELP from the first group in grouping-key order ({job=h1})
	assert_has_line "$(cat "$T_TMP/scrape")" '# HELP hh one' "D3: HELP from the first group"
else
	ok
	case "$(grep '^# HELP hh ' "$T_TMP/scrape")" in
	'# HELP hh one' | '# HELP hh two' | '') ;;
	*) fail "upstream: HELP of hh is one of the pushed ones" ;;
	esac
fi
assert_eq "$(grep -c '^hh{' "$T_TMP/scrape")" 3 "all three hh series exposed"
assert_eq "$(grep -c '^# TYPE hh untyped' "$T_TMP/scrape")" 1 "one TYPE line"

# final: every rejection above left the store consistent
http GET /metrics
assert_status 200 "store still consistent"
api_metrics
assert_json "$API" 'group({"job":"a"})["last_push_successful"]' 'false' "last push of a failed"
push_ok POST /metrics/job/a 'fin 1
'
api_metrics
assert_json "$API" 'group({"job":"a"})["last_push_successful"]' 'true' "a successful push after the failures"

t_finish
