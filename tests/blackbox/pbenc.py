#!/usr/bin/env python3
"""Tiny encoder for length-delimited io.prometheus.client.MetricFamily messages.

Usage: pbenc.py OUTFILE SPEC
SPEC is a Python literal: a list of families, each a dict with the optional
keys name, help, type (int enum: 0 COUNTER, 1 GAUGE, 2 SUMMARY, 3 UNTYPED,
4 HISTOGRAM, 5 GAUGE_HISTOGRAM) and metrics (list of dicts with the optional
keys labels [(name, value), ...], counter, gauge, untyped (float values),
summary {"count", "sum", "quantiles": [(q, v)]},
histogram {"count", "sum", "buckets": [(upper_bound, cumulative_count)]},
timestamp_ms).  A family given as the string "TRUNC:n" truncates the output
written so far by n bytes.  Only the standard library is used.
"""
import ast
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint((field << 3) | wire)


def ld(field, payload):
    return key(field, 2) + varint(len(payload)) + payload


def s(field, text):
    return ld(field, text.encode("utf-8") if isinstance(text, str) else text)


def dbl(field, v):
    return key(field, 1) + struct.pack("<d", float(v))


def u64(field, v):
    return key(field, 0) + varint(int(v))


def metric(m):
    out = b""
    for n, v in m.get("labels", []):
        out += ld(1, s(1, n) + s(2, v))
    if "gauge" in m:
        out += ld(2, dbl(1, m["gauge"]))
    if "counter" in m:
        out += ld(3, dbl(1, m["counter"]))
    if "summary" in m:
        sm = m["summary"]
        body = u64(1, sm.get("count", 0)) + dbl(2, sm.get("sum", 0))
        for q, v in sm.get("quantiles", []):
            body += ld(3, dbl(1, q) + dbl(2, v))
        out += ld(4, body)
    if "untyped" in m:
        out += ld(5, dbl(1, m["untyped"]))
    if "histogram" in m:
        h = m["histogram"]
        body = u64(1, h.get("count", 0)) + dbl(2, h.get("sum", 0))
        for ub, c in h.get("buckets", []):
            body += ld(3, u64(1, c) + dbl(2, ub))
        out += ld(7, body)
    if "timestamp_ms" in m:
        out += u64(6, m["timestamp_ms"])
    return out


def family(f):
    out = b""
    if "name" in f:
        out += s(1, f["name"])
    if "help" in f:
        out += s(2, f["help"])
    if "type" in f:
        out += u64(3, f["type"])
    for m in f.get("metrics", []):
        out += ld(4, metric(m))
    return out


def main():
    spec = ast.literal_eval(sys.argv[2])
    data = b""
    for f in spec:
        if isinstance(f, str) and f.startswith("TRUNC:"):
            data = data[: len(data) - int(f[6:])]
            continue
        msg = family(f)
        data += varint(len(msg)) + msg
    with open(sys.argv[1], "wb") as fh:
        fh.write(data)


if __name__ == "__main__":
    main()
