/* test_api.c - JSON bodies of /api/v1: Go's field order, map key order, escaping, numbers */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api.h"
#include "grouping.h"
#include "store.h"
#include "textparse.h"

static void
push(struct store *st, const char *job, const char *text, time_t sec)
{
    struct grouping_key k;
    struct family_list fl;
    struct timespec ts = {sec, 25744841};
    char *err = NULL;

    assert_int_equal(grouping_parse(job, 0, "", 0, &k, &err), 0);
    family_list_init(&fl);
    assert_int_equal(textparse(text, strlen(text), 0, &fl, &err), 0);
    store_sanitise(&fl, &k);
    store_push(st, &k, &fl, 1, &ts);
    family_list_free(&fl);
    grouping_key_free(&k);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_store),
        cmocka_unit_test(test_group_shape),
        cmocka_unit_test(test_labels_family_quirk),
        cmocka_unit_test(test_go_escaping),
    };
    return cmocka_run_group_tests_name("api", tests, setup_utc, NULL);
}
