/* store.h - the in-memory metric store: groups, their families, and the indexes over them */
#ifndef PGW_STORE_H
#define PGW_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "grouping.h"
#include "hmap.h"
#include "metric.h"
#include "ordset.h"

#define PUSH_TIME_NAME "push_time_seconds"
#define PUSH_FAILURE_TIME_NAME "push_failure_time_seconds"
#define PUSH_TIME_HELP "Last Unix time when changing this group in the Pushgateway succeeded."
#define PUSH_FAILURE_TIME_HELP "Last Unix time when changing this group in the Pushgateway failed."

struct group;
struct famidx;
struct gzip_segment;
struct rcbytes;

/*
 * A stored metric's place in its name's exposition order (struct famidx.order): metric
 * number node.aux of family sf. 32 bytes, one per stored series.
 */
struct series_node {
    struct ordset_node node; /* first member: an ordset node is a series_node */
    struct stored_family *sf;
};

/*
 * A family as stored in a group. Everything here is owned by the store; callers read only.
 * The stored_family, its family (mf, packed: metric_family_pack) and the series nodes are
 * one allocation, released by metric_family_free(mf); the render caches are separate.
 */
struct stored_family {
    struct metric_family *mf; /* labels of every metric sanitised and sorted by name */
    struct timespec ts;       /* receive time of the request that last stored it */
    struct group *group;      /* the group it belongs to */
    struct famidx *idx;       /* the store-wide entry for its name */
    struct stored_family *idx_prev, *idx_next; /* other groups' families of the same name */
    struct render_cache *text;  /* the metrics' exposition lines (gather.c), NULL: none yet */
    struct render_cache *proto; /* each metric's Metric submessage as it appears in its
                                   MetricFamily: field 4 tag, length, message (expo_proto.c) */
};

/*
 * The series nodes of a stored family, one per metric, linked into idx->order: the per-metric
 * area of its packed block (metric_family_pack), right after the metrics.
 */
static inline struct series_node *
stored_family_nodes(const struct stored_family *sf)
{
    return (struct series_node *)(sf->mf->metrics + sf->mf->nmetrics);
}

/* The metric a series node stands for, and its index in its family. */
static inline size_t
series_node_index(const struct series_node *sn)
{
    return sn->node.aux;
}
static inline const struct metric *
series_node_metric(const struct series_node *sn)
{
    return &sn->sf->mf->metrics[sn->node.aux];
}

/*
 * The renderings of a stored family's metrics in one format for one name-escaping scheme,
 * in one allocation: this header, n + 1 32-bit offsets, the bytes; metric i is the bytes
 * [off[i], off[i + 1]). A reader-side memo, made by the first scrape that needs it; freed
 * with the family, which a mutation replaces, so it is never stale (the one family changed
 * in place, the gateway's push_time_seconds or push_failure_time_seconds of a group that is
 * pushed to again, has its caches dropped by the store).
 */
struct render_cache {
    int32_t esc; /* the enum name_escaping it was rendered for */
    uint32_t n;  /* metrics */
};
/*
 * A cache for n metrics whose bytes are data[off[0]..off[n]) (copied); NULL when they pass
 * 4 GiB (the family is then rendered without a cache). Free with free().
 */
struct render_cache *render_cache_new(int esc, const size_t *off, size_t n, const char *data);
/* Metric i's bytes (*len of them). */
static inline const char *
render_cache_get(const struct render_cache *rc, size_t i, size_t *len)
{
    const uint32_t *off = (const uint32_t *)(rc + 1);

    *len = off[i + 1] - off[i];
    return (const char *)(off + rc->n + 1) + off[i];
}

/*
 * Renderings of a group cached by the readers (api.c fills them). The store frees them
 * whenever the group changes, so a reader re-renders only the groups that changed.
 */
struct group_cache {
    /* "," and the group's object in /api/v1/metrics, NULL when stale; a response being sent
       may hold another reference after the store dropped its own */
    struct rcbytes *json;
};

/*
 * A group's TTL (ours, docs/ttl.md), as set by its last successful push: follow the store's
 * default (--push.group-ttl), never expire (ttl=0), or a duration in nanoseconds (> 0).
 */
#define STORE_TTL_DEFAULT ((int64_t)-1)

/* A group: a grouping key and its families (sorted by name). */
struct group {
    struct grouping_key key; /* its strings are interned (intern_str), shared with the labels */
    char *keystr;            /* canonical key (grouping_key_string), also the map key */
    size_t keylen;
    struct stored_family **fams; /* sorted by family name */
    size_t nfams;
    size_t nseries; /* metrics of its families except the two timestamp families (caps.h) */
    struct group_cache cache;
    int64_t ttl;                 /* STORE_TTL_DEFAULT, 0 (never) or nanoseconds */
    int expiring;                /* has a deadline: linked into store.expiring */
    struct timespec expires;     /* the deadline while expiring */
    struct ordset_node exp_node; /* in store.expiring */
};

/*
 * The store-wide entry for one family name: which groups hold a family of that name and
 * with which types. This is what lets a push be checked against the whole store in time
 * proportional to the push (spec §6.4) and a scrape merge families without searching.
 */
struct famidx {
    char *name;
    uint32_t ntype[METRIC_TYPE_MAX + 1]; /* stored families of this name, per type */
    size_t nmembers;
    struct stored_family *members; /* linked through idx_next, in no particular order */
    struct ordset order;           /* every stored metric of this name, in exposition order
                                      (expo_metric_cmp), kept up to date on every mutation */
    /*
     * The gzip-compressed rendering of the whole family, kept by the scrape that last
     * compressed it (gather.c) for the format and escaping gz_key, NULL when there is none.
     * Any change of a member drops it, so it is never stale.
     */
    struct gzip_segment *gz;
    int gz_key;
    /* The member whose group comes first in grouping-key order (its HELP and type win),
       found by the first scrape that needs it (gather.c); NULL when not known. Any change
       of a member drops it. */
    const struct stored_family *first;
};

/*
 * The store. Mutations are applied synchronously on the event loop; there is no locking.
 * Pointers returned by the read functions are borrowed and valid until the next mutation.
 */
struct store {
    struct hmap groups;           /* keystr -> struct group */
    struct hmap families;         /* family name -> struct famidx */
    struct u64map series;         /* identity hash (name + sorted labels) -> count */
    uint64_t duplicate_series;    /* sum over identities of (count - 1): non-zero = inconsistent */
    struct group **sorted_groups; /* cache for store_groups_sorted, NULL when stale */
    struct famidx **sorted_families; /* cache for store_families_sorted, NULL when stale */
    uint64_t generation;             /* incremented by every mutation */
    size_t nseries;                  /* sum of group.nseries over all groups (caps.h) */
    size_t largest_group;            /* memo of caps_largest_group(), valid while */
    uint64_t largest_group_gen;      /* generation + 1 == this (0: none) */
    int64_t default_ttl;             /* TTL of groups that follow the default, ns; 0 = never */
    struct ordset expiring;          /* groups with a deadline, soonest first (group.exp_node) */
};

void store_init(struct store *st);
void store_free(struct store *st);

/*
 * Sanitise pushed families for group `key` (spec §5.3): every grouping label is set on every
 * metric (overwriting a pushed value), instance="" is added when absent, labels sorted.
 */
void store_sanitise(struct family_list *fams, const struct grouping_key *key);

/*
 * Apply a successful push (spec §5.4, §6.2) received at `ts`: PUT (replace != 0) drops all
 * families of the group except the two timestamp families first; POST replaces only the
 * families named in the push. push_time_seconds is set to ts; push_failure_time_seconds is
 * added with 0 for a new group (a pushed one replaces it for an existing group).
 * The families must be sanitised. Takes ownership of the families (the list is emptied).
 */
void store_push(struct store *st, const struct grouping_key *key, struct family_list *fams,
                int replace, const struct timespec *ts);

/*
 * store_push that also sets the group's TTL (STORE_TTL_DEFAULT, 0 = never, or nanoseconds):
 * each successful push replaces it. store_push() is store_push_ttl(..., STORE_TTL_DEFAULT).
 */
void store_push_ttl(struct store *st, const struct grouping_key *key, struct family_list *fams,
                    int replace, const struct timespec *ts, int64_t ttl);

/*
 * Record a failed push at `ts` (spec §6.2): push_failure_time_seconds = ts, creating the
 * group with push_time_seconds = 0 when it does not exist.
 */
void store_push_failed(struct store *st, const struct grouping_key *key, const struct timespec *ts);

/*
 * A push_time_seconds / push_failure_time_seconds family for group `key` with the time t
 * (NULL for 0), labels sanitised. Caller frees (metric_family_free).
 */
struct metric_family *store_timestamp_family(const char *name, const struct grouping_key *key,
                                             const struct timespec *t);

/*
 * Restore a group from a snapshot: its families are stored as they are (already sanitised,
 * timestamp families included) with their own receive times ts[i], replacing families of
 * the same name when the group exists. No push semantics are applied. Takes ownership of
 * the families (the list is emptied); ts has fams->n entries.
 */
void store_restore_group(struct store *st, const struct grouping_key *key, struct family_list *fams,
                         const struct timespec *ts);

/* Delete the group with exactly this key; returns 1 if it existed, 0 otherwise. */
int store_delete(struct store *st, const struct grouping_key *key);

/* Delete every group. */
void store_wipe(struct store *st);

/*
 * Expiry (ours, docs/ttl.md). A group expires at the receive time of its push_time_seconds
 * family (the last successful push; for a group that never had one, the failed push that
 * created it) plus its effective TTL: its own, or the store's default when it follows the
 * default. The store keeps the groups with a deadline ordered by it on every mutation;
 * deleting an expired group is the caller's job (expiry.c). Failed pushes change neither.
 */
/* Set the default TTL (ns, 0 = never; --push.group-ttl); re-schedules groups that follow it. */
void store_set_default_ttl(struct store *st, int64_t ttl);
/* Set a group's TTL (STORE_TTL_DEFAULT, 0 or ns), as a snapshot restores it. */
void store_set_ttl(struct store *st, struct group *g, int64_t ttl);
/* The group's effective TTL in nanoseconds; 0 when it never expires. */
int64_t group_effective_ttl(const struct store *st, const struct group *g);
/* The group whose deadline comes first, or NULL when no group has one. Borrowed. */
struct group *store_next_expiring(const struct store *st);
/* Number of groups with a deadline. */
size_t store_expiring_count(const struct store *st);

/*
 * Does g hold the timestamp family `name` exactly as the gateway makes it for key (one gauge
 * with the sanitised grouping labels)? A push then only changes its value, in place, which
 * keeps the family's series and so cannot make the store inconsistent (check.c).
 */
int group_has_gateway_timestamp(const struct group *g, const struct grouping_key *key,
                                const char *name);

/* Non-zero for push_time_seconds and push_failure_time_seconds (not counted in nseries). */
int store_is_timestamp_family(const char *name);

/* Lookups. */
struct group *store_group(const struct store *st, const struct grouping_key *key);
const struct stored_family *group_family(const struct group *g, const char *name);
struct famidx *store_famidx(const struct store *st, const char *name);
/* Number of stored series with this identity (store_series_hash). */
uint32_t store_series_count(const struct store *st, uint64_t identity);
/* Identity hash of a series: family name and sorted label pairs (upstream's metric hash). */
uint64_t store_series_hash(const char *name, const struct metric *m);

/* Groups sorted by canonical key; borrowed, valid until the next mutation. */
struct group *const *store_groups_sorted(struct store *st, size_t *n);
/* Family index entries sorted by name (byte order); borrowed, valid until the next mutation. */
struct famidx *const *store_families_sorted(struct store *st, size_t *n);

/*
 * last_push_successful of the API and UI (spec §6.2): false exactly when both timestamp
 * families exist and failure > success.
 */
int group_last_push_successful(const struct group *g);

#endif
