/* ui.c - the web UI page (server-rendered, HTML-escaped) and the embedded static assets */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exposition.h"
#include "gofmt.h"
#include "grouping.h"
#include "strbuf.h"
#include "ui.h"
#include "version.h"
#include "xmalloc.h"

#ifdef __clang__
#define UI_COMPILER "clang " __clang_version__
#else
#define UI_COMPILER "gcc " __VERSION__
#endif

/* Append n bytes of s with &, <, >, " and ' escaped (safe in text and quoted attributes). */
static void
add_html_n(struct strbuf *sb, const char *s, size_t n)
{
    const char *end = s + n;

    while (s < end) {
        const char *p = s;

        while (p < end && *p != '&' && *p != '<' && *p != '>' && *p != '"' && *p != '\'')
            p++;
        strbuf_add(sb, s, (size_t)(p - s));
        if (p == end)
            break;
        switch (*p) {
        case '&':
            strbuf_addstr(sb, "&amp;");
            break;
        case '<':
            strbuf_addstr(sb, "&lt;");
            break;
        case '>':
            strbuf_addstr(sb, "&gt;");
            break;
        case '"':
            strbuf_addstr(sb, "&#34;");
            break;
        default:
            strbuf_addstr(sb, "&#39;");
        }
        s = p + 1;
    }
}

/* Append a NUL-terminated string HTML-escaped. */
static void
add_html(struct strbuf *sb, const char *s)
{
    add_html_n(sb, s, strlen(s));
}

/* Append a <time> whose text is RFC 3339 (server zone); data-t carries Unix milliseconds. */
static void
add_time(struct strbuf *sb, const struct timespec *ts, const char *cls)
{
    char buf[GOFMT_TIME_MAX];

    gofmt_rfc3339nano(buf, ts);
    strbuf_addf(sb, "<time%s%s%s data-t=\"%lld\">%s</time>", cls != NULL ? " class=\"" : "",
                cls != NULL ? cls : "", cls != NULL ? "\"" : "",
                (long long)ts->tv_sec * 1000 + ts->tv_nsec / 1000000, buf);
}

/*
 * The time a group's push_time_seconds or push_failure_time_seconds stands for. Returns 0
 * when the family is missing or its value is 0 ("never"), else 1 with *out.
 */
static int
group_time(const struct group *g, const char *name, struct timespec *out)
{
    const struct stored_family *sf = group_family(g, name);
    double v;

    if (sf == NULL || sf->mf->nmetrics == 0)
        return 0;
    v = sf->mf->metrics[0].value;
    if (!(v > 0) || v > 1e12)
        return 0;
    /* The value is a rounded copy of the family's receive time when the gateway set it. */
    if (fabs((double)sf->ts.tv_sec + (double)sf->ts.tv_nsec / 1e9 - v) < 1e-3) {
        *out = sf->ts;
        return 1;
    }
    out->tv_sec = (time_t)v;
    out->tv_nsec = (long)llround((v - (double)out->tv_sec) * 1e6) * 1000;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    }
    return 1;
}

/* Decode one UTF-8 sequence (already validated by the store); returns its length. */
static size_t
utf8_rune(const unsigned char *s, uint32_t *r)
{
    if (s[0] < 0x80) {
        *r = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0 && s[1] != 0) {
        *r = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
        return 2;
    }
    if ((s[0] & 0xf0) == 0xe0 && s[1] != 0 && s[2] != 0) {
        *r = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
        return 3;
    }
    if ((s[0] & 0xf8) == 0xf0 && s[1] != 0 && s[2] != 0 && s[3] != 0) {
        *r = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
             (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
        return 4;
    }
    *r = 0xfffd;
    return 1;
}

/*
 * Append a grouping label name for a delete URL. Legacy names go as they are; others (only
 * possible with --push.enable-utf8-names) and names that the gateway would unescape get the
 * "U__" escaping of spec §4.3: '_' as "__", other runes but letters and digits as "_<hex>_".
 */
static void
add_url_label_name(struct strbuf *sb, const char *name, int utf8_names)
{
    const unsigned char *s = (const unsigned char *)name;

    if (label_name_valid_legacy(name, strlen(name)) &&
        !(utf8_names && strncmp(name, "U__", 3) == 0)) {
        strbuf_addstr(sb, name);
        return;
    }
    strbuf_addstr(sb, "U__");
    while (*s != '\0') {
        uint32_t r;
        size_t n = utf8_rune(s, &r);

        if (r == '_')
            strbuf_addstr(sb, "__");
        else if ((r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
            strbuf_addch(sb, (char)r);
        else
            strbuf_addf(sb, "_%x_", (unsigned)r);
        s += n;
    }
}

/*
 * Append base64url(value) without padding, then one '=' as upstream's page does, so that the
 * empty value is "=" (the gateway strips every trailing '=' before decoding).
 */
static void
add_b64_value(struct strbuf *sb, const char *value)
{
    char *b64 = base64url_encode(value, strlen(value));
    size_t n = strlen(b64);

    while (n > 0 && b64[n - 1] == '=')
        n--;
    strbuf_add(sb, b64, n);
    strbuf_addch(sb, '=');
    free(b64);
}

/* Append "/<name>@base64/<value>" for a delete URL. */
static void
add_url_label(struct strbuf *sb, const char *name, const char *value, int utf8_names)
{
    strbuf_addch(sb, '/');
    add_url_label_name(sb, name, utf8_names);
    strbuf_addstr(sb, "@base64/");
    add_b64_value(sb, value);
}

/*
 * A group's path as its delete URL has it after "metrics/" (upstream's page's shape):
 * job@base64/<b64>=, then /<name>@base64/<b64>= per other grouping label.
 */
static void
add_group_path(struct strbuf *sb, const struct group *g, int utf8_names)
{
    const char *job = grouping_key_get(&g->key, "job");
    size_t i;

    strbuf_addstr(sb, "job@base64/");
    add_b64_value(sb, job != NULL ? job : "");
    for (i = 0; i < g->key.n; i++)
        if (strcmp(g->key.labels[i].name, "job") != 0)
            add_url_label(sb, g->key.labels[i].name, g->key.labels[i].value, utf8_names);
}

/*
 * What the filter searches, in data-s: name=value of each grouping label and the names of the
 * group's families (the two timestamp families that every group has left out).
 */
static void
add_search_text(struct strbuf *sb, const struct group *g)
{
    size_t i;

    for (i = 0; i < g->key.n; i++) {
        add_html(sb, g->key.labels[i].name);
        strbuf_addch(sb, '=');
        add_html(sb, g->key.labels[i].value);
        strbuf_addch(sb, ' ');
    }
    for (i = 0; i < g->nfams; i++) {
        const char *name = g->fams[i]->mf->name;

        if (strcmp(name, PUSH_TIME_NAME) == 0 || strcmp(name, PUSH_FAILURE_TIME_NAME) == 0)
            continue;
        add_html(sb, name);
        strbuf_addch(sb, ' ');
    }
}

/* One grouping label as a badge: name="value". */
static void
add_badge(struct strbuf *sb, const char *name, const char *value, int job)
{
    strbuf_addstr(sb, job ? "<span class=\"b j\">" : "<span class=\"b\">");
    add_html(sb, name);
    strbuf_addstr(sb, "=\"");
    add_html(sb, value);
    strbuf_addstr(sb, "\"</span>");
}

/* qsort comparator: upstream's metric order inside a family. */
static int
metric_ptr_cmp(const void *a, const void *b)
{
    return expo_metric_cmp(*(const struct metric *const *)a, *(const struct metric *const *)b);
}

/*
 * One exposition line as a table row: the series (metric name, then the label set dimmed)
 * and the value. Lines are "series value"; the value never contains a space.
 */
static void
add_series_row(struct strbuf *sb, const char *line, size_t len)
{
    const char *sp = line + len;
    const char *brace;

    while (sp > line && sp[-1] != ' ')
        sp--;
    if (sp == line)
        return;
    brace = memchr(line, '{', (size_t)(sp - 1 - line));
    strbuf_addstr(sb, "<tr><td class=\"s\">");
    if (brace != NULL && brace > line) {
        add_html_n(sb, line, (size_t)(brace - line));
        strbuf_addstr(sb, "<span class=\"l\">");
        add_html_n(sb, brace, (size_t)(sp - 1 - brace));
        strbuf_addstr(sb, "</span>");
    } else {
        add_html_n(sb, line, (size_t)(sp - 1 - line));
    }
    strbuf_addstr(sb, "</td><td class=\"v\">");
    add_html_n(sb, sp, (size_t)(line + len - sp));
    strbuf_addstr(sb, "</td></tr>");
}

/* One family: name, type, push time, HELP, then its series with their values. */
static void
add_family(struct strbuf *sb, struct strbuf *text, const struct stored_family *sf)
{
    const struct metric_family *mf = sf->mf;
    const struct metric **ptrs = xreallocarray(NULL, mf->nmetrics + 1, sizeof(*ptrs));
    const char *p, *end;
    size_t i;

    strbuf_addstr(sb, "<div class=\"fam\"><div class=\"fh\"><span class=\"fn\">");
    add_html(sb, mf->name);
    strbuf_addf(sb, "</span> <span class=\"ty\">%s</span> <span class=\"fp\">last pushed ",
                metric_type_enum(mf->type));
    add_time(sb, &sf->ts, NULL);
    strbuf_addstr(sb, "</span></div>");
    if (mf->help != NULL && mf->help[0] != '\0') {
        strbuf_addstr(sb, "<p class=\"help\">");
        add_html(sb, mf->help);
        strbuf_addstr(sb, "</p>");
    }
    for (i = 0; i < mf->nmetrics; i++)
        ptrs[i] = &mf->metrics[i];
    qsort(ptrs, mf->nmetrics, sizeof(*ptrs), metric_ptr_cmp);
    strbuf_reset(text);
    expo_text_family(text, mf->name, NULL, mf->type, ptrs, mf->nmetrics);
    free(ptrs);
    strbuf_addstr(sb, "<table class=\"series\">");
    for (p = strbuf_str(text), end = p + text->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

        if (n > 0 && p[0] != '#')
            add_series_row(sb, p, n);
        p += n + 1;
    }
    strbuf_addstr(sb, "</table></div>\n");
}

/* ", expires <time>" for the summary of a group that expires (ours, docs/ttl.md). */
static void
add_expiry_meta(struct strbuf *sb, const struct group *g, int first)
{
    if (!g->expiring)
        return;
    strbuf_addstr(sb, first ? "expires " : ", expires ");
    add_time(sb, &g->expires, "r e");
}

/* The expiry note in an opened group: deadline, TTL and where the TTL comes from. */
static void
add_expiry_note(struct strbuf *sb, const struct store *st, const struct group *g)
{
    char ttl[32];

    if (!g->expiring)
        return;
    go_duration_format(group_effective_ttl(st, g), ttl);
    strbuf_addstr(sb, "<p class=\"note ttl\">Expires at ");
    add_time(sb, &g->expires, "e");
    strbuf_addf(sb, " unless pushed to again: TTL %s (%s).</p>", ttl,
                g->ttl == STORE_TTL_DEFAULT ? "--push.group-ttl" : "?ttl= of the last push");
}

/* How a group card is rendered. */
enum group_mode {
    GROUP_INLINE, /* collapsed, families included */
    GROUP_LAZY,   /* collapsed, a link to the one-group view instead of the families */
    GROUP_OPEN,   /* opened, families included (the one-group view) */
};

/* One group: a card whose summary shows the key, failure marker and push times. */
static void
add_group(struct strbuf *sb, struct strbuf *text, const struct store *st, const struct group *g,
          int utf8_names, enum group_mode mode)
{
    const char *job = grouping_key_get(&g->key, "job");
    int failed = !group_last_push_successful(g);
    struct timespec ok_ts, fail_ts;
    int has_ok = group_time(g, PUSH_TIME_NAME, &ok_ts);
    int has_fail = group_time(g, PUSH_FAILURE_TIME_NAME, &fail_ts);
    size_t i;

    strbuf_addstr(sb, failed ? "<details class=\"group failed\"" : "<details class=\"group\"");
    if (mode == GROUP_OPEN)
        strbuf_addstr(sb, " open");
    strbuf_addstr(sb, " data-g=\"");
    add_group_path(sb, g, utf8_names);
    strbuf_addstr(sb, "\" data-s=\"");
    add_search_text(sb, g);
    strbuf_addstr(sb, "\"><summary><span class=\"labels\">");
    if (job != NULL)
        add_badge(sb, "job", job, 1);
    for (i = 0; i < g->key.n; i++)
        if (strcmp(g->key.labels[i].name, "job") != 0)
            add_badge(sb, g->key.labels[i].name, g->key.labels[i].value, 0);
    strbuf_addstr(sb, "</span>");
    if (failed) {
        strbuf_addstr(sb, " <span class=\"fail\">Last push failed</span> <span class=\"meta\">"
                          "failed ");
        add_time(sb, &fail_ts, "r");
        strbuf_addstr(sb, ", last success ");
        if (has_ok)
            add_time(sb, &ok_ts, "r");
        else
            strbuf_addstr(sb, "never");
        add_expiry_meta(sb, g, 0);
        strbuf_addstr(sb, "</span>");
    } else if (has_ok) {
        strbuf_addstr(sb, " <span class=\"meta\">last push ");
        add_time(sb, &ok_ts, "r");
        add_expiry_meta(sb, g, 0);
        strbuf_addstr(sb, "</span>");
    } else if (g->expiring) {
        strbuf_addstr(sb, " <span class=\"meta\">");
        add_expiry_meta(sb, g, 1);
        strbuf_addstr(sb, "</span>");
    }
    strbuf_addstr(sb, "</summary>\n");
    if (mode == GROUP_LAZY) {
        /* The script loads the href's .gbody in place when the card is opened. */
        strbuf_addstr(sb, "<div class=\"gbody lazy\"><a href=\"?group=");
        add_group_path(sb, g, utf8_names);
        strbuf_addstr(sb, "\">Show metrics</a></div></details>\n");
        return;
    }
    strbuf_addstr(sb, "<div class=\"gbody\"><div class=\"gtools\">");
    if (failed) {
        strbuf_addstr(sb, "<p class=\"failnote\">The last push to this group failed at ");
        add_time(sb, &fail_ts, NULL);
        strbuf_addstr(sb, "; the last successful push was ");
        if (has_ok) {
            strbuf_addstr(sb, "at ");
            add_time(sb, &ok_ts, NULL);
        } else {
            strbuf_addstr(sb, "never");
        }
        strbuf_addstr(sb, ".</p>");
    } else if (has_fail) {
        strbuf_addstr(sb, "<p class=\"note\">Last failed push: ");
        add_time(sb, &fail_ts, NULL);
        strbuf_addstr(sb, "</p>");
    }
    add_expiry_note(sb, st, g);
    strbuf_addstr(sb, "<button type=\"button\" class=\"btn danger js\" data-act=\"del\">"
                      "Delete group</button></div>\n");
    for (i = 0; i < g->nfams; i++)
        add_family(sb, text, g->fams[i]);
    strbuf_addstr(sb, "</div></details>\n");
}

/* Value of a %XX hex digit, or -1. */
static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * The stored group a one-group view names (struct ui_view.group, percent-encoded), or NULL
 * when the path is malformed or no such group exists.
 */
static struct group *
find_group(struct store *st, const char *path, int utf8_names)
{
    struct strbuf dec = STRBUF_INIT;
    struct grouping_key key;
    struct group *g = NULL;
    char *err = NULL, *job;
    const char *p, *rest, *slash;
    int rc;

    for (p = path; *p != '\0'; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            strbuf_addch(&dec, (char)(hexval(p[1]) * 16 + hexval(p[2])));
            p += 2;
        } else {
            strbuf_addch(&dec, *p);
        }
    }
    rest = strbuf_str(&dec);
    if (strncmp(rest, "job@base64/", 11) != 0 || memchr(dec.data, '\0', dec.len) != NULL)
        goto out;
    rest += 11;
    slash = strchr(rest, '/');
    /* grouping_parse wants the job alone and the labels part with its leading '/'. */
    job = slash != NULL ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
    rc = grouping_parse(job, 1, slash != NULL ? slash : "", utf8_names, &key, &err);
    free(job);
    if (rc != 0) {
        free(err);
        goto out;
    }
    g = store_group(st, &key);
    grouping_key_free(&key);
out:
    strbuf_free(&dec);
    return g;
}

/* Append an asset reference: <prefix>/static/<name>?v=<version>. */
static void
add_asset_link(struct strbuf *sb, const struct config *cfg, const char *name)
{
    const struct ui_asset *a = ui_asset_find(name);
    char v[UI_VERSION_LEN + 1];

    add_html(sb, cfg->ui_prefix);
    strbuf_addstr(sb, "/static/");
    strbuf_addstr(sb, name);
    if (a != NULL) {
        ui_asset_version(a, v);
        strbuf_addf(sb, "?v=%s", v);
    }
}

/* The document head and the top bar with the two tabs. */
static void
add_head(struct strbuf *sb, const struct config *cfg, enum ui_tab tab)
{
    strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>Pushgateway</title>\n<link rel=\"icon\" href=\"");
    add_asset_link(sb, cfg, "favicon.ico");
    strbuf_addstr(sb, "\">\n<link rel=\"stylesheet\" href=\"");
    add_asset_link(sb, cfg, "app.css");
    strbuf_addstr(sb, "\">\n<script defer src=\"");
    add_asset_link(sb, cfg, "app.js");
    strbuf_addstr(sb, "\"></script>\n</head>\n<body>\n<header class=\"top\"><a class=\"brand\" "
                      "href=\"");
    add_html(sb, cfg->ui_prefix);
    strbuf_addf(sb, "/\">Pushgateway</a><nav><a class=\"tab%s\" href=\"",
                tab == UI_TAB_METRICS ? " on\" aria-current=\"page" : "");
    add_html(sb, cfg->ui_prefix);
    strbuf_addf(sb, "/\">Metrics</a><a class=\"tab%s\" href=\"",
                tab == UI_TAB_STATUS ? " on\" aria-current=\"page" : "");
    add_html(sb, cfg->ui_prefix);
    strbuf_addstr(sb, "/status\">Status</a></nav></header>\n<main>\n");
}

/*
 * The metrics tab: tool bar (filter, expand/collapse, delete all) and the group cards; or,
 * with only != NULL, that one group opened. Returns the number of cards.
 */
static size_t
add_metrics_tab(struct strbuf *sb, struct store *st, const struct config *cfg, struct group *only,
                int one_view)
{
    struct strbuf text = STRBUF_INIT;
    struct group *const *groups;
    size_t n, i;

    groups = store_groups_sorted(st, &n);
    if (one_view)
        n = only != NULL ? 1 : 0;
    strbuf_addstr(sb, "<section id=\"metrics\">\n<div class=\"bar\">");
    if (one_view) {
        strbuf_addstr(sb, "<span id=\"count\">");
        strbuf_addstr(sb, only != NULL ? "One group" : "No such group");
        strbuf_addstr(sb, "</span> <a href=\"");
        add_html(sb, cfg->ui_prefix);
        strbuf_addstr(sb, "/\">Show all groups</a>");
    } else {
        strbuf_addstr(sb, "<input id=\"filter\" class=\"js\" type=\"search\" autocomplete=\"off\" "
                          "spellcheck=\"false\" placeholder=\"Filter by job, label or metric "
                          "name\" aria-label=\"Filter groups by job, label or metric name\">");
        strbuf_addf(sb, "<span id=\"count\">%zu group%s</span><span class=\"grow\"></span>", n,
                    n == 1 ? "" : "s");
        strbuf_addstr(sb, "<button type=\"button\" class=\"btn js\" data-act=\"expand\">Expand "
                          "all</button><button type=\"button\" class=\"btn js\" "
                          "data-act=\"collapse\">Collapse all</button>");
        if (cfg->enable_admin_api)
            strbuf_addstr(sb, "<button type=\"button\" class=\"btn danger js\" id=\"wipe\" "
                              "data-act=\"wipe\">Delete all groups</button>");
    }
    strbuf_addstr(sb, "</div>\n<div id=\"msg\" role=\"status\" hidden></div>\n");
    strbuf_addf(sb, "<p id=\"empty\" class=\"empty\"%s>%s</p>\n", n == 0 ? "" : " hidden",
                one_view ? "This group does not exist (any more)." : "No metrics pushed yet.");
    strbuf_addstr(sb, "<p id=\"nomatch\" class=\"empty\" hidden>No group matches the "
                      "filter.</p>\n");
    strbuf_addstr(sb, !one_view && n > UI_INLINE_GROUPS ? "<div id=\"groups\" class=\"many\">\n"
                                                        : "<div id=\"groups\">\n");
    if (one_view && only != NULL)
        add_group(sb, &text, st, only, cfg->enable_utf8_names, GROUP_OPEN);
    for (i = 0; !one_view && i < n; i++)
        add_group(sb, &text, st, groups[i], cfg->enable_utf8_names,
                  n > UI_INLINE_GROUPS ? GROUP_LAZY : GROUP_INLINE);
    strbuf_addstr(sb, "</div>\n</section>\n");
    strbuf_free(&text);
    return n;
}

/* One row of a key/value table. */
static void
add_kv_row(struct strbuf *sb, const char *k, const char *v)
{
    strbuf_addstr(sb, "<tr><th>");
    add_html(sb, k);
    strbuf_addstr(sb, "</th><td>");
    add_html(sb, v);
    strbuf_addstr(sb, "</td></tr>\n");
}

/* The status tab: build information, start time and the effective flags. */
static void
add_status_tab(struct strbuf *sb, const struct config *cfg, const struct timespec *start)
{
    const char *name;
    char *value;
    size_t i;

    strbuf_addstr(sb,
                  "<section id=\"status\">\n<h2>Build information</h2>\n<table class=\"kv\">\n");
    add_kv_row(sb, "version", PGW_VERSION);
    add_kv_row(sb, "revision", PGW_REVISION);
    add_kv_row(sb, "branch", PGW_BRANCH);
    add_kv_row(sb, "build date", PGW_BUILD_DATE);
    add_kv_row(sb, "compiler", UI_COMPILER);
    add_kv_row(sb, "compatible with upstream", PGW_UPSTREAM_VERSION);
    strbuf_addstr(sb, "</table>\n<h2>Start time</h2>\n<p class=\"start\">");
    add_time(sb, start, NULL);
    strbuf_addstr(sb, "</p>\n<h2>Flags</h2>\n<table class=\"kv\" id=\"flags\">\n");
    for (i = 0; (name = config_flag(cfg, i, &value)) != NULL; i++) {
        add_kv_row(sb, name, value);
        free(value);
    }
    strbuf_addstr(sb, "</table>\n</section>\n");
}

char *
ui_render_status(struct store *st, const struct config *cfg, const struct timespec *start,
                 const struct ui_view *view, int *status)
{
    struct strbuf sb = STRBUF_INIT;

    *status = 200;
    add_head(&sb, cfg, view->tab);
    if (view->tab == UI_TAB_STATUS) {
        add_status_tab(&sb, cfg, start);
    } else if (view->group != NULL) {
        struct group *g = find_group(st, view->group, cfg->enable_utf8_names);

        add_metrics_tab(&sb, st, cfg, g, 1);
        if (g == NULL)
            *status = 404;
    } else {
        add_metrics_tab(&sb, st, cfg, NULL, 0);
    }
    strbuf_addf(&sb, "</main>\n<footer>pushgateway-c %s</footer>\n</body></html>\n", PGW_VERSION);
    return strbuf_detach(&sb, NULL);
}

const struct ui_asset *
ui_asset_find(const char *name)
{
    size_t i;

    for (i = 0; i < ui_nassets; i++)
        if (strcmp(ui_assets[i].name, name) == 0)
            return &ui_assets[i];
    return NULL;
}

const char *
ui_asset_mime(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".ico", "image/x-icon"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".html", "text/html; charset=utf-8"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    size_t i;

    for (i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

void
ui_asset_version(const struct ui_asset *a, char buf[UI_VERSION_LEN + 1])
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
    size_t i;

    for (i = 0; i < a->len; i++) {
        h ^= a->data[i];
        h *= 0x100000001b3ULL;
    }
    snprintf(buf, UI_VERSION_LEN + 1, "%016llx", (unsigned long long)h);
}
