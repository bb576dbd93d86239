/* check.h - the consistency check (spec §6.3, §6.4): a push against the store, or the store */
#ifndef PGW_CHECK_H
#define PGW_CHECK_H

#include "grouping.h"
#include "metric.h"
#include "store.h"

/* Prefix of every consistency error answered to a push. */
#define CHECK_ERR_PREFIX "pushed metrics are invalid or inconsistent with existing metrics: "
#define CHECK_ERR_TIMESTAMP "pushed metrics must not have timestamps"

/* At most this many individual errors are reported for one push or scrape. */
#define CHECK_MAX_ERRORS 100

/* Non-zero when any metric of the push carries a timestamp. */
int check_has_timestamps(const struct family_list *fams);

/*
 * Check whether applying the push (families already sanitised for `key`, PUT when replace)
 * leaves the store consistent, as upstream's gather of the store with the push applied plus
 * the gateway's own families would. Costs in proportion to the push and the group it
 * replaces, not to the store. With utf8_names, label names need only be valid UTF-8.
 * Returns 0, or -1 with *err set to the error text (single error, or upstream's
 * "N error(s) occurred:\n* e1\n* e2" list) without the CHECK_ERR_PREFIX; caller frees.
 */
int check_push(const struct store *st, const struct grouping_key *key,
               const struct family_list *fams, int replace, int utf8_names, char **err);

/*
 * Check whether recording a failed push for `key` (store_push_failed) keeps the store
 * consistent. Upstream records it unconditionally and can poison the store with series no
 * scrape can gather (spec §13.2); we skip the record when this returns -1.
 */
int check_push_failed(const struct store *st, const struct grouping_key *key, int utf8_names);

/*
 * Check the whole store merged with the gateway's own families, as a scrape's gather does
 * (needed only when pushes were applied unchecked). Returns 0, or -1 with *err as above.
 */
int check_store(struct store *st, int utf8_names, char **err);

#endif
