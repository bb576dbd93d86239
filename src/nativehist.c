/* nativehist.c - native histogram buckets as upstream's JSON API lists them (spec §8.2) */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "nativehist.h"
#include "xmalloc.h"

int
nativehist_is_native(const struct metric *m)
{
    return m->native != NULL && (m->native->npos_spans > 0 || m->native->nneg_spans > 0);
}

double
nativehist_bound(int32_t idx, int32_t schema)
{
    int64_t exp, frac_idx, div;
    double frac;

    if (schema < 0) {
        /* idx << -schema; a shift that leaves every finite exponent behind saturates. */
        int shift = -(int64_t)schema > 30 ? 30 : (int)-(int64_t)schema;
        exp = (int64_t)idx * ((int64_t)1 << shift);
        if (exp == 1024)
            return DBL_MAX;
        if (exp > 2000)
            return HUGE_VAL;
        if (exp < -2000)
            return 0;
        return ldexp(1, (int)exp);
    }
    if (schema > 30)
        schema = 30;
    div = (int64_t)1 << schema;
    /* Floor division, as Go's arithmetic shift and mask of a negative index give. */
    exp = (int64_t)idx >= 0 ? (int64_t)idx / div : -((-(int64_t)idx + div - 1) / div);
    frac_idx = (int64_t)idx - exp * div;
    exp += 1;
    if (frac_idx == 0 && exp == 1025)
        return DBL_MAX;
    frac = (double)exp2l((long double)frac_idx / (long double)div - 1.0L);
    if (exp > 2000)
        return HUGE_VAL;
    if (exp < -2000)
        return 0;
    return ldexp(frac, (int)exp);
}

/* Buckets of one side, in index order: indexes and counts (caller frees both). */
static size_t
side_buckets(const struct bucket_span *spans, size_t nspans, const int64_t *deltas, size_t ndeltas,
             const double *counts, size_t ncounts, int32_t **idx_out, double **count_out)
{
    size_t nvalues = ncounts > 0 ? ncounts : ndeltas, n = 0, s;
    int32_t *idx;
    double *cnt;
    int64_t running = 0, cur = 0;
    uint32_t k;

    *idx_out = NULL;
    *count_out = NULL;
    if (nvalues == 0 || nspans == 0)
        return 0;
    idx = xreallocarray(NULL, nvalues, sizeof(*idx));
    cnt = xreallocarray(NULL, nvalues, sizeof(*cnt));
    for (s = 0; s < nspans && n < nvalues; s++) {
        /* The first offset is absolute, later ones are gaps after the previous span. */
        cur += spans[s].offset;
        for (k = 0; k < spans[s].length && n < nvalues; k++, cur++) {
            idx[n] = (int32_t)cur;
            if (ncounts > 0) {
                cnt[n] = counts[n];
            } else {
                running = (int64_t)((uint64_t)running + (uint64_t)deltas[n]);
                cnt[n] = (double)running;
            }
            n++;
        }
    }
    *idx_out = idx;
    *count_out = cnt;
    return n;
}

/* Append one bucket to the growing result array. */
static void
push_bucket(struct native_bucket **v, size_t *n, size_t *cap, const struct native_bucket *b)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = xreallocarray(*v, *cap, sizeof(**v));
    }
    (*v)[(*n)++] = *b;
}

/* idx - 1 with int32 wrap-around, as Go computes it. */
static int32_t
prev_index(int32_t idx)
{
    return (int32_t)(uint32_t)((uint32_t)idx - 1u);
}

/* The boundary rule from the bucket's signs, as Prometheus' iterator sets it. */
static enum bucket_boundary
boundary_of(double lower, double upper)
{
    int lower_incl = (lower < 0);
    int upper_incl = (upper > 0);

    if (lower_incl)
        return upper_incl ? BOUNDARY_INCLUSIVE : BOUNDARY_LOWER_INCLUSIVE;
    return upper_incl ? BOUNDARY_UPPER_INCLUSIVE : BOUNDARY_EXCLUSIVE;
}

size_t
nativehist_buckets(const struct native_histogram *nh, struct native_bucket **out)
{
    struct native_bucket *v = NULL, b;
    size_t n = 0, cap = 0, nn, np, i;
    int32_t *idx;
    double *cnt, thr = nh->zero_threshold;
    double zero = nh->zero_count_float > 0 ? nh->zero_count_float : (double)nh->zero_count;

    nn = side_buckets(nh->neg_spans, nh->nneg_spans, nh->neg_deltas, nh->nneg_deltas,
                      nh->neg_counts, nh->nneg_counts, &idx, &cnt);
    for (i = nn; i-- > 0;) {
        if (cnt[i] == 0)
            continue;
        b.lower = -nativehist_bound(idx[i], nh->schema);
        b.upper = -nativehist_bound(prev_index(idx[i]), nh->schema);
        b.boundary = boundary_of(b.lower, b.upper);
        b.count = cnt[i];
        if (b.upper < 0 && b.upper > -thr)
            b.upper = -thr;
        else if (b.lower > 0 && b.lower < thr)
            b.lower = thr;
        push_bucket(&v, &n, &cap, &b);
    }
    free(idx);
    free(cnt);
    if (zero > 0) {
        b.lower = -thr;
        b.upper = thr;
        b.boundary = BOUNDARY_INCLUSIVE;
        b.count = zero;
        push_bucket(&v, &n, &cap, &b);
    }
    np = side_buckets(nh->pos_spans, nh->npos_spans, nh->pos_deltas, nh->npos_deltas,
                      nh->pos_counts, nh->npos_counts, &idx, &cnt);
    for (i = 0; i < np; i++) {
        if (cnt[i] == 0)
            continue;
        b.lower = nativehist_bound(prev_index(idx[i]), nh->schema);
        b.upper = nativehist_bound(idx[i], nh->schema);
        b.boundary = boundary_of(b.lower, b.upper);
        b.count = cnt[i];
        if (b.lower > 0 && b.lower < thr)
            b.lower = thr;
        else if (b.upper < 0 && b.upper > -thr)
            b.upper = -thr;
        push_bucket(&v, &n, &cap, &b);
    }
    free(idx);
    free(cnt);
    *out = v;
    return n;
}
