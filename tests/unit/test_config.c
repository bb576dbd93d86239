/* test_config.c - unit tests for the option table, argv parsing, prefixes and Go durations */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "strbuf.h"
#include "version.h"
#include "xmalloc.h"

#define MAXARGS 32

/* Run config_parse_args on a NULL-terminated word list (argv[0] is added). */
static int
parse_words(struct config *cfg, char **err, const char *const *words)
{
    char *argv[MAXARGS];
    int argc = 0, rc, i;

    argv[argc++] = xstrdup("pushgateway");
    for (i = 0; words[i] != NULL && argc < MAXARGS - 1; i++)
        argv[argc++] = xstrdup(words[i]);
    argv[argc] = NULL;
    rc = config_parse_args(cfg, argc, argv, err);
    for (i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

#define PARSE(cfg, err, ...) parse_words((cfg), (err), (const char *const[]){__VA_ARGS__, NULL})

/* Parse with stdout sent to a temporary file; *out gets what was printed (caller frees). */
static int
parse_capture(struct config *cfg, char **err, const char *const *words, char **out)
{
    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path), saved, rc;
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    ssize_t n;

    assert_true(fd >= 0);
    unlink(path);
    fflush(stdout);
    saved = dup(1);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 1), 1);
    rc = parse_words(cfg, err, words);
    fflush(stdout);
    assert_int_equal(dup2(saved, 1), 1);
    close(saved);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        strbuf_add(&sb, buf, (size_t)n);
    close(fd);
    *out = strbuf_detach(&sb, NULL);
    return rc;
}

#define CAPTURE(cfg, err, out, ...)                                                                \
    parse_capture((cfg), (err), (const char *const[]){__VA_ARGS__, NULL}, (out))

/* The flags-map value of name (caller frees), or NULL when there is no such flag. */
static char *
flag_value(const struct config *cfg, const char *name)
{
    const char *n;
    char *v;
    size_t i;

    for (i = 0; (n = config_flag(cfg, i, &v)) != NULL; i++) {
        if (strcmp(n, name) == 0)
            return v;
        free(v);
    }
    return NULL;
}

static void
assert_flag(const struct config *cfg, const char *name, const char *want)
{
    char *v = flag_value(cfg, name);

    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
}

/* Expect parsing to fail with exactly this message. */
static void
expect_error(const char *want, const char *const *words)
{
    struct config cfg;
    char *err = NULL;

    config_defaults(&cfg);
    assert_int_equal(parse_words(&cfg, &err, words), -1);
    assert_non_null(err);
    assert_string_equal(err, want);
    assert_null(strchr(err, '\n'));
    free(err);
    config_free(&cfg);
}

#define EXPECT_ERROR(want, ...) expect_error((want), (const char *const[]){__VA_ARGS__, NULL})

/* Index of the table entry called name. */
static size_t
opt_index(const char *name)
{
    const struct config_option *o;
    size_t i;

    for (i = 0; (o = config_option_get(i)) != NULL; i++)
        if (strcmp(o->name, name) == 0)
            return i;
    fail();
    return 0;
}

static void
test_defaults(void **state)
{
    struct config cfg;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(cfg.nlisten_addresses, 1);
    assert_string_equal(cfg.listen_addresses[0], ":9091");
    assert_int_equal(cfg.systemd_socket, 0);
    assert_string_equal(cfg.web_config_file, "");
    assert_string_equal(cfg.telemetry_path, "/metrics");
    assert_string_equal(cfg.external_url, "");
    assert_string_equal(cfg.route_prefix, "");
    assert_string_equal(cfg.ui_prefix, ".");
    assert_int_equal(cfg.enable_lifecycle, 0);
    assert_int_equal(cfg.enable_admin_api, 0);
    assert_string_equal(cfg.persistence_file, "");
    assert_true(cfg.persistence_interval == INT64_C(300000000000));
    assert_int_equal(cfg.disable_consistency_check, 0);
    assert_int_equal(cfg.enable_utf8_names, 0);
    assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
    assert_int_equal(cfg.log_format, LOG_FORMAT_LOGFMT);
    config_free(&cfg);
    assert_null(cfg.listen_addresses);
    assert_null(cfg.telemetry_path);
}

/* The flags map with no arguments: exactly upstream's keys and default renderings. */
static void
test_flags_map_defaults(void **state)
{
    static const char *const want[][2] = {
        {"web.systemd-socket", "false"},
        {"web.listen-address", ":9091"},
        {"web.config.file", ""},
        {"web.telemetry-path", "/metrics"},
        {"web.external-url", ""},
        {"web.route-prefix", ""},
        {"web.enable-lifecycle", "false"},
        {"web.enable-admin-api", "false"},
        {"persistence.file", ""},
        {"persistence.interval", "5m0s"},
        {"push.disable-consistency-check", "false"},
        {"push.enable-utf8-names", "false"},
        {"log.level", "info"},
        {"log.format", "logfmt"},
    };
    struct config cfg;
    char *err = NULL, *v = NULL;
    const char *name;
    size_t i;
    char *argv[] = {(char *)"pushgateway", NULL};

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(config_parse_args(&cfg, 1, argv, &err), 0);
    assert_null(err);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        name = config_flag(&cfg, i, &v);
        assert_non_null(name);
        assert_string_equal(name, want[i][0]);
        assert_string_equal(v, want[i][1]);
        free(v);
    }
    v = NULL;
    assert_null(config_flag(&cfg, i, &v));
    assert_null(v);
    config_free(&cfg);
}

/* A zero-filled struct gets the defaults before argv is applied. */
static void
test_zero_struct(void **state)
{
    struct config cfg;
    char *err = NULL;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(PARSE(&cfg, &err, "--web.enable-lifecycle"), 0);
    assert_string_equal(cfg.telemetry_path, "/metrics");
    assert_int_equal(cfg.enable_lifecycle, 1);
    assert_int_equal(cfg.nlisten_addresses, 1);
    config_free(&cfg);
}

static void
test_value_forms(void **state)
{
    struct config cfg;
    char *err = NULL;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(PARSE(&cfg, &err, "--web.telemetry-path=/m", "--persistence.file", "/tmp/p",
                           "--persistence.interval", "1.5h", "--log.level=debug", "--log.format",
                           "json", "--web.config.file=/etc/web.yml", "--web.external-url",
                           "http://example.com:8080/pg/"),
                     0);
    assert_null(err);
    assert_string_equal(cfg.telemetry_path, "/m");
    assert_string_equal(cfg.persistence_file, "/tmp/p");
    assert_true(cfg.persistence_interval == INT64_C(5400000000000));
    assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
    assert_int_equal(cfg.log_format, LOG_FORMAT_JSON);
    assert_string_equal(cfg.web_config_file, "/etc/web.yml");
    assert_string_equal(cfg.external_url, "http://example.com:8080/pg/");
    assert_string_equal(cfg.route_prefix, "/pg");
    assert_string_equal(cfg.ui_prefix, "/pg");
    config_free(&cfg);

    /* An empty value is a value; the level matches case-insensitively like promslog. */
    config_defaults(&cfg);
    assert_int_equal(PARSE(&cfg, &err, "--web.telemetry-path=", "--log.level=WARN"), 0);
    assert_string_equal(cfg.telemetry_path, "");
    assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
    config_free(&cfg);
}

static void
test_bool_forms(void **state)
{
    static const struct {
        const char *arg;
        int want;
    } cases[] = {
        {"--web.enable-admin-api", 1},       {"--web.enable-admin-api=true", 1},
        {"--web.enable-admin-api=false", 0}, {"--web.enable-admin-api=1", 1},
        {"--web.enable-admin-api=0", 0},     {"--web.enable-admin-api=T", 1},
        {"--web.enable-admin-api=FALSE", 0}, {"--no-web.enable-admin-api", 0},
    };
    struct config cfg;
    char *err = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        config_defaults(&cfg);
        cfg.enable_admin_api = !cases[i].want;
        assert_int_equal(PARSE(&cfg, &err, cases[i].arg), 0);
        assert_int_equal(cfg.enable_admin_api, cases[i].want);
        config_free(&cfg);
    }

    config_defaults(&cfg);
    assert_int_equal(PARSE(&cfg, &err, "--web.systemd-socket", "--web.enable-lifecycle",
                           "--push.disable-consistency-check", "--push.enable-utf8-names"),
                     0);
    assert_int_equal(cfg.systemd_socket, 1);
    assert_int_equal(cfg.enable_lifecycle, 1);
    assert_int_equal(cfg.disable_consistency_check, 1);
    assert_int_equal(cfg.enable_utf8_names, 1);
    assert_flag(&cfg, "web.systemd-socket", "true");
    assert_flag(&cfg, "push.enable-utf8-names", "true");
    assert_flag(&cfg, "web.enable-admin-api", "false");
    config_free(&cfg);

    /* A boolean never takes the next word as its value. */
    EXPECT_ERROR("unexpected argument \"true\"", "--web.enable-lifecycle", "true");
    EXPECT_ERROR("--web.enable-lifecycle: invalid boolean \"yes\" (want true or false)",
                 "--web.enable-lifecycle=yes");
    EXPECT_ERROR("--no-web.enable-lifecycle: flag takes no value",
                 "--no-web.enable-lifecycle=true");
}

static void
test_listen_address(void **state)
{
    struct config cfg;
    char *err = NULL;

    (void)state;
    /* One occurrence replaces the default rather than adding to it. */
    config_defaults(&cfg);
    assert_int_equal(PARSE(&cfg, &err, "--web.listen-address=:1"), 0);
    assert_int_equal(cfg.nlisten_addresses, 1);
    assert_string_equal(cfg.listen_addresses[0], ":1");
    config_free(&cfg);

    /* Repeats add, in order, and the flags map joins them with ",". */
    config_defaults(&cfg);
    assert_int_equal(PARSE(&cfg, &err, "--web.listen-address=127.0.0.1:1", "--web.listen-address",
                           "[::1]:2", "--web.listen-address=vsock://:3"),
                     0);
    assert_int_equal(cfg.nlisten_addresses, 3);
    assert_string_equal(cfg.listen_addresses[0], "127.0.0.1:1");
    assert_string_equal(cfg.listen_addresses[1], "[::1]:2");
    assert_string_equal(cfg.listen_addresses[2], "vsock://:3");
    assert_flag(&cfg, "web.listen-address", "127.0.0.1:1,[::1]:2,vsock://:3");
    config_free(&cfg);

    /* A list set from another source (sysconfig) is replaced by the command line too. */
    config_defaults(&cfg);
    assert_int_equal(config_option_set(&cfg, opt_index("web.listen-address"), ":7", 0, &err), 0);
    assert_int_equal(config_option_set(&cfg, opt_index("web.listen-address"), ":8", 1, &err), 0);
    assert_int_equal(cfg.nlisten_addresses, 2);
    assert_int_equal(PARSE(&cfg, &err, "--web.listen-address=:9"), 0);
    assert_int_equal(cfg.nlisten_addresses, 1);
    assert_string_equal(cfg.listen_addresses[0], ":9");
    config_free(&cfg);

    /* Without the flag, a list from another source stays. */
    config_defaults(&cfg);
    assert_int_equal(config_option_set(&cfg, opt_index("web.listen-address"), ":7", 0, &err), 0);
    assert_int_equal(PARSE(&cfg, &err, "--log.level=info"), 0);
    assert_flag(&cfg, "web.listen-address", ":7");
    config_free(&cfg);
}

static void
test_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("--bogus: unknown flag", "--bogus");
    EXPECT_ERROR("--bogus: unknown flag", "--bogus=1");
    EXPECT_ERROR("-x: unknown short flag", "-x");
    EXPECT_ERROR("-x: unknown short flag", "-hx");
    EXPECT_ERROR("-: unknown short flag", "-");
    EXPECT_ERROR("--no-web.telemetry-path: unknown flag", "--no-web.telemetry-path");
    EXPECT_ERROR("--web.telemetry-path: expected a value", "--web.telemetry-path");
    EXPECT_ERROR("--persistence.file: expected a value", "--persistence.file",
                 "--web.enable-lifecycle");
    EXPECT_ERROR("--persistence.interval: time: unknown unit \"x\" in duration \"5x\"",
                 "--persistence.interval=5x");
    EXPECT_ERROR("--persistence.interval: time: missing unit in duration \"5\"",
                 "--persistence.interval", "5");
    EXPECT_ERROR("--persistence.interval: time: unknown unit \"d\" in duration \"1d\"",
                 "--persistence.interval=1d");
    EXPECT_ERROR("--persistence.interval: time: invalid duration \"\"", "--persistence.interval=");
    EXPECT_ERROR("--log.level: unrecognized value \"verbose\", expected one of: debug, info, "
                 "warn, error",
                 "--log.level=verbose");
    EXPECT_ERROR("--log.format: unrecognized value \"JSON\", expected one of: logfmt, json",
                 "--log.format=JSON");
    EXPECT_ERROR("unexpected argument \"serve\"", "serve");
    EXPECT_ERROR("unexpected argument \"--web.enable-lifecycle\"", "--", "--web.enable-lifecycle");
    EXPECT_ERROR("--web.telemetry-path: flag cannot be repeated", "--web.telemetry-path=/a",
                 "--web.telemetry-path=/b");
    EXPECT_ERROR("--web.enable-lifecycle: flag cannot be repeated", "--web.enable-lifecycle",
                 "--no-web.enable-lifecycle");
    EXPECT_ERROR("--help: flag takes no value", "--help=1");
    /* Syntax errors win over --help, as in kingpin. */
    EXPECT_ERROR("--bogus: unknown flag", "--help", "--bogus");
    /* Value errors win over --version unless it comes first. */
    EXPECT_ERROR("--log.level: unrecognized value \"x\", expected one of: debug, info, warn, "
                 "error",
                 "--log.level=x", "--version");
    /* "--" alone is fine. */
    {
        struct config cfg;
        char *err = NULL;

        config_defaults(&cfg);
        assert_int_equal(PARSE(&cfg, &err, "--"), 0);
        config_free(&cfg);
    }
}

/* External URLs are checked the way Go's url.Parse checks them. */
static void
test_external_url(void **state)
{
    static const char *const good[] = {
        "http://h/foo/",
        "https://user:pw@h:9091/a%20b",
        "pg",
        "/pg/",
        "http://[::1]:9091/x",
        "http://h/?q=1#f",
        "mailto:x",
        "",
    };
    struct config cfg;
    char *err = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *arg = xasprintf("--web.external-url=%s", good[i]);

        config_defaults(&cfg);
        assert_int_equal(PARSE(&cfg, &err, arg), 0);
        assert_null(err);
        assert_flag(&cfg, "web.external-url", good[i]);
        config_free(&cfg);
        free(arg);
    }
    EXPECT_ERROR("--web.external-url: invalid URL: parse \":foo\": missing protocol scheme",
                 "--web.external-url=:foo");
    EXPECT_ERROR("--web.external-url: invalid URL: parse \"http://h:abc/\": invalid port \":abc\" "
                 "after host",
                 "--web.external-url=http://h:abc/");
    EXPECT_ERROR("--web.external-url: invalid URL: parse \"http://h/%zz\": invalid URL escape "
                 "\"%zz\"",
                 "--web.external-url=http://h/%zz");
    EXPECT_ERROR("--web.external-url: invalid URL: parse \"http://h/%\": invalid URL escape \"%\"",
                 "--web.external-url=http://h/%");
    EXPECT_ERROR("--web.external-url: invalid URL: parse \"1a:b\": first path segment in URL "
                 "cannot contain colon",
                 "--web.external-url=1a:b");
    EXPECT_ERROR("--web.external-url: invalid URL: parse \"http://a b/\": invalid character \" \" "
                 "in host name",
                 "--web.external-url=http://a b/");
    EXPECT_ERROR("--web.external-url: invalid URL: parse \"http://h/\\x01\": net/url: invalid "
                 "control character in URL",
                 "--web.external-url=http://h/\x01");
    EXPECT_ERROR("--web.external-url: invalid URL: parse \"http://[::1/\": missing ']' in host",
                 "--web.external-url=http://[::1/");
}

static void
test_normalise_prefix(void **state)
{
    static const char *const table[][2] = {
        {"", ""},          {"/", ""},         {"pg", "/pg"},     {"pg/", "/pg"},  {"/pg", "/pg"},
        {"/foo/", "/foo"}, {"//a//", "//a/"}, {"/a/b/", "/a/b"}, {"a/b", "/a/b"}, {"//", "/"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char *got = config_normalise_prefix(table[i][0]);

        assert_string_equal(got, table[i][1]);
        free(got);
    }
}

/* Route and UI prefixes after parsing, from spec §1. */
static void
test_prefixes(void **state)
{
    static const struct {
        const char *external, *route;
        const char *want_route, *want_ui;
    } cases[] = {
        {NULL, NULL, "", "."},
        {"http://h/foo/", NULL, "/foo", "/foo"},
        {"http://h/foo", NULL, "/foo", "/foo"},
        {"http://h", NULL, "", "."},
        {"http://h/", NULL, "", "."},
        {NULL, "pg", "/pg", "."},
        {NULL, "pg/", "/pg", "."},
        {NULL, "/", "", "."},
        {"http://h/foo", "/", "", "/foo"},
        {"http://h/foo", "/bar/", "/bar", "/foo"},
        {"http://h//a//", NULL, "//a/", "//a/"},
        {"http://h/a%20b/", NULL, "/a b", "/a b"},
        {"pg", NULL, "/pg", "/pg"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *words[3] = {NULL, NULL, NULL};
        char *a = NULL, *b = NULL, *err = NULL;
        struct config cfg;
        int n = 0;

        if (cases[i].external != NULL)
            words[n++] = a = xasprintf("--web.external-url=%s", cases[i].external);
        if (cases[i].route != NULL)
            words[n++] = b = xasprintf("--web.route-prefix=%s", cases[i].route);
        config_defaults(&cfg);
        assert_int_equal(parse_words(&cfg, &err, words), 0);
        assert_string_equal(cfg.route_prefix, cases[i].want_route);
        assert_string_equal(cfg.ui_prefix, cases[i].want_ui);
        /* The flags map shows the normalised route prefix. */
        assert_flag(&cfg, "web.route-prefix", cases[i].want_route);
        config_free(&cfg);
        free(a);
        free(b);
    }
}

static void
test_flags_map_values(void **state)
{
    struct config cfg;
    char *err = NULL;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(PARSE(&cfg, &err, "--web.listen-address=:1", "--web.listen-address=:2",
                           "--persistence.interval=90s", "--persistence.file=/var/lib/pg",
                           "--web.external-url=http://h/x/", "--web.route-prefix=pg/",
                           "--web.enable-lifecycle", "--log.level=error", "--log.format=json"),
                     0);
    assert_flag(&cfg, "web.listen-address", ":1,:2");
    assert_flag(&cfg, "persistence.interval", "1m30s");
    assert_flag(&cfg, "persistence.file", "/var/lib/pg");
    assert_flag(&cfg, "web.external-url", "http://h/x/");
    assert_flag(&cfg, "web.route-prefix", "/pg");
    assert_flag(&cfg, "web.enable-lifecycle", "true");
    assert_flag(&cfg, "log.level", "error");
    assert_flag(&cfg, "log.format", "json");
    assert_null(flag_value(&cfg, "help"));
    assert_null(flag_value(&cfg, "version"));
    assert_string_equal(cfg.ui_prefix, "/x");
    config_free(&cfg);
}

static void
test_usage(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    const struct config_option *o;
    const char *text;
    size_t i;

    (void)state;
    config_usage(&sb);
    text = strbuf_str(&sb);
    assert_true(strncmp(text, "usage: pushgateway [<flags>]\n", 29) == 0);
    for (i = 0; (o = config_option_get(i)) != NULL; i++) {
        char *flag = xasprintf(
            "--%s%s", o->type == CONFIG_OPT_BOOL || o->type == CONFIG_OPT_ACTION ? "[no-]" : "",
            o->name);

        assert_non_null(strstr(text, flag));
        free(flag);
    }
    assert_true(i >= 16);
    assert_non_null(strstr(text, "-h, --[no-]help "));
    assert_non_null(strstr(text, "--web.listen-address=:9091 ..."));
    assert_non_null(strstr(text, "--web.telemetry-path=\"/metrics\""));
    assert_non_null(strstr(text, "--web.config.file=\"\""));
    assert_non_null(strstr(text, "--web.external-url= "));
    assert_non_null(strstr(text, "--web.route-prefix=\"\""));
    assert_non_null(strstr(text, "--persistence.file=\"\""));
    assert_non_null(strstr(text, "--persistence.interval=5m "));
    assert_non_null(strstr(text, "--log.level=info "));
    assert_non_null(strstr(text, "--log.format=logfmt "));
    assert_non_null(strstr(text, "--[no-]version "));
    assert_non_null(strstr(text, "DANGEROUS."));
    /* Every line fits 80 columns except an unbreakable URL. */
    {
        const char *line = text, *nl;

        while ((nl = strchr(line, '\n')) != NULL) {
            if (memmem(line, (size_t)(nl - line), "https://", 8) == NULL)
                assert_true(nl - line <= 80);
            line = nl + 1;
        }
    }
    strbuf_free(&sb);
}

static void
test_help_and_version(void **state)
{
    struct config cfg;
    char *err = NULL, *out = NULL, *want;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(CAPTURE(&cfg, &err, &out, "--help"), 1);
    assert_null(err);
    assert_non_null(strstr(out, "usage: pushgateway"));
    assert_non_null(strstr(out, "--persistence.interval=5m"));
    free(out);
    config_free(&cfg);

    /* -h, and help shown even with a bad value after it (kingpin checks values later). */
    config_defaults(&cfg);
    assert_int_equal(CAPTURE(&cfg, &err, &out, "--persistence.interval=5x", "-h"), 1);
    assert_non_null(strstr(out, "usage: pushgateway"));
    free(out);
    config_free(&cfg);

    want = xasprintf("pushgateway, version %s (branch: ", PGW_VERSION);
    config_defaults(&cfg);
    assert_int_equal(CAPTURE(&cfg, &err, &out, "--version"), 1);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    assert_non_null(strstr(out, "\n  build date:       "));
    assert_non_null(strstr(out, "\n  platform:         "));
    assert_true(out[strlen(out) - 1] == '\n');
    free(out);
    config_free(&cfg);

    /* --version first short-circuits everything, as upstream's main() does. */
    config_defaults(&cfg);
    assert_int_equal(CAPTURE(&cfg, &err, &out, "--version", "--bogus"), 1);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(out);
    config_free(&cfg);

    config_defaults(&cfg);
    assert_int_equal(CAPTURE(&cfg, &err, &out, "--log.level=debug", "--version"), 1);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(out);
    config_free(&cfg);
    free(want);
}

static void
test_duration_parse(void **state)
{
    static const struct {
        const char *in;
        int64_t want;
    } ok[] = {
        {"0", 0},
        {"-0", 0},
        {"+0", 0},
        {"0s", 0},
        {"5m", INT64_C(300000000000)},
        {"5m0s", INT64_C(300000000000)},
        {"1h0m0s", INT64_C(3600000000000)},
        {"1.5s", INT64_C(1500000000)},
        {"300ms", INT64_C(300000000)},
        {"1\xc2\xb5s", 1000}, /* U+00B5 */
        {"1\xce\xbcs", 1000}, /* U+03BC */
        {"1us", 1000},
        {"1ns", 1},
        {"2h45m", INT64_C(9900000000000)},
        {"-1m", -INT64_C(60000000000)},
        {"+1m", INT64_C(60000000000)},
        {".5s", INT64_C(500000000)},
        {"1.s", INT64_C(1000000000)},
        {"1h1m1s", INT64_C(3661000000000)},
        {"1.5h", INT64_C(5400000000000)},
        {"0.000000001s", 1},
        {"1.0000000001s", INT64_C(1000000000)},
        {"9223372036854775807ns", INT64_MAX},
        {"-9223372036854775808ns", INT64_MIN},
        {"2562047h47m16.854775807s", INT64_MAX},
    };
    static const struct {
        const char *in, *err;
    } bad[] = {
        {"", "time: invalid duration \"\""},
        {"-", "time: invalid duration \"-\""},
        {"5x", "time: unknown unit \"x\" in duration \"5x\""},
        {"5", "time: missing unit in duration \"5\""},
        {".s", "time: invalid duration \".s\""},
        {"s", "time: invalid duration \"s\""},
        {"1d", "time: unknown unit \"d\" in duration \"1d\""},
        {"1w", "time: unknown unit \"w\" in duration \"1w\""},
        {"1y", "time: unknown unit \"y\" in duration \"1y\""},
        {"1.5.5s", "time: missing unit in duration \"1.5.5s\""},
        {"1m ", "time: unknown unit \"m \" in duration \"1m \""},
        {"1\xc3\xa9", "time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\""},
        {"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
        {"2562048h", "time: invalid duration \"2562048h\""},
        {"99999999999999999999s", "time: invalid duration \"99999999999999999999s\""},
        {"\"1s", "time: invalid duration \"\\\"1s\""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ns = 42;
        char *err = NULL;

        assert_int_equal(go_duration_parse(ok[i].in, &ns, &err), 0);
        assert_null(err);
        if (ns != ok[i].want)
            printf("%s: got %lld want %lld\n", ok[i].in, (long long)ns, (long long)ok[i].want);
        assert_true(ns == ok[i].want);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ns = 42;
        char *err = NULL;

        assert_int_equal(go_duration_parse(bad[i].in, &ns, &err), -1);
        assert_non_null(err);
        assert_string_equal(err, bad[i].err);
        assert_true(ns == 42);
        free(err);
    }
}

static void
test_duration_format(void **state)
{
    static const struct {
        int64_t in;
        const char *want;
    } table[] = {
        {0, "0s"},
        {1, "1ns"},
        {999, "999ns"},
        {1000, "1\xc2\xb5s"},
        {1500, "1.5\xc2\xb5s"},
        {INT64_C(300000000), "300ms"},
        {INT64_C(100000001), "100.000001ms"},
        {INT64_C(1000000000), "1s"},
        {INT64_C(1500000000), "1.5s"},
        {INT64_C(90000000000), "1m30s"},
        {INT64_C(300000000000), "5m0s"},
        {INT64_C(3600000000000), "1h0m0s"},
        {INT64_C(3661000000001), "1h1m1.000000001s"},
        {-INT64_C(60000000000), "-1m0s"},
        {-1, "-1ns"},
        {INT64_MAX, "2562047h47m16.854775807s"},
        {INT64_MIN, "-2562047h47m16.854775808s"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char buf[32];

        assert_true(go_duration_format(table[i].in, buf) == buf);
        assert_string_equal(buf, table[i].want);
    }
    /* Round trip through the parser. */
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char buf[32], *err = NULL;
        int64_t ns;

        assert_int_equal(go_duration_parse(go_duration_format(table[i].in, buf), &ns, &err), 0);
        assert_true(ns == table[i].in);
    }
}

static void
test_option_table(void **state)
{
    static const char *const spec_keys[] = {
        "log.format",
        "log.level",
        "persistence.file",
        "persistence.interval",
        "push.disable-consistency-check",
        "push.enable-utf8-names",
        "web.config.file",
        "web.enable-admin-api",
        "web.enable-lifecycle",
        "web.external-url",
        "web.listen-address",
        "web.route-prefix",
        "web.systemd-socket",
        "web.telemetry-path",
    };
    const struct config_option *o;
    size_t i, nflags = 0, nkeys = 0, nkeys_want = 0, nlocal = 0;
    const char *name;
    char *v;
    struct config cfg;

    (void)state;
    config_defaults(&cfg);
    /* Every spec §8.1 key is in the flags map, and nothing else. */
    for (i = 0; (name = config_flag(&cfg, i, &v)) != NULL; i++) {
        size_t k;
        int found = 0;

        for (k = 0; k < sizeof(spec_keys) / sizeof(spec_keys[0]); k++)
            found |= strcmp(spec_keys[k], name) == 0;
        assert_true(found);
        free(v);
        nflags++;
    }
    assert_int_equal(nflags, sizeof(spec_keys) / sizeof(spec_keys[0]));

    for (i = 0; (o = config_option_get(i)) != NULL; i++) {
        const char *key = config_option_sysconfig_key(i);

        assert_non_null(o->name);
        assert_non_null(o->help);
        assert_non_null(o->def);
        if (o->type == CONFIG_OPT_ACTION || (o->flags & CONFIG_OPT_CMDLINE)) {
            assert_null(key);
            continue;
        }
        assert_non_null(key);
        nkeys_want++;
        if (o->flags & CONFIG_OPT_LOCAL)
            nlocal++;
        assert_true(strncmp(key, "PUSHGATEWAY_", 12) == 0);
        assert_null(strpbrk(key, ".-abcdefghijklmnopqrstuvwxyz"));
        assert_int_equal(strlen(key), 12 + strlen(o->name));
        nkeys++;
    }
    /* Our own flags have keys too (except the command-line-only ones), but no map entry. */
    assert_int_equal(nkeys, nkeys_want);
    assert_int_equal(nkeys - nlocal, nflags);
    assert_null(config_option_sysconfig_key(opt_index("config.file")));
    assert_null(config_option_sysconfig_key(opt_index("daemon")));
    assert_string_equal(config_option_sysconfig_key(opt_index("pid-file")), "PUSHGATEWAY_PID_FILE");
    assert_null(config_option_sysconfig_key(i));
    assert_null(config_option_sysconfig_key(i + 100));
    assert_string_equal(config_option_sysconfig_key(opt_index("web.listen-address")),
                        "PUSHGATEWAY_WEB_LISTEN_ADDRESS");
    assert_string_equal(config_option_sysconfig_key(opt_index("persistence.interval")),
                        "PUSHGATEWAY_PERSISTENCE_INTERVAL");
    assert_string_equal(config_option_sysconfig_key(opt_index("push.disable-consistency-check")),
                        "PUSHGATEWAY_PUSH_DISABLE_CONSISTENCY_CHECK");
    assert_null(config_option_sysconfig_key(opt_index("help")));
    assert_null(config_option_sysconfig_key(opt_index("version")));
    /* Stable across calls. */
    assert_true(config_option_sysconfig_key(opt_index("web.listen-address")) ==
                config_option_sysconfig_key(opt_index("web.listen-address")));
    config_free(&cfg);
}

static void
test_option_set(void **state)
{
    struct config cfg;
    char *err = NULL;
    size_t interval = opt_index("persistence.interval");
    size_t lifecycle = opt_index("web.enable-lifecycle"), level = opt_index("log.level");

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(config_option_set(&cfg, interval, "10s", 0, &err), 0);
    assert_true(cfg.persistence_interval == INT64_C(10000000000));
    assert_int_equal(config_option_set(&cfg, lifecycle, "true", 0, &err), 0);
    assert_int_equal(cfg.enable_lifecycle, 1);
    assert_int_equal(config_option_set(&cfg, level, "error", 0, &err), 0);
    assert_int_equal(cfg.log_level, LOG_LEVEL_ERROR);
    /* Errors carry the bare reason; the value is left alone. */
    assert_int_equal(config_option_set(&cfg, interval, "10", 0, &err), -1);
    assert_string_equal(err, "time: missing unit in duration \"10\"");
    free(err);
    assert_true(cfg.persistence_interval == INT64_C(10000000000));
    assert_int_equal(config_option_set(&cfg, opt_index("help"), "x", 0, &err), -1);
    free(err);
    assert_int_equal(config_option_set(&cfg, 1000, "x", 0, &err), -1);
    free(err);
    /* Values from another source stay when argv does not mention them. */
    assert_int_equal(PARSE(&cfg, &err, "--web.enable-admin-api"), 0);
    assert_true(cfg.persistence_interval == INT64_C(10000000000));
    assert_int_equal(cfg.enable_lifecycle, 1);
    config_free(&cfg);
}

/* The limit flags (ours): sizes with units, plain counts, their defaults and errors. */
static void
test_limit_values(void **state)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } sizes[] = {
        {"0", 0},
        {"1500", 1500},
        {"1500B", 1500},
        {"1KiB", 1024},
        {"2k", 2048},
        {"3KB", 3072},
        {"64MiB", UINT64_C(67108864)},
        {"64mib", UINT64_C(67108864)},
        {"1G", UINT64_C(1073741824)},
        {"16GiB", UINT64_C(17179869184)},
    };
    static const char *const bad_sizes[] = {"",
                                            "x",
                                            "1.5MiB",
                                            "-1",
                                            "1 MiB",
                                            "1TiB",
                                            "1Mi",
                                            "0x10",
                                            "MiB",
                                            "99999999999999999999",
                                            "17179869184GiB"};
    struct config cfg;
    char *err = NULL, *s;
    size_t body = opt_index("push.max-body-size"), groups = opt_index("push.max-groups");
    size_t i;

    (void)state;
    config_defaults(&cfg);
    assert_true(cfg.max_body_size == UINT64_C(67108864));
    assert_true(cfg.max_header_size == UINT64_C(1048576));
    assert_true(cfg.max_connections == 1024);
    assert_true(cfg.max_groups == 0 && cfg.max_series == 0 && cfg.max_series_per_group == 0);
    assert_true(cfg.read_timeout == INT64_C(60000000000));
    assert_true(cfg.idle_timeout == INT64_C(60000000000));
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        assert_int_equal(config_option_set(&cfg, body, sizes[i].text, 0, &err), 0);
        assert_true(cfg.max_body_size == sizes[i].bytes);
    }
    for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        if (config_option_set(&cfg, body, bad_sizes[i], 0, &err) == 0)
            fail_msg("size \"%s\" accepted", bad_sizes[i]);
        assert_non_null(strstr(err, "invalid size"));
        free(err);
    }
    assert_int_equal(config_option_set(&cfg, groups, "1000000", 0, &err), 0);
    assert_true(cfg.max_groups == 1000000);
    assert_int_equal(config_option_set(&cfg, groups, "1k", 0, &err), -1);
    assert_string_equal(err, "invalid number \"1k\": want a non-negative integer");
    free(err);
    assert_int_equal(PARSE(&cfg, &err, "--web.max-connections=0", "--web.read-timeout=1.5s"), 0);
    assert_true(cfg.max_connections == 0);
    assert_true(cfg.read_timeout == INT64_C(1500000000));
    /* Shown as --help shows defaults: the largest exact unit. */
    s = config_size_format(UINT64_C(67108864));
    assert_string_equal(s, "64MiB");
    free(s);
    s = config_size_format(1536);
    assert_string_equal(s, "1536");
    free(s);
    s = config_size_format(UINT64_C(3) << 30);
    assert_string_equal(s, "3GiB");
    free(s);
    s = config_size_format(0);
    assert_string_equal(s, "0");
    free(s);
    config_free(&cfg);
}

/* Regression (found by fuzz_sysconfig): "-nnnn" gives one occurrence per letter, more than
 * one per word; the parser's occurrence table must hold them all. */
static void
test_combined_short_flags(void **state)
{
    char *argv[] = {"pushgateway", "-nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "-n", NULL};
    struct config cfg;
    char *err = NULL;
    int rc;

    (void)state;
    config_defaults(&cfg);
    rc = config_parse_args(&cfg, 3, argv, &err);
    assert_int_equal(rc, -1);
    assert_non_null(err);
    assert_non_null(strstr(err, "--config.check: flag cannot be repeated"));
    free(err);
    config_free(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_combined_short_flags),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flags_map_defaults),
        cmocka_unit_test(test_zero_struct),
        cmocka_unit_test(test_value_forms),
        cmocka_unit_test(test_bool_forms),
        cmocka_unit_test(test_listen_address),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_external_url),
        cmocka_unit_test(test_normalise_prefix),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_flags_map_values),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_option_table),
        cmocka_unit_test(test_option_set),
        cmocka_unit_test(test_limit_values),
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
