/* log.h - leveled, structured logging in logfmt or JSON, like upstream's promslog */
#ifndef PGW_LOG_H
#define PGW_LOG_H

enum log_level {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO = 1,
    LOG_LEVEL_WARN = 2,
    LOG_LEVEL_ERROR = 3,
};

enum log_format {
    LOG_FORMAT_LOGFMT = 0,
    LOG_FORMAT_JSON = 1,
};

/* Set the minimum level and the format. Until called: info, logfmt, stderr. */
void log_init(enum log_level level, enum log_format format);
/* Send records to fd instead of stderr (2), e.g. a log file; the caller owns fd. */
void log_set_fd(int fd);
/*
 * Append records to the file at path (created 0640 if missing) instead of stderr. A relative
 * path is made absolute first, so log_reopen() still finds it after a chdir. The log module
 * owns the descriptor. Returns 0, or -1 with *err (caller frees); the old output stays then.
 */
int log_open_file(const char *path, char **err);
/*
 * Reopen the log file (after logrotate moved it; SIGHUP). Returns 1 when reopened, 0 when
 * records do not go to a file, -1 with *err when the file cannot be opened (the old
 * descriptor is kept, so nothing is lost).
 */
int log_reopen(char **err);
/* Send records to syslog (facility daemon, the level as priority) under ident. */
void log_open_syslog(const char *ident);
/* Back to stderr: close a log file or the syslog connection. */
void log_close(void);
/*
 * While on and records go to a file or syslog, records at warn level and above are also
 * written to stderr: start-up errors then reach the terminal or the init script, whatever
 * part of the gateway reports them. Turned off once the gateway serves.
 */
void log_set_stderr_echo(int on);
/*
 * Parse "debug"/"info"/"warn"/"error" (any case, as promslog) and "logfmt"/"json" (exact);
 * 0 on success, -1 otherwise.
 */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);
/* Non-zero when messages at `level` are written (check before formatting expensive values). */
int log_enabled(enum log_level level);

/*
 * Write one record: time, level, source (file:line), msg, then key/value string pairs,
 * terminated by a NULL key. Values are quoted and escaped as logfmt or JSON requires.
 * errno is preserved. Use the macros below rather than calling this directly.
 */
void log_kv(enum log_level level, const char *file, int line, const char *msg, ...);

#define log_debug(...) log_kv(LOG_LEVEL_DEBUG, __FILE__, __LINE__, __VA_ARGS__, (const char *)0)
#define log_info(...) log_kv(LOG_LEVEL_INFO, __FILE__, __LINE__, __VA_ARGS__, (const char *)0)
#define log_warn(...) log_kv(LOG_LEVEL_WARN, __FILE__, __LINE__, __VA_ARGS__, (const char *)0)
#define log_error(...) log_kv(LOG_LEVEL_ERROR, __FILE__, __LINE__, __VA_ARGS__, (const char *)0)

#endif
