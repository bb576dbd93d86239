/* gather.h - merge the gateway's own families with the store's, as a scrape sees them */
#ifndef PGW_GATHER_H
#define PGW_GATHER_H

#include "metric.h"
#include "negotiate.h"
#include "store.h"
#include "strbuf.h"

/* One merged family of a scrape: borrowed pointers into the store or the own families. */
struct gathered_family {
    const char *name;
    const char *help; /* NULL when the winning family has no HELP */
    enum metric_type type;
    const struct metric **metrics;    /* sorted in upstream's order; owned by the gather */
    const struct series_node **nodes; /* parallel: the stored series, NULL for own metrics */
    size_t nmetrics;
};

/* The result of a gather: families sorted by name, empty ones dropped. */
struct gather {
    struct family_list own; /* the own families collected for this gather (owned) */
    struct gathered_family *v;
    size_t n;
};

/*
 * Gather own families and the store (spec §7.1, §7.2): same-named families merged, sorted by
 * name, metrics sorted; HELP of own families wins, otherwise the HELP of the first group in
 * grouping-key order. When `verify` is set (the store may hold unchecked pushes) the store is
 * checked first as upstream's gather does; on inconsistency returns -1 with *err (caller
 * frees) and nothing gathered. The result borrows from the store: use it before the next
 * mutation and release it with gather_free().
 */
int gather_collect(struct gather *g, struct store *st, int verify, int utf8_names, char **err);
void gather_free(struct gather *g);

/* Render a gather in text format 0.0.4 (names that are not legacy-valid quoted, unescaped). */
void gather_render_text(const struct gather *g, struct strbuf *out);
/* The same with names escaped by esc (spec §7.3); see expo_text_family_esc(). */
void gather_render_text_esc(const struct gather *g, enum name_escaping esc, struct strbuf *out);

#endif
