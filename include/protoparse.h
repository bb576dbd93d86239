/* protoparse.h - decoder for protobuf push bodies (delimited io.prometheus.client.MetricFamily) */
#ifndef PGW_PROTOPARSE_H
#define PGW_PROTOPARSE_H

#include <stddef.h>

#include "metric.h"

/*
 * Decode a push body of `len` bytes: a sequence of (varint length, MetricFamily message)
 * frames up to a clean end of input (spec §5.1). An empty body gives no families.
 *
 * Families are returned in order of first appearance; a family whose name repeats replaces
 * the earlier one completely (in its place). Families without metrics are kept. A missing or
 * unknown type is COUNTER. help is NULL when absent and "" when empty. Each metric gets the
 * labels in pushed order (the caller sanitises and sorts them), has_timestamp when
 * timestamp_ms is present, and `kind` from the value field present, preferring the one that
 * matches the family type (GAUGE_HISTOGRAM uses the histogram field); a metric without any
 * value field gets a kind that differs from the family type, so that the consistency check
 * rejects it as upstream's does (a GAUGE_HISTOGRAM family, which upstream does not check,
 * gets an empty gauge histogram). Histograms keep sample_count, sample_count_float, the
 * classic buckets and, when any native field is present, the native part. Exemplars,
 * created timestamps and units are not kept.
 *
 * Metric names must be legacy-valid ([a-zA-Z_:][a-zA-Z0-9_:]*), or with utf8_names
 * (--push.enable-utf8-names) non-empty valid UTF-8: a deliberate difference from upstream,
 * which stores any name. Strings holding a NUL byte are refused.
 *
 * Returns 0 and appends the families to `out` (initialised and owned by the caller), or -1,
 * leaves `out` unchanged and sets *err (caller frees) to one line: "unexpected EOF" for a
 * truncated frame, "invalid protobuf message in frame N" (N counted from 1) for a message
 * that does not decode, or `invalid metric name "..."`.
 */
int protoparse(const char *buf, size_t len, int utf8_names, struct family_list *out, char **err);

#endif
