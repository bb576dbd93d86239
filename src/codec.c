/* codec.c - binary encoding of keys, families, timestamps and mutations for the storage files */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "codec.h"
#include "xmalloc.h"

/* Metric presence flags (u16): which optional fields follow, in this order. */
#define MF_HAS_TIMESTAMP 0x0001u /* metric.has_timestamp (no data) */
#define MF_TIMESTAMP_MS 0x0002u  /* i64 timestamp_ms */
#define MF_VALUE 0x0004u         /* f64 value */
#define MF_COUNT 0x0008u         /* u64 count */
#define MF_COUNT_FLOAT 0x0010u   /* f64 count_float */
#define MF_SUM 0x0020u           /* f64 sum */
#define MF_QUANTILES 0x0040u     /* u32 n, n x (f64 quantile, f64 value) */
#define MF_BUCKETS 0x0080u       /* u32 n, n x (f64 upper_bound, u64 count, f64 count_float) */
#define MF_NATIVE 0x0100u        /* the native histogram part */
#define MF_KNOWN 0x01ffu

/* Minimum encoded sizes, to bound element counts by the bytes left before allocating. */
#define MIN_LABEL 8u   /* two empty strings */
#define MIN_METRIC 7u  /* u32 nlabels, u8 kind, u16 flags */
#define MIN_FAMILY 10u /* empty name, u8 help flag, u8 type, u32 nmetrics */

/* Mutation flags (u8) of a PUSH record. */
#define MUT_REPLACE 0x01u
#define MUT_UNCHECKED 0x02u
#define MUT_TTL 0x04u /* version 2: an i64 TTL in nanoseconds follows the families */

/* ---- encoding ---- */

void
codec_put_u8(struct strbuf *b, uint8_t v)
{
    strbuf_add(b, &v, 1);
}

void
codec_put_u16(struct strbuf *b, uint16_t v)
{
    unsigned char t[2];

    t[0] = (unsigned char)v;
    t[1] = (unsigned char)(v >> 8);
    strbuf_add(b, t, 2);
}

/* Store v little-endian at p. */
static void
le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

void
codec_put_u32(struct strbuf *b, uint32_t v)
{
    unsigned char t[4];

    le32(t, v);
    strbuf_add(b, t, 4);
}

void
codec_put_u64(struct strbuf *b, uint64_t v)
{
    unsigned char t[8];
    int i;

    for (i = 0; i < 8; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    strbuf_add(b, t, 8);
}

void
codec_put_i64(struct strbuf *b, int64_t v)
{
    codec_put_u64(b, (uint64_t)v);
}

/* The bit pattern of a double. */
static uint64_t
f64_bits(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    return u;
}

void
codec_put_f64(struct strbuf *b, double v)
{
    codec_put_u64(b, f64_bits(v));
}

void
codec_put_str(struct strbuf *b, const char *s)
{
    size_t n = strlen(s);

    codec_put_u32(b, (uint32_t)n);
    strbuf_add(b, s, n);
}

void
codec_put_key(struct strbuf *b, const struct grouping_key *k)
{
    size_t i;

    codec_put_u32(b, (uint32_t)k->n);
    for (i = 0; i < k->n; i++) {
        codec_put_str(b, k->labels[i].name);
        codec_put_str(b, k->labels[i].value);
    }
}

void
codec_put_timespec(struct strbuf *b, const struct timespec *ts)
{
    codec_put_i64(b, (int64_t)ts->tv_sec);
    codec_put_u32(b, (uint32_t)ts->tv_nsec);
}

/* Spans, integer deltas and float counts of one side of a native histogram. */
static void
put_native_side(struct strbuf *b, const struct bucket_span *spans, size_t nspans,
                const int64_t *deltas, size_t ndeltas, const double *counts, size_t ncounts)
{
    size_t i;

    codec_put_u32(b, (uint32_t)nspans);
    for (i = 0; i < nspans; i++) {
        codec_put_u32(b, (uint32_t)spans[i].offset);
        codec_put_u32(b, spans[i].length);
    }
    codec_put_u32(b, (uint32_t)ndeltas);
    for (i = 0; i < ndeltas; i++)
        codec_put_i64(b, deltas[i]);
    codec_put_u32(b, (uint32_t)ncounts);
    for (i = 0; i < ncounts; i++)
        codec_put_f64(b, counts[i]);
}

/* One metric: labels, kind, presence flags and the present fields. */
static void
put_metric(struct strbuf *b, const struct metric *m)
{
    unsigned flags = 0;
    size_t i;

    codec_put_u32(b, (uint32_t)m->nlabels);
    for (i = 0; i < m->nlabels; i++) {
        codec_put_str(b, m->labels[i].name);
        codec_put_str(b, m->labels[i].value);
    }
    codec_put_u8(b, (uint8_t)m->kind);
    if (m->has_timestamp)
        flags |= MF_HAS_TIMESTAMP;
    if (m->timestamp_ms != 0)
        flags |= MF_TIMESTAMP_MS;
    if (f64_bits(m->value) != 0)
        flags |= MF_VALUE;
    if (m->count != 0)
        flags |= MF_COUNT;
    if (f64_bits(m->count_float) != 0)
        flags |= MF_COUNT_FLOAT;
    if (f64_bits(m->sum) != 0)
        flags |= MF_SUM;
    if (m->nquantiles > 0)
        flags |= MF_QUANTILES;
    if (m->nbuckets > 0)
        flags |= MF_BUCKETS;
    if (m->native != NULL)
        flags |= MF_NATIVE;
    codec_put_u16(b, (uint16_t)flags);
    if (flags & MF_TIMESTAMP_MS)
        codec_put_i64(b, m->timestamp_ms);
    if (flags & MF_VALUE)
        codec_put_f64(b, m->value);
    if (flags & MF_COUNT)
        codec_put_u64(b, m->count);
    if (flags & MF_COUNT_FLOAT)
        codec_put_f64(b, m->count_float);
    if (flags & MF_SUM)
        codec_put_f64(b, m->sum);
    if (flags & MF_QUANTILES) {
        codec_put_u32(b, (uint32_t)m->nquantiles);
        for (i = 0; i < m->nquantiles; i++) {
            codec_put_f64(b, m->quantiles[i].quantile);
            codec_put_f64(b, m->quantiles[i].value);
        }
    }
    if (flags & MF_BUCKETS) {
        codec_put_u32(b, (uint32_t)m->nbuckets);
        for (i = 0; i < m->nbuckets; i++) {
            codec_put_f64(b, m->buckets[i].upper_bound);
            codec_put_u64(b, m->buckets[i].count);
            codec_put_f64(b, m->buckets[i].count_float);
        }
    }
    if (flags & MF_NATIVE) {
        const struct native_histogram *nh = m->native;

        codec_put_u32(b, (uint32_t)nh->schema);
        codec_put_f64(b, nh->zero_threshold);
        codec_put_u64(b, nh->zero_count);
        codec_put_f64(b, nh->zero_count_float);
        put_native_side(b, nh->neg_spans, nh->nneg_spans, nh->neg_deltas, nh->nneg_deltas,
                        nh->neg_counts, nh->nneg_counts);
        put_native_side(b, nh->pos_spans, nh->npos_spans, nh->pos_deltas, nh->npos_deltas,
                        nh->pos_counts, nh->npos_counts);
    }
}

void
codec_put_family(struct strbuf *b, const struct metric_family *mf)
{
    size_t i;

    codec_put_str(b, mf->name);
    codec_put_u8(b, mf->help != NULL);
    if (mf->help != NULL)
        codec_put_str(b, mf->help);
    codec_put_u8(b, (uint8_t)mf->type);
    codec_put_u32(b, (uint32_t)mf->nmetrics);
    for (i = 0; i < mf->nmetrics; i++)
        put_metric(b, &mf->metrics[i]);
}

size_t
codec_frame_begin(struct strbuf *b)
{
    static const unsigned char zero[CODEC_FRAME_HEADER];
    size_t start = b->len;

    strbuf_add(b, zero, sizeof(zero));
    return start;
}

void
codec_frame_end(struct strbuf *b, size_t start, const char magic[4])
{
    unsigned char *h = (unsigned char *)b->data + start;
    size_t len = b->len - start - CODEC_FRAME_HEADER;
    uLong crc;

    memcpy(h, magic, 4);
    le32(h + 4, (uint32_t)len);
    crc = crc32(0L, h + 4, 4);
    crc = crc32(crc, h + CODEC_FRAME_HEADER, (uInt)len);
    le32(h + 8, (uint32_t)crc);
}

/* ---- decoding ---- */

void
codec_reader_init(struct codec_reader *r, const void *data, size_t len, size_t base)
{
    r->p = data;
    r->len = len;
    r->off = 0;
    r->base = base;
    r->err = NULL;
}

void
codec_reader_clear(struct codec_reader *r)
{
    free(r->err);
    r->err = NULL;
}

int
codec_fail(struct codec_reader *r, const char *what)
{
    if (r->err == NULL)
        r->err = xasprintf("%s at byte %zu", what, r->base + r->off);
    return -1;
}

/* Non-zero when n more bytes are available; otherwise records "truncated <what>". */
static int
need(struct codec_reader *r, size_t n, const char *what)
{
    char msg[64];

    if (r->err != NULL)
        return 0;
    if (r->len - r->off >= n)
        return 1;
    snprintf(msg, sizeof(msg), "truncated %s", what);
    codec_fail(r, msg);
    return 0;
}

/* Read a little-endian u32 at p. */
static uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int
codec_get_u8(struct codec_reader *r, uint8_t *v)
{
    *v = 0;
    if (!need(r, 1, "u8"))
        return -1;
    *v = r->p[r->off++];
    return 0;
}

int
codec_get_u16(struct codec_reader *r, uint16_t *v)
{
    *v = 0;
    if (!need(r, 2, "u16"))
        return -1;
    *v = (uint16_t)(r->p[r->off] | r->p[r->off + 1] << 8);
    r->off += 2;
    return 0;
}

int
codec_get_u32(struct codec_reader *r, uint32_t *v)
{
    *v = 0;
    if (!need(r, 4, "u32"))
        return -1;
    *v = rd32(r->p + r->off);
    r->off += 4;
    return 0;
}

int
codec_get_u64(struct codec_reader *r, uint64_t *v)
{
    *v = 0;
    if (!need(r, 8, "u64"))
        return -1;
    *v = (uint64_t)rd32(r->p + r->off) | (uint64_t)rd32(r->p + r->off + 4) << 32;
    r->off += 8;
    return 0;
}

int
codec_get_i64(struct codec_reader *r, int64_t *v)
{
    uint64_t u;
    int rc = codec_get_u64(r, &u);

    *v = (int64_t)u;
    return rc;
}

int
codec_get_f64(struct codec_reader *r, double *v)
{
    uint64_t u;
    int rc = codec_get_u64(r, &u);

    memcpy(v, &u, sizeof(*v));
    return rc;
}

int
codec_get_str(struct codec_reader *r, char **s)
{
    uint32_t n;
    size_t at;

    *s = NULL;
    if (codec_get_u32(r, &n) < 0)
        return -1;
    at = r->off;
    if (!need(r, n, "string"))
        return -1;
    if (memchr(r->p + at, '\0', n) != NULL)
        return codec_fail(r, "NUL byte in string");
    *s = xstrndup((const char *)r->p + at, n);
    r->off += n;
    return 0;
}

/* Read an element count and check that count * min_size bytes can follow. */
static int
get_count(struct codec_reader *r, size_t min_size, const char *what, size_t *n)
{
    uint32_t v;
    char msg[64];

    *n = 0;
    if (codec_get_u32(r, &v) < 0)
        return -1;
    if (min_size > 0 && (uint64_t)v * min_size > (uint64_t)(r->len - r->off)) {
        r->off -= 4;
        snprintf(msg, sizeof(msg), "%s count %u exceeds the data left", what, (unsigned)v);
        return codec_fail(r, msg);
    }
    *n = v;
    return 0;
}

int
codec_get_key(struct codec_reader *r, struct grouping_key *k)
{
    size_t n, i;

    k->labels = NULL;
    k->n = 0;
    if (get_count(r, MIN_LABEL, "grouping label", &n) < 0)
        return -1;
    if (n == 0)
        return codec_fail(r, "empty grouping key");
    k->labels = xcalloc(n, sizeof(*k->labels));
    k->n = n;
    for (i = 0; i < n; i++) {
        size_t at = r->off;

        if (codec_get_str(r, &k->labels[i].name) < 0 || codec_get_str(r, &k->labels[i].value) < 0)
            goto fail;
        if (k->labels[i].name[0] == '\0' ||
            (i > 0 && strcmp(k->labels[i - 1].name, k->labels[i].name) >= 0)) {
            r->off = at;
            codec_fail(r, "grouping label names not sorted and unique");
            goto fail;
        }
    }
    return 0;
fail:
    grouping_key_free(k);
    k->labels = NULL;
    k->n = 0;
    return -1;
}

int
codec_get_timespec(struct codec_reader *r, struct timespec *ts)
{
    int64_t sec;
    uint32_t nsec;

    ts->tv_sec = 0;
    ts->tv_nsec = 0;
    if (codec_get_i64(r, &sec) < 0 || codec_get_u32(r, &nsec) < 0)
        return -1;
    if (nsec >= 1000000000u) {
        r->off -= 4;
        return codec_fail(r, "nanoseconds out of range");
    }
    ts->tv_sec = (time_t)sec;
    ts->tv_nsec = (long)nsec;
    return 0;
}

/* Read a u32 count and allocate that many elements of size sz (min_size bytes each). */
static int
get_array(struct codec_reader *r, size_t min_size, size_t sz, const char *what, void **arr,
          size_t *n)
{
    *arr = NULL;
    if (get_count(r, min_size, what, n) < 0)
        return -1;
    if (*n > 0)
        *arr = xcalloc(*n, sz);
    return 0;
}

/* get_array for an array whose count is a 32-bit field (struct metric). */
static int
get_arr32(struct codec_reader *r, size_t min_size, size_t sz, const char *what, void **arr,
          uint32_t *n)
{
    size_t len = 0;
    int rc = get_array(r, min_size, sz, what, arr, &len);

    *n = (uint32_t)len; /* a u32 on the wire */
    return rc;
}

/* One side of a native histogram. */
static int
get_native_side(struct codec_reader *r, struct bucket_span **spans, size_t *nspans,
                int64_t **deltas, size_t *ndeltas, double **counts, size_t *ncounts)
{
    size_t i;

    if (get_array(r, 8, sizeof(**spans), "span", (void **)spans, nspans) < 0)
        return -1;
    for (i = 0; i < *nspans; i++) {
        uint32_t off, len;

        codec_get_u32(r, &off);
        codec_get_u32(r, &len);
        (*spans)[i].offset = (int32_t)off;
        (*spans)[i].length = len;
    }
    if (get_array(r, 8, sizeof(**deltas), "delta", (void **)deltas, ndeltas) < 0)
        return -1;
    for (i = 0; i < *ndeltas; i++)
        codec_get_i64(r, &(*deltas)[i]);
    if (get_array(r, 8, sizeof(**counts), "count", (void **)counts, ncounts) < 0)
        return -1;
    for (i = 0; i < *ncounts; i++)
        codec_get_f64(r, &(*counts)[i]);
    return r->err != NULL ? -1 : 0;
}

/* A metric into m (zeroed by the caller); on error m holds what was read (freed by caller). */
static int
get_metric(struct codec_reader *r, struct metric *m)
{
    uint8_t kind;
    uint16_t flags;
    size_t i, at;

    if (get_arr32(r, MIN_LABEL, sizeof(*m->labels), "label", (void **)&m->labels, &m->nlabels) < 0)
        return -1;
    for (i = 0; i < m->nlabels; i++)
        if (codec_get_str(r, &m->labels[i].name) < 0 || codec_get_str(r, &m->labels[i].value) < 0)
            return -1;
    at = r->off;
    if (codec_get_u8(r, &kind) < 0)
        return -1;
    if (kind > METRIC_TYPE_MAX) {
        r->off = at;
        return codec_fail(r, "bad metric kind");
    }
    m->kind = (enum metric_type)kind;
    at = r->off;
    if (codec_get_u16(r, &flags) < 0)
        return -1;
    if (flags & ~MF_KNOWN) {
        r->off = at;
        return codec_fail(r, "unknown metric flags");
    }
    m->has_timestamp = (flags & MF_HAS_TIMESTAMP) != 0;
    if (flags & MF_TIMESTAMP_MS)
        codec_get_i64(r, &m->timestamp_ms);
    if (flags & MF_VALUE)
        codec_get_f64(r, &m->value);
    if (flags & MF_COUNT)
        codec_get_u64(r, &m->count);
    if (flags & MF_COUNT_FLOAT)
        codec_get_f64(r, &m->count_float);
    if (flags & MF_SUM)
        codec_get_f64(r, &m->sum);
    if (r->err != NULL)
        return -1;
    if (flags & MF_QUANTILES) {
        if (get_arr32(r, 16, sizeof(*m->quantiles), "quantile", (void **)&m->quantiles,
                      &m->nquantiles) < 0)
            return -1;
        for (i = 0; i < m->nquantiles; i++) {
            codec_get_f64(r, &m->quantiles[i].quantile);
            codec_get_f64(r, &m->quantiles[i].value);
        }
    }
    if (flags & MF_BUCKETS) {
        if (get_arr32(r, 24, sizeof(*m->buckets), "bucket", (void **)&m->buckets, &m->nbuckets) < 0)
            return -1;
        for (i = 0; i < m->nbuckets; i++) {
            codec_get_f64(r, &m->buckets[i].upper_bound);
            codec_get_u64(r, &m->buckets[i].count);
            codec_get_f64(r, &m->buckets[i].count_float);
        }
    }
    if (flags & MF_NATIVE) {
        struct native_histogram *nh = xcalloc(1, sizeof(*nh));
        uint32_t schema;

        m->native = nh;
        codec_get_u32(r, &schema);
        nh->schema = (int32_t)schema;
        codec_get_f64(r, &nh->zero_threshold);
        codec_get_u64(r, &nh->zero_count);
        codec_get_f64(r, &nh->zero_count_float);
        if (r->err != NULL)
            return -1;
        if (get_native_side(r, &nh->neg_spans, &nh->nneg_spans, &nh->neg_deltas, &nh->nneg_deltas,
                            &nh->neg_counts, &nh->nneg_counts) < 0 ||
            get_native_side(r, &nh->pos_spans, &nh->npos_spans, &nh->pos_deltas, &nh->npos_deltas,
                            &nh->pos_counts, &nh->npos_counts) < 0)
            return -1;
    }
    return r->err != NULL ? -1 : 0;
}

struct metric_family *
codec_get_family(struct codec_reader *r)
{
    struct metric_family *mf = xcalloc(1, sizeof(*mf));
    uint8_t has_help, type;
    size_t i, at;

    if (codec_get_str(r, &mf->name) < 0)
        goto fail;
    if (mf->name[0] == '\0') {
        r->off -= 4;
        codec_fail(r, "empty family name");
        goto fail;
    }
    at = r->off;
    if (codec_get_u8(r, &has_help) < 0)
        goto fail;
    if (has_help > 1) {
        r->off = at;
        codec_fail(r, "bad HELP flag");
        goto fail;
    }
    if (has_help && codec_get_str(r, &mf->help) < 0)
        goto fail;
    at = r->off;
    if (codec_get_u8(r, &type) < 0)
        goto fail;
    if (type > METRIC_TYPE_MAX) {
        r->off = at;
        codec_fail(r, "bad metric type");
        goto fail;
    }
    mf->type = (enum metric_type)type;
    if (get_array(r, MIN_METRIC, sizeof(*mf->metrics), "metric", (void **)&mf->metrics,
                  &mf->nmetrics) < 0)
        goto fail;
    for (i = 0; i < mf->nmetrics; i++)
        if (get_metric(r, &mf->metrics[i]) < 0)
            goto fail;
    return mf;
fail:
    metric_family_free(mf);
    return NULL;
}

enum codec_frame_status
codec_frame_check(const unsigned char *data, size_t avail, const char magic[4],
                  const unsigned char **payload, size_t *len, size_t *size)
{
    uint32_t n;
    uLong crc;

    *payload = NULL;
    *len = 0;
    *size = 0;
    if (avail < 4)
        return memcmp(data, magic, avail) == 0 ? CODEC_FRAME_SHORT : CODEC_FRAME_BAD;
    if (memcmp(data, magic, 4) != 0)
        return CODEC_FRAME_BAD;
    if (avail < 8)
        return CODEC_FRAME_SHORT;
    n = rd32(data + 4);
    if (n > CODEC_FRAME_MAX)
        return CODEC_FRAME_BAD;
    if (avail < CODEC_FRAME_HEADER || avail - CODEC_FRAME_HEADER < n)
        return CODEC_FRAME_SHORT;
    crc = crc32(0L, data + 4, 4);
    crc = crc32(crc, data + CODEC_FRAME_HEADER, (uInt)n);
    if ((uint32_t)crc != rd32(data + 8))
        return CODEC_FRAME_BAD;
    *payload = data + CODEC_FRAME_HEADER;
    *len = n;
    *size = CODEC_FRAME_HEADER + n;
    return CODEC_FRAME_OK;
}

/* ---- mutations ---- */

void
codec_put_mutation(struct strbuf *b, uint64_t seq, const struct storage_mutation *m)
{
    size_t i;

    codec_put_u64(b, seq);
    codec_put_u8(b, (uint8_t)m->op);
    switch (m->op) {
    case STORAGE_PUSH:
        codec_put_key(b, m->key);
        codec_put_u8(b, (uint8_t)((m->replace ? MUT_REPLACE : 0) |
                                  (m->unchecked ? MUT_UNCHECKED : 0) | (m->has_ttl ? MUT_TTL : 0)));
        codec_put_timespec(b, &m->ts);
        codec_put_u32(b, (uint32_t)m->families->n);
        for (i = 0; i < m->families->n; i++)
            codec_put_family(b, m->families->v[i]);
        if (m->has_ttl)
            codec_put_i64(b, m->ttl > 0 ? m->ttl : 0);
        break;
    case STORAGE_FAILURE:
        codec_put_key(b, m->key);
        codec_put_timespec(b, &m->ts);
        break;
    case STORAGE_DELETE:
        codec_put_key(b, m->key);
        break;
    case STORAGE_WIPE:
        break;
    }
}

int
codec_get_mutation(struct codec_reader *r, struct codec_mutation *m)
{
    uint8_t op, flags;
    size_t n, i, at;

    memset(m, 0, sizeof(*m));
    family_list_init(&m->families);
    m->ttl = STORE_TTL_DEFAULT;
    if (codec_get_u64(r, &m->seq) < 0)
        return -1;
    at = r->off;
    if (codec_get_u8(r, &op) < 0)
        return -1;
    m->op = (enum storage_op)op;
    switch (op) {
    case STORAGE_PUSH:
        if (codec_get_key(r, &m->key) < 0)
            goto fail;
        at = r->off;
        if (codec_get_u8(r, &flags) < 0)
            goto fail;
        if (flags & ~(MUT_REPLACE | MUT_UNCHECKED | MUT_TTL)) {
            r->off = at;
            codec_fail(r, "unknown push flags");
            goto fail;
        }
        m->replace = (flags & MUT_REPLACE) != 0;
        m->unchecked = (flags & MUT_UNCHECKED) != 0;
        if (codec_get_timespec(r, &m->ts) < 0 || get_count(r, MIN_FAMILY, "family", &n) < 0)
            goto fail;
        for (i = 0; i < n; i++) {
            struct metric_family *mf = codec_get_family(r);

            if (mf == NULL)
                goto fail;
            family_list_add(&m->families, mf);
        }
        if (flags & MUT_TTL) {
            at = r->off;
            if (codec_get_i64(r, &m->ttl) < 0)
                goto fail;
            if (m->ttl < 0) {
                r->off = at;
                codec_fail(r, "negative TTL");
                goto fail;
            }
        }
        break;
    case STORAGE_FAILURE:
        if (codec_get_key(r, &m->key) < 0 || codec_get_timespec(r, &m->ts) < 0)
            goto fail;
        break;
    case STORAGE_DELETE:
        if (codec_get_key(r, &m->key) < 0)
            goto fail;
        break;
    case STORAGE_WIPE:
        break;
    default:
        r->off = at;
        codec_fail(r, "unknown mutation");
        goto fail;
    }
    if (r->off != r->len) {
        codec_fail(r, "trailing bytes after mutation");
        goto fail;
    }
    return 0;
fail:
    codec_mutation_free(m);
    return -1;
}

void
codec_mutation_free(struct codec_mutation *m)
{
    grouping_key_free(&m->key);
    m->key.labels = NULL;
    m->key.n = 0;
    family_list_free(&m->families);
    family_list_init(&m->families);
}
