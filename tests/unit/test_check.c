/* test_check.c - the consistency check: incremental push checks and the full store check */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "check.h"
#include "grouping.h"
#include "store.h"
#include "strbuf.h"
#include "textparse.h"

static struct store st;

static int
setup(void **state)
{
    (void)state;
    store_init(&st);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    store_free(&st);
    return 0;
}

/*
 * Check a push of `text` to job/labels (PUT when replace); apply it when the check passes.
 * Returns NULL when accepted, else the error text (caller frees).
 */
static char *
try_push(const char *job, const char *labels, const char *text, int replace)
{
    struct grouping_key k = test_key(job, labels);
    struct family_list fl = test_parse(text, 0);
    struct timespec ts = {1000, 0};
    char *err = NULL;

    store_sanitise(&fl, &k);
    if (check_push(&st, &k, &fl, replace, 0, &err) == 0) {
        assert_null(err);
        store_push(&st, &k, &fl, replace, &ts);
    } else {
        assert_non_null(err);
    }
    family_list_free(&fl);
    grouping_key_free(&k);
    return err;
}

static void
expect_ok(const char *job, const char *labels, const char *text, int replace)
{
    char *err = try_push(job, labels, text, replace);
    if (err != NULL)
        fail_msg("unexpected rejection: %s", err);
}

static void
expect_err(const char *job, const char *labels, const char *text, int replace, const char *phrase)
{
    char *err = try_push(job, labels, text, replace);

    if (err == NULL)
        fail_msg("push accepted, expected an error containing \"%s\"", phrase);
    if (strstr(err, phrase) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, phrase);
    free(err);
}

static void
test_type_conflicts(void **state)
{
    (void)state;
    expect_ok("a", "", "# TYPE m gauge\nm 1\n", 1);
    expect_err("b", "", "# TYPE m counter\nm 1\n", 1, "collected metric \"m\" {");
    expect_err("b", "", "# TYPE m counter\nm 1\n", 1, "} is not a GAUGE");
    expect_err("b", "", "m 1\n", 1, "is not a GAUGE");
    /* The group holding the only other type may change it: PUT and POST replace it. */
    expect_ok("a", "", "# TYPE m counter\nm 1\n", 1);
    expect_ok("a", "", "# TYPE m gauge\nm 1\n", 0);
    expect_ok("b", "", "# TYPE m gauge\nm 2\n", 1);
    /* With two groups holding gauges, one cannot switch alone. */
    expect_err("a", "", "# TYPE m counter\nm 1\n", 0, "is not a GAUGE");
    /* A PUT without m in it removes m from the group, then b may switch. */
    expect_ok("a", "", "other 1\n", 1);
    expect_ok("b", "", "# TYPE m counter\nm 1\n", 0);
}

static void
test_duplicates(void **state)
{
    (void)state;
    expect_err("a", "", "m 1\nm 2\n", 1,
               "collected metric \"m\" { label:{name:\"instance\" value:\"\"} label:{name:\"job\" "
               "value:\"a\"} untyped:{value:2} } was collected before with the same name and "
               "label values");
    /* The spec example: {job=job1} holds mf1{instance="instance2"}. */
    expect_ok("job1", "", "mf1{instance=\"instance2\"} 1\n", 1);
    expect_err("job1", "/instance/instance2", "mf1 1\n", 1, "was collected before");
    /* The same series pushed again into its own group is a replacement, not a duplicate. */
    expect_ok("job1", "", "mf1{instance=\"instance2\"} 5\n", 0);
    /* {job=x} and {job=x,instance=""} would share their timestamp series. */
    expect_ok("x", "", "a 1\n", 1);
    expect_err("x", "/instance/", "b 1\n", 1, "collected metric \"push_time_seconds\" {");
}

/*
 * The check's maps are searched linearly up to 8 entries and hashed beyond: the same
 * verdicts with many families and many series in one push, on either side of that size.
 */
static void
test_many_families_and_series(void **state)
{
    struct strbuf body = STRBUF_INIT, dup = STRBUF_INIT;
    int n, i;

    (void)state;
    for (n = 2; n <= 20; n += 6) {
        char job[16];

        snprintf(job, sizeof(job), "many%d", n);
        strbuf_reset(&body);
        for (i = 0; i < n; i++)
            strbuf_addf(&body, "# TYPE f%d_%d gauge\nf%d_%d{s=\"1\"} 1\nf%d_%d{s=\"2\"} 2\n", n, i,
                        n, i, n, i);
        expect_ok(job, "", body.data, 1);
        /* Pushing it again replaces every family: no duplicates, with PUT and with POST. */
        expect_ok(job, "", body.data, 1);
        expect_ok(job, "", body.data, 0);
        /* The last family changes type in another group: a conflict, found at any size. */
        strbuf_reset(&dup);
        for (i = 0; i < n; i++)
            strbuf_addf(&dup, "# TYPE g%d_%d gauge\ng%d_%d 1\n", n, i, n, i);
        strbuf_addf(&dup, "# TYPE f%d_%d counter\nf%d_%d 1\n", n, n - 1, n, n - 1);
        expect_err("other", "", dup.data, 1, "is not a GAUGE");
        /* A series repeated inside one push is a duplicate, also behind many others. */
        strbuf_reset(&dup);
        strbuf_addstr(&dup, body.data);
        strbuf_addf(&dup, "f%d_%d{s=\"1\"} 3\n", n, n - 1);
        expect_err(job, "", dup.data, 1, "was collected before");
    }
    strbuf_free(&body);
    strbuf_free(&dup);
}

static void
test_failed_push_record(void **state)
{
    struct grouping_key k;
    char *err = NULL;

    (void)state;
    expect_ok("x", "", "a 1\n", 1);
    /* Recording a failure for {job=x,instance=""} would poison the store: refused. */
    assert_int_equal(grouping_parse("x", 0, "/instance/", 0, &k, &err), 0);
    assert_int_equal(check_push_failed(&st, &k, 0), -1);
    grouping_key_free(&k);
    /* For an ordinary new key it is fine. */
    assert_int_equal(grouping_parse("y", 0, "", 0, &k, &err), 0);
    assert_int_equal(check_push_failed(&st, &k, 0), 0);
    grouping_key_free(&k);
    /* And for a non-UTF-8 value it is refused. */
    assert_int_equal(grouping_parse("bad\xffjob", 0, "", 0, &k, &err), 0);
    assert_int_equal(check_push_failed(&st, &k, 0), -1);
    grouping_key_free(&k);
}

static void
test_label_checks(void **state)
{
    (void)state;
    expect_err("a", "", "m{__foo=\"x\"} 1\n", 1, "has a label with an invalid name: __foo");
    expect_err("bad\xffjob", "", "m 1\n", 1,
               "has a label named \"job\" whose value is not utf8: \"bad\\xffjob\"");
    assert_int_equal(st.groups.len, 0);
}

static void
test_own_families(void **state)
{
    (void)state;
    expect_err("a", "", "process_open_fds 3\n", 1,
               "gathered metric family process_open_fds has type UNTYPED but should have GAUGE");
    expect_ok("a", "", "# TYPE process_open_fds gauge\nprocess_open_fds 3\n", 1);
    /* A summary suffix of an own summary collides too. */
    expect_err("a", "", "pushgateway_http_push_size_bytes_sum 1\n", 1,
               "collides with previously collected summary named "
               "\"pushgateway_http_push_size_bytes\"");
}

static void
test_suffix_collisions(void **state)
{
    (void)state;
    expect_ok("a", "", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", 1);
    expect_err("b", "", "h_sum 1\n", 1,
               "collected metric named \"h_sum\" collides with previously collected histogram "
               "named \"h\"");
    expect_err("b", "", "h_bucket 1\n", 1, "collides with previously collected histogram");
    expect_ok("b", "", "# TYPE s summary\ns_sum 1\ns_count 1\n", 1);
    /* A summary with a separate _bucket family is allowed. */
    expect_ok("c", "", "s_bucket 1\n", 1);
    expect_err("c", "", "s_count 1\n", 0, "collides with previously collected summary named \"s\"");
    /* The other direction: a histogram whose _count exists elsewhere. */
    expect_ok("d", "", "g_count 1\n", 1);
    expect_err("e", "", "# TYPE g histogram\ng_bucket{le=\"1\"} 1\ng_sum 1\ng_count 1\n", 1,
               "collected histogram or summary named \"g\" collides with previously collected "
               "metric named \"g_count\"");
}

static void
test_multiple_errors(void **state)
{
    (void)state;
    expect_err("a", "", "m{__a=\"1\"} 1\nn{__b=\"1\"} 1\n", 1,
               "2 error(s) occurred:\n* collected metric \"m\"");
    expect_err("a", "", "m{__a=\"1\"} 1\nn{__b=\"1\"} 1\n", 1, "\n* collected metric \"n\"");
}

static void
test_check_store(void **state)
{
    struct grouping_key k;
    struct family_list fl;
    struct timespec ts = {1, 0};
    char *err = NULL;
    const char *text = "# TYPE m counter\nm 1\n";

    (void)state;
    expect_ok("a", "", "# TYPE m gauge\nm 1\n", 1);
    assert_int_equal(check_store(&st, 0, &err), 0);
    /* Apply an inconsistent push unchecked, as --push.disable-consistency-check does. */
    assert_int_equal(grouping_parse("b", 0, "", 0, &k, &err), 0);
    family_list_init(&fl);
    assert_int_equal(textparse(text, strlen(text), 0, &fl, &err), 0);
    store_sanitise(&fl, &k);
    store_push(&st, &k, &fl, 1, &ts);
    family_list_free(&fl);
    assert_int_equal(check_store(&st, 0, &err), -1);
    assert_non_null(strstr(err, "is not a GAUGE"));
    free(err);
    store_delete(&st, &k);
    grouping_key_free(&k);
    assert_int_equal(check_store(&st, 0, &err), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_type_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_families_and_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_push_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_families, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suffix_collisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiple_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_store, setup, teardown),
    };
    return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
