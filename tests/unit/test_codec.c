/* test_codec.c - storage encoding: round trips of every field, frames, checksums, bad input */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "codec.h"
#include "xmalloc.h"

/* Bitwise equality of two doubles (NaN payloads and -0 included). */
static int
same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Assert that two native histogram parts are identical. */
static void
assert_native_equal(const struct native_histogram *a, const struct native_histogram *b)
{
    if (a == NULL || b == NULL) {
        assert_true(a == NULL && b == NULL);
        return;
    }
    assert_int_equal(a->schema, b->schema);
    assert_true(same_double(a->zero_threshold, b->zero_threshold));
    assert_true(a->zero_count == b->zero_count);
    assert_true(same_double(a->zero_count_float, b->zero_count_float));
    assert_int_equal(a->nneg_spans, b->nneg_spans);
    assert_int_equal(a->nneg_deltas, b->nneg_deltas);
    assert_int_equal(a->nneg_counts, b->nneg_counts);
    assert_int_equal(a->npos_spans, b->npos_spans);
    assert_int_equal(a->npos_deltas, b->npos_deltas);
    assert_int_equal(a->npos_counts, b->npos_counts);
    if (a->nneg_spans > 0)
        assert_memory_equal(a->neg_spans, b->neg_spans, a->nneg_spans * sizeof(*a->neg_spans));
    if (a->nneg_deltas > 0)
        assert_memory_equal(a->neg_deltas, b->neg_deltas, a->nneg_deltas * sizeof(*a->neg_deltas));
    if (a->nneg_counts > 0)
        assert_memory_equal(a->neg_counts, b->neg_counts, a->nneg_counts * sizeof(*a->neg_counts));
    if (a->npos_spans > 0)
        assert_memory_equal(a->pos_spans, b->pos_spans, a->npos_spans * sizeof(*a->pos_spans));
    if (a->npos_deltas > 0)
        assert_memory_equal(a->pos_deltas, b->pos_deltas, a->npos_deltas * sizeof(*a->pos_deltas));
    if (a->npos_counts > 0)
        assert_memory_equal(a->pos_counts, b->pos_counts, a->npos_counts * sizeof(*a->pos_counts));
}

/* Assert that two families are identical in every field. */
static void
assert_family_equal(const struct metric_family *a, const struct metric_family *b)
{
    size_t i, k;

    assert_string_equal(a->name, b->name);
    assert_true((a->help == NULL) == (b->help == NULL));
    if (a->help != NULL)
        assert_string_equal(a->help, b->help);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->nmetrics, b->nmetrics);
    for (i = 0; i < a->nmetrics; i++) {
        const struct metric *x = &a->metrics[i], *y = &b->metrics[i];

        assert_int_equal(x->nlabels, y->nlabels);
        for (k = 0; k < x->nlabels; k++) {
            assert_string_equal(x->labels[k].name, y->labels[k].name);
            assert_string_equal(x->labels[k].value, y->labels[k].value);
        }
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->has_timestamp, y->has_timestamp);
        assert_true(x->timestamp_ms == y->timestamp_ms);
        assert_true(same_double(x->value, y->value));
        assert_true(x->count == y->count);
        assert_true(same_double(x->count_float, y->count_float));
        assert_true(same_double(x->sum, y->sum));
        assert_int_equal(x->nquantiles, y->nquantiles);
        for (k = 0; k < x->nquantiles; k++) {
            assert_true(same_double(x->quantiles[k].quantile, y->quantiles[k].quantile));
            assert_true(same_double(x->quantiles[k].value, y->quantiles[k].value));
        }
        assert_int_equal(x->nbuckets, y->nbuckets);
        for (k = 0; k < x->nbuckets; k++) {
            assert_true(same_double(x->buckets[k].upper_bound, y->buckets[k].upper_bound));
            assert_true(x->buckets[k].count == y->buckets[k].count);
            assert_true(same_double(x->buckets[k].count_float, y->buckets[k].count_float));
        }
        assert_native_equal(x->native, y->native);
    }
}

/* A native histogram part with both sides filled in. */
static struct native_histogram *
make_native(int floats)
{
    struct native_histogram *nh = xcalloc(1, sizeof(*nh));

    nh->schema = -3;
    nh->zero_threshold = 1e-128;
    nh->zero_count = floats ? 0 : 7;
    nh->zero_count_float = floats ? 2.5 : 0;
    nh->nneg_spans = 2;
    nh->neg_spans = xcalloc(2, sizeof(*nh->neg_spans));
    nh->neg_spans[0].offset = -2147483647 - 1;
    nh->neg_spans[0].length = 1;
    nh->neg_spans[1].offset = 3;
    nh->neg_spans[1].length = 4294967295u;
    nh->npos_spans = 1;
    nh->pos_spans = xcalloc(1, sizeof(*nh->pos_spans));
    nh->pos_spans[0].offset = 0;
    nh->pos_spans[0].length = 3;
    if (floats) {
        nh->nneg_counts = 1;
        nh->neg_counts = xcalloc(1, sizeof(double));
        nh->neg_counts[0] = NAN;
        nh->npos_counts = 3;
        nh->pos_counts = xcalloc(3, sizeof(double));
        nh->pos_counts[0] = 1.5;
        nh->pos_counts[1] = INFINITY;
        nh->pos_counts[2] = -0.0;
    } else {
        nh->nneg_deltas = 1;
        nh->neg_deltas = xcalloc(1, sizeof(int64_t));
        nh->neg_deltas[0] = INT64_MIN;
        nh->npos_deltas = 3;
        nh->pos_deltas = xcalloc(3, sizeof(int64_t));
        nh->pos_deltas[0] = 1;
        nh->pos_deltas[1] = -2;
        nh->pos_deltas[2] = INT64_MAX;
    }
    return nh;
}

/* Families exercising every field: all types, HELP absent/empty/set, odd values. */
static void
make_families(struct family_list *fl)
{
    struct metric_family *mf;
    struct metric *m;

    family_list_init(fl);

    mf = metric_family_new("c_total", METRIC_COUNTER); /* no HELP */
    m = metric_family_add_metric(mf, METRIC_COUNTER);
    metric_add_label(m, "instance", "");
    metric_add_label(m, "job", "j\xc3\xbc\n\"\\");
    m->value = NAN;
    m = metric_family_add_metric(mf, METRIC_COUNTER);
    m->value = -0.0;
    family_list_add(fl, mf);

    mf = metric_family_new("g", METRIC_GAUGE);
    mf->help = xstrdup(""); /* empty HELP is not absent HELP */
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    m->value = -INFINITY;
    m->has_timestamp = 1;
    m->timestamp_ms = -1234567890123LL;
    m = metric_family_add_metric(mf, METRIC_UNTYPED); /* kind differs from the type */
    m->value = 4.9e-324;
    m->timestamp_ms = 42; /* without has_timestamp */
    family_list_add(fl, mf);

    mf = metric_family_new("s", METRIC_SUMMARY);
    mf->help = xstrdup("A summary with \"quotes\" and \\ and \n.");
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    m->count = UINT64_MAX;
    m->sum = 1e308;
    m->nquantiles = 3;
    m->quantiles = xcalloc(3, sizeof(*m->quantiles));
    m->quantiles[0].quantile = 0.5;
    m->quantiles[0].value = NAN;
    m->quantiles[1].quantile = 0.99;
    m->quantiles[1].value = INFINITY;
    m->quantiles[2].quantile = 0;
    m->quantiles[2].value = 0;
    family_list_add(fl, mf);

    mf = metric_family_new("h", METRIC_HISTOGRAM);
    mf->help = xstrdup("classic and native");
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    m->count = 10;
    m->sum = -3.25;
    m->nbuckets = 2;
    m->buckets = xcalloc(2, sizeof(*m->buckets));
    m->buckets[0].upper_bound = 0.5;
    m->buckets[0].count = 4;
    m->buckets[1].upper_bound = INFINITY;
    m->buckets[1].count = 10;
    m->native = make_native(0);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    metric_add_label(m, "flavour", "float");
    m->count_float = 12.75;
    m->sum = 1;
    m->nbuckets = 1;
    m->buckets = xcalloc(1, sizeof(*m->buckets));
    m->buckets[0].upper_bound = 1;
    m->buckets[0].count_float = 0.25;
    m->native = make_native(1);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    metric_add_label(m, "flavour", "native-only-empty");
    m->native = xcalloc(1, sizeof(*m->native)); /* present but all zero */
    family_list_add(fl, mf);

    mf = metric_family_new("gh", METRIC_GAUGE_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_GAUGE_HISTOGRAM);
    m->count = 1;
    family_list_add(fl, mf);

    family_list_add(fl, metric_family_new("empty", METRIC_UNTYPED)); /* no metrics */
}

/* Every family survives encode + decode unchanged. */
static void
test_family_round_trip(void **state)
{
    struct family_list fl;
    struct strbuf b = STRBUF_INIT;
    size_t i;

    (void)state;
    make_families(&fl);
    for (i = 0; i < fl.n; i++) {
        struct codec_reader r;
        struct metric_family *back;

        strbuf_reset(&b);
        codec_put_family(&b, fl.v[i]);
        codec_reader_init(&r, b.data, b.len, 0);
        back = codec_get_family(&r);
        assert_non_null(back);
        assert_null(r.err);
        assert_int_equal(r.off, b.len);
        assert_family_equal(fl.v[i], back);
        metric_family_free(back);
    }
    strbuf_free(&b);
    family_list_free(&fl);
}

/* Keys and timestamps round trip; bad keys are refused. */
static void
test_key_timespec(void **state)
{
    struct grouping_key k, back;
    struct strbuf b = STRBUF_INIT;
    struct codec_reader r;
    struct timespec ts = {1700000000, 999999999}, tb;
    char *err = NULL;

    (void)state;
    assert_int_equal(grouping_parse("j", 0, "/zone/\xc3\xa9/a@base64/=", 0, &k, &err), 0);
    codec_put_key(&b, &k);
    codec_put_timespec(&b, &ts);
    codec_reader_init(&r, b.data, b.len, 100);
    assert_int_equal(codec_get_key(&r, &back), 0);
    assert_int_equal(codec_get_timespec(&r, &tb), 0);
    assert_int_equal(back.n, k.n);
    assert_string_equal(back.labels[0].name, "a");
    assert_string_equal(back.labels[0].value, "");
    assert_string_equal(back.labels[2].value, "\xc3\xa9");
    assert_true(tb.tv_sec == ts.tv_sec && tb.tv_nsec == ts.tv_nsec);
    grouping_key_free(&back);

    /* Labels out of order are refused (the store relies on sorted keys). */
    strbuf_reset(&b);
    codec_put_u32(&b, 2);
    codec_put_str(&b, "job");
    codec_put_str(&b, "x");
    codec_put_str(&b, "a");
    codec_put_str(&b, "y");
    codec_reader_init(&r, b.data, b.len, 0);
    assert_int_equal(codec_get_key(&r, &back), -1);
    assert_non_null(strstr(r.err, "not sorted"));
    assert_non_null(strstr(r.err, "at byte 16"));
    codec_reader_clear(&r);

    /* Nanoseconds out of range. */
    strbuf_reset(&b);
    codec_put_i64(&b, 1);
    codec_put_u32(&b, 1000000000u);
    codec_reader_init(&r, b.data, b.len, 0);
    assert_int_equal(codec_get_timespec(&r, &tb), -1);
    assert_non_null(strstr(r.err, "at byte 8"));
    codec_reader_clear(&r);

    grouping_key_free(&k);
    strbuf_free(&b);
}

/* Each mutation kind round trips, flags included. */
static void
test_mutation_round_trip(void **state)
{
    static const enum storage_op ops[] = {STORAGE_PUSH, STORAGE_FAILURE, STORAGE_DELETE,
                                          STORAGE_WIPE};
    struct grouping_key k;
    struct family_list fl;
    struct strbuf b = STRBUF_INIT;
    char *err = NULL;
    size_t i, f;

    (void)state;
    assert_int_equal(grouping_parse("job", 0, "/instance/i", 0, &k, &err), 0);
    make_families(&fl);
    for (i = 0; i < 4; i++) {
        struct storage_mutation m;
        struct codec_mutation back;
        struct codec_reader r;

        memset(&m, 0, sizeof(m));
        m.op = ops[i];
        m.key = &k;
        m.families = &fl;
        m.replace = i == 0;
        m.unchecked = i == 0;
        m.ts.tv_sec = 1234;
        m.ts.tv_nsec = 5678;
        strbuf_reset(&b);
        codec_put_mutation(&b, 77 + i, &m);
        codec_reader_init(&r, b.data, b.len, 0);
        assert_int_equal(codec_get_mutation(&r, &back), 0);
        assert_true(back.seq == 77 + i);
        assert_int_equal(back.op, ops[i]);
        if (ops[i] != STORAGE_WIPE) {
            assert_int_equal(back.key.n, 2);
            assert_string_equal(back.key.labels[0].name, "instance");
        }
        if (ops[i] == STORAGE_PUSH || ops[i] == STORAGE_FAILURE)
            assert_true(back.ts.tv_sec == 1234 && back.ts.tv_nsec == 5678);
        if (ops[i] == STORAGE_PUSH) {
            assert_int_equal(back.replace, 1);
            assert_int_equal(back.unchecked, 1);
            assert_int_equal(back.families.n, fl.n);
            for (f = 0; f < fl.n; f++)
                assert_family_equal(fl.v[f], back.families.v[f]);
        }
        codec_mutation_free(&back);
    }
    family_list_free(&fl);
    grouping_key_free(&k);
    strbuf_free(&b);
}

/* A push's TTL (version 2) round trips; without one the group follows the default. */
static void
test_mutation_ttl(void **state)
{
    static const int64_t ttls[] = {-2, 0, 5000000000LL, INT64_MAX};
    struct grouping_key k;
    struct family_list fl;
    struct strbuf b = STRBUF_INIT;
    char *err = NULL;
    size_t i;

    (void)state;
    assert_int_equal(grouping_parse("job", 0, "", 0, &k, &err), 0);
    make_families(&fl);
    for (i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++) {
        struct storage_mutation m;
        struct codec_mutation back;
        struct codec_reader r;

        memset(&m, 0, sizeof(m));
        m.op = STORAGE_PUSH;
        m.key = &k;
        m.families = &fl;
        m.has_ttl = ttls[i] != -2;
        m.ttl = ttls[i];
        strbuf_reset(&b);
        codec_put_mutation(&b, 1, &m);
        codec_reader_init(&r, b.data, b.len, 0);
        assert_int_equal(codec_get_mutation(&r, &back), 0);
        assert_true(back.ttl == (ttls[i] == -2 ? STORE_TTL_DEFAULT : ttls[i]));
        codec_mutation_free(&back);
        if (ttls[i] == INT64_MAX) {
            /* A negative TTL is refused. */
            b.data[b.len - 1] = (char)0xff;
            codec_reader_init(&r, b.data, b.len, 0);
            assert_int_equal(codec_get_mutation(&r, &back), -1);
            assert_non_null(strstr(r.err, "negative TTL"));
            codec_reader_clear(&r);
        }
    }
    family_list_free(&fl);
    grouping_key_free(&k);
    strbuf_free(&b);
}

/* Every strict prefix of a valid encoding fails cleanly with an offset inside the input. */
static void
test_truncated_everywhere(void **state)
{
    struct grouping_key k;
    struct family_list fl;
    struct storage_mutation m;
    struct strbuf b = STRBUF_INIT;
    char *err = NULL;
    size_t cut;

    (void)state;
    assert_int_equal(grouping_parse("job", 0, "/instance/i", 0, &k, &err), 0);
    make_families(&fl);
    memset(&m, 0, sizeof(m));
    m.op = STORAGE_PUSH;
    m.key = &k;
    m.families = &fl;
    codec_put_mutation(&b, 1, &m);
    for (cut = 0; cut < b.len; cut++) {
        struct codec_reader r;
        struct codec_mutation back;
        const char *at;

        codec_reader_init(&r, b.data, cut, 1000);
        assert_int_equal(codec_get_mutation(&r, &back), -1);
        assert_non_null(r.err);
        at = strstr(r.err, "at byte ");
        assert_non_null(at);
        assert_true((size_t)strtoul(at + 8, NULL, 10) <= 1000 + cut);
        assert_int_equal(back.families.n, 0);
        assert_null(back.key.labels);
        codec_reader_clear(&r);
    }
    family_list_free(&fl);
    grouping_key_free(&k);
    strbuf_free(&b);
}

/* Flipping any single byte of a family never crashes the decoder (it may decode or fail). */
static void
test_bit_flips_decode_safely(void **state)
{
    struct family_list fl;
    struct strbuf b = STRBUF_INIT;
    size_t i, f;

    (void)state;
    make_families(&fl);
    for (f = 0; f < fl.n; f++) {
        strbuf_reset(&b);
        codec_put_family(&b, fl.v[f]);
        for (i = 0; i < b.len; i++) {
            unsigned char *copy = xmalloc(b.len);
            struct codec_reader r;
            struct metric_family *back;

            memcpy(copy, b.data, b.len);
            copy[i] ^= 0xff;
            codec_reader_init(&r, copy, b.len, 0);
            back = codec_get_family(&r);
            assert_true((back == NULL) == (r.err != NULL));
            metric_family_free(back);
            codec_reader_clear(&r);
            free(copy);
        }
    }
    strbuf_free(&b);
    family_list_free(&fl);
}

/* Absurd element counts are refused before anything is allocated. */
static void
test_huge_counts(void **state)
{
    struct strbuf b = STRBUF_INIT;
    struct codec_reader r;

    (void)state;
    codec_put_str(&b, "m");
    codec_put_u8(&b, 0);
    codec_put_u8(&b, METRIC_GAUGE);
    codec_put_u32(&b, 0xffffffffu); /* 4 billion metrics in a few bytes */
    codec_reader_init(&r, b.data, b.len, 0);
    assert_null(codec_get_family(&r));
    assert_non_null(strstr(r.err, "metric count 4294967295 exceeds the data left at byte 7"));
    codec_reader_clear(&r);

    strbuf_reset(&b);
    codec_put_u32(&b, 0x7fffffffu); /* a string longer than the input */
    codec_reader_init(&r, b.data, b.len, 0);
    {
        char *s = NULL;

        assert_int_equal(codec_get_str(&r, &s), -1);
        assert_null(s);
        assert_non_null(strstr(r.err, "truncated string"));
    }
    codec_reader_clear(&r);

    strbuf_reset(&b); /* NUL inside a string */
    codec_put_u32(&b, 3);
    strbuf_add(&b, "a\0b", 3);
    codec_reader_init(&r, b.data, b.len, 0);
    {
        char *s = NULL;

        assert_int_equal(codec_get_str(&r, &s), -1);
        assert_non_null(strstr(r.err, "NUL"));
    }
    codec_reader_clear(&r);
    strbuf_free(&b);
}

/* Frames: the checksum covers length and payload; short and bad are told apart. */
static void
test_frames(void **state)
{
    struct strbuf b = STRBUF_INIT;
    const unsigned char *payload;
    size_t len, size, start, i;
    unsigned char *d;

    (void)state;
    start = codec_frame_begin(&b);
    codec_put_str(&b, "hello frame");
    codec_frame_end(&b, start, CODEC_MAGIC_RECORD);
    d = (unsigned char *)b.data;
    assert_int_equal(b.len, CODEC_FRAME_HEADER + 15);
    assert_memory_equal(d, "PGWR", 4);
    assert_int_equal(d[4], 15);
    assert_int_equal(codec_frame_check(d, b.len, CODEC_MAGIC_RECORD, &payload, &len, &size),
                     CODEC_FRAME_OK);
    assert_int_equal(len, 15);
    assert_int_equal(size, b.len);
    assert_true(payload == d + CODEC_FRAME_HEADER);
    /* Another magic is not this frame. */
    assert_int_equal(codec_frame_check(d, b.len, CODEC_MAGIC_SNAP_GROUP, &payload, &len, &size),
                     CODEC_FRAME_BAD);
    /* Every prefix is SHORT (a torn write), never OK. */
    for (i = 0; i < b.len; i++)
        assert_int_equal(codec_frame_check(d, i, CODEC_MAGIC_RECORD, &payload, &len, &size),
                         CODEC_FRAME_SHORT);
    /* Any flipped bit after the magic is detected. */
    for (i = 4; i < b.len * 8; i++) {
        d[i / 8] ^= (unsigned char)(1u << (i % 8));
        assert_true(codec_frame_check(d, b.len, CODEC_MAGIC_RECORD, &payload, &len, &size) !=
                    CODEC_FRAME_OK);
        d[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    /* An impossible length is BAD, not SHORT (no waiting for a gigabyte that never comes). */
    d[7] = 0x7f;
    assert_int_equal(codec_frame_check(d, b.len, CODEC_MAGIC_RECORD, &payload, &len, &size),
                     CODEC_FRAME_BAD);
    strbuf_free(&b);
}

/* The encoding is little-endian and fixed-width (the documented format). */
static void
test_byte_layout(void **state)
{
    struct strbuf b = STRBUF_INIT;
    static const unsigned char want[] = {0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04,
                                         0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0xf0, 0x3f, 0x01, 0x00, 0x00, 0x00, 'x'};

    (void)state;
    codec_put_u32(&b, 0x01020304u);
    codec_put_u64(&b, 0x0102030405060708ull);
    codec_put_f64(&b, 1.0);
    codec_put_str(&b, "x");
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    strbuf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_round_trip),    cmocka_unit_test(test_key_timespec),
        cmocka_unit_test(test_mutation_round_trip),  cmocka_unit_test(test_mutation_ttl),
        cmocka_unit_test(test_truncated_everywhere), cmocka_unit_test(test_bit_flips_decode_safely),
        cmocka_unit_test(test_huge_counts),          cmocka_unit_test(test_frames),
        cmocka_unit_test(test_byte_layout),
    };

    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
