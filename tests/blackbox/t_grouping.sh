#!/bin/sh
# t_grouping.sh - the grouping key from the URL (§4): base64 job and label
# values, empty values, trailing slash, odd components, improper label names,
# repeated names, job overwrite, decoding of %XX, error texts and their order.
. "$(dirname "$0")/lib.sh"

pgw_start

# ok_key URL GROUP-LABELS-JSON SERIES-LINE
# PUT "g 1" to URL: 200, exactly one group with those labels, exposed series
# line as given; then DELETE the same URL: 202 and the store is empty again.
ok_key() {
	push PUT "$1" 'g 1
'
	expect 200 "" "PUT $1"
	api_metrics
	assert_json "$API" '[g["labels"] for g in d["data"]]' "[$2]" "PUT $1: grouping key"
	store
	assert_eq "$(printf '%s\n' "$STORE" | grep '^g[{ ]')" "$3" "PUT $1: exposed series"
	http DELETE "$1"
	expect 202 "" "DELETE $1"
	assert_store_empty "DELETE $1 removes the group"
}

# bad_key METHOD URL EXPECTED-BODY (without the trailing newline)
bad_key() {
	snap bad
	push "$1" "$2" 'g 1
'
	assert_plain_error 400 "$3$NL" "$1 $2"
	assert_unchanged bad "$1 $2 leaves the store unchanged"
}

# ------------------------------------------------------------- plain values
ok_key /metrics/job/a '{"job":"a"}' 'g{instance="",job="a"} 1'
ok_key /metrics/job/a/instance/i '{"instance":"i","job":"a"}' 'g{instance="i",job="a"} 1'
ok_key /metrics/job/a/x/1/y/2 '{"job":"a","x":"1","y":"2"}' 'g{instance="",job="a",x="1",y="2"} 1'
# trailing slash: labels string "/" means no labels
ok_key /metrics/job/a/ '{"job":"a"}' 'g{instance="",job="a"} 1'
# trailing slash after a name gives an empty value (§4.2, contradicts README)
ok_key /metrics/job/a/x/ '{"job":"a","x":""}' 'g{instance="",job="a",x=""} 1'
ok_key /metrics/job/a/instance/ '{"instance":"","job":"a"}' 'g{instance="",job="a"} 1'
# repeated label name: last wins
ok_key /metrics/job/a/x/1/x/2 '{"job":"a","x":"2"}' 'g{instance="",job="a",x="2"} 1'
# job in the labels part is overwritten by the job segment
ok_key /metrics/job/a/job/b '{"job":"a"}' 'g{instance="",job="a"} 1'
ok_key /metrics/job/a/x/1/job/b '{"job":"a","x":"1"}' 'g{instance="",job="a",x="1"} 1'
# %XX decoding: %20 is a space, + stays +, UTF-8 is fine
ok_key '/metrics/job/a%20b/x/c+d' '{"job":"a b","x":"c+d"}' 'g{instance="",job="a b",x="c+d"} 1'
ok_key '/metrics/job/j/l/%C3%A4%22%5C' '{"job":"j","l":"ä\"\\"}' 'g{instance="",job="j",l="ä\"\\"} 1'
# U__ is an ordinary label name without --push.enable-utf8-names
ok_key /metrics/job/a/U__dotted_2e_label/1 '{"U__dotted_2e_label":"1","job":"a"}' 'g{U__dotted_2e_label="1",instance="",job="a"} 1'
# label names may contain digits and underscores (not leading digits)
ok_key /metrics/job/a/_x9/1/A_b/2 '{"A_b":"2","_x9":"1","job":"a"}' 'g{A_b="2",_x9="1",instance="",job="a"} 1'

# ------------------------------------------------------------------ base64
ok_key /metrics/job@base64/YQ '{"job":"a"}' 'g{instance="",job="a"} 1'
ok_key /metrics/job@base64/YQ== '{"job":"a"}' 'g{instance="",job="a"} 1'
# "wrong" padding accepted (all trailing = stripped), non-strict decoding
ok_key /metrics/job@base64/YQ= '{"job":"a"}' 'g{instance="",job="a"} 1'
ok_key /metrics/job@base64/YQ=== '{"job":"a"}' 'g{instance="",job="a"} 1'
ok_key /metrics/job@base64/YR '{"job":"a"}' 'g{instance="",job="a"} 1'
# URL-safe alphabet: "Pz8-" = "??>" and "Pz8_" = "???" ("+" and "/" in the standard one)
ok_key /metrics/job@base64/Pz8- '{"job":"??>"}' 'g{instance="",job="??>"} 1'
ok_key /metrics/job@base64/Pz8_/x/1 '{"job":"???","x":"1"}' 'g{instance="",job="???",x="1"} 1'
ok_key /metrics/job/a/l@base64/L3Zhci90bXA '{"job":"a","l":"/var/tmp"}' 'g{instance="",job="a",l="/var/tmp"} 1'
ok_key /metrics/job/a/l@base64/L3Zhci90bXA= '{"job":"a","l":"/var/tmp"}' 'g{instance="",job="a",l="/var/tmp"} 1'
ok_key /metrics/job@base64/L3Zhci90bXA/l@base64/L3Zhci90bXA '{"job":"/var/tmp","l":"/var/tmp"}' 'g{instance="",job="/var/tmp",l="/var/tmp"} 1'
# the documented empty value: "=" (and "==", and an empty piece) decode to ""
ok_key /metrics/job/a/first_label@base64/= '{"first_label":"","job":"a"}' 'g{first_label="",instance="",job="a"} 1'
ok_key /metrics/job/a/first_label@base64/== '{"first_label":"","job":"a"}' 'g{first_label="",instance="",job="a"} 1'
ok_key /metrics/job/a/instance@base64/ '{"instance":"","job":"a"}' 'g{instance="",job="a"} 1'
ok_key /metrics/job/a/instance@base64/=/x/1 '{"instance":"","job":"a","x":"1"}' 'g{instance="",job="a",x="1"} 1'
# an encoded job label in the labels part is still overwritten
ok_key /metrics/job/a/job@base64/Yg '{"job":"a"}' 'g{instance="",job="a"} 1'

# ------------------------------------------------------------ group identity
push_ok PUT /metrics/job/id/x/1/y/2 'g 1
'
push_ok PUT /metrics/job/id/y/2/x/1 'g 2
'
api_metrics
assert_json "$API" 'len(d["data"])' 1 "label order in the URL does not matter"
assert_store_has 'g{instance="",job="id",x="1",y="2"} 2' "second push replaced the same group"
push_ok PUT /metrics/job@base64/aWQ/x@base64/MQ/y/2 'g 3
'
api_metrics
assert_json "$API" 'len(d["data"])' 1 "base64 spelling names the same group"
assert_store_has 'g{instance="",job="id",x="1",y="2"} 3' "base64 push replaced the same group"
# {job=id2} and {job=id2,instance=x} are different groups
push_ok PUT /metrics/job/id2 'h 1
'
push_ok PUT /metrics/job/id2/instance/x 'h 2
'
api_metrics
assert_json "$API" 'sorted(json.dumps(g["labels"], sort_keys=True) for g in d["data"])' \
	'["{\"instance\": \"x\", \"job\": \"id2\"}","{\"job\": \"id\", \"x\": \"1\", \"y\": \"2\"}","{\"job\": \"id2\"}"]' "three distinct groups"
http DELETE /metrics/job/id2
http DELETE /metrics/job/id2/instance/x
http DELETE /metrics/job/id/x/1/y/2
assert_store_empty "identity groups deleted"

# {job=z} and {job=z,instance=""} are different groups, but their timestamp
# series have the same label set: the second push is rejected as a duplicate.
# (Upstream then creates the failed group anyway, which leaves the store
# inconsistent until one of them is deleted; that aftermath is not asserted.)
push_ok PUT /metrics/job/z/instance/ 'zz 1
'
push PUT /metrics/job/z 'zz2 1
'
assert_status 400 "{job=z} next to {job=z,instance=\"\"}"
assert_prefix "$HTTP_BODY" "$ERR_PREFIX" "{job=z} rejection prefix"
assert_contains "$HTTP_BODY" 'was collected before with the same name and label values' "{job=z} rejection phrase"
http DELETE /metrics/job/z
http DELETE /metrics/job/z/instance/
wait_until 50 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 '$PGW_URL/metrics')\" = 200 ]"
assert_store_empty "{job=z} groups deleted"

# ------------------------------------------------------------------ errors
bad_key PUT /metrics/job/a/odd 'odd number of components in label string "/odd"'
bad_key POST /metrics/job/a/x/1/odd 'odd number of components in label string "/x/1/odd"'
bad_key PUT /metrics/job/a/x/1/ 'odd number of components in label string "/x/1/"'
bad_key PUT '/metrics/job/a/x/c%2Fd' 'odd number of components in label string "/x/c/d"'
bad_key PUT '/metrics/job/a/x%2Fy/1' 'odd number of components in label string "/x/y/1"'
bad_key PUT /metrics/job/a/__x/1 'improper label name "__x"'
bad_key PUT /metrics/job/a/__x@base64/YQ 'improper label name "__x"'
bad_key PUT /metrics/job/a/__name__/1 'improper label name "__name__"'
bad_key PUT /metrics/job/a/1x/1 'improper label name "1x"'
bad_key POST /metrics/job/a/x-y/1 'improper label name "x-y"'
bad_key PUT /metrics/job/a/e@base64x/1 'improper label name "e@base64x"'
bad_key PUT '/metrics/job/a/%C3%A4/1' 'improper label name "ä"'
bad_key PUT /metrics/job/a/@base64/YQ 'improper label name ""'
# odd components are reported before improper names
bad_key PUT /metrics/job/a/__x/1/odd 'odd number of components in label string "/__x/1/odd"'
# first bad pair wins
bad_key PUT /metrics/job/a/x/1/__y/2/1z/3 'improper label name "__y"'
bad_key PUT /metrics/job/a/l@base64/YQ=a 'invalid base64 encoding for label l="YQ=a": illegal base64 data at input byte 2'
bad_key PUT /metrics/job/a/l@base64/Y 'invalid base64 encoding for label l="Y": illegal base64 data at input byte 0'
bad_key POST /metrics/job/a/l@base64/YQ+a 'invalid base64 encoding for label l="YQ+a": illegal base64 data at input byte 2'
bad_key PUT /metrics/job/a/l@base64/YWJj*GVm 'invalid base64 encoding for label l="YWJj*GVm": illegal base64 data at input byte 4'
# empty job (reachable only through base64); bad labels are reported first
bad_key PUT /metrics/job@base64/=/x/1 'job name is required'
bad_key POST /metrics/job@base64/===/x/1 'job name is required'
bad_key PUT /metrics/job@base64/=/__x/1 'improper label name "__x"'
bad_key PUT /metrics/job@base64/=/x 'odd number of components in label string "/x"'
bad_key PUT /metrics/job@base64/= 'job name is required'
bad_key POST /metrics/job@base64/== 'job name is required'

# DELETE parses the URL the same way
for m in DELETE; do
	bad_key $m /metrics/job/a/x 'odd number of components in label string "/x"'
	bad_key $m /metrics/job/a/__x/1 'improper label name "__x"'
	bad_key $m /metrics/job/a/l@base64/Y 'invalid base64 encoding for label l="Y": illegal base64 data at input byte 0'
	bad_key $m /metrics/job@base64/=/x/1 'job name is required'
done

# router level: empty job segment
http PUT /metrics/job/ --data-binary 'g 1
'
assert_status 307 "PUT /metrics/job/ redirects"
assert_header Location /metrics/job "PUT /metrics/job/ Location"
http PUT /metrics/job --data-binary 'g 1
'
assert_plain_error 404 "404 page not found$NL" "PUT /metrics/job"
http PUT /metrics/job@base64 --data-binary 'g 1
'
assert_plain_error 404 "404 page not found$NL" "PUT /metrics/job@base64"
assert_store_empty "router errors stored nothing"

# path cleaning (§4.2): dot segments and // are redirected, nothing stored
for p in /metrics/job/a/instance/.. /metrics/job/a/x/1/./y/2 /metrics/job/a//x/1; do
	http PUT "$p" --data-binary 'g 1
'
	case $HTTP_STATUS in 307) HTTP_STATUS=301 ;; esac # newest Go: 307
	assert_status 301 "PUT $p is cleaned by a redirect"
done
http PUT /metrics/job/a/instance/.. --data-binary 'g 1
'
assert_header Location /metrics/job/a "dot-dot Location"
assert_store_empty "cleaned paths stored nothing"
if is_ours; then
	# U3: 1.11 looks at the escaped path, so %2E%2E is the literal value ".."
	ok_key '/metrics/job/a/instance/%2E%2E' '{"instance":"..","job":"a"}' 'g{instance="..",job="a"} 1'
	ok_key '/metrics/job/a/x/%2E' '{"job":"a","x":"."}' 'g{instance="",job="a",x="."} 1'
else
	http PUT '/metrics/job/a/instance/%2E%2E' --data-binary 'g 1
'
	assert_status 301 "U3: 1.5.1 cleans %2E%2E"
	skip_assert "U3: %2E%2E/%2E stay literal only in 1.11"
fi

# ----------------------------------------- invalid base64 job (§4 step 1)
# 1.5.x leaves a per-route mutex locked after an invalid base64 job (U5): every
# later request on that route hangs.  Observed on 1.5.1 for DELETE as well, per
# registered route (/job@base64/:job and /job@base64/:job/*labels separately).
# So upstream gets exactly one such DELETE per route, as the last request on
# that route; pushes with an invalid base64 job are sent to ours only.
if is_ours; then
	bad_key PUT /metrics/job@base64/dGVzd+9qb2I 'invalid base64 encoding in job name "tes": illegal base64 data at input byte 5'
	bad_key POST /metrics/job@base64/Y 'invalid base64 encoding in job name "": illegal base64 data at input byte 0'
	# the quoted value is the partial decode: nothing of the failing quantum
	bad_key PUT /metrics/job@base64/YQ=a/x/1 'invalid base64 encoding in job name "": illegal base64 data at input byte 2'
	# a bad base64 job is reported before bad labels
	bad_key POST /metrics/job@base64/Y/__x/1 'invalid base64 encoding in job name "": illegal base64 data at input byte 0'
	bad_key PUT /metrics/job@base64/Y/odd 'invalid base64 encoding in job name "": illegal base64 data at input byte 0'
	# no deadlock: the same routes keep working (fixed in 1.6.1)
	ok_key /metrics/job@base64/YQ '{"job":"a"}' 'g{instance="",job="a"} 1'
	ok_key /metrics/job@base64/YQ/x/1 '{"job":"a","x":"1"}' 'g{instance="",job="a",x="1"} 1'
	push POST /metrics/job@base64/YQ 'g 1
'
	expect 200 "" "POST base64 route after errors"
	http DELETE /metrics/job@base64/YQ
	bad_key DELETE /metrics/job@base64/Y 'invalid base64 encoding in job name "": illegal base64 data at input byte 0'
else
	skip_assert "U5: invalid base64 job pushes would deadlock 1.5.1"
fi
bad_key DELETE /metrics/job@base64/dGVzd+9qb2I 'invalid base64 encoding in job name "tes": illegal base64 data at input byte 5'
bad_key DELETE /metrics/job@base64/Y/x 'invalid base64 encoding in job name "": illegal base64 data at input byte 0'
if is_ours; then
	http DELETE /metrics/job@base64/YQ/x/1
	expect 202 "" "DELETE base64 routes keep working"
fi
pgw_stop

# ----------------------------------------- non-UTF-8 grouping value (§13.2)
pgw_start
push_ok PUT /metrics/job/good 'g 1
'
snap utf
push PUT '/metrics/job/bad%FFjob' 'g 1
'
assert_status 400 "non-UTF-8 job value"
assert_prefix "$HTTP_BODY" "$ERR_PREFIX" "non-UTF-8 job value body"
if is_ours; then
	# D2: rejected without creating a group, no store poisoning
	assert_unchanged utf "D2: non-UTF-8 push creates no group"
	http GET /metrics
	assert_status 200 "D2: scrape after non-UTF-8 push"
	push_ok POST /metrics/job/good 'g 2
'
	push POST '/metrics/job/ok/l@base64/_w' 'g 1
'
	assert_status 400 "D2: non-UTF-8 base64 label value"
	assert_prefix "$HTTP_BODY" "$ERR_PREFIX" "D2: base64 non-UTF-8 body"
	http GET /metrics
	assert_status 200 "D2: scrape still fine"
	api_metrics
	assert_json "$API" '[g["labels"] for g in d["data"]]' '[{"job":"good"}]' "D2: only the good group"
else
	# §13.2 (verified upstream): the failed group poisons the store
	assert_contains "$HTTP_BODY" 'whose value is not utf8' "non-UTF-8 phrase"
	http GET /metrics
	assert_status 500 "upstream: poisoned store fails scrapes"
	push POST /metrics/job/good 'g 2
'
	assert_status 400 "upstream: poisoned store rejects checked pushes"
	http DELETE '/metrics/job/bad%FFjob'
	expect 202 "" "delete the poisoned group"
	assert_true "upstream: scrapes recover" wait_until 50 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 '$PGW_URL/metrics')\" = 200 ]"
	skip_assert "D2: upstream poisons the store"
fi
pgw_stop

# ------------------------------------- --push.enable-utf8-names (1.11 only)
if is_ours; then
	pgw_start --push.enable-utf8-names
	push PUT /metrics/job/u/U__dotted_2e_label_2e_name/1 'g 1
'
	expect 200 "" "U__ escaped label name"
	push PUT /metrics/job/u2/U__foo_2e_bar@base64/YmF6 'g 1
'
	expect 200 "" "U__ with @base64"
	push PUT /metrics/job/u3/U__bad_zz_/1 'g 1
'
	expect 200 "" "malformed U__ stays unchanged"
	api_metrics
	assert_json "$API" 'sorted(json.dumps(g["labels"], sort_keys=True) for g in d["data"])' \
		'["{\"U__bad_zz_\": \"1\", \"job\": \"u3\"}","{\"dotted.label.name\": \"1\", \"job\": \"u\"}","{\"foo.bar\": \"baz\", \"job\": \"u2\"}"]' "U__ unescaping"
	bad_key PUT /metrics/job/u/__x/1 'improper label name "__x"'
	pgw_stop
else
	skip_assert "U7: 1.5.1 has no --push.enable-utf8-names"
fi

t_finish
