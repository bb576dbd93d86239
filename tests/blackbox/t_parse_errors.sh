#!/bin/sh
# t_parse_errors.sh - the text format 0.0.4 parser (§5.2): a table of bad
# bodies with their exact 400 answers (line numbers count every line), checks
# that a parse error changes nothing (not even push_failure_time_seconds), and
# a table of accepted syntax variants with the resulting exposition.
. "$(dirname "$0")/lib.sh"

pgw_start

push_ok PUT /metrics/job/p '# HELP keep Kept.
# TYPE keep gauge
keep 1
'
snap base

# Error table: IMPL <TAB> BODY (printf format; octal escapes for raw bytes)
# <TAB> expected body without the trailing newline.  IMPL "all" or "ours".
ROWS=0
while IFS="$TAB" read -r impl body msg; do
	case $impl in '' | '#'*) continue ;; esac
	ROWS=$((ROWS + 1))
	if [ "$impl" = ours ] && is_upstream; then
		skip_assert "row $ROWS ($body): 1.11 parser only (U10)"
		continue
	fi
	# shellcheck disable=SC2059
	printf -- "$body" >"$T_TMP/bad.txt"
	# alternate PUT into the existing group and POST into a new key
	if [ $((ROWS % 2)) = 0 ]; then
		url=/metrics/job/p
		m=PUT
	else
		url=/metrics/job/newkey/instance/n$ROWS
		m=POST
	fi
	http $m "$url" --data-binary "@$T_TMP/bad.txt"
	assert_plain_error 400 "$msg$NL" "row $ROWS: $m body '$body'"
	assert_unchanged base "row $ROWS: parse error changes nothing"
done <<'EOF'
all	blablabla\n	text format parsing error in line 1: expected float as value, got ""
all	test_metric\n	text format parsing error in line 1: expected float as value, got ""
all	m 3.14	text format parsing error in line 1: unexpected end of input stream
all	m 3.14\r\n	text format parsing error in line 1: expected float as value, got "3.14\r"
all	m-x 1\n	text format parsing error in line 1: expected float as value, got "-x"
all	m 1 2 3\n	text format parsing error in line 1: spurious string after timestamp: " 3"
all	m 1 2 \n	text format parsing error in line 1: spurious string after timestamp: " "
all	m 1 abc\n	text format parsing error in line 1: expected integer as timestamp, got "abc"
all	m 1 1.5\n	text format parsing error in line 1: expected integer as timestamp, got "1.5"
all	m 1 \n	text format parsing error in line 1: expected integer as timestamp, got ""
all	m 1 99999999999999999999\n	text format parsing error in line 1: expected integer as timestamp, got "99999999999999999999"
all	m abc\n	text format parsing error in line 1: expected float as value, got "abc"
all	m 0x1p3\n	text format parsing error in line 1: expected float as value, got "0x1p3"
all	m 1_000\n	text format parsing error in line 1: expected float as value, got "1_000"
all	m 1e400\n	text format parsing error in line 1: expected float as value, got "1e400"
all	m 1p\n	text format parsing error in line 1: expected float as value, got "1p"
all	m{a="1"} \n	text format parsing error in line 1: expected float as value, got ""
all	m{a="1"\n	text format parsing error in line 1: unexpected end of label value "1"
all	m{a="1" b="2"} 1\n	text format parsing error in line 1: unexpected end of label value "1"
all	m{a="1} 1\n	text format parsing error in line 1: label value "1} 1" contains unescaped new-line
all	m{a=1} 1\n	text format parsing error in line 1: expected '"' at start of label value, found '1'
all	m{a="\\q"} 1\n	text format parsing error in line 1: invalid escape sequence '\q'
all	m{a="\\x41"} 1\n	text format parsing error in line 1: invalid escape sequence '\x'
all	m{a="x\ny"} 1\n	text format parsing error in line 1: label value "x" contains unescaped new-line
all	m{a="\377"} 1\n	text format parsing error in line 1: invalid label value "\xff"
all	m{a="ok\303"} 1\n	text format parsing error in line 1: invalid label value "ok\xc3"
all	m{__name__="x"} 1\n	text format parsing error in line 1: label name "__name__" is reserved
all	m{a="1",a="2"} 1\n	text format parsing error in line 1: duplicate label names for metric "m"
all	m{a="1",b="2",a="3"} 1\n	text format parsing error in line 1: duplicate label names for metric "m"
all	m{a "1"} 1\n	text format parsing error in line 1: expected '=' after label name, found '"'
all	m{1a="1"} 1\n	text format parsing error in line 1: invalid label name for metric "m"
all	m{a="1",,} 1\n	text format parsing error in line 1: invalid label name for metric "m"
all	m{,} 1\n	text format parsing error in line 1: invalid label name for metric "m"
all	m{a="1"}	text format parsing error in line 1: unexpected end of input stream
all	m{a="1",}	text format parsing error in line 1: unexpected end of input stream
all	1m 1\n	text format parsing error in line 1: invalid metric name
all	-m 1\n	text format parsing error in line 1: invalid metric name
all	{} 1\n	text format parsing error in line 1: invalid metric name
all	{a="b"} 1\n	text format parsing error in line 1: invalid metric name
all	# TYPE m foo\nm 1\n	text format parsing error in line 1: unknown metric type "foo"
all	# TYPE m gauge extra\nm 1\n	text format parsing error in line 1: unknown metric type "gauge extra"
all	# TYPE 1m gauge\n	text format parsing error in line 1: invalid metric name in comment
all	# TYPE m-x gauge\n	text format parsing error in line 1: invalid metric name in comment
all	# HELP m-x foo\n	text format parsing error in line 1: invalid metric name in comment
all	# TYPE m gauge\n# TYPE m gauge\nm 1\n	text format parsing error in line 2: second TYPE line for metric name "m", or TYPE reported after samples
all	# TYPE m gauge\n# TYPE m counter\nm 1\n	text format parsing error in line 2: second TYPE line for metric name "m", or TYPE reported after samples
all	m 1\n# TYPE m gauge\n	text format parsing error in line 2: second TYPE line for metric name "m", or TYPE reported after samples
all	# HELP m a\n# HELP m b\nm 1\n	text format parsing error in line 2: second HELP line for metric name "m"
all	# HELP m a\\q\nm 1\n	text format parsing error in line 1: invalid escape sequence '\q'
all	\n\n# comment\nm abc\n	text format parsing error in line 4: expected float as value, got "abc"
all	  \tm{a="1"} x\n	text format parsing error in line 1: expected float as value, got "x"
all	# TYPE m untyped\nm 1\nm{a="1"} 2\nm{a="1"} x\n	text format parsing error in line 4: expected float as value, got "x"
all	m{a="1"} 1\n\nm{b="1"} 2 3 4\n	text format parsing error in line 3: spurious string after timestamp: " 4"
all	m 1\nm{a="x\\"} 1\n	text format parsing error in line 2: label value "x\"} 1" contains unescaped new-line
all	good 1\n# HELP good fine\n# TYPE other gauge\nother 2\n\n\n# x\nother{a="1"} 3\n\tother{a="2"} 4\nbroken\n	text format parsing error in line 10: expected float as value, got ""
all	# TYPE m summary\nm{quantile="x"} 1\n	text format parsing error in line 2: expected float as value for 'quantile' label, got "x"
all	# TYPE m histogram\nm_bucket{le="x"} 1\n	text format parsing error in line 2: expected float as value for 'le' label, got "x"
all	# TYPE m histogram\nm_bucket{le=""} 1\n	text format parsing error in line 2: expected float as value for 'le' label, got ""
all	# TYPE m gaugehistogramx\nm 1\n	text format parsing error in line 1: unknown metric type "gaugehistogramx"
all	# HELP m a\\tb\nm 1\n	text format parsing error in line 1: invalid escape sequence '\t'
# 1.11 parser only (U10): in 1.5.1 HELP rejects \" (accepted-syntax table below)
ours	# HELP m a\\"b\\x\nm 1\n	text format parsing error in line 1: invalid escape sequence '\x'
EOF
assert_true "error table not empty ($ROWS rows)" [ "$ROWS" -ge 50 ]

# negative non-integral histogram counts are errors in 1.11 (1.5.1 truncated: U9)
for body in '# TYPE h histogram\nh_bucket{le="1"} -1.5\n' '# TYPE h histogram\nh_count -1.5\n'; do
	# shellcheck disable=SC2059
	printf -- "$body" >"$T_TMP/bad.txt"
	if is_ours; then
		http PUT /metrics/job/p --data-binary "@$T_TMP/bad.txt"
		assert_status 400 "negative histogram count '$body'"
		assert_prefix "$HTTP_BODY" "text format parsing error in line 2: negative " "negative histogram count '$body'"
		assert_contains "$HTTP_BODY" "for histogram" "negative histogram count '$body'"
		assert_unchanged base "negative histogram count changes nothing"
	else
		skip_assert "U9: 1.5.1 truncates negative histogram counts"
	fi
done

# a parse error never creates the group it was aimed at
api_metrics
assert_json "$API" '[g["labels"] for g in d["data"]]' '[{"job":"p"}]' "no group created by parse errors"
metrics_raw
assert_true "parse errors are counted as push 400s" grep -Eq '^pushgateway_http_requests_total\{code="400",handler="push",method="post"\} [1-9]' "$T_TMP/scrape"
http DELETE /metrics/job/p
assert_store_empty "cleanup"

# Accepted syntax: IMPL <TAB> BODY <TAB> expected user-family exposition
# (lines joined with "|").
ROWS=0
while IFS="$TAB" read -r impl body want; do
	case $impl in '' | '#'*) continue ;; esac
	ROWS=$((ROWS + 1))
	if [ "$impl" = ours ] && is_upstream; then
		skip_assert "accepted row $ROWS ($body): 1.11 parser only (U10)"
		continue
	fi
	# shellcheck disable=SC2059
	printf -- "$body" >"$T_TMP/good.txt"
	http PUT /metrics/job/ok --data-binary "@$T_TMP/good.txt"
	expect 200 "" "accepted row $ROWS: '$body'"
	store_user
	assert_eq "$(printf '%s' "$USER_STORE" | tr '\n' '|')" "$want" "accepted row $ROWS: '$body'"
	http DELETE /metrics/job/ok
done <<'EOF'
all	m{ a = "1" } 1\n	# TYPE m untyped|m{a="1",instance="",job="ok"} 1
all	m{a="1" ,b="2"} 1\n	# TYPE m untyped|m{a="1",b="2",instance="",job="ok"} 1
all	m{a="1", b="2"} 1\n	# TYPE m untyped|m{a="1",b="2",instance="",job="ok"} 1
all	m{a="1",b="2",} 1\n	# TYPE m untyped|m{a="1",b="2",instance="",job="ok"} 1
all	m {a="1"} 1\n	# TYPE m untyped|m{a="1",instance="",job="ok"} 1
all	m{a="1"}\t1\n	# TYPE m untyped|m{a="1",instance="",job="ok"} 1
all	m{a="1"}1\n	# TYPE m untyped|m{a="1",instance="",job="ok"} 1
all	m{} 1\n	# TYPE m untyped|m{instance="",job="ok"} 1
all	m\t1\n	# TYPE m untyped|m{instance="",job="ok"} 1
all	  \tm 1\n	# TYPE m untyped|m{instance="",job="ok"} 1
all	\n\n# comment\n#\n# TYPE\n# HELP\n# TYPE m\n# HELP m\nm 1\n	# TYPE m untyped|m{instance="",job="ok"} 1
all	#HELP m foo\n#TYPE m gauge\nm 1\n	# HELP m foo|# TYPE m gauge|m{instance="",job="ok"} 1
all	#  HELP   m   two  spaces \nm 1\n	# HELP m two  spaces |# TYPE m untyped|m{instance="",job="ok"} 1
all	# TYPE m Gauge\nm 1\n	# TYPE m gauge|m{instance="",job="ok"} 1
all	# TYPE m COUNTER\nm 1\n	# TYPE m counter|m{instance="",job="ok"} 1
all	m 1\n# HELP m late help\n	# HELP m late help|# TYPE m untyped|m{instance="",job="ok"} 1
all	# HELP m a\\nb\\\\c\nm 1\n	# HELP m a\nb\\c|# TYPE m untyped|m{instance="",job="ok"} 1
all	m{a="x\\\\y\\"z\\nw"} 1\n	# TYPE m untyped|m{a="x\\y\"z\nw",instance="",job="ok"} 1
all	m{a="\303\244 \342\202\254"} 1\n	# TYPE m untyped|m{a="ä €",instance="",job="ok"} 1
all	m{a=" sp ace "} 1\n	# TYPE m untyped|m{a=" sp ace ",instance="",job="ok"} 1
all	m_:x 2\n	# TYPE m_:x untyped|m_:x{instance="",job="ok"} 2
all	:m 2\n	# TYPE :m untyped|:m{instance="",job="ok"} 2
all	m nan\n	# TYPE m untyped|m{instance="",job="ok"} NaN
all	m Inf\n	# TYPE m untyped|m{instance="",job="ok"} +Inf
all	m -Infinity\n	# TYPE m untyped|m{instance="",job="ok"} -Inf
all	m +3\n	# TYPE m untyped|m{instance="",job="ok"} 3
all	m .5\n	# TYPE m untyped|m{instance="",job="ok"} 0.5
all	m 5.\n	# TYPE m untyped|m{instance="",job="ok"} 5
all	m 1e6\n	# TYPE m untyped|m{instance="",job="ok"} 1e+06
all	m -0\n	# TYPE m untyped|m{instance="",job="ok"} 0
all	m 1E-3\n	# TYPE m untyped|m{instance="",job="ok"} 0.001
all	m 00012\n	# TYPE m untyped|m{instance="",job="ok"} 12
all	x_bucket{le="1"} 1\nx_sum 2\nx_count 3\n	# TYPE x_bucket untyped|x_bucket{instance="",job="ok",le="1"} 1|# TYPE x_count untyped|x_count{instance="",job="ok"} 3|# TYPE x_sum untyped|x_sum{instance="",job="ok"} 2
all	# TYPE m summary\nm{quantile="0.5"} 1\nm_sum 2\nm_count 3.9\n	# TYPE m summary|m{instance="",job="ok",quantile="0.5"} 1|m_sum{instance="",job="ok"} 2|m_count{instance="",job="ok"} 3
all	# TYPE m counter\n# HELP m h\nm{a="2"} 2\nm{a="1"} 1\n	# HELP m h|# TYPE m counter|m{a="1",instance="",job="ok"} 1|m{a="2",instance="",job="ok"} 2
ours	# HELP m a\\"q\nm 1\n	# HELP m a"q|# TYPE m untyped|m{instance="",job="ok"} 1
ours	m{"a"="1"} 1\n	# TYPE m untyped|m{a="1",instance="",job="ok"} 1
EOF
assert_true "accepted table not empty ($ROWS rows)" [ "$ROWS" -ge 30 ]

pgw_stop
t_finish
