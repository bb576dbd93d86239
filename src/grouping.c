/* grouping.c - grouping keys: parsing the push URL, base64url, canonical key strings */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "goquote.h"
#include "grouping.h"
#include "strbuf.h"
#include "xmalloc.h"

#define BASE64_SUFFIX "@base64"
#define BASE64_SUFFIX_LEN (sizeof(BASE64_SUFFIX) - 1)
#define KEY_SEPARATOR '\xff' /* model.SeparatorByte */

/* A label pair as split from the URL; seq orders repeated names so that the last one wins. */
struct pair {
    char *name;
    char *value;
    size_t seq;
};

/*
 * Decode a label value or job name as upstream's decodeBase64 does: strings.TrimRight(s, "=")
 * and then base64.RawURLEncoding.DecodeString.
 */
int
base64url_decode(const char *in, size_t len, char **outp, size_t *outlen, size_t *bad_offset)
{
    while (len > 0 && in[len - 1] == '=')
        len--;
    return base64_decode(BASE64_RAW_URL, in, len, outp, outlen, bad_offset);
}

/* Encode with the URL alphabet and '=' padding, like Go's base64.URLEncoding. */
char *
base64url_encode(const char *in, size_t len)
{
    return base64_encode(BASE64_URL, in, len);
}

/* Append the UTF-8 encoding of a valid rune. */
static void
add_utf8(struct strbuf *sb, uint32_t r)
{
    char b[4];

    if (r < 0x80) {
        strbuf_addch(sb, (char)r);
    } else if (r < 0x800) {
        b[0] = (char)(0xc0 | (r >> 6));
        b[1] = (char)(0x80 | (r & 0x3f));
        strbuf_add(sb, b, 2);
    } else if (r < 0x10000) {
        b[0] = (char)(0xe0 | (r >> 12));
        b[1] = (char)(0x80 | ((r >> 6) & 0x3f));
        b[2] = (char)(0x80 | (r & 0x3f));
        strbuf_add(sb, b, 3);
    } else {
        b[0] = (char)(0xf0 | (r >> 18));
        b[1] = (char)(0x80 | ((r >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((r >> 6) & 0x3f));
        b[3] = (char)(0x80 | (r & 0x3f));
        strbuf_add(sb, b, 4);
    }
}

/*
 * Undo the "U__" value-encoding escape as prometheus/common model.UnescapeName does in the
 * releases 1.11 builds with: "__" is "_", "_<hex>_" a code point, and any malformed sequence
 * returns the name unchanged. Its quirks are kept on purpose: the digit loop gives up at the
 * sixth hex digit (so at most five digits ever close), and hex digits are recognised after
 * OR-ing 0x20 into the byte, so bytes 0x10-0x19 count as '0'-'9'. Returns a malloc'd string
 * of *outlen bytes (a NUL byte is possible via "_0_").
 */
static char *
unescape_name(const char *name, size_t n, size_t *outlen)
{
    struct strbuf sb = STRBUF_INIT;
    const char *esc;
    size_t m, i, j;

    if (n < 3 || memcmp(name, "U__", 3) != 0)
        goto unchanged;
    esc = name + 3;
    m = n - 3;
    strbuf_grow(&sb, m);
    for (i = 0; i < m; i++) {
        uint32_t val = 0;

        if (esc[i] != '_') {
            strbuf_addch(&sb, esc[i]);
            continue;
        }
        i++;
        if (i >= m)
            goto unchanged;
        if (esc[i] == '_') {
            strbuf_addch(&sb, '_');
            continue;
        }
        for (j = 0; i < m; j++) {
            unsigned char c;

            if (j >= 6)
                goto unchanged;
            if (esc[i] == '_') {
                if (val >= 0xd800 && val <= 0xdfff) /* surrogates are not valid runes */
                    goto unchanged;
                add_utf8(&sb, val);
                break; /* the outer loop's i++ steps over the closing '_' */
            }
            c = (unsigned char)esc[i] | 0x20;
            if (c >= '0' && c <= '9')
                val = val * 16 + (uint32_t)(c - '0');
            else if (c >= 'a' && c <= 'f')
                val = val * 16 + (uint32_t)(c - 'a' + 10);
            else
                goto unchanged;
            i++;
        }
        if (i >= m)
            goto unchanged; /* no closing underscore */
    }
    return strbuf_detach(&sb, outlen);

unchanged:
    strbuf_free(&sb);
    *outlen = n;
    return xstrndup(name, n);
}

/* Build the error of a failed base64 decode of a label value (upstream's wording). */
static char *
label_b64_error(const char *name, size_t namelen, const char *value, size_t valuelen,
                const char *reason)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "invalid base64 encoding for label ");
    strbuf_add(&sb, name, namelen);
    strbuf_addch(&sb, '=');
    goquote_append(&sb, value, valuelen);
    strbuf_addstr(&sb, ": ");
    strbuf_addstr(&sb, reason);
    return strbuf_detach(&sb, NULL);
}

/* "illegal base64 data at input byte N", Go's base64.CorruptInputError text. */
static char *
corrupt_input_text(size_t off)
{
    return xasprintf("illegal base64 data at input byte %lu", (unsigned long)off);
}

#define NUL_VALUE_TEXT "decoded value contains a NUL byte, which is not supported"

/* Order pairs by name, then by position in the URL. */
static int
pair_cmp(const void *a, const void *b)
{
    const struct pair *pa = a, *pb = b;
    int c = strcmp(pa->name, pb->name);

    if (c != 0)
        return c;
    return pa->seq < pb->seq ? -1 : pa->seq > pb->seq;
}

/* Free the first n pairs and the array. */
static void
pairs_free(struct pair *pairs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
}

/*
 * upstream's splitLabels: the first byte of the labels string is dropped (it is the '/'),
 * the rest is split on '/', and the pieces are taken as name/value pairs in order. Fills
 * *pairsp with *np pairs, or returns -1 with *err set.
 */
static int
split_labels(const char *labels, int utf8_names, struct pair **pairsp, size_t *np, char **err)
{
    size_t len = strlen(labels), ncomp = 1, npairs, i, k = 0;
    struct pair *pairs;
    const char *p;

    *pairsp = NULL;
    *np = 0;
    if (len <= 1)
        return 0;
    for (p = labels + 1; *p != '\0'; p++)
        if (*p == '/')
            ncomp++;
    if (ncomp % 2 != 0) {
        struct strbuf sb = STRBUF_INIT;

        strbuf_addstr(&sb, "odd number of components in label string ");
        goquote_append(&sb, labels, len);
        *err = strbuf_detach(&sb, NULL);
        return -1;
    }
    npairs = ncomp / 2;
    pairs = xcalloc(npairs, sizeof(*pairs));
    p = labels + 1;
    for (i = 0; i < npairs; i++) {
        const char *name = p, *slash = strchr(name, '/');
        const char *value = slash + 1, *end = strchr(value, '/');
        size_t namelen = (size_t)(slash - name), trimlen = namelen, valuelen, ulen;
        int b64 = 0, valid;
        char *uname;

        if (end == NULL)
            end = value + strlen(value);
        valuelen = (size_t)(end - value);
        p = *end == '/' ? end + 1 : end;

        /* strings.TrimSuffix removes exactly one "@base64"; anything else stays in the name. */
        if (namelen >= BASE64_SUFFIX_LEN &&
            memcmp(name + namelen - BASE64_SUFFIX_LEN, BASE64_SUFFIX, BASE64_SUFFIX_LEN) == 0) {
            trimlen = namelen - BASE64_SUFFIX_LEN;
            b64 = 1;
        }
        if (utf8_names) {
            uname = unescape_name(name, trimlen, &ulen);
            /* A NUL (from "_0_") cannot be stored in our C-string labels: reject the name. */
            valid = ulen > 0 && utf8_valid(uname, ulen) && memchr(uname, '\0', ulen) == NULL;
        } else {
            uname = xstrndup(name, trimlen);
            ulen = trimlen;
            valid = label_name_valid_legacy(uname, ulen);
        }
        /* The reserved "__" prefix is checked on the name as written, before unescaping. */
        if (!valid || (trimlen >= 2 && name[0] == '_' && name[1] == '_')) {
            struct strbuf sb = STRBUF_INIT;

            strbuf_addstr(&sb, "improper label name ");
            goquote_append(&sb, name, trimlen);
            *err = strbuf_detach(&sb, NULL);
            free(uname);
            goto fail;
        }
        pairs[k].name = uname;
        pairs[k].seq = k;
        if (!b64) {
            pairs[k].value = xstrndup(value, valuelen);
        } else {
            size_t off, dlen;
            char *dec;

            if (base64url_decode(value, valuelen, &dec, &dlen, &off) != 0) {
                char *reason = corrupt_input_text(off);

                *err = label_b64_error(name, trimlen, value, valuelen, reason);
                free(reason);
                free(dec);
                k++;
                goto fail;
            }
            if (memchr(dec, '\0', dlen) != NULL) {
                *err = label_b64_error(name, trimlen, value, valuelen, NUL_VALUE_TEXT);
                free(dec);
                k++;
                goto fail;
            }
            pairs[k].value = dec;
        }
        k++;
    }
    *pairsp = pairs;
    *np = k;
    return 0;

fail:
    pairs_free(pairs, k);
    return -1;
}

/* Build a key in upstream's order of checks: job, labels part, empty job, then job wins. */
int
grouping_parse(const char *job, int job_b64, const char *labels, int utf8_names,
               struct grouping_key *out, char **err)
{
    struct pair *pairs;
    size_t npairs, i, n;
    char *jobval;

    out->labels = NULL;
    out->n = 0;
    *err = NULL;
    if (job == NULL)
        job = "";
    if (labels == NULL)
        labels = "";

    /* Step 1: the job. upstream quotes the partial decode, not the input, in the error. */
    if (job_b64) {
        size_t off, dlen;

        if (base64url_decode(job, strlen(job), &jobval, &dlen, &off) != 0) {
            struct strbuf sb = STRBUF_INIT;

            strbuf_addstr(&sb, "invalid base64 encoding in job name ");
            goquote_append(&sb, jobval, dlen);
            strbuf_addf(&sb, ": illegal base64 data at input byte %lu", (unsigned long)off);
            *err = strbuf_detach(&sb, NULL);
            free(jobval);
            return -1;
        }
        if (memchr(jobval, '\0', dlen) != NULL) {
            struct strbuf sb = STRBUF_INIT;

            strbuf_addstr(&sb, "invalid base64 encoding in job name ");
            goquote_append(&sb, jobval, dlen);
            strbuf_addstr(&sb, ": " NUL_VALUE_TEXT);
            *err = strbuf_detach(&sb, NULL);
            free(jobval);
            return -1;
        }
    } else {
        jobval = xstrdup(job);
    }

    /* Step 2: the labels part. */
    if (split_labels(labels, utf8_names, &pairs, &npairs, err) != 0) {
        free(jobval);
        return -1;
    }

    /* Step 3: only now the empty job (bad labels are reported first). */
    if (jobval[0] == '\0') {
        pairs_free(pairs, npairs);
        free(jobval);
        *err = xstrdup("job name is required");
        return -1;
    }

    /* Step 4: job overrides any "job" pair; as the last pair it wins like a repeated name. */
    pairs = xreallocarray(pairs, npairs + 1, sizeof(*pairs));
    pairs[npairs].name = xstrdup("job");
    pairs[npairs].value = jobval;
    pairs[npairs].seq = npairs;
    npairs++;

    qsort(pairs, npairs, sizeof(*pairs), pair_cmp);
    out->labels = xcalloc(npairs, sizeof(*out->labels));
    for (i = 0, n = 0; i < npairs; i++) {
        if (i + 1 < npairs && strcmp(pairs[i].name, pairs[i + 1].name) == 0) {
            free(pairs[i].name);
            free(pairs[i].value);
            continue;
        }
        out->labels[n].name = pairs[i].name;
        out->labels[n].value = pairs[i].value;
        n++;
    }
    out->n = n;
    free(pairs);
    return 0;
}

/* Free what a key owns and leave it empty; safe to call twice. */
void
grouping_key_free(struct grouping_key *gk)
{
    size_t i;

    if (gk == NULL)
        return;
    for (i = 0; i < gk->n; i++) {
        free(gk->labels[i].name);
        free(gk->labels[i].value);
    }
    free(gk->labels);
    gk->labels = NULL;
    gk->n = 0;
}

/* Deep copy src into dst (dst is overwritten, not freed first). */
void
grouping_key_copy(struct grouping_key *dst, const struct grouping_key *src)
{
    size_t i;

    dst->n = src->n;
    dst->labels = src->n > 0 ? xcalloc(src->n, sizeof(*dst->labels)) : NULL;
    for (i = 0; i < src->n; i++) {
        dst->labels[i].name = xstrdup(src->labels[i].name);
        dst->labels[i].value = xstrdup(src->labels[i].value);
    }
}

/* Look a label up by name; the value is borrowed from the key. */
const char *
grouping_key_get(const struct grouping_key *gk, const char *name)
{
    size_t lo = 0, hi = gk->n;

    /* Labels are sorted by name, so a binary search will do. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(gk->labels[mid].name, name);

        if (c == 0)
            return gk->labels[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* upstream's groupingKeyFor(): pairs joined by 0xff, no trailing separator. */
char *
grouping_key_string(const struct grouping_key *gk, size_t *len)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = 0; i < gk->n; i++) {
        if (i > 0)
            strbuf_addch(&sb, KEY_SEPARATOR);
        strbuf_addstr(&sb, gk->labels[i].name);
        strbuf_addch(&sb, KEY_SEPARATOR);
        strbuf_addstr(&sb, gk->labels[i].value);
    }
    return strbuf_detach(&sb, len);
}
