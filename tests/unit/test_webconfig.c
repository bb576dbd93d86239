/* test_webconfig.c - --web.config.file: parsing, validation, basic auth, rate limit */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tls.h"
#include "webconfig.h"
#include "xmalloc.h"

/* bcrypt of "fakepassword" (exporter-toolkit's decoy hash). */
#define BCRYPT_FAKE "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"

/* Parse text with dir "/etc/pg"; returns the result, *err kept for the caller. */
static int
parse(struct webconfig *wc, const char *text, char **err)
{
    webconfig_init(wc);
    *err = NULL;
    return webconfig_parse(text, strlen(text), "/etc/pg", wc, err);
}

/* The parse of text must fail with a message containing want. */
static void
expect_error(const char *text, const char *want)
{
    struct webconfig wc;
    char *err = NULL;

    if (parse(&wc, text, &err) == 0)
        fail_msg("accepted: %s", text);
    assert_non_null(err);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\" for: %s", err, want, text);
    free(err);
    webconfig_free(&wc);
}

/* The parse of text must succeed. */
static void
expect_ok(struct webconfig *wc, const char *text)
{
    char *err = NULL;

    if (parse(wc, text, &err) != 0)
        fail_msg("refused (%s): %s", err, text);
}

/* "Basic " + base64 of s. */
static char *
basic(const char *s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), i, o = 6;
    char *out = xmalloc(6 + (n + 2) / 3 * 4 + 1);

    memcpy(out, "Basic ", 6);
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)s[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static void
test_empty(void **state)
{
    struct webconfig wc;

    (void)state;
    expect_ok(&wc, "");
    assert_false(wc.tls.enabled);
    assert_int_equal(wc.nusers, 0);
    assert_int_equal(wc.tls.min_version, WEBCONFIG_TLS12);
    assert_int_equal(wc.tls.max_version, WEBCONFIG_TLS13);
    assert_int_equal(webconfig_authorized(&wc, NULL), 1);
    webconfig_free(&wc);
    expect_ok(&wc, "# only a comment\n---\n");
    webconfig_free(&wc);
    expect_ok(&wc, "~\n");
    webconfig_free(&wc);
    expect_ok(&wc, "tls_server_config:\nhttp_server_config: ~\nbasic_auth_users: {}\n");
    assert_false(wc.tls.enabled);
    webconfig_free(&wc);
}

static void
test_full(void **state)
{
    struct webconfig wc;

    (void)state;
    expect_ok(&wc, "tls_server_config:\n"
                   "  cert_file: tls.crt\n"
                   "  key_file: /abs/tls.key\n"
                   "  client_auth_type: RequireAndVerifyClientCert\n"
                   "  client_ca_file: ca.crt\n"
                   "  client_allowed_sans: [client.example.com, 10.0.0.1]\n"
                   "  min_version: TLS13\n"
                   "  max_version: TLS13\n"
                   "  cipher_suites:\n"
                   "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
                   "    - TLS_AES_128_GCM_SHA256\n"
                   "  curve_preferences: [X25519, CurveP256]\n"
                   "  prefer_server_cipher_suites: no\n"
                   "http_server_config:\n"
                   "  http2: false\n"
                   "  headers:\n"
                   "    X-Frame-Options: deny\n"
                   "    Strict-Transport-Security: max-age=3600\n"
                   "    X-XSS-Protection: \"\"\n"
                   "basic_auth_users:\n"
                   "  zed: " BCRYPT_FAKE "\n"
                   "  alice: '$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2"
                   "CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.'\n"
                   "rate_limit:\n"
                   "  interval: 100ms\n"
                   "  burst: 5\n");
    assert_true(wc.tls.enabled);
    assert_string_equal(wc.tls.cert_file, "/etc/pg/tls.crt");
    assert_string_equal(wc.tls.key_file, "/abs/tls.key");
    assert_string_equal(wc.tls.client_ca_file, "/etc/pg/ca.crt");
    assert_int_equal(wc.tls.client_auth, WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT);
    assert_int_equal(wc.tls.nallowed_sans, 2);
    assert_string_equal(wc.tls.allowed_sans[1], "10.0.0.1");
    assert_int_equal(wc.tls.min_version, WEBCONFIG_TLS13);
    /* TLS 1.3 suites are dropped; the others get OpenSSL's names. */
    assert_int_equal(wc.tls.ncipher_suites, 1);
    assert_string_equal(wc.tls.cipher_suites[0], "ECDHE-RSA-AES128-GCM-SHA256");
    assert_int_equal(wc.tls.ncurves, 2);
    assert_string_equal(wc.tls.curves[0], "X25519");
    assert_string_equal(wc.tls.curves[1], "P-256");
    assert_int_equal(wc.tls.prefer_server_cipher_suites, 0);
    assert_int_equal(wc.http2, 0);
    assert_int_equal(wc.nheaders, 2); /* the blank one is unset */
    assert_string_equal(wc.headers[0].name, "X-Frame-Options");
    assert_string_equal(wc.headers[0].value, "deny");
    assert_int_equal(wc.nusers, 2);
    assert_string_equal(wc.users[0].name, "alice"); /* sorted */
    assert_int_equal(wc.users[0].scheme, WEBCONFIG_HASH_SHA512);
    assert_int_equal(wc.users[1].scheme, WEBCONFIG_HASH_BCRYPT);
    assert_true(wc.rate_interval == INT64_C(100000000));
    assert_true(wc.rate_burst == 5);
    webconfig_free(&wc);

    /* Inline PEM, anchors and aliases, flow style. */
    expect_ok(&wc, "tls_server_config: {cert: &c \"-----BEGIN X-----\", key: *c}\n");
    assert_true(wc.tls.enabled);
    assert_string_equal(wc.tls.cert, "-----BEGIN X-----");
    assert_string_equal(wc.tls.key, "-----BEGIN X-----");
    webconfig_free(&wc);
}

static void
test_errors(void **state)
{
    (void)state;
    expect_error("foo: 1\n", "unknown field \"foo\"");
    expect_error("- a\n", "want a mapping");
    expect_error("42\n", "want a mapping");
    expect_error("a: [\n", "yaml: line");
    expect_error("tls_server_config:\n  cert_file: a\n  cert_file: b\n  key_file: k\n",
                 "key \"cert_file\" already set");
    expect_error("tls_server_config:\n  certfile: a\n", "unknown field \"certfile\"");
    expect_error("tls_server_config:\n  cert_file: a\n", "missing one of key or key_file");
    expect_error("tls_server_config:\n  key_file: a\n", "missing one of cert or cert_file");
    expect_error("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
                 "missing one of cert or cert_file");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n",
                 "invalid ClientAuth: Maybe");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
                 "client CA's have been configured without a Client Auth Policy");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                 "  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [x]\n",
                 "client_allowed_sans requires");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n",
                 "unknown TLS version: TLS14");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
                 "  max_version: TLS12\n",
                 "min_version is above max_version");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [RC4]\n",
                 "unknown cipher: RC4");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: x\n",
                 "want a list of strings");
    expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                 "  curve_preferences: [P256]\n",
                 "unknown curve: P256");
    expect_error("tls_server_config:\n  cert_file: [a]\n", "want a string");
    expect_error("tls_server_config:\n  prefer_server_cipher_suites: \"true\"\n",
                 "want true or false");
    expect_error("http_server_config:\n  http2: maybe\n", "want true or false");
    expect_error("http_server_config:\n  headers:\n    X-Powered-By: me\n",
                 "HTTP header \"X-Powered-By\" can not be configured");
    expect_error("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
                 "invalid value for X-Frame-Options");
    expect_error("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nX: y\"\n",
                 "line break");
    expect_error("basic_auth_users:\n  alice: secret\n", "not a supported password hash");
    expect_error("basic_auth_users:\n  alice: $1$abc$OGyl6dDvZCDiGmIVbeuCq/\n",
                 "not a supported password hash");
    expect_error("basic_auth_users:\n  alice:\n", "no password hash");
    expect_error("basic_auth_users:\n  \"a:b\": " BCRYPT_FAKE "\n", "cannot contain ':'");
    expect_error("basic_auth_users:\n  alice: $2y$15$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/"
                 "VcEd00UAV/LDeSi\n",
                 "bcrypt cost 15 is above 14");
    expect_error("basic_auth_users:\n  alice: $2y$10$short\n", "malformed bcrypt hash");
    expect_error("basic_auth_users: [a]\n", "want a mapping");
    expect_error("rate_limit:\n  interval: 5x\n", "interval");
    expect_error("rate_limit:\n  burst: -1\n", "burst");
    expect_error("rate_limit:\n  every: 1s\n", "unknown field \"every\"");
    expect_error("a: *nope\n", "unknown anchor");
    expect_error("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]"
                 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
                 "nesting deeper");
}

static void
test_hash_check(void **state)
{
    static const char *const bad[] = {
        "",
        "$2y$",
        "$2y$1x$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi",
        "$2y$03$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi",
        "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS!",
        "$2x$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi",
        "$6$",
        "$6$salt$tooshort",
        "$6$rounds=999$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLti"
        "p/cZ/1GM/O6IND4WQhG.",
        "$6$rounds=9999999$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrV"
        "ACtLtip/cZ/1GM/O6IND4WQhG.",
        "$6$abcdefghijklmnopq$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip"
        "/cZ/1GM/O6IND4WQhG.",
        "plY2Q82LqpBaA",
    };
    enum webconfig_hash s;
    char *err = NULL;
    size_t i;

    (void)state;
    assert_int_equal(webconfig_hash_check(BCRYPT_FAKE, &s, &err), 0);
    assert_int_equal(s, WEBCONFIG_HASH_BCRYPT);
    assert_int_equal(webconfig_hash_check("$6$rounds=5000$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5N"
                                          "bc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQ"
                                          "hG.",
                                          &s, &err),
                     0);
    assert_int_equal(s, WEBCONFIG_HASH_SHA512);
    assert_int_equal(webconfig_hash_check("$5$abc$"
                                          "0123456789012345678901234567890123456789012",
                                          &s, &err),
                     0);
    assert_int_equal(s, WEBCONFIG_HASH_SHA256);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (webconfig_hash_check(bad[i], &s, &err) == 0)
            fail_msg("accepted hash %s", bad[i]);
        free(err);
        err = NULL;
    }
}

static void
test_parse_basic(void **state)
{
    char *u = NULL, *p = NULL, *h;
    size_t ul, pl;

    (void)state;
    h = basic("alice:se:cret");
    assert_int_equal(webconfig_parse_basic_auth(h, &u, &ul, &p, &pl), 0);
    assert_string_equal(u, "alice");
    assert_string_equal(p, "se:cret");
    free(u);
    free(p);
    /* The scheme is case-insensitive, as in Go. */
    h[0] = 'b';
    h[1] = 'A';
    assert_int_equal(webconfig_parse_basic_auth(h, &u, &ul, &p, &pl), 0);
    free(u);
    free(p);
    free(h);
    h = basic(":");
    assert_int_equal(webconfig_parse_basic_auth(h, &u, &ul, &p, &pl), 0);
    assert_int_equal(ul, 0);
    assert_int_equal(pl, 0);
    free(u);
    free(p);
    free(h);
    assert_int_equal(webconfig_parse_basic_auth("Basic YWxpY2U6eA==", &u, &ul, &p, &pl), 0);
    assert_string_equal(p, "x");
    free(u);
    free(p);
    assert_int_equal(webconfig_parse_basic_auth("Basic YWxp\r\nY2U6eA==", &u, &ul, &p, &pl), 0);
    free(u);
    free(p);
    assert_int_equal(webconfig_parse_basic_auth(NULL, &u, &ul, &p, &pl), -1);
    assert_int_equal(webconfig_parse_basic_auth("Bearer abc", &u, &ul, &p, &pl), -1);
    assert_int_equal(webconfig_parse_basic_auth("Basic YWxpY2U6eA", &u, &ul, &p, &pl), -1);
    assert_int_equal(webconfig_parse_basic_auth("Basic YWxpY2U=", &u, &ul, &p, &pl), -1);
    assert_int_equal(webconfig_parse_basic_auth("Basic YWxpY2U6eA==x", &u, &ul, &p, &pl), -1);
    assert_int_equal(webconfig_parse_basic_auth("Basic ", &u, &ul, &p, &pl), -1);
    assert_int_equal(webconfig_parse_basic_auth("Basic ====", &u, &ul, &p, &pl), -1);
    assert_int_equal(webconfig_parse_basic_auth("Basic Y*==", &u, &ul, &p, &pl), -1);
}

/* Accepted and rejected as net/http's Request.BasicAuth does (results taken from Go). */
static void
test_parse_basic_table(void **state)
{
    static const struct {
        const char *header;
        const char *user, *pass; /* NULL: rejected */
    } cases[] = {
        /* the first ':' separates; the password may contain more, or be empty */
        {"Basic YTpiOmM6", "a", "b:c:"},
        {"Basic OnB3", "", "pw"},
        {"Basic YWxpY2U6", "alice", ""},
        {"BASIC YWxpY2U6eA==", "alice", "x"},
        /* the standard alphabet only */
        {"Basic YWxpY2U6+/+/Pw==", "alice", "\xfb\xff\xbf?"},
        {"Basic YWxpY2U6-_-_Pw==", NULL, NULL},
        /* padding: required, line breaks allowed around it, nothing else after it */
        {"Basic YWxpY2U6eHk=", "alice", "xy"},
        {"Basic YWxpY2U6eA=\n=", "alice", "x"},
        {"Basic YWxpY2U6eA\n==", "alice", "x"},
        {"basic YWxpY2U6eA==\r\n", "alice", "x"},
        {"Basic YWxpY2U6eB==", "alice", "x"}, /* not strict: leftover bits ignored */
        {"Basic YWxpY2U6eA=", NULL, NULL},
        {"Basic YWxpY2U6eA===", NULL, NULL},
        {"Basic YWxpY2U6eA==YQ==", NULL, NULL}, /* Go decodes "alice:x", then fails */
        /* truncated quanta */
        {"Basic YWxpY2U6eHk", NULL, NULL},
        {"Basic YWxpY2U6e", NULL, NULL},
        /* blanks are not skipped, and the scheme is followed by exactly one space */
        {"Basic  YWxpY2U6eA==", NULL, NULL},
        {"Basic YWxpY2U6eA== ", NULL, NULL},
        {"Basic\tYWxpY2U6eA==", NULL, NULL},
        {"Basic", NULL, NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *u = NULL, *p = NULL;
        size_t ul = 12345, pl = 12345;
        int rc = webconfig_parse_basic_auth(cases[i].header, &u, &ul, &p, &pl);

        print_message("basic auth case %lu\n", (unsigned long)i);
        if (cases[i].user == NULL) {
            assert_int_equal(rc, -1);
            assert_null(u);
            assert_null(p);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(ul, strlen(cases[i].user));
        assert_string_equal(u, cases[i].user);
        assert_int_equal(pl, strlen(cases[i].pass));
        assert_string_equal(p, cases[i].pass);
        free(u);
        free(p);
    }
}

/* Is this scheme available from crypt() here? */
static int
have_scheme(const char *setting, size_t want_len)
{
    const char *r = crypt("x", setting);

    return r != NULL && r[0] != '*' && strlen(r) == want_len;
}

static void
test_authorized(void **state)
{
    struct webconfig wc;
    char *text, *err = NULL, *h;
    const char *sha;
    int bcrypt = have_scheme("$2y$04$abcdefghijklmnopqrstuu", 60);

    (void)state;
    sha = crypt("secret", "$6$rounds=1000$saltsalt$");
    assert_non_null(sha);
    text = xasprintf("basic_auth_users:\n  alice: '%s'\n%s", sha,
                     bcrypt ? "  bob: " BCRYPT_FAKE "\n" : "");
    expect_ok(&wc, text);
    free(text);
    assert_int_equal(webconfig_check_platform(&wc, &err), 0);
    assert_non_null(wc.dummy_hash);
    assert_int_equal(webconfig_authorized(&wc, NULL), 0);
    assert_int_equal(webconfig_authorized(&wc, "Basic !!"), 0);
#define AUTH(cred, want)                                                                           \
    do {                                                                                           \
        h = basic(cred);                                                                           \
        assert_int_equal(webconfig_authorized(&wc, h), want);                                      \
        /* The second time comes from the cache, with the same answer. */                          \
        assert_int_equal(webconfig_authorized(&wc, h), want);                                      \
        free(h);                                                                                   \
    } while (0)
    AUTH("alice:secret", 1);
    AUTH("alice:Secret", 0);
    AUTH("alice:secret ", 0);
    AUTH("alice:", 0);
    AUTH("Alice:secret", 0);
    AUTH("nobody:secret", 0);
    AUTH("nobody:fakepassword", 0);
    if (bcrypt) {
        AUTH("bob:fakepassword", 1);
        AUTH("bob:secret", 0);
    }
#undef AUTH
    /* A NUL byte must not cut the password short: "secret\0x" is not "secret". */
    assert_int_equal(webconfig_authorized(&wc, "Basic YWxpY2U6c2VjcmV0AHg="), 0);
    /* With the hashing budget of this second spent, uncached credentials are refused, even
     * right ones, while cached ones still pass. */
    wc.auth_budget_ns = 1;
    h = basic("nobody:1");
    assert_int_equal(webconfig_authorized(&wc, h), 0); /* spends the budget */
    free(h);
    h = basic("alice:secret");
    assert_int_equal(webconfig_authorized(&wc, h), 1); /* cached */
    free(h);
    webconfig_free(&wc);
    text = xasprintf("basic_auth_users:\n  alice: '%s'\n", sha);
    expect_ok(&wc, text);
    free(text);
    assert_int_equal(webconfig_check_platform(&wc, &err), 0);
    wc.auth_budget_ns = 1;
    h = basic("nobody:1");
    assert_int_equal(webconfig_authorized(&wc, h), 0);
    free(h);
    h = basic("alice:secret");
    assert_int_equal(webconfig_authorized(&wc, h), 0); /* uncached, over budget: refused */
    free(h);
    /* Unlimited rather than the default 250 ms: a descheduled crypt() above may have taken
     * longer than that on a loaded machine. */
    wc.auth_budget_ns = INT64_MAX;
    h = basic("alice:secret");
    assert_int_equal(webconfig_authorized(&wc, h), 1); /* the refusal was not cached */
    free(h);
    webconfig_free(&wc);
}

/* A scheme the platform cannot verify is refused (simulated with an unknown-cost check). */
static void
test_platform(void **state)
{
    struct webconfig wc;
    char *err = NULL;

    (void)state;
    expect_ok(&wc, "basic_auth_users:\n  bob: " BCRYPT_FAKE "\n");
    if (have_scheme("$2y$04$abcdefghijklmnopqrstuu", 60)) {
        assert_int_equal(webconfig_check_platform(&wc, &err), 0);
    } else {
        assert_int_equal(webconfig_check_platform(&wc, &err), -1);
        assert_non_null(strstr(err, "cannot verify bcrypt"));
        free(err);
    }
    webconfig_free(&wc);
}

static void
test_rate_limit(void **state)
{
    struct webconfig wc;
    struct timespec t = {100, 0};

    (void)state;
    expect_ok(&wc, "rate_limit:\n  interval: 1s\n  burst: 2\n");
    assert_int_equal(webconfig_rate_allow(&wc, &t), 1);
    assert_int_equal(webconfig_rate_allow(&wc, &t), 1);
    assert_int_equal(webconfig_rate_allow(&wc, &t), 0);
    t.tv_nsec = 500000000;
    assert_int_equal(webconfig_rate_allow(&wc, &t), 0);
    t.tv_sec = 101;
    assert_int_equal(webconfig_rate_allow(&wc, &t), 1);
    assert_int_equal(webconfig_rate_allow(&wc, &t), 0);
    t.tv_sec = 200; /* refills up to the burst only */
    assert_int_equal(webconfig_rate_allow(&wc, &t), 1);
    assert_int_equal(webconfig_rate_allow(&wc, &t), 1);
    assert_int_equal(webconfig_rate_allow(&wc, &t), 0);
    webconfig_free(&wc);
    expect_ok(&wc, "rate_limit:\n  interval: 0s\n  burst: 0\n");
    assert_int_equal(webconfig_rate_allow(&wc, &t), 1);
    webconfig_free(&wc);
    /* An interval in nanoseconds, as Go's yaml accepts for a time.Duration. */
    expect_ok(&wc, "rate_limit:\n  interval: 1000000000\n  burst: 1\n");
    assert_true(wc.rate_interval == INT64_C(1000000000));
    webconfig_free(&wc);
}

static void
test_load(void **state)
{
    struct webconfig wc;
    char path[] = "/tmp/pgw-webconfig-XXXXXX";
    char *err = NULL;
    int fd;

    (void)state;
    webconfig_init(&wc);
    assert_int_equal(webconfig_load("/nonexistent/web.yml", &wc, &err), -1);
    assert_non_null(strstr(err, "open /nonexistent/web.yml"));
    free(err);
    webconfig_free(&wc);
    assert_int_equal(webconfig_load("/tmp", &wc, &err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    free(err);
    webconfig_free(&wc);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n", 56),
                     56);
    close(fd);
    assert_int_equal(webconfig_load(path, &wc, &err), 0);
    assert_string_equal(wc.tls.cert_file, "/tmp/c.pem");
    webconfig_free(&wc);
    unlink(path);
}

/* TLS set-up errors name the setting (missing files), or the build cannot serve TLS. */
static void
test_tls_errors(void **state)
{
    struct webconfig wc;
    struct tls_server *ts;
    char *err = NULL;

    (void)state;
    expect_ok(&wc, "tls_server_config:\n  cert_file: /nonexistent/c.pem\n  key_file: k.pem\n");
    ts = tls_server_new(&wc.tls, &err);
    assert_null(ts);
    assert_non_null(err);
    if (tls_unsupported_reason() == NULL)
        assert_non_null(strstr(err, "cert_file (/nonexistent/c.pem)"));
    else
        assert_non_null(strstr(err, "TLS needs"));
    free(err);
    webconfig_free(&wc);
    expect_ok(&wc, "tls_server_config:\n  cert: not a pem\n  key: not a pem either\n");
    err = NULL;
    assert_null(tls_server_new(&wc.tls, &err));
    assert_non_null(err);
    free(err);
    webconfig_free(&wc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),       cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_hash_check),
        cmocka_unit_test(test_parse_basic), cmocka_unit_test(test_parse_basic_table),
        cmocka_unit_test(test_authorized),  cmocka_unit_test(test_platform),
        cmocka_unit_test(test_rate_limit),  cmocka_unit_test(test_load),
        cmocka_unit_test(test_tls_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
