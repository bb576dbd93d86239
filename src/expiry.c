/* expiry.c - expiry of stale groups (TTL): deletes groups whose deadline passed, on a timer */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "expiry.h"
#include "gofmt.h"
#include "goquote.h"
#include "log.h"
#include "storage.h"
#include "strbuf.h"
#include "xmalloc.h"

/* Expired groups logged one by one at info level per run; the rest at debug level. */
#define LOG_PER_RUN 20

struct expiry {
    struct store *st;        /* borrowed */
    struct storage *storage; /* borrowed, may be NULL */
    expiry_clock_fn clock;   /* NULL: CLOCK_REALTIME */
    void *clock_arg;
    struct event *timer; /* one-shot, re-armed after each run */
    uint64_t expired;    /* groups deleted since start */
    int record_failing;  /* the last record failed (logged once until one succeeds) */
};

/* The current time from the injected clock or CLOCK_REALTIME. */
static void
now_of(const struct expiry *e, struct timespec *now)
{
    if (e->clock != NULL)
        e->clock(e->clock_arg, now);
    else
        clock_gettime(CLOCK_REALTIME, now);
}

struct expiry *
expiry_new(struct store *st, struct storage *storage)
{
    struct expiry *e = xcalloc(1, sizeof(*e));

    e->st = st;
    e->storage = storage;
    return e;
}

void
expiry_set_clock(struct expiry *e, expiry_clock_fn fn, void *arg)
{
    e->clock = fn;
    e->clock_arg = arg;
}

/* Non-zero when deadline t is at or before now. */
static int
due(const struct timespec *t, const struct timespec *now)
{
    return t->tv_sec < now->tv_sec || (t->tv_sec == now->tv_sec && t->tv_nsec <= now->tv_nsec);
}

/* The grouping key as {name="value",...} for log records. Caller frees. */
static char *
key_text(const struct grouping_key *k)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    strbuf_addch(&sb, '{');
    for (i = 0; i < k->n; i++) {
        strbuf_addf(&sb, "%s%s=", i > 0 ? "," : "", k->labels[i].name);
        goquote_append(&sb, k->labels[i].value, strlen(k->labels[i].value));
    }
    strbuf_addch(&sb, '}');
    return strbuf_detach(&sb, NULL);
}

/* Log one expired group (the key is logged before the group is gone). */
static void
log_expired(const struct store *st, const struct group *g, size_t nth)
{
    enum log_level level = nth < LOG_PER_RUN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;
    char ttl[32], when[GOFMT_TIME_MAX];
    char *key;

    if (!log_enabled(level))
        return;
    key = key_text(&g->key);
    go_duration_format(group_effective_ttl(st, g), ttl);
    gofmt_rfc3339nano(when, &g->expires);
    log_kv(level, __FILE__, __LINE__, "group expired", "group", key, "ttl", ttl, "deadline", when,
           (const char *)0);
    free(key);
}

/* Delete g as a DELETE request would: record, log, apply. -1 when recording failed. */
static int
expire_group(struct expiry *e, struct group *g, size_t nth)
{
    struct storage_mutation m;
    struct grouping_key key;
    char *err = NULL;

    memset(&m, 0, sizeof(m));
    m.op = STORAGE_DELETE;
    m.key = &g->key;
    if (storage_record(e->storage, &m, &err) != 0) {
        if (!e->record_failing) {
            char *k = key_text(&g->key);

            log_error("cannot record the expiry of a group in storage; it stays until "
                      "recording works again",
                      "group", k, "err", err != NULL ? err : "unknown");
            free(k);
        }
        e->record_failing = 1;
        free(err);
        return -1;
    }
    if (e->record_failing)
        log_info("recording expired groups works again");
    e->record_failing = 0;
    log_expired(e->st, g, nth);
    grouping_key_copy(&key, &g->key); /* store_delete frees g and its key */
    store_delete(e->st, &key);
    grouping_key_free(&key);
    e->expired++;
    return 0;
}

size_t
expiry_run(struct expiry *e, size_t max, int *more)
{
    struct timespec now;
    struct group *g;
    size_t n = 0;

    if (more != NULL)
        *more = 0;
    now_of(e, &now);
    while ((g = store_next_expiring(e->st)) != NULL && due(&g->expires, &now)) {
        if (n >= max) {
            if (more != NULL)
                *more = 1;
            break;
        }
        if (expire_group(e, g, n) != 0)
            break;
        n++;
    }
    if (n > LOG_PER_RUN) {
        char count[32];

        snprintf(count, sizeof(count), "%zu", n);
        log_info("expired groups (the ones not listed are logged at debug level)", "groups", count);
    }
    return n;
}

long
expiry_next_ms(struct expiry *e, long cap_ms)
{
    struct group *g = store_next_expiring(e->st);
    struct timespec now;
    double ms;

    if (g == NULL)
        return cap_ms;
    now_of(e, &now);
    if (due(&g->expires, &now))
        return 0;
    ms = (double)(g->expires.tv_sec - now.tv_sec) * 1e3 +
         (double)(g->expires.tv_nsec - now.tv_nsec) / 1e6;
    if (ms >= (double)cap_ms)
        return cap_ms;
    /* Round up so that the run finds the group due. */
    return (long)ms + 1;
}

/* Arm the timer for the next run in ms milliseconds. */
static void
arm(struct expiry *e, long ms)
{
    struct timeval tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    event_add(e->timer, &tv);
}

/* The timer: one bounded run, then the next right away (more due), at the next deadline or
 * in EXPIRY_INTERVAL_MS. */
static void
timer_cb(evutil_socket_t fd, short events, void *arg)
{
    struct expiry *e = arg;
    int more = 0;

    (void)fd;
    (void)events;
    expiry_run(e, EXPIRY_BATCH, &more);
    if (more)
        arm(e, 0);
    else if (e->record_failing)
        arm(e, EXPIRY_INTERVAL_MS);
    else
        arm(e, expiry_next_ms(e, EXPIRY_INTERVAL_MS));
}

int
expiry_start(struct expiry *e, struct event_base *base)
{
    if (e->timer != NULL)
        return 0;
    e->timer = evtimer_new(base, timer_cb, e);
    if (e->timer == NULL)
        return -1;
    /* Groups that expired while the gateway was down go soon after start-up. */
    arm(e, expiry_next_ms(e, EXPIRY_INTERVAL_MS));
    return 0;
}

void
expiry_stop(struct expiry *e)
{
    if (e == NULL || e->timer == NULL)
        return;
    event_free(e->timer);
    e->timer = NULL;
}

void
expiry_free(struct expiry *e)
{
    if (e == NULL)
        return;
    expiry_stop(e);
    free(e);
}

uint64_t
expiry_expired_total(const struct expiry *e)
{
    return e->expired;
}

size_t
expiry_groups_with_ttl(const struct expiry *e)
{
    return store_expiring_count(e->st);
}

/* ---- the ttl query parameter ---- */

/* Value of a hex digit, or -1. */
static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decode s[0..n) as Go's url.QueryUnescape does ('+' is a space). Returns a malloc'd
 * string, or NULL with *why for a bad escape or a decoded NUL byte.
 */
static char *
query_unescape(const char *s, size_t n, const char **why)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == '%') {
            if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
                *why = "invalid URL escape";
                strbuf_free(&sb);
                return NULL;
            }
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            if (c == '\0') {
                *why = "NUL bytes are not supported";
                strbuf_free(&sb);
                return NULL;
            }
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        strbuf_addch(&sb, c);
    }
    return strbuf_detach(&sb, NULL);
}

/* 400 text for a bad ttl value: invalid ttl "<value>": <reason>. */
static int
ttl_error(char **err, const char *value, const char *reason)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "invalid ttl ");
    goquote_append(&sb, value, strlen(value));
    strbuf_addf(&sb, ": %s", reason);
    *err = strbuf_detach(&sb, NULL);
    return -1;
}

int
expiry_ttl_from_query(const char *query, int *given, int64_t *ttl, char **err)
{
    const char *p = query, *why = NULL;

    *given = 0;
    *ttl = 0;
    while (p != NULL && *p != '\0') {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq != NULL ? (size_t)(eq - p) : len;
        char *k = query_unescape(p, klen, &why);

        if (k != NULL && strcmp(k, "ttl") == 0) {
            const char *raw = eq != NULL ? eq + 1 : p + len;
            size_t vlen = (size_t)(p + len - raw);
            char *v = query_unescape(raw, vlen, &why), *reason = NULL;
            int rc = 0;

            free(k);
            if (v == NULL) {
                char *shown = xstrndup(raw, vlen);

                rc = ttl_error(err, shown, why);
                free(shown);
                return rc;
            }
            if (go_duration_parse(v, ttl, &reason) != 0)
                rc = ttl_error(err, v, reason);
            else if (*ttl < 0)
                rc = ttl_error(err, v, "must not be negative");
            else
                *given = 1;
            free(reason);
            free(v);
            return rc;
        }
        free(k);
        p += len;
        if (*p != '\0')
            p++;
    }
    return 0;
}
