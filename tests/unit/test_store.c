/* test_store.c - store semantics: PUT/POST/DELETE/wipe, timestamps, indexes, ordering */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "api.h"
#include "exposition.h"
#include "grouping.h"
#include "store.h"
#include "strbuf.h"
#include "textparse.h"
#include "xmalloc.h"

/* Parse a text body into families sanitised for key. */
static struct family_list
fams_of(const char *text, const struct grouping_key *k)
{
    struct family_list fl = test_parse(text, 0);

    store_sanitise(&fl, k);
    return fl;
}

static void
push_text(struct store *st, const char *job, const char *labels, const char *text, int replace,
          time_t sec)
{
    struct timespec ts = {sec, 500};

    test_push(st, job, labels, 0, text, replace, &ts);
}

static const struct stored_family *
fam(struct store *st, const char *job, const char *labels, const char *name)
{
    struct grouping_key k = test_key(job, labels);
    struct group *g = store_group(st, &k);

    grouping_key_free(&k);
    return g != NULL ? group_family(g, name) : NULL;
}

static void
test_sanitise(void **state)
{
    struct grouping_key k = test_key("j1", "/instance/i1");
    struct family_list fl = fams_of("another_metric{job=\"other\",instance=\"other2\",x=\"y\"} 1\n"
                                    "plain 2\n",
                                    &k);
    struct metric *m = &fl.v[0]->metrics[0];

    (void)state;
    assert_int_equal(m->nlabels, 3);
    assert_string_equal(m->labels[0].name, "instance");
    assert_string_equal(m->labels[0].value, "i1");
    assert_string_equal(m->labels[1].name, "job");
    assert_string_equal(m->labels[1].value, "j1");
    assert_string_equal(m->labels[2].name, "x");
    family_list_free(&fl);
    grouping_key_free(&k);

    /* No instance in the key: instance="" added, a pushed instance survives. */
    k = test_key("j", "");
    fl = fams_of("a 1\nb{instance=\"keep\"} 2\n", &k);
    assert_string_equal(metric_label(&fl.v[0]->metrics[0], "instance"), "");
    assert_string_equal(metric_label(&fl.v[1]->metrics[0], "instance"), "keep");
    family_list_free(&fl);
    grouping_key_free(&k);
}

static void
test_put_replaces_post_merges(void **state)
{
    struct store st;

    (void)state;
    store_init(&st);
    push_text(&st, "j", "", "a 1\nb 2\n", 1, 100);
    assert_non_null(fam(&st, "j", "", "a"));
    assert_non_null(fam(&st, "j", "", "b"));
    /* POST replaces only the pushed family; b keeps its old time. */
    push_text(&st, "j", "", "a 3\n", 0, 200);
    assert_true(fam(&st, "j", "", "a")->mf->metrics[0].value == 3);
    assert_int_equal(fam(&st, "j", "", "a")->ts.tv_sec, 200);
    assert_int_equal(fam(&st, "j", "", "b")->ts.tv_sec, 100);
    /* PUT drops everything else but the timestamp families. */
    push_text(&st, "j", "", "c 4\n", 1, 300);
    assert_null(fam(&st, "j", "", "a"));
    assert_null(fam(&st, "j", "", "b"));
    assert_non_null(fam(&st, "j", "", "c"));
    assert_non_null(fam(&st, "j", "", PUSH_TIME_NAME));
    assert_non_null(fam(&st, "j", "", PUSH_FAILURE_TIME_NAME));
    /* An empty PUT leaves only the timestamps. */
    push_text(&st, "j", "", "", 1, 400);
    {
        struct grouping_key k = test_key("j", "");
        assert_int_equal(store_group(&st, &k)->nfams, 2);
        grouping_key_free(&k);
    }
    assert_null(store_famidx(&st, "a"));
    assert_null(store_famidx(&st, "c"));
    store_free(&st);
}

static void
test_timestamps(void **state)
{
    struct store st;
    struct grouping_key k = test_key("j", "");
    struct timespec t = {1795239269, 394416300};
    const struct stored_family *pt, *pf;

    (void)state;
    store_init(&st);
    push_text(&st, "j", "", "a 1\n", 1, 1795239269);
    pt = fam(&st, "j", "", PUSH_TIME_NAME);
    pf = fam(&st, "j", "", PUSH_FAILURE_TIME_NAME);
    assert_true(pt->mf->metrics[0].value == (double)(1795239269LL * 1000000000LL + 500) / 1e9);
    assert_true(pf->mf->metrics[0].value == 0);
    assert_string_equal(pt->mf->help, PUSH_TIME_HELP);
    assert_string_equal(metric_label(&pt->mf->metrics[0], "instance"), "");
    assert_true(group_last_push_successful(store_group(&st, &k)));

    /* A failure keeps push_time and sets the failure time. */
    store_push_failed(&st, &k, &t);
    pf = fam(&st, "j", "", PUSH_FAILURE_TIME_NAME);
    assert_true(pf->mf->metrics[0].value ==
                (double)(1795239269LL * 1000000000LL + 394416300) / 1e9);
    assert_false(group_last_push_successful(store_group(&st, &k)));
    assert_non_null(fam(&st, "j", "", "a"));

    /* A failure into a new group creates it with push_time 0. */
    {
        struct grouping_key k2 = test_key("new", "");
        store_push_failed(&st, &k2, &t);
        assert_true(fam(&st, "new", "", PUSH_TIME_NAME)->mf->metrics[0].value == 0);
        assert_false(group_last_push_successful(store_group(&st, &k2)));
        grouping_key_free(&k2);
    }
    grouping_key_free(&k);
    store_free(&st);
}

/*
 * A push changes only the value of the group's push_time_seconds: the family is updated in
 * place (same stored family, same series), and what was rendered from it is dropped.
 */
static void
test_timestamp_updated_in_place(void **state)
{
    struct store st;
    struct grouping_key k = test_key("j", "/instance/i");
    const struct stored_family *pt, *pf;
    struct timespec t = {2000, 0};

    (void)state;
    store_init(&st);
    push_text(&st, "j", "/instance/i", "a 1\n", 1, 1000);
    pt = fam(&st, "j", "/instance/i", PUSH_TIME_NAME);
    ((struct stored_family *)pt)->text = render_cache_new(0, (size_t[]){0, 1}, 1, "x");
    assert_non_null(api_group_json(&st, store_group(&st, &k)));
    push_text(&st, "j", "/instance/i", "a 2\n", 1, 1500);
    assert_null(store_group(&st, &k)->cache.json);
    assert_ptr_equal(fam(&st, "j", "/instance/i", PUSH_TIME_NAME), pt);
    assert_true(pt->mf->metrics[0].value == (double)(1500LL * 1000000000LL + 500) / 1e9);
    assert_int_equal(pt->ts.tv_sec, 1500);
    assert_null(pt->text);
    assert_int_equal(
        store_series_count(&st, store_series_hash(PUSH_TIME_NAME, &pt->mf->metrics[0])), 1);
    /* The failure time likewise. */
    pf = fam(&st, "j", "/instance/i", PUSH_FAILURE_TIME_NAME);
    store_push_failed(&st, &k, &t);
    assert_ptr_equal(fam(&st, "j", "/instance/i", PUSH_FAILURE_TIME_NAME), pf);
    assert_true(pf->mf->metrics[0].value == 2000);
    /* A pushed push_failure_time_seconds is no gateway family: a failure replaces it. */
    push_text(&st, "j", "/instance/i",
              "# HELP push_failure_time_seconds mine\n# TYPE push_failure_time_seconds gauge\n"
              "push_failure_time_seconds 42\n",
              0, 2500);
    pf = fam(&st, "j", "/instance/i", PUSH_FAILURE_TIME_NAME);
    assert_string_equal(pf->mf->help, "mine");
    store_push_failed(&st, &k, &t);
    pf = fam(&st, "j", "/instance/i", PUSH_FAILURE_TIME_NAME);
    assert_string_equal(pf->mf->help, PUSH_FAILURE_TIME_HELP);
    assert_true(pf->mf->metrics[0].value == 2000);
    assert_int_equal(st.duplicate_series, 0);
    grouping_key_free(&k);
    store_free(&st);
}

/*
 * Walk a family name's exposition order: every node must point at metric i of its stored
 * family, the order must hold, and the count must match. Returns the number of nodes.
 */
static size_t
order_check(const struct famidx *fi)
{
    struct ordset_iter it;
    struct ordset_node *n;
    const struct metric *prev = NULL;
    size_t count = 0;

    ordset_iter_init(&it, &fi->order);
    while ((n = ordset_iter_next(&it)) != NULL) {
        const struct series_node *sn = (const struct series_node *)n;

        assert_true(series_node_index(sn) < sn->sf->mf->nmetrics);
        assert_ptr_equal(&stored_family_nodes(sn->sf)[series_node_index(sn)], sn);
        assert_ptr_equal(sn->sf->idx, fi);
        if (prev != NULL)
            assert_true(expo_metric_cmp(prev, series_node_metric(sn)) <= 0);
        prev = series_node_metric(sn);
        count++;
    }
    ordset_iter_done(&it);
    assert_int_equal(count, fi->order.n);
    return count;
}

/* The text rendering of a family, metrics in stored order. Caller frees. */
static char *
render(const struct metric_family *mf)
{
    struct strbuf sb = STRBUF_INIT;
    const struct metric **v = xreallocarray(NULL, mf->nmetrics + 1, sizeof(*v));
    size_t i;

    for (i = 0; i < mf->nmetrics; i++)
        v[i] = &mf->metrics[i];
    expo_text_family(&sb, mf->name, mf->help, mf->type, v, mf->nmetrics);
    free(v);
    strbuf_addch(&sb, '\0');
    return sb.data;
}

/* The stored family is exactly the one family of body as group {job="j"} pushed it. */
static void
assert_family_as_pushed(const struct metric_family *stored, const char *body)
{
    struct grouping_key k = test_key("j", "");
    struct family_list fl = fams_of(body, &k);
    char *want, *got;

    assert_int_equal(fl.n, 1);
    want = render(fl.v[0]);
    got = render(stored);
    assert_string_equal(got, want);
    free(want);
    free(got);
    family_list_free(&fl);
    grouping_key_free(&k);
}

/*
 * A re-push of the same series with new values (PUT or POST, any type) changes the values
 * of the stored family in place: same stored family, same series in the indexes, renderings
 * dropped, receive time updated.
 */
static void
test_values_updated_in_place(void **state)
{
    static const char *const v1 =
        "# HELP g a gauge\n# TYPE g gauge\ng{stage=\"a\"} 1\ng{stage=\"b\"} 2\n"
        "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n"
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
    static const char *const v2 =
        "# HELP g a gauge\n# TYPE g gauge\ng{stage=\"a\"} 10\ng{stage=\"b\"} 20\n"
        "# TYPE s summary\ns{quantile=\"0.5\"} 11\ns_sum 12\ns_count 13\n"
        "# TYPE h histogram\nh_bucket{le=\"1\"} 4\nh_bucket{le=\"+Inf\"} 5\nh_sum 6\nh_count 5\n";
    struct store st;
    struct grouping_key k = test_key("j", "/instance/i");
    const struct stored_family *g, *s, *h;
    size_t nseries;

    (void)state;
    store_init(&st);
    push_text(&st, "j", "/instance/i", v1, 1, 1000);
    push_text(&st, "j", "/instance/other", v1, 1, 1000);
    g = fam(&st, "j", "/instance/i", "g");
    s = fam(&st, "j", "/instance/i", "s");
    h = fam(&st, "j", "/instance/i", "h");
    nseries = st.series.len;
    ((struct stored_family *)g)->text = render_cache_new(0, (size_t[]){0, 1, 2}, 2, "xy");
    ((struct stored_family *)h)->proto = render_cache_new(0, (size_t[]){0, 1}, 1, "x");
    assert_non_null(api_group_json(&st, store_group(&st, &k)));

    push_text(&st, "j", "/instance/i", v2, 1, 2000);
    assert_ptr_equal(fam(&st, "j", "/instance/i", "g"), g);
    assert_ptr_equal(fam(&st, "j", "/instance/i", "s"), s);
    assert_ptr_equal(fam(&st, "j", "/instance/i", "h"), h);
    assert_true(g->mf->metrics[0].value == 10 && g->mf->metrics[1].value == 20);
    assert_true(s->mf->metrics[0].quantiles[0].value == 11);
    assert_true(s->mf->metrics[0].sum == 12 && s->mf->metrics[0].count == 13);
    assert_true(h->mf->metrics[0].buckets[0].count == 4 && h->mf->metrics[0].buckets[1].count == 5);
    assert_true(h->mf->metrics[0].sum == 6 && h->mf->metrics[0].count == 5);
    assert_int_equal(g->ts.tv_sec, 2000);
    assert_null(g->text);
    assert_null(h->proto);
    assert_null(store_group(&st, &k)->cache.json);
    assert_int_equal(st.series.len, nseries);
    assert_int_equal(st.duplicate_series, 0);
    assert_int_equal(order_check(store_famidx(&st, "g")), 4);

    /* POST of one of them likewise; the others keep their time. */
    push_text(&st, "j", "/instance/i",
              "# HELP g a gauge\n# TYPE g gauge\ng{stage=\"a\"} 7\n"
              "g{stage=\"b\"} 8\n",
              0, 3000);
    assert_ptr_equal(fam(&st, "j", "/instance/i", "g"), g);
    assert_true(g->mf->metrics[0].value == 7);
    assert_int_equal(g->ts.tv_sec, 3000);
    assert_int_equal(s->ts.tv_sec, 2000);
    /* The other group's families were not touched. */
    assert_true(fam(&st, "j", "/instance/other", "g")->mf->metrics[0].value == 1);
    assert_int_equal(fam(&st, "j", "/instance/other", "g")->ts.tv_sec, 1000);
    grouping_key_free(&k);
    store_free(&st);
}

/*
 * Anything but the values changed (labels, order of the series, their number, HELP, type,
 * bucket or quantile bounds): the family is stored anew, and the indexes follow.
 */
static void
test_changed_series_replaced(void **state)
{
    static const char *const base =
        "# HELP g h\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n"
        "# TYPE q summary\nq{quantile=\"0.5\"} 1\n"
        "# TYPE b histogram\nb_bucket{le=\"1\"} 1\nb_bucket{le=\"+Inf\"} 1\n";
    static const struct {
        const char *body, *name;
    } changes[] = {
        {"# HELP g h\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"3\"} 2\n", "g"},     /* a label value */
        {"# HELP g h\n# TYPE g gauge\ng{a=\"2\"} 2\ng{a=\"1\"} 1\n", "g"},     /* the order */
        {"# HELP g h\n# TYPE g gauge\ng{a=\"1\"} 1\n", "g"},                   /* fewer series */
        {"# HELP g other\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n", "g"}, /* HELP */
        {"# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n", "g"},                 /* no HELP */
        {"# HELP g h\n# TYPE g counter\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n", "g"},   /* the type */
        {"# HELP g h\n# TYPE g gauge\ng{b=\"1\"} 1\ng{a=\"2\"} 2\n", "g"},     /* a label name */
        {"# TYPE q summary\nq{quantile=\"0.9\"} 1\n", "q"},                    /* a quantile */
        {"# TYPE b histogram\nb_bucket{le=\"2\"} 1\nb_bucket{le=\"+Inf\"} 1\n", "b"}, /* a bound */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        struct store st;
        const struct stored_family *before, *after;
        size_t nbefore, nold;

        store_init(&st);
        push_text(&st, "j", "", base, 1, 1);
        before = fam(&st, "j", "", changes[i].name);
        assert_non_null(before);
        nbefore = st.series.len;
        nold = before->mf->nmetrics;
        /* POST: the other families stay. */
        push_text(&st, "j", "", changes[i].body, 0, 2);
        after = fam(&st, "j", "", changes[i].name);
        assert_non_null(after);
        assert_family_as_pushed(after->mf, changes[i].body);
        assert_int_equal(after->ts.tv_sec, 2);
        assert_int_equal(st.duplicate_series, 0);
        assert_int_equal(order_check(store_famidx(&st, changes[i].name)), after->mf->nmetrics);
        /* Every stored series is counted once: the old ones are gone from the index. */
        assert_int_equal(st.series.len, nbefore - nold + after->mf->nmetrics);
        store_free(&st);
    }
}

static void
test_pushed_failure_family_quirk(void **state)
{
    struct store st;

    (void)state;
    store_init(&st);
    /* New group: a pushed push_failure_time_seconds is overwritten with 0. */
    push_text(&st, "j", "",
              "# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 42\n", 1, 10);
    assert_true(fam(&st, "j", "", PUSH_FAILURE_TIME_NAME)->mf->metrics[0].value == 0);
    /* Existing group: the pushed one replaces the stored one. */
    push_text(&st, "j", "",
              "# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 42\n", 0, 20);
    assert_true(fam(&st, "j", "", PUSH_FAILURE_TIME_NAME)->mf->metrics[0].value == 42);
    /* A pushed push_time_seconds is always overridden. */
    push_text(&st, "j", "", "push_time_seconds 7\n", 0, 30);
    assert_true(fam(&st, "j", "", PUSH_TIME_NAME)->mf->metrics[0].value != 7);
    store_free(&st);
}

static void
test_delete_and_wipe(void **state)
{
    struct store st;
    struct grouping_key a = test_key("a", ""), ax = test_key("a", "/instance/x");

    (void)state;
    store_init(&st);
    push_text(&st, "a", "", "m 1\n", 1, 1);
    push_text(&st, "a", "/instance/x", "m 2\n", 1, 1);
    assert_int_equal(st.groups.len, 2);
    assert_int_equal(store_famidx(&st, "m")->nmembers, 2);
    /* Only the exact key is deleted. */
    assert_int_equal(store_delete(&st, &a), 1);
    assert_int_equal(store_delete(&st, &a), 0);
    assert_non_null(store_group(&st, &ax));
    assert_int_equal(store_famidx(&st, "m")->nmembers, 1);
    store_wipe(&st);
    assert_int_equal(st.groups.len, 0);
    assert_int_equal(st.families.len, 0);
    assert_int_equal(st.series.len, 0);
    grouping_key_free(&a);
    grouping_key_free(&ax);
    store_free(&st);
}

static void
test_indexes(void **state)
{
    struct store st;
    struct group *const *gs;
    struct famidx *const *fs;
    size_t n;

    (void)state;
    store_init(&st);
    push_text(&st, "b", "", "# TYPE m gauge\nm 1\nz 1\n", 1, 1);
    push_text(&st, "a", "", "# TYPE m gauge\nm 2\n", 1, 1);
    push_text(&st, "a", "/instance/i", "# TYPE m counter\nm 3\n", 1, 1);
    gs = store_groups_sorted(&st, &n);
    assert_int_equal(n, 3);
    assert_string_equal(grouping_key_get(&gs[0]->key, "job"), "a");
    assert_string_equal(grouping_key_get(&gs[2]->key, "job"), "b");
    fs = store_families_sorted(&st, &n);
    assert_int_equal(n, 4);
    assert_string_equal(fs[0]->name, "m");
    assert_string_equal(fs[1]->name, PUSH_FAILURE_TIME_NAME);
    assert_string_equal(fs[3]->name, "z");
    assert_int_equal(store_famidx(&st, "m")->ntype[METRIC_GAUGE], 2);
    assert_int_equal(store_famidx(&st, "m")->ntype[METRIC_COUNTER], 1);
    /* Every stored series is indexed once; no duplicates. */
    assert_int_equal(st.duplicate_series, 0);
    assert_int_equal(st.series.len, 4 + 3 * 2);
    /* Replacing a family keeps the indexes exact. */
    push_text(&st, "a", "/instance/i", "# TYPE m gauge\nm 3\n", 0, 2);
    assert_int_equal(store_famidx(&st, "m")->ntype[METRIC_GAUGE], 3);
    assert_int_equal(store_famidx(&st, "m")->ntype[METRIC_COUNTER], 0);
    assert_int_equal(st.series.len, 4 + 3 * 2);
    store_free(&st);
}

static void
test_duplicate_counting(void **state)
{
    struct store st;
    struct grouping_key k = test_key("a", "/instance/x");

    (void)state;
    store_init(&st);
    /* {job=a} holding m{instance="x"} and {job=a,instance=x} holding m collide. */
    push_text(&st, "a", "", "m{instance=\"x\"} 1\n", 1, 1);
    push_text(&st, "a", "/instance/x", "m 2\n", 1, 1);
    assert_int_equal(st.duplicate_series, 1);
    store_delete(&st, &k);
    assert_int_equal(st.duplicate_series, 0);
    grouping_key_free(&k);
    store_free(&st);
}

static void
test_interned_strings(void **state)
{
    struct store st;
    size_t bytes, n1, n2;

    (void)state;
    store_init(&st);
    push_text(&st, "j", "/instance/a", "# HELP m shared help\nm{x=\"1\"} 1\n", 1, 1);
    n1 = intern_count(&bytes);
    assert_true(n1 > 0);
    /* A second group repeats every string but its instance value: one new string. */
    push_text(&st, "j", "/instance/b", "# HELP m shared help\nm{x=\"1\"} 1\n", 1, 1);
    n2 = intern_count(NULL);
    assert_int_equal(n2, n1 + 1);
    /* Stored strings are the shared copies: same pointer in both groups. */
    assert_ptr_equal(fam(&st, "j", "/instance/a", "m")->mf->help,
                     fam(&st, "j", "/instance/b", "m")->mf->help);
    store_wipe(&st);
    assert_int_equal(intern_count(&bytes), 0);
    assert_int_equal(bytes, 0);
    store_free(&st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitise),
        cmocka_unit_test(test_put_replaces_post_merges),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_timestamp_updated_in_place),
        cmocka_unit_test(test_values_updated_in_place),
        cmocka_unit_test(test_changed_series_replaced),
        cmocka_unit_test(test_pushed_failure_family_quirk),
        cmocka_unit_test(test_delete_and_wipe),
        cmocka_unit_test(test_indexes),
        cmocka_unit_test(test_duplicate_counting),
        cmocka_unit_test(test_interned_strings),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
