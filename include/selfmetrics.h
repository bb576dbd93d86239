/* selfmetrics.h - the gateway's own metrics: build info, HTTP counters and summaries, process_* */
#ifndef PGW_SELFMETRICS_H
#define PGW_SELFMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "metric.h"

/* One of the gateway's own families, known from start-up (for the consistency check). */
struct own_family {
    const char *name;
    enum metric_type type;
    const char *help;
};

/* The own family of that name, or NULL. */
const struct own_family *own_family_find(const char *name);
/* All own families, sorted by name. */
const struct own_family *own_families(size_t *n);

/* Handler labels of pushgateway_http_requests_total (spec §7.1). */
enum own_handler {
    HANDLER_PUSH,
    HANDLER_DELETE,
    HANDLER_WIPE,
    HANDLER_HEALTHY,
    HANDLER_READY,
    HANDLER_STATUS,
    HANDLER_STATIC,
    HANDLER_API_STATUS,
    HANDLER_API_METRICS,
    HANDLER_API_OPTIONS,
    HANDLER_MAX
};

/* Labels of pushgateway_limit_hits_total (ours): which limit refused or closed something. */
enum selfmetrics_hit {
    LIMIT_HIT_BODY_BYTES,       /* a body over --push.max-body-size after gzip decoding: 413 */
    LIMIT_HIT_CONNECTIONS,      /* a connection over --web.max-connections: 503 and closed */
    LIMIT_HIT_FDS,              /* accept() failed (descriptors exhausted): accepting paused */
    LIMIT_HIT_GROUPS,           /* --push.max-groups: 409 */
    LIMIT_HIT_RATE_LIMIT,       /* rate_limit of --web.config.file: 429 */
    LIMIT_HIT_READ_TIMEOUT,     /* a request not received within --web.read-timeout: closed */
    LIMIT_HIT_SERIES,           /* --push.max-series: 409 */
    LIMIT_HIT_SERIES_PER_GROUP, /* --push.max-series-per-group: 409 */
    LIMIT_HIT_MAX
};

/* One limit of pushgateway_limit_max and, when has_current, pushgateway_limit_current. */
struct selfmetrics_limit {
    const char *name; /* label value, e.g. "groups"; static */
    double max;       /* configured value, 0 = unlimited */
    double current;   /* current usage */
    int has_current;
};

/* Fills at most n entries of out and returns how many it filled. */
typedef size_t (*selfmetrics_limits_fn)(void *arg, struct selfmetrics_limit *out, size_t n);

/* Initialise (records the process start time). */
void selfmetrics_init(void);
void selfmetrics_free(void);

struct storage;
/* Report pushgateway_storage_* from this backend (borrowed; NULL stops reporting). */
void selfmetrics_set_storage(struct storage *s);

struct expiry;
/* Report pushgateway_groups_expired_total and _with_ttl from e (borrowed; NULL stops). */
void selfmetrics_set_expiry(const struct expiry *e);

/*
 * Report pushgateway_limit_* with fn(arg) (the HTTP server registers itself; NULL stops
 * reporting). Hits are counted from selfmetrics_init() on.
 */
void selfmetrics_set_limits(selfmetrics_limits_fn fn, void *arg);
/* Count one hit of a limit. */
void selfmetrics_count_limit_hit(enum selfmetrics_hit h);

/* Count one request of a handler answered with `code`; method is the HTTP method name. */
void selfmetrics_count_request(enum own_handler h, const char *method, int code);
/* Observe a push (method "put" or "post"): its duration in seconds and approximate size. */
void selfmetrics_observe_push(const char *method, double seconds, double size_bytes);

/*
 * Build the current own families (fresh copies, labels sorted) and append them to `out`,
 * which the caller owns. Families without series (no push yet) are not added.
 */
void selfmetrics_collect(struct family_list *out);

#endif
