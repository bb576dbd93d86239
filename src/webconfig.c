/* webconfig.c - --web.config.file: YAML parsing (libyaml), validation, basic auth, rate limit */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <yaml.h>

#include "base64.h"
#include "config.h"
#include "strbuf.h"
#include "webconfig.h"
#include "xmalloc.h"

/* Largest web configuration file read (exporter-toolkit has none; ours is bounded). */
#define WEBCONFIG_MAX_FILE (1024 * 1024)
/* Deepest YAML nesting accepted: the schema needs 3 levels. */
#define YAML_MAX_DEPTH 64
/* Cached basic-auth results (exporter-toolkit keeps about 100). */
#define AUTH_CACHE_SIZE 128

/* ---- a small YAML tree built from libyaml's events ---- */

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

/* One node; maps keep key, value, key, value... in items. Aliases share nodes. */
struct ynode {
    enum ynode_type type;
    char *value; /* scalar text, NUL-terminated */
    size_t len;
    int plain; /* plain and untagged: may resolve to null or a boolean */
    struct ynode **items;
    size_t nitems;
    size_t line;            /* 1-based */
    struct ynode *all_next; /* every node of the tree, for freeing without recursion */
};

struct yanchor {
    char *name;
    struct ynode *node;
};

struct ytree {
    struct ynode *root;
    struct ynode *all;
    struct yanchor *anchors;
    size_t nanchors;
};

/* Free every node of the tree and its anchors. */
static void
ytree_free(struct ytree *t)
{
    struct ynode *n = t->all;
    size_t i;

    while (n != NULL) {
        struct ynode *next = n->all_next;

        free(n->value);
        free(n->items);
        free(n);
        n = next;
    }
    for (i = 0; i < t->nanchors; i++)
        free(t->anchors[i].name);
    free(t->anchors);
    memset(t, 0, sizeof(*t));
}

/* A new node of the tree (owned by it). */
static struct ynode *
ytree_node(struct ytree *t, enum ynode_type type, size_t line)
{
    struct ynode *n = xcalloc(1, sizeof(*n));

    n->type = type;
    n->line = line;
    n->all_next = t->all;
    t->all = n;
    return n;
}

/* Remember an anchor (a later definition of the same name wins, as in YAML). */
static void
ytree_anchor(struct ytree *t, const yaml_char_t *name, struct ynode *n)
{
    if (name == NULL)
        return;
    t->anchors = xreallocarray(t->anchors, t->nanchors + 1, sizeof(*t->anchors));
    t->anchors[t->nanchors].name = xstrdup((const char *)name);
    t->anchors[t->nanchors].node = n;
    t->nanchors++;
}

static struct ynode *
ytree_find_anchor(const struct ytree *t, const yaml_char_t *name)
{
    size_t i;

    for (i = t->nanchors; i-- > 0;)
        if (strcmp(t->anchors[i].name, (const char *)name) == 0)
            return t->anchors[i].node;
    return NULL;
}

/* Append n to the collection on top of the stack, or make it the root. */
static int
ytree_add(struct ytree *t, struct ynode **stack, size_t depth, struct ynode *n)
{
    struct ynode *parent;

    if (depth == 0) {
        if (t->root != NULL)
            return -1;
        t->root = n;
        return 0;
    }
    parent = stack[depth - 1];
    parent->items = xreallocarray(parent->items, parent->nitems + 1, sizeof(*parent->items));
    parent->items[parent->nitems++] = n;
    return 0;
}

/*
 * Build the tree of the first document in buf with libyaml's event parser (which, unlike
 * its document loader in old releases, does not recurse), refusing nesting deeper than
 * YAML_MAX_DEPTH. Returns 0, or -1 with *err.
 */
static int
ytree_parse(struct ytree *t, const char *buf, size_t len, char **err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    struct ynode *stack[YAML_MAX_DEPTH];
    size_t depth = 0;
    int done = 0, rc = 0;

    memset(t, 0, sizeof(*t));
    if (!yaml_parser_initialize(&p)) {
        *err = xstrdup("yaml: cannot initialise the parser");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    while (!done) {
        struct ynode *n = NULL;
        size_t line;

        if (!yaml_parser_parse(&p, &ev)) {
            *err = xasprintf("yaml: line %lu: %s%s%s", (unsigned long)p.problem_mark.line + 1,
                             p.problem != NULL ? p.problem : "syntax error",
                             p.context != NULL ? " " : "", p.context != NULL ? p.context : "");
            rc = -1;
            break;
        }
        line = (size_t)ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_DOCUMENT_END_EVENT: /* only the first document counts, as in yaml.v2 */
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_SCALAR_EVENT:
            n = ytree_node(t, YN_SCALAR, line);
            n->value = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            n->len = ev.data.scalar.length;
            n->plain =
                ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev.data.scalar.tag == NULL;
            ytree_anchor(t, ev.data.scalar.anchor, n);
            if (ytree_add(t, stack, depth, n) != 0)
                goto two_roots;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth >= YAML_MAX_DEPTH) {
                *err = xasprintf("yaml: line %lu: nesting deeper than %d levels",
                                 (unsigned long)line, YAML_MAX_DEPTH);
                rc = -1;
                done = 1;
                break;
            }
            n = ytree_node(t, ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP, line);
            ytree_anchor(t,
                         ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
                                                              : ev.data.mapping_start.anchor,
                         n);
            if (ytree_add(t, stack, depth, n) != 0)
                goto two_roots;
            stack[depth++] = n;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        case YAML_ALIAS_EVENT:
            n = ytree_find_anchor(t, ev.data.alias.anchor);
            if (n == NULL) {
                *err = xasprintf("yaml: line %lu: unknown anchor '%s' referenced",
                                 (unsigned long)line, (const char *)ev.data.alias.anchor);
                rc = -1;
                done = 1;
                break;
            }
            if (ytree_add(t, stack, depth, n) != 0)
                goto two_roots;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        continue;
    two_roots:
        yaml_event_delete(&ev);
        *err =
            xasprintf("yaml: line %lu: more than one value at the top level", (unsigned long)line);
        rc = -1;
        break;
    }
    yaml_parser_delete(&p);
    if (rc != 0)
        ytree_free(t);
    return rc;
}

/* ---- scalar resolution (YAML 1.1, as go-yaml v2 resolves plain scalars) ---- */

static int
is_null(const struct ynode *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    size_t i;

    if (n == NULL)
        return 1;
    if (n->type != YN_SCALAR || !n->plain)
        return 0;
    for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        if (strcmp(n->value, nulls[i]) == 0)
            return 1;
    return 0;
}

/* A boolean: 1 or 0, or -1 when n is not one. */
static int
as_bool(const struct ynode *n)
{
    static const char *const yes[] = {"y",  "Y",  "yes",  "Yes",  "YES", "on",
                                      "On", "ON", "true", "True", "TRUE"};
    static const char *const no[] = {"n",   "N",   "no",    "No",    "NO",   "off",
                                     "Off", "OFF", "false", "False", "FALSE"};
    size_t i;

    if (n->type != YN_SCALAR || !n->plain)
        return -1;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(n->value, yes[i]) == 0)
            return 1;
        if (strcmp(n->value, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* ---- the schema ---- */

/* Free a list of strings. */
static void
free_list(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Parsing context: the tree, where we are (for messages), the result. */
struct wparse {
    struct webconfig *wc;
    const char *dir;
    char **err;
};

/* Set *p->err to "line N: <section>: <message>" and return -1. */
static int wfail(struct wparse *p, const struct ynode *n, const char *section, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
wfail(struct wparse *p, const struct ynode *n, const char *section, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    char *msg;
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    msg = xmalloc((size_t)(len > 0 ? len : 0) + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)(len > 0 ? len : 0) + 1, fmt, ap);
    va_end(ap);
    if (n != NULL)
        strbuf_addf(&sb, "line %lu: ", (unsigned long)n->line);
    if (section != NULL && section[0] != '\0')
        strbuf_addf(&sb, "%s: ", section);
    strbuf_addstr(&sb, msg);
    free(msg);
    *p->err = strbuf_detach(&sb, NULL);
    /* One line of plain text whatever the file holds (quoted keys may contain anything). */
    for (msg = *p->err; *msg != '\0'; msg++)
        if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
            *msg = '?';
    return -1;
}

/* A string value without NUL bytes; NULL (unset) for a YAML null. */
static int
get_string(struct wparse *p, const struct ynode *n, const char *what, char **out)
{
    free(*out);
    *out = NULL;
    if (is_null(n))
        return 0;
    if (n->type != YN_SCALAR)
        return wfail(p, n, what, "want a string");
    if (memchr(n->value, '\0', n->len) != NULL)
        return wfail(p, n, what, "NUL bytes are not allowed");
    *out = xstrdup(n->value);
    return 0;
}

/* A file name joined to the configuration's directory when relative (config_util.JoinDir). */
static int
get_path(struct wparse *p, const struct ynode *n, const char *what, char **out)
{
    if (get_string(p, n, what, out) != 0)
        return -1;
    if (*out != NULL && (*out)[0] == '\0') {
        free(*out);
        *out = NULL;
    }
    if (*out != NULL && (*out)[0] != '/' && p->dir != NULL && p->dir[0] != '\0') {
        char *joined = xasprintf("%s/%s", p->dir, *out);

        free(*out);
        *out = joined;
    }
    return 0;
}

static int
get_bool(struct wparse *p, const struct ynode *n, const char *what, int *out)
{
    int b;

    if (is_null(n))
        return 0;
    b = as_bool(n);
    if (b < 0)
        return wfail(p, n, what, "want true or false, got \"%s\"",
                     n->type == YN_SCALAR ? n->value : "a collection");
    *out = b;
    return 0;
}

/* A list of strings (NULL = empty list). */
static int
get_string_list(struct wparse *p, const struct ynode *n, const char *what, char ***out,
                size_t *nout)
{
    size_t i;

    if (is_null(n))
        return 0;
    if (n->type != YN_SEQ)
        return wfail(p, n, what, "want a list of strings");
    for (i = 0; i < n->nitems; i++) {
        char *s = NULL;

        if (n->items[i]->type != YN_SCALAR || is_null(n->items[i]))
            return wfail(p, n->items[i], what, "want a list of strings");
        if (get_string(p, n->items[i], what, &s) != 0)
            return -1;
        *out = xreallocarray(*out, *nout + 1, sizeof(**out));
        (*out)[(*nout)++] = s;
    }
    return 0;
}

/* Check that map n is a mapping with scalar keys, none repeated. */
static int
check_map(struct wparse *p, const struct ynode *n, const char *what)
{
    size_t i, j;

    if (n->type != YN_MAP)
        return wfail(p, n, what, "want a mapping");
    for (i = 0; i < n->nitems; i += 2) {
        const struct ynode *k = n->items[i];

        if (i + 1 >= n->nitems)
            return wfail(p, k, what, "key without a value");
        if (k->type != YN_SCALAR)
            return wfail(p, k, what, "keys must be strings");
        for (j = 0; j < i; j += 2)
            if (n->items[j]->len == k->len && memcmp(n->items[j]->value, k->value, k->len) == 0)
                return wfail(p, k, what, "key \"%s\" already set", k->value);
    }
    return 0;
}

/* Go's cipher suite names (tls.CipherSuites) and OpenSSL's; TLS 1.3 suites map to NULL. */
static const struct {
    const char *go, *openssl;
} cipher_names[] = {
    {"TLS_AES_128_GCM_SHA256", NULL},
    {"TLS_AES_256_GCM_SHA384", NULL},
    {"TLS_CHACHA20_POLY1305_SHA256", NULL},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
};

/* exporter-toolkit's curve names and OpenSSL's group names. */
static const struct {
    const char *go, *openssl;
} curve_names[] = {
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
};

static const struct {
    const char *name;
    int version;
} tls_versions[] = {
    {"TLS10", WEBCONFIG_TLS10},
    {"TLS11", WEBCONFIG_TLS11},
    {"TLS12", WEBCONFIG_TLS12},
    {"TLS13", WEBCONFIG_TLS13},
};

static const struct {
    const char *name;
    enum webconfig_client_auth auth;
} client_auths[] = {
    {"", WEBCONFIG_NO_CLIENT_CERT},
    {"NoClientCert", WEBCONFIG_NO_CLIENT_CERT},
    {"RequestClientCert", WEBCONFIG_REQUEST_CLIENT_CERT},
    {"RequireAnyClientCert", WEBCONFIG_REQUIRE_ANY_CLIENT_CERT},
    {"RequireClientCert", WEBCONFIG_REQUIRE_ANY_CLIENT_CERT}, /* kept by exporter-toolkit */
    {"VerifyClientCertIfGiven", WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN},
    {"RequireAndVerifyClientCert", WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT},
};

static int
get_tls_version(struct wparse *p, const struct ynode *n, const char *what, int *out)
{
    size_t i;

    if (is_null(n))
        return 0;
    if (n->type == YN_SCALAR)
        for (i = 0; i < sizeof(tls_versions) / sizeof(tls_versions[0]); i++)
            if (strcmp(n->value, tls_versions[i].name) == 0) {
                *out = tls_versions[i].version;
                return 0;
            }
    return wfail(p, n, what, "unknown TLS version: %s", n->type == YN_SCALAR ? n->value : "?");
}

/*
 * A list of Go cipher suite (ciphers) or curve names, translated to OpenSSL's names and
 * appended to *out; TLS 1.3 suites are dropped (not configurable, as in Go).
 */
static int
map_names(struct wparse *p, const struct ynode *v, int ciphers, char ***out, size_t *nout)
{
    const char *what =
        ciphers ? "tls_server_config.cipher_suites" : "tls_server_config.curve_preferences";
    size_t ntable = ciphers ? sizeof(cipher_names) / sizeof(cipher_names[0])
                            : sizeof(curve_names) / sizeof(curve_names[0]);
    char **names = NULL;
    size_t nnames = 0, j, k;
    int rc = -1;

    if (get_string_list(p, v, what, &names, &nnames) != 0)
        goto out;
    for (j = 0; j < nnames; j++) {
        const char *ossl = NULL;

        for (k = 0; k < ntable; k++) {
            if (strcmp(names[j], ciphers ? cipher_names[k].go : curve_names[k].go) == 0) {
                ossl = ciphers ? cipher_names[k].openssl : curve_names[k].openssl;
                break;
            }
        }
        if (k == ntable) {
            wfail(p, v, "tls_server_config", "unknown %s: %s", ciphers ? "cipher" : "curve",
                  names[j]);
            goto out;
        }
        if (ossl == NULL)
            continue;
        *out = xreallocarray(*out, *nout + 1, sizeof(**out));
        (*out)[(*nout)++] = xstrdup(ossl);
    }
    rc = 0;
out:
    free_list(names, nnames);
    return rc;
}

/* tls_server_config. */
static int
parse_tls(struct wparse *p, const struct ynode *m)
{
    struct webconfig_tls *t = &p->wc->tls;
    const char *sec = "tls_server_config";
    char *auth = NULL;
    int auth_given = 0;
    size_t i, k;
    int rc = -1;

    if (is_null(m))
        return 0;
    if (check_map(p, m, sec) != 0)
        return -1;
    for (i = 0; i < m->nitems; i += 2) {
        const char *key = m->items[i]->value;
        const struct ynode *v = m->items[i + 1];

        if (strcmp(key, "cert") == 0) {
            if (get_string(p, v, "tls_server_config.cert", &t->cert) != 0)
                goto out;
        } else if (strcmp(key, "key") == 0) {
            if (get_string(p, v, "tls_server_config.key", &t->key) != 0)
                goto out;
        } else if (strcmp(key, "client_ca") == 0) {
            if (get_string(p, v, "tls_server_config.client_ca", &t->client_ca) != 0)
                goto out;
        } else if (strcmp(key, "cert_file") == 0) {
            if (get_path(p, v, "tls_server_config.cert_file", &t->cert_file) != 0)
                goto out;
        } else if (strcmp(key, "key_file") == 0) {
            if (get_path(p, v, "tls_server_config.key_file", &t->key_file) != 0)
                goto out;
        } else if (strcmp(key, "client_ca_file") == 0) {
            if (get_path(p, v, "tls_server_config.client_ca_file", &t->client_ca_file) != 0)
                goto out;
        } else if (strcmp(key, "client_auth_type") == 0) {
            if (get_string(p, v, "tls_server_config.client_auth_type", &auth) != 0)
                goto out;
            auth_given = auth != NULL && auth[0] != '\0';
            for (k = 0; k < sizeof(client_auths) / sizeof(client_auths[0]); k++)
                if (strcmp(auth != NULL ? auth : "", client_auths[k].name) == 0)
                    break;
            if (k == sizeof(client_auths) / sizeof(client_auths[0])) {
                wfail(p, v, sec, "invalid ClientAuth: %s", auth);
                goto out;
            }
            t->client_auth = client_auths[k].auth;
        } else if (strcmp(key, "cipher_suites") == 0) {
            if (map_names(p, v, 1, &t->cipher_suites, &t->ncipher_suites) != 0)
                goto out;
        } else if (strcmp(key, "curve_preferences") == 0) {
            if (map_names(p, v, 0, &t->curves, &t->ncurves) != 0)
                goto out;
        } else if (strcmp(key, "min_version") == 0) {
            if (get_tls_version(p, v, sec, &t->min_version) != 0)
                goto out;
        } else if (strcmp(key, "max_version") == 0) {
            if (get_tls_version(p, v, sec, &t->max_version) != 0)
                goto out;
        } else if (strcmp(key, "prefer_server_cipher_suites") == 0) {
            if (get_bool(p, v, "tls_server_config.prefer_server_cipher_suites",
                         &t->prefer_server_cipher_suites) != 0)
                goto out;
        } else if (strcmp(key, "client_allowed_sans") == 0) {
            if (!is_null(v))
                t->has_allowed_sans = 1;
            if (get_string_list(p, v, "tls_server_config.client_allowed_sans", &t->allowed_sans,
                                &t->nallowed_sans) != 0)
                goto out;
        } else {
            wfail(p, m->items[i], sec, "unknown field \"%s\"", key);
            goto out;
        }
    }
    /* exporter-toolkit's IsEnabled, validateTLSPaths and ConfigToTLSConfig checks. */
    t->enabled = t->cert_file != NULL || t->cert != NULL || t->key_file != NULL || t->key != NULL ||
                 t->client_ca_file != NULL || t->client_ca != NULL || auth_given;
    if (t->cert != NULL && t->cert[0] == '\0') {
        free(t->cert);
        t->cert = NULL;
    }
    if (t->key != NULL && t->key[0] == '\0') {
        free(t->key);
        t->key = NULL;
    }
    if (t->client_ca != NULL && t->client_ca[0] == '\0') {
        free(t->client_ca);
        t->client_ca = NULL;
    }
    if (t->enabled) {
        if (t->cert_file == NULL && t->cert == NULL) {
            wfail(p, NULL, sec, "missing one of cert or cert_file");
            goto out;
        }
        if (t->key_file == NULL && t->key == NULL) {
            wfail(p, NULL, sec, "missing one of key or key_file");
            goto out;
        }
        if ((t->client_ca_file != NULL || t->client_ca != NULL) &&
            t->client_auth == WEBCONFIG_NO_CLIENT_CERT) {
            wfail(p, NULL, sec, "client CA's have been configured without a Client Auth Policy");
            goto out;
        }
        if (t->has_allowed_sans && t->client_auth != WEBCONFIG_REQUIRE_ANY_CLIENT_CERT &&
            t->client_auth != WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT) {
            wfail(p, NULL, sec,
                  "client_allowed_sans requires client_auth_type to be one of "
                  "RequireAnyClientCert or RequireAndVerifyClientCert");
            goto out;
        }
        if (t->min_version > t->max_version) {
            wfail(p, NULL, sec, "min_version is above max_version");
            goto out;
        }
    }
    rc = 0;
out:
    free(auth);
    return rc;
}

/* exporter-toolkit's extraHTTPHeaders: the headers that may be set, and their allowed values. */
static const struct {
    const char *name;
    const char *values[3]; /* NULL-terminated; empty = any value */
} header_rules[] = {
    {"Strict-Transport-Security", {NULL}},
    {"X-Content-Type-Options", {"nosniff", NULL}},
    {"X-Frame-Options", {"deny", "sameorigin", NULL}},
    {"X-XSS-Protection", {NULL}},
    {"Content-Security-Policy", {NULL}},
};

/* http_server_config. */
static int
parse_http(struct wparse *p, const struct ynode *m)
{
    struct webconfig *wc = p->wc;
    const char *sec = "http_server_config";
    size_t i, j, k;

    if (is_null(m))
        return 0;
    if (check_map(p, m, sec) != 0)
        return -1;
    for (i = 0; i < m->nitems; i += 2) {
        const char *key = m->items[i]->value;
        const struct ynode *v = m->items[i + 1];

        if (strcmp(key, "http2") == 0) {
            if (get_bool(p, v, "http_server_config.http2", &wc->http2) != 0)
                return -1;
        } else if (strcmp(key, "headers") == 0) {
            if (is_null(v))
                continue;
            if (check_map(p, v, "http_server_config.headers") != 0)
                return -1;
            for (j = 0; j < v->nitems; j += 2) {
                const struct ynode *hn = v->items[j];
                char *value = NULL;
                const char *const *allowed;

                for (k = 0; k < sizeof(header_rules) / sizeof(header_rules[0]); k++)
                    if (strcmp(hn->value, header_rules[k].name) == 0)
                        break;
                if (k == sizeof(header_rules) / sizeof(header_rules[0]))
                    return wfail(p, hn, sec, "HTTP header \"%s\" can not be configured", hn->value);
                if (get_string(p, v->items[j + 1], "http_server_config.headers", &value) != 0)
                    return -1;
                if (value == NULL || value[0] == '\0') { /* "Unset if blank" */
                    free(value);
                    continue;
                }
                if (strpbrk(value, "\r\n") != NULL) {
                    free(value);
                    return wfail(p, hn, sec, "the value of %s contains a line break", hn->value);
                }
                allowed = header_rules[k].values;
                if (allowed[0] != NULL) {
                    size_t a;
                    int ok = 0;

                    for (a = 0; allowed[a] != NULL; a++)
                        ok |= strcmp(value, allowed[a]) == 0;
                    if (!ok) {
                        wfail(p, hn, sec,
                              "invalid value for %s. Expected one of: %s%s%s, but got: %s",
                              hn->value, allowed[0], allowed[1] != NULL ? ", " : "",
                              allowed[1] != NULL ? allowed[1] : "", value);
                        free(value);
                        return -1;
                    }
                }
                wc->headers = xreallocarray(wc->headers, wc->nheaders + 1, sizeof(*wc->headers));
                wc->headers[wc->nheaders].name = xstrdup(hn->value);
                wc->headers[wc->nheaders].value = value;
                wc->nheaders++;
            }
        } else {
            return wfail(p, m->items[i], sec, "unknown field \"%s\"", key);
        }
    }
    return 0;
}

/* Is c in crypt(3)'s alphabet ./0-9A-Za-z? */
static int
crypt_char(char c)
{
    return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z');
}

int
webconfig_hash_check(const char *h, enum webconfig_hash *scheme, char **err)
{
    size_t n = strlen(h), i;

    if (strncmp(h, "$2a$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 || strncmp(h, "$2y$", 4) == 0) {
        int cost;

        /* $2y$NN$ + 22 characters of salt + 31 of hash. */
        if (n != 60 || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$') {
            *err = xstrdup("malformed bcrypt hash (want $2y$<cost>$ and 53 characters)");
            return -1;
        }
        for (i = 7; i < n; i++)
            if (!crypt_char(h[i])) {
                *err = xstrdup("malformed bcrypt hash (invalid character)");
                return -1;
            }
        cost = (h[4] - '0') * 10 + (h[5] - '0');
        if (cost < 4 || cost > 31) {
            *err = xasprintf("invalid bcrypt cost %d (4 to 31)", cost);
            return -1;
        }
        if (cost > WEBCONFIG_MAX_BCRYPT_COST) {
            *err = xasprintf("bcrypt cost %d is above %d: every check would stall the gateway "
                             "for seconds; use cost 10",
                             cost, WEBCONFIG_MAX_BCRYPT_COST);
            return -1;
        }
        *scheme = WEBCONFIG_HASH_BCRYPT;
        return 0;
    }
    if (strncmp(h, "$5$", 3) == 0 || strncmp(h, "$6$", 3) == 0) {
        const char *p = h + 3, *salt_end;
        size_t want = h[1] == '5' ? 43 : 86;

        if (strncmp(p, "rounds=", 7) == 0) {
            unsigned long rounds = 0;

            for (p += 7; *p >= '0' && *p <= '9'; p++) {
                rounds = rounds * 10 + (unsigned long)(*p - '0');
                if (rounds > 999999999UL)
                    break;
            }
            if (*p != '$' || rounds < 1000 || rounds > 999999999UL) {
                *err = xstrdup("malformed SHA-crypt hash (rounds=1000 to 999999999)");
                return -1;
            }
            if (rounds > WEBCONFIG_MAX_SHA_ROUNDS) {
                *err = xasprintf("SHA-crypt rounds %lu are above %d: every check would stall "
                                 "the gateway; use the default",
                                 rounds, WEBCONFIG_MAX_SHA_ROUNDS);
                return -1;
            }
            p++;
        }
        salt_end = strchr(p, '$');
        if (salt_end == NULL || salt_end - p > 16 || strlen(salt_end + 1) != want) {
            *err = xstrdup("malformed SHA-crypt hash");
            return -1;
        }
        for (; p < salt_end; p++)
            if (!crypt_char(*p)) {
                *err = xstrdup("malformed SHA-crypt hash (invalid character in the salt)");
                return -1;
            }
        for (p = salt_end + 1; *p != '\0'; p++)
            if (!crypt_char(*p)) {
                *err = xstrdup("malformed SHA-crypt hash (invalid character)");
                return -1;
            }
        *scheme = h[1] == '5' ? WEBCONFIG_HASH_SHA256 : WEBCONFIG_HASH_SHA512;
        return 0;
    }
    *err = xstrdup("not a supported password hash: use bcrypt ($2y$...) or SHA-512 crypt "
                   "($6$...)");
    return -1;
}

static int
user_cmp(const void *a, const void *b)
{
    return strcmp(((const struct webconfig_user *)a)->name,
                  ((const struct webconfig_user *)b)->name);
}

/* basic_auth_users. */
static int
parse_users(struct wparse *p, const struct ynode *m)
{
    struct webconfig *wc = p->wc;
    const char *sec = "basic_auth_users";
    size_t i;

    if (is_null(m))
        return 0;
    if (check_map(p, m, sec) != 0)
        return -1;
    for (i = 0; i < m->nitems; i += 2) {
        const struct ynode *k = m->items[i], *v = m->items[i + 1];
        struct webconfig_user u;
        char *hash = NULL, *reason = NULL;

        if (memchr(k->value, '\0', k->len) != NULL || strchr(k->value, ':') != NULL)
            return wfail(p, k, sec, "user names cannot contain ':' or NUL bytes");
        if (get_string(p, v, sec, &hash) != 0)
            return -1;
        if (hash == NULL || webconfig_hash_check(hash, &u.scheme, &reason) != 0) {
            wfail(p, k, sec, "user \"%s\": %s", k->value,
                  reason != NULL ? reason : "no password hash");
            free(reason);
            free(hash);
            return -1;
        }
        u.name = xstrdup(k->value);
        u.hash = hash;
        wc->users = xreallocarray(wc->users, wc->nusers + 1, sizeof(*wc->users));
        wc->users[wc->nusers++] = u;
    }
    if (wc->nusers > 1)
        qsort(wc->users, wc->nusers, sizeof(*wc->users), user_cmp);
    return 0;
}

/* rate_limit: interval (Go duration or nanoseconds) and burst. */
static int
parse_rate(struct wparse *p, const struct ynode *m)
{
    struct webconfig *wc = p->wc;
    const char *sec = "rate_limit";
    size_t i;

    if (is_null(m))
        return 0;
    if (check_map(p, m, sec) != 0)
        return -1;
    for (i = 0; i < m->nitems; i += 2) {
        const char *key = m->items[i]->value;
        const struct ynode *v = m->items[i + 1];
        char *end = NULL;

        if (is_null(v))
            continue;
        if (v->type != YN_SCALAR)
            return wfail(p, v, sec, "%s: want a scalar", key);
        if (strcmp(key, "interval") == 0) {
            char *reason = NULL;
            long long ns;

            errno = 0;
            ns = strtoll(v->value, &end, 10);
            if (v->value[0] != '\0' && *end == '\0' && errno == 0) {
                wc->rate_interval = ns;
            } else if (go_duration_parse(v->value, &wc->rate_interval, &reason) != 0) {
                wfail(p, v, sec, "interval: %s", reason);
                free(reason);
                return -1;
            }
            if (wc->rate_interval < 0)
                return wfail(p, v, sec, "interval: must not be negative");
        } else if (strcmp(key, "burst") == 0) {
            long long b;

            errno = 0;
            b = strtoll(v->value, &end, 10);
            if (v->value[0] == '\0' || *end != '\0' || errno != 0 || b < 0 || b > 1000000000LL)
                return wfail(p, v, sec, "burst: want a non-negative integer");
            wc->rate_burst = b;
        } else {
            return wfail(p, m->items[i], sec, "unknown field \"%s\"", key);
        }
    }
    return 0;
}

void
webconfig_init(struct webconfig *wc)
{
    memset(wc, 0, sizeof(*wc));
    wc->tls.min_version = WEBCONFIG_TLS12;
    wc->tls.max_version = WEBCONFIG_TLS13;
    wc->tls.prefer_server_cipher_suites = 1;
    wc->http2 = 1;
    wc->auth_budget_ns = INT64_C(250000000);
}

void
webconfig_free(struct webconfig *wc)
{
    struct webconfig_tls *t = &wc->tls;
    size_t i;

    free(t->cert_file);
    free(t->key_file);
    free(t->client_ca_file);
    free(t->cert);
    if (t->key != NULL) {
        memset(t->key, 0, strlen(t->key));
        free(t->key);
    }
    free(t->client_ca);
    free_list(t->cipher_suites, t->ncipher_suites);
    free_list(t->curves, t->ncurves);
    free_list(t->allowed_sans, t->nallowed_sans);
    for (i = 0; i < wc->nheaders; i++) {
        free(wc->headers[i].name);
        free(wc->headers[i].value);
    }
    free(wc->headers);
    for (i = 0; i < wc->nusers; i++) {
        free(wc->users[i].name);
        free(wc->users[i].hash);
    }
    free(wc->users);
    free(wc->dummy_hash);
    free(wc->cache);
    webconfig_init(wc);
}

int
webconfig_parse(const char *buf, size_t len, const char *dir, struct webconfig *wc, char **err)
{
    struct ytree t;
    struct wparse p;
    const struct ynode *root;
    size_t i;
    int rc = -1;

    *err = NULL;
    p.wc = wc;
    p.dir = dir;
    p.err = err;
    if (ytree_parse(&t, buf, len, err) != 0)
        return -1;
    root = t.root;
    if (is_null(root)) {
        rc = 0;
        goto out;
    }
    if (check_map(&p, root, "") != 0)
        goto out;
    for (i = 0; i < root->nitems; i += 2) {
        const char *key = root->items[i]->value;
        const struct ynode *v = root->items[i + 1];

        if (strcmp(key, "tls_server_config") == 0) {
            if (parse_tls(&p, v) != 0)
                goto out;
        } else if (strcmp(key, "http_server_config") == 0) {
            if (parse_http(&p, v) != 0)
                goto out;
        } else if (strcmp(key, "basic_auth_users") == 0) {
            if (parse_users(&p, v) != 0)
                goto out;
        } else if (strcmp(key, "rate_limit") == 0) {
            if (parse_rate(&p, v) != 0)
                goto out;
        } else {
            wfail(&p, root->items[i], "", "unknown field \"%s\"", key);
            goto out;
        }
    }
    rc = 0;
out:
    ytree_free(&t);
    return rc;
}

/* ---- platform check and file loading ---- */

/*
 * Does crypt() here compute this scheme? A probe with the cheapest setting of the scheme
 * must come back in the same format: glibc before libxcrypt has no bcrypt and answers "*0",
 * NULL or, in old releases, a DES hash for "$2y$" settings.
 */
static int
scheme_supported(enum webconfig_hash s)
{
    const char *setting, *r;

    switch (s) {
    case WEBCONFIG_HASH_BCRYPT:
        setting = "$2y$04$abcdefghijklmnopqrstuu";
        break;
    case WEBCONFIG_HASH_SHA256:
        setting = "$5$rounds=1000$abcdefgh$";
        break;
    default:
        setting = "$6$rounds=1000$abcdefgh$";
        break;
    }
    r = crypt("probe", setting);
    if (r == NULL || r[0] == '*')
        return 0;
    if (s == WEBCONFIG_HASH_BCRYPT)
        return strlen(r) == 60 && strncmp(r, "$2y$04$", 7) == 0;
    return strncmp(r, setting, strlen(setting)) == 0 &&
           strlen(r) == strlen(setting) + (s == WEBCONFIG_HASH_SHA256 ? 43 : 86);
}

int
webconfig_check_platform(struct webconfig *wc, char **err)
{
    static const char *const names[] = {"bcrypt", "SHA-256 crypt", "SHA-512 crypt"};
    const char *r;
    char *setting;
    size_t i;

    for (i = 0; i < wc->nusers; i++) {
        if (!scheme_supported(wc->users[i].scheme)) {
            *err = xasprintf("basic_auth_users: user \"%s\": this platform's crypt() cannot "
                             "verify %s hashes; use SHA-512 crypt ($6$, e.g. from "
                             "`openssl passwd -6`)",
                             wc->users[i].name, names[wc->users[i].scheme]);
            return -1;
        }
    }
    if (wc->nusers == 0)
        return 0;
    /* The decoy: "fakepassword" hashed like the first user's hash (same scheme and cost). */
    if (wc->users[0].scheme == WEBCONFIG_HASH_BCRYPT) {
        setting = xstrndup(wc->users[0].hash, 29);
    } else {
        const char *last = strrchr(wc->users[0].hash, '$');

        setting = xstrndup(wc->users[0].hash, (size_t)(last - wc->users[0].hash) + 1);
    }
    r = crypt("fakepassword", setting);
    free(setting);
    if (r == NULL || r[0] == '*') {
        *err = xstrdup("basic_auth_users: crypt() failed on the first user's hash settings");
        return -1;
    }
    free(wc->dummy_hash);
    wc->dummy_hash = xstrdup(r);
    return 0;
}

int
webconfig_load(const char *path, struct webconfig *wc, char **err)
{
    struct strbuf sb = STRBUF_INIT;
    struct stat st;
    char chunk[8192], *dir, *slash;
    ssize_t n;
    int fd, rc;

    fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        *err = xasprintf("open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *err = xasprintf("%s: not a regular file", path);
        close(fd);
        return -1;
    }
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
        if (sb.len + (size_t)n > WEBCONFIG_MAX_FILE) {
            *err = xasprintf("%s: larger than %d bytes", path, WEBCONFIG_MAX_FILE);
            close(fd);
            strbuf_free(&sb);
            return -1;
        }
        strbuf_add(&sb, chunk, (size_t)n);
    }
    if (n < 0) {
        *err = xasprintf("read %s: %s", path, strerror(errno));
        close(fd);
        strbuf_free(&sb);
        return -1;
    }
    close(fd);
    dir = xstrdup(path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        dir[0] = '\0';
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    rc = webconfig_parse(sb.data != NULL ? sb.data : "", sb.len, dir, wc, err);
    free(dir);
    strbuf_free(&sb);
    if (rc == 0)
        rc = webconfig_check_platform(wc, err);
    return rc;
}

/* ---- basic auth ---- */

int
webconfig_parse_basic_auth(const char *header, char **user, size_t *user_len, char **pass,
                           size_t *pass_len)
{
    char *dec;
    size_t len;
    const char *colon = NULL;

    if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    /* base64.StdEncoding.DecodeString, as net/http's parseBasicAuth */
    if (base64_decode(BASE64_STD, header + 6, strlen(header + 6), &dec, &len, NULL) == 0)
        colon = memchr(dec, ':', len);
    if (colon != NULL) {
        *user_len = (size_t)(colon - dec);
        *user = xstrndup(dec, *user_len);
        *pass_len = len - *user_len - 1;
        *pass = xmalloc(*pass_len + 1);
        memcpy(*pass, colon + 1, *pass_len);
        (*pass)[*pass_len] = '\0';
    }
    memset(dec, 0, len);
    free(dec);
    return colon != NULL ? 0 : -1;
}

/* Results of earlier checks, keyed by a digest of a per-process secret, user, hash, password. */
struct webconfig_auth_cache {
    unsigned char secret[32];
    struct {
        unsigned char digest[SHA256_DIGEST_LENGTH];
        int used;
        int ok;
    } e[AUTH_CACHE_SIZE];
    size_t next; /* the slot replaced next (oldest first) */
};

/* Compare n bytes in time independent of where they differ. */
static int
ct_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;
    size_t i;

    for (i = 0; i < n; i++)
        d |= (unsigned char)(x[i] ^ y[i]);
    return d == 0;
}

/* The cache key of (user, hash, password). */
static void
cache_digest(const struct webconfig_auth_cache *c, const char *user, size_t ulen, const char *hash,
             const char *pass, size_t plen, unsigned char *out)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_add(&sb, c->secret, sizeof(c->secret));
    strbuf_add(&sb, user, ulen);
    strbuf_addch(&sb, '\0');
    strbuf_addstr(&sb, hash);
    strbuf_addch(&sb, '\0');
    strbuf_add(&sb, pass, plen);
    SHA256((const unsigned char *)sb.data, sb.len, out);
    memset(sb.data, 0, sb.len);
    strbuf_free(&sb);
}

/* A new cache with a random secret. */
static struct webconfig_auth_cache *
cache_new(void)
{
    struct webconfig_auth_cache *c = xcalloc(1, sizeof(*c));

    if (RAND_bytes(c->secret, (int)sizeof(c->secret)) != 1) {
        int fd = open("/dev/urandom", O_RDONLY);

        if (fd < 0 || read(fd, c->secret, sizeof(c->secret)) != (ssize_t)sizeof(c->secret)) {
            /* Still correct without a secret; the digest only hides the password. */
            memset(c->secret, 0x5a, sizeof(c->secret));
        }
        if (fd >= 0)
            close(fd);
    }
    return c;
}

/* Monotonic time in nanoseconds. */
static int64_t
mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Find the user by name (binary search over the sorted list), or NULL. */
static const struct webconfig_user *
find_user(const struct webconfig *wc, const char *name)
{
    size_t lo = 0, hi = wc->nusers;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(wc->users[mid].name, name);

        if (c == 0)
            return &wc->users[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int
webconfig_authorized(struct webconfig *wc, const char *authorization)
{
    const struct webconfig_user *u;
    const char *hash, *r;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char *user = NULL, *pass = NULL;
    size_t ulen, plen, i;
    int ok = 0, found = -1;
    int64_t t0;

    if (wc->nusers == 0)
        return 1;
    if (webconfig_parse_basic_auth(authorization, &user, &ulen, &pass, &plen) != 0)
        return 0;
    /* A NUL byte would let crypt() see a shorter password or user than was sent. */
    if (memchr(user, '\0', ulen) != NULL || memchr(pass, '\0', plen) != NULL)
        goto out;
    u = find_user(wc, user);
    hash = u != NULL ? u->hash : (wc->dummy_hash != NULL ? wc->dummy_hash : wc->users[0].hash);
    if (wc->cache == NULL)
        wc->cache = cache_new();
    cache_digest(wc->cache, user, ulen, hash, pass, plen, digest);
    for (i = 0; i < AUTH_CACHE_SIZE; i++)
        if (wc->cache->e[i].used && ct_equal(wc->cache->e[i].digest, digest, sizeof(digest)))
            found = (int)i;
    if (found >= 0) {
        ok = wc->cache->e[found].ok;
        goto out;
    }
    /* The hashing budget of this second (see struct webconfig); refusals are not cached. */
    t0 = mono_ns();
    if (t0 - wc->auth_window_ns >= INT64_C(1000000000)) {
        wc->auth_window_ns = t0;
        wc->auth_spent_ns = 0;
    }
    if (wc->auth_spent_ns >= wc->auth_budget_ns)
        goto out;
    r = crypt(pass, hash);
    wc->auth_spent_ns += mono_ns() - t0;
    ok = u != NULL && r != NULL && strlen(r) == strlen(hash) && ct_equal(r, hash, strlen(hash));
    i = wc->cache->next;
    memcpy(wc->cache->e[i].digest, digest, sizeof(digest));
    wc->cache->e[i].used = 1;
    wc->cache->e[i].ok = ok;
    wc->cache->next = (i + 1) % AUTH_CACHE_SIZE;
out:
    memset(pass, 0, plen);
    free(pass);
    free(user);
    return ok;
}

/* ---- rate limit: a token bucket like golang.org/x/time/rate's Allow ---- */

int
webconfig_rate_allow(struct webconfig *wc, const struct timespec *now)
{
    double elapsed;

    if (wc->rate_interval <= 0)
        return 1;
    if (!wc->rate_started) {
        wc->rate_tokens = (double)wc->rate_burst; /* a new limiter starts full */
        wc->rate_started = 1;
    } else {
        elapsed = (double)(now->tv_sec - wc->rate_last.tv_sec) * 1e9 +
                  (double)(now->tv_nsec - wc->rate_last.tv_nsec);
        if (elapsed > 0)
            wc->rate_tokens += elapsed / (double)wc->rate_interval;
        if (wc->rate_tokens > (double)wc->rate_burst)
            wc->rate_tokens = (double)wc->rate_burst;
    }
    wc->rate_last = *now;
    if (wc->rate_tokens >= 1) {
        wc->rate_tokens -= 1;
        return 1;
    }
    return 0;
}
