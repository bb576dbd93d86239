/* test_gofmt.c - unit tests for Go-compatible float and time formatting */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gofmt.h"

struct float_case {
    double v;
    const char *text; /* gofmt_float */
    const char *json; /* gofmt_float_json */
};

/* Examples from the spec (§7.5, §8.2) and Go's own strconv tests. */
static const struct float_case float_cases[] = {
    {1, "1", "1"},
    {0, "0", "0"},
    {-1, "-1", "-1"},
    {-0.0, "0", "-0"},
    {2, "2", "2"},
    {-2, "-2", "-2"},
    {1e6, "1e+06", "1e+06"},
    {123456, "123456", "123456"},
    {1234567, "1.234567e+06", "1.234567e+06"},
    {999999, "999999", "999999"},
    {100000, "100000", "100000"},
    {0.0001, "0.0001", "0.0001"},
    {0.00001, "1e-05", "1e-05"},
    {0.00012345, "0.00012345", "0.00012345"},
    {1e-7, "1e-07", "1e-07"},
    {1e21, "1e+21", "1e+21"},
    {1e20, "1e+20", "1e+20"},
    {1e23, "1e+23", "1e+23"},
    {1795239269.3944163, "1.7952392693944163e+09", "1.7952392693944163e+09"},
    {1.583781848025745e+09, "1.583781848025745e+09", "1.583781848025745e+09"},
    {2398.283, "2398.283", "2398.283"},
    {1.5e300, "1.5e+300", "1.5e+300"},
    {-1.5e-300, "-1.5e-300", "-1.5e-300"},
    {0.5, "0.5", "0.5"},
    {3.14, "3.14", "3.14"},
    {-3.14, "-3.14", "-3.14"},
    {0.1, "0.1", "0.1"},
    {0.3, "0.3", "0.3"},
    {0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"},
    {1.0 / 3.0, "0.3333333333333333", "0.3333333333333333"},
    {123456.7, "123456.7", "123456.7"},
    {1.2345678901234568e+17, "1.2345678901234568e+17", "1.2345678901234568e+17"},
    {9007199254740993.0, "9.007199254740992e+15", "9.007199254740992e+15"},
    {18446744073709551616.0, "1.8446744073709552e+19", "1.8446744073709552e+19"},
    {5e-324, "5e-324", "5e-324"},
    {-5e-324, "-5e-324", "-5e-324"},
    {1e-323, "1e-323", "1e-323"},
    {2.2250738585072014e-308, "2.2250738585072014e-308", "2.2250738585072014e-308"},
    {2.225073858507201e-308, "2.225073858507201e-308", "2.225073858507201e-308"},
    {1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"},
    {-1.7976931348623157e308, "-1.7976931348623157e+308", "-1.7976931348623157e+308"},
    {1e100, "1e+100", "1e+100"},
    {12345678, "1.2345678e+07", "1.2345678e+07"},
    {0.1e-4, "1e-05", "1e-05"},
};

/* Reference strings produced by an independent shortest round-trip implementation. */
struct bits_case {
    uint64_t bits;
    const char *text;
};

static const struct bits_case bits_cases[] = {
#include "test_gofmt_table.inc"
};

/* Reinterpret a bit pattern as a double. */
static double
from_bits(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Count the significant digits in a formatted (finite, non-zero) number. */
static int
count_digits(const char *s)
{
    int n = 0, started = 0, pending = 0;

    for (; *s != '\0' && *s != 'e'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s == '0' && !started)
            continue;
        started = 1;
        if (*s == '0') {
            pending++;
        } else {
            n += pending + 1;
            pending = 0;
        }
    }
    return n;
}

/* Check the format shape: %e with a two-digit exponent when exp < -4 or >= 6, else plain. */
static void
check_shape(const char *s, double v)
{
    const char *e = strchr(s, 'e');
    int x = (int)floor(log10(fabs(v)));
    double back = strtod(s, NULL);

    assert_true(back == v);
    /* log10 can be off by one right at powers of ten; recompute from the string. */
    if (e != NULL) {
        assert_true(e[1] == '+' || e[1] == '-');
        assert_true(strlen(e + 2) >= 2);
        x = atoi(e + 1);
        assert_true(x < -4 || x >= 6);
    } else {
        assert_true(strstr(s, "e") == NULL);
        assert_true(x >= -5 && x < 7);
        if (strchr(s, '.') != NULL)
            assert_true(s[strlen(s) - 1] != '0');
    }
}

static void
test_float_examples(void **state)
{
    char buf[GOFMT_FLOAT_MAX];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(float_cases) / sizeof(float_cases[0]); i++) {
        n = gofmt_float(buf, float_cases[i].v);
        assert_string_equal(buf, float_cases[i].text);
        assert_int_equal(n, strlen(float_cases[i].text));
        n = gofmt_float_json(buf, float_cases[i].v);
        assert_string_equal(buf, float_cases[i].json);
        assert_int_equal(n, strlen(float_cases[i].json));
    }
}

static void
test_float_special(void **state)
{
    char buf[GOFMT_FLOAT_MAX];

    (void)state;
    assert_int_equal(gofmt_float(buf, NAN), 3);
    assert_string_equal(buf, "NaN");
    assert_int_equal(gofmt_float(buf, -NAN), 3);
    assert_string_equal(buf, "NaN");
    assert_int_equal(gofmt_float(buf, INFINITY), 4);
    assert_string_equal(buf, "+Inf");
    assert_int_equal(gofmt_float(buf, -INFINITY), 4);
    assert_string_equal(buf, "-Inf");
    assert_int_equal(gofmt_float_json(buf, NAN), 3);
    assert_string_equal(buf, "NaN");
    assert_int_equal(gofmt_float_json(buf, INFINITY), 4);
    assert_string_equal(buf, "+Inf");
    assert_int_equal(gofmt_float_json(buf, -INFINITY), 4);
    assert_string_equal(buf, "-Inf");
    assert_int_equal(gofmt_float_json(buf, -0.0), 2);
    assert_string_equal(buf, "-0");
    assert_int_equal(gofmt_float_json(buf, 0.0), 1);
    assert_string_equal(buf, "0");
}

static void
test_float_reference_table(void **state)
{
    char buf[GOFMT_FLOAT_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bits_cases) / sizeof(bits_cases[0]); i++) {
        double v = from_bits(bits_cases[i].bits);

        gofmt_float(buf, v);
        if (strcmp(buf, bits_cases[i].text) != 0)
            print_error("bits %016llx\n", (unsigned long long)bits_cases[i].bits);
        assert_string_equal(buf, bits_cases[i].text);
        gofmt_float_json(buf, v);
        assert_string_equal(buf, bits_cases[i].text);
    }
}

/* xorshift64*: a fixed, portable pseudo-random sequence. */
static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/*
 * Whether a decimal of nd significant digits next to v (the nearest one, or its neighbour
 * on the other side of v) reads back as v.
 */
static int
some_digits_round_trip(double v, int nd)
{
    char tmp[48];
    const char *p;
    unsigned long long mant = 0;
    int exp;
    double back;

    snprintf(tmp, sizeof(tmp), "%.*e", nd - 1, v);
    back = strtod(tmp, NULL);
    if (back == v)
        return 1;
    for (p = tmp; *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9')
            mant = mant * 10 + (unsigned long long)(*p - '0');
    }
    exp = atoi(p + 1) - (nd - 1);
    mant = fabs(back) < fabs(v) ? mant + 1 : mant - 1;
    snprintf(tmp, sizeof(tmp), "%s%llue%d", v < 0 ? "-" : "", mant, exp);
    return strtod(tmp, NULL) == v;
}

/* Round-trip, minimal length and nearest digits for one finite non-zero value. */
static void
check_shortest(double v)
{
    char buf[GOFMT_FLOAT_MAX], tmp[40];
    int nd;

    if (v == 0)
        return;
    gofmt_float(buf, v);
    assert_true(strlen(buf) < GOFMT_FLOAT_MAX);
    check_shape(buf, v);
    nd = count_digits(buf);
    assert_true(nd >= 1 && nd <= 17);
    /* No decimal with one digit fewer reads back as v. */
    if (nd > 1)
        assert_true(!some_digits_round_trip(v, nd - 1));
    /* When the nearest decimal of that length round-trips, it is the one chosen. */
    snprintf(tmp, sizeof(tmp), "%.*e", nd - 1, v);
    if (strtod(tmp, NULL) == v)
        assert_true(strtod(tmp, NULL) == strtod(buf, NULL) && count_digits(tmp) == nd);
}

static void
test_float_random_bits(void **state)
{
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    int i;

    (void)state;
    for (i = 0; i < 200000; i++) {
        double v = from_bits(next_rand(&seed));

        if (isnan(v) || isinf(v) || v == 0)
            continue;
        check_shortest(v);
    }
}

static void
test_float_random_decimals(void **state)
{
    uint64_t seed = 42;
    char src[40], buf[GOFMT_FLOAT_MAX];
    int i;

    (void)state;
    /* Short decimals must come back exactly as typed (modulo layout). */
    for (i = 0; i < 100000; i++) {
        uint64_t r = next_rand(&seed);
        long mant = (long)(r % 1000000) + 1;
        int exp = (int)((r >> 32) % 60) - 30;
        double v;

        snprintf(src, sizeof(src), "%lde%d", mant, exp);
        v = strtod(src, NULL);
        check_shortest(v);
        gofmt_float(buf, v);
        assert_true(count_digits(buf) <= 7);
    }
    /* Integers of all sizes, including the exact-integer fast path and its edge. */
    for (i = 0; i < 100000; i++) {
        uint64_t r = next_rand(&seed) >> (next_rand(&seed) % 64);

        if (r == 0)
            continue;
        check_shortest((double)r);
        check_shortest(-(double)r);
    }
}

static void
test_float_subnormals(void **state)
{
    uint64_t seed = 7;
    uint64_t u;
    int i;

    (void)state;
    for (u = 1; u < 2000; u++)
        check_shortest(from_bits(u));
    for (i = 0; i < 50000; i++)
        check_shortest(from_bits(next_rand(&seed) & 0x000FFFFFFFFFFFFFULL));
    /* Around the normal/subnormal boundary and powers of two (asymmetric intervals). */
    for (u = 0x0010000000000000ULL - 1000; u < 0x0010000000000000ULL + 1000; u++)
        check_shortest(from_bits(u));
    for (i = -1074; i < 1024; i++) {
        check_shortest(ldexp(1.0, i));
        check_shortest(nextafter(ldexp(1.0, i), 0));
        check_shortest(nextafter(ldexp(1.0, i), INFINITY));
    }
}

struct time_case {
    const char *tz;
    long sec;
    long nsec;
    const char *want;
};

static const struct time_case time_cases[] = {
    {"UTC0", 0, 0, "1970-01-01T00:00:00Z"},
    {"UTC0", 1583781848, 25744841, "2020-03-09T19:24:08.025744841Z"},
    {"UTC0", 1583781848, 500000000, "2020-03-09T19:24:08.5Z"},
    {"UTC0", 1583781848, 1, "2020-03-09T19:24:08.000000001Z"},
    {"UTC0", 1583781848, 120, "2020-03-09T19:24:08.00000012Z"},
    {"UTC0", 1583781848, 999999999, "2020-03-09T19:24:08.999999999Z"},
    {"UTC0", 1795239269, 394416300, "2026-11-21T05:34:29.3944163Z"},
    {"IST-5:30", 1583781848, 25744841, "2020-03-10T00:54:08.025744841+05:30"},
    {"IST-5:30", 0, 0, "1970-01-01T05:30:00+05:30"},
    {"NPT-5:45", 0, 10, "1970-01-01T05:45:00.00000001+05:45"},
    {"MST7", 1583781848, 0, "2020-03-09T12:24:08-07:00"},
    {"NST3:30", 1583781848, 0, "2020-03-09T15:54:08-03:30"},
    {"UTC0", -1, 0, "1969-12-31T23:59:59Z"},
    {"UTC0", 253402300799L, 0, "9999-12-31T23:59:59Z"},
};

/* Switch the process time zone for the following localtime_r calls. */
static void
set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void
test_rfc3339nano(void **state)
{
    char buf[GOFMT_TIME_MAX];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
        struct timespec ts;

        set_tz(time_cases[i].tz);
        ts.tv_sec = (time_t)time_cases[i].sec;
        ts.tv_nsec = time_cases[i].nsec;
        n = gofmt_rfc3339nano(buf, &ts);
        assert_string_equal(buf, time_cases[i].want);
        assert_int_equal(n, strlen(time_cases[i].want));
    }
}

static void
test_rfc3339nano_zoneinfo(void **state)
{
    char buf[GOFMT_TIME_MAX];
    struct timespec ts;

    (void)state;
    /* Named zones need zoneinfo; the POSIX-string cases above cover systems without it. */
    ts.tv_sec = 1583781848;
    ts.tv_nsec = 25744841;
    set_tz("Asia/Kolkata");
    gofmt_rfc3339nano(buf, &ts);
    if (strcmp(buf, "2020-03-09T19:24:08.025744841Z") == 0)
        return; /* zone not installed: glibc falls back to UTC */
    assert_string_equal(buf, "2020-03-10T00:54:08.025744841+05:30");
    set_tz("America/Los_Angeles");
    gofmt_rfc3339nano(buf, &ts);
    assert_string_equal(buf, "2020-03-09T12:24:08.025744841-07:00");
    ts.tv_sec = 1577836800; /* 2020-01-01, standard time */
    ts.tv_nsec = 0;
    gofmt_rfc3339nano(buf, &ts);
    assert_string_equal(buf, "2019-12-31T16:00:00-08:00");
    set_tz("UTC");
    gofmt_rfc3339nano(buf, &ts);
    assert_string_equal(buf, "2020-01-01T00:00:00Z");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_examples),        cmocka_unit_test(test_float_special),
        cmocka_unit_test(test_float_reference_table), cmocka_unit_test(test_float_random_bits),
        cmocka_unit_test(test_float_random_decimals), cmocka_unit_test(test_float_subnormals),
        cmocka_unit_test(test_rfc3339nano),           cmocka_unit_test(test_rfc3339nano_zoneinfo),
    };

    return cmocka_run_group_tests_name("gofmt", tests, NULL, NULL);
}
