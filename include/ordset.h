/* ordset.h - intrusive ordered set (treap): O(log n) insert and remove, in-order walks */
#ifndef PGW_ORDSET_H
#define PGW_ORDSET_H

#include <stddef.h>
#include <stdint.h>

/* Embed one in each element. The set never allocates: elements own their node. */
struct ordset_node {
    struct ordset_node *left, *right;
    uint32_t prio;
    uint32_t aux; /* not used by the set: the element's own (it fills what would be padding) */
};

/* Order of two elements; equal elements are ordered by node address, so any cmp works. */
typedef int (*ordset_cmp_fn)(const struct ordset_node *a, const struct ordset_node *b);

struct ordset {
    struct ordset_node *root;
    size_t n;
    ordset_cmp_fn cmp;
};

void ordset_init(struct ordset *s, ordset_cmp_fn cmp);
/* Insert a node that is not in the set. */
void ordset_insert(struct ordset *s, struct ordset_node *node);
/* Remove a node that is in the set. */
void ordset_remove(struct ordset *s, struct ordset_node *node);
/* The smallest node (first in order), or NULL when the set is empty. O(log n) expected. */
struct ordset_node *ordset_first(const struct ordset *s);

/*
 * In-order iteration without recursion:
 *   struct ordset_iter it; ordset_iter_init(&it, s);
 *   while ((node = ordset_iter_next(&it)) != NULL) ...
 *   ordset_iter_done(&it);
 * The set must not change during the iteration. The path stack lives inline and only
 * moves to the heap for trees deeper than ORDSET_ITER_INLINE (practically never).
 */
#define ORDSET_ITER_INLINE 64
struct ordset_iter {
    struct ordset_node *inline_stack[ORDSET_ITER_INLINE];
    struct ordset_node **stack;
    size_t depth, cap;
    struct ordset_node *cur;
};
void ordset_iter_init(struct ordset_iter *it, const struct ordset *s);
struct ordset_node *ordset_iter_next(struct ordset_iter *it);
void ordset_iter_done(struct ordset_iter *it);

#endif
