/* http.c - evhttp server: ServeMux/httprouter-compatible routing, replies, request bodies */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "caps.h"
#include "compress.h"
#include "conn.h"
#include "http.h"
#include "http_internal.h"
#include "log.h"
#include "selfmetrics.h"
#include "tls.h"
#include "webconfig.h"
#include "xmalloc.h"

/* HTTP methods we route, as bits; names sorted for Allow headers. */
static const struct {
    enum evhttp_cmd_type cmd;
    const char *name;
} methods[] = {
    {EVHTTP_REQ_CONNECT, "CONNECT"}, {EVHTTP_REQ_DELETE, "DELETE"},   {EVHTTP_REQ_GET, "GET"},
    {EVHTTP_REQ_HEAD, "HEAD"},       {EVHTTP_REQ_OPTIONS, "OPTIONS"}, {EVHTTP_REQ_PATCH, "PATCH"},
    {EVHTTP_REQ_POST, "POST"},       {EVHTTP_REQ_PUT, "PUT"},         {EVHTTP_REQ_TRACE, "TRACE"},
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

struct route {
    char *pattern;    /* static segments, ":job" (one segment), "*rest" (rest incl. its '/') */
    unsigned methods; /* HTTP_M_* bits */
    http_handler_fn fn;
};

struct router {
    struct route *v;
    size_t n;
};

struct http_server {
    struct gateway *gw;
    struct evhttp *http;
    struct router main_router; /* everything outside the API subtree; bodies decoded */
    struct router api_router;  /* mounted at <prefix>/api/v1 with the prefix stripped */
    char *api_root;            /* "<prefix>/api/v1" */
    struct evhttp_bound_socket **listeners;
    size_t nlisteners;
    struct conn_gate *gate; /* connection cap, read deadline, accept backoff (conn.h) */
    struct webconfig *wc;   /* --web.config.file, or NULL */
    struct tls_server *tls; /* when the web configuration enables TLS */
};

unsigned
http_method_bit(enum evhttp_cmd_type cmd)
{
    size_t i;

    for (i = 0; i < NMETHODS; i++)
        if (methods[i].cmd == cmd)
            return 1u << i;
    return 0;
}

const char *
http_method_name(enum evhttp_cmd_type cmd)
{
    size_t i;

    for (i = 0; i < NMETHODS; i++)
        if (methods[i].cmd == cmd)
            return methods[i].name;
    return "UNKNOWN";
}

#define M_GET http_method_bit(EVHTTP_REQ_GET)
#define M_POST http_method_bit(EVHTTP_REQ_POST)
#define M_PUT http_method_bit(EVHTTP_REQ_PUT)
#define M_DELETE http_method_bit(EVHTTP_REQ_DELETE)
#define M_OPTIONS http_method_bit(EVHTTP_REQ_OPTIONS)

static void
router_add(struct router *r, const char *pattern, unsigned mbits, http_handler_fn fn)
{
    r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
    r->v[r->n].pattern = xstrdup(pattern);
    r->v[r->n].methods = mbits;
    r->v[r->n].fn = fn;
    r->n++;
}

static void
router_free(struct router *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        free(r->v[i].pattern);
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

static int
chars_eq(char a, char b, int ci)
{
    return ci ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/*
 * Match path against a route pattern, httprouter style. With ci, static parts compare
 * case-insensitively and `fixed` receives the corrected path. Fills params on success.
 */
static int
route_match(const char *pat, const char *path, int ci, struct http_params *ps, struct strbuf *fixed)
{
    const char *p = pat, *s = path;

    ps->n = 0;
    while (*p != '\0') {
        if (*p == ':') {
            const char *end = strchr(s, '/');
            size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
            if (len == 0 || ps->n >= HTTP_MAX_PARAMS)
                return 0;
            ps->v[ps->n].value = s;
            ps->v[ps->n].len = len;
            ps->n++;
            if (fixed != NULL)
                strbuf_add(fixed, s, len);
            s += len;
            while (*p != '\0' && *p != '/')
                p++;
        } else if (*p == '/' && p[1] == '*') {
            /* A catch-all takes the rest of the path, including the '/' it starts with. */
            if (*s != '/' || ps->n >= HTTP_MAX_PARAMS)
                return 0;
            ps->v[ps->n].value = s;
            ps->v[ps->n].len = strlen(s);
            ps->n++;
            if (fixed != NULL)
                strbuf_addstr(fixed, s);
            return 1;
        } else {
            if (!chars_eq(*p, *s, ci))
                return 0;
            if (fixed != NULL)
                strbuf_addch(fixed, *p);
            p++;
            s++;
        }
    }
    return *s == '\0';
}

/* The route serving (path, method bit), or NULL. */
static const struct route *
router_lookup(const struct router *r, const char *path, unsigned mbit, struct http_params *ps)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if ((r->v[i].methods & mbit) && route_match(r->v[i].pattern, path, 0, ps, NULL))
            return &r->v[i];
    return NULL;
}

/* Methods with a route for this path (httprouter's allowed(): OPTIONS-only routes excluded). */
static unsigned
router_allowed(const struct router *r, const char *path)
{
    struct http_params ps;
    unsigned bits = 0;
    size_t i;

    for (i = 0; i < r->n; i++)
        if ((r->v[i].methods & ~M_OPTIONS) && route_match(r->v[i].pattern, path, 0, &ps, NULL))
            bits |= r->v[i].methods & ~M_OPTIONS;
    return bits;
}

/* The Allow header value: allowed methods plus OPTIONS, sorted, or NULL when none. */
static char *
allow_header(unsigned bits)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    if (bits == 0)
        return NULL;
    bits |= M_OPTIONS;
    for (i = 0; i < NMETHODS; i++) {
        if (bits & (1u << i)) {
            if (sb.len > 0)
                strbuf_addstr(&sb, ", ");
            strbuf_addstr(&sb, methods[i].name);
        }
    }
    return strbuf_detach(&sb, NULL);
}

/* Does any route of this method have a static prefix equal to path (a "/metrics/job/" node)? */
static int
router_is_param_node(const struct router *r, const char *path, unsigned mbit)
{
    size_t i, n = strlen(path);

    for (i = 0; i < r->n; i++) {
        const char *colon = strchr(r->v[i].pattern, ':');
        if ((r->v[i].methods & mbit) && colon != NULL && (size_t)(colon - r->v[i].pattern) == n &&
            strncmp(r->v[i].pattern, path, n) == 0)
            return 1;
    }
    return 0;
}

/*
 * httprouter's redirect suggestions for an unmatched path: the trailing-slash toggle, then a
 * case-insensitive match of the cleaned path. Returns the new path (caller frees) or NULL.
 */
static char *
router_redirect(const struct router *r, const char *path, unsigned mbit)
{
    struct http_params ps;
    struct strbuf alt = STRBUF_INIT, fixed = STRBUF_INIT;
    size_t n = strlen(path), i, k;
    char *clean;

    if (n > 1 && path[n - 1] == '/') {
        strbuf_add(&alt, path, n - 1);
        if (router_lookup(r, alt.data, mbit, &ps) != NULL || router_is_param_node(r, path, mbit))
            return strbuf_detach(&alt, NULL);
    } else {
        strbuf_add(&alt, path, n);
        strbuf_addch(&alt, '/');
        if (router_lookup(r, alt.data, mbit, &ps) != NULL)
            return strbuf_detach(&alt, NULL);
    }
    strbuf_free(&alt);
    clean = http_clean_path(path);
    for (k = 0; k < 2; k++) {
        /* Second round: the same with the trailing slash toggled. */
        struct strbuf cand = STRBUF_INIT;
        size_t cn = strlen(clean);
        if (k == 0)
            strbuf_addstr(&cand, clean);
        else if (cn > 1 && clean[cn - 1] == '/')
            strbuf_add(&cand, clean, cn - 1);
        else {
            strbuf_addstr(&cand, clean);
            strbuf_addch(&cand, '/');
        }
        for (i = 0; i < r->n; i++) {
            strbuf_reset(&fixed);
            if ((r->v[i].methods & mbit) &&
                route_match(r->v[i].pattern, cand.data, 1, &ps, &fixed)) {
                strbuf_free(&cand);
                free(clean);
                return strbuf_detach(&fixed, NULL);
            }
        }
        strbuf_free(&cand);
    }
    free(clean);
    strbuf_free(&fixed);
    return NULL;
}

char *
http_clean_path(const char *p)
{
    /* Go's path.Clean, keeping a trailing slash as ServeMux does. */
    struct strbuf out = STRBUF_INIT;
    size_t n = strlen(p), i = 0;
    int trailing = n > 0 && p[n - 1] == '/';

    strbuf_addch(&out, '/');
    while (i < n) {
        size_t start, len;
        while (i < n && p[i] == '/')
            i++;
        start = i;
        while (i < n && p[i] != '/')
            i++;
        len = i - start;
        if (len == 0 || (len == 1 && p[start] == '.'))
            continue;
        if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
            /* Drop the last segment written, never past the root. */
            while (out.len > 1 && out.data[out.len - 1] != '/')
                out.len--;
            if (out.len > 1)
                out.len--;
            out.data[out.len] = '\0';
            continue;
        }
        if (out.len > 1)
            strbuf_addch(&out, '/');
        strbuf_add(&out, p + start, len);
    }
    if (trailing && out.len > 1)
        strbuf_addch(&out, '/');
    return strbuf_detach(&out, NULL);
}

/* Percent-decode a path like Go's url.PathUnescape; -1 on a malformed escape. */
static int
percent_decode(const char *s, size_t n, struct strbuf *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = isxdigit((unsigned char)s[i + 1]) ? s[i + 1] : -1;
            lo = isxdigit((unsigned char)s[i + 2]) ? s[i + 2] : -1;
            if (hi < 0 || lo < 0)
                return -1;
            hi = hi <= '9' ? hi - '0' : (tolower(hi) - 'a' + 10);
            lo = lo <= '9' ? lo - '0' : (tolower(lo) - 'a' + 10);
            strbuf_addch(out, (char)(hi * 16 + lo));
            i += 2;
        } else {
            strbuf_addch(out, s[i]);
        }
    }
    return 0;
}

/* ----- replies ----- */

/* Go's status texts for the codes we send (libevent's differ for some, e.g. 307). */
static const char *
status_text(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return NULL;
    }
}

/* Status line and headers common to every reply; the body length is announced. */
void
http_add_date(struct evkeyvalq *h)
{
    static const char day[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static time_t made = (time_t)-1;
    static char date[64];
    time_t now = time(NULL);

    if (now != made) {
        struct tm tm;

        gmtime_r(&now, &tm);
        snprintf(date, sizeof(date), "%s, %02d %s %4d %02d:%02d:%02d GMT", day[tm.tm_wday],
                 tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        made = now;
    }
    evhttp_add_header(h, "Date", date);
}

static void
reply_headers(struct http_ctx *c, int code, const char *content_type, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    char clen[32];

    if (content_type != NULL)
        evhttp_add_header(h, "Content-Type", content_type);
    if (c->close_connection)
        evhttp_add_header(h, "Connection", "close");
    snprintf(clen, sizeof(clen), "%zu", len);
    evhttp_remove_header(h, "Content-Length");
    /* A 304 has no body and must not claim a length (the cached one stays valid). */
    if (code != 304)
        evhttp_add_header(h, "Content-Length", clen);
    http_add_date(h);
}

/* Send the reply with body buffer buf (which stays ours) and note it was sent. */
static void
reply_send(struct http_ctx *c, int code, struct evbuffer *buf)
{
    evhttp_send_reply(c->req, code, status_text(code), buf);
    c->replied = code;
    log_debug("request", "method", http_method_name(c->cmd), "path", c->raw_path, "code",
              code == 200   ? "200"
              : code == 202 ? "202"
              : code == 400 ? "400"
                            : "other");
}

void
http_reply(struct http_ctx *c, int code, const char *content_type, const void *body, size_t len)
{
    struct evbuffer *buf = evbuffer_new();

    reply_headers(c, code, content_type, len);
    /* HEAD (answered like GET, a deliberate improvement) gets the headers only. */
    if (c->cmd != EVHTTP_REQ_HEAD && len > 0)
        evbuffer_add(buf, body, len);
    reply_send(c, code, buf);
    evbuffer_free(buf);
}

void
http_reply_ref(struct http_ctx *c, int code, const char *content_type, const void *body, size_t len,
               void (*done)(const void *data, size_t len, void *arg), void *arg)
{
    struct evbuffer *buf = evbuffer_new();

    reply_headers(c, code, content_type, len);
    if (c->cmd != EVHTTP_REQ_HEAD && len > 0)
        evbuffer_add_reference(buf, body, len, done, arg);
    else
        done(body, len, arg);
    reply_send(c, code, buf);
    evbuffer_free(buf);
}

void
http_reply_buffer(struct http_ctx *c, int code, const char *content_type, struct evbuffer *body)
{
    reply_headers(c, code, content_type, evbuffer_get_length(body));
    if (c->cmd == EVHTTP_REQ_HEAD)
        evbuffer_drain(body, evbuffer_get_length(body));
    reply_send(c, code, body);
}

void
http_reply_error(struct http_ctx *c, int code, const char *msg)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, msg);
    strbuf_addch(&sb, '\n');
    evhttp_add_header(evhttp_request_get_output_headers(c->req), "X-Content-Type-Options",
                      "nosniff");
    http_reply(c, code, "text/plain; charset=utf-8", sb.data, sb.len);
    strbuf_free(&sb);
}

void
http_reply_text(struct http_ctx *c, int code, const char *msg)
{
    http_reply(c, code, "text/plain; charset=utf-8", msg, strlen(msg));
}

void
http_reply_empty(struct http_ctx *c, int code)
{
    http_reply(c, code, NULL, NULL, 0);
}

/* http.Redirect: GET and HEAD get a small HTML body. */
static void
reply_redirect(struct http_ctx *c, int code, const char *location)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);

    evhttp_add_header(h, "Location", location);
    if (c->cmd == EVHTTP_REQ_GET || c->cmd == EVHTTP_REQ_HEAD) {
        char *esc = evhttp_htmlescape(location);
        char *body = xasprintf("<a href=\"%s\">%s</a>.\n\n", esc,
                               code == 301 ? "Moved Permanently" : "Temporary Redirect");
        http_reply(c, code, "text/html; charset=utf-8", body, strlen(body));
        free(body);
        free(esc);
    } else {
        http_reply_empty(c, code);
    }
}

/* ----- dispatch ----- */

/* Serve a request from one router, with httprouter's 301/307, 405 and OPTIONS behaviour. */
static void
router_serve(struct http_server *hs, const struct router *r, struct http_ctx *c, const char *path)
{
    unsigned mbit = http_method_bit(c->cmd);
    unsigned lookup_bit = c->cmd == EVHTTP_REQ_HEAD ? M_GET : mbit;
    const struct route *rt;
    unsigned allowed;
    char *allow;

    c->path = path;
    rt = router_lookup(r, path, lookup_bit, &c->params);
    if (rt != NULL) {
        rt->fn(c);
        return;
    }
    /* Redirect suggestions exist only for methods that have routes at all. */
    if (c->cmd != EVHTTP_REQ_CONNECT && strcmp(path, "/") != 0 && r == &hs->main_router) {
        size_t i;
        int has_tree = 0;
        for (i = 0; i < r->n; i++)
            has_tree |= (r->v[i].methods & lookup_bit) != 0;
        if (has_tree) {
            char *to = router_redirect(r, path, lookup_bit);
            if (to != NULL) {
                /* httprouter redirects to req.URL.String(): the query is kept. */
                char *loc = c->query != NULL ? xasprintf("%s%s?%s", c->mount, to, c->query)
                                             : xasprintf("%s%s", c->mount, to);
                reply_redirect(c, c->cmd == EVHTTP_REQ_GET || c->cmd == EVHTTP_REQ_HEAD ? 301 : 307,
                               loc);
                free(loc);
                free(to);
                return;
            }
        }
    }
    allowed = router_allowed(r, path);
    allow = allow_header(allowed);
    if (c->cmd == EVHTTP_REQ_OPTIONS && allow != NULL) {
        evhttp_add_header(evhttp_request_get_output_headers(c->req), "Allow", allow);
        http_reply_empty(c, 200);
    } else if (c->cmd != EVHTTP_REQ_OPTIONS && allow != NULL) {
        evhttp_add_header(evhttp_request_get_output_headers(c->req), "Allow", allow);
        http_reply_error(c, 405, "Method Not Allowed");
    } else {
        http_reply_error(c, 404, "404 page not found");
    }
    free(allow);
}

/*
 * Decode the request body per Content-Encoding for the main router (spec §2). Returns 0,
 * or replies with the error and returns -1.
 */
static int
decode_body(struct http_ctx *c)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
    const char *enc =
        evhttp_find_header(evhttp_request_get_input_headers(c->req), "Content-Encoding");
    size_t len = evbuffer_get_length(in);
    const unsigned char *data = len > 0 ? evbuffer_pullup(in, -1) : (const unsigned char *)"";

    c->body = (const char *)data;
    c->body_len = len;
    if (enc == NULL)
        return 0;
    if (evutil_ascii_strcasecmp(enc, "gzip") == 0) {
        const char *herr;
        if (gzip_header_check(data, len, &herr) != 0) {
            http_reply_error(c, 400, herr);
            return -1;
        }
        c->gzip_body = 1;
    } else if (evutil_ascii_strcasecmp(enc, "snappy") == 0) {
        http_reply_error(c, 415, "Content-Encoding snappy is not supported by this gateway");
        return -1;
    }
    return 0;
}

int
http_body_text(struct http_ctx *c, const char **body, size_t *len, char **err)
{
    int rc;

    if (!c->gzip_body) {
        *body = c->body;
        *len = c->body_len;
        return 0;
    }
    if (!c->decoded_ready) {
        size_t max = (size_t)c->gw->cfg->max_body_size;

        rc = gzip_decompress((const unsigned char *)c->body, c->body_len, max, &c->decoded, err);
        if (rc == -2) {
            free(*err);
            *err = xasprintf("request body exceeds the limit of %zu bytes after gzip decoding "
                             "(--push.max-body-size)",
                             max);
            selfmetrics_count_limit_hit(LIMIT_HIT_BODY_BYTES);
        }
        if (rc != 0)
            return rc;
        c->decoded_ready = 1;
    }
    *body = c->decoded.data != NULL ? c->decoded.data : "";
    *len = c->decoded.len;
    return 0;
}

/*
 * What exporter-toolkit's handler does before the gateway sees a request (every endpoint):
 * the rate limit (429), the configured response headers, basic auth (401 with
 * WWW-Authenticate). Returns 0 to go on, or -1 when the request has been answered.
 */
static int
web_config_gate(struct http_server *hs, struct http_ctx *c)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
    struct timespec now;
    size_t i;

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!webconfig_rate_allow(hs->wc, &now)) {
        selfmetrics_count_limit_hit(LIMIT_HIT_RATE_LIMIT);
        http_reply_error(c, 429, "Too Many Requests");
        return -1;
    }
    for (i = 0; i < hs->wc->nheaders; i++) {
        evhttp_remove_header(out, hs->wc->headers[i].name);
        evhttp_add_header(out, hs->wc->headers[i].name, hs->wc->headers[i].value);
    }
    if (!webconfig_authorized(hs->wc, evhttp_find_header(evhttp_request_get_input_headers(c->req),
                                                         "Authorization"))) {
        evhttp_add_header(out, "WWW-Authenticate", "Basic");
        http_reply_error(c, 401, "Unauthorized");
        return -1;
    }
    return 0;
}

/* Does the request carry a body on a method evhttp 2.0 would not read it for? */
static int
has_unread_body(struct evhttp_request *req, enum evhttp_cmd_type cmd)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *cl = evhttp_find_header(h, "Content-Length");

    if (cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_PUT || cmd == EVHTTP_REQ_PATCH)
        return 0;
    return evhttp_find_header(h, "Transfer-Encoding") != NULL ||
           (cl != NULL && strcmp(cl, "0") != 0);
}

static void
http_gen_cb(struct evhttp_request *req, void *arg)
{
    struct http_server *hs = arg;
    struct http_ctx c;
    const char *uri = evhttp_request_get_uri(req);
    const char *q, *raw;
    struct strbuf rawpath = STRBUF_INIT, decoded = STRBUF_INIT;
    size_t api_len = strlen(hs->api_root);
    char *clean;

    memset(&c, 0, sizeof(c));
    c.server = hs;
    c.gw = hs->gw;
    c.req = req;
    c.cmd = evhttp_request_get_command(req);
    clock_gettime(CLOCK_REALTIME, &c.received);
    strbuf_init(&c.decoded);
    c.mount = "";
    c.close_connection = has_unread_body(req, c.cmd);
    c.raw_path = uri;
    conn_gate_request(hs->gate, req);
    if (hs->wc != NULL && web_config_gate(hs, &c) != 0)
        return;

    /* Absolute-form request targets: keep only the path. */
    raw = uri;
    if (strncmp(raw, "http://", 7) == 0 || strncmp(raw, "https://", 8) == 0) {
        raw = strchr(strchr(raw, ':') + 3, '/');
        if (raw == NULL)
            raw = "/";
    }
    q = strchr(raw, '?');
    strbuf_add(&rawpath, raw, q != NULL ? (size_t)(q - raw) : strlen(raw));
    c.raw_path = strbuf_str(&rawpath);
    c.query = q != NULL ? q + 1 : NULL;

    /* ServeMux cleans the escaped path and redirects to the clean form (301). */
    clean = http_clean_path(c.raw_path);
    if (c.cmd != EVHTTP_REQ_CONNECT && strcmp(clean, c.raw_path) != 0) {
        char *loc = c.query != NULL ? xasprintf("%s?%s", clean, c.query) : xstrdup(clean);
        reply_redirect(&c, 301, loc);
        free(loc);
        goto done;
    }
    if (percent_decode(c.raw_path, rawpath.len, &decoded) != 0) {
        c.close_connection = 1;
        http_reply_text(&c, 400, "400 Bad Request: invalid URL escape");
        goto done;
    }
    if (memchr(decoded.data, '\0', decoded.len) != NULL) {
        http_reply_error(&c, 400, "invalid URL: the path contains a NUL byte");
        goto done;
    }

    if (strncmp(decoded.data, hs->api_root, api_len) == 0 && decoded.data[api_len] == '/') {
        c.mount = hs->api_root;
        router_serve(hs, &hs->api_router, &c, decoded.data + api_len);
    } else if (strcmp(decoded.data, hs->api_root) == 0) {
        char *loc = xasprintf("%s/", hs->api_root);
        reply_redirect(&c, 301, loc);
        free(loc);
    } else {
        if (decode_body(&c) == 0)
            router_serve(hs, &hs->main_router, &c, decoded.data);
    }
done:
    free(clean);
    strbuf_free(&rawpath);
    strbuf_free(&decoded);
    strbuf_free(&c.decoded);
}

/* ----- set-up ----- */

/* pushgateway_limit_current and pushgateway_limit_max (selfmetrics_set_limits). */
static size_t
limits_report(void *arg, struct selfmetrics_limit *out, size_t n)
{
    struct http_server *hs = arg;
    const struct config *cfg = hs->gw->cfg;
    const struct store *st = hs->gw->store;
    struct selfmetrics_limit l[8];
    size_t i, k = 0;

    memset(l, 0, sizeof(l));
#define LIMIT(nm, mx, cur, has)                                                                    \
    do {                                                                                           \
        l[k].name = nm;                                                                            \
        l[k].max = (double)(mx);                                                                   \
        l[k].current = (double)(cur);                                                              \
        l[k].has_current = has;                                                                    \
        k++;                                                                                       \
    } while (0)
    LIMIT("body_bytes", cfg->max_body_size, 0, 0);
    LIMIT("connections", cfg->max_connections, conn_gate_open(hs->gate), 1);
    LIMIT("groups", cfg->max_groups, st->groups.len, 1);
    LIMIT("header_bytes", cfg->max_header_size, 0, 0);
    LIMIT("idle_timeout_seconds", (double)cfg->idle_timeout / 1e9, 0, 0);
    LIMIT("read_timeout_seconds", (double)cfg->read_timeout / 1e9, 0, 0);
    LIMIT("series", cfg->max_series, st->nseries, 1);
    LIMIT("series_per_group", cfg->max_series_per_group, caps_largest_group(st), 1);
#undef LIMIT
    for (i = 0; i < k && i < n; i++)
        out[i] = l[i];
    return i;
}

/* Load --web.config.file and set up TLS if it asks for it. 0, or -1 with *err. */
static int
web_config_setup(struct http_server *hs, char **err)
{
    const char *path = hs->gw->cfg->web_config_file;
    char *reason = NULL;

    hs->wc = xcalloc(1, sizeof(*hs->wc));
    webconfig_init(hs->wc);
    if (webconfig_load(path, hs->wc, &reason) != 0)
        goto fail;
    if (hs->wc->tls.enabled) {
        hs->tls = tls_server_new(&hs->wc->tls, &reason);
        if (hs->tls == NULL || tls_server_attach(hs->tls, hs->http, &reason) != 0)
            goto fail;
    }
    return 0;
fail:
    *err = xasprintf("--web.config.file: %s: %s", path, reason);
    free(reason);
    return -1;
}

int
http_web_config_check(const struct config *cfg, char **err)
{
    struct webconfig wc;
    struct tls_server *ts = NULL;
    char *reason = NULL;
    int rc = 0;

    if (cfg->web_config_file[0] == '\0')
        return 0;
    webconfig_init(&wc);
    if (webconfig_load(cfg->web_config_file, &wc, &reason) != 0 ||
        (wc.tls.enabled && (ts = tls_server_new(&wc.tls, &reason)) == NULL)) {
        *err = xasprintf("--web.config.file: %s: %s", cfg->web_config_file, reason);
        free(reason);
        rc = -1;
    }
    tls_server_free(ts);
    webconfig_free(&wc);
    return rc;
}

/* Go's path.Join of two parts (Clean of "a/b"), for the telemetry path. */
static char *
path_join(const char *a, const char *b)
{
    char *joined = xasprintf("%s/%s", a, b);
    char *clean = http_clean_path(joined);
    size_t n = strlen(clean);

    /* path.Join does not keep a trailing slash. */
    if (n > 1 && clean[n - 1] == '/')
        clean[n - 1] = '\0';
    free(joined);
    return clean;
}

struct http_server *
http_server_new(struct gateway *gw, char **err)
{
    struct http_server *hs = xcalloc(1, sizeof(*hs));
    const char *p = gw->cfg->route_prefix;
    char *s;

    hs->gw = gw;
    hs->http = evhttp_new(gw->base);
    if (hs->http == NULL) {
        *err = xstrdup("cannot create the HTTP server");
        free(hs);
        return NULL;
    }
    evhttp_set_allowed_methods(hs->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                             EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                             EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                             EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    /* Limits (docs/configuration.md): libevent refuses bigger requests itself. */
    evhttp_set_max_body_size(hs->http, (ev_ssize_t)gw->cfg->max_body_size);
    evhttp_set_max_headers_size(hs->http, (ev_ssize_t)gw->cfg->max_header_size);
    /* Whole seconds in libevent 2.0: round up. */
    evhttp_set_timeout(hs->http, (int)((gw->cfg->idle_timeout + 999999999) / 1000000000));
    if (gw->cfg->web_config_file[0] != '\0' && web_config_setup(hs, err) != 0) {
        http_server_free(hs);
        return NULL;
    }
    hs->gate = conn_gate_new(gw->base, gw->cfg, hs->tls != NULL);
    selfmetrics_set_limits(limits_report, hs);
#if LIBEVENT_VERSION_NUMBER >= 0x02010800
    /* Replies without a body must not get libevent's text/html default type. */
    evhttp_set_default_content_type(hs->http, NULL);
#endif
    evhttp_set_gencb(hs->http, http_gen_cb, hs);

    s = path_join(p, gw->cfg->telemetry_path);
    router_add(&hs->main_router, s, M_GET, http_handle_metrics);
    free(s);
#define ADD(path, bits, fn)                                                                        \
    do {                                                                                           \
        s = xasprintf("%s%s", p, path);                                                            \
        router_add(&hs->main_router, s, bits, fn);                                                 \
        free(s);                                                                                   \
    } while (0)
    ADD("/metrics/job/:job", M_PUT | M_POST | M_DELETE, http_handle_push);
    ADD("/metrics/job/:job/*labels", M_PUT | M_POST | M_DELETE, http_handle_push);
    ADD("/metrics/job@base64/:job", M_PUT | M_POST | M_DELETE, http_handle_push);
    ADD("/metrics/job@base64/:job/*labels", M_PUT | M_POST | M_DELETE, http_handle_push);
    ADD("/-/healthy", M_GET, http_handle_healthy);
    ADD("/-/ready", M_GET, http_handle_ready);
    ADD("/-/quit", M_PUT | M_POST, http_handle_quit);
    ADD("/", M_GET, http_handle_ui);
    ADD("/status", M_GET, http_handle_ui);
    ADD("/static/*filepath", M_GET, http_handle_static);
#undef ADD
    /* GET /-/quit is registered without the prefix (upstream quirk, spec §3). */
    router_add(&hs->main_router, "/-/quit", M_GET, http_handle_quit_get);

    hs->api_root = xasprintf("%s/api/v1", p);
    router_add(&hs->api_router, "/status", M_GET, http_handle_api_status);
    router_add(&hs->api_router, "/metrics", M_GET, http_handle_api_metrics);
    if (gw->cfg->enable_admin_api)
        router_add(&hs->api_router, "/admin/wipe", M_PUT, http_handle_wipe);
    router_add(&hs->api_router, "/*path", M_OPTIONS, http_handle_api_options);
    return hs;
}

/* Split "host:port" / "[v6]:port" into host (brackets removed) and port. */
static int
parse_listen_address(const char *address, char host[256], long *port, char **err)
{
    const char *colon = strrchr(address, ':');
    char *end;
    size_t hl;

    if (colon == NULL) {
        *err = xasprintf("listen address %s: missing port", address);
        return -1;
    }
    hl = (size_t)(colon - address);
    if (hl >= 256) {
        *err = xasprintf("listen address %s: host too long", address);
        return -1;
    }
    memcpy(host, address, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    errno = 0;
    *port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || *port < 0 || *port > 65535 || errno != 0) {
        *err = xasprintf("listen address %s: invalid port", address);
        return -1;
    }
    return 0;
}

int
http_listen_address_check(const char *address, char **err)
{
    char host[256];
    long port;

    return parse_listen_address(address, host, &port, err);
}

/* Log the address a listener is bound to (port 0 resolved), as upstream does. */
static void
log_bound(int fd, int tls)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?", portbuf[16];
    unsigned short bound = 0;
    char *shown;

    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
            bound = ntohs(s6->sin6_port);
        } else if (ss.ss_family == AF_INET) {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
            bound = ntohs(s4->sin_port);
        }
    }
    snprintf(portbuf, sizeof(portbuf), "%u", bound);
    shown = ss.ss_family == AF_INET6 ? xasprintf("[%s]:%s", ip, portbuf)
                                     : xasprintf("%s:%s", ip, portbuf);
    log_info("Listening on", "address", shown);
    log_info(tls ? "TLS is enabled." : "TLS is disabled.", "http2", "false", "address", shown);
    free(shown);
}

int
http_server_listen_fd(struct http_server *hs, int fd, char **err)
{
    struct evhttp_bound_socket *bs;

    if (evutil_make_socket_nonblocking(fd) < 0) {
        *err = xasprintf("socket activation fd %d: %s", fd, strerror(errno));
        return -1;
    }
    bs = evhttp_accept_socket_with_handle(hs->http, fd);
    if (bs == NULL) {
        *err = xasprintf("socket activation fd %d: cannot accept on it", fd);
        return -1;
    }
    log_bound(fd, hs->tls != NULL);
    conn_gate_hook(hs->gate, hs->http, bs);
    hs->listeners = xreallocarray(hs->listeners, hs->nlisteners + 1, sizeof(*hs->listeners));
    hs->listeners[hs->nlisteners++] = bs;
    return 0;
}

int
http_server_listen(struct http_server *hs, const char *address, char **err)
{
    struct evhttp_bound_socket *bs;
    char host[256];
    long port;

    if (parse_listen_address(address, host, &port, err) < 0)
        return -1;
    /* An empty host listens on every address, IPv6 and IPv4 (as Go's ":9091"). */
    bs = evhttp_bind_socket_with_handle(hs->http,
                                        host[0] != '\0' ? host : "::", (unsigned short)port);
    if (bs == NULL && host[0] == '\0')
        bs = evhttp_bind_socket_with_handle(hs->http, "0.0.0.0", (unsigned short)port);
    if (bs == NULL) {
        *err = xasprintf("listen tcp %s: %s", address, strerror(errno ? errno : EADDRINUSE));
        return -1;
    }
    log_bound(evhttp_bound_socket_get_fd(bs), hs->tls != NULL);
    conn_gate_hook(hs->gate, hs->http, bs);
    hs->listeners = xreallocarray(hs->listeners, hs->nlisteners + 1, sizeof(*hs->listeners));
    hs->listeners[hs->nlisteners++] = bs;
    return 0;
}

void
http_server_close_listeners(struct http_server *hs)
{
    size_t i;

    conn_gate_unhook_all(hs->gate);
    for (i = 0; i < hs->nlisteners; i++)
        evhttp_del_accept_socket(hs->http, hs->listeners[i]);
    hs->nlisteners = 0;
}

void
http_server_free(struct http_server *hs)
{
    if (hs == NULL)
        return;
    selfmetrics_set_limits(NULL, NULL);
    if (hs->gate != NULL)
        conn_gate_unhook_all(hs->gate);
    if (hs->http != NULL)
        evhttp_free(hs->http);
    conn_gate_free(hs->gate);
    tls_server_free(hs->tls);
    if (hs->wc != NULL) {
        webconfig_free(hs->wc);
        free(hs->wc);
    }
    router_free(&hs->main_router);
    router_free(&hs->api_router);
    free(hs->listeners);
    free(hs->api_root);
    free(hs);
}
