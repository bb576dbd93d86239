/* compress.c - gzip decoding of request bodies and gzip encoding of responses, with zlib */
#include <string.h>

#include <zlib.h>

#include "compress.h"
#include "xmalloc.h"

int
gzip_header_check(const unsigned char *data, size_t len, const char **err)
{
    if (len == 0) {
        *err = "EOF";
        return -1;
    }
    if (len < 10) {
        *err = "unexpected EOF";
        return -1;
    }
    if (data[0] != 0x1f || data[1] != 0x8b || data[2] != 8) {
        *err = "gzip: invalid header";
        return -1;
    }
    return 0;
}

int
gzip_decompress(const unsigned char *data, size_t len, size_t max, struct strbuf *out, char **err)
{
    z_stream zs;
    const char *herr;
    size_t off = 0;
    int rc = 0;

    *err = NULL;
    if (gzip_header_check(data, len, &herr) != 0) {
        *err = xstrdup(herr);
        return -1;
    }
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        *err = xstrdup("gzip: cannot initialise decoder");
        return -1;
    }
    while (off < len) {
        int zr;
        /* Go's reader is multistream: another member may follow, garbage may not. */
        if (off > 0) {
            if (gzip_header_check(data + off, len - off, &herr) != 0) {
                *err = xstrdup(herr);
                rc = -1;
                break;
            }
            inflateReset(&zs);
        }
        zs.next_in = (unsigned char *)data + off;
        zs.avail_in = (uInt)(len - off > 0x7fffffff ? 0x7fffffff : len - off);
        do {
            strbuf_grow(out, 65536);
            zs.next_out = (unsigned char *)out->data + out->len;
            zs.avail_out = (uInt)(out->cap - out->len - 1);
            zr = inflate(&zs, Z_NO_FLUSH);
            out->len = (size_t)((char *)zs.next_out - out->data);
            out->data[out->len] = '\0';
            if (out->len > max) {
                *err = xasprintf("decompressed body exceeds the limit of %zu bytes", max);
                rc = -2;
                break;
            }
        } while (zr == Z_OK);
        if (rc != 0)
            break;
        if (zr == Z_STREAM_END) {
            off = (size_t)(zs.next_in - data);
            continue;
        }
        if (zr == Z_DATA_ERROR && zs.msg != NULL && strstr(zs.msg, "header") != NULL)
            *err = xstrdup("gzip: invalid header");
        else if (zr == Z_DATA_ERROR && zs.msg != NULL && strstr(zs.msg, "data check") != NULL)
            *err = xstrdup("gzip: invalid checksum");
        else if (zr == Z_DATA_ERROR)
            *err = xasprintf("flate: corrupt input before offset %lu", (unsigned long)zs.total_in);
        else
            *err = xstrdup("unexpected EOF");
        rc = -1;
        break;
    }
    inflateEnd(&zs);
    return rc;
}

int
gzip_compress(const void *data, size_t len, struct strbuf *out)
{
    z_stream zs;
    int zr;

    memset(&zs, 0, sizeof(zs));
    /* Level 1: scrapes of megabytes must not stall the event loop; size matters less. */
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)len;
    strbuf_grow(out, deflateBound(&zs, (uLong)len) + 16);
    zs.next_out = (unsigned char *)out->data + out->len;
    zs.avail_out = (uInt)(out->cap - out->len - 1);
    zr = deflate(&zs, Z_FINISH);
    out->len = (size_t)((char *)zs.next_out - out->data);
    out->data[out->len] = '\0';
    deflateEnd(&zs);
    return zr == Z_STREAM_END ? 0 : -1;
}
