#!/usr/bin/env python3
"""hostile.py - send one hostile request to the gateway and report what came back.

    python3 hostile.py PORT CASE

Prints one line: "<status> <body...>" for the first response, "closed" when the connection
ended (or nothing came within the case's time) without a response, and for pipelined
requests " +<n>" with the number of further responses.
Only 127.0.0.1 is ever contacted; every case is bounded in time and bytes.
"""
import gzip
import select
import socket
import sys
import time

PORT = int(sys.argv[1])
CASE = sys.argv[2]


def connect(timeout=5.0):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_all(s, limit=1 << 22, deadline=10.0):
    """Everything the server sends until it closes, the limit, or the deadline."""
    data = b""
    end = time.time() + deadline
    while len(data) < limit and time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def responses(data):
    """Split a byte stream into (status, body) pairs using Content-Length."""
    out = []
    while data.startswith(b"HTTP/"):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            out.append((head.split(b" ")[1].decode(), b""))
            break
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ")[1].decode()
        clen = 0
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                clen = int(v.strip())
        out.append((status, rest[:clen]))
        data = rest[clen:]
    return out


def send_and_report(payload, deadline=10.0, shut_wr=False, chunks=None, pause=0.0):
    s = connect()
    try:
        if chunks is None:
            s.sendall(payload)
        else:
            for c in chunks:
                s.sendall(c)
                if pause:
                    time.sleep(pause)
        if shut_wr:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server may refuse and close while we are still sending
    data = read_all(s, deadline=deadline)
    s.close()
    report(data)


def report(data):
    rs = responses(data)
    if not rs:
        print("closed")
        return
    status, body = rs[0]
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")[:120]
    extra = " +%d" % (len(rs) - 1) if len(rs) > 1 else ""
    print("%s %s%s" % (status, text, extra))


def req(method, path, body=b"", headers=()):
    h = [b"%s %s HTTP/1.1" % (method, path), b"Host: 127.0.0.1", b"Connection: close"]
    h += list(headers)
    if body is not None and b"Transfer-Encoding" not in b" ".join(headers):
        h.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(h) + b"\r\n\r\n" + (body or b"")


def infinite_chunked():
    """Chunks until the server answers or closes; at most 64 MiB are sent."""
    s = connect()
    s.sendall(b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"a 1\n" * (0x100000 // 4) + b"\r\n"
    sent = 0
    try:
        while sent < 64 << 20:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    report(read_all(s, deadline=5))
    s.close()


def slowloris():
    """Headers trickled one byte every 0.3 s; report what came back and after how long."""
    s = connect(timeout=0.3)
    t0 = time.time()
    line = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    data = b""
    for b in line:
        try:
            s.send(bytes([b]))
            data = s.recv(4096)
            break
        except socket.timeout:
            pass
        except OSError:
            break
        if time.time() - t0 > 20:
            break
    data += read_all(s, deadline=2)
    s.close()
    rs = responses(data)
    print("%s after %.0fs" % (rs[0][0] if rs else "closed", time.time() - t0))


def slow_body():
    """A body trickled a byte every 0.3 s: the read timeout covers the body too."""
    s = connect(timeout=0.3)
    t0 = time.time()
    s.sendall(b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
    data = b""
    for _ in range(1000):
        try:
            s.send(b"#")
            data = s.recv(4096)
            break
        except socket.timeout:
            pass
        except OSError:
            break
        if time.time() - t0 > 20:
            break
    data += read_all(s, deadline=2)
    s.close()
    rs = responses(data)
    print("%s after %.0fs" % (rs[0][0] if rs else "closed", time.time() - t0))


def half_closed_partial():
    """Half a request, then the write side closed: the gateway must just drop it."""
    send_and_report(b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nm 1\n",
                    shut_wr=True, deadline=5)


def flood():
    """Twice --web.max-connections idle connections (argument 3): the ones over the cap get
    503 and are closed, the others stay open. Prints "503=<n> open=<n>" (and other counts)."""
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    socks, codes = [], {}
    for _ in range(2 * n):
        try:
            socks.append(connect(timeout=2))
        except OSError:
            codes["refused"] = codes.get("refused", 0) + 1
    time.sleep(1.0)
    ready, _, _ = select.select(socks, [], [], 0)
    for s in socks:
        if s in ready:
            rs = responses(read_all(s, deadline=1))
            key = rs[0][0] if rs else "closed"
        else:
            key = "open"
        codes[key] = codes.get(key, 0) + 1
    for s in socks:
        s.close()
    print(" ".join("%s=%d" % kv for kv in sorted(codes.items())))


N = 100000
series = b"".join(b'm{i="%d"} %d\n' % (i, i) for i in range(N))
bomb = gzip.compress(b"\n" * (64 << 20), 9)  # 64 MiB of newlines in about 64 KiB

CASES = {
    # headers
    "huge_header": lambda: send_and_report(req(b"GET", b"/-/healthy", None,
                                               [b"X-Big: " + b"a" * (100 << 10)])),
    "many_headers": lambda: send_and_report(req(b"GET", b"/-/healthy", None,
                                                [b"X-H%d: v" % i for i in range(20000)])),
    "huge_request_line": lambda: send_and_report(req(b"GET", b"/" + b"a" * (100 << 10), None)),
    "header_nul": lambda: send_and_report(req(b"GET", b"/-/healthy", None, [b"X-A: a\x00b"])),
    "header_bad_utf8": lambda: send_and_report(req(b"GET", b"/-/healthy", None,
                                                   [b"X-A: \xff\xfe\xc0\xaf"])),
    "header_no_colon": lambda: send_and_report(req(b"GET", b"/-/healthy", None, [b"garbage"])),
    "header_folded": lambda: send_and_report(req(b"GET", b"/-/healthy", None,
                                                 [b"X-A: a", b" folded"])),
    # bodies
    "huge_content_length": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n"
        + b"a 1\n" * 1024),
    "huge_body": lambda: send_and_report(req(b"PUT", b"/metrics/job/h", b"a 1\n" * (3 << 20))),
    "expect_continue_too_big": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Content-Length: 104857600\r\n\r\n"),
    "huge_chunked": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + (b"100000\r\n" + b"a 1\n" * (0x100000 // 4) + b"\r\n") * 10 + b"0\r\n\r\n"),
    "infinite_chunked": infinite_chunked,
    "chunk_size_overflow": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"fffffffffffffffffffffff\r\na 1\n\r\n0\r\n\r\n"),
    "chunk_size_garbage": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\na 1\n\r\n0\r\n\r\n"),
    "negative_content_length": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\na 1\n"),
    "bad_content_length": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nContent-Length: 4x\r\n\r\na 1\n"),
    "smuggle_cl_te": lambda: send_and_report(
        b"PUT /metrics/job/h HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        b"DELETE /metrics/job/keep HTTP/1.1\r\nHost: x\r\n\r\n", deadline=3),
    "gzip_bomb": lambda: send_and_report(req(b"PUT", b"/metrics/job/h", bomb,
                                             [b"Content-Encoding: gzip"])),
    "gzip_truncated": lambda: send_and_report(req(b"PUT", b"/metrics/job/h",
                                                  gzip.compress(b"a 1\n")[:-6],
                                                  [b"Content-Encoding: gzip"])),
    "gzip_trailing_garbage": lambda: send_and_report(req(b"PUT", b"/metrics/job/h",
                                                         gzip.compress(b"a 1\n") + b"junk",
                                                         [b"Content-Encoding: gzip"])),
    "gzip_not_gzip": lambda: send_and_report(req(b"PUT", b"/metrics/job/h", b"a 1\n",
                                                 [b"Content-Encoding: gzip"])),
    # invalid UTF-8 and NUL bytes everywhere
    "utf8_label_value": lambda: send_and_report(req(b"PUT", b"/metrics/job/h",
                                                    b'a{l="\xff\xfe"} 1\n')),
    "utf8_metric_name": lambda: send_and_report(req(b"PUT", b"/metrics/job/h", b"a\xff 1\n")),
    "utf8_help": lambda: send_and_report(req(b"PUT", b"/metrics/job/accepted",
                                             b"# HELP a \xc0\xaf\na 1\n")),
    "utf8_path": lambda: send_and_report(req(b"PUT", b"/metrics/job/h%FF", b"a 1\n")),
    "utf8_path_raw": lambda: send_and_report(req(b"PUT", b"/metrics/job/h\xff", b"a 1\n")),
    "utf8_base64_label": lambda: send_and_report(req(b"PUT", b"/metrics/job/h/l@base64/__4",
                                                     b"a 1\n")),
    "nul_body": lambda: send_and_report(req(b"PUT", b"/metrics/job/h", b'a{l="x\x00y"} 1\n')),
    "nul_body_name": lambda: send_and_report(req(b"PUT", b"/metrics/job/h", b"a\x00b 1\n")),
    "nul_path": lambda: send_and_report(req(b"PUT", b"/metrics/job/h%00x", b"a 1\n")),
    "nul_request_line": lambda: send_and_report(req(b"PUT", b"/metrics/job/h\x00x", b"a 1\n")),
    "nul_protobuf": lambda: send_and_report(req(
        b"PUT", b"/metrics/job/h", b"\x07\x0a\x05a\x00b\x18\x01",
        [b"Content-Type: application/vnd.google.protobuf; "
         b"proto=io.prometheus.client.MetricFamily; encoding=delimited"])),
    "protobuf_garbage": lambda: send_and_report(req(
        b"PUT", b"/metrics/job/h", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01garbage",
        [b"Content-Type: application/vnd.google.protobuf; "
         b"proto=io.prometheus.client.MetricFamily; encoding=delimited"])),
    # deeply repeated labels
    "repeated_labels": lambda: send_and_report(req(b"PUT", b"/metrics/job/h",
                                                   b"a{" + b'l="1",' * 20000 + b"} 1\n")),
    "repeated_url_labels": lambda: send_and_report(req(b"PUT",
                                                       b"/metrics/job/accepted" + b"/l/1" * 2000,
                                                       b"a 1\n")),
    "many_distinct_labels": lambda: send_and_report(req(
        b"PUT", b"/metrics/job/accepted",
        b"a{" + b",".join(b'l%d="%d"' % (i, i) for i in range(20000)) + b"} 1\n")),
    "duplicate_series": lambda: send_and_report(req(b"PUT", b"/metrics/job/h",
                                                    b"a 1\n" * 50000)),
    # huge pushes
    # PUT of 100k series to the group named by argument 3
    "series_100k": lambda: send_and_report(req(b"PUT", b"/metrics/job/" + sys.argv[3].encode(),
                                               series), deadline=30),
    # protocol garbage
    "pipelined_garbage": lambda: send_and_report(
        b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01\x02garbage\xff\r\n\r\n"),
    "pipelined_100": lambda: send_and_report(
        b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n" * 99
        + b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    "binary_noise": lambda: send_and_report(bytes(range(256)) * 64),
    "empty_lines": lambda: send_and_report(b"\r\n" * 1000),
    "http09": lambda: send_and_report(b"GET /-/healthy\r\n\r\n"),
    "http2_preface": lambda: send_and_report(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    "bad_version": lambda: send_and_report(b"GET /-/healthy HTTP/9.9\r\nHost: x\r\n\r\n"),
    "unknown_method": lambda: send_and_report(req(b"BREW", b"/metrics", None)),
    "tls_on_plain_port": lambda: send_and_report(
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 160),
    # connections
    "half_closed_after_request": lambda: send_and_report(
        b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", shut_wr=True),
    "half_closed_partial": half_closed_partial,
    "slowloris": slowloris,
    "slow_body": slow_body,
    "flood": flood,
}

CASES[CASE]()
