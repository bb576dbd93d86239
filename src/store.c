/* store.c - in-memory store: groups, families, and the family and series indexes */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "exposition.h"
#include "store.h"
#include "strbuf.h"
#include "xmalloc.h"

static void group_free(struct store *st, struct group *g);
static int expiry_node_cmp(const struct ordset_node *a, const struct ordset_node *b);

void
store_init(struct store *st)
{
    memset(st, 0, sizeof(*st));
    hmap_init(&st->groups);
    hmap_init(&st->families);
    u64map_init(&st->series);
    ordset_init(&st->expiring, expiry_node_cmp);
}

void
store_free(struct store *st)
{
    store_wipe(st);
    hmap_free(&st->groups);
    hmap_free(&st->families);
    u64map_free(&st->series);
    free(st->sorted_groups);
    free(st->sorted_families);
    memset(st, 0, sizeof(*st));
}

uint64_t
store_series_hash(const char *name, const struct metric *m)
{
    /* name \xff (label \xff value \xff)* -- the bytes upstream's duplicate check hashes. */
    static struct strbuf sb = STRBUF_INIT;
    size_t i;

    if (m->ident_hash != 0)
        return m->ident_hash;
    strbuf_reset(&sb);
    strbuf_addstr(&sb, name);
    strbuf_addch(&sb, '\xff');
    for (i = 0; i < m->nlabels; i++) {
        strbuf_addstr(&sb, m->labels[i].name);
        strbuf_addch(&sb, '\xff');
        strbuf_addstr(&sb, m->labels[i].value);
        strbuf_addch(&sb, '\xff');
    }
    /* A memo on the metric: the name and labels of a stored or checked metric are final. */
    ((struct metric *)m)->ident_hash = hmap_hash(sb.data, sb.len);
    return m->ident_hash;
}

uint32_t
store_series_count(const struct store *st, uint64_t identity)
{
    return u64map_get(&st->series, identity);
}

/* Count one more (delta 1) or one less (delta -1) stored series with this identity. */
static void
series_adjust(struct store *st, uint64_t h, int delta)
{
    uint32_t n = u64map_get(&st->series, h);

    if (delta > 0) {
        if (n >= 1)
            st->duplicate_series++;
        u64map_set(&st->series, h, n + 1);
    } else if (n <= 1) {
        u64map_set(&st->series, h, 0);
    } else {
        st->duplicate_series--;
        u64map_set(&st->series, h, n - 1);
    }
}

struct famidx *
store_famidx(const struct store *st, const char *name)
{
    return hmap_get(&st->families, name, strlen(name));
}

/* Exposition order of two stored metrics (series_node). */
static int
series_node_cmp(const struct ordset_node *a, const struct ordset_node *b)
{
    return expo_metric_cmp(series_node_metric((const struct series_node *)a),
                           series_node_metric((const struct series_node *)b));
}

int
store_is_timestamp_family(const char *name)
{
    return strcmp(name, PUSH_TIME_NAME) == 0 || strcmp(name, PUSH_FAILURE_TIME_NAME) == 0;
}

/* Drop the renderings cached for a family name whose members change. */
static void
famidx_invalidate(struct famidx *fi)
{
    gzip_segment_unref(fi->gz);
    fi->gz = NULL;
    fi->first = NULL;
}

/* Register a stored family in the family and series indexes. */
static void
family_link(struct store *st, struct stored_family *sf)
{
    struct metric_family *mf = sf->mf;
    struct famidx *fi = store_famidx(st, mf->name);
    struct series_node *nodes = stored_family_nodes(sf);
    size_t i;

    if (fi == NULL) {
        fi = xcalloc(1, sizeof(*fi));
        fi->name = xstrdup(mf->name);
        ordset_init(&fi->order, series_node_cmp);
        hmap_put(&st->families, fi->name, strlen(fi->name), fi);
        free(st->sorted_families);
        st->sorted_families = NULL;
    }
    fi->ntype[mf->type]++;
    fi->nmembers++;
    famidx_invalidate(fi);
    if (!store_is_timestamp_family(mf->name)) {
        sf->group->nseries += mf->nmetrics;
        st->nseries += mf->nmetrics;
    }
    sf->idx = fi;
    sf->idx_prev = NULL;
    sf->idx_next = fi->members;
    if (fi->members != NULL)
        fi->members->idx_prev = sf;
    fi->members = sf;
    for (i = 0; i < mf->nmetrics; i++) {
        series_adjust(st, store_series_hash(mf->name, &mf->metrics[i]), 1);
        nodes[i].sf = sf;
        nodes[i].node.aux = (uint32_t)i;
        ordset_insert(&fi->order, &nodes[i].node);
    }
}

/* Remove a stored family from the indexes and free it. */
static void
family_unlink_free(struct store *st, struct stored_family *sf)
{
    struct metric_family *mf = sf->mf;
    struct famidx *fi = sf->idx;
    struct series_node *nodes = stored_family_nodes(sf);
    size_t i;

    for (i = 0; i < mf->nmetrics; i++) {
        series_adjust(st, store_series_hash(mf->name, &mf->metrics[i]), -1);
        ordset_remove(&fi->order, &nodes[i].node);
    }
    free(sf->text);
    free(sf->proto);
    fi->ntype[mf->type]--;
    fi->nmembers--;
    famidx_invalidate(fi);
    if (!store_is_timestamp_family(mf->name)) {
        sf->group->nseries -= mf->nmetrics;
        st->nseries -= mf->nmetrics;
    }
    if (sf->idx_prev != NULL)
        sf->idx_prev->idx_next = sf->idx_next;
    else
        fi->members = sf->idx_next;
    if (sf->idx_next != NULL)
        sf->idx_next->idx_prev = sf->idx_prev;
    if (fi->nmembers == 0) {
        hmap_del(&st->families, fi->name, strlen(fi->name));
        free(fi->name);
        free(fi);
        free(st->sorted_families);
        st->sorted_families = NULL;
    }
    metric_family_free(mf); /* sf and its nodes live in mf's block */
}

/* Binary search for a family of a group; returns its index or the insertion point. */
static size_t
group_find(const struct group *g, const char *name, int *found)
{
    size_t lo = 0, hi = g->nfams;

    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->fams[mid]->mf->name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct stored_family *
group_family(const struct group *g, const char *name)
{
    int found;
    size_t i = group_find(g, name, &found);

    return found ? g->fams[i] : NULL;
}

/* Drop the cached renderings of a group that is about to change. */
static void
group_invalidate(struct group *g)
{
    rcbytes_unref(g->cache.json);
    g->cache.json = NULL;
}

/*
 * The values of sf's family were changed in place (a re-push of the same series, the gateway's
 * timestamp): drop what was derived from them. Its series, labels and place in the indexes
 * stay. The caller drops the group's renderings (group_invalidate).
 */
static void
family_values_changed(struct stored_family *sf, const struct timespec *ts)
{
    sf->ts = *ts;
    free(sf->text);
    sf->text = NULL;
    free(sf->proto);
    sf->proto = NULL;
    famidx_invalidate(sf->idx);
}

/*
 * Store mf as sf's new content by changing values only, when mf has sf's type and HELP and,
 * metric by metric, the same series (metric_same_series): what a batch job pushing again
 * usually sends. The series index, the exposition order and the interned strings then stay
 * as they are. Returns 1 and frees mf when done; 0 (mf untouched) otherwise.
 */
static int
family_update_values(struct stored_family *sf, struct metric_family *mf, const struct timespec *ts)
{
    struct metric_family *old = sf->mf;
    size_t i;

    if (old->type != mf->type || old->nmetrics != mf->nmetrics ||
        (old->help == NULL) != (mf->help == NULL) ||
        (old->help != NULL && strcmp(old->help, mf->help) != 0))
        return 0;
    for (i = 0; i < mf->nmetrics; i++)
        if (!metric_same_series(&old->metrics[i], &mf->metrics[i]))
            return 0;
    for (i = 0; i < mf->nmetrics; i++)
        metric_copy_values(&old->metrics[i], &mf->metrics[i]);
    family_values_changed(sf, ts);
    metric_family_free(mf);
    return 1;
}

/* A stored family for mf (taken) in group g, linked into the indexes (not into g->fams). */
static struct stored_family *
stored_family_new(struct store *st, struct group *g, struct metric_family *mf,
                  const struct timespec *ts)
{
    struct stored_family *sf;
    void *head, *nodes;

    /* Stored families share their strings (most label names and values repeat) and take
     * one allocation each, stored_family and series nodes included. */
    mf = metric_family_pack(mf, sizeof(*sf), sizeof(struct series_node), &head, &nodes);
    sf = head;
    sf->mf = mf;
    /* The series nodes follow the metrics (stored_family_nodes finds them there). */
    if (mf->nmetrics > 0 && nodes != (void *)stored_family_nodes(sf))
        abort();
    sf->ts = *ts;
    sf->group = g;
    family_link(st, sf);
    return sf;
}

/* Store mf in group g at time ts, replacing a family of the same name. Takes mf. */
static void
group_set_family(struct store *st, struct group *g, struct metric_family *mf,
                 const struct timespec *ts)
{
    struct stored_family *sf;
    int found;
    size_t i = group_find(g, mf->name, &found);

    group_invalidate(g);
    if (found) {
        if (family_update_values(g->fams[i], mf, ts))
            return;
        family_unlink_free(st, g->fams[i]);
    } else {
        g->fams = xreallocarray(g->fams, g->nfams + 1, sizeof(*g->fams));
        memmove(&g->fams[i + 1], &g->fams[i], (g->nfams - i) * sizeof(*g->fams));
        g->nfams++;
    }
    sf = stored_family_new(st, g, mf, ts);
    g->fams[i] = sf;
}

/* Order of two families by name (for families_sort). */
static int
mf_name_before(const struct metric_family *a, const struct metric_family *b)
{
    return strcmp(a->name, b->name) < 0;
}

/* Sort families by name, stably (merge sort): of equal names the last pushed stays last. */
static void
families_sort(struct metric_family **v, size_t n)
{
    struct metric_family **tmp = xreallocarray(NULL, n > 0 ? n : 1, sizeof(*tmp));
    struct metric_family **src = v, **dst = tmp, **swap;
    size_t width, i;

    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            size_t a = i, mid = i + width < n ? i + width : n;
            size_t b = mid, end = i + 2 * width < n ? i + 2 * width : n, o = i;

            while (a < mid && b < end)
                dst[o++] = mf_name_before(src[b], src[a]) ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < end)
                dst[o++] = src[b++];
        }
        swap = src;
        src = dst;
        dst = swap;
    }
    if (src != v)
        memcpy(v, src, n * sizeof(*v));
    free(tmp);
}

/*
 * Store the families v[0..n) (sorted by name, names distinct) into g at time ts. Families
 * of an existing name are replaced in place; the new ones are merged into g->fams in one
 * pass. A push of k families into a group of m costs O(k log m + m), where inserting them
 * one by one would cost O(k * m) (a hostile push of a million families).
 */
static void
group_set_families(struct store *st, struct group *g, struct metric_family **v, size_t n,
                   const struct timespec *ts)
{
    struct stored_family **fresh = xreallocarray(NULL, n > 0 ? n : 1, sizeof(*fresh));
    size_t i, nfresh = 0, added, a, w;

    group_invalidate(g);
    for (i = 0; i < n; i++) {
        int found;
        size_t at = group_find(g, v[i]->name, &found);

        if (found) {
            if (family_update_values(g->fams[at], v[i], ts))
                continue;
            family_unlink_free(st, g->fams[at]);
            g->fams[at] = stored_family_new(st, g, v[i], ts);
        } else {
            fresh[nfresh++] = stored_family_new(st, g, v[i], ts);
        }
    }
    added = nfresh;
    a = g->nfams;
    w = g->nfams + nfresh;
    g->fams = xreallocarray(g->fams, w > 0 ? w : 1, sizeof(*g->fams));
    while (nfresh > 0) {
        if (a > 0 && strcmp(g->fams[a - 1]->mf->name, fresh[nfresh - 1]->mf->name) > 0)
            g->fams[--w] = g->fams[--a];
        else
            g->fams[--w] = fresh[--nfresh];
    }
    g->nfams += added;
    free(fresh);
}

/*
 * What a PUT does before storing its families v[0..n) (sorted by name, distinct): remove
 * every family of g except the two timestamp families and those of a name in v, which
 * group_set_families() then replaces (in place when only their values change). One merge
 * pass over g->fams and v.
 */
static void
group_keep_only(struct store *st, struct group *g, struct metric_family *const *v, size_t n)
{
    size_t i, j = 0, w = 0;

    group_invalidate(g);
    for (i = 0; i < g->nfams; i++) {
        struct stored_family *sf = g->fams[i];
        const char *name = sf->mf->name;
        int c = 1;

        while (j < n && (c = strcmp(v[j]->name, name)) < 0)
            j++;
        if (c == 0 || store_is_timestamp_family(name))
            g->fams[w++] = sf;
        else
            family_unlink_free(st, sf);
    }
    g->nfams = w;
}

/* Remove the family at index i of group g. */
static void
group_remove_family_at(struct store *st, struct group *g, size_t i)
{
    group_invalidate(g);
    family_unlink_free(st, g->fams[i]);
    memmove(&g->fams[i], &g->fams[i + 1], (g->nfams - i - 1) * sizeof(*g->fams));
    g->nfams--;
}

struct group *
store_group(const struct store *st, const struct grouping_key *key)
{
    size_t len;
    char *ks = grouping_key_string(key, &len);
    struct group *g = hmap_get(&st->groups, ks, len);

    free(ks);
    return g;
}

/* Find or create the group for key; *created tells which. */
/* A group keeps its key's strings interned: the same strings as its metrics' labels. */
static void
group_key_set(struct group *g, const struct grouping_key *key)
{
    size_t i;

    g->key.n = key->n;
    g->key.labels = key->n > 0 ? xreallocarray(NULL, key->n, sizeof(*g->key.labels)) : NULL;
    for (i = 0; i < key->n; i++) {
        g->key.labels[i].name = intern_str(key->labels[i].name);
        g->key.labels[i].value = intern_str(key->labels[i].value);
    }
}

static void
group_key_clear(struct group *g)
{
    size_t i;

    for (i = 0; i < g->key.n; i++) {
        intern_release(g->key.labels[i].name);
        intern_release(g->key.labels[i].value);
    }
    free(g->key.labels);
    g->key.labels = NULL;
    g->key.n = 0;
}

static struct group *
group_get_or_create(struct store *st, const struct grouping_key *key, int *created)
{
    size_t len;
    char *ks = grouping_key_string(key, &len);
    struct group *g = hmap_get(&st->groups, ks, len);

    *created = 0;
    if (g != NULL) {
        free(ks);
        return g;
    }
    g = xcalloc(1, sizeof(*g));
    group_key_set(g, key);
    g->keystr = ks;
    g->keylen = len;
    g->ttl = STORE_TTL_DEFAULT;
    hmap_put(&st->groups, g->keystr, g->keylen, g);
    free(st->sorted_groups);
    st->sorted_groups = NULL;
    *created = 1;
    return g;
}

/* ---- expiry (docs/ttl.md) ---- */

/* The group an expiry index node belongs to. */
static struct group *
exp_group(const struct ordset_node *n)
{
    return (struct group *)((char *)n - offsetof(struct group, exp_node));
}

/* Canonical key order of two groups. */
static int
group_key_cmp(const struct group *ga, const struct group *gb)
{
    size_t n = ga->keylen < gb->keylen ? ga->keylen : gb->keylen;
    int c = memcmp(ga->keystr, gb->keystr, n);

    if (c != 0)
        return c;
    return ga->keylen < gb->keylen ? -1 : ga->keylen > gb->keylen;
}

/* Deadline order; groups due at the same time in key order. */
static int
expiry_node_cmp(const struct ordset_node *a, const struct ordset_node *b)
{
    const struct group *ga = exp_group(a), *gb = exp_group(b);

    if (ga->expires.tv_sec != gb->expires.tv_sec)
        return ga->expires.tv_sec < gb->expires.tv_sec ? -1 : 1;
    if (ga->expires.tv_nsec != gb->expires.tv_nsec)
        return ga->expires.tv_nsec < gb->expires.tv_nsec ? -1 : 1;
    return group_key_cmp(ga, gb);
}

/* t + ns (ns >= 0), saturating at the largest time_t. */
static struct timespec
timespec_add_ns(const struct timespec *t, int64_t ns)
{
    const int64_t tmax = sizeof(time_t) >= 8 ? INT64_MAX : (int64_t)INT32_MAX;
    int64_t add = ns / 1000000000LL, sec = (int64_t)t->tv_sec;
    long nsec = t->tv_nsec + (long)(ns % 1000000000LL);
    struct timespec r;

    if (nsec >= 1000000000L) {
        nsec -= 1000000000L;
        add++;
    }
    if (sec > tmax - add) {
        sec = tmax;
        nsec = 999999999L;
    } else {
        sec += add;
    }
    r.tv_sec = (time_t)sec;
    r.tv_nsec = nsec;
    return r;
}

int64_t
group_effective_ttl(const struct store *st, const struct group *g)
{
    int64_t ttl = g->ttl == STORE_TTL_DEFAULT ? st->default_ttl : g->ttl;

    return ttl > 0 ? ttl : 0;
}

/*
 * Recompute g's deadline from its push_time_seconds receive time and effective TTL, and
 * (re)place it in the index. The cached JSON shows the deadline: it is dropped on a change.
 */
static void
group_schedule(struct store *st, struct group *g)
{
    const struct stored_family *pt = group_family(g, PUSH_TIME_NAME);
    int64_t ttl = group_effective_ttl(st, g);
    struct timespec exp = {0, 0};
    int expiring = ttl > 0 && pt != NULL;

    if (expiring)
        exp = timespec_add_ns(&pt->ts, ttl);
    if (expiring == g->expiring &&
        (!expiring || (exp.tv_sec == g->expires.tv_sec && exp.tv_nsec == g->expires.tv_nsec)))
        return;
    group_invalidate(g);
    if (g->expiring)
        ordset_remove(&st->expiring, &g->exp_node);
    g->expiring = expiring;
    g->expires = exp;
    if (expiring)
        ordset_insert(&st->expiring, &g->exp_node);
}

void
store_set_default_ttl(struct store *st, int64_t ttl)
{
    struct hmap_entry *e;
    size_t it = 0;

    st->default_ttl = ttl > 0 ? ttl : 0;
    while ((e = hmap_next(&st->groups, &it)) != NULL) {
        struct group *g = e->value;

        if (g->ttl == STORE_TTL_DEFAULT)
            group_schedule(st, g);
    }
}

void
store_set_ttl(struct store *st, struct group *g, int64_t ttl)
{
    if (ttl < 0)
        ttl = STORE_TTL_DEFAULT;
    if (g->ttl != ttl) {
        group_invalidate(g);
        g->ttl = ttl;
    }
    group_schedule(st, g);
    st->generation++;
}

struct group *
store_next_expiring(const struct store *st)
{
    struct ordset_node *n = ordset_first(&st->expiring);

    return n != NULL ? exp_group(n) : NULL;
}

size_t
store_expiring_count(const struct store *st)
{
    return st->expiring.n;
}

/* metric_add_label into room made beforehand (store_sanitise). */
static void
label_append(struct metric *m, const char *name, const char *value)
{
    m->labels[m->nlabels].name = xstrdup(name);
    m->labels[m->nlabels].value = xstrdup(value);
    m->nlabels++;
    m->ident_hash = 0;
}

void
store_sanitise(struct family_list *fams, const struct grouping_key *key)
{
    size_t f, i, k;

    for (f = 0; f < fams->n; f++) {
        struct metric_family *mf = fams->v[f];
        for (i = 0; i < mf->nmetrics; i++) {
            struct metric *m = &mf->metrics[i];
            /* Big label sets (hostile pushes, URLs with thousands of labels) get a map of
             * the names: the search must not cost labels times grouping labels. */
            struct hmap names;
            int use_map = m->nlabels + key->n > 32;
            size_t j;

            /* Room for every label this may add: one allocation instead of one per label. */
            m->labels = xreallocarray(m->labels, m->nlabels + key->n + 1, sizeof(*m->labels));

            if (use_map) {
                hmap_init(&names);
                for (j = m->nlabels; j-- > 0;) /* the first of a name wins */
                    hmap_put(&names, m->labels[j].name, strlen(m->labels[j].name),
                             (void *)(uintptr_t)(j + 1));
            }
            for (k = 0; k < key->n; k++) {
                const char *kn = key->labels[k].name;

                /* Overwrite the first pushed label of that name, as upstream does. */
                if (use_map) {
                    void *v = hmap_get(&names, kn, strlen(kn));

                    j = v != NULL ? (size_t)(uintptr_t)v - 1 : m->nlabels;
                } else {
                    for (j = 0; j < m->nlabels; j++)
                        if (strcmp(m->labels[j].name, kn) == 0)
                            break;
                }
                if (j < m->nlabels) {
                    free(m->labels[j].value);
                    m->labels[j].value = xstrdup(key->labels[k].value);
                    m->ident_hash = 0;
                } else {
                    label_append(m, kn, key->labels[k].value);
                    if (use_map)
                        hmap_put(&names, m->labels[m->nlabels - 1].name, strlen(kn),
                                 (void *)(uintptr_t)m->nlabels);
                }
            }
            if (use_map)
                hmap_free(&names);
            if (metric_label(m, "instance") == NULL)
                label_append(m, "instance", "");
            metric_sort_labels(m);
        }
    }
}

/* float64(t.UnixNano()) / 1e9, exactly as upstream computes a timestamp family's value. */
static double
timestamp_value(const struct timespec *t)
{
    return (double)((int64_t)t->tv_sec * 1000000000LL + t->tv_nsec) / 1e9;
}

struct metric_family *
store_timestamp_family(const char *name, const struct grouping_key *key, const struct timespec *t)
{
    const char *help = strcmp(name, PUSH_TIME_NAME) == 0 ? PUSH_TIME_HELP : PUSH_FAILURE_TIME_HELP;
    struct metric_family *mf = metric_family_new(name, METRIC_GAUGE);
    struct metric *m = metric_family_add_metric(mf, METRIC_GAUGE);
    size_t k;

    mf->help = xstrdup(help);
    if (t != NULL)
        m->value = timestamp_value(t);
    /* What store_sanitise() makes of it: the grouping labels, instance="" if absent. */
    for (k = 0; k < key->n; k++)
        metric_add_label(m, key->labels[k].name, key->labels[k].value);
    if (metric_label(m, "instance") == NULL)
        metric_add_label(m, "instance", "");
    metric_sort_labels(m);
    return mf;
}

/*
 * Is sf the family store_timestamp_family() makes for key: one gauge with the gateway's HELP
 * whose labels are the grouping labels, plus instance="" when the key has no instance?
 */
static int
is_gateway_timestamp_family(const struct stored_family *sf, const struct grouping_key *key)
{
    const struct metric_family *mf = sf->mf;
    const struct metric *m = &mf->metrics[0];
    size_t i, k, matched = 0;

    const char *help =
        strcmp(mf->name, PUSH_TIME_NAME) == 0 ? PUSH_TIME_HELP : PUSH_FAILURE_TIME_HELP;

    /* A pushed push_failure_time_seconds (kept in an existing group) may look alike. */
    if (mf->type != METRIC_GAUGE || mf->nmetrics != 1 || m->kind != METRIC_GAUGE ||
        mf->help == NULL || strcmp(mf->help, help) != 0)
        return 0;
    for (i = 0; i < m->nlabels; i++) {
        for (k = 0; k < key->n; k++)
            if (strcmp(m->labels[i].name, key->labels[k].name) == 0)
                break;
        if (k < key->n) {
            if (strcmp(m->labels[i].value, key->labels[k].value) != 0)
                return 0;
            matched++;
        } else if (strcmp(m->labels[i].name, "instance") != 0 || m->labels[i].value[0] != '\0') {
            return 0;
        }
    }
    return matched == key->n;
}

int
group_has_gateway_timestamp(const struct group *g, const struct grouping_key *key, const char *name)
{
    const struct stored_family *sf = group_family(g, name);

    return sf != NULL && is_gateway_timestamp_family(sf, key);
}

/*
 * Set a group's timestamp family `name` to the time t (NULL for 0), received at ts. A push
 * changes only the value of the family the gateway made at the group's previous push: it is
 * updated in place, and what was derived from it dropped (its renderings, the compressed
 * rendering of its name, the group's JSON); its series, labels and place in the indexes stay.
 * Otherwise the family is made and stored anew.
 */
static void
group_set_timestamp(struct store *st, struct group *g, const struct grouping_key *key,
                    const char *name, const struct timespec *t, const struct timespec *ts)
{
    struct stored_family *sf = (struct stored_family *)group_family(g, name);

    if (sf != NULL && is_gateway_timestamp_family(sf, key)) {
        sf->mf->metrics[0].value = t != NULL ? timestamp_value(t) : 0;
        family_values_changed(sf, ts);
        group_invalidate(g);
        return;
    }
    group_set_family(st, g, store_timestamp_family(name, key, t), ts);
}

void
store_push(struct store *st, const struct grouping_key *key, struct family_list *fams, int replace,
           const struct timespec *ts)
{
    store_push_ttl(st, key, fams, replace, ts, STORE_TTL_DEFAULT);
}

void
store_push_ttl(struct store *st, const struct grouping_key *key, struct family_list *fams,
               int replace, const struct timespec *ts, int64_t ttl)
{
    int created;
    struct group *g = group_get_or_create(st, key, &created);
    size_t i, npushed, nstore;

    for (i = npushed = 0; i < fams->n; i++) {
        struct metric_family *mf = fams->v[i];
        /* push_time_seconds is always the gateway's; a pushed push_failure_time_seconds
         * only survives into an existing group (upstream quirk, spec §6.2). */
        if (strcmp(mf->name, PUSH_TIME_NAME) == 0 ||
            (created && strcmp(mf->name, PUSH_FAILURE_TIME_NAME) == 0)) {
            metric_family_free(mf);
            continue;
        }
        fams->v[npushed++] = mf;
    }
    /* By name; of a name pushed twice the last one is stored, as one by one would. */
    families_sort(fams->v, npushed);
    for (i = nstore = 0; i < npushed; i++) {
        if (i + 1 < npushed && strcmp(fams->v[i]->name, fams->v[i + 1]->name) == 0)
            metric_family_free(fams->v[i]);
        else
            fams->v[nstore++] = fams->v[i];
    }
    if (!created && replace)
        group_keep_only(st, g, fams->v, nstore);
    group_set_families(st, g, fams->v, nstore, ts);
    fams->n = 0;
    group_set_timestamp(st, g, key, PUSH_TIME_NAME, ts, ts);
    if (group_family(g, PUSH_FAILURE_TIME_NAME) == NULL)
        group_set_family(st, g, store_timestamp_family(PUSH_FAILURE_TIME_NAME, key, NULL), ts);
    g->ttl = ttl < 0 ? STORE_TTL_DEFAULT : ttl;
    group_schedule(st, g);
    st->generation++;
}

void
store_push_failed(struct store *st, const struct grouping_key *key, const struct timespec *ts)
{
    int created;
    struct group *g = group_get_or_create(st, key, &created);

    group_set_timestamp(st, g, key, PUSH_FAILURE_TIME_NAME, ts, ts);
    if (group_family(g, PUSH_TIME_NAME) == NULL)
        group_set_family(st, g, store_timestamp_family(PUSH_TIME_NAME, key, NULL), ts);
    group_schedule(st, g);
    st->generation++;
}

void
store_restore_group(struct store *st, const struct grouping_key *key, struct family_list *fams,
                    const struct timespec *ts)
{
    int created;
    struct group *g = group_get_or_create(st, key, &created);
    size_t i;

    for (i = 0; i < fams->n; i++)
        group_set_family(st, g, fams->v[i], &ts[i]);
    fams->n = 0;
    group_schedule(st, g);
    st->generation++;
}

/* Unlink every family of g, remove it from the map and free it. */
static void
group_free(struct store *st, struct group *g)
{
    while (g->nfams > 0)
        group_remove_family_at(st, g, g->nfams - 1);
    if (g->expiring)
        ordset_remove(&st->expiring, &g->exp_node);
    hmap_del(&st->groups, g->keystr, g->keylen);
    group_invalidate(g);
    free(g->fams);
    free(g->keystr);
    group_key_clear(g);
    free(g);
    free(st->sorted_groups);
    st->sorted_groups = NULL;
}

int
store_delete(struct store *st, const struct grouping_key *key)
{
    struct group *g = store_group(st, key);

    if (g == NULL)
        return 0;
    group_free(st, g);
    st->generation++;
    return 1;
}

void
store_wipe(struct store *st)
{
    struct hmap_entry *e;
    size_t it;

    for (;;) {
        it = 0;
        e = hmap_next(&st->groups, &it);
        if (e == NULL)
            break;
        group_free(st, e->value);
    }
    st->generation++;
}

static int
group_ptr_cmp(const void *a, const void *b)
{
    return group_key_cmp(*(struct group *const *)a, *(struct group *const *)b);
}

struct group *const *
store_groups_sorted(struct store *st, size_t *n)
{
    *n = st->groups.len;
    if (st->sorted_groups == NULL) {
        struct hmap_entry *e;
        size_t it = 0, i = 0;

        st->sorted_groups = xreallocarray(NULL, *n + 1, sizeof(*st->sorted_groups));
        while ((e = hmap_next(&st->groups, &it)) != NULL)
            st->sorted_groups[i++] = e->value;
        qsort(st->sorted_groups, *n, sizeof(*st->sorted_groups), group_ptr_cmp);
    }
    return st->sorted_groups;
}

static int
famidx_ptr_cmp(const void *a, const void *b)
{
    return strcmp((*(struct famidx *const *)a)->name, (*(struct famidx *const *)b)->name);
}

struct famidx *const *
store_families_sorted(struct store *st, size_t *n)
{
    *n = st->families.len;
    if (st->sorted_families == NULL) {
        struct hmap_entry *e;
        size_t it = 0, i = 0;

        st->sorted_families = xreallocarray(NULL, *n + 1, sizeof(*st->sorted_families));
        while ((e = hmap_next(&st->families, &it)) != NULL)
            st->sorted_families[i++] = e->value;
        qsort(st->sorted_families, *n, sizeof(*st->sorted_families), famidx_ptr_cmp);
    }
    return st->sorted_families;
}

int
group_last_push_successful(const struct group *g)
{
    const struct stored_family *ok = group_family(g, PUSH_TIME_NAME);
    const struct stored_family *bad = group_family(g, PUSH_FAILURE_TIME_NAME);
    double okv, badv;

    if (ok == NULL || bad == NULL || ok->mf->nmetrics == 0 || bad->mf->nmetrics == 0)
        return 1;
    okv = ok->mf->metrics[0].value;
    badv = bad->mf->metrics[0].value;
    return !(badv > okv);
}

struct render_cache *
render_cache_new(int esc, const size_t *off, size_t n, const char *data)
{
    size_t len = off[n] - off[0], i;
    struct render_cache *rc;
    uint32_t *o;

    if (len > UINT32_MAX || n >= UINT32_MAX)
        return NULL;
    rc = xmalloc(sizeof(*rc) + (n + 1) * sizeof(uint32_t) + len);
    o = (uint32_t *)(rc + 1);
    for (i = 0; i <= n; i++)
        o[i] = (uint32_t)(off[i] - off[0]);
    if (len > 0)
        memcpy(o + n + 1, data + off[0], len);
    rc->esc = esc;
    rc->n = (uint32_t)n;
    return rc;
}
