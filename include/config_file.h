/* config_file.h - settings from a sysconfig file (--config.file) and start-up validation */
#ifndef PGW_CONFIG_FILE_H
#define PGW_CONFIG_FILE_H

#include <stddef.h>

#include "config.h"

/* The key whose words are applied as extra flags (the name community packages use). */
#define CONFIG_FILE_OPTS_KEY "PUSHGATEWAY_OPTS"

/* Warnings collected while loading ("path:line: ..."); owned by the struct. */
struct config_warnings {
    char **v;
    size_t n;
};

void config_warnings_free(struct config_warnings *w);

/*
 * Apply the sysconfig text buf[0..len) (sysconfig.h syntax) to cfg, as read from name:
 *   - PUSHGATEWAY_<FLAG> (config_option_sysconfig_key) is set as --<flag>=value would be; a
 *     list flag (--web.listen-address) takes several values separated by blanks or commas;
 *   - PUSHGATEWAY_OPTS is split at blanks (no quoting, as $PUSHGATEWAY_OPTS in sh and in a
 *     unit's ExecStart=) and applied after every key with config_parse_words();
 *   - the init script's own keys (DAEMON_USER, PIDFILE, LOCKFILE, LOGFILE, ...) are ignored;
 *     any other key adds a warning to *w.
 * A key given twice takes the last value, as in sh. Precedence: what cfg held before < keys <
 * PUSHGATEWAY_OPTS. Returns 0, or -1 with *err = "name:line: reason" (caller frees).
 */
int config_file_apply(struct config *cfg, const char *name, const char *buf, size_t len,
                      struct config_warnings *w, char **err);

/* Read path (at most 1 MiB) and config_file_apply() it. */
int config_file_load(struct config *cfg, const char *path, struct config_warnings *w, char **err);

/*
 * Look through argv (argv[0] skipped) for --config.file and -n/--config.check before the real
 * parse, which has to come after the file is applied. Returns the file (borrowed from argv)
 * or NULL; *check is set non-zero when a check was asked for.
 */
const char *config_file_from_args(int argc, char **argv, int *check);

/*
 * Check a parsed configuration beyond single values: the listen addresses' syntax, the log
 * destinations, and flag combinations. Returns 0, or -1 with *err (caller frees).
 */
int config_validate(const struct config *cfg, char **err);

#endif
