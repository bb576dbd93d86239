/* compress.h - gzip request-body decoding (with Go's error texts) and gzip responses (zlib) */
#ifndef PGW_COMPRESS_H
#define PGW_COMPRESS_H

#include <stddef.h>

#include "strbuf.h"

/*
 * Check the gzip header the way Go's gzip.NewReader does when upstream's request wrapper
 * opens a gzip body (spec §2): returns 0, or -1 with *err = "EOF", "unexpected EOF" or
 * "gzip: invalid header" (static strings, not to be freed).
 */
int gzip_header_check(const unsigned char *data, size_t len, const char **err);

/*
 * Decompress a whole gzip body (concatenated members allowed) into out, refusing to produce
 * more than `max` bytes. Returns 0; -1 with *err set to Go's reader error text ("unexpected
 * EOF", "gzip: invalid header", "gzip: invalid checksum", "flate: corrupt input before
 * offset N"); or -2 when the output would exceed max (*err describes it). *err is malloc'd.
 */
int gzip_decompress(const unsigned char *data, size_t len, size_t max, struct strbuf *out,
                    char **err);

/* Compress data as one gzip member into out. Returns 0, or -1 on a zlib failure. */
int gzip_compress(const void *data, size_t len, struct strbuf *out);

#endif
