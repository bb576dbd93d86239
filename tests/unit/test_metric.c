/* test_metric.c - packed families (metric_family_pack): contents, extra areas, interning */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metric.h"
#include "xmalloc.h"

/* An array of n elements of size sz filled with bytes derived from seed. */
static void *
filled(size_t n, size_t sz, unsigned seed)
{
    unsigned char *p = xmalloc(n * sz);
    size_t i;

    for (i = 0; i < n * sz; i++)
        p[i] = (unsigned char)(seed + i * 7);
    return p;
}

/* A family with every kind of owned part: labels, quantiles, buckets, native histograms. */
static struct metric_family *
sample_family(void)
{
    struct metric_family *mf = metric_family_new("h", METRIC_HISTOGRAM);
    struct metric *m;
    struct native_histogram *nh;
    size_t i;

    mf->help = xstrdup("help text");
    m = metric_family_add_metric(mf, METRIC_HISTOGRAM); /* classic buckets and a native part */
    metric_add_label(m, "job", "j");
    metric_add_label(m, "le_x", "1");
    m->count = 10;
    m->count_float = 0.5;
    m->sum = 3.25;
    m->nbuckets = 3;
    m->buckets = filled(3, sizeof(*m->buckets), 1);
    nh = xcalloc(1, sizeof(*nh));
    nh->schema = 3;
    nh->zero_threshold = 1e-9;
    nh->zero_count = 2;
    nh->nneg_spans = 1;
    nh->neg_spans = filled(1, sizeof(*nh->neg_spans), 2);
    nh->nneg_deltas = 2;
    nh->neg_deltas = filled(2, sizeof(*nh->neg_deltas), 3);
    nh->npos_spans = 3; /* 8-byte elements after 4-byte ones: alignment */
    nh->pos_spans = filled(3, sizeof(*nh->pos_spans), 4);
    nh->npos_deltas = 5;
    nh->pos_deltas = filled(5, sizeof(*nh->pos_deltas), 5);
    nh->npos_counts = 1;
    nh->pos_counts = filled(1, sizeof(*nh->pos_counts), 6);
    m->native = nh;
    m = metric_family_add_metric(mf, METRIC_SUMMARY); /* a different kind, with quantiles */
    metric_add_label(m, "job", "j");
    m->nquantiles = 2;
    m->quantiles = filled(2, sizeof(*m->quantiles), 7);
    m->ident_hash = 99;
    for (i = 0; i < 3; i++) { /* plain metrics without labels or arrays */
        m = metric_family_add_metric(mf, METRIC_HISTOGRAM);
        m->sum = (double)i;
    }
    return mf;
}

static void
assert_same_array(const void *a, size_t na, const void *b, size_t nb, size_t sz)
{
    assert_int_equal(na, nb);
    if (na == 0) {
        assert_null(b);
        return;
    }
    assert_non_null(b);
    assert_true(((uintptr_t)b & 7) == 0 || sz % 8 != 0);
    assert_memory_equal(a, b, na * sz);
}

/* Every value of b equals a's; b's arrays are distinct from a's. */
static void
assert_same_family(const struct metric_family *a, const struct metric_family *b)
{
    size_t i, j;

    assert_string_equal(a->name, b->name);
    assert_string_equal(a->help, b->help);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->nmetrics, b->nmetrics);
    for (i = 0; i < a->nmetrics; i++) {
        const struct metric *x = &a->metrics[i], *y = &b->metrics[i];

        assert_int_equal(x->kind, y->kind);
        assert_true(x->count == y->count && x->count_float == y->count_float);
        assert_true(x->sum == y->sum && x->value == y->value);
        assert_true(x->ident_hash == y->ident_hash);
        assert_int_equal(x->nlabels, y->nlabels);
        for (j = 0; j < x->nlabels; j++) {
            assert_string_equal(x->labels[j].name, y->labels[j].name);
            assert_string_equal(x->labels[j].value, y->labels[j].value);
        }
        if (x->nlabels == 0)
            assert_null(y->labels);
        assert_same_array(x->quantiles, x->nquantiles, y->quantiles, y->nquantiles,
                          sizeof(*x->quantiles));
        assert_same_array(x->buckets, x->nbuckets, y->buckets, y->nbuckets, sizeof(*x->buckets));
        if (x->native == NULL) {
            assert_null(y->native);
            continue;
        }
        assert_non_null(y->native);
        assert_int_equal(x->native->schema, y->native->schema);
        assert_true(x->native->zero_threshold == y->native->zero_threshold);
        assert_true(x->native->zero_count == y->native->zero_count);
        assert_same_array(x->native->neg_spans, x->native->nneg_spans, y->native->neg_spans,
                          y->native->nneg_spans, sizeof(*x->native->neg_spans));
        assert_same_array(x->native->neg_deltas, x->native->nneg_deltas, y->native->neg_deltas,
                          y->native->nneg_deltas, sizeof(*x->native->neg_deltas));
        assert_same_array(x->native->neg_counts, x->native->nneg_counts, y->native->neg_counts,
                          y->native->nneg_counts, sizeof(*x->native->neg_counts));
        assert_same_array(x->native->pos_spans, x->native->npos_spans, y->native->pos_spans,
                          y->native->npos_spans, sizeof(*x->native->pos_spans));
        assert_same_array(x->native->pos_deltas, x->native->npos_deltas, y->native->pos_deltas,
                          y->native->npos_deltas, sizeof(*x->native->pos_deltas));
        assert_same_array(x->native->pos_counts, x->native->npos_counts, y->native->pos_counts,
                          y->native->npos_counts, sizeof(*x->native->pos_counts));
    }
}

struct head {
    void *p;
    double d;
    char c[13];
};

static void
test_pack_contents(void **state)
{
    struct metric_family *mf = sample_family(), *ref = metric_family_dup(mf), *pf;
    struct head *head = NULL;
    unsigned char *per = NULL;
    size_t i, per_size = 20; /* not a multiple of 8: the arrays after it stay aligned */

    (void)state;
    pf = metric_family_pack(mf, sizeof(struct head), per_size, (void **)&head, (void **)&per);
    assert_int_equal(pf->interned, MF_PACKED);
    assert_same_family(ref, pf);
    /* The extra areas: zeroed, aligned, inside the block and not overlapping the metrics. */
    assert_non_null(head);
    assert_non_null(per);
    assert_true(((uintptr_t)head & 7) == 0 && ((uintptr_t)per & 7) == 0);
    assert_true((char *)head >= (char *)(pf + 1));
    assert_true((char *)(head + 1) <= (char *)pf->metrics);
    assert_true((char *)per >= (char *)(pf->metrics + pf->nmetrics));
    for (i = 0; i < sizeof(*head); i++)
        assert_int_equal(((unsigned char *)head)[i], 0);
    for (i = 0; i < pf->nmetrics * per_size; i++)
        assert_int_equal(per[i], 0);
    /* The arrays follow the per-metric area. */
    assert_true((char *)pf->metrics[0].labels >= (char *)per + pf->nmetrics * per_size);
    memset(head, 0xab, sizeof(*head));
    memset(per, 0xcd, pf->nmetrics * per_size);
    assert_same_family(ref, pf);
    /* The memo may be written in a packed family. */
    pf->metrics[2].ident_hash = 12345;
    metric_family_free(pf);
    metric_family_free(ref);
    assert_int_equal(intern_count(NULL), 0);
}

static void
test_pack_shares_strings(void **state)
{
    struct metric_family *a = sample_family(), *b = sample_family();
    size_t n, bytes;

    (void)state;
    metric_family_intern(b); /* an interned family packs as well */
    a = metric_family_pack(a, 0, 0, NULL, NULL);
    b = metric_family_pack(b, 0, 0, NULL, NULL);
    assert_ptr_equal(a->name, b->name);
    assert_ptr_equal(a->help, b->help);
    assert_ptr_equal(a->metrics[0].labels[1].value, b->metrics[1 - 1].labels[1].value);
    assert_ptr_equal(a->metrics[1].labels[0].name, b->metrics[0].labels[0].name);
    n = intern_count(&bytes);
    assert_int_equal(n, 6); /* h, help text, job, j, le_x, 1 */
    metric_family_free(a);
    assert_int_equal(intern_count(NULL), 6);
    metric_family_free(b);
    assert_int_equal(intern_count(&bytes), 0);
    assert_int_equal(bytes, 0);
}

static void
test_pack_empty(void **state)
{
    struct metric_family *mf = metric_family_new("empty", METRIC_GAUGE);
    void *head = (void *)&head, *per = (void *)&per;

    (void)state;
    mf = metric_family_pack(mf, 40, 48, &head, &per);
    assert_non_null(head);
    assert_null(per); /* no metrics, no per-metric area */
    assert_null(mf->metrics);
    assert_int_equal(mf->nmetrics, 0);
    assert_null(mf->help);
    assert_string_equal(mf->name, "empty");
    metric_family_free(mf);
    assert_int_equal(intern_count(NULL), 0);
}

static void
test_metric_layout(void **state)
{
    (void)state;
    /* The per-series struct stays small: ten 8-byte fields, three counts and two bytes. */
    assert_true(sizeof(struct metric) <= 10 * 8 + 3 * 4 + 2 + 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_contents),
        cmocka_unit_test(test_pack_shares_strings),
        cmocka_unit_test(test_pack_empty),
        cmocka_unit_test(test_metric_layout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
