/* ordset.c - intrusive treap: random priorities keep it balanced in expectation */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ordset.h"
#include "xmalloc.h"

static uint32_t prio_state = 2463534242u;

/* xorshift32: priorities only need to be well spread, not unpredictable. */
static uint32_t
next_prio(void)
{
    prio_state ^= prio_state << 13;
    prio_state ^= prio_state >> 17;
    prio_state ^= prio_state << 5;
    return prio_state;
}

void
ordset_init(struct ordset *s, ordset_cmp_fn cmp)
{
    s->root = NULL;
    s->n = 0;
    s->cmp = cmp;
}

/* Total order: the caller's, then node address for equal elements. */
static int
total_cmp(const struct ordset *s, const struct ordset_node *a, const struct ordset_node *b)
{
    int c = s->cmp(a, b);

    if (c != 0)
        return c;
    return a < b ? -1 : a > b;
}

static struct ordset_node *
insert_at(const struct ordset *s, struct ordset_node *t, struct ordset_node *node)
{
    struct ordset_node *child;

    if (t == NULL)
        return node;
    if (total_cmp(s, node, t) < 0) {
        child = insert_at(s, t->left, node);
        t->left = child;
        if (child->prio > t->prio) { /* rotate right */
            t->left = child->right;
            child->right = t;
            return child;
        }
    } else {
        child = insert_at(s, t->right, node);
        t->right = child;
        if (child->prio > t->prio) { /* rotate left */
            t->right = child->left;
            child->left = t;
            return child;
        }
    }
    return t;
}

void
ordset_insert(struct ordset *s, struct ordset_node *node)
{
    node->left = node->right = NULL;
    node->prio = next_prio();
    s->root = insert_at(s, s->root, node);
    s->n++;
}

/* Join two treaps whose keys are all ordered (every key of a < every key of b). */
static struct ordset_node *
join(struct ordset_node *a, struct ordset_node *b)
{
    if (a == NULL)
        return b;
    if (b == NULL)
        return a;
    if (a->prio > b->prio) {
        a->right = join(a->right, b);
        return a;
    }
    b->left = join(a, b->left);
    return b;
}

void
ordset_remove(struct ordset *s, struct ordset_node *node)
{
    struct ordset_node **link = &s->root;

    while (*link != NULL && *link != node)
        link = total_cmp(s, node, *link) < 0 ? &(*link)->left : &(*link)->right;
    if (*link == NULL)
        return;
    *link = join(node->left, node->right);
    node->left = node->right = NULL;
    s->n--;
}

struct ordset_node *
ordset_first(const struct ordset *s)
{
    struct ordset_node *n = s->root;

    while (n != NULL && n->left != NULL)
        n = n->left;
    return n;
}

void
ordset_iter_init(struct ordset_iter *it, const struct ordset *s)
{
    it->stack = it->inline_stack;
    it->cap = ORDSET_ITER_INLINE;
    it->depth = 0;
    it->cur = s->root;
}

struct ordset_node *
ordset_iter_next(struct ordset_iter *it)
{
    struct ordset_node *n;

    while (it->cur != NULL) {
        if (it->depth == it->cap) {
            struct ordset_node **bigger = xreallocarray(NULL, it->cap * 2, sizeof(*bigger));
            memcpy(bigger, it->stack, it->depth * sizeof(*bigger));
            if (it->stack != it->inline_stack)
                free(it->stack);
            it->stack = bigger;
            it->cap *= 2;
        }
        it->stack[it->depth++] = it->cur;
        it->cur = it->cur->left;
    }
    if (it->depth == 0)
        return NULL;
    n = it->stack[--it->depth];
    it->cur = n->right;
    return n;
}

void
ordset_iter_done(struct ordset_iter *it)
{
    if (it->stack != it->inline_stack)
        free(it->stack);
    it->stack = it->inline_stack;
}
