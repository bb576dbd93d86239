/* exposition.c - text format 0.0.4 rendering of merged metric families (spec §7.1, §7.5) */
#include <math.h>
#include <string.h>

#include "exposition.h"
#include "gofmt.h"

/*
 * State for the sample lines of one metric. The label pairs are the same on every line of
 * a summary or histogram, so they are rendered once into the output and later lines copy
 * those bytes from there instead of escaping again.
 */
struct line_ctx {
    struct strbuf *out;
    const char *name;
    size_t namelen;
    int name_plain; /* legacy-valid: written bare, else quoted inside the braces */
    enum name_escaping esc;
    const struct metric *m;
    int labels_cached;
    size_t labels_off, labels_len;
};

int
expo_metric_cmp(const struct metric *a, const struct metric *b)
{
    size_t i;

    if (a->nlabels != b->nlabels)
        return a->nlabels < b->nlabels ? -1 : 1;
    for (i = 0; i < a->nlabels; i++) {
        int c = strcmp(a->labels[i].value, b->labels[i].value);

        if (c != 0)
            return c < 0 ? -1 : 1;
    }
    /* Upstream puts metrics without a timestamp ("now") after those with one. */
    if (!a->has_timestamp || !b->has_timestamp)
        return (b->has_timestamp ? 1 : 0) - (a->has_timestamp ? 1 : 0);
    if (a->timestamp_ms != b->timestamp_ms)
        return a->timestamp_ms < b->timestamp_ms ? -1 : 1;
    return 0;
}

/* Append s escaping \ and newline, and " too when quote is set (expfmt writeEscapedString). */
static void
add_escaped(struct strbuf *out, const char *s, int quote)
{
    const char *special = quote ? "\\\"\n" : "\\\n";

    for (;;) {
        size_t n = strcspn(s, special);

        if (n > 0)
            strbuf_add(out, s, n);
        s += n;
        if (*s == '\0')
            return;
        strbuf_addch(out, '\\');
        strbuf_addch(out, *s == '\n' ? 'n' : *s);
        s++;
    }
}

/*
 * Append a name bare when legacy-valid, escaped by esc when that changes it (the result is
 * legacy-valid), else double-quoted and escaped (expfmt writeName).
 */
static void
add_name(struct strbuf *out, const char *name, enum name_escaping esc)
{
    size_t n = strlen(name);

    if (name_needs_escaping(name, esc)) {
        name_escape_append(out, name, esc);
        return;
    }
    if (metric_name_valid_legacy(name, n)) {
        strbuf_add(out, name, n);
        return;
    }
    strbuf_addch(out, '"');
    add_escaped(out, name, 1);
    strbuf_addch(out, '"');
}

/* Format v straight into the buffer's spare room, avoiding a temporary copy. */
static void
add_float(struct strbuf *out, double v)
{
    strbuf_grow(out, GOFMT_FLOAT_MAX);
    out->len += gofmt_float(out->data + out->len, v);
}

/* Append a signed decimal integer (a sample timestamp). */
static void
add_int64(struct strbuf *out, int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? (uint64_t) - (v + 1) + 1 : (uint64_t)v;
    size_t n = sizeof(tmp);

    do {
        tmp[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        tmp[--n] = '-';
    strbuf_add(out, tmp + n, sizeof(tmp) - n);
}

/* Append the metric's label pairs (no braces), reusing the first rendering afterwards. */
static void
add_labels(struct line_ctx *lc)
{
    struct strbuf *out = lc->out;
    size_t i;

    if (lc->labels_cached) {
        /* Grow first: the copy source lives in the same buffer and may move. */
        strbuf_grow(out, lc->labels_len);
        memcpy(out->data + out->len, out->data + lc->labels_off, lc->labels_len);
        out->len += lc->labels_len;
        out->data[out->len] = '\0';
        return;
    }
    lc->labels_off = out->len;
    for (i = 0; i < lc->m->nlabels; i++) {
        const struct label *l = &lc->m->labels[i];

        if (i > 0)
            strbuf_addch(out, ',');
        add_name(out, l->name, lc->esc);
        strbuf_add(out, "=\"", 2);
        add_escaped(out, l->value, 1);
        strbuf_addch(out, '"');
    }
    lc->labels_len = out->len - lc->labels_off;
    lc->labels_cached = 1;
}

/*
 * One sample line: name+suffix, the labels plus an optional extra label (le or quantile,
 * with a float value) last, the value and, as upstream does, a timestamp if there is one.
 */
static void
add_sample(struct line_ctx *lc, const char *suffix, const char *extra, double extra_val,
           double value)
{
    struct strbuf *out = lc->out;
    int open = 0;

    if (lc->name_plain) {
        strbuf_add(out, lc->name, lc->namelen);
        strbuf_addstr(out, suffix);
    } else {
        strbuf_add(out, "{\"", 2);
        add_escaped(out, lc->name, 1);
        strbuf_addstr(out, suffix);
        strbuf_addch(out, '"');
        open = 1;
    }
    if (lc->m->nlabels > 0) {
        strbuf_addch(out, open ? ',' : '{');
        open = 1;
        add_labels(lc);
    }
    if (extra != NULL) {
        strbuf_addch(out, open ? ',' : '{');
        open = 1;
        strbuf_addstr(out, extra);
        strbuf_add(out, "=\"", 2);
        add_float(out, extra_val);
        strbuf_addch(out, '"');
    }
    if (open)
        strbuf_addch(out, '}');
    strbuf_addch(out, ' ');
    add_float(out, value);
    if (lc->m->has_timestamp) {
        strbuf_addch(out, ' ');
        add_int64(out, lc->m->timestamp_ms);
    }
    strbuf_addch(out, '\n');
}

/* Histogram counts: the float flavour when it is set (> 0, as upstream), else the integer. */
static double
pick_count(uint64_t count, double count_float)
{
    return count_float > 0 ? count_float : (double)count;
}

/* All sample lines of one metric, chosen by the metric's own value kind. */
static void
add_metric(struct line_ctx *lc)
{
    const struct metric *m = lc->m;
    size_t i;
    int inf_seen = 0;

    switch (m->kind) {
    case METRIC_SUMMARY:
        for (i = 0; i < m->nquantiles; i++)
            add_sample(lc, "", "quantile", m->quantiles[i].quantile, m->quantiles[i].value);
        add_sample(lc, "_sum", NULL, 0, m->sum);
        add_sample(lc, "_count", NULL, 0, (double)m->count);
        break;
    case METRIC_HISTOGRAM:
    case METRIC_GAUGE_HISTOGRAM:
        for (i = 0; i < m->nbuckets; i++) {
            const struct bucket *b = &m->buckets[i];

            add_sample(lc, "_bucket", "le", b->upper_bound, pick_count(b->count, b->count_float));
            if (isinf(b->upper_bound) && b->upper_bound > 0)
                inf_seen = 1;
        }
        if (!inf_seen)
            add_sample(lc, "_bucket", "le", HUGE_VAL, pick_count(m->count, m->count_float));
        add_sample(lc, "_sum", NULL, 0, m->sum);
        add_sample(lc, "_count", NULL, 0, pick_count(m->count, m->count_float));
        break;
    case METRIC_COUNTER:
    case METRIC_GAUGE:
    case METRIC_UNTYPED:
    default:
        add_sample(lc, "", NULL, 0, m->value);
        break;
    }
}

void
expo_text_family(struct strbuf *out, const char *name, const char *help, enum metric_type type,
                 const struct metric *const *metrics, size_t n)
{
    expo_text_family_esc(out, name, help, type, metrics, n, ESCAPE_ALLOW_UTF8);
}

void
expo_text_header(struct strbuf *out, const char *name, const char *help, enum metric_type type,
                 enum name_escaping esc)
{
    struct strbuf escaped = STRBUF_INIT;

    if (name_needs_escaping(name, esc)) {
        name_escape_append(&escaped, name, esc);
        name = strbuf_str(&escaped);
    }
    if (help != NULL) {
        strbuf_add(out, "# HELP ", 7);
        add_name(out, name, esc);
        strbuf_addch(out, ' ');
        add_escaped(out, help, 0);
        strbuf_addch(out, '\n');
    }
    strbuf_add(out, "# TYPE ", 7);
    add_name(out, name, esc);
    strbuf_addch(out, ' ');
    strbuf_addstr(out, metric_type_text(type));
    strbuf_addch(out, '\n');
    strbuf_free(&escaped);
}

/* Set up the per-family part of a line context (the name as it will be written). */
static void
line_ctx_init(struct line_ctx *lc, struct strbuf *out, struct strbuf *escaped, const char *name,
              enum name_escaping esc)
{
    if (name_needs_escaping(name, esc)) {
        name_escape_append(escaped, name, esc);
        name = strbuf_str(escaped);
    }
    memset(lc, 0, sizeof(*lc));
    lc->out = out;
    lc->name = name;
    lc->namelen = strlen(name);
    lc->name_plain = metric_name_valid_legacy(name, lc->namelen);
    lc->esc = esc;
}

void
expo_text_metric(struct strbuf *out, const char *name, const struct metric *m,
                 enum name_escaping esc)
{
    struct strbuf escaped = STRBUF_INIT;
    struct line_ctx lc;

    line_ctx_init(&lc, out, &escaped, name, esc);
    lc.m = m;
    add_metric(&lc);
    strbuf_free(&escaped);
}

void
expo_text_family_esc(struct strbuf *out, const char *name, const char *help, enum metric_type type,
                     const struct metric *const *metrics, size_t n, enum name_escaping esc)
{
    struct strbuf escaped = STRBUF_INIT;
    struct line_ctx lc;
    size_t i;

    if (n == 0)
        return;
    expo_text_header(out, name, help, type, esc);
    line_ctx_init(&lc, out, &escaped, name, esc);
    for (i = 0; i < n; i++) {
        lc.m = metrics[i];
        lc.labels_cached = 0;
        add_metric(&lc);
    }
    strbuf_free(&escaped);
}
