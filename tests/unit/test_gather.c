/* test_gather.c - rendering a gather of the store: the per-family protobuf render cache */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "expo_proto.h"
#include "gather.h"
#include "grouping.h"
#include "metric.h"
#include "selfmetrics.h"
#include "store.h"
#include "strbuf.h"
#include "textparse.h"
#include "xmalloc.h"

static const enum name_escaping all_esc[] = {ESCAPE_UNDERSCORES, ESCAPE_ALLOW_UTF8, ESCAPE_DOTS,
                                             ESCAPE_VALUES};
#define NESC (sizeof(all_esc) / sizeof(all_esc[0]))

static void
add_bucket(struct metric *m, double le, uint64_t count, double count_float)
{
    m->buckets = xreallocarray(m->buckets, m->nbuckets + 1, sizeof(*m->buckets));
    m->buckets[m->nbuckets].upper_bound = le;
    m->buckets[m->nbuckets].count = count;
    m->buckets[m->nbuckets].count_float = count_float;
    m->nbuckets++;
}

static struct bucket_span *
spans(size_t n, const int32_t *off, const uint32_t *len)
{
    struct bucket_span *v = xcalloc(n, sizeof(*v));
    size_t i;

    for (i = 0; i < n; i++) {
        v[i].offset = off[i];
        v[i].length = len[i];
    }
    return v;
}

/* Native histograms (which the text format cannot carry): an integer and a float one. */
static struct metric_family *
native_family(const char *instance)
{
    static const int32_t poff[] = {-1, 3}, noff[] = {2}, foff[] = {1};
    static const uint32_t plen[] = {2, 1}, nlen[] = {1}, flen[] = {2};
    struct metric_family *mf = metric_family_new("nh_seconds", METRIC_HISTOGRAM);
    struct native_histogram *nh;
    struct metric *m;

    mf->help = xstrdup("Native histograms.");
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    metric_add_label(m, "instance", instance);
    metric_add_label(m, "kind", "int");
    m->count = 7;
    m->sum = 12.5;
    add_bucket(m, 1, 3, 0);
    add_bucket(m, INFINITY, 7, 0);
    nh = m->native = xcalloc(1, sizeof(*nh));
    nh->schema = 3;
    nh->zero_threshold = 1e-128;
    nh->zero_count = 1;
    nh->pos_spans = spans(2, poff, plen);
    nh->npos_spans = 2;
    nh->pos_deltas = xcalloc(3, sizeof(*nh->pos_deltas));
    nh->pos_deltas[0] = 2;
    nh->pos_deltas[1] = -1;
    nh->pos_deltas[2] = 1;
    nh->npos_deltas = 3;
    nh->neg_spans = spans(1, noff, nlen);
    nh->nneg_spans = 1;
    nh->neg_deltas = xcalloc(1, sizeof(*nh->neg_deltas));
    nh->neg_deltas[0] = 1;
    nh->nneg_deltas = 1;

    m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    metric_add_label(m, "instance", instance);
    metric_add_label(m, "kind", "float");
    m->count_float = 4.5;
    m->sum = -3;
    nh = m->native = xcalloc(1, sizeof(*nh));
    nh->schema = -1;
    nh->zero_threshold = 0.001;
    nh->zero_count_float = 0.5;
    nh->pos_spans = spans(1, foff, flen);
    nh->npos_spans = 1;
    nh->pos_counts = xcalloc(2, sizeof(*nh->pos_counts));
    nh->pos_counts[0] = 1.5;
    nh->pos_counts[1] = 2.5;
    nh->npos_counts = 2;
    nh->neg_spans = spans(1, noff, nlen);
    nh->nneg_spans = 1;
    nh->neg_counts = xcalloc(1, sizeof(*nh->neg_counts));
    nh->neg_counts[0] = 0.5;
    nh->nneg_counts = 1;
    return mf;
}

/* Push a text body (UTF-8 names allowed) plus optionally extra families to one group. */
static void
push(struct store *st, const char *job, const char *labels, const char *text,
     struct metric_family *extra, int replace)
{
    struct grouping_key k = test_key(job, labels);
    struct family_list fl;
    struct timespec ts = {1700000000, 123456789};
    char *err = NULL;

    family_list_init(&fl);
    assert_int_equal(textparse(text, strlen(text), 1, &fl, &err), 0);
    if (extra != NULL)
        family_list_add(&fl, extra);
    store_sanitise(&fl, &k);
    store_push(st, &k, &fl, replace, &ts);
    assert_int_equal(fl.n, 0);
    family_list_free(&fl);
    grouping_key_free(&k);
}

/* Series of every kind; the families repeat across groups, so a gathered family merges many. */
static const char common_text[] =
    "# HELP plain_total A counter.\n"
    "# TYPE plain_total counter\n"
    "plain_total{a=\"x\"} 1\n"
    "plain_total{a=\"y\",b=\"\xc3\xa9t\xc3\xa9\"} 2.5\n"
    "# TYPE g gauge\n"
    "g -0.0\n"
    "# TYPE s summary\n"
    "s{quantile=\"0.5\"} 1\n"
    "s{quantile=\"0.9\"} NaN\n"
    "s_sum 10\n"
    "s_count 3\n"
    "# TYPE h histogram\n"
    "h_bucket{le=\"1\"} 1.5\n"
    "h_bucket{le=\"+Inf\"} 2.5\n"
    "h_sum 3\n"
    "h_count 2.5\n"
    "# TYPE hi histogram\n"
    "hi_bucket{le=\"0.1\"} 0\n"
    "hi_bucket{le=\"+Inf\"} 4\n"
    "hi_sum 1e-3\n"
    "hi_count 4\n"
    "u 7 1234567\n"
    "u_neg{x=\"1\"} -Inf -5\n"
    "{\"my.dotted metric\",\"label.name\"=\"v\",\"_ok\"=\"w\"} 1\n"
    "{\"my.dotted metric\",\"label.name\"=\"v2\"} 2\n"
    "# TYPE pushgateway_http_requests_total counter\n"
    "pushgateway_http_requests_total{code=\"200\",handler=\"push\",method=\"post\"} 4\n"
    "pushgateway_build_info{branch=\"stored\"} 1\n";

/* ngroups groups of common_text, the first also with native histograms and a large family. */
static void
fill_store(struct store *st, int ngroups)
{
    struct strbuf big = STRBUF_INIT;
    char job[32];
    int i;

    for (i = 0; i < ngroups; i++) {
        snprintf(job, sizeof(job), "job%02d", (i * 7) % ngroups);
        push(st, job, i % 2 ? "/instance/i1" : "", common_text, native_family("n"), 1);
    }
    /* Over 16 KiB in one family: a three-byte length prefix. */
    strbuf_addstr(&big, "# HELP big_family Many series.\n# TYPE big_family gauge\n");
    for (i = 0; i < 1000; i++)
        strbuf_addf(&big, "big_family{series=\"%d\",long_label=\"abcdefghijklmnop\"} %d\n", i, i);
    push(st, "big", "", strbuf_str(&big), NULL, 1);
    strbuf_free(&big);
}

static void
setup_selfmetrics(void)
{
    selfmetrics_init();
    selfmetrics_count_request(HANDLER_PUSH, "post", 200);
    selfmetrics_count_request(HANDLER_PUSH, "put", 400);
    selfmetrics_observe_push("post", 0.01, 100);
}

/* A gathered family's metrics as an array (caller frees). */
static const struct metric **
listed(const struct gathered_family *gf)
{
    const struct metric **v = xreallocarray(NULL, gf->nmetrics + 1, sizeof(*v));
    const struct series_node *sn;
    struct gather_iter gi;
    size_t n = 0;

    gather_iter_init(&gi, gf);
    while (gather_iter_next(&gi, &v[n], &sn))
        n++;
    gather_iter_done(&gi);
    assert_int_equal(n, gf->nmetrics);
    return v;
}

/* Every stored family whose series are in the gather has its cache for esc (or none). */
static void
check_cached(const struct gather *g, enum name_escaping esc, int want_cached)
{
    size_t i, nstored = 0;

    for (i = 0; i < g->n; i++) {
        struct gather_iter gi;
        const struct series_node *sn;
        const struct metric *m;

        gather_iter_init(&gi, &g->v[i]);
        while (gather_iter_next(&gi, &m, &sn)) {
            if (sn == NULL)
                continue;
            nstored++;
            if (want_cached) {
                assert_non_null(sn->sf->proto);
                assert_int_equal(sn->sf->proto->esc, (int)esc);
            } else {
                assert_null(sn->sf->proto);
            }
        }
        gather_iter_done(&gi);
    }
    assert_true(nstored > 0);
}

/* Gather the store and render it twice with esc: both times as the uncached encoding. */
static void
check_render(struct store *st, enum name_escaping esc, int cold)
{
    static const char prefix[] = "prefix";
    struct strbuf want = STRBUF_INIT, got = STRBUF_INIT;
    struct gather g;
    char *err = NULL;
    size_t i;
    int pass;

    assert_int_equal(gather_collect(&g, st, 0, 1, &err), 0);
    assert_null(err);
    strbuf_addstr(&want, prefix);
    for (i = 0; i < g.n; i++) {
        const struct metric **v = listed(&g.v[i]);
        expo_proto_family(&want, g.v[i].name, g.v[i].help, g.v[i].type, v, g.v[i].nmetrics, esc);
        free(v);
    }
    if (cold)
        check_cached(&g, esc, 0);
    for (pass = 0; pass < 2; pass++) {
        strbuf_reset(&got);
        strbuf_addstr(&got, prefix); /* the render appends */
        gather_render_proto(&g, esc, &got);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        check_cached(&g, esc, 1);
    }
    gather_free(&g);
    strbuf_free(&want);
    strbuf_free(&got);
}

/* A cold then warm render for each escaping scheme, each starting from a fresh store. */
static void
test_proto_cache_cold_warm(void **state)
{
    size_t e;

    (void)state;
    setup_selfmetrics();
    for (e = 0; e < NESC; e++) {
        struct store st;

        store_init(&st);
        fill_store(&st, 12);
        check_render(&st, all_esc[e], 1);
        store_free(&st);
    }
    selfmetrics_free();
}

/* One store scraped with one scheme, then with the others, then the first again. */
static void
test_proto_cache_switch_escaping(void **state)
{
    struct store st;
    size_t e;

    (void)state;
    setup_selfmetrics();
    store_init(&st);
    fill_store(&st, 5);
    check_render(&st, ESCAPE_UNDERSCORES, 1);
    for (e = 0; e < NESC; e++)
        check_render(&st, all_esc[e], 0);
    check_render(&st, ESCAPE_ALLOW_UTF8, 0);
    check_render(&st, ESCAPE_UNDERSCORES, 0);
    store_free(&st);
    selfmetrics_free();
}

/* The gather really merges own and stored series of one name, and both render right. */
static void
test_proto_cache_own_merged(void **state)
{
    static const char *const names[] = {"pushgateway_build_info",
                                        "pushgateway_http_requests_total"};
    struct store st;
    struct gather g;
    char *err = NULL;
    size_t i, n;

    (void)state;
    setup_selfmetrics();
    store_init(&st);
    fill_store(&st, 3);
    assert_int_equal(gather_collect(&g, &st, 0, 1, &err), 0);
    for (n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        size_t nown = 0, nstored = 0;

        for (i = 0; i < g.n && strcmp(g.v[i].name, names[n]) != 0; i++)
            ;
        assert_true(i < g.n);
        {
            struct gather_iter gi;
            const struct series_node *sn;
            const struct metric *m;

            gather_iter_init(&gi, &g.v[i]);
            while (gather_iter_next(&gi, &m, &sn)) {
                if (sn == NULL)
                    nown++;
                else
                    nstored++;
            }
            gather_iter_done(&gi);
            assert_int_equal(nown + nstored, g.v[i].nmetrics);
        }
        assert_true(nown > 0);
        assert_int_equal(nstored, 3);
    }
    gather_free(&g);
    check_render(&st, ESCAPE_UNDERSCORES, 1);
    check_render(&st, ESCAPE_ALLOW_UTF8, 0);
    store_free(&st);
    selfmetrics_free();
}

/* Render the store as protobuf with esc into a new string; returns its length in *len. */
static char *
render(struct store *st, enum name_escaping esc, size_t *len)
{
    struct strbuf out = STRBUF_INIT;
    struct gather g;
    char *err = NULL;

    assert_int_equal(gather_collect(&g, st, 0, 1, &err), 0);
    gather_render_proto(&g, esc, &out);
    gather_free(&g);
    return strbuf_detach(&out, len);
}

/* Replaced, added and dropped families after warm scrapes: never a stale rendering. */
static void
test_proto_cache_after_push(void **state)
{
    struct store st;
    struct grouping_key k;
    const struct stored_family *sf;
    char *before, *after;
    size_t before_len, after_len;

    (void)state;
    setup_selfmetrics();
    store_init(&st);
    fill_store(&st, 4);
    check_render(&st, ESCAPE_VALUES, 1);
    before = render(&st, ESCAPE_VALUES, &before_len);

    /* POST replaces plain_total and nh_seconds of job00 (other series of it stay cached). */
    push(&st, "job00", "",
         "# HELP plain_total A counter.\n# TYPE plain_total counter\nplain_total{a=\"x\"} 99\n",
         native_family("replaced"), 0);
    k = test_key("job00", "");
    sf = group_family(store_group(&st, &k), "plain_total");
    assert_non_null(sf);
    assert_null(sf->proto);
    sf = group_family(store_group(&st, &k), "g");
    assert_non_null(sf->proto);
    grouping_key_free(&k);
    /* A new group adds series to cached names; a PUT drops families of another group. */
    push(&st, "new", "", common_text, NULL, 1);
    push(&st, "job01", "/instance/i1", "g 5\n", NULL, 1);

    after = render(&st, ESCAPE_VALUES, &after_len);
    assert_false(after_len == before_len && memcmp(after, before, after_len) == 0);
    check_render(&st, ESCAPE_VALUES, 0);
    check_render(&st, ESCAPE_DOTS, 0);
    /* The same group replaced once more, now while cached for another scheme. */
    push(&st, "job00", "", "# TYPE plain_total counter\nplain_total{a=\"z\"} 1\n", NULL, 0);
    check_render(&st, ESCAPE_ALLOW_UTF8, 0);
    check_render(&st, ESCAPE_DOTS, 0);
    free(before);
    free(after);
    store_free(&st);
    selfmetrics_free();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_cache_cold_warm),
        cmocka_unit_test(test_proto_cache_switch_escaping),
        cmocka_unit_test(test_proto_cache_own_merged),
        cmocka_unit_test(test_proto_cache_after_push),
    };
    return cmocka_run_group_tests_name("gather", tests, NULL, NULL);
}
