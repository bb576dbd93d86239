/* test_expiry.c - group TTLs: store bookkeeping, expiry runs on a fake clock, ?ttl=, storage */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "api.h"
#include "codec.h"
#include "config.h"
#include "expiry.h"
#include "grouping.h"
#include "log.h"
#include "storage.h"
#include "store.h"
#include "textparse.h"
#include "xmalloc.h"

#define SEC INT64_C(1000000000)

/* The injectable clock: tests move fake_now by hand. */
static struct timespec fake_now;

/* expiry_clock_fn reading fake_now. */
static void
fake_clock(void *arg, struct timespec *now)
{
    (void)arg;
    *now = fake_now;
}

/* Set the fake clock to sec seconds and nsec nanoseconds. */
static void
clock_at(time_t sec, long nsec)
{
    fake_now.tv_sec = sec;
    fake_now.tv_nsec = nsec;
}

/* Record (when s is non-NULL) and apply a push of "m 1" to job at sec; ttl as store_push_ttl. */
static void
push_at(struct store *st, struct storage *s, const char *job, int replace, time_t sec, int64_t ttl)
{
    struct grouping_key k = test_key(job, "");
    struct family_list fl;
    struct storage_mutation m;
    struct timespec ts = {sec, 250000000};
    char *err = NULL;

    family_list_init(&fl);
    assert_int_equal(textparse("m 1\n", 4, 0, &fl, &err), 0);
    store_sanitise(&fl, &k);
    memset(&m, 0, sizeof(m));
    m.op = STORAGE_PUSH;
    m.key = &k;
    m.families = &fl;
    m.replace = replace;
    m.ts = ts;
    m.has_ttl = ttl != STORE_TTL_DEFAULT;
    m.ttl = ttl != STORE_TTL_DEFAULT ? ttl : 0;
    assert_int_equal(storage_record(s, &m, &err), 0);
    store_push_ttl(st, &k, &fl, replace, &ts, ttl);
    family_list_free(&fl);
    grouping_key_free(&k);
}

/* The stored group of job, or NULL. */
static struct group *
group_of(struct store *st, const char *job)
{
    struct grouping_key k = test_key(job, "");
    struct group *g = store_group(st, &k);

    grouping_key_free(&k);
    return g;
}

/* Deadline of job's group in whole seconds (-1 when it does not expire). */
static long long
deadline_of(struct store *st, const char *job)
{
    struct group *g = group_of(st, job);

    assert_non_null(g);
    return g->expiring ? (long long)g->expires.tv_sec : -1;
}

static int
setup_log(void **state)
{
    (void)state;
    log_init(LOG_LEVEL_ERROR, LOG_FORMAT_LOGFMT);
    return 0;
}

/* Deadlines: last successful push + TTL; explicit, default, never; each push replaces it. */
static void
test_deadlines(void **state)
{
    struct store st;
    struct group *g;

    (void)state;
    store_init(&st);
    push_at(&st, NULL, "a", 1, 100, 5 * SEC);
    push_at(&st, NULL, "b", 1, 100, STORE_TTL_DEFAULT);
    push_at(&st, NULL, "c", 1, 100, 0);
    g = group_of(&st, "a");
    assert_int_equal(g->expiring, 1);
    assert_int_equal(g->expires.tv_sec, 105);
    assert_int_equal(g->expires.tv_nsec, 250000000);
    assert_int_equal(group_effective_ttl(&st, g), 5 * SEC);
    assert_int_equal(deadline_of(&st, "b"), -1); /* default 0: never */
    assert_int_equal(deadline_of(&st, "c"), -1);
    assert_int_equal(store_expiring_count(&st), 1);

    /* A POST postpones and replaces the TTL; a push without ?ttl= goes back to the default. */
    push_at(&st, NULL, "a", 0, 200, 60 * SEC);
    assert_int_equal(deadline_of(&st, "a"), 260);
    push_at(&st, NULL, "a", 1, 300, STORE_TTL_DEFAULT);
    assert_int_equal(deadline_of(&st, "a"), -1);
    assert_int_equal(store_expiring_count(&st), 0);

    /* The default applies to groups that follow it, not to explicit ttl=0 ones. */
    store_set_default_ttl(&st, 10 * SEC);
    assert_int_equal(deadline_of(&st, "a"), 310);
    assert_int_equal(deadline_of(&st, "b"), 110);
    assert_int_equal(deadline_of(&st, "c"), -1);
    assert_int_equal(store_expiring_count(&st), 2);
    assert_ptr_equal(store_next_expiring(&st), group_of(&st, "b"));
    store_set_default_ttl(&st, 0);
    assert_int_equal(store_expiring_count(&st), 0);
    assert_null(store_next_expiring(&st));
    store_free(&st);
}

/* Failed pushes change neither TTL nor deadline; a failure-only group counts from its creation. */
static void
test_failed_pushes(void **state)
{
    struct store st;
    struct grouping_key k = test_key("f", "");
    struct timespec t1 = {500, 0}, t2 = {900, 0};

    (void)state;
    store_init(&st);
    store_set_default_ttl(&st, 100 * SEC);
    push_at(&st, NULL, "a", 1, 100, 7 * SEC);
    {
        struct grouping_key ka = test_key("a", "");

        store_push_failed(&st, &ka, &t1);
        grouping_key_free(&ka);
    }
    assert_int_equal(deadline_of(&st, "a"), 107);
    store_push_failed(&st, &k, &t1);
    assert_int_equal(deadline_of(&st, "f"), 600);
    store_push_failed(&st, &k, &t2);
    assert_int_equal(deadline_of(&st, "f"), 600);
    grouping_key_free(&k);
    store_free(&st);
}

/* Deleting and wiping take groups out of the index; the order is by deadline, then key. */
static void
test_index_follows_store(void **state)
{
    struct store st;
    struct grouping_key k = test_key("b", "");

    (void)state;
    store_init(&st);
    push_at(&st, NULL, "c", 1, 100, 5 * SEC);
    push_at(&st, NULL, "b", 1, 100, 5 * SEC);
    push_at(&st, NULL, "a", 1, 100, 9 * SEC);
    assert_ptr_equal(store_next_expiring(&st), group_of(&st, "b"));
    assert_int_equal(store_delete(&st, &k), 1);
    assert_int_equal(store_expiring_count(&st), 2);
    assert_ptr_equal(store_next_expiring(&st), group_of(&st, "c"));
    store_wipe(&st);
    assert_int_equal(store_expiring_count(&st), 0);
    assert_null(store_next_expiring(&st));
    push_at(&st, NULL, "d", 1, 100, 5 * SEC);
    grouping_key_free(&k);
    store_free(&st); /* frees a group that is still in the index */
}

/* Runs on the fake clock: nothing early, soonest first, bounded, counted. */
static void
test_run_fake_clock(void **state)
{
    struct store st;
    struct expiry *e;
    int more = -1;
    char job[16];
    int i;

    (void)state;
    store_init(&st);
    e = expiry_new(&st, NULL);
    expiry_set_clock(e, fake_clock, NULL);
    push_at(&st, NULL, "keep", 1, 100, STORE_TTL_DEFAULT);
    push_at(&st, NULL, "short", 1, 100, 5 * SEC); /* due at 105.25 */
    push_at(&st, NULL, "long", 1, 100, 3600 * SEC);

    clock_at(105, 250000000 - 1);
    assert_int_equal(expiry_run(e, 10, &more), 0);
    assert_int_equal(more, 0);
    assert_int_equal(expiry_next_ms(e, 1000), 1);
    clock_at(104, 0);
    assert_int_equal(expiry_next_ms(e, 1000), 1000);
    assert_int_equal(expiry_next_ms(e, 5000), 1251);
    clock_at(105, 250000000);
    assert_int_equal(expiry_next_ms(e, 1000), 0);
    assert_int_equal(expiry_run(e, 10, &more), 1);
    assert_null(group_of(&st, "short"));
    assert_non_null(group_of(&st, "long"));
    assert_int_equal(expiry_expired_total(e), 1);
    assert_int_equal(expiry_groups_with_ttl(e), 1);

    /* A push postpones: the group that would be due is pushed again first. */
    clock_at(3000, 0);
    push_at(&st, NULL, "long", 0, 2999, 3600 * SEC);
    assert_int_equal(expiry_run(e, 10, NULL), 0);
    assert_non_null(group_of(&st, "long"));

    /* Bounded: 25 due groups take three runs of at most 10. */
    for (i = 0; i < 25; i++) {
        snprintf(job, sizeof(job), "j%02d", i);
        push_at(&st, NULL, job, 1, 4000 + i, SEC);
    }
    clock_at(5000, 0);
    assert_int_equal(expiry_run(e, 10, &more), 10);
    assert_int_equal(more, 1);
    assert_null(group_of(&st, "j09"));
    assert_non_null(group_of(&st, "j10")); /* soonest first */
    assert_int_equal(expiry_run(e, 10, &more), 10);
    assert_int_equal(more, 1);
    assert_int_equal(expiry_run(e, 10, &more), 5);
    assert_int_equal(more, 0);
    assert_int_equal(expiry_run(e, 10, &more), 0);
    assert_int_equal(expiry_expired_total(e), 26);
    assert_non_null(group_of(&st, "keep"));
    assert_non_null(group_of(&st, "long"));
    assert_int_equal(expiry_next_ms(e, 1000), 1000);
    expiry_free(e);
    store_free(&st);
}

/* The cached JSON of a group follows its TTL: fields appear, move and disappear. */
static void
test_json_cache(void **state)
{
    struct store st;
    char *out;

    (void)state;
    store_init(&st);
    push_at(&st, NULL, "a", 1, 100, STORE_TTL_DEFAULT);
    out = api_metrics_json(&st);
    assert_null(strstr(out, "ttl_seconds"));
    free(out);
    assert_non_null(group_of(&st, "a")->cache.json);

    store_set_default_ttl(&st, 90 * SEC);
    out = api_metrics_json(&st);
    assert_non_null(strstr(out, "\"ttl_seconds\":90"));
    assert_non_null(strstr(out, "\"expires_at\":\""));
    free(out);

    push_at(&st, NULL, "a", 0, 200, 1500 * (SEC / 1000)); /* 1.5 s */
    out = api_metrics_json(&st);
    assert_non_null(strstr(out, "\"ttl_seconds\":1.5"));
    free(out);

    store_set_ttl(&st, group_of(&st, "a"), 0);
    out = api_metrics_json(&st);
    assert_null(strstr(out, "ttl_seconds"));
    assert_null(strstr(out, "expires_at"));
    free(out);
    store_free(&st);
}

/* ?ttl= parsing: only ttl counts, the first wins, errors name the value. */
static void
test_query(void **state)
{
    static const struct {
        const char *query;
        int rc, given;
        int64_t ttl;
        const char *err;
    } cases[] = {
        {NULL, 0, 0, 0, NULL},
        {"", 0, 0, 0, NULL},
        {"a=b&ttlx=1", 0, 0, 0, NULL},
        {"ttl=26h", 0, 1, 26 * 3600 * SEC, NULL},
        {"x=%zz&ttl=5s", 0, 1, 5 * SEC, NULL},
        {"ttl=0", 0, 1, 0, NULL},
        {"ttl=1m30s&ttl=bad", 0, 1, 90 * SEC, NULL},
        {"t%74l=1h%33m", 0, 1, (3600 + 180) * SEC, NULL},
        {"ttl=1.5s", 0, 1, 1500000000, NULL},
        {"ttl=5x", -1, 0, 0, "invalid ttl \"5x\": time: unknown unit \"x\" in duration \"5x\""},
        {"ttl=", -1, 0, 0, "invalid ttl \"\": time: invalid duration \"\""},
        {"ttl", -1, 0, 0, "invalid ttl \"\": time: invalid duration \"\""},
        {"ttl=5", -1, 0, 0, "invalid ttl \"5\": time: missing unit in duration \"5\""},
        {"ttl=-1m", -1, 0, 0, "invalid ttl \"-1m\": must not be negative"},
        {"ttl=1+h", -1, 0, 0, "invalid ttl \"1 h\": time: unknown unit \" h\" in duration \"1 h\""},
        {"ttl=%zz", -1, 0, 0, "invalid ttl \"%zz\": invalid URL escape"},
        {"ttl=5s%00", -1, 0, 0, "invalid ttl \"5s%00\": NUL bytes are not supported"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int given = -1;
        int64_t ttl = -1;
        char *err = NULL;
        int rc = expiry_ttl_from_query(cases[i].query, &given, &ttl, &err);

        if (rc != cases[i].rc || given != cases[i].given ||
            (rc == 0 && given && ttl != cases[i].ttl))
            fail_msg("case %zu (%s): rc %d given %d ttl %lld", i,
                     cases[i].query != NULL ? cases[i].query : "NULL", rc, given, (long long)ttl);
        if (cases[i].err != NULL) {
            assert_non_null(err);
            assert_string_equal(err, cases[i].err);
        } else {
            assert_null(err);
        }
        free(err);
    }
}

/* ---- with storage ---- */

static int fail_records; /* the "failing" backend refuses records while non-zero */

/* record slot of a backend that can be told to fail. */
static int
failing_record(struct storage *s, const struct storage_mutation *m, char **err)
{
    (void)s;
    (void)m;
    if (!fail_records)
        return 0;
    *err = xstrdup("disk on fire");
    return -1;
}

static const struct storage_ops failing_ops = {.name = "test-failing", .record = failing_record};

/* A failed record stops the run and keeps the group; it goes once recording works. */
static void
test_record_failure(void **state)
{
    struct config cfg;
    struct storage *s;
    struct store st;
    struct expiry *e;
    char *err = NULL;
    int more = -1;

    (void)state;
    assert_int_equal(storage_register(&failing_ops), 0);
    config_defaults(&cfg);
    free(cfg.storage_backend);
    cfg.storage_backend = xstrdup("test-failing");
    s = storage_new(&cfg, &err);
    assert_non_null(s);
    store_init(&st);
    e = expiry_new(&st, s);
    expiry_set_clock(e, fake_clock, NULL);
    push_at(&st, s, "a", 1, 100, SEC);
    push_at(&st, s, "b", 1, 100, SEC);
    clock_at(200, 0);
    fail_records = 1;
    assert_int_equal(expiry_run(e, 10, &more), 0);
    assert_int_equal(more, 0);
    assert_non_null(group_of(&st, "a"));
    assert_int_equal(expiry_expired_total(e), 0);
    fail_records = 0;
    assert_int_equal(expiry_run(e, 10, &more), 2);
    assert_int_equal(expiry_expired_total(e), 2);
    expiry_free(e);
    store_free(&st);
    storage_free(s);
    config_free(&cfg);
}

static char dir[256];
static char path[300];

/* A temporary directory for the file backend. */
static int
setup_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/pgw_expiry_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/state.db", dir);
    log_init(LOG_LEVEL_ERROR, LOG_FORMAT_LOGFMT);
    return 0;
}

/* Remove the temporary directory. */
static int
teardown_dir(void **state)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    (void)state;
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            char p[600];

            if (de->d_name[0] == '.')
                continue;
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    return 0;
}

/* One gateway "process" on the file backend. */
struct gw {
    struct config cfg;
    struct storage *s;
    struct store st;
};

/* Start on path with a default TTL; returns storage_open's result. */
static int
gw_start(struct gw *g, int64_t default_ttl)
{
    char *err = NULL;
    int rc;

    config_defaults(&g->cfg);
    free(g->cfg.persistence_file);
    g->cfg.persistence_file = xstrdup(path);
    store_init(&g->st);
    store_set_default_ttl(&g->st, default_ttl);
    g->s = storage_new(&g->cfg, &err);
    assert_non_null(g->s);
    rc = storage_open(g->s, &g->st, &err);
    free(err);
    return rc;
}

/* Stop; with a snapshot when snap is non-zero (else what kill -9 leaves). */
static void
gw_stop(struct gw *g, int snap)
{
    char *err = NULL;

    if (snap)
        assert_int_equal(storage_snapshot(g->s, &g->st, &err), 0);
    storage_free(g->s);
    store_free(&g->st);
    config_free(&g->cfg);
}

/* TTLs and deadlines survive journal replay and snapshots; an expiry is journalled. */
static void
test_restart(void **state)
{
    struct gw a;
    struct expiry *e;
    int snap;

    (void)state;
    for (snap = 0; snap <= 1; snap++) {
        assert_int_equal(gw_start(&a, 0), 0);
        push_at(&a.st, a.s, "exp", 1, 100, 30 * SEC);
        push_at(&a.st, a.s, "gone", 1, 100, 5 * SEC);
        push_at(&a.st, a.s, "never", 1, 100, 0);
        push_at(&a.st, a.s, "dflt", 1, 100, STORE_TTL_DEFAULT);
        e = expiry_new(&a.st, a.s);
        expiry_set_clock(e, fake_clock, NULL);
        clock_at(110, 0);
        assert_int_equal(expiry_run(e, 10, NULL), 1);
        expiry_free(e);
        gw_stop(&a, snap);

        /* Restarted with a default TTL: only the group that follows the default takes it. */
        assert_int_equal(gw_start(&a, 20 * SEC), 0);
        assert_null(group_of(&a.st, "gone"));
        assert_int_equal(deadline_of(&a.st, "exp"), 130);
        assert_int_equal(group_of(&a.st, "exp")->expires.tv_nsec, 250000000);
        assert_int_equal(group_of(&a.st, "exp")->ttl, 30 * SEC);
        assert_int_equal(deadline_of(&a.st, "never"), -1);
        assert_int_equal(group_of(&a.st, "never")->ttl, 0);
        assert_int_equal(deadline_of(&a.st, "dflt"), 120);
        assert_int_equal(group_of(&a.st, "dflt")->ttl, STORE_TTL_DEFAULT);
        gw_stop(&a, 1);
        teardown_dir(NULL);
        assert_int_equal(setup_dir(NULL), 0);
    }
}

/* Files of format version 1 (no TTLs) still load: their groups follow the default. */
static void
test_version1_files(void **state)
{
    struct strbuf b = STRBUF_INIT;
    struct grouping_key k = test_key("old", "");
    struct family_list fl;
    struct storage_mutation m;
    struct timespec ts = {100, 0};
    char *jpath = xasprintf("%s.journal", path), *err = NULL;
    size_t start;
    struct gw a;
    int fd;

    (void)state;
    /* A version 1 snapshot of one group, written the way version 1 wrote it. */
    start = codec_frame_begin(&b);
    codec_put_u32(&b, 1);
    codec_put_u64(&b, 1);
    codec_put_timespec(&b, &ts);
    codec_put_u64(&b, 1);
    codec_put_u32(&b, 0);
    codec_frame_end(&b, start, CODEC_MAGIC_SNAP_HEADER);
    start = codec_frame_begin(&b);
    codec_put_key(&b, &k);
    codec_put_u32(&b, 1);
    codec_put_timespec(&b, &ts);
    {
        struct metric_family *mf = store_timestamp_family(PUSH_TIME_NAME, &k, &ts);

        codec_put_family(&b, mf);
        metric_family_free(mf);
    }
    codec_frame_end(&b, start, CODEC_MAGIC_SNAP_GROUP);
    start = codec_frame_begin(&b);
    codec_put_u64(&b, 1);
    codec_put_u64(&b, 1);
    codec_frame_end(&b, start, CODEC_MAGIC_SNAP_END);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);

    /* A version 1 journal with one push record (no TTL flag). */
    strbuf_reset(&b);
    start = codec_frame_begin(&b);
    codec_put_u32(&b, 1);
    codec_put_u64(&b, 1);
    codec_put_timespec(&b, &ts);
    codec_frame_end(&b, start, CODEC_MAGIC_JOURNAL);
    family_list_init(&fl);
    assert_int_equal(textparse("m 1\n", 4, 0, &fl, &err), 0);
    grouping_key_free(&k);
    k = test_key("old2", "");
    store_sanitise(&fl, &k);
    memset(&m, 0, sizeof(m));
    m.op = STORAGE_PUSH;
    m.key = &k;
    m.families = &fl;
    m.replace = 1;
    m.ts.tv_sec = 200;
    start = codec_frame_begin(&b);
    codec_put_mutation(&b, 2, &m);
    codec_frame_end(&b, start, CODEC_MAGIC_RECORD);
    fd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);

    assert_int_equal(gw_start(&a, 60 * SEC), 0);
    assert_int_equal(a.st.groups.len, 2);
    assert_int_equal(group_of(&a.st, "old")->ttl, STORE_TTL_DEFAULT);
    assert_int_equal(deadline_of(&a.st, "old"), 160);
    assert_int_equal(deadline_of(&a.st, "old2"), 260);
    gw_stop(&a, 0);
    /* Rewritten in the current version at start-up: snapshot header version 2, empty journal. */
    {
        unsigned char head[CODEC_FRAME_HEADER + 4];

        fd = open(path, O_RDONLY);
        assert_int_equal(read(fd, head, sizeof(head)), (ssize_t)sizeof(head));
        close(fd);
        assert_memory_equal(head, CODEC_MAGIC_SNAP_HEADER, 4);
        assert_int_equal(head[CODEC_FRAME_HEADER], CODEC_VERSION);
        fd = open(jpath, O_RDONLY);
        assert_int_equal(read(fd, head, 1), 0);
        close(fd);
    }
    assert_int_equal(gw_start(&a, 60 * SEC), 0);
    assert_int_equal(a.st.groups.len, 2);
    assert_int_equal(deadline_of(&a.st, "old2"), 260);
    gw_stop(&a, 0);

    family_list_free(&fl);
    grouping_key_free(&k);
    strbuf_free(&b);
    free(jpath);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadlines),
        cmocka_unit_test(test_failed_pushes),
        cmocka_unit_test(test_index_follows_store),
        cmocka_unit_test(test_run_fake_clock),
        cmocka_unit_test(test_json_cache),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_record_failure),
        cmocka_unit_test_setup_teardown(test_restart, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_version1_files, setup_dir, teardown_dir),
    };

    return cmocka_run_group_tests_name("expiry", tests, setup_log, NULL);
}
