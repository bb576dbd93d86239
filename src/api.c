/* api.c - JSON bodies of /api/v1/status and /api/v1/metrics, encoded like Go's encoding/json */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "compress.h"
#include "gofmt.h"
#include "nativehist.h"
#include "strbuf.h"
#include "version.h"
#include "xmalloc.h"

/* A JSON string; invalid UTF-8 bytes become U+FFFD as Go's encoder writes them. */
static json_t *
jstr(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    size_t n = strlen(s), i = 0;
    json_t *j;

    if (utf8_valid(s, n))
        return json_string(s);
    while (i < n) {
        size_t len = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xc0) {
            len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (i + len > n || !utf8_valid(s + i, len))
                len = 0;
        }
        if (len == 0 || (c >= 0x80 && c < 0xc0)) {
            strbuf_addstr(&sb, "\xef\xbf\xbd");
            i++;
        } else {
            strbuf_add(&sb, s + i, len);
            i += len;
        }
    }
    j = json_string(strbuf_str(&sb));
    strbuf_free(&sb);
    return j;
}

static json_t *
jtime(const struct timespec *ts)
{
    char buf[GOFMT_TIME_MAX];
    gofmt_rfc3339nano(buf, ts);
    return json_string(buf);
}

static int
key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Go encodes maps with sorted keys and structs in field order. Objects are dumped in
 * insertion order, so a map-like object is rebuilt with its keys sorted. Steals obj.
 */
static json_t *
as_go_map(json_t *obj)
{
    json_t *out = json_object();
    const char **keys = xreallocarray(NULL, json_object_size(obj) + 1, sizeof(*keys));
    size_t n = 0, i;
    void *it;

    for (it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it))
        keys[n++] = json_object_iter_key(it);
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    free(keys);
    json_decref(obj);
    return out;
}

/* Does byte c (at p) start something Go escapes differently from jansson? */
static int
needs_rewrite(const char *p)
{
    unsigned char c = (unsigned char)*p;

    return c == '\\' || c == '<' || c == '>' || c == '&' ||
           (c == 0xe2 && (unsigned char)p[1] == 0x80 &&
            ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9));
}

/* Encode v as Go would and append it to sb (see api_json_dump_go). */
static void
dump_go_append(struct strbuf *sb, json_t *v)
{
    char *raw = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    const char *p, *run;

    if (raw == NULL) {
        strbuf_addstr(sb, "null");
        return;
    }
    /* '<' '>' '&' and U+2028/9 can only occur inside strings, so a byte rewrite is safe. */
    for (p = run = raw; *p != '\0'; p++) {
        if (!needs_rewrite(p))
            continue;
        strbuf_add(sb, run, (size_t)(p - run));
        if (*p == '\\' && p[1] != '\0') {
            strbuf_addch(sb, '\\');
            p++;
            strbuf_addch(sb, *p);
            if (*p == 'u') {
                /* jansson writes \u00XX in upper case, Go in lower case. */
                int k;
                for (k = 0; k < 4 && p[1] != '\0'; k++) {
                    p++;
                    strbuf_addch(sb, (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p));
                }
            }
        } else if (*p == '<') {
            strbuf_addstr(sb, "\\u003c");
        } else if (*p == '>') {
            strbuf_addstr(sb, "\\u003e");
        } else if (*p == '&') {
            strbuf_addstr(sb, "\\u0026");
        } else if (*p != '\\') {
            strbuf_addstr(sb, (unsigned char)p[2] == 0xa8 ? "\\u2028" : "\\u2029");
            p += 2;
        }
        run = p + 1;
    }
    strbuf_add(sb, run, (size_t)(p - run));
    free(raw);
}

char *
api_json_dump_go(json_t *v)
{
    struct strbuf sb = STRBUF_INIT;

    dump_go_append(&sb, v);
    return strbuf_detach(&sb, NULL);
}

/* Wrap data in {"status":"success","data":...} (a Go struct: field order); steals data. */
static char *
success(json_t *data)
{
    json_t *root = json_object();
    char *out;

    json_object_set_new(root, "status", json_string("success"));
    json_object_set_new(root, "data", data);
    out = api_json_dump_go(root);
    json_decref(root);
    return out;
}

char *
api_status_json(const struct config *cfg, const struct timespec *start_time)
{
    json_t *data = json_object(), *build = json_object(), *flags = json_object();
    const char *name;
    char *value;
    size_t i;

    json_object_set_new(build, "branch", json_string(PGW_BRANCH));
    json_object_set_new(build, "buildDate", json_string(PGW_BUILD_DATE));
    json_object_set_new(build, "buildUser", json_string(""));
#ifdef __clang__
    json_object_set_new(build, "goVersion", json_string("clang " __clang_version__));
#else
    json_object_set_new(build, "goVersion", json_string("gcc " __VERSION__));
#endif
    json_object_set_new(build, "revision", json_string(PGW_REVISION));
    json_object_set_new(build, "version", json_string(PGW_VERSION));
    for (i = 0; (name = config_flag(cfg, i, &value)) != NULL; i++) {
        json_object_set_new(flags, name, jstr(value));
        free(value);
    }
    json_object_set_new(data, "build_information", as_go_map(build));
    json_object_set_new(data, "flags", as_go_map(flags));
    json_object_set_new(data, "start_time", jtime(start_time));
    return success(as_go_map(data));
}

/*
 * /api/v1/metrics is written directly, without a jansson tree: building a tree per group
 * cost as much as upstream's whole encoding, and after a wave of pushes most groups must be
 * rendered again. The writer produces exactly the bytes the tree route produced (that route
 * is kept as the oracle of test_api.c, tests/unit/api_ref.inc, which compares both on
 * generated stores): Go's encoding/json with sorted map keys and json_go_str's escapes.
 */

/* Bytes written as they are: printable ASCII and DEL, except '"', '\\', '<', '>' and '&'. */
static const unsigned char plain_ascii[256] = {
    ['\x20'] = 1, ['!'] = 1, ['#'] = 1,    ['$'] = 1, ['%'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1,
    ['*'] = 1,    ['+'] = 1, [','] = 1,    ['-'] = 1, ['.'] = 1, ['/'] = 1,  ['0'] = 1, ['1'] = 1,
    ['2'] = 1,    ['3'] = 1, ['4'] = 1,    ['5'] = 1, ['6'] = 1, ['7'] = 1,  ['8'] = 1, ['9'] = 1,
    [':'] = 1,    [';'] = 1, ['='] = 1,    ['?'] = 1, ['@'] = 1, ['A'] = 1,  ['B'] = 1, ['C'] = 1,
    ['D'] = 1,    ['E'] = 1, ['F'] = 1,    ['G'] = 1, ['H'] = 1, ['I'] = 1,  ['J'] = 1, ['K'] = 1,
    ['L'] = 1,    ['M'] = 1, ['N'] = 1,    ['O'] = 1, ['P'] = 1, ['Q'] = 1,  ['R'] = 1, ['S'] = 1,
    ['T'] = 1,    ['U'] = 1, ['V'] = 1,    ['W'] = 1, ['X'] = 1, ['Y'] = 1,  ['Z'] = 1, ['['] = 1,
    [']'] = 1,    ['^'] = 1, ['_'] = 1,    ['`'] = 1, ['a'] = 1, ['b'] = 1,  ['c'] = 1, ['d'] = 1,
    ['e'] = 1,    ['f'] = 1, ['g'] = 1,    ['h'] = 1, ['i'] = 1, ['j'] = 1,  ['k'] = 1, ['l'] = 1,
    ['m'] = 1,    ['n'] = 1, ['o'] = 1,    ['p'] = 1, ['q'] = 1, ['r'] = 1,  ['s'] = 1, ['t'] = 1,
    ['u'] = 1,    ['v'] = 1, ['w'] = 1,    ['x'] = 1, ['y'] = 1, ['z'] = 1,  ['{'] = 1, ['|'] = 1,
    ['}'] = 1,    ['~'] = 1, ['\x7f'] = 1, /* DEL too: Go does not escape it */
};

/* A Go string as encoding/json writes it, from len bytes (invalid UTF-8 as U+FFFD). */
static void
json_go_str(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, run = 0;

    strbuf_grow(sb, n + 2);
    strbuf_addch(sb, '"');
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        size_t len = 1;

        if (plain_ascii[c]) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            if (c >= 0xc0) {
                len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
                if (i + len > n || !utf8_valid(s + i, len))
                    len = 0;
            } else {
                len = 0;
            }
            if (len == 0) {
                esc = "\xef\xbf\xbd"; /* U+FFFD for one invalid byte */
                len = 1;
            } else if (len == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
                       ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
                esc = (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            } else {
                i += len;
                continue;
            }
        } else if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c == '\n') {
            esc = "\\n";
        } else if (c == '\r') {
            esc = "\\r";
        } else if (c == '\t') {
            esc = "\\t";
        } else if (c == '\b') {
            esc = "\\b";
        } else if (c == '\f') {
            esc = "\\f";
        } else {
            /* Other control characters and <>& as \u00xx, lower-case hex as Go writes. */
            u[0] = '\\';
            u[1] = 'u';
            u[2] = '0';
            u[3] = '0';
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
        }
        strbuf_add(sb, s + run, i - run);
        strbuf_addstr(sb, esc);
        i += len;
        run = i;
    }
    strbuf_add(sb, s + run, n - run);
    strbuf_addch(sb, '"');
}

static void
json_go_cstr(struct strbuf *sb, const char *s)
{
    json_go_str(sb, s, strlen(s));
}

/* n bytes that need no escaping (formatted numbers and times), as a JSON string. */
static void
json_plain_str(struct strbuf *sb, const char *s, size_t n)
{
    strbuf_addch(sb, '"');
    strbuf_add(sb, s, n);
    strbuf_addch(sb, '"');
}

/* A float the way upstream's API shows values: a string of strconv 'g' -1. */
static void
json_float(struct strbuf *sb, double v)
{
    char buf[GOFMT_FLOAT_MAX];

    json_plain_str(sb, buf, gofmt_float_json(buf, v));
}

static void
json_uint(struct strbuf *sb, uint64_t v)
{
    strbuf_addf(sb, "\"%llu\"", (unsigned long long)v);
}

/* Histogram counts: the float flavour when it is positive, else the integer one. */
static void
json_count(struct strbuf *sb, uint64_t count, double count_float)
{
    if (count_float > 0)
        json_float(sb, count_float);
    else
        json_uint(sb, count);
}

static void
json_time(struct strbuf *sb, const struct timespec *ts)
{
    char buf[GOFMT_TIME_MAX];

    json_plain_str(sb, buf, gofmt_rfc3339nano(buf, ts));
}

/* A label set (kept sorted by name: already Go's map order). */
static void
json_labels(struct strbuf *sb, const struct label *labels, size_t n)
{
    size_t i;

    strbuf_addch(sb, '{');
    for (i = 0; i < n; i++) {
        if (i > 0)
            strbuf_addch(sb, ',');
        json_go_cstr(sb, labels[i].name);
        strbuf_addch(sb, ':');
        json_go_cstr(sb, labels[i].value);
    }
    strbuf_addch(sb, '}');
}

/* A float-keyed Go map (quantiles, buckets): keys are the formatted floats. */
struct float_key {
    char key[GOFMT_FLOAT_MAX];
    size_t i; /* index in the source array: of equal keys the last one wins, as in a map */
};

static int
float_key_cmp(const void *a, const void *b)
{
    const struct float_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c != 0 ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/*
 * Write the map whose i-th key is keyf(i) and value valuef(i): keys sorted as strings, one
 * entry per distinct key (its last value).
 */
static void
json_float_map(struct strbuf *sb, const struct metric *m, size_t n,
               double (*keyf)(const struct metric *, size_t),
               void (*valuef)(struct strbuf *, const struct metric *, size_t))
{
    struct float_key *k = xreallocarray(NULL, n + 1, sizeof(*k));
    size_t i, out = 0;

    for (i = 0; i < n; i++) {
        gofmt_float_json(k[i].key, keyf(m, i));
        k[i].i = i;
    }
    qsort(k, n, sizeof(*k), float_key_cmp);
    strbuf_addch(sb, '{');
    for (i = 0; i < n; i++) {
        if (i + 1 < n && strcmp(k[i].key, k[i + 1].key) == 0)
            continue;
        if (out++ > 0)
            strbuf_addch(sb, ',');
        json_go_cstr(sb, k[i].key);
        strbuf_addch(sb, ':');
        valuef(sb, m, k[i].i);
    }
    strbuf_addch(sb, '}');
    free(k);
}

static double
quantile_key(const struct metric *m, size_t i)
{
    return m->quantiles[i].quantile;
}

static void
quantile_value(struct strbuf *sb, const struct metric *m, size_t i)
{
    json_float(sb, m->quantiles[i].value);
}

static double
bucket_key(const struct metric *m, size_t i)
{
    return m->buckets[i].upper_bound;
}

static void
bucket_value(struct strbuf *sb, const struct metric *m, size_t i)
{
    json_count(sb, m->buckets[i].count, m->buckets[i].count_float);
}

/*
 * The buckets of a native histogram: [boundary_rule, "lower", "upper", "count"] each, in
 * upstream's order (spec §8.2).
 */
static void
json_native_buckets(struct strbuf *sb, const struct native_histogram *nh)
{
    struct native_bucket *v;
    size_t n = nativehist_buckets(nh, &v), i;

    strbuf_addch(sb, '[');
    for (i = 0; i < n; i++) {
        strbuf_addf(sb, "%s[%lld,", i > 0 ? "," : "", (long long)v[i].boundary);
        json_float(sb, v[i].lower);
        strbuf_addch(sb, ',');
        json_float(sb, v[i].upper);
        strbuf_addch(sb, ',');
        json_float(sb, v[i].count);
        strbuf_addch(sb, ']');
    }
    strbuf_addch(sb, ']');
    free(v);
}

/*
 * One metric as upstream's makeEncodableMetrics renders it for a family of type t. It is a
 * Go map, so its keys come sorted: buckets, count, labels, quantiles, sum, value.
 */
static void
json_metric(struct strbuf *sb, const struct metric *m, enum metric_type t)
{
    if (t == METRIC_SUMMARY) {
        strbuf_addstr(sb, "{\"count\":");
        json_uint(sb, m->count);
        strbuf_addstr(sb, ",\"labels\":");
        json_labels(sb, m->labels, m->nlabels);
        strbuf_addstr(sb, ",\"quantiles\":");
        json_float_map(sb, m, m->nquantiles, quantile_key, quantile_value);
        strbuf_addstr(sb, ",\"sum\":");
        json_float(sb, m->sum);
    } else if (t == METRIC_HISTOGRAM) {
        strbuf_addstr(sb, "{\"buckets\":");
        if (nativehist_is_native(m))
            json_native_buckets(sb, m->native);
        else
            json_float_map(sb, m, m->nbuckets, bucket_key, bucket_value);
        strbuf_addstr(sb, ",\"count\":");
        json_count(sb, m->count, m->count_float);
        strbuf_addstr(sb, ",\"labels\":");
        json_labels(sb, m->labels, m->nlabels);
        strbuf_addstr(sb, ",\"sum\":");
        json_float(sb, m->sum);
    } else {
        /* Gauge histograms fall here too and show "0", as upstream's getValue gives. */
        int scalar =
            m->kind == METRIC_COUNTER || m->kind == METRIC_GAUGE || m->kind == METRIC_UNTYPED;
        strbuf_addstr(sb, "{\"labels\":");
        json_labels(sb, m->labels, m->nlabels);
        strbuf_addstr(sb, ",\"value\":");
        json_float(sb, scalar ? m->value : 0);
    }
    strbuf_addch(sb, '}');
}

/* A family: upstream's `metrics` struct, fields in declaration order. */
static void
json_family(struct strbuf *sb, const struct stored_family *sf)
{
    const struct metric_family *mf = sf->mf;
    size_t i;

    strbuf_addstr(sb, "{\"time_stamp\":");
    json_time(sb, &sf->ts);
    strbuf_addstr(sb, ",\"type\":\"");
    strbuf_addstr(sb, metric_type_enum(mf->type));
    strbuf_addch(sb, '"');
    if (mf->help != NULL && mf->help[0] != '\0') {
        strbuf_addstr(sb, ",\"help\":");
        json_go_cstr(sb, mf->help);
    }
    strbuf_addstr(sb, ",\"metrics\":[");
    for (i = 0; i < mf->nmetrics; i++) {
        if (i > 0)
            strbuf_addch(sb, ',');
        json_metric(sb, &mf->metrics[i], mf->type);
    }
    strbuf_addstr(sb, "]}");
}

/* ttl_seconds: an integer for whole seconds, else a JSON number as jansson writes a real. */
static void
json_ttl(struct strbuf *sb, int64_t ttl)
{
    char buf[64], *e;

    if (ttl % 1000000000LL == 0) {
        strbuf_addf(sb, "%lld", (long long)(ttl / 1000000000LL));
        return;
    }
    snprintf(buf, sizeof(buf), "%.17g", (double)ttl / 1e9);
    /* jansson's form: no '+' and no leading zeros in the exponent, ".0" on whole numbers. */
    e = strchr(buf, 'e');
    if (e != NULL) {
        char *digits = e + 1, *from;
        if (*digits == '-')
            digits++;
        from = digits;
        while (*from == '+' || *from == '0')
            from++;
        memmove(digits, from, strlen(from) + 1);
    }
    strbuf_addstr(sb, buf);
    if (strpbrk(buf, ".e") == NULL)
        strbuf_addstr(sb, ".0");
}

/*
 * A group: a Go map of its fixed keys and its family names, sorted; a family named like a
 * fixed key replaces it (upstream quirk, spec §13.7).
 */
static void
json_group(struct strbuf *sb, struct store *st, struct group *g)
{
    static const char *const fixed[] = {"expires_at", "labels", "last_push_successful",
                                        "ttl_seconds"};
    size_t f = 0, j = 0, n = 0;

    strbuf_addch(sb, '{');
    while (f < 4 || j < g->nfams) {
        const char *fam = j < g->nfams ? g->fams[j]->mf->name : NULL;
        int c = f >= 4 ? 1 : fam == NULL ? -1 : strcmp(fixed[f], fam);

        if (c < 0) {
            /* expires_at and ttl_seconds (ours, docs/ttl.md) only for groups that expire. */
            if ((f == 0 || f == 3) && !g->expiring) {
                f++;
                continue;
            }
            if (n++ > 0)
                strbuf_addch(sb, ',');
            json_go_cstr(sb, fixed[f]);
            strbuf_addch(sb, ':');
            if (f == 0)
                json_time(sb, &g->expires);
            else if (f == 1)
                json_labels(sb, g->key.labels, g->key.n);
            else if (f == 2)
                strbuf_addstr(sb, group_last_push_successful(g) ? "true" : "false");
            else
                json_ttl(sb, group_effective_ttl(st, g));
            f++;
            continue;
        }
        if (c == 0)
            f++; /* the family replaces the fixed key */
        if (n++ > 0)
            strbuf_addch(sb, ',');
        json_go_cstr(sb, fam);
        strbuf_addch(sb, ':');
        json_family(sb, g->fams[j]);
        j++;
    }
    strbuf_addch(sb, '}');
}

const struct rcbytes *
api_group_json(struct store *st, struct group *g)
{
    struct strbuf one = STRBUF_INIT;

    if (g->cache.json == NULL) {
        /* Rendered once per change of the group (the store drops the cache). */
        strbuf_addch(&one, ',');
        json_group(&one, st, g);
        g->cache.json = rcbytes_pack(&one);
    }
    return g->cache.json;
}

char *
api_metrics_json(struct store *st)
{
    struct strbuf sb = STRBUF_INIT;
    struct group *const *groups;
    size_t n, i;

    strbuf_addstr(&sb, API_METRICS_HEAD);
    groups = store_groups_sorted(st, &n);
    for (i = 0; i < n; i++) {
        /* Each group's rendering starts with the comma that separates it from the last. */
        rcbytes_append(api_group_json(st, groups[i]), i == 0, &sb);
    }
    strbuf_addstr(&sb, API_METRICS_TAIL);
    return strbuf_detach(&sb, NULL);
}
