/* fuzz_protoparse.c - libFuzzer harness for the protobuf push decoder and encoder */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expo_proto.h"
#include "metric.h"
#include "protoparse.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bitwise equality of doubles (NaN payloads and -0 included). */
static int
same(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Abort unless two arrays of n elements of size sz are equal. */
static void
same_array(const void *a, const void *b, size_t n, size_t sz)
{
    if (n > 0 && memcmp(a, b, n * sz) != 0)
        abort();
}

static void
same_native(const struct native_histogram *x, const struct native_histogram *y)
{
    if ((x == NULL) != (y == NULL))
        abort();
    if (x == NULL)
        return;
    if (x->schema != y->schema || !same(x->zero_threshold, y->zero_threshold) ||
        x->zero_count != y->zero_count || !same(x->zero_count_float, y->zero_count_float) ||
        x->nneg_spans != y->nneg_spans || x->nneg_deltas != y->nneg_deltas ||
        x->nneg_counts != y->nneg_counts || x->npos_spans != y->npos_spans ||
        x->npos_deltas != y->npos_deltas || x->npos_counts != y->npos_counts)
        abort();
    same_array(x->neg_spans, y->neg_spans, x->nneg_spans, sizeof(*x->neg_spans));
    same_array(x->pos_spans, y->pos_spans, x->npos_spans, sizeof(*x->pos_spans));
    same_array(x->neg_deltas, y->neg_deltas, x->nneg_deltas, sizeof(*x->neg_deltas));
    same_array(x->pos_deltas, y->pos_deltas, x->npos_deltas, sizeof(*x->pos_deltas));
    same_array(x->neg_counts, y->neg_counts, x->nneg_counts, sizeof(*x->neg_counts));
    same_array(x->pos_counts, y->pos_counts, x->npos_counts, sizeof(*x->pos_counts));
}

static void
same_metric(const struct metric *a, const struct metric *b)
{
    size_t i;

    if (a->nlabels != b->nlabels || a->kind != b->kind || a->has_timestamp != b->has_timestamp ||
        a->timestamp_ms != b->timestamp_ms || !same(a->value, b->value) || a->count != b->count ||
        !same(a->count_float, b->count_float) || !same(a->sum, b->sum) ||
        a->nquantiles != b->nquantiles || a->nbuckets != b->nbuckets)
        abort();
    for (i = 0; i < a->nlabels; i++)
        if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
            strcmp(a->labels[i].value, b->labels[i].value) != 0)
            abort();
    same_array(a->quantiles, b->quantiles, a->nquantiles, sizeof(*a->quantiles));
    same_array(a->buckets, b->buckets, a->nbuckets, sizeof(*a->buckets));
    same_native(a->native, b->native);
}

static void
same_lists(const struct family_list *a, const struct family_list *b)
{
    size_t i, j;

    if (a->n != b->n)
        abort();
    for (i = 0; i < a->n; i++) {
        const struct metric_family *x = a->v[i], *y = b->v[i];

        if (strcmp(x->name, y->name) != 0 || x->type != y->type ||
            (x->help == NULL) != (y->help == NULL) ||
            (x->help != NULL && strcmp(x->help, y->help) != 0) || x->nmetrics != y->nmetrics)
            abort();
        for (j = 0; j < x->nmetrics; j++)
            same_metric(&x->metrics[j], &y->metrics[j]);
    }
}

/* What every successful decode guarantees. */
static void
check_families(const struct family_list *fl, int utf8)
{
    size_t i, j;

    for (i = 0; i < fl->n; i++) {
        const struct metric_family *mf = fl->v[i];
        size_t n = strlen(mf->name);

        if ((unsigned)mf->type > METRIC_TYPE_MAX)
            abort();
        if (utf8 ? (n == 0 || !utf8_valid(mf->name, n)) : !metric_name_valid_legacy(mf->name, n))
            abort();
        for (j = 0; j < i; j++)
            if (strcmp(fl->v[j]->name, mf->name) == 0)
                abort();
        for (j = 0; j < mf->nmetrics; j++)
            if ((unsigned)mf->metrics[j].kind > METRIC_TYPE_MAX)
                abort();
    }
}

/*
 * The input is a push body, decoded without and with --push.enable-utf8-names. A legacy
 * success must succeed identically with the flag; every success must survive a round trip
 * through the encoder; every failure must leave the list empty with a message.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct family_list legacy, utf8, again;
    struct strbuf enc = STRBUF_INIT;
    char *err_legacy = NULL, *err_utf8 = NULL, *err_again = NULL;
    int rc_legacy, rc_utf8;

    family_list_init(&legacy);
    family_list_init(&utf8);
    family_list_init(&again);
    rc_legacy = protoparse((const char *)data, size, 0, &legacy, &err_legacy);
    rc_utf8 = protoparse((const char *)data, size, 1, &utf8, &err_utf8);
    if (rc_legacy == 0) {
        if (rc_utf8 != 0 || err_legacy != NULL)
            abort();
        check_families(&legacy, 0);
        same_lists(&legacy, &utf8);
    } else if (err_legacy == NULL || legacy.n != 0) {
        abort();
    }
    if (rc_utf8 == 0) {
        check_families(&utf8, 1);
        expo_proto_family_list(&enc, &utf8);
        if (protoparse(enc.data != NULL ? enc.data : "", enc.len, 1, &again, &err_again) != 0)
            abort();
        same_lists(&utf8, &again);
    } else if (err_utf8 == NULL || utf8.n != 0) {
        abort();
    }
    free(err_legacy);
    free(err_utf8);
    free(err_again);
    strbuf_free(&enc);
    family_list_free(&legacy);
    family_list_free(&utf8);
    family_list_free(&again);
    return 0;
}
