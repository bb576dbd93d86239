/* config_file.c - settings from a sysconfig file (--config.file) and start-up validation */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file.h"
#include "http.h"
#include "strbuf.h"
#include "sysconfig.h"
#include "xmalloc.h"

/* Largest sysconfig file read; real ones are a few KiB. */
#define MAX_FILE_BYTES (1024 * 1024)

/*
 * Keys of the SysV init script that share the file (initscripts' daemon() reads the last
 * three): ignored without a warning.
 */
static const char *const script_keys[] = {
    "DAEMON_USER",  "PIDFILE",   "LOCKFILE",      "LOGFILE",
    "STOP_TIMEOUT", "NICELEVEL", "CGROUP_DAEMON", "DAEMON_COREFILE_LIMIT",
};

/* State of one file being applied. */
struct apply {
    struct config *cfg;
    struct config_warnings *w;
    const char *name;
    char *opts; /* last PUSHGATEWAY_OPTS value */
    unsigned opts_line;
};

void
config_warnings_free(struct config_warnings *w)
{
    size_t i;

    for (i = 0; i < w->n; i++)
        free(w->v[i]);
    free(w->v);
    w->v = NULL;
    w->n = 0;
}

/* Append a warning (takes ownership of text). */
static void
warn_add(struct config_warnings *w, char *text)
{
    w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
    w->v[w->n++] = text;
}

/* Index of the option whose sysconfig key is key, or -1. */
static long
option_by_key(const char *key)
{
    const struct config_option *o;
    size_t i;

    for (i = 0; (o = config_option_get(i)) != NULL; i++) {
        const char *k = config_option_sysconfig_key(i);

        if (k != NULL && strcmp(k, key) == 0)
            return (long)i;
    }
    return -1;
}

/* Whether c separates the values of a list key. */
static int
is_list_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == ',';
}

/* Set a list option from "a b,c": the first value replaces the list, the rest append. */
static int
set_list(struct config *cfg, size_t idx, const char *value, char **err)
{
    const char *p = value;
    int n = 0;

    for (;;) {
        const char *e;
        char *one;
        int rc;

        while (*p != '\0' && is_list_sep(*p))
            p++;
        if (*p == '\0')
            break;
        for (e = p; *e != '\0' && !is_list_sep(*e); e++)
            ;
        one = xstrndup(p, (size_t)(e - p));
        rc = config_option_set(cfg, idx, one, n > 0, err);
        free(one);
        if (rc < 0)
            return -1;
        n++;
        p = e;
    }
    if (n == 0) {
        *err = xstrdup("empty list");
        return -1;
    }
    return 0;
}

/* sysconfig_parse callback: apply one assignment. */
static int
apply_one(void *arg, unsigned line, const char *key, const char *value, char **err)
{
    struct apply *a = arg;
    const struct config_option *o;
    char *reason = NULL;
    size_t i;
    long idx;

    if (strcmp(key, CONFIG_FILE_OPTS_KEY) == 0) {
        free(a->opts);
        a->opts = xstrdup(value);
        a->opts_line = line;
        return 0;
    }
    idx = option_by_key(key);
    if (idx < 0) {
        for (i = 0; i < sizeof(script_keys) / sizeof(script_keys[0]); i++)
            if (strcmp(key, script_keys[i]) == 0)
                return 0;
        warn_add(a->w, xasprintf("%s:%u: unknown key %s (ignored)", a->name, line, key));
        return 0;
    }
    o = config_option_get((size_t)idx);
    if ((o->type == CONFIG_OPT_STRING_LIST
             ? set_list(a->cfg, (size_t)idx, value, &reason)
             : config_option_set(a->cfg, (size_t)idx, value, 0, &reason)) < 0) {
        *err = xasprintf("%s: %s", key, reason);
        free(reason);
        return -1;
    }
    return 0;
}

/* Apply PUSHGATEWAY_OPTS: words split at blanks, parsed like extra command-line flags. */
static int
apply_opts(struct apply *a, char **err)
{
    char **words = xcalloc(strlen(a->opts) / 2 + 2, sizeof(*words));
    char *p = a->opts, *reason = NULL;
    int n = 0, rc = 0, i;

    words[n++] = xstrdup("pushgateway");
    for (;;) {
        char *e;

        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        for (e = p; *e != '\0' && *e != ' ' && *e != '\t' && *e != '\n'; e++)
            ;
        words[n++] = xstrndup(p, (size_t)(e - p));
        p = e;
    }
    if (n > 1 && config_parse_words(a->cfg, n, words, &reason) != 0) {
        *err = xasprintf("%s:%u: %s: %s", a->name, a->opts_line, CONFIG_FILE_OPTS_KEY,
                         reason != NULL ? reason : "invalid");
        free(reason);
        rc = -1;
    }
    for (i = 0; i < n; i++)
        free(words[i]);
    free(words);
    return rc;
}

int
config_file_apply(struct config *cfg, const char *name, const char *buf, size_t len,
                  struct config_warnings *w, char **err)
{
    struct apply a = {cfg, w, name, NULL, 0};
    char *reason = NULL;
    unsigned line = 0;
    int rc = 0;

    if (cfg->telemetry_path == NULL)
        config_defaults(cfg);
    if (sysconfig_parse(buf, len, apply_one, &a, &line, &reason) < 0) {
        *err = xasprintf("%s:%u: %s", name, line, reason);
        free(reason);
        rc = -1;
    } else if (a.opts != NULL) {
        rc = apply_opts(&a, err);
    }
    free(a.opts);
    return rc;
}

int
config_file_load(struct config *cfg, const char *path, struct config_warnings *w, char **err)
{
    struct strbuf sb = STRBUF_INIT;
    char chunk[8192];
    int fd, rc;
    ssize_t n;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        strbuf_add(&sb, chunk, (size_t)n);
        if (sb.len > MAX_FILE_BYTES)
            break;
    }
    if (n < 0 || sb.len > MAX_FILE_BYTES) {
        *err = n < 0 ? xasprintf("%s: %s", path, strerror(errno))
                     : xasprintf("%s: larger than %d bytes", path, MAX_FILE_BYTES);
        close(fd);
        strbuf_free(&sb);
        return -1;
    }
    close(fd);
    rc = config_file_apply(cfg, path, sb.data != NULL ? sb.data : "", sb.len, w, err);
    strbuf_free(&sb);
    return rc;
}

const char *
config_file_from_args(int argc, char **argv, int *check)
{
    const char *file = NULL;
    int i;

    *check = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0 || a[0] != '-')
            break;
        if (strncmp(a, "--config.file=", 14) == 0) {
            file = a + 14;
        } else if (strcmp(a, "--config.file") == 0) {
            if (i + 1 < argc && argv[i + 1][0] != '-')
                file = argv[++i];
        } else if (strcmp(a, "--config.check") == 0 || strcmp(a, "--config.check=true") == 0 ||
                   strcmp(a, "--config.check=1") == 0) {
            *check = 1;
        } else if (a[1] != '-' && strchr(a + 1, 'n') != NULL) {
            *check = 1;
        }
    }
    return file != NULL && file[0] != '\0' ? file : NULL;
}

int
config_validate(const struct config *cfg, char **err)
{
    size_t i;

    if (cfg->log_file[0] != '\0' && cfg->log_syslog) {
        *err = xstrdup("--log.file and --log.syslog: choose one log destination");
        return -1;
    }
    if (cfg->push_group_ttl < 0) {
        *err = xstrdup("--push.group-ttl: must not be negative (0 = never expire)");
        return -1;
    }
    /* Limits: a timeout under a second or a tiny header block would refuse every request. */
    if (cfg->read_timeout < INT64_C(1000000000)) {
        *err = xstrdup("--web.read-timeout: must be at least 1s");
        return -1;
    }
    if (cfg->idle_timeout < INT64_C(1000000000)) {
        *err = xstrdup("--web.idle-timeout: must be at least 1s");
        return -1;
    }
    if (cfg->max_header_size < 1024 || cfg->max_header_size > (UINT64_C(1) << 30)) {
        *err = xstrdup("--web.max-header-size: must be between 1KiB and 1GiB");
        return -1;
    }
    if (cfg->max_body_size < 1 || cfg->max_body_size > (UINT64_C(1) << 40)) {
        *err = xstrdup("--push.max-body-size: must be between 1 byte and 1024GiB");
        return -1;
    }
    if (cfg->daemon && cfg->systemd_socket) {
        *err = xstrdup("--daemon and --web.systemd-socket: a socket-activated gateway runs "
                       "in the foreground under systemd");
        return -1;
    }
    if (cfg->systemd_socket)
        return 0;
    if (cfg->nlisten_addresses == 0) {
        *err = xstrdup("--web.listen-address: no address to listen on");
        return -1;
    }
    for (i = 0; i < cfg->nlisten_addresses; i++) {
        char *reason = NULL;

        if (http_listen_address_check(cfg->listen_addresses[i], &reason) < 0) {
            *err = xasprintf("--web.listen-address: %s", reason);
            free(reason);
            return -1;
        }
    }
    return 0;
}
