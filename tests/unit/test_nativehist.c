/* test_nativehist.c - native histogram bucket boundaries and their JSON API rendering */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "gofmt.h"
#include "grouping.h"
#include "nativehist.h"
#include "store.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Render buckets as "[rule,lower,upper,count]..." with Go's %v number formatting. */
static char *
render(const struct native_histogram *nh)
{
    struct native_bucket *v;
    size_t n = nativehist_buckets(nh, &v), i;
    struct strbuf sb = STRBUF_INIT;
    char a[GOFMT_FLOAT_MAX], b[GOFMT_FLOAT_MAX], c[GOFMT_FLOAT_MAX];

    for (i = 0; i < n; i++) {
        gofmt_float_json(a, v[i].lower);
        gofmt_float_json(b, v[i].upper);
        gofmt_float_json(c, v[i].count);
        strbuf_addf(&sb, "[%d,%s,%s,%s]", (int)v[i].boundary, a, b, c);
    }
    free(v);
    return strbuf_detach(&sb, NULL);
}

static void
set_spans(struct bucket_span **v, size_t *n, const int32_t *offsets, const uint32_t *lengths,
          size_t count)
{
    size_t i;

    *v = xcalloc(count, sizeof(**v));
    for (i = 0; i < count; i++) {
        (*v)[i].offset = offsets[i];
        (*v)[i].length = lengths[i];
    }
    *n = count;
}

static void
free_native(struct native_histogram *nh)
{
    free(nh->neg_spans);
    free(nh->neg_deltas);
    free(nh->neg_counts);
    free(nh->pos_spans);
    free(nh->pos_deltas);
    free(nh->pos_counts);
    memset(nh, 0, sizeof(*nh));
}

static void
expect(const struct native_histogram *nh, const char *want)
{
    char *got = render(nh);

    assert_string_equal(got, want);
    free(got);
}

static void
test_integer_histogram(void **state)
{
    static const int32_t poff[] = {0, 1}, noff[] = {0};
    static const uint32_t plen[] = {2, 1}, nlen[] = {1};
    struct native_histogram nh;

    (void)state;
    memset(&nh, 0, sizeof(nh));
    nh.schema = 0;
    nh.zero_threshold = 0.001;
    nh.zero_count = 3;
    set_spans(&nh.pos_spans, &nh.npos_spans, poff, plen, 2);
    nh.pos_deltas = xcalloc(3, sizeof(int64_t));
    nh.pos_deltas[0] = 1;
    nh.pos_deltas[1] = 1;
    nh.pos_deltas[2] = -1;
    nh.npos_deltas = 3;
    set_spans(&nh.neg_spans, &nh.nneg_spans, noff, nlen, 1);
    nh.neg_deltas = xcalloc(1, sizeof(int64_t));
    nh.neg_deltas[0] = 2;
    nh.nneg_deltas = 1;
    expect(&nh, "[1,-1,-0.5,2][3,-0.001,0.001,3][0,0.5,1,1][0,1,2,2][0,4,8,1]");
    /* The zero bucket disappears with a zero count; a float zero count wins when > 0. */
    nh.zero_count = 0;
    expect(&nh, "[1,-1,-0.5,2][0,0.5,1,1][0,1,2,2][0,4,8,1]");
    nh.zero_count_float = 1.5;
    expect(&nh, "[1,-1,-0.5,2][3,-0.001,0.001,1.5][0,0.5,1,1][0,1,2,2][0,4,8,1]");
    free_native(&nh);
}

static void
test_float_histogram_order_and_skips(void **state)
{
    static const int32_t off[] = {1};
    static const uint32_t len[] = {3};
    struct native_histogram nh;

    (void)state;
    memset(&nh, 0, sizeof(nh));
    set_spans(&nh.neg_spans, &nh.nneg_spans, off, len, 1);
    nh.neg_counts = xcalloc(3, sizeof(double));
    nh.neg_counts[0] = 1;
    nh.neg_counts[1] = 0; /* skipped */
    nh.neg_counts[2] = 2.5;
    nh.nneg_counts = 3;
    set_spans(&nh.pos_spans, &nh.npos_spans, off, len, 1);
    nh.pos_counts = xcalloc(3, sizeof(double));
    nh.pos_counts[0] = 0;
    nh.pos_counts[1] = 0.25;
    nh.pos_counts[2] = 4;
    nh.npos_counts = 3;
    /* Negative buckets from the lowest up: index 3 [-8,-4) first. */
    expect(&nh, "[1,-8,-4,2.5][1,-2,-1,1][0,2,4,0.25][0,4,8,4]");
    free_native(&nh);
}

static void
test_threshold_clamp_and_schemas(void **state)
{
    static const int32_t off0[] = {0}, off1[] = {1};
    static const uint32_t len1[] = {1};
    struct native_histogram nh;

    (void)state;
    memset(&nh, 0, sizeof(nh));
    nh.zero_threshold = 0.7;
    set_spans(&nh.pos_spans, &nh.npos_spans, off0, len1, 1);
    nh.pos_deltas = xcalloc(1, sizeof(int64_t));
    nh.pos_deltas[0] = 1;
    nh.npos_deltas = 1;
    set_spans(&nh.neg_spans, &nh.nneg_spans, off0, len1, 1);
    nh.neg_deltas = xcalloc(1, sizeof(int64_t));
    nh.neg_deltas[0] = 1;
    nh.nneg_deltas = 1;
    expect(&nh, "[1,-1,-0.7,1][0,0.7,1,1]");
    free_native(&nh);

    memset(&nh, 0, sizeof(nh));
    nh.schema = -1;
    set_spans(&nh.pos_spans, &nh.npos_spans, off1, len1, 1);
    nh.pos_deltas = xcalloc(1, sizeof(int64_t));
    nh.pos_deltas[0] = 7;
    nh.npos_deltas = 1;
    expect(&nh, "[0,1,4,7]");
    nh.schema = 3;
    expect(&nh, "[0,1,1.0905077326652577,7]");
    free_native(&nh);
}

static void
test_mismatched_lengths(void **state)
{
    static const int32_t off[] = {-2, 3};
    static const uint32_t len[] = {2, 4};
    struct native_histogram nh;

    (void)state;
    memset(&nh, 0, sizeof(nh));
    set_spans(&nh.pos_spans, &nh.npos_spans, off, len, 2);
    nh.pos_deltas = xcalloc(3, sizeof(int64_t));
    nh.pos_deltas[0] = 1;
    nh.pos_deltas[1] = 0;
    nh.pos_deltas[2] = 1;
    nh.npos_deltas = 3; /* the spans promise 6 buckets */
    expect(&nh, "[0,0.125,0.25,1][0,0.25,0.5,1][0,4,8,2]");
    free_native(&nh);
}

static void
test_bounds(void **state)
{
    (void)state;
    assert_true(nativehist_bound(0, 0) == 1);
    assert_true(nativehist_bound(3, 0) == 8);
    assert_true(nativehist_bound(-1, 0) == 0.5);
    assert_true(nativehist_bound(2, -2) == 256);
    assert_true(nativehist_bound(-1, -4) == ldexp(1, -16));
    assert_true(nativehist_bound(4, 2) == 2);
    assert_true(nativehist_bound(-8, 3) == 0.5);
    /* The last finite bucket ends at the largest double, the next one at +Inf. */
    assert_true(nativehist_bound(1024, 0) == DBL_MAX);
    assert_true(nativehist_bound(256, -2) == DBL_MAX);
    assert_true(isinf(nativehist_bound(1025, 0)));
    assert_true(nativehist_bound(-2000, 0) == 0);
    assert_true(nativehist_bound(1 << 30, -30) > DBL_MAX);
    assert_true(fabs(nativehist_bound(1, 8) - 1.0027112750502025) < 1e-15);
}

static void
test_api_json(void **state)
{
    static const int32_t off[] = {0};
    static const uint32_t len[] = {2};
    struct store st;
    struct grouping_key k;
    struct family_list fl;
    struct metric_family *mf;
    struct metric *m;
    struct timespec ts = {1000, 0};
    char *err = NULL, *json;

    (void)state;
    setenv("TZ", "UTC", 1);
    store_init(&st);
    assert_int_equal(grouping_parse("j", 0, "", 0, &k, &err), 0);
    family_list_init(&fl);
    mf = metric_family_new("nh", METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    m->count = 3;
    m->sum = 2.5;
    m->native = xcalloc(1, sizeof(*m->native));
    m->native->schema = 0;
    m->native->zero_count = 1;
    set_spans(&m->native->pos_spans, &m->native->npos_spans, off, len, 1);
    m->native->pos_deltas = xcalloc(2, sizeof(int64_t));
    m->native->pos_deltas[0] = 2;
    m->native->pos_deltas[1] = -2;
    m->native->npos_deltas = 2;
    family_list_add(&fl, mf);
    /* A float native histogram: the float count is shown. */
    mf = metric_family_new("fh", METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    m->count_float = 2.5;
    m->native = xcalloc(1, sizeof(*m->native));
    set_spans(&m->native->neg_spans, &m->native->nneg_spans, off, len, 1);
    m->native->neg_counts = xcalloc(2, sizeof(double));
    m->native->neg_counts[1] = 2.5;
    m->native->nneg_counts = 2;
    family_list_add(&fl, mf);
    /* A native part without spans is listed like a classic histogram. */
    mf = metric_family_new("zh", METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    m->count = 1;
    m->native = xcalloc(1, sizeof(*m->native));
    m->native->zero_count = 1;
    family_list_add(&fl, mf);
    store_sanitise(&fl, &k);
    store_push(&st, &k, &fl, 1, &ts);
    family_list_free(&fl);
    json = api_metrics_json(&st);
    assert_non_null(strstr(json, "\"metrics\":[{\"buckets\":[[3,\"-0\",\"0\",\"1\"],"
                                 "[0,\"0.5\",\"1\",\"2\"]],\"count\":\"3\","
                                 "\"labels\":{\"instance\":\"\",\"job\":\"j\"},\"sum\":\"2.5\"}]"));
    assert_non_null(strstr(json, "\"metrics\":[{\"buckets\":[[1,\"-2\",\"-1\",\"2.5\"]],"
                                 "\"count\":\"2.5\","));
    assert_non_null(strstr(json, "\"metrics\":[{\"buckets\":{},\"count\":\"1\","));
    free(json);
    grouping_key_free(&k);
    store_free(&st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_histogram),
        cmocka_unit_test(test_float_histogram_order_and_skips),
        cmocka_unit_test(test_threshold_clamp_and_schemas),
        cmocka_unit_test(test_mismatched_lengths),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_api_json),
    };

    return cmocka_run_group_tests_name("nativehist", tests, NULL, NULL);
}
