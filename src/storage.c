/* storage.c - backend registry, storage_* wrappers, group commit and the snapshot tick */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "codec.h"
#include "log.h"
#include "storage.h"
#include "strbuf.h"
#include "xmalloc.h"

#define MAX_BACKENDS 16

static const struct storage_ops *backends[MAX_BACKENDS];
static size_t nbackends;

/* A reply (or anything else) waiting for the next group commit. */
struct waiter {
    storage_durable_fn fn;
    void *arg;
    struct waiter *next;
};

/* Event-loop glue of one storage (s->loop). */
struct loop {
    struct event *commit; /* activated when the first waiter of an iteration arrives */
    struct event *tick;   /* every second: flush, snapshot when due */
    struct event *child;  /* SIGCHLD: a background snapshot writer finished */
    struct store *st;
    struct waiter *head, **tail;
};

int
storage_register(const struct storage_ops *ops)
{
    size_t i;

    for (i = 0; i < nbackends; i++)
        if (strcmp(backends[i]->name, ops->name) == 0)
            return backends[i] == ops ? 0 : -1;
    if (nbackends >= MAX_BACKENDS)
        return -1;
    backends[nbackends++] = ops;
    return 0;
}

/* Register the built-in backends once. */
static void
register_builtins(void)
{
    storage_register(&storage_memory_ops);
    storage_register(&storage_file_ops);
}

char *
storage_backend_names(void)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    register_builtins();
    for (i = 0; i < nbackends; i++)
        strbuf_addf(&sb, "%s%s", i > 0 ? ", " : "", backends[i]->name);
    return strbuf_detach(&sb, NULL);
}

struct storage *
storage_new(const struct config *cfg, char **err)
{
    const char *name = cfg->storage_backend != NULL ? cfg->storage_backend : "";
    const struct storage_ops *ops = NULL;
    struct storage *s;
    size_t i;

    register_builtins();
    if (name[0] == '\0')
        name =
            cfg->persistence_file != NULL && cfg->persistence_file[0] != '\0' ? "file" : "memory";
    for (i = 0; i < nbackends; i++)
        if (strcmp(backends[i]->name, name) == 0)
            ops = backends[i];
    if (ops == NULL) {
        char *names = storage_backend_names();

        *err = xasprintf("unknown storage backend \"%s\" (known: %s)", name, names);
        free(names);
        return NULL;
    }
    s = xcalloc(1, sizeof(*s));
    s->ops = ops;
    s->cfg = cfg;
    if (ops->init != NULL && ops->init(s, err) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

int
storage_open(struct storage *s, struct store *st, char **err)
{
    return s->ops->open != NULL ? s->ops->open(s, st, err) : 0;
}

int
storage_record(struct storage *s, const struct storage_mutation *m, char **err)
{
    if (s == NULL || s->ops->record == NULL)
        return 0;
    return s->ops->record(s, m, err);
}

int
storage_snapshot(struct storage *s, struct store *st, char **err)
{
    if (s == NULL || s->ops->snapshot == NULL)
        return 0;
    return s->ops->snapshot(s, st, err);
}

int
storage_flush(struct storage *s, char **err)
{
    if (s == NULL || s->ops->flush == NULL)
        return 0;
    return s->ops->flush(s, err);
}

int
storage_healthy(struct storage *s)
{
    if (s == NULL || s->ops->healthy == NULL)
        return 1;
    return s->ops->healthy(s);
}

void
storage_stats(struct storage *s, struct storage_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (s != NULL && s->ops->stats != NULL)
        s->ops->stats(s, out);
}

int
storage_sync_pending(struct storage *s)
{
    if (s == NULL || s->ops->sync_pending == NULL)
        return 0;
    return s->ops->sync_pending(s);
}

int
storage_snapshot_due(struct storage *s)
{
    if (s == NULL || s->ops->snapshot_due == NULL)
        return 0;
    return s->ops->snapshot_due(s);
}

int
storage_snapshot_async(struct storage *s, struct store *st, char **err)
{
    if (s == NULL)
        return 0;
    if (s->ops->snapshot_async == NULL)
        return storage_snapshot(s, st, err);
    return s->ops->snapshot_async(s, st, err);
}

void
storage_tick(struct storage *s)
{
    if (s != NULL && s->ops->tick != NULL)
        s->ops->tick(s);
}

void
storage_free(struct storage *s)
{
    if (s == NULL)
        return;
    storage_stop(s);
    if (s->ops->close != NULL)
        s->ops->close(s);
    free(s);
}

/* ---- group commit ---- */

/* Flush once and complete every waiter queued so far. */
static void
commit_now(struct storage *s)
{
    struct loop *lp = s->loop;
    struct waiter *w;
    char *err = NULL;
    int ok = storage_flush(s, &err) == 0;

    if (!ok) {
        log_error("cannot make the journal durable; acknowledging with an error", "err",
                  err != NULL ? err : "unknown");
        free(err);
    }
    /* Detach the list first: a waiter's callback may queue nothing but could re-enter. */
    w = lp->head;
    lp->head = NULL;
    lp->tail = &lp->head;
    while (w != NULL) {
        struct waiter *next = w->next;

        w->fn(w->arg, ok);
        free(w);
        w = next;
    }
}

/* The group-commit event: runs after everything else runnable in this loop iteration. */
static void
commit_cb(evutil_socket_t fd, short events, void *arg)
{
    (void)fd;
    (void)events;
    commit_now(arg);
}

void
storage_when_durable(struct storage *s, storage_durable_fn fn, void *arg)
{
    struct loop *lp = s != NULL ? s->loop : NULL;
    struct waiter *w;

    if (!storage_sync_pending(s)) {
        fn(arg, 1);
        return;
    }
    if (lp == NULL) {
        char *err = NULL;
        int ok = storage_flush(s, &err) == 0;

        free(err);
        fn(arg, ok);
        return;
    }
    w = xcalloc(1, sizeof(*w));
    w->fn = fn;
    w->arg = arg;
    if (lp->head == NULL)
        /* Runs after the events already active in this loop iteration: their records share
         * the one flush. */
        event_active(lp->commit, EV_TIMEOUT, 1);
    *lp->tail = w;
    lp->tail = &w->next;
}

/* ---- the tick ---- */

/* Start a (background) snapshot and log a failure; the gateway keeps running either way. */
static void
snapshot_logged(struct storage *s, struct store *st, const char *why)
{
    char *err = NULL;

    if (storage_snapshot_async(s, st, &err) != 0) {
        log_error("storage snapshot failed", "reason", why, "err", err != NULL ? err : "unknown");
        free(err);
    }
}

/* Once a second: housekeeping, flush per policy, and a background snapshot when due. */
static void
tick_cb(evutil_socket_t fd, short events, void *arg)
{
    struct storage *s = arg;
    struct loop *lp = s->loop;
    char *err = NULL;

    (void)fd;
    (void)events;
    storage_tick(s);
    if (lp->head != NULL) {
        commit_now(s);
    } else if (storage_flush(s, &err) != 0) {
        log_error("storage flush failed", "err", err != NULL ? err : "unknown");
        free(err);
    }
    if (storage_snapshot_due(s))
        snapshot_logged(s, lp->st, "interval");
}

/* A child exited: let the backend collect its background snapshot at once. */
static void
child_cb(evutil_socket_t sig, short events, void *arg)
{
    (void)sig;
    (void)events;
    storage_tick(arg);
}

int
storage_start(struct storage *s, struct event_base *base, struct store *st)
{
    struct loop *lp;
    struct timeval one = {1, 0};

    if (s->loop != NULL)
        return 0;
    lp = xcalloc(1, sizeof(*lp));
    lp->st = st;
    lp->tail = &lp->head;
    lp->commit = event_new(base, -1, 0, commit_cb, s);
    lp->tick = event_new(base, -1, EV_PERSIST, tick_cb, s);
    lp->child = evsignal_new(base, SIGCHLD, child_cb, s);
    if (lp->commit == NULL || lp->tick == NULL || lp->child == NULL) {
        if (lp->commit != NULL)
            event_free(lp->commit);
        if (lp->tick != NULL)
            event_free(lp->tick);
        if (lp->child != NULL)
            event_free(lp->child);
        free(lp);
        return -1;
    }
    event_add(lp->tick, &one);
    event_add(lp->child, NULL);
    s->loop = lp;
    return 0;
}

void
storage_stop(struct storage *s)
{
    struct loop *lp;

    if (s == NULL || s->loop == NULL)
        return;
    lp = s->loop;
    if (lp->head != NULL)
        commit_now(s);
    event_free(lp->commit);
    event_free(lp->tick);
    event_free(lp->child);
    free(lp);
    s->loop = NULL;
}

/* ---- replay ---- */

void
storage_apply(struct store *st, struct codec_mutation *m)
{
    switch (m->op) {
    case STORAGE_PUSH:
        store_push_ttl(st, &m->key, &m->families, m->replace, &m->ts, m->ttl);
        break;
    case STORAGE_FAILURE:
        store_push_failed(st, &m->key, &m->ts);
        break;
    case STORAGE_DELETE:
        store_delete(st, &m->key);
        break;
    case STORAGE_WIPE:
        store_wipe(st);
        break;
    }
}
