/* hmap.h - open-addressing hash map from byte-string (or 64-bit) keys to pointers */
#ifndef PGW_HMAP_H
#define PGW_HMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Linear probing with backward-shift deletion. Keys are NOT copied: the caller keeps the
 * key bytes alive for as long as the entry exists (usually they live in the value).
 * A map used with hmap_*_u64 functions stores 64-bit keys only (no key bytes).
 */
struct hmap_entry {
    uint64_t hash; /* 0 marks an empty slot (real hashes are forced non-zero) */
    const void *key;
    size_t keylen;
    void *value;
};

struct hmap {
    struct hmap_entry *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
};

void hmap_init(struct hmap *m);
/* Free the slot array (not keys or values). */
void hmap_free(struct hmap *m);

/* Keyed 64-bit hash (SipHash-1-3 with a per-process random key); never returns 0. */
uint64_t hmap_hash(const void *data, size_t len);

void *hmap_get(const struct hmap *m, const void *key, size_t keylen);
/* Insert or replace; returns the previous value or NULL. */
void *hmap_put(struct hmap *m, const void *key, size_t keylen, void *value);
/* Remove; returns the removed value or NULL. */
void *hmap_del(struct hmap *m, const void *key, size_t keylen);

/* The same with a precomputed 64-bit key (which is its own identity). */
void *hmap_get_u64(const struct hmap *m, uint64_t key);
void *hmap_put_u64(struct hmap *m, uint64_t key, void *value);
void *hmap_del_u64(struct hmap *m, uint64_t key);

/* Iterate: for (i = 0; (e = hmap_next(m, &i)) != NULL; ) ... (no mutation while iterating). */
struct hmap_entry *hmap_next(const struct hmap *m, size_t *iter);

/*
 * A compact map from 64-bit keys to non-zero 32-bit counts: 12 bytes per slot (a key array
 * and a value array in one allocation), linear probing from a multiplicative hash of the key
 * (so any keys spread, not only hashes), at most 3/4 full, backward-shift deletion. Key 0 is
 * kept outside the table. The map owns its slot storage (u64map_free releases it); keys and
 * values are plain numbers. The store counts its series identities with one.
 */
struct u64map {
    uint64_t *keys;    /* cap keys, 0 = empty; the values follow in the same allocation */
    uint32_t *vals;    /* cap values */
    size_t cap;        /* power of two, or 0 */
    size_t len;        /* keys present, key 0 included */
    unsigned shift;    /* 64 - log2(cap): the home slot is (key * golden) >> shift */
    uint32_t zero_val; /* value of key 0, 0 = absent */
};

void u64map_init(struct u64map *m);
/* Free the storage; the map is empty (and usable) afterwards. */
void u64map_free(struct u64map *m);
/* The value of key, 0 when absent. */
uint32_t u64map_get(const struct u64map *m, uint64_t key);
/* Set key to val; val 0 removes the key. */
void u64map_set(struct u64map *m, uint64_t key, uint32_t val);
/* Bytes of slot storage (for tests and figures). */
size_t u64map_bytes(const struct u64map *m);

#endif
