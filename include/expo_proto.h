/* expo_proto.h - length-delimited protobuf (io.prometheus.client.MetricFamily) output */
#ifndef PGW_EXPO_PROTO_H
#define PGW_EXPO_PROTO_H

#include <stddef.h>

#include "gather.h"
#include "metric.h"
#include "negotiate.h"
#include "strbuf.h"

/*
 * Append one family as a varint length followed by a MetricFamily message (client_model
 * v0.6.2 field numbers, fields in field-number order, repeated scalars unpacked as proto2
 * declares them). name is written escaped by esc (see name_escape_append), help only when
 * non-NULL, type always; every metric with its labels (names escaped by esc) in the given
 * order, the value message of the metric's own kind, timestamp_ms when it has one. Counts and
 * values are always written; the float flavours of histogram counts only when not +0.0; the
 * native fields only when the metric has a native part. Unlike the text format, a family
 * with zero metrics is written too (as an empty MetricFamily with name, help and type).
 */
void expo_proto_family(struct strbuf *out, const char *name, const char *help,
                       enum metric_type type, const struct metric *const *metrics, size_t n,
                       enum name_escaping esc);

/* Append every family of a list (names unescaped): the inverse of protoparse(). */
void expo_proto_family_list(struct strbuf *out, const struct family_list *fl);

/*
 * Render a gather (families sorted by name, empty ones already dropped) as protobuf: the same
 * bytes as expo_proto_family() for each family, the stored series copied from their family's
 * cache (struct stored_family.proto), which this fills for esc where it is missing.
 */
void gather_render_proto(const struct gather *g, enum name_escaping esc, struct strbuf *out);

#endif
