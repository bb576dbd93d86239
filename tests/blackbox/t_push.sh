#!/bin/sh
# t_push.sh - PUT vs POST (§5.4), responses (§5.5), push_time / push_failure
# bookkeeping incl. failed pushes and the push_failure_time_seconds quirk
# (§6.2, §6.3), label sanitising (§5.3), empty bodies, Content-Type selection
# and protobuf pushes (§5.1), gzip request bodies (§2), unchecked pushes (202).
. "$(dirname "$0")/lib.sh"

pgw_start

# ---------------------------------------------------------------- responses
push PUT /metrics/job/j1/instance/i1 'another_metric{job="other",instance="other2",x="y"} 1
'
expect 200 "" "PUT success"
assert_header Content-Length 0 "PUT success"
assert_no_header Content-Type "PUT success"
assert_date "PUT success"
# §5.3 example: grouping labels overwrite body labels, labels sorted.
assert_store "# TYPE another_metric untyped
another_metric{instance=\"i1\",job=\"j1\",x=\"y\"} 1
$PF_HDR
push_failure_time_seconds{instance=\"i1\",job=\"j1\"} 0
$PT_HDR
push_time_seconds{instance=\"i1\",job=\"j1\"} T" "sanitising example"
api_metrics
assert_json "$API" 'd["data"][0]["another_metric"]["metrics"][0]["labels"]' '{"instance":"i1","job":"j1","x":"y"}' "sanitised labels in API"
assert_json "$API" 'd["data"][0]["labels"]' '{"instance":"i1","job":"j1"}' "group labels are the grouping key"

push POST /metrics/job/j1/instance/i1 'm2 1
'
expect 200 "" "POST success"
assert_header Content-Length 0 "POST success"
assert_no_header Content-Type "POST success"

# An instance label from the body survives when the key has no instance; a body
# job label is replaced; a body label equal to a grouping label name is replaced.
push_ok POST /metrics/job/j2/zone/url 'm{instance="fromBody",job="nope",zone="body",z="1"} 1
m{instance="other",z="2"} 2
m 3
'
store
assert_eq "$(printf '%s\n' "$STORE" | grep '^m{')" 'm{instance="",job="j2",zone="url"} 3
m{instance="fromBody",job="j2",z="1",zone="url"} 1
m{instance="other",job="j2",z="2",zone="url"} 2' "sanitising: instance from body, job/zone from URL, instance=\"\" added"
api_metrics
assert_json "$API" 'group({"job":"j2","zone":"url"})["m"]["metrics"]' \
	'[{"labels":{"instance":"fromBody","job":"j2","z":"1","zone":"url"},"value":"1"},{"labels":{"instance":"other","job":"j2","z":"2","zone":"url"},"value":"2"},{"labels":{"instance":"","job":"j2","zone":"url"},"value":"3"}]' \
	"API keeps pushed order, labels sanitised"
assert_json "$API" 'group({"job":"j2","zone":"url"})["push_time_seconds"]["metrics"][0]["labels"]' '{"instance":"","job":"j2","zone":"url"}' "timestamp series carry instance=\"\""
http DELETE /metrics/job/j2/zone/url
assert_status 202 "cleanup j2"
http DELETE /metrics/job/j1/instance/i1
assert_status 202 "cleanup j1"

# ---------------------------------------------------------------- PUT vs POST
push_ok PUT /metrics/job/pp '# TYPE a counter
a 1
# TYPE b gauge
# HELP b b help
b 2
'
api_metrics
TS_A1=$(json_eval "$API" 'group({"job":"pp"})["a"]["time_stamp"]')
TS_PT1=$(json_eval "$API" 'group({"job":"pp"})["push_time_seconds"]["time_stamp"]')
TS_PF1=$(json_eval "$API" 'group({"job":"pp"})["push_failure_time_seconds"]["time_stamp"]')
PT1=$(series_value 'push_time_seconds{instance="",job="pp"}')
assert_eq "$TS_A1" "$TS_PT1" "family time_stamp = request time"
assert_eq "$TS_PF1" "$TS_PT1" "new group: failure family created at the same time"
assert_match "$TS_A1" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]*[1-9])?(Z|[+-][0-9]{2}:[0-9]{2})$' "time_stamp RFC 3339"
sleep 0.05
# POST replaces only family b; a keeps its old time stamp.
push_ok POST /metrics/job/pp '# TYPE b gauge
b 3
# TYPE c untyped
c 4
'
assert_store "# TYPE a counter
a{instance=\"\",job=\"pp\"} 1
# TYPE b gauge
b{instance=\"\",job=\"pp\"} 3
# TYPE c untyped
c{instance=\"\",job=\"pp\"} 4
# HELP push_failure_time_seconds $PF_HELP
# TYPE push_failure_time_seconds gauge
push_failure_time_seconds{instance=\"\",job=\"pp\"} 0
# HELP push_time_seconds $PT_HELP
# TYPE push_time_seconds gauge
push_time_seconds{instance=\"\",job=\"pp\"} T" "POST replaces only pushed families (b lost its HELP)"
api_metrics
assert_json "$API" 'group({"job":"pp"})["a"]["time_stamp"]' "$TS_A1" "POST keeps time_stamp of untouched family"
assert_json "$API" 'group({"job":"pp"})["push_failure_time_seconds"]["time_stamp"]' "$TS_PF1" "POST keeps failure family time_stamp"
TS_B2=$(json_eval "$API" 'group({"job":"pp"})["b"]["time_stamp"]')
assert_ne "$TS_B2" "$TS_A1" "POSTed family has a new time_stamp"
assert_json "$API" 'group({"job":"pp"})["c"]["time_stamp"]' "$TS_B2" "families of one push share the time_stamp"
assert_json "$API" 'group({"job":"pp"})["push_time_seconds"]["time_stamp"]' "$TS_B2" "push_time family time_stamp updated"
assert_json "$API" '"help" in group({"job":"pp"})["b"]' 'false' "POST without HELP drops the HELP"
PT2=$(series_value 'push_time_seconds{instance="",job="pp"}')
assert_true "push_time increases ($PT1 -> $PT2)" num_gt "$PT2" "$PT1"

# HELP/TYPE-only families are dropped and do not replace anything on POST.
snap hp
push_ok POST /metrics/job/pp '# TYPE a counter
# HELP a only help
# TYPE zz gauge
'
store
assert_has_line "$STORE" 'a{instance="",job="pp"} 1' "TYPE-only family does not replace"
assert_not_contains "$STORE" "zz" "TYPE-only family not created"
assert_not_contains "$STORE" "only help" "HELP-only family not created"
api_metrics
assert_json "$API" 'sorted(group({"job":"pp"}).keys())' '["a","b","c","labels","last_push_successful","push_failure_time_seconds","push_time_seconds"]' "no empty families stored"
assert_json "$API" 'group({"job":"pp"})["a"]["time_stamp"]' "$TS_A1" "a untouched by TYPE-only POST"

# Empty POST only refreshes push_time.
PT3=$(series_value 'push_time_seconds{instance="",job="pp"}')
sleep 0.05
push_ok POST /metrics/job/pp ''
PT4=$(series_value 'push_time_seconds{instance="",job="pp"}')
assert_true "empty POST refreshes push_time ($PT3 -> $PT4)" num_gt "$PT4" "$PT3"
store
assert_has_line "$STORE" 'a{instance="",job="pp"} 1' "empty POST keeps a"
assert_has_line "$STORE" 'c{instance="",job="pp"} 4' "empty POST keeps c"
assert_has_line "$STORE" 'push_failure_time_seconds{instance="",job="pp"} 0' "empty POST keeps failure 0"

# PUT replaces the whole group.
push_ok PUT /metrics/job/pp '# HELP d new family
d 5
'
assert_store "# HELP d new family
# TYPE d untyped
d{instance=\"\",job=\"pp\"} 5
$PF_HDR
push_failure_time_seconds{instance=\"\",job=\"pp\"} 0
$PT_HDR
push_time_seconds{instance=\"\",job=\"pp\"} T" "PUT replaces all families"
api_metrics
assert_json "$API" 'group({"job":"pp"})["push_failure_time_seconds"]["time_stamp"]' "$TS_PF1" "PUT keeps the failure family"

# Empty PUT and comment-only PUT leave only the two timestamp families.
PT5=$(series_value 'push_time_seconds{instance="",job="pp"}')
sleep 0.05
push_ok PUT /metrics/job/pp ''
EMPTY_PP="$PF_HDR
push_failure_time_seconds{instance=\"\",job=\"pp\"} 0
$PT_HDR
push_time_seconds{instance=\"\",job=\"pp\"} T"
assert_store "$EMPTY_PP" "empty PUT"
PT6=$(series_value 'push_time_seconds{instance="",job="pp"}')
assert_true "empty PUT refreshes push_time" num_gt "$PT6" "$PT5"
api_metrics
assert_json "$API" 'sorted(group({"job":"pp"}).keys())' '["labels","last_push_successful","push_failure_time_seconds","push_time_seconds"]' "empty PUT: only timestamp families"
push_ok PUT /metrics/job/pp '# just a comment
# TYPE x gauge

'
assert_store "$EMPTY_PP" "comment-only PUT"

# Empty PUT into a new group creates it.
push_ok PUT /metrics/job/fresh/instance/f ''
store
assert_has_line "$STORE" 'push_time_seconds{instance="f",job="fresh"} T' "empty PUT creates group"
assert_has_line "$STORE" 'push_failure_time_seconds{instance="f",job="fresh"} 0' "empty PUT creates failure 0"
http DELETE /metrics/job/fresh/instance/f
http DELETE /metrics/job/pp
assert_store_empty "all deleted"

# ------------------------------------------------- failed pushes (§6.2, §6.3)
push_ok PUT /metrics/job/f '# TYPE keep gauge
keep 1
'
snap f0
PTF=$(series_value 'push_time_seconds{instance="",job="f"}')
push PUT /metrics/job/f 'keep 2 1234567
'
assert_plain_error 400 "${ERR_PREFIX}pushed metrics must not have timestamps$NL" "timestamp push into existing group"
assert_unchanged_but_failure f0 "timestamp push leaves families unchanged"
PFF=$(series_value 'push_failure_time_seconds{instance="",job="f"}')
assert_ne "$PFF" 0 "failure time set"
assert_true "failure time ($PFF) later than push time ($PTF)" num_gt "$PFF" "$PTF"
assert_eq "$(series_value 'push_time_seconds{instance="",job="f"}')" "$PTF" "push_time kept after failure"
api_metrics
assert_json "$API" 'group({"job":"f"})["last_push_successful"]' 'false' "last_push_successful false after failure"
TS_F_FAIL=$(json_eval "$API" 'group({"job":"f"})["push_failure_time_seconds"]["time_stamp"]')
TS_F_PT=$(json_eval "$API" 'group({"job":"f"})["push_time_seconds"]["time_stamp"]')
assert_ne "$TS_F_FAIL" "$TS_F_PT" "failure family time_stamp updated"
# A POST with timestamps fails the same way (whole push, even the valid series).
push POST /metrics/job/f 'other 1
keep 3 5
'
assert_plain_error 400 "${ERR_PREFIX}pushed metrics must not have timestamps$NL" "POST with one timestamped series"
assert_unchanged_but_failure f0 "partial timestamp push stores nothing"
PFF2=$(series_value 'push_failure_time_seconds{instance="",job="f"}')
assert_true "failure time moves on ($PFF -> $PFF2)" num_gt "$PFF2" "$PFF"
# A successful push afterwards: failure time stays, last_push_successful true.
push_ok POST /metrics/job/f 'keep 4
'
assert_eq "$(series_value 'push_failure_time_seconds{instance="",job="f"}')" "$PFF2" "success keeps failure time"
api_metrics
assert_json "$API" 'group({"job":"f"})["last_push_successful"]' 'true' "last_push_successful true after success"
http DELETE /metrics/job/f

# Failed push into a new key creates the group (D7 = upstream behaviour).
push PUT /metrics/job/newf/instance/x 'm 1 1000
'
assert_plain_error 400 "${ERR_PREFIX}pushed metrics must not have timestamps$NL" "timestamp push into new key"
assert_store "$PF_HDR
push_failure_time_seconds{instance=\"x\",job=\"newf\"} T
$PT_HDR
push_time_seconds{instance=\"x\",job=\"newf\"} 0" "failed push creates group with push_time 0"
api_metrics
assert_json "$API" 'd["data"][0]["labels"]' '{"instance":"x","job":"newf"}' "failed-push group labels"
assert_json "$API" 'd["data"][0]["last_push_successful"]' 'false' "failed-push group last_push_successful"
assert_json "$API" 'sorted(d["data"][0].keys())' '["labels","last_push_successful","push_failure_time_seconds","push_time_seconds"]' "failed-push group has only timestamp families"
assert_json "$API" 'd["data"][0]["push_time_seconds"]["metrics"][0]["value"]' '0' "API push_time 0"
# Consistency failure into a new key also creates the group.
push_ok PUT /metrics/job/typed '# TYPE tt gauge
tt 1
'
push PUT /metrics/job/newc 'tt 1
'
assert_status 400 "type conflict into a new key"
assert_prefix "$HTTP_BODY" "${ERR_PREFIX}collected metric " "type conflict body"
store
assert_has_line "$STORE" 'push_time_seconds{instance="",job="newc"} 0' "consistency failure creates group (push_time 0)"
assert_has_line "$STORE" 'push_failure_time_seconds{instance="",job="newc"} T' "consistency failure creates group (failure set)"
assert_no_line "$STORE" 'tt{instance="",job="newc"} 1' "rejected series not stored"
http DELETE /metrics/job/newc
http DELETE /metrics/job/typed
http DELETE /metrics/job/newf/instance/x

# Parse errors and URL errors do not touch the failure time (nor create groups).
push_ok PUT /metrics/job/p 'p 1
'
snap p0
push PUT /metrics/job/p 'p 1 2 3
'
assert_plain_error 400 "text format parsing error in line 1: spurious string after timestamp: \" 3\"$NL" "parse error"
assert_unchanged p0 "parse error changes nothing"
push PUT /metrics/job/newp 'bad line
'
assert_status 400 "parse error into new key"
assert_unchanged p0 "parse error into new key creates no group"
push PUT /metrics/job/p/odd 'p 1
'
assert_plain_error 400 "odd number of components in label string \"/odd\"$NL" "URL error"
assert_unchanged p0 "URL error changes nothing"
http DELETE /metrics/job/p

# ------------------------------------- push_time / push_failure quirks (§6.2)
# pushed push_time_seconds is always overridden
push_ok PUT /metrics/job/q1 '# TYPE push_time_seconds gauge
push_time_seconds 42
'
assert_store_has 'push_time_seconds{instance="",job="q1"} T' "pushed push_time_seconds overridden (new group)"
push_ok POST /metrics/job/q1 '# TYPE push_time_seconds gauge
push_time_seconds 43
'
assert_store_has 'push_time_seconds{instance="",job="q1"} T' "pushed push_time_seconds overridden (existing group)"
# pushed push_failure_time_seconds: new group -> 0 ...
push_ok POST /metrics/job/q2 '# TYPE push_failure_time_seconds gauge
push_failure_time_seconds 42
'
assert_store_has 'push_failure_time_seconds{instance="",job="q2"} 0' "pushed push_failure_time_seconds overwritten for a new group"
# ... existing group -> the pushed family replaces the stored one (verified quirk)
push_ok POST /metrics/job/q2 '# TYPE push_failure_time_seconds gauge
push_failure_time_seconds{instance="zz",job="zz"} 42
'
store
# (job is overwritten by the grouping key; the body's instance survives as the key has none)
assert_has_line "$STORE" 'push_failure_time_seconds{instance="zz",job="q2"} 42' "pushed push_failure_time_seconds replaces stored one (labels sanitised)"
assert_no_line "$STORE" 'push_failure_time_seconds{instance="",job="q2"} 0' "stored failure series replaced"
api_metrics
assert_json "$API" 'group({"job":"q2"})["last_push_successful"]' 'true' "failure 42 < push time: successful"
assert_json "$API" 'group({"job":"q2"})["push_failure_time_seconds"]["metrics"][0]["value"]' '42' "API shows 42"
# untyped push_failure_time_seconds into an existing group conflicts with the other groups' gauge
snap q2
push POST /metrics/job/q2 'push_failure_time_seconds 41
'
assert_status 400 "untyped push_failure_time_seconds"
assert_prefix "$HTTP_BODY" "${ERR_PREFIX}collected metric \"push_failure_time_seconds\"" "untyped push_failure_time_seconds body"
assert_contains "$HTTP_BODY" "is not a" "untyped push_failure_time_seconds body phrase"
PFQ=$(series_value 'push_failure_time_seconds{instance="",job="q2"}')
# the rejected push set the failure time: the whole family was replaced by the gateway's own
assert_true "failure time set after rejection ($PFQ)" num_gt "$PFQ" 1000000000
assert_unchanged_but_failure q2 "rejected push_failure push"
http DELETE /metrics/job/q1
http DELETE /metrics/job/q2

# ---------------------------------------------------------- Content-Type (§5.1)
for ct in "text/plain; version=0.0.4" "application/json" "garbage/;;;" "application/openmetrics-text; version=1.0.0" \
	"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text"; do
	push PUT /metrics/job/ct 'ct_metric 7
' -H "Content-Type: $ct"
	expect 200 "" "text body with Content-Type '$ct'"
	assert_store_has 'ct_metric{instance="",job="ct"} 7' "text parsed with Content-Type '$ct'"
	http DELETE /metrics/job/ct
done

# ---------------------------------------------------------------- protobuf
pb_push PUT /metrics/job/pb '[{"name":"pbm","help":"pb help","type":1,"metrics":[{"labels":[("a","1"),("job","x")],"gauge":2.5}]},
 {"name":"pbs","type":2,"metrics":[{"summary":{"count":3,"sum":1.5,"quantiles":[(0.5,0.25),(0.9,1)]}}]},
 {"name":"pbh","type":4,"metrics":[{"histogram":{"count":4,"sum":2,"buckets":[(0.5,1),(1,3)]}}]}]'
expect 200 "" "protobuf push"
store
assert_eq "$(printf '%s\n' "$STORE" | grep '^pb')" 'pbh_bucket{instance="",job="pb",le="0.5"} 1
pbh_bucket{instance="",job="pb",le="1"} 3
pbh_bucket{instance="",job="pb",le="+Inf"} 4
pbh_sum{instance="",job="pb"} 2
pbh_count{instance="",job="pb"} 4
pbm{a="1",instance="",job="pb"} 2.5
pbs{instance="",job="pb",quantile="0.5"} 0.25
pbs{instance="",job="pb",quantile="0.9"} 1
pbs_sum{instance="",job="pb"} 1.5
pbs_count{instance="",job="pb"} 3' "protobuf families"
assert_has_line "$STORE" '# HELP pbm pb help' "protobuf HELP"
assert_has_line "$STORE" '# TYPE pbh histogram' "protobuf histogram TYPE"
# parameter order is free; a repeated family name: the later one wins completely
pb_push PUT /metrics/job/pb '[{"name":"pbm","help":"first","type":1,"metrics":[{"gauge":1}]},{"name":"pbm","help":"second","type":1,"metrics":[{"gauge":3}]}]' \
	-H "Content-Type: application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily"
expect 200 "" "protobuf with reordered parameters"
assert_store "# HELP pbm second
# TYPE pbm gauge
pbm{instance=\"\",job=\"pb\"} 3
$PF_HDR
push_failure_time_seconds{instance=\"\",job=\"pb\"} 0
$PT_HDR
push_time_seconds{instance=\"\",job=\"pb\"} T" "repeated protobuf family: later replaces earlier"
# explicitly empty help is kept: "# HELP eh " with a trailing space
pb_push POST /metrics/job/pb '[{"name":"eh","help":"","type":1,"metrics":[{"gauge":1}]}]'
expect 200 "" "protobuf empty help"
assert_store_has '# HELP eh ' "empty protobuf HELP printed with trailing space"
# a family with zero metrics is stored (API) but not exposed
pb_push POST /metrics/job/pb '[{"name":"em","type":1}]'
expect 200 "" "protobuf empty family"
store
assert_not_contains "$STORE" "em{" "empty family not exposed"
assert_no_line "$STORE" "# TYPE em gauge" "empty family has no TYPE line"
api_metrics
assert_json "$API" 'group({"job":"pb"})["em"]["metrics"]' '[]' "empty family in API"
assert_json "$API" 'group({"job":"pb"})["em"]["type"]' 'GAUGE' "empty family type in API"
# family without type is COUNTER; untyped values then fail the check
snap pb0
pb_push POST /metrics/job/pb '[{"name":"nt","metrics":[{"untyped":1}]}]'
assert_status 400 "protobuf family without type"
assert_prefix "$HTTP_BODY" "${ERR_PREFIX}collected metric \"nt\"" "no-type body"
assert_contains "$HTTP_BODY" "is not a COUNTER" "no-type body phrase"
assert_unchanged_but_failure pb0 "no-type family rejected"
pb_push POST /metrics/job/pb '[{"name":"ntc","metrics":[{"counter":5}]}]'
expect 200 "" "protobuf family without type but counter values"
assert_store_has '# TYPE ntc counter' "missing type means counter"
# timestamp_ms rejected
snap pb1
pb_push POST /metrics/job/pb '[{"name":"tsm","type":1,"metrics":[{"gauge":1,"timestamp_ms":5}]}]'
assert_plain_error 400 "${ERR_PREFIX}pushed metrics must not have timestamps$NL" "protobuf timestamp"
assert_unchanged_but_failure pb1 "protobuf timestamp rejected"
# truncated frame: 400, nothing stored, failure time untouched
snap pb2
pb_push POST /metrics/job/pb '[{"name":"tr","type":1,"metrics":[{"gauge":1}]},"TRUNC:3"]'
assert_status 400 "truncated protobuf"
assert_contains "$HTTP_BODY" "EOF" "truncated protobuf error text"
assert_unchanged pb2 "truncated protobuf changes nothing"
# empty protobuf body: no families, push_time refreshed
pb_push POST /metrics/job/pb '[]'
expect 200 "" "empty protobuf body"
store
assert_has_line "$STORE" 'eh{instance="",job="pb"} 1' "empty protobuf body keeps families"
assert_has_line "$STORE" 'ntc{instance="",job="pb"} 5' "empty protobuf body keeps families (2)"
http DELETE /metrics/job/pb
assert_store_empty "protobuf group deleted"

# ---------------------------------------------------------- gzip request bodies
printf 'gz_metric 1\n' | gzip -c >"$T_TMP/gz"
http PUT /metrics/job/gz -H "Content-Encoding: gzip" --data-binary "@$T_TMP/gz"
expect 200 "" "gzip body"
assert_store_has 'gz_metric{instance="",job="gz"} 1' "gzip body decoded"
snap gz
http PUT /metrics/job/gz -H "Content-Encoding: gzip" --data-binary ''
assert_plain_error 400 "EOF$NL" "gzip with empty body"
http PUT /metrics/job/gz -H "Content-Encoding: gzip" --data-binary 'gz_metric 2 this is not gzip at all
'
assert_plain_error 400 "gzip: invalid header$NL" "gzip with plain body"
http PUT /metrics/job/gz -H "Content-Encoding: gzip" --data-binary 'gz 1'
assert_plain_error 400 "unexpected EOF$NL" "gzip with short body"
assert_unchanged gz "bad gzip bodies change nothing"
http GET /metrics -H "Content-Encoding: gzip"
assert_plain_error 400 "EOF$NL" "Content-Encoding gzip applies even to GET /metrics"
http GET /-/healthy -H "Content-Encoding: gzip"
assert_plain_error 400 "EOF$NL" "Content-Encoding gzip applies to /-/healthy"
http GET /api/v1/status -H "Content-Encoding: gzip"
assert_status 200 "API ignores Content-Encoding"
http PUT /metrics/job/gz -H "Content-Encoding: identity" --data-binary 'gz_metric 3
'
expect 200 "" "identity encoding passes through"
http PUT /metrics/job/gz -H "Content-Encoding: br" --data-binary 'gz_metric 4
'
expect 200 "" "unknown encoding passes through"
assert_store_has 'gz_metric{instance="",job="gz"} 4' "unknown encoding body used verbatim"
if is_ours; then
	# 1.6+: Content-Encoding compared case-insensitively (U8)
	printf 'gz_metric 5\n' | gzip -c >"$T_TMP/gz"
	http PUT /metrics/job/gz -H "Content-Encoding: GZIP" --data-binary "@$T_TMP/gz"
	expect 200 "" "GZIP (upper case) body"
	assert_store_has 'gz_metric{instance="",job="gz"} 5' "GZIP decoded"
else
	skip_assert "U8: 1.5.1 matches Content-Encoding gzip case-sensitively"
fi
http DELETE /metrics/job/gz -H "Content-Encoding: gzip"
assert_plain_error 400 "EOF$NL" "DELETE with gzip and empty body"
http DELETE /metrics/job/gz --data-binary 'ignored body'
expect 202 "" "DELETE body ignored"
wait_until 50 sh -c "! curl -s --max-time 5 '$PGW_URL/metrics' | grep -q gz_metric"
assert_store_empty "gzip group deleted"

# ------------------------------------------ own request counters (§7.1)
metrics_raw
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="400",handler="push",method="put"\} [1-9][0-9]*$' "failed pushes are counted"
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="200",handler="push",method="post"\} [1-9][0-9]*$' "successful POSTs are counted"
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="202",handler="delete",method="delete"\} [1-9][0-9]*$' "deletes are counted"
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_push_duration_seconds_count\{method="put"\} [1-9][0-9]*$' "push duration summary"
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_push_size_bytes_count\{method="post"\} [1-9][0-9]*$' "push size summary"
assert_has_line "$(cat "$T_TMP/scrape")" '# TYPE pushgateway_http_push_duration_seconds summary' "push duration TYPE"
pgw_stop

# The size summary's quantiles follow the pushes between scrapes (they are recomputed only
# when something was observed): one small PUT, then three ~1000 bytes larger (the size is
# the whole request's, headers included, as client_golang measures it).
pgw_start
push_ok PUT /metrics/job/q 'a 1
'
q='pushgateway_http_push_size_bytes{method="put",quantile="0.5"}'
small=$(series_value "$q")
assert_true "size median after one push ($small)" num_gt "$small" 0
assert_eq "$(series_value "$q")" "$small" "size median, scraped again"
big="b{p=\"$(printf '%0990d' 0)\"} 1"
for i in 1 2 3; do
	push_ok PUT /metrics/job/q "$big
"
done
large=$(series_value "$q")
assert_true "size median after three larger pushes ($small -> $large)" num_gt "$large" $((small + 900))
pgw_stop

# ------------------------------------ --push.disable-consistency-check (202)
pgw_start --push.disable-consistency-check
push PUT /metrics/job/u 'u_metric 1
'
expect 202 "" "unchecked push answers 202"
assert_header Content-Length 0 "unchecked push"
assert_no_header Content-Type "unchecked push"
u_visible() { curl -s --max-time 5 "$PGW_URL/metrics" | grep -q '^u_metric{instance="",job="u"} 1$'; }
if is_ours; then
	# D5: visible immediately
	assert_true "D5: unchecked push visible immediately" u_visible
else
	assert_true "unchecked push visible eventually" wait_until 50 u_visible
fi
push POST /metrics/job/u 'u_metric 2 12345
'
expect 202 "" "unchecked push with timestamp still 202"
u_failed() { curl -s --max-time 5 "$PGW_URL/metrics" | grep -Eq '^push_failure_time_seconds\{instance="",job="u"\} [1-9]'; }
if is_ours; then
	assert_true "D5: timestamp push rejected in the background, failure time set" u_failed
else
	assert_true "timestamp push rejected in the background, failure time set" wait_until 50 u_failed
fi
assert_store_has 'u_metric{instance="",job="u"} 1' "rejected unchecked push not stored"
# without the check an inconsistent store is possible; scrapes then fail with 500
push PUT /metrics/job/v '# TYPE u_metric gauge
u_metric 3
'
expect 202 "" "unchecked conflicting push accepted"
scrape_500() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$PGW_URL/metrics")" = 500 ]; }
assert_true "inconsistent store makes scrapes fail" wait_until 50 scrape_500
http GET /metrics
assert_status 500 "scrape of inconsistent store"
assert_header Content-Type "text/plain; charset=utf-8" "scrape error"
assert_header X-Content-Type-Options nosniff "scrape error"
assert_prefix "$HTTP_BODY" "An error has occurred while serving metrics:$NL${NL}collected metric \"u_metric\"" "scrape error body"
assert_contains "$HTTP_BODY" "is not a" "scrape error phrase"
http DELETE /metrics/job/v
expect 202 "" "delete offending group"
scrape_200() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$PGW_URL/metrics")" = 200 ]; }
assert_true "scrapes recover after delete" wait_until 50 scrape_200
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status"

t_finish
