/* caps.h - optional caps on the store (--push.max-groups, --push.max-series[-per-group]) */
#ifndef PGW_CAPS_H
#define PGW_CAPS_H

#include <stddef.h>

#include "config.h"
#include "grouping.h"
#include "metric.h"
#include "store.h"

/*
 * Series are counted as the store counts them (store.nseries, group.nseries): one per metric
 * of a family, a histogram or summary once, push_time_seconds and push_failure_time_seconds
 * not at all. A cap of 0 is no cap. A push is refused only when it would raise a count past
 * its cap: a store already above a cap (restored after the cap was lowered) still accepts
 * pushes that do not grow it.
 */
enum caps_limit {
    CAPS_OK = 0,
    CAPS_GROUPS,           /* --push.max-groups */
    CAPS_SERIES_PER_GROUP, /* --push.max-series-per-group */
    CAPS_SERIES,           /* --push.max-series */
};

/*
 * Would applying the push (families as parsed; PUT when replace) to group `key` exceed a cap
 * of cfg? Returns CAPS_OK, or the first cap exceeded (groups, then series per group, then
 * series) with *err set to a one-line reason naming the flag (caller frees). Costs in
 * proportion to the push.
 */
enum caps_limit caps_check_push(const struct store *st, const struct config *cfg,
                                const struct grouping_key *key, const struct family_list *fams,
                                int replace, char **err);

/* Non-zero when recording a failed push for key would not create a group beyond the cap. */
int caps_group_fits(const struct store *st, const struct config *cfg,
                    const struct grouping_key *key);

/* Series of the largest group (0 for an empty store); walks every group once per change of
 * the store (a memo in the store, keyed by its generation). */
size_t caps_largest_group(const struct store *st);

/* The label of a cap in pushgateway_limit_* ("groups", "series_per_group", "series"). */
const char *caps_limit_name(enum caps_limit l);

#endif
