#!/bin/sh
# t_routing.sh - the HTTP routing layer (§2, §3): 404 and 405 answers with
# headers, Allow lists, automatic OPTIONS, HEAD (deliberate difference D1),
# trailing-slash and case-fixing redirects (301 GET / 307 other), ServeMux
# path cleaning, query strings, --web.route-prefix, --web.external-url and
# --web.telemetry-path.
. "$(dirname "$0")/lib.sh"

NOTFOUND="404 page not found$NL"
NOTALLOWED="Method Not Allowed$NL"
PUSH_ALLOW="DELETE, OPTIONS, POST, PUT"

# redirect METHOD PATH CODE LOCATION MESSAGE
redirect() {
	http "$1" "$2"
	# ServeMux path cleaning: 301 in Go <= 1.25, 307 in the newest Go
	if [ "${6:-}" = clean ] && [ "$HTTP_STATUS" = 307 ]; then HTTP_STATUS=301; fi
	assert_status "$3" "$5"
	assert_header Location "$4" "$5"
	if [ "$1" = GET ]; then
		if [ "${6:-}" = clean ]; then
			assert_body "<a href=\"$4\">Moved Permanently</a>.$NL$NL" "$5"
		else
			assert_body "<a href=\"$4\">Moved Permanently</a>.$NL$NL" "$5"
			assert_header Content-Type "text/html; charset=utf-8" "$5"
		fi
	else
		assert_body "" "$5"
	fi
}

pgw_start

# ----------------------------------------------------------------- 404
for p in /nope /metricsx /api /api/v1/ /api/v1/nope /API/v1/status /-/nope /metrics/job /metrics/job/ /pg/metrics; do
	http GET "$p"
	assert_plain_error 404 "$NOTFOUND" "GET $p"
	assert_header Content-Length 19 "GET $p"
done
for m in POST PUT DELETE OPTIONS; do
	http $m /nope
	assert_plain_error 404 "$NOTFOUND" "$m /nope"
done
http PUT /metrics/job --data-binary 'x 1
'
assert_plain_error 404 "$NOTFOUND" "PUT /metrics/job"
# POST /-/healthy/: no POST route, so no trailing-slash redirect either
http POST /-/healthy/
assert_plain_error 404 "$NOTFOUND" "POST /-/healthy/"

# ----------------------------------------------------------------- 405
for p in /metrics/job/x /metrics/job/x/a/b /metrics/job@base64/eA /metrics/job@base64/eA/a/b; do
	for m in GET PATCH; do
		http $m "$p"
		assert_plain_error 405 "$NOTALLOWED" "$m $p"
		assert_header Allow "$PUSH_ALLOW" "$m $p"
	done
done
for p in /metrics /-/healthy /-/ready /api/v1/status /api/v1/metrics /status /; do
	for m in POST PUT DELETE; do
		http $m "$p"
		assert_plain_error 405 "$NOTALLOWED" "$m $p"
		assert_header Allow "GET, OPTIONS" "$m $p"
	done
done
http BREW /metrics
if is_upstream; then
	assert_plain_error 405 "$NOTALLOWED" "unknown method BREW"
	assert_header Allow "GET, OPTIONS" "BREW /metrics"
else
	# D9: libevent refuses extension methods before routing
	assert_status 501 "unknown method BREW (D9)"
fi
assert_store_empty "nothing stored by routing errors"

# --------------------------------------------------------- automatic OPTIONS
for p in /metrics/job/x /metrics/job/x/y/z /metrics/job@base64/eA; do
	http OPTIONS "$p"
	expect 200 "" "OPTIONS $p"
	assert_header Allow "$PUSH_ALLOW" "OPTIONS $p"
	assert_no_header Content-Type "OPTIONS $p"
done
for p in /metrics /-/healthy /-/ready /status; do
	http OPTIONS "$p"
	expect 200 "" "OPTIONS $p"
	assert_header Allow "GET, OPTIONS" "OPTIONS $p"
done
http OPTIONS /-/quit
expect 200 "" "OPTIONS /-/quit"
assert_header Allow "GET, OPTIONS, POST, PUT" "OPTIONS /-/quit"
# the API answers OPTIONS itself (CORS preflight, no Allow)
for p in /api/v1/status /api/v1/metrics /api/v1/anything/at/all; do
	http OPTIONS "$p"
	expect 200 "" "OPTIONS $p"
	assert_no_header Allow "OPTIONS $p"
	assert_header Access-Control-Allow-Origin '*' "OPTIONS $p"
done

# ----------------------------------------------------------------- HEAD
for p in /-/healthy /-/ready /metrics /api/v1/status /api/v1/metrics /status; do
	http HEAD "$p"
	if is_ours; then
		# D1: like GET without a body (curl --head cannot see a body: read raw)
		assert_status 200 "D1: HEAD $p"
		raw_head "$p"
		assert_eq "$RAW_STATUS" 200 "D1: raw HEAD $p status"
		assert_eq "$RAW_EXTRA" 0 "D1: raw HEAD $p sends no body"
		http GET "$p"
		_gct=$(hdr Content-Type)
		http HEAD "$p"
		assert_header Content-Type "$_gct" "D1: HEAD $p has GET's Content-Type"
	else
		# upstream: HEAD is never routed
		assert_status 405 "HEAD $p"
		assert_header Allow "GET, OPTIONS" "HEAD $p"
		skip_assert "D1: HEAD $p answered like GET only by ours"
	fi
done
http HEAD /nope
assert_status 404 "HEAD /nope"
http HEAD /metrics/job/x
assert_status 405 "HEAD on a push path"
assert_header Allow "$PUSH_ALLOW" "HEAD on a push path"

# ------------------------------------------------- trailing-slash redirects
redirect GET /metrics/ 301 /metrics "GET /metrics/"
redirect GET /-/healthy/ 301 /-/healthy "GET /-/healthy/"
redirect GET /-/ready/ 301 /-/ready "GET /-/ready/"
redirect GET /status/ 301 /status "GET /status/"
redirect GET /api/v1 301 /api/v1/ "GET /api/v1 (ServeMux subtree)"
redirect PUT /metrics/job/ 307 /metrics/job "PUT /metrics/job/"
redirect POST /metrics/job/ 307 /metrics/job "POST /metrics/job/"
redirect DELETE /metrics/job/ 307 /metrics/job "DELETE /metrics/job/"
redirect POST /-/quit/ 307 /-/quit "POST /-/quit/"
# the query string is kept in the Location (observed on 1.5.1; httprouter
# v1.3.0 redirects to req.URL.String(); the spec's "without query" is wrong)
http GET '/-/healthy/?a=b'
assert_status 301 "GET /-/healthy/?a=b"
assert_header Location '/-/healthy?a=b' "trailing-slash redirect keeps the query"
http PUT '/Metrics/job/x?a=b'
assert_status 307 "PUT /Metrics/job/x?a=b"
assert_header Location '/metrics/job/x?a=b' "case-fixing redirect keeps the query"
# the API subtree redirects too; observed upstream only (the Location loses
# the /api/v1 prefix: /api/v1/status/ -> /status), not in the spec
if is_upstream; then
	http GET /api/v1/status/
	assert_status 301 "GET /api/v1/status/"
	assert_header Location /status "GET /api/v1/status/ Location (sic)"
fi

# ------------------------------------------------- case-fixing redirects
redirect GET /METRICS 301 /metrics "GET /METRICS"
redirect GET /Metrics 301 /metrics "GET /Metrics"
redirect GET /-/HEALTHY 301 /-/healthy "GET /-/HEALTHY"
redirect GET /STATUS 301 /status "GET /STATUS"
redirect PUT /Metrics/job/x 307 /metrics/job/x "PUT /Metrics/job/x"
redirect POST /metrics/JOB/x/a/b 307 /metrics/job/x/a/b "POST /metrics/JOB/x/a/b"
redirect DELETE /METRICS/JOB/x 307 /metrics/job/x "DELETE /METRICS/JOB/x"
assert_store_empty "redirected pushes store nothing"

# --------------------------------------------------- ServeMux path cleaning
redirect GET //metrics 301 /metrics "GET //metrics" clean
redirect GET /./metrics 301 /metrics "GET /./metrics" clean
redirect GET /a/../metrics 301 /metrics "GET /a/../metrics" clean
redirect GET /-/./healthy 301 /-/healthy "GET /-/./healthy" clean
http PUT /metrics/job/x/../y
case $HTTP_STATUS in 307) HTTP_STATUS=301 ;; esac
assert_status 301 "PUT with /../ is cleaned"
assert_header Location /metrics/job/y "PUT with /../ Location"
http PUT /metrics//job/x
case $HTTP_STATUS in 307) HTTP_STATUS=301 ;; esac
assert_status 301 "PUT with // is cleaned"
assert_header Location /metrics/job/x "PUT with // Location"
# the cleaned path keeps a trailing slash
http GET //metrics/
case $HTTP_STATUS in 307) HTTP_STATUS=301 ;; esac
assert_status 301 "GET //metrics/"
assert_header Location /metrics/ "cleaning keeps the trailing slash"
if is_ours; then
	# U3: 1.11 cleans the escaped path only
	http PUT '/metrics/job/x/a/%2E%2E' --data-binary 'x 1
'
	expect 200 "" "U3: %2E%2E is not cleaned"
	assert_store_has 'x{a="..",instance="",job="x"} 1' "U3: %2E%2E is the value .."
	http DELETE '/metrics/job/x/a/%2E%2E'
else
	http PUT '/metrics/job/x/a/%2E%2E' --data-binary 'x 1
'
	assert_status 301 "U3: 1.5.1 cleans the decoded path"
	skip_assert "U3: %2E%2E kept only by 1.11"
fi

# ------------------------------------------------------------ query strings
http GET '/-/healthy?x=1'
expect 200 "OK" "query string ignored (healthy)"
http PUT '/metrics/job/q?instance=zz&job=other' --data-binary 'q 1
'
expect 200 "" "push with a query string"
assert_store_has 'q{instance="",job="q"} 1' "query string does not add labels"
http GET '/metrics?name[]=q'
assert_status 200 "scrape with a query string"
http DELETE '/metrics/job/q?x=y'
expect 202 "" "delete with a query string"

# ------------------------------------------------------- health endpoints
for p in /-/healthy /-/ready; do
	http GET "$p"
	expect 200 "OK" "GET $p"
	assert_header Content-Type "text/plain; charset=utf-8" "GET $p"
done
http GET /
assert_status 200 "UI at /"
assert_prefix "$(hdr Content-Type)" "text/html" "UI Content-Type"
http GET /status
assert_status 200 "UI at /status"
http GET /static/nope.js
assert_status 404 "missing static file"
pgw_stop

# ---------------------------------------------------------- --web.route-prefix
PGW_READY_PATH=/pg/-/ready
pgw_start --web.route-prefix=/pg
http GET /pg/-/healthy
expect 200 "OK" "prefixed healthy"
http GET /-/healthy
assert_plain_error 404 "$NOTFOUND" "unprefixed healthy"
http GET /metrics
assert_plain_error 404 "$NOTFOUND" "unprefixed /metrics"
http PUT /metrics/job/x --data-binary 'x 1
'
assert_plain_error 404 "$NOTFOUND" "unprefixed push"
http PUT /pg/metrics/job/x --data-binary 'x 1
'
expect 200 "" "push under the prefix"
PGW_METRICS_PATH=/pg/metrics
assert_store_has 'x{instance="",job="x"} 1' "prefixed push visible at /pg/metrics"
http GET /pg/api/v1/status
assert_status 200 "prefixed status API"
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.route-prefix"]' '/pg' "route-prefix flag"
http GET /api/v1/status
assert_plain_error 404 "$NOTFOUND" "unprefixed API"
redirect GET /pg 301 /pg/ "GET /pg"
http GET /pg/
assert_status 200 "UI at /pg/"
redirect GET /pg/api/v1 301 /pg/api/v1/ "GET /pg/api/v1"
redirect GET /PG/metrics 301 /pg/metrics "GET /PG/metrics"
redirect GET /pg//metrics 301 /pg/metrics "GET /pg//metrics" clean
redirect PUT /pg/metrics/job/ 307 /pg/metrics/job "PUT /pg/metrics/job/"
http GET /pgx
assert_plain_error 404 "$NOTFOUND" "GET /pgx"
http GET /pg/metrics/job/x
assert_header Allow "$PUSH_ALLOW" "405 under the prefix"
http DELETE /pg/metrics/job/x
expect 202 "" "prefixed delete"
PGW_METRICS_PATH=
pgw_stop

# "pg/" is normalised to "/pg"
pgw_start --web.route-prefix=pg/
http GET /pg/-/ready
expect 200 "OK" "route-prefix pg/ -> /pg"
http GET /pg/api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.route-prefix"]' '/pg' "normalised route-prefix flag"
pgw_stop

PGW_READY_PATH=/a/b/-/ready
pgw_start --web.route-prefix=/a/b/
http PUT /a/b/metrics/job/x --data-binary 'x 1
'
expect 200 "" "two-level prefix push"
http GET /a/b/api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.route-prefix"]' '/a/b' "two-level prefix flag"
pgw_stop

# "/" is the empty prefix
PGW_READY_PATH=/-/ready
pgw_start --web.route-prefix=/
http GET /api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.route-prefix"]' '' "route-prefix / -> empty"
pgw_stop

# ---------------------------------------------------------- --web.external-url
PGW_READY_PATH=/foo/-/ready
pgw_start --web.external-url=http://example.com:1234/foo/
http GET /foo/-/healthy
expect 200 "OK" "external-url path is the route prefix"
http GET /-/healthy
assert_status 404 "nothing at the root with an external-url path"
http PUT /foo/metrics/job/e --data-binary 'e 1
'
expect 200 "" "push under the external-url prefix"
PGW_METRICS_PATH=/foo/metrics
assert_store_has 'e{instance="",job="e"} 1' "push visible under the external-url prefix"
PGW_METRICS_PATH=
http GET /foo/api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.route-prefix"]' '/foo' "route-prefix from the external URL"
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.external-url"]' 'http://example.com:1234/foo/' "external-url flag as given"
http GET /foo/
assert_status 200 "UI under the external-url prefix"
assert_static_links "$HTTP_BODY" /foo "UI links use the external path"
pgw_stop

# external URL without a path: routes at the root
PGW_READY_PATH=/-/ready
pgw_start --web.external-url=http://example.com:1234
http PUT /metrics/job/e --data-binary 'e 1
'
expect 200 "" "external URL without a path"
pgw_stop

# ---------------------------------------------------------- --web.telemetry-path
pgw_start --web.telemetry-path=/other
http GET /other
assert_status 200 "moved exposition"
http GET /metrics
assert_plain_error 404 "$NOTFOUND" "old exposition path"
http PUT /metrics/job/t --data-binary 't 1
'
expect 200 "" "push API stays at /metrics/job"
PGW_METRICS_PATH=/other
assert_store_has 't{instance="",job="t"} 1' "push visible at the telemetry path"
PGW_METRICS_PATH=
http PUT /other/job/t --data-binary 't 1
'
assert_plain_error 404 "$NOTFOUND" "no push API under the telemetry path"
redirect GET /other/ 301 /other "GET /other/"
http DELETE /metrics/job/t
expect 202 "" "delete stays at /metrics/job"
http GET /api/v1/status
assert_json "$HTTP_BODY_FILE" 'd["data"]["flags"]["web.telemetry-path"]' '/other' "telemetry-path flag"
pgw_stop

PGW_READY_PATH=/pg/-/ready
pgw_start --web.telemetry-path=/m2 --web.route-prefix=/pg
http GET /pg/m2
assert_status 200 "telemetry path joined onto the prefix"
http GET /m2
assert_status 404 "telemetry path without the prefix"
http GET /pg/metrics
assert_status 404 "default telemetry path gone"
http PUT /pg/metrics/job/t --data-binary 't 1
'
expect 200 "" "push under prefix with a moved telemetry path"
pgw_stop

t_finish
