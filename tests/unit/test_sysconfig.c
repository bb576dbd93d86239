/* test_sysconfig.c - unit tests for the sysconfig parser, the config file loader, precedence */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "config_file.h"
#include "strbuf.h"
#include "sysconfig.h"
#include "xmalloc.h"

#define MAXPAIRS 64

/* What a parse produced: the assignments in order. */
struct pairs {
    size_t n;
    char *key[MAXPAIRS];
    char *value[MAXPAIRS];
    unsigned line[MAXPAIRS];
};

/* Callback collecting every assignment. */
static int
collect(void *arg, unsigned line, const char *key, const char *value, char **err)
{
    struct pairs *p = arg;

    (void)err;
    assert_true(p->n < MAXPAIRS);
    p->key[p->n] = xstrdup(key);
    p->value[p->n] = xstrdup(value);
    p->line[p->n++] = line;
    return 0;
}

static void
pairs_free(struct pairs *p)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        free(p->key[i]);
        free(p->value[i]);
    }
    p->n = 0;
}

/* The last value assigned to key, or NULL. */
static const char *
pairs_get(const struct pairs *p, const char *key)
{
    size_t i = p->n;

    while (i-- > 0)
        if (strcmp(p->key[i], key) == 0)
            return p->value[i];
    return NULL;
}

/* A valid input, the key to look at and the value both sh and the parser must give. */
struct ok_case {
    const char *in;
    const char *key;
    const char *want;
};

static const struct ok_case ok_cases[] = {
    {"A=1\n", "A", "1"},
    {"A=1", "A", "1"},
    {"A=\n", "A", ""},
    {"A=''\n", "A", ""},
    {"A=\"\"\n", "A", ""},
    {"  A=1  \n", "A", "1"},
    {"\tA=1\t\n", "A", "1"},
    {"\n\n  \n# comment\nA=1\n", "A", "1"},
    {"# a comment with 'quotes' and $VAR and \\\\\nA=1\n", "A", "1"},
    {"export A=1\n", "A", "1"},
    {"export\t  A='x y'\n", "A", "x y"},
    {"A='a b'\n", "A", "a b"},
    {"A=\"a b\"\n", "A", "a b"},
    {"A=\"a b\"   \n", "A", "a b"},
    {"A='it''s'\n", "A", "its"},
    {"A='a\"b'\n", "A", "a\"b"},
    {"A=\"a'b\"\n", "A", "a'b"},
    {"A=\"\\\"\\\\\\$\\`\"\n", "A", "\"\\$`"},
    {"A=\"a\\\nb\"\n", "A", "ab"},
    {"A=\"a\nb\"\n", "A", "a\nb"},
    {"A='a\nb'\n", "A", "a\nb"},
    {"A='$HOME `id` \\'\n", "A", NULL}, /* backslash in single quotes: invalid (below) */
    {"A='$HOME `id`'\n", "A", "$HOME `id`"},
    {"A=\"# not a comment\"\n", "A", "# not a comment"},
    {"A=a\\ b\n", "A", "a b"},
    {"A=a\\\\b\n", "A", "a\\b"},
    {"A=a\\\"b\\'c\n", "A", "a\"b'c"},
    {"A=a\\$b\\`c\n", "A", "a$b`c"},
    {"A=a\\\nb\n", "A", "ab"},
    {"A=a\\\n", "A", "a"},
    {"A=\\\nB=1\n", "A", "B=1"},
    {"A=\"x\"y\n", "A", "xy"},
    {"A='x'\"y\"z\n", "A", "xyz"},
    {"A=\"x\"\\ y\n", "A", "x y"},
    {"A=a#b\n", "A", "a#b"},
    {"A=#b\n", "A", "#b"},
    {"A=a=b\n", "A", "a=b"},
    {"A=*?[ab]{c,d}!\n", "A", "*?[ab]{c,d}!"},
    {"A=x~y\n", "A", "x~y"},
    {"A='~'/x\n", "A", "~/x"},
    {"A=\\~\n", "A", "~"},
    {"A=a:b\n", "A", "a:b"},
    {"A=h\xc3\xa9llo\n", "A", "h\xc3\xa9llo"},
    {"A=1\nA=2\n", "A", "2"},
    {"_a9=x\n", "_a9", "x"},
    {"A=--web.listen-address=:9091 --log.level=debug\n", "A", NULL}, /* blank: invalid */
    {"A=\"--web.listen-address=:9091 --log.level=debug\"\n", "A",
     "--web.listen-address=:9091 --log.level=debug"},
};

/* An invalid input, the line the error is reported on and a part of the message. */
struct bad_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    unsigned line;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"A=a b\n", 0, 1, "unquoted blank"},
    {"A=1 2\n", 0, 1, "unquoted blank"},
    {"A=a #c\n", 0, 1, "comment after a value"},
    {"A=a \\\nb\n", 0, 1, "blank before a line continuation"},
    {"A = 1\n", 0, 1, "blank after A"},
    {"A =1\n", 0, 1, "blank after A"},
    {"A= 1\n", 0, 1, "unquoted blank"},
    {"A\n", 0, 1, "missing '=' after A"},
    {"B=1\n\n\nexport\n", 0, 4, "missing '=' after export"},
    {"export A\n", 0, 1, "missing '=' after A"},
    {"1A=2\n", 0, 1, "expected KEY=value"},
    {"=2\n", 0, 1, "expected KEY=value"},
    {"A-B=1\n", 0, 1, "invalid character '-' in key A"},
    {"A+=1\n", 0, 1, "invalid character '+'"},
    {";c\n", 0, 1, "';' starts a comment"},
    {"A=1\n# c \\\nB=2\n", 0, 2, "comment ends in a backslash"},
    {"A=$HOME\n", 0, 1, "'$' is expanded"},
    {"A=${X}\n", 0, 1, "'$' is expanded"},
    {"A=\"$HOME\"\n", 0, 1, "'$' inside double quotes"},
    {"A=`id`\n", 0, 1, "'`' is expanded"},
    {"A=\"`id`\"\n", 0, 1, "'`' inside double quotes"},
    {"A=\"a\\nb\"\n", 0, 1, "\\n inside double quotes"},
    {"A=\"a\\tb\"\n", 0, 1, "\\t inside double quotes"},
    {"A='a\\b'\n", 0, 1, "backslash inside single quotes"},
    {"A='$HOME `id` \\'\n", 0, 1, "backslash inside single quotes"},
    {"A=a\"b\"\n", 0, 1, "quote after unquoted text"},
    {"A=a'b'\n", 0, 1, "quote after unquoted text"},
    {"A=\\\n\"b\"\n", 0, 2, "quote after unquoted text"},
    {"A='abc\n\nB=1\n", 0, 1, "unterminated single quote"},
    {"X=1\nA=\"abc\n\n", 0, 2, "unterminated double quote"},
    {"A=\"abc\\", 0, 1, "unterminated double quote"},
    {"A=1\r\n", 0, 1, "carriage return"},
    {"A='1\r'\n", 0, 1, "carriage return"},
    {"# x\r\nA=1\n", 0, 1, "carriage return"},
    {"A=~/x\n", 0, 1, "'~'"},
    {"A=a:~/x\n", 0, 1, "'~'"},
    {"A=a|b\n", 0, 1, "unquoted '|'"},
    {"A=a;b\n", 0, 1, "unquoted ';'"},
    {"A=a&\n", 0, 1, "unquoted '&'"},
    {"A=(x)\n", 0, 1, "unquoted '('"},
    {"A=<x\n", 0, 1, "unquoted '<'"},
    {"A=x>\n", 0, 1, "unquoted '>'"},
    {"A=1\nB=a\x01\n", 0, 2, "control character 0x01"},
    {"A=a\x7f\n", 0, 1, "control character 0x7f"},
    {"A=\xff\n", 0, 1, "not valid UTF-8"},
    {"A=\"x\n\xc3\"\n", 0, 1, "not valid UTF-8"},
    {"A=a\\", 0, 1, "backslash at the end of the file"},
    {"A=x\0y\n", 6, 1, "NUL byte"},
    {"A='x\ny'\nB=a b\n", 0, 3, "unquoted blank"},
    {"A=\"--web.listen-address=:9091 --log.level=debug\n", 0, 1, "unterminated"},
};

/* Parse a whole string; returns the parse result, *line and *err as the parser set them. */
static int
parse_str(const char *in, size_t len, struct pairs *p, unsigned *line, char **err)
{
    *line = 0;
    *err = NULL;
    return sysconfig_parse(in, len != 0 ? len : strlen(in), collect, p, line, err);
}

/* Write text to a new temporary file; returns its path (caller frees and unlinks). */
static char *
temp_file(const char *text, size_t len)
{
    char *path = xstrdup("/tmp/test_sysconfig_XXXXXX");
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Prints the values of the keys named after the file, each followed by a NUL byte. */
static const char dump_script[] = ". \"$1\" || exit 98\n"
                                  "shift\n"
                                  "for k; do\n"
                                  "    eval \"v=\\${$k-unset-marker}\"\n"
                                  "    printf '%s' \"$v\"\n"
                                  "    printf '\\000'\n"
                                  "done\n";

/*
 * Source file with shell and append the values of keys, NUL-separated, to out ("unset-marker"
 * for an unset key). Returns -1 when the shell is not installed.
 */
static int
shell_values(const char *shell, const char *file, const char *const *keys, size_t nkeys,
             struct strbuf *out)
{
    struct strbuf cmd = STRBUF_INIT;
    char *script = temp_file(dump_script, strlen(dump_script));
    char buf[4096];
    size_t i, n;
    FILE *f;
    int st;

    strbuf_addf(&cmd, "command -v %s >/dev/null 2>&1 || exit 99; exec %s %s %s", shell, shell,
                script, file);
    for (i = 0; i < nkeys; i++)
        strbuf_addf(&cmd, " %s", keys[i]);
    f = popen(strbuf_str(&cmd), "r");
    assert_non_null(f);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(out, buf, n);
    st = pclose(f);
    strbuf_free(&cmd);
    unlink(script);
    free(script);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 99)
        return -1;
    assert_int_equal(st, 0);
    return 0;
}

/* The shells the init script may run under: dash/ash (Debian /bin/sh) and bash (EL /bin/sh). */
static const char *const shells[] = {"sh", "bash", "dash"};

/*
 * Check that every shell reads text like the parser: each key the parser produced has the
 * parser's last value for it.
 */
static void
assert_shells_agree(const char *text, size_t len, const struct pairs *p)
{
    const char *keys[MAXPAIRS];
    char *path = temp_file(text, len);
    size_t nkeys = 0, i, s;

    for (i = 0; i < p->n; i++) {
        size_t k;
        int dup = 0;

        for (k = 0; k < nkeys; k++)
            dup |= strcmp(keys[k], p->key[i]) == 0;
        if (!dup)
            keys[nkeys++] = p->key[i];
    }
    for (s = 0; s < sizeof(shells) / sizeof(shells[0]); s++) {
        struct strbuf out = STRBUF_INIT;
        const char *v;
        size_t off = 0;

        if (shell_values(shells[s], path, keys, nkeys, &out) < 0) {
            strbuf_free(&out);
            continue;
        }
        for (i = 0; i < nkeys; i++) {
            const char *want = pairs_get(p, keys[i]);

            assert_true(off < out.len || (off == out.len && want[0] == '\0'));
            v = out.data + off;
            if (strcmp(v, want) != 0)
                fail_msg("%s reads %s as \"%s\", the parser as \"%s\" (input: %s)", shells[s],
                         keys[i], v, want, text);
            off += strlen(v) + 1;
        }
        strbuf_free(&out);
    }
    unlink(path);
    free(path);
}

/* Every valid case parses to the expected value, and sh/bash read it the same. */
static void
test_valid(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct pairs p = {0};
        unsigned line;
        char *err;
        int rc = parse_str(c->in, 0, &p, &line, &err);

        if (c->want == NULL) {
            assert_int_equal(rc, -1);
            free(err);
            pairs_free(&p);
            continue;
        }
        if (rc != 0)
            fail_msg("case %zu (%s): %u: %s", i, c->in, line, err);
        assert_non_null(pairs_get(&p, c->key));
        assert_string_equal(pairs_get(&p, c->key), c->want);
        assert_shells_agree(c->in, strlen(c->in), &p);
        pairs_free(&p);
    }
}

/* Every invalid case fails with its line number and reason. */
static void
test_invalid(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct pairs p = {0};
        unsigned line;
        char *err;

        if (parse_str(c->in, c->len, &p, &line, &err) != -1)
            fail_msg("case %zu (%s) parsed", i, c->in);
        assert_non_null(err);
        if (strstr(err, c->msg) == NULL || line != c->line)
            fail_msg("case %zu (%s): got %u: %s; want %u: ...%s...", i, c->in, line, err, c->line,
                     c->msg);
        assert_null(strchr(err, '\n'));
        free(err);
        pairs_free(&p);
    }
}

/* Line numbers: the line where each assignment starts, across continuations. */
static void
test_lines(void **state)
{
    const char *in = "# head\nA=1\n\nB='x\ny'\nC=a\\\nb\nexport D=\"\\\n\"\nE=5";
    struct pairs p = {0};
    unsigned line;
    char *err;

    (void)state;
    assert_int_equal(parse_str(in, 0, &p, &line, &err), 0);
    assert_int_equal(p.n, 5);
    assert_int_equal(p.line[0], 2);
    assert_int_equal(p.line[1], 4);
    assert_int_equal(p.line[2], 6);
    assert_int_equal(p.line[3], 8);
    assert_int_equal(p.line[4], 10);
    assert_string_equal(p.value[2], "ab");
    assert_string_equal(p.value[3], "");
    pairs_free(&p);
}

/* A callback error stops the parse at the assignment's first line. */
static int
reject_b(void *arg, unsigned line, const char *key, const char *value, char **err)
{
    (void)arg;
    (void)line;
    (void)value;
    if (strcmp(key, "B") == 0) {
        *err = xstrdup("no B");
        return -1;
    }
    return 0;
}

static void
test_callback_error(void **state)
{
    const char *in = "A=1\nB='x\ny'\nC=3\n";
    unsigned line = 0;
    char *err = NULL;

    (void)state;
    assert_int_equal(sysconfig_parse(in, strlen(in), reject_b, NULL, &line, &err), -1);
    assert_int_equal(line, 2);
    assert_string_equal(err, "no B");
    free(err);
}

/* Apply text as file "f"; returns the result with *err and the warnings. */
static int
apply(struct config *cfg, const char *text, struct config_warnings *w, char **err)
{
    *err = NULL;
    return config_file_apply(cfg, "f", text, strlen(text), w, err);
}

/* Run config_parse_args on a NULL-terminated word list (argv[0] is added). */
static int
parse_argv(struct config *cfg, const char *const *words, char **err)
{
    char *argv[16];
    int argc = 0, rc, i;

    argv[argc++] = xstrdup("pushgateway");
    for (i = 0; words[i] != NULL; i++)
        argv[argc++] = xstrdup(words[i]);
    argv[argc] = NULL;
    *err = NULL;
    rc = config_parse_args(cfg, argc, argv, err);
    for (i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* defaults < keys < PUSHGATEWAY_OPTS < command line. */
static void
test_precedence(void **state)
{
    struct config_warnings w = {NULL, 0};
    struct config cfg;
    char *err;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(apply(&cfg,
                           "PUSHGATEWAY_OPTS='--log.level=warn --web.enable-lifecycle'\n"
                           "PUSHGATEWAY_WEB_TELEMETRY_PATH=/file\n"
                           "PUSHGATEWAY_LOG_LEVEL=debug\n"
                           "PUSHGATEWAY_PERSISTENCE_INTERVAL=10s\n"
                           "PUSHGATEWAY_WEB_EXTERNAL_URL=http://h/from-file\n",
                           &w, &err),
                     0);
    assert_int_equal(w.n, 0);
    /* The file alone. */
    assert_string_equal(cfg.telemetry_path, "/file");
    assert_int_equal(cfg.log_level, LOG_LEVEL_WARN); /* OPTS beats the key */
    assert_int_equal(cfg.enable_lifecycle, 1);
    assert_true(cfg.persistence_interval == INT64_C(10000000000));
    /* The command line wins, and the route prefix comes from the final external URL. */
    assert_int_equal(parse_argv(&cfg,
                                ARGV("--web.telemetry-path=/argv", "--log.level=error",
                                     "--web.external-url=http://h/from-argv"),
                                &err),
                     0);
    assert_string_equal(cfg.telemetry_path, "/argv");
    assert_int_equal(cfg.log_level, LOG_LEVEL_ERROR);
    assert_int_equal(cfg.enable_lifecycle, 1);
    assert_true(cfg.persistence_interval == INT64_C(10000000000));
    assert_string_equal(cfg.route_prefix, "/from-argv");
    config_free(&cfg);

    /* Without a command-line value the file's external URL gives the prefix. */
    config_defaults(&cfg);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_WEB_EXTERNAL_URL=http://h/pg/\n", &w, &err), 0);
    assert_int_equal(parse_argv(&cfg, ARGV("--log.level=info"), &err), 0);
    assert_string_equal(cfg.route_prefix, "/pg");
    config_free(&cfg);
}

/* A list key takes blank- or comma-separated values; the command line replaces them. */
static void
test_list_key(void **state)
{
    struct config_warnings w = {NULL, 0};
    struct config cfg;
    char *err;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(
        apply(&cfg, "PUSHGATEWAY_WEB_LISTEN_ADDRESS=\":1 [::1]:2,127.0.0.1:3\"\n", &w, &err), 0);
    assert_int_equal(cfg.nlisten_addresses, 3);
    assert_string_equal(cfg.listen_addresses[0], ":1");
    assert_string_equal(cfg.listen_addresses[1], "[::1]:2");
    assert_string_equal(cfg.listen_addresses[2], "127.0.0.1:3");
    assert_int_equal(parse_argv(&cfg, ARGV("--web.listen-address=:4"), &err), 0);
    assert_int_equal(cfg.nlisten_addresses, 1);
    assert_string_equal(cfg.listen_addresses[0], ":4");
    config_free(&cfg);

    config_defaults(&cfg);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_WEB_LISTEN_ADDRESS=' , '\n", &w, &err), -1);
    assert_string_equal(err, "f:1: PUSHGATEWAY_WEB_LISTEN_ADDRESS: empty list");
    free(err);
    config_free(&cfg);
}

/* Errors name file, line and key; unknown keys warn; the init script's keys are silent. */
static void
test_file_errors_and_warnings(void **state)
{
    struct config_warnings w = {NULL, 0};
    struct config cfg;
    char *err;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(apply(&cfg, "# x\nPUSHGATEWAY_PERSISTENCE_INTERVAL=5x\n", &w, &err), -1);
    assert_string_equal(err, "f:2: PUSHGATEWAY_PERSISTENCE_INTERVAL: time: unknown unit \"x\" "
                             "in duration \"5x\"");
    free(err);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_LOG_LEVEL=loud\n", &w, &err), -1);
    assert_non_null(strstr(err, "f:1: PUSHGATEWAY_LOG_LEVEL: "));
    free(err);
    assert_int_equal(apply(&cfg, "A=1\nB=x y\n", &w, &err), -1);
    assert_string_equal(err, "f:2: unquoted blank in the value: quote the value");
    free(err);
    config_warnings_free(&w); /* A=1 was an unknown key */

    assert_int_equal(apply(&cfg,
                           "DAEMON_USER=pushgateway\nPIDFILE=/p\nLOCKFILE=/l\nLOGFILE=/g\n"
                           "STOP_TIMEOUT=10\nNICELEVEL=0\nFOO=1\nPUSHGATEWAY_DAEMON=true\n"
                           "PUSHGATEWAY_WEB_LISTEN_ADRESS=:1\n",
                           &w, &err),
                     0);
    assert_int_equal(w.n, 3);
    assert_string_equal(w.v[0], "f:7: unknown key FOO (ignored)");
    assert_string_equal(w.v[1], "f:8: unknown key PUSHGATEWAY_DAEMON (ignored)");
    assert_string_equal(w.v[2], "f:9: unknown key PUSHGATEWAY_WEB_LISTEN_ADRESS (ignored)");
    config_warnings_free(&w);
    assert_int_equal(w.n, 0);
    config_free(&cfg);
}

/* PUSHGATEWAY_OPTS: words at blanks; run-mode flags and actions only on the command line. */
static void
test_opts(void **state)
{
    struct config_warnings w = {NULL, 0};
    struct config cfg;
    char *err;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(apply(&cfg,
                           "PUSHGATEWAY_OPTS=\"--web.listen-address=:1\n"
                           "\t--web.listen-address :2  --push.enable-utf8-names\"\n",
                           &w, &err),
                     0);
    assert_int_equal(cfg.nlisten_addresses, 2);
    assert_string_equal(cfg.listen_addresses[1], ":2");
    assert_int_equal(cfg.enable_utf8_names, 1);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_OPTS=\n", &w, &err), 0);

    assert_int_equal(apply(&cfg, "X=1\nPUSHGATEWAY_OPTS='--log.level=debug --daemon'\n", &w, &err),
                     -1);
    assert_string_equal(err, "f:2: PUSHGATEWAY_OPTS: --daemon: only allowed on the command line");
    free(err);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_OPTS=--config.file=/x\n", &w, &err), -1);
    assert_non_null(strstr(err, "--config.file: only allowed on the command line"));
    free(err);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_OPTS=-n\n", &w, &err), -1);
    assert_non_null(strstr(err, "--config.check: only allowed on the command line"));
    free(err);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_OPTS=--help\n", &w, &err), -1);
    assert_non_null(strstr(err, "--help: only allowed"));
    free(err);
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_OPTS=--bogus\n", &w, &err), -1);
    assert_string_equal(err, "f:1: PUSHGATEWAY_OPTS: --bogus: unknown flag");
    free(err);
    /* A flag repeated inside OPTS is an error, as on the command line. */
    assert_int_equal(
        apply(&cfg, "PUSHGATEWAY_OPTS='--log.level=debug --log.level=info'\n", &w, &err), -1);
    assert_non_null(strstr(err, "--log.level: flag cannot be repeated"));
    free(err);
    /* Our own flags (not command-line-only) are fine there. */
    assert_int_equal(apply(&cfg, "PUSHGATEWAY_OPTS='--pid-file=/run/p --log.syslog'\n", &w, &err),
                     0);
    assert_string_equal(cfg.pid_file, "/run/p");
    assert_int_equal(cfg.log_syslog, 1);
    config_warnings_free(&w);
    config_free(&cfg);
}

/* --config.file and -n are found before the real parse. */
static void
test_from_args(void **state)
{
    char *a1[] = {"pgw", "--log.level=debug", "--config.file=/etc/x", NULL};
    char *a2[] = {"pgw", "--config.file", "/etc/y", "-n", NULL};
    char *a3[] = {"pgw", "--config.check", NULL};
    char *a4[] = {"pgw", "-hn", NULL};
    char *a5[] = {"pgw", "--web.listen-address=:1", NULL};
    char *a6[] = {"pgw", "--config.file=", NULL};
    int check;

    (void)state;
    assert_string_equal(config_file_from_args(3, a1, &check), "/etc/x");
    assert_int_equal(check, 0);
    assert_string_equal(config_file_from_args(4, a2, &check), "/etc/y");
    assert_int_equal(check, 1);
    assert_null(config_file_from_args(2, a3, &check));
    assert_int_equal(check, 1);
    assert_null(config_file_from_args(2, a4, &check));
    assert_int_equal(check, 1);
    assert_null(config_file_from_args(2, a5, &check));
    assert_int_equal(check, 0);
    assert_null(config_file_from_args(2, a6, &check));
}

/* -n is a short boolean; the new flags parse and validate. */
static void
test_flags_and_validate(void **state)
{
    struct config cfg;
    char *err;

    (void)state;
    config_defaults(&cfg);
    assert_int_equal(
        parse_argv(&cfg, ARGV("-n", "--daemon", "--pid-file=/p", "--log.file=/l"), &err), 0);
    assert_int_equal(cfg.config_check, 1);
    assert_int_equal(cfg.daemon, 1);
    assert_string_equal(cfg.pid_file, "/p");
    assert_int_equal(config_validate(&cfg, &err), 0);
    config_free(&cfg);

    config_defaults(&cfg);
    assert_int_equal(parse_argv(&cfg, ARGV("--log.file=/l", "--log.syslog"), &err), 0);
    assert_int_equal(config_validate(&cfg, &err), -1);
    assert_non_null(strstr(err, "choose one log destination"));
    free(err);
    config_free(&cfg);

    config_defaults(&cfg);
    assert_int_equal(parse_argv(&cfg, ARGV("--daemon", "--web.systemd-socket"), &err), 0);
    assert_int_equal(config_validate(&cfg, &err), -1);
    free(err);
    config_free(&cfg);

    config_defaults(&cfg);
    assert_int_equal(parse_argv(&cfg, ARGV("--web.listen-address=localhost"), &err), 0);
    assert_int_equal(config_validate(&cfg, &err), -1);
    assert_string_equal(err, "--web.listen-address: listen address localhost: missing port");
    free(err);
    config_free(&cfg);

    config_defaults(&cfg);
    assert_int_equal(parse_argv(&cfg, ARGV("--web.listen-address=:99999"), &err), 0);
    assert_int_equal(config_validate(&cfg, &err), -1);
    assert_non_null(strstr(err, "invalid port"));
    free(err);
    config_free(&cfg);
}

/* Source tree root, from this file's path (CMake compiles it by absolute path). */
static char *
source_path(const char *rel)
{
    const char *me = __FILE__, *p = strstr(me, "tests/unit/test_sysconfig.c");

    if (me[0] != '/' || p == NULL)
        return NULL;
    return xasprintf("%.*s%s", (int)(p - me), me, rel);
}

/* Read a whole file into sb; -1 when it cannot be opened. */
static int
read_file(const char *path, struct strbuf *sb)
{
    char buf[4096];
    size_t n;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(sb, buf, n);
    fclose(f);
    return 0;
}

/*
 * The packaged sysconfig file: it parses without warnings, it lists every key of the option
 * table as a commented default equal to the table's, every key is in docs/configuration.md,
 * and /bin/sh reads the file (with every default uncommented) as the parser does.
 */
static void
test_packaged_file(void **state)
{
    char *path = source_path("packaging/pushgateway.sysconfig");
    char *docpath = source_path("docs/configuration.md");
    struct strbuf text = STRBUF_INIT, doc = STRBUF_INIT, active = STRBUF_INIT;
    struct config_warnings w = {NULL, 0};
    const struct config_option *o;
    struct pairs p = {0};
    struct config cfg;
    const char *line;
    unsigned eline;
    char *err = NULL;
    size_t i;

    (void)state;
    if (path == NULL) {
        skip();
        return;
    }
    assert_int_equal(read_file(path, &text), 0);
    assert_int_equal(read_file(docpath, &doc), 0);
    config_defaults(&cfg);
    if (config_file_apply(&cfg, path, text.data, text.len, &w, &err) != 0)
        fail_msg("%s", err);
    assert_int_equal(w.n, 0);
    config_free(&cfg);

    /* Uncomment the "#KEY=default" lines: the result must parse and load too. */
    for (line = strbuf_str(&text); *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) + 1 : strlen(line);

        if (line[0] == '#' && line[1] >= 'A' && line[1] <= 'Z' && memchr(line, '=', n) != NULL)
            strbuf_add(&active, line + 1, n - 1);
        else
            strbuf_add(&active, line, n);
        line += n;
    }
    if (sysconfig_parse(active.data, active.len, collect, &p, &eline, &err) != 0)
        fail_msg("%u: %s", eline, err);
    config_defaults(&cfg);
    assert_int_equal(config_file_apply(&cfg, path, active.data, active.len, &w, &err), 0);
    assert_int_equal(w.n, 0);
    config_free(&cfg);

    for (i = 0; (o = config_option_get(i)) != NULL; i++) {
        const char *key = config_option_sysconfig_key(i);
        char *commented;
        struct pairs one = {0};

        if (key == NULL)
            continue;
        if (strstr(strbuf_str(&doc), key) == NULL)
            fail_msg("%s is not in docs/configuration.md", key);
        commented = xasprintf("\n#%s=", key);
        line = strstr(strbuf_str(&text), commented);
        if (line == NULL)
            fail_msg("%s: no commented default in packaging/pushgateway.sysconfig", key);
        line += 2;
        assert_int_equal(sysconfig_parse(line, strcspn(line, "\n"), collect, &one, &eline, &err),
                         0);
        assert_int_equal(one.n, 1);
        if (strcmp(one.value[0], o->def) != 0)
            fail_msg("%s: packaged default \"%s\", option table \"%s\"", key, one.value[0], o->def);
        pairs_free(&one);
        free(commented);
    }
    assert_shells_agree(active.data, active.len, &p);
    pairs_free(&p);
    strbuf_free(&text);
    strbuf_free(&active);
    strbuf_free(&doc);
    free(path);
    free(docpath);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_callback_error),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_list_key),
        cmocka_unit_test(test_file_errors_and_warnings),
        cmocka_unit_test(test_opts),
        cmocka_unit_test(test_from_args),
        cmocka_unit_test(test_flags_and_validate),
        cmocka_unit_test(test_packaged_file),
    };

    return cmocka_run_group_tests_name("sysconfig", tests, NULL, NULL);
}
