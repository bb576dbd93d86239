/* test_exposition.c - unit tests for text format 0.0.4 rendering and metric ordering */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exposition.h"
#include "gofmt.h"
#include "metric.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Add labels given as name, value, ..., NULL; the caller passes them sorted by name. */
static void
add_labels(struct metric *m, ...)
{
    va_list ap;
    const char *name;

    va_start(ap, m);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);

        metric_add_label(m, name, value);
    }
    va_end(ap);
}

static void
add_quantile(struct metric *m, double q, double v)
{
    m->quantiles = xreallocarray(m->quantiles, m->nquantiles + 1, sizeof(*m->quantiles));
    m->quantiles[m->nquantiles].quantile = q;
    m->quantiles[m->nquantiles].value = v;
    m->nquantiles++;
}

static void
add_bucket(struct metric *m, double le, uint64_t count, double count_float)
{
    m->buckets = xreallocarray(m->buckets, m->nbuckets + 1, sizeof(*m->buckets));
    m->buckets[m->nbuckets].upper_bound = le;
    m->buckets[m->nbuckets].count = count;
    m->buckets[m->nbuckets].count_float = count_float;
    m->nbuckets++;
}

/* Render a whole family through expo_text_family and compare with want. */
static void
check_family(const struct metric_family *mf, const char *want)
{
    struct strbuf out = STRBUF_INIT;
    const struct metric **v = xcalloc(mf->nmetrics + 1, sizeof(*v));
    size_t i;

    for (i = 0; i < mf->nmetrics; i++)
        v[i] = &mf->metrics[i];
    expo_text_family(&out, mf->name, mf->help, mf->type, v, mf->nmetrics);
    assert_string_equal(strbuf_str(&out), want);
    assert_int_equal(out.len, strlen(want));
    free(v);
    strbuf_free(&out);
}

static struct metric_family *
family(const char *name, const char *help, enum metric_type type)
{
    struct metric_family *mf = metric_family_new(name, type);

    if (help != NULL)
        mf->help = xstrdup(help);
    return mf;
}

static void
test_counter_gauge_untyped(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    mf = family("c", NULL, METRIC_COUNTER);
    m = metric_family_add_metric(mf, METRIC_COUNTER);
    m->value = 1;
    check_family(mf, "# TYPE c counter\nc 1\n");
    metric_family_free(mf);

    mf = family("another_metric", "Just an example.", METRIC_GAUGE);
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "instance", "some_instance", "job", "some_job", NULL);
    m->value = 2398.283;
    check_family(mf, "# HELP another_metric Just an example.\n"
                     "# TYPE another_metric gauge\n"
                     "another_metric{instance=\"some_instance\",job=\"some_job\"} 2398.283\n");
    metric_family_free(mf);

    mf = family("push_time_seconds", "", METRIC_GAUGE);
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "instance", "", "job", "j", NULL);
    m->value = 1795239269.3944163;
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "instance", "i", "job", "j", NULL);
    m->value = -0.0;
    check_family(mf, "# HELP push_time_seconds \n"
                     "# TYPE push_time_seconds gauge\n"
                     "push_time_seconds{instance=\"\",job=\"j\"} 1.7952392693944163e+09\n"
                     "push_time_seconds{instance=\"i\",job=\"j\"} 0\n");
    metric_family_free(mf);

    mf = family("u", "h", METRIC_UNTYPED);
    m = metric_family_add_metric(mf, METRIC_UNTYPED);
    m->value = NAN;
    m = metric_family_add_metric(mf, METRIC_UNTYPED);
    add_labels(m, "a", "1", NULL);
    m->value = -INFINITY;
    m = metric_family_add_metric(mf, METRIC_UNTYPED);
    add_labels(m, "a", "2", NULL);
    m->value = 1e6;
    check_family(mf, "# HELP u h\n# TYPE u untyped\nu NaN\nu{a=\"1\"} -Inf\nu{a=\"2\"} 1e+06\n");
    metric_family_free(mf);
}

static void
test_escaping(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    /* HELP escapes backslash and newline only; label values also escape the quote. */
    mf = family("e", "a\\b\nc \"q\" \t\x01 \xc3\xa9", METRIC_GAUGE);
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "l", "x\"y\\z\nw \t\x01 \xc3\xa9", "m", "\\\\\"\"\n\n", NULL);
    m->value = 3;
    check_family(mf, "# HELP e a\\\\b\\nc \"q\" \t\x01 \xc3\xa9\n"
                     "# TYPE e gauge\n"
                     "e{l=\"x\\\"y\\\\z\\nw \t\x01 \xc3\xa9\",m=\"\\\\\\\\\\\"\\\"\\n\\n\"} 3\n");
    metric_family_free(mf);
}

static void
test_summary(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    mf = family("s", "A summary.", METRIC_SUMMARY);
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    add_quantile(m, 0.5, 1.5);
    add_quantile(m, 0.99, NAN);
    add_quantile(m, 0.1, 0.00001);
    m->sum = 10.25;
    m->count = 5;
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    add_labels(m, "job", "x", "zzz", "1", NULL);
    add_quantile(m, 1, 2);
    m->sum = 0;
    m->count = 9007199254740993ULL;
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    add_labels(m, "job", "y", "zzz", "2", NULL);
    m->sum = 1;
    m->count = 0;
    check_family(mf, "# HELP s A summary.\n"
                     "# TYPE s summary\n"
                     "s{quantile=\"0.5\"} 1.5\n"
                     "s{quantile=\"0.99\"} NaN\n"
                     "s{quantile=\"0.1\"} 1e-05\n"
                     "s_sum 10.25\n"
                     "s_count 5\n"
                     "s{job=\"x\",zzz=\"1\",quantile=\"1\"} 2\n"
                     "s_sum{job=\"x\",zzz=\"1\"} 0\n"
                     "s_count{job=\"x\",zzz=\"1\"} 9.007199254740992e+15\n"
                     "s_sum{job=\"y\",zzz=\"2\"} 1\n"
                     "s_count{job=\"y\",zzz=\"2\"} 0\n");
    metric_family_free(mf);
}

static void
test_histogram(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    /* No stored +Inf bucket: one is added with the total count. */
    mf = family("h", NULL, METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    add_labels(m, "instance", "", "job", "x", "zzz", "1", NULL);
    add_bucket(m, 0.5, 1, 0);
    add_bucket(m, 1.0, 2, 0);
    add_bucket(m, 1e6, 3, 0);
    m->sum = 3.5;
    m->count = 4;
    check_family(mf, "# TYPE h histogram\n"
                     "h_bucket{instance=\"\",job=\"x\",zzz=\"1\",le=\"0.5\"} 1\n"
                     "h_bucket{instance=\"\",job=\"x\",zzz=\"1\",le=\"1\"} 2\n"
                     "h_bucket{instance=\"\",job=\"x\",zzz=\"1\",le=\"1e+06\"} 3\n"
                     "h_bucket{instance=\"\",job=\"x\",zzz=\"1\",le=\"+Inf\"} 4\n"
                     "h_sum{instance=\"\",job=\"x\",zzz=\"1\"} 3.5\n"
                     "h_count{instance=\"\",job=\"x\",zzz=\"1\"} 4\n");
    metric_family_free(mf);

    /* A stored +Inf bucket is printed as is and nothing is added; no labels at all. */
    mf = family("h", "help", METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    add_bucket(m, 0.1, 1, 0);
    add_bucket(m, INFINITY, 7, 0);
    m->sum = 0.25;
    m->count = 8;
    check_family(mf, "# HELP h help\n"
                     "# TYPE h histogram\n"
                     "h_bucket{le=\"0.1\"} 1\n"
                     "h_bucket{le=\"+Inf\"} 7\n"
                     "h_sum 0.25\n"
                     "h_count 8\n");
    metric_family_free(mf);

    /* A -Inf bucket does not count as +Inf. */
    mf = family("h", NULL, METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    add_bucket(m, -INFINITY, 0, 0);
    m->sum = 0;
    m->count = 2;
    check_family(mf, "# TYPE h histogram\n"
                     "h_bucket{le=\"-Inf\"} 0\n"
                     "h_bucket{le=\"+Inf\"} 2\n"
                     "h_sum 0\n"
                     "h_count 2\n");
    metric_family_free(mf);
}

static void
test_histogram_float_counts(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    /* Float counts win when > 0, per bucket and for the total; integer ones otherwise. */
    mf = family("hf", NULL, METRIC_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    add_bucket(m, 1, 3, 2.5);
    add_bucket(m, 2, 4, 0);
    add_bucket(m, 3, 5, -1);
    m->sum = 7;
    m->count = 9;
    m->count_float = 6.75;
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    add_labels(m, "a", "b", NULL);
    m->sum = 1;
    m->count = 9;
    m->count_float = 0;
    check_family(mf, "# TYPE hf histogram\n"
                     "hf_bucket{le=\"1\"} 2.5\n"
                     "hf_bucket{le=\"2\"} 4\n"
                     "hf_bucket{le=\"3\"} 5\n"
                     "hf_bucket{le=\"+Inf\"} 6.75\n"
                     "hf_sum 7\n"
                     "hf_count 6.75\n"
                     "hf_bucket{a=\"b\",le=\"+Inf\"} 9\n"
                     "hf_sum{a=\"b\"} 1\n"
                     "hf_count{a=\"b\"} 9\n");
    metric_family_free(mf);
}

static void
test_gauge_histogram(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    mf = family("gh", "gauge histogram", METRIC_GAUGE_HISTOGRAM);
    m = metric_family_add_metric(mf, METRIC_GAUGE_HISTOGRAM);
    add_labels(m, "job", "j", NULL);
    add_bucket(m, 0.005, 1, 0);
    m->sum = 0.001;
    m->count = 1;
    check_family(mf, "# HELP gh gauge histogram\n"
                     "# TYPE gh histogram\n"
                     "gh_bucket{job=\"j\",le=\"0.005\"} 1\n"
                     "gh_bucket{job=\"j\",le=\"+Inf\"} 1\n"
                     "gh_sum{job=\"j\"} 0.001\n"
                     "gh_count{job=\"j\"} 1\n");
    metric_family_free(mf);
}

static void
test_empty_family_and_append(void **state)
{
    struct strbuf out = STRBUF_INIT;
    struct metric m;
    const struct metric *v[1];

    (void)state;
    expo_text_family(&out, "x", "help", METRIC_GAUGE, NULL, 0);
    assert_int_equal(out.len, 0);

    /* Output is appended to what the buffer already holds. */
    strbuf_addstr(&out, "# previous\n");
    expo_text_family(&out, "x", "help", METRIC_GAUGE, NULL, 0);
    assert_string_equal(strbuf_str(&out), "# previous\n");
    memset(&m, 0, sizeof(m));
    m.kind = METRIC_GAUGE;
    m.value = 0.1;
    v[0] = &m;
    expo_text_family(&out, "x", NULL, METRIC_GAUGE, v, 1);
    assert_string_equal(strbuf_str(&out), "# previous\n# TYPE x gauge\nx 0.1\n");
    strbuf_free(&out);
}

static void
test_timestamp(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    /* Stored data never has timestamps, but upstream prints them when present. */
    mf = family("t", NULL, METRIC_SUMMARY);
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    m->has_timestamp = 1;
    m->timestamp_ms = -1234;
    m->count = 1;
    m->sum = 2;
    check_family(mf, "# TYPE t summary\nt_sum 2 -1234\nt_count 1 -1234\n");
    metric_family_free(mf);
}

static void
test_utf8_names(void **state)
{
    struct metric_family *mf;
    struct metric *m;

    (void)state;
    /* Names outside the legacy charset are quoted inside the braces (allow-utf-8). */
    mf = family("my.metric", "h", METRIC_SUMMARY);
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    add_quantile(m, 0.5, 1);
    m->count = 1;
    m->sum = 1;
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    add_labels(m, "a.b", "1", "job", "x", "l\"q", "v", NULL);
    m->count = 2;
    m->sum = 3;
    check_family(mf, "# HELP \"my.metric\" h\n"
                     "# TYPE \"my.metric\" summary\n"
                     "{\"my.metric\",quantile=\"0.5\"} 1\n"
                     "{\"my.metric_sum\"} 1\n"
                     "{\"my.metric_count\"} 1\n"
                     "{\"my.metric_sum\",\"a.b\"=\"1\",job=\"x\",\"l\\\"q\"=\"v\"} 3\n"
                     "{\"my.metric_count\",\"a.b\"=\"1\",job=\"x\",\"l\\\"q\"=\"v\"} 2\n");
    metric_family_free(mf);

    /* Colons are fine in metric names, and (as upstream checks) in label names too. */
    mf = family("a:b", NULL, METRIC_GAUGE);
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "c:d", "1", NULL);
    m->value = 1;
    check_family(mf, "# TYPE a:b gauge\na:b{c:d=\"1\"} 1\n");
    metric_family_free(mf);
}

/* Naive rendering of one histogram metric, to compare with the label-copying fast path. */
static void
naive_histogram(struct strbuf *sb, const char *name, const struct metric *m)
{
    char f[GOFMT_FLOAT_MAX];
    struct strbuf labels = STRBUF_INIT;
    size_t i, j;

    for (i = 0; i < m->nlabels; i++) {
        const char *s;

        strbuf_addf(&labels, "%s%s=\"", i ? "," : "", m->labels[i].name);
        for (s = m->labels[i].value; *s; s++) {
            if (*s == '"' || *s == '\\' || *s == '\n')
                strbuf_addch(&labels, '\\');
            strbuf_addch(&labels, *s == '\n' ? 'n' : *s);
        }
        strbuf_addch(&labels, '"');
    }
    for (j = 0; j < m->nbuckets; j++) {
        gofmt_float(f, m->buckets[j].upper_bound);
        strbuf_addf(sb, "%s_bucket{%s,le=\"%s\"} ", name, strbuf_str(&labels), f);
        gofmt_float(f, (double)m->buckets[j].count);
        strbuf_addf(sb, "%s\n", f);
    }
    strbuf_addf(sb, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, strbuf_str(&labels),
                (unsigned long long)m->count);
    gofmt_float(f, m->sum);
    strbuf_addf(sb, "%s_sum{%s} %s\n", name, strbuf_str(&labels), f);
    strbuf_addf(sb, "%s_count{%s} %llu\n", name, strbuf_str(&labels), (unsigned long long)m->count);
    strbuf_free(&labels);
}

static void
test_large_labels_buffer_growth(void **state)
{
    struct metric_family *mf;
    struct strbuf want = STRBUF_INIT;
    char *big = xmalloc(5001);
    size_t i, j;

    (void)state;
    /* Long escaped labels copied line after line force many reallocations mid-line. */
    for (i = 0; i < 5000; i++)
        big[i] = "ab\"\\\nxyz"[i % 8];
    big[5000] = '\0';
    mf = family("big", NULL, METRIC_HISTOGRAM);
    strbuf_addstr(&want, "# TYPE big histogram\n");
    for (i = 0; i < 4; i++) {
        struct metric *m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
        char v[16];

        snprintf(v, sizeof(v), "%zu", i);
        add_labels(m, "a", big + i * 1000, "b", v, NULL);
        for (j = 0; j < 40; j++)
            add_bucket(m, (double)j * 0.25, j, 0);
        m->count = 100 + i;
        m->sum = 1.5 * (double)i;
    }
    for (i = 0; i < mf->nmetrics; i++)
        naive_histogram(&want, "big", &mf->metrics[i]);
    check_family(mf, strbuf_str(&want));
    strbuf_free(&want);
    free(big);
    metric_family_free(mf);
}

struct cmp_case {
    const char *a[4]; /* label values, NULL-terminated */
    const char *b[4];
    int ats, bts; /* has_timestamp */
    int64_t ta, tb;
    int want; /* sign */
};

static const struct cmp_case cmp_cases[] = {
    {{NULL}, {NULL}, 0, 0, 0, 0, 0},
    {{NULL}, {"a", NULL}, 0, 0, 0, 0, -1},
    {{"z", NULL}, {"a", "a", NULL}, 0, 0, 0, 0, -1},
    {{"a", "b", NULL}, {"a", "c", NULL}, 0, 0, 0, 0, -1},
    {{"b", "a", NULL}, {"a", "c", NULL}, 0, 0, 0, 0, 1},
    {{"a", NULL}, {"ab", NULL}, 0, 0, 0, 0, -1},
    {{"", NULL}, {"a", NULL}, 0, 0, 0, 0, -1},
    {{"Z", NULL}, {"a", NULL}, 0, 0, 0, 0, -1},
    {{"\xc3\xa9", NULL}, {"z", NULL}, 0, 0, 0, 0, 1},
    {{"x", "y", NULL}, {"x", "y", NULL}, 0, 0, 0, 0, 0},
    {{"x", NULL}, {"x", NULL}, 1, 0, 5, 0, -1},
    {{"x", NULL}, {"x", NULL}, 0, 1, 0, 5, 1},
    {{"x", NULL}, {"x", NULL}, 1, 1, 5, 6, -1},
    {{"x", NULL}, {"x", NULL}, 1, 1, 6, 5, 1},
    {{"x", NULL}, {"x", NULL}, 1, 1, 6, 6, 0},
};

/* Build a metric whose labels are named l0, l1, ... (or m0, ... so names differ). */
static void
cmp_metric(struct metric *m, const char *const *values, const char *prefix, int has_ts, int64_t ts)
{
    char name[32];
    int i;

    memset(m, 0, sizeof(*m));
    m->kind = METRIC_GAUGE;
    for (i = 0; values[i] != NULL; i++) {
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        metric_add_label(m, name, values[i]);
    }
    m->has_timestamp = has_ts;
    m->timestamp_ms = ts;
}

static int
sign(int x)
{
    return (x > 0) - (x < 0);
}

static void
test_metric_cmp(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cmp_cases) / sizeof(cmp_cases[0]); i++) {
        const struct cmp_case *c = &cmp_cases[i];
        struct metric a, b;

        /* Label names differ between a and b: only values are compared. */
        cmp_metric(&a, c->a, "l", c->ats, c->ta);
        cmp_metric(&b, c->b, "m", c->bts, c->tb);
        assert_int_equal(sign(expo_metric_cmp(&a, &b)), c->want);
        assert_int_equal(sign(expo_metric_cmp(&b, &a)), -c->want);
        assert_int_equal(expo_metric_cmp(&a, &a), 0);
        metric_clear(&a);
        metric_clear(&b);
    }
}

static int
qsort_cmp(const void *a, const void *b)
{
    return expo_metric_cmp(*(const struct metric *const *)a, *(const struct metric *const *)b);
}

static void
test_metric_sort_render(void **state)
{
    struct metric_family *mf;
    struct metric *m;
    const struct metric *v[5];
    struct strbuf out = STRBUF_INIT;
    size_t i;

    (void)state;
    mf = family("g", NULL, METRIC_GAUGE);
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "instance", "b", "job", "a", NULL);
    m->value = 1;
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "job", "z", NULL);
    m->value = 2;
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "instance", "a", "job", "b", NULL);
    m->value = 3;
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "instance", "a", "job", "a", NULL);
    m->value = 4;
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    add_labels(m, "a", "x", "b", "y", "c", "z", NULL);
    m->value = 5;
    for (i = 0; i < mf->nmetrics; i++)
        v[i] = &mf->metrics[i];
    qsort(v, mf->nmetrics, sizeof(v[0]), qsort_cmp);
    expo_text_family(&out, mf->name, mf->help, mf->type, v, mf->nmetrics);
    assert_string_equal(strbuf_str(&out), "# TYPE g gauge\n"
                                          "g{job=\"z\"} 2\n"
                                          "g{instance=\"a\",job=\"a\"} 4\n"
                                          "g{instance=\"a\",job=\"b\"} 3\n"
                                          "g{instance=\"b\",job=\"a\"} 1\n"
                                          "g{a=\"x\",b=\"y\",c=\"z\"} 5\n");
    strbuf_free(&out);
    metric_family_free(mf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_gauge_untyped),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_float_counts),
        cmocka_unit_test(test_gauge_histogram),
        cmocka_unit_test(test_empty_family_and_append),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_utf8_names),
        cmocka_unit_test(test_large_labels_buffer_growth),
        cmocka_unit_test(test_metric_cmp),
        cmocka_unit_test(test_metric_sort_render),
    };

    return cmocka_run_group_tests_name("exposition", tests, NULL, NULL);
}
