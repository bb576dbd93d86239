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
