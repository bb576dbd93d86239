/* test_caps.c - caps on groups and series (--push.max-*) and the store's series counts */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "caps.h"
#include "config.h"
#include "grouping.h"
#include "store.h"
#include "textparse.h"
#include "xmalloc.h"

/* Push text into job's group (PUT when replace). */
static void
push_text(struct store *st, const char *job, const char *text, int replace)
{
    struct timespec ts = {1000, 0};

    test_push(st, job, "", 0, text, replace, &ts);
}

/* caps_check_push for text into job; returns the cap hit and frees the message. */
static enum caps_limit
check(const struct store *st, const struct config *cfg, const char *job, const char *text,
      int replace, const char *want_substring)
{
    struct grouping_key k = test_key(job, "");
    struct family_list fl = test_parse(text, 0);
    char *err = NULL;
    enum caps_limit l = caps_check_push(st, cfg, &k, &fl, replace, &err);

    if (l == CAPS_OK) {
        assert_null(err);
    } else {
        assert_non_null(err);
        if (want_substring != NULL && strstr(err, want_substring) == NULL)
            fail_msg("message \"%s\" lacks \"%s\"", err, want_substring);
    }
    free(err);
    family_list_free(&fl);
    grouping_key_free(&k);
    return l;
}

/* The store counts metrics of pushed families, not the two timestamp families. */
static void
test_store_counts(void **state)
{
    struct store st;
    struct grouping_key k = test_key("a", "");
    struct timespec ts = {1, 0};

    (void)state;
    store_init(&st);
    push_text(&st, "a", "m{x=\"1\"} 1\nm{x=\"2\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", 1);
    /* m: 2 metrics; h_bucket and h_count are untyped families of one metric each. */
    assert_int_equal(st.nseries, 4);
    assert_int_equal(store_group(&st, &k)->nseries, 4);
    push_text(&st, "a", "m 3\n", 0); /* POST replaces family m only */
    assert_int_equal(st.nseries, 3);
    push_text(&st, "b", "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\n", 1);
    assert_int_equal(st.nseries, 4); /* a summary is one series */
    assert_int_equal(caps_largest_group(&st), 3);
    assert_int_equal(caps_largest_group(&st), 3); /* the memo */
    store_push_failed(&st, &k, &ts);
    assert_int_equal(st.nseries, 4);
    store_delete(&st, &k);
    assert_int_equal(st.nseries, 1);
    /* The memo follows every change of the store: a delete, a push that grows a group. */
    assert_int_equal(caps_largest_group(&st), 1);
    push_text(&st, "b", "# TYPE s summary\ns{quantile=\"0.5\"} 1\nt 1\nu 1\n", 0);
    assert_int_equal(caps_largest_group(&st), 3);
    store_wipe(&st);
    assert_int_equal(st.nseries, 0);
    assert_int_equal(caps_largest_group(&st), 0);
    grouping_key_free(&k);
    store_free(&st);
}

static void
test_no_caps(void **state)
{
    struct store st;
    struct config cfg;

    (void)state;
    store_init(&st);
    config_defaults(&cfg);
    assert_int_equal(check(&st, &cfg, "a", "m 1\n", 1, NULL), CAPS_OK);
    config_free(&cfg);
    store_free(&st);
}

static void
test_groups_cap(void **state)
{
    struct store st;
    struct config cfg;
    struct grouping_key a = test_key("a", ""), c = test_key("c", "");

    (void)state;
    store_init(&st);
    config_defaults(&cfg);
    cfg.max_groups = 2;
    push_text(&st, "a", "m 1\n", 1);
    push_text(&st, "b", "m 1\n", 1);
    assert_int_equal(check(&st, &cfg, "c", "m 1\n", 1, "--push.max-groups=2"), CAPS_GROUPS);
    assert_int_equal(check(&st, &cfg, "a", "m 2\nn 3\n", 1, NULL), CAPS_OK);
    assert_true(caps_group_fits(&st, &cfg, &a));
    assert_false(caps_group_fits(&st, &cfg, &c));
    cfg.max_groups = 3;
    assert_true(caps_group_fits(&st, &cfg, &c));
    assert_int_equal(check(&st, &cfg, "c", "m 1\n", 1, NULL), CAPS_OK);
    grouping_key_free(&a);
    grouping_key_free(&c);
    config_free(&cfg);
    store_free(&st);
}

static void
test_series_per_group(void **state)
{
    struct store st;
    struct config cfg;

    (void)state;
    store_init(&st);
    config_defaults(&cfg);
    cfg.max_series_per_group = 3;
    push_text(&st, "a", "m{x=\"1\"} 1\nm{x=\"2\"} 1\n", 1);
    /* POST of a new family adds to the group, one of the same name replaces it. */
    assert_int_equal(check(&st, &cfg, "a", "n 1\n", 0, NULL), CAPS_OK);
    assert_int_equal(check(&st, &cfg, "a", "n 1\no 1\n", 0, "would hold 4 series"),
                     CAPS_SERIES_PER_GROUP);
    assert_int_equal(check(&st, &cfg, "a", "m{x=\"1\"} 1\nm{x=\"2\"} 1\nm{x=\"3\"} 1\n", 0, NULL),
                     CAPS_OK);
    /* PUT replaces the whole group. */
    assert_int_equal(check(&st, &cfg, "a", "n 1\no 1\np 1\n", 1, NULL), CAPS_OK);
    assert_int_equal(
        check(&st, &cfg, "a", "n 1\no 1\np 1\nq 1\n", 1, "--push.max-series-per-group=3"),
        CAPS_SERIES_PER_GROUP);
    /* The timestamp families do not count, pushed or not. */
    assert_int_equal(check(&st, &cfg, "b",
                           "push_time_seconds 1\npush_failure_time_seconds 1\n"
                           "n 1\no 1\np 1\n",
                           1, NULL),
                     CAPS_OK);
    /* A group above the cap (the cap was lowered) may shrink or stay. */
    cfg.max_series_per_group = 1;
    assert_int_equal(check(&st, &cfg, "a", "m 1\n", 1, NULL), CAPS_OK);
    assert_int_equal(check(&st, &cfg, "a", "m{x=\"1\"} 1\nm{x=\"2\"} 1\n", 1, NULL), CAPS_OK);
    assert_int_equal(check(&st, &cfg, "a", "m{x=\"1\"} 1\nm{x=\"2\"} 1\nn 1\n", 1, NULL),
                     CAPS_SERIES_PER_GROUP);
    config_free(&cfg);
    store_free(&st);
}

static void
test_series_total(void **state)
{
    struct store st;
    struct config cfg;

    (void)state;
    store_init(&st);
    config_defaults(&cfg);
    cfg.max_series = 4;
    push_text(&st, "a", "m{x=\"1\"} 1\nm{x=\"2\"} 1\n", 1);
    push_text(&st, "b", "m 1\n", 1);
    assert_int_equal(check(&st, &cfg, "c", "m 1\n", 1, NULL), CAPS_OK);
    assert_int_equal(check(&st, &cfg, "c", "m 1\nn 1\n", 1, "would hold 5 series"), CAPS_SERIES);
    /* Replacing a's two series by three makes 4: fine; by four makes 5: refused. */
    assert_int_equal(check(&st, &cfg, "a", "n 1\no 1\np 1\n", 1, NULL), CAPS_OK);
    assert_int_equal(check(&st, &cfg, "a", "n 1\no 1\np 1\nq 1\n", 1, "--push.max-series=4"),
                     CAPS_SERIES);
    /* Groups come first, then series per group, then series. */
    cfg.max_groups = 2;
    cfg.max_series_per_group = 1;
    assert_int_equal(check(&st, &cfg, "c", "m 1\nn 1\n", 1, NULL), CAPS_GROUPS);
    assert_int_equal(check(&st, &cfg, "b", "m 1\nn 1\no 1\np 1\n", 1, NULL), CAPS_SERIES_PER_GROUP);
    assert_string_equal(caps_limit_name(CAPS_GROUPS), "groups");
    assert_string_equal(caps_limit_name(CAPS_SERIES), "series");
    assert_string_equal(caps_limit_name(CAPS_SERIES_PER_GROUP), "series_per_group");
    config_free(&cfg);
    store_free(&st);
}

/* A push naming a family twice counts the last one only, as the store keeps. */
static void
test_repeated_family(void **state)
{
    struct store st;
    struct config cfg;
    struct grouping_key k = test_key("a", "");
    struct family_list fl;
    struct metric_family *dup;
    char *err = NULL;

    (void)state;
    store_init(&st);
    config_defaults(&cfg);
    cfg.max_series_per_group = 2;
    fl = test_parse("m{x=\"1\"} 1\nm{x=\"2\"} 1\n", 0);
    dup = metric_family_new("m", METRIC_UNTYPED);
    metric_family_add_metric(dup, METRIC_UNTYPED);
    family_list_add(&fl, dup);
    /* Two families "m": 2 and 1 metrics; the store would keep the last (1). */
    assert_int_equal(caps_check_push(&st, &cfg, &k, &fl, 1, &err), CAPS_OK);
    free(err);
    family_list_free(&fl);
    grouping_key_free(&k);
    config_free(&cfg);
    store_free(&st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_counts), cmocka_unit_test(test_no_caps),
        cmocka_unit_test(test_groups_cap),   cmocka_unit_test(test_series_per_group),
        cmocka_unit_test(test_series_total), cmocka_unit_test(test_repeated_family),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
