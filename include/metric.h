/* metric.h - the metric data model (mirrors io.prometheus.client.MetricFamily) and name rules */
#ifndef PGW_METRIC_H
#define PGW_METRIC_H

#include <stddef.h>
#include <stdint.h>

/* Values are those of the protobuf enum io.prometheus.client.MetricType. */
enum metric_type {
    METRIC_COUNTER = 0,
    METRIC_GAUGE = 1,
    METRIC_SUMMARY = 2,
    METRIC_UNTYPED = 3,
    METRIC_HISTOGRAM = 4,
    METRIC_GAUGE_HISTOGRAM = 5,
};
#define METRIC_TYPE_MAX METRIC_GAUGE_HISTOGRAM

/* A label pair; both strings are owned by the metric that holds the label. */
struct label {
    char *name;
    char *value;
};

struct quantile {
    double quantile;
    double value;
};

/* A classic histogram bucket: cumulative count up to and including upper_bound. */
struct bucket {
    double upper_bound;
    uint64_t count;     /* integer flavour */
    double count_float; /* float flavour; used when > 0 (as upstream) */
};

/* A span of consecutive native-histogram buckets (protobuf BucketSpan). */
struct bucket_span {
    int32_t offset; /* gap to the previous span (or the start for the first) */
    uint32_t length;
};

/*
 * The native part of a histogram (protobuf Histogram fields 5-14). Integer histograms use
 * the deltas and zero_count, float histograms the counts and zero_count_float.
 */
struct native_histogram {
    int32_t schema;
    double zero_threshold;
    uint64_t zero_count;
    double zero_count_float;
    struct bucket_span *neg_spans; /* owned arrays */
    size_t nneg_spans;
    int64_t *neg_deltas;
    size_t nneg_deltas;
    double *neg_counts;
    size_t nneg_counts;
    struct bucket_span *pos_spans;
    size_t npos_spans;
    int64_t *pos_deltas;
    size_t npos_deltas;
    double *pos_counts;
    size_t npos_counts;
};

/*
 * One sample set (one series identity). Which value fields are meaningful depends on
 * `kind`, the value kind the metric carries, which is normally the type of its family;
 * a protobuf push can carry a different kind (the consistency check rejects that).
 * Laid out for size (a stored series is mostly this struct): pointers and 64-bit fields
 * first, then 32-bit counts and the byte-sized fields, no padding between them.
 */
struct metric {
    struct label *labels;            /* owned array; sorted by name once sanitised */
    struct quantile *quantiles;      /* SUMMARY, owned, in pushed order */
    struct bucket *buckets;          /* histograms, owned, in pushed order */
    struct native_histogram *native; /* histograms: owned native part, NULL when absent */
    uint64_t ident_hash;             /* memo of store_series_hash(); 0 = not computed. Anything that
                                        changes the labels resets it (metric_add_label and friends). */
    int64_t timestamp_ms;

    double value; /* COUNTER, GAUGE, UNTYPED */

    /* SUMMARY, HISTOGRAM, GAUGE_HISTOGRAM */
    uint64_t count;
    double count_float; /* histograms only: float count, used when > 0 */
    double sum;

    uint32_t nlabels;
    uint32_t nquantiles;
    uint32_t nbuckets;
    uint8_t kind;          /* an enum metric_type */
    uint8_t has_timestamp; /* a timestamp was pushed (pushes with one are rejected) */
};

/* A metric family: a name, optional HELP, a type and its metrics. */
struct metric_family {
    char *name;
    char *help;             /* NULL when no HELP was given; "" when an empty HELP was given */
    struct metric *metrics; /* owned array */
    size_t nmetrics;
    enum metric_type type;
    int interned; /* MF_INTERNED: name, help and every label string are interned (see
                     metric_family_intern): read-only and shared, released by
                     metric_family_free(). MF_PACKED: interned and packed into one block
                     (see metric_family_pack). 0: everything is separately owned. */
};
#define MF_INTERNED 1
#define MF_PACKED 2

/* An ordered list of families, as a parser returns it (first appearance order). */
struct family_list {
    struct metric_family **v; /* owned */
    size_t n;
    size_t cap;
};

/* Lower-case type name as in the text format ("counter", ..., "histogram" for both). */
const char *metric_type_text(enum metric_type t);
/* Upper-case protobuf enum name ("COUNTER", ..., "GAUGE_HISTOGRAM"). */
const char *metric_type_enum(enum metric_type t);

/* New empty family; takes a copy of name. Free with metric_family_free(). */
struct metric_family *metric_family_new(const char *name, enum metric_type type);
/* Free a family and everything it owns; NULL is fine. */
void metric_family_free(struct metric_family *mf);
/* Append a zeroed metric of kind `kind`; returns a pointer valid until the next append. */
struct metric *metric_family_add_metric(struct metric_family *mf, enum metric_type kind);
/* Deep copy (never interned). */
struct metric_family *metric_family_dup(const struct metric_family *mf);

/*
 * Replace the family's name, HELP and label strings by shared interned copies (one copy per
 * distinct string in the process, reference-counted) and free the originals. The store does
 * this to every family it keeps: label names and most values repeat across thousands of
 * series. An interned family must not be modified; metric_family_free() releases it.
 */
void metric_family_intern(struct metric_family *mf);
/*
 * Pack mf into a single allocation and free mf: the result is an interned family (the
 * strings as metric_family_intern makes them) whose metrics array, label arrays, quantiles,
 * buckets and native-histogram parts all live in one block, laid out as
 *   struct metric_family | head bytes | metrics | nmetrics * per_metric bytes | arrays.
 * *headp (when head > 0) and *per_metricp (when per_metric > 0 and the family has
 * metrics; else NULL) receive the zeroed, 8-byte aligned extra areas, which belong to the
 * caller (the store keeps its stored_family and series nodes there). A packed family must
 * not be modified except for the metrics' ident_hash memo and their sample values
 * (metric_copy_values: the store updates a re-pushed series in place); metric_family_free()
 * releases its strings and frees the block, extra areas included. The store packs every family it
 * keeps: one allocation instead of a few per metric saves the allocator's per-chunk cost.
 */
struct metric_family *metric_family_pack(struct metric_family *mf, size_t head, size_t per_metric,
                                         void **headp, void **per_metricp);
/*
 * The process's shared copy of s, with a reference taken (the strings metric_family_intern
 * uses); read-only. Release it with intern_release(). The store keeps its groups' keys so.
 */
char *intern_str(const char *s);
void intern_release(char *s); /* NULL is fine */
/* Number of distinct interned strings and the bytes they hold (for tests and metrics). */
size_t intern_count(size_t *bytes);

/* Free what a metric owns (not the metric struct itself, which lives in an array). Never on a
 * metric of an interned or packed family. */
void metric_clear(struct metric *m);
/* Deep copy src into dst (dst is overwritten, not freed first). */
void metric_copy(struct metric *dst, const struct metric *src);
/*
 * Do a and b differ at most in their sample values (value, count, count_float, sum, the
 * quantiles' values, the buckets' counts)? Same kind, the same labels in the same order, the
 * same timestamp, the same quantiles and bucket bounds (bitwise), and neither has a native
 * histogram part. Such a metric is the same series with new values: see metric_copy_values.
 * A field added to struct metric must be added to one of the two.
 */
int metric_same_series(const struct metric *a, const struct metric *b);
/* Copy the sample values of src into dst, which must be metric_same_series() as src. dst may
 * be a metric of a packed family: its values are its own (its strings are not touched). */
void metric_copy_values(struct metric *dst, const struct metric *src);
/* Append a label (copies name and value). */
void metric_add_label(struct metric *m, const char *name, const char *value);
/* Find a label value by name; NULL if absent. Borrowed. */
const char *metric_label(const struct metric *m, const char *name);
/* Sort labels by name (stable: equal names keep their order). */
void metric_sort_labels(struct metric *m);

void family_list_init(struct family_list *fl);
/* Free every family and the list storage. */
void family_list_free(struct family_list *fl);
/* Append; the list takes ownership of mf. */
void family_list_add(struct family_list *fl, struct metric_family *mf);
/* Find by name; NULL if absent. */
struct metric_family *family_list_find(const struct family_list *fl, const char *name);
/* Remove and free the family at index i, keeping the order of the rest. */
void family_list_remove(struct family_list *fl, size_t i);

/* Name rules. */
int metric_name_valid_legacy(const char *s, size_t n); /* [a-zA-Z_:][a-zA-Z0-9_:]* */
int label_name_valid_legacy(const char *s, size_t n);  /* [a-zA-Z_][a-zA-Z0-9_]* */
int utf8_valid(const char *s, size_t n);

#endif
