#!/bin/sh
# t_seeds.sh - every curl example found in /work/shared/seeds/*.txt, run the
# way the blog posts run them (curl --data-binary @- / @file, -X DELETE,
# -X PUT, -L, -g), checking exact exposition lines and the JSON API.
. "$(dirname "$0")/lib.sh"

pgw_start

# curl_seed ARGS... : run curl like the seeds do (always bounded), status in SEED_STATUS
# (a pipeline runs curl_seed in a subshell: seed_get reloads the results)
curl_seed() {
	curl -s -S --max-time 10 -o "$T_TMP/seed.out" -w '%{http_code}' "$@" >"$T_TMP/seed.status" 2>"$T_TMP/seed.err"
	seed_get
}
seed_get() {
	SEED_STATUS=$(cat "$T_TMP/seed.status")
	SEED_OUT=$(cat "$T_TMP/seed.out")
}

PT='# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
# TYPE push_time_seconds gauge'
PF='# HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
# TYPE push_failure_time_seconds gauge'

# --- seed 000: echo "cpu_utilization 20.25" | curl --data-binary @- .../metrics/job/my_custom_metrics/provider/abc
echo "cpu_utilization 20.25" | curl_seed --data-binary @- "$PGW_URL/metrics/job/my_custom_metrics/provider/abc"
seed_get
assert_eq "$SEED_STATUS" 200 "seed000 push status"
assert_eq "$SEED_OUT" "" "seed000 push body"
# curl -L http://localhost:9091/metrics
curl_seed -L "$PGW_URL/metrics"
assert_eq "$SEED_STATUS" 200 "seed000 curl -L /metrics"
assert_has_line "$SEED_OUT" '# TYPE cpu_utilization untyped' "seed000 TYPE line"
assert_has_line "$SEED_OUT" 'cpu_utilization{instance="",job="my_custom_metrics",provider="abc"} 20.25' "seed000 sample line"
assert_no_line "$SEED_OUT" '# HELP cpu_utilization ' "seed000 no HELP for a text push without HELP"
assert_store "# TYPE cpu_utilization untyped
cpu_utilization{instance=\"\",job=\"my_custom_metrics\",provider=\"abc\"} 20.25
$PF
push_failure_time_seconds{instance=\"\",job=\"my_custom_metrics\",provider=\"abc\"} 0
$PT
push_time_seconds{instance=\"\",job=\"my_custom_metrics\",provider=\"abc\"} T" "seed000"
api_metrics
assert_json "$API" 'd["data"][0]["labels"]' '{"job":"my_custom_metrics","provider":"abc"}' "seed000 API group labels (no instance)"
assert_json "$API" 'd["data"][0]["cpu_utilization"]["metrics"]' '[{"labels":{"instance":"","job":"my_custom_metrics","provider":"abc"},"value":"20.25"}]' "seed000 API metrics"
assert_json "$API" 'd["data"][0]["cpu_utilization"]["type"]' 'UNTYPED' "seed000 API type"
assert_json "$API" '"help" in d["data"][0]["cpu_utilization"]' 'false' "seed000 API help omitted"
assert_json "$API" 'd["data"][0]["last_push_successful"]' 'true' "seed000 last_push_successful"
curl_seed -X DELETE "$PGW_URL/metrics/job/my_custom_metrics/provider/abc"
assert_eq "$SEED_STATUS" 202 "seed000 cleanup delete"
wait_until 50 sh -c "curl -s --max-time 5 '$PGW_URL/metrics' | grep -q '^cpu_utilization' && exit 1 || exit 0"
assert_store_empty "seed000 after delete"

# --- seed 001: `echo "test_metric" | curl data-binary @- URL` is a user typo
# (no dashes: curl treats data-binary as a host name) - not reproduced.
# The body it meant to send, "test_metric" without a value, is invalid:
echo "test_metric" | curl_seed --data-binary @- "$PGW_URL/metrics/job/job_label"
seed_get
assert_eq "$SEED_STATUS" 400 "seed001 value-less sample is rejected"
assert_eq "$SEED_OUT" 'text format parsing error in line 1: expected float as value, got ""' "seed001 error body"
assert_store_empty "seed001 rejected push leaves no group"
# The label-chaining examples, with a value:
echo "test_metric 1" | curl_seed --data-binary @- "$PGW_URL/metrics/job/job_label"
seed_get
assert_eq "$SEED_STATUS" 200 "seed001 push job_label"
echo "test_metric 2" | curl_seed --data-binary @- "$PGW_URL/metrics/job/job_label/instance/batch-server"
seed_get
assert_eq "$SEED_STATUS" 200 "seed001 push instance batch-server"
echo "test_metric 3" | curl_seed --data-binary @- "$PGW_URL/metrics/job/job_label/instance/batch-server/region/kr"
seed_get
assert_eq "$SEED_STATUS" 200 "seed001 push region kr"
store
# Sorted by number of labels, then label values position by position.
assert_eq "$(printf '%s\n' "$STORE" | grep '^test_metric')" 'test_metric{instance="",job="job_label"} 1
test_metric{instance="batch-server",job="job_label"} 2
test_metric{instance="batch-server",job="job_label",region="kr"} 3' "seed001 three groups"
assert_has_line "$STORE" '# TYPE test_metric untyped' "seed001 TYPE"
# "Only deleted when every label matches": curl -XDELETE .../instance/batch-server
curl_seed -XDELETE "$PGW_URL/metrics/job/job_label/instance/batch-server"
assert_eq "$SEED_STATUS" 202 "seed001 delete status"
assert_eq "$SEED_OUT" "" "seed001 delete body"
store
assert_eq "$(printf '%s\n' "$STORE" | grep '^test_metric')" 'test_metric{instance="",job="job_label"} 1
test_metric{instance="batch-server",job="job_label",region="kr"} 3' "seed001 delete removes only the exact group"
assert_eq "$(printf '%s\n' "$STORE" | grep -c '^push_time_seconds')" 2 "seed001 two groups left"
api_metrics
assert_json "$API" 'sorted(json.dumps(g["labels"], sort_keys=True) for g in d["data"])' \
	'["{\"instance\": \"batch-server\", \"job\": \"job_label\", \"region\": \"kr\"}","{\"job\": \"job_label\"}"]' "seed001 API groups"

# seed 001, the prom-client batch job: gateway.push({jobName:'batch', groupings:{instance:'batch-server'}})
# is a PUT of a gauge with HELP; the failure branch sets -1; later gateway.delete().
printf '# HELP batch_process_time_second Time taken for batch job to complete\n# TYPE batch_process_time_second gauge\nbatch_process_time_second -1\n' |
	curl_seed -X PUT --data-binary @- "$PGW_URL/metrics/job/batch/instance/batch-server"
seed_get
assert_eq "$SEED_STATUS" 200 "seed001 prom-client push"
store
assert_eq "$(printf '%s\n' "$STORE" | grep 'batch_process_time_second')" '# HELP batch_process_time_second Time taken for batch job to complete
# TYPE batch_process_time_second gauge
batch_process_time_second{instance="batch-server",job="batch"} -1' "seed001 prom-client gauge"
curl_seed -X DELETE "$PGW_URL/metrics/job/batch/instance/batch-server"
assert_eq "$SEED_STATUS" 202 "seed001 prom-client delete"
store
assert_not_contains "$STORE" 'job="batch"' "seed001 batch group deleted"
curl_seed -X DELETE "$PGW_URL/metrics/job/job_label"
curl_seed -X DELETE "$PGW_URL/metrics/job/job_label/instance/batch-server/region/kr"
assert_eq "$SEED_STATUS" 202 "seed001 cleanup"
assert_store_empty "seed001 all deleted"

# --- seed 003/004: the README multi-line push with a heredoc
cat <<EOF | curl_seed --data-binary @- "$PGW_URL/metrics/job/some_job/instance/some_instance"
# TYPE some_metric counter
some_metric{label="val1"} 42
# TYPE another_metric gauge
# HELP another_metric Just an example.
another_metric 2398.283
EOF
seed_get
assert_eq "$SEED_STATUS" 200 "seed003 heredoc push"
EXPECT_README="# HELP another_metric Just an example.
# TYPE another_metric gauge
another_metric{instance=\"some_instance\",job=\"some_job\"} 2398.283
$PF
push_failure_time_seconds{instance=\"some_instance\",job=\"some_job\"} 0
$PT
push_time_seconds{instance=\"some_instance\",job=\"some_job\"} T
# TYPE some_metric counter
some_metric{instance=\"some_instance\",job=\"some_job\",label=\"val1\"} 42"
assert_store "$EXPECT_README" "seed003 README push"
api_metrics
assert_json "$API" 'd["data"][0]["another_metric"]["help"]' 'Just an example.' "seed003 API help"
assert_json "$API" 'd["data"][0]["another_metric"]["type"]' 'GAUGE' "seed003 API gauge"
assert_json "$API" 'd["data"][0]["some_metric"]["type"]' 'COUNTER' "seed003 API counter"
assert_json "$API" 'd["data"][0]["some_metric"]["metrics"][0]' '{"labels":{"instance":"some_instance","job":"some_job","label":"val1"},"value":"42"}' "seed003 API counter metric"
assert_json "$API" 'd["data"][0]["labels"]' '{"instance":"some_instance","job":"some_job"}' "seed003 API labels"
assert_json "$API" 'sorted(d["data"][0].keys())' '["another_metric","labels","last_push_successful","push_failure_time_seconds","push_time_seconds","some_metric"]' "seed003 API group keys"

# seed 004: echo "second_metric 99" | curl --data-binary @- .../metrics/job/some_job
echo "second_metric 99" | curl_seed --data-binary @- "$PGW_URL/metrics/job/some_job"
seed_get
assert_eq "$SEED_STATUS" 200 "seed004 second_metric push"
store
assert_has_line "$STORE" 'second_metric{instance="",job="some_job"} 99' "seed004 second_metric line"
assert_has_line "$STORE" 'push_time_seconds{instance="",job="some_job"} T' "seed004 second group push_time"
assert_has_line "$STORE" 'push_time_seconds{instance="some_instance",job="some_job"} T' "seed004 first group still there"

# seed 003: POST of a file with --data-binary @teest.prom, a second family
printf '# TYPE some_metric counter\nsome_metric{label="val2"} 7\n' >"$T_TMP/teest.prom"
curl_seed --data-binary "@$T_TMP/teest.prom" "$PGW_URL/metrics/job/some_job/instance/some_instance"
assert_eq "$SEED_STATUS" 200 "seed003 POST @file"
store
# POST replaced the some_metric family only; another_metric stays.
assert_has_line "$STORE" 'some_metric{instance="some_instance",job="some_job",label="val2"} 7' "seed003 POST new series"
assert_no_line "$STORE" 'some_metric{instance="some_instance",job="some_job",label="val1"} 42' "seed003 POST replaced the family"
assert_has_line "$STORE" 'another_metric{instance="some_instance",job="some_job"} 2398.283' "seed003 POST kept other family"

# seed 003: curl -X PUT --data-binary @teest.prom replaces the whole group
curl_seed -X PUT --data-binary "@$T_TMP/teest.prom" "$PGW_URL/metrics/job/some_job/instance/some_instance"
assert_eq "$SEED_STATUS" 200 "seed003 PUT @file"
store
assert_no_line "$STORE" 'another_metric{instance="some_instance",job="some_job"} 2398.283' "seed003 PUT removed other family"
assert_not_contains "$STORE" 'another_metric' "seed003 PUT: another_metric gone everywhere"
assert_has_line "$STORE" 'some_metric{instance="some_instance",job="some_job",label="val2"} 7' "seed003 PUT series"
assert_has_line "$STORE" 'second_metric{instance="",job="some_job"} 99' "seed003 PUT did not touch other group"

# seed 003: curl -X DELETE .../some_job/instance/some_instance
curl_seed -X DELETE "$PGW_URL/metrics/job/some_job/instance/some_instance"
assert_eq "$SEED_STATUS" 202 "seed003 DELETE"
assert_store "$PF
push_failure_time_seconds{instance=\"\",job=\"some_job\"} 0
$PT
push_time_seconds{instance=\"\",job=\"some_job\"} T
# TYPE second_metric untyped
second_metric{instance=\"\",job=\"some_job\"} 99" "seed003 after DELETE only some_job remains"

# seed 004: curl -X DELETE -g 'http://localhost:9091/metrics/job/some_job/instance/some_instance' (already gone: no-op)
curl_seed -X DELETE -g "$PGW_URL/metrics/job/some_job/instance/some_instance"
assert_eq "$SEED_STATUS" 202 "seed004 DELETE -g of a missing group"
assert_eq "$SEED_OUT" "" "seed004 DELETE body"
curl_seed -X DELETE -g "$PGW_URL/metrics/job/some_job"
assert_store_empty "seed004 all gone"

# seed 003: `curl 0.0.0.0:9091/metrics` after opening the UI shows the gateway's own
# pushgateway_build_info and pushgateway_http_requests_total{...handler="status"...}.
curl_seed "$PGW_URL/"
assert_eq "$SEED_STATUS" 200 "seed003 UI"
curl_seed "$PGW_URL/metrics"
assert_match "$SEED_OUT" '^pushgateway_build_info\{.*version=.*\} 1$' "seed003 build_info"
assert_has_line "$SEED_OUT" '# TYPE pushgateway_build_info gauge' "seed003 build_info TYPE"
assert_has_line "$SEED_OUT" 'pushgateway_http_requests_total{code="200",handler="status",method="get"} 1' "seed003 requests_total for the UI"
assert_has_line "$SEED_OUT" '# HELP pushgateway_http_requests_total Total HTTP requests processed by the Pushgateway, excluding scrapes.' "seed003 requests_total HELP"
assert_has_line "$SEED_OUT" '# TYPE pushgateway_http_requests_total counter' "seed003 requests_total TYPE"
pgw_stop
assert_eq "$PGW_EXIT" 0 "SIGTERM exit status"

# --- seed 002: behind a reverse proxy: --web.external-url=http://host/<ip>/pushgateway/ --web.route-prefix=/
pgw_start --web.external-url=http://127.0.0.1/10.0.0.1/pushgateway/ --web.route-prefix=/
echo "some_metric 3.14" | curl_seed --data-binary @- "$PGW_URL/metrics/job/some_job"
seed_get
assert_eq "$SEED_STATUS" 200 "seed002 push at the root"
assert_store "$PF
push_failure_time_seconds{instance=\"\",job=\"some_job\"} 0
$PT
push_time_seconds{instance=\"\",job=\"some_job\"} T
# TYPE some_metric untyped
some_metric{instance=\"\",job=\"some_job\"} 3.14" "seed002 3.14"
echo "some_metric 2.71" | curl_seed --data-binary @- "$PGW_URL/metrics/job/some_job"
seed_get
assert_eq "$SEED_STATUS" 200 "seed002 push 2.71"
echo "some_metric 1.41" | curl_seed --data-binary @- "$PGW_URL/metrics/job/some_job"
seed_get
assert_eq "$SEED_STATUS" 200 "seed002 push 1.41"
store
assert_has_line "$STORE" 'some_metric{instance="",job="some_job"} 1.41' "seed002 last push wins"
assert_eq "$(printf '%s\n' "$STORE" | grep -c '^some_metric')" 1 "seed002 one series"
# The proxy path ends in "pushgateway//metrics/...": sent to the gateway itself the
# double slash is cleaned by a redirect (curl without -L does not follow; nothing stored).
snap s002
echo "some_metric 9" | curl_seed -D "$T_TMP/seed.h" --data-binary @- "$PGW_URL//metrics/job/some_job"
seed_get
# 301 (Go <= 1.25 ServeMux); the newest Go uses 307: accept either.
case $SEED_STATUS in 307) SEED_STATUS=301 ;; esac
assert_eq "$SEED_STATUS" 301 "seed002 // is redirected"
assert_eq "$(tr -d '\r' <"$T_TMP/seed.h" | awk 'tolower($1)=="location:" {print $2}')" "/metrics/job/some_job" "seed002 // Location"
assert_unchanged s002 "seed002 redirected push stores nothing"
# The UI is served at the root and links its assets under the external path.
curl_seed "$PGW_URL/"
assert_eq "$SEED_STATUS" 200 "seed002 UI at /"
assert_static_links "$SEED_OUT" /10.0.0.1/pushgateway "seed002 UI asset links use the external path"
http GET /api/v1/status
assert_status 200 "seed002 status API"
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.route-prefix"]' '' "seed002 route-prefix normalised to empty"
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.external-url"]' 'http://127.0.0.1/10.0.0.1/pushgateway/' "seed002 external-url flag"
http GET /10.0.0.1/pushgateway/metrics
assert_status 404 "seed002 nothing served under the external path"
pgw_stop

# --- seed 003: ./pushgateway --web.listen-address 0.0.0.0:9091 --persistence.file pg_file
# (space-separated flag values), and seed 004's unit: --persistence.file=/tmp/metric.store
# --persistence.interval=5m.  Data survives a restart.
pgw_start --persistence.file "$T_TMP/pg_file"
cat <<EOF | curl_seed --data-binary @- "$PGW_URL/metrics/job/some_job/instance/some_instance"
# TYPE some_metric counter
some_metric{label="val1"} 42
# TYPE another_metric gauge
# HELP another_metric Just an example.
another_metric 2398.283
EOF
seed_get
assert_eq "$SEED_STATUS" 200 "seed003 push with persistence"
http GET /api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["persistence.file"]' "$T_TMP/pg_file" "seed003 persistence.file flag (space form)"
snap persist
pgw_stop
assert_eq "$PGW_EXIT" 0 "seed003 SIGTERM exit status"
assert_true "seed003 persistence file written on shutdown" test -s "$T_TMP/pg_file"
pgw_start --persistence.file "$T_TMP/pg_file"
assert_unchanged persist "seed003 restored after restart"
assert_store "$EXPECT_README" "seed003 restored exposition"
pgw_stop

pgw_start "--persistence.file=$T_TMP/metric.store" --persistence.interval=5m
echo "second_metric 99" | curl_seed --data-binary @- "$PGW_URL/metrics/job/some_job"
seed_get
assert_eq "$SEED_STATUS" 200 "seed004 push with persistence"
http GET /api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["persistence.interval"]' '5m0s' "seed004 interval flag"
snap persist4
pgw_stop
assert_true "seed004 metric.store written" test -s "$T_TMP/metric.store"
pgw_start "--persistence.file=$T_TMP/metric.store" --persistence.interval=5m
assert_unchanged persist4 "seed004 restored"
store
assert_has_line "$STORE" 'second_metric{instance="",job="some_job"} 99' "seed004 restored line"

t_finish
