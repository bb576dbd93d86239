#!/bin/sh
# t_limits.sh - the limit flags (ours, docs/configuration.md "Limits"): their checks at
# start-up, the status and reason each answers when hit, that a refused push changes
# nothing, the pushgateway_limit_* metrics, the connection cap, the read and idle timeouts,
# and accepting again after the descriptors ran out (no busy loop on EMFILE).
. "$(dirname "$0")/lib.sh"

# stop_clean: SIGTERM; the gateway must exit 0 (sanitizer builds fail it on a leak or error).
stop_clean() {
	pgw_stop
	assert_eq "$PGW_EXIT" 0 "graceful exit"
}

is_upstream && skip_all "the limit flags are ours"

# ------------------------------------------------------------ flag values and start-up checks
bad_flag() {
	"$PGW_BIN" "--web.listen-address=127.0.0.1:0" "$1" >"$T_TMP/out" 2>"$T_TMP/err"
	assert_eq "$?" 2 "$1: exit status"
	assert_contains "$(cat "$T_TMP/err")" "$2" "$1: message"
}
bad_flag --web.read-timeout=0s "pushgateway: --web.read-timeout: must be at least 1s"
bad_flag --web.idle-timeout=500ms "pushgateway: --web.idle-timeout: must be at least 1s"
bad_flag --web.max-header-size=100 "--web.max-header-size: must be between 1KiB and 1GiB"
bad_flag --push.max-body-size=0 "--push.max-body-size: must be between 1 byte and 1024GiB"
bad_flag --push.max-body-size=10XB "--push.max-body-size: invalid size \"10XB\""
bad_flag --push.max-groups=-1 "--push.max-groups: invalid number \"-1\""
bad_flag --web.max-connections=many "--web.max-connections: invalid number \"many\""
"$PGW_BIN" -n --push.max-body-size=2GiB --web.max-header-size=64k --push.max-series=1000000 \
	>"$T_TMP/out" 2>&1
assert_eq "$?" 0 "units and big values are fine"
"$PGW_BIN" --help >"$T_TMP/help" 2>&1
for f in --push.max-body-size=64MiB --web.max-header-size=1MiB --web.max-connections=1024 \
	--web.read-timeout=60s --web.idle-timeout=60s --push.max-groups=0 --push.max-series=0 \
	--push.max-series-per-group=0; do
	assert_contains "$(cat "$T_TMP/help")" "$f" "--help shows the default $f"
done

# ------------------------------------------------------------ sizes and caps
pgw_start --push.max-body-size=4KiB --web.max-header-size=4KiB --push.max-groups=3 \
	--push.max-series=6 --push.max-series-per-group=4

http GET /api/v1/status
assert_not_contains "$HTTP_BODY" "max-" "our limit flags stay out of the status flags map"

metric_value() { awk -v k="$1" '$1 == k { print $2 }' "$T_TMP/scrape"; }
metrics_raw
assert_eq "$(metric_value 'pushgateway_limit_max{limit="body_bytes"}')" 4096 "limit_max body"
assert_eq "$(metric_value 'pushgateway_limit_max{limit="header_bytes"}')" 4096 "limit_max headers"
assert_eq "$(metric_value 'pushgateway_limit_max{limit="groups"}')" 3 "limit_max groups"
assert_eq "$(metric_value 'pushgateway_limit_max{limit="series"}')" 6 "limit_max series"
assert_eq "$(metric_value 'pushgateway_limit_max{limit="series_per_group"}')" 4 "limit_max per group"
assert_eq "$(metric_value 'pushgateway_limit_max{limit="connections"}')" 1024 "limit_max connections"
assert_eq "$(metric_value 'pushgateway_limit_max{limit="read_timeout_seconds"}')" 60 "limit_max read"
assert_eq "$(metric_value 'pushgateway_limit_current{limit="groups"}')" 0 "no groups yet"

# Body size: as sent (libevent answers) and after gzip decoding (we answer).
awk 'BEGIN { for (i = 0; i < 500; i++) printf "# padding padding\n"; print "b 1" }' >"$T_TMP/big"
http PUT /metrics/job/size --data-binary "@$T_TMP/big"
assert_status 413 "a body over --push.max-body-size"
awk 'BEGIN { for (i = 0; i < 200; i++) printf "# padding padding\n"; print "b 1" }' >"$T_TMP/small"
http PUT /metrics/job/size --data-binary "@$T_TMP/small"
assert_status 200 "a body under the limit"
gzip -c "$T_TMP/big" >"$T_TMP/big.gz"
http PUT /metrics/job/size -H 'Content-Encoding: gzip' --data-binary "@$T_TMP/big.gz"
assert_plain_error 413 "request body exceeds the limit of 4096 bytes after gzip decoding (--push.max-body-size)
" "a gzip body that decodes past the limit"
gzip -c "$T_TMP/small" >"$T_TMP/small.gz"
http PUT /metrics/job/size -H 'Content-Encoding: gzip' --data-binary "@$T_TMP/small.gz"
assert_status 200 "a gzip body that decodes under the limit"
http DELETE /metrics/job/size
assert_status 202 "clean-up"

# Header size.
http GET /-/healthy -H "X-Big: $(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "a" }')"
assert_status 400 "headers over --web.max-header-size"
http GET /-/healthy -H "X-Big: $(awk 'BEGIN { for (i = 0; i < 3000; i++) printf "a" }')"
assert_status 200 "headers under the limit"

# Caps: series per group, groups, series; a refused push changes nothing.
push_ok PUT /metrics/job/a 'm{x="1"} 1
m{x="2"} 1
'
snap caps1
push PUT /metrics/job/a 'm{x="1"} 1
m{x="2"} 1
m{x="3"} 1
m{x="4"} 1
m{x="5"} 1
'
assert_plain_error 409 "limit exceeded: the group would hold 5 series, more than --push.max-series-per-group=4
" "PUT over the per-group cap"
push POST /metrics/job/a 'n{x="1"} 1
n{x="2"} 1
n{x="3"} 1
'
assert_plain_error 409 "limit exceeded: the group would hold 5 series, more than --push.max-series-per-group=4
" "POST adding past the per-group cap"
assert_unchanged caps1 "refused pushes change nothing, not even the failure time"
push_ok POST /metrics/job/a 'n 1
'
push_ok PUT /metrics/job/b 'm 1
'
push PUT /metrics/job/c 'm{x="1"} 1
m{x="2"} 1
m{x="3"} 1
'
assert_plain_error 409 "limit exceeded: the gateway would hold 7 series, more than --push.max-series=6
" "a push over the total cap"
push_ok PUT /metrics/job/c 'm 1
'
snap caps2
push PUT /metrics/job/d 'm 1
'
assert_plain_error 409 "limit exceeded: the push would create group number 4, more than --push.max-groups=3
" "a push creating a group over the cap"
# A push that would fail anyway (a timestamp) is refused by the cap first: no failure time
# is recorded in a new group beyond the cap.
push PUT /metrics/job/d 'm 1 1000
'
assert_status 409 "a push with a timestamp for a new group at the group cap"
push PUT /metrics/job/d 'bad line
'
assert_status 400 "a failed push (syntax)"
assert_unchanged caps2 "no group created by refused or failed pushes"
# Pushes that do not grow the store still work at every cap; deletes make room.
push_ok PUT /metrics/job/c 'o 2
'
http DELETE /metrics/job/c
assert_status 202 "delete"
push_ok PUT /metrics/job/d 'm 1
'
metrics_raw
assert_eq "$(metric_value 'pushgateway_limit_current{limit="groups"}')" 3 "current groups"
assert_eq "$(metric_value 'pushgateway_limit_current{limit="series"}')" 5 "current series"
assert_eq "$(metric_value 'pushgateway_limit_current{limit="series_per_group"}')" 3 "largest group"
assert_eq "$(metric_value 'pushgateway_limit_hits_total{limit="series_per_group"}')" 2 "per-group hits"
assert_eq "$(metric_value 'pushgateway_limit_hits_total{limit="series"}')" 1 "series hits"
assert_eq "$(metric_value 'pushgateway_limit_hits_total{limit="groups"}')" 2 "group hits"
assert_eq "$(metric_value 'pushgateway_limit_hits_total{limit="body_bytes"}')" 1 "gzip body hits"
stop_clean

# ------------------------------------------------------------ connections and timeouts
pgw_start --web.max-connections=4 --web.read-timeout=2s --web.idle-timeout=3s
"$PY" - "$PGW_PORT" >"$T_TMP/conn.out" 2>&1 <<'PYEOF'
import socket, sys, time
port = int(sys.argv[1])
def conn(t=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=t)
    return s
def get(s, path="/-/healthy", close=False):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path.encode(), b"Connection: close\r\n" if close else b""))
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(4096)
        if not d:
            return "closed"
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < n:
        body += s.recv(4096)
    return head.split(b" ")[1].decode() + " " + body.decode().strip()
# The cap: four idle connections held, the fifth gets 503 and is closed.
held = [conn() for _ in range(4)]
time.sleep(0.3)
s = conn()
s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
print("over cap:", data.replace(b"\r\n", b"|").decode())
# One held connection closes: a new one is served at once.
held.pop().close()
time.sleep(0.2)
t0 = time.time()
print("after a close:", get(conn(), close=True), "in %.1fs" % (time.time() - t0) if time.time() - t0 < 1.5 else "slow")
for h in held:
    h.close()
time.sleep(0.3)
# Keep-alive: idle longer than the read timeout but shorter than the idle timeout is fine.
k = conn()
print("keep-alive 1:", get(k))
time.sleep(2.5)
print("keep-alive 2 after 2.5s:", get(k))
time.sleep(4)
try:
    print("keep-alive 3 after 4s:", get(k))
except OSError as e:
    print("keep-alive 3 after 4s: closed")
# Slowloris: headers trickled; 408 and closed about 2 s after the first byte.
s = conn(0.2)
s.sendall(b"G")
t0 = time.time()
reply = b""
while time.time() - t0 < 10:
    try:
        s.sendall(b"E")
        r = s.recv(4096)
        if r:
            reply = r
            while True:
                r = s.recv(4096)
                if not r:
                    break
                reply += r
        break
    except socket.timeout:
        time.sleep(0.3)
    except OSError:
        break
print("slowloris: %s after %.0fs" % (reply.split(b"\r\n")[0].decode(), time.time() - t0))
print("slowloris body:", reply.partition(b"\r\n\r\n")[2].decode().strip())
PYEOF
_out=$(cat "$T_TMP/conn.out")
assert_has_line "$_out" "over cap: HTTP/1.1 503 Service Unavailable|Content-Type: text/plain; charset=utf-8|X-Content-Type-Options: nosniff|Connection: close|Content-Length: 26||too many open connections
" "the connection over the cap"
assert_match "$_out" '^after a close: 200 OK in [01]\.[0-9]s$' "served again once a connection closed"
assert_has_line "$_out" "keep-alive 1: 200 OK" "keep-alive request"
assert_has_line "$_out" "keep-alive 2 after 2.5s: 200 OK" "a kept-alive connection idle past the read timeout"
assert_has_line "$_out" "keep-alive 3 after 4s: closed" "a kept-alive connection idle past the idle timeout"
assert_match "$_out" '^slowloris: HTTP/1.1 408 Request Timeout after [23]s$' "slowloris"
assert_has_line "$_out" "slowloris body: request not received within read timeout" "408 reason"
metrics_raw
assert_eq "$(metric_value 'pushgateway_limit_hits_total{limit="connections"}')" 1 "connection hits"
assert_eq "$(metric_value 'pushgateway_limit_hits_total{limit="read_timeout"}')" 1 "read timeout hits"
assert_eq "$(metric_value 'pushgateway_limit_current{limit="connections"}')" 1 "this scrape is the only connection"
stop_clean

# ------------------------------------------------------------ out of file descriptors
# With a descriptor limit far below the connection cap, accept() fails with EMFILE. The
# gateway must pause accepting instead of spinning, and serve again once descriptors free.
"$PY" - "$PGW_BIN" "$T_TMP" >"$T_TMP/emfile.out" 2>&1 <<'PYEOF'
import os, resource, socket, subprocess, sys, time
binary, tmp = sys.argv[1], sys.argv[2]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
def limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))
log = open(os.path.join(tmp, "emfile.log"), "w")
p = subprocess.Popen([binary, "--web.listen-address=127.0.0.1:%d" % port, "--persistence.file="],
                     stdout=log, stderr=log, preexec_fn=limit)
def cpu():
    f = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
def healthy():
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return c.recv(100).split(b"\r\n")[0].decode()
    except OSError as e:
        return "error %s" % e
for _ in range(50):
    if healthy().startswith("HTTP/1.1 200"):
        break
    time.sleep(0.1)
held = []
for _ in range(80):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        break
time.sleep(0.5)
c0 = cpu(); time.sleep(2); c1 = cpu()
print("cpu ticks while out of descriptors:", c1 - c0)
for h in held:
    h.close()
time.sleep(0.5)
print("after closing:", healthy())
p.terminate(); p.wait()
print("exit:", p.returncode)
PYEOF
_out=$(cat "$T_TMP/emfile.out")
_ticks=$(printf '%s\n' "$_out" | sed -n 's/^cpu ticks while out of descriptors: //p')
assert_true "no busy loop on EMFILE (${_ticks:-?} CPU ticks in 2 s)" [ "${_ticks:-999}" -lt 40 ]
assert_has_line "$_out" "after closing: HTTP/1.1 200 OK" "serving again once descriptors free"
assert_has_line "$_out" "exit: 0" "graceful exit"
assert_contains "$(cat "$T_TMP/emfile.log")" "accept failed; not accepting connections for a moment" "EMFILE logged"
assert_contains "$(cat "$T_TMP/emfile.log")" "the open file limit is below --web.max-connections" "low limit warned about at start-up"

t_finish
