#!/bin/sh
# t_webconfig.sh - --web.config.file (spec §1; exporter-toolkit's format): basic auth on every
# endpoint (401 with WWW-Authenticate, right and wrong passwords, unknown users, the decoy
# password), configured response headers, TLS with curl (certificate verified, plain HTTP
# refused on the TLS port, TLS 1.3), client certificates (RequireAndVerifyClientCert,
# client_allowed_sans), the rate limit, and start-up errors naming the reason.
. "$(dirname "$0")/lib.sh"

# stop_clean: SIGTERM; the gateway must exit 0 (sanitizer builds fail it on a leak or error).
stop_clean() {
	pgw_stop
	assert_eq "$PGW_EXIT" 0 "graceful exit"
}

command -v openssl >/dev/null 2>&1 || skip_all "openssl (the command) is needed for certificates"

# bcrypt of "fakepassword": exporter-toolkit's own decoy hash, a valid bcrypt hash.
BOB_HASH='$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi'
# SHA-512 crypt of "s3cret" (ours: upstream knows bcrypt only).
ALICE_HASH=$(openssl passwd -6 -salt pgwtest s3cret)
BOB="-u bob:fakepassword"

users() {
	printf 'basic_auth_users:\n  bob: %s\n' "$BOB_HASH"
	is_ours && printf "  alice: '%s'\n" "$ALICE_HASH"
}

# noauth: run the http helper without the credentials of PGW_CURL_ARGS.
noauth() {
	_saved=$PGW_CURL_ARGS
	PGW_CURL_ARGS=$PGW_NOAUTH_ARGS
	http "$@"
	PGW_CURL_ARGS=$_saved
}

# ------------------------------------------------------------ basic auth on plain HTTP
{
	users
	printf 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n'
} >"$T_TMP/auth.yml"
PGW_NOAUTH_ARGS=""
PGW_CURL_ARGS=$BOB
pgw_start --web.config.file="$T_TMP/auth.yml"
push_ok PUT /metrics/job/keep 'keep 1
'
snap auth

for ep in "GET /-/healthy" "GET /-/ready" "GET /metrics" "GET /api/v1/status" \
	"GET /api/v1/metrics" "GET /" "GET /status" "PUT /metrics/job/x" "POST /metrics/job/x" \
	"DELETE /metrics/job/keep" "PUT /api/v1/admin/wipe" "OPTIONS /api/v1/status" \
	"GET /nonexistent" "GET //metrics" "PUT /-/quit"; do
	set -- $ep
	noauth "$1" "$2" --data-binary 'x 1'
	[ "$1" = GET ] && noauth "$1" "$2"
	assert_plain_error 401 "Unauthorized
" "$ep without credentials"
	assert_header WWW-Authenticate Basic "$ep without credentials"
	assert_header X-Frame-Options deny "$ep without credentials: configured header"
done
is_ours && {
	noauth GET /static/app.css
	assert_status 401 "static assets are protected too"
	noauth HEAD /-/healthy
	assert_status 401 "HEAD is protected too"
}
assert_unchanged auth "requests without credentials change nothing"

for cred in bob:wrong bob: bob:FAKEPASSWORD nobody:fakepassword nobody:x :fakepassword \
	bob:fakepassword\ ; do
	noauth GET /-/healthy -u "$cred"
	assert_status 401 "credentials $cred"
	assert_header WWW-Authenticate Basic "credentials $cred"
done
noauth GET /-/healthy -H "Authorization: Bearer fakepassword"
assert_status 401 "a bearer token"
noauth GET /-/healthy -H "Authorization: Basic !!!!"
assert_status 401 "malformed base64"
noauth GET /-/healthy -H "Authorization: Basic Ym9iOmZha2VwYXNzd29yZA"
assert_status 401 "base64 without its padding (Go's StdEncoding needs it)"

http GET /-/healthy
expect 200 "OK" "bob's password"
assert_header X-Frame-Options deny "configured header on success"
noauth GET /-/healthy -H "Authorization: basic Ym9iOmZha2VwYXNzd29yZA=="
assert_status 200 "the scheme name in any case"
push_ok PUT /metrics/job/authed 'authed 1
'
assert_store_has 'authed{instance="",job="authed"} 1' "an authenticated push is stored"
if is_ours; then
	# A new second: the hashing budget (a quarter second per second) is not spent by the
	# wrong passwords above, so alice's first check runs.
	sleep 1
	noauth GET /-/healthy -u alice:s3cret
	assert_status 200 "alice's SHA-512 crypt password"
	noauth GET /-/healthy -u alice:s3cre
	assert_status 401 "alice's wrong password"
	noauth GET /-/healthy -u alice:fakepassword
	assert_status 401 "alice with bob's password"
fi
stop_clean

# ------------------------------------------------------------ TLS
# A CA, the server's certificate for 127.0.0.1 and localhost, two client certificates of the
# CA (with different SANs) and a self-signed client certificate.
cd "$T_TMP" || die "cd"
ossl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=pgw-test-ca
mkcert() { # NAME SAN
	ossl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
	printf 'subjectAltName=%s\n' "$2" >"$1.ext"
	ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" \
		-days 2 -extfile "$1.ext"
}
mkcert server "IP:127.0.0.1,DNS:localhost"
mkcert client "DNS:client.example"
mkcert other "DNS:other.example"
ossl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.crt -days 2 -subj /CN=rogue
cd - >/dev/null || die "cd"

{
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n'
	users
} >"$T_TMP/tls.yml"
PGW_SCHEME=https
PGW_NOAUTH_ARGS="--cacert $T_TMP/ca.crt"
PGW_CURL_ARGS="$PGW_NOAUTH_ARGS $BOB"
pgw_start --web.config.file="$T_TMP/tls.yml"
assert_prefix "$PGW_URL" "https://" "TLS URL"
http GET /-/healthy
expect 200 "OK" "GET over TLS, server certificate verified against the CA"
noauth GET /-/healthy
assert_status 401 "TLS without credentials"
push_ok PUT /metrics/job/tls 'over_tls 1
'
assert_store_has 'over_tls{instance="",job="tls"} 1' "a push over TLS"
noauth GET /-/healthy --tlsv1.3 -u bob:fakepassword
assert_status 200 "TLS 1.3"
_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PGW_PORT/-/healthy")
assert_ne "$_code" 200 "plain HTTP on the TLS port is refused"
_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 $BOB "$PGW_URL/-/healthy")
assert_eq "$_code" 000 "an unknown certificate authority is refused by curl (real TLS)"
http GET /-/healthy
assert_status 200 "still serving after the plain-HTTP attempt"
is_ours && assert_contains "$(cat "$PGW_LOG")" 'msg="TLS is enabled."' "TLS logged at start-up"
stop_clean

# Client certificates.
{
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n'
	printf '  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n'
} >"$T_TMP/mtls.yml"
PGW_NOAUTH_ARGS="--cacert $T_TMP/ca.crt"
PGW_CURL_ARGS="$PGW_NOAUTH_ARGS --cert $T_TMP/client.crt --key $T_TMP/client.key"
pgw_start --web.config.file="$T_TMP/mtls.yml"
http GET /-/healthy
expect 200 "OK" "a client certificate of the CA"
noauth GET /-/healthy
assert_ne "$HTTP_STATUS" 200 "no client certificate"
noauth GET /-/healthy --cert "$T_TMP/rogue.crt" --key "$T_TMP/rogue.key"
assert_ne "$HTTP_STATUS" 200 "a client certificate of another CA"
http GET /-/healthy
assert_status 200 "still serving after refused handshakes"
stop_clean

if is_ours; then
	printf '  client_allowed_sans: [client.example]\n' >>"$T_TMP/mtls.yml"
	pgw_start --web.config.file="$T_TMP/mtls.yml"
	http GET /-/healthy
	assert_status 200 "client_allowed_sans: the allowed SAN"
	noauth GET /-/healthy --cert "$T_TMP/other.crt" --key "$T_TMP/other.key"
	assert_ne "$HTTP_STATUS" 200 "client_allowed_sans: a valid certificate with another SAN"
	stop_clean
fi
PGW_SCHEME=http
PGW_NOAUTH_ARGS=""
PGW_CURL_ARGS=""

is_upstream && t_finish

# ------------------------------------------------------------ rate limit (ours: 1.11's toolkit has none)
printf 'rate_limit:\n  interval: 1h\n  burst: 5\n' >"$T_TMP/rate.yml"
pgw_start --web.config.file="$T_TMP/rate.yml"
_n=0
while [ $_n -lt 10 ]; do
	http GET /-/healthy
	[ "$HTTP_STATUS" = 429 ] && break
	_n=$((_n + 1))
done
assert_plain_error 429 "Too Many Requests
" "beyond the burst"
assert_true "at most the burst passed ($_n)" [ "$_n" -le 5 ]
stop_clean

# ------------------------------------------------------------ start-up errors
# bad_config NAME MESSAGE: the file $T_TMP/NAME stops start-up with exit status 2, -n with 1.
bad_config() {
	"$PGW_BIN" --web.listen-address=127.0.0.1:0 --web.config.file="$T_TMP/$1" \
		>"$T_TMP/out" 2>"$T_TMP/err"
	assert_eq "$?" 2 "$1: exit status"
	assert_prefix "$(cat "$T_TMP/err")" "pushgateway: --web.config.file: $T_TMP/$1: " "$1: message"
	assert_contains "$(cat "$T_TMP/err")" "$2" "$1: reason"
	"$PGW_BIN" -n --web.config.file="$T_TMP/$1" >"$T_TMP/out" 2>"$T_TMP/err"
	assert_eq "$?" 1 "$1: -n exit status"
}
printf 'tls_server_config:\n  cert_file: [\n' >"$T_TMP/syntax.yml"
bad_config syntax.yml "yaml: line 3"
printf 'tls_server_config:\n  cert_file: a\n  key_file: b\nfoo: 1\n' >"$T_TMP/unknown.yml"
bad_config unknown.yml 'line 4: unknown field "foo"'
printf 'basic_auth_users:\n  bob: fakepassword\n' >"$T_TMP/plain.yml"
bad_config plain.yml 'line 2: basic_auth_users: user "bob": not a supported password hash'
printf 'basic_auth_users:\n  bob: $1$abc$OGyl6dDvZCDiGmIVbeuCq/\n' >"$T_TMP/md5.yml"
bad_config md5.yml 'not a supported password hash'
printf 'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n' >"$T_TMP/nocert.yml"
bad_config nocert.yml "tls_server_config.cert_file ($T_TMP/missing.crt)"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n' >"$T_TMP/mismatch.yml"
bad_config mismatch.yml "tls_server_config"
printf 'http_server_config:\n  headers:\n    Server: pgw\n' >"$T_TMP/header.yml"
bad_config header.yml 'HTTP header "Server" can not be configured'
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: SSL3\n' \
	>"$T_TMP/version.yml"
bad_config version.yml "unknown TLS version: SSL3"
bad_config nonexistent.yml "open $T_TMP/nonexistent.yml"
"$PGW_BIN" -n --web.config.file="$T_TMP/tls.yml" >"$T_TMP/out" 2>&1
assert_eq "$?" 0 "-n accepts a valid TLS configuration"

t_finish
