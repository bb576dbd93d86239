/* api.h - JSON bodies of the /api/v1 endpoints (spec §8), built with jansson */
#ifndef PGW_API_H
#define PGW_API_H

#include <time.h>

#include "config.h"
#include "store.h"
#include "strbuf.h"

/*
 * Body of GET /api/v1/status: build information, the flags map and the start time, encoded
 * as Go's encoding/json does (sorted keys, compact, <>& escaped). Caller frees.
 */
char *api_status_json(const struct config *cfg, const struct timespec *start_time);

/*
 * Body of GET /api/v1/metrics: one object per group, groups in grouping-key order, encoded
 * as Go's encoding/json does. A group with a TTL also has "expires_at" and "ttl_seconds"
 * (ours, docs/ttl.md). Caller frees.
 */
char *api_metrics_json(struct store *st);

/* The fixed text around the groups of that body. */
#define API_METRICS_HEAD "{\"status\":\"success\",\"data\":["
#define API_METRICS_TAIL "]}"

/*
 * The rendering of group g in that body: a comma and the group's object (the first group is
 * written without the comma). Written directly, without a jansson tree (a few microseconds
 * per group), when the group changed since the last call, and kept in the group's cache
 * until it changes again. Borrowed from the cache; take a reference (rcbytes_ref) to keep
 * it past the next mutation. A response is these pieces in store_groups_sorted() order
 * between API_METRICS_HEAD and API_METRICS_TAIL.
 */
const struct rcbytes *api_group_json(struct store *st, struct group *g);

/*
 * Encode a jansson value as Go's json.Marshal would: compact, object keys sorted, '<', '>',
 * '&', U+2028 and U+2029 escaped as \u003c..., control characters as Go writes them.
 * Does not steal the reference. Caller frees the result.
 */
struct json_t;
char *api_json_dump_go(struct json_t *v);

#endif
