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
    struct famidx *idx; /* the store's entry when the family is made of stored series only */
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

/*
 * A scrape compressed with gzip in steps, so that a large one does not hold up the event
 * loop. gather_gzip_prepare() renders the gather in the text (proto == 0) or protobuf
 * format with names escaped by esc, except the families whose compressed form the store
 * kept (struct famidx.gz), which it takes a reference to; the gather and the store may
 * change afterwards. Each gather_gzip_step() compresses about `budget` bytes and appends the
 * compressed bytes to out; it returns 1 while more follows, 0 once the gzip member is
 * complete, -1 when zlib failed. A family made of stored series only and large enough is
 * compressed as a segment and kept in the store for the next scrape, provided the store did
 * not change since the gather; the gateway's own families and small families are compressed
 * on every scrape.
 */
struct gzip_scrape;
/* NULL when zlib cannot start. */
struct gzip_scrape *gather_gzip_prepare(const struct gather *g, struct store *st, int proto,
                                        enum name_escaping esc);
int gather_gzip_step(struct gzip_scrape *z, size_t budget, struct strbuf *out);
void gather_gzip_free(struct gzip_scrape *z); /* NULL is fine */

/* The whole member at once (prepare and step to the end). Returns 0, or -1 (zlib). */
int gather_render_gzip(const struct gather *g, struct store *st, int proto, enum name_escaping esc,
                       struct strbuf *out);

#endif
