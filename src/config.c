/* config.c - command-line configuration; one option table drives parsing, help, flags map */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "goquote.h"
#include "version.h"
#include "xmalloc.h"

#ifndef PGW_BUILD_USER
#define PGW_BUILD_USER "unknown"
#endif

/* Enum fields are written through int pointers; make sure that is their size. */
typedef char config_enum_is_int[(sizeof(enum log_level) == sizeof(int) &&
                                 sizeof(enum log_format) == sizeof(int) &&
                                 sizeof(enum fsync_policy) == sizeof(int))
                                    ? 1
                                    : -1];

static const char *const log_level_choices[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_format_choices[] = {"logfmt", "json", NULL};
/* Indexed by enum fsync_policy. */
static const char *const fsync_choices[] = {"never", "interval", "always", NULL};

#define FIELD(f) offsetof(struct config, f)

/*
 * Upstream's flags in kingpin registration order (help, exporter-toolkit's web flags, the
 * Pushgateway's own, promslog's, version), with upstream's help texts.
 */
static const struct config_option options[] = {
    {.name = "help",
     .short_name = 'h',
     .type = CONFIG_OPT_ACTION,
     .def = "",
     .help = "Show context-sensitive help."},
    {.name = "web.systemd-socket",
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Use systemd socket activation listeners instead of port listeners (Linux only).",
     .offset = FIELD(systemd_socket)},
    {.name = "web.listen-address",
     .type = CONFIG_OPT_STRING_LIST,
     .def = ":9091",
     .help = "Addresses on which to expose metrics and web interface. Repeatable for multiple "
             "addresses. Examples: `:9091` or `[::1]:9091`.",
     .offset = FIELD(listen_addresses),
     .count_offset = FIELD(nlisten_addresses)},
    {.name = "web.config.file",
     .type = CONFIG_OPT_STRING,
     .def = "",
     .help = "Path to configuration file that can enable TLS or authentication. See: "
             "https://github.com/prometheus/exporter-toolkit/blob/master/docs/"
             "web-configuration.md",
     .offset = FIELD(web_config_file)},
    {.name = "web.telemetry-path",
     .type = CONFIG_OPT_STRING,
     .def = "/metrics",
     .help = "Path under which to expose metrics.",
     .offset = FIELD(telemetry_path)},
    {.name = "web.external-url",
     .type = CONFIG_OPT_URL,
     .def = "",
     .help = "The URL under which the Pushgateway is externally reachable.",
     .offset = FIELD(external_url)},
    {.name = "web.route-prefix",
     .type = CONFIG_OPT_STRING,
     .def = "",
     .help = "Prefix for the internal routes of web endpoints. Defaults to the path of "
             "--web.external-url.",
     .offset = FIELD(route_prefix)},
    {.name = "web.enable-lifecycle",
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Enable shutdown via HTTP request.",
     .offset = FIELD(enable_lifecycle)},
    {.name = "web.enable-admin-api",
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Enable API endpoints for admin control actions.",
     .offset = FIELD(enable_admin_api)},
    /* Ours: limits of the HTTP server (docs/configuration.md); not in the status flags map. */
    {.name = "web.max-connections",
     .type = CONFIG_OPT_UINT,
     .def = "1024",
     .help = "Maximum number of open client connections; more are answered 503 and closed "
             "(0 = unlimited).",
     .offset = FIELD(max_connections),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "web.read-timeout",
     .type = CONFIG_OPT_DURATION,
     .def = "60s",
     .help = "Time a client has to send a whole request (headers and body) once it has started; "
             "the connection is closed after that.",
     .offset = FIELD(read_timeout),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "web.idle-timeout",
     .type = CONFIG_OPT_DURATION,
     .def = "60s",
     .help = "Close a connection on which nothing is received or sent for this long, including "
             "the wait for the next request on a kept-alive connection (whole seconds).",
     .offset = FIELD(idle_timeout),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "web.max-header-size",
     .type = CONFIG_OPT_SIZE,
     .def = "1MiB",
     .help = "Maximum size of a request's first line and headers.",
     .offset = FIELD(max_header_size),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "persistence.file",
     .type = CONFIG_OPT_STRING,
     .def = "",
     .help = "File to persist metrics. If empty, metrics are only kept in memory.",
     .offset = FIELD(persistence_file)},
    {.name = "persistence.interval",
     .type = CONFIG_OPT_DURATION,
     .def = "5m",
     .help = "The minimum interval at which to write out the persistence file.",
     .offset = FIELD(persistence_interval)},
    /* Ours (not upstream): the storage backend and the journal's fsync policy. */
    {.name = "persistence.fsync",
     .type = CONFIG_OPT_ENUM,
     .def = "interval",
     .help = "When journal writes reach stable storage (file backend). Every acknowledged "
             "write is in the journal before the reply in all modes, which survives a crash "
             "of the gateway; for power loss: never (OS decides), interval (fdatasync every "
             "second), always (fdatasync before the reply, grouped). One of: [never, interval, "
             "always]",
     .offset = FIELD(persistence_fsync),
     .choices = fsync_choices,
     .flags = CONFIG_OPT_LOCAL},
    {.name = "storage.backend",
     .type = CONFIG_OPT_STRING,
     .def = "",
     .help = "Storage backend: memory (no durability) or file (snapshot plus journal at "
             "--persistence.file). Empty chooses file when --persistence.file is set and "
             "memory otherwise.",
     .offset = FIELD(storage_backend),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "push.disable-consistency-check",
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Do not check consistency of pushed metrics. DANGEROUS.",
     .offset = FIELD(disable_consistency_check)},
    {.name = "push.enable-utf8-names",
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Allow UTF-8 characters in metric and label names.",
     .offset = FIELD(enable_utf8_names)},
    /* Ours: limits of pushes and of the store; not in the status flags map. */
    {.name = "push.max-body-size",
     .type = CONFIG_OPT_SIZE,
     .def = "64MiB",
     .help = "Maximum size of a push body, also after gzip decoding (413 beyond).",
     .offset = FIELD(max_body_size),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "push.max-groups",
     .type = CONFIG_OPT_UINT,
     .def = "0",
     .help = "Maximum number of groups; a push that would create one more is refused with 409 "
             "(0 = unlimited).",
     .offset = FIELD(max_groups),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "push.max-series",
     .type = CONFIG_OPT_UINT,
     .def = "0",
     .help = "Maximum number of pushed series in all groups together; a push that would exceed "
             "it is refused with 409 (0 = unlimited).",
     .offset = FIELD(max_series),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "push.max-series-per-group",
     .type = CONFIG_OPT_UINT,
     .def = "0",
     .help = "Maximum number of pushed series in one group; a push that would exceed it is "
             "refused with 409 (0 = unlimited).",
     .offset = FIELD(max_series_per_group),
     .flags = CONFIG_OPT_LOCAL},
    /* Ours: expiry of stale groups (docs/ttl.md); not in the status flags map. */
    {.name = "push.group-ttl",
     .type = CONFIG_OPT_DURATION,
     .def = "0",
     .help = "Delete a group when its last successful push is older than this (Go duration, "
             "e.g. 24h; 0 = never, as upstream). A push can set its own with ?ttl=DURATION.",
     .offset = FIELD(push_group_ttl),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "log.level",
     .type = CONFIG_OPT_ENUM,
     .def = "info",
     .help = "Only log messages with the given severity or above. One of: [debug, info, warn, "
             "error]",
     .offset = FIELD(log_level),
     .choices = log_level_choices,
     .flags = CONFIG_OPT_NOCASE},
    {.name = "log.format",
     .type = CONFIG_OPT_ENUM,
     .def = "logfmt",
     .help = "Output format of log messages. One of: [logfmt, json]",
     .offset = FIELD(log_format),
     .choices = log_format_choices},
    /* Ours: service management (SysV init and systemd); not in the status flags map. */
    {.name = "log.file",
     .type = CONFIG_OPT_STRING,
     .def = "",
     .help = "Append log records to this file instead of standard error; reopened on SIGHUP "
             "(logrotate).",
     .offset = FIELD(log_file),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "log.syslog",
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Send log records to syslog (facility daemon) instead of standard error.",
     .offset = FIELD(log_syslog),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "config.file",
     .type = CONFIG_OPT_STRING,
     .def = "",
     .help = "Read settings from this sysconfig file (PUSHGATEWAY_* keys and PUSHGATEWAY_OPTS) "
             "before the command line, e.g. /etc/sysconfig/pushgateway.",
     .offset = FIELD(config_file),
     .flags = CONFIG_OPT_LOCAL | CONFIG_OPT_CMDLINE},
    {.name = "config.check",
     .short_name = 'n',
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Check the configuration and exit (0 valid, 1 invalid) without binding ports.",
     .offset = FIELD(config_check),
     .flags = CONFIG_OPT_LOCAL | CONFIG_OPT_CMDLINE},
    {.name = "daemon",
     .type = CONFIG_OPT_BOOL,
     .def = "false",
     .help = "Run in the background once serving: detach from the terminal and the session, "
             "chdir to /, standard streams to /dev/null (SysV init).",
     .offset = FIELD(daemon),
     .flags = CONFIG_OPT_LOCAL | CONFIG_OPT_CMDLINE},
    {.name = "pid-file",
     .type = CONFIG_OPT_STRING,
     .def = "",
     .help = "Write the process ID to this file once serving; removed on exit.",
     .offset = FIELD(pid_file),
     .flags = CONFIG_OPT_LOCAL},
    {.name = "version", .type = CONFIG_OPT_ACTION, .def = "", .help = "Show application version."},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* A field of cfg by table offset. */
static void *
field(struct config *cfg, size_t off)
{
    return (char *)cfg + off;
}

static const void *
cfield(const struct config *cfg, size_t off)
{
    return (const char *)cfg + off;
}

/* Append s quoted as Go's strconv.Quote does (URL and enum errors). */
static void
add_quoted(struct strbuf *sb, const char *s)
{
    goquote_append(sb, s, strlen(s));
}

/* s quoted as Go's time package quotes it: every non-ASCII or control byte as \xNN. */
static void
add_time_quoted(struct strbuf *sb, const char *s)
{
    const unsigned char *p;

    strbuf_addch(sb, '"');
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p >= 0x80 || *p < 0x20) {
            strbuf_addf(sb, "\\x%02x", *p);
        } else {
            if (*p == '"' || *p == '\\')
                strbuf_addch(sb, '\\');
            strbuf_addch(sb, (char)*p);
        }
    }
    strbuf_addch(sb, '"');
}

/* Build an error: prefix, the Go-quoted value, then suffix. */
static char *
quoted_error(const char *prefix, const char *value, const char *suffix)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, prefix);
    add_quoted(&sb, value);
    strbuf_addstr(&sb, suffix);
    return strbuf_detach(&sb, NULL);
}

/* ---- Go durations ---- */

/* Error for an unparsable duration, with Go's wording. */
static int
duration_error(char **err, const char *what, const char *orig)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addf(&sb, "time: %s duration ", what);
    add_time_quoted(&sb, orig);
    *err = strbuf_detach(&sb, NULL);
    return -1;
}

/* Scale of a duration unit in nanoseconds, or 0 when unknown (Go's unitMap). */
static uint64_t
duration_unit(const char *u, size_t n)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
        {"ms", 1000000},
        {"s", UINT64_C(1000000000)},
        {"m", UINT64_C(60000000000)},
        {"h", UINT64_C(3600000000000)},
    };
    size_t i;

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
            return units[i].ns;
    return 0;
}

int
go_duration_parse(const char *orig, int64_t *ns, char **err)
{
    const uint64_t limit = UINT64_C(1) << 63;
    const char *s = orig;
    uint64_t d = 0;
    int neg = 0;

    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (*s == '\0')
        return duration_error(err, "invalid", orig);
    while (*s != '\0') {
        uint64_t v = 0, f = 0, unit;
        double scale = 1;
        int pre, post = 0, overflow = 0;
        const char *start, *u;

        /* The next character must be [0-9.]. */
        if (!(*s == '.' || (*s >= '0' && *s <= '9')))
            return duration_error(err, "invalid", orig);
        /* [0-9]*, failing on overflow like Go's leadingInt. */
        for (start = s; *s >= '0' && *s <= '9'; s++) {
            if (v > limit / 10)
                return duration_error(err, "invalid", orig);
            v = v * 10 + (uint64_t)(*s - '0');
            if (v > limit)
                return duration_error(err, "invalid", orig);
        }
        pre = s != start;
        /* (\.[0-9]*)?, which stops gaining precision instead of failing. */
        if (*s == '.') {
            for (start = ++s; *s >= '0' && *s <= '9'; s++) {
                uint64_t y;

                if (overflow)
                    continue;
                if (f > (limit - 1) / 10) {
                    overflow = 1;
                    continue;
                }
                y = f * 10 + (uint64_t)(*s - '0');
                if (y > limit) {
                    overflow = 1;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = s != start;
        }
        if (!pre && !post)
            return duration_error(err, "invalid", orig);
        /* The unit runs up to the next digit or dot. */
        for (u = s; *s != '\0' && *s != '.' && !(*s >= '0' && *s <= '9'); s++)
            ;
        if (s == u)
            return duration_error(err, "missing unit in", orig);
        unit = duration_unit(u, (size_t)(s - u));
        if (unit == 0) {
            struct strbuf sb = STRBUF_INIT;
            char *name = xstrndup(u, (size_t)(s - u));

            strbuf_addstr(&sb, "time: unknown unit ");
            add_time_quoted(&sb, name);
            strbuf_addstr(&sb, " in duration ");
            add_time_quoted(&sb, orig);
            free(name);
            *err = strbuf_detach(&sb, NULL);
            return -1;
        }
        if (v > limit / unit)
            return duration_error(err, "invalid", orig);
        v *= unit;
        if (f > 0) {
            /* Go uses float64 here too; it is nanosecond-exact for fractions of hours. */
            v += (uint64_t)((double)f * ((double)unit / scale));
            if (v > limit)
                return duration_error(err, "invalid", orig);
        }
        d += v;
        if (d > limit)
            return duration_error(err, "invalid", orig);
    }
    if (neg) {
        *ns = d == limit ? INT64_MIN : -(int64_t)d;
        return 0;
    }
    if (d > limit - 1)
        return duration_error(err, "invalid", orig);
    *ns = (int64_t)d;
    return 0;
}

/* Write v's last prec digits before w as a fraction without trailing zeros (Go's fmtFrac). */
static char *
fmt_frac(char *w, uint64_t *v, int prec)
{
    int i, print = 0;

    for (i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(*v % 10);

        print = print || digit != 0;
        if (print)
            *--w = (char)('0' + digit);
        *v /= 10;
    }
    if (print)
        *--w = '.';
    return w;
}

/* Write v in decimal ending just before w (Go's fmtInt). */
static char *
fmt_int(char *w, uint64_t v)
{
    if (v == 0) {
        *--w = '0';
        return w;
    }
    while (v > 0) {
        *--w = (char)('0' + v % 10);
        v /= 10;
    }
    return w;
}

char *
go_duration_format(int64_t ns, char buf[32])
{
    char tmp[32];
    char *end = tmp + sizeof(tmp), *w = end;
    uint64_t u = (uint64_t)ns;
    int neg = ns < 0;

    if (neg)
        u = -u;
    if (u < UINT64_C(1000000000)) {
        /* Under a second: the largest sub-second unit, like "1.2ms". */
        int prec;

        *--w = 's';
        if (u == 0) {
            *--w = '0';
            goto done;
        } else if (u < 1000) {
            prec = 0;
            *--w = 'n';
        } else if (u < 1000000) {
            prec = 3;
            *--w = '\xb5'; /* U+00B5 micro sign, as Go writes it */
            *--w = '\xc2';
        } else {
            prec = 6;
            *--w = 'm';
        }
        w = fmt_frac(w, &u, prec);
        w = fmt_int(w, u);
    } else {
        *--w = 's';
        w = fmt_frac(w, &u, 9);
        w = fmt_int(w, u % 60);
        u /= 60;
        if (u > 0) {
            *--w = 'm';
            w = fmt_int(w, u % 60);
            u /= 60;
            /* Stop at hours: days vary in length. */
            if (u > 0) {
                *--w = 'h';
                w = fmt_int(w, u);
            }
        }
    }
done:
    if (neg)
        *--w = '-';
    memcpy(buf, w, (size_t)(end - w));
    buf[end - w] = '\0';
    return buf;
}

/* ---- URLs, checked the way Go's url.Parse checks them ---- */

static int
is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

static int
is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether Go's shouldEscape(c, encodeHost) allows c in a host name unescaped. */
static int
host_char_ok(unsigned char c)
{
    return c >= 0x80 || is_alnum(c) || strchr("-_.~!$&'()*+,;=:[]<>\"", c) != NULL;
}

/* Format a URL error the way url.Error prints: parse "<url>": <reason>. */
static int
url_error(char **err, const char *raw, const char *reason)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "invalid URL: parse ");
    add_quoted(&sb, raw);
    strbuf_addf(&sb, ": %s", reason);
    *err = strbuf_detach(&sb, NULL);
    return -1;
}

/*
 * Percent-decode s[0..n) into *out (when out is non-NULL) as Go's unescape does; host mode
 * also rejects characters that are not allowed in a host. On error *reason is set.
 */
static int
url_unescape(const char *s, size_t n, int host, char **out, char **reason)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            if (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) ||
                !is_hex((unsigned char)s[i + 2])) {
                size_t len = n - i < 3 ? n - i : 3;
                char *bad = xstrndup(s + i, len);

                *reason = quoted_error("invalid URL escape ", bad, "");
                free(bad);
                strbuf_free(&sb);
                return -1;
            }
            /* Only %25 and non-ASCII escapes may appear in a host, as in Go. */
            if (host && hex_val((unsigned char)s[i + 1]) < 8 && memcmp(s + i, "%25", 3) != 0) {
                char *bad = xstrndup(s + i, 3);

                *reason = quoted_error("invalid URL escape ", bad, "");
                free(bad);
                strbuf_free(&sb);
                return -1;
            }
            strbuf_addch(&sb, (char)(hex_val((unsigned char)s[i + 1]) * 16 +
                                     hex_val((unsigned char)s[i + 2])));
            i += 2;
            continue;
        }
        if (host && !host_char_ok(c)) {
            char bad[2] = {(char)c, '\0'};

            *reason = quoted_error("invalid character ", bad, " in host name");
            strbuf_free(&sb);
            return -1;
        }
        strbuf_addch(&sb, (char)c);
    }
    if (out != NULL)
        *out = strbuf_detach(&sb, NULL);
    else
        strbuf_free(&sb);
    return 0;
}

/* Go's validOptionalPort: empty, or ':' followed by digits only. */
static int
valid_optional_port(const char *p, size_t n)
{
    size_t i;

    if (n == 0)
        return 1;
    if (p[0] != ':')
        return 0;
    for (i = 1; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Check an authority (userinfo@host:port) like Go's parseAuthority. */
static int
url_check_authority(const char *a, size_t n, char **reason)
{
    const char *host = a, *at = NULL, *colon = NULL;
    size_t i, hn;

    for (i = 0; i < n; i++)
        if (a[i] == '@')
            at = a + i;
    if (at != NULL) {
        for (i = 0; a + i < at; i++) {
            unsigned char c = (unsigned char)a[i];

            if (!is_alnum(c) && strchr("-._:~!$&'()*+,;=%@", c) == NULL) {
                *reason = xstrdup("net/url: invalid userinfo");
                return -1;
            }
        }
        host = at + 1;
    }
    hn = (size_t)(a + n - host);
    if (hn > 0 && host[0] == '[') {
        const char *close = NULL;

        for (i = 0; i < hn; i++)
            if (host[i] == ']')
                close = host + i;
        if (close == NULL) {
            *reason = xstrdup("missing ']' in host");
            return -1;
        }
        colon = close + 1;
    } else {
        for (i = 0; i < hn; i++)
            if (host[i] == ':')
                colon = host + i;
    }
    if (colon != NULL && !valid_optional_port(colon, (size_t)(host + hn - colon))) {
        char *port = xstrndup(colon, (size_t)(host + hn - colon));

        *reason = quoted_error("invalid port ", port, " after host");
        free(port);
        return -1;
    }
    return url_unescape(host, hn, 1, NULL, reason);
}

/*
 * Check raw as Go's url.Parse would and give its decoded path (may be NULL). Returns 0, or -1
 * with *err worded like kingpin's URL flag error.
 */
static int
url_parse_path(const char *raw, char **path, char **err)
{
    const char *p, *rest, *end, *hash, *q;
    char *reason = NULL;
    int have_scheme = 0;

    if (path != NULL)
        *path = NULL;
    for (p = raw; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return url_error(err, raw, "net/url: invalid control character in URL");
    hash = strchr(raw, '#');
    end = hash != NULL ? hash : raw + strlen(raw);
    if (hash != NULL && url_unescape(hash + 1, strlen(hash + 1), 0, NULL, &reason) < 0)
        goto fail;
    if (end - raw == 1 && raw[0] == '*') {
        if (path != NULL)
            *path = xstrdup("*");
        return 0;
    }
    /* Scheme: [a-zA-Z][a-zA-Z0-9+-.]* followed by ':'. */
    rest = raw;
    for (p = raw; p < end; p++) {
        unsigned char c = (unsigned char)*p;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            continue;
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            if (p == raw)
                break;
            continue;
        }
        if (c == ':') {
            if (p == raw)
                return url_error(err, raw, "missing protocol scheme");
            have_scheme = 1;
            rest = p + 1;
        }
        break;
    }
    /* The query is not part of the path. */
    q = memchr(rest, '?', (size_t)(end - rest));
    if (q != NULL)
        end = q;
    if (rest == end || *rest != '/') {
        const char *seg;

        if (have_scheme) /* opaque, like "mailto:x": no path */
            return 0;
        for (seg = rest; seg < end && *seg != '/'; seg++)
            if (*seg == ':') {
                reason = xstrdup("first path segment in URL cannot contain colon");
                goto fail;
            }
    }
    if ((have_scheme || end - rest < 3 || memcmp(rest, "///", 3) != 0) && end - rest >= 2 &&
        memcmp(rest, "//", 2) == 0) {
        const char *a = rest + 2, *slash = memchr(a, '/', (size_t)(end - a));
        const char *aend = slash != NULL ? slash : end;

        if (url_check_authority(a, (size_t)(aend - a), &reason) < 0)
            goto fail;
        rest = aend;
    }
    if (url_unescape(rest, (size_t)(end - rest), 0, path, &reason) < 0)
        goto fail;
    return 0;
fail:
    url_error(err, raw, reason);
    free(reason);
    return -1;
}

/* ---- setting and showing values ---- */

/* strconv.ParseBool's spellings. */
static int
parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/*
 * A non-negative decimal integer; with units, optionally followed by B, K[i]B, M[i]B or G[i]B
 * (any case, all powers of 1024, as kingpin's Base2Bytes). Returns 0, or -1 on bad syntax
 * or overflow.
 */
static int
parse_uint(const char *s, int units, uint64_t *out)
{
    static const struct {
        const char *name;
        unsigned shift;
    } suffixes[] = {{"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
                    {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}};
    uint64_t v = 0;
    const char *p = s;
    size_t i;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if ((units || i == 0) && strcasecmp(p, suffixes[i].name) == 0) {
            if (suffixes[i].shift > 0 && v > (UINT64_MAX >> suffixes[i].shift))
                return -1;
            *out = v << suffixes[i].shift;
            return 0;
        }
    }
    return -1;
}

char *
config_size_format(uint64_t bytes)
{
    static const char *const units[] = {"GiB", "MiB", "KiB"};
    unsigned shift = 30;
    size_t i;

    for (i = 0; i < 3; i++, shift -= 10)
        if (bytes > 0 && bytes % (UINT64_C(1) << shift) == 0)
            return xasprintf("%llu%s", (unsigned long long)(bytes >> shift), units[i]);
    return xasprintf("%llu", (unsigned long long)bytes);
}

/* Empty a string-list field. */
static void
list_clear(struct config *cfg, const struct config_option *o)
{
    char ***list = field(cfg, o->offset);
    size_t *n = field(cfg, o->count_offset);
    size_t i;

    for (i = 0; i < *n; i++)
        free((*list)[i]);
    free(*list);
    *list = NULL;
    *n = 0;
}

/* Store value into o's field; *err gets the bare reason on failure. */
static int
option_set(struct config *cfg, const struct config_option *o, const char *value, int append,
           char **err)
{
    switch (o->type) {
    case CONFIG_OPT_BOOL: {
        int b;

        if (parse_bool(value, &b) < 0) {
            *err = quoted_error("invalid boolean ", value, " (want true or false)");
            return -1;
        }
        *(int *)field(cfg, o->offset) = b;
        return 0;
    }
    case CONFIG_OPT_URL:
        if (url_parse_path(value, NULL, err) < 0)
            return -1;
        /* fall through */
    case CONFIG_OPT_STRING: {
        char **s = field(cfg, o->offset);

        free(*s);
        *s = xstrdup(value);
        return 0;
    }
    case CONFIG_OPT_STRING_LIST: {
        char ***list = field(cfg, o->offset);
        size_t *n = field(cfg, o->count_offset);

        if (!append)
            list_clear(cfg, o);
        *list = xreallocarray(*list, *n + 1, sizeof(**list));
        (*list)[(*n)++] = xstrdup(value);
        return 0;
    }
    case CONFIG_OPT_DURATION: {
        int64_t ns;

        if (go_duration_parse(value, &ns, err) < 0)
            return -1;
        *(int64_t *)field(cfg, o->offset) = ns;
        return 0;
    }
    case CONFIG_OPT_ENUM: {
        struct strbuf sb = STRBUF_INIT;
        int i;

        for (i = 0; o->choices[i] != NULL; i++) {
            if ((o->flags & CONFIG_OPT_NOCASE) ? strcasecmp(value, o->choices[i]) == 0
                                               : strcmp(value, o->choices[i]) == 0) {
                *(int *)field(cfg, o->offset) = i;
                return 0;
            }
        }
        strbuf_addstr(&sb, "unrecognized value ");
        add_quoted(&sb, value);
        strbuf_addstr(&sb, ", expected one of: ");
        for (i = 0; o->choices[i] != NULL; i++)
            strbuf_addf(&sb, "%s%s", i > 0 ? ", " : "", o->choices[i]);
        *err = strbuf_detach(&sb, NULL);
        return -1;
    }
    case CONFIG_OPT_UINT:
    case CONFIG_OPT_SIZE: {
        uint64_t v;

        if (parse_uint(value, o->type == CONFIG_OPT_SIZE, &v) < 0) {
            *err = o->type == CONFIG_OPT_SIZE
                       ? quoted_error("invalid size ", value,
                                      ": want bytes with an optional unit (KiB, MiB, GiB)")
                       : quoted_error("invalid number ", value, ": want a non-negative integer");
            return -1;
        }
        *(uint64_t *)field(cfg, o->offset) = v;
        return 0;
    }
    case CONFIG_OPT_ACTION:
        break;
    }
    *err = xstrdup("not a setting");
    return -1;
}

/* o's current value rendered as upstream's flag Value.String() does. */
static char *
option_value(const struct config *cfg, const struct config_option *o)
{
    switch (o->type) {
    case CONFIG_OPT_BOOL:
        return xstrdup(*(const int *)cfield(cfg, o->offset) ? "true" : "false");
    case CONFIG_OPT_STRING:
    case CONFIG_OPT_URL: {
        const char *s = *(char *const *)cfield(cfg, o->offset);

        return xstrdup(s != NULL ? s : "");
    }
    case CONFIG_OPT_STRING_LIST: {
        char *const *list = *(char **const *)cfield(cfg, o->offset);
        size_t n = *(const size_t *)cfield(cfg, o->count_offset), i;
        struct strbuf sb = STRBUF_INIT;

        strbuf_addstr(&sb, "");
        for (i = 0; i < n; i++)
            strbuf_addf(&sb, "%s%s", i > 0 ? "," : "", list[i]);
        return strbuf_detach(&sb, NULL);
    }
    case CONFIG_OPT_DURATION: {
        char buf[32];

        return xstrdup(go_duration_format(*(const int64_t *)cfield(cfg, o->offset), buf));
    }
    case CONFIG_OPT_ENUM: {
        int v = *(const int *)cfield(cfg, o->offset), i;

        for (i = 0; o->choices[i] != NULL; i++)
            if (i == v)
                return xstrdup(o->choices[i]);
        return xasprintf("%d", v);
    }
    case CONFIG_OPT_UINT:
        return xasprintf("%llu", (unsigned long long)*(const uint64_t *)cfield(cfg, o->offset));
    case CONFIG_OPT_SIZE:
        return config_size_format(*(const uint64_t *)cfield(cfg, o->offset));
    case CONFIG_OPT_ACTION:
        break;
    }
    return xstrdup("");
}

/* ---- public table access ---- */

const struct config_option *
config_option_get(size_t i)
{
    return i < NOPTIONS ? &options[i] : NULL;
}

const char *
config_option_sysconfig_key(size_t i)
{
    /* Derived once on first use; the table is static, so the keys are too. */
    static char keys[NOPTIONS][64];
    char *k;
    const char *p;

    if (i >= NOPTIONS || options[i].type == CONFIG_OPT_ACTION ||
        (options[i].flags & CONFIG_OPT_CMDLINE))
        return NULL;
    k = keys[i];
    if (k[0] == '\0') {
        size_t n = (size_t)snprintf(k, sizeof(keys[i]), "PUSHGATEWAY_");

        for (p = options[i].name; *p != '\0' && n + 1 < sizeof(keys[i]); p++) {
            char c = *p;

            if (c == '.' || c == '-')
                c = '_';
            else if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            k[n++] = c;
        }
        k[n] = '\0';
    }
    return k;
}

int
config_option_set(struct config *cfg, size_t i, const char *value, int append, char **err)
{
    if (i >= NOPTIONS || options[i].type == CONFIG_OPT_ACTION) {
        *err = xstrdup("not a setting");
        return -1;
    }
    return option_set(cfg, &options[i], value, append, err);
}

void
config_defaults(struct config *cfg)
{
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    for (i = 0; i < NOPTIONS; i++) {
        char *err = NULL;

        if (options[i].type == CONFIG_OPT_ACTION)
            continue;
        /* The table's defaults are valid by construction; a failure is a bug in the table. */
        if (option_set(cfg, &options[i], options[i].def, 0, &err) < 0) {
            fprintf(stderr, "pushgateway: bad default for --%s: %s\n", options[i].name, err);
            abort();
        }
    }
    cfg->ui_prefix = xstrdup(".");
}

void
config_free(struct config *cfg)
{
    size_t i;

    for (i = 0; i < NOPTIONS; i++) {
        const struct config_option *o = &options[i];

        if (o->type == CONFIG_OPT_STRING || o->type == CONFIG_OPT_URL) {
            char **s = field(cfg, o->offset);

            free(*s);
            *s = NULL;
        } else if (o->type == CONFIG_OPT_STRING_LIST) {
            list_clear(cfg, o);
        }
    }
    free(cfg->ui_prefix);
    cfg->ui_prefix = NULL;
}

char *
config_normalise_prefix(const char *p)
{
    size_t n;
    char *out;

    if (p == NULL || strcmp(p, "/") == 0)
        return xstrdup("");
    out = p[0] == '/' ? xstrdup(p) : xasprintf("/%s", p);
    n = strlen(out);
    if (n > 0 && out[n - 1] == '/')
        out[n - 1] = '\0';
    return out;
}

/* Derive route_prefix and ui_prefix from the raw flag values (upstream computeRoutePrefix). */
static int
config_normalise(struct config *cfg, char **err)
{
    char *path = NULL, *route, *ui;

    if (url_parse_path(cfg->external_url != NULL ? cfg->external_url : "", &path, err) < 0)
        return -1;
    route = config_normalise_prefix(cfg->route_prefix != NULL && cfg->route_prefix[0] != '\0'
                                        ? cfg->route_prefix
                                        : (path != NULL ? path : ""));
    ui = config_normalise_prefix(path != NULL ? path : "");
    free(path);
    if (ui[0] == '\0') {
        free(ui);
        ui = xstrdup(".");
    }
    free(cfg->route_prefix);
    cfg->route_prefix = route;
    free(cfg->ui_prefix);
    cfg->ui_prefix = ui;
    return 0;
}

/* ---- command line ---- */

/* The entry called name, or NULL. */
static const struct config_option *
find_long(const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < NOPTIONS; i++)
        if (strlen(options[i].name) == n && memcmp(options[i].name, name, n) == 0)
            return &options[i];
    return NULL;
}

static const struct config_option *
find_short(char c)
{
    size_t i;

    for (i = 0; i < NOPTIONS; i++)
        if (options[i].short_name != 0 && options[i].short_name == c)
            return &options[i];
    return NULL;
}

/* One flag occurrence from argv, applied after the whole line has been read (as kingpin). */
struct occurrence {
    const struct config_option *opt;
    const char *value;
};

/* Write the whole buffer to a stdio stream (usage and version go to stdout). */
static void
print_buf(struct strbuf *sb)
{
    fwrite(strbuf_str(sb), 1, sb->len, stdout);
    fflush(stdout);
}

/*
 * Parse words as config_parse_args does. from_file: the words come from PUSHGATEWAY_OPTS, so
 * actions and command-line-only flags are refused and prefixes are left for the final pass.
 */
static int
parse_words(struct config *cfg, int argc, char **argv, int from_file, char **err)
{
    struct occurrence *occ;
    unsigned char seen[NOPTIONS];
    size_t nocc = 0, i;
    int help = 0, version = 0, ai, args_only = 0;
    const char *unexpected = NULL;
    struct strbuf sb = STRBUF_INIT;
    size_t cap = 1;

    /* One occurrence per word, except "-abc", which gives one per letter. */
    for (ai = 0; ai < argc; ai++)
        cap += argv[ai][0] == '-' && argv[ai][1] != '-' ? strlen(argv[ai]) : 1;
    occ = xcalloc(cap, sizeof(*occ));

    *err = NULL;
    if (cfg->telemetry_path == NULL)
        config_defaults(cfg);
    /* Upstream main() prints the version before kingpin sees anything else. */
    if (!from_file && argc > 1 && strcmp(argv[1], "--version") == 0) {
        config_version(&sb);
        print_buf(&sb);
        strbuf_free(&sb);
        free(occ);
        return 1;
    }

    /* Pass 1: recognise flags and pick up their values; stop at the first positional. */
    for (ai = 1; ai < argc; ai++) {
        const char *arg = argv[ai];
        const struct config_option *o;

        if (args_only || arg[0] != '-') {
            unexpected = arg;
            break;
        }
        if (strcmp(arg, "--") == 0) {
            args_only = 1;
            continue;
        }
        if (arg[1] != '-') {
            /* Short flags (-h, -n) take no value, so "-hn" is fine. */
            const char *p = arg + 1;

            if (*p == '\0') {
                *err = xstrdup("-: unknown short flag");
                goto fail;
            }
            for (; *p != '\0'; p++) {
                o = find_short(*p);
                if (o == NULL) {
                    *err = xasprintf("-%c: unknown short flag", *p);
                    goto fail;
                }
                occ[nocc].opt = o;
                occ[nocc++].value = o->type == CONFIG_OPT_BOOL ? "true" : NULL;
            }
        } else {
            /* Long flags: --name, --name=value, --name value, --no-name. */
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);
            int negated = 0;

            o = find_long(name, n);
            if (o == NULL && n > 3 && strncmp(name, "no-", 3) == 0) {
                o = find_long(name + 3, n - 3);
                negated = 1;
            }
            if (o == NULL ||
                (negated && o->type != CONFIG_OPT_BOOL && o->type != CONFIG_OPT_ACTION)) {
                *err = xasprintf("--%.*s: unknown flag", (int)n, name);
                goto fail;
            }
            if (o->type == CONFIG_OPT_ACTION) {
                if (eq != NULL) {
                    *err = xasprintf("--%.*s: flag takes no value", (int)n, name);
                    goto fail;
                }
                if (negated) /* kingpin accepts --no-help; it just does nothing */
                    continue;
                occ[nocc].opt = o;
                occ[nocc++].value = NULL;
                continue;
            }
            if (o->type == CONFIG_OPT_BOOL) {
                if (negated && eq != NULL) {
                    *err = xasprintf("--%.*s: flag takes no value", (int)n, name);
                    goto fail;
                }
                occ[nocc].opt = o;
                occ[nocc++].value = eq != NULL ? eq + 1 : (negated ? "false" : "true");
                continue;
            }
            if (eq != NULL) {
                occ[nocc].opt = o;
                occ[nocc++].value = eq + 1;
                continue;
            }
            /* "--flag value": the next word must not look like a flag, as in kingpin. */
            if (ai + 1 >= argc || argv[ai + 1][0] == '-') {
                *err = xasprintf("--%s: expected a value", o->name);
                goto fail;
            }
            occ[nocc].opt = o;
            occ[nocc++].value = argv[++ai];
        }
    }

    /* Words from a file must not print and exit, nor name another file or the run mode. */
    for (i = 0; from_file && i < nocc; i++) {
        if (occ[i].opt->type == CONFIG_OPT_ACTION || (occ[i].opt->flags & CONFIG_OPT_CMDLINE)) {
            *err = xasprintf("--%s: only allowed on the command line", occ[i].opt->name);
            goto fail;
        }
    }
    /* kingpin shows help as soon as the line parses, before values are checked. */
    for (i = 0; i < nocc; i++)
        if (strcmp(occ[i].opt->name, "help") == 0)
            help = 1;
    if (help) {
        config_usage(&sb);
        print_buf(&sb);
        strbuf_free(&sb);
        free(occ);
        return 1;
    }
    if (unexpected != NULL) {
        struct strbuf q = STRBUF_INIT;

        add_quoted(&q, unexpected);
        *err = xasprintf("unexpected argument %s", strbuf_str(&q));
        strbuf_free(&q);
        goto fail;
    }

    /* Pass 2: apply values in order. */
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < nocc; i++) {
        const struct config_option *o = occ[i].opt;
        size_t idx = (size_t)(o - options);
        char *reason = NULL;
        int append;

        if (o->type == CONFIG_OPT_ACTION) {
            version = 1;
            continue;
        }
        if (seen[idx] && o->type != CONFIG_OPT_STRING_LIST) {
            *err = xasprintf("--%s: flag cannot be repeated", o->name);
            goto fail;
        }
        /* The first list value on the command line replaces the default/sysconfig list. */
        append = seen[idx];
        if (option_set(cfg, o, occ[i].value, append, &reason) < 0) {
            *err = xasprintf("--%s: %s", o->name, reason);
            free(reason);
            goto fail;
        }
        seen[idx] = 1;
    }
    free(occ);
    occ = NULL;
    if (version) {
        config_version(&sb);
        print_buf(&sb);
        strbuf_free(&sb);
        return 1;
    }
    if (from_file)
        return 0;
    if (config_normalise(cfg, err) < 0) {
        char *e = *err;

        *err = xasprintf("--web.external-url: %s", e);
        free(e);
        return -1;
    }
    return 0;
fail:
    free(occ);
    strbuf_free(&sb);
    return -1;
}

int
config_parse_args(struct config *cfg, int argc, char **argv, char **err)
{
    return parse_words(cfg, argc, argv, 0, err);
}

int
config_parse_words(struct config *cfg, int argc, char **argv, char **err)
{
    return parse_words(cfg, argc, argv, 1, err);
}

/* Left column of --help for o, in kingpin's format. */
static char *
usage_left(const struct config_option *o)
{
    struct strbuf sb = STRBUF_INIT;
    int boolish = o->type == CONFIG_OPT_BOOL || o->type == CONFIG_OPT_ACTION;

    if (o->short_name != 0)
        strbuf_addf(&sb, "-%c, ", o->short_name);
    else
        strbuf_addstr(&sb, "    ");
    strbuf_addf(&sb, "--%s%s", boolish ? "[no-]" : "", o->name);
    if (!boolish) {
        strbuf_addch(&sb, '=');
        /* kingpin quotes the default of plain string flags only. */
        if (o->type == CONFIG_OPT_STRING)
            add_quoted(&sb, o->def);
        else
            strbuf_addstr(&sb, o->def);
    }
    if (o->type == CONFIG_OPT_STRING_LIST)
        strbuf_addstr(&sb, " ...");
    return strbuf_detach(&sb, NULL);
}

/* Append text word-wrapped to width, continuation lines indented by indent spaces. */
static void
usage_wrap(struct strbuf *sb, const char *text, size_t width, size_t indent)
{
    size_t col = 0;
    const char *p = text;

    while (*p != '\0') {
        const char *w = p;
        size_t n;

        while (*w == ' ')
            w++;
        if (*w == '\0')
            break;
        for (n = 0; w[n] != '\0' && w[n] != ' '; n++)
            ;
        if (col > 0 && col + 1 + n > width) {
            strbuf_addf(sb, "\n%*s", (int)indent, "");
            col = 0;
        } else if (col > 0) {
            strbuf_addch(sb, ' ');
            col++;
        }
        strbuf_add(sb, w, n);
        col += n;
        p = w + n;
    }
    strbuf_addch(sb, '\n');
}

void
config_usage(struct strbuf *sb)
{
    /* kingpin's two-column layout on an 80-column terminal. */
    const size_t total = 80, indent = 2, padding = 2, maxcol = 30;
    char *left[NOPTIONS];
    size_t i, s = 0;

    strbuf_addstr(sb, "usage: pushgateway [<flags>]\n\nThe Pushgateway\n\n\nFlags:\n");
    for (i = 0; i < NOPTIONS; i++) {
        size_t n;

        left[i] = usage_left(&options[i]);
        n = strlen(left[i]);
        if (n > s && n < maxcol)
            s = n;
    }
    for (i = 0; i < NOPTIONS; i++) {
        size_t n = strlen(left[i]);

        strbuf_addf(sb, "%*s%-*s%*s", (int)indent, "", (int)s, left[i], (int)padding, "");
        if (n >= maxcol)
            strbuf_addf(sb, "\n%*s", (int)(indent + s + padding), "");
        usage_wrap(sb, options[i].help, total - s - padding - indent, indent + s + padding);
        free(left[i]);
    }
    strbuf_addch(sb, '\n');
}

const char *
config_flag(const struct config *cfg, size_t i, char **value)
{
    size_t k, n = 0;

    for (k = 0; k < NOPTIONS; k++) {
        if (options[k].type == CONFIG_OPT_ACTION || (options[k].flags & CONFIG_OPT_LOCAL))
            continue;
        if (n++ == i) {
            *value = option_value(cfg, &options[k]);
            return options[k].name;
        }
    }
    return NULL;
}

/* Compiler and platform in Go's "os/arch" naming, fixed at build time. */
#if defined(__clang__)
#define PGW_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define PGW_COMPILER "gcc " __VERSION__
#else
#define PGW_COMPILER "unknown"
#endif

#if defined(__linux__)
#define PGW_OS "linux"
#elif defined(__FreeBSD__)
#define PGW_OS "freebsd"
#elif defined(__APPLE__)
#define PGW_OS "darwin"
#else
#define PGW_OS "unknown"
#endif

#if defined(__x86_64__)
#define PGW_ARCH "amd64"
#elif defined(__i386__)
#define PGW_ARCH "386"
#elif defined(__aarch64__)
#define PGW_ARCH "arm64"
#elif defined(__arm__)
#define PGW_ARCH "arm"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define PGW_ARCH "ppc64le"
#elif defined(__powerpc64__)
#define PGW_ARCH "ppc64"
#elif defined(__s390x__)
#define PGW_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define PGW_ARCH "riscv64"
#else
#define PGW_ARCH "unknown"
#endif

/* A build macro, or "unknown" when the build left it empty (no git, for example). */
static const char *
or_unknown(const char *s)
{
    return s[0] != '\0' ? s : "unknown";
}

void
config_version(struct strbuf *sb)
{
    strbuf_addf(sb, "pushgateway, version %s (branch: %s, revision: %s)\n", PGW_VERSION,
                or_unknown(PGW_BRANCH), or_unknown(PGW_REVISION));
    strbuf_addf(sb, "  build user:       %s\n", or_unknown(PGW_BUILD_USER));
    strbuf_addf(sb, "  build date:       %s\n", or_unknown(PGW_BUILD_DATE));
    strbuf_addf(sb, "  c compiler:       %s\n", PGW_COMPILER);
    strbuf_addf(sb, "  platform:         %s/%s\n", PGW_OS, PGW_ARCH);
    strbuf_addf(sb, "  upstream:         pushgateway %s\n", PGW_UPSTREAM_VERSION);
}
