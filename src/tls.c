/* tls.c - TLS for the HTTP server: an OpenSSL context from tls_server_config, evhttp_set_bevcb */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/opensslv.h>

#include "log.h"
#include "strbuf.h"
#include "tls.h"
#include "xmalloc.h"

/* evhttp_set_bevcb is libevent 2.1 (EL8+); TLS_server_method and friends OpenSSL 1.1.0. */
#if LIBEVENT_VERSION_NUMBER >= 0x02010800 && OPENSSL_VERSION_NUMBER >= 0x10100000L
#define PGW_HAVE_TLS 1
#endif

#ifdef PGW_HAVE_TLS
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_server {
    SSL_CTX *ctx;
    enum webconfig_client_auth client_auth;
    char **allowed_sans; /* client_allowed_sans; checked when has_allowed_sans */
    size_t nallowed_sans;
    int has_allowed_sans;
};

const char *
tls_unsupported_reason(void)
{
    return NULL;
}

/* *err = "<what>: <OpenSSL's reason>" (or fallback), clearing OpenSSL's error queue. */
static void
ssl_error(char **err, const char *what, const char *fallback)
{
    unsigned long e = ERR_get_error();
    char buf[256];

    if (e != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        *err = xasprintf("%s: %s", what, buf);
    } else {
        *err = xasprintf("%s: %s", what, fallback);
    }
    ERR_clear_error();
}

/* Does one SAN of the certificate equal an allowed SAN (DNS, e-mail, IP, URI as Go prints)? */
static int
san_allowed(const struct tls_server *ts, X509 *cert)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int i, ok = 0;

    if (names == NULL)
        return 0;
    for (i = 0; i < sk_GENERAL_NAME_num(names) && !ok; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        char buf[INET6_ADDRSTRLEN];
        const char *s = NULL;
        size_t len = 0, k;

        if (gn->type == GEN_DNS || gn->type == GEN_EMAIL || gn->type == GEN_URI) {
            const ASN1_IA5STRING *ia5 = gn->d.ia5;

            s = (const char *)ASN1_STRING_get0_data(ia5);
            len = (size_t)ASN1_STRING_length(ia5);
        } else if (gn->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *ip = gn->d.iPAddress;
            int n = ASN1_STRING_length(ip);

            if ((n == 4 && inet_ntop(AF_INET, ASN1_STRING_get0_data(ip), buf, sizeof(buf))) ||
                (n == 16 && inet_ntop(AF_INET6, ASN1_STRING_get0_data(ip), buf, sizeof(buf)))) {
                s = buf;
                len = strlen(buf);
            }
        }
        for (k = 0; s != NULL && k < ts->nallowed_sans; k++)
            if (strlen(ts->allowed_sans[k]) == len && memcmp(ts->allowed_sans[k], s, len) == 0)
                ok = 1;
    }
    GENERAL_NAMES_free(names);
    return ok;
}

/*
 * Certificate verification as Go's ClientAuth types behave: RequestClientCert and
 * RequireAnyClientCert take any certificate, the Verify types need a valid chain; with
 * client_allowed_sans the client's own certificate must carry one of them.
 */
static int
verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    const struct tls_server *ts = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    int ok = preverify_ok;

    if (ts->client_auth == WEBCONFIG_REQUEST_CLIENT_CERT ||
        ts->client_auth == WEBCONFIG_REQUIRE_ANY_CLIENT_CERT)
        ok = 1;
    if (ok && ts->has_allowed_sans && X509_STORE_CTX_get_error_depth(x) == 0 &&
        !san_allowed(ts, X509_STORE_CTX_get_current_cert(x))) {
        X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
        ok = 0;
    }
    return ok;
}

/* Certificates from inline PEM text: the first is the server's, the rest its chain. */
static int
use_inline_cert(SSL_CTX *ctx, const char *pem, char **err)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x;
    int n = 0;

    if (bio == NULL) {
        ssl_error(err, "tls_server_config.cert", "out of memory");
        return -1;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        int ok = n == 0 ? SSL_CTX_use_certificate(ctx, x) : SSL_CTX_add0_chain_cert(ctx, x);

        if (n == 0)
            X509_free(x);
        if (!ok) {
            if (n > 0)
                X509_free(x);
            BIO_free(bio);
            ssl_error(err, "tls_server_config.cert", "cannot use the certificate");
            return -1;
        }
        n++;
    }
    BIO_free(bio);
    ERR_clear_error(); /* the end of the text reads as "no start line" */
    if (n == 0) {
        *err = xstrdup("tls_server_config.cert: failed to load X509KeyPair: no certificate in "
                       "the PEM text");
        return -1;
    }
    return 0;
}

/* The client CAs: trusted for verification and announced to clients. */
static int
use_client_cas(SSL_CTX *ctx, const char *file, const char *pem, char **err)
{
    const char *what =
        file != NULL ? "tls_server_config.client_ca_file" : "tls_server_config.client_ca";
    BIO *bio = file != NULL ? BIO_new_file(file, "r") : BIO_new_mem_buf(pem, -1);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509 *x;
    int n = 0;

    if (bio == NULL) {
        ssl_error(err, what, "cannot open");
        return -1;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!X509_STORE_add_cert(store, x) || !SSL_CTX_add_client_CA(ctx, x)) {
            X509_free(x);
            BIO_free(bio);
            ssl_error(err, what, "cannot use the certificate");
            return -1;
        }
        X509_free(x);
        n++;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (n == 0) {
        *err = xasprintf("%s: no certificate found", what);
        return -1;
    }
    return 0;
}

/* The protocol version constant of OpenSSL for a WEBCONFIG_TLS1x value (0 = highest). */
static int
proto_version(int v)
{
    switch (v) {
    case WEBCONFIG_TLS10:
        return TLS1_VERSION;
    case WEBCONFIG_TLS11:
        return TLS1_1_VERSION;
    case WEBCONFIG_TLS12:
        return TLS1_2_VERSION;
    default:
#ifdef TLS1_3_VERSION
        return TLS1_3_VERSION;
#else
        return 0;
#endif
    }
}

struct tls_server *
tls_server_new(const struct webconfig_tls *t, char **err)
{
    static const unsigned char sid_ctx[] = "pushgateway";
    struct tls_server *ts = xcalloc(1, sizeof(*ts));
    long opts = SSL_OP_NO_COMPRESSION;
    int mode = SSL_VERIFY_NONE;
    size_t i;

    ts->ctx = SSL_CTX_new(TLS_server_method());
    if (ts->ctx == NULL) {
        ssl_error(err, "tls_server_config", "cannot create the TLS context");
        free(ts);
        return NULL;
    }
#ifdef SSL_OP_NO_RENEGOTIATION
    opts |= SSL_OP_NO_RENEGOTIATION;
#endif
    if (t->prefer_server_cipher_suites)
        opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    SSL_CTX_set_options(ts->ctx, opts);
    SSL_CTX_set_app_data(ts->ctx, ts);
    if (!SSL_CTX_set_min_proto_version(ts->ctx, proto_version(t->min_version)) ||
        !SSL_CTX_set_max_proto_version(ts->ctx, proto_version(t->max_version))) {
        ssl_error(err, "tls_server_config: min_version/max_version", "not supported");
        goto fail;
    }
    if (t->ncipher_suites > 0) {
        struct strbuf sb = STRBUF_INIT;
        int ok;

        for (i = 0; i < t->ncipher_suites; i++)
            strbuf_addf(&sb, "%s%s", i > 0 ? ":" : "", t->cipher_suites[i]);
        ok = SSL_CTX_set_cipher_list(ts->ctx, strbuf_str(&sb));
        strbuf_free(&sb);
        if (!ok) {
            ssl_error(err, "tls_server_config.cipher_suites", "no usable cipher suite");
            goto fail;
        }
    }
    if (t->ncurves > 0) {
        struct strbuf sb = STRBUF_INIT;
        int ok;

        for (i = 0; i < t->ncurves; i++)
            strbuf_addf(&sb, "%s%s", i > 0 ? ":" : "", t->curves[i]);
        ok = SSL_CTX_set1_curves_list(ts->ctx, strbuf_str(&sb));
        strbuf_free(&sb);
        if (!ok) {
            ssl_error(err, "tls_server_config.curve_preferences", "no usable curve");
            goto fail;
        }
    }
    if (t->cert_file != NULL) {
        if (SSL_CTX_use_certificate_chain_file(ts->ctx, t->cert_file) != 1) {
            char *what = xasprintf("tls_server_config.cert_file (%s)", t->cert_file);

            ssl_error(err, what, "cannot load the certificate");
            free(what);
            goto fail;
        }
    } else if (use_inline_cert(ts->ctx, t->cert, err) != 0) {
        goto fail;
    }
    if (t->key_file != NULL) {
        if (SSL_CTX_use_PrivateKey_file(ts->ctx, t->key_file, SSL_FILETYPE_PEM) != 1) {
            char *what = xasprintf("tls_server_config.key_file (%s)", t->key_file);

            ssl_error(err, what, "cannot load the private key");
            free(what);
            goto fail;
        }
    } else {
        BIO *bio = BIO_new_mem_buf(t->key, -1);
        EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        int ok = key != NULL && SSL_CTX_use_PrivateKey(ts->ctx, key) == 1;

        EVP_PKEY_free(key);
        BIO_free(bio);
        if (!ok) {
            ssl_error(err, "tls_server_config.key", "cannot load the private key");
            goto fail;
        }
    }
    if (SSL_CTX_check_private_key(ts->ctx) != 1) {
        ssl_error(err, "tls_server_config", "private key does not match public key");
        goto fail;
    }
    ts->client_auth = t->client_auth;
    switch (t->client_auth) {
    case WEBCONFIG_NO_CLIENT_CERT:
        mode = SSL_VERIFY_NONE;
        break;
    case WEBCONFIG_REQUEST_CLIENT_CERT:
    case WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN:
        mode = SSL_VERIFY_PEER;
        break;
    case WEBCONFIG_REQUIRE_ANY_CLIENT_CERT:
    case WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT:
        mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        break;
    }
    if (t->client_ca_file != NULL || t->client_ca != NULL) {
        if (use_client_cas(ts->ctx, t->client_ca_file, t->client_ca, err) != 0)
            goto fail;
    } else if (mode != SSL_VERIFY_NONE) {
        SSL_CTX_set_default_verify_paths(ts->ctx); /* Go verifies against the system roots */
    }
    if (t->has_allowed_sans) {
        ts->has_allowed_sans = 1;
        ts->allowed_sans = xreallocarray(NULL, t->nallowed_sans + 1, sizeof(char *));
        for (i = 0; i < t->nallowed_sans; i++)
            ts->allowed_sans[i] = xstrdup(t->allowed_sans[i]);
        ts->nallowed_sans = t->nallowed_sans;
    }
    SSL_CTX_set_verify(ts->ctx, mode, mode != SSL_VERIFY_NONE ? verify_cb : NULL);
    SSL_CTX_set_session_id_context(ts->ctx, sid_ctx, sizeof(sid_ctx) - 1);
    return ts;
fail:
    tls_server_free(ts);
    return NULL;
}

/* A TLS bufferevent for each new connection (evhttp_set_bevcb). */
static struct bufferevent *
tls_bevcb(struct event_base *base, void *arg)
{
    struct tls_server *ts = arg;
    SSL *ssl = SSL_new(ts->ctx);
    struct bufferevent *bev;

    /* evhttp would fall back to plain HTTP on NULL: fail closed, as allocation failures do. */
    if (ssl == NULL) {
        log_error("cannot create a TLS session: out of memory");
        abort();
    }
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        log_error("cannot create a TLS connection: out of memory");
        abort();
    }
    /* Clients that close without close_notify are normal; do not report them as errors. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

int
tls_server_attach(struct tls_server *ts, struct evhttp *http, char **err)
{
    (void)err;
    evhttp_set_bevcb(http, tls_bevcb, ts);
    return 0;
}

void
tls_server_free(struct tls_server *ts)
{
    size_t i;

    if (ts == NULL)
        return;
    SSL_CTX_free(ts->ctx);
    for (i = 0; i < ts->nallowed_sans; i++)
        free(ts->allowed_sans[i]);
    free(ts->allowed_sans);
    free(ts);
}

#else /* !PGW_HAVE_TLS */

struct tls_server {
    int unused;
};

const char *
tls_unsupported_reason(void)
{
#if LIBEVENT_VERSION_NUMBER < 0x02010800
    return "TLS needs libevent 2.1.8 or later (evhttp_set_bevcb); this build uses libevent "
           "2.0: terminate TLS in a reverse proxy, or build on EL8 or later";
#else
    return "TLS needs OpenSSL 1.1.0 or later; this build uses an older OpenSSL";
#endif
}

struct tls_server *
tls_server_new(const struct webconfig_tls *t, char **err)
{
    (void)t;
    *err = xasprintf("tls_server_config: %s", tls_unsupported_reason());
    return NULL;
}

int
tls_server_attach(struct tls_server *ts, struct evhttp *http, char **err)
{
    (void)ts;
    (void)http;
    *err = xstrdup(tls_unsupported_reason());
    return -1;
}

void
tls_server_free(struct tls_server *ts)
{
    free(ts);
}

#endif
