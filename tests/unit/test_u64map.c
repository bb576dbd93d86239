/* test_u64map.c - the compact u64 -> u32 map: get/set/delete, key 0, growth, probe runs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hmap.h"

static void
test_empty(void **state)
{
    struct u64map m;

    (void)state;
    u64map_init(&m);
    assert_int_equal(u64map_get(&m, 1), 0);
    assert_int_equal(u64map_get(&m, 0), 0);
    u64map_set(&m, 5, 0); /* removing an absent key from an empty map */
    assert_int_equal(m.len, 0);
    assert_int_equal(u64map_bytes(&m), 0);
    u64map_free(&m);
}

static void
test_set_get_del(void **state)
{
    struct u64map m;

    (void)state;
    u64map_init(&m);
    u64map_set(&m, 42, 1);
    u64map_set(&m, 43, 7);
    assert_int_equal(m.len, 2);
    assert_int_equal(u64map_get(&m, 42), 1);
    assert_int_equal(u64map_get(&m, 43), 7);
    assert_int_equal(u64map_get(&m, 44), 0);
    u64map_set(&m, 42, 2); /* replace */
    assert_int_equal(u64map_get(&m, 42), 2);
    assert_int_equal(m.len, 2);
    u64map_set(&m, 42, 0); /* delete */
    assert_int_equal(u64map_get(&m, 42), 0);
    assert_int_equal(u64map_get(&m, 43), 7);
    assert_int_equal(m.len, 1);
    u64map_set(&m, UINT64_MAX, UINT32_MAX);
    assert_int_equal(u64map_get(&m, UINT64_MAX), UINT32_MAX);
    /* 12 bytes per slot */
    assert_int_equal(u64map_bytes(&m), m.cap * 12);
    u64map_free(&m);
    assert_int_equal(m.len, 0);
    assert_int_equal(u64map_get(&m, 43), 0);
}

static void
test_key_zero(void **state)
{
    struct u64map m;

    (void)state;
    u64map_init(&m);
    u64map_set(&m, 0, 3);
    assert_int_equal(m.len, 1);
    assert_int_equal(u64map_get(&m, 0), 3);
    assert_int_equal(u64map_get(&m, 1), 0); /* not conflated with 1 */
    u64map_set(&m, 1, 9);
    assert_int_equal(u64map_get(&m, 0), 3);
    assert_int_equal(u64map_get(&m, 1), 9);
    u64map_set(&m, 0, 4);
    assert_int_equal(m.len, 2);
    u64map_set(&m, 0, 0);
    assert_int_equal(m.len, 1);
    assert_int_equal(u64map_get(&m, 0), 0);
    u64map_set(&m, 0, 0);
    assert_int_equal(m.len, 1);
    u64map_free(&m);
}

/* xorshift64* for reproducible pseudo-random keys and operations. */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/*
 * Random sets and deletes against a plain array, over a small key space so that runs form,
 * wrap around the end of the table and are deleted from in every position. Keys are
 * multiples of a large power of two too, which a map indexing by the low bits would pile
 * into one slot.
 */
static void
check_against_reference(int spread)
{
    enum { NKEYS = 3000, NOPS = 200000 };
    static uint32_t ref[NKEYS];
    struct u64map m;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    size_t i, len = 0, maxcap = 0;

    u64map_init(&m);
    for (i = 0; i < NKEYS; i++)
        ref[i] = 0;
    for (i = 0; i < NOPS; i++) {
        uint64_t r = rnd(&s);
        /* a working set that grows and shrinks, so the table fills and empties */
        size_t range = (i / 20000) % 2 == 0 ? NKEYS : NKEYS / 10;
        size_t k = (size_t)(r % range);
        uint64_t key = spread ? (uint64_t)k << 40 : (uint64_t)k;
        uint32_t v = (r >> 32) % 3 == 0 ? 0 : (uint32_t)(r >> 40) + 1;

        if (ref[k] == 0 && v != 0)
            len++;
        else if (ref[k] != 0 && v == 0)
            len--;
        ref[k] = v;
        u64map_set(&m, key, v);
        assert_int_equal(m.len, len);
        if (m.cap > maxcap)
            maxcap = m.cap;
        if (i % 997 == 0) {
            size_t j;

            for (j = 0; j < NKEYS; j++)
                assert_int_equal(u64map_get(&m, spread ? (uint64_t)j << 40 : (uint64_t)j), ref[j]);
        }
    }
    for (i = 0; i < NKEYS; i++)
        assert_int_equal(u64map_get(&m, spread ? (uint64_t)i << 40 : (uint64_t)i), ref[i]);
    /* at most 3/4 full: 3000 keys fit in 4096 slots */
    assert_true(maxcap <= 4096);
    assert_true(m.len * 4 <= m.cap * 3);
    u64map_free(&m);
}

static void
test_random_dense(void **state)
{
    (void)state;
    check_against_reference(0);
}

static void
test_random_spread(void **state)
{
    (void)state;
    check_against_reference(1);
}

/* Growth keeps every entry; deleting them all leaves an empty (reusable) table. */
static void
test_grow_and_empty(void **state)
{
    struct u64map m;
    uint64_t i;

    (void)state;
    u64map_init(&m);
    for (i = 1; i <= 100000; i++)
        u64map_set(&m, i * 0x10001ULL, (uint32_t)i);
    assert_int_equal(m.len, 100000);
    assert_int_equal(m.cap, 262144); /* 100000 > 3/4 of 131072 */
    for (i = 1; i <= 100000; i++)
        assert_int_equal(u64map_get(&m, i * 0x10001ULL), (uint32_t)i);
    for (i = 1; i <= 100000; i += 2)
        u64map_set(&m, i * 0x10001ULL, 0);
    assert_int_equal(m.len, 50000);
    for (i = 1; i <= 100000; i++)
        assert_int_equal(u64map_get(&m, i * 0x10001ULL), i % 2 == 0 ? (uint32_t)i : 0);
    for (i = 2; i <= 100000; i += 2)
        u64map_set(&m, i * 0x10001ULL, 0);
    assert_int_equal(m.len, 0);
    for (i = 0; i < m.cap; i++)
        assert_true(m.keys[i] == 0);
    u64map_set(&m, 7, 1);
    assert_int_equal(u64map_get(&m, 7), 1);
    u64map_free(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),         cmocka_unit_test(test_set_get_del),
        cmocka_unit_test(test_key_zero),      cmocka_unit_test(test_random_dense),
        cmocka_unit_test(test_random_spread), cmocka_unit_test(test_grow_and_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
