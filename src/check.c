/* check.c - consistency check of pushes (incremental) and of the whole store (full gather) */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gofmt.h"
#include "goquote.h"
#include "hmap.h"
#include "selfmetrics.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Collected error messages, upstream's MultiError, capped at CHECK_MAX_ERRORS. */
struct errs {
    char **v;
    size_t n;
    size_t total;
};

static void errs_add(struct errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
errs_add(struct errs *e, const char *fmt, ...)
{
    va_list ap;
    char *s;

    e->total++;
    if (e->n >= CHECK_MAX_ERRORS)
        return;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = xstrdup("out of memory formatting an error");
    va_end(ap);
    e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
    e->v[e->n++] = s;
}

/* Turn the collected errors into one message (caller frees) and free them; NULL if none. */
static char *
errs_finish(struct errs *e)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    if (e->total == 0)
        return NULL;
    if (e->total == 1) {
        char *one = e->v[0];
        free(e->v);
        return one;
    }
    strbuf_addf(&sb, "%zu error(s) occurred:", e->total);
    for (i = 0; i < e->n; i++) {
        strbuf_addf(&sb, "\n* %s", e->v[i]);
        free(e->v[i]);
    }
    if (e->total > e->n)
        strbuf_addf(&sb, "\n* ... %zu more error(s) not shown", e->total - e->n);
    free(e->v);
    return strbuf_detach(&sb, NULL);
}

/* Append a quoted string the way Go's %q prints it. */
static void
add_quoted(struct strbuf *sb, const char *s)
{
    char *q = goquote(s, strlen(s));
    strbuf_addstr(sb, q);
    free(q);
}

static void
add_float(struct strbuf *sb, double v)
{
    char buf[GOFMT_FLOAT_MAX];
    gofmt_float_json(buf, v);
    strbuf_addstr(sb, buf);
}

/*
 * Describe a metric in protobuf text form, as upstream's messages embed it
 * (`label:{name:"job" value:"x"} gauge:{value:1}`). Upstream's own rendering is not stable
 * between runs, so only its general shape matters.
 */
static char *
describe_metric(const struct metric *m)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = 0; i < m->nlabels; i++) {
        strbuf_addstr(&sb, "label:{name:");
        add_quoted(&sb, m->labels[i].name);
        strbuf_addstr(&sb, " value:");
        add_quoted(&sb, m->labels[i].value);
        strbuf_addstr(&sb, "} ");
    }
    switch (m->kind) {
    case METRIC_COUNTER:
    case METRIC_GAUGE:
    case METRIC_UNTYPED:
        strbuf_addf(&sb, "%s:{value:",
                    m->kind == METRIC_COUNTER ? "counter"
                    : m->kind == METRIC_GAUGE ? "gauge"
                                              : "untyped");
        add_float(&sb, m->value);
        strbuf_addstr(&sb, "} ");
        break;
    case METRIC_SUMMARY:
        strbuf_addf(&sb, "summary:{sample_count:%llu sample_sum:", (unsigned long long)m->count);
        add_float(&sb, m->sum);
        for (i = 0; i < m->nquantiles; i++) {
            strbuf_addstr(&sb, " quantile:{quantile:");
            add_float(&sb, m->quantiles[i].quantile);
            strbuf_addstr(&sb, " value:");
            add_float(&sb, m->quantiles[i].value);
            strbuf_addch(&sb, '}');
        }
        strbuf_addstr(&sb, "} ");
        break;
    case METRIC_HISTOGRAM:
    case METRIC_GAUGE_HISTOGRAM:
        strbuf_addf(&sb, "histogram:{sample_count:%llu sample_sum:", (unsigned long long)m->count);
        add_float(&sb, m->sum);
        for (i = 0; i < m->nbuckets; i++) {
            strbuf_addf(&sb, " bucket:{cumulative_count:%llu upper_bound:",
                        (unsigned long long)m->buckets[i].count);
            add_float(&sb, m->buckets[i].upper_bound);
            strbuf_addch(&sb, '}');
        }
        strbuf_addstr(&sb, "} ");
        break;
    }
    return strbuf_detach(&sb, NULL);
}

/* The protobuf value field a metric of this kind carries (histograms share one). */
static int
value_field(enum metric_type t)
{
    return t == METRIC_GAUGE_HISTOGRAM ? METRIC_HISTOGRAM : (int)t;
}

/* Whether a label name passes upstream's checkLabelName under our validation scheme. */
static int
label_name_ok(const char *name, int utf8_names)
{
    size_t n = strlen(name);

    if (n >= 2 && name[0] == '_' && name[1] == '_')
        return 0;
    return utf8_names ? (n > 0 && utf8_valid(name, n)) : label_name_valid_legacy(name, n);
}

/* Report one problem with a metric: "collected metric "name" { <metric>} <what>". */
static void
report_metric(struct errs *e, const char *name, const struct metric *m, const char *what)
{
    char *d = describe_metric(m);
    errs_add(e, "collected metric \"%s\" { %s} %s", name, d, what);
    free(d);
}

/*
 * upstream checkMetricConsistency without the duplicate test: the value kind must match the
 * family type, labels must be unique, validly named, and valued in UTF-8. Returns 0 if ok.
 */
static int
check_metric(struct errs *e, const char *name, enum metric_type ftype, const struct metric *m,
             int utf8_names)
{
    const char *prev = NULL;
    char *what = NULL;
    size_t i;

    if (ftype != METRIC_GAUGE_HISTOGRAM && value_field(m->kind) != value_field(ftype))
        what = xasprintf("is not a %s", metric_type_enum(ftype));
    for (i = 0; what == NULL && i < m->nlabels; i++) {
        const struct label *l = &m->labels[i];

        if (prev != NULL && strcmp(prev, l->name) == 0) {
            what = xasprintf("has two or more labels with the same name: %s", l->name);
        } else if (!label_name_ok(l->name, utf8_names)) {
            what = xasprintf("has a label with an invalid name: %s", l->name);
        } else if (m->kind == METRIC_SUMMARY && strcmp(l->name, "quantile") == 0) {
            what = xstrdup("must not have an explicit \"quantile\" label");
        } else if (!utf8_valid(l->value, strlen(l->value))) {
            char *qn = goquote(l->name, strlen(l->name));
            char *qv = goquote(l->value, strlen(l->value));
            what = xasprintf("has a label named %s whose value is not utf8: %s", qn, qv);
            free(qn);
            free(qv);
        }
        prev = l->name;
    }
    if (what == NULL)
        return 0;
    report_metric(e, name, m, what);
    free(what);
    return -1;
}

static void
report_duplicate(struct errs *e, const char *name, const struct metric *m)
{
    report_metric(e, name, m, "was collected before with the same name and label values");
}

/*
 * The maps of one check (the families of one push, the series it replaces) hold a handful
 * of entries: they are searched linearly while small (no hashing, no allocation) and become
 * a hash map beyond SMALL_MAX entries (a hostile push of a million families).
 */
#define SMALL_MAX 8
struct small_map {
    size_t n;
    int hashed;
    struct hmap big;
    const void *key[SMALL_MAX]; /* string keys; NULL in a map of 64-bit keys */
    size_t keylen[SMALL_MAX];
    uint64_t k64[SMALL_MAX];
    void *value[SMALL_MAX];
};

static void
sm_init(struct small_map *m)
{
    m->n = 0;
    m->hashed = 0;
    hmap_init(&m->big);
}

static void
sm_free(struct small_map *m)
{
    hmap_free(&m->big);
}

/* The slot of a key, or -1. key == NULL: the 64-bit key k64. */
static long
sm_find(const struct small_map *m, const void *key, size_t len, uint64_t k64)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        if (key != NULL ? m->keylen[i] == len && memcmp(m->key[i], key, len) == 0
                        : m->k64[i] == k64)
            return (long)i;
    return -1;
}

static void *
sm_get(const struct small_map *m, const void *key, size_t len, uint64_t k64)
{
    long i;

    if (m->hashed)
        return key != NULL ? hmap_get(&m->big, key, len) : hmap_get_u64(&m->big, k64);
    i = sm_find(m, key, len, k64);
    return i >= 0 ? m->value[i] : NULL;
}

static void
sm_put(struct small_map *m, const void *key, size_t len, uint64_t k64, void *value)
{
    long i;
    size_t j;

    if (!m->hashed) {
        i = sm_find(m, key, len, k64);
        if (i >= 0) {
            m->value[i] = value;
            return;
        }
        if (m->n < SMALL_MAX) {
            m->key[m->n] = key;
            m->keylen[m->n] = len;
            m->k64[m->n] = k64;
            m->value[m->n++] = value;
            return;
        }
        m->hashed = 1;
        for (j = 0; j < m->n; j++) {
            if (m->key[j] != NULL)
                hmap_put(&m->big, m->key[j], m->keylen[j], m->value[j]);
            else
                hmap_put_u64(&m->big, m->k64[j], m->value[j]);
        }
    }
    if (key != NULL)
        hmap_put(&m->big, key, len, value);
    else
        hmap_put_u64(&m->big, k64, value);
}

/* Name and, where the name has one, the type-lookup of the final (post-push) state. */
struct final_view {
    const struct store *st;
    struct small_map pushed;  /* name -> const struct metric_family * (effective push) */
    struct small_map removed; /* name -> const struct stored_family * (families it drops) */
};

/*
 * Stored families of `name`, per type, that remain in the store after the push (the push's
 * own families excluded): the store-wide counts minus the family the push drops, if any.
 * One lookup per name, whatever the number of types asked about.
 */
static void
remaining_types(const struct final_view *fv, const char *name, uint32_t n[METRIC_TYPE_MAX + 1])
{
    size_t len = strlen(name);
    const struct famidx *fi = hmap_get(&fv->st->families, name, len);
    const struct stored_family *rm;

    if (fi == NULL) {
        memset(n, 0, sizeof(uint32_t) * (METRIC_TYPE_MAX + 1));
        return;
    }
    memcpy(n, fi->ntype, sizeof(uint32_t) * (METRIC_TYPE_MAX + 1));
    rm = sm_get(&fv->removed, name, len, 0);
    if (rm != NULL)
        n[rm->mf->type]--;
}

static uint32_t
remaining_of_type(const struct final_view *fv, const char *name, enum metric_type t)
{
    uint32_t n[METRIC_TYPE_MAX + 1];

    remaining_types(fv, name, n);
    return n[t];
}

/* Does a family `name` of type t exist after the push (store, push or own families)? */
static int
final_has_type(const struct final_view *fv, const char *name, enum metric_type t)
{
    const struct metric_family *p = sm_get(&fv->pushed, name, strlen(name), 0);
    const struct own_family *own = own_family_find(name);

    if (p != NULL && p->type == t)
        return 1;
    if (own != NULL && own->type == t)
        return 1;
    return remaining_of_type(fv, name, t) > 0;
}

static int
final_exists(const struct final_view *fv, const char *name)
{
    int t;

    uint32_t n[METRIC_TYPE_MAX + 1];

    if (sm_get(&fv->pushed, name, strlen(name), 0) != NULL || own_family_find(name) != NULL)
        return 1;
    remaining_types(fv, name, n);
    for (t = 0; t <= METRIC_TYPE_MAX; t++)
        if (n[t] > 0)
            return 1;
    return 0;
}

/* Strip a _count/_sum/_bucket suffix into buf; returns the suffix or NULL. */
static const char *
split_suffix(const char *name, char **base)
{
    static const char *const suffixes[] = {"_count", "_sum", "_bucket"};
    size_t n = strlen(name), i;

    for (i = 0; i < 3; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n > sl && strcmp(name + n - sl, suffixes[i]) == 0) {
            *base = xstrndup(name, n - sl);
            return suffixes[i];
        }
    }
    return NULL;
}

/* upstream checkSuffixCollisions for family f against the final state. Returns 0 if ok. */
static int
check_suffixes(struct errs *e, const struct final_view *fv, const struct metric_family *f)
{
    char *base = NULL, *other;
    const char *suffix = split_suffix(f->name, &base);
    int bad = 0;

    if (suffix != NULL) {
        if (strcmp(suffix, "_bucket") != 0 && final_has_type(fv, base, METRIC_SUMMARY)) {
            errs_add(e,
                     "collected metric named \"%s\" collides with previously collected summary "
                     "named \"%s\"",
                     f->name, base);
            bad = 1;
        } else if (final_has_type(fv, base, METRIC_HISTOGRAM)) {
            errs_add(e,
                     "collected metric named \"%s\" collides with previously collected histogram "
                     "named \"%s\"",
                     f->name, base);
            bad = 1;
        }
        free(base);
        if (bad)
            return -1;
    }
    if (f->type == METRIC_SUMMARY || f->type == METRIC_HISTOGRAM) {
        static const char *const sfx[] = {"_count", "_sum", "_bucket"};
        size_t i, nsfx = f->type == METRIC_HISTOGRAM ? 3 : 2;
        for (i = 0; i < nsfx; i++) {
            other = xasprintf("%s%s", f->name, sfx[i]);
            if (final_exists(fv, other)) {
                if (i < 2)
                    errs_add(e,
                             "collected histogram or summary named \"%s\" collides with previously "
                             "collected metric named \"%s\"",
                             f->name, other);
                else
                    errs_add(e,
                             "collected histogram named \"%s\" collides with previously collected "
                             "metric named \"%s\"",
                             f->name, other);
                bad = 1;
            }
            free(other);
            if (bad)
                return -1;
        }
    }
    return 0;
}

/*
 * Check the effective push `eff` (the families that will be stored in group g, timestamp
 * families included) given the families of g it drops (`removed`).
 */
static int
check_effective(const struct store *st, struct metric_family *const *eff, size_t neff,
                struct stored_family *const *removed, size_t nremoved, int utf8_names, char **err)
{
    struct final_view fv;
    struct small_map rem_series, local;
    struct errs e = {NULL, 0, 0};
    size_t i, j;

    fv.st = st;
    sm_init(&fv.pushed);
    sm_init(&fv.removed);
    sm_init(&rem_series);
    sm_init(&local);
    for (i = 0; i < neff; i++)
        sm_put(&fv.pushed, eff[i]->name, strlen(eff[i]->name), 0, eff[i]);
    for (i = 0; i < nremoved; i++) {
        const struct metric_family *mf = removed[i]->mf;
        sm_put(&fv.removed, mf->name, strlen(mf->name), 0, removed[i]);
        for (j = 0; j < mf->nmetrics; j++) {
            uint64_t h = store_series_hash(mf->name, &mf->metrics[j]);
            uintptr_t n = (uintptr_t)sm_get(&rem_series, NULL, 0, h);
            sm_put(&rem_series, NULL, 0, h, (void *)(n + 1));
        }
    }

    for (i = 0; i < neff; i++) {
        const struct metric_family *f = eff[i];
        const struct own_family *own = own_family_find(f->name);
        uint32_t left[METRIC_TYPE_MAX + 1];
        int t, conflict = -1;

        if (own != NULL && own->type != f->type) {
            errs_add(&e, "gathered metric family %s has type %s but should have %s", f->name,
                     metric_type_enum(f->type), metric_type_enum(own->type));
            continue;
        }
        remaining_types(&fv, f->name, left);
        for (t = 0; t <= METRIC_TYPE_MAX && conflict < 0; t++)
            if (t != (int)f->type && left[t] > 0)
                conflict = t;
        if (conflict >= 0) {
            /* The merged family takes another group's type; each pushed metric then fails. */
            if (f->nmetrics == 0)
                errs_add(&e, "gathered metric family %s has type %s but should have %s", f->name,
                         metric_type_enum(f->type), metric_type_enum((enum metric_type)conflict));
            for (j = 0; j < f->nmetrics; j++)
                check_metric(&e, f->name, (enum metric_type)conflict, &f->metrics[j], utf8_names);
            continue;
        }
        if (check_suffixes(&e, &fv, f) != 0)
            continue;
        for (j = 0; j < f->nmetrics; j++) {
            const struct metric *m = &f->metrics[j];
            uint64_t h;

            if (check_metric(&e, f->name, f->type, m, utf8_names) != 0)
                continue;
            h = store_series_hash(f->name, m);
            if (sm_get(&local, NULL, 0, h) != NULL ||
                store_series_count(st, h) > (uint32_t)(uintptr_t)sm_get(&rem_series, NULL, 0, h)) {
                report_duplicate(&e, f->name, m);
                continue;
            }
            sm_put(&local, NULL, 0, h, (void *)1);
        }
    }
    sm_free(&fv.pushed);
    sm_free(&fv.removed);
    sm_free(&rem_series);
    sm_free(&local);
    *err = errs_finish(&e);
    return *err == NULL ? 0 : -1;
}

int
check_has_timestamps(const struct family_list *fams)
{
    size_t i, j;

    for (i = 0; i < fams->n; i++)
        for (j = 0; j < fams->v[i]->nmetrics; j++)
            if (fams->v[i]->metrics[j].has_timestamp)
                return 1;
    return 0;
}

int
check_push(const struct store *st, const struct grouping_key *key, const struct family_list *fams,
           int replace, int utf8_names, char **err)
{
    struct group *g = store_group(st, key);
    struct metric_family **eff = xreallocarray(NULL, fams->n + 2, sizeof(*eff));
    struct stored_family **removed = NULL;
    struct metric_family *push_time, *push_failure = NULL;
    size_t neff = 0, nremoved = 0, i;
    int rc;

    /* The families the group will hold afterwards that are new: see store_push(). */
    for (i = 0; i < fams->n; i++) {
        const char *n = fams->v[i]->name;
        if (strcmp(n, PUSH_TIME_NAME) == 0 || (g == NULL && strcmp(n, PUSH_FAILURE_TIME_NAME) == 0))
            continue;
        eff[neff++] = fams->v[i];
    }
    /* A group's own push_time_seconds only changes value: nothing to check then. */
    push_time = g != NULL && group_has_gateway_timestamp(g, key, PUSH_TIME_NAME)
                    ? NULL
                    : store_timestamp_family(PUSH_TIME_NAME, key, NULL);
    if (push_time != NULL)
        eff[neff++] = push_time;
    if (g == NULL || (group_family(g, PUSH_FAILURE_TIME_NAME) == NULL &&
                      family_list_find(fams, PUSH_FAILURE_TIME_NAME) == NULL)) {
        push_failure = store_timestamp_family(PUSH_FAILURE_TIME_NAME, key, NULL);
        eff[neff++] = push_failure;
    }
    if (g != NULL) {
        /* The pushed names in a map: a hostile push of k families into a group of m must
         * not cost k * m comparisons. */
        struct small_map names;

        sm_init(&names);
        for (i = 0; i < neff; i++)
            sm_put(&names, eff[i]->name, strlen(eff[i]->name), 0, eff[i]);
        removed = xreallocarray(NULL, g->nfams + 1, sizeof(*removed));
        for (i = 0; i < g->nfams; i++) {
            const char *n = g->fams[i]->mf->name;
            int ts_family =
                strcmp(n, PUSH_TIME_NAME) == 0 || strcmp(n, PUSH_FAILURE_TIME_NAME) == 0;
            int pushed = sm_get(&names, n, strlen(n), 0) != NULL;

            if ((replace && !ts_family) || pushed)
                removed[nremoved++] = g->fams[i];
        }
        sm_free(&names);
    }
    rc = check_effective(st, eff, neff, removed, nremoved, utf8_names, err);
    metric_family_free(push_time);
    metric_family_free(push_failure);
    free(eff);
    free(removed);
    return rc;
}

int
check_push_failed(const struct store *st, const struct grouping_key *key, int utf8_names)
{
    struct group *g = store_group(st, key);
    struct metric_family *eff[2];
    struct stored_family *removed[2] = {NULL, NULL};
    size_t neff = 0, nremoved = 0;
    const struct stored_family *old;
    char *err = NULL;
    int rc;

    eff[neff++] = store_timestamp_family(PUSH_FAILURE_TIME_NAME, key, NULL);
    if (g == NULL || group_family(g, PUSH_TIME_NAME) == NULL)
        eff[neff++] = store_timestamp_family(PUSH_TIME_NAME, key, NULL);
    if (g != NULL && (old = group_family(g, PUSH_FAILURE_TIME_NAME)) != NULL)
        removed[nremoved++] = (struct stored_family *)old;
    rc = check_effective(st, eff, neff, removed, nremoved, utf8_names, &err);
    while (neff > 0)
        metric_family_free(eff[--neff]);
    free(err);
    return rc;
}

static int
member_group_cmp(const void *a, const void *b)
{
    const struct group *ga = (*(struct stored_family *const *)a)->group;
    const struct group *gb = (*(struct stored_family *const *)b)->group;
    size_t n = ga->keylen < gb->keylen ? ga->keylen : gb->keylen;
    int c = memcmp(ga->keystr, gb->keystr, n);

    return c != 0 ? c : (ga->keylen < gb->keylen ? -1 : ga->keylen > gb->keylen);
}

int
check_store(struct store *st, int utf8_names, char **err)
{
    struct errs e = {NULL, 0, 0};
    struct hmap seen, names;
    struct famidx *const *fams;
    struct stored_family **members = NULL;
    size_t nfams, i, j, k, nown;
    const struct own_family *own = own_families(&nown);
    hmap_init(&seen);
    hmap_init(&names);
    /* Suffix checks see only names introduced before, as in upstream's gather order. */
    for (i = 0; i < nown; i++)
        hmap_put(&names, own[i].name, strlen(own[i].name), (void *)(uintptr_t)(own[i].type + 1));
    fams = store_families_sorted(st, &nfams);
    for (i = 0; i < nfams; i++) {
        const struct famidx *fi = fams[i];
        const struct own_family *of = own_family_find(fi->name);
        struct stored_family *sf;
        enum metric_type merged;
        size_t n = 0;

        members = xreallocarray(members, fi->nmembers + 1, sizeof(*members));
        for (sf = fi->members; sf != NULL; sf = sf->idx_next)
            members[n++] = sf;
        qsort(members, n, sizeof(*members), member_group_cmp);
        merged = members[0]->mf->type;
        if (of != NULL && of->type != merged) {
            errs_add(&e, "gathered metric family %s has type %s but should have %s", fi->name,
                     metric_type_enum(merged), metric_type_enum(of->type));
            continue;
        }
        if (of == NULL) {
            char *base = NULL;
            const char *suffix = split_suffix(fi->name, &base);
            int bad = 0;
            if (suffix != NULL) {
                uintptr_t bt = (uintptr_t)hmap_get(&names, base, strlen(base));
                if (bt == METRIC_SUMMARY + 1 && strcmp(suffix, "_bucket") != 0) {
                    errs_add(&e,
                             "collected metric named \"%s\" collides with previously collected "
                             "summary named \"%s\"",
                             fi->name, base);
                    bad = 1;
                } else if (bt == METRIC_HISTOGRAM + 1) {
                    errs_add(&e,
                             "collected metric named \"%s\" collides with previously collected "
                             "histogram named \"%s\"",
                             fi->name, base);
                    bad = 1;
                }
            }
            free(base);
            if (bad)
                continue;
            hmap_put(&names, fi->name, strlen(fi->name), (void *)(uintptr_t)(merged + 1));
        }
        for (k = 0; k < n; k++) {
            const struct metric_family *mf = members[k]->mf;
            for (j = 0; j < mf->nmetrics; j++) {
                const struct metric *m = &mf->metrics[j];
                uint64_t h;
                if (check_metric(&e, mf->name, merged, m, utf8_names) != 0)
                    continue;
                h = store_series_hash(mf->name, m);
                if (hmap_get_u64(&seen, h) != NULL) {
                    report_duplicate(&e, mf->name, m);
                    continue;
                }
                hmap_put_u64(&seen, h, (void *)1);
            }
        }
    }
    free(members);
    hmap_free(&seen);
    hmap_free(&names);
    *err = errs_finish(&e);
    return *err == NULL ? 0 : -1;
}
