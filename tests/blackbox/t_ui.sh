#!/bin/sh
# t_ui.sh - the web UI over plain HTTP (spec §1 UI prefix, §10): the page at P/ and P/status,
# the embedded assets under P/static/ (MIME types, caching, 404), HTML escaping of pushed
# strings, the delete URLs the page uses, the admin-only "Delete all groups", route prefix and
# external URL, request counting, and the render time of 10k groups (reported, not asserted).
# The browser side is t_ui_browser.sh.
. "$(dirname "$0")/lib.sh"

is_upstream && skip_all "pushgateway-c's own page and assets (upstream serves Bootstrap/jQuery)"
STATIC=$PGW_SRC/ui/static

# link_of NAME: the href/src of the asset NAME in $HTTP_BODY (first occurrence).
link_of() {
	printf '%s\n' "$HTTP_BODY" | grep -o "[^\"]*/static/$1[^\"]*" | head -n 1
}

# counter CODE HANDLER: value of pushgateway_http_requests_total for a GET (0 if absent).
counter() {
	metrics_raw
	_v=$(awk -v s="pushgateway_http_requests_total{code=\"$1\",handler=\"$2\",method=\"get\"}" \
		'$1 == s { print $2 }' "$T_TMP/scrape")
	echo "${_v:-0}"
}

pgw_start

# ------------------------------------------------------------------ the page
http GET /
assert_status 200 "GET /"
assert_header Content-Type "text/html; charset=utf-8" "GET /"
assert_header Cache-Control "no-cache" "GET /"
assert_prefix "$(hdr Content-Security-Policy)" "default-src 'none'; script-src 'self'" "GET / CSP"
assert_contains "$HTTP_BODY" '<p id="empty" class="empty">No metrics pushed yet.</p>' "empty store"
assert_contains "$HTTP_BODY" '<span id="count">0 groups</span>' "empty store count"
assert_not_contains "$HTTP_BODY" 'data-act="wipe"' "no Delete all groups without the admin API"
for a in app.css app.js favicon.ico; do
	assert_match "$(link_of "$a")" "^\./static/$a\?v=[0-9a-f]{16}\$" "relative link to $a"
done
assert_contains "$HTTP_BODY" '<a class="tab on" aria-current="page" href="./">Metrics</a>' "metrics tab link"
assert_contains "$HTTP_BODY" '<a class="tab" href="./status">Status</a>' "status tab link"
assert_not_contains "$HTTP_BODY" "http://" "no absolute URL (nothing fetched from elsewhere)"
assert_not_contains "$HTTP_BODY" "https://" "no absolute URL (https)"
http HEAD /
assert_status 200 "HEAD /"
assert_header Content-Type "text/html; charset=utf-8" "HEAD /"

# ------------------------------------------------------------------ assets
for a in app.css app.js favicon.ico; do
	case $a in
	*.css) ct="text/css; charset=utf-8" ;;
	*.js) ct="text/javascript; charset=utf-8" ;;
	*.ico) ct="image/x-icon" ;;
	esac
	http GET /
	link=$(link_of "$a")
	v=${link#*\?v=}
	http GET "/${link#./}"
	assert_status 200 "GET $link"
	assert_header Content-Type "$ct" "GET $link"
	assert_header Cache-Control "public, max-age=31536000, immutable" "GET $link (versioned)"
	assert_header ETag "\"$v\"" "GET $link"
	assert_header X-Content-Type-Options nosniff "GET $link"
	assert_header Content-Length "$(wc -c <"$STATIC/$a" | tr -d ' ')" "GET $link"
	assert_true "$a served byte for byte" cmp -s "$HTTP_BODY_FILE" "$STATIC/$a"
	http GET "/static/$a"
	assert_status 200 "GET /static/$a without ?v"
	assert_header Cache-Control "no-cache" "GET /static/$a without ?v (revalidated)"
	http GET "/static/$a?v=0000000000000000"
	assert_header Cache-Control "no-cache" "GET /static/$a with an old ?v"
	http GET "/static/$a" -H "If-None-Match: \"$v\""
	assert_status 304 "GET /static/$a with a matching If-None-Match"
	assert_body "" "304 body"
	assert_header ETag "\"$v\"" "304 ETag"
	assert_no_header Content-Length "304 has no Content-Length"
	http GET "/static/$a" -H 'If-None-Match: "0000000000000000"'
	assert_status 200 "GET /static/$a with a stale If-None-Match"
	http HEAD "/static/$a"
	assert_status 200 "HEAD /static/$a"
	assert_header Content-Type "$ct" "HEAD /static/$a"
done
n404=$(counter 404 static)
for p in /static/nope.js /static/app.css/ /static/sub/app.css /static/APP.CSS /static/.. /static/app.css.map; do
	http GET "$p"
	case $HTTP_STATUS in
	301) ;; # path cleaning of "/.." happens before routing
	*) assert_plain_error 404 "404 page not found$NL" "missing asset $p" ;;
	esac
done
http GET /static/
assert_status 200 "directory listing of /static/"
assert_header Content-Type "text/html; charset=utf-8" "/static/ listing"
assert_contains "$HTTP_BODY" '<a href="app.js">app.js</a>' "/static/ lists app.js"
http POST /static/app.js
assert_status 405 "POST on an asset"
assert_ne "$(counter 404 static)" "$n404" "404s counted under handler static"
assert_ne "$(counter 200 static)" 0 "assets counted under handler static"
assert_ne "$(counter 304 static)" 0 "304s counted under handler static"
assert_ne "$(counter 200 status)" 0 "the page counted under handler status"

# ------------------------------------------------------------------ groups, escaping, failure
# A grouping label value with markup (base64: it contains '/'), a series label and a HELP.
XSS_B64=$(printf '<script>alert(1)</script>' | base64 | tr '+/' '-_' | tr -d '\n=')
push_ok PUT "/metrics/job/xss/instance@base64/$XSS_B64" '# HELP evil_metric <img src=x onerror=alert(2)> & more
# TYPE evil_metric gauge
evil_metric{v="</td><script>alert(3)</script>\"'"'"'"} 1
'
push_ok PUT /metrics/job/ok/instance/i-1 '# TYPE jobs_total counter
jobs_total 7
'
push PUT /metrics/job/ok/instance/i-1 'jobs_total 8 1234
'
assert_status 400 "a push with a timestamp fails"
push_ok PUT /metrics/job/empty/instance@base64/= 'up 1
'
http GET /
PAGE=$HTTP_BODY
assert_not_contains "$PAGE" "<script>alert" "no pushed <script> in the page"
assert_not_contains "$PAGE" "<img src=x" "no pushed <img> in the page"
assert_not_contains "$PAGE" "</td><script>" "no pushed markup in the page"
assert_contains "$PAGE" '<span class="b">instance="&lt;script&gt;alert(1)&lt;/script&gt;"</span>' "grouping label escaped"
assert_contains "$PAGE" '<p class="help">&lt;img src=x onerror=alert(2)&gt; &amp; more</p>' "HELP escaped"
assert_contains "$PAGE" 'v=&#34;&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;\&#34;&#39;&#34;}' "series label escaped"
assert_contains "$PAGE" '<span id="count">3 groups</span>' "three groups"
assert_contains "$PAGE" '<span class="fail">Last push failed</span>' "failed push marked"
assert_eq "$(printf '%s' "$PAGE" | grep -c 'class="fail"')" 1 "only one group marked failed"
assert_match "$PAGE" '<details class="group failed" data-g="job@base64/b2s=/instance@base64/aS0x="' "failed group card"
assert_match "$PAGE" 'failed <time class="r" data-t="[0-9]+">[0-9-]+T[0-9:.]+(Z|[+-][0-9:]+)</time>, last success <time' "both times"
assert_contains "$PAGE" 'data-g="job@base64/ZW1wdHk=/instance@base64/="' "empty value is '='"
assert_contains "$PAGE" '<span class="b j">job="empty"</span><span class="b">instance=""</span>' "job badge first"
assert_not_contains "$PAGE" '<details class="group" open' "groups collapsed"
assert_not_contains "$PAGE" 'gbody lazy' "small stores render the families inline"
# Groups in grouping-key order: instance i-1 < <script>... < "" is by bytes: "<" < "i" < "\xff".
order=$(printf '%s\n' "$PAGE" | sed -n 's/.*<details class="group[^"]*" data-g="\([^"]*\)".*/\1/p' | tr '\n' ' ')
assert_eq "$order" "job@base64/eHNz=/instance@base64/$XSS_B64= job@base64/b2s=/instance@base64/aS0x= job@base64/ZW1wdHk=/instance@base64/= " "grouping-key order"

# The one-group view (what the page's script loads for large stores).
http GET "/?group=job@base64/b2s=/instance@base64/aS0x="
assert_status 200 "one-group view"
assert_contains "$HTTP_BODY" '<details class="group failed" open data-g="job@base64/b2s=/instance@base64/aS0x="' "one-group view opens the group"
assert_contains "$HTTP_BODY" '<span id="count">One group</span>' "one-group view count"
assert_eq "$(printf '%s' "$HTTP_BODY" | grep -c '<details')" 1 "one-group view shows one group"
http GET "/?group=job%40base64%2Fb2s%3D%2Finstance%40base64%2FaS0x%3D"
assert_status 200 "one-group view, percent-encoded"
http GET "/?group=job@base64/b2s=/instance@base64/aS0y="
assert_status 404 "one-group view of a missing group"
assert_contains "$HTTP_BODY" "This group does not exist (any more)." "missing group text"
http GET "/?group=garbage"
assert_status 404 "one-group view with a malformed path"

# The delete URLs on the page work as they are (relative to the page: metrics/<data-g>).
for g in "job@base64/ZW1wdHk=/instance@base64/=" "job@base64/eHNz=/instance@base64/$XSS_B64="; do
	http DELETE "/metrics/$g"
	expect 202 "" "DELETE with the page's URL $g"
done
api_metrics
assert_json "$API" '[g["labels"] for g in d["data"]]' '[{"instance":"i-1","job":"ok"}]' "deleted groups gone"

# ------------------------------------------------------------------ status tab
http GET /status
assert_status 200 "GET /status"
assert_contains "$HTTP_BODY" '<a class="tab on" aria-current="page" href="./status">Status</a>' "status tab active"
assert_contains "$HTTP_BODY" '<h2>Build information</h2>' "build information"
assert_contains "$HTTP_BODY" '<tr><th>web.telemetry-path</th><td>/metrics</td></tr>' "flags table"
assert_contains "$HTTP_BODY" '<tr><th>web.enable-admin-api</th><td>false</td></tr>' "admin flag"
assert_match "$HTTP_BODY" '<p class="start"><time data-t="[0-9]+">' "start time"
assert_not_contains "$HTTP_BODY" '<details' "no groups on the status tab"
pgw_stop

# ------------------------------------------------------------------ admin API: Delete all groups
pgw_start --web.enable-admin-api
http GET /
assert_contains "$HTTP_BODY" 'data-act="wipe">Delete all groups</button>' "Delete all groups with the admin API"
http GET /status
assert_contains "$HTTP_BODY" '<tr><th>web.enable-admin-api</th><td>true</td></tr>' "admin flag on"
pgw_stop

# ------------------------------------------------------------------ --web.route-prefix
PGW_READY_PATH=/pg/-/ready
pgw_start --web.route-prefix=/pg
http GET /pg/
assert_status 200 "GET /pg/"
assert_match "$(link_of app.js)" '^\./static/app\.js\?v=' "relative asset link under a route prefix"
http GET /pg/static/app.js
assert_status 200 "asset under the prefix"
http GET /pg/status
assert_status 200 "status under the prefix"
http GET /static/app.js
assert_status 404 "no asset outside the prefix"
push_ok PUT /pg/metrics/job/p '# TYPE x gauge
x 1
'
http GET /pg/
assert_contains "$HTTP_BODY" 'data-g="job@base64/cA="' "group under the prefix"
http DELETE /pg/metrics/job@base64/cA=
expect 202 "" "relative delete URL under the prefix"
http GET "/pg/?group=job@base64/cA="
assert_status 404 "group deleted"
pgw_stop

# ------------------------------------------------------------------ --web.external-url
PGW_READY_PATH=/ext/-/ready
pgw_start --web.external-url=http://proxy.example/ext/
http GET /ext/
assert_match "$(link_of app.css)" '^/ext/static/app\.css\?v=' "asset links use the external path"
assert_contains "$HTTP_BODY" 'href="/ext/status">Status</a>' "tab links use the external path"
http GET "/ext/static/app.css"
assert_status 200 "asset under the external path"
pgw_stop
PGW_READY_PATH=/-/ready

# ------------------------------------------------------------------ 10k groups
pgw_start
"$PY" - "$PGW_PORT" <<'EOF' || die "pushing 10k groups failed"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for i in range(10000):
    c.request("PUT", "/metrics/job/batch-%d/instance/i-%d" % (i % 50, i),
              "# TYPE job_duration_seconds gauge\njob_duration_seconds %d\nrecords_total{stage=\"load\"} %d\n" % (i % 97, i))
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit("push %d: %d" % (i, r.status))
EOF
best=""
for i in 1 2 3; do
	t=$(curl -s -o "$T_TMP/big.html" -w '%{time_total}' "$PGW_URL/")
	if [ -z "$best" ] || num_gt "$best" "$t"; then best=$t; fi
done
size=$(wc -c <"$T_TMP/big.html" | tr -d ' ')
note "10k groups: GET / in ${best}s (best of 3, render and transfer), $size bytes"
assert_eq "$(grep -c '^<details class="group' "$T_TMP/big.html")" 10000 "10k cards"
assert_eq "$(grep -c 'gbody lazy' "$T_TMP/big.html")" 10000 "10k groups: families loaded on demand"
assert_contains "$(cat "$T_TMP/big.html")" '<span id="count">10000 groups</span>' "10k count"
t=$(curl -s -o "$T_TMP/one.html" -w '%{time_total} %{http_code}' "$PGW_URL/?group=job@base64/YmF0Y2gtNDI=/instance@base64/aS00MjQy=")
assert_eq "${t#* }" 200 "one group of 10k"
note "10k groups: one-group view in ${t% *}s"
assert_contains "$(cat "$T_TMP/one.html")" '<td class="v">4242</td>' "one group of 10k: its series"
pgw_stop

t_finish
