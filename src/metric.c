/* metric.c - metric data model: constructors, copies, name rules */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "metric.h"
#include "xmalloc.h"

/* An interned string: the characters follow the header, so a string finds its header. */
struct istr {
    uint32_t refs;
    uint32_t len;
    char data[];
};

static struct hmap interned; /* data -> struct istr */
static size_t interned_bytes;

/*
 * The strings interned last, by a cheap hash of length and end bytes: a push repeats its
 * label names, its grouping values and its family names in every series, and most of them
 * were interned by the previous push, so a compare here saves a SipHash and a probe. A slot
 * is cleared when its string is freed.
 */
#define INTERN_MEMO 64
static struct istr *intern_memo[INTERN_MEMO];

static unsigned
intern_memo_slot(const char *s, size_t len)
{
    unsigned h = (unsigned)len * 31u;

    if (len > 0)
        h +=
            (unsigned char)s[0] * 7u + (unsigned char)s[len - 1] * 131u + (unsigned char)s[len / 2];
    return h & (INTERN_MEMO - 1);
}

/* The shared copy of s (reference taken). */
static char *
intern_get(const char *s)
{
    size_t len = strlen(s);
    unsigned slot = intern_memo_slot(s, len);
    struct istr *is = intern_memo[slot];

    if (is != NULL && is->len == len && memcmp(is->data, s, len) == 0) {
        is->refs++;
        return is->data;
    }
    is = hmap_get(&interned, s, len);
    if (is == NULL) {
        is = xmalloc(sizeof(*is) + len + 1);
        is->refs = 0;
        is->len = (uint32_t)len;
        memcpy(is->data, s, len + 1);
        hmap_put(&interned, is->data, len, is);
        interned_bytes += len + 1;
    }
    intern_memo[slot] = is;
    is->refs++;
    return is->data;
}

/* Drop a reference to an interned string; NULL is fine. */
static void
intern_put(char *s)
{
    struct istr *is;

    if (s == NULL)
        return;
    is = (struct istr *)(s - offsetof(struct istr, data));
    if (--is->refs == 0) {
        unsigned slot = intern_memo_slot(is->data, is->len);

        if (intern_memo[slot] == is)
            intern_memo[slot] = NULL;
        hmap_del(&interned, is->data, is->len);
        interned_bytes -= is->len + 1;
        free(is);
    }
}

/* Swap a heap string for its interned copy. */
static void
intern_swap(char **s)
{
    char *shared;

    if (*s == NULL)
        return;
    shared = intern_get(*s);
    free(*s);
    *s = shared;
}

char *
intern_str(const char *s)
{
    return intern_get(s);
}

void
intern_release(char *s)
{
    intern_put(s);
}

size_t
intern_count(size_t *bytes)
{
    if (bytes != NULL)
        *bytes = interned_bytes;
    return interned.len;
}

static const char *const type_text[] = {"counter", "gauge",     "summary",
                                        "untyped", "histogram", "histogram"};
static const char *const type_enum[] = {"COUNTER", "GAUGE",     "SUMMARY",
                                        "UNTYPED", "HISTOGRAM", "GAUGE_HISTOGRAM"};

const char *
metric_type_text(enum metric_type t)
{
    return (unsigned)t <= METRIC_TYPE_MAX ? type_text[t] : "untyped";
}

const char *
metric_type_enum(enum metric_type t)
{
    return (unsigned)t <= METRIC_TYPE_MAX ? type_enum[t] : "UNTYPED";
}

struct metric_family *
metric_family_new(const char *name, enum metric_type type)
{
    struct metric_family *mf = xcalloc(1, sizeof(*mf));

    mf->name = xstrdup(name);
    mf->type = type;
    return mf;
}

/* Free a native histogram part; NULL is fine. */
static void
native_free(struct native_histogram *nh)
{
    if (nh == NULL)
        return;
    free(nh->neg_spans);
    free(nh->neg_deltas);
    free(nh->neg_counts);
    free(nh->pos_spans);
    free(nh->pos_deltas);
    free(nh->pos_counts);
    free(nh);
}

/* Copy n elements of size sz, or NULL when there are none. */
static void *
dup_array(const void *src, size_t n, size_t sz)
{
    void *p;

    if (n == 0)
        return NULL;
    p = xreallocarray(NULL, n, sz);
    memcpy(p, src, n * sz);
    return p;
}

static struct native_histogram *
native_dup(const struct native_histogram *src)
{
    struct native_histogram *nh;

    if (src == NULL)
        return NULL;
    nh = xmalloc(sizeof(*nh));
    *nh = *src;
    nh->neg_spans = dup_array(src->neg_spans, src->nneg_spans, sizeof(*src->neg_spans));
    nh->neg_deltas = dup_array(src->neg_deltas, src->nneg_deltas, sizeof(*src->neg_deltas));
    nh->neg_counts = dup_array(src->neg_counts, src->nneg_counts, sizeof(*src->neg_counts));
    nh->pos_spans = dup_array(src->pos_spans, src->npos_spans, sizeof(*src->pos_spans));
    nh->pos_deltas = dup_array(src->pos_deltas, src->npos_deltas, sizeof(*src->pos_deltas));
    nh->pos_counts = dup_array(src->pos_counts, src->npos_counts, sizeof(*src->pos_counts));
    return nh;
}

/* Free what a metric owns; its label strings are interned when `shared`. */
static void
metric_release(struct metric *m, int shared)
{
    size_t i;

    for (i = 0; i < m->nlabels; i++) {
        if (shared) {
            intern_put(m->labels[i].name);
            intern_put(m->labels[i].value);
        } else {
            free(m->labels[i].name);
            free(m->labels[i].value);
        }
    }
    free(m->labels);
    free(m->quantiles);
    free(m->buckets);
    native_free(m->native);
    memset(m, 0, sizeof(*m));
}

void
metric_clear(struct metric *m)
{
    metric_release(m, 0);
}

void
metric_family_intern(struct metric_family *mf)
{
    size_t i, j;

    if (mf->interned)
        return;
    intern_swap(&mf->name);
    intern_swap(&mf->help);
    for (i = 0; i < mf->nmetrics; i++) {
        struct metric *m = &mf->metrics[i];
        for (j = 0; j < m->nlabels; j++) {
            intern_swap(&m->labels[j].name);
            intern_swap(&m->labels[j].value);
        }
    }
    mf->interned = MF_INTERNED;
}

/* Bytes rounded up to the block's alignment (every part of a packed family starts aligned). */
#define PACK_ALIGN(n) (((n) + 7) & ~(size_t)7)

/* *off += PACK_ALIGN(n * size), overflow-checked; returns the old *off. */
static size_t
pack_reserve(size_t *off, size_t n, size_t size)
{
    size_t at = *off, bytes;

    if (size != 0 && n > (SIZE_MAX - 8) / size)
        abort();
    bytes = PACK_ALIGN(n * size);
    if (bytes > SIZE_MAX - at)
        abort();
    *off = at + bytes;
    return at;
}

/* Bytes of a packed native histogram part (the struct and its arrays). */
static size_t
native_packed_size(const struct native_histogram *nh)
{
    size_t off = 0;

    pack_reserve(&off, 1, sizeof(*nh));
    pack_reserve(&off, nh->nneg_spans, sizeof(*nh->neg_spans));
    pack_reserve(&off, nh->nneg_deltas, sizeof(*nh->neg_deltas));
    pack_reserve(&off, nh->nneg_counts, sizeof(*nh->neg_counts));
    pack_reserve(&off, nh->npos_spans, sizeof(*nh->pos_spans));
    pack_reserve(&off, nh->npos_deltas, sizeof(*nh->pos_deltas));
    pack_reserve(&off, nh->npos_counts, sizeof(*nh->pos_counts));
    return off;
}

/* Copy n elements of size sz to block + *off (advancing it), or NULL when there are none. */
static void *
pack_array(char *block, size_t *off, const void *src, size_t n, size_t sz)
{
    void *p;

    if (n == 0)
        return NULL;
    p = block + pack_reserve(off, n, sz);
    memcpy(p, src, n * sz);
    return p;
}

/* Copy a native histogram part into block + *off (advancing it). */
static struct native_histogram *
native_pack(char *block, size_t *off, const struct native_histogram *src)
{
    struct native_histogram *nh =
        (struct native_histogram *)(block + pack_reserve(off, 1, sizeof(*nh)));

    *nh = *src;
    nh->neg_spans =
        pack_array(block, off, src->neg_spans, src->nneg_spans, sizeof(*src->neg_spans));
    nh->neg_deltas =
        pack_array(block, off, src->neg_deltas, src->nneg_deltas, sizeof(*src->neg_deltas));
    nh->neg_counts =
        pack_array(block, off, src->neg_counts, src->nneg_counts, sizeof(*src->neg_counts));
    nh->pos_spans =
        pack_array(block, off, src->pos_spans, src->npos_spans, sizeof(*src->pos_spans));
    nh->pos_deltas =
        pack_array(block, off, src->pos_deltas, src->npos_deltas, sizeof(*src->pos_deltas));
    nh->pos_counts =
        pack_array(block, off, src->pos_counts, src->npos_counts, sizeof(*src->pos_counts));
    return nh;
}

struct metric_family *
metric_family_pack(struct metric_family *mf, size_t head, size_t per_metric, void **headp,
                   void **per_metricp)
{
    size_t off = 0, at_head, at_metrics, at_per, i;
    struct metric_family *pf;
    char *block;

    if (mf->interned == MF_PACKED)
        abort(); /* packed families are final */
    /* The strings first: the copy takes over mf's interned references. */
    metric_family_intern(mf);
    pack_reserve(&off, 1, sizeof(*mf));
    at_head = pack_reserve(&off, 1, head);
    at_metrics = pack_reserve(&off, mf->nmetrics, sizeof(*mf->metrics));
    at_per = pack_reserve(&off, mf->nmetrics, per_metric);
    for (i = 0; i < mf->nmetrics; i++) {
        const struct metric *m = &mf->metrics[i];

        pack_reserve(&off, m->nlabels, sizeof(*m->labels));
        pack_reserve(&off, m->nquantiles, sizeof(*m->quantiles));
        pack_reserve(&off, m->nbuckets, sizeof(*m->buckets));
        if (m->native != NULL) {
            size_t nsize = native_packed_size(m->native);

            if (nsize > SIZE_MAX - off)
                abort();
            off += nsize;
        }
    }
    block = xmalloc(off); /* every part is written below */
    memset(block + at_head, 0, at_metrics - at_head);
    memset(block + at_per, 0, mf->nmetrics * per_metric);
    pf = (struct metric_family *)block;
    *pf = *mf;
    pf->interned = MF_PACKED;
    pf->metrics = mf->nmetrics > 0 ? (struct metric *)(block + at_metrics) : NULL;
    if (headp != NULL)
        *headp = head > 0 ? block + at_head : NULL;
    if (per_metricp != NULL)
        *per_metricp = per_metric > 0 && mf->nmetrics > 0 ? block + at_per : NULL;
    /* Everything after the per-metric areas: the arrays, metric by metric. */
    off = at_per;
    pack_reserve(&off, mf->nmetrics, per_metric);
    for (i = 0; i < mf->nmetrics; i++) {
        struct metric *src = &mf->metrics[i], *dst = &pf->metrics[i];

        *dst = *src;
        dst->labels = pack_array(block, &off, src->labels, src->nlabels, sizeof(*src->labels));
        dst->quantiles =
            pack_array(block, &off, src->quantiles, src->nquantiles, sizeof(*src->quantiles));
        dst->buckets = pack_array(block, &off, src->buckets, src->nbuckets, sizeof(*src->buckets));
        dst->native = src->native != NULL ? native_pack(block, &off, src->native) : NULL;
        /* The label strings now belong to the copy: free only mf's containers. */
        free(src->labels);
        free(src->quantiles);
        free(src->buckets);
        native_free(src->native);
    }
    free(mf->metrics);
    free(mf);
    return pf;
}

void
metric_family_free(struct metric_family *mf)
{
    size_t i, j;

    if (mf == NULL)
        return;
    if (mf->interned == MF_PACKED) {
        /* One block: drop the string references; the arrays live in the block. */
        for (i = 0; i < mf->nmetrics; i++) {
            const struct metric *m = &mf->metrics[i];

            for (j = 0; j < m->nlabels; j++) {
                intern_put(m->labels[j].name);
                intern_put(m->labels[j].value);
            }
        }
        intern_put(mf->name);
        intern_put(mf->help);
        free(mf);
        return;
    }
    for (i = 0; i < mf->nmetrics; i++)
        metric_release(&mf->metrics[i], mf->interned);
    free(mf->metrics);
    if (mf->interned) {
        intern_put(mf->name);
        intern_put(mf->help);
    } else {
        free(mf->name);
        free(mf->help);
    }
    free(mf);
}

struct metric *
metric_family_add_metric(struct metric_family *mf, enum metric_type kind)
{
    struct metric *m;

    mf->metrics = xreallocarray(mf->metrics, mf->nmetrics + 1, sizeof(*mf->metrics));
    m = &mf->metrics[mf->nmetrics++];
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    return m;
}

void
metric_copy(struct metric *dst, const struct metric *src)
{
    size_t i;

    *dst = *src;
    dst->labels = NULL;
    dst->quantiles = dup_array(src->quantiles, src->nquantiles, sizeof(*src->quantiles));
    dst->buckets = dup_array(src->buckets, src->nbuckets, sizeof(*src->buckets));
    dst->native = native_dup(src->native);
    if (src->nlabels > 0) {
        dst->labels = xreallocarray(NULL, src->nlabels, sizeof(*dst->labels));
        for (i = 0; i < src->nlabels; i++) {
            dst->labels[i].name = xstrdup(src->labels[i].name);
            dst->labels[i].value = xstrdup(src->labels[i].value);
        }
    }
}

/* Bitwise equality of two doubles: a bound pushed as -0 or NaN is not "the same" as 0. */
static int
same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

int
metric_same_series(const struct metric *a, const struct metric *b)
{
    uint32_t i;

    if (a->kind != b->kind || a->nlabels != b->nlabels || a->has_timestamp != b->has_timestamp ||
        (a->has_timestamp && a->timestamp_ms != b->timestamp_ms) ||
        a->nquantiles != b->nquantiles || a->nbuckets != b->nbuckets || a->native != NULL ||
        b->native != NULL)
        return 0;
    for (i = 0; i < a->nlabels; i++)
        if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
            strcmp(a->labels[i].value, b->labels[i].value) != 0)
            return 0;
    for (i = 0; i < a->nquantiles; i++)
        if (!same_double(a->quantiles[i].quantile, b->quantiles[i].quantile))
            return 0;
    for (i = 0; i < a->nbuckets; i++)
        if (!same_double(a->buckets[i].upper_bound, b->buckets[i].upper_bound))
            return 0;
    return 1;
}

void
metric_copy_values(struct metric *dst, const struct metric *src)
{
    uint32_t i;

    dst->value = src->value;
    dst->count = src->count;
    dst->count_float = src->count_float;
    dst->sum = src->sum;
    for (i = 0; i < dst->nquantiles; i++)
        dst->quantiles[i].value = src->quantiles[i].value;
    for (i = 0; i < dst->nbuckets; i++) {
        dst->buckets[i].count = src->buckets[i].count;
        dst->buckets[i].count_float = src->buckets[i].count_float;
    }
}

struct metric_family *
metric_family_dup(const struct metric_family *mf)
{
    struct metric_family *c = metric_family_new(mf->name, mf->type);
    size_t i;

    if (mf->help != NULL)
        c->help = xstrdup(mf->help);
    if (mf->nmetrics > 0) {
        c->metrics = xreallocarray(NULL, mf->nmetrics, sizeof(*c->metrics));
        for (i = 0; i < mf->nmetrics; i++)
            metric_copy(&c->metrics[i], &mf->metrics[i]);
        c->nmetrics = mf->nmetrics;
    }
    return c;
}

void
metric_add_label(struct metric *m, const char *name, const char *value)
{
    m->labels = xreallocarray(m->labels, m->nlabels + 1, sizeof(*m->labels));
    m->labels[m->nlabels].name = xstrdup(name);
    m->labels[m->nlabels].value = xstrdup(value);
    m->nlabels++;
    m->ident_hash = 0;
}

const char *
metric_label(const struct metric *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->nlabels; i++)
        if (strcmp(m->labels[i].name, name) == 0)
            return m->labels[i].value;
    return NULL;
}

/* Stable merge sort of labels by name for big label sets (a hostile push can send 100k). */
static void
labels_merge_sort(struct label *v, size_t n)
{
    struct label *tmp = xreallocarray(NULL, n, sizeof(*tmp)), *src = v, *dst = tmp, *swap;
    size_t width, i;

    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            size_t a = i, mid = i + width < n ? i + width : n;
            size_t b = mid, end = i + 2 * width < n ? i + 2 * width : n, o = i;

            while (a < mid && b < end)
                dst[o++] = strcmp(src[b].name, src[a].name) < 0 ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < end)
                dst[o++] = src[b++];
        }
        swap = src;
        src = dst;
        dst = swap;
    }
    if (src != v)
        memcpy(v, src, n * sizeof(*v));
    free(tmp);
}

void
metric_sort_labels(struct metric *m)
{
    size_t i, j;
    struct label tmp;

    m->ident_hash = 0;
    if (m->nlabels > 32) {
        labels_merge_sort(m->labels, m->nlabels);
        return;
    }
    /* Insertion sort: label sets are small and the sort must be stable. */
    for (i = 1; i < m->nlabels; i++) {
        tmp = m->labels[i];
        for (j = i; j > 0 && strcmp(m->labels[j - 1].name, tmp.name) > 0; j--)
            m->labels[j] = m->labels[j - 1];
        m->labels[j] = tmp;
    }
}

void
family_list_init(struct family_list *fl)
{
    fl->v = NULL;
    fl->n = 0;
    fl->cap = 0;
}

void
family_list_free(struct family_list *fl)
{
    size_t i;

    for (i = 0; i < fl->n; i++)
        metric_family_free(fl->v[i]);
    free(fl->v);
    family_list_init(fl);
}

void
family_list_add(struct family_list *fl, struct metric_family *mf)
{
    if (fl->n == fl->cap) {
        fl->cap = fl->cap ? fl->cap * 2 : 8;
        fl->v = xreallocarray(fl->v, fl->cap, sizeof(*fl->v));
    }
    fl->v[fl->n++] = mf;
}

struct metric_family *
family_list_find(const struct family_list *fl, const char *name)
{
    size_t i;

    for (i = 0; i < fl->n; i++)
        if (strcmp(fl->v[i]->name, name) == 0)
            return fl->v[i];
    return NULL;
}

void
family_list_remove(struct family_list *fl, size_t i)
{
    metric_family_free(fl->v[i]);
    memmove(&fl->v[i], &fl->v[i + 1], (fl->n - i - 1) * sizeof(*fl->v));
    fl->n--;
}

static int
is_alpha_(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

int
metric_name_valid_legacy(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(is_alpha_(c) || c == ':' || (i > 0 && is_digit(c))))
            return 0;
    }
    return 1;
}

int
label_name_valid_legacy(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(is_alpha_(c) || (i > 0 && is_digit(c))))
            return 0;
    }
    return 1;
}

int
utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t len, k;

        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Reject overlong forms, surrogates and values past U+10FFFF (as Go does). */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        i += len;
    }
    return 1;
}
