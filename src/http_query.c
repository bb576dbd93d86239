/* http_query.c - GET /metrics, the /api/v1 endpoints, health, lifecycle and the status page */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api.h"
#include "compress.h"
#include "expo_proto.h"
#include "gather.h"
#include "http_internal.h"
#include "log.h"
#include "selfmetrics.h"
#include "ui.h"
#include "xmalloc.h"

/* One entry of an Accept-Encoding list. */
struct accept_spec {
    char value[32];
    double q;
};

/*
 * Parse an Accept-Encoding header the way client_golang's header.ParseAccept does:
 * comma-separated tokens with an optional q parameter (default 1); malformed entries skipped.
 */
static size_t
parse_accept(const char *h, struct accept_spec *out, size_t max)
{
    size_t n = 0;

    while (h != NULL && *h != '\0' && n < max) {
        const char *end = strchr(h, ','), *semi;
        size_t len = end != NULL ? (size_t)(end - h) : strlen(h), vl;
        char item[128];

        if (len >= sizeof(item))
            len = sizeof(item) - 1;
        memcpy(item, h, len);
        item[len] = '\0';
        h = end != NULL ? end + 1 : NULL;
        {
            char *s = item, *e;
            while (*s == ' ' || *s == '\t')
                s++;
            semi = strchr(s, ';');
            vl = semi != NULL ? (size_t)(semi - s) : strlen(s);
            while (vl > 0 && (s[vl - 1] == ' ' || s[vl - 1] == '\t'))
                vl--;
            if (vl == 0 || vl >= sizeof(out[n].value))
                continue;
            memcpy(out[n].value, s, vl);
            out[n].value[vl] = '\0';
            out[n].q = 1.0;
            if (semi != NULL) {
                const char *qp = strstr(semi, "q=");
                if (qp != NULL) {
                    out[n].q = strtod(qp + 2, &e);
                    if (e == qp + 2 || out[n].q < 0 || out[n].q > 1)
                        continue;
                }
            }
            n++;
        }
    }
    return n;
}

/*
 * Response compression (spec §7.3, client_golang >= 1.22): offers identity then gzip; the
 * highest q wins, identity on a tie; a best q of 0 means identity.
 */
static int
negotiate_gzip(const char *accept_encoding)
{
    static const char *const offers[] = {"identity", "gzip"};
    struct accept_spec specs[32];
    size_t n = parse_accept(accept_encoding, specs, 32), i, k;
    double best_q = -1;
    int best = 0;

    for (k = 0; k < 2; k++)
        for (i = 0; i < n; i++)
            if (specs[i].q > best_q &&
                (strcmp(specs[i].value, "*") == 0 || strcmp(specs[i].value, offers[k]) == 0)) {
                best_q = specs[i].q;
                best = (int)k;
            }
    return best_q == 0 ? 0 : best;
}

/*
 * Scrape bodies run to megabytes. They are handed to libevent by reference (no second
 * copy). A buffer is kept for the next scrape only while it is small: a large one goes back
 * to the system once sent (main.c keeps large allocations in their own mappings), so an
 * idle gateway does not hold the size of its last scrape. A buffer still being sent to a
 * slow client is not reused; a scrape that finds none free uses a temporary one.
 */
#define SCRAPE_BUF_KEEP (256 * 1024)
static size_t scrape_len_hint[2]; /* length of the last text [0] and protobuf [1] body */
#define SCRAPE_BUFS 4
struct scrape_buf {
    struct strbuf sb;
    int busy;
    int temporary;
};
static struct scrape_buf scrape_bufs[SCRAPE_BUFS];

static struct scrape_buf *
scrape_buf_get(void)
{
    struct scrape_buf *b;
    size_t i;

    for (i = 0; i < SCRAPE_BUFS; i++) {
        if (!scrape_bufs[i].busy) {
            b = &scrape_bufs[i];
            strbuf_reset(&b->sb);
            b->busy = 1;
            return b;
        }
    }
    b = xcalloc(1, sizeof(*b));
    b->busy = 1;
    b->temporary = 1;
    return b;
}

/* Give a buffer back (libevent's reference cleanup, or after an unsent rendering). */
static void
scrape_buf_done(const void *data, size_t len, void *arg)
{
    struct scrape_buf *b = arg;

    (void)data;
    (void)len;
    if (b->temporary) {
        strbuf_free(&b->sb);
        free(b);
        return;
    }
    if (b->sb.cap > SCRAPE_BUF_KEEP)
        strbuf_free(&b->sb);
    b->busy = 0;
}

/*
 * A gzip scrape is compressed a slice at a time, each slice when the previous one has left
 * the output buffer: compressing megabytes never holds up pushes for long.
 */
#define GZIP_SLICE (256 * 1024)

static int
gzip_fill(void *arg, struct evbuffer *out)
{
    struct strbuf sb = STRBUF_INIT;
    int rc = gather_gzip_step(arg, GZIP_SLICE, &sb);

    if (rc < 0)
        log_error("gzip compression of a scrape failed; the response is cut short");
    evbuffer_add(out, sb.data, sb.len);
    strbuf_free(&sb);
    return rc > 0;
}

static void
gzip_done(void *arg)
{
    gather_gzip_free(arg);
}

void
http_handle_metrics(struct http_ctx *c)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
    const char *ae = evhttp_find_header(in, "Accept-Encoding");
    struct expo_choice choice;
    struct gather g;
    struct scrape_buf *text;
    size_t *hint;
    const char *ct;
    char *err = NULL;

    if (gather_collect(&g, c->gw->store, c->gw->store_unchecked, c->gw->cfg->enable_utf8_names,
                       &err) != 0) {
        char *msg = xasprintf("An error has occurred while serving metrics:\n\n%s", err);
        log_error("error gathering metrics", "err", err);
        http_reply_error(c, 500, msg);
        free(msg);
        free(err);
        return;
    }
    /*
     * The whole store passed the check. While pushes are checked it stays consistent, so
     * later scrapes need not check it again (until an unchecked push arrives, which only
     * happens with --push.disable-consistency-check).
     */
    if (c->gw->store_unchecked && !c->gw->cfg->disable_consistency_check)
        c->gw->store_unchecked = 0;
    /* Format and name escaping from Accept (spec §7.3); compression on top of either. */
    negotiate_format(evhttp_find_header(in, "Accept"), &choice);
    ct = negotiate_content_type(&choice);
    if (negotiate_gzip(ae)) {
        struct gzip_scrape *z = gather_gzip_prepare(
            &g, c->gw->store, choice.format == EXPO_PROTO_DELIM, choice.escaping);
        if (z != NULL) {
            gather_free(&g);
            evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Encoding",
                              "gzip");
            http_reply_stream(c, 200, ct, gzip_fill, gzip_done, z);
            return;
        }
        /* zlib cannot start (memory): answer uncompressed, as a client must accept anyway. */
        log_error("gzip compression of a scrape failed; answering uncompressed");
    }
    text = scrape_buf_get();
    /* Room for a body like the last one at once: growing by doubling would copy it twice. */
    hint = &scrape_len_hint[choice.format == EXPO_PROTO_DELIM];
    strbuf_grow(&text->sb, *hint + *hint / 16);
    if (choice.format == EXPO_PROTO_DELIM)
        gather_render_proto(&g, choice.escaping, &text->sb);
    else
        gather_render_text_esc(&g, choice.escaping, &text->sb);
    *hint = text->sb.len;
    gather_free(&g);
    http_reply_ref(c, 200, ct, strbuf_str(&text->sb), text->sb.len, scrape_buf_done, text);
}

void
http_handle_healthy(struct http_ctx *c)
{
    http_reply_text(c, 200, "OK");
    selfmetrics_count_request(HANDLER_HEALTHY, http_method_name(c->cmd), 200);
}

void
http_handle_ready(struct http_ctx *c)
{
    http_reply_text(c, 200, "OK");
    selfmetrics_count_request(HANDLER_READY, http_method_name(c->cmd), 200);
}

void
http_handle_quit(struct http_ctx *c)
{
    if (!c->gw->cfg->enable_lifecycle) {
        http_reply_text(c, 403, "Lifecycle API is not enabled.");
        return;
    }
    http_reply_text(c, 200, "Requesting termination... Goodbye!");
    c->gw->shutdown(c->gw, "received termination request via web service");
}

void
http_handle_quit_get(struct http_ctx *c)
{
    http_reply_text(c, 405, "Only POST or PUT requests allowed.");
}

/*
 * The web UI page (spec §10): the metrics tab at P/ (one group with ?group=<path>, 404 when
 * it does not exist), the status tab at P/status. Never cached; the Content-Security-Policy
 * allows only the page's own assets and requests, so a pushed string that slipped through
 * escaping still could not run.
 */
void
http_handle_ui(struct http_ctx *c)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    size_t n = strlen(c->path);
    struct ui_view view;
    char *group = NULL, *page;
    int code;

    memset(&view, 0, sizeof(view));
    view.tab = n >= 7 && strcmp(c->path + n - 7, "/status") == 0 ? UI_TAB_STATUS : UI_TAB_METRICS;
    /* ?group=<path>: the one-group view (still percent-encoded: ui.c decodes it). */
    if (c->query != NULL) {
        const char *p = c->query;
        while (p != NULL && strncmp(p, "group=", 6) != 0)
            p = (p = strchr(p, '&')) != NULL ? p + 1 : NULL;
        if (p != NULL) {
            group = xstrndup(p + 6, strcspn(p + 6, "&"));
            view.group = group;
        }
    }
    page = ui_render_status(c->gw->store, c->gw->cfg, &c->gw->start_time, &view, &code);
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                      "connect-src 'self'; base-uri 'none'; form-action 'none'; "
                      "frame-ancestors 'self'");
    http_reply(c, code, "text/html; charset=utf-8", page, strlen(page));
    free(page);
    free(group);
    selfmetrics_count_request(HANDLER_STATUS, http_method_name(c->cmd), code);
}

/* Does the query string carry name=value exactly (no decoding needed for our tokens)? */
static int
query_has(const char *query, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    const char *p = query;

    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);

        if (len == nl + 1 + vl && strncmp(p, name, nl) == 0 && p[nl] == '=' &&
            strncmp(p + nl + 1, value, vl) == 0)
            return 1;
        p = amp != NULL ? amp + 1 : NULL;
    }
    return 0;
}

/* Go FileServer's listing of the static directory. */
static void
static_listing(struct http_ctx *c)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    strbuf_addstr(&sb, "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n"
                       "<pre>\n");
    for (i = 0; i < ui_nassets; i++)
        strbuf_addf(&sb, "<a href=\"%s\">%s</a>\n", ui_assets[i].name, ui_assets[i].name);
    strbuf_addstr(&sb, "</pre>\n");
    http_reply(c, 200, "text/html; charset=utf-8", sb.data, sb.len);
    strbuf_free(&sb);
}

/*
 * P/static/<name>: an asset embedded in the binary, typed by its extension. A request with the
 * page's ?v=<version> may be cached for a year (the version changes with the contents);
 * otherwise the browser revalidates with the ETag (304). Anything else is 404.
 */
void
http_handle_static(struct http_ctx *c)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    const char *name = c->params.n > 0 ? c->params.v[0].value + 1 : "";
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(c->req), "If-None-Match");
    const struct ui_asset *a;
    char v[UI_VERSION_LEN + 1], etag[UI_VERSION_LEN + 3];
    int code = 200;

    if (name[0] == '\0') {
        static_listing(c);
        selfmetrics_count_request(HANDLER_STATIC, http_method_name(c->cmd), 200);
        return;
    }
    a = strchr(name, '/') == NULL ? ui_asset_find(name) : NULL;
    if (a == NULL) {
        http_reply_error(c, 404, "404 page not found");
        selfmetrics_count_request(HANDLER_STATIC, http_method_name(c->cmd), 404);
        return;
    }
    ui_asset_version(a, v);
    snprintf(etag, sizeof(etag), "\"%s\"", v);
    evhttp_add_header(h, "ETag", etag);
    evhttp_add_header(h, "Cache-Control",
                      query_has(c->query, "v", v) ? "public, max-age=31536000, immutable"
                                                  : "no-cache");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0)) {
        code = 304;
        http_reply(c, 304, NULL, NULL, 0);
    } else {
        http_reply(c, 200, ui_asset_mime(a->name), a->data, a->len);
    }
    selfmetrics_count_request(HANDLER_STATIC, http_method_name(c->cmd), code);
}

/* The CORS and caching headers of every /api/v1 answer (spec §8). */
static void
api_headers(struct http_ctx *c)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);

    evhttp_add_header(h, "Access-Control-Allow-Headers",
                      "Accept, Authorization, Content-Type, Origin");
    evhttp_add_header(h, "Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
    evhttp_add_header(h, "Access-Control-Expose-Headers", "Date");
    evhttp_add_header(h, "Cache-Control", "no-cache, no-store, must-revalidate");
}

void
http_handle_api_status(struct http_ctx *c)
{
    char *body = api_status_json(c->gw->cfg, &c->gw->start_time);

    api_headers(c);
    http_reply(c, 200, "application/json", body, strlen(body));
    free(body);
    selfmetrics_count_request(HANDLER_API_STATUS, http_method_name(c->cmd), 200);
}

/* /api/v1/metrics being sent: the groups' renderings, copied out a slice at a time. */
#define API_SLICE (256 * 1024)
struct api_stream {
    struct rcbytes **pieces; /* a reference each */
    size_t n, next;
};

static int
api_fill(void *arg, struct evbuffer *out)
{
    struct api_stream *as = arg;
    size_t added = 0;

    if (as->next == 0)
        evbuffer_add(out, API_METRICS_HEAD, strlen(API_METRICS_HEAD));
    while (as->next < as->n && added < API_SLICE) {
        const struct rcbytes *json = as->pieces[as->next];
        /* Each rendering starts with the comma that separates it from the one before. */
        size_t skip = as->next == 0;
        struct evbuffer_iovec v;

        if (evbuffer_reserve_space(out, (ev_ssize_t)json->raw, &v, 1) < 1)
            abort(); /* libevent could not allocate */
        rcbytes_unpack(json, v.iov_base);
        if (skip)
            memmove(v.iov_base, (char *)v.iov_base + 1, json->raw - 1);
        v.iov_len = json->raw - skip;
        evbuffer_commit_space(out, &v, 1);
        added += json->raw;
        as->next++;
    }
    if (as->next < as->n)
        return 1;
    evbuffer_add(out, API_METRICS_TAIL, strlen(API_METRICS_TAIL));
    return 0;
}

static void
api_done(void *arg)
{
    struct api_stream *as = arg;
    size_t i;

    for (i = 0; i < as->n; i++)
        rcbytes_unref(as->pieces[i]);
    free(as->pieces);
    free(as);
}

void
http_handle_api_metrics(struct http_ctx *c)
{
    struct api_stream *as = xcalloc(1, sizeof(*as));
    struct group *const *groups;
    size_t i;

    /*
     * The body is the groups' cached renderings as they are now: the stream holds a
     * reference to each, so groups that change while it is sent do not change it.
     */
    groups = store_groups_sorted(c->gw->store, &as->n);
    as->pieces = xreallocarray(NULL, as->n + 1, sizeof(*as->pieces));
    for (i = 0; i < as->n; i++)
        as->pieces[i] = rcbytes_ref((struct rcbytes *)api_group_json(c->gw->store, groups[i]));
    api_headers(c);
    http_reply_stream(c, 200, "application/json", api_fill, api_done, as);
    selfmetrics_count_request(HANDLER_API_METRICS, http_method_name(c->cmd), 200);
}

void
http_handle_api_options(struct http_ctx *c)
{
    api_headers(c);
    http_reply_empty(c, 200);
    selfmetrics_count_request(HANDLER_API_OPTIONS, http_method_name(c->cmd), 200);
}
