/* negotiate.h - scrape format negotiation (Accept) and metric-name escaping (spec §7.3) */
#ifndef PGW_NEGOTIATE_H
#define PGW_NEGOTIATE_H

#include "strbuf.h"

/*
 * How names that are not legacy-valid are written (prometheus/common model.EscapingScheme).
 * Legacy-valid names ([a-zA-Z_:][a-zA-Z0-9_:]*) are always written unchanged.
 */
enum name_escaping {
    ESCAPE_ALLOW_UTF8,  /* "allow-utf-8": names as they are (the text format quotes them) */
    ESCAPE_UNDERSCORES, /* "underscores": every invalid character becomes '_' (default) */
    ESCAPE_DOTS,        /* "dots": '.' -> "_dot_", '_' -> "__", any other invalid -> "__" */
    ESCAPE_VALUES,      /* "values": "U__" + '_' -> "__", invalid rune -> "_<hex>_" */
};
#define ESCAPE_DEFAULT ESCAPE_UNDERSCORES

/* Scrape output formats. */
enum expo_format {
    EXPO_TEXT,        /* text/plain; version=0.0.4 */
    EXPO_PROTO_DELIM, /* length-delimited io.prometheus.client.MetricFamily messages */
};

/* The outcome of negotiating an Accept header. */
struct expo_choice {
    enum expo_format format;
    enum name_escaping escaping;
};

/*
 * Choose the scrape format for an Accept header (NULL = absent) as client_golang's
 * expfmt.Negotiate does: entries sorted by q (descending), more specific ones first; the
 * first entry that is application/vnd.google.protobuf with proto=io.prometheus.client.
 * MetricFamily and encoding=delimited gives EXPO_PROTO_DELIM, text/plain without version or
 * with version=0.0.4 gives EXPO_TEXT; anything else (OpenMetrics included) falls back to
 * EXPO_TEXT. The protobuf text encodings (encoding=text / compact-text) are not implemented:
 * such an entry ends the search with EXPO_TEXT. An escaping=allow-utf-8|underscores|dots|
 * values parameter of any entry visited up to the match sets the escaping (a later one
 * overrides an earlier one, as upstream); unknown values are ignored.
 */
void negotiate_format(const char *accept, struct expo_choice *out);

/*
 * The Content-Type of a negotiated answer, e.g. "text/plain; version=0.0.4; charset=utf-8;
 * escaping=underscores". Returns a static string.
 */
const char *negotiate_content_type(const struct expo_choice *c);

/* The parameter value naming an escaping scheme ("allow-utf-8", "underscores", ...). */
const char *name_escaping_string(enum name_escaping e);

/*
 * Append name as it is written under escaping e (model.EscapeMetricFamily): unchanged when it
 * is legacy-valid, when it is empty or when e is ESCAPE_ALLOW_UTF8; otherwise escaped as
 * model.EscapeName does (bytes that are not valid UTF-8 count as U+FFFD, one rune each).
 */
void name_escape_append(struct strbuf *out, const char *name, enum name_escaping e);

/* Non-zero when name_escape_append would change name. */
int name_needs_escaping(const char *name, enum name_escaping e);

#endif
