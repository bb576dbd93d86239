/* ui.c - server-rendered HTML status page (no external assets, works on air-gapped hosts) */
#include <stdlib.h>
#include <string.h>

#include "exposition.h"
#include "gofmt.h"
#include "strbuf.h"
#include "ui.h"
#include "version.h"
#include "xmalloc.h"

/* Append s with &, <, >, " and ' escaped. */
static void
add_html(struct strbuf *sb, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
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
        case '\'':
            strbuf_addstr(sb, "&#39;");
            break;
        default:
            strbuf_addch(sb, *s);
        }
    }
}

static void
add_label_badge(struct strbuf *sb, const struct label *l)
{
    strbuf_addstr(sb, "<span class=\"badge\">");
    add_html(sb, l->name);
    strbuf_addstr(sb, "=&#34;");
    add_html(sb, l->value);
    strbuf_addstr(sb, "&#34;</span> ");
}

/* One family: a heading with type, HELP and time, then the series in exposition text. */
static void
add_family(struct strbuf *sb, const struct stored_family *sf)
{
    const struct metric_family *mf = sf->mf;
    const struct metric **ptrs = xreallocarray(NULL, mf->nmetrics + 1, sizeof(*ptrs));
    struct strbuf text = STRBUF_INIT;
    char ts[GOFMT_TIME_MAX];
    size_t i;

    gofmt_rfc3339nano(ts, &sf->ts);
    strbuf_addstr(sb, "<div class=\"family\"><b>");
    add_html(sb, mf->name);
    strbuf_addf(sb, "</b> <i>%s</i> <span class=\"time\">last pushed %s</span>",
                metric_type_enum(mf->type), ts);
    if (mf->help != NULL && mf->help[0] != '\0') {
        strbuf_addstr(sb, "<div class=\"help\">");
        add_html(sb, mf->help);
        strbuf_addstr(sb, "</div>");
    }
    for (i = 0; i < mf->nmetrics; i++)
        ptrs[i] = &mf->metrics[i];
    expo_text_family(&text, mf->name, NULL, mf->type, ptrs, mf->nmetrics);
    strbuf_addstr(sb, "<pre>");
    add_html(sb, strbuf_str(&text));
    strbuf_addstr(sb, "</pre></div>\n");
    strbuf_free(&text);
    free(ptrs);
}

char *
ui_render_status(struct store *st, const struct config *cfg, const struct timespec *start)
{
    struct strbuf sb = STRBUF_INIT;
    struct group *const *groups;
    size_t n, i, j;
    char ts[GOFMT_TIME_MAX];

    strbuf_addstr(&sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                       "<title>Pushgateway</title><style>"
                       "body{font-family:sans-serif;margin:1em}"
                       ".group{border:1px solid #ccc;border-radius:4px;margin:.5em 0;padding:.5em}"
                       ".badge{background:#e8e8e8;border-radius:3px;padding:1px 4px}"
                       ".failed{background:#d9534f;color:#fff;border-radius:3px;padding:1px 4px}"
                       ".help{color:#555}.time{color:#777;font-size:smaller}"
                       "pre{background:#f7f7f7;padding:.3em;overflow-x:auto}"
                       "</style></head><body>\n<h1>Pushgateway</h1>\n");
    groups = store_groups_sorted(st, &n);
    if (n == 0)
        strbuf_addstr(&sb, "<p>No metrics pushed yet.</p>\n");
    for (i = 0; i < n; i++) {
        const struct group *g = groups[i];
        const char *job = grouping_key_get(&g->key, "job");

        strbuf_addstr(&sb, "<details class=\"group\"><summary>");
        if (job != NULL) {
            struct label l = {(char *)"job", (char *)job};
            add_label_badge(&sb, &l);
        }
        for (j = 0; j < g->key.n; j++)
            if (strcmp(g->key.labels[j].name, "job") != 0)
                add_label_badge(&sb, &g->key.labels[j]);
        if (!group_last_push_successful(g))
            strbuf_addstr(&sb, "<span class=\"failed\">Last push failed!</span>");
        strbuf_addstr(&sb, "</summary>\n");
        for (j = 0; j < g->nfams; j++)
            add_family(&sb, g->fams[j]);
        strbuf_addstr(&sb, "</details>\n");
    }
    gofmt_rfc3339nano(ts, start);
    strbuf_addf(&sb, "<hr><p>pushgateway-c %s (revision %s), started %s</p>\n", PGW_VERSION,
                PGW_REVISION, ts);
    strbuf_addstr(&sb, "</body></html>\n");
    return strbuf_detach(&sb, NULL);
}
