/* caps.c - optional caps on the number of groups and series, checked before a push applies */
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "hmap.h"
#include "xmalloc.h"

const char *
caps_limit_name(enum caps_limit l)
{
    switch (l) {
    case CAPS_GROUPS:
        return "groups";
    case CAPS_SERIES_PER_GROUP:
        return "series_per_group";
    case CAPS_SERIES:
        return "series";
    case CAPS_OK:
        break;
    }
    return "none";
}

/*
 * Series the group holds after the push: the pushed families (the last of each name wins, as
 * in store_push) plus, for POST, the group's families the push does not name.
 */
static size_t
series_after(const struct group *g, const struct family_list *fams, int replace)
{
    struct hmap names;
    size_t i, n = 0, replaced = 0;

    hmap_init(&names);
    for (i = fams->n; i-- > 0;) {
        const struct metric_family *mf = fams->v[i];
        size_t len = strlen(mf->name);

        if (store_is_timestamp_family(mf->name) || hmap_get(&names, mf->name, len) != NULL)
            continue;
        hmap_put(&names, mf->name, len, fams->v[i]);
        n += mf->nmetrics;
        if (g != NULL && !replace) {
            const struct stored_family *sf = group_family(g, mf->name);

            if (sf != NULL)
                replaced += sf->mf->nmetrics;
        }
    }
    hmap_free(&names);
    if (g != NULL && !replace)
        n += g->nseries - replaced;
    return n;
}

enum caps_limit
caps_check_push(const struct store *st, const struct config *cfg, const struct grouping_key *key,
                const struct family_list *fams, int replace, char **err)
{
    const struct group *g;
    size_t before, after, total;

    *err = NULL;
    if (cfg->max_groups == 0 && cfg->max_series == 0 && cfg->max_series_per_group == 0)
        return CAPS_OK;
    g = store_group(st, key);
    if (g == NULL && cfg->max_groups != 0 && st->groups.len + 1 > cfg->max_groups) {
        *err = xasprintf("limit exceeded: the push would create group number %zu, more than "
                         "--push.max-groups=%llu",
                         st->groups.len + 1, (unsigned long long)cfg->max_groups);
        return CAPS_GROUPS;
    }
    before = g != NULL ? g->nseries : 0;
    after = series_after(g, fams, replace);
    if (cfg->max_series_per_group != 0 && after > before && after > cfg->max_series_per_group) {
        *err = xasprintf("limit exceeded: the group would hold %zu series, more than "
                         "--push.max-series-per-group=%llu",
                         after, (unsigned long long)cfg->max_series_per_group);
        return CAPS_SERIES_PER_GROUP;
    }
    total = st->nseries - before + after;
    if (cfg->max_series != 0 && after > before && total > cfg->max_series) {
        *err = xasprintf("limit exceeded: the gateway would hold %zu series, more than "
                         "--push.max-series=%llu",
                         total, (unsigned long long)cfg->max_series);
        return CAPS_SERIES;
    }
    return CAPS_OK;
}

int
caps_group_fits(const struct store *st, const struct config *cfg, const struct grouping_key *key)
{
    if (cfg->max_groups == 0 || st->groups.len < cfg->max_groups)
        return 1;
    return store_group(st, key) != NULL;
}

size_t
caps_largest_group(const struct store *st)
{
    struct hmap_entry *e;
    size_t it = 0, max = 0;

    /* Scrapes ask for it every time; the store changes far less often than that. */
    if (st->largest_group_gen == st->generation + 1)
        return st->largest_group;
    while ((e = hmap_next(&st->groups, &it)) != NULL) {
        const struct group *g = e->value;

        if (g->nseries > max)
            max = g->nseries;
    }
    ((struct store *)st)->largest_group = max;
    ((struct store *)st)->largest_group_gen = st->generation + 1;
    return max;
}
