/* gather.h - merge the gateway's own families with the store's, as a scrape sees them */
#ifndef PGW_GATHER_H
#define PGW_GATHER_H

#include "metric.h"
#include "negotiate.h"
#include "store.h"
#include "strbuf.h"

/*
 * One merged family of a scrape: borrowed pointers into the store or the own families. A
 * family made of stored series only is not listed: its series are walked in the store's
 * order (idx->order) when it is rendered, which costs nothing for a family whose rendering
 * the store kept. Walk any family's series with gather_iter.
 */
struct gathered_family {
    const char *name;
    const char *help; /* NULL when the winning family has no HELP */
    enum metric_type type;
    size_t nmetrics;
    struct famidx *idx; /* the store's entry when the family is made of stored series only */
    /* Otherwise (own metrics merged in, or own only), the series listed, owned by the gather: */
    const struct metric **metrics;    /* sorted in upstream's order */
    const struct series_node **nodes; /* parallel: the stored series, NULL for own metrics */
};

/*
 * The series of a gathered family in upstream's order:
 *   struct gather_iter gi; gather_iter_init(&gi, gf);
 *   while (gather_iter_next(&gi, &m, &sn)) ...   (sn: the stored series, NULL if own)
 *   gather_iter_done(&gi);
 */
struct gather_iter {
    const struct gathered_family *gf;
    size_t j;
    struct ordset_iter it;
};
void gather_iter_init(struct gather_iter *gi, const struct gathered_family *gf);
int gather_iter_next(struct gather_iter *gi, const struct metric **m,
                     const struct series_node **sn);
void gather_iter_done(struct gather_iter *gi);

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

/* Render a gather in text format 0.0.4 with names escaped by esc (spec §7.3). */
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
