/* sysconfig.c - parser for /etc/sysconfig files: the KEY=value syntax sh and systemd share */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metric.h"
#include "strbuf.h"
#include "sysconfig.h"
#include "xmalloc.h"

/* Parser position: the input, the read offset and the current line number. */
struct scan {
    const char *buf;
    size_t len;
    size_t pos;
    unsigned line;
    char *err; /* set on failure */
};

/* Record an error at the current line; always returns -1. */
static int __attribute__((format(printf, 2, 3))) scan_error(struct scan *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    free(s->err);
    s->err = xstrdup(tmp);
    return -1;
}

/* The byte at offset k from the read position, or -1 past the end. */
static int
peek(const struct scan *s, size_t k)
{
    return s->pos + k < s->len ? (unsigned char)s->buf[s->pos + k] : -1;
}

static int
is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* A byte no line may contain anywhere (inside quotes included). */
static int
bad_byte(struct scan *s, int c)
{
    if (c == 0)
        return scan_error(s, "NUL byte");
    if (c == '\r')
        return scan_error(s, "carriage return (DOS line ending?): systemd ends the line "
                             "there, /bin/sh keeps it in the value");
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
        return scan_error(s, "control character 0x%02x", (unsigned)c);
    return 0;
}

/* Skip a comment line (at '#'), refusing a trailing backslash systemd would continue. */
static int
skip_comment(struct scan *s)
{
    size_t backslashes = 0;
    int c;

    while ((c = peek(s, 0)) != -1 && c != '\n') {
        if (c == 0 || c == '\r')
            return bad_byte(s, c);
        backslashes = c == '\\' ? backslashes + 1 : 0;
        s->pos++;
    }
    if (backslashes % 2 == 1)
        return scan_error(s, "comment ends in a backslash: systemd continues it on the next "
                             "line, /bin/sh does not");
    return 0;
}

static int
is_name_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_name_char(int c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Read KEY and the '=' after it (after an optional "export "). */
static int
read_key(struct scan *s, struct strbuf *key)
{
    int c;

    if (s->len - s->pos > 6 && memcmp(s->buf + s->pos, "export", 6) == 0 && is_blank(peek(s, 6))) {
        s->pos += 6;
        while (is_blank(peek(s, 0)))
            s->pos++;
    }
    c = peek(s, 0);
    if (c == ';')
        return scan_error(s, "';' starts a comment for systemd but not for /bin/sh: use '#'");
    if (!is_name_start(c))
        return scan_error(s, "expected KEY=value, KEY made of letters, digits and '_'");
    while (is_name_char(peek(s, 0)))
        strbuf_addch(key, (char)s->buf[s->pos++]);
    c = peek(s, 0);
    if (c == '=') {
        s->pos++;
        return 0;
    }
    if (is_blank(c))
        return scan_error(s, "blank after %s: write %s=value without blanks around '='",
                          strbuf_str(key), strbuf_str(key));
    if (c == -1 || c == '\n')
        return scan_error(s, "missing '=' after %s", strbuf_str(key));
    if (bad_byte(s, c) < 0)
        return -1;
    return scan_error(s, "invalid character '%c' in key %s", c, strbuf_str(key));
}

/* Read a '...' part (at the opening quote) into v. */
static int
read_single(struct scan *s, struct strbuf *v)
{
    unsigned start = s->line;
    int c;

    s->pos++;
    while ((c = peek(s, 0)) != '\'') {
        if (c == -1) {
            s->line = start;
            return scan_error(s, "unterminated single quote");
        }
        if (c == '\\')
            return scan_error(s, "backslash inside single quotes: systemd 219 reads it as an "
                                 "escape, /bin/sh does not");
        if (bad_byte(s, c) < 0)
            return -1;
        if (c == '\n')
            s->line++;
        strbuf_addch(v, (char)c);
        s->pos++;
    }
    s->pos++;
    return 0;
}

/* Read a "..." part (at the opening quote) into v. */
static int
read_double(struct scan *s, struct strbuf *v)
{
    unsigned start = s->line;
    int c;

    s->pos++;
    while ((c = peek(s, 0)) != '"') {
        if (c == -1) {
            s->line = start;
            return scan_error(s, "unterminated double quote");
        }
        if (c == '$' || c == '`')
            return scan_error(s,
                              "'%c' inside double quotes is expanded by /bin/sh but not "
                              "by systemd: write \\%c or use single quotes",
                              c, c);
        if (c == '\\') {
            int n = peek(s, 1);

            if (n == '\n') {
                s->line++;
            } else if (n == '"' || n == '\\' || n == '$' || n == '`') {
                strbuf_addch(v, (char)n);
            } else if (n == -1) {
                s->line = start;
                return scan_error(s, "unterminated double quote");
            } else {
                if (bad_byte(s, n) < 0)
                    return -1;
                return scan_error(s,
                                  "\\%c inside double quotes: /bin/sh keeps the backslash, "
                                  "systemd 219 drops it; use single quotes",
                                  n);
            }
            s->pos += 2;
            continue;
        }
        if (bad_byte(s, c) < 0)
            return -1;
        if (c == '\n')
            s->line++;
        strbuf_addch(v, (char)c);
        s->pos++;
    }
    s->pos++;
    return 0;
}

/* After an unquoted blank only more blanks may follow on the line. */
static int
read_trailing(struct scan *s)
{
    int c;

    while (is_blank(peek(s, 0)))
        s->pos++;
    c = peek(s, 0);
    if (c == -1 || c == '\n')
        return 0;
    if (c == '#')
        return scan_error(s, "comment after a value: systemd keeps it in the value; put "
                             "comments on lines of their own");
    if (c == '\\' && peek(s, 1) == '\n')
        return scan_error(s, "blank before a line continuation: quote the value");
    return scan_error(s, "unquoted blank in the value: quote the value");
}

/* Read the value after '=' up to the end of its (last) line. */
static int
read_value(struct scan *s, struct strbuf *v)
{
    int unquoted = 0; /* inside unquoted text: a quote now would be literal for systemd */
    int colon = 0;    /* the last unquoted character was ':' (tilde expansion follows it) */
    size_t start = s->pos;
    int c;

    for (;;) {
        c = peek(s, 0);
        if (c == -1 || c == '\n')
            return 0;
        if (is_blank(c))
            return read_trailing(s);
        if (c == '\'' || c == '"') {
            if (unquoted)
                return scan_error(s, "quote after unquoted text: /bin/sh removes it, systemd "
                                     "keeps it; quote the whole value");
            if ((c == '\'' ? read_single(s, v) : read_double(s, v)) < 0)
                return -1;
            colon = 0;
            continue;
        }
        if (c == '\\') {
            int n = peek(s, 1);

            if (n == -1)
                return scan_error(s, "backslash at the end of the file");
            if (n == '\n') {
                s->line++;
            } else {
                if (bad_byte(s, n) < 0)
                    return -1;
                strbuf_addch(v, (char)n);
            }
            s->pos += 2;
            unquoted = 1;
            colon = 0;
            continue;
        }
        if (c == '$' || c == '`')
            return scan_error(s,
                              "'%c' is expanded by /bin/sh but not by systemd: write \\%c "
                              "or use single quotes",
                              c, c);
        if (bad_byte(s, c) < 0)
            return -1;
        if (strchr("|&;<>()", c) != NULL)
            return scan_error(s, "unquoted '%c' is special to /bin/sh: quote the value", c);
        if (c == '~' && (s->pos == start || colon))
            return scan_error(s, "unquoted '~' here is expanded by /bin/sh: quote the value");
        strbuf_addch(v, (char)c);
        s->pos++;
        unquoted = 1;
        colon = c == ':';
    }
}

int
sysconfig_parse(const char *buf, size_t len, sysconfig_fn fn, void *arg, unsigned *line, char **err)
{
    struct scan s = {buf, len, 0, 1, NULL};
    struct strbuf key = STRBUF_INIT, value = STRBUF_INIT;
    int rc = 0;

    while (s.pos < s.len) {
        unsigned start;
        int c;

        while (is_blank(peek(&s, 0)))
            s.pos++;
        c = peek(&s, 0);
        if (c == -1)
            break;
        if (c == '\n') {
            s.pos++;
            s.line++;
            continue;
        }
        if (c == '#') {
            if (skip_comment(&s) < 0)
                goto fail;
            continue;
        }
        start = s.line;
        strbuf_reset(&key);
        strbuf_reset(&value);
        if (read_key(&s, &key) < 0 || read_value(&s, &value) < 0)
            goto fail;
        if (!utf8_valid(value.data != NULL ? value.data : "", value.len)) {
            s.line = start;
            scan_error(&s, "the value of %s is not valid UTF-8 (systemd ignores it)",
                       strbuf_str(&key));
            goto fail;
        }
        if (fn(arg, start, strbuf_str(&key), strbuf_str(&value), &s.err) < 0) {
            s.line = start;
            if (s.err == NULL)
                s.err = xstrdup("rejected");
            goto fail;
        }
    }
    goto done;
fail:
    rc = -1;
    *line = s.line;
    *err = s.err;
    s.err = NULL;
done:
    strbuf_free(&key);
    strbuf_free(&value);
    free(s.err);
    return rc;
}
