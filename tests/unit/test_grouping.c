/* test_grouping.c - unit tests for the grouping key module (spec §4) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "grouping.h"

#define MAX_PAIRS 8

/* One grouping_parse case: either the expected sorted pairs or the exact error text. */
struct parse_case {
    const char *job;
    int job_b64;
    const char *labels;
    int utf8;
    const char *want[2 * MAX_PAIRS + 1]; /* name, value, ..., NULL */
    const char *err;
};

static const struct parse_case parse_cases[] = {
    /* Plain job, no or empty labels part. */
    {"a", 0, "", 0, {"job", "a", NULL}, NULL},
    {"a", 0, "/", 0, {"job", "a", NULL}, NULL},
    {"a", 0, NULL, 0, {"job", "a", NULL}, NULL},
    {"some job+x", 0, "", 0, {"job", "some job+x", NULL}, NULL},
    /* Labels come out sorted by name; the order in the URL does not matter. */
    {"a", 0, "/x/1/y/2", 0, {"job", "a", "x", "1", "y", "2", NULL}, NULL},
    {"a", 0, "/y/2/x/1", 0, {"job", "a", "x", "1", "y", "2", NULL}, NULL},
    {"j",
     0,
     "/instance/i/a_b/v/B/w",
     0,
     {"B", "w", "a_b", "v", "instance", "i", "job", "j", NULL},
     NULL},
    /* /metrics/job/a/job/b: the job segment wins over a "job" pair. */
    {"a", 0, "/job/b", 0, {"job", "a", NULL}, NULL},
    {"a", 0, "/job@base64/Yg", 0, {"job", "a", NULL}, NULL},
    /* Repeated names: the last one wins, whether base64 or not. */
    {"a", 0, "/x/1/x/2", 0, {"job", "a", "x", "2", NULL}, NULL},
    {"a", 0, "/x/1/y/0/x/3", 0, {"job", "a", "x", "3", "y", "0", NULL}, NULL},
    {"a", 0, "/x@base64/MQ/x/2", 0, {"job", "a", "x", "2", NULL}, NULL},
    {"a", 0, "/x/1/x@base64/Mg==", 0, {"job", "a", "x", "2", NULL}, NULL},
    /* Empty values: trailing slash, base64 "=" and friends. */
    {"a", 0, "/x/", 0, {"job", "a", "x", "", NULL}, NULL},
    {"a", 0, "/instance@base64/=", 0, {"instance", "", "job", "a", NULL}, NULL},
    {"a", 0, "/instance@base64/===", 0, {"instance", "", "job", "a", NULL}, NULL},
    {"a", 0, "/instance@base64/", 0, {"instance", "", "job", "a", NULL}, NULL},
    /* Base64 job: padding optional, any amount of trailing '=', non-strict leftover bits. */
    {"dGVzdGpvYg==", 1, "", 0, {"job", "testjob", NULL}, NULL},
    {"dGVzdGpvYg", 1, "", 0, {"job", "testjob", NULL}, NULL},
    {"YQ", 1, "", 0, {"job", "a", NULL}, NULL},
    {"YQ=", 1, "", 0, {"job", "a", NULL}, NULL},
    {"YQ==", 1, "", 0, {"job", "a", NULL}, NULL},
    {"YQ===", 1, "", 0, {"job", "a", NULL}, NULL},
    {"YR", 1, "", 0, {"job", "a", NULL}, NULL},
    {"Zm9vYmFy", 1, "", 0, {"job", "foobar", NULL}, NULL},
    {"Zm9v\r\nYmFy", 1, "", 0, {"job", "foobar", NULL}, NULL},
    {"Y\nQ\r", 1, "", 0, {"job", "a", NULL}, NULL},
    {"w6k=", 1, "", 0, {"job", "\xc3\xa9", NULL}, NULL},
    {"dGVzdGpvYg", 1, "/x@base64/w7w", 0, {"job", "testjob", "x", "\xc3\xbc", NULL}, NULL},
    /* Values are not checked for UTF-8 here. */
    {"_w", 1, "", 0, {"job", "\xff", NULL}, NULL},
    {"bad\xff", 0, "/x/\xfe\xff", 0, {"job", "bad\xff", "x", "\xfe\xff", NULL}, NULL},
    {"a", 0, "/x@base64/_w==", 0, {"job", "a", "x", "\xff", NULL}, NULL},
    /* U__ escaping only with --push.enable-utf8-names. */
    {"a",
     0,
     "/U__dotted_2e_label_2e_name/v",
     1,
     {"dotted.label.name", "v", "job", "a", NULL},
     NULL},
    {"a",
     0,
     "/U__dotted_2e_label_2e_name/v",
     0,
     {"U__dotted_2e_label_2e_name", "v", "job", "a", NULL},
     NULL},
    {"a", 0, "/U__foo_2e_bar@base64/YmF6", 1, {"foo.bar", "baz", "job", "a", NULL}, NULL},
    {"a", 0, "/U__a__b/v", 1, {"a_b", "v", "job", "a", NULL}, NULL},
    {"a", 0, "/U__a_2E_b/v", 1, {"a.b", "v", "job", "a", NULL}, NULL},
    {"a", 0, "/U__x_1f600_/v", 1, {"job", "a", "x\xf0\x9f\x98\x80", "v", NULL}, NULL},
    {"a", 0, "/U__x_e9_/v", 1, {"job", "a", "x\xc3\xa9", "v", NULL}, NULL},
    {"a", 0, "/U__no_escapes/v", 1, {"U__no_escapes", "v", "job", "a", NULL}, NULL},
    /* Malformed sequences leave the whole name unchanged (it is still valid UTF-8). */
    {"a", 0, "/U__a_2e/v", 1, {"U__a_2e", "v", "job", "a", NULL}, NULL},
    {"a", 0, "/U__a_2e_b_/v", 1, {"U__a_2e_b_", "v", "job", "a", NULL}, NULL},
    {"a", 0, "/U__a_zz_/v", 1, {"U__a_zz_", "v", "job", "a", NULL}, NULL},
    {"a", 0, "/U__a_d800_/v", 1, {"U__a_d800_", "v", "job", "a", NULL}, NULL},
    /* upstream gives up at the sixth hex digit, so six digits never close. */
    {"a", 0, "/U__x_01f600_/v", 1, {"U__x_01f600_", "v", "job", "a", NULL}, NULL},
    {"a", 0, "/U__x_10ffff_/v", 1, {"U__x_10ffff_", "v", "job", "a", NULL}, NULL},
    /* upstream lower-cases by OR-ing 0x20, so byte 0x10 reads as the digit '0'. */
    {"a",
     0,
     "/U__a_\x10"
     "2e_b/v",
     1,
     {"a.b", "v", "job", "a", NULL},
     NULL},
    /* The "__" check looks at the name as written, so an escaped "__" prefix gets through. */
    {"a", 0, "/U______foo/v", 1, {"__foo", "v", "job", "a", NULL}, NULL},
    {"a", 0, "/U____foo/v", 1, {"_foo", "v", "job", "a", NULL}, NULL},
    /* An unescaped "job" is overwritten like a plain one. */
    {"a", 0, "/U__job/b", 1, {"job", "a", NULL}, NULL},
    /* With the flag any non-empty valid UTF-8 name is fine. */
    {"a",
     0,
     "/a.b/v/\xc3\xa9t\xc3\xa9/x",
     1,
     {"a.b", "v", "job", "a", "\xc3\xa9t\xc3\xa9", "x", NULL},
     NULL},

    /* Errors: base64 job, quoting the partial decode. */
    {"dGVzd+9qb2I",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"tes\": illegal base64 data at input byte 5"},
    {"Y",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\": illegal base64 data at input byte 0"},
    {"Y=",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\": illegal base64 data at input byte 0"},
    {"Y\n",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\": illegal base64 data at input byte 1"},
    {"YQ=a",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\": illegal base64 data at input byte 2"},
    {"YWJjZA=x",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"abc\": illegal base64 data at input byte 6"},
    {"YWJjZ",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"abc\": illegal base64 data at input byte 4"},
    {"dGVzdGpvYg+",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"testjo\": illegal base64 data at input byte 10"},
    {"AAEC!",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\\x00\\x01\\x02\": illegal base64 data at input byte "
     "4"},
    {"__-_!",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\\xff\\xff\\xbf\": illegal base64 data at input byte "
     "4"},
    {"w6nwn5iA!",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\xc3\xa9\xf0\x9f\x98\x80\": illegal base64 data at "
     "input byte 8"},
    {"YQ\xc3\xa9",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\": illegal base64 data at input byte 2"},
    /* Labels string errors. */
    {"a", 0, "/a", 0, {NULL}, "odd number of components in label string \"/a\""},
    {"a", 0, "/a/b/c", 0, {NULL}, "odd number of components in label string \"/a/b/c\""},
    {"a", 0, "/a/b/", 0, {NULL}, "odd number of components in label string \"/a/b/\""},
    {"a", 0, "/x\"y\xff", 0, {NULL}, "odd number of components in label string \"/x\\\"y\\xff\""},
    {"a", 0, "/__foo/v", 0, {NULL}, "improper label name \"__foo\""},
    {"a", 0, "/__foo/v", 1, {NULL}, "improper label name \"__foo\""},
    {"a", 0, "/__foo@base64/YQ", 0, {NULL}, "improper label name \"__foo\""},
    {"a", 0, "/e@base64x/YQ", 0, {NULL}, "improper label name \"e@base64x\""},
    {"a", 0, "/x@base64@base64/YQ", 0, {NULL}, "improper label name \"x@base64\""},
    {"a", 0, "/@base64/YQ", 0, {NULL}, "improper label name \"\""},
    {"a", 0, "/1abc/v", 0, {NULL}, "improper label name \"1abc\""},
    {"a", 0, "/a-b/v", 0, {NULL}, "improper label name \"a-b\""},
    {"a", 0, "//v", 1, {NULL}, "improper label name \"\""},
    {"a", 0, "/a.b/v", 0, {NULL}, "improper label name \"a.b\""},
    {"a", 0, "/U__/v", 1, {NULL}, "improper label name \"U__\""},
    {"a", 0, "/\xff/v", 1, {NULL}, "improper label name \"\\xff\""},
    {"a", 0, "/U__a_ff_/v", 0, {"U__a_ff_", "v", "job", "a", NULL}, NULL},
    /* Our deviation: a NUL byte cannot live in a C-string label. */
    {"a", 0, "/U__a_0_/v", 1, {NULL}, "improper label name \"U__a_0_\""},
    {"a",
     0,
     "/ok/1/x@base64/YQ=a",
     0,
     {NULL},
     "invalid base64 encoding for label x=\"YQ=a\": illegal base64 data at input byte 2"},
    {"a",
     0,
     "/x@base64/Y",
     0,
     {NULL},
     "invalid base64 encoding for label x=\"Y\": illegal base64 data at input byte 0"},
    {"a",
     0,
     "/x@base64/a+b",
     0,
     {NULL},
     "invalid base64 encoding for label x=\"a+b\": illegal base64 data at input byte 1"},
    {"a",
     0,
     "/U__a_2e_b@base64/a\xff",
     1,
     {NULL},
     "invalid base64 encoding for label U__a_2e_b=\"a\\xff\": illegal base64 data at input byte 1"},
    {"a",
     0,
     "/x@base64/AA",
     0,
     {NULL},
     "invalid base64 encoding for label x=\"AA\": decoded value contains a NUL byte, which is not "
     "supported"},
    {"AA",
     1,
     "",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\\x00\": decoded value contains a NUL byte, which is "
     "not supported"},
    /* The first bad pair is reported. */
    {"a", 0, "/1x/v/__y/w", 0, {NULL}, "improper label name \"1x\""},
    /* Empty job. */
    {"=", 1, "", 0, {NULL}, "job name is required"},
    {"===", 1, "/x/1", 0, {NULL}, "job name is required"},
    {"", 1, "", 0, {NULL}, "job name is required"},
    {"", 0, "", 0, {NULL}, "job name is required"},
    /* Error order: bad base64 job, then bad labels, then empty job. */
    {"Y",
     1,
     "/a",
     0,
     {NULL},
     "invalid base64 encoding in job name \"\": illegal base64 data at input byte 0"},
    {"=", 1, "/a", 0, {NULL}, "odd number of components in label string \"/a\""},
    {"=", 1, "/__a/b", 0, {NULL}, "improper label name \"__a\""},
    {"=",
     1,
     "/x@base64/Y",
     0,
     {NULL},
     "invalid base64 encoding for label x=\"Y\": illegal base64 data at input byte 0"},
};

/* Run every case of parse_cases. */
static void
test_parse_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct grouping_key gk;
        char *err = NULL;
        int rc = grouping_parse(c->job, c->job_b64, c->labels, c->utf8, &gk, &err);

        print_message("parse case %lu\n", (unsigned long)i);
        if (c->err != NULL) {
            assert_int_equal(rc, -1);
            assert_non_null(err);
            assert_string_equal(err, c->err);
            assert_null(gk.labels);
            assert_int_equal(gk.n, 0);
            free(err);
        } else {
            size_t k;

            assert_int_equal(rc, 0);
            assert_null(err);
            for (k = 0; c->want[2 * k] != NULL; k++) {
                assert_true(k < gk.n);
                assert_string_equal(gk.labels[k].name, c->want[2 * k]);
                assert_string_equal(gk.labels[k].value, c->want[2 * k + 1]);
            }
            assert_int_equal(gk.n, k);
            grouping_key_free(&gk);
        }
    }
}

/* Cases for base64url_decode: input, expected output (or partial), length, result, offset. */
struct b64_case {
    const char *in;
    size_t inlen;
    const char *out;
    size_t outlen;
    int rc;
    size_t off;
};

static const struct b64_case b64_cases[] = {
    {"", 0, "", 0, 0, 0},
    {"=", 1, "", 0, 0, 0},
    {"====", 4, "", 0, 0, 0},
    {"\n", 1, "", 0, 0, 0},
    {"YQ", 2, "a", 1, 0, 0},
    {"YR", 2, "a", 1, 0, 0},
    {"YWI", 3, "ab", 2, 0, 0},
    {"YWJ", 3, "ab", 2, 0, 0},
    {"YWJj", 4, "abc", 3, 0, 0},
    {"YWJjZA", 6, "abcd", 4, 0, 0},
    {"AAEC", 4, "\x00\x01\x02", 3, 0, 0},
    {"-_-_", 4, "\xfb\xff\xbf", 3, 0, 0},
    {"YW\r\nJj", 6, "abc", 3, 0, 0},
    {"Y", 1, "", 0, -1, 0},
    {"YWJjZ", 5, "abc", 3, -1, 4},
    {"YWJjZ\n\n", 7, "abc", 3, -1, 6},
    {"YQ=a", 4, "", 0, -1, 2},
    {"=YQ", 3, "", 0, -1, 0},
    {"Y+", 2, "", 0, -1, 1},
    {"Y/", 2, "", 0, -1, 1},
    {"YWJj\0", 5, "abc", 3, -1, 4},
    {"YWJjYWJjYW=b", 12, "abcabc", 6, -1, 10},
    {"YWJj YWJj", 9, "abc", 3, -1, 4},
    /* line breaks anywhere, counted in offsets; '=' inside the data is an illegal byte */
    {"YWJj\r\n", 6, "abc", 3, 0, 0},
    {"\r\nYWJj", 6, "abc", 3, 0, 0},
    {"Y\nQ", 3, "a", 1, 0, 0},
    {"Y\r\nWJjZA", 8, "abcd", 4, 0, 0},
    {"Y\n", 2, "", 0, -1, 1},
    {"YW=Jj", 5, "", 0, -1, 2},
    {"YWJjYQ=\n", 8, "abc", 3, -1, 6},
    {"YQ\n=", 4, "a", 1, 0, 0},
    {"YWJj\n=", 6, "abc", 3, 0, 0},
    /* trailing '=' are trimmed whatever the length: a truncated quantum stays one */
    {"YWJjZ==", 7, "abc", 3, -1, 4},
    {"YR==", 4, "a", 1, 0, 0},
    {"YWJj\x80", 5, "abc", 3, -1, 4},
};

/* A decoder's result is the case's: status, output (always NUL-terminated), error offset.
 * Frees out. */
static void
assert_b64_result(const struct b64_case *c, int rc, char *out, size_t outlen, size_t off)
{
    assert_int_equal(rc, c->rc);
    assert_non_null(out);
    assert_int_equal(outlen, c->outlen);
    assert_memory_equal(out, c->out, c->outlen);
    assert_int_equal(out[outlen], '\0');
    if (c->rc != 0)
        assert_int_equal(off, c->off);
    free(out);
}

/* Run every case of b64_cases. */
static void
test_base64_decode_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
        const struct b64_case *c = &b64_cases[i];
        char *out = NULL;
        size_t outlen = 12345, off = 12345;
        int rc = base64url_decode(c->in, c->inlen, &out, &outlen, &off);

        print_message("base64 case %lu\n", (unsigned long)i);
        assert_b64_result(c, rc, out, outlen, off);
    }
}

/*
 * The shared decoder in its padded modes (StdEncoding for basic auth, URLEncoding): results,
 * error offsets and partial output as Go's DecodeString gives them.
 */
static void
test_base64_decode_padded(void **state)
{
    static const struct {
        enum base64_encoding enc;
        struct b64_case c;
    } cases[] = {
        {BASE64_STD, {"", 0, "", 0, 0, 0}},
        {BASE64_STD, {"YQ==", 4, "a", 1, 0, 0}},
        {BASE64_STD, {"YWI=", 4, "ab", 2, 0, 0}},
        {BASE64_STD, {"YWJj", 4, "abc", 3, 0, 0}},
        {BASE64_STD, {"YQ=\n=", 5, "a", 1, 0, 0}},
        {BASE64_STD, {"YQ==\r\n", 6, "a", 1, 0, 0}},
        {BASE64_STD, {"\nY\rQ\n=\r=\n", 9, "a", 1, 0, 0}},
        {BASE64_STD, {"YR==", 4, "a", 1, 0, 0}},
        {BASE64_STD, {"YWJ=", 4, "ab", 2, 0, 0}},
        {BASE64_STD, {"+/+/", 4, "\xfb\xff\xbf", 3, 0, 0}},
        /* the other alphabet, missing or misplaced padding, trailing garbage */
        {BASE64_STD, {"-_-_", 4, "", 0, -1, 0}},
        {BASE64_STD, {"Y", 1, "", 0, -1, 0}},
        {BASE64_STD, {"YQ", 2, "", 0, -1, 0}},
        {BASE64_STD, {"YWJjY", 5, "abc", 3, -1, 4}},
        {BASE64_STD, {"YWJjYQ", 6, "abc", 3, -1, 4}},
        {BASE64_STD, {"YQ=", 3, "", 0, -1, 3}},
        {BASE64_STD, {"YQ=\n", 4, "", 0, -1, 4}},
        {BASE64_STD, {"YQ=a", 4, "", 0, -1, 2}},
        {BASE64_STD, {"Y===", 4, "", 0, -1, 1}},
        {BASE64_STD, {"=", 1, "", 0, -1, 0}},
        {BASE64_STD, {"====", 4, "", 0, -1, 0}},
        {BASE64_STD, {"YWI=YWJj", 8, "ab", 2, -1, 4}},
        {BASE64_STD, {"YQ==YQ==", 8, "a", 1, -1, 4}},
        {BASE64_STD, {"YQ===", 5, "a", 1, -1, 4}},
        {BASE64_STD, {"YWJj\n=", 6, "abc", 3, -1, 5}},
        {BASE64_STD, {"YW Jj", 5, "", 0, -1, 2}},
        {BASE64_STD, {"YWJj\0", 5, "abc", 3, -1, 4}},
        {BASE64_STD, {"YWJj ", 5, "abc", 3, -1, 4}},
        {BASE64_STD, {" YWJj", 5, "", 0, -1, 0}},
        {BASE64_URL, {"-_-_", 4, "\xfb\xff\xbf", 3, 0, 0}},
        {BASE64_URL, {"+/+/", 4, "", 0, -1, 0}},
        {BASE64_URL, {"YQ==", 4, "a", 1, 0, 0}},
        {BASE64_URL, {"YQ", 2, "", 0, -1, 0}},
        {BASE64_URL, {"YWI=\n", 5, "ab", 2, 0, 0}},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct b64_case *c = &cases[i].c;
        char *out = NULL;
        size_t outlen = 12345, off = 12345;
        int rc = base64_decode(cases[i].enc, c->in, c->inlen, &out, &outlen, &off);

        print_message("padded base64 case %lu\n", (unsigned long)i);
        assert_b64_result(c, rc, out, outlen, off);
    }
    /* The padded encoder round-trips through the padded decoder; the raw one has no '='. */
    {
        char *enc = base64_encode(BASE64_STD, "\xfb\xff\xbf\x61", 4), *dec = NULL;
        size_t declen = 0;

        assert_string_equal(enc, "+/+/YQ==");
        assert_int_equal(base64_decode(BASE64_STD, enc, strlen(enc), &dec, &declen, NULL), 0);
        assert_int_equal(declen, 4);
        assert_memory_equal(dec, "\xfb\xff\xbf\x61", 4);
        free(enc);
        free(dec);
        enc = base64_encode(BASE64_RAW_URL, "ab", 2);
        assert_string_equal(enc, "YWI");
        free(enc);
    }
}

/* Encoding uses the URL alphabet with padding, and round-trips through the decoder. */
static void
test_base64_encode(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"", 0, ""},
        {"a", 1, "YQ=="},
        {"ab", 2, "YWI="},
        {"abc", 3, "YWJj"},
        {"testjob", 7, "dGVzdGpvYg=="},
        {"\xfb\xff\xbf", 3, "-_-_"},
        {"\x00", 1, "AA=="},
        {"a/b", 3, "YS9i"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *enc = base64url_encode(cases[i].in, cases[i].len);
        char *dec = NULL;
        size_t declen = 0, off = 0;

        assert_string_equal(enc, cases[i].out);
        assert_int_equal(base64url_decode(enc, strlen(enc), &dec, &declen, &off), 0);
        assert_int_equal(declen, cases[i].len);
        assert_memory_equal(dec, cases[i].in, cases[i].len);
        free(enc);
        free(dec);
    }
}

/* Every byte string round-trips through encode and decode (exhaustive for short inputs). */
static void
test_base64_roundtrip(void **state)
{
    unsigned char buf[3];
    unsigned int v;

    (void)state;
    for (v = 0; v < (1u << 16); v++) {
        size_t len;

        buf[0] = (unsigned char)(v >> 8);
        buf[1] = (unsigned char)v;
        buf[2] = (unsigned char)(v * 7);
        for (len = 0; len <= 3; len++) {
            char *enc = base64url_encode((const char *)buf, len);
            char *dec = NULL;
            size_t declen = 0, off = 0;

            assert_int_equal(base64url_decode(enc, strlen(enc), &dec, &declen, &off), 0);
            assert_int_equal(declen, len);
            assert_memory_equal(dec, buf, len);
            free(enc);
            free(dec);
        }
    }
}

/* The canonical string is name\xffvalue pairs joined by \xff, in name order. */
static void
test_key_string(void **state)
{
    struct grouping_key a, b, c;
    char *err = NULL, *sa, *sb, *sc;
    size_t la, lb, lc;
    static const char want[] = "instance\xff"
                               "\xff"
                               "job\xff"
                               "j\xff"
                               "x\xff"
                               "1";

    (void)state;
    assert_int_equal(grouping_parse("j", 0, "/x/1/instance@base64/=", 0, &a, &err), 0);
    assert_int_equal(grouping_parse("j", 0, "/instance/x/x/1/instance@base64/=", 0, &b, &err), 0);
    assert_int_equal(grouping_parse("j", 0, "/x/1", 0, &c, &err), 0);
    sa = grouping_key_string(&a, &la);
    sb = grouping_key_string(&b, &lb);
    sc = grouping_key_string(&c, &lc);
    assert_int_equal(la, sizeof(want) - 1);
    assert_memory_equal(sa, want, la);
    assert_int_equal(lb, la);
    assert_memory_equal(sb, sa, la);
    /* {job=j,x=1} and {instance="",job=j,x=1} are different groups. */
    assert_int_equal(lc, strlen("job\xffj\xffx\xff"
                                "1"));
    assert_memory_equal(sc,
                        "job\xffj\xffx\xff"
                        "1",
                        lc);
    assert_true(strcmp(sa, sc) != 0);
    free(sa);
    free(sb);
    free(sc);
    grouping_key_free(&a);
    grouping_key_free(&b);
    grouping_key_free(&c);

    /* An empty key gives an empty string (upstream's fast path). */
    a.labels = NULL;
    a.n = 0;
    sa = grouping_key_string(&a, &la);
    assert_non_null(sa);
    assert_int_equal(la, 0);
    assert_string_equal(sa, "");
    free(sa);
}

/* get finds every label and nothing else; copy is deep; free resets the key. */
static void
test_key_get_copy_free(void **state)
{
    struct grouping_key gk, cp;
    char *err = NULL;
    size_t i;

    (void)state;
    assert_int_equal(grouping_parse("j", 0, "/b/2/a/1/d/4/c/3", 0, &gk, &err), 0);
    assert_int_equal(gk.n, 5);
    assert_string_equal(grouping_key_get(&gk, "a"), "1");
    assert_string_equal(grouping_key_get(&gk, "b"), "2");
    assert_string_equal(grouping_key_get(&gk, "c"), "3");
    assert_string_equal(grouping_key_get(&gk, "d"), "4");
    assert_string_equal(grouping_key_get(&gk, "job"), "j");
    assert_null(grouping_key_get(&gk, "e"));
    assert_null(grouping_key_get(&gk, ""));
    assert_null(grouping_key_get(&gk, "A"));

    grouping_key_copy(&cp, &gk);
    assert_int_equal(cp.n, gk.n);
    for (i = 0; i < gk.n; i++) {
        assert_true(cp.labels[i].name != gk.labels[i].name);
        assert_true(cp.labels[i].value != gk.labels[i].value);
        assert_string_equal(cp.labels[i].name, gk.labels[i].name);
        assert_string_equal(cp.labels[i].value, gk.labels[i].value);
    }
    grouping_key_free(&gk);
    assert_null(gk.labels);
    assert_int_equal(gk.n, 0);
    assert_null(grouping_key_get(&gk, "job"));
    assert_string_equal(grouping_key_get(&cp, "job"), "j");
    grouping_key_free(&cp);
    grouping_key_free(&cp); /* idempotent */
    grouping_key_free(NULL);

    gk.labels = NULL;
    gk.n = 0;
    grouping_key_copy(&cp, &gk);
    assert_int_equal(cp.n, 0);
    grouping_key_free(&cp);
}

/* Many labels, many repeats: still sorted and unique (exercises the sort-based dedup). */
static void
test_many_labels(void **state)
{
    struct grouping_key gk;
    char *err = NULL;
    char buf[64];
    size_t i;
    struct {
        char *data;
        size_t len, cap;
    } s = {NULL, 0, 0};

    (void)state;
    s.cap = 200 * 20 + 1;
    s.data = calloc(1, s.cap);
    assert_non_null(s.data);
    for (i = 0; i < 200; i++) {
        int n = snprintf(buf, sizeof(buf), "/l%lu/%lu", (unsigned long)(i % 37), (unsigned long)i);
        memcpy(s.data + s.len, buf, (size_t)n);
        s.len += (size_t)n;
    }
    assert_int_equal(grouping_parse("j", 0, s.data, 0, &gk, &err), 0);
    assert_int_equal(gk.n, 38);
    for (i = 1; i < gk.n; i++)
        assert_true(strcmp(gk.labels[i - 1].name, gk.labels[i].name) < 0);
    /* l0 was last set by i = 185 (185 % 37 == 0). */
    assert_string_equal(grouping_key_get(&gk, "l0"), "185");
    assert_string_equal(grouping_key_get(&gk, "l36"), "184");
    grouping_key_free(&gk);
    free(s.data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),          cmocka_unit_test(test_base64_decode_table),
        cmocka_unit_test(test_base64_decode_padded), cmocka_unit_test(test_base64_encode),
        cmocka_unit_test(test_base64_roundtrip),     cmocka_unit_test(test_key_string),
        cmocka_unit_test(test_key_get_copy_free),    cmocka_unit_test(test_many_labels),
    };

    return cmocka_run_group_tests_name("grouping", tests, NULL, NULL);
}
