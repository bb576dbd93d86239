#!/bin/sh
# t_exposition.sh - GET /metrics (§7): sorting of families and metrics,
# HELP/TYPE lines and escaping, float formatting, summaries and histograms
# (added +Inf bucket, le/quantile re-formatting, label order), Content-Type and
# Accept negotiation, gzip negotiation with Accept-Encoding, own families.
. "$(dirname "$0")/lib.sh"

pgw_start

# ------------------------------------------------------------ sorting
push_ok PUT /metrics/job/a 'm 1
m{a="2"} 2
m{a="10"} 3
m{z="1"} 4
m{a="1",b="1"} 5
'
push_ok PUT /metrics/job/b 'm{b="1"} 6
m 7
'
push_ok PUT /metrics/job/c 'Zeta 1
a 1
a_b 1
aB 1
a:b 1
_x 1
:y 1
'
store_user
# families in byte order; metrics by number of labels, then label values
# position by position (label names are not compared)
assert_eq "$USER_STORE" '# TYPE :y untyped
:y{instance="",job="c"} 1
# TYPE Zeta untyped
Zeta{instance="",job="c"} 1
# TYPE _x untyped
_x{instance="",job="c"} 1
# TYPE a untyped
a{instance="",job="c"} 1
# TYPE a:b untyped
a:b{instance="",job="c"} 1
# TYPE aB untyped
aB{instance="",job="c"} 1
# TYPE a_b untyped
a_b{instance="",job="c"} 1
# TYPE m untyped
m{instance="",job="a"} 1
m{instance="",job="b"} 7
m{instance="",job="a",z="1"} 4
m{b="1",instance="",job="b"} 6
m{a="10",instance="",job="a"} 3
m{a="2",instance="",job="a"} 2
m{a="1",b="1",instance="",job="a"} 5' "sorting of families and series"
# the timestamp families are sorted the same way
store
assert_eq "$(printf '%s\n' "$STORE" | grep '^push_time_seconds')" 'push_time_seconds{instance="",job="a"} T
push_time_seconds{instance="",job="b"} T
push_time_seconds{instance="",job="c"} T' "timestamp series sorted by job"
# whole-file layout: every family is HELP? TYPE then its samples, no blank lines
metrics_raw
assert_eq "$(grep -c '^$' "$T_TMP/scrape")" 0 "no blank lines in the exposition"
assert_eq "$(tail -c 1 "$T_TMP/scrape" | od -An -c | tr -d ' ')" '\n' "exposition ends with a newline"
assert_eq "$(awk '/^# TYPE / { print $3 }' "$T_TMP/scrape" | LC_ALL=C sort -c 2>&1 && echo sorted)" sorted "all families (own ones included) in byte order"
assert_eq "$(awk '/^# TYPE / { print $3 }' "$T_TMP/scrape" | sort | uniq -d)" "" "each family once"
for g in a b c; do http DELETE /metrics/job/$g; done

# ------------------------------------------------------ float formatting
push_ok PUT /metrics/job/f '# TYPE v gauge
v{i="01"} 1e6
v{i="02"} 123456
v{i="03"} 1e-05
v{i="04"} 0.0001
v{i="05"} NaN
v{i="06"} +Inf
v{i="07"} -Inf
v{i="08"} -0
v{i="09"} 1234567
v{i="10"} 1e21
v{i="11"} 1e-7
v{i="12"} 2398.283
v{i="13"} 123456789012345678
v{i="14"} 1.5e300
v{i="15"} 100000
v{i="16"} 0.1
v{i="17"} -1
v{i="18"} 0
v{i="19"} 1
v{i="20"} 5e-324
v{i="21"} 1.7976931348623157e308
v{i="22"} 999999
v{i="23"} 0.30000000000000004
v{i="24"} -2.5e-10
v{i="25"} 12345678
v{i="26"} 0.000123
v{i="27"} 1e+06
v{i="28"} 3.14
v{i="29"} -1e-300
v{i="30"} 2.5e-05
'
store_user
assert_eq "$USER_STORE" '# TYPE v gauge
v{i="01",instance="",job="f"} 1e+06
v{i="02",instance="",job="f"} 123456
v{i="03",instance="",job="f"} 1e-05
v{i="04",instance="",job="f"} 0.0001
v{i="05",instance="",job="f"} NaN
v{i="06",instance="",job="f"} +Inf
v{i="07",instance="",job="f"} -Inf
v{i="08",instance="",job="f"} 0
v{i="09",instance="",job="f"} 1.234567e+06
v{i="10",instance="",job="f"} 1e+21
v{i="11",instance="",job="f"} 1e-07
v{i="12",instance="",job="f"} 2398.283
v{i="13",instance="",job="f"} 1.2345678901234568e+17
v{i="14",instance="",job="f"} 1.5e+300
v{i="15",instance="",job="f"} 100000
v{i="16",instance="",job="f"} 0.1
v{i="17",instance="",job="f"} -1
v{i="18",instance="",job="f"} 0
v{i="19",instance="",job="f"} 1
v{i="20",instance="",job="f"} 5e-324
v{i="21",instance="",job="f"} 1.7976931348623157e+308
v{i="22",instance="",job="f"} 999999
v{i="23",instance="",job="f"} 0.30000000000000004
v{i="24",instance="",job="f"} -2.5e-10
v{i="25",instance="",job="f"} 1.2345678e+07
v{i="26",instance="",job="f"} 0.000123
v{i="27",instance="",job="f"} 1e+06
v{i="28",instance="",job="f"} 3.14
v{i="29",instance="",job="f"} -1e-300
v{i="30",instance="",job="f"} 2.5e-05' "float formatting"
# push_time_seconds is a float with sub-second precision in %g form
PTV=$(series_value 'push_time_seconds{instance="",job="f"}')
assert_match "$PTV" '^[1-9]\.[0-9]+e\+09$' "push_time_seconds formatted like 1.7952392693944163e+09"
http DELETE /metrics/job/f

# --------------------------------------------------- summaries, histograms
push_ok PUT /metrics/job/f '# TYPE s summary
s{quantile="0.99"} 3
s{quantile="0.5"} 1
s_sum 10
s_count 5
s{a="x",quantile="0.5"} 2
s_sum{a="x"} 1
s_count{a="x"} 1
# TYPE h histogram
h_bucket{le="1.0"} 1
h_bucket{le="0.5"} 0
h_bucket{le="10"} 3
h_sum 3.5
h_count 4
h_bucket{zzz="1",le="0.5"} 1
h_sum{zzz="1"} 1
h_count{zzz="1"} 1
# TYPE hi histogram
hi_bucket{le="+Inf"} 2
hi_bucket{le="1e6"} 1
hi_sum 1
hi_count 2
# TYPE sq summary
sq{quantile="0.50"} 1
sq{quantile="1e-3"} 2
sq_count 7.9
# TYPE hn histogram
hn_sum 2
hn_count 3
# TYPE sn summary
sn_sum 2
sn_count 3
'
store_user
assert_eq "$USER_STORE" '# TYPE h histogram
h_bucket{instance="",job="f",le="1"} 1
h_bucket{instance="",job="f",le="0.5"} 0
h_bucket{instance="",job="f",le="10"} 3
h_bucket{instance="",job="f",le="+Inf"} 4
h_sum{instance="",job="f"} 3.5
h_count{instance="",job="f"} 4
h_bucket{instance="",job="f",zzz="1",le="0.5"} 1
h_bucket{instance="",job="f",zzz="1",le="+Inf"} 1
h_sum{instance="",job="f",zzz="1"} 1
h_count{instance="",job="f",zzz="1"} 1
# TYPE hi histogram
hi_bucket{instance="",job="f",le="+Inf"} 2
hi_bucket{instance="",job="f",le="1e+06"} 1
hi_sum{instance="",job="f"} 1
hi_count{instance="",job="f"} 2
# TYPE hn histogram
hn_bucket{instance="",job="f",le="+Inf"} 3
hn_sum{instance="",job="f"} 2
hn_count{instance="",job="f"} 3
# TYPE s summary
s{instance="",job="f",quantile="0.99"} 3
s{instance="",job="f",quantile="0.5"} 1
s_sum{instance="",job="f"} 10
s_count{instance="",job="f"} 5
s{a="x",instance="",job="f",quantile="0.5"} 2
s_sum{a="x",instance="",job="f"} 1
s_count{a="x",instance="",job="f"} 1
# TYPE sn summary
sn_sum{instance="",job="f"} 2
sn_count{instance="",job="f"} 3
# TYPE sq summary
sq{instance="",job="f",quantile="0.5"} 1
sq{instance="",job="f",quantile="0.001"} 2
sq_sum{instance="",job="f"} 0
sq_count{instance="",job="f"} 7' "summaries and histograms (stored order, +Inf added, le/quantile re-formatted, le/quantile last)"
http DELETE /metrics/job/f

# float histogram counts (U9: 1.5.1 truncates them)
push_ok PUT /metrics/job/f '# TYPE hf histogram
hf_bucket{le="1"} 1.5
hf_sum 1
hf_count 2.5
'
store_user
if is_ours; then
	assert_eq "$USER_STORE" '# TYPE hf histogram
hf_bucket{instance="",job="f",le="1"} 1.5
hf_bucket{instance="",job="f",le="+Inf"} 2.5
hf_sum{instance="",job="f"} 1
hf_count{instance="",job="f"} 2.5' "U9: non-integral histogram counts kept as floats"
else
	assert_eq "$USER_STORE" '# TYPE hf histogram
hf_bucket{instance="",job="f",le="1"} 1
hf_bucket{instance="",job="f",le="+Inf"} 2
hf_sum{instance="",job="f"} 1
hf_count{instance="",job="f"} 2' "1.5.1 truncates histogram counts"
	skip_assert "U9: float histogram counts only in 1.11"
fi
http DELETE /metrics/job/f

# gauge histograms are printed as histograms (1.5.1 cannot encode them: its
# scrape breaks off at "# TYPE gh" - upstream skipped)
if is_ours; then
	pb_push PUT /metrics/job/gh "[{'name':'gh','type':5,'metrics':[{'histogram':{'count':3,'sum':2,'buckets':[(1,1)]}}]}]"
	expect 200 "" "protobuf gauge histogram"
	store_user
	assert_eq "$USER_STORE" '# TYPE gh histogram
gh_bucket{instance="",job="gh",le="1"} 1
gh_bucket{instance="",job="gh",le="+Inf"} 3
gh_sum{instance="",job="gh"} 2
gh_count{instance="",job="gh"} 3' "gauge histogram exposition"
	http DELETE /metrics/job/gh
else
	skip_assert "gauge histograms break 1.5.1 scrapes"
fi

# ------------------------------------------------------- HELP and escaping
push_ok PUT /metrics/job/e '# HELP esc a\\b\nc "q" '"'"'s'"'"'
esc{v="x\\y\"z\nw"} 1
# HELP utf Grüße € – ok
utf{v="ünï €"} 2
# HELP nohelp_has_type_only 
nohelp_has_type_only 3
'
store_user
# ("# HELP name " with nothing after the name is ignored: no HELP line)
assert_eq "$USER_STORE" "# HELP esc a\\\\b\\nc \"q\" 's'
# TYPE esc untyped
esc{instance=\"\",job=\"e\",v=\"x\\\\y\\\"z\\nw\"} 1
# TYPE nohelp_has_type_only untyped
nohelp_has_type_only{instance=\"\",job=\"e\"} 3
# HELP utf Grüße € – ok
# TYPE utf untyped
utf{instance=\"\",job=\"e\",v=\"ünï €\"} 2" "HELP and label value escaping, raw UTF-8, empty HELP"
# control characters other than newline are written raw
printf 'ctl{v="a\001b\tc"} 1\n' >"$T_TMP/ctl.txt"
http PUT /metrics/job/e --data-binary "@$T_TMP/ctl.txt"
expect 200 "" "raw control characters in a label value"
metrics_raw
assert_eq "$(grep -c "$(printf 'ctl{instance="",job="e",v="a\001b\tc"} 1')" "$T_TMP/scrape")" 1 "control characters written raw"
http DELETE /metrics/job/e

# --------------------------------------------------------- own families
metrics_raw
assert_match "$(cat "$T_TMP/scrape")" '^pushgateway_build_info\{.*version="[^"]+".*\} 1$' "pushgateway_build_info present"
assert_has_line "$(cat "$T_TMP/scrape")" "# HELP pushgateway_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which pushgateway was built, and the goos and goarch for the build." "build_info HELP"
for l in branch goarch goos goversion revision version; do
	assert_match "$(grep '^pushgateway_build_info{' "$T_TMP/scrape")" "[{,]$l=\"" "build_info label $l"
done
assert_eq "$(grep -c '^promhttp_' "$T_TMP/scrape")" 0 "no promhttp_ metrics"
if is_ours; then
	assert_eq "$(grep -c '^go_' "$T_TMP/scrape")" 0 "D4: no go_* metrics"
else
	assert_true "upstream exposes go_* metrics" grep -q '^go_goroutines ' "$T_TMP/scrape"
	skip_assert "D4: go_* absent only in ours"
fi
# scrapes are not counted
metrics_raw
metrics_raw
assert_eq "$(grep -c 'handler="metrics"' "$T_TMP/scrape")" 0 "scrapes are not counted"

# ----------------------------------------------------- Content-Type (U1)
push_ok PUT /metrics/job/ct 'ct 1
'
# ct_set VALUE: Content-Type parameters as a sorted set
ct_set() { printf '%s' "$1" | tr ';' '\n' | sed -e 's/^ *//' -e 's/ *$//' | LC_ALL=C sort | tr '\n' ';'; }
TEXT_CT='text/plain; version=0.0.4; charset=utf-8'
PBUF_CT='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'
if is_ours; then
	TEXT_CT="$TEXT_CT; escaping=underscores"
	PBUF_CT="$PBUF_CT; escaping=underscores"
fi
for acc in "" "text/plain" "text/plain;version=0.0.4" "application/openmetrics-text; version=1.0.0" "application/openmetrics-text; version=0.0.1" \
	"text/plain;version=0.0.5" "application/json" "*/*" "text/html,application/xhtml+xml"; do
	if [ -n "$acc" ]; then http GET /metrics -H "Accept: $acc"; else http GET /metrics; fi
	assert_status 200 "Accept '$acc'"
	assert_eq "$(ct_set "$(hdr Content-Type)")" "$(ct_set "$TEXT_CT")" "Accept '$acc' gives text 0.0.4 (U1: escaping=underscores in 1.10+)"
	assert_has_line "$HTTP_BODY" 'ct{instance="",job="ct"} 1' "Accept '$acc' body is text"
done
is_upstream && skip_assert "U1: 1.5.1 Content-Type has no escaping parameter"
http GET /metrics -H "Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
assert_status 200 "protobuf negotiation"
assert_eq "$(ct_set "$(hdr Content-Type)")" "$(ct_set "$PBUF_CT")" "protobuf Content-Type"
PBNAMES=$("$PY" - "$HTTP_BODY_FILE" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
def varint(b, i):
    n = s = 0
    while True:
        c = b[i]; i += 1
        n |= (c & 0x7F) << s; s += 7
        if not c & 0x80:
            return n, i
names = []
i = 0
while i < len(data):
    ln, i = varint(data, i)
    msg = data[i:i + ln]; i += ln
    j = 0
    while j < len(msg):
        key, j = varint(msg, j)
        f, w = key >> 3, key & 7
        if w == 2:
            l2, j = varint(msg, j)
            if f == 1:
                names.append(msg[j:j + l2].decode())
            j += l2
        elif w == 0:
            _, j = varint(msg, j)
        elif w == 1:
            j += 8
        elif w == 5:
            j += 4
        else:
            raise SystemExit("bad wire type")
print(" ".join(n for n in names if not n.startswith(("go_", "process_", "pushgateway_"))))
EOF
)
assert_eq "$PBNAMES" "ct push_failure_time_seconds push_time_seconds" "protobuf body: delimited families in order"

# ---------------------------------------------------- gzip negotiation (U2)
http GET /metrics
PLAIN=$(printf '%s\n' "$HTTP_BODY" | t_filter_own | t_mask_times)
assert_no_header Content-Encoding "no Accept-Encoding: identity"
# gz_case ACCEPT-ENCODING EXPECT(gzip|identity) [upstream-expect]
gz_case() {
	_want=$2
	if is_upstream && [ -n "${3:-}" ]; then
		_want=$3
		skip_assert "U2: Accept-Encoding '$1' gives $2 in 1.11, $3 in 1.5.1"
	fi
	http GET /metrics -H "Accept-Encoding: $1"
	assert_status 200 "Accept-Encoding '$1'"
	if [ "$_want" = gzip ]; then
		assert_header Content-Encoding gzip "Accept-Encoding '$1'"
		_dec=$(gzip -dc <"$HTTP_BODY_FILE" 2>/dev/null | t_filter_own | t_mask_times)
		assert_eq "$_dec" "$PLAIN" "Accept-Encoding '$1': gunzipped body"
	else
		assert_no_header Content-Encoding "Accept-Encoding '$1'"
		assert_eq "$(printf '%s\n' "$HTTP_BODY" | t_filter_own | t_mask_times)" "$PLAIN" "Accept-Encoding '$1': plain body"
	fi
	assert_eq "$(ct_set "$(hdr Content-Type)")" "$(ct_set "$TEXT_CT")" "Accept-Encoding '$1': Content-Type unchanged"
}
gz_case gzip gzip
gz_case "gzip, deflate" gzip
gz_case "deflate, gzip;q=0.5" gzip
gz_case "gzip;q=1.0, identity;q=0.5" gzip
gz_case " gzip " gzip
gz_case "br, gzip" gzip
gz_case "*" identity
gz_case "GZIP" identity
gz_case "x-gzip" identity
gz_case "br" identity
gz_case "deflate" identity
gz_case "identity" identity
gz_case "identity, gzip" identity gzip
gz_case "gzip;q=0" identity gzip
gz_case "gzip;q=0.5, identity;q=0.6" identity gzip

pgw_stop
t_finish
