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

/* Initialise (records the process start time). */
void selfmetrics_init(void);
void selfmetrics_free(void);

struct storage;
/* Report pushgateway_storage_* from this backend (borrowed; NULL stops reporting). */
void selfmetrics_set_storage(struct storage *s);

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
