/* hmap.c - open-addressing hash map with SipHash-1-3 keyed hashing */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hmap.h"
#include "xmalloc.h"

static uint64_t sip_k0, sip_k1;
static int sip_keyed;

/* Seed the hash key from /dev/urandom so colliding keys cannot be crafted from outside. */
static void
sip_init(void)
{
    unsigned char buf[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;

    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf));
        close(fd);
    }
    if (n != (ssize_t)sizeof(buf)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sip_k0 = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
        sip_k1 = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4fULL;
    } else {
        memcpy(&sip_k0, buf, 8);
        memcpy(&sip_k1, buf + 8, 8);
    }
    sip_keyed = 1;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

uint64_t
hmap_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t v0, v1, v2, v3, m, b;
    size_t i, left;

    if (!sip_keyed)
        sip_init();
    v0 = sip_k0 ^ 0x736f6d6570736575ULL;
    v1 = sip_k1 ^ 0x646f72616e646f6dULL;
    v2 = sip_k0 ^ 0x6c7967656e657261ULL;
    v3 = sip_k1 ^ 0x7465646279746573ULL;
    b = (uint64_t)len << 56;
    /* SipHash-1-3: one compression and three finalisation rounds. With a secret random
     * key it still keeps colliding keys from being crafted from outside, at about half the
     * cost of SipHash-2-4 for the short strings hashed here. */
    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&m, p + i, 8);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    left = len - i;
    m = 0;
    while (left > 0) {
        left--;
        m |= (uint64_t)p[i + left] << (8 * left);
    }
    b |= m;
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    b = v0 ^ v1 ^ v2 ^ v3;
    return b ? b : 1;
}

void
hmap_init(struct hmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void
hmap_free(struct hmap *m)
{
    free(m->slots);
    hmap_init(m);
}

/* Find the slot holding (hash, key) or the empty slot where it would go. */
static size_t
find_slot(const struct hmap *m, uint64_t hash, const void *key, size_t keylen)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;

    for (;;) {
        const struct hmap_entry *e = &m->slots[i];
        if (e->hash == 0)
            return i;
        if (e->hash == hash && e->keylen == keylen &&
            (keylen == 0 || memcmp(e->key, key, keylen) == 0))
            return i;
        i = (i + 1) & mask;
    }
}

static void
grow(struct hmap *m)
{
    struct hmap_entry *old = m->slots;
    size_t oldcap = m->cap, i;

    m->cap = oldcap ? oldcap * 2 : 16;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    for (i = 0; i < oldcap; i++) {
        if (old[i].hash != 0)
            m->slots[find_slot(m, old[i].hash, old[i].key, old[i].keylen)] = old[i];
    }
    free(old);
}

static void *
get_hashed(const struct hmap *m, uint64_t hash, const void *key, size_t keylen)
{
    const struct hmap_entry *e;

    if (m->cap == 0)
        return NULL;
    e = &m->slots[find_slot(m, hash, key, keylen)];
    return e->hash != 0 ? e->value : NULL;
}

static void *
put_hashed(struct hmap *m, uint64_t hash, const void *key, size_t keylen, void *value)
{
    struct hmap_entry *e;
    void *prev;

    if ((m->len + 1) * 4 > m->cap * 3)
        grow(m);
    e = &m->slots[find_slot(m, hash, key, keylen)];
    if (e->hash != 0) {
        prev = e->value;
        e->key = key;
        e->value = value;
        return prev;
    }
    e->hash = hash;
    e->key = key;
    e->keylen = keylen;
    e->value = value;
    m->len++;
    return NULL;
}

static void *
del_hashed(struct hmap *m, uint64_t hash, const void *key, size_t keylen)
{
    size_t mask, i, j, home;
    void *value;

    if (m->cap == 0)
        return NULL;
    mask = m->cap - 1;
    i = find_slot(m, hash, key, keylen);
    if (m->slots[i].hash == 0)
        return NULL;
    value = m->slots[i].value;
    /* Backward-shift: move later entries of the probe run into the hole. */
    j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->slots[j].hash == 0)
            break;
        home = (size_t)m->slots[j].hash & mask;
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    memset(&m->slots[i], 0, sizeof(m->slots[i]));
    m->len--;
    return value;
}

void *
hmap_get(const struct hmap *m, const void *key, size_t keylen)
{
    return get_hashed(m, hmap_hash(key, keylen), key, keylen);
}

void *
hmap_put(struct hmap *m, const void *key, size_t keylen, void *value)
{
    return put_hashed(m, hmap_hash(key, keylen), key, keylen, value);
}

void *
hmap_del(struct hmap *m, const void *key, size_t keylen)
{
    return del_hashed(m, hmap_hash(key, keylen), key, keylen);
}

void *
hmap_get_u64(const struct hmap *m, uint64_t key)
{
    return get_hashed(m, key ? key : 1, NULL, 0);
}

void *
hmap_put_u64(struct hmap *m, uint64_t key, void *value)
{
    return put_hashed(m, key ? key : 1, NULL, 0, value);
}

void *
hmap_del_u64(struct hmap *m, uint64_t key)
{
    return del_hashed(m, key ? key : 1, NULL, 0);
}

struct hmap_entry *
hmap_next(const struct hmap *m, size_t *iter)
{
    while (*iter < m->cap) {
        struct hmap_entry *e = &m->slots[(*iter)++];
        if (e->hash != 0)
            return e;
    }
    return NULL;
}

/* ---- u64map: 64-bit keys to 32-bit values, 12 bytes per slot ---- */

#define U64MAP_GOLDEN 0x9e3779b97f4a7c15ULL /* 2^64 / golden ratio: Fibonacci hashing */
#define U64MAP_MIN_CAP 16

void
u64map_init(struct u64map *m)
{
    memset(m, 0, sizeof(*m));
}

void
u64map_free(struct u64map *m)
{
    free(m->keys);
    u64map_init(m);
}

/* The slot where key's probe run starts. */
static size_t
u64map_home(const struct u64map *m, uint64_t key)
{
    return (size_t)((key * U64MAP_GOLDEN) >> m->shift);
}

/* The slot holding key (non-zero) or the empty slot where it would go; cap > 0. */
static size_t
u64map_find(const struct u64map *m, uint64_t key)
{
    size_t mask = m->cap - 1, i = u64map_home(m, key);

    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

/* Move the entries into a table of newcap slots (a power of two >= U64MAP_MIN_CAP). */
static void
u64map_resize(struct u64map *m, size_t newcap)
{
    uint64_t *oldkeys = m->keys;
    uint32_t *oldvals = m->vals;
    size_t oldcap = m->cap, i;
    unsigned shift = 64;

    for (i = newcap; i > 1; i >>= 1)
        shift--;
    m->keys = xcalloc(newcap, sizeof(*m->keys) + sizeof(*m->vals));
    m->vals = (uint32_t *)(m->keys + newcap);
    m->cap = newcap;
    m->shift = shift;
    for (i = 0; i < oldcap; i++) {
        if (oldkeys[i] != 0) {
            size_t at = u64map_find(m, oldkeys[i]);

            m->keys[at] = oldkeys[i];
            m->vals[at] = oldvals[i];
        }
    }
    free(oldkeys);
}

uint32_t
u64map_get(const struct u64map *m, uint64_t key)
{
    size_t i;

    if (key == 0)
        return m->zero_val;
    if (m->cap == 0)
        return 0;
    i = u64map_find(m, key);
    return m->keys[i] != 0 ? m->vals[i] : 0;
}

/* Remove key (non-zero) from the table, if present. */
static void
u64map_del(struct u64map *m, uint64_t key)
{
    size_t mask, i, j, home;

    if (m->cap == 0)
        return;
    mask = m->cap - 1;
    i = u64map_find(m, key);
    if (m->keys[i] == 0)
        return;
    /* Backward shift: move later entries of the probe run into the hole when their home
     * slot is not cyclically in (hole, entry]. */
    j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->keys[j] == 0)
            break;
        home = u64map_home(m, m->keys[j]);
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->vals[i] = 0;
    m->len--;
}

void
u64map_set(struct u64map *m, uint64_t key, uint32_t val)
{
    size_t i;

    if (key == 0) {
        if (m->zero_val == 0 && val != 0)
            m->len++;
        else if (m->zero_val != 0 && val == 0)
            m->len--;
        m->zero_val = val;
        return;
    }
    if (val == 0) {
        u64map_del(m, key);
        return;
    }
    if ((m->len + 1) * 4 > m->cap * 3)
        u64map_resize(m, m->cap != 0 ? m->cap * 2 : U64MAP_MIN_CAP);
    i = u64map_find(m, key);
    if (m->keys[i] == 0) {
        m->keys[i] = key;
        m->len++;
    }
    m->vals[i] = val;
}

size_t
u64map_bytes(const struct u64map *m)
{
    return m->cap * (sizeof(*m->keys) + sizeof(*m->vals));
}
