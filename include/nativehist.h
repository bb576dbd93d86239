/* nativehist.h - native histogram buckets as upstream's JSON API lists them (spec §8.2) */
#ifndef PGW_NATIVEHIST_H
#define PGW_NATIVEHIST_H

#include <stddef.h>
#include <stdint.h>

#include "metric.h"

/* Which ends of a bucket belong to it (Prometheus' JSON boundary rule numbers). */
enum bucket_boundary {
    BOUNDARY_UPPER_INCLUSIVE = 0, /* (lower, upper] */
    BOUNDARY_LOWER_INCLUSIVE = 1, /* [lower, upper) */
    BOUNDARY_EXCLUSIVE = 2,       /* (lower, upper) */
    BOUNDARY_INCLUSIVE = 3,       /* [lower, upper] */
};

/* One populated bucket. */
struct native_bucket {
    enum bucket_boundary boundary;
    double lower, upper, count;
};

/*
 * Does the JSON API render this histogram metric as a native one (a native part with at
 * least one positive or negative span)?
 */
int nativehist_is_native(const struct metric *m);

/*
 * Upper bound of bucket idx under an exponential schema (Prometheus getBound): for schema
 * < 0 the power of two 2^(idx << -schema), otherwise 2^(idx / 2^schema); the last finite
 * bucket ends at DBL_MAX. Fractional powers are correctly rounded (upstream takes them from
 * a precomputed table that can differ in the last bits).
 */
double nativehist_bound(int32_t idx, int32_t schema);

/*
 * The populated buckets of a native histogram in the order upstream's AllBucketIterator
 * yields them: negative buckets from the lowest up, the zero bucket [-threshold, threshold]
 * if its count is > 0, then positive buckets upwards; buckets with a zero count are skipped.
 * A side uses its float counts when it has any, else its integer deltas; a bucket next to
 * the zero bucket is cut at the threshold. Spans and counts of different lengths are read
 * up to the shorter one. Returns the number of buckets and sets *out (caller frees; NULL
 * when there are none).
 */
size_t nativehist_buckets(const struct native_histogram *nh, struct native_bucket **out);

#endif
