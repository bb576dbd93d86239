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

/*
 * A gzip member built piece by piece, some of the pieces compressed earlier (segments).
 * A segment is raw deflate data compressed from an empty history and ending byte-aligned
 * without a final block, so it can be spliced into any later stream at a point where the
 * compressor's history is reset (Z_FULL_FLUSH); the CRC-32 of the whole member is combined
 * from the segments' CRCs. A scrape keeps the compressed form of every family that did not
 * change since the last scrape and compresses only the rest.
 */
struct gzip_segment {
    unsigned refs;
    struct strbuf z;   /* raw deflate blocks, no final block */
    unsigned long crc; /* CRC-32 of the uncompressed bytes */
    size_t rawlen;     /* their length */
};
struct gzip_segment *gzip_segment_ref(struct gzip_segment *seg);
void gzip_segment_unref(struct gzip_segment *seg); /* frees with the last reference; NULL ok */

struct gzip_writer {
    void *zs;          /* z_stream, owned */
    struct strbuf out; /* compressed bytes not yet taken by the caller (owned) */
    unsigned long crc;
    unsigned long rawlen;     /* modulo 2^32 is all the trailer keeps */
    int dirty;                /* the compressor's history may hold bytes: reset before a segment */
    int failed;               /* zlib failed: the member is unusable */
    struct gzip_segment *seg; /* the segment being written, NULL outside one (owned) */
};

/*
 * Start a member (level 1); its header is the first thing in w->out. The caller may take
 * bytes from w->out (and reset it) between calls. Returns 0, or -1 when zlib cannot start.
 */
int gzip_writer_init(struct gzip_writer *w);
/* Compress len bytes into the member (and into the open segment, if any). */
void gzip_writer_write(struct gzip_writer *w, const void *data, size_t len);
/* Open a segment: what is written until gzip_writer_segment_end() is also kept apart. */
void gzip_writer_segment_begin(struct gzip_writer *w);
/* Close the segment; returns it with one reference for the caller. */
struct gzip_segment *gzip_writer_segment_end(struct gzip_writer *w);
/* Append a segment compressed earlier (borrowed; its bytes are copied). Not inside one. */
void gzip_writer_splice(struct gzip_writer *w, const struct gzip_segment *seg);
/*
 * Finish the member (final block, CRC-32, size: the rest of it lands in w->out). Returns 0,
 * or -1 when zlib failed at any point. Release with gzip_writer_free() either way.
 */
int gzip_writer_finish(struct gzip_writer *w);
void gzip_writer_free(struct gzip_writer *w);

/*
 * Cached renderings kept compressed in memory (LZ4 block format, when built with liblz4):
 * each group's /api/v1/metrics JSON shrinks to about 40%, and unpacking it runs at memory
 * speed, a few milliseconds for 10k groups. Without liblz4, or when compressing does not save
 * an eighth, the bytes are kept as they are.
 */
/* Take the contents of sb (left empty) as shared bytes standing for them, packed or not. */
struct rcbytes *rcbytes_pack(struct strbuf *sb);
/* Write the b->raw bytes b stands for to dst (which has room for them). */
void rcbytes_unpack(const struct rcbytes *b, char *dst);
/* Append what b stands for, from byte `skip` on, to sb. */
void rcbytes_append(const struct rcbytes *b, size_t skip, struct strbuf *sb);

#endif
