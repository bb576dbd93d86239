#!/bin/sh
# t_streaming.sh - large /api/v1/metrics and gzip /metrics answers are sent in chunks as the
# client takes them (ours; docs/performance.md "Event-loop discipline"): a client that does
# not read does not hold up pushes and scrapes; the body is the store as it was when the
# request arrived; a client that goes away mid-answer costs nothing; small answers, HEAD and
# HTTP/1.0 keep a plain body (with a Content-Length, or until the connection closes).
. "$(dirname "$0")/lib.sh"

is_upstream && skip_all "chunked streaming of large answers is ours (upstream chunks by accident of net/http)"

pgw_start

# ------------------------------------------------------------ small answers: one piece
push_ok PUT /metrics/job/small/instance/a "# TYPE s gauge
s 1
"
http GET /api/v1/metrics
assert_status 200 "small API answer"
assert_true "a small API answer has a Content-Length" [ -n "$(hdr Content-Length)" ]
assert_eq "$(hdr Transfer-Encoding)" "" "a small API answer is not chunked"
http GET /metrics -H "Accept-Encoding: gzip"
assert_true "a small gzip scrape has a Content-Length" [ -n "$(hdr Content-Length)" ]
gzip -t "$HTTP_BODY_FILE" 2>/dev/null
assert_eq "$?" 0 "a small gzip scrape is one valid gzip member"

# ------------------------------------------------------------ a large store
"$PY" - "$PGW_PORT" 4000 <<'EOF' || die "loading the store failed"
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
body = "".join("# TYPE big_%d gauge\nbig_%d{stage=\"load\",host=\"h%%d\"} %%d\n" % (k, k) for k in range(20))
for i in range(n):
    c.request("PUT", "/metrics/job/stream/instance/i%d" % i, (body % ((i, i) * 20)).encode())
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
EOF
http GET /api/v1/metrics
assert_status 200 "large API answer"
assert_eq "$(hdr Transfer-Encoding)" "chunked" "a large API answer is chunked"
assert_date "a large (streamed) API answer"

# The client side: a socket with a small receive buffer that reads the headers, stalls
# while the test pushes and scrapes through other connections, then reads the rest.
# Prints one result per line; the shell asserts them.
"$PY" - "$PGW_PORT" >"$T_TMP/stream.out" 2>"$T_TMP/stream.err" <<'EOF'
import gzip, json, socket, sys, time, urllib.request
port = int(sys.argv[1])
base = "http://127.0.0.1:%d" % port

def stalled_get(path, headers=""):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, headers)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    return s, head.decode("latin-1")

def read_chunked(s, first=b""):
    data, out = first, b""
    def need(n):
        nonlocal data
        while len(data) < n:
            more = s.recv(65536)
            if not more:
                raise EOFError("connection closed inside the chunked body")
            data += more
    while True:
        while b"\r\n" not in data:
            need(len(data) + 1)
        line, data = data.split(b"\r\n", 1)
        size = int(line, 16)
        need(size + 2)
        out, data = out + data[:size], data[size + 2:]
        if size == 0:
            return out

def do(method, path, body=None, headers={}):
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()

for name, path, hdrs in (("api", "/api/v1/metrics", ""),
                         ("gzip", "/metrics", "Accept-Encoding: gzip\r\n")):
    s, head = stalled_get(path, hdrs)
    print(name, "chunked", "transfer-encoding: chunked" in head.lower())
    print(name, "no-length", "content-length" not in head.lower())
    # While this client reads nothing, the gateway serves others.
    t0 = time.time()
    st, _ = do("PUT", "/metrics/job/stream/instance/during-" + name, b"during_stream 1\n")
    print(name, "push-during", st)
    st, _ = do("DELETE", "/metrics/job/stream/instance/i0")
    print(name, "delete-during", st)
    st, body = do("GET", "/metrics")
    print(name, "scrape-during", st, b"during_stream" in body)
    print(name, "served-while-stalled", time.time() - t0 < 10)
    body = read_chunked(s)
    s.close()
    if name == "api":
        doc = json.loads(body)
        keys = [g["labels"]["instance"] for g in doc["data"]]
        # The answer is the store at the request: i0 still there, no group pushed after.
        print(name, "groups", len(keys))
        print(name, "snapshot", "i0" in keys and not any(k.startswith("during") for k in keys))
    else:
        text = gzip.decompress(body).decode()
        print(name, "series", text.count('big_7{'))
        print(name, "snapshot", 'instance="i0"' in text and 'instance="during-gzip"' not in text)
    # Put i0 back for the next round.
    do("PUT", "/metrics/job/stream/instance/i0", b"# TYPE big_7 gauge\nbig_7{stage=\"load\",host=\"h0\"} 0\n")

# Clients that leave mid-answer: the gateway frees what their answers held and goes on.
for i in range(20):
    path, hdrs = (("/api/v1/metrics", "") if i % 2 else ("/metrics", "Accept-Encoding: gzip\r\n"))
    s, head = stalled_get(path, hdrs)
    s.recv(1000)
    s.close()
st, body = do("GET", "/-/healthy")
print("left", "healthy", st)
st, body = do("GET", "/api/v1/metrics")
print("left", "groups", len(json.loads(body)["data"]))

# HTTP/1.0: no chunked encoding, the body ends with the connection.
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(b"GET /api/v1/metrics HTTP/1.0\r\n\r\n")
raw = b""
while True:
    more = s.recv(65536)
    if not more:
        break
    raw += more
head, body = raw.split(b"\r\n\r\n", 1)
print("http10", "chunked", b"chunked" in head.lower())
print("http10", "groups", len(json.loads(body)["data"]))
EOF
assert_eq "$?" 0 "stream client ran ($(cat "$T_TMP/stream.err"))"
res() { sed -n "s/^$1 $2 //p" "$T_TMP/stream.out"; }
for n in api gzip; do
	assert_eq "$(res $n chunked)" True "$n: a large answer is chunked"
	assert_eq "$(res $n no-length)" True "$n: a large answer has no Content-Length"
	assert_eq "$(res $n push-during)" 200 "$n: a push is served while the answer waits"
	assert_eq "$(res $n delete-during)" 202 "$n: a delete is served while the answer waits"
	assert_eq "$(res $n scrape-during)" "200 True" "$n: a scrape is served (and sees the push)"
	assert_eq "$(res $n served-while-stalled)" True "$n: others were served within 10 s"
	assert_eq "$(res $n snapshot)" True "$n: the answer is the store as it was at the request"
done
assert_eq "$(res api groups)" 4001 "api: every group of the snapshot (4000 + the small one)"
assert_eq "$(res gzip series)" 4000 "gzip: every series of the snapshot"
assert_eq "$(res left healthy)" 200 "healthy after 20 clients left mid-answer"
assert_eq "$(res left groups)" 4003 "the store is intact after they left"
assert_eq "$(res http10 chunked)" False "HTTP/1.0: not chunked"
assert_eq "$(res http10 groups)" 4003 "HTTP/1.0: the whole body until the connection closes"

# HEAD of a large answer: the length of the body it would send, no body.
http GET /api/v1/metrics
assert_eq "$(wc -c <"$HTTP_BODY_FILE" | tr -d ' ')" "$(
	curl -s -I "$PGW_URL/api/v1/metrics" | tr -d '\r' | sed -n 's/^Content-Length: //p'
)" "HEAD announces the length GET sends"

pgw_stop
assert_eq "$PGW_EXIT" 0 "graceful exit (sanitizer builds fail it on a leak)"
t_finish
