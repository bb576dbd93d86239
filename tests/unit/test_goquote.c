/* test_goquote.c - unit tests for Go %q-compatible quoting */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "goquote.h"
#include "strbuf.h"

/* Input bytes (with explicit length, NULs allowed) and what Go's %q prints for them. */
struct quote_case {
    const char *in;
    size_t len;
    const char *want;
};

#define Q(lit, want)                                                                               \
    {                                                                                              \
        lit, sizeof(lit) - 1, want                                                                 \
    }

static const struct quote_case quote_cases[] = {
    Q("", "\"\""),
    Q("abc", "\"abc\""),
    Q("a b~", "\"a b~\""),
    Q("a\"b\\c", "\"a\\\"b\\\\c\""),
    Q("'", "\"'\""),
    Q("\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\""),
    Q("\x00\x01\x1b\x1f\x7f", "\"\\x00\\x01\\x1b\\x1f\\x7f\""),
    /* Invalid UTF-8: each offending byte on its own, lower-case hex. */
    Q("\xff", "\"\\xff\""),
    Q("a\xffz", "\"a\\xffz\""),
    Q("\xc3", "\"\\xc3\""),
    Q("\xc3z", "\"\\xc3z\""),
    Q("\xe2\x82", "\"\\xe2\\x82\""),
    Q("\xe2\x82\xac", "\"\xe2\x82\xac\""),
    Q("\xc0\xaf", "\"\\xc0\\xaf\""),                            /* overlong '/' */
    Q("\xe0\x80\xaf", "\"\\xe0\\x80\\xaf\""),                   /* overlong */
    Q("\xf0\x80\x80\xaf", "\"\\xf0\\x80\\x80\\xaf\""),          /* overlong */
    Q("\xed\xa0\x80", "\"\\xed\\xa0\\x80\""),                   /* surrogate U+D800 */
    Q("\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\""),          /* > U+10FFFF */
    Q("\xf8\x88\x80\x80\x80", "\"\\xf8\\x88\\x80\\x80\\x80\""), /* 5-byte form */
    Q("\x80", "\"\\x80\""),
    Q("\xc3\xa9\xc3", "\"\xc3\xa9\\xc3\""),
    /* Printable Unicode stays raw. */
    Q("\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\""),
    Q("\xc2\xa1", "\"\xc2\xa1\""), /* U+00A1 */
    Q("\xe4\xb8\xad\xe6\x96\x87", "\"\xe4\xb8\xad\xe6\x96\x87\""),
    Q("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""), /* U+1F600 */
    Q("\xef\xbf\xbd", "\"\xef\xbf\xbd\""),         /* a real U+FFFD */
    Q("\xf0\x9e\x93\x90", "\"\xf0\x9e\x93\x90\""), /* U+1E4D0, new in Unicode 15.0 */
    Q("\xf0\xb1\x8d\x90", "\"\xf0\xb1\x8d\x90\""), /* U+31350, CJK ext. H (15.0) */
    /* Non-printable runes: \u or \U. */
    Q("\xc2\x80", "\"\\u0080\""),
    Q("\xc2\x9f", "\"\\u009f\""),
    Q("\xc2\xa0", "\"\\u00a0\""), /* NBSP is not IsPrint */
    Q("\xc2\xad", "\"\\u00ad\""), /* soft hyphen */
    Q("\xcd\xb8", "\"\\u0378\""), /* unassigned */
    Q("\xd8\x9c", "\"\\u061c\""), /* arabic letter mark */
    Q("\xe2\x80\x8b", "\"\\u200b\""),
    Q("\xe2\x80\xa8", "\"\\u2028\""),
    Q("\xe3\x80\x80", "\"\\u3000\""), /* ideographic space */
    Q("\xee\x80\x80", "\"\\ue000\""), /* private use */
    Q("\xef\xbb\xbf", "\"\\ufeff\""),
    Q("\xef\xbf\xbe", "\"\\ufffe\""),
    Q("\xf3\xa0\x80\x81", "\"\\U000e0001\""),
    Q("\xf4\x8f\xbf\xbf", "\"\\U0010ffff\""),
    /* U+1F0C0 is unassigned, U+1F0C1 a playing card. */
    Q("\xf0\x9f\x83\x80\xf0\x9f\x83\x81", "\"\\U0001f0c0\xf0\x9f\x83\x81\""),
};

/* Run every case of quote_cases through goquote and goquote_append. */
static void
test_quote_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(quote_cases) / sizeof(quote_cases[0]); i++) {
        const struct quote_case *c = &quote_cases[i];
        struct strbuf sb = STRBUF_INIT;
        char *q = goquote(c->in, c->len);

        print_message("quote case %lu\n", (unsigned long)i);
        assert_string_equal(q, c->want);
        strbuf_addstr(&sb, "x=");
        goquote_append(&sb, c->in, c->len);
        assert_int_equal(sb.len, 2 + strlen(c->want));
        assert_memory_equal(sb.data + 2, c->want, strlen(c->want));
        free(q);
        strbuf_free(&sb);
    }
}

/* Every single byte: ASCII printable raw, the rest escaped as Go does. */
static void
test_quote_all_bytes(void **state)
{
    unsigned int b;

    (void)state;
    for (b = 0; b < 256; b++) {
        char in = (char)b;
        char *q = goquote(&in, 1);
        char want[16];

        if (b == '"' || b == '\\') {
            want[0] = '"';
            want[1] = '\\';
            want[2] = (char)b;
            want[3] = '"';
            want[4] = '\0';
        } else if (b >= 0x20 && b < 0x7f) {
            want[0] = '"';
            want[1] = (char)b;
            want[2] = '"';
            want[3] = '\0';
        } else if (b == '\a' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t' ||
                   b == '\v') {
            static const char letters[] = "abtnvfr"; /* indexed by b - 7 */
            want[0] = '"';
            want[1] = '\\';
            want[2] = letters[b - 7];
            want[3] = '"';
            want[4] = '\0';
        } else {
            static const char hex[] = "0123456789abcdef";
            want[0] = '"';
            want[1] = '\\';
            want[2] = 'x';
            want[3] = hex[b >> 4];
            want[4] = hex[b & 15];
            want[5] = '"';
            want[6] = '\0';
        }
        assert_string_equal(q, want);
        free(q);
    }
}

/* Printability at range edges, checked through the output form of single runes. */
static void
test_quote_edges(void **state)
{
    static const struct {
        uint32_t r;
        int printable;
    } cases[] = {
        {0x7e, 1},    {0xa0, 0},    {0xa1, 1},     {0xac, 1},    {0xad, 0},    {0xae, 1},
        {0x377, 1},   {0x378, 0},   {0x37a, 1},    {0xd7a3, 1},  {0xd7a4, 0},  {0xfffd, 1},
        {0xfffc, 1},  {0xfffb, 0},  {0x10000, 1},  {0x1000c, 0}, {0x1f600, 1}, {0x1fbf9, 1},
        {0x1fbfa, 0}, {0x3134a, 1}, {0x3134b, 0},  {0x323af, 1}, {0x323b0, 0}, {0xe0100, 1},
        {0xe01ef, 1}, {0xe01f0, 0}, {0x10fffd, 0}, {0x2ebe0, 1}, {0x2ebf0, 0}, {0x1680, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t r = cases[i].r;
        char in[4];
        size_t n;
        char *q;

        if (r < 0x80) {
            in[0] = (char)r;
            n = 1;
        } else if (r < 0x800) {
            in[0] = (char)(0xc0 | (r >> 6));
            in[1] = (char)(0x80 | (r & 0x3f));
            n = 2;
        } else if (r < 0x10000) {
            in[0] = (char)(0xe0 | (r >> 12));
            in[1] = (char)(0x80 | ((r >> 6) & 0x3f));
            in[2] = (char)(0x80 | (r & 0x3f));
            n = 3;
        } else {
            in[0] = (char)(0xf0 | (r >> 18));
            in[1] = (char)(0x80 | ((r >> 12) & 0x3f));
            in[2] = (char)(0x80 | ((r >> 6) & 0x3f));
            in[3] = (char)(0x80 | (r & 0x3f));
            n = 4;
        }
        print_message("edge case U+%04lX\n", (unsigned long)r);
        q = goquote(in, n);
        if (cases[i].printable) {
            assert_int_equal(strlen(q), n + 2);
            assert_memory_equal(q + 1, in, n);
        } else {
            assert_true(q[1] == '\\');
            assert_true(q[2] == (r < 0x10000 ? 'u' : 'U'));
        }
        free(q);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_table),
        cmocka_unit_test(test_quote_all_bytes),
        cmocka_unit_test(test_quote_edges),
    };

    return cmocka_run_group_tests_name("goquote", tests, NULL, NULL);
}
