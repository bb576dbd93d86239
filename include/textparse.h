/* textparse.h - Prometheus text exposition format 0.0.4 parser (push bodies) */
#ifndef PGW_TEXTPARSE_H
#define PGW_TEXTPARSE_H

#include <stddef.h>

#include "metric.h"

/*
 * Parse a text-format body of `len` bytes (need not be NUL-terminated; may contain NULs).
 *
 * Behaves like prometheus/common expfmt.TextParser (v0.69): families are returned in order
 * of first appearance; families that end up without samples are dropped; summaries and
 * histograms are merged per label set (quantile / le excluded from the identity); labels of
 * each metric are left in input order (the caller sanitises and sorts them); a timestamp
 * column sets has_timestamp. With utf8_names set, quoted names that are not legacy-valid are
 * accepted (--push.enable-utf8-names); otherwise they are errors.
 *
 * Returns 0 and appends the families to `out` (which the caller initialised and owns), or
 * returns -1, leaves `out` unchanged and sets *err to a message of the exact upstream form
 * "text format parsing error in line N: <msg>" (no trailing newline), which the caller frees.
 */
int textparse(const char *buf, size_t len, int utf8_names, struct family_list *out, char **err);

#endif
