#!/bin/sh
# t_prometheus.sh - a REAL Prometheus server (Debian package "prometheus") scrapes the
# gateway with honor_labels: true.  Pushed with curl (text format): a counter, a gauge with
# HELP, a summary and a classic histogram into two groups (job="batch", instance="h1"/"h2"),
# and a group whose job and label hold '/' (job@base64, path@base64).  Then, through the
# Prometheus query API, exact values and exact label sets of every type (histogram buckets,
# summary quantiles), the metadata (TYPE/HELP), up == 1, and that a DELETE of one group
# turns its series stale (absent from instant queries within seconds, i.e. through
# staleness markers, not the 5 m look-back).
#
# Two Prometheus instances run side by side, each with its own TSDB (two scrape jobs in one
# server would produce identical series under honor_labels):
#   text   default negotiation (Prometheus 2.x prefers OpenMetrics, then text 0.0.4; the
#          gateway answers text 0.0.4);
#   proto  delimited protobuf: scrape_protocols: [PrometheusProto] on Prometheus >= 2.49;
#          --enable-feature=native-histograms on 2.40..2.48 (that flag is what switches
#          the Accept header to protobuf-first there); skipped on older versions.
# Each instance also scrapes a small capture server that records the Accept and
# Accept-Encoding headers Prometheus really sends; those headers are replayed against the
# gateway to pin the negotiated Content-Type and gzip Content-Encoding.
# Skips (77) without the prometheus binary.  Loopback only, every wait bounded.
. "$(dirname "$0")/lib.sh"

PROM_BIN=${PGW_PROMETHEUS:-$(command -v prometheus 2>/dev/null)}
if [ -z "$PROM_BIN" ] || [ ! -x "$PROM_BIN" ]; then
	skip_all "no prometheus binary (Debian: prometheus)"
fi
command -v curl >/dev/null 2>&1 || skip_all "no curl"
"$PY" -c 'import json, urllib.request' 2>/dev/null || skip_all "no usable python3"

PROM_VERSION=$("$PROM_BIN" --version 2>&1 | sed -n 's/^prometheus, version \([0-9][0-9.]*\).*/\1/p' | head -n 1)
[ -n "$PROM_VERSION" ] || skip_all "cannot determine the Prometheus version"
PROM_MAJOR=${PROM_VERSION%%.*}
_rest=${PROM_VERSION#*.}
PROM_MINOR=${_rest%%.*}

# How to make Prometheus scrape delimited protobuf.
if [ "$PROM_MAJOR" -gt 2 ] || { [ "$PROM_MAJOR" -eq 2 ] && [ "$PROM_MINOR" -ge 49 ]; }; then
	PROTO_MODE=scrape_protocols
elif [ "$PROM_MAJOR" -eq 2 ] && [ "$PROM_MINOR" -ge 40 ]; then
	PROTO_MODE=feature_flag
else
	PROTO_MODE=none
	note "Prometheus $PROM_VERSION cannot be made to ask for protobuf: protobuf variant skipped"
fi
note "Prometheus $PROM_VERSION ($PROM_BIN), protobuf via: $PROTO_MODE"
MODES=text
[ "$PROTO_MODE" != none ] && MODES="text proto"

T0=$(date +%s)
pgw_start

# ------------------------------------------------------------------ pushes
B1='# TYPE bb_processed_total counter
bb_processed_total{kind="a"} 42
# HELP bb_temperature_celsius Temperature of the batch host.
# TYPE bb_temperature_celsius gauge
bb_temperature_celsius -3.5
# HELP bb_latency_seconds Job latency.
# TYPE bb_latency_seconds summary
bb_latency_seconds{quantile="0.5"} 0.25
bb_latency_seconds{quantile="0.99"} 1.75
bb_latency_seconds_sum 12.5
bb_latency_seconds_count 20
# HELP bb_size_bytes Output size.
# TYPE bb_size_bytes histogram
bb_size_bytes_bucket{le="0.5"} 1
bb_size_bytes_bucket{le="1"} 3
bb_size_bytes_bucket{le="5"} 6
bb_size_bytes_bucket{le="+Inf"} 7
bb_size_bytes_sum 17.25
bb_size_bytes_count 7
'
B2='# TYPE bb_processed_total counter
bb_processed_total{kind="b"} 7
# HELP bb_temperature_celsius Temperature of the batch host.
# TYPE bb_temperature_celsius gauge
bb_temperature_celsius 21.25
'
B3='# HELP bb_backup_last_success_timestamp_seconds Last successful backup.
# TYPE bb_backup_last_success_timestamp_seconds gauge
bb_backup_last_success_timestamp_seconds 1700000000
'
b64url() { printf '%s' "$1" | base64 | tr -d '\n=' | tr '+/' '-_'; }
B64_PATH="/metrics/job@base64/$(b64url nightly/backup)/path@base64/$(b64url /var/lib/db)"

push PUT /metrics/job/batch/instance/h1 "$B1"
expect 200 "" "PUT group h1"
push POST /metrics/job/batch/instance/h2 "$B2"
expect 200 "" "POST group h2"
push PUT "$B64_PATH" "$B3"
expect 200 "" "PUT base64 group ($B64_PATH)"

# ------------------------------------------------------- Accept capture server
cat >"$T_TMP/capture.py" <<'EOF'
import http.server, os, socketserver, sys
outdir = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.strip("/").replace("/", "_") or "root"
        tmp = os.path.join(outdir, "hdr." + name + ".tmp")
        with open(tmp, "w") as fh:
            fh.write("%s\n%s\n" % (self.headers.get("Accept", ""),
                                   self.headers.get("Accept-Encoding", "")))
        os.replace(tmp, os.path.join(outdir, "hdr." + name))
        body = b"# TYPE capture_up gauge\ncapture_up 1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
srv = S(("127.0.0.1", 0), H)
with open(os.path.join(outdir, "capture.port.tmp"), "w") as fh:
    fh.write("%d\n" % srv.server_address[1])
os.replace(os.path.join(outdir, "capture.port.tmp"), os.path.join(outdir, "capture.port"))
srv.serve_forever()
EOF
"$PY" "$T_TMP/capture.py" "$T_TMP" </dev/null >"$T_TMP/capture.log" 2>&1 &
CAP_PID=$!
T_PIDS="$T_PIDS $CAP_PID"
wait_until 100 test -s "$T_TMP/capture.port" || die "capture server did not start: $(cat "$T_TMP/capture.log")"
CAP_PORT=$(cat "$T_TMP/capture.port")

# ------------------------------------------------------------- prometheus
# prom_var URL|PID|LOG MODE: the value of PROM_<what>_<mode>.
prom_var() { eval "printf '%s' \"\${PROM_$1_$2:-}\""; }

# prom_start MODE: config + start one instance; sets PROM_URL_<MODE>.
prom_start() {
	_mode=$1
	_dir="$T_TMP/prom-$_mode"
	mkdir -p "$_dir/data" || die "mkdir $_dir"
	_proto=""
	_flags=""
	if [ "$_mode" = proto ]; then
		case $PROTO_MODE in
		scrape_protocols) _proto='    scrape_protocols: [PrometheusProto]' ;;
		feature_flag) _flags=--enable-feature=native-histograms ;;
		esac
	fi
	{
		printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n'
		printf 'scrape_configs:\n'
		printf '  - job_name: pgw_%s\n    honor_labels: true\n' "$_mode"
		[ -n "$_proto" ] && printf '%s\n' "$_proto"
		printf '    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$PGW_PORT"
		printf '  - job_name: capture_%s\n    metrics_path: /%s\n' "$_mode" "$_mode"
		[ -n "$_proto" ] && printf '%s\n' "$_proto"
		printf '    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$CAP_PORT"
	} >"$_dir/prometheus.yml"
	_try=0
	while [ $_try -lt 5 ]; do
		_try=$((_try + 1))
		_port=$(free_port) || die "cannot pick a free port"
		_log="$_dir/prometheus.$_port.log"
		# shellcheck disable=SC2086
		(cd "$_dir" && exec "$PROM_BIN" --config.file="$_dir/prometheus.yml" \
			--storage.tsdb.path="$_dir/data" --web.listen-address="127.0.0.1:$_port" \
			$_flags </dev/null >"$_log" 2>&1) &
		_pid=$!
		T_PIDS="$T_PIDS $_pid"
		eval "PROM_PID_$_mode=\$_pid PROM_URL_$_mode=http://127.0.0.1:\$_port PROM_LOG_$_mode=\$_log"
		_i=0
		while [ $_i -lt 200 ] && kill -0 "$_pid" 2>/dev/null; do
			_c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
				"http://127.0.0.1:$_port/-/ready" 2>/dev/null)
			[ "$_c" = 200 ] && return 0
			sleep 0.1
			_i=$((_i + 1))
		done
		if kill -0 "$_pid" 2>/dev/null; then
			tail -n 30 "$_log" >&2
			die "prometheus ($_mode) not ready within 20 s"
		fi
		wait "$_pid" 2>/dev/null
		if grep -qi 'address already in use' "$_log"; then
			note "port $_port taken, retrying"
			continue
		fi
		tail -n 30 "$_log" >&2
		die "prometheus ($_mode) exited during start-up"
	done
	die "prometheus ($_mode): no free port after 5 attempts"
}

for m in $MODES; do
	prom_start "$m"
	note "prometheus $m: $(prom_var URL "$m") (pid $(prom_var PID "$m"))"
done

# q MODE QUERY: instant query; prints the vector one series a line, sorted:
# name{label="value",...} value   (labels sorted, __name__ in front; le and quantile
# values are normalised to Go's shortest float form, see below), or "ERROR ...".
cat >"$T_TMP/q.py" <<'EOF'
import json, sys, urllib.parse, urllib.request
url, query = sys.argv[1], sys.argv[2]
how = sys.argv[3] if len(sys.argv) > 3 else ""
def norm(v):
    # Prometheus < 3 keeps le/quantile as written by the text exposition ("1") but
    # formats them itself for protobuf scrapes ("1.0"); compare the numbers.
    try:
        f = float(v)
    except ValueError:
        return v
    if f == float("inf"):
        return "+Inf"
    r = repr(f)
    return r[:-2] if r.endswith(".0") else r
try:
    with urllib.request.urlopen(url + "/api/v1/query?" + urllib.parse.urlencode({"query": query}),
                                timeout=5) as r:
        d = json.load(r)
except Exception as e:
    print("ERROR %s" % e)
    sys.exit(0)
if d.get("status") != "success":
    print("ERROR %s" % json.dumps(d))
    sys.exit(0)
res = d["data"]
if res["resultType"] == "scalar":
    print(res["result"][1]); sys.exit(0)
lines = []
for s in res["result"]:
    m = dict(s["metric"])
    name = m.pop("__name__", "")
    for k in ("le", "quantile"):
        if k in m and how != "raw":
            m[k] = norm(m[k])
    lines.append("%s{%s} %s" % (name, ",".join('%s="%s"' % (k, m[k]) for k in sorted(m)), s["value"][1]))
print("\n".join(sorted(lines)))
EOF
q() {
	"$PY" "$T_TMP/q.py" "$(prom_var URL "$1")" "$2" ${3:+"$3"}
}
# meta MODE METRIC: "type|help" from /api/v1/metadata (first entry), or "ERROR ...".
meta() {
	"$PY" - "$(prom_var URL "$1")" "$2" <<'PYEOF'
import json, sys, urllib.parse, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "/api/v1/metadata?" +
                                urllib.parse.urlencode({"metric": sys.argv[2]}), timeout=5) as r:
        d = json.load(r)
    e = d["data"][sys.argv[2]]
    print("%s|%s" % (e[0]["type"], e[0]["help"]) if len(e) == 1 else "MANY %s" % json.dumps(e))
except Exception as ex:
    print("ERROR %r" % (ex,))
PYEOF
}
# assert_q MODE QUERY EXPECTED MESSAGE
assert_q() {
	assert_eq "$(q "$1" "$2")" "$3" "[$1] $4: $2"
}
# q_nonempty MODE QUERY
q_nonempty() {
	_r=$(q "$1" "$2")
	[ -n "$_r" ] && [ "${_r#ERROR}" = "$_r" ]
}

# Wait (bounded, 30 s from here) until every instance has scraped everything once.
ready_all() {
	for _m in $MODES; do
		q_nonempty "$_m" "up{job=\"pgw_$_m\"} == 1" || return 1
		q_nonempty "$_m" 'bb_backup_last_success_timestamp_seconds' || return 1
		q_nonempty "$_m" 'bb_size_bytes_count{instance="h1"}' || return 1
		q_nonempty "$_m" 'bb_processed_total{instance="h2"}' || return 1
		test -s "$T_TMP/hdr.$_m" || return 1
	done
	return 0
}
if ! wait_until 300 ready_all; then
	for m in $MODES; do
		echo "---- prometheus $m log (last 20 lines) ----" >&2
		tail -n 20 "$(prom_var LOG "$m")" >&2
		echo "---- prometheus $m targets ----" >&2
		curl -s --max-time 5 "$(prom_var URL "$m")/api/v1/targets" >&2
		echo >&2
	done
	die "Prometheus did not ingest the pushed series within 30 s"
fi
note "all instances scraped after $(($(date +%s) - T0)) s"

# ---------------------------------------------------------- negotiation
PROTO_CT_PREFIX='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'
TEXT_CT_PREFIX='text/plain; version=0.0.4'
for m in $MODES; do
	ACC=$(sed -n 1p "$T_TMP/hdr.$m")
	AENC=$(sed -n 2p "$T_TMP/hdr.$m")
	note "prometheus $m sends Accept: $ACC"
	note "prometheus $m sends Accept-Encoding: $AENC"
	if [ "$m" = proto ]; then
		assert_prefix "$ACC" "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited" \
			"[$m] Prometheus asks for protobuf first"
	else
		assert_not_contains "$ACC" "protobuf" "[$m] default Accept of Prometheus"
	fi
	http GET /metrics -H "Accept: $ACC" -H "Accept-Encoding: $AENC"
	assert_status 200 "[$m] scrape with Prometheus' headers"
	_ct=$(hdr Content-Type)
	if [ "$m" = proto ]; then
		assert_prefix "$_ct" "$PROTO_CT_PREFIX" "[$m] gateway answers delimited protobuf"
	else
		assert_prefix "$_ct" "$TEXT_CT_PREFIX" "[$m] gateway answers text 0.0.4"
	fi
	case $AENC in
	*gzip*) assert_header Content-Encoding gzip "[$m] gateway gzips for Prometheus" ;;
	esac
	_ok=$(gzip -dc <"$HTTP_BODY_FILE" 2>/dev/null | wc -c)
	assert_true "[$m] gzip body decodes to something ($_ok bytes)" [ "$_ok" -gt 100 ]
done

# ---------------------------------------------------------- assertions
for m in $MODES; do
	assert_q "$m" "up{job=\"pgw_$m\"}" "up{instance=\"127.0.0.1:$PGW_PORT\",job=\"pgw_$m\"} 1" "gateway target up"
	assert_q "$m" "up{job=\"capture_$m\"}" "up{instance=\"127.0.0.1:$CAP_PORT\",job=\"capture_$m\"} 1" "capture target up"
	# The gateway's own metrics have no job/instance: they get the target's.
	assert_q "$m" "count(pushgateway_build_info{job=\"pgw_$m\",instance=\"127.0.0.1:$PGW_PORT\"})" \
		'{} 1' "own metric carries the target labels"

	# counter
	assert_q "$m" 'bb_processed_total' 'bb_processed_total{instance="h1",job="batch",kind="a"} 42
bb_processed_total{instance="h2",job="batch",kind="b"} 7' "counter, pushed job/instance kept"
	# gauge
	assert_q "$m" 'bb_temperature_celsius' 'bb_temperature_celsius{instance="h1",job="batch"} -3.5
bb_temperature_celsius{instance="h2",job="batch"} 21.25' "gauge"
	# summary
	assert_q "$m" 'bb_latency_seconds' 'bb_latency_seconds{instance="h1",job="batch",quantile="0.5"} 0.25
bb_latency_seconds{instance="h1",job="batch",quantile="0.99"} 1.75' "summary quantiles"
	assert_q "$m" 'bb_latency_seconds_sum' 'bb_latency_seconds_sum{instance="h1",job="batch"} 12.5' "summary sum"
	assert_q "$m" 'bb_latency_seconds_count' 'bb_latency_seconds_count{instance="h1",job="batch"} 20' "summary count"
	assert_q "$m" 'bb_latency_seconds{quantile="0.99"}' 'bb_latency_seconds{instance="h1",job="batch",quantile="0.99"} 1.75' "summary quantile selector"
	# histogram
	assert_q "$m" 'bb_size_bytes_bucket' 'bb_size_bytes_bucket{instance="h1",job="batch",le="+Inf"} 7
bb_size_bytes_bucket{instance="h1",job="batch",le="0.5"} 1
bb_size_bytes_bucket{instance="h1",job="batch",le="1"} 3
bb_size_bytes_bucket{instance="h1",job="batch",le="5"} 6' "histogram buckets"
	assert_q "$m" 'bb_size_bytes_sum' 'bb_size_bytes_sum{instance="h1",job="batch"} 17.25' "histogram sum"
	assert_q "$m" 'bb_size_bytes_count' 'bb_size_bytes_count{instance="h1",job="batch"} 7' "histogram count"
	assert_q "$m" 'bb_size_bytes_bucket{le=~"1|1.0"}' 'bb_size_bytes_bucket{instance="h1",job="batch",le="1"} 3' "bucket le=1"
	assert_q "$m" 'histogram_quantile(0.25, bb_size_bytes_bucket)' '{instance="h1",job="batch"} 0.6875' "histogram_quantile over the buckets"
	# base64 group: job and label with '/', and no instance label at all (the gateway's
	# instance="" stops Prometheus from attaching the target's instance under honor_labels)
	assert_q "$m" 'bb_backup_last_success_timestamp_seconds' \
		'bb_backup_last_success_timestamp_seconds{job="nightly/backup",path="/var/lib/db"} 1700000000' "base64 group"
	# The le spelling as stored shows which parser Prometheus used: 2.x keeps the text
	# exposition's "1" but formats protobuf bounds itself as "1.0" (3.x: "1.0" for both).
	_les=$(q "$m" 'bb_size_bytes_bucket' raw | sed -n 's/.*le="\([^"]*\)".*/\1/p' | tr '\n' ' ')
	note "[$m] stored le values: $_les"
	if [ "$PROM_MAJOR" -eq 2 ]; then
		if [ "$m" = proto ]; then
			assert_eq "$_les" '+Inf 0.5 1.0 5.0 ' "[$m] buckets came through Prometheus' protobuf parser"
		else
			assert_eq "$_les" '+Inf 0.5 1 5 ' "[$m] buckets came through Prometheus' text parser"
		fi
	fi

	# push_time_seconds set at push time, push_failure_time_seconds 0, same labels
	_now=$(date +%s)
	assert_q "$m" "(push_time_seconds >= bool $((T0 - 5))) * (push_time_seconds <= bool $((_now + 5)))" \
		'{instance="h1",job="batch"} 1
{instance="h2",job="batch"} 1
{job="nightly/backup",path="/var/lib/db"} 1' "push_time_seconds is the push time"
	assert_q "$m" 'push_failure_time_seconds' 'push_failure_time_seconds{instance="h1",job="batch"} 0
push_failure_time_seconds{instance="h2",job="batch"} 0
push_failure_time_seconds{job="nightly/backup",path="/var/lib/db"} 0' "push_failure_time_seconds"
	# nothing else in the groups: 1 counter + 1 gauge + 4 summary + 6 histogram + 2 times
	assert_q "$m" 'count({job="batch",instance="h1"})' '{} 14' "series of group h1"
	assert_q "$m" 'count({job="batch",instance="h2"})' '{} 4' "series of group h2"

	# metadata (TYPE and HELP) as Prometheus stored it
	assert_eq "$(meta "$m" bb_temperature_celsius)" 'gauge|Temperature of the batch host.' "[$m] gauge metadata"
	assert_eq "$(meta "$m" bb_processed_total | cut -d'|' -f1)" 'counter' "[$m] counter type"
	assert_eq "$(meta "$m" bb_latency_seconds)" 'summary|Job latency.' "[$m] summary metadata"
	assert_eq "$(meta "$m" bb_size_bytes)" 'histogram|Output size.' "[$m] histogram metadata"
	assert_eq "$(meta "$m" bb_backup_last_success_timestamp_seconds)" \
		'gauge|Last successful backup.' "[$m] base64 group metadata"
done

# ---------------------------------------------------------- DELETE -> stale
http DELETE /metrics/job/batch/instance/h2
if is_ours; then
	expect 202 "" "DELETE group h2"
else
	assert_status 202 "DELETE group h2"
fi
T_DEL=$(date +%s)
h2_gone() {
	for _m in $MODES; do
		[ -z "$(q "$_m" '{job="batch",instance="h2"}')" ] || return 1
	done
	return 0
}
if wait_until 200 h2_gone; then
	note "group h2 stale in every instance after $(($(date +%s) - T_DEL)) s"
else
	fail "series of the deleted group h2 still returned by instant queries 20 s after the DELETE"
fi
ok
# Still present (well inside the 5 m look-back): only staleness markers explain the absence.
for m in $MODES; do
	assert_q "$m" '{job="batch",instance="h2"}' "" "deleted group absent"
	assert_q "$m" 'count(last_over_time(bb_temperature_celsius{instance="h2"}[5m]))' '{} 1' \
		"deleted group's samples are still in the TSDB (absence is staleness)"
	assert_q "$m" 'count({job="batch",instance="h1"})' '{} 14' "group h1 untouched by the DELETE"
	assert_q "$m" 'bb_temperature_celsius' 'bb_temperature_celsius{instance="h1",job="batch"} -3.5' "gauge after DELETE"
	assert_q "$m" 'bb_backup_last_success_timestamp_seconds' \
		'bb_backup_last_success_timestamp_seconds{job="nightly/backup",path="/var/lib/db"} 1700000000' "base64 group after DELETE"
	assert_q "$m" "up{job=\"pgw_$m\"}" "up{instance=\"127.0.0.1:$PGW_PORT\",job=\"pgw_$m\"} 1" "target still up"
done

note "total $(($(date +%s) - T0)) s, formats: $MODES"
t_finish
