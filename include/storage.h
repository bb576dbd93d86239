/* storage.h - pluggable storage backends: where the store's state is kept across restarts */
#ifndef PGW_STORAGE_H
#define PGW_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "grouping.h"
#include "metric.h"
#include "store.h"

/*
 * The in-memory store (store.h) is the state the gateway serves. A storage backend keeps
 * that state durable: every mutation is handed to the backend *before* the HTTP reply is
 * sent and before the store applies it, and on start-up the backend rebuilds the store.
 * Mutations are replayed through the same store functions the live path uses (store_push,
 * store_push_failed, store_delete, store_wipe), so recovery reproduces the served state
 * exactly.
 */

enum storage_op {
    STORAGE_PUSH = 1,    /* a successful PUT or POST */
    STORAGE_FAILURE = 2, /* a failed push recorded with store_push_failed */
    STORAGE_DELETE = 3,  /* DELETE of one group */
    STORAGE_WIPE = 4,    /* PUT /api/v1/admin/wipe */
};

/* One mutation of the store. Everything is borrowed for the duration of the call. */
struct storage_mutation {
    enum storage_op op;
    const struct grouping_key *key;     /* PUSH, FAILURE, DELETE */
    const struct family_list *families; /* PUSH: the sanitised families as store_push gets them */
    int replace;                        /* PUSH: 1 for PUT, 0 for POST */
    struct timespec ts;                 /* PUSH, FAILURE: the request's receive time */
    int unchecked; /* PUSH: applied without the consistency check (added for recovery) */
    /* PUSH (ours, docs/ttl.md): has_ttl = 0 leaves the group following --push.group-ttl;
     * otherwise ttl is its own TTL in nanoseconds (0 = never expire). */
    int has_ttl;
    int64_t ttl;
};

/* Figures a backend reports as pushgateway_storage_* metrics (zero when not applicable). */
struct storage_stats {
    uint64_t journal_bytes;        /* current size of the journal */
    uint64_t records_written;      /* mutations recorded since start */
    uint64_t records_replayed;     /* journal records applied at start-up */
    double last_snapshot_time;     /* Unix time of the last snapshot, 0 if none */
    double last_snapshot_duration; /* seconds */
    double recovery_duration;      /* seconds spent in open() */
    uint64_t snapshot_failures;    /* snapshots that failed since start */
    /* Added: */
    uint64_t records_skipped;  /* journal records at start-up already covered by the snapshot */
    uint64_t recovered_groups; /* groups in the store after open() */
    uint64_t corrupt_files;    /* files (or torn tails) set aside as *.corrupt-* at start-up */
    int store_unchecked;       /* the recovered state holds pushes applied without the check */
};

struct storage;

/*
 * A backend is a table of operations. Optional slots may be NULL; the storage_* wrappers
 * below treat a missing slot as success. Every slot that can fail returns 0 or -1 with a
 * one-line *err the caller frees.
 */
struct storage_ops {
    const char *name; /* --storage.backend value */
    /* Allocate the backend state (s->priv) from cfg. */
    int (*init)(struct storage *s, char **err);
    /* Recover the persisted state into the (empty) store. Corruption is logged, evidence is
     * kept aside, and whatever could be recovered is loaded: only unusable storage fails. */
    int (*open)(struct storage *s, struct store *st, char **err);
    /* Make a mutation durable before it is acknowledged (written to the OS at least). */
    int (*record)(struct storage *s, const struct storage_mutation *m, char **err);
    /* Write the whole store as the new base state and drop the records it covers. */
    int (*snapshot)(struct storage *s, struct store *st, char **err);
    /* Push buffered records to stable storage according to the fsync policy. */
    int (*flush)(struct storage *s, char **err);
    /* Non-zero when the backend can accept records (health and readiness). */
    int (*healthy)(struct storage *s);
    /* Current figures. */
    void (*stats)(struct storage *s, struct storage_stats *out);
    /* Release everything (after a final snapshot/flush by the caller). */
    void (*close)(struct storage *s);

    /* ---- added for deferred durability and scheduling (all optional) ---- */

    /* Non-zero when mutations recorded since the last flush() must not be acknowledged
     * before a flush() (--persistence.fsync=always): replies then wait for the group commit
     * that storage.c runs once per event-loop iteration. */
    int (*sync_pending)(struct storage *s);
    /* Non-zero when the backend wants a snapshot now (interval passed with changes, or the
     * journal grew too large). Polled about once a second by storage.c. */
    int (*snapshot_due)(struct storage *s);
    /* Start a snapshot that completes in the background (the file backend forks a child
     * that writes the store's copy-on-write image). NULL: storage.c calls snapshot(). A
     * foreground snapshot() waits for a background one first. */
    int (*snapshot_async)(struct storage *s, struct store *st, char **err);
    /* Housekeeping about once a second on the event loop (reap a finished background
     * snapshot). */
    void (*tick)(struct storage *s);
};

struct storage {
    const struct storage_ops *ops;
    const struct config *cfg;
    void *priv; /* backend state */
    void *loop; /* added: event-loop glue owned by storage.c (storage_start), or NULL */
};

/* The built-in backends (added): "memory" and "file" (snapshot + journal, docs/storage-format.md).
 */
extern const struct storage_ops storage_memory_ops;
extern const struct storage_ops storage_file_ops;

/* Register a backend; returns -1 when the name is taken. The built-in ones are registered
 * by storage_new() itself. */
int storage_register(const struct storage_ops *ops);

/*
 * Create the backend named by cfg (--storage.backend; "" chooses "file" when
 * --persistence.file is set and "memory" otherwise, as upstream behaves). Returns NULL with
 * *err for an unknown name or a failed init.
 */
struct storage *storage_new(const struct config *cfg, char **err);
int storage_open(struct storage *s, struct store *st, char **err);
int storage_record(struct storage *s, const struct storage_mutation *m, char **err);
int storage_snapshot(struct storage *s, struct store *st, char **err);
int storage_flush(struct storage *s, char **err);
int storage_healthy(struct storage *s);
void storage_stats(struct storage *s, struct storage_stats *out);
/* Close and free (stops the loop glue first); NULL is fine. */
void storage_free(struct storage *s);

/* ---- added: group commit, timers and replay ---- */

struct event_base;

/* Wrapper of the sync_pending slot (0 when the slot is missing or s is NULL). */
int storage_sync_pending(struct storage *s);
/* Wrapper of the snapshot_due slot (0 when missing). */
int storage_snapshot_due(struct storage *s);
/* Wrapper of the snapshot_async slot (storage_snapshot() when missing). */
int storage_snapshot_async(struct storage *s, struct store *st, char **err);
/* Wrapper of the tick slot. */
void storage_tick(struct storage *s);

/*
 * Attach s to the event loop: a group-commit event and a one-second tick that calls
 * storage_tick(), storage_flush() and, when the backend says a snapshot is due,
 * storage_snapshot_async() of st (failures are logged and counted, the gateway keeps
 * running). st is borrowed.
 */
int storage_start(struct storage *s, struct event_base *base, struct store *st);
/* Detach from the loop: run a pending group commit at once, then remove the events. */
void storage_stop(struct storage *s);

/* Called once the mutations recorded before storage_when_durable() are durable (ok = 1) or
 * the flush failed (ok = 0; the mutations are written to the OS, not known to be on disk). */
typedef void (*storage_durable_fn)(void *arg, int ok);
/*
 * Run fn(arg, ok) once every mutation recorded so far is as durable as the fsync policy
 * asks: before returning when nothing is pending, otherwise after the next group commit
 * (one flush for everything recorded in this event-loop iteration). Without storage_start()
 * the flush is done before returning.
 */
void storage_when_durable(struct storage *s, storage_durable_fn fn, void *arg);

struct codec_mutation;
/* Apply a decoded mutation to the store through the live path's store functions (replay);
 * the mutation's families are consumed. */
void storage_apply(struct store *st, struct codec_mutation *m);

/* Names of the registered backends joined with ", " (for messages). Caller frees. */
char *storage_backend_names(void);

#endif
