/* expiry.h - expiry of stale groups (TTL): deletes groups whose deadline passed, on a timer */
#ifndef PGW_EXPIRY_H
#define PGW_EXPIRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

/*
 * Groups expire (ours, docs/ttl.md) when the receive time of their last successful push plus
 * their TTL has passed. The store keeps the groups with a deadline ordered by it (store.h:
 * store_next_expiring); this module deletes the due ones exactly as a DELETE of their grouping
 * key would: storage_record(STORAGE_DELETE), then store_delete(). Work is bounded: one run
 * deletes at most EXPIRY_BATCH groups and, when more are due, the next run follows in the next
 * event-loop iteration, so requests are served in between.
 *
 * Timing: a run happens at least once a second and, when the next deadline is less than a
 * second away at the end of a run, at that deadline. With a TTL of a second or more a group
 * therefore disappears at its deadline; a shorter TTL can be up to a second late. Plus the
 * time the loop is busy.
 */

/* Most groups one run deletes. */
#define EXPIRY_BATCH 256
/* Longest pause between runs, in milliseconds. */
#define EXPIRY_INTERVAL_MS 1000

struct storage;
struct event_base;
struct expiry;

/* A wall clock: writes the current time (CLOCK_REALTIME by default; tests inject their own). */
typedef void (*expiry_clock_fn)(void *arg, struct timespec *now);

/*
 * Create the expiry of st, recording deletes with storage (NULL: nothing is recorded, as with
 * the memory backend). Both are borrowed and must outlive the expiry. Free with expiry_free.
 */
struct expiry *expiry_new(struct store *st, struct storage *storage);
/* Replace the clock (fn NULL: CLOCK_REALTIME again). */
void expiry_set_clock(struct expiry *e, expiry_clock_fn fn, void *arg);
/*
 * Delete up to max groups whose deadline is at or before the clock's now, soonest first.
 * Returns the number deleted; *more (may be NULL) is set non-zero when due groups are left
 * (the limit was reached). A failed storage record stops the run: the group stays, the error
 * is logged (once until recording works again), and *more is 0.
 */
size_t expiry_run(struct expiry *e, size_t max, int *more);
/*
 * Milliseconds from the clock's now until the next deadline, capped at cap_ms; 0 when a group
 * is due; cap_ms when no group has a deadline.
 */
long expiry_next_ms(struct expiry *e, long cap_ms);

/* Run on base's loop (timing above). Returns 0, or -1 when the timer cannot be created. */
int expiry_start(struct expiry *e, struct event_base *base);
/* Remove the timer (expiry_free does it too). */
void expiry_stop(struct expiry *e);
/* Stop and free; NULL is fine. */
void expiry_free(struct expiry *e);

/* Groups deleted by expiry since start (pushgateway_groups_expired_total). */
uint64_t expiry_expired_total(const struct expiry *e);
/* Groups that currently have a deadline (pushgateway_groups_with_ttl). */
size_t expiry_groups_with_ttl(const struct expiry *e);

/*
 * The ttl parameter of a push URL's query string (the part after '?', NULL for none):
 * other parameters are ignored, as upstream ignores the query string; the first ttl wins.
 * Keys and values are percent-decoded ('+' is a space). Returns 0 with *given = 0 when
 * there is none, or *given = 1 and *ttl in nanoseconds (0 = never expire); -1 with *err
 * (caller frees) for a value that is not a Go duration or is negative:
 *   invalid ttl "5x": time: unknown unit "x" in duration "5x"
 *   invalid ttl "-1m": must not be negative
 */
int expiry_ttl_from_query(const char *query, int *given, int64_t *ttl, char **err);

#endif
