/* compress.c - gzip decoding of request bodies and gzip encoding of responses, with zlib */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif

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

struct gzip_segment *
gzip_segment_ref(struct gzip_segment *seg)
{
    seg->refs++;
    return seg;
}

void
gzip_segment_unref(struct gzip_segment *seg)
{
    if (seg == NULL || --seg->refs > 0)
        return;
    strbuf_free(&seg->z);
    free(seg);
}

/* Run deflate over what is in zs.next_in with flush mode `flush`, appending to w->out. */
static void
writer_deflate(struct gzip_writer *w, int flush)
{
    z_stream *zs = w->zs;
    int zr;

    if (w->failed)
        return;
    do {
        size_t before;

        strbuf_grow(&w->out, 65536);
        before = w->out.len;
        zs->next_out = (unsigned char *)w->out.data + w->out.len;
        zs->avail_out = (uInt)(w->out.cap - w->out.len - 1);
        zr = deflate(zs, flush);
        w->out.len = (size_t)((char *)zs->next_out - w->out.data);
        w->out.data[w->out.len] = '\0';
        if (w->seg != NULL)
            strbuf_add(&w->seg->z, w->out.data + before, w->out.len - before);
        if (zr == Z_STREAM_ERROR) {
            w->failed = 1;
            return;
        }
        /* Done when deflate left room: all input taken and, for a flush, all output out. */
    } while (zs->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
}

/* Feed len bytes (any size: zlib counts in uInt) with flush mode `flush` at the end. */
static void
writer_feed(struct gzip_writer *w, const void *data, size_t len, int flush)
{
    z_stream *zs = w->zs;
    const unsigned char *p = data;

    do {
        size_t n = len > 0x40000000 ? 0x40000000 : len;
        zs->next_in = (unsigned char *)p;
        zs->avail_in = (uInt)n;
        p += n;
        len -= n;
        writer_deflate(w, len == 0 ? flush : Z_NO_FLUSH);
    } while (len > 0);
}

int
gzip_writer_init(struct gzip_writer *w)
{
    /* A fixed header: no name, no time, XFL 4 (fastest), OS 3 (Unix), as zlib writes it. */
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3};
    z_stream *zs = xcalloc(1, sizeof(*zs));

    memset(w, 0, sizeof(*w));
    /* Level 1: scrapes of megabytes must not stall the event loop; size matters less. */
    if (deflateInit2(zs, Z_BEST_SPEED, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(zs);
        return -1;
    }
    w->zs = zs;
    w->crc = crc32(0L, Z_NULL, 0);
    strbuf_add(&w->out, header, sizeof(header));
    return 0;
}

void
gzip_writer_write(struct gzip_writer *w, const void *data, size_t len)
{
    if (len == 0)
        return;
    /* Inside a segment the bytes count for the segment, and join the member at its end. */
    if (w->seg != NULL) {
        w->seg->crc = crc32(w->seg->crc, data, (uInt)len);
        w->seg->rawlen += len;
    } else {
        w->crc = crc32(w->crc, data, (uInt)len);
        w->rawlen += (unsigned long)len;
    }
    writer_feed(w, data, len, Z_NO_FLUSH);
    w->dirty = 1;
}

/* Make the next bytes independent of everything before them (and byte-aligned). */
static void
writer_reset_history(struct gzip_writer *w)
{
    if (!w->dirty)
        return;
    ((z_stream *)w->zs)->avail_in = 0;
    writer_deflate(w, Z_FULL_FLUSH);
    w->dirty = 0;
}

void
gzip_writer_segment_begin(struct gzip_writer *w)
{
    writer_reset_history(w);
    w->seg = xcalloc(1, sizeof(*w->seg));
    w->seg->refs = 1;
    w->seg->crc = crc32(0L, Z_NULL, 0);
}

struct gzip_segment *
gzip_writer_segment_end(struct gzip_writer *w)
{
    struct gzip_segment *seg;

    /* A sync flush ends it byte-aligned; the history it leaves is this stream's own. */
    ((z_stream *)w->zs)->avail_in = 0;
    writer_deflate(w, Z_SYNC_FLUSH);
    seg = w->seg;
    w->seg = NULL;
    w->crc = crc32_combine(w->crc, seg->crc, (z_off_t)seg->rawlen);
    w->rawlen += (unsigned long)seg->rawlen;
    return seg;
}

void
gzip_writer_splice(struct gzip_writer *w, const struct gzip_segment *seg)
{
    /* The compressor must not refer back into bytes it has not seen: reset it first. */
    writer_reset_history(w);
    strbuf_add(&w->out, seg->z.data, seg->z.len);
    w->crc = crc32_combine(w->crc, seg->crc, (z_off_t)seg->rawlen);
    w->rawlen += (unsigned long)seg->rawlen;
}

int
gzip_writer_finish(struct gzip_writer *w)
{
    unsigned char trailer[8];
    int i;

    ((z_stream *)w->zs)->avail_in = 0;
    writer_deflate(w, Z_FINISH);
    for (i = 0; i < 4; i++) {
        trailer[i] = (unsigned char)(w->crc >> (8 * i));
        trailer[4 + i] = (unsigned char)(w->rawlen >> (8 * i));
    }
    strbuf_add(&w->out, trailer, sizeof(trailer));
    return w->failed ? -1 : 0;
}

void
gzip_writer_free(struct gzip_writer *w)
{
    if (w->zs != NULL) {
        deflateEnd(w->zs);
        free(w->zs);
    }
    gzip_segment_unref(w->seg);
    strbuf_free(&w->out);
    memset(w, 0, sizeof(*w));
}

/* ---- packed renderings ---- */

struct rcbytes *
rcbytes_pack(struct strbuf *sb)
{
#ifdef HAVE_LZ4
    static struct strbuf z; /* scratch, reused: the event loop packs one at a time */
    int n;

    if (sb->len < 64 || sb->len > (size_t)LZ4_MAX_INPUT_SIZE)
        return rcbytes_from_strbuf(sb);
    strbuf_reset(&z);
    strbuf_grow(&z, (size_t)LZ4_compressBound((int)sb->len));
#if LZ4_VERSION_NUMBER >= 10900
    {
        /* One stream, reset cheaply for each independent block: LZ4_compress_default would
         * clear its 16 KiB table every time, more work than compressing a group's JSON. */
        static LZ4_stream_t *stream;

        if (stream == NULL && (stream = LZ4_createStream()) == NULL)
            abort();
        LZ4_resetStream_fast(stream);
        n = LZ4_compress_fast_continue(stream, sb->data, z.data, (int)sb->len, (int)(z.cap - 1), 1);
    }
#elif LZ4_VERSION_NUMBER >= 10700
    n = LZ4_compress_default(sb->data, z.data, (int)sb->len, (int)(z.cap - 1));
#else
    n = LZ4_compress_limitedOutput(sb->data, z.data, (int)sb->len, (int)(z.cap - 1));
#endif
    if (n > 0 && (size_t)n < sb->len - sb->len / 8) {
        struct rcbytes *b = xmalloc(sizeof(*b) + (size_t)n + 1);

        b->refs = 1;
        b->len = (size_t)n;
        b->raw = sb->len;
        memcpy(b->data, z.data, b->len);
        b->data[b->len] = '\0';
        strbuf_free(sb);
        return b;
    }
#endif
    return rcbytes_from_strbuf(sb);
}

void
rcbytes_unpack(const struct rcbytes *b, char *dst)
{
    if (b->raw == b->len) {
        memcpy(dst, b->data, b->len);
        return;
    }
#ifdef HAVE_LZ4
    /* Our own output, in memory: a mismatch is a bug, not bad input. */
    if (LZ4_decompress_safe(b->data, dst, (int)b->len, (int)b->raw) == (int)b->raw)
        return;
#endif
    abort();
}

void
rcbytes_append(const struct rcbytes *b, size_t skip, struct strbuf *sb)
{
    if (skip >= b->raw)
        return;
    if (b->raw == b->len) {
        strbuf_add(sb, b->data + skip, b->len - skip);
        return;
    }
    strbuf_grow(sb, b->raw);
    rcbytes_unpack(b, sb->data + sb->len);
    memmove(sb->data + sb->len, sb->data + sb->len + skip, b->raw - skip);
    sb->len += b->raw - skip;
    sb->data[sb->len] = '\0';
}
