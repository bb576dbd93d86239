/* goquote.h - Go-compatible quoting of arbitrary bytes (strconv.Quote, fmt's %q) */
#ifndef PGW_GOQUOTE_H
#define PGW_GOQUOTE_H

#include <stddef.h>

#include "strbuf.h"

/*
 * Quote n bytes of s (NULs allowed) exactly as Go's strconv.Quote / fmt "%q" on a string do:
 * surrounding double quotes; `"` and `\` backslashed; printable Unicode (Go's IsPrint,
 * Unicode 15.0) raw; \a \b \f \n \r \t \v; other runes below U+0020 and U+007F as \xHH;
 * other non-printable runes as \uHHHH or \UHHHHHHHH; every byte that is not part of valid
 * UTF-8 as \xHH. Hex digits are lower case. Returns a malloc'd NUL-terminated string.
 */
char *goquote(const char *s, size_t n);

/* Same as goquote(), appending to sb. */
void goquote_append(struct strbuf *sb, const char *s, size_t n);

#endif
