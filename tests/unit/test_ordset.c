/* test_ordset.c - the treap: order, duplicates, removal, large sets, deep iteration */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ordset.h"

struct item {
    struct ordset_node node; /* first member: a node pointer is an item pointer */
    int key;
    int in;
};

static int
item_cmp(const struct ordset_node *a, const struct ordset_node *b)
{
    int x = ((const struct item *)a)->key, y = ((const struct item *)b)->key;
    return x < y ? -1 : x > y;
}

/* Walk the set and check it is sorted and holds exactly the items marked in. */
static void
check_sorted(struct ordset *s, struct item *items, size_t n)
{
    struct ordset_iter it;
    struct ordset_node *nd;
    size_t seen = 0, want = 0, i;
    int prev = -1;

    for (i = 0; i < n; i++)
        want += (size_t)items[i].in;
    ordset_iter_init(&it, s);
    while ((nd = ordset_iter_next(&it)) != NULL) {
        struct item *x = (struct item *)nd;
        assert_true(x->in);
        /* The set never touches the element's aux field (the store keeps an index there). */
        assert_int_equal(x->node.aux, (uint32_t)(x - items) ^ 0x5a5a5a5au);
        assert_true(x->key >= prev);
        prev = x->key;
        seen++;
    }
    ordset_iter_done(&it);
    assert_int_equal(seen, want);
    assert_int_equal(s->n, want);
}

static void
test_random_ops(void **state)
{
    enum { N = 20000 };
    struct item *items = calloc(N, sizeof(*items));
    struct ordset s;
    unsigned int seed = 42;
    size_t i;

    (void)state;
    ordset_init(&s, item_cmp);
    for (i = 0; i < N; i++) {
        items[i].key = (int)(rand_r(&seed) % 1000); /* many duplicates */
        items[i].node.aux = (uint32_t)i ^ 0x5a5a5a5au;
        ordset_insert(&s, &items[i].node);
        items[i].in = 1;
    }
    check_sorted(&s, items, N);
    for (i = 0; i < N; i += 3) {
        ordset_remove(&s, &items[i].node);
        items[i].in = 0;
    }
    check_sorted(&s, items, N);
    /* Re-insert with new keys, as a replaced series would be. */
    for (i = 0; i < N; i += 3) {
        items[i].key = (int)(rand_r(&seed) % 1000);
        ordset_insert(&s, &items[i].node);
        items[i].in = 1;
    }
    check_sorted(&s, items, N);
    for (i = 0; i < N; i++)
        ordset_remove(&s, &items[i].node);
    assert_int_equal(s.n, 0);
    assert_null(s.root);
    free(items);
}

static void
test_deep_iteration(void **state)
{
    /* A degenerate chain deeper than the inline stack must still iterate in order. */
    enum { N = 300 };
    struct item items[N];
    struct ordset s;
    struct ordset_iter it;
    struct ordset_node *nd;
    int i, expect = 0;

    (void)state;
    ordset_init(&s, item_cmp);
    for (i = 0; i < N; i++) {
        items[i].key = i + 1;
        items[i].node.left = i > 0 ? &items[i - 1].node : NULL;
        items[i].node.right = NULL;
    }
    s.root = &items[N - 1].node; /* a left-leaning chain: 1 .. N */
    s.n = N;
    ordset_iter_init(&it, &s);
    while ((nd = ordset_iter_next(&it)) != NULL)
        assert_int_equal(((struct item *)nd)->key, ++expect);
    ordset_iter_done(&it);
    assert_int_equal(expect, N);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_deep_iteration),
    };
    return cmocka_run_group_tests_name("ordset", tests, NULL, NULL);
}
