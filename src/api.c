/* api.c - JSON bodies of /api/v1/status and /api/v1/metrics, encoded like Go's encoding/json */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
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
jfloat(double v)
{
    char buf[GOFMT_FLOAT_MAX];
    gofmt_float_json(buf, v);
    return json_string(buf);
}

static json_t *
juint(uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return json_string(buf);
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

static json_t *
labels_object(const struct label *labels, size_t n)
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; i < n; i++)
        json_object_set_new(o, labels[i].name, jstr(labels[i].value));
    return o; /* label sets are kept sorted by name: already in Go's map order */
}

/* Histogram counts: the float flavour when it is positive, else the integer one. */
static json_t *
jcount(uint64_t count, double count_float)
{
    return count_float > 0 ? jfloat(count_float) : juint(count);
}

/*
 * The buckets of a native histogram: [boundary_rule, "lower", "upper", "count"] each, in
 * upstream's order (spec §8.2).
 */
static json_t *
native_buckets(const struct native_histogram *nh)
{
    struct native_bucket *v;
    size_t n = nativehist_buckets(nh, &v), i;
    json_t *a = json_array();

    for (i = 0; i < n; i++) {
        json_t *b = json_array();
        json_array_append_new(b, json_integer((json_int_t)v[i].boundary));
        json_array_append_new(b, jfloat(v[i].lower));
        json_array_append_new(b, jfloat(v[i].upper));
        json_array_append_new(b, jfloat(v[i].count));
        json_array_append_new(a, b);
    }
    free(v);
    return a;
}

/*
 * One metric as upstream's makeEncodableMetrics renders it for a family of type t. It is a
 * Go map, so keys are inserted in sorted order: buckets, count, labels, quantiles, sum, value.
 */
static json_t *
metric_object(const struct metric *m, enum metric_type t)
{
    json_t *o = json_object();
    size_t i;

    if (t == METRIC_SUMMARY) {
        json_t *q = json_object();
        for (i = 0; i < m->nquantiles; i++) {
            char key[GOFMT_FLOAT_MAX];
            gofmt_float_json(key, m->quantiles[i].quantile);
            json_object_set_new(q, key, jfloat(m->quantiles[i].value));
        }
        json_object_set_new(o, "count", juint(m->count));
        json_object_set_new(o, "labels", labels_object(m->labels, m->nlabels));
        json_object_set_new(o, "quantiles", as_go_map(q));
        json_object_set_new(o, "sum", jfloat(m->sum));
    } else if (t == METRIC_HISTOGRAM && nativehist_is_native(m)) {
        json_object_set_new(o, "buckets", native_buckets(m->native));
        json_object_set_new(o, "count", jcount(m->count, m->count_float));
        json_object_set_new(o, "labels", labels_object(m->labels, m->nlabels));
        json_object_set_new(o, "sum", jfloat(m->sum));
    } else if (t == METRIC_HISTOGRAM) {
        json_t *b = json_object();
        for (i = 0; i < m->nbuckets; i++) {
            char key[GOFMT_FLOAT_MAX];
            gofmt_float_json(key, m->buckets[i].upper_bound);
            json_object_set_new(b, key, jcount(m->buckets[i].count, m->buckets[i].count_float));
        }
        json_object_set_new(o, "buckets", as_go_map(b));
        json_object_set_new(o, "count", jcount(m->count, m->count_float));
        json_object_set_new(o, "labels", labels_object(m->labels, m->nlabels));
        json_object_set_new(o, "sum", jfloat(m->sum));
    } else {
        /* Gauge histograms fall here too and show "0", as upstream's getValue gives. */
        int scalar =
            m->kind == METRIC_COUNTER || m->kind == METRIC_GAUGE || m->kind == METRIC_UNTYPED;
        json_object_set_new(o, "labels", labels_object(m->labels, m->nlabels));
        json_object_set_new(o, "value", jfloat(scalar ? m->value : 0));
    }
    return o;
}

/* A family: upstream's `metrics` struct, fields in declaration order. */
static json_t *
family_object(const struct stored_family *sf)
{
    const struct metric_family *mf = sf->mf;
    json_t *o = json_object(), *metrics = json_array();
    size_t i;

    json_object_set_new(o, "time_stamp", jtime(&sf->ts));
    json_object_set_new(o, "type", json_string(metric_type_enum(mf->type)));
    if (mf->help != NULL && mf->help[0] != '\0')
        json_object_set_new(o, "help", jstr(mf->help));
    for (i = 0; i < mf->nmetrics; i++)
        json_array_append_new(metrics, metric_object(&mf->metrics[i], mf->type));
    json_object_set_new(o, "metrics", metrics);
    return o;
}

const struct rcbytes *
api_group_json(struct store *st, struct group *g)
{
    struct strbuf one = STRBUF_INIT;
    json_t *o;
    size_t j;

    if (g->cache.json != NULL)
        return g->cache.json;
    /* Rendered once per change of the group (the store drops the cache). */
    o = json_object();
    json_object_set_new(o, "labels", labels_object(g->key.labels, g->key.n));
    json_object_set_new(o, "last_push_successful",
                        group_last_push_successful(g) ? json_true() : json_false());
    if (g->expiring) {
        /* Ours (docs/ttl.md): only for groups that expire. */
        int64_t ttl = group_effective_ttl(st, g);

        json_object_set_new(o, "expires_at", jtime(&g->expires));
        json_object_set_new(o, "ttl_seconds",
                            ttl % 1000000000LL == 0 ? json_integer((json_int_t)(ttl / 1000000000LL))
                                                    : json_real((double)ttl / 1e9));
    }
    /* Family keys come last and may overwrite "labels" (upstream quirk, §13.7). */
    for (j = 0; j < g->nfams; j++)
        json_object_set_new(o, g->fams[j]->mf->name, family_object(g->fams[j]));
    o = as_go_map(o);
    strbuf_addch(&one, ',');
    dump_go_append(&one, o);
    json_decref(o);
    g->cache.json = rcbytes_from_strbuf(&one);
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
        const struct rcbytes *json = api_group_json(st, groups[i]);
        /* Each group's rendering starts with the comma that separates it from the last. */
        strbuf_add(&sb, json->data + (i == 0), json->len - (i == 0));
    }
    strbuf_addstr(&sb, API_METRICS_TAIL);
    return strbuf_detach(&sb, NULL);
}
