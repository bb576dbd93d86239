/* negotiate.c - scrape format negotiation (Accept) and metric-name escaping (spec §7.3) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metric.h"
#include "negotiate.h"
#include "xmalloc.h"

#define PROTO_PROTOCOL "io.prometheus.client.MetricFamily"
#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8; escaping="
#define CT_PROTO                                                                                   \
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "                   \
    "encoding=delimited; escaping="

/* One parsed Accept entry; only the parameters negotiation looks at are kept. */
struct accept_entry {
    const char *type, *subtype; /* point into the parse buffer */
    double q;
    const char *proto, *encoding, *version, *escaping; /* NULL when absent */
};

static const char *const escaping_names[] = {"allow-utf-8", "underscores", "dots", "values"};

const char *
name_escaping_string(enum name_escaping e)
{
    return (unsigned)e <= ESCAPE_VALUES ? escaping_names[e] : "underscores";
}

/* Strip leading and trailing spaces (only ' ', as Go's strings.Trim(s, " ")) in place. */
static char *
trim_spaces(char *s)
{
    size_t n;

    while (*s == ' ')
        s++;
    n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

/* Go's strconv.ParseFloat(s, 32) as goautoneg uses it: 0 when s does not parse. */
static double
parse_q(const char *s)
{
    char *end;
    double v;

    if (*s == '\0' || *s == ' ' || *s == '\t' || *s == '\n' || strpbrk(s, "xX") != NULL)
        return 0;
    v = strtod(s, &end);
    if (*end != '\0')
        return 0;
    return (double)(float)v;
}

/*
 * Parse one comma-separated part into e (goautoneg.ParseAccept). The part is modified.
 * Returns 0 when the media range is unusable and the entry is skipped.
 */
static int
parse_entry(char *part, struct accept_entry *e)
{
    char *semi, *slash, *param, *save = NULL;

    memset(e, 0, sizeof(*e));
    e->q = 1.0;
    semi = strchr(part, ';');
    if (semi != NULL)
        *semi = '\0';
    slash = strchr(part, '/');
    if (slash == NULL) {
        e->type = trim_spaces(part);
        if (strcmp(e->type, "*") != 0)
            return 0;
        e->subtype = "*";
    } else {
        *slash = '\0';
        if (strchr(slash + 1, '/') != NULL)
            return 0;
        e->type = trim_spaces(part);
        e->subtype = trim_spaces(slash + 1);
    }
    if (semi == NULL)
        return 1;
    for (param = strtok_r(semi + 1, ";", &save); param != NULL;
         param = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(param, '='), *key, *value;

        if (eq == NULL)
            continue;
        *eq = '\0';
        key = trim_spaces(param);
        if (strcmp(key, "q") == 0) {
            e->q = parse_q(eq + 1);
            continue;
        }
        value = trim_spaces(eq + 1);
        if (strcmp(key, "proto") == 0)
            e->proto = value;
        else if (strcmp(key, "encoding") == 0)
            e->encoding = value;
        else if (strcmp(key, "version") == 0)
            e->version = value;
        else if (strcmp(key, "escaping") == 0)
            e->escaping = value;
    }
    return 1;
}

/* goautoneg's ordering: higher q first, then concrete types and subtypes before wildcards. */
static int
entry_less(const struct accept_entry *a, const struct accept_entry *b)
{
    if (a->q > b->q)
        return 1;
    if (strcmp(a->type, "*") != 0 && strcmp(b->type, "*") == 0)
        return 1;
    if (strcmp(a->subtype, "*") != 0 && strcmp(b->subtype, "*") == 0)
        return 1;
    return 0;
}

/* Look an escaping parameter up; -1 when unknown. */
static int
escaping_from_string(const char *s)
{
    int i;

    for (i = 0; i <= ESCAPE_VALUES; i++)
        if (strcmp(s, escaping_names[i]) == 0)
            return i;
    return -1;
}

void
negotiate_format(const char *accept, struct expo_choice *out)
{
    struct accept_entry *v = NULL, tmp;
    size_t n = 0, cap = 0, i, j;
    char *buf, *part, *next;

    out->format = EXPO_TEXT;
    out->escaping = ESCAPE_DEFAULT;
    if (accept == NULL)
        return;
    buf = xstrdup(accept);
    for (part = buf; part != NULL; part = next) {
        next = strchr(part, ',');
        if (next != NULL)
            *next++ = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            v = xreallocarray(v, cap, sizeof(*v));
        }
        if (parse_entry(part, &v[n]))
            n++;
    }
    /* Go's sort.Sort is an insertion sort for lists this short; the order is reproduced. */
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && entry_less(&v[j], &v[j - 1]); j--) {
            tmp = v[j];
            v[j] = v[j - 1];
            v[j - 1] = tmp;
        }
    for (i = 0; i < n; i++) {
        const struct accept_entry *e = &v[i];

        if (e->escaping != NULL && e->escaping[0] != '\0') {
            int esc = escaping_from_string(e->escaping);
            if (esc >= 0)
                out->escaping = (enum name_escaping)esc;
        }
        if (strcmp(e->type, "application") == 0 && strcmp(e->subtype, "vnd.google.protobuf") == 0 &&
            e->proto != NULL && strcmp(e->proto, PROTO_PROTOCOL) == 0 && e->encoding != NULL) {
            if (strcmp(e->encoding, "delimited") == 0) {
                out->format = EXPO_PROTO_DELIM;
                break;
            }
            /* The protobuf text encodings are not offered: answer in the text format. */
            if (strcmp(e->encoding, "text") == 0 || strcmp(e->encoding, "compact-text") == 0)
                break;
        }
        if (strcmp(e->type, "text") == 0 && strcmp(e->subtype, "plain") == 0 &&
            (e->version == NULL || e->version[0] == '\0' || strcmp(e->version, "0.0.4") == 0))
            break;
    }
    free(v);
    free(buf);
}

const char *
negotiate_content_type(const struct expo_choice *c)
{
    static const char *const text[] = {CT_TEXT "allow-utf-8", CT_TEXT "underscores", CT_TEXT "dots",
                                       CT_TEXT "values"};
    static const char *const proto[] = {CT_PROTO "allow-utf-8", CT_PROTO "underscores",
                                        CT_PROTO "dots", CT_PROTO "values"};
    unsigned e = (unsigned)c->escaping <= ESCAPE_VALUES ? (unsigned)c->escaping : ESCAPE_DEFAULT;

    return c->format == EXPO_PROTO_DELIM ? proto[e] : text[e];
}

/*
 * Decode one rune at s (n > 0 bytes left) as Go's range loop does: an invalid or truncated
 * sequence yields U+FFFD with width 1. Returns the width.
 */
static size_t
decode_rune(const unsigned char *s, size_t n, uint32_t *r)
{
    size_t len, k;
    uint32_t cp;

    if (s[0] < 0x80) {
        *r = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        *r = 0xfffd;
        return 1;
    }
    if (len > n) {
        *r = 0xfffd;
        return 1;
    }
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80) {
            *r = 0xfffd;
            return 1;
        }
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
        *r = 0xfffd;
        return 1;
    }
    *r = cp;
    return len;
}

/* model's isValidLegacyRune: letters, '_', ':' anywhere, digits after the first byte. */
static int
legacy_rune(uint32_t r, size_t i)
{
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_' || r == ':' ||
           (r >= '0' && r <= '9' && i > 0);
}

int
name_needs_escaping(const char *name, enum name_escaping e)
{
    size_t n = strlen(name);

    return e != ESCAPE_ALLOW_UTF8 && n > 0 && !metric_name_valid_legacy(name, n);
}

void
name_escape_append(struct strbuf *out, const char *name, enum name_escaping e)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(name), i = 0, w;
    uint32_t r;

    if (!name_needs_escaping(name, e)) {
        strbuf_add(out, name, n);
        return;
    }
    if (e == ESCAPE_VALUES)
        strbuf_add(out, "U__", 3);
    for (; i < n; i += w) {
        w = decode_rune(s + i, n - i, &r);
        if (e == ESCAPE_UNDERSCORES) {
            strbuf_addch(out, legacy_rune(r, i) ? (char)r : '_');
        } else if (r == '_') {
            strbuf_add(out, "__", 2);
        } else if (e == ESCAPE_DOTS && r == '.') {
            strbuf_add(out, "_dot_", 5);
        } else if (legacy_rune(r, i)) {
            strbuf_addch(out, (char)r);
        } else if (e == ESCAPE_DOTS) {
            strbuf_add(out, "__", 2);
        } else {
            strbuf_addf(out, "_%x_", (unsigned)r);
        }
    }
}
