/* protoparse.c - decoder for protobuf push bodies (delimited io.prometheus.client.MetricFamily) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goquote.h"
#include "hmap.h"
#include "metrics.pb-c.h"
#include "protoparse.h"
#include "strbuf.h"
#include "xmalloc.h"

typedef Io__Prometheus__Client__MetricFamily PbFamily;
typedef Io__Prometheus__Client__Metric PbMetric;
typedef Io__Prometheus__Client__Histogram PbHistogram;
typedef Io__Prometheus__Client__BucketSpan PbSpan;

/* Why a conversion failed. */
enum conv_error {
    CONV_OK,
    CONV_NUL,  /* a string holds a NUL byte */
    CONV_NAME, /* the metric name is not acceptable */
};

/* Copy a bytes field into a C string ("" when absent); -1 if it holds a NUL byte. */
static int
copy_string(const ProtobufCBinaryData *b, char **out)
{
    if (b->len > 0 && memchr(b->data, '\0', b->len) != NULL)
        return -1;
    *out = xstrndup(b->len > 0 ? (const char *)b->data : "", b->len);
    return 0;
}

/* The kind a pushed metric carries (see protoparse.h). */
static enum metric_type
pick_kind(const PbMetric *pm, enum metric_type type)
{
    switch (type) {
    case METRIC_COUNTER:
        if (pm->counter != NULL)
            return METRIC_COUNTER;
        break;
    case METRIC_GAUGE:
        if (pm->gauge != NULL)
            return METRIC_GAUGE;
        break;
    case METRIC_SUMMARY:
        if (pm->summary != NULL)
            return METRIC_SUMMARY;
        break;
    case METRIC_UNTYPED:
        if (pm->untyped != NULL)
            return METRIC_UNTYPED;
        break;
    case METRIC_HISTOGRAM:
    case METRIC_GAUGE_HISTOGRAM:
        if (pm->histogram != NULL)
            return type;
        break;
    }
    if (pm->counter != NULL)
        return METRIC_COUNTER;
    if (pm->gauge != NULL)
        return METRIC_GAUGE;
    if (pm->summary != NULL)
        return METRIC_SUMMARY;
    if (pm->untyped != NULL)
        return METRIC_UNTYPED;
    if (pm->histogram != NULL)
        return METRIC_HISTOGRAM;
    if (type == METRIC_GAUGE_HISTOGRAM)
        return METRIC_GAUGE_HISTOGRAM;
    return type == METRIC_UNTYPED ? METRIC_GAUGE : METRIC_UNTYPED;
}

/* Copy n spans into an owned array (NULL when there are none). */
static struct bucket_span *
copy_spans(PbSpan *const *v, size_t n)
{
    struct bucket_span *s;
    size_t i;

    if (n == 0)
        return NULL;
    s = xreallocarray(NULL, n, sizeof(*s));
    for (i = 0; i < n; i++) {
        s[i].offset = v[i]->offset;
        s[i].length = v[i]->length;
    }
    return s;
}

/* Copy an array of n elements of size sz (NULL when there are none). */
static void *
copy_array(const void *v, size_t n, size_t sz)
{
    void *p;

    if (n == 0)
        return NULL;
    p = xreallocarray(NULL, n, sz);
    memcpy(p, v, n * sz);
    return p;
}

/* The native part of a histogram, or NULL when no native field is present. */
static struct native_histogram *
convert_native(const PbHistogram *h)
{
    struct native_histogram *nh;

    if (!h->has_schema && !h->has_zero_threshold && !h->has_zero_count &&
        !h->has_zero_count_float && h->n_negative_span == 0 && h->n_negative_delta == 0 &&
        h->n_negative_count == 0 && h->n_positive_span == 0 && h->n_positive_delta == 0 &&
        h->n_positive_count == 0)
        return NULL;
    nh = xcalloc(1, sizeof(*nh));
    nh->schema = h->schema;
    nh->zero_threshold = h->zero_threshold;
    nh->zero_count = h->zero_count;
    nh->zero_count_float = h->zero_count_float;
    nh->neg_spans = copy_spans(h->negative_span, h->n_negative_span);
    nh->nneg_spans = h->n_negative_span;
    nh->neg_deltas = copy_array(h->negative_delta, h->n_negative_delta, sizeof(int64_t));
    nh->nneg_deltas = h->n_negative_delta;
    nh->neg_counts = copy_array(h->negative_count, h->n_negative_count, sizeof(double));
    nh->nneg_counts = h->n_negative_count;
    nh->pos_spans = copy_spans(h->positive_span, h->n_positive_span);
    nh->npos_spans = h->n_positive_span;
    nh->pos_deltas = copy_array(h->positive_delta, h->n_positive_delta, sizeof(int64_t));
    nh->npos_deltas = h->n_positive_delta;
    nh->pos_counts = copy_array(h->positive_count, h->n_positive_count, sizeof(double));
    nh->npos_counts = h->n_positive_count;
    return nh;
}

/* Fill the value fields of m from the message of its kind. */
static void
convert_values(struct metric *m, const PbMetric *pm)
{
    size_t i;

    switch (m->kind) {
    case METRIC_COUNTER:
        m->value = pm->counter != NULL ? pm->counter->value : 0;
        break;
    case METRIC_GAUGE:
        m->value = pm->gauge != NULL ? pm->gauge->value : 0;
        break;
    case METRIC_UNTYPED:
        m->value = pm->untyped != NULL ? pm->untyped->value : 0;
        break;
    case METRIC_SUMMARY:
        m->count = pm->summary->sample_count;
        m->sum = pm->summary->sample_sum;
        if (pm->summary->n_quantile > 0) {
            m->quantiles = xreallocarray(NULL, pm->summary->n_quantile, sizeof(*m->quantiles));
            for (i = 0; i < pm->summary->n_quantile; i++) {
                m->quantiles[i].quantile = pm->summary->quantile[i]->quantile;
                m->quantiles[i].value = pm->summary->quantile[i]->value;
            }
            m->nquantiles = pm->summary->n_quantile;
        }
        break;
    case METRIC_HISTOGRAM:
    case METRIC_GAUGE_HISTOGRAM: {
        const PbHistogram *h = pm->histogram;

        if (h == NULL)
            break;
        m->count = h->sample_count;
        m->count_float = h->sample_count_float;
        m->sum = h->sample_sum;
        if (h->n_bucket > 0) {
            m->buckets = xreallocarray(NULL, h->n_bucket, sizeof(*m->buckets));
            for (i = 0; i < h->n_bucket; i++) {
                m->buckets[i].upper_bound = h->bucket[i]->upper_bound;
                m->buckets[i].count = h->bucket[i]->cumulative_count;
                m->buckets[i].count_float = h->bucket[i]->cumulative_count_float;
            }
            m->nbuckets = h->n_bucket;
        }
        m->native = convert_native(h);
        break;
    }
    }
}

/* Convert one pushed metric into m (zeroed by the caller). */
static enum conv_error
convert_metric(struct metric *m, const PbMetric *pm, enum metric_type type)
{
    size_t i;

    if (pm->n_label > 0) {
        m->labels = xcalloc(pm->n_label, sizeof(*m->labels));
        for (i = 0; i < pm->n_label; i++) {
            m->nlabels++;
            if (copy_string(&pm->label[i]->name, &m->labels[i].name) != 0 ||
                copy_string(&pm->label[i]->value, &m->labels[i].value) != 0) {
                if (m->labels[i].name == NULL)
                    m->labels[i].name = xstrdup("");
                if (m->labels[i].value == NULL)
                    m->labels[i].value = xstrdup("");
                return CONV_NUL;
            }
        }
    }
    m->has_timestamp = pm->has_timestamp_ms;
    m->timestamp_ms = pm->timestamp_ms;
    m->kind = pick_kind(pm, type);
    convert_values(m, pm);
    return CONV_OK;
}

/* Is the metric name acceptable under the configured validation (see protoparse.h)? */
static int
name_ok(const char *name, int utf8_names)
{
    size_t n = strlen(name);

    if (utf8_names)
        return n > 0 && utf8_valid(name, n);
    return metric_name_valid_legacy(name, n);
}

/* Convert one decoded family; on failure *out is NULL. */
static enum conv_error
convert_family(const PbFamily *pf, int utf8_names, struct metric_family **out)
{
    struct metric_family *mf;
    enum metric_type type = METRIC_COUNTER;
    char *name;
    size_t i;

    *out = NULL;
    if (copy_string(&pf->name, &name) != 0)
        return CONV_NUL;
    if (!name_ok(name, utf8_names)) {
        *out = metric_family_new(name, METRIC_COUNTER); /* carries the name to the message */
        free(name);
        return CONV_NAME;
    }
    /* proto2 enums are closed: an unknown value leaves the field unset, i.e. COUNTER. */
    if (pf->has_type && (int)pf->type >= 0 && (int)pf->type <= METRIC_TYPE_MAX)
        type = (enum metric_type)(int)pf->type;
    mf = metric_family_new(name, type);
    free(name);
    if (pf->has_help && copy_string(&pf->help, &mf->help) != 0) {
        metric_family_free(mf);
        return CONV_NUL;
    }
    if (pf->n_metric > 0) {
        mf->metrics = xcalloc(pf->n_metric, sizeof(*mf->metrics));
        for (i = 0; i < pf->n_metric; i++) {
            mf->nmetrics++;
            if (convert_metric(&mf->metrics[i], pf->metric[i], type) != CONV_OK) {
                metric_family_free(mf);
                return CONV_NUL;
            }
        }
    }
    *out = mf;
    return CONV_OK;
}

/*
 * Read a varint at *pos (binary.ReadUvarint). Returns 0, -1 when the input ends inside it,
 * -2 when it overflows 64 bits.
 */
static int
read_varint(const unsigned char *p, size_t len, size_t *pos, uint64_t *v)
{
    unsigned shift = 0;
    size_t i;

    *v = 0;
    for (i = 0;; i++) {
        unsigned char b;

        if (*pos >= len)
            return -1;
        b = p[(*pos)++];
        if (i == 9 && b > 1)
            return -2;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80)
            return 0;
        shift += 7;
    }
}

/* Add mf to the result, replacing an earlier family of the same name in its place. */
static void
add_family(struct family_list *fl, struct hmap *index, struct metric_family *mf)
{
    size_t n = strlen(mf->name);
    void *prev = hmap_get(index, mf->name, n);

    if (prev != NULL) {
        size_t i = (size_t)(uintptr_t)prev - 1;

        hmap_del(index, mf->name, n); /* its key points into the family being replaced */
        metric_family_free(fl->v[i]);
        fl->v[i] = mf;
        hmap_put(index, mf->name, n, prev);
        return;
    }
    family_list_add(fl, mf);
    hmap_put(index, mf->name, n, (void *)(uintptr_t)fl->n);
}

int
protoparse(const char *buf, size_t len, int utf8_names, struct family_list *out, char **err)
{
    const unsigned char *p = (const unsigned char *)buf;
    struct family_list fl;
    struct hmap index;
    size_t pos = 0, frame = 0, i;
    int rc = 0;

    *err = NULL;
    family_list_init(&fl);
    hmap_init(&index);
    while (pos < len) {
        struct metric_family *mf;
        enum conv_error ce;
        PbFamily *pf;
        uint64_t size;
        int vr;

        frame++;
        vr = read_varint(p, len, &pos, &size);
        if (vr == -2) {
            *err = xstrdup("binary: varint overflows a 64-bit integer");
            rc = -1;
            break;
        }
        if (vr != 0 || size > len - pos) {
            *err = xstrdup("unexpected EOF");
            rc = -1;
            break;
        }
        pf = io__prometheus__client__metric_family__unpack(NULL, (size_t)size, p + pos);
        pos += (size_t)size;
        if (pf == NULL) {
            *err = xasprintf("invalid protobuf message in frame %zu", frame);
            rc = -1;
            break;
        }
        ce = convert_family(pf, utf8_names, &mf);
        io__prometheus__client__metric_family__free_unpacked(pf, NULL);
        if (ce == CONV_NAME) {
            struct strbuf sb = STRBUF_INIT;

            strbuf_addstr(&sb, "invalid metric name ");
            goquote_append(&sb, mf->name, strlen(mf->name));
            metric_family_free(mf);
            *err = strbuf_detach(&sb, NULL);
            rc = -1;
            break;
        }
        if (ce != CONV_OK) {
            *err = xasprintf("invalid protobuf message in frame %zu: a string holds a NUL byte",
                             frame);
            rc = -1;
            break;
        }
        add_family(&fl, &index, mf);
    }
    hmap_free(&index);
    if (rc != 0) {
        family_list_free(&fl);
        return -1;
    }
    for (i = 0; i < fl.n; i++)
        family_list_add(out, fl.v[i]);
    free(fl.v);
    return 0;
}
