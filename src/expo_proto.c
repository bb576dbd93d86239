/* expo_proto.c - length-delimited protobuf (io.prometheus.client.MetricFamily) output */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expo_proto.h"
#include "xmalloc.h"

/* Protobuf wire types. */
#define WT_VARINT 0
#define WT_FIXED64 1
#define WT_LEN 2

/* Field numbers of client_model v0.6.2 (proto/metrics.proto). */
enum {
    F_FAMILY_NAME = 1,
    F_FAMILY_HELP = 2,
    F_FAMILY_TYPE = 3,
    F_FAMILY_METRIC = 4,
    F_METRIC_LABEL = 1,
    F_METRIC_GAUGE = 2,
    F_METRIC_COUNTER = 3,
    F_METRIC_SUMMARY = 4,
    F_METRIC_UNTYPED = 5,
    F_METRIC_TIMESTAMP = 6,
    F_METRIC_HISTOGRAM = 7,
    F_HIST_COUNT = 1,
    F_HIST_SUM = 2,
    F_HIST_BUCKET = 3,
    F_HIST_COUNT_FLOAT = 4,
    F_HIST_SCHEMA = 5,
    F_HIST_ZERO_THRESHOLD = 6,
    F_HIST_ZERO_COUNT = 7,
    F_HIST_ZERO_COUNT_FLOAT = 8,
    F_HIST_NEG_SPAN = 9,
    F_HIST_NEG_DELTA = 10,
    F_HIST_NEG_COUNT = 11,
    F_HIST_POS_SPAN = 12,
    F_HIST_POS_DELTA = 13,
    F_HIST_POS_COUNT = 14,
};

/* Is v anything but +0.0 (so that -0.0 survives a round trip)? */
static int
nonzero(double v)
{
    static const double zero = 0.0;

    return memcmp(&v, &zero, sizeof(v)) != 0;
}

/* Append a base-128 varint. */
static void
put_varint(struct strbuf *out, uint64_t v)
{
    char tmp[10];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    tmp[n++] = (char)v;
    strbuf_add(out, tmp, n);
}

static void
put_tag(struct strbuf *out, unsigned field, unsigned wire_type)
{
    put_varint(out, ((uint64_t)field << 3) | wire_type);
}

static void
put_uint(struct strbuf *out, unsigned field, uint64_t v)
{
    put_tag(out, field, WT_VARINT);
    put_varint(out, v);
}

/* A sint32/sint64 field: zigzag encoding. */
static void
put_sint(struct strbuf *out, unsigned field, int64_t v)
{
    uint64_t u = (uint64_t)v;

    put_uint(out, field, (u << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

/* A double field: fixed64, little-endian. */
static void
put_double(struct strbuf *out, unsigned field, double v)
{
    unsigned char b[8];
    uint64_t u;
    int i;

    memcpy(&u, &v, sizeof(u));
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    put_tag(out, field, WT_FIXED64);
    strbuf_add(out, b, 8);
}

/*
 * Start a length-delimited field (field 0: a bare delimited frame without a tag). One byte is
 * reserved for the length; end_len() widens it when the body turns out longer. Returns the
 * offset of the reserved byte.
 */
static size_t
begin_len(struct strbuf *out, unsigned field)
{
    if (field != 0)
        put_tag(out, field, WT_LEN);
    strbuf_addch(out, '\0');
    return out->len - 1;
}

/* Finish a field started by begin_len(): write the body length in front of the body. */
static void
end_len(struct strbuf *out, size_t mark)
{
    size_t len = out->len - mark - 1, k = 1, i;
    uint64_t v;

    for (v = len; v >= 0x80; v >>= 7)
        k++;
    if (k > 1) {
        strbuf_grow(out, k - 1);
        memmove(out->data + mark + k, out->data + mark + 1, len);
        out->len += k - 1;
        out->data[out->len] = '\0';
    }
    for (v = len, i = 0; i < k; i++, v >>= 7)
        out->data[mark + i] = (char)((v & 0x7f) | (i + 1 < k ? 0x80 : 0));
}

static void
put_string(struct strbuf *out, unsigned field, const char *s)
{
    size_t n = strlen(s);

    put_tag(out, field, WT_LEN);
    put_varint(out, n);
    strbuf_add(out, s, n);
}

/* A name field, escaped by esc. */
static void
put_name(struct strbuf *out, unsigned field, const char *name, enum name_escaping esc)
{
    size_t mark;

    if (!name_needs_escaping(name, esc)) {
        put_string(out, field, name);
        return;
    }
    mark = begin_len(out, field);
    name_escape_append(out, name, esc);
    end_len(out, mark);
}

/* A message holding a single double (Gauge, Counter, Untyped). */
static void
put_value_msg(struct strbuf *out, unsigned field, double v)
{
    size_t mark = begin_len(out, field);

    put_double(out, 1, v);
    end_len(out, mark);
}

static void
put_spans(struct strbuf *out, unsigned field, const struct bucket_span *v, size_t n)
{
    size_t i, mark;

    for (i = 0; i < n; i++) {
        mark = begin_len(out, field);
        put_sint(out, 1, v[i].offset);
        put_uint(out, 2, v[i].length);
        end_len(out, mark);
    }
}

/* The native part of a Histogram message (fields 5-14). */
static void
put_native(struct strbuf *out, const struct native_histogram *nh)
{
    size_t i;

    put_sint(out, F_HIST_SCHEMA, nh->schema);
    put_double(out, F_HIST_ZERO_THRESHOLD, nh->zero_threshold);
    put_uint(out, F_HIST_ZERO_COUNT, nh->zero_count);
    if (nonzero(nh->zero_count_float))
        put_double(out, F_HIST_ZERO_COUNT_FLOAT, nh->zero_count_float);
    put_spans(out, F_HIST_NEG_SPAN, nh->neg_spans, nh->nneg_spans);
    for (i = 0; i < nh->nneg_deltas; i++)
        put_sint(out, F_HIST_NEG_DELTA, nh->neg_deltas[i]);
    for (i = 0; i < nh->nneg_counts; i++)
        put_double(out, F_HIST_NEG_COUNT, nh->neg_counts[i]);
    put_spans(out, F_HIST_POS_SPAN, nh->pos_spans, nh->npos_spans);
    for (i = 0; i < nh->npos_deltas; i++)
        put_sint(out, F_HIST_POS_DELTA, nh->pos_deltas[i]);
    for (i = 0; i < nh->npos_counts; i++)
        put_double(out, F_HIST_POS_COUNT, nh->pos_counts[i]);
}

static void
put_histogram(struct strbuf *out, const struct metric *m)
{
    size_t mark = begin_len(out, F_METRIC_HISTOGRAM), i, bm;

    put_uint(out, F_HIST_COUNT, m->count);
    put_double(out, F_HIST_SUM, m->sum);
    for (i = 0; i < m->nbuckets; i++) {
        const struct bucket *b = &m->buckets[i];

        bm = begin_len(out, F_HIST_BUCKET);
        put_uint(out, 1, b->count);
        put_double(out, 2, b->upper_bound);
        if (nonzero(b->count_float))
            put_double(out, 4, b->count_float);
        end_len(out, bm);
    }
    if (nonzero(m->count_float))
        put_double(out, F_HIST_COUNT_FLOAT, m->count_float);
    if (m->native != NULL)
        put_native(out, m->native);
    end_len(out, mark);
}

static void
put_summary(struct strbuf *out, const struct metric *m)
{
    size_t mark = begin_len(out, F_METRIC_SUMMARY), i, qm;

    put_uint(out, 1, m->count);
    put_double(out, 2, m->sum);
    for (i = 0; i < m->nquantiles; i++) {
        qm = begin_len(out, 3);
        put_double(out, 1, m->quantiles[i].quantile);
        put_double(out, 2, m->quantiles[i].value);
        end_len(out, qm);
    }
    end_len(out, mark);
}

/* One Metric message (field 4 of MetricFamily). */
static void
put_metric(struct strbuf *out, const struct metric *m, enum name_escaping esc)
{
    size_t mark = begin_len(out, F_FAMILY_METRIC), i, lm;

    for (i = 0; i < m->nlabels; i++) {
        lm = begin_len(out, F_METRIC_LABEL);
        put_name(out, 1, m->labels[i].name, esc);
        put_string(out, 2, m->labels[i].value);
        end_len(out, lm);
    }
    switch (m->kind) {
    case METRIC_GAUGE:
        put_value_msg(out, F_METRIC_GAUGE, m->value);
        break;
    case METRIC_COUNTER:
        put_value_msg(out, F_METRIC_COUNTER, m->value);
        break;
    case METRIC_SUMMARY:
        put_summary(out, m);
        break;
    case METRIC_UNTYPED:
        put_value_msg(out, F_METRIC_UNTYPED, m->value);
        break;
    default:
        break;
    }
    if (m->has_timestamp)
        put_uint(out, F_METRIC_TIMESTAMP, (uint64_t)m->timestamp_ms);
    if (m->kind == METRIC_HISTOGRAM || m->kind == METRIC_GAUGE_HISTOGRAM)
        put_histogram(out, m);
    end_len(out, mark);
}

void
expo_proto_family(struct strbuf *out, const char *name, const char *help, enum metric_type type,
                  const struct metric *const *metrics, size_t n, enum name_escaping esc)
{
    size_t frame = begin_len(out, 0), i;

    put_name(out, F_FAMILY_NAME, name, esc);
    if (help != NULL)
        put_string(out, F_FAMILY_HELP, help);
    put_uint(out, F_FAMILY_TYPE, (uint64_t)type);
    for (i = 0; i < n; i++)
        put_metric(out, metrics[i], esc);
    end_len(out, frame);
}

void
expo_proto_family_list(struct strbuf *out, const struct family_list *fl)
{
    size_t i, frame, j;

    for (i = 0; i < fl->n; i++) {
        const struct metric_family *mf = fl->v[i];

        frame = begin_len(out, 0);
        put_name(out, F_FAMILY_NAME, mf->name, ESCAPE_ALLOW_UTF8);
        if (mf->help != NULL)
            put_string(out, F_FAMILY_HELP, mf->help);
        put_uint(out, F_FAMILY_TYPE, (uint64_t)mf->type);
        for (j = 0; j < mf->nmetrics; j++)
            put_metric(out, &mf->metrics[j], ESCAPE_ALLOW_UTF8);
        end_len(out, frame);
    }
}

/*
 * Encode every metric of a stored family into its cache (struct stored_family.proto) for
 * scheme esc, exactly as put_metric() writes it into a MetricFamily. The cache is a
 * reader-side memo (see struct render_cache). scratch and off are buffers to encode
 * in (kept by the caller across families), so that the cache is allocated once at its exact
 * size.
 */
static void
fill_proto_cache(struct stored_family *sf, enum name_escaping esc, struct strbuf *scratch,
                 size_t **off, size_t *off_cap)
{
    size_t i, n = sf->mf->nmetrics;

    if (n + 1 > *off_cap) {
        *off_cap = n + 1 > 2 * *off_cap ? n + 1 : 2 * *off_cap;
        *off = xreallocarray(*off, *off_cap, sizeof(**off));
    }
    strbuf_reset(scratch);
    for (i = 0; i < n; i++) {
        (*off)[i] = scratch->len;
        put_metric(scratch, &sf->mf->metrics[i], esc);
    }
    (*off)[n] = scratch->len;
    free(sf->proto);
    sf->proto = render_cache_new((int)esc, *off, n, scratch->data);
}

/*
 * The same bytes as expo_proto_family() for every gathered family, but the stored series are
 * copied from their family's cache (encoded by the first scrape after the family changed).
 * Each family is done in two passes: the first sums the length of the MetricFamily message
 * (header, cached metrics, own metrics encoded into a side buffer), so that the length
 * prefix is written in front of the body at once instead of moving the body behind it.
 */
void
gather_render_proto(const struct gather *g, enum name_escaping esc, struct strbuf *out)
{
    struct strbuf side = STRBUF_INIT, scratch = STRBUF_INIT;
    size_t *ownoff = NULL, ownoff_cap = 0, *off = NULL, off_cap = 0, i, j;
    const struct series_node **ser = NULL; /* the family's series in order (pass 1) */
    size_t nser, ser_cap = 0;
    struct gather_iter gi;
    const struct series_node *sn;
    const struct metric *m;

    for (i = 0; i < g->n; i++) {
        const struct gathered_family *gf = &g->v[i];
        size_t head, len, mlen, nown = 0;

        /* Pass 1: the header and the own metrics into side, the length of everything. */
        strbuf_reset(&side);
        put_name(&side, F_FAMILY_NAME, gf->name, esc);
        if (gf->help != NULL)
            put_string(&side, F_FAMILY_HELP, gf->help);
        put_uint(&side, F_FAMILY_TYPE, (uint64_t)gf->type);
        head = side.len;
        len = 0;
        nser = 0;
        gather_iter_init(&gi, gf);
        while (gather_iter_next(&gi, &m, &sn)) {
            struct stored_family *sf;

            /* Pass 2 goes over the same series: keep them rather than walk the store again. */
            if (nser == ser_cap) {
                ser_cap = ser_cap != 0 ? 2 * ser_cap : 256;
                ser = xreallocarray(ser, ser_cap, sizeof(*ser));
            }
            if (sn != NULL) {
                sf = sn->sf;
                if (sf->proto == NULL || sf->proto->esc != (int)esc)
                    fill_proto_cache(sf, esc, &scratch, &off, &off_cap);
                if (sf->proto == NULL)
                    sn = NULL; /* over 4 GiB: not cached, encoded like an own metric */
            }
            ser[nser++] = sn;
            if (sn == NULL) {
                if (nown + 2 > ownoff_cap) {
                    ownoff_cap = ownoff_cap != 0 ? 2 * ownoff_cap : 16;
                    ownoff = xreallocarray(ownoff, ownoff_cap, sizeof(*ownoff));
                }
                ownoff[nown++] = side.len;
                put_metric(&side, m, esc);
                continue;
            }
            render_cache_get(sn->sf->proto, series_node_index(sn), &mlen);
            len += mlen;
        }
        gather_iter_done(&gi);
        if (nown > 0)
            ownoff[nown] = side.len;
        len += side.len;

        /* Pass 2: the length prefix, the header, the metrics in order. */
        put_varint(out, len);
        strbuf_grow(out, len);
        strbuf_add(out, side.data, head);
        nown = 0;
        for (j = 0; j < nser; j++) {
            sn = ser[j];
            if (sn == NULL) {
                strbuf_add(out, side.data + ownoff[nown], ownoff[nown + 1] - ownoff[nown]);
                nown++;
            } else {
                const char *bytes = render_cache_get(sn->sf->proto, series_node_index(sn), &mlen);

                strbuf_add(out, bytes, mlen);
            }
        }
    }
    free(ownoff);
    free(off);
    free(ser);
    strbuf_free(&side);
    strbuf_free(&scratch);
}
