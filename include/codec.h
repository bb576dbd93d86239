/* codec.h - binary encoding of keys, families, timestamps and mutations for the storage files */
#ifndef PGW_CODEC_H
#define PGW_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "grouping.h"
#include "metric.h"
#include "storage.h"
#include "strbuf.h"

/*
 * The on-disk encoding of docs/storage-format.md. Integers and doubles are fixed-width
 * little-endian, strings and arrays carry an explicit u32 length. Everything a file holds
 * is wrapped in frames:
 *
 *   magic[4] | u32 length | u32 crc32(length bytes + payload) | payload[length]
 *
 * Decoding never trusts the input: every length is checked against the bytes left, and the
 * first error is reported with the absolute byte offset where it was found.
 */

/*
 * Format version written into snapshot and journal headers. Version 2 added group TTLs (a
 * push record flag and a snapshot group trailer); version 1 files are still read.
 */
#define CODEC_VERSION 2

#define CODEC_FRAME_HEADER 12u                  /* magic + length + crc */
#define CODEC_FRAME_MAX (1024u * 1024u * 1024u) /* largest payload accepted */

/* Frame magics. */
#define CODEC_MAGIC_SNAP_HEADER "PGWH" /* snapshot header */
#define CODEC_MAGIC_SNAP_GROUP "PGWG"  /* one group of a snapshot */
#define CODEC_MAGIC_SNAP_END "PGWE"    /* snapshot trailer */
#define CODEC_MAGIC_JOURNAL "PGWJ"     /* journal header */
#define CODEC_MAGIC_RECORD "PGWR"      /* one journal record (a mutation) */

/* ---- encoding: append to a strbuf ---- */

void codec_put_u8(struct strbuf *b, uint8_t v);
void codec_put_u16(struct strbuf *b, uint16_t v);
void codec_put_u32(struct strbuf *b, uint32_t v);
void codec_put_u64(struct strbuf *b, uint64_t v);
void codec_put_i64(struct strbuf *b, int64_t v);
/* The IEEE-754 bits, so NaN payloads, infinities and -0 survive. */
void codec_put_f64(struct strbuf *b, double v);
/* u32 length + bytes (no NUL). */
void codec_put_str(struct strbuf *b, const char *s);
void codec_put_key(struct strbuf *b, const struct grouping_key *k);
void codec_put_timespec(struct strbuf *b, const struct timespec *ts);
/* Every field of the family, its metrics and their native histogram parts. */
void codec_put_family(struct strbuf *b, const struct metric_family *mf);

/* Start a frame at the end of b; returns its offset for codec_frame_end(). */
size_t codec_frame_begin(struct strbuf *b);
/* Finish the frame started at `start`: fill in magic, length and checksum. */
void codec_frame_end(struct strbuf *b, size_t start, const char magic[4]);

/* ---- decoding: a cursor over an untrusted buffer ---- */

struct codec_reader {
    const unsigned char *p; /* borrowed */
    size_t len;
    size_t off;  /* current position in p */
    size_t base; /* file offset of p[0], for error messages */
    char *err;   /* first error (owned; free with codec_reader_clear), NULL if none */
};

void codec_reader_init(struct codec_reader *r, const void *data, size_t len, size_t base);
void codec_reader_clear(struct codec_reader *r);
/* Record an error at the current position (the first one wins); returns -1. */
int codec_fail(struct codec_reader *r, const char *what);

/* Each getter returns 0, or -1 with r->err set; on error the output is left empty/zeroed. */
int codec_get_u8(struct codec_reader *r, uint8_t *v);
int codec_get_u16(struct codec_reader *r, uint16_t *v);
int codec_get_u32(struct codec_reader *r, uint32_t *v);
int codec_get_u64(struct codec_reader *r, uint64_t *v);
int codec_get_i64(struct codec_reader *r, int64_t *v);
int codec_get_f64(struct codec_reader *r, double *v);
/* A string without NUL bytes; *s is malloc'd, the caller frees. */
int codec_get_str(struct codec_reader *r, char **s);
/* A grouping key: labels sorted by name, names unique and non-empty. Caller frees. */
int codec_get_key(struct codec_reader *r, struct grouping_key *k);
int codec_get_timespec(struct codec_reader *r, struct timespec *ts);
/* A family; NULL on error. Caller frees (metric_family_free). */
struct metric_family *codec_get_family(struct codec_reader *r);

/* Outcome of codec_frame_check(). */
enum codec_frame_status {
    CODEC_FRAME_OK = 0,
    CODEC_FRAME_SHORT = 1, /* the frame runs past the end of the data (a torn tail) */
    CODEC_FRAME_BAD = 2,   /* wrong magic, impossible length or checksum mismatch */
};

/*
 * Check the frame at data[0..avail) against magic. On CODEC_FRAME_OK, *payload and *len give
 * the payload and *size the whole frame's size. SHORT is only returned when the bytes present
 * are a plausible prefix of a frame (right magic, sane length).
 */
enum codec_frame_status codec_frame_check(const unsigned char *data, size_t avail,
                                          const char magic[4], const unsigned char **payload,
                                          size_t *len, size_t *size);

/* ---- mutations (journal record payloads) ---- */

/* A decoded mutation that owns its parts (the store functions consume them on replay). */
struct codec_mutation {
    uint64_t seq;
    enum storage_op op;
    struct grouping_key key;     /* PUSH, FAILURE, DELETE */
    struct family_list families; /* PUSH */
    int replace;                 /* PUSH */
    int unchecked;               /* PUSH */
    struct timespec ts;          /* PUSH, FAILURE */
    int64_t ttl;                 /* PUSH: STORE_TTL_DEFAULT, or the group's own TTL (ns) */
};

/* Encode seq and the mutation as a record payload (without the frame). */
void codec_put_mutation(struct strbuf *b, uint64_t seq, const struct storage_mutation *m);
/* Decode a record payload; on error everything decoded so far is freed. */
int codec_get_mutation(struct codec_reader *r, struct codec_mutation *m);
void codec_mutation_free(struct codec_mutation *m);

#endif
