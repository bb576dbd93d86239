/* strbuf.c - growable byte buffer */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xmalloc.h"

void
strbuf_init(struct strbuf *sb)
{
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void
strbuf_free(struct strbuf *sb)
{
    free(sb->data);
    strbuf_init(sb);
}

void
strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->data != NULL)
        sb->data[0] = '\0';
}

void
strbuf_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    size_t cap;

    if (need <= sb->cap)
        return;
    cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    sb->data = xreallocarray(sb->data, cap, 1);
    sb->cap = cap;
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    strbuf_grow(sb, 64);
    va_start(ap, fmt);
    n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sb->cap - sb->len) {
        strbuf_grow(sb, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
        va_end(ap);
    }
    sb->len += (size_t)n;
}

char *
strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *p;

    if (sb->data == NULL)
        strbuf_grow(sb, 0), sb->data[0] = '\0';
    p = sb->data;
    if (len != NULL)
        *len = sb->len;
    strbuf_init(sb);
    return p;
}

const char *
strbuf_str(const struct strbuf *sb)
{
    return sb->data != NULL ? sb->data : "";
}

struct rcbytes *
rcbytes_from_strbuf(struct strbuf *sb)
{
    struct rcbytes *b = xmalloc(sizeof(*b) + sb->len + 1);

    b->refs = 1;
    b->len = b->raw = sb->len;
    if (sb->len > 0)
        memcpy(b->data, sb->data, sb->len);
    b->data[b->len] = '\0';
    strbuf_free(sb);
    return b;
}

struct rcbytes *
rcbytes_ref(struct rcbytes *b)
{
    b->refs++;
    return b;
}

void
rcbytes_unref(struct rcbytes *b)
{
    if (b != NULL && --b->refs == 0)
        free(b);
}
