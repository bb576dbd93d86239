/* test_storage_file.c - file backend: journal, snapshot, replay, torn tails, corrupt files */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "codec.h"
#include "log.h"
#include "storage.h"
#include "store.h"
#include "textparse.h"
#include "xmalloc.h"

/* One gateway "process": configuration, backend and store. */
struct gw {
    struct config cfg;
    struct storage *s;
    struct store st;
};

static char dir[256];
static char path[300];    /* the snapshot */
static char journal[310]; /* the journal */

/* A fresh temporary directory per test. */
static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/pgw_storage_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/state.db", dir);
    snprintf(journal, sizeof(journal), "%s.journal", path);
    log_init(LOG_LEVEL_ERROR, LOG_FORMAT_LOGFMT); /* the corruption reports show on failure */
    return 0;
}

/* Remove the temporary directory and everything in it. */
static int
teardown(void **state)
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

/* Start a gateway on the temporary directory; returns storage_open's result. */
static int
gw_start(struct gw *g, enum fsync_policy fsync)
{
    char *err = NULL;
    int rc;

    config_defaults(&g->cfg);
    free(g->cfg.persistence_file);
    g->cfg.persistence_file = xstrdup(path);
    g->cfg.persistence_fsync = fsync;
    store_init(&g->st);
    g->s = storage_new(&g->cfg, &err);
    assert_non_null(g->s);
    rc = storage_open(g->s, &g->st, &err);
    free(err);
    return rc;
}

/* Release the files (lock included) but keep the store to compare against. */
static void
gw_release(struct gw *g)
{
    storage_free(g->s);
    g->s = NULL;
}

/* Stop without a snapshot: what a crash leaves behind (records were written to the OS). */
static void
gw_crash(struct gw *g)
{
    storage_free(g->s);
    store_free(&g->st);
    config_free(&g->cfg);
}

/* Graceful stop: final snapshot, then close. */
static void
gw_stop(struct gw *g)
{
    char *err = NULL;

    assert_int_equal(storage_snapshot(g->s, &g->st, &err), 0);
    gw_crash(g);
}

/* Record and apply a push, as the HTTP handler does. */
static void
push(struct gw *g, const char *job, const char *labels, const char *text, int replace, time_t sec)
{
    struct grouping_key k = test_key(job, labels);
    struct family_list fl;
    struct storage_mutation m;
    char *err = NULL;

    family_list_init(&fl);
    assert_int_equal(textparse(text, strlen(text), 0, &fl, &err), 0);
    store_sanitise(&fl, &k);
    memset(&m, 0, sizeof(m));
    m.op = STORAGE_PUSH;
    m.key = &k;
    m.families = &fl;
    m.replace = replace;
    m.ts.tv_sec = sec;
    m.ts.tv_nsec = 123456789;
    assert_int_equal(storage_record(g->s, &m, &err), 0);
    store_push(&g->st, &k, &fl, replace, &m.ts);
    family_list_free(&fl);
    grouping_key_free(&k);
}

/* Record and apply a push of a hand-built native histogram family. */
static void
push_native(struct gw *g, const char *job)
{
    struct grouping_key k = test_key(job, "");
    struct family_list fl;
    struct metric_family *mf = metric_family_new("nh", METRIC_HISTOGRAM);
    struct metric *m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
    struct storage_mutation mu;
    char *err = NULL;

    m->count = 3;
    m->sum = 1.5;
    m->native = xcalloc(1, sizeof(*m->native));
    m->native->schema = 3;
    m->native->zero_threshold = 1e-9;
    m->native->npos_spans = 1;
    m->native->pos_spans = xcalloc(1, sizeof(*m->native->pos_spans));
    m->native->pos_spans[0].offset = -1;
    m->native->pos_spans[0].length = 2;
    m->native->npos_deltas = 2;
    m->native->pos_deltas = xcalloc(2, sizeof(int64_t));
    m->native->pos_deltas[0] = 2;
    m->native->pos_deltas[1] = -1;
    family_list_init(&fl);
    family_list_add(&fl, mf);
    store_sanitise(&fl, &k);
    memset(&mu, 0, sizeof(mu));
    mu.op = STORAGE_PUSH;
    mu.key = &k;
    mu.families = &fl;
    mu.replace = 1;
    mu.ts.tv_sec = 99;
    assert_int_equal(storage_record(g->s, &mu, &err), 0);
    store_push(&g->st, &k, &fl, 1, &mu.ts);
    family_list_free(&fl);
    grouping_key_free(&k);
}

/* Record and apply a failed push, a delete or a wipe. */
static void
mutate(struct gw *g, enum storage_op op, const char *job, const char *labels, time_t sec)
{
    struct grouping_key k;
    struct storage_mutation m;
    char *err = NULL;

    memset(&m, 0, sizeof(m));
    m.op = op;
    if (job != NULL) {
        k = test_key(job, labels);
        m.key = &k;
    }
    m.ts.tv_sec = sec;
    assert_int_equal(storage_record(g->s, &m, &err), 0);
    if (op == STORAGE_FAILURE)
        store_push_failed(&g->st, &k, &m.ts);
    else if (op == STORAGE_DELETE)
        store_delete(&g->st, &k);
    else
        store_wipe(&g->st);
    if (job != NULL)
        grouping_key_free(&k);
}

/* The complete observable state of a store as bytes (groups sorted, every family field). */
static char *
dump(struct store *st, size_t *len)
{
    struct strbuf b = STRBUF_INIT;
    struct group *const *groups;
    size_t n, i, f;

    groups = store_groups_sorted(st, &n);
    for (i = 0; i < n; i++) {
        codec_put_key(&b, &groups[i]->key);
        for (f = 0; f < groups[i]->nfams; f++) {
            codec_put_timespec(&b, &groups[i]->fams[f]->ts);
            codec_put_family(&b, groups[i]->fams[f]->mf);
        }
    }
    codec_put_u64(&b, st->duplicate_series);
    return strbuf_detach(&b, len);
}

/* Assert that two stores hold exactly the same state. */
static void
assert_same_store(struct store *a, struct store *b)
{
    size_t la, lb;
    char *da = dump(a, &la), *db = dump(b, &lb);

    assert_int_equal(a->groups.len, b->groups.len);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
}

/* The standard workload: pushes (PUT and POST), a failure, a delete, native histograms. */
static void
workload(struct gw *g, int part)
{
    if (part == 0) {
        push(g, "a", "/instance/i1", "# HELP x An x.\n# TYPE x counter\nx{l=\"1\"} 1\nx 2\n", 1,
             100);
        push(g, "a", "/instance/i2",
             "# TYPE s summary\ns{quantile=\"0.5\"} NaN\ns_sum 1\n"
             "s_count 2\n",
             1, 101);
        push(g, "b", "", "# HELP e \n# TYPE e gauge\ne -Inf\n", 1, 102);
        mutate(g, STORAGE_FAILURE, "b", "", 103);
        mutate(g, STORAGE_FAILURE, "new", "/only/failure", 104);
        push_native(g, "native");
    } else {
        push(g, "a", "/instance/i1", "# TYPE y gauge\ny 3\n", 0, 200); /* POST adds y */
        push(g, "c", "",
             "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
             "# TYPE h histogram\n",
             1, 201);
        mutate(g, STORAGE_DELETE, "a", "/instance/i2", 202);
        push(g, "b", "", "# TYPE e gauge\ne 5\n", 1, 203);
    }
}

/* The gateway `after` recovered exactly the state `before` holds. */
static void
expect_recovered(struct gw *before, struct gw *after)
{
    assert_same_store(&before->st, &after->st);
}

/* Journal only: every mutation recorded before a crash is replayed exactly. */
static void
test_journal_replay(void **state)
{
    struct gw a, b;
    struct storage_stats ss;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0);
    workload(&a, 1);
    gw_release(&a);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    expect_recovered(&a, &b);
    storage_stats(b.s, &ss);
    assert_true(ss.records_replayed == 10);
    assert_true(ss.records_skipped == 0);
    assert_true(ss.recovered_groups == b.st.groups.len);
    gw_crash(&b);
    gw_crash(&a);
}

/* Snapshot then more journal: only the records after the snapshot are replayed. */
static void
test_snapshot_then_journal(void **state)
{
    struct gw a, b, c;
    struct storage_stats ss;
    char *err = NULL;
    struct stat sb;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_INTERVAL), 0);
    workload(&a, 0);
    assert_int_equal(storage_snapshot(a.s, &a.st, &err), 0);
    assert_int_equal(stat(journal, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* new journal generation */
    workload(&a, 1);
    gw_release(&a);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    expect_recovered(&a, &b);
    storage_stats(b.s, &ss);
    assert_true(ss.records_replayed == 4);
    gw_crash(&a);
    /* A graceful stop leaves a snapshot and an empty journal; restore is exact. */
    gw_stop(&b);
    assert_int_equal(gw_start(&c, FSYNC_NEVER), 0);
    storage_stats(c.s, &ss);
    assert_true(ss.records_replayed == 0);
    assert_true(ss.recovered_groups == 5);
    gw_crash(&c);
}

/* Restart after restart keeps the state and the sequence numbers increasing. */
static void
test_restart_chain(void **state)
{
    struct gw a, b, c;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_ALWAYS), 0);
    workload(&a, 0);
    gw_crash(&a);
    assert_int_equal(gw_start(&b, FSYNC_ALWAYS), 0);
    workload(&b, 1);
    gw_stop(&b);
    assert_int_equal(gw_start(&c, FSYNC_ALWAYS), 0);
    push(&c, "z", "", "z 1\n", 1, 300);
    gw_crash(&c);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    assert_int_equal(a.st.groups.len, 6);
    {
        struct grouping_key z = test_key("z", ""), gone = test_key("a", "/instance/i2");

        assert_non_null(store_group(&a.st, &z));
        assert_null(store_group(&a.st, &gone));
        grouping_key_free(&z);
        grouping_key_free(&gone);
    }
    gw_crash(&a);
}

/* Number of "*.corrupt-*" files in the directory. */
static int
corrupt_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, ".corrupt-") != NULL)
            n++;
    closedir(d);
    return n;
}

/* Size of a file, -1 when missing. */
static long
file_size(const char *p)
{
    struct stat sb;

    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Cut a file to n bytes. */
static void
cut_file(const char *p, long n)
{
    assert_int_equal(truncate(p, n), 0);
}

/* Flip one byte of a file at offset off. */
static void
flip_byte(const char *p, long off)
{
    int fd = open(p, O_RDWR);
    unsigned char c;

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

/* Copy a file. */
static void
copy_file(const char *from, const char *to)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

/* A torn final record (cut at every byte) is dropped; the records before it are kept. */
static void
test_torn_tail(void **state)
{
    struct gw a, b;
    long before, after, cut;
    struct storage_stats ss;
    char *longj = xasprintf("%s.long", journal), *want, *got;
    size_t wlen, glen;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0);
    want = dump(&a.st, &wlen); /* the state without the last push */
    before = file_size(journal);
    push(&a, "last", "", "last{x=\"y\"} 1\n", 1, 500);
    after = file_size(journal);
    gw_crash(&a);
    copy_file(journal, longj);
    for (cut = before; cut < after; cut++) {
        copy_file(longj, journal);
        cut_file(journal, cut);
        assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
        storage_stats(b.s, &ss);
        assert_true(ss.records_replayed == 6);
        got = dump(&b.st, &glen);
        assert_int_equal(glen, wlen);
        assert_memory_equal(got, want, wlen);
        free(got);
        assert_int_equal(file_size(journal), before); /* cut back to the valid end */
        assert_int_equal(corrupt_files(), 0);         /* a torn write is no evidence */
        gw_crash(&b);
    }
    unlink(longj);
    free(longj);
    free(want);
}

/* The final record complete but with a bad checksum: dropped, and the bytes kept aside. */
static void
test_bad_tail_saved(void **state)
{
    struct gw a, b;
    long before, after;
    struct storage_stats ss;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0);
    before = file_size(journal);
    push(&a, "last", "", "last 1\n", 1, 500);
    after = file_size(journal);
    gw_crash(&a);
    flip_byte(journal, after - 3);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    storage_stats(b.s, &ss);
    assert_true(ss.records_replayed == 6);
    assert_true(ss.corrupt_files == 1);
    assert_int_equal(corrupt_files(), 1);
    assert_int_equal(file_size(journal), before);
    /* New records append cleanly after the cut. */
    push(&b, "again", "", "again 1\n", 1, 600);
    gw_crash(&b);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    storage_stats(a.s, &ss);
    assert_true(ss.records_replayed == 7);
    assert_int_equal(corrupt_files(), 1);
    gw_crash(&a);
}

/* A bit flip inside the snapshot: the file is set aside, every other group is recovered. */
static void
test_corrupt_snapshot(void **state)
{
    struct gw a, b, c;
    struct storage_stats ss;
    size_t groups;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0);
    workload(&a, 1);
    groups = a.st.groups.len;
    gw_stop(&a);
    flip_byte(path, file_size(path) / 2);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    storage_stats(b.s, &ss);
    assert_true(ss.corrupt_files == 1);
    assert_int_equal(corrupt_files(), 1);
    assert_int_equal(b.st.groups.len, groups - 1); /* only the damaged group is lost */
    assert_true(file_size(path) > 0);              /* a new snapshot of what was recovered */
    gw_crash(&b);
    /* The new snapshot is clean: no further evidence on the next start. */
    assert_int_equal(gw_start(&c, FSYNC_NEVER), 0);
    assert_int_equal(c.st.groups.len, groups - 1);
    assert_int_equal(corrupt_files(), 1);
    gw_crash(&c);
}

/* A truncated snapshot: set aside, the complete groups before the cut are recovered. */
static void
test_truncated_snapshot(void **state)
{
    struct gw a, b;
    long size;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0);
    gw_stop(&a);
    size = file_size(path);
    cut_file(path, size - 30);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    assert_int_equal(corrupt_files(), 1);
    assert_true(b.st.groups.len >= 3 && b.st.groups.len < 5);
    gw_crash(&b);
}

/* Not a snapshot at all (for example upstream's gob file): set aside, empty store. */
static void
test_foreign_snapshot(void **state)
{
    struct gw a;
    FILE *f = fopen(path, "w");

    (void)state;
    fputs("this is not a valid persistence file", f);
    fclose(f);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    assert_int_equal(a.st.groups.len, 0);
    assert_int_equal(corrupt_files(), 1);
    gw_crash(&a);
}

/* A crash between the snapshot's rename and the journal truncation: covered records skipped. */
static void
test_sequence_skipping(void **state)
{
    struct gw a, b;
    struct storage_stats ss;
    char cmd[1024];
    char *err = NULL;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0);
    workload(&a, 1);
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s.old'", journal, journal);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(storage_snapshot(a.s, &a.st, &err), 0);
    gw_crash(&a);
    /* Put the pre-snapshot journal back: all its records are in the snapshot already. */
    snprintf(cmd, sizeof(cmd), "mv '%s.old' '%s'", journal, journal);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    storage_stats(b.s, &ss);
    assert_true(ss.records_replayed == 0);
    assert_true(ss.records_skipped == 10);
    /* Replaying them would have brought the deleted group back. */
    {
        struct grouping_key k = test_key("a", "/instance/i2");

        assert_null(store_group(&b.st, &k));
        grouping_key_free(&k);
    }
    /* New records continue after the snapshot's sequence number and are replayed. */
    push(&b, "after", "", "after 1\n", 1, 700);
    gw_crash(&b);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    storage_stats(a.s, &ss);
    assert_true(ss.records_skipped == 10);
    assert_true(ss.records_replayed == 1);
    gw_crash(&a);
}

/* Damage in the middle of the journal: set aside, the valid records around it are replayed. */
static void
test_corrupt_journal_middle(void **state)
{
    struct gw a, b;
    struct storage_stats ss;
    long mid;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    push(&a, "one", "", "one 1\n", 1, 1);
    mid = file_size(journal);
    push(&a, "two", "", "two 2\n", 1, 2);
    push(&a, "three", "", "three 3\n", 1, 3);
    gw_crash(&a);
    flip_byte(journal, mid + 20);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    storage_stats(b.s, &ss);
    assert_true(ss.records_replayed == 2);
    assert_int_equal(b.st.groups.len, 2);
    assert_int_equal(corrupt_files(), 1);
    assert_true(file_size(path) > 0); /* the recovered state was snapshotted */
    gw_crash(&b);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    assert_int_equal(a.st.groups.len, 2);
    assert_int_equal(corrupt_files(), 1);
    gw_crash(&a);
}

/* Leftover temporary snapshots are removed; a newer format version refuses to start. */
static void
test_temporaries_and_versions(void **state)
{
    struct gw a;
    char *tmp = xasprintf("%s.in_progress.123.1", path);
    FILE *f = fopen(tmp, "w");
    struct strbuf b = STRBUF_INIT;
    size_t start;
    int fd;

    (void)state;
    fputs("partial", f);
    fclose(f);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    assert_int_equal(file_size(tmp), -1);
    gw_crash(&a);

    start = codec_frame_begin(&b);
    codec_put_u32(&b, CODEC_VERSION + 1);
    codec_frame_end(&b, start, CODEC_MAGIC_SNAP_HEADER);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), -1);
    assert_int_equal(corrupt_files(), 0); /* not corrupt: just newer */
    gw_crash(&a);
    strbuf_free(&b);
    free(tmp);
}

/* fsync=always: records wait for a flush; the unchecked flag survives a restart. */
static void
test_fsync_always_and_flags(void **state)
{
    struct gw a, b;
    struct storage_stats ss;
    char *err = NULL;
    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_ALWAYS), 0);
    assert_int_equal(storage_sync_pending(a.s), 0);
    push(&a, "p", "", "p 1\n", 1, 1);
    assert_int_equal(storage_sync_pending(a.s), 1);
    assert_int_equal(storage_flush(a.s, &err), 0);
    assert_int_equal(storage_sync_pending(a.s), 0);
    {
        struct grouping_key k = test_key("u", "");
        struct family_list fl;
        struct storage_mutation m;

        family_list_init(&fl);
        memset(&m, 0, sizeof(m));
        m.op = STORAGE_PUSH;
        m.key = &k;
        m.families = &fl;
        m.unchecked = 1;
        assert_int_equal(storage_record(a.s, &m, &err), 0);
        store_push(&a.st, &k, &fl, 0, &m.ts);
        grouping_key_free(&k);
    }
    storage_stats(a.s, &ss);
    assert_int_equal(ss.store_unchecked, 1);
    gw_crash(&a);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    storage_stats(b.s, &ss);
    assert_int_equal(ss.store_unchecked, 1);
    gw_stop(&b);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0); /* from the snapshot's header now */
    storage_stats(a.s, &ss);
    assert_int_equal(ss.store_unchecked, 1);
    assert_int_equal(storage_sync_pending(a.s), 0);
    gw_crash(&a);
}

/* A second gateway on the same files is refused while the first holds the lock. */
static void
test_lock(void **state)
{
    struct gw a, b;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), -1);
    gw_crash(&b);
    gw_crash(&a);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0); /* released */
    gw_crash(&b);
}

/* Wait (bounded) until the background snapshot has been collected. */
static void
wait_background(struct gw *g)
{
    struct storage_stats ss;
    int i;

    for (i = 0; i < 1000; i++) {
        storage_tick(g->s);
        storage_stats(g->s, &ss);
        if (ss.last_snapshot_time != 0)
            return;
        usleep(10000);
    }
    assert_true(0 && "background snapshot did not finish");
}

/* A background snapshot: new records go to a new journal meanwhile; both survive a crash. */
static void
test_background_snapshot(void **state)
{
    struct gw a, b;
    struct storage_stats ss;
    char *err = NULL;
    char *old = xasprintf("%s.old", journal);

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_INTERVAL), 0);
    workload(&a, 0);
    assert_int_equal(storage_snapshot_async(a.s, &a.st, &err), 0);
    assert_true(file_size(old) > 0); /* the sealed generation */
    workload(&a, 1);                 /* while the child writes */
    wait_background(&a);
    assert_int_equal(file_size(old), -1); /* covered by the snapshot, deleted */
    storage_stats(a.s, &ss);
    assert_true(ss.snapshot_failures == 0);
    gw_release(&a);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    expect_recovered(&a, &b);
    storage_stats(b.s, &ss);
    assert_true(ss.records_replayed == 4); /* only what came after the fork */
    gw_crash(&b);
    gw_crash(&a);
    free(old);
}

/* Append one record with sequence number seq to the journal file at p (as a gateway would). */
static void
append_record(const char *p, uint64_t seq, const struct storage_mutation *m, int header)
{
    struct strbuf b = STRBUF_INIT;
    size_t start;
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0600);

    assert_true(fd >= 0);
    if (header) {
        struct timespec now = {0, 0};

        start = codec_frame_begin(&b);
        codec_put_u32(&b, CODEC_VERSION);
        codec_put_u64(&b, 0);
        codec_put_timespec(&b, &now);
        codec_frame_end(&b, start, CODEC_MAGIC_JOURNAL);
    }
    start = codec_frame_begin(&b);
    codec_put_mutation(&b, seq, m);
    codec_frame_end(&b, start, CODEC_MAGIC_RECORD);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    strbuf_free(&b);
}

/* A crash during a background snapshot: the old generation and the new journal both replay. */
static void
test_interrupted_background(void **state)
{
    struct gw a, b;
    struct storage_stats ss;
    char *old = xasprintf("%s.old", journal);
    struct grouping_key k = test_key("x7", "");
    struct family_list none;
    struct storage_mutation m;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0); /* records 1..6 */
    gw_crash(&a);
    assert_int_equal(rename(journal, old), 0); /* sealed, the child never finished */
    family_list_init(&none);
    memset(&m, 0, sizeof(m));
    m.op = STORAGE_PUSH;
    m.key = &k;
    m.families = &none;
    m.replace = 1;
    append_record(journal, 7, &m, 1); /* the new generation */
    m.op = STORAGE_DELETE;
    append_record(journal, 8, &m, 0);
    m.op = STORAGE_PUSH;
    append_record(journal, 9, &m, 0);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    storage_stats(b.s, &ss);
    assert_true(ss.records_replayed == 9);
    assert_int_equal(b.st.groups.len, 6);
    assert_non_null(store_group(&b.st, &k));
    assert_int_equal(file_size(old), -1); /* consolidated into a new snapshot */
    assert_int_equal(file_size(journal), 0);
    gw_crash(&b);
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    storage_stats(a.s, &ss);
    assert_true(ss.records_replayed == 0);
    assert_int_equal(a.st.groups.len, 6);
    gw_crash(&a);
    grouping_key_free(&k);
    free(old);
}

/* A crash after the background snapshot's rename, before the old generation was deleted. */
static void
test_old_generation_covered(void **state)
{
    struct gw a, b;
    struct storage_stats ss;
    char *old = xasprintf("%s.old", journal);
    char *err = NULL;

    (void)state;
    assert_int_equal(gw_start(&a, FSYNC_NEVER), 0);
    workload(&a, 0);
    workload(&a, 1);
    copy_file(journal, old);
    assert_int_equal(storage_snapshot(a.s, &a.st, &err), 0);
    gw_release(&a);
    assert_int_equal(gw_start(&b, FSYNC_NEVER), 0);
    storage_stats(b.s, &ss);
    assert_true(ss.records_skipped == 10);
    assert_true(ss.records_replayed == 0);
    expect_recovered(&a, &b);
    assert_int_equal(file_size(old), -1);
    gw_crash(&b);
    gw_crash(&a);
    free(old);
}

/* The memory backend and the backend choice rules. */
static void
test_backend_choice(void **state)
{
    struct config cfg;
    struct storage *s;
    char *err = NULL;

    (void)state;
    config_defaults(&cfg);
    s = storage_new(&cfg, &err);
    assert_non_null(s);
    assert_string_equal(s->ops->name, "memory");
    storage_free(s);
    free(cfg.storage_backend);
    cfg.storage_backend = xstrdup("file");
    assert_null(storage_new(&cfg, &err));
    assert_non_null(strstr(err, "--persistence.file"));
    free(err);
    err = NULL;
    free(cfg.storage_backend);
    cfg.storage_backend = xstrdup("etcd");
    assert_null(storage_new(&cfg, &err));
    assert_string_equal(err, "unknown storage backend \"etcd\" (known: memory, file)");
    free(err);
    err = NULL;
    free(cfg.storage_backend);
    cfg.storage_backend = xstrdup("");
    free(cfg.persistence_file);
    cfg.persistence_file = xstrdup(path);
    s = storage_new(&cfg, &err);
    assert_string_equal(s->ops->name, "file");
    storage_free(s);
    config_free(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_journal_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_then_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tail_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_skipping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_journal_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temporaries_and_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_always_and_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_background_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_background, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_generation_covered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_choice, setup, teardown),
    };

    return cmocka_run_group_tests_name("storage_file", tests, NULL, NULL);
}
