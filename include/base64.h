/* base64.h - base64 decoding and encoding with the semantics of Go's encoding/base64 */
#ifndef PGW_BASE64_H
#define PGW_BASE64_H

#include <stddef.h>

/* The encodings of Go's encoding/base64 that the gateway uses. */
enum base64_encoding {
    BASE64_STD,     /* StdEncoding: "+/", '=' padding required (basic auth) */
    BASE64_URL,     /* URLEncoding: "-_", '=' padding required (the UI's delete URLs) */
    BASE64_RAW_URL, /* RawURLEncoding: "-_", no padding: '=' is an illegal byte */
};

/*
 * Decode as Go's (*Encoding).DecodeString does (not strict: leftover bits of the last
 * character are ignored): "\r" and "\n" are skipped wherever they appear; with padding, a
 * final group must be completed with '=' and only line breaks may follow; without it, a
 * final group of one character is an error. Returns 0 and a malloc'd NUL-terminated result
 * (*outlen bytes, may contain NULs), or -1 with *outp set to the partial decode Go returns
 * and *bad_offset (if not NULL) to N of Go's "illegal base64 data at input byte N". The
 * caller frees *outp in both cases.
 */
int base64_decode(enum base64_encoding enc, const char *in, size_t len, char **outp, size_t *outlen,
                  size_t *bad_offset);

/* Encode as Go's (*Encoding).EncodeToString does. Caller frees. */
char *base64_encode(enum base64_encoding enc, const char *in, size_t len);

#endif
