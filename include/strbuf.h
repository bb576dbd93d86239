/* strbuf.h - growable byte buffer for building text (exposition, messages, keys) */
#ifndef PGW_STRBUF_H
#define PGW_STRBUF_H

#include <stddef.h>
#include <string.h>

/*
 * A byte buffer that grows on demand. `data` is always NUL-terminated (the NUL is not
 * counted in `len`) once anything was added, and may contain NUL bytes itself.
 * Initialise with STRBUF_INIT or strbuf_init(); release with strbuf_free().
 */
struct strbuf {
    char *data;
    size_t len;
    size_t cap;
};

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb); /* len = 0, keeps the allocation */
void strbuf_grow(struct strbuf *sb, size_t extra);
/* Append len bytes (inline: the writers and the journal codec call it for every field). */
static inline void
strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    if (sb->len + len + 1 > sb->cap)
        strbuf_grow(sb, len);
    if (len > 0)
        memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}
static inline void
strbuf_addstr(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}
/* Append one byte (inline: JSON and text writers call it for every separator). */
static inline void
strbuf_addch(struct strbuf *sb, char c)
{
    if (sb->len + 2 > sb->cap)
        strbuf_grow(sb, 1);
    sb->data[sb->len++] = c;
    sb->data[sb->len] = '\0';
}
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Detach the buffer: returns the NUL-terminated data (never NULL), which the caller frees. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* A C string view of the contents ("" when empty); borrowed, valid until the next change. */
const char *strbuf_str(const struct strbuf *sb);

/*
 * Immutable bytes shared by reference count: a cached rendering that a response still being
 * sent keeps alive after the cache dropped it. Created with one reference (the creator's);
 * freed by the rcbytes_unref() that drops the last.
 */
struct rcbytes {
    unsigned refs;
    size_t len;
    size_t raw;  /* the length of the bytes it stands for: len, or more when packed (compress.h:
                    rcbytes_pack); read packed ones with rcbytes_unpack */
    char data[]; /* len bytes, then a NUL */
};

/* Take the contents of sb (left empty) as new shared bytes. */
struct rcbytes *rcbytes_from_strbuf(struct strbuf *sb);
struct rcbytes *rcbytes_ref(struct rcbytes *b);
void rcbytes_unref(struct rcbytes *b); /* NULL is fine */

#endif
