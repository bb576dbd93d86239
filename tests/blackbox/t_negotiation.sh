#!/bin/sh
# t_negotiation.sh - GET /metrics content negotiation (§7.3): Accept picks text 0.0.4 or
# delimited protobuf, the escaping parameter picks how names that are not legacy-valid are
# written (underscores by default, allow-utf-8, dots, values), gzip applies on top of either
# format; and metric-name validation of protobuf pushes (our deliberate choice, see
# docs/compatibility.md).
. "$(dirname "$0")/lib.sh"

PROTO_ACCEPT='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
PROTO_CT='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'
TEXT_CT='text/plain; version=0.0.4; charset=utf-8'

# pb_names FILE: the family names of a delimited MetricFamily stream, one per line.
pb_names() {
	"$PY" - "$1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << s; s += 7
        if c < 0x80:
            return v, i
i = 0
while i < len(data):
    n, i = varint(data, i)
    msg, i = data[i:i + n], i + n
    j = 0
    while j < len(msg):
        key, j = varint(msg, j)
        wt = key & 7
        if wt == 0:
            _, j = varint(msg, j)
        elif wt == 1:
            j += 8
        elif wt == 5:
            j += 4
        else:
            ln, j = varint(msg, j)
            if key >> 3 == 1:
                print(msg[j:j + ln].decode("utf-8", "replace"))
            j += ln
EOF
}

if is_ours; then
	pgw_start --push.enable-utf8-names
else
	pgw_start
fi
push_ok PUT /metrics/job/n '# TYPE plain_metric gauge
plain_metric 1
'

# ------------------------------------------------------------- format choice
http GET /metrics
assert_status 200 "default scrape"
if is_ours; then
	assert_header Content-Type "$TEXT_CT; escaping=underscores" "no Accept: text"
else
	assert_header Content-Type "$TEXT_CT" "no Accept: text (U1)"
fi
assert_has_line "$HTTP_BODY" 'plain_metric{instance="",job="n"} 1' "text body"

for accept in "application/openmetrics-text; version=1.0.0" "text/plain;version=0.0.5" \
	"application/json" "*/*" "$PROTO_ACCEPT;q=0.2, text/plain;q=0.3"; do
	http GET /metrics -H "Accept: $accept"
	assert_prefix "$(hdr Content-Type)" "$TEXT_CT" "Accept '$accept' gives text"
done

for accept in "$PROTO_ACCEPT" "$PROTO_ACCEPT;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2" \
	"application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily"; do
	http GET /metrics -H "Accept: $accept"
	assert_status 200 "protobuf scrape"
	if is_ours; then
		assert_header Content-Type "$PROTO_CT; escaping=underscores" "Accept '$accept' gives protobuf"
	else
		assert_header Content-Type "$PROTO_CT" "Accept '$accept' gives protobuf (U1)"
	fi
	assert_has_line "$(pb_names "$HTTP_BODY_FILE")" plain_metric "protobuf body holds the family"
	assert_has_line "$(pb_names "$HTTP_BODY_FILE")" push_time_seconds "protobuf body holds push_time_seconds"
done

# gzip on top of protobuf.
http GET /metrics -H "Accept: $PROTO_ACCEPT" -H "Accept-Encoding: gzip"
assert_header Content-Encoding gzip "protobuf scrape gzipped"
gzip -dc <"$HTTP_BODY_FILE" >"$T_TMP/pb.out" 2>/dev/null
assert_has_line "$(pb_names "$T_TMP/pb.out")" plain_metric "gunzipped protobuf body"

if ! is_ours; then
	skip_assert "escaping and UTF-8 names need 1.10+ / 1.11+"
	pgw_stop
	t_finish
fi

# ------------------------------------------------------------------ escaping
push_ok POST /metrics/job/n '{"my.metric","lbl.x"="v"} 2
'
http GET /metrics
assert_has_line "$HTTP_BODY" 'my_metric{instance="",job="n",lbl_x="v"} 2' "default: underscores"
assert_has_line "$HTTP_BODY" '# TYPE my_metric untyped' "default: underscores in TYPE"
http GET /metrics -H "Accept: text/plain;escaping=allow-utf-8"
assert_header Content-Type "$TEXT_CT; escaping=allow-utf-8" "allow-utf-8 echoed"
assert_has_line "$HTTP_BODY" '{"my.metric",instance="",job="n","lbl.x"="v"} 2' "allow-utf-8: quoted names"
assert_has_line "$HTTP_BODY" '# TYPE "my.metric" untyped' "allow-utf-8: quoted TYPE"
http GET /metrics -H "Accept: text/plain;version=0.0.4;escaping=dots"
assert_header Content-Type "$TEXT_CT; escaping=dots" "dots echoed"
assert_has_line "$HTTP_BODY" 'my_dot_metric{instance="",job="n",lbl_dot_x="v"} 2' "dots"
assert_has_line "$HTTP_BODY" 'plain_metric{instance="",job="n"} 1' "dots leave legacy names alone"
http GET /metrics -H "Accept: text/plain;escaping=values"
assert_has_line "$HTTP_BODY" 'U__my_2e_metric{instance="",job="n",U__lbl_2e_x="v"} 2' "values"
http GET /metrics -H "Accept: text/plain;escaping=nonsense"
assert_header Content-Type "$TEXT_CT; escaping=underscores" "unknown escaping ignored"
http GET /metrics -H "Accept: $PROTO_ACCEPT;escaping=allow-utf-8"
assert_header Content-Type "$PROTO_CT; escaping=allow-utf-8" "protobuf allow-utf-8 echoed"
assert_has_line "$(pb_names "$HTTP_BODY_FILE")" my.metric "protobuf allow-utf-8 name"
http GET /metrics -H "Accept: $PROTO_ACCEPT"
assert_has_line "$(pb_names "$HTTP_BODY_FILE")" my_metric "protobuf underscores name"
pgw_stop

# ---------------------------------------------- protobuf metric-name validation
pgw_start
snap v0
pb_push PUT /metrics/job/v '[{"name":"my.metric","type":1,"metrics":[{"gauge":1}]}]'
assert_plain_error 400 "invalid metric name \"my.metric\"$NL" "protobuf name not legacy-valid"
assert_unchanged v0 "rejected protobuf push stores nothing"
# a gzip-compressed protobuf body
pb_encode '[{"name":"gz_pb","type":1,"metrics":[{"gauge":7}]}]'
gzip -c "$T_TMP/pb.bin" >"$T_TMP/pb.gz"
http PUT /metrics/job/gzpb -H "Content-Type: $PB_CT" -H "Content-Encoding: gzip" \
	--data-binary "@$T_TMP/pb.gz"
expect 200 "" "gzip protobuf push"
assert_store_has 'gz_pb{instance="",job="gzpb"} 7' "gzip protobuf body decoded"
http DELETE /metrics/job/gzpb
pb_push PUT /metrics/job/v '[{"name":"ok:name_1","type":1,"metrics":[{"labels":[("bad-label","x")],"gauge":1}]}]'
assert_status 400 "protobuf label name not legacy-valid"
assert_contains "$HTTP_BODY" "has a label with an invalid name" "label name message"
pgw_stop
pgw_start --push.enable-utf8-names
pb_push PUT /metrics/job/v '[{"name":"my.metric","type":1,"metrics":[{"labels":[("lbl.x","y")],"gauge":1}]}]'
expect 200 "" "UTF-8 names accepted with the flag"
assert_store_has 'my_metric{instance="",job="v",lbl_x="y"} 1' "UTF-8 protobuf push exposed escaped"
pb_push PUT /metrics/job/v '[{"name":"","type":1,"metrics":[{"gauge":1}]}]'
assert_plain_error 400 "invalid metric name \"\"$NL" "empty name refused even with the flag"
pgw_stop
t_finish
