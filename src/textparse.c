/* textparse.c - Prometheus text exposition format 0.0.4 parser (expfmt.TextParser compatible) */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goquote.h"
#include "hmap.h"
#include "metric.h"
#include "strbuf.h"
#include "textparse.h"
#include "xmalloc.h"

/*
 * The parser mirrors the states of upstream's stateFn machine so that every input fails
 * at the same byte, on the same line and with the same message. Each state consumes bytes
 * through next_byte(), which keeps "the current byte" exactly as upstream's currentByte.
 */
enum state {
    ST_LINE,    /* start of a line (or the blanks leading up to it) */
    ST_COMMENT, /* after '#' */
    ST_NAME,    /* current byte starts a metric name */
    ST_LABELS,  /* after the metric name: '{' or the value */
    ST_LNAME,   /* after '{' or ',': a label name (or a metric name inside braces) */
    ST_LVALUE,  /* after '=': a quoted label value */
    ST_VALUE,   /* current byte starts the sample value */
    ST_TS,      /* after the value: a timestamp */
    ST_HELP,    /* current byte starts the HELP text */
    ST_TYPE,    /* current byte starts the TYPE word */
    ST_END,     /* clean end of input */
    ST_FAIL,    /* p->err is set, or the input ended inside a line */
};

enum special_label {
    SPECIAL_NONE,
    SPECIAL_QUANTILE, /* quantile="..." of a summary: not a real label */
    SPECIAL_LE,       /* le="..." of a histogram: not a real label */
};

/* Lines with more labels than this get a hash set for the duplicate check. */
#define LINE_LABELS_LINEAR 16

/* Parse-time state of one family. */
struct pfam {
    struct metric_family *mf;
    int type_set;      /* upstream's Type != nil: TYPE line seen or first sample read */
    size_t mcap;       /* allocated length of mf->metrics */
    struct hmap bysig; /* summaries and histograms: canonical label set -> metric index + 1 */
    char **keys;       /* owned keys of bysig */
    size_t nkeys;
};

struct parser {
    const unsigned char *buf;
    size_t len;
    size_t pos; /* next byte to read */
    int cur;    /* the most recently read byte (0 after the end) */
    int eof;    /* a read ran past the end */
    long line;
    int utf8_names;
    struct strbuf tok; /* token gathered across escapes */
    struct strbuf err; /* the error message once failed */
    int failed;

    struct pfam *fams; /* in order of creation */
    size_t nfams, fcap;
    struct hmap byname; /* family name -> index + 1 */
    size_t last_fam; /* 1 + index of the family found or made last (find_family's memo), 0: none */

    /* State of the current line. */
    struct pfam *fam; /* NULL until the metric name is known */
    int is_count, is_sum;
    int in_braces, braces_named;
    struct label *lbl; /* real labels of the line, in input order; value NULL until read */
    size_t nlbl, lblcap;
    struct hmap lblset; /* label names, only for long lines */
    enum special_label special;
    double quantile, le;
    size_t target; /* index of the metric the value goes into */
    struct strbuf key;
};

/* Read the next byte into p->cur; -1 (and p->eof) at the end of the input. */
static int
next_byte(struct parser *p)
{
    if (p->pos >= p->len) {
        p->eof = 1;
        p->cur = 0;
        return -1;
    }
    p->cur = p->buf[p->pos++];
    return 0;
}

/* The text format separates tokens with spaces and tabs only. */
static int
is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* Skip blanks starting with the next byte; the first other byte is left in p->cur. */
static int
skip_blank(struct parser *p)
{
    do {
        if (next_byte(p) < 0)
            return -1;
    } while (is_blank(p->cur));
    return 0;
}

/* Like skip_blank(), but only when the current byte is itself a blank. */
static int
skip_blank_if_blank(struct parser *p)
{
    return is_blank(p->cur) ? skip_blank(p) : 0;
}

/* Start an error message; the caller appends the rest to the returned buffer. */
static struct strbuf *
fail(struct parser *p, const char *msg)
{
    strbuf_reset(&p->err);
    strbuf_addf(&p->err, "text format parsing error in line %ld: %s", p->line, msg);
    p->failed = 1;
    return &p->err;
}

/* Error "<pre>%q<post>" with a quoted string, as upstream's fmt.Sprintf does. */
static int
fail_q(struct parser *p, const char *pre, const char *s, size_t n, const char *post)
{
    struct strbuf *sb = fail(p, pre);

    goquote_append(sb, s != NULL ? s : "", n);
    strbuf_addstr(sb, post);
    return ST_FAIL;
}

/* Append a byte as Go's %q of a byte value (strconv.QuoteRune of U+0000..U+00FF) does. */
static void
quote_byte(struct strbuf *sb, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    static const char esc[] = "\a\b\f\n\r\t\v";
    static const char escl[] = "abfnrtv";
    const char *e;

    strbuf_addch(sb, '\'');
    if (c == '\'' || c == '\\') {
        strbuf_addch(sb, '\\');
        strbuf_addch(sb, (char)c);
    } else if (c >= 0x20 && c < 0x7f) {
        strbuf_addch(sb, (char)c);
    } else if (c >= 0xa1 && c != 0xad) {
        /* Printable Latin-1: the rune's UTF-8 encoding. */
        strbuf_addch(sb, (char)(0xc0 | (c >> 6)));
        strbuf_addch(sb, (char)(0x80 | (c & 0x3f)));
    } else if (c != 0 && (e = strchr(esc, c)) != NULL) {
        strbuf_addch(sb, '\\');
        strbuf_addch(sb, escl[e - esc]);
    } else if (c < 0x80) {
        strbuf_addf(sb, "\\x%c%c", hex[c >> 4], hex[c & 15]);
    } else {
        strbuf_addf(sb, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
    }
    strbuf_addch(sb, '\'');
}

/* Error "<pre>%q" with a quoted byte. */
static int
fail_qc(struct parser *p, const char *pre, int c)
{
    quote_byte(fail(p, pre), (unsigned char)c);
    return ST_FAIL;
}

/* Error "invalid escape sequence '\%c'": %c writes the byte as a rune, UTF-8 encoded. */
static int
fail_escape(struct parser *p, int c)
{
    struct strbuf *sb = fail(p, "invalid escape sequence '\\");

    if (c < 0x80) {
        strbuf_addch(sb, (char)c);
    } else {
        strbuf_addch(sb, (char)(0xc0 | (c >> 6)));
        strbuf_addch(sb, (char)(0x80 | (c & 0x3f)));
    }
    strbuf_addch(sb, '\'');
    return ST_FAIL;
}

/* The error for a family name (upstream prints "" while no family is known). */
static int
fail_fam(struct parser *p, const char *pre, const char *post)
{
    const char *name = p->fam != NULL ? p->fam->mf->name : "";

    return fail_q(p, pre, name, strlen(name), post);
}

/* Bytes that may start a label name; a quote starts a quoted (UTF-8) name. */
static int
is_label_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '"';
}

/*
 * Whether c continues a name. Inside quotes every byte does: upstream tests
 * utf8.ValidString(string(b)), and string(byte) is the rune's encoding, always valid.
 */
static int
is_name_cont(int c, int quoted, int metric)
{
    return quoted || is_label_start(c) || (c >= '0' && c <= '9') || (metric && c == ':');
}

/* A byte of an unquoted name: letters, digits, '_' and, in metric names, ':'. */
static int
is_plain_name_byte(unsigned char c, int metric)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (metric && c == ':');
}

/*
 * Read a metric or label name into p->tok, starting with the current byte. Quotes toggle
 * quoted mode anywhere (so `a"b.c"` is "ab.c"), and a closing quote ends the name. Returns
 * 0, or -1 on an error or the end of the input.
 */
static int
read_name(struct parser *p, int metric)
{
    int quoted = 0, escaped = 0;

    strbuf_reset(&p->tok);
    if (!is_label_start(p->cur) && !(metric && p->cur == ':'))
        return 0;
    if (p->cur != '"') {
        /* Fast path: copy the plain run of name bytes in one go. Only a quote can continue
         * an unquoted name past it, and the loop below handles that. */
        size_t start = p->pos - 1, j = p->pos;
        while (j < p->len && is_plain_name_byte(p->buf[j], metric))
            j++;
        strbuf_add(&p->tok, p->buf + start, j - start);
        p->pos = j;
        if (next_byte(p) < 0)
            return -1;
        if (p->cur != '"')
            return 0;
    }
    for (;;) {
        if (escaped) {
            if (p->cur == '\\' || p->cur == '"')
                strbuf_addch(&p->tok, (char)p->cur);
            else if (p->cur == 'n')
                strbuf_addch(&p->tok, '\n');
            else
                return fail_escape(p, p->cur), -1;
            escaped = 0;
        } else if (p->cur == '"') {
            quoted = !quoted;
            if (!quoted)
                return next_byte(p);
        } else if (p->cur == '\n') {
            fail_q(p, metric ? "metric name " : "label name ", p->tok.data, p->tok.len,
                   " contains unescaped new-line");
            return -1;
        } else if (p->cur == '\\') {
            escaped = 1;
        } else {
            strbuf_addch(&p->tok, (char)p->cur);
        }
        if (next_byte(p) < 0)
            return -1;
        if (!is_name_cont(p->cur, quoted, metric))
            return 0;
    }
}

/*
 * Read the token that starts with the current byte and ends before a blank, tab or newline.
 * It is returned as a slice of the input. Returns -1 at the end of the input.
 */
static int
read_word(struct parser *p, const char **s, size_t *n)
{
    size_t start = p->pos - 1, j = p->pos;

    *s = (const char *)p->buf + start;
    *n = 0;
    if (p->eof || is_blank(p->cur) || p->cur == '\n')
        return p->eof ? -1 : 0;
    while (j < p->len && !is_blank(p->buf[j]) && p->buf[j] != '\n')
        j++;
    *n = j - start;
    p->pos = j;
    return next_byte(p);
}

/*
 * Read the rest of the line into p->tok, starting with the current byte. With escapes,
 * \\, \n and \" are decoded and any other escape is an error; without, backslashes are
 * dropped (upstream's quirk). Returns -1 on an error or the end of the input.
 */
static int
read_rest(struct parser *p, int escapes)
{
    int escaped = 0;

    strbuf_reset(&p->tok);
    for (;;) {
        if (escapes && escaped) {
            if (p->cur == '\\' || p->cur == '"')
                strbuf_addch(&p->tok, (char)p->cur);
            else if (p->cur == 'n')
                strbuf_addch(&p->tok, '\n');
            else
                return fail_escape(p, p->cur), -1;
            escaped = 0;
        } else if (p->cur == '\n') {
            return 0;
        } else if (p->cur == '\\') {
            escaped = 1;
        } else {
            /* Copy the plain run in one go. */
            size_t start = p->pos - 1, j = p->pos;
            while (j < p->len && p->buf[j] != '\n' && p->buf[j] != '\\')
                j++;
            strbuf_add(&p->tok, p->buf + start, j - start);
            p->pos = j;
        }
        if (next_byte(p) < 0)
            return -1;
    }
}

/* Read a quoted label value into p->tok; the current byte is the opening quote. */
static int
read_label_value(struct parser *p)
{
    int escaped = 0;

    strbuf_reset(&p->tok);
    for (;;) {
        if (next_byte(p) < 0)
            return -1;
        if (escaped) {
            if (p->cur == '"' || p->cur == '\\')
                strbuf_addch(&p->tok, (char)p->cur);
            else if (p->cur == 'n')
                strbuf_addch(&p->tok, '\n');
            else
                return fail_escape(p, p->cur), -1;
            escaped = 0;
            continue;
        }
        if (p->cur == '"') {
            return 0;
        } else if (p->cur == '\n') {
            fail_q(p, "label value ", p->tok.data, p->tok.len, " contains unescaped new-line");
            return -1;
        } else if (p->cur == '\\') {
            escaped = 1;
        } else {
            size_t start = p->pos - 1, j = p->pos;
            while (j < p->len && p->buf[j] != '"' && p->buf[j] != '\\' && p->buf[j] != '\n')
                j++;
            strbuf_add(&p->tok, p->buf + start, j - start);
            p->pos = j;
        }
    }
}

/*
 * strconv.ParseFloat(s, 64) after upstream's rejection of 'p', 'P' and '_': decimal
 * syntax, "inf"/"infinity" with an optional sign, "nan" without one (all case-insensitive).
 * Hex floats always fail then (they need a 'p' exponent), and so does every string holding
 * one of those bytes. Overflow fails; underflow does not.
 */
static int
parse_float(const char *s, size_t n, double *out)
{
    char buf[64];
    char *tmp = buf;
    size_t i = 0, digits = 0;
    int neg = 0;

    if (n == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if ((n - i == 3 && strncasecmp(s + i, "inf", 3) == 0) ||
        (n - i == 8 && strncasecmp(s + i, "infinity", 8) == 0)) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (n == 3 && strncasecmp(s, "nan", 3) == 0) {
        *out = NAN;
        return 0;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (digits == 0)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return -1;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i != n)
        return -1;
    if (n >= sizeof(buf))
        tmp = xmalloc(n + 1);
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    /* glibc's strtod rounds correctly, like Go; only the syntax had to be Go's. */
    *out = strtod(tmp, NULL);
    if (tmp != buf)
        free(tmp);
    return isinf(*out) ? -1 : 0;
}

/* strconv.ParseInt(s, 10, 64). */
static int
parse_int64(const char *s, size_t n, int64_t *out)
{
    uint64_t v = 0, lim;
    size_t i = 0;
    int neg = 0;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Go's int64(x) on amd64 (CVTTSD2SQ): out-of-range values and NaN give INT64_MIN. */
static int64_t
go_f2i(double x)
{
    if (isnan(x) || x >= 9223372036854775808.0 || x < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

/* Go's uint64(x) on amd64, which upstream applies to counts whatever their value. */
static uint64_t
go_f2u(double x)
{
    if (x < 9223372036854775808.0)
        return (uint64_t)go_f2i(x);
    return (uint64_t)go_f2i(x - 9223372036854775808.0) | 0x8000000000000000ULL;
}

/*
 * Map a TYPE word the way upstream does: strings.ToUpper, then a lookup among the protobuf
 * enum names (plus OpenMetrics' "gaugehistogram"). ToUpper folds U+0131 to 'I' and U+017F
 * to 'S', so those are accepted too.
 */
static int
parse_type(const char *s, size_t n, enum metric_type *t)
{
    static const struct {
        const char *name;
        enum metric_type type;
    } types[] = {
        {"COUNTER", METRIC_COUNTER},
        {"GAUGE", METRIC_GAUGE},
        {"SUMMARY", METRIC_SUMMARY},
        {"UNTYPED", METRIC_UNTYPED},
        {"HISTOGRAM", METRIC_HISTOGRAM},
        {"GAUGE_HISTOGRAM", METRIC_GAUGE_HISTOGRAM},
        {"GAUGEHISTOGRAM", METRIC_GAUGE_HISTOGRAM},
    };
    char up[16];
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (k == sizeof(up) - 1)
            return -1;
        if (c >= 'a' && c <= 'z') {
            up[k++] = (char)(c - 'a' + 'A');
        } else if (c < 0x80) {
            up[k++] = (char)c;
        } else if (i + 1 < n && c == 0xc4 && (unsigned char)s[i + 1] == 0xb1) {
            up[k++] = 'I';
            i++;
        } else if (i + 1 < n && c == 0xc5 && (unsigned char)s[i + 1] == 0xbf) {
            up[k++] = 'S';
            i++;
        } else {
            return -1;
        }
    }
    up[k] = '\0';
    if (memchr(s, '\0', n) != NULL)
        return -1;
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(up, types[i].name) == 0) {
            *t = types[i].type;
            return 0;
        }
    }
    return -1;
}

/* Gauge histograms are parsed exactly like histograms (_bucket, _sum, _count, le). */
static int
is_histogram(enum metric_type t)
{
    return t == METRIC_HISTOGRAM || t == METRIC_GAUGE_HISTOGRAM;
}

/* Whether s ends in suffix with something before it (upstream's isCount, isSum, isBucket). */
static int
has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);

    return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Find a family by name (as stored: names end at a NUL byte). */
static struct pfam *
find_family(struct parser *p, const char *name, size_t n)
{
    void *v;

    if (memchr(name, '\0', n) != NULL)
        n = strlen(name);
    /* Most lines name the family of the line before (its TYPE line, its other samples). */
    if (p->last_fam > 0) {
        struct pfam *f = &p->fams[p->last_fam - 1];

        if (strncmp(f->mf->name, name, n) == 0 && f->mf->name[n] == '\0')
            return f;
    }
    v = hmap_get(&p->byname, name, n);
    if (v == NULL)
        return NULL;
    p->last_fam = (uintptr_t)v;
    return &p->fams[p->last_fam - 1];
}

/*
 * upstream's setOrCreateCurrentMF: the family named exactly by the token, else the summary
 * that a _sum/_count name belongs to, else the histogram of a _sum/_count/_bucket name,
 * else a new family. Names are validated first (legacy rules unless utf8_names).
 */
static int
set_family(struct parser *p)
{
    const char *name = p->tok.data != NULL ? p->tok.data : "";
    size_t n = p->tok.len, base;
    struct pfam *f;
    int valid;

    p->is_count = p->is_sum = 0;
    valid = p->utf8_names ? n > 0 && utf8_valid(name, n) : metric_name_valid_legacy(name, n);
    if (!valid)
        return fail_q(p, "invalid metric name ", name, n, "");
    if ((f = find_family(p, name, n)) != NULL) {
        p->fam = f;
        return 0;
    }
    base = has_suffix(name, n, "_count") ? n - 6 : has_suffix(name, n, "_sum") ? n - 4 : n;
    if (base != n && (f = find_family(p, name, base)) != NULL && f->mf->type == METRIC_SUMMARY) {
        p->fam = f;
        p->is_count = has_suffix(name, n, "_count");
        p->is_sum = has_suffix(name, n, "_sum");
        return 0;
    }
    if (base == n && has_suffix(name, n, "_bucket"))
        base = n - 7;
    if (base != n && (f = find_family(p, name, base)) != NULL && is_histogram(f->mf->type)) {
        p->fam = f;
        p->is_count = has_suffix(name, n, "_count");
        p->is_sum = has_suffix(name, n, "_sum");
        return 0;
    }
    if (p->nfams == p->fcap) {
        p->fcap = p->fcap ? p->fcap * 2 : 16;
        p->fams = xreallocarray(p->fams, p->fcap, sizeof(*p->fams));
    }
    f = &p->fams[p->nfams];
    memset(f, 0, sizeof(*f));
    f->mf = metric_family_new(name, METRIC_UNTYPED);
    hmap_init(&f->bysig);
    p->nfams++;
    hmap_put(&p->byname, f->mf->name, strlen(f->mf->name), (void *)(uintptr_t)p->nfams);
    p->last_fam = p->nfams;
    p->fam = f;
    return 0;
}

/* Free the labels gathered for the current line. */
static void
clear_line_labels(struct parser *p)
{
    size_t i;

    for (i = 0; i < p->nlbl; i++) {
        free(p->lbl[i].name);
        free(p->lbl[i].value);
    }
    p->nlbl = 0;
    hmap_free(&p->lblset);
}

/* Add a real label of the current line; fails on a duplicate name (as upstream does). */
static int
add_line_label(struct parser *p)
{
    char *name = xstrdup(p->tok.data);
    size_t i;

    if (p->nlbl == p->lblcap) {
        p->lblcap = p->lblcap ? p->lblcap * 2 : 8;
        p->lbl = xreallocarray(p->lbl, p->lblcap, sizeof(*p->lbl));
    }
    p->lbl[p->nlbl].name = name;
    p->lbl[p->nlbl].value = NULL;
    p->nlbl++;
    if (p->nlbl <= LINE_LABELS_LINEAR) {
        for (i = 0; i + 1 < p->nlbl; i++)
            if (strcmp(p->lbl[i].name, name) == 0)
                return fail_fam(p, "duplicate label names for metric ", "");
        return 0;
    }
    if (p->lblset.len == 0)
        for (i = 0; i + 1 < p->nlbl; i++)
            hmap_put(&p->lblset, p->lbl[i].name, strlen(p->lbl[i].name), p->lbl[i].name);
    if (hmap_put(&p->lblset, name, strlen(name), name) != NULL)
        return fail_fam(p, "duplicate label names for metric ", "");
    return 0;
}

/* Append a zeroed metric to the family, taking over the line's labels; returns its index. */
static size_t
new_metric(struct parser *p, struct pfam *f)
{
    struct metric_family *mf = f->mf;
    struct metric *m;

    if (mf->nmetrics == f->mcap) {
        f->mcap = f->mcap ? f->mcap * 2 : 4;
        mf->metrics = xreallocarray(mf->metrics, f->mcap, sizeof(*mf->metrics));
    }
    m = &mf->metrics[mf->nmetrics];
    memset(m, 0, sizeof(*m));
    m->kind = mf->type;
    if (p->nlbl > 0) {
        m->labels = xreallocarray(NULL, p->nlbl, sizeof(*m->labels));
        memcpy(m->labels, p->lbl, p->nlbl * sizeof(*m->labels));
        m->nlabels = p->nlbl;
        p->nlbl = 0;
    }
    hmap_free(&p->lblset);
    return mf->nmetrics++;
}

/* qsort order for the canonical label set key: by name (names are unique in a line). */
static int
cmp_label_ptr(const void *a, const void *b)
{
    const struct label *x = *(const struct label *const *)a;
    const struct label *y = *(const struct label *const *)b;

    return strcmp(x->name, y->name);
}

/*
 * Make room for element n of an array whose capacity is implicit: it doubles whenever n
 * reaches a power of 2, so appends stay amortised O(1) without a capacity field.
 */
static void *
grow_pow2(void *v, size_t n, size_t size)
{
    if (n == 0 || (n & (n - 1)) == 0)
        v = xreallocarray(v, n ? n * 2 : 1, size);
    return v;
}

/*
 * The metric a summary or histogram line belongs to: upstream merges lines whose labels
 * (quantile and le aside) are equal as a set, whatever their order.
 */
static size_t
merged_metric(struct parser *p, struct pfam *f)
{
    struct label *small[LINE_LABELS_LINEAR], **v = small;
    size_t i, idx;
    void *found;

    if (p->nlbl > LINE_LABELS_LINEAR)
        v = xreallocarray(NULL, p->nlbl, sizeof(*v));
    for (i = 0; i < p->nlbl; i++)
        v[i] = &p->lbl[i];
    qsort(v, p->nlbl, sizeof(*v), cmp_label_ptr);
    strbuf_reset(&p->key);
    strbuf_addch(&p->key, '{');
    for (i = 0; i < p->nlbl; i++) {
        strbuf_add(&p->key, v[i]->name, strlen(v[i]->name) + 1);
        strbuf_add(&p->key, v[i]->value, strlen(v[i]->value) + 1);
    }
    if (v != small)
        free(v);
    found = hmap_get(&f->bysig, p->key.data, p->key.len);
    if (found != NULL) {
        clear_line_labels(p);
        return (uintptr_t)found - 1;
    }
    idx = new_metric(p, f);
    f->keys = grow_pow2(f->keys, f->nkeys, sizeof(*f->keys));
    f->keys[f->nkeys] = xstrndup(p->key.data, p->key.len);
    hmap_put(&f->bysig, f->keys[f->nkeys], p->key.len, (void *)(uintptr_t)(idx + 1));
    f->nkeys++;
    return idx;
}

/*
 * A histogram count: integral values (those uint64 conversion round-trips) are stored as
 * integers, others as floats; negative floats are errors.
 */
static int
hist_count(double v, uint64_t *u, double *f)
{
    uint64_t x = go_f2u(v);

    if (v == (double)x) {
        *u = x;
        *f = 0;
        return 0;
    }
    if (v < 0)
        return -1;
    *u = 0;
    *f = v;
    return 0;
}

/* Start a line: all per-line state is reset here rather than kept from the last line. */
static int
st_line(struct parser *p)
{
    p->line++;
    clear_line_labels(p);
    p->fam = NULL;
    p->is_count = p->is_sum = 0;
    p->in_braces = p->braces_named = 0;
    p->quantile = p->le = NAN;
    if (skip_blank(p) < 0)
        return ST_END; /* the only place where the input may end */
    switch (p->cur) {
    case '#':
        return ST_COMMENT;
    case '\n':
        return ST_LINE;
    case '{':
        p->in_braces = 1;
        return ST_LNAME;
    default:
        return ST_NAME;
    }
}

/*
 * A comment: only "HELP" and "TYPE" as first word matter, and a name with nothing after it
 * is silently ignored, as upstream does.
 */
static int
st_comment(struct parser *p)
{
    const char *kw;
    size_t n;
    int help;

    if (skip_blank(p) < 0)
        return ST_FAIL;
    if (p->cur == '\n')
        return ST_LINE;
    if (read_word(p, &kw, &n) < 0)
        return ST_FAIL;
    if (p->cur == '\n')
        return ST_LINE;
    if (!(n == 4 && (memcmp(kw, "HELP", 4) == 0 || memcmp(kw, "TYPE", 4) == 0))) {
        const unsigned char *nl = memchr(p->buf + p->pos, '\n', p->len - p->pos);
        if (nl == NULL) {
            p->pos = p->len;
            return next_byte(p), ST_FAIL;
        }
        p->pos = (size_t)(nl - p->buf);
        next_byte(p);
        return ST_LINE;
    }
    help = kw[0] == 'H';
    if (skip_blank(p) < 0 || read_name(p, 1) < 0)
        return ST_FAIL;
    if (p->cur == '\n')
        return ST_LINE;
    if (!is_blank(p->cur)) {
        fail(p, "invalid metric name in comment");
        return ST_FAIL;
    }
    if (set_family(p) != 0 || skip_blank(p) < 0)
        return ST_FAIL;
    if (p->cur == '\n')
        return ST_LINE;
    return help ? ST_HELP : ST_TYPE;
}

/* HELP text: the rest of the line with escapes decoded; only one per family. */
static int
st_help(struct parser *p)
{
    struct metric_family *mf = p->fam->mf;

    if (mf->help != NULL)
        return fail_q(p, "second HELP line for metric name ", mf->name, strlen(mf->name), "");
    if (read_rest(p, 1) < 0)
        return ST_FAIL;
    if (memchr(p->tok.data != NULL ? p->tok.data : "", '\0', p->tok.len) != NULL)
        return fail_q(p, "invalid HELP text ", p->tok.data, p->tok.len,
                      ": NUL bytes are not supported");
    mf->help = xstrdup(strbuf_str(&p->tok));
    return ST_LINE;
}

/* TYPE word: the rest of the line, trailing blanks included; only before any sample. */
static int
st_type(struct parser *p)
{
    struct pfam *f = p->fam;
    enum metric_type t;

    if (f->type_set)
        return fail_q(p, "second TYPE line for metric name ", f->mf->name, strlen(f->mf->name),
                      ", or TYPE reported after samples");
    if (read_rest(p, 0) < 0)
        return ST_FAIL;
    if (parse_type(strbuf_str(&p->tok), p->tok.len, &t) < 0)
        return fail_q(p, "unknown metric type ", p->tok.data, p->tok.len, "");
    f->mf->type = t;
    f->type_set = 1;
    return ST_LINE;
}

/* The metric name that starts a sample line. */
static int
st_name(struct parser *p)
{
    if (read_name(p, 1) < 0)
        return ST_FAIL;
    if (p->tok.len == 0) {
        fail(p, "invalid metric name");
        return ST_FAIL;
    }
    if (set_family(p) != 0)
        return ST_FAIL;
    p->fam->type_set = 1; /* the first sample fixes the type (untyped by default) */
    if (skip_blank_if_blank(p) < 0)
        return ST_FAIL;
    return ST_LABELS;
}

/* After the name: a label set or directly the value. */
static int
st_labels(struct parser *p)
{
    return p->cur == '{' ? ST_LNAME : ST_VALUE;
}

/* The end of the label set: the value follows. A braces line must have named its metric. */
static int
end_labels(struct parser *p)
{
    if (p->in_braces && !p->braces_named) {
        fail(p, "invalid metric name");
        return ST_FAIL;
    }
    if (skip_blank(p) < 0)
        return ST_FAIL;
    return ST_VALUE;
}

/*
 * A label name, or inside a line that starts with '{' a bare (usually quoted) metric name.
 * The '=' is looked for before the name is judged, because that decides between the two.
 */
static int
st_lname(struct parser *p)
{
    int valid;

    if (skip_blank(p) < 0)
        return ST_FAIL;
    if (p->cur == '}')
        return end_labels(p);
    if (read_name(p, 0) < 0)
        return ST_FAIL;
    if (p->tok.len == 0)
        return fail_fam(p, "invalid label name for metric ", "");
    if (skip_blank_if_blank(p) < 0)
        return ST_FAIL;
    if (p->cur != '=') {
        if (!p->in_braces)
            return fail_qc(p, "expected '=' after label name, found ", p->cur);
        /* A bare (quoted) name inside braces is the metric name: {"name", l="v"}. */
        if (p->braces_named)
            return fail_fam(p, "multiple metric names for metric ", "");
        if (p->cur != ',' && p->cur != '}')
            return fail_qc(p, "unexpected end of metric name ", p->cur);
        if (set_family(p) != 0)
            return ST_FAIL;
        p->fam->type_set = 1;
        p->braces_named = 1;
        return p->cur == ',' ? ST_LNAME : end_labels(p);
    }
    if (p->tok.len == 8 && memcmp(p->tok.data, "__name__", 8) == 0) {
        fail(p, "label name \"__name__\" is reserved");
        return ST_FAIL;
    }
    p->special = SPECIAL_NONE;
    if (p->fam != NULL && p->fam->mf->type == METRIC_SUMMARY && p->tok.len == 8 &&
        memcmp(p->tok.data, "quantile", 8) == 0)
        p->special = SPECIAL_QUANTILE;
    else if (p->fam != NULL && is_histogram(p->fam->mf->type) && p->tok.len == 2 &&
             memcmp(p->tok.data, "le", 2) == 0)
        p->special = SPECIAL_LE;
    if (p->special == SPECIAL_NONE && add_line_label(p) != 0)
        return ST_FAIL;
    valid = p->utf8_names ? utf8_valid(p->tok.data, p->tok.len)
                          : label_name_valid_legacy(p->tok.data, p->tok.len);
    if (!valid)
        return fail_q(p, "invalid label name ", p->tok.data, p->tok.len, "");
    return ST_LVALUE;
}

/* A quoted label value; quantile and le values of summaries and histograms are floats. */
static int
st_lvalue(struct parser *p)
{
    const char *v;
    size_t n;
    double d;

    if (skip_blank(p) < 0)
        return ST_FAIL;
    if (p->cur != '"')
        return fail_qc(p, "expected '\"' at start of label value, found ", p->cur);
    if (read_label_value(p) < 0)
        return ST_FAIL;
    v = strbuf_str(&p->tok);
    n = p->tok.len;
    if (!utf8_valid(v, n))
        return fail_q(p, "invalid label value ", v, n, "");
    /* Ours: values are C strings, so a NUL byte would silently truncate the value. */
    if (memchr(v, '\0', n) != NULL)
        return fail_q(p, "invalid label value ", v, n, ": NUL bytes are not supported");
    switch (p->special) {
    case SPECIAL_QUANTILE:
        if (parse_float(v, n, &d) < 0)
            return fail_q(p, "expected float as value for 'quantile' label, got ", v, n, "");
        p->quantile = d;
        break;
    case SPECIAL_LE:
        if (parse_float(v, n, &d) < 0)
            return fail_q(p, "expected float as value for 'le' label, got ", v, n, "");
        p->le = d;
        break;
    default:
        p->lbl[p->nlbl - 1].value = xstrdup(v);
        break;
    }
    if (skip_blank(p) < 0)
        return ST_FAIL;
    if (p->cur == ',')
        return ST_LNAME;
    if (p->cur == '}')
        return end_labels(p);
    return fail_q(p, "unexpected end of label value ", v, n, "");
}

/* Store a sample value in the line's metric according to the family's type. */
static int
store_value(struct parser *p, double v)
{
    struct metric *m = &p->fam->mf->metrics[p->target];
    uint64_t u;
    double fl;

    switch (p->fam->mf->type) {
    case METRIC_SUMMARY:
        if (p->is_count) {
            m->count = go_f2u(v);
        } else if (p->is_sum) {
            m->sum = v;
        } else if (!isnan(p->quantile)) {
            m->quantiles = grow_pow2(m->quantiles, m->nquantiles, sizeof(*m->quantiles));
            m->quantiles[m->nquantiles].quantile = p->quantile;
            m->quantiles[m->nquantiles].value = v;
            m->nquantiles++;
        }
        break;
    case METRIC_HISTOGRAM:
    case METRIC_GAUGE_HISTOGRAM:
        if (p->is_count) {
            if (hist_count(v, &u, &fl) < 0) {
                fail(p, "negative count for histogram");
                return -1;
            }
            m->count = u;
            m->count_float = fl;
        } else if (p->is_sum) {
            m->sum = v;
        } else if (!isnan(p->le)) {
            if (hist_count(v, &u, &fl) < 0) {
                fail(p, "negative bucket population for histogram");
                return -1;
            }
            m->buckets = grow_pow2(m->buckets, m->nbuckets, sizeof(*m->buckets));
            m->buckets[m->nbuckets].upper_bound = p->le;
            m->buckets[m->nbuckets].count = u;
            m->buckets[m->nbuckets].count_float = fl;
            m->nbuckets++;
        }
        break;
    default:
        m->value = v;
        break;
    }
    return 0;
}

/*
 * The sample value. The metric is chosen first: summaries and histograms add to the metric
 * of the same label set, everything else gets a new one (duplicates are not an error here).
 */
static int
st_value(struct parser *p)
{
    struct pfam *f = p->fam;
    const char *s;
    size_t n;
    double v;

    if (f->mf->type == METRIC_SUMMARY || is_histogram(f->mf->type))
        p->target = merged_metric(p, f);
    else
        p->target = new_metric(p, f);
    if (read_word(p, &s, &n) < 0)
        return ST_FAIL;
    if (parse_float(s, n, &v) < 0)
        return fail_q(p, "expected float as value, got ", s, n, "");
    if (store_value(p, v) < 0)
        return ST_FAIL;
    return p->cur == '\n' ? ST_LINE : ST_TS;
}

/* An optional int64 timestamp in milliseconds; nothing may follow it, not even a blank. */
static int
st_ts(struct parser *p)
{
    struct metric *m = &p->fam->mf->metrics[p->target];
    const char *s;
    size_t n;
    int64_t ts;

    if (skip_blank(p) < 0 || read_word(p, &s, &n) < 0)
        return ST_FAIL;
    if (parse_int64(s, n, &ts) < 0)
        return fail_q(p, "expected integer as timestamp, got ", s, n, "");
    m->has_timestamp = 1;
    m->timestamp_ms = ts;
    if (read_rest(p, 0) < 0)
        return ST_FAIL;
    if (p->tok.len > 0)
        return fail_q(p, "spurious string after timestamp: ", p->tok.data, p->tok.len, "");
    return ST_LINE;
}

/*
 * Upstream turns a histogram into a float histogram as soon as one of its counts is not
 * an integer; then every count is a float.
 */
static void
floatify_histogram(struct metric *m)
{
    size_t i;
    int any = m->count_float != 0;

    for (i = 0; i < m->nbuckets && !any; i++)
        any = m->buckets[i].count_float != 0;
    if (!any)
        return;
    if (m->count_float == 0) {
        m->count_float = (double)m->count;
        m->count = 0;
    }
    for (i = 0; i < m->nbuckets; i++) {
        if (m->buckets[i].count_float == 0) {
            m->buckets[i].count_float = (double)m->buckets[i].count;
            m->buckets[i].count = 0;
        }
    }
}

/* Release the parse-time index of a family (not the family itself). */
static void
pfam_release(struct pfam *f)
{
    size_t i;

    for (i = 0; i < f->nkeys; i++)
        free(f->keys[i]);
    free(f->keys);
    hmap_free(&f->bysig);
}

/* Run the state machine, then hand over the non-empty families in order of creation. */
int
textparse(const char *buf, size_t len, int utf8_names, struct family_list *out, char **err)
{
    struct parser p;
    int st = ST_LINE;
    size_t i, j;

    memset(&p, 0, sizeof(p));
    p.buf = (const unsigned char *)buf;
    p.len = len;
    p.utf8_names = utf8_names;
    strbuf_init(&p.tok);
    strbuf_init(&p.err);
    strbuf_init(&p.key);
    hmap_init(&p.byname);
    hmap_init(&p.lblset);

    while (st != ST_END && st != ST_FAIL) {
        switch (st) {
        case ST_LINE:
            st = st_line(&p);
            break;
        case ST_COMMENT:
            st = st_comment(&p);
            break;
        case ST_NAME:
            st = st_name(&p);
            break;
        case ST_LABELS:
            st = st_labels(&p);
            break;
        case ST_LNAME:
            st = st_lname(&p);
            break;
        case ST_LVALUE:
            st = st_lvalue(&p);
            break;
        case ST_VALUE:
            st = st_value(&p);
            break;
        case ST_TS:
            st = st_ts(&p);
            break;
        case ST_HELP:
            st = st_help(&p);
            break;
        case ST_TYPE:
            st = st_type(&p);
            break;
        }
    }
    if (st == ST_FAIL && !p.failed)
        fail(&p, "unexpected end of input stream");

    for (i = 0; i < p.nfams; i++) {
        struct metric_family *mf = p.fams[i].mf;
        pfam_release(&p.fams[i]);
        if (p.failed || mf->nmetrics == 0) {
            metric_family_free(mf);
            continue;
        }
        if (is_histogram(mf->type))
            for (j = 0; j < mf->nmetrics; j++)
                floatify_histogram(&mf->metrics[j]);
        /* Give back the growth slack of the arrays: stored families live long. */
        mf->metrics = xreallocarray(mf->metrics, mf->nmetrics, sizeof(*mf->metrics));
        for (j = 0; j < mf->nmetrics; j++) {
            struct metric *m = &mf->metrics[j];
            if (m->nquantiles > 0)
                m->quantiles = xreallocarray(m->quantiles, m->nquantiles, sizeof(*m->quantiles));
            if (m->nbuckets > 0)
                m->buckets = xreallocarray(m->buckets, m->nbuckets, sizeof(*m->buckets));
        }
        family_list_add(out, mf);
    }
    clear_line_labels(&p);
    free(p.lbl);
    free(p.fams);
    hmap_free(&p.byname);
    strbuf_free(&p.tok);
    strbuf_free(&p.key);
    if (p.failed) {
        *err = strbuf_detach(&p.err, NULL);
        return -1;
    }
    strbuf_free(&p.err);
    return 0;
}
