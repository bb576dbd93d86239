/* webconfig.h - --web.config.file: exporter-toolkit's web configuration (TLS, basic auth) */
#ifndef PGW_WEBCONFIG_H
#define PGW_WEBCONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* tls_server_config.client_auth_type, as Go's tls.ClientAuthType. */
enum webconfig_client_auth {
    WEBCONFIG_NO_CLIENT_CERT = 0,
    WEBCONFIG_REQUEST_CLIENT_CERT,
    WEBCONFIG_REQUIRE_ANY_CLIENT_CERT,
    WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN,
    WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* Password hash schemes of basic_auth_users (crypt(3) formats). */
enum webconfig_hash {
    WEBCONFIG_HASH_BCRYPT, /* $2a$, $2b$, $2y$ */
    WEBCONFIG_HASH_SHA256, /* $5$ (SHA-256 crypt) */
    WEBCONFIG_HASH_SHA512, /* $6$ (SHA-512 crypt) */
};

/* TLS protocol versions as on the wire (min_version, max_version). */
#define WEBCONFIG_TLS10 0x0301
#define WEBCONFIG_TLS11 0x0302
#define WEBCONFIG_TLS12 0x0303
#define WEBCONFIG_TLS13 0x0304

/* Highest accepted bcrypt cost and SHA-crypt rounds: each check runs on the event loop. */
#define WEBCONFIG_MAX_BCRYPT_COST 14
#define WEBCONFIG_MAX_SHA_ROUNDS 500000

/* tls_server_config. Every string is owned; NULL when not given. */
struct webconfig_tls {
    int enabled; /* a certificate, key, client CA or client_auth_type is given */
    char *cert_file, *key_file, *client_ca_file; /* relative paths joined to the file's dir */
    char *cert, *key, *client_ca;                /* inline PEM */
    enum webconfig_client_auth client_auth;
    int min_version, max_version; /* WEBCONFIG_TLS1x; defaults TLS12 and TLS13 */
    char **cipher_suites;         /* OpenSSL names, in the configured order */
    size_t ncipher_suites;
    char **curves; /* OpenSSL group names ("P-256", "X25519"), in order */
    size_t ncurves;
    int prefer_server_cipher_suites; /* default 1 */
    int has_allowed_sans;            /* client_allowed_sans was given (possibly empty) */
    char **allowed_sans;
    size_t nallowed_sans;
};

struct webconfig_user {
    char *name;
    char *hash; /* crypt(3) string */
    enum webconfig_hash scheme;
};

struct webconfig_header {
    char *name;
    char *value;
};

struct webconfig_auth_cache;

/*
 * A parsed web configuration file. The parse result is immutable except for the state used
 * by webconfig_authorized (cache) and webconfig_rate_allow (token bucket).
 */
struct webconfig {
    struct webconfig_tls tls;
    int http2; /* http_server_config.http2 (default 1; we serve HTTP/1.1 only) */
    struct webconfig_header *headers; /* http_server_config.headers, validated */
    size_t nheaders;
    struct webconfig_user *users; /* basic_auth_users, sorted by name */
    size_t nusers;
    char *dummy_hash;      /* for unknown users, so that they cost what a known one does */
    int64_t rate_interval; /* rate_limit.interval in ns; 0 = no rate limit */
    int64_t rate_burst;    /* rate_limit.burst */
    double rate_tokens;    /* token bucket state */
    struct timespec rate_last;
    int rate_started;
    struct webconfig_auth_cache *cache;
    /*
     * Time per second that hash checks of credentials not in the cache may take (default a
     * quarter second): beyond it such requests are refused at once, so a password-guessing
     * client cannot stall the event loop; cached credentials keep working.
     */
    int64_t auth_budget_ns;
    int64_t auth_window_ns; /* start of the current second (monotonic) */
    int64_t auth_spent_ns;  /* hashing time spent in it */
};

void webconfig_init(struct webconfig *wc);
void webconfig_free(struct webconfig *wc);

/*
 * Parse a web configuration (YAML) from buf[0..len) the way exporter-toolkit's
 * yaml.UnmarshalStrict and its checks do: unknown and repeated keys, values of the wrong
 * type, unknown TLS versions, ciphers, curves and client auth types, headers outside
 * exporter-toolkit's list, and password hashes that are not bcrypt or SHA-crypt are errors.
 * Relative file names are joined to dir. Reads no file and runs no hash. wc must come from
 * webconfig_init. Returns 0, or -1 with *err (one line, "line N: ..." where it applies;
 * caller frees).
 */
int webconfig_parse(const char *buf, size_t len, const char *dir, struct webconfig *wc, char **err);

/*
 * Check that this platform's crypt() verifies every hash scheme in use (bcrypt is missing
 * from older glibc) and prepare the decoy hash for unknown users. Returns 0, or -1 with *err.
 */
int webconfig_check_platform(struct webconfig *wc, char **err);

/* Read path (a regular file of at most 1 MiB), webconfig_parse and webconfig_check_platform. */
int webconfig_load(const char *path, struct webconfig *wc, char **err);

/*
 * Split an Authorization header value as Go's Request.BasicAuth does ("Basic" in any case,
 * standard base64 with padding, user and password separated by the first ':'). Returns 0
 * with *user and *pass (caller frees both), or -1.
 */
int webconfig_parse_basic_auth(const char *header, char **user, size_t *user_len, char **pass,
                               size_t *pass_len);

/*
 * May a request with this Authorization header value (NULL when absent) pass basic auth?
 * 1 when no users are configured or the user and password match (the comparison of hashes
 * is constant-time; results are cached by a keyed digest, never the password), else 0 (also
 * when an uncached check would exceed auth_budget_ns this second).
 */
int webconfig_authorized(struct webconfig *wc, const char *authorization);

/* The rate limiter (rate_limit): 1 when a request may pass now, 0 when it must get 429. */
int webconfig_rate_allow(struct webconfig *wc, const struct timespec *now);

/* Parse one password hash; 0 with *scheme, or -1 with *err naming the problem. */
int webconfig_hash_check(const char *hash, enum webconfig_hash *scheme, char **err);

#endif
