/* log.c - leveled, structured logging in logfmt or JSON, like upstream's promslog */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "goquote.h"
#include "log.h"
#include "strbuf.h"
#include "xmalloc.h"

static enum log_level min_level = LOG_LEVEL_INFO;
static enum log_format out_format = LOG_FORMAT_LOGFMT;
static int out_fd = 2;
static char *out_path;  /* --log.file (absolute) when records go to a file we own */
static int out_syslog;  /* records go to syslog(3) */
static int echo_stderr; /* also write warnings and errors to stderr (start-up) */

/* slog's Level.String() names. */
static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void
log_init(enum log_level level, enum log_format format)
{
    min_level = level;
    out_format = format;
}

void
log_set_fd(int fd)
{
    out_fd = fd;
}

/* Open path for appending log records. */
static int
open_log_file(const char *path, char **err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

    if (fd < 0)
        *err = xasprintf("open %s: %s", path, strerror(errno));
    return fd;
}

int
log_open_file(const char *path, char **err)
{
    char *abs = NULL;
    int fd;

    if (path[0] != '/') {
        char cwd[4096];

        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            *err =
                xasprintf("open %s: cannot resolve the relative path: %s", path, strerror(errno));
            return -1;
        }
        abs = xasprintf("%s/%s", cwd, path);
    } else {
        abs = xstrdup(path);
    }
    fd = open_log_file(abs, err);
    if (fd < 0) {
        free(abs);
        return -1;
    }
    log_close();
    out_fd = fd;
    out_path = abs;
    return 0;
}

int
log_reopen(char **err)
{
    int fd;

    if (out_path == NULL)
        return 0;
    fd = open_log_file(out_path, err);
    if (fd < 0)
        return -1;
    /* dup2 keeps the descriptor number, so nothing else needs to learn about it. */
    if (dup2(fd, out_fd) < 0) {
        *err = xasprintf("reopen %s: %s", out_path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 1;
}

void
log_open_syslog(const char *ident)
{
    log_close();
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    out_syslog = 1;
}

void
log_set_stderr_echo(int on)
{
    echo_stderr = on;
}

void
log_close(void)
{
    if (out_path != NULL) {
        close(out_fd);
        free(out_path);
        out_path = NULL;
        out_fd = 2;
    }
    if (out_syslog) {
        closelog();
        out_syslog = 0;
    }
}

int
log_level_parse(const char *s, enum log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    int i;

    for (i = 0; i < 4; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int
log_format_parse(const char *s, enum log_format *out)
{
    if (strcmp(s, "logfmt") == 0) {
        *out = LOG_FORMAT_LOGFMT;
        return 0;
    }
    if (strcmp(s, "json") == 0) {
        *out = LOG_FORMAT_JSON;
        return 0;
    }
    return -1;
}

int
log_enabled(enum log_level level)
{
    return level >= min_level;
}

/*
 * Decode one UTF-8 sequence the way Go does: overlong forms, surrogates and values past
 * U+10FFFF are invalid. Returns the length; invalid input gives U+FFFD with length 1.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, unsigned *r)
{
    unsigned c = s[0], lo = 0x80, hi = 0xbf, v;
    size_t len, i;

    if (c < 0x80) {
        *r = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        goto bad;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        goto bad;
    v = (v << 6) | (s[1] & 0x3f);
    for (i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            goto bad;
        v = (v << 6) | (s[i] & 0x3f);
    }
    *r = v;
    return len;
bad:
    *r = 0xfffd;
    return 1;
}

/*
 * Whether the valid non-ASCII rune in s[0..len) is printable in Go's sense: strconv.Quote
 * (goquote) leaves exactly those raw. Unicode spaces other than U+0020 are never printable,
 * which covers slog's unicode.IsSpace test too.
 */
static int
rune_printable(struct strbuf *tmp, const unsigned char *s, size_t len)
{
    strbuf_reset(tmp);
    goquote_append(tmp, (const char *)s, len);
    return tmp->len == len + 2 && memcmp(tmp->data + 1, s, len) == 0;
}

/* slog's needsQuoting: empty, space, '=', '"', control bytes, bad UTF-8, unprintable runes. */
static int
needs_quoting(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    struct strbuf tmp = STRBUF_INIT;
    size_t n = strlen(s), i = 0;
    int quote = n == 0;

    while (i < n && !quote) {
        unsigned r;
        size_t len;

        if (p[i] < 0x80) {
            quote = p[i] == ' ' || p[i] == '=' || p[i] == '"' || p[i] < 0x20;
            i++;
            continue;
        }
        len = utf8_decode(p + i, n - i, &r);
        /* U+FFFD is quoted even when it is really in the text, as slog does. */
        quote = r == 0xfffd || !rune_printable(&tmp, p + i, len);
        i += len;
    }
    strbuf_free(&tmp);
    return quote;
}

/* A logfmt key or value: bare when it can be, quoted otherwise. */
static void
add_logfmt(struct strbuf *sb, const char *s)
{
    if (needs_quoting(s))
        goquote_append(sb, s, strlen(s));
    else
        strbuf_addstr(sb, s);
}

/* A JSON string as slog's JSON handler escapes it (no HTML escaping). */
static void
add_json(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;

    strbuf_addch(sb, '"');
    while (i < n) {
        unsigned r;
        size_t len;

        if (p[i] < 0x80) {
            unsigned char c = p[i++];

            if (c == '"' || c == '\\') {
                strbuf_addch(sb, '\\');
                strbuf_addch(sb, (char)c);
            } else if (c == '\n') {
                strbuf_addstr(sb, "\\n");
            } else if (c == '\r') {
                strbuf_addstr(sb, "\\r");
            } else if (c == '\t') {
                strbuf_addstr(sb, "\\t");
            } else if (c < 0x20) {
                strbuf_addstr(sb, "\\u00");
                strbuf_addch(sb, hex[c >> 4]);
                strbuf_addch(sb, hex[c & 0xf]);
            } else {
                strbuf_addch(sb, (char)c);
            }
            continue;
        }
        len = utf8_decode(p + i, n - i, &r);
        if (r == 0xfffd && len == 1)
            strbuf_addstr(sb, "\\ufffd");
        else if (r == 0x2028 || r == 0x2029)
            strbuf_addf(sb, "\\u%04x", r);
        else
            strbuf_add(sb, p + i, len);
        i += len;
    }
    strbuf_addch(sb, '"');
}

/* Append " key=value" (logfmt) or ,"key":"value" (JSON). */
static void
add_pair(struct strbuf *sb, const char *key, const char *value)
{
    if (out_format == LOG_FORMAT_JSON) {
        strbuf_addch(sb, ',');
        add_json(sb, key);
        strbuf_addch(sb, ':');
        add_json(sb, value);
    } else {
        strbuf_addch(sb, ' ');
        add_logfmt(sb, key);
        strbuf_addch(sb, '=');
        add_logfmt(sb, value);
    }
}

/*
 * The record time in UTC: milliseconds, always three digits, for logfmt (slog's text
 * handler); RFC 3339 nanoseconds without trailing zeros for JSON.
 */
static void
format_time(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    time_t secs;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    secs = ts.tv_sec;
    gmtime_r(&secs, &tm);
    n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= size)
        return;
    if (out_format == LOG_FORMAT_JSON) {
        if (ts.tv_nsec != 0) {
            char frac[16];
            int len = snprintf(frac, sizeof(frac), "%09ld", (long)ts.tv_nsec);

            while (len > 0 && frac[len - 1] == '0')
                frac[--len] = '\0';
            snprintf(buf + n, size - (size_t)n, ".%sZ", frac);
        } else {
            snprintf(buf + n, size - (size_t)n, "Z");
        }
    } else {
        snprintf(buf + n, size - (size_t)n, ".%03ldZ", (long)(ts.tv_nsec / 1000000));
    }
}

/* Write all of buf, retrying after signals and short writes. */
static void
write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void
log_kv(enum log_level level, const char *file, int line, const char *msg, ...)
{
    struct strbuf sb = STRBUF_INIT;
    char when[64], source[256];
    const char *base, *key;
    int saved = errno;
    va_list ap;

    if (level < min_level)
        return;
    if ((unsigned)level > LOG_LEVEL_ERROR)
        level = LOG_LEVEL_ERROR;
    format_time(when, sizeof(when));
    base = file != NULL ? strrchr(file, '/') : NULL;
    base = base != NULL ? base + 1 : (file != NULL ? file : "");
    snprintf(source, sizeof(source), "%s:%d", base, line);

    if (out_format == LOG_FORMAT_JSON) {
        /* The fixed keys are plain ASCII and written as they are. */
        strbuf_addstr(&sb, "{\"time\":");
        add_json(&sb, when);
        strbuf_addstr(&sb, ",\"level\":");
        add_json(&sb, level_names[level]);
        strbuf_addstr(&sb, ",\"source\":");
        add_json(&sb, source);
    } else {
        strbuf_addf(&sb, "time=%s level=%s source=", when, level_names[level]);
        add_logfmt(&sb, source);
    }
    add_pair(&sb, "msg", msg != NULL ? msg : "");

    va_start(ap, msg);
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);

        /* A key without a value ends the list; slog shows it as !BADKEY=key. */
        if (value == NULL) {
            add_pair(&sb, "!BADKEY", key);
            break;
        }
        add_pair(&sb, key, value);
    }
    va_end(ap);

    strbuf_addstr(&sb, out_format == LOG_FORMAT_JSON ? "}\n" : "\n");
    if (out_syslog) {
        static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};

        syslog(prio[level], "%.*s", (int)(sb.len - 1), sb.data);
    } else {
        write_all(out_fd, sb.data, sb.len);
    }
    if (echo_stderr && level >= LOG_LEVEL_WARN && (out_syslog || out_fd != 2))
        write_all(2, sb.data, sb.len);
    strbuf_free(&sb);
    errno = saved;
}
