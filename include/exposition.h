/* exposition.h - text format 0.0.4 rendering of merged metric families (spec §7.1, §7.5) */
#ifndef PGW_EXPOSITION_H
#define PGW_EXPOSITION_H

#include <stddef.h>

#include "metric.h"
#include "negotiate.h"
#include "strbuf.h"

/*
 * Upstream's order of metrics inside a family (prometheus/client_golang internal
 * MetricSorter): fewer labels first, then label values compared position by position
 * (labels being sorted by name; names are not compared), then ... timestamps (never present
 * here). Returns <0, 0, >0. Labels of both metrics must be sorted by name.
 */
int expo_metric_cmp(const struct metric *a, const struct metric *b);

/*
 * Append one family in text format 0.0.4:
 *   "# HELP name text\n" only when help != NULL (help escaped: \ -> \\, newline -> \n),
 *   "# TYPE name <type>\n" always (gauge histograms as "histogram"),
 *   then each metric in the given order: counter/gauge/untyped "name{labels} value";
 *   summaries one line per quantile (quantile="q" appended last), name_sum, name_count;
 *   histograms one name_bucket line per bucket (le="x" last), a final le="+Inf" bucket with
 *   the total count when no stored bucket has le=+Inf, name_sum, name_count; counts use the
 *   float field when it is non-zero, else the integer one.
 * Label values are escaped (\ -> \\, " -> \", newline -> \n); no braces when no labels.
 * Families with zero metrics produce nothing. Metrics must have labels sorted by name.
 * The metrics' own kinds are used to pick the value fields, the family type for the
 * TYPE line (callers guarantee they agree).
 */
void expo_text_family(struct strbuf *out, const char *name, const char *help, enum metric_type type,
                      const struct metric *const *metrics, size_t n);

/*
 * The same with the metric and label names written under escaping scheme esc (spec §7.3):
 * names that are not legacy-valid are escaped, except under ESCAPE_ALLOW_UTF8, where they are
 * quoted as above. expo_text_family() is this with ESCAPE_ALLOW_UTF8. A native histogram
 * without classic buckets prints only its +Inf bucket, _sum and _count.
 */
void expo_text_family_esc(struct strbuf *out, const char *name, const char *help,
                          enum metric_type type, const struct metric *const *metrics, size_t n,
                          enum name_escaping esc);

/* The "# HELP" (only when help != NULL) and "# TYPE" lines of a family, as above. */
void expo_text_header(struct strbuf *out, const char *name, const char *help, enum metric_type type,
                      enum name_escaping esc);

/*
 * The sample lines of one metric of family `name`, as expo_text_family_esc() writes them.
 * Rendering metric by metric lets the store cache each metric's lines (see gather.c).
 */
void expo_text_metric(struct strbuf *out, const char *name, const struct metric *m,
                      enum name_escaping esc);

#endif
