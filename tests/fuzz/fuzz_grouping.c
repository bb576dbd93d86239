/* fuzz_grouping.c - libFuzzer harness for grouping_parse, base64url and goquote */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goquote.h"
#include "grouping.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input layout: one flags byte (bit 0: job@base64 route, bit 1: --push.enable-utf8-names),
 * then the job, a NUL, and the labels part. The router hands us NUL-terminated strings, so a
 * NUL is the natural separator; a missing one means an empty labels part.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct grouping_key gk, cp;
    const char *rest;
    size_t restlen, joblen, i;
    char *job, *labels, *err = NULL, *out = NULL, *q;
    size_t outlen = 0, off = 0;
    int flags;

    if (size == 0)
        return 0;
    flags = data[0];
    rest = (const char *)data + 1;
    restlen = size - 1;

    /* The decoder and the quoter take raw bytes, NULs included. */
    if (base64url_decode(rest, restlen, &out, &outlen, &off) == 0) {
        char *enc = base64url_encode(out, outlen);
        char *dec = NULL;
        size_t declen = 0;

        if (base64url_decode(enc, strlen(enc), &dec, &declen, &off) != 0 || declen != outlen ||
            memcmp(dec, out, outlen) != 0)
            abort();
        free(enc);
        free(dec);
    } else if (off >= restlen) {
        abort();
    }
    free(out);
    q = goquote(rest, restlen);
    free(q);

    joblen = strnlen(rest, restlen);
    job = xstrndup(rest, joblen);
    labels = joblen < restlen ? xstrndup(rest + joblen + 1, restlen - joblen - 1) : xstrdup("");

    if (grouping_parse(job, flags & 1, labels, (flags & 2) != 0, &gk, &err) == 0) {
        char *key;
        size_t keylen;

        if (err != NULL || grouping_key_get(&gk, "job") == NULL ||
            grouping_key_get(&gk, "job")[0] == '\0')
            abort();
        for (i = 1; i < gk.n; i++)
            if (strcmp(gk.labels[i - 1].name, gk.labels[i].name) >= 0)
                abort();
        grouping_key_copy(&cp, &gk);
        key = grouping_key_string(&cp, &keylen);
        free(key);
        grouping_key_free(&cp);
        grouping_key_free(&gk);
    } else {
        if (err == NULL || gk.n != 0 || gk.labels != NULL)
            abort();
        free(err);
    }
    free(job);
    free(labels);
    return 0;
}
