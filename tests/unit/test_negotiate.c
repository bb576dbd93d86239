/* test_negotiate.c - Accept negotiation, Content-Type values and metric-name escaping */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exposition.h"
#include "metric.h"
#include "negotiate.h"
#include "strbuf.h"

#define PROTO_ACCEPT "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily"

/* One negotiation case: an Accept header and the expected outcome. */
struct neg_case {
    const char *accept;
    enum expo_format format;
    enum name_escaping escaping;
};

static void
test_negotiation_table(void **state)
{
    static const struct neg_case cases[] = {
        {NULL, EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"*/*", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"text/plain", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"text/plain;version=0.0.4", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"text/plain;version=0.0.5", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"application/openmetrics-text; version=1.0.0", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"application/json", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {PROTO_ACCEPT ";encoding=delimited", EXPO_PROTO_DELIM, ESCAPE_UNDERSCORES},
        {"application/vnd.google.protobuf; encoding=delimited; "
         "proto=io.prometheus.client.MetricFamily",
         EXPO_PROTO_DELIM, ESCAPE_UNDERSCORES},
        /* Parameter values and names are case-sensitive; so is the media type. */
        {PROTO_ACCEPT ";encoding=Delimited", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"Application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
         "encoding=delimited",
         EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"application/vnd.google.protobuf;encoding=delimited", EXPO_TEXT, ESCAPE_UNDERSCORES},
        /* Prometheus' own scrape Accept header. */
        {PROTO_ACCEPT ";encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
         EXPO_PROTO_DELIM, ESCAPE_UNDERSCORES},
        /* Sorted by q: the higher one wins whatever the order. */
        {"text/plain;q=0.5, " PROTO_ACCEPT ";encoding=delimited;q=0.7", EXPO_PROTO_DELIM,
         ESCAPE_UNDERSCORES},
        {PROTO_ACCEPT ";encoding=delimited;q=0.5, text/plain", EXPO_TEXT, ESCAPE_UNDERSCORES},
        /* Equal q: the first listed wins. */
        {"text/plain, " PROTO_ACCEPT ";encoding=delimited", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {PROTO_ACCEPT ";encoding=delimited, text/plain", EXPO_PROTO_DELIM, ESCAPE_UNDERSCORES},
        /* A q that does not parse is 0. */
        {PROTO_ACCEPT ";encoding=delimited;q=abc, text/plain;q=0.1", EXPO_TEXT, ESCAPE_UNDERSCORES},
        /* The protobuf text encodings are not offered: text. */
        {PROTO_ACCEPT ";encoding=text", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {PROTO_ACCEPT ";encoding=compact-text, " PROTO_ACCEPT ";encoding=delimited", EXPO_TEXT,
         ESCAPE_UNDERSCORES},
        /* Escaping: taken from the entries visited, unknown values ignored. */
        {"text/plain;escaping=allow-utf-8", EXPO_TEXT, ESCAPE_ALLOW_UTF8},
        {"text/plain;version=0.0.4;escaping=dots", EXPO_TEXT, ESCAPE_DOTS},
        {"text/plain;escaping=values", EXPO_TEXT, ESCAPE_VALUES},
        {"text/plain;escaping=underscores", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"text/plain;escaping=bogus", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"text/plain;escaping=", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {PROTO_ACCEPT ";encoding=delimited;escaping=allow-utf-8", EXPO_PROTO_DELIM,
         ESCAPE_ALLOW_UTF8},
        {"application/json;escaping=dots, text/plain", EXPO_TEXT, ESCAPE_DOTS},
        {"application/json;escaping=dots, text/plain;escaping=bogus", EXPO_TEXT, ESCAPE_DOTS},
        {"text/plain, application/json;escaping=dots", EXPO_TEXT, ESCAPE_UNDERSCORES},
        {"application/json;escaping=values", EXPO_TEXT, ESCAPE_VALUES},
        /* Malformed entries are skipped. */
        {"text, text/plain/x, " PROTO_ACCEPT ";encoding=delimited", EXPO_PROTO_DELIM,
         ESCAPE_UNDERSCORES},
        {" ,, text/plain ; escaping = dots ", EXPO_TEXT, ESCAPE_DOTS},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct expo_choice c;

        negotiate_format(cases[i].accept, &c);
        if (c.format != cases[i].format || c.escaping != cases[i].escaping)
            fprintf(stderr, "case %zu (%s): got format %d escaping %d\n", i,
                    cases[i].accept != NULL ? cases[i].accept : "(null)", (int)c.format,
                    (int)c.escaping);
        assert_int_equal(c.format, cases[i].format);
        assert_int_equal(c.escaping, cases[i].escaping);
    }
}

static void
test_content_types(void **state)
{
    struct expo_choice c;

    (void)state;
    c.format = EXPO_TEXT;
    c.escaping = ESCAPE_UNDERSCORES;
    assert_string_equal(negotiate_content_type(&c),
                        "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    c.escaping = ESCAPE_ALLOW_UTF8;
    assert_string_equal(negotiate_content_type(&c),
                        "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8");
    c.format = EXPO_PROTO_DELIM;
    c.escaping = ESCAPE_UNDERSCORES;
    assert_string_equal(negotiate_content_type(&c),
                        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;"
                        " encoding=delimited; escaping=underscores");
    c.escaping = ESCAPE_VALUES;
    assert_string_equal(negotiate_content_type(&c),
                        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;"
                        " encoding=delimited; escaping=values");
    c.escaping = ESCAPE_DOTS;
    assert_string_equal(name_escaping_string(c.escaping), "dots");
}

/* One escaping case: a name and its form under underscores, dots and values. */
struct esc_case {
    const char *name, *underscores, *dots, *values;
};

static void
test_escaping_table(void **state)
{
    static const struct esc_case cases[] = {
        {"my_metric", "my_metric", "my_metric", "my_metric"},
        {"a:b_c9", "a:b_c9", "a:b_c9", "a:b_c9"},
        {"", "", "", ""},
        {"my.metric", "my_metric", "my_dot_metric", "U__my_2e_metric"},
        {"a_b.c", "a_b_c", "a__b_dot_c", "U__a__b_2e_c"},
        {"1abc", "_abc", "__abc", "U___31_abc"},
        {"a-b", "a_b", "a__b", "U__a_2d_b"},
        {"\xc3\xa4", "_", "__", "U___e4_"},
        {"x\xf0\x9f\x98\x80y", "x_y", "x__y", "U__x_1f600_y"},
        {"bad\xff", "bad_", "bad__", "U__bad_fffd_"},
        {"\xe2\x82", "__", "____", "U___fffd__fffd_"},
        {"b\xc3\xa4r.0", "b_r_0", "b__r_dot_0", "U__b_e4_r_2e_0"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf sb = STRBUF_INIT;

        name_escape_append(&sb, cases[i].name, ESCAPE_UNDERSCORES);
        assert_string_equal(strbuf_str(&sb), cases[i].underscores);
        strbuf_reset(&sb);
        name_escape_append(&sb, cases[i].name, ESCAPE_DOTS);
        assert_string_equal(strbuf_str(&sb), cases[i].dots);
        strbuf_reset(&sb);
        name_escape_append(&sb, cases[i].name, ESCAPE_VALUES);
        assert_string_equal(strbuf_str(&sb), cases[i].values);
        strbuf_reset(&sb);
        name_escape_append(&sb, cases[i].name, ESCAPE_ALLOW_UTF8);
        assert_string_equal(strbuf_str(&sb), cases[i].name);
        assert_int_equal(name_needs_escaping(cases[i].name, ESCAPE_UNDERSCORES),
                         strcmp(cases[i].name, cases[i].underscores) != 0);
        assert_int_equal(name_needs_escaping(cases[i].name, ESCAPE_ALLOW_UTF8), 0);
        strbuf_free(&sb);
    }
}

/* Render one gauge family named name with one label under escaping e. */
static void
check_text(const char *name, const char *label, enum name_escaping e, const char *want)
{
    struct metric_family *mf = metric_family_new(name, METRIC_GAUGE);
    struct metric *m = metric_family_add_metric(mf, METRIC_GAUGE);
    const struct metric *v[1];
    struct strbuf out = STRBUF_INIT;

    mf->help = strdup("h");
    metric_add_label(m, label, "x.y");
    m->value = 1;
    v[0] = m;
    expo_text_family_esc(&out, mf->name, mf->help, mf->type, v, 1, e);
    assert_string_equal(strbuf_str(&out), want);
    strbuf_free(&out);
    metric_family_free(mf);
}

static void
test_text_escaping(void **state)
{
    (void)state;
    check_text("my.metric", "lbl.x", ESCAPE_UNDERSCORES,
               "# HELP my_metric h\n# TYPE my_metric gauge\nmy_metric{lbl_x=\"x.y\"} 1\n");
    check_text("my.metric", "lbl.x", ESCAPE_DOTS,
               "# HELP my_dot_metric h\n# TYPE my_dot_metric gauge\n"
               "my_dot_metric{lbl_dot_x=\"x.y\"} 1\n");
    check_text("my.metric", "job", ESCAPE_VALUES,
               "# HELP U__my_2e_metric h\n# TYPE U__my_2e_metric gauge\n"
               "U__my_2e_metric{job=\"x.y\"} 1\n");
    check_text("my.metric", "lbl.x", ESCAPE_ALLOW_UTF8,
               "# HELP \"my.metric\" h\n# TYPE \"my.metric\" gauge\n"
               "{\"my.metric\",\"lbl.x\"=\"x.y\"} 1\n");
    /* Legacy-valid names are never touched, not even by dots. */
    check_text("my_metric", "a_b", ESCAPE_DOTS,
               "# HELP my_metric h\n# TYPE my_metric gauge\nmy_metric{a_b=\"x.y\"} 1\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiation_table),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_escaping_table),
        cmocka_unit_test(test_text_escaping),
    };

    return cmocka_run_group_tests_name("negotiate", tests, NULL, NULL);
}
