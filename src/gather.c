/* gather.c - merge own and stored families into the sorted view a scrape renders */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compress.h"
#include "expo_proto.h"
#include "exposition.h"
#include "gather.h"
#include "selfmetrics.h"
#include "xmalloc.h"

static int
metric_ptr_cmp(const void *a, const void *b)
{
    return expo_metric_cmp(*(const struct metric *const *)a, *(const struct metric *const *)b);
}

static int
family_ptr_cmp(const void *a, const void *b)
{
    return strcmp((*(struct metric_family *const *)a)->name,
                  (*(struct metric_family *const *)b)->name);
}

/*
 * The member whose group comes first in grouping-key order: its HELP wins (spec §7.2). Kept
 * in the famidx until a member changes: finding it walks every member.
 */
static const struct stored_family *
first_member(struct famidx *fi)
{
    const struct stored_family *best = NULL, *sf;

    if (fi->first != NULL)
        return fi->first;
    for (sf = fi->members; sf != NULL; sf = sf->idx_next) {
        if (best == NULL) {
            best = sf;
        } else {
            const struct group *a = sf->group, *b = best->group;
            size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
            int c = memcmp(a->keystr, b->keystr, n);
            if (c < 0 || (c == 0 && a->keylen < b->keylen))
                best = sf;
        }
    }
    fi->first = best;
    return best;
}

/* HELP and type of a family made of stored series only. */
static void
set_stored_help_type(struct gathered_family *gf, struct famidx *fi)
{
    /* An own family without series right now still owns the HELP of its name. */
    const struct own_family *of = own_family_find(fi->name);
    const struct stored_family *first = first_member(fi);

    gf->help = of != NULL ? of->help : first->mf->help;
    gf->type = first->mf->type;
}

/*
 * Merge own family `own` (may be NULL) and stored families `fi` (may be NULL) into gf. The
 * store keeps each name's series in exposition order, so only the few own metrics are
 * sorted here and merged in: a scrape costs what it writes, not a sort of the store.
 */
static void
merge_one(struct gathered_family *gf, const struct metric_family *own, const struct famidx *fi)
{
    size_t nown = own != NULL ? own->nmetrics : 0, nstore = fi != NULL ? fi->order.n : 0;
    const struct metric **ownm = xreallocarray(NULL, nown + 1, sizeof(*ownm));
    const struct series_node *next = NULL;
    struct ordset_iter it;
    size_t i, k = 0;

    gf->idx = own == NULL ? (struct famidx *)fi : NULL;
    if (own == NULL) {
        /* Stored series only: walked in the store's order when rendered. */
        free(ownm);
        gf->metrics = NULL;
        gf->nodes = NULL;
        gf->nmetrics = nstore;
        gf->name = fi->name;
        set_stored_help_type(gf, gf->idx);
        return;
    }
    for (i = 0; i < nown; i++)
        ownm[i] = &own->metrics[i];
    qsort(ownm, nown, sizeof(*ownm), metric_ptr_cmp);
    gf->metrics = xreallocarray(NULL, nown + nstore + 1, sizeof(*gf->metrics));
    gf->nodes = xreallocarray(NULL, nown + nstore + 1, sizeof(*gf->nodes));
    gf->nmetrics = 0;
    if (fi != NULL) {
        ordset_iter_init(&it, &fi->order);
        next = (const struct series_node *)ordset_iter_next(&it);
    }
    while (next != NULL || k < nown) {
        if (next != NULL && (k >= nown || expo_metric_cmp(series_node_metric(next), ownm[k]) < 0)) {
            gf->nodes[gf->nmetrics] = next;
            gf->metrics[gf->nmetrics++] = series_node_metric(next);
            next = (const struct series_node *)ordset_iter_next(&it);
        } else {
            gf->nodes[gf->nmetrics] = NULL;
            gf->metrics[gf->nmetrics++] = ownm[k++];
        }
    }
    if (fi != NULL)
        ordset_iter_done(&it);
    free(ownm);
    gf->name = own->name;
    gf->help = own->help;
    gf->type = own->type;
}

int
gather_collect(struct gather *g, struct store *st, int verify, int utf8_names, char **err)
{
    struct famidx *const *fams;
    size_t nfams, i = 0, j = 0, k;

    memset(g, 0, sizeof(*g));
    *err = NULL;
    if (verify && check_store(st, utf8_names, err) != 0)
        return -1;
    family_list_init(&g->own);
    selfmetrics_collect(&g->own);
    for (k = 0; k < g->own.n; k++) {
        struct metric_family *mf = g->own.v[k];
        size_t m;
        for (m = 0; m < mf->nmetrics; m++)
            metric_sort_labels(&mf->metrics[m]);
    }
    qsort(g->own.v, g->own.n, sizeof(*g->own.v), family_ptr_cmp);
    fams = store_families_sorted(st, &nfams);
    g->v = xreallocarray(NULL, g->own.n + nfams + 1, sizeof(*g->v));
    /* Two-way merge of two name-sorted lists. */
    while (i < g->own.n || j < nfams) {
        const struct metric_family *own = NULL;
        const struct famidx *fi = NULL;
        int c;

        if (i >= g->own.n)
            c = 1;
        else if (j >= nfams)
            c = -1;
        else
            c = strcmp(g->own.v[i]->name, fams[j]->name);
        if (c <= 0)
            own = g->own.v[i++];
        if (c >= 0)
            fi = fams[j++];
        merge_one(&g->v[g->n], own, fi);
        if (g->v[g->n].nmetrics == 0) {
            free(g->v[g->n].metrics);
            free(g->v[g->n].nodes);
        } else
            g->n++;
    }
    return 0;
}

void
gather_iter_init(struct gather_iter *gi, const struct gathered_family *gf)
{
    gi->gf = gf;
    gi->j = 0;
    if (gf->metrics == NULL)
        ordset_iter_init(&gi->it, &gf->idx->order);
}

int
gather_iter_next(struct gather_iter *gi, const struct metric **m, const struct series_node **sn)
{
    const struct gathered_family *gf = gi->gf;

    if (gf->metrics == NULL) {
        const struct series_node *node = (const struct series_node *)ordset_iter_next(&gi->it);
        if (node == NULL)
            return 0;
        *m = series_node_metric(node);
        *sn = node;
        return 1;
    }
    if (gi->j >= gf->nmetrics)
        return 0;
    *m = gf->metrics[gi->j];
    *sn = gf->nodes[gi->j];
    gi->j++;
    return 1;
}

void
gather_iter_done(struct gather_iter *gi)
{
    if (gi->gf->metrics == NULL)
        ordset_iter_done(&gi->it);
}

void
gather_free(struct gather *g)
{
    size_t i;

    for (i = 0; i < g->n; i++) {
        free(g->v[i].metrics);
        free(g->v[i].nodes);
    }
    free(g->v);
    family_list_free(&g->own);
    memset(g, 0, sizeof(*g));
}

/*
 * Render every metric of a stored family into its cache (struct stored_family.text) for
 * scheme esc. The cache is a reader-side memo (see struct render_cache). The lines
 * are rendered in scratch buffers kept across calls, so the cache is allocated once, at its
 * exact size.
 */
static void
fill_render_cache(struct stored_family *sf, enum name_escaping esc)
{
    static struct strbuf text = STRBUF_INIT;
    static size_t *off;
    static size_t off_cap;
    size_t i, n = sf->mf->nmetrics;

    if (n + 1 > off_cap) {
        off_cap = n + 1 > 2 * off_cap ? n + 1 : 2 * off_cap;
        off = xreallocarray(off, off_cap, sizeof(*off));
    }
    strbuf_reset(&text);
    for (i = 0; i < n; i++) {
        off[i] = text.len;
        expo_text_metric(&text, sf->mf->name, &sf->mf->metrics[i], esc);
    }
    off[n] = text.len;
    free(sf->text);
    sf->text = render_cache_new((int)esc, off, n, text.data);
    /* One huge family must not pin its size in the scratch buffer. */
    if (text.cap > 1024 * 1024)
        strbuf_free(&text);
}

/* Render one gathered family in text format. */
static void
render_text_family(const struct gathered_family *gf, enum name_escaping esc, struct strbuf *out)
{
    struct gather_iter gi;
    const struct series_node *sn;
    const struct metric *m;
    size_t len;

    expo_text_header(out, gf->name, gf->help, gf->type, esc);
    gather_iter_init(&gi, gf);
    while (gather_iter_next(&gi, &m, &sn)) {
        struct stored_family *sf;

        if (sn == NULL) {
            expo_text_metric(out, gf->name, m, esc);
            continue;
        }
        /* Stored series: copy the lines rendered when the family last changed. */
        sf = sn->sf;
        if (sf->text == NULL || sf->text->esc != (int)esc)
            fill_render_cache(sf, esc);
        if (sf->text == NULL) {
            expo_text_metric(out, gf->name, m, esc); /* over 4 GiB: not cached */
        } else {
            const char *line = render_cache_get(sf->text, series_node_index(sn), &len);
            strbuf_add(out, line, len);
        }
    }
    gather_iter_done(&gi);
}

void
gather_render_text_esc(const struct gather *g, enum name_escaping esc, struct strbuf *out)
{
    size_t i;

    for (i = 0; i < g->n; i++)
        render_text_family(&g->v[i], esc, out);
}

/*
 * Families whose rendering is smaller than this are compressed on every scrape rather than
 * kept: a segment restarts the compressor's history, which costs ratio on small pieces.
 */
#define GZIP_SEGMENT_MIN 4096

/* One family of a gzip scrape: a kept segment, or a range of the rendered text. */
struct gzip_item {
    struct gzip_segment *seg; /* a reference, or NULL */
    size_t off, len;          /* in gzip_scrape.plain when seg == NULL */
    struct famidx *fi;        /* where to keep the segment; NULL: compress only */
};

struct gzip_scrape {
    struct store *st; /* borrowed, for its generation only */
    uint64_t generation;
    int key; /* format and escaping, as struct famidx.gz_key */
    struct strbuf plain;
    struct gzip_item *items;
    size_t nitems, next; /* next: the item being compressed */
    size_t done;         /* bytes of items[next] compressed so far */
    struct gzip_writer w;
    int finished;
};

struct gzip_scrape *
gather_gzip_prepare(const struct gather *g, struct store *st, int proto, enum name_escaping esc)
{
    struct gzip_scrape *z = xcalloc(1, sizeof(*z));
    size_t i;

    z->st = st;
    z->generation = st->generation;
    z->key = (proto ? 0x100 : 0) | ((int)esc + 1);
    if (gzip_writer_init(&z->w) != 0) {
        free(z);
        return NULL;
    }
    z->items = xreallocarray(NULL, g->n + 1, sizeof(*z->items));
    for (i = 0; i < g->n; i++) {
        const struct gathered_family *gf = &g->v[i];
        struct gzip_item *it = &z->items[z->nitems++];
        struct famidx *fi = gf->idx;

        memset(it, 0, sizeof(*it));
        if (fi != NULL && fi->gz != NULL && fi->gz_key == z->key) {
            it->seg = gzip_segment_ref(fi->gz);
            continue;
        }
        it->off = z->plain.len;
        if (proto) {
            struct gather one;
            memset(&one, 0, sizeof(one));
            one.v = (struct gathered_family *)gf;
            one.n = 1;
            gather_render_proto(&one, esc, &z->plain);
        } else {
            render_text_family(gf, esc, &z->plain);
        }
        it->len = z->plain.len - it->off;
        it->fi = it->len >= GZIP_SEGMENT_MIN ? fi : NULL;
    }
    return z;
}

int
gather_gzip_step(struct gzip_scrape *z, size_t budget, struct strbuf *out)
{
    size_t spent = 0;

    while (z->next < z->nitems && spent < budget) {
        struct gzip_item *it = &z->items[z->next];
        size_t n;

        if (it->seg != NULL) {
            gzip_writer_splice(&z->w, it->seg);
            spent += it->seg->z.len;
            z->next++;
            continue;
        }
        if (z->done == 0 && it->fi != NULL)
            gzip_writer_segment_begin(&z->w);
        n = it->len - z->done < budget - spent ? it->len - z->done : budget - spent;
        gzip_writer_write(&z->w, z->plain.data + it->off + z->done, n);
        z->done += n;
        spent += n;
        if (z->done < it->len)
            break;
        if (it->fi != NULL) {
            struct gzip_segment *seg = gzip_writer_segment_end(&z->w);
            /* The famidx is still there and unchanged only if the store did not change. */
            if (z->st->generation == z->generation) {
                gzip_segment_unref(it->fi->gz);
                it->fi->gz = seg;
                it->fi->gz_key = z->key;
            } else {
                gzip_segment_unref(seg);
            }
        }
        z->next++;
        z->done = 0;
    }
    if (z->next == z->nitems && !z->finished) {
        z->finished = 1;
        if (gzip_writer_finish(&z->w) != 0)
            return -1;
    }
    strbuf_add(out, z->w.out.data, z->w.out.len);
    strbuf_reset(&z->w.out);
    if (z->w.failed)
        return -1;
    return z->finished ? 0 : 1;
}

void
gather_gzip_free(struct gzip_scrape *z)
{
    size_t i;

    if (z == NULL)
        return;
    for (i = 0; i < z->nitems; i++)
        gzip_segment_unref(z->items[i].seg);
    free(z->items);
    strbuf_free(&z->plain);
    gzip_writer_free(&z->w);
    free(z);
}

int
gather_render_gzip(const struct gather *g, struct store *st, int proto, enum name_escaping esc,
                   struct strbuf *out)
{
    struct gzip_scrape *z = gather_gzip_prepare(g, st, proto, esc);
    int rc;

    if (z == NULL)
        return -1;
    while ((rc = gather_gzip_step(z, (size_t)1 << 20, out)) == 1)
        ;
    gather_gzip_free(z);
    return rc;
}
