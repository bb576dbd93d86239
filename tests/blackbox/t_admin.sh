#!/bin/sh
# t_admin.sh - admin wipe (§6.6) with and without --web.enable-admin-api,
# lifecycle /-/quit (§9) with and without --web.enable-lifecycle, GET /-/quit,
# graceful exits (SIGTERM, SIGINT, /-/quit) with exit status 0.
. "$(dirname "$0")/lib.sh"

GOODBYE='Requesting termination... Goodbye!'
NOT_ENABLED='Lifecycle API is not enabled.'
ONLY_POST='Only POST or PUT requests allowed.'

# ---------------------------------------------------------- both disabled
pgw_start
push_ok PUT /metrics/job/a 'a 1
'
push_ok PUT /metrics/job/b/instance/i 'b 1
'
snap s0
http PUT /api/v1/admin/wipe
assert_plain_error 404 "404 page not found$NL" "wipe without --web.enable-admin-api"
http GET /api/v1/admin/wipe
assert_plain_error 404 "404 page not found$NL" "GET wipe without admin API"
http POST /api/v1/admin/wipe
assert_plain_error 404 "404 page not found$NL" "POST wipe without admin API"
assert_unchanged s0 "disabled wipe changes nothing"
# the API's OPTIONS route answers any path
http OPTIONS /api/v1/admin/wipe
expect 200 "" "OPTIONS wipe without admin API (CORS preflight route)"
assert_header Access-Control-Allow-Origin '*' "OPTIONS wipe CORS"

for m in POST PUT; do
	http $m /-/quit
	expect 403 "$NOT_ENABLED" "$m /-/quit without --web.enable-lifecycle"
	assert_header Content-Type "text/plain; charset=utf-8" "$m /-/quit 403"
done
http POST /-/quit --data-binary 'ignored'
expect 403 "$NOT_ENABLED" "POST /-/quit with a body"
http GET /-/quit
expect 405 "$ONLY_POST" "GET /-/quit"
assert_header Content-Type "text/plain; charset=utf-8" "GET /-/quit"
assert_no_header Allow "GET /-/quit has no Allow header"
http DELETE /-/quit
assert_plain_error 405 "Method Not Allowed$NL" "DELETE /-/quit"
assert_header Allow "GET, OPTIONS, POST, PUT" "DELETE /-/quit Allow"
http GET /-/healthy
expect 200 "OK" "still alive after refused quits"
assert_true "process alive after refused quits" kill -0 "$PGW_PID"
assert_unchanged s0 "refused quits change nothing"
metrics_raw
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="200",handler="ready",method="get"\} [1-9][0-9]*$' "ready probes counted"
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="200",handler="healthy",method="get"\} 1$' "healthy counted once"
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status"

# ------------------------------------------------------------ admin enabled
pgw_start --web.enable-admin-api
i=0
while [ $i -lt 12 ]; do
	push_ok PUT /metrics/job/w$i/instance/i$i "m$((i % 3)) $i
"
	i=$((i + 1))
done
push PUT /metrics/job/failed 'x 1 1
'
assert_status 400 "failed push creates a group too"
api_metrics
assert_json "$API" 'len(d["data"])' 13 "13 groups before wipe"
http PUT /api/v1/admin/wipe
expect 202 "" "wipe"
assert_header Content-Length 0 "wipe"
assert_no_header Content-Type "wipe has no Content-Type"
assert_no_header Access-Control-Allow-Origin "wipe has no CORS headers"
empty_api() { [ "$(curl -s --max-time 5 "$PGW_URL/api/v1/metrics")" = '{"status":"success","data":[]}' ]; }
assert_true "store empty after wipe" wait_until 50 empty_api
assert_store_empty "exposition empty after wipe"
http PUT /api/v1/admin/wipe
expect 202 "" "wipe of an empty store"
http PUT /api/v1/admin/wipe --data-binary 'body is ignored'
expect 202 "" "wipe with a body"
for m in GET POST DELETE; do
	http $m /api/v1/admin/wipe
	assert_plain_error 405 "Method Not Allowed$NL" "$m wipe"
	assert_header Allow "OPTIONS, PUT" "$m wipe Allow"
done
http OPTIONS /api/v1/admin/wipe
expect 200 "" "OPTIONS wipe"
assert_header Access-Control-Allow-Methods "GET, POST, DELETE, OPTIONS" "OPTIONS wipe CORS methods"
# the store is usable after a wipe; groups come back fresh
push_ok PUT /metrics/job/w1/instance/i1 'm1 100
'
assert_store "# TYPE m1 untyped
m1{instance=\"i1\",job=\"w1\"} 100
$PF_HDR
push_failure_time_seconds{instance=\"i1\",job=\"w1\"} 0
$PT_HDR
push_time_seconds{instance=\"i1\",job=\"w1\"} T" "push after wipe"
metrics_raw
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_http_requests_total\{code="202",handler="wipe",method="put"\} 3$' "wipes counted"
# lifecycle still disabled here
http POST /-/quit
expect 403 "$NOT_ENABLED" "admin API does not enable lifecycle"
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status (admin)"

# admin API under a route prefix
PGW_READY_PATH=/pg/-/ready
pgw_start --web.enable-admin-api --web.route-prefix=/pg
push_ok PUT /pg/metrics/job/a 'a 1
'
http PUT /api/v1/admin/wipe
assert_plain_error 404 "404 page not found$NL" "unprefixed wipe under a prefix"
http PUT /pg/api/v1/admin/wipe
expect 202 "" "prefixed wipe"
PGW_API_PREFIX=/pg
assert_true "prefixed wipe empties the store" wait_until 50 sh -c "[ \"\$(curl -s --max-time 5 '$PGW_URL/pg/api/v1/metrics')\" = '{\"status\":\"success\",\"data\":[]}' ]"
PGW_API_PREFIX=
pgw_stop
PGW_READY_PATH=/-/ready

# -------------------------------------------------------- lifecycle enabled
pgw_start --web.enable-lifecycle "--persistence.file=$T_TMP/q.db"
push_ok PUT /metrics/job/q 'q 1
'
http PUT /api/v1/admin/wipe
assert_plain_error 404 "404 page not found$NL" "lifecycle does not enable wipe"
http GET /-/quit
expect 405 "$ONLY_POST" "GET /-/quit with lifecycle enabled"
assert_true "GET /-/quit does not stop the process" kill -0 "$PGW_PID"
http POST /-/quit
expect 200 "$GOODBYE" "POST /-/quit"
assert_header Content-Type "text/plain; charset=utf-8" "POST /-/quit"
assert_true "process exits after POST /-/quit" t_wait_pid_exit "$PGW_PID" 100
wait "$PGW_PID" 2>/dev/null
assert_eq "$?" 0 "exit status after POST /-/quit"
PGW_PID=""
assert_true "persistence file written on /-/quit" test -s "$T_TMP/q.db"
http GET /-/healthy
assert_prefix "$HTTP_STATUS" "curl-error" "port closed after quit"

# PUT works too, and the persisted data is restored by the next start
pgw_start --web.enable-lifecycle "--persistence.file=$T_TMP/q.db"
assert_store_has 'q{instance="",job="q"} 1' "data persisted by /-/quit restored"
http PUT /-/quit
expect 200 "$GOODBYE" "PUT /-/quit"
assert_true "process exits after PUT /-/quit" t_wait_pid_exit "$PGW_PID" 100
wait "$PGW_PID" 2>/dev/null
assert_eq "$?" 0 "exit status after PUT /-/quit"
PGW_PID=""

# lifecycle under a route prefix: GET /-/quit is registered without the prefix
PGW_READY_PATH=/pg/-/ready
pgw_start --web.enable-lifecycle --web.route-prefix=/pg
http GET /-/quit
expect 405 "$ONLY_POST" "GET /-/quit (unprefixed) under a prefix"
http GET /pg/-/quit
assert_plain_error 405 "Method Not Allowed$NL" "GET /pg/-/quit"
assert_header Allow "OPTIONS, POST, PUT" "GET /pg/-/quit Allow"
http POST /-/quit
assert_plain_error 405 "Method Not Allowed$NL" "POST /-/quit (unprefixed) under a prefix: only GET is registered there"
assert_header Allow "GET, OPTIONS" "POST /-/quit (unprefixed) under a prefix: Allow"
assert_true "still running" kill -0 "$PGW_PID"
http POST /pg/-/quit
expect 200 "$GOODBYE" "POST /pg/-/quit"
assert_true "process exits after POST /pg/-/quit" t_wait_pid_exit "$PGW_PID" 100
wait "$PGW_PID" 2>/dev/null
assert_eq "$?" 0 "exit status after POST /pg/-/quit"
PGW_PID=""
PGW_READY_PATH=/-/ready

# ----------------------------------------------------------------- SIGINT
pgw_start
kill -INT "$PGW_PID"
assert_true "SIGINT stops the gateway" t_wait_pid_exit "$PGW_PID" 100
wait "$PGW_PID" 2>/dev/null
assert_eq "$?" 0 "SIGINT exit status"
PGW_PID=""

t_finish
