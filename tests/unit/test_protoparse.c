/* test_protoparse.c - protobuf push decoding, protobuf exposition and their round trip */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expo_proto.h"
#include "metric.h"
#include "protoparse.h"
#include "strbuf.h"
#include "xmalloc.h"

/* ---- a tiny protobuf writer for building test inputs ---- */

static void
pb_varint(struct strbuf *sb, uint64_t v)
{
    while (v >= 0x80) {
        strbuf_addch(sb, (char)((v & 0x7f) | 0x80));
        v >>= 7;
    }
    strbuf_addch(sb, (char)v);
}

static void
pb_tag(struct strbuf *sb, unsigned field, unsigned wt)
{
    pb_varint(sb, ((uint64_t)field << 3) | wt);
}

/* A length-delimited field holding n raw bytes. */
static void
pb_bytes(struct strbuf *sb, unsigned field, const char *s, size_t n)
{
    pb_tag(sb, field, 2);
    pb_varint(sb, n);
    strbuf_add(sb, s, n);
}

static void
pb_str(struct strbuf *sb, unsigned field, const char *s)
{
    pb_bytes(sb, field, s, strlen(s));
}

/* A nested message: the contents of sub (which is freed). */
static void
pb_msg(struct strbuf *sb, unsigned field, struct strbuf *sub)
{
    pb_bytes(sb, field, sub->data != NULL ? sub->data : "", sub->len);
    strbuf_free(sub);
}

static void
pb_uint(struct strbuf *sb, unsigned field, uint64_t v)
{
    pb_tag(sb, field, 0);
    pb_varint(sb, v);
}

static void
pb_sint(struct strbuf *sb, unsigned field, int64_t v)
{
    pb_uint(sb, field, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

static void
pb_dbl(struct strbuf *sb, unsigned field, double v)
{
    uint64_t u;
    int i;

    memcpy(&u, &v, sizeof(u));
    pb_tag(sb, field, 1);
    for (i = 0; i < 8; i++)
        strbuf_addch(sb, (char)(u >> (8 * i)));
}

/* A message holding one double at field 1 (Gauge, Counter, Untyped), as field `field`. */
static void
pb_value(struct strbuf *sb, unsigned field, double v)
{
    struct strbuf sub = STRBUF_INIT;

    pb_dbl(&sub, 1, v);
    pb_msg(sb, field, &sub);
}

static void
pb_label(struct strbuf *sb, const char *name, const char *value)
{
    struct strbuf sub = STRBUF_INIT;

    pb_str(&sub, 1, name);
    pb_str(&sub, 2, value);
    pb_msg(sb, 1, &sub);
}

/* Append a delimited frame holding the message in fam (which is freed). */
static void
pb_frame(struct strbuf *body, struct strbuf *fam)
{
    pb_varint(body, fam->len);
    if (fam->len > 0)
        strbuf_add(body, fam->data, fam->len);
    strbuf_free(fam);
}

/* A family with a name, optional help, optional type (< 0: none) and one gauge metric. */
static void
pb_simple_family(struct strbuf *body, const char *name, const char *help, int type, double v)
{
    struct strbuf f = STRBUF_INIT, m = STRBUF_INIT;

    pb_str(&f, 1, name);
    if (help != NULL)
        pb_str(&f, 2, help);
    if (type >= 0)
        pb_uint(&f, 3, (uint64_t)type);
    pb_label(&m, "l", "v");
    pb_value(&m, 2, v);
    pb_msg(&f, 4, &m);
    pb_frame(body, &f);
}

/* Decode body, expecting success. */
static void
decode_ok(const struct strbuf *body, int utf8, struct family_list *fl)
{
    char *err = NULL;
    int rc;

    family_list_init(fl);
    rc = protoparse(body->data != NULL ? body->data : "", body->len, utf8, fl, &err);
    if (rc != 0)
        fprintf(stderr, "unexpected error: %s\n", err);
    assert_int_equal(rc, 0);
    assert_null(err);
}

/* Decode body, expecting the error message want (and an untouched list). */
static void
decode_err(const struct strbuf *body, int utf8, const char *want)
{
    struct family_list fl;
    char *err = NULL;

    family_list_init(&fl);
    family_list_add(&fl, metric_family_new("sentinel", METRIC_GAUGE));
    assert_int_equal(protoparse(body->data != NULL ? body->data : "", body->len, utf8, &fl, &err),
                     -1);
    assert_non_null(err);
    assert_string_equal(err, want);
    assert_int_equal(fl.n, 1);
    assert_string_equal(fl.v[0]->name, "sentinel");
    free(err);
    family_list_free(&fl);
}

/* ---- decoding ---- */

static void
test_empty_body(void **state)
{
    struct strbuf body = STRBUF_INIT;
    struct family_list fl;

    (void)state;
    decode_ok(&body, 0, &fl);
    assert_int_equal(fl.n, 0);
    family_list_free(&fl);
}

static void
test_basic_gauge(void **state)
{
    struct strbuf body = STRBUF_INIT;
    struct family_list fl;
    const struct metric *m;

    (void)state;
    pb_simple_family(&body, "g", "some help", METRIC_GAUGE, 2.5);
    decode_ok(&body, 0, &fl);
    assert_int_equal(fl.n, 1);
    assert_string_equal(fl.v[0]->name, "g");
    assert_string_equal(fl.v[0]->help, "some help");
    assert_int_equal(fl.v[0]->type, METRIC_GAUGE);
    assert_int_equal(fl.v[0]->nmetrics, 1);
    m = &fl.v[0]->metrics[0];
    assert_int_equal(m->kind, METRIC_GAUGE);
    assert_true(m->value == 2.5);
    assert_int_equal(m->nlabels, 1);
    assert_string_equal(m->labels[0].name, "l");
    assert_string_equal(m->labels[0].value, "v");
    assert_int_equal(m->has_timestamp, 0);
    assert_null(m->native);
    family_list_free(&fl);
    strbuf_free(&body);
}

static void
test_type_default_and_unknown(void **state)
{
    struct strbuf body = STRBUF_INIT, f = STRBUF_INIT, m = STRBUF_INIT;
    struct family_list fl;

    (void)state;
    /* No type: COUNTER, and the counter value is picked up. */
    pb_str(&f, 1, "c");
    pb_value(&m, 3, 7);
    pb_msg(&f, 4, &m);
    pb_frame(&body, &f);
    /* An unknown enum value (proto2 closed enum): COUNTER too. */
    pb_simple_family(&body, "u", NULL, 9, 1);
    decode_ok(&body, 0, &fl);
    assert_int_equal(fl.n, 2);
    assert_int_equal(fl.v[0]->type, METRIC_COUNTER);
    assert_int_equal(fl.v[0]->metrics[0].kind, METRIC_COUNTER);
    assert_true(fl.v[0]->metrics[0].value == 7);
    assert_null(fl.v[0]->help);
    assert_int_equal(fl.v[1]->type, METRIC_COUNTER);
    /* u carries a gauge value in a COUNTER family: the check will reject it. */
    assert_int_equal(fl.v[1]->metrics[0].kind, METRIC_GAUGE);
    family_list_free(&fl);
    strbuf_free(&body);
}

static void
test_repeated_family_replaces(void **state)
{
    struct strbuf body = STRBUF_INIT;
    struct family_list fl;

    (void)state;
    pb_simple_family(&body, "a", "first", METRIC_GAUGE, 1);
    pb_simple_family(&body, "b", NULL, METRIC_GAUGE, 2);
    pb_simple_family(&body, "a", NULL, METRIC_UNTYPED, 3);
    pb_simple_family(&body, "c", NULL, METRIC_GAUGE, 4);
    pb_simple_family(&body, "a", "third", METRIC_GAUGE, 5);
    decode_ok(&body, 0, &fl);
    assert_int_equal(fl.n, 3);
    assert_string_equal(fl.v[0]->name, "a");
    assert_string_equal(fl.v[0]->help, "third");
    assert_true(fl.v[0]->metrics[0].value == 5);
    assert_int_equal(fl.v[0]->nmetrics, 1);
    assert_string_equal(fl.v[1]->name, "b");
    assert_string_equal(fl.v[2]->name, "c");
    family_list_free(&fl);
    strbuf_free(&body);
}

static void
test_empty_family_and_help(void **state)
{
    struct strbuf body = STRBUF_INIT, f = STRBUF_INIT;
    struct family_list fl;

    (void)state;
    pb_str(&f, 1, "em");
    pb_uint(&f, 3, METRIC_GAUGE);
    pb_frame(&body, &f);
    pb_simple_family(&body, "eh", "", METRIC_GAUGE, 1);
    pb_simple_family(&body, "nh", NULL, METRIC_GAUGE, 1);
    decode_ok(&body, 0, &fl);
    assert_int_equal(fl.n, 3);
    assert_int_equal(fl.v[0]->nmetrics, 0);
    assert_int_equal(fl.v[0]->type, METRIC_GAUGE);
    assert_null(fl.v[0]->help);
    assert_non_null(fl.v[1]->help);
    assert_string_equal(fl.v[1]->help, "");
    assert_null(fl.v[2]->help);
    family_list_free(&fl);
    strbuf_free(&body);
}

static void
test_timestamp_and_summary(void **state)
{
    struct strbuf body = STRBUF_INIT, f = STRBUF_INIT, m = STRBUF_INIT, s = STRBUF_INIT,
                  q = STRBUF_INIT;
    struct family_list fl;
    const struct metric *mm;

    (void)state;
    pb_str(&f, 1, "s");
    pb_uint(&f, 3, METRIC_SUMMARY);
    pb_uint(&s, 1, 3);
    pb_dbl(&s, 2, 1.5);
    pb_dbl(&q, 1, 0.5);
    pb_dbl(&q, 2, 0.25);
    pb_msg(&s, 3, &q);
    pb_dbl(&q, 1, 0.9);
    pb_dbl(&q, 2, 1);
    pb_msg(&s, 3, &q);
    pb_msg(&m, 4, &s);
    pb_uint(&m, 6, (uint64_t)(int64_t)-5);
    pb_msg(&f, 4, &m);
    pb_frame(&body, &f);
    decode_ok(&body, 0, &fl);
    mm = &fl.v[0]->metrics[0];
    assert_int_equal(mm->kind, METRIC_SUMMARY);
    assert_int_equal(mm->has_timestamp, 1);
    assert_true(mm->timestamp_ms == -5);
    assert_int_equal(mm->count, 3);
    assert_true(mm->sum == 1.5);
    assert_int_equal(mm->nquantiles, 2);
    assert_true(mm->quantiles[0].quantile == 0.5 && mm->quantiles[0].value == 0.25);
    assert_true(mm->quantiles[1].quantile == 0.9 && mm->quantiles[1].value == 1);
    family_list_free(&fl);
    strbuf_free(&body);
}

static void
test_histogram_classic_and_native(void **state)
{
    struct strbuf body = STRBUF_INIT, f = STRBUF_INIT, m = STRBUF_INIT, h = STRBUF_INIT,
                  sub = STRBUF_INIT;
    struct family_list fl;
    const struct metric *mm;
    const struct native_histogram *nh;

    (void)state;
    pb_str(&f, 1, "h");
    pb_uint(&f, 3, METRIC_HISTOGRAM);
    pb_uint(&h, 1, 4);
    pb_dbl(&h, 4, 4.5);
    pb_dbl(&h, 2, 2);
    pb_uint(&sub, 1, 1);
    pb_dbl(&sub, 4, 1.5);
    pb_dbl(&sub, 2, 0.5);
    pb_msg(&h, 3, &sub);
    pb_uint(&sub, 1, 3);
    pb_dbl(&sub, 2, HUGE_VAL);
    pb_msg(&h, 3, &sub);
    pb_sint(&h, 5, -2);
    pb_dbl(&h, 6, 0.001);
    pb_uint(&h, 7, 2);
    pb_dbl(&h, 8, 2.5);
    pb_sint(&sub, 1, -3);
    pb_uint(&sub, 2, 2);
    pb_msg(&h, 9, &sub);
    pb_sint(&h, 10, 1);
    pb_sint(&h, 10, -1);
    pb_dbl(&h, 11, 0.5);
    pb_sint(&sub, 1, 1);
    pb_uint(&sub, 2, 1);
    pb_msg(&h, 12, &sub);
    pb_sint(&sub, 1, 2);
    pb_uint(&sub, 2, 3);
    pb_msg(&h, 12, &sub);
    pb_sint(&h, 13, 5);
    pb_dbl(&h, 14, 1.25);
    pb_dbl(&h, 14, 2.25);
    pb_msg(&m, 7, &h);
    pb_msg(&f, 4, &m);
    pb_frame(&body, &f);
    decode_ok(&body, 0, &fl);
    mm = &fl.v[0]->metrics[0];
    assert_int_equal(mm->kind, METRIC_HISTOGRAM);
    assert_int_equal(mm->count, 4);
    assert_true(mm->count_float == 4.5);
    assert_true(mm->sum == 2);
    assert_int_equal(mm->nbuckets, 2);
    assert_int_equal(mm->buckets[0].count, 1);
    assert_true(mm->buckets[0].count_float == 1.5);
    assert_true(mm->buckets[0].upper_bound == 0.5);
    assert_int_equal(mm->buckets[1].count, 3);
    assert_true(isinf(mm->buckets[1].upper_bound));
    nh = mm->native;
    assert_non_null(nh);
    assert_int_equal(nh->schema, -2);
    assert_true(nh->zero_threshold == 0.001);
    assert_int_equal(nh->zero_count, 2);
    assert_true(nh->zero_count_float == 2.5);
    assert_int_equal(nh->nneg_spans, 1);
    assert_int_equal(nh->neg_spans[0].offset, -3);
    assert_int_equal(nh->neg_spans[0].length, 2);
    assert_int_equal(nh->nneg_deltas, 2);
    assert_true(nh->neg_deltas[0] == 1 && nh->neg_deltas[1] == -1);
    assert_int_equal(nh->nneg_counts, 1);
    assert_true(nh->neg_counts[0] == 0.5);
    assert_int_equal(nh->npos_spans, 2);
    assert_int_equal(nh->pos_spans[1].offset, 2);
    assert_int_equal(nh->pos_spans[1].length, 3);
    assert_int_equal(nh->npos_deltas, 1);
    assert_true(nh->pos_deltas[0] == 5);
    assert_int_equal(nh->npos_counts, 2);
    assert_true(nh->pos_counts[1] == 2.25);
    family_list_free(&fl);
    strbuf_free(&body);
}

static void
test_native_presence(void **state)
{
    struct strbuf body = STRBUF_INIT, f = STRBUF_INIT, m = STRBUF_INIT, h = STRBUF_INIT;
    struct family_list fl;

    (void)state;
    /* Classic only: no native part. */
    pb_str(&f, 1, "classic");
    pb_uint(&f, 3, METRIC_HISTOGRAM);
    pb_uint(&h, 1, 1);
    pb_msg(&m, 7, &h);
    pb_msg(&f, 4, &m);
    pb_frame(&body, &f);
    /* A schema field of 0 alone is a native field present. */
    pb_str(&f, 1, "native");
    pb_uint(&f, 3, METRIC_HISTOGRAM);
    pb_sint(&h, 5, 0);
    pb_msg(&m, 7, &h);
    pb_msg(&f, 4, &m);
    pb_frame(&body, &f);
    decode_ok(&body, 0, &fl);
    assert_null(fl.v[0]->metrics[0].native);
    assert_non_null(fl.v[1]->metrics[0].native);
    assert_int_equal(fl.v[1]->metrics[0].native->schema, 0);
    family_list_free(&fl);
    strbuf_free(&body);
}

/* One metric of family type `type` carrying the value messages listed in fields (0-ended). */
static enum metric_type
kind_for(int type, const unsigned *fields)
{
    struct strbuf body = STRBUF_INIT, f = STRBUF_INIT, m = STRBUF_INIT, h = STRBUF_INIT;
    struct family_list fl;
    enum metric_type k;

    pb_str(&f, 1, "k");
    pb_uint(&f, 3, (uint64_t)type);
    for (; *fields != 0; fields++) {
        if (*fields == 4 || *fields == 7) {
            pb_uint(&h, 1, 1);
            pb_msg(&m, *fields, &h);
        } else {
            pb_value(&m, *fields, 1);
        }
    }
    pb_msg(&f, 4, &m);
    pb_frame(&body, &f);
    decode_ok(&body, 0, &fl);
    k = fl.v[0]->metrics[0].kind;
    family_list_free(&fl);
    strbuf_free(&body);
    return k;
}

static void
test_kind_selection(void **state)
{
    static const unsigned none[] = {0}, counter[] = {3, 0}, gauge_counter[] = {3, 2, 0},
                          hist[] = {7, 0}, summary_gauge[] = {2, 4, 0}, untyped[] = {5, 0};

    (void)state;
    assert_int_equal(kind_for(METRIC_GAUGE, counter), METRIC_COUNTER);
    assert_int_equal(kind_for(METRIC_GAUGE, gauge_counter), METRIC_GAUGE);
    assert_int_equal(kind_for(METRIC_COUNTER, gauge_counter), METRIC_COUNTER);
    assert_int_equal(kind_for(METRIC_SUMMARY, summary_gauge), METRIC_SUMMARY);
    assert_int_equal(kind_for(METRIC_UNTYPED, untyped), METRIC_UNTYPED);
    assert_int_equal(kind_for(METRIC_HISTOGRAM, hist), METRIC_HISTOGRAM);
    assert_int_equal(kind_for(METRIC_GAUGE_HISTOGRAM, hist), METRIC_GAUGE_HISTOGRAM);
    assert_int_equal(kind_for(METRIC_GAUGE, hist), METRIC_HISTOGRAM);
    /* No value field at all: a kind that the check refuses for the family type. */
    assert_int_equal(kind_for(METRIC_COUNTER, none), METRIC_UNTYPED);
    assert_int_equal(kind_for(METRIC_GAUGE, none), METRIC_UNTYPED);
    assert_int_equal(kind_for(METRIC_UNTYPED, none), METRIC_GAUGE);
    assert_int_equal(kind_for(METRIC_GAUGE_HISTOGRAM, none), METRIC_GAUGE_HISTOGRAM);
}

static void
test_metric_names(void **state)
{
    struct strbuf body = STRBUF_INIT;
    struct family_list fl;

    (void)state;
    pb_simple_family(&body, "my.metric", NULL, METRIC_GAUGE, 1);
    decode_err(&body, 0, "invalid metric name \"my.metric\"");
    decode_ok(&body, 1, &fl);
    assert_string_equal(fl.v[0]->name, "my.metric");
    family_list_free(&fl);
    strbuf_free(&body);

    pb_simple_family(&body, "bad\xff", NULL, METRIC_GAUGE, 1);
    decode_err(&body, 0, "invalid metric name \"bad\\xff\"");
    decode_err(&body, 1, "invalid metric name \"bad\\xff\"");
    strbuf_free(&body);

    pb_simple_family(&body, "", NULL, METRIC_GAUGE, 1);
    decode_err(&body, 0, "invalid metric name \"\"");
    decode_err(&body, 1, "invalid metric name \"\"");
    strbuf_free(&body);

    /* A valid first family does not hide an invalid second one. */
    pb_simple_family(&body, "ok:name_1", NULL, METRIC_GAUGE, 1);
    pb_simple_family(&body, "1abc", NULL, METRIC_GAUGE, 1);
    decode_err(&body, 0, "invalid metric name \"1abc\"");
    strbuf_free(&body);
}

static void
test_nul_bytes(void **state)
{
    struct strbuf body = STRBUF_INIT, f = STRBUF_INIT, m = STRBUF_INIT, l = STRBUF_INIT;

    (void)state;
    pb_str(&f, 1, "n");
    pb_uint(&f, 3, METRIC_GAUGE);
    pb_str(&l, 1, "lbl");
    pb_bytes(&l, 2, "a\0b", 3);
    pb_msg(&m, 1, &l);
    pb_value(&m, 2, 1);
    pb_msg(&f, 4, &m);
    pb_frame(&body, &f);
    decode_err(&body, 0, "invalid protobuf message in frame 1: a string holds a NUL byte");
    strbuf_free(&body);

    pb_simple_family(&body, "first", NULL, METRIC_GAUGE, 1);
    pb_bytes(&f, 1, "x\0", 2);
    pb_frame(&body, &f);
    decode_err(&body, 0, "invalid protobuf message in frame 2: a string holds a NUL byte");
    strbuf_free(&body);

    pb_bytes(&f, 1, "h", 1);
    pb_bytes(&f, 2, "\0", 1);
    pb_frame(&body, &f);
    decode_err(&body, 0, "invalid protobuf message in frame 1: a string holds a NUL byte");
    strbuf_free(&body);
}

static void
test_invalid_messages(void **state)
{
    struct strbuf body = STRBUF_INIT;

    (void)state;
    /* A length of 2 followed by a field with an invalid wire type. */
    strbuf_add(&body, "\x02\x0f\x01", 3);
    decode_err(&body, 0, "invalid protobuf message in frame 1");
    strbuf_reset(&body);
    pb_simple_family(&body, "ok", NULL, METRIC_GAUGE, 1);
    /* Frame 2: a nested Metric whose declared length overruns its parent. */
    strbuf_add(&body, "\x04\x22\x09\x0a\x00", 5);
    decode_err(&body, 0, "invalid protobuf message in frame 2");
    strbuf_free(&body);
    /* A frame length varint that overflows 64 bits. */
    strbuf_add(&body, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
    decode_err(&body, 0, "binary: varint overflows a 64-bit integer");
    strbuf_free(&body);
    /* A huge declared length is just a truncated frame. */
    strbuf_add(&body, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
    decode_err(&body, 0, "unexpected EOF");
    strbuf_free(&body);
}

/* Every cut of a multi-frame body: a clean end at frame boundaries, "unexpected EOF" else. */
static void
test_truncation_everywhere(void **state)
{
    struct strbuf body = STRBUF_INIT, big = STRBUF_INIT;
    size_t bounds[8], nb = 0, cut, i;
    char label[300];

    (void)state;
    pb_simple_family(&body, "a", "help a", METRIC_GAUGE, 1);
    bounds[nb++] = body.len;
    /* A frame long enough for a two-byte length varint. */
    memset(label, 'x', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    pb_simple_family(&body, "b", label, METRIC_GAUGE, 2);
    bounds[nb++] = body.len;
    pb_simple_family(&body, "c", NULL, METRIC_COUNTER, 3);
    bounds[nb++] = body.len;
    for (cut = 0; cut <= body.len; cut++) {
        struct strbuf part = STRBUF_INIT;
        size_t expect = 0;
        int boundary = cut == 0;

        for (i = 0; i < nb; i++) {
            if (bounds[i] == cut)
                boundary = 1;
            if (bounds[i] <= cut)
                expect = i + 1;
        }
        strbuf_add(&part, body.data, cut);
        if (boundary) {
            struct family_list fl;

            decode_ok(&part, 0, &fl);
            assert_int_equal(fl.n, expect);
            family_list_free(&fl);
        } else {
            decode_err(&part, 0, "unexpected EOF");
        }
        strbuf_free(&part);
    }
    strbuf_free(&body);
    strbuf_free(&big);
}

/* ---- encoding and the round trip ---- */

static int
same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static void
assert_metric_equal(const struct metric *a, const struct metric *b)
{
    size_t i;

    assert_int_equal(a->nlabels, b->nlabels);
    for (i = 0; i < a->nlabels; i++) {
        assert_string_equal(a->labels[i].name, b->labels[i].name);
        assert_string_equal(a->labels[i].value, b->labels[i].value);
    }
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->has_timestamp, b->has_timestamp);
    assert_true(a->timestamp_ms == b->timestamp_ms);
    assert_true(same_double(a->value, b->value));
    assert_true(a->count == b->count);
    assert_true(same_double(a->count_float, b->count_float));
    assert_true(same_double(a->sum, b->sum));
    assert_int_equal(a->nquantiles, b->nquantiles);
    if (a->nquantiles > 0)
        assert_memory_equal(a->quantiles, b->quantiles, a->nquantiles * sizeof(*a->quantiles));
    assert_int_equal(a->nbuckets, b->nbuckets);
    if (a->nbuckets > 0)
        assert_memory_equal(a->buckets, b->buckets, a->nbuckets * sizeof(*a->buckets));
    assert_int_equal(a->native == NULL, b->native == NULL);
    if (a->native != NULL) {
        const struct native_histogram *x = a->native, *y = b->native;

        assert_int_equal(x->schema, y->schema);
        assert_true(same_double(x->zero_threshold, y->zero_threshold));
        assert_true(x->zero_count == y->zero_count);
        assert_true(same_double(x->zero_count_float, y->zero_count_float));
        assert_int_equal(x->nneg_spans, y->nneg_spans);
        assert_int_equal(x->nneg_deltas, y->nneg_deltas);
        assert_int_equal(x->nneg_counts, y->nneg_counts);
        assert_int_equal(x->npos_spans, y->npos_spans);
        assert_int_equal(x->npos_deltas, y->npos_deltas);
        assert_int_equal(x->npos_counts, y->npos_counts);
        if (x->nneg_spans > 0)
            assert_memory_equal(x->neg_spans, y->neg_spans, x->nneg_spans * sizeof(*x->neg_spans));
        if (x->npos_spans > 0)
            assert_memory_equal(x->pos_spans, y->pos_spans, x->npos_spans * sizeof(*x->pos_spans));
        if (x->nneg_deltas > 0)
            assert_memory_equal(x->neg_deltas, y->neg_deltas, x->nneg_deltas * 8);
        if (x->npos_deltas > 0)
            assert_memory_equal(x->pos_deltas, y->pos_deltas, x->npos_deltas * 8);
        if (x->nneg_counts > 0)
            assert_memory_equal(x->neg_counts, y->neg_counts, x->nneg_counts * 8);
        if (x->npos_counts > 0)
            assert_memory_equal(x->pos_counts, y->pos_counts, x->npos_counts * 8);
    }
}

static void
assert_lists_equal(const struct family_list *a, const struct family_list *b)
{
    size_t i, j;

    assert_int_equal(a->n, b->n);
    for (i = 0; i < a->n; i++) {
        const struct metric_family *x = a->v[i], *y = b->v[i];

        assert_string_equal(x->name, y->name);
        assert_int_equal(x->help == NULL, y->help == NULL);
        if (x->help != NULL)
            assert_string_equal(x->help, y->help);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->nmetrics, y->nmetrics);
        for (j = 0; j < x->nmetrics; j++)
            assert_metric_equal(&x->metrics[j], &y->metrics[j]);
    }
}

/* Fill a family list exercising every field the model holds. */
static void
build_sample(struct family_list *fl)
{
    struct metric_family *mf;
    struct metric *m;
    struct native_histogram *nh;
    char name[16], value[600];
    int i;

    family_list_init(fl);
    mf = metric_family_new("g", METRIC_GAUGE);
    mf->help = xstrdup("gauge help with \"quotes\"\nand a newline");
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    metric_add_label(m, "instance", "");
    metric_add_label(m, "job", "j\xc3\xa4");
    m->value = -0.0;
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    m->value = NAN;
    m->has_timestamp = 1;
    m->timestamp_ms = -1234567890123LL;
    /* Many long labels: lengths needing two- and three-byte varints. */
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    m = metric_family_add_metric(mf, METRIC_COUNTER);
    for (i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "l%02d", i);
        metric_add_label(m, name, value);
    }
    m->value = 1e300;
    family_list_add(fl, mf);

    mf = metric_family_new("empty_help", METRIC_UNTYPED);
    mf->help = xstrdup("");
    m = metric_family_add_metric(mf, METRIC_UNTYPED);
    m->value = HUGE_VAL;
    family_list_add(fl, mf);

    family_list_add(fl, metric_family_new("no_metrics", METRIC_SUMMARY));

    mf = metric_family_new("s", METRIC_SUMMARY);
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    m->count = UINT64_MAX;
    m->sum = 12.5;
    m->quantiles = xcalloc(2, sizeof(*m->quantiles));
    m->quantiles[0].quantile = 0.5;
    m->quantiles[0].value = 1;
    m->quantiles[1].quantile = 0.99;
    m->quantiles[1].value = -HUGE_VAL;
    m->nquantiles = 2;
    family_list_add(fl, mf);

    mf = metric_family_new("h", METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    metric_add_label(m, "a", "b");
    m->count = 10;
    m->count_float = 10.5;
    m->sum = 3.25;
    m->buckets = xcalloc(3, sizeof(*m->buckets));
    m->buckets[0].upper_bound = 0.1;
    m->buckets[0].count = 1;
    m->buckets[1].upper_bound = 1;
    m->buckets[1].count = 5;
    m->buckets[1].count_float = 5.5;
    m->buckets[2].upper_bound = HUGE_VAL;
    m->buckets[2].count = 10;
    m->nbuckets = 3;
    nh = xcalloc(1, sizeof(*nh));
    nh->schema = -4;
    nh->zero_threshold = 1e-128;
    nh->zero_count = 3;
    nh->zero_count_float = 0.5;
    nh->neg_spans = xcalloc(1, sizeof(*nh->neg_spans));
    nh->neg_spans[0].offset = -2147483647 - 1;
    nh->neg_spans[0].length = 4294967295u;
    nh->nneg_spans = 1;
    nh->neg_deltas = xcalloc(2, sizeof(int64_t));
    nh->neg_deltas[0] = INT64_MIN;
    nh->neg_deltas[1] = INT64_MAX;
    nh->nneg_deltas = 2;
    nh->pos_spans = xcalloc(2, sizeof(*nh->pos_spans));
    nh->pos_spans[0].offset = 2147483647;
    nh->pos_spans[0].length = 1;
    nh->pos_spans[1].offset = -7;
    nh->pos_spans[1].length = 0;
    nh->npos_spans = 2;
    nh->pos_counts = xcalloc(1, sizeof(double));
    nh->pos_counts[0] = 0.25;
    nh->npos_counts = 1;
    m->native = nh;
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM); /* native part of zeroes */
    m->native = xcalloc(1, sizeof(*m->native));
    family_list_add(fl, mf);

    mf = metric_family_new("gh", METRIC_GAUGE_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_GAUGE_HISTOGRAM);
    m->count = 2;
    m->sum = 1;
    family_list_add(fl, mf);

    mf = metric_family_new("utf8.n\xc3\xa4me", METRIC_GAUGE);
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    metric_add_label(m, "lbl.x", "1");
    m->value = 1;
    family_list_add(fl, mf);
}

static void
test_round_trip(void **state)
{
    struct family_list in, out;
    struct strbuf body = STRBUF_INIT, again = STRBUF_INIT;

    (void)state;
    build_sample(&in);
    expo_proto_family_list(&body, &in);
    decode_ok(&body, 1, &out);
    assert_lists_equal(&in, &out);
    /* Encoding is deterministic: the decoded list encodes to the same bytes. */
    expo_proto_family_list(&again, &out);
    assert_int_equal(again.len, body.len);
    assert_memory_equal(again.data, body.data, body.len);
    family_list_free(&in);
    family_list_free(&out);
    strbuf_free(&body);
    strbuf_free(&again);
}

/* The exact bytes of a small family, as Go's encoder writes them. */
static void
test_encoding_bytes(void **state)
{
    struct metric_family *mf = metric_family_new("g", METRIC_GAUGE);
    struct metric *m = metric_family_add_metric(mf, METRIC_GAUGE);
    const struct metric *v[1];
    struct strbuf out = STRBUF_INIT;
    static const char want[] = "\x1d"      /* frame length 29 */
                               "\x0a\x01g" /* name */
                               "\x12\x01h" /* help */
                               "\x18\x01"  /* type GAUGE */
                               "\x22\x13"  /* metric, 19 bytes */
                               "\x0a\x06"  /* label, 6 bytes */
                               "\x0a\x01"
                               "a"
                               "\x12\x01"
                               "b"
                               "\x12\x09"                              /* gauge, 9 bytes */
                               "\x09\x00\x00\x00\x00\x00\x00\xf0\x3f"; /* value 1.0 */

    (void)state;
    mf->help = xstrdup("h");
    metric_add_label(m, "a", "b");
    m->value = 1;
    v[0] = m;
    expo_proto_family(&out, mf->name, mf->help, mf->type, v, 1, ESCAPE_UNDERSCORES);
    assert_int_equal(out.len, sizeof(want) - 1);
    assert_memory_equal(out.data, want, sizeof(want) - 1);
    strbuf_free(&out);
    metric_family_free(mf);
}

static void
test_encoding_escapes_names(void **state)
{
    struct metric_family *mf = metric_family_new("my.metric", METRIC_GAUGE);
    struct metric *m = metric_family_add_metric(mf, METRIC_GAUGE);
    const struct metric *v[1];
    struct strbuf out = STRBUF_INIT;
    struct family_list fl;

    (void)state;
    metric_add_label(m, "lbl.x", "va.lue");
    metric_add_label(m, "ok_label", "1");
    v[0] = m;
    expo_proto_family(&out, mf->name, NULL, mf->type, v, 1, ESCAPE_UNDERSCORES);
    expo_proto_family(&out, mf->name, NULL, mf->type, v, 1, ESCAPE_VALUES);
    expo_proto_family(&out, mf->name, NULL, mf->type, v, 1, ESCAPE_ALLOW_UTF8);
    decode_ok(&out, 1, &fl);
    assert_int_equal(fl.n, 3);
    assert_string_equal(fl.v[0]->name, "my_metric");
    assert_string_equal(fl.v[0]->metrics[0].labels[0].name, "lbl_x");
    assert_string_equal(fl.v[0]->metrics[0].labels[0].value, "va.lue");
    assert_string_equal(fl.v[0]->metrics[0].labels[1].name, "ok_label");
    assert_string_equal(fl.v[1]->name, "U__my_2e_metric");
    assert_string_equal(fl.v[1]->metrics[0].labels[0].name, "U__lbl_2e_x");
    assert_string_equal(fl.v[2]->name, "my.metric");
    assert_string_equal(fl.v[2]->metrics[0].labels[0].name, "lbl.x");
    family_list_free(&fl);
    strbuf_free(&out);
    metric_family_free(mf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_basic_gauge),
        cmocka_unit_test(test_type_default_and_unknown),
        cmocka_unit_test(test_repeated_family_replaces),
        cmocka_unit_test(test_empty_family_and_help),
        cmocka_unit_test(test_timestamp_and_summary),
        cmocka_unit_test(test_histogram_classic_and_native),
        cmocka_unit_test(test_native_presence),
        cmocka_unit_test(test_kind_selection),
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_invalid_messages),
        cmocka_unit_test(test_truncation_everywhere),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encoding_bytes),
        cmocka_unit_test(test_encoding_escapes_names),
    };

    return cmocka_run_group_tests_name("protoparse", tests, NULL, NULL);
}
