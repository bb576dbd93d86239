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
};

/* Figures a backend reports as pushgateway_storage_* metrics (zero when not applicable). */
struct storage_stats {
    uint64_t journal_bytes;            /* current size of the journal */
    uint64_t records_written;          /* mutations recorded since start */
    uint64_t records_replayed;         /* journal records applied at start-up */
    double last_snapshot_time;         /* Unix time of the last snapshot, 0 if none */
    double last_snapshot_duration;     /* seconds */
    double recovery_duration;          /* seconds spent in open() */
    uint64_t snapshot_failures;        /* snapshots that failed since start */
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
};

struct storage {
    const struct storage_ops *ops;
    const struct config *cfg;
    void *priv; /* backend state */
};

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
/* Close and free; NULL is fine. */
void storage_free(struct storage *s);

#endif
