/* base64.c - base64 decoding and encoding with the semantics of Go's encoding/base64 */
#include <stdint.h>
#include <stdlib.h>

#include "base64.h"
#include "xmalloc.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char *
alphabet(enum base64_encoding enc)
{
    return enc == BASE64_STD ? std_alphabet : url_alphabet;
}

/* Value of character c in alphabet a, or -1 (the alphabets differ in their last two only). */
static int
char_value(const char *a, unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (unsigned char)a[62])
        return 62;
    if (c == (unsigned char)a[63])
        return 63;
    return -1;
}

static int
is_newline(unsigned char c)
{
    return c == '\r' || c == '\n';
}

/*
 * A port of the quantum loop of Go's (*Encoding).Decode (decodeQuantum; Decode's fast paths
 * decode whole quanta without line breaks the same way): the error offsets, including the
 * line breaks they count, and the partial output are Go's.
 */
int
base64_decode(enum base64_encoding enc, const char *in, size_t len, char **outp, size_t *outlen,
              size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)in;
    const char *a = alphabet(enc);
    const int padded = enc != BASE64_RAW_URL;
    unsigned char *out = xmalloc(len / 4 * 3 + 4);
    size_t si = 0, n = 0, bad = 0;
    int rc = 0;

    while (rc == 0 && si < len) {
        uint32_t dbuf[4] = {0, 0, 0, 0};
        int j, dlen = 4;
        uint32_t v;

        for (j = 0; j < 4; j++) {
            unsigned char c;
            int d;

            if (si == len) {
                if (j == 0)
                    goto out;
                if (j == 1 || padded) {
                    bad = si - (size_t)j;
                    rc = -1;
                    goto out;
                }
                dlen = j;
                break;
            }
            c = s[si++];
            d = char_value(a, c);
            if (d >= 0) {
                dbuf[j] = (uint32_t)d;
                continue;
            }
            if (is_newline(c)) {
                j--;
                continue;
            }
            if (!padded || c != '=' || j < 2) {
                bad = si - 1;
                rc = -1;
                goto out;
            }
            /* Padding ends the data: "xx" needs a second '=', then only line breaks follow. */
            if (j == 2) {
                while (si < len && is_newline(s[si]))
                    si++;
                if (si == len || s[si] != '=') {
                    bad = si == len ? len : si - 1;
                    rc = -1;
                    goto out;
                }
                si++;
            }
            while (si < len && is_newline(s[si]))
                si++;
            if (si < len) {
                bad = si; /* trailing garbage: reported after this quantum is stored */
                rc = -1;
            }
            dlen = j;
            break;
        }
        /* Not strict: leftover bits of the last character are dropped. */
        v = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3];
        out[n++] = (unsigned char)(v >> 16);
        if (dlen >= 3)
            out[n++] = (unsigned char)(v >> 8);
        if (dlen == 4)
            out[n++] = (unsigned char)v;
    }
out:
    out[n] = '\0';
    *outp = (char *)out;
    if (outlen != NULL)
        *outlen = n;
    if (rc != 0 && bad_offset != NULL)
        *bad_offset = bad;
    return rc;
}

char *
base64_encode(enum base64_encoding enc, const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    const char *a = alphabet(enc);
    const int padded = enc != BASE64_RAW_URL;
    char *out = xmalloc((len + 2) / 3 * 4 + 1);
    size_t i, o = 0;

    for (i = 0; i < len; i += 3) {
        size_t rest = len - i;
        uint32_t v = (uint32_t)s[i] << 16;

        if (rest > 1)
            v |= (uint32_t)s[i + 1] << 8;
        if (rest > 2)
            v |= s[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (rest > 1)
            out[o++] = a[v >> 6 & 63];
        else if (padded)
            out[o++] = '=';
        if (rest > 2)
            out[o++] = a[v & 63];
        else if (padded)
            out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}
