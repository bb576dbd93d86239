/* storage_file.c - the "file" backend: snapshot file plus append-only journal of mutations */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "codec.h"
#include "log.h"
#include "storage.h"
#include "xmalloc.h"

/*
 * Files, for --persistence.file=P (docs/storage-format.md):
 *   P                       the snapshot: header, one frame per group, trailer
 *   P.journal               mutations since the snapshot, one checksummed frame each
 *   P.journal.old           the previous journal generation while a background snapshot
 *                           that covers it is being written (deleted when it is durable)
 *   P.in_progress.<pid>.<n> a snapshot being written (renamed over P when complete)
 *   P.lock                  flock()ed by the gateway (and its snapshot child) using P
 *   P.corrupt-<time>, P.journal.corrupt-<time>   evidence set aside at start-up
 */

#define SNAPSHOT_CHUNK (1024u * 1024u) /* write the snapshot in pieces this big */
#define JOURNAL_COMPACT_MIN                                                                        \
    (64u * 1024u * 1024u)        /* snapshot early past max(this, 2 x snapshot)                    \
                                  */
#define RETRY_AFTER_FAILURE 10.0 /* seconds between failed snapshot attempts */

struct file_backend {
    char *path;         /* the snapshot */
    char *journal_path; /* path + ".journal" */
    char *old_path;     /* path + ".journal.old" */
    char *lock_path;    /* path + ".lock" */
    int lock_fd;        /* holds the flock; -1 before open() */
    char *dir;          /* their directory */
    char *base;         /* basename of path (stale temporary files start with it) */
    enum fsync_policy fsync;
    double interval;   /* --persistence.interval in seconds */
    int jfd;           /* the journal, O_APPEND; -1 before open() */
    uint64_t jsize;    /* bytes of valid journal */
    uint64_t seq;      /* sequence number of the last record written or recovered */
    uint64_t snap_seq; /* last sequence number the current snapshot covers */
    int unsynced;      /* records written since the last fdatasync */
    int broken;        /* a failed write left the journal tail unknown: refuse records */
    int unchecked;     /* some stored push was applied without the consistency check */
    unsigned tmp_counter;
    double last_attempt; /* monotonic time of the last snapshot attempt (open() counts) */
    int last_failed;
    uint64_t last_snapshot_size;
    int have_old;         /* P.journal.old exists: records the snapshot P does not cover */
    pid_t child;          /* background snapshot in progress, or 0 */
    uint64_t child_seq;   /* the sequence number it covers */
    double child_started; /* monotonic start time */
    struct timespec child_wall;
    struct strbuf buf; /* record encoding buffer, reused */
    struct storage_stats stats;
};

/* Monotonic seconds. */
static double
mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write all of buf, retrying on EINTR and short writes; -1 with errno on failure. */
static int
write_all(int fd, const void *buf, size_t len, size_t *written)
{
    const char *p = buf;

    *written = 0;
    while (*written < len) {
        ssize_t n = write(fd, p + *written, len - *written);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        *written += (size_t)n;
    }
    return 0;
}

/* fsync a directory so that renames and new entries in it are durable; errors are ignored
 * where the file system cannot do it (EINVAL). */
static int
fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return -1;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = -1;
    close(fd);
    return rc;
}

/* Read a whole file. Returns 0, 1 when it does not exist, -1 with *err otherwise. */
static int
read_file(const char *path, unsigned char **data, size_t *size, char **err)
{
    struct stat sb;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *data = NULL;
    *size = 0;
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        *err = xasprintf("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        *err = xasprintf("cannot read %s: %s", path,
                         S_ISREG(sb.st_mode) ? strerror(errno) : "not a regular file");
        close(fd);
        return -1;
    }
    *data = xmalloc((size_t)sb.st_size + 1);
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, *data + got, (size_t)sb.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                break; /* shrank meanwhile: use what is there */
            *err = xasprintf("cannot read %s: %s", path, strerror(errno));
            free(*data);
            *data = NULL;
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    *size = got;
    return 0;
}

/* "<path>.corrupt-<UTC time>[.n]" that does not exist yet. Caller frees. */
static char *
corrupt_name(const char *path)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int i;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    for (i = 0; i < 1000; i++) {
        char *name = i == 0 ? xasprintf("%s.corrupt-%s", path, stamp)
                            : xasprintf("%s.corrupt-%s.%d", path, stamp, i);
        struct stat sb;

        if (lstat(name, &sb) != 0 && errno == ENOENT)
            return name;
        free(name);
    }
    return xasprintf("%s.corrupt-%s.%ld", path, stamp, (long)getpid());
}

/* Move a file aside without replacing anything; returns the new name or NULL. */
static char *
set_aside(const char *path)
{
    char *name = corrupt_name(path);

    /* link() never replaces an existing name; fall back to rename() where links fail. */
    if (link(path, name) == 0) {
        if (unlink(path) == 0)
            return name;
    } else if (errno != EEXIST && rename(path, name) == 0) {
        return name;
    }
    log_error("cannot set a corrupt file aside", "file", path, "to", name, "err", strerror(errno));
    free(name);
    return NULL;
}

/* Write bytes into a new "<path>.corrupt-<time>" file (a bad journal tail); returns its name. */
static char *
save_aside(const char *path, const unsigned char *data, size_t len)
{
    char *name = corrupt_name(path);
    size_t w;
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0 || write_all(fd, data, len, &w) != 0 || fsync(fd) != 0) {
        log_error("cannot save a corrupt journal tail", "file", name, "err", strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(name);
        }
        free(name);
        return NULL;
    }
    close(fd);
    return name;
}

/* Remove "<base>.in_progress.*" files left by snapshots interrupted by a crash. */
static void
remove_stale_temporaries(struct file_backend *f)
{
    char *prefix = xasprintf("%s.in_progress.", f->base);
    size_t n = strlen(prefix);
    DIR *d = opendir(f->dir);
    struct dirent *de;

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strncmp(de->d_name, prefix, n) == 0) {
                char *p = xasprintf("%s/%s", f->dir, de->d_name);

                if (unlink(p) == 0)
                    log_info("removed an incomplete snapshot", "file", p);
                free(p);
            }
        }
        closedir(d);
    }
    free(prefix);
}

/* Free the backend state's memory (descriptors are the caller's to close). */
static void
backend_free(struct file_backend *f)
{
    strbuf_free(&f->buf);
    free(f->path);
    free(f->journal_path);
    free(f->old_path);
    free(f->lock_path);
    free(f->dir);
    free(f->base);
    free(f);
}

/* init slot: derive the file names from --persistence.file. */
static int
file_init(struct storage *s, char **err)
{
    const struct config *cfg = s->cfg;
    struct file_backend *f;
    const char *slash;

    if (cfg->persistence_file == NULL || cfg->persistence_file[0] == '\0') {
        *err = xstrdup("the file storage backend needs --persistence.file");
        return -1;
    }
    f = xcalloc(1, sizeof(*f));
    f->path = xstrdup(cfg->persistence_file);
    f->journal_path = xasprintf("%s.journal", f->path);
    f->old_path = xasprintf("%s.journal.old", f->path);
    f->lock_path = xasprintf("%s.lock", f->path);
    f->lock_fd = -1;
    slash = strrchr(f->path, '/');
    if (slash == NULL) {
        f->dir = xstrdup(".");
        f->base = xstrdup(f->path);
    } else {
        f->dir = slash == f->path ? xstrdup("/") : xstrndup(f->path, (size_t)(slash - f->path));
        f->base = xstrdup(slash + 1);
    }
    if (f->base[0] == '\0') {
        *err = xasprintf("--persistence.file %s names a directory", f->path);
        backend_free(f);
        return -1;
    }
    f->fsync = cfg->persistence_fsync;
    f->interval = (double)cfg->persistence_interval / 1e9;
    f->jfd = -1;
    strbuf_init(&f->buf);
    s->priv = f;
    return 0;
}

/* ---- recovery ---- */

/* What recovery found wrong with one file. */
struct damage {
    int bad;          /* a region failed its checks */
    size_t offset;    /* where the first one starts */
    char *what;       /* its description (owned) */
    unsigned regions; /* how many bad regions were skipped */
};

/* Note damage at offset (the first description is kept). */
static void
damage_note(struct damage *d, size_t offset, const char *what)
{
    if (!d->bad) {
        d->bad = 1;
        d->offset = offset;
        d->what = xstrdup(what);
    }
    d->regions++;
}

/* Describe why the bytes at data[0..avail) are not a valid frame of the expected kind. */
static const char *
frame_problem(const unsigned char *data, size_t avail, enum codec_frame_status fs,
              const char *magic)
{
    if (fs == CODEC_FRAME_SHORT)
        return "truncated frame (the file ends inside it)";
    if (avail >= 4 && memcmp(data, magic, 4) == 0)
        return "checksum mismatch (or impossible length)";
    return "no frame marker where one must start";
}

/* The next offset after `from` where a valid frame with one of the magics starts, or size. */
static size_t
resync(const unsigned char *data, size_t size, size_t from, const char *const *magics,
       size_t nmagics)
{
    size_t off;

    for (off = from; off + CODEC_FRAME_HEADER <= size; off++) {
        size_t k;

        for (k = 0; k < nmagics; k++) {
            const unsigned char *payload;
            size_t len, fsize;

            if (memcmp(data + off, magics[k], 4) == 0 &&
                codec_frame_check(data + off, size - off, magics[k], &payload, &len, &fsize) ==
                    CODEC_FRAME_OK)
                return off;
        }
    }
    return size;
}

/* Decode one snapshot group frame and restore it into st. */
static int
restore_group(struct store *st, const unsigned char *payload, size_t len, size_t base, char **err)
{
    struct codec_reader r;
    struct grouping_key key;
    struct family_list fams;
    struct timespec *ts = NULL;
    size_t n = 0, i;
    uint32_t nf;
    int64_t ttl = STORE_TTL_DEFAULT;

    codec_reader_init(&r, payload, len, base);
    family_list_init(&fams);
    if (codec_get_key(&r, &key) < 0)
        goto fail;
    if (codec_get_u32(&r, &nf) < 0)
        goto fail_key;
    if ((uint64_t)nf * 22 > (uint64_t)(len - r.off)) {
        codec_fail(&r, "family count exceeds the data left");
        goto fail_key;
    }
    n = nf;
    ts = xreallocarray(NULL, n + 1, sizeof(*ts));
    for (i = 0; i < n; i++) {
        struct metric_family *mf;

        if (codec_get_timespec(&r, &ts[i]) < 0)
            goto fail_key;
        mf = codec_get_family(&r);
        if (mf == NULL)
            goto fail_key;
        family_list_add(&fams, mf);
    }
    /* Version 2: the group's TTL (STORE_TTL_DEFAULT, 0 or ns); version 1 groups end here. */
    if (r.off != r.len) {
        size_t at = r.off;

        if (codec_get_i64(&r, &ttl) < 0)
            goto fail_key;
        if (ttl < STORE_TTL_DEFAULT) {
            r.off = at;
            codec_fail(&r, "bad group TTL");
            goto fail_key;
        }
    }
    if (r.off != r.len) {
        codec_fail(&r, "trailing bytes in group");
        goto fail_key;
    }
    store_restore_group(st, &key, &fams, ts);
    store_set_ttl(st, store_group(st, &key), ttl);
    grouping_key_free(&key);
    family_list_free(&fams);
    free(ts);
    return 0;
fail_key:
    grouping_key_free(&key);
fail:
    family_list_free(&fams);
    free(ts);
    *err = r.err;
    return -1;
}

/* What the snapshot header and trailer say. */
struct snap_info {
    int have_seq;      /* last_seq is known */
    uint64_t last_seq; /* last journal sequence number the snapshot covers */
    uint64_t groups;   /* groups restored */
    int unchecked;
    uint32_t version; /* format version of the header, 0 if unknown */
};

/*
 * Load the snapshot into st. Damage is noted in *dmg (the caller sets the file aside); -1
 * only for an unusable snapshot (unreadable, or written by a newer format version).
 */
static int
load_snapshot(struct file_backend *f, struct store *st, struct snap_info *si, struct damage *dmg,
              char **err)
{
    static const char *const magics[] = {CODEC_MAGIC_SNAP_GROUP, CODEC_MAGIC_SNAP_END};
    unsigned char *data;
    size_t size, off = 0, len, fsize;
    const unsigned char *payload;
    uint64_t ngroups;
    int rc = read_file(f->path, &data, &size, err), ended = 0;
    enum codec_frame_status fs, end_fs;

    memset(si, 0, sizeof(*si));
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    fs = codec_frame_check(data, size, CODEC_MAGIC_SNAP_HEADER, &payload, &len, &fsize);
    if (fs == CODEC_FRAME_OK) {
        struct codec_reader r;
        uint32_t version, flags = 0;
        struct timespec created;

        codec_reader_init(&r, payload, len, CODEC_FRAME_HEADER);
        codec_get_u32(&r, &version);
        if (r.err == NULL && version > CODEC_VERSION) {
            *err = xasprintf("snapshot %s has format version %u; this build reads up to %u",
                             f->path, (unsigned)version, (unsigned)CODEC_VERSION);
            codec_reader_clear(&r);
            free(data);
            return -1;
        }
        codec_get_u64(&r, &si->last_seq);
        codec_get_timespec(&r, &created);
        codec_get_u64(&r, &ngroups);
        codec_get_u32(&r, &flags);
        if (r.err != NULL || version == 0) {
            damage_note(dmg, r.err != NULL ? r.base + r.off : CODEC_FRAME_HEADER,
                        r.err != NULL ? r.err : "format version 0");
        } else {
            si->have_seq = 1;
            si->unchecked = (flags & 1u) != 0;
            si->version = version;
        }
        codec_reader_clear(&r);
        off = fsize;
    } else {
        damage_note(dmg, 0,
                    size >= 4 && memcmp(data, CODEC_MAGIC_SNAP_HEADER, 4) != 0
                        ? "not a pushgateway-c snapshot (bad magic; upstream's gob files "
                          "cannot be read)"
                        : "bad snapshot header");
        off = resync(data, size, 0, magics, 2);
    }
    while (off < size && !ended) {
        fs = codec_frame_check(data + off, size - off, CODEC_MAGIC_SNAP_GROUP, &payload, &len,
                               &fsize);
        if (fs == CODEC_FRAME_OK) {
            char *derr = NULL;

            if (restore_group(st, payload, len, off + CODEC_FRAME_HEADER, &derr) == 0)
                si->groups++;
            else
                damage_note(dmg, off, derr != NULL ? derr : "bad group");
            free(derr);
            off += fsize;
            continue;
        }
        end_fs =
            codec_frame_check(data + off, size - off, CODEC_MAGIC_SNAP_END, &payload, &len, &fsize);
        if (end_fs == CODEC_FRAME_OK) {
            struct codec_reader r;
            uint64_t n = 0, seq = 0;

            codec_reader_init(&r, payload, len, off + CODEC_FRAME_HEADER);
            codec_get_u64(&r, &n);
            codec_get_u64(&r, &seq);
            if (r.err != NULL)
                damage_note(dmg, off, r.err);
            else if (!si->have_seq) {
                si->last_seq = seq;
                si->have_seq = 1;
            }
            if (r.err == NULL && n != si->groups && !dmg->bad) {
                char *msg = xasprintf("trailer counts %llu groups, %llu found",
                                      (unsigned long long)n, (unsigned long long)si->groups);
                damage_note(dmg, off, msg);
                free(msg);
            }
            codec_reader_clear(&r);
            off += fsize;
            ended = 1;
            break;
        }
        /* Report against the kind of frame the bytes claim to be. */
        if (size - off >= 4 && memcmp(data + off, CODEC_MAGIC_SNAP_END, 4) == 0)
            damage_note(dmg, off,
                        frame_problem(data + off, size - off, end_fs, CODEC_MAGIC_SNAP_END));
        else
            damage_note(dmg, off,
                        frame_problem(data + off, size - off, fs, CODEC_MAGIC_SNAP_GROUP));
        off = resync(data, size, off + 1, magics, 2);
    }
    if (ended && off < size)
        damage_note(dmg, off, "trailing bytes after the snapshot trailer");
    else if (!ended)
        damage_note(dmg, size, "snapshot ends without its trailer (truncated)");
    free(data);
    return 0;
}

/* What replaying the journal did. */
struct journal_info {
    uint64_t base_seq; /* from the journal header */
    uint32_t version;  /* format version of the header, 0 if unknown */
    uint64_t max_seq;  /* highest sequence number seen in a valid record */
    uint64_t replayed; /* records applied */
    uint64_t skipped;  /* records the snapshot already covered */
    size_t valid_end;  /* end of the last valid frame */
    size_t size;       /* file size */
    int exists;
    int tail_short; /* the file ends inside a frame (torn write) */
    int tail_bad;   /* the file ends with bytes that are no valid frame */
    size_t tail_offset;
    unsigned char *tail; /* copy of a bad tail (evidence), owned */
    size_t tail_len;
};

/* Decode and apply one journal record unless the snapshot covers it. */
static void
replay_record(struct file_backend *f, struct store *st, const struct snap_info *si,
              struct journal_info *ji, const unsigned char *payload, size_t len, size_t off,
              uint64_t *last_applied, struct damage *dmg)
{
    struct codec_reader r;
    struct codec_mutation m;

    codec_reader_init(&r, payload, len, off + CODEC_FRAME_HEADER);
    if (codec_get_mutation(&r, &m) != 0) {
        damage_note(dmg, off, r.err != NULL ? r.err : "bad record");
        codec_reader_clear(&r);
        return;
    }
    if (m.seq > ji->max_seq)
        ji->max_seq = m.seq;
    if (si->have_seq && m.seq <= si->last_seq) {
        ji->skipped++;
    } else if (m.seq <= *last_applied) {
        damage_note(dmg, off, "sequence number goes backwards");
    } else {
        if (m.op == STORAGE_PUSH && m.unchecked)
            f->unchecked = 1;
        storage_apply(st, &m);
        *last_applied = m.seq;
        ji->replayed++;
    }
    codec_mutation_free(&m);
}

/*
 * Replay the records of the journal at path that the snapshot does not cover; last_applied
 * carries the last sequence number applied across journal files. -1 only when unusable.
 */
static int
replay_journal(struct file_backend *f, struct store *st, const struct snap_info *si,
               const char *path, uint64_t *last_applied, struct journal_info *ji,
               struct damage *dmg, char **err)
{
    static const char *const magics[] = {CODEC_MAGIC_RECORD};
    unsigned char *data;
    size_t size, off = 0, len, fsize;
    const unsigned char *payload;
    int rc = read_file(path, &data, &size, err);
    enum codec_frame_status fs;

    memset(ji, 0, sizeof(*ji));
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    ji->exists = 1;
    ji->size = size;
    if (size > 0) {
        fs = codec_frame_check(data, size, CODEC_MAGIC_JOURNAL, &payload, &len, &fsize);
        if (fs == CODEC_FRAME_OK) {
            struct codec_reader r;
            uint32_t version;
            struct timespec created;

            codec_reader_init(&r, payload, len, CODEC_FRAME_HEADER);
            codec_get_u32(&r, &version);
            if (r.err == NULL && version > CODEC_VERSION) {
                *err = xasprintf("journal %s has format version %u; this build reads up to %u",
                                 path, (unsigned)version, (unsigned)CODEC_VERSION);
                codec_reader_clear(&r);
                free(data);
                return -1;
            }
            codec_get_u64(&r, &ji->base_seq);
            codec_get_timespec(&r, &created);
            if (r.err != NULL || version == 0)
                damage_note(dmg, r.err != NULL ? r.base + r.off : 0,
                            r.err != NULL ? r.err : "format version 0");
            else
                ji->version = version;
            codec_reader_clear(&r);
            off = fsize;
            ji->valid_end = off;
        } else if (fs == CODEC_FRAME_SHORT) {
            /* A header torn while the journal was being created or reset: nothing after it. */
            ji->tail_short = 1;
            ji->tail_offset = 0;
            off = size;
        } else {
            damage_note(dmg, 0, "bad journal header");
            off = resync(data, size, 0, magics, 1);
        }
    }
    while (off < size) {
        size_t next;

        fs = codec_frame_check(data + off, size - off, CODEC_MAGIC_RECORD, &payload, &len, &fsize);
        if (fs == CODEC_FRAME_OK) {
            replay_record(f, st, si, ji, payload, len, off, last_applied, dmg);
            off += fsize;
            ji->valid_end = off;
            continue;
        }
        next = resync(data, size, off + 1, magics, 1);
        if (next >= size) {
            /* Nothing valid follows: a torn (or damaged) final record. */
            ji->tail_offset = off;
            if (fs == CODEC_FRAME_SHORT) {
                ji->tail_short = 1;
            } else {
                ji->tail_bad = 1;
                ji->tail_len = size - off;
                ji->tail = xmalloc(ji->tail_len);
                memcpy(ji->tail, data + off, ji->tail_len);
            }
            break;
        }
        damage_note(dmg, off, frame_problem(data + off, size - off, fs, CODEC_MAGIC_RECORD));
        off = next;
    }
    free(data);
    return 0;
}

/* Open (creating when needed) the journal for appending; truncate it to `keep` bytes. */
static int
journal_open(struct file_backend *f, size_t keep, int create, char **err)
{
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
    struct stat sb;

    f->jfd = open(f->journal_path, flags | (create ? O_TRUNC : 0), 0600);
    if (f->jfd < 0) {
        *err = xasprintf("cannot open the journal %s: %s", f->journal_path, strerror(errno));
        return -1;
    }
    if (fstat(f->jfd, &sb) == 0 && (uint64_t)sb.st_size != (uint64_t)keep &&
        ftruncate(f->jfd, (off_t)keep) != 0) {
        *err = xasprintf("cannot truncate the journal %s: %s", f->journal_path, strerror(errno));
        close(f->jfd);
        f->jfd = -1;
        return -1;
    }
    f->jsize = keep;
    if (create && f->fsync != FSYNC_NEVER)
        fsync_dir(f->dir);
    return 0;
}

/* Log and set aside a damaged file; -1 with *err when it could not be moved. */
static int
report_damage(const char *kind, const char *path, const struct damage *d, char **err)
{
    char off[32], regions[16];
    char *to = set_aside(path);

    snprintf(off, sizeof(off), "%zu", d->offset);
    snprintf(regions, sizeof(regions), "%u", d->regions);
    log_error("corrupt storage file set aside; recovering what it holds", "kind", kind, "file",
              path, "moved_to", to != NULL ? to : "(not moved)", "offset", off, "err", d->what,
              "bad_regions", regions);
    if (to == NULL) {
        *err = xasprintf("the corrupt %s %s cannot be set aside (%s at byte %s); refusing to "
                         "overwrite it",
                         kind, path, d->what, off);
        return -1;
    }
    free(to);
    return 0;
}

/* Log a journal's torn or damaged tail (a damaged one is saved aside first). */
static void
report_tail(struct file_backend *f, const char *path, const struct journal_info *ji)
{
    char off[32], n[32];
    char *saved;

    if (!ji->tail_short && !ji->tail_bad)
        return;
    snprintf(off, sizeof(off), "%zu", ji->tail_offset);
    snprintf(n, sizeof(n), "%zu", ji->size - ji->tail_offset);
    if (ji->tail_short) {
        log_warn("dropped a torn final journal record (an interrupted write that was never "
                 "acknowledged)",
                 "file", path, "offset", off, "bytes", n);
        return;
    }
    saved = save_aside(path, ji->tail, ji->tail_len);
    f->stats.corrupt_files++;
    log_error("journal ends with bytes that fail their checks; dropped", "file", path, "offset",
              off, "bytes", n, "saved_to", saved != NULL ? saved : "(not saved)");
    free(saved);
}

/*
 * Take the lock on P.lock. A snapshot child of a gateway that was just killed can hold it for
 * a moment (it is killed with its parent), so wait a little before giving up.
 */
static int
take_lock(struct file_backend *f, char **err)
{
    int i;

    f->lock_fd = open(f->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f->lock_fd < 0) {
        *err = xasprintf("cannot open the lock file %s: %s", f->lock_path, strerror(errno));
        return -1;
    }
    for (i = 0; i < 40; i++) {
        if (flock(f->lock_fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            break;
        usleep(50000);
    }
    *err = xasprintf("cannot lock %s (%s): is another gateway using --persistence.file=%s?",
                     f->lock_path, strerror(errno), f->path);
    close(f->lock_fd);
    f->lock_fd = -1;
    return -1;
}

static int file_snapshot(struct storage *s, struct store *st, char **err);

/* open slot: lock, load the snapshot, replay the journal(s), set damage aside (docs). */
static int
file_open(struct storage *s, struct store *st, char **err)
{
    struct file_backend *f = s->priv;
    struct damage sd, jd, od;
    struct snap_info si;
    struct journal_info ji, jo;
    double t0 = mono_now();
    int need_snapshot = 0, rc = -1;
    uint64_t last_applied = 0;
    char buf[5][32];

    memset(&sd, 0, sizeof(sd));
    memset(&jd, 0, sizeof(jd));
    memset(&od, 0, sizeof(od));
    memset(&ji, 0, sizeof(ji));
    memset(&jo, 0, sizeof(jo));
    if (take_lock(f, err) != 0)
        return -1;
    remove_stale_temporaries(f);
    if (load_snapshot(f, st, &si, &sd, err) != 0)
        goto out;
    f->unchecked = si.unchecked;
    if (sd.bad) {
        /* The snapshot written below would replace evidence that could not be moved. */
        if (report_damage("snapshot", f->path, &sd, err) != 0)
            goto out;
        f->stats.corrupt_files++;
        need_snapshot = 1;
    }
    /* A background snapshot was interrupted: its journal generation comes first. */
    if (replay_journal(f, st, &si, f->old_path, &last_applied, &jo, &od, err) != 0)
        goto out;
    if (jo.exists) {
        f->have_old = 1;
        need_snapshot = 1; /* consolidate: the new snapshot covers it, then it is deleted */
        if (od.bad) {
            if (report_damage("journal", f->old_path, &od, err) != 0)
                goto out;
            f->stats.corrupt_files++;
            f->have_old = 0;
        } else {
            report_tail(f, f->old_path, &jo);
        }
    }
    if (replay_journal(f, st, &si, f->journal_path, &last_applied, &ji, &jd, err) != 0)
        goto out;
    if ((ji.exists || jo.exists) && !si.have_seq && (ji.base_seq > 0 || jo.base_seq > 0) && !sd.bad)
        log_warn("the journal continues a snapshot that is missing: older state is lost", "journal",
                 f->journal_path, "snapshot", f->path);
    f->seq = si.last_seq > ji.max_seq ? si.last_seq : ji.max_seq;
    if (jo.max_seq > f->seq)
        f->seq = jo.max_seq;
    if (ji.base_seq > f->seq)
        f->seq = ji.base_seq;
    f->snap_seq = si.have_seq ? si.last_seq : 0;
    /* Files of an older format version are rewritten in the current one right away, so that
     * the journal never mixes versions and an older build refuses the files cleanly. */
    if ((si.version != 0 && si.version < CODEC_VERSION) ||
        (ji.version != 0 && ji.version < CODEC_VERSION))
        need_snapshot = 1;
    if (jd.bad) {
        if (report_damage("journal", f->journal_path, &jd, err) != 0)
            goto out;
        f->stats.corrupt_files++;
        need_snapshot = 1;
        if (journal_open(f, 0, 1, err) != 0)
            goto out;
    } else {
        report_tail(f, f->journal_path, &ji);
        if (journal_open(f, ji.valid_end, !ji.exists, err) != 0)
            goto out;
    }
    if (need_snapshot) {
        char *serr = NULL;

        if (file_snapshot(s, st, &serr) != 0) {
            log_error("cannot write a snapshot of the recovered state; the journal keeps "
                      "recording",
                      "err", serr != NULL ? serr : "unknown");
            free(serr);
        }
    }
    f->stats.records_replayed = ji.replayed + jo.replayed;
    f->stats.records_skipped = ji.skipped + jo.skipped;
    f->stats.recovered_groups = st->groups.len;
    f->stats.recovery_duration = mono_now() - t0;
    f->last_attempt = mono_now();
    snprintf(buf[0], sizeof(buf[0]), "%zu", st->groups.len);
    snprintf(buf[1], sizeof(buf[1]), "%llu", (unsigned long long)si.groups);
    snprintf(buf[2], sizeof(buf[2]), "%llu", (unsigned long long)f->stats.records_replayed);
    snprintf(buf[3], sizeof(buf[3]), "%llu", (unsigned long long)f->stats.records_skipped);
    snprintf(buf[4], sizeof(buf[4]), "%.6fs", f->stats.recovery_duration);
    log_info("storage recovered", "backend", "file", "file", f->path, "groups", buf[0],
             "snapshot_groups", buf[1], "records_replayed", buf[2], "records_skipped", buf[3],
             "duration", buf[4]);
    rc = 0;
out:
    free(sd.what);
    free(jd.what);
    free(od.what);
    free(ji.tail);
    free(jo.tail);
    return rc;
}

/* ---- recording ---- */

/* Append the journal header frame to b. */
static void
put_journal_header(struct file_backend *f, struct strbuf *b)
{
    struct timespec now;
    size_t start = codec_frame_begin(b);

    clock_gettime(CLOCK_REALTIME, &now);
    codec_put_u32(b, CODEC_VERSION);
    codec_put_u64(b, f->snap_seq);
    codec_put_timespec(b, &now);
    codec_frame_end(b, start, CODEC_MAGIC_JOURNAL);
}

/* record slot: append one checksummed record with write(2) before the change is applied. */
static int
file_record(struct storage *s, const struct storage_mutation *m, char **err)
{
    struct file_backend *f = s->priv;
    size_t start, written;

    if (f->jfd < 0 || f->broken) {
        *err = xasprintf("the journal %s is not writable until the next successful snapshot",
                         f->journal_path);
        return -1;
    }
    strbuf_reset(&f->buf);
    if (f->jsize == 0)
        put_journal_header(f, &f->buf);
    start = codec_frame_begin(&f->buf);
    codec_put_mutation(&f->buf, f->seq + 1, m);
    if (f->buf.len - start - CODEC_FRAME_HEADER > CODEC_FRAME_MAX) {
        *err = xstrdup("the mutation is too large for a journal record");
        return -1;
    }
    codec_frame_end(&f->buf, start, CODEC_MAGIC_RECORD);
    if (write_all(f->jfd, f->buf.data, f->buf.len, &written) != 0) {
        int e = errno;

        /* Cut a partial record off so that later records follow valid data. */
        if (written > 0 && ftruncate(f->jfd, (off_t)f->jsize) != 0)
            f->broken = 1;
        *err = xasprintf("cannot write the journal %s: %s", f->journal_path, strerror(e));
        return -1;
    }
    f->jsize += f->buf.len;
    f->seq++;
    f->unsynced = 1;
    f->stats.records_written++;
    if (m->op == STORAGE_PUSH && m->unchecked)
        f->unchecked = 1;
    if (f->buf.cap > 4u * 1024u * 1024u) /* do not keep a huge push's buffer around */
        strbuf_free(&f->buf);
    return 0;
}

/* flush slot: fdatasync the journal unless the policy is never. */
static int
file_flush(struct storage *s, char **err)
{
    struct file_backend *f = s->priv;

    if (f->fsync == FSYNC_NEVER || !f->unsynced || f->jfd < 0)
        return 0;
    if (fdatasync(f->jfd) != 0) {
        *err = xasprintf("fdatasync of the journal %s: %s", f->journal_path, strerror(errno));
        /* After a failed fdatasync the kernel may have dropped the dirty pages: only a new
         * snapshot from memory makes the state durable again. */
        f->broken = 1;
        return -1;
    }
    f->unsynced = 0;
    return 0;
}

/* sync_pending slot: with fsync=always, unsynced records hold their replies back. */
static int
file_sync_pending(struct storage *s)
{
    struct file_backend *f = s->priv;

    return f->fsync == FSYNC_ALWAYS && f->unsynced;
}

/* ---- snapshots ---- */

/* Encode one group as a snapshot frame. */
static void
put_group(struct strbuf *b, const struct group *g)
{
    size_t start = codec_frame_begin(b), i;

    codec_put_key(b, &g->key);
    codec_put_u32(b, (uint32_t)g->nfams);
    for (i = 0; i < g->nfams; i++) {
        codec_put_timespec(b, &g->fams[i]->ts);
        codec_put_family(b, g->fams[i]->mf);
    }
    codec_put_i64(b, g->ttl); /* version 2 */
    codec_frame_end(b, start, CODEC_MAGIC_SNAP_GROUP);
}

/* Write out b and empty it; -1 with errno on failure. */
static int
drain(int fd, struct strbuf *b, uint64_t *total)
{
    size_t w;

    if (write_all(fd, b->data, b->len, &w) != 0)
        return -1;
    *total += b->len;
    strbuf_reset(b);
    return 0;
}

/* Start a new journal generation after a snapshot: records so far are covered. */
static void
journal_reset(struct file_backend *f)
{
    if (f->jfd < 0)
        return;
    if (ftruncate(f->jfd, 0) != 0) {
        /* Harmless: the old records carry sequence numbers the snapshot covers. */
        log_warn("cannot truncate the journal after a snapshot", "file", f->journal_path, "err",
                 strerror(errno));
        return;
    }
    f->jsize = 0; /* the header is written with the next record */
    f->unsynced = 0;
    f->broken = 0;
}

/*
 * Write the whole store as the snapshot covering sequence number seq: a temporary file in
 * the same directory, fsync, rename over P, fsync of the directory. Runs in the gateway
 * (foreground) or in a forked child (background). *bytes gets the snapshot's size.
 */
static int
write_snapshot(struct file_backend *f, struct store *st, uint64_t seq, const struct timespec *now,
               uint64_t *bytes, char **err)
{
    struct strbuf b = STRBUF_INIT;
    struct group *const *groups;
    size_t n, i, start;
    char *tmp;
    int fd;

    *bytes = 0;
    tmp = xasprintf("%s.in_progress.%ld.%u", f->path, (long)getpid(), ++f->tmp_counter);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        *err = xasprintf("cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    groups = store_groups_sorted(st, &n);
    start = codec_frame_begin(&b);
    codec_put_u32(&b, CODEC_VERSION);
    codec_put_u64(&b, seq);
    codec_put_timespec(&b, now);
    codec_put_u64(&b, (uint64_t)n);
    codec_put_u32(&b, f->unchecked ? 1u : 0u);
    codec_frame_end(&b, start, CODEC_MAGIC_SNAP_HEADER);
    for (i = 0; i < n; i++) {
        put_group(&b, groups[i]);
        if (b.len >= SNAPSHOT_CHUNK && drain(fd, &b, bytes) != 0)
            goto fail;
    }
    start = codec_frame_begin(&b);
    codec_put_u64(&b, (uint64_t)n);
    codec_put_u64(&b, seq);
    codec_frame_end(&b, start, CODEC_MAGIC_SNAP_END);
    if (drain(fd, &b, bytes) != 0)
        goto fail;
    /* Always synced, whatever the journal's policy: the journal it covers is dropped next. */
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, f->path) != 0)
        goto fail;
    if (fsync_dir(f->dir) != 0)
        log_warn("cannot fsync the persistence directory", "dir", f->dir, "err", strerror(errno));
    strbuf_free(&b);
    free(tmp);
    return 0;
fail:
    *err = xasprintf("cannot write the snapshot %s: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    strbuf_free(&b);
    free(tmp);
    return -1;
}

/* Book-keeping after a snapshot covering up to seq became durable. */
static void
snapshot_succeeded(struct file_backend *f, uint64_t seq, const struct timespec *wall,
                   double started, uint64_t bytes)
{
    f->snap_seq = seq;
    f->last_failed = 0;
    f->last_snapshot_size = bytes;
    f->stats.last_snapshot_time = (double)wall->tv_sec + (double)wall->tv_nsec / 1e9;
    f->stats.last_snapshot_duration = mono_now() - started;
}

/* Book-keeping after a failed snapshot. */
static void
snapshot_failed(struct file_backend *f)
{
    f->last_failed = 1;
    f->stats.snapshot_failures++;
}

/* Collect a finished background snapshot (block: wait for it). */
static void
reap(struct file_backend *f, int block)
{
    int status = 0;
    pid_t r;

    if (f->child == 0)
        return;
    do
        r = waitpid(f->child, &status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return;
    if (r == f->child && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        struct stat sb;

        /* P now covers the sealed generation: it can go. */
        if (unlink(f->old_path) == 0 || errno == ENOENT)
            f->have_old = 0;
        snapshot_succeeded(f, f->child_seq, &f->child_wall, f->child_started,
                           stat(f->path, &sb) == 0 ? (uint64_t)sb.st_size : 0);
    } else {
        char what[64];

        if (r == f->child && WIFSIGNALED(status))
            snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(status));
        else if (r == f->child)
            snprintf(what, sizeof(what), "exit status %d", WEXITSTATUS(status));
        else
            snprintf(what, sizeof(what), "lost track of the child: %s", strerror(errno));
        log_error("background snapshot failed; the next one is taken in the foreground", "err",
                  what);
        snapshot_failed(f);
    }
    f->child = 0;
}

/* snapshot slot (foreground): write P covering everything, then start an empty journal. */
static int
file_snapshot(struct storage *s, struct store *st, char **err)
{
    struct file_backend *f = s->priv;
    struct timespec now;
    uint64_t bytes;
    double t0;

    reap(f, 1); /* a background snapshot finishes first */
    t0 = mono_now();
    f->last_attempt = t0;
    clock_gettime(CLOCK_REALTIME, &now);
    if (write_snapshot(f, st, f->seq, &now, &bytes, err) != 0) {
        snapshot_failed(f);
        return -1;
    }
    journal_reset(f);
    if (f->have_old && (unlink(f->old_path) == 0 || errno == ENOENT))
        f->have_old = 0;
    snapshot_succeeded(f, f->seq, &now, t0, bytes);
    return 0;
}

/*
 * Seal the journal as P.journal.old and start a new one, so that a background snapshot can
 * cover the sealed generation while new records keep coming.
 */
static int
rotate_journal(struct file_backend *f, char **err)
{
    if (f->unsynced && f->fsync != FSYNC_NEVER && fdatasync(f->jfd) == 0)
        f->unsynced = 0;
    if (rename(f->journal_path, f->old_path) != 0) {
        *err = xasprintf("cannot rotate the journal %s: %s", f->journal_path, strerror(errno));
        return -1;
    }
    f->have_old = 1;
    close(f->jfd);
    f->jfd = open(f->journal_path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f->jfd < 0) {
        *err = xasprintf("cannot create the journal %s: %s", f->journal_path, strerror(errno));
        /* Put the sealed generation back and keep appending to it. */
        if (rename(f->old_path, f->journal_path) == 0) {
            f->have_old = 0;
            f->jfd = open(f->journal_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        }
        if (f->jfd < 0)
            f->broken = 1;
        return -1;
    }
    f->jsize = 0;
    f->unsynced = 0;
    if (f->fsync != FSYNC_NEVER)
        fsync_dir(f->dir);
    return 0;
}

/*
 * In the snapshot child: close the sockets inherited from the gateway (listeners, client
 * connections), so that a connection the gateway closes is really closed at once instead of
 * when the child exits.
 */
static void
close_inherited_sockets(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    struct stat sb;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        int fd = atoi(de->d_name);

        if (de->d_name[0] != '.' && fd > 2 && fd != dirfd(d) && fstat(fd, &sb) == 0 &&
            S_ISSOCK(sb.st_mode))
            close(fd);
    }
    closedir(d);
}

/* The forked child: write the snapshot from its copy-on-write image of the store and exit. */
static void
snapshot_child(struct file_backend *f, struct store *st, pid_t parent)
{
    struct timespec now;
    uint64_t bytes;
    char *err = NULL;

#ifdef __linux__
    /* Never outlive the gateway: a restarted one must not race a stale rename over P. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent)
        _exit(2);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    close_inherited_sockets();
    clock_gettime(CLOCK_REALTIME, &now);
    if (write_snapshot(f, st, f->seq, &now, &bytes, &err) != 0) {
        log_error("background snapshot failed", "err", err);
        _exit(1);
    }
    _exit(0);
}

/* snapshot_async slot: rotate the journal and fork a child that writes the snapshot. */
static int
file_snapshot_async(struct storage *s, struct store *st, char **err)
{
    struct file_backend *f = s->priv;
    pid_t parent = getpid(), pid;

    if (f->child != 0)
        return 0;
    /* An older generation still waits to be covered, or the journal is in doubt: do it all
     * in the foreground. */
    if (f->have_old || f->broken || f->jfd < 0)
        return file_snapshot(s, st, err);
    f->last_attempt = mono_now();
    if (rotate_journal(f, err) != 0) {
        snapshot_failed(f);
        return -1;
    }
    clock_gettime(CLOCK_REALTIME, &f->child_wall);
    pid = fork();
    if (pid < 0) {
        *err = xasprintf("cannot fork the snapshot writer: %s", strerror(errno));
        snapshot_failed(f); /* P.journal.old stays: the next snapshot is a foreground one */
        return -1;
    }
    if (pid == 0)
        snapshot_child(f, st, parent);
    f->child = pid;
    f->child_seq = f->seq;
    f->child_started = f->last_attempt;
    return 0;
}

/* tick slot: collect a finished background snapshot. */
static void
file_tick(struct storage *s)
{
    reap(s->priv, 0);
}

/* snapshot_due slot: changes and the interval passed, journal too large, or repair due. */
static int
file_snapshot_due(struct storage *s)
{
    struct file_backend *f = s->priv;
    double since = mono_now() - f->last_attempt;
    uint64_t limit = f->last_snapshot_size * 2;

    if (f->child != 0)
        return 0;
    if (f->last_failed && since < RETRY_AFTER_FAILURE && since < f->interval)
        return 0;
    if (f->broken || f->have_old)
        return 1;
    if (limit < JOURNAL_COMPACT_MIN)
        limit = JOURNAL_COMPACT_MIN;
    if (f->jsize > limit)
        return 1;
    return f->seq != f->snap_seq && since >= f->interval;
}

/* healthy slot: the journal is open and its tail is known. */
static int
file_healthy(struct storage *s)
{
    struct file_backend *f = s->priv;

    return f->jfd >= 0 && !f->broken;
}

/* stats slot. */
static void
file_stats(struct storage *s, struct storage_stats *out)
{
    struct file_backend *f = s->priv;

    *out = f->stats;
    out->journal_bytes = f->jsize;
    out->store_unchecked = f->unchecked;
}

/* close slot: wait for a snapshot child, flush, release the files and the lock. */
static void
file_close(struct storage *s)
{
    struct file_backend *f = s->priv;
    char *err = NULL;

    if (f == NULL)
        return;
    reap(f, 1);
    if (file_flush(s, &err) != 0) {
        log_error("storage flush at close failed", "err", err);
        free(err);
    }
    if (f->jfd >= 0)
        close(f->jfd);
    if (f->lock_fd >= 0)
        close(f->lock_fd); /* releases the flock */
    backend_free(f);
    s->priv = NULL;
}

const struct storage_ops storage_file_ops = {
    .name = "file",
    .init = file_init,
    .open = file_open,
    .record = file_record,
    .snapshot = file_snapshot,
    .flush = file_flush,
    .healthy = file_healthy,
    .stats = file_stats,
    .close = file_close,
    .sync_pending = file_sync_pending,
    .snapshot_due = file_snapshot_due,
    .snapshot_async = file_snapshot_async,
    .tick = file_tick,
};
