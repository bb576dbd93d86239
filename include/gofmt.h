/* gofmt.h - number and time formatting byte-compatible with Go's (strconv, time) */
#ifndef PGW_GOFMT_H
#define PGW_GOFMT_H

#include <stddef.h>
#include <time.h>

#define GOFMT_FLOAT_MAX 32 /* enough for any formatted double plus NUL */
#define GOFMT_TIME_MAX 64

/*
 * Format a double as the text exposition does (spec §7.5): the shortest digit string that
 * round-trips, in %g style with the exponent form when the decimal exponent is < -4 or >= 6
 * (1e+06, 123456, 1e-05, 0.0001, 1.2345678901234568e+17); "NaN", "+Inf", "-Inf"; -0 gives "0".
 * Writes a NUL-terminated string into buf and returns its length.
 */
size_t gofmt_float(char buf[GOFMT_FLOAT_MAX], double v);

/* Like gofmt_float but Go's %v / strconv 'g' -1: -0 gives "-0" (used by the JSON API). */
size_t gofmt_float_json(char buf[GOFMT_FLOAT_MAX], double v);

/*
 * RFC 3339 with nanoseconds in the process' local zone, Go layout
 * "2006-01-02T15:04:05.999999999Z07:00": trailing zeros of the fraction removed (and the dot
 * when the fraction is 0), "Z" for a zero offset, "+05:30" otherwise. Returns the length.
 */
size_t gofmt_rfc3339nano(char buf[GOFMT_TIME_MAX], const struct timespec *ts);

#endif
