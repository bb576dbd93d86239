/* test_api.c - JSON bodies of /api/v1: Go's field order, map key order, escaping, numbers */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include <jansson.h>

#include "api.h"
#include "gofmt.h"
#include "grouping.h"
#include "nativehist.h"
#include "store.h"
#include "strbuf.h"
#include "textparse.h"
#include "xmalloc.h"

/* The first implementation (jansson trees), the oracle of test_direct_writer_matches_tree. */
#include "api_ref.inc"

static void
push(struct store *st, const char *job, const char *text, time_t sec)
{
    struct timespec ts = {sec, 25744841};

    test_push(st, job, "", 0, text, 1, &ts);
}

static int
setup_utc(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static void
test_empty_store(void **state)
{
    struct store st;
    char *out;

    (void)state;
    store_init(&st);
    out = api_metrics_json(&st);
    assert_string_equal(out, "{\"status\":\"success\",\"data\":[]}");
    free(out);
    store_free(&st);
}

static void
test_group_shape(void **state)
{
    struct store st;
    char *out;

    (void)state;
    store_init(&st);
    push(&st, "b",
         "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.25\"} -0\ns_sum 3\n"
         "s_count 4\n# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
         "h_sum 1e6\nh_count 2\n",
         1583781848);
    push(&st, "a", "# HELP g <a&b>\n# TYPE g gauge\ng 1234567\n", 1583781848);
    out = api_metrics_json(&st);
    /* Groups in key order; struct fields in declaration order, maps sorted, -0 kept. */
    assert_string_equal(
        out,
        "{\"status\":\"success\",\"data\":["
        "{\"g\":{\"time_stamp\":\"2020-03-09T19:24:08.025744841Z\",\"type\":\"GAUGE\","
        "\"help\":\"\\u003ca\\u0026b\\u003e\",\"metrics\":[{\"labels\":{\"instance\":\"\","
        "\"job\":\"a\"},\"value\":\"1.234567e+06\"}]},"
        "\"labels\":{\"job\":\"a\"},\"last_push_successful\":true,"
        "\"push_failure_time_seconds\":{\"time_stamp\":\"2020-03-09T19:24:08.025744841Z\","
        "\"type\":\"GAUGE\",\"help\":\"Last Unix time when changing this group in the Pushgateway "
        "failed.\",\"metrics\":[{\"labels\":{\"instance\":\"\",\"job\":\"a\"},\"value\":\"0\"}]},"
        "\"push_time_seconds\":{\"time_stamp\":\"2020-03-09T19:24:08.025744841Z\",\"type\":"
        "\"GAUGE\",\"help\":\"Last Unix time when changing this group in the Pushgateway "
        "succeeded.\",\"metrics\":[{\"labels\":{\"instance\":\"\",\"job\":\"a\"},\"value\":"
        "\"1.583781848025745e+09\"}]}},"
        "{\"h\":{\"time_stamp\":\"2020-03-09T19:24:08.025744841Z\",\"type\":\"HISTOGRAM\","
        "\"metrics\":[{\"buckets\":{\"+Inf\":\"2\",\"1\":\"1\"},\"count\":\"2\",\"labels\":"
        "{\"instance\":\"\",\"job\":\"b\"},\"sum\":\"1e+06\"}]},"
        "\"labels\":{\"job\":\"b\"},\"last_push_successful\":true,"
        "\"push_failure_time_seconds\":{\"time_stamp\":\"2020-03-09T19:24:08.025744841Z\","
        "\"type\":\"GAUGE\",\"help\":\"Last Unix time when changing this group in the Pushgateway "
        "failed.\",\"metrics\":[{\"labels\":{\"instance\":\"\",\"job\":\"b\"},\"value\":\"0\"}]},"
        "\"push_time_seconds\":{\"time_stamp\":\"2020-03-09T19:24:08.025744841Z\",\"type\":"
        "\"GAUGE\",\"help\":\"Last Unix time when changing this group in the Pushgateway "
        "succeeded.\",\"metrics\":[{\"labels\":{\"instance\":\"\",\"job\":\"b\"},\"value\":"
        "\"1.583781848025745e+09\"}]},"
        "\"s\":{\"time_stamp\":\"2020-03-09T19:24:08.025744841Z\",\"type\":\"SUMMARY\","
        "\"metrics\":[{\"count\":\"4\",\"labels\":{\"instance\":\"\",\"job\":\"b\"},"
        "\"quantiles\":{\"0.25\":\"-0\",\"0.5\":\"1\"},\"sum\":\"3\"}]}}]}");
    free(out);
    store_free(&st);
}

static void
test_labels_family_quirk(void **state)
{
    struct store st;
    char *out;
    json_t *root, *g;
    json_error_t jerr;

    (void)state;
    store_init(&st);
    push(&st, "j", "labels 1\n", 1);
    out = api_metrics_json(&st);
    root = json_loads(out, 0, &jerr);
    assert_non_null(root);
    g = json_array_get(json_object_get(root, "data"), 0);
    /* A family named "labels" overwrites the grouping labels (upstream quirk). */
    assert_string_equal(json_string_value(json_object_get(json_object_get(g, "labels"), "type")),
                        "UNTYPED");
    json_decref(root);
    free(out);
    store_free(&st);
}

static void
test_go_escaping(void **state)
{
    json_t *v = json_string("a<b>&c\xe2\x80\xa8\x01\n\"\\/");
    char *out = api_json_dump_go(v);

    (void)state;
    assert_string_equal(out, "\"a\\u003cb\\u003e\\u0026c\\u2028\\u0001\\n\\\"\\\\/\"");
    free(out);
    json_decref(v);
}

/* ----- the direct writer against the tree route, on generated stores ----- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Strings with everything the escaper treats specially, valid UTF-8 or not. */
static const char *const pieces[] = {
    "a",
    "Z",
    "0",
    " ",
    "\"",
    "\\",
    "/",
    "<",
    ">",
    "&",
    "\n",
    "\r",
    "\t",
    "\b",
    "\f",
    "\x01",
    "\x1f",
    "\x7f",
    "\xc3\xa9",
    "\xe6\x97\xa5",
    "\xf0\x9f\x98\x80",
    "\xe2\x80\xa8",
    "\xe2\x80\xa9",
    "\xe2\x80\xaa",
    "\xff",
    "\x80",
    "\xc3",
    "\xe2\x80",
    "\xf0\x9f\x98",
    "\xed\xa0\x80",
    "\xc0\xaf",
    "\xf8\x88\x80\x80\x80",
    "labels",
    "{}",
};

static char *
rnd_string(void)
{
    struct strbuf sb = STRBUF_INIT;
    uint32_t n = rnd(6), i;

    for (i = 0; i < n; i++)
        strbuf_addstr(&sb, pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))]);
    return strbuf_detach(&sb, NULL);
}

static double
rnd_double(void)
{
    static const double v[] = {0,         -0.0,    1,        -1,        0.5, 0.25, 0.99, 1e-7,
                               123456789, 1.5e300, HUGE_VAL, -HUGE_VAL, 0.1, 2.5,  1e21, 3};

    return rnd(10) == 0 ? NAN : v[rnd(sizeof(v) / sizeof(v[0]))]; /* NaN now and then */
}

static void
add_random_metric(struct metric_family *mf, uint32_t series)
{
    struct metric *m = metric_family_add_metric(mf, mf->type);
    char lv[32];
    size_t i;

    snprintf(lv, sizeof(lv), "s%u", series);
    metric_add_label(m, "series", lv);
    if (rnd(2)) {
        char *v = rnd_string();
        metric_add_label(m, "x", v);
        free(v);
    }
    m->value = rnd_double();
    m->sum = rnd_double();
    m->count = rnd(5) == 0 ? UINT64_MAX : rnd(1000);
    m->count_float = rnd(3) == 0 ? rnd_double() : 0;
    if (mf->type == METRIC_SUMMARY) {
        m->nquantiles = rnd(5);
        m->quantiles = xcalloc(m->nquantiles + 1, sizeof(*m->quantiles));
        for (i = 0; i < m->nquantiles; i++) {
            m->quantiles[i].quantile = rnd(3) == 0 ? 0.5 : rnd_double(); /* repeats too */
            m->quantiles[i].value = rnd_double();
        }
    } else if (mf->type == METRIC_HISTOGRAM || mf->type == METRIC_GAUGE_HISTOGRAM) {
        m->nbuckets = rnd(5);
        m->buckets = xcalloc(m->nbuckets + 1, sizeof(*m->buckets));
        for (i = 0; i < m->nbuckets; i++) {
            m->buckets[i].upper_bound = rnd(3) == 0 ? 1 : rnd_double();
            m->buckets[i].count = rnd(100);
            m->buckets[i].count_float = rnd(4) == 0 ? rnd_double() : 0;
        }
        if (rnd(3) == 0) {
            struct native_histogram *nh = xcalloc(1, sizeof(*nh));
            nh->schema = (int32_t)rnd(5) - 2;
            nh->zero_threshold = rnd(2) ? 1e-9 : 0;
            nh->zero_count = rnd(3);
            nh->pos_spans = xcalloc(1, sizeof(*nh->pos_spans));
            nh->pos_spans[0].offset = (int32_t)rnd(5) - 2;
            nh->pos_spans[0].length = 2;
            nh->npos_spans = 1;
            nh->pos_deltas = xcalloc(2, sizeof(int64_t));
            nh->pos_deltas[0] = 2;
            nh->pos_deltas[1] = 1;
            nh->npos_deltas = 2;
            m->native = nh;
        }
    }
}

static struct metric_family *
random_family(const char *name)
{
    static const enum metric_type types[] = {METRIC_COUNTER,   METRIC_GAUGE,
                                             METRIC_UNTYPED,   METRIC_SUMMARY,
                                             METRIC_HISTOGRAM, METRIC_GAUGE_HISTOGRAM};
    struct metric_family *mf = metric_family_new(name, types[rnd(6)]);
    uint32_t n = rnd(4), i;

    if (rnd(3) != 0)
        mf->help = rnd_string();
    for (i = 0; i < n; i++)
        add_random_metric(mf, i);
    return mf;
}

static void
test_direct_writer_matches_tree(void **state)
{
    static const char *const names[] = {"a",    "expires_at",           "labels",      "labelz",
                                        "last", "last_push_successful", "ttl_seconds", "zz",
                                        "_x",   "push_time_seconds_x",  "Metric"};
    int round;

    (void)state;
    for (round = 0; round < 300; round++) {
        struct store st;
        char *want, *got;
        int g, ngroups = (int)rnd(6) + 1;

        store_init(&st);
        if (round % 3 == 1)
            store_set_default_ttl(&st, (int64_t)90 * 1000000000);
        for (g = 0; g < ngroups; g++) {
            struct grouping_key k;
            struct family_list fl;
            struct timespec ts = {1700000000 + rnd(100000), (long)rnd(1000000000)};
            static const int64_t ttls[] = {STORE_TTL_DEFAULT, 0,          1500000000,
                                           100000000,         3000000000, 1};
            char *err = NULL, labels[256], *v = rnd_string();
            char job[16];
            size_t i;

            /* Grouping label values with every special byte, through base64. */
            {
                char *b64 = base64url_encode(v, strlen(v));
                snprintf(labels, sizeof(labels), "/instance@base64/%s", b64);
                free(b64);
            }
            free(v);
            snprintf(job, sizeof(job), "job%d", g);
            assert_int_equal(grouping_parse(job, 0, labels, 0, &k, &err), 0);
            family_list_init(&fl);
            for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (rnd(2))
                    family_list_add(&fl, random_family(names[i]));
            store_sanitise(&fl, &k);
            store_push_ttl(&st, &k, &fl, 1, &ts, ttls[rnd(6)]);
            family_list_free(&fl);
            if (rnd(4) == 0)
                store_push_failed(&st, &k, &ts);
            grouping_key_free(&k);
        }
        want = ref_metrics_json(&st);
        got = api_metrics_json(&st);
        if (strcmp(got, want) != 0) {
            size_t at = 0;
            while (got[at] == want[at])
                at++;
            print_error("round %d: first difference at byte %zu\nwant ...%.200s\ngot  ...%.200s\n",
                        round, at, want + (at > 60 ? at - 60 : 0), got + (at > 60 ? at - 60 : 0));
        }
        assert_string_equal(got, want);
        free(want);
        free(got);
        store_free(&st);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_store),
        cmocka_unit_test(test_group_shape),
        cmocka_unit_test(test_labels_family_quirk),
        cmocka_unit_test(test_go_escaping),
        cmocka_unit_test(test_direct_writer_matches_tree),
    };
    return cmocka_run_group_tests_name("api", tests, setup_utc, NULL);
}
