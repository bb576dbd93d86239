#!/bin/sh
# t_ui_browser.sh - the web UI in a real headless browser: Debian's chromium driven by
# playwright-core (tests/ui/ui.test.mjs). Lists pushed groups, marks a failed push, filters,
# deletes a group (and checks that the gateway lost it), works under --web.route-prefix with
# the admin API's "Delete all groups", escapes pushed HTML; reports 10k-group timings.
# Screenshots go to $PGW_ARTIFACTS (default: artifacts/ next to the gateway binary).
# Skipped (77) without chromium, node or the npm packages (scripts/install-deps.sh --test).
. "$(dirname "$0")/lib.sh"

is_upstream && skip_all "drives pushgateway-c's own page (upstream's page differs by design)"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no chromium at $CHROMIUM (Debian package chromium)"
command -v node >/dev/null 2>&1 || skip_all "no node (Debian package nodejs)"
UI_DIR=$PGW_SRC/tests/ui
if [ ! -f "$UI_DIR/node_modules/playwright-core/package.json" ] && command -v npm >/dev/null 2>&1; then
	note "installing playwright-core (npm ci in tests/ui)"
	(cd "$UI_DIR" && npm ci --prefer-offline --no-audit --no-fund >"$T_TMP/npm.log" 2>&1) ||
		note "npm ci failed: $(tail -n 3 "$T_TMP/npm.log")"
fi
[ -f "$UI_DIR/node_modules/playwright-core/package.json" ] ||
	skip_all "playwright-core is not installed (cd tests/ui && npm ci)"
ARTIFACTS=${PGW_ARTIFACTS:-$(cd "$(dirname "$PGW_BIN")" && pwd)/artifacts}
mkdir -p "$ARTIFACTS" || die "cannot create $ARTIFACTS"

# put PATH BODY: PUT a body (printf %b escapes) and insist on 200.
put() {
	printf '%b' "$2" >"$T_TMP/body.txt"
	_c=$(curl -s -o "$T_TMP/put.out" -w '%{http_code}' -X PUT --data-binary "@$T_TMP/body.txt" "$PGW_URL$1")
	[ "$_c" = 200 ] || die "PUT $1 answered $_c: $(cat "$T_TMP/put.out")"
}

# --- gateway 1: no prefix, no admin API
pgw_start
put /metrics/job/some_job/instance/some_instance '# TYPE some_metric counter
some_metric{label="val1"} 42
# TYPE another_metric gauge
# HELP another_metric Just an example.
another_metric 2398.283\n'
put /metrics/job/batch/instance/db-1 '# TYPE duration histogram
duration_bucket{le="0.5"} 3
duration_bucket{le="1"} 5
duration_sum 2.5
duration_count 6
# TYPE rows summary
rows{quantile="0.9"} 1200
rows_sum 4000
rows_count 4
# HELP xss_metric <img src=x onerror=window.__xss=2> help
# TYPE xss_metric gauge
xss_metric{evil="<script>window.__xss=1</script>\\"><b>bold</b>"} 1\n'
put /metrics/job/failing/instance/web-1 'jobs_processed 17\n'
# A sample with a timestamp makes the push fail (400) and records the failure time.
_c=$(curl -s -o /dev/null -w '%{http_code}' --data-binary 'jobs_processed 18 1234567890
' "$PGW_URL/metrics/job/failing/instance/web-1")
assert_eq "$_c" 400 "push with a timestamp fails"
put /metrics/job/empty-instance/instance@base64/= 'up 1\n'
put /metrics/job@base64/YmFja3VwL2Ri/instance/nas-1 'backup_bytes 1e+09\n'
URL1="$PGW_URL/"
PGW_PID="" # keep it running (T_PIDS stops it at exit)

# --- gateway 2: --web.route-prefix=/pg with the admin API
PGW_READY_PATH=/pg/-/ready
pgw_start --web.route-prefix=/pg --web.enable-admin-api
put /pg/metrics/job/api/instance/a-1 'requests_total 10\n'
put /pg/metrics/job/api/instance/a-2 'requests_total 20\n'
put /pg/metrics/job/cron/instance@base64/= 'last_run 1\n'
URL2="$PGW_URL/pg/"
PGW_PID=""

# --- gateway 3: 10k groups (timings only)
PGW_READY_PATH=/-/ready
pgw_start
"$PY" - "$PGW_PORT" <<'EOF' || die "pushing 10k groups failed"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for i in range(10000):
    body = "# HELP job_duration_seconds Duration of the batch job.\n# TYPE job_duration_seconds gauge\njob_duration_seconds %d\nrecords_processed_total{stage=\"load\"} %d\n" % (i % 97, i)
    c.request("PUT", "/metrics/job/batch-%d/instance/i-%d" % (i % 50, i), body)
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit("push %d: %d" % (i, r.status))
EOF
URL3="$PGW_URL/"

note "running tests/ui/ui.test.mjs with $CHROMIUM"
ok
if ! (cd "$UI_DIR" && UI_URL=$URL1 UI_PREFIX_URL=$URL2 UI_BIG_URL=$URL3 UI_ARTIFACTS=$ARTIFACTS \
	CHROMIUM=$CHROMIUM node --test-reporter=spec ui.test.mjs >"$T_TMP/node.log" 2>&1); then
	cat "$T_TMP/node.log" >&2
	fail "browser tests failed (log above)"
else
	grep -E '^# (screenshot|10k)|^ℹ (tests|pass|fail)' "$T_TMP/node.log" >&2
fi
for f in ui.png ui-status.png ui-prefix.png ui-expanded.png; do
	assert_true "screenshot $f written" test -s "$ARTIFACTS/$f"
done
note "screenshots in $ARTIFACTS"
t_finish
