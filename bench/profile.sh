#!/bin/sh
# profile.sh - instruction counts of one request path, the same on every run (callgrind).
#
#   bench/profile.sh push   [BINARY]   checked PUT of bench/body.txt to a group that has it
#   bench/profile.sh scrape [BINARY]   warm text scrape of /metrics
#   bench/profile.sh gzip   [BINARY]   warm gzip scrape
#   bench/profile.sh proto  [BINARY]   warm protobuf scrape
#   bench/profile.sh api    [BINARY]   cold /api/v1/metrics (every group changed)
#
# The gateway (default build/pushgateway, file backend as in the benchmarks) runs under
# valgrind with collection toggled on the path's handler only. GROUPS groups (default 2000)
# are pushed first; the counters are zeroed; then the measured requests run: one re-push of
# every group (push), five scrapes (scrape, gzip, proto) or one API request (api). Prints the
# instructions per request and the top inclusive entries; the full profile is left in
# $OUT (default /tmp/pgw-profile.<path>.out) for callgrind_annotate.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
path=${1:?usage: bench/profile.sh push|scrape|gzip|proto|api [BINARY]}
bin=${2:-$top/build/pushgateway}
groups=${GROUPS:-2000}
out=${OUT:-/tmp/pgw-profile.$path.out}
case $path in
push) toggle=http_handle_push ;;
scrape | gzip | proto) toggle=http_handle_metrics ;;
api) toggle=http_handle_api_metrics ;;
*)
    echo "profile.sh: unknown path $path (push, scrape, gzip, proto or api)" >&2
    exit 2
    ;;
esac
command -v valgrind >/dev/null || {
    echo "profile.sh: valgrind not found" >&2
    exit 1
}
dir=$(mktemp -d "${TMPDIR:-/tmp}/pgw-profile.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --collect-atstart=no --toggle-collect="$toggle" \
    --callgrind-out-file="$out" "$bin" --web.listen-address="127.0.0.1:$port" \
    --persistence.file="$dir/p" --log.level=error >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' 0 1 2 15
python3 - "$port" "$pid" "$path" "$groups" "$top/bench/body.txt" <<'EOF'
import http.client, subprocess, sys, time, urllib.request
port, pid, path, groups, body = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
body = open(body, "rb").read()
base = "http://127.0.0.1:%d" % port
for _ in range(300):
    try:
        if urllib.request.urlopen(base + "/-/ready", timeout=1).status == 200:
            break
    except Exception:
        time.sleep(0.2)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
headers = {"gzip": {"Accept-Encoding": "gzip"},
           "proto": {"Accept": "application/vnd.google.protobuf;"
                     "proto=io.prometheus.client.MetricFamily;encoding=delimited"}}.get(path, {})
def scrape():
    urllib.request.urlopen(urllib.request.Request(base + "/metrics", headers=headers)).read()
def push_all():
    for i in range(groups):
        c.request("PUT", "/metrics/job/bench/instance/host%d" % i, body,
                  {"Content-Type": "text/plain; version=0.0.4"})
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
push_all()
if path in ("scrape", "gzip", "proto"):
    scrape()  # fill the caches
if path == "api":
    urllib.request.urlopen(base + "/api/v1/metrics").read()
    push_all()  # every group changed: the next answer renders them all
subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=True)
if path == "push":
    push_all()
elif path in ("scrape", "gzip", "proto"):
    for _ in range(5):
        scrape()
else:
    urllib.request.urlopen(base + "/api/v1/metrics").read()
EOF
kill $pid
wait $pid 2>/dev/null || true
rm -rf "$dir"
trap - 0 1 2 15
case $path in
push) n=$groups ;;
scrape | gzip | proto) n=5 ;;
api) n=1 ;;
esac
total=$(callgrind_annotate "$out" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
echo "$path: $((total / n)) instructions per request ($total over $n, $groups groups)"
callgrind_annotate --inclusive=yes "$out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' |
    grep -v -E 'PROGRAM TOTALS|libc-start|below main|event_base|bufferevent_run|router_serve|http_gen_cb|\?\?\?:main |0x0000' |
    head -25
