/* config.h - command-line configuration; one option table drives parsing, help, flags map */
#ifndef PGW_CONFIG_H
#define PGW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "strbuf.h"

/* --persistence.fsync: when journal writes are forced to stable storage (storage.h). */
enum fsync_policy {
    FSYNC_NEVER = 0,    /* write(2) before the reply only: survives kill -9, not power loss */
    FSYNC_INTERVAL = 1, /* plus fdatasync about once a second (default) */
    FSYNC_ALWAYS = 2,   /* fdatasync before the reply, one per event-loop iteration */
};

/* Every setting of the gateway. Strings are owned (free with config_free). */
struct config {
    char **listen_addresses; /* --web.listen-address, repeatable; default ":9091" */
    size_t nlisten_addresses;
    int systemd_socket;     /* --web.systemd-socket (socket activation) */
    char *web_config_file;  /* --web.config.file; "" = none */
    char *telemetry_path;   /* --web.telemetry-path; default "/metrics" */
    char *external_url;     /* --web.external-url; "" = none */
    char *route_prefix;     /* --web.route-prefix after normalisation (spec §1): "" or "/x" */
    char *ui_prefix;        /* link prefix for the UI: external URL path, normalised, or "." */
    int enable_lifecycle;   /* --web.enable-lifecycle */
    int enable_admin_api;   /* --web.enable-admin-api */
    char *persistence_file; /* --persistence.file; "" = memory only */
    int64_t persistence_interval;        /* --persistence.interval in nanoseconds; default 5m */
    enum fsync_policy persistence_fsync; /* --persistence.fsync (ours); default interval */
    char
        *storage_backend; /* --storage.backend (ours); "" = file if persistence_file, else memory */
    int disable_consistency_check; /* --push.disable-consistency-check */
    int enable_utf8_names;         /* --push.enable-utf8-names */
    int64_t push_group_ttl;     /* --push.group-ttl (ours, docs/ttl.md) in nanoseconds; 0 = never */
    enum log_level log_level;   /* --log.level; default info */
    enum log_format log_format; /* --log.format; default logfmt */
    /* Ours (service management, not upstream flags; not in the /api/v1/status flags map). */
    char *log_file;    /* --log.file; "" = standard error */
    int log_syslog;    /* --log.syslog: records go to syslog (facility daemon) */
    char *config_file; /* --config.file: sysconfig file read before the command line; "" = none */
    int config_check;  /* --config.check / -n: validate the configuration and exit */
    int daemon;        /* --daemon: fork into the background once serving */
    char *pid_file;    /* --pid-file; "" = none */
    /* Ours: limits against hostile or broken clients (docs/configuration.md, "Limits"). */
    uint64_t max_body_size;        /* --push.max-body-size: bytes, also after gzip decoding */
    uint64_t max_header_size;      /* --web.max-header-size: request line and headers, bytes */
    int64_t read_timeout;          /* --web.read-timeout (ns): a request must arrive within it */
    int64_t idle_timeout;          /* --web.idle-timeout (ns): no traffic, keep-alive wait */
    uint64_t max_connections;      /* --web.max-connections; 0 = unlimited */
    uint64_t max_groups;           /* --push.max-groups; 0 = unlimited */
    uint64_t max_series;           /* --push.max-series; 0 = unlimited */
    uint64_t max_series_per_group; /* --push.max-series-per-group; 0 = unlimited */
};

/* Fill every field with its default. */
void config_defaults(struct config *cfg);
void config_free(struct config *cfg);

/*
 * Parse argv (argv[0] is the program name). Accepts "--flag=value" and "--flag value",
 * booleans as "--flag", "--flag=true|false" and "--no-flag", and -h/--help, --version.
 * cfg must come from config_defaults(), possibly changed since (e.g. by a sysconfig file);
 * a zero-filled struct gets config_defaults() first. A list flag given here replaces the
 * list it had. As in kingpin, any other flag given twice is an error.
 * Returns:
 *   0  configuration complete (defaults < argv), prefixes normalised;
 *   1  --help or --version was handled (text written to stdout): exit 0;
 *  -1  error: *err is one line naming the flag and the reason (caller frees): exit 2.
 */
int config_parse_args(struct config *cfg, int argc, char **argv, char **err);

/*
 * Apply words (argv[0] is skipped, as in config_parse_args) from another source than the
 * command line, e.g. PUSHGATEWAY_OPTS of a sysconfig file: the same syntax and precedence
 * among themselves, but -h/--version and CONFIG_OPT_CMDLINE flags are errors, and prefixes
 * are not normalised (config_parse_args does that last). Returns 0, or -1 with *err.
 */
int config_parse_words(struct config *cfg, int argc, char **argv, char **err);

/* Write the --help text (generated from the option table) to sb. */
void config_usage(struct strbuf *sb);

/*
 * Iterate over the flags shown in /api/v1/status (every flag except help and version):
 * for i = 0.. until it returns NULL, gives the flag name (e.g. "web.listen-address") and
 * writes its current value as upstream renders it into *value (booleans "true"/"false",
 * durations "5m0s", listen addresses joined with ","), which the caller frees.
 */
const char *config_flag(const struct config *cfg, size_t i, char **value);

/*
 * Go time.ParseDuration syntax ("300ms", "1.5h", "2h45m", "-1m", "0"; units ns, us, µs, ms, s,
 * m, h), which is what kingpin's Duration() flags use: no "d", "w" or "y". Returns 0 and *ns,
 * or -1 with *err (caller frees) worded like Go's (`time: invalid duration "5x"`).
 */
int go_duration_parse(const char *s, int64_t *ns, char **err);
/* Go time.Duration.String(): "5m0s", "1h0m0s", "1.5s", "300ms", "0s". Returns buf. */
char *go_duration_format(int64_t ns, char buf[32]);

/* A byte count as --help shows it: "64MiB", "1GiB", "1500" (no exact unit). Caller frees. */
char *config_size_format(uint64_t bytes);

/* Route-prefix normalisation of spec §1 applied to a prefix or URL path; caller frees. */
char *config_normalise_prefix(const char *p);

/* --version text (ends in a newline): upstream's layout with the C build details. */
void config_version(struct strbuf *sb);

/*
 * The option table, for parsers of other sources (sysconfig) and for documentation.
 * Each kind of option fixes the C type of its struct config field.
 */
enum config_option_type {
    CONFIG_OPT_BOOL,        /* int, 0 or 1 */
    CONFIG_OPT_STRING,      /* char * */
    CONFIG_OPT_URL,         /* char *, accepted only if Go's url.Parse would accept it */
    CONFIG_OPT_STRING_LIST, /* char ** plus a size_t count (count_offset) */
    CONFIG_OPT_DURATION,    /* int64_t nanoseconds, Go duration syntax */
    CONFIG_OPT_ENUM,        /* int-sized enum whose values index choices */
    CONFIG_OPT_UINT,        /* uint64_t, decimal digits only */
    CONFIG_OPT_SIZE,        /* uint64_t bytes: digits and an optional unit (B, KiB, MiB, GiB) */
    CONFIG_OPT_ACTION,      /* -h/--help and --version: handled by the parser, stores nothing */
};

#define CONFIG_OPT_NOCASE 0x1u /* CONFIG_OPT_ENUM: choices match case-insensitively */
/* Not an upstream flag: left out of the /api/v1/status flags map. */
#define CONFIG_OPT_LOCAL 0x2u
/* Command line only: no sysconfig key, refused in PUSHGATEWAY_OPTS. */
#define CONFIG_OPT_CMDLINE 0x4u

struct config_option {
    const char *name; /* long name without "--", e.g. "web.listen-address" */
    char short_name;  /* one-letter alias ('h'), or 0 */
    enum config_option_type type;
    const char *def;     /* default in flag syntax: --help shows it, config_defaults parses it */
    const char *help;    /* one sentence or two for --help */
    size_t offset;       /* offsetof(struct config, field); unused for actions */
    size_t count_offset; /* CONFIG_OPT_STRING_LIST: offsetof the size_t count */
    const char *const *choices; /* CONFIG_OPT_ENUM: names indexed by value, NULL-terminated */
    unsigned flags;             /* CONFIG_OPT_* bits */
};

/* Entry i of the option table in --help order, or NULL past the end. */
const struct config_option *config_option_get(size_t i);
/*
 * Sysconfig/environment key of entry i: "PUSHGATEWAY_" + the name upper-cased with '.' and
 * '-' turned into '_' (PUSHGATEWAY_WEB_LISTEN_ADDRESS). NULL for actions, CONFIG_OPT_CMDLINE
 * options and past the end.
 */
const char *config_option_sysconfig_key(size_t i);
/*
 * Set entry i from text as one "--name=value" would (booleans: true/false/1/0/t/f). A string
 * list gets the value appended when append is non-zero and is replaced by it otherwise.
 * Returns 0, or -1 with *err (caller frees): the reason, without the flag name.
 * Prefixes are not normalised here; config_parse_args() does that last.
 */
int config_option_set(struct config *cfg, size_t i, const char *value, int append, char **err);

#endif
