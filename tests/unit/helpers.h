/*
 * helpers.h - what several unit tests share: grouping keys, parsed bodies and pushes into a
 * store. Include it after <cmocka.h>: the helpers assert that their input is valid.
 * Everything they return belongs to the caller.
 */
#ifndef PGW_TEST_HELPERS_H
#define PGW_TEST_HELPERS_H

#include <string.h>
#include <time.h>

#include "grouping.h"
#include "metric.h"
#include "store.h"
#include "textparse.h"

/* The grouping key of a push to /metrics/job/<job><labels> (labels "" or "/name/value/...",
 * UTF-8 label names allowed when utf8). Free with grouping_key_free(). */
static inline struct grouping_key
test_key_utf8(const char *job, const char *labels, int utf8)
{
    struct grouping_key k;
    char *err = NULL;

    assert_int_equal(grouping_parse(job, 0, labels, utf8, &k, &err), 0);
    return k;
}

static inline struct grouping_key
test_key(const char *job, const char *labels)
{
    return test_key_utf8(job, labels, 0);
}

/* The families of a text body as parsed (not sanitised). Free with family_list_free(). */
static inline struct family_list
test_parse(const char *text, int utf8)
{
    struct family_list fl;
    char *err = NULL;

    family_list_init(&fl);
    assert_int_equal(textparse(text, strlen(text), utf8, &fl, &err), 0);
    return fl;
}

/* Store a text body in group job/labels as the push handler does (sanitised, then a PUT when
 * replace, else a POST), received at ts. */
static inline void
test_push(struct store *st, const char *job, const char *labels, int utf8, const char *text,
          int replace, const struct timespec *ts)
{
    struct grouping_key k = test_key_utf8(job, labels, utf8);
    struct family_list fl = test_parse(text, utf8);

    store_sanitise(&fl, &k);
    store_push(st, &k, &fl, replace, ts);
    assert_int_equal(fl.n, 0);
    family_list_free(&fl);
    grouping_key_free(&k);
}

#endif
