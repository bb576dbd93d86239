#!/bin/sh
# t_delete.sh - DELETE (§6.5): exact grouping-key match only, timestamp
# families removed too, no-op deletes, body ignored, base64 spellings, URL
# errors, re-creation after delete, and FIFO order with later pushes.
. "$(dirname "$0")/lib.sh"

pgw_start

api_groups() {
	api_metrics
	json_eval "$API" 'sorted(json.dumps(g["labels"], sort_keys=True, separators=(",", ":")) for g in d["data"])'
}
# gone LABELS-JSON: true when no group has exactly these labels
gone() {
	curl -s --max-time 5 -o "$T_TMP/gone.json" "$PGW_URL/api/v1/metrics"
	[ "$(json_eval "$T_TMP/gone.json" "group($1) is None")" = true ]
}

push_ok PUT /metrics/job/a 'm{x="1"} 1
'
push_ok PUT /metrics/job/a/instance/x 'm{x="2"} 2
'
push_ok PUT /metrics/job/a/instance/x/zone/z 'm{x="3"} 3
'
push_ok PUT /metrics/job/b 'm{x="4"} 4
'
assert_eq "$(api_groups)" '["{\"instance\":\"x\",\"job\":\"a\",\"zone\":\"z\"}","{\"instance\":\"x\",\"job\":\"a\"}","{\"job\":\"a\"}","{\"job\":\"b\"}"]' "four groups"

# DELETE /metrics/job/a removes only {job=a}
http DELETE /metrics/job/a
expect 202 "" "DELETE {job=a}"
assert_header Content-Length 0 "DELETE response"
assert_no_header Content-Type "DELETE response"
assert_true "{job=a} deleted" wait_until 50 gone '{"job":"a"}'
assert_eq "$(api_groups)" '["{\"instance\":\"x\",\"job\":\"a\",\"zone\":\"z\"}","{\"instance\":\"x\",\"job\":\"a\"}","{\"job\":\"b\"}"]' "only the exact group deleted"
store
assert_eq "$(printf '%s\n' "$STORE" | grep '^m{')" 'm{instance="",job="b",x="4"} 4
m{instance="x",job="a",x="2"} 2
m{instance="x",job="a",x="3",zone="z"} 3' "other series remain"
assert_no_line "$STORE" 'push_time_seconds{instance="",job="a"} T' "timestamp families of the deleted group removed"
assert_no_line "$STORE" 'push_failure_time_seconds{instance="",job="a"} 0' "failure family of the deleted group removed"

# a subset or a superset of the key does not match
snap d1
for p in /metrics/job/a/zone/z /metrics/job/a/instance/x/zone/z/extra/1 /metrics/job/c /metrics/job/a/instance/y \
	/metrics/job/a/instance/ /metrics/job/A/instance/x; do
	http DELETE "$p"
	expect 202 "" "DELETE $p (no such group)"
done
http GET /metrics
assert_unchanged d1 "deletes of missing groups are no-ops"

# label order and base64 spelling do not matter
http DELETE /metrics/job@base64/YQ/zone@base64/eg==/instance/x
expect 202 "" "DELETE base64 spelling, reordered labels"
assert_true "{job=a,instance=x,zone=z} deleted" wait_until 50 gone '{"instance":"x","job":"a","zone":"z"}'
assert_eq "$(api_groups)" '["{\"instance\":\"x\",\"job\":\"a\"}","{\"job\":\"b\"}"]' "base64 delete hit the right group"

# a request body is ignored, whatever it contains
http DELETE /metrics/job/a/instance/x --data-binary 'this is { not a valid body'
expect 202 "" "DELETE with a body"
assert_true "{job=a,instance=x} deleted" wait_until 50 gone '{"instance":"x","job":"a"}'
http DELETE /metrics/job/b -H "Content-Type: $PB_CT" --data-binary 'x'
expect 202 "" "DELETE with a protobuf content type"
assert_true "{job=b} deleted" wait_until 50 gone '{"job":"b"}'
api_metrics
assert_body '{"status":"success","data":[]}' "empty store after deletes"
assert_store_empty "empty exposition after deletes"

# deleting again is still 202
http DELETE /metrics/job/b
expect 202 "" "repeated DELETE"

# DELETE differs from an empty PUT: the timestamp families go too
push_ok PUT /metrics/job/e 'm 1
'
push_ok PUT /metrics/job/e ''
assert_store "$PF_HDR
push_failure_time_seconds{instance=\"\",job=\"e\"} 0
$PT_HDR
push_time_seconds{instance=\"\",job=\"e\"} T" "empty PUT keeps the group"
http DELETE /metrics/job/e
assert_true "{job=e} deleted" wait_until 50 gone '{"job":"e"}'
assert_store_empty "DELETE removes the group entirely"

# a group with a failure time: deleting and re-creating resets it
push_ok PUT /metrics/job/r 'm 1
'
push PUT /metrics/job/r 'm 1 1
'
assert_status 400 "failed push"
assert_store_has 'push_failure_time_seconds{instance="",job="r"} T' "failure recorded"
http DELETE /metrics/job/r
assert_true "{job=r} deleted" wait_until 50 gone '{"job":"r"}'
push_ok PUT /metrics/job/r 'm 2
'
assert_store "# TYPE m untyped
m{instance=\"\",job=\"r\"} 2
$PF_HDR
push_failure_time_seconds{instance=\"\",job=\"r\"} 0
$PT_HDR
push_time_seconds{instance=\"\",job=\"r\"} T" "re-created group starts fresh"
api_metrics
assert_json "$API" 'group({"job":"r"})["last_push_successful"]' true "re-created group successful"

# FIFO: a DELETE sent before a PUT is applied first
http DELETE /metrics/job/r
push_ok PUT /metrics/job/r 'm 3
'
assert_store_has 'm{instance="",job="r"} 3' "PUT after DELETE wins"
http DELETE /metrics/job/r
push_ok POST /metrics/job/r 'n 1
'
store
assert_has_line "$STORE" 'n{instance="",job="r"} 1' "POST after DELETE stored"
assert_not_contains "$STORE" 'm{instance="",job="r"}' "POST after DELETE: old families gone"
http DELETE /metrics/job/r

# labels containing "/" can only be deleted through base64
push_ok PUT /metrics/job/s/path@base64/L3Zhci90bXA 'm 1
'
http DELETE /metrics/job/s/path/var%2Ftmp
assert_plain_error 400 "odd number of components in label string \"/path/var/tmp\"$NL" "%2F in a DELETE path splits the value"
assert_store_has 'm{instance="",job="s",path="/var/tmp"} 1' "group still there"
http DELETE /metrics/job/s/path@base64/L3Zhci90bXA=
expect 202 "" "DELETE with base64 value"
assert_true "{job=s,path=/var/tmp} deleted" wait_until 50 gone '{"job":"s","path":"/var/tmp"}'

# URL errors: 400 and nothing deleted
push_ok PUT /metrics/job/u/x/1 'm 1
'
snap d2
http DELETE /metrics/job/u/x
assert_plain_error 400 "odd number of components in label string \"/x\"$NL" "DELETE odd components"
http DELETE /metrics/job/u/__x/1
assert_plain_error 400 "improper label name \"__x\"$NL" "DELETE improper label name"
http DELETE /metrics/job/u/x@base64/*
assert_plain_error 400 "invalid base64 encoding for label x=\"*\": illegal base64 data at input byte 0$NL" "DELETE bad base64 label"
http DELETE /metrics/job@base64/=/x/1
assert_plain_error 400 "job name is required$NL" "DELETE empty job"
http DELETE /metrics/job
assert_plain_error 404 "404 page not found$NL" "DELETE /metrics/job"
http DELETE /metrics/job/u/x/1/
assert_plain_error 400 "odd number of components in label string \"/x/1/\"$NL" "DELETE trailing slash"
assert_unchanged d2 "failed DELETEs change nothing"
http DELETE /metrics/job/u/x/1
assert_true "{job=u,x=1} deleted" wait_until 50 gone '{"job":"u","x":"1"}'

# deletes are counted
metrics_raw
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="202",handler="delete",method="delete"\} [1-9][0-9]*$' "202 deletes counted"
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="400",handler="delete",method="delete"\} [1-9][0-9]*$' "400 deletes counted"
pgw_stop

# with the consistency check disabled DELETE behaves the same
pgw_start --push.disable-consistency-check
push PUT /metrics/job/a 'm 1
'
assert_status 202 "unchecked push"
wait_until 50 sh -c "curl -s --max-time 5 '$PGW_URL/metrics' | grep -q '^m{'"
http DELETE /metrics/job/a
expect 202 "" "DELETE with the check disabled"
assert_true "deleted with the check disabled" wait_until 50 gone '{"job":"a"}'
assert_store_empty "empty after unchecked delete"
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status"

t_finish
