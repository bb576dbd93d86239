/* grouping.h - grouping keys: parsing the push URL, base64url, canonical key strings */
#ifndef PGW_GROUPING_H
#define PGW_GROUPING_H

#include <stddef.h>

#include "metric.h"

/* A grouping key: label pairs sorted by name, names unique, always containing "job". */
struct grouping_key {
    struct label *labels; /* owned */
    size_t n;
};

/*
 * Build a grouping key from the matched parts of a push/delete route (spec §4), exactly as
 * upstream 1.11 does:
 *   job       the ":job" path segment, already percent-decoded, non-empty;
 *   job_b64   non-zero for the "/metrics/job@base64/:job" route;
 *   labels    the "*labels" catch-all (decoded; starts with '/' or is ""), or "" when the
 *             route had no labels part;
 *   utf8_names  --push.enable-utf8-names (U__ unescaping, UTF-8 label names).
 * Returns 0 and fills *out (caller frees with grouping_key_free), or -1 and sets *err to the
 * upstream message (e.g. `odd number of components in label string "/a"`, no trailing
 * newline), which the caller frees. Label values are not checked for UTF-8 here.
 */
int grouping_parse(const char *job, int job_b64, const char *labels, int utf8_names,
                   struct grouping_key *out, char **err);

void grouping_key_free(struct grouping_key *gk);
/* Deep copy. */
void grouping_key_copy(struct grouping_key *dst, const struct grouping_key *src);
/* Value of a label of the key, or NULL. Borrowed. */
const char *grouping_key_get(const struct grouping_key *gk, const char *name);

/*
 * Canonical string of a key: "name\xffvalue\xffname\xffvalue" (labels in name order, no
 * trailing separator), upstream's groupingKeyFor(). Equal keys give equal strings and the
 * byte order of these strings is the order in which groups are listed. Caller frees.
 */
char *grouping_key_string(const struct grouping_key *gk, size_t *len);

/*
 * Decode base64 with the URL-safe alphabet, padding optional, as upstream does: all trailing
 * '=' are stripped first, "\r" and "\n" are skipped, leftover bits are ignored. Returns 0 and
 * a malloc'd NUL-terminated result (*outlen bytes, may contain NULs), or -1 with *outp set to
 * the partial decode (as upstream quotes it) and *bad_offset to the offset Go reports in
 * "illegal base64 data at input byte N". The caller frees *outp in both cases.
 */
int base64url_decode(const char *in, size_t len, char **outp, size_t *outlen, size_t *bad_offset);

/* Encode with the URL-safe alphabet and '=' padding (as the UI's delete URLs use). Caller frees. */
char *base64url_encode(const char *in, size_t len);

#endif
