/* test_log.c - unit tests for the promslog-style logfmt and JSON records */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "strbuf.h"
#include "xmalloc.h"

static int pipe_fds[2];

/* Send records into a non-blocking pipe that the tests read back. */
static int
setup(void **state)
{
    (void)state;
    if (pipe(pipe_fds) < 0)
        return -1;
    fcntl(pipe_fds[0], F_SETFL, fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
    log_set_fd(pipe_fds[1]);
    log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_LOGFMT);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    log_set_fd(2);
    log_init(LOG_LEVEL_INFO, LOG_FORMAT_LOGFMT);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return 0;
}

/* Everything written since the last call (caller frees; "" when nothing). */
static char *
drain(void)
{
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    ssize_t n;

    while ((n = read(pipe_fds[0], buf, sizeof(buf))) > 0)
        strbuf_add(&sb, buf, (size_t)n);
    return strbuf_detach(&sb, NULL);
}

static int
is_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/*
 * Check "YYYY-MM-DDTHH:MM:SS" + fraction + "Z" at s; millis selects slog's text form (exactly
 * three digits) over RFC 3339 nanoseconds without trailing zeros. Returns the length.
 */
static size_t
check_time(const char *s, int millis)
{
    size_t n = 19, digits = 0;

    assert_true(is_digits(s, 4) && s[4] == '-' && is_digits(s + 5, 2) && s[7] == '-');
    assert_true(is_digits(s + 8, 2) && s[10] == 'T' && is_digits(s + 11, 2) && s[13] == ':');
    assert_true(is_digits(s + 14, 2) && s[16] == ':' && is_digits(s + 17, 2));
    if (s[n] == '.') {
        n++;
        while (s[n] >= '0' && s[n] <= '9') {
            n++;
            digits++;
        }
        if (millis)
            assert_int_equal(digits, 3);
        else
            assert_true(digits >= 1 && digits <= 9 && s[n - 1] != '0');
    } else {
        assert_true(!millis);
    }
    assert_true(s[n] == 'Z');
    return n + 1;
}

/* Check one logfmt line: the time, then exactly rest. */
static void
check_logfmt(const char *line, const char *rest)
{
    size_t n;

    assert_true(strncmp(line, "time=", 5) == 0);
    n = 5 + check_time(line + 5, 1);
    assert_string_equal(line + n, rest);
}

/* Check one JSON line: the time, then exactly rest. */
static void
check_json(const char *line, const char *rest)
{
    size_t n;

    assert_true(strncmp(line, "{\"time\":\"", 9) == 0);
    n = 9 + check_time(line + 9, 0);
    assert_string_equal(line + n, rest);
}

static void
test_logfmt_basic(void **state)
{
    char *out, *want;
    int line;

    (void)state;
    log_info("starting pushgateway", "version", "1.0");
    line = __LINE__ - 1;
    out = drain();
    want = xasprintf(" level=INFO source=test_log.c:%d msg=\"starting pushgateway\" "
                     "version=1.0\n",
                     line);
    check_logfmt(out, want);
    free(out);
    free(want);

    log_error("x");
    line = __LINE__ - 1;
    out = drain();
    want = xasprintf(" level=ERROR source=test_log.c:%d msg=x\n", line);
    check_logfmt(out, want);
    free(out);
    free(want);
}

/* Direct calls: the source is the basename of the file given. */
static void
test_source_and_levels(void **state)
{
    char *out;

    (void)state;
    log_kv(LOG_LEVEL_DEBUG, "/a/b/main.c", 83, "m", (const char *)0);
    out = drain();
    check_logfmt(out, " level=DEBUG source=main.c:83 msg=m\n");
    free(out);
    log_kv(LOG_LEVEL_WARN, "plain.c", 7, "m", (const char *)0);
    out = drain();
    check_logfmt(out, " level=WARN source=plain.c:7 msg=m\n");
    free(out);
}

static void
test_logfmt_quoting(void **state)
{
    static const struct {
        const char *value, *want;
    } table[] = {
        {"plain", "plain"},
        {"", "\"\""},
        {"a b", "\"a b\""},
        {"a=b", "\"a=b\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"a\\b", "a\\b"}, /* a lone backslash does not force quotes */
        {"line\nnext", "\"line\\nnext\""},
        {"tab\there", "\"tab\\there\""},
        {"\x01", "\"\\x01\""},
        {"del\x7f", "del\x7f"}, /* DEL is in slog's safe set */
        {"Bj\xc3\xb6rn", "Bj\xc3\xb6rn"},
        {"\xff", "\"\\xff\""},
        {"a\xc2\xa0"
         "b",
         "\"a\\u00a0b\""},                        /* NO-BREAK SPACE */
        {"\xe2\x80\xa8", "\"\\u2028\""},          /* LINE SEPARATOR */
        {"\xef\xbf\xbd", "\"\xef\xbf\xbd\""},     /* U+FFFD itself is quoted but printable */
        {"\xcd\xb8", "\"\\u0378\""},              /* unassigned: not printable for Go */
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"}, /* emoji: printable */
        {"/metrics/job/x", "/metrics/job/x"},
        {"[::1]:9091", "[::1]:9091"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char *out, *want;

        log_kv(LOG_LEVEL_INFO, "f.c", 1, "m", "k", table[i].value, (const char *)0);
        out = drain();
        want = xasprintf(" level=INFO source=f.c:1 msg=m k=%s\n", table[i].want);
        check_logfmt(out, want);
        free(out);
        free(want);
    }
    /* Keys are quoted by the same rule; the message too. */
    log_kv(LOG_LEVEL_INFO, "f.c", 1, "two words", "a key", "v", "", "w", (const char *)0);
    {
        char *out = drain();

        check_logfmt(out, " level=INFO source=f.c:1 msg=\"two words\" \"a key\"=v \"\"=w\n");
        free(out);
    }
}

static void
test_json(void **state)
{
    char *out;

    (void)state;
    log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_JSON);
    log_kv(LOG_LEVEL_INFO, "src/main.c", 83, "starting pushgateway", "version", "1.0", "empty", "",
           (const char *)0);
    out = drain();
    check_json(out, "\",\"level\":\"INFO\",\"source\":\"main.c:83\",\"msg\":\"starting "
                    "pushgateway\",\"version\":\"1.0\",\"empty\":\"\"}\n");
    free(out);

    log_kv(LOG_LEVEL_ERROR, "f.c", 2, "say \"hi\"\n", "path", "C:\\x", "ctl", "\x01\x1f\t\r",
           "html", "<a>&", "utf8", "Bj\xc3\xb6rn", "bad", "a\xff", "ls", "\xe2\x80\xa8\xe2\x80\xa9",
           (const char *)0);
    out = drain();
    check_json(out, "\",\"level\":\"ERROR\",\"source\":\"f.c:2\",\"msg\":\"say \\\"hi\\\"\\n\","
                    "\"path\":\"C:\\\\x\",\"ctl\":\"\\u0001\\u001f\\t\\r\",\"html\":\"<a>&\","
                    "\"utf8\":\"Bj\xc3\xb6rn\",\"bad\":\"a\\ufffd\",\"ls\":\"\\u2028\\u2029\"}\n");
    free(out);

    /* Keys are escaped as well. */
    log_kv(LOG_LEVEL_WARN, "f.c", 3, "m", "k\"", "v", (const char *)0);
    out = drain();
    check_json(out, "\",\"level\":\"WARN\",\"source\":\"f.c:3\",\"msg\":\"m\",\"k\\\"\":\"v\"}\n");
    free(out);
    log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_LOGFMT);
}

/* A key without a value ends the list, shown as slog shows it. */
static void
test_dangling_key(void **state)
{
    char *out;

    (void)state;
    log_kv(LOG_LEVEL_INFO, "f.c", 1, "m", "a", "1", "lonely", (const char *)0);
    out = drain();
    check_logfmt(out, " level=INFO source=f.c:1 msg=m a=1 !BADKEY=lonely\n");
    free(out);
}

static void
test_filtering(void **state)
{
    char *out;

    (void)state;
    log_init(LOG_LEVEL_WARN, LOG_FORMAT_LOGFMT);
    assert_true(!log_enabled(LOG_LEVEL_DEBUG));
    assert_true(!log_enabled(LOG_LEVEL_INFO));
    assert_true(log_enabled(LOG_LEVEL_WARN));
    assert_true(log_enabled(LOG_LEVEL_ERROR));
    log_debug("hidden");
    log_info("hidden", "k", "v");
    out = drain();
    assert_string_equal(out, "");
    free(out);
    log_warn("shown");
    out = drain();
    assert_non_null(strstr(out, "level=WARN"));
    assert_non_null(strstr(out, "msg=shown\n"));
    free(out);

    log_init(LOG_LEVEL_ERROR, LOG_FORMAT_JSON);
    log_warn("hidden");
    out = drain();
    assert_string_equal(out, "");
    free(out);
    log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_LOGFMT);
    assert_true(log_enabled(LOG_LEVEL_DEBUG));
}

/* Each record is one line, written whole. */
static void
test_one_line_per_record(void **state)
{
    char *out, *p;
    int lines = 0;

    (void)state;
    log_info("one", "k", "multi\nline");
    log_info("two");
    out = drain();
    for (p = out; *p != '\0'; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(out, "msg=one k=\"multi\\nline\"\n"));
    free(out);
}

static void
test_errno_preserved(void **state)
{
    char *out;

    (void)state;
    errno = ERANGE;
    log_info("kept", "k", "v");
    assert_int_equal(errno, ERANGE);
    errno = EACCES;
    log_debug("kept too");
    assert_int_equal(errno, EACCES);
    /* Even when the write itself fails. */
    log_set_fd(-1);
    errno = ENOENT;
    log_error("lost");
    assert_int_equal(errno, ENOENT);
    log_set_fd(pipe_fds[1]);
    out = drain();
    free(out);
}

static void
test_parse(void **state)
{
    enum log_level level = LOG_LEVEL_INFO;
    enum log_format format = LOG_FORMAT_LOGFMT;

    (void)state;
    assert_int_equal(log_level_parse("debug", &level), 0);
    assert_int_equal(level, LOG_LEVEL_DEBUG);
    assert_int_equal(log_level_parse("info", &level), 0);
    assert_int_equal(level, LOG_LEVEL_INFO);
    assert_int_equal(log_level_parse("warn", &level), 0);
    assert_int_equal(level, LOG_LEVEL_WARN);
    assert_int_equal(log_level_parse("ERROR", &level), 0);
    assert_int_equal(level, LOG_LEVEL_ERROR);
    assert_int_equal(log_level_parse("warning", &level), -1);
    assert_int_equal(log_level_parse("", &level), -1);
    assert_int_equal(level, LOG_LEVEL_ERROR);
    assert_int_equal(log_format_parse("json", &format), 0);
    assert_int_equal(format, LOG_FORMAT_JSON);
    assert_int_equal(log_format_parse("logfmt", &format), 0);
    assert_int_equal(format, LOG_FORMAT_LOGFMT);
    assert_int_equal(log_format_parse("JSON", &format), -1);
    assert_int_equal(log_format_parse("text", &format), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logfmt_basic),
        cmocka_unit_test(test_source_and_levels),
        cmocka_unit_test(test_logfmt_quoting),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_dangling_key),
        cmocka_unit_test(test_filtering),
        cmocka_unit_test(test_one_line_per_record),
        cmocka_unit_test(test_errno_preserved),
        cmocka_unit_test(test_parse),
    };

    return cmocka_run_group_tests_name("log", tests, setup, teardown);
}
