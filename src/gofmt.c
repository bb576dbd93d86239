/* gofmt.c - number and time formatting byte-compatible with Go's (strconv, time) */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gofmt.h"

/*
 * Float formatting. Go prints the shortest digit string that reads back as the same
 * double, choosing the nearest such string when several have that length. Three paths:
 * integers below 2^53 print their own digits; decimals of at most 15 digits are found by
 * scaling with exact powers of ten; everything else is derived from printf's correctly
 * rounded 17-digit form, with strtod deciding which length round-trips.
 */

/* A positive decimal d[0].d[1]...d[nd-1] x 10^exp. */
struct decimal {
    char d[24];
    int nd;
    int exp;
    double back; /* what the digits read back as (set by the round-trip checks) */
};

/* 2^53: every integer below it is a double, so its own digits are the shortest form. */
#define EXACT_INT_LIMIT 9007199254740992.0

/* Powers of ten that are exact doubles. */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#define POW10_EXACT_MAX 22

/* Drop trailing zeros (keeping one digit) so the layout never prints them. */
static void
trim_zeros(struct decimal *dec)
{
    while (dec->nd > 1 && dec->d[dec->nd - 1] == '0')
        dec->nd--;
}

/* Digits of an integer (u > 0), trailing zeros dropped. */
static void
int_digits(struct decimal *dec, uint64_t u)
{
    char tmp[24];
    int n = 0, i;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    for (i = 0; i < n; i++)
        dec->d[i] = tmp[n - 1 - i];
    dec->nd = n;
    dec->exp = n - 1;
    trim_zeros(dec);
}

/*
 * Look for a decimal M x 10^-k with M < 10^15 and k <= 22 that reads back as a (dividing
 * two exact doubles rounds exactly as strtod does). Any such decimal is the only one of
 * <= 15 digits that round-trips (DBL_DIG), hence the shortest. *none_short is set when the
 * search covered every scale, which proves no decimal of <= 15 digits round-trips.
 */
static int
short_decimal(struct decimal *dec, double a, int *none_short)
{
    int k;

    *none_short = 0;
    if (a >= 1e15 || a < 1e-8)
        return 0;
    for (k = 0; k <= POW10_EXACT_MAX; k++) {
        double s = a * pow10_exact[k], m;

        if (s >= 1e15) {
            *none_short = 1;
            return 0;
        }
        m = floor(s + 0.5);
        if (m != 0 && m / pow10_exact[k] == a) {
            int_digits(dec, (uint64_t)m);
            dec->exp -= k;
            return 1;
        }
    }
    return 0;
}

/* Whether the digits in dec read back as a; strtod gets "<digits>e<exp>", no radix char. */
static int
reads_back(struct decimal *dec, double a)
{
    char buf[48];

    memcpy(buf, dec->d, (size_t)dec->nd);
    snprintf(buf + dec->nd, sizeof(buf) - (size_t)dec->nd, "e%d", dec->exp - (dec->nd - 1));
    dec->back = strtod(buf, NULL);
    return dec->back == a;
}

/* Add one unit in the last digit, carrying (999 -> 100 with the exponent raised). */
static void
increment(struct decimal *dec)
{
    int i = dec->nd - 1;

    while (i >= 0 && dec->d[i] == '9')
        dec->d[i--] = '0';
    if (i >= 0) {
        dec->d[i]++;
    } else {
        dec->d[0] = '1';
        dec->exp++;
    }
}

/* Correctly rounded prec-digit form of a from printf (ties to even on the exact value). */
static void
printf_digits(struct decimal *dec, double a, int prec)
{
    char buf[40];
    const char *p;
    int esign = 1, e = 0;

    snprintf(buf, sizeof(buf), "%.*e", prec - 1, a);
    dec->nd = 0;
    /* The radix character is skipped without being named: it follows the locale. */
    for (p = buf; *p != '\0' && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9' && dec->nd < (int)sizeof(dec->d))
            dec->d[dec->nd++] = *p;
    }
    if (*p == 'e') {
        p++;
        if (*p == '-' || *p == '+')
            esign = *p++ == '-' ? -1 : 1;
        for (; *p >= '0' && *p <= '9'; p++)
            e = e * 10 + (*p - '0');
    }
    dec->exp = esign * e;
}

/*
 * Round the 17-digit form d17 of a to prec digits. d17 is itself rounded, so the result is
 * a's correct rounding unless the dropped digits are exactly 5000..., where the hidden rest
 * decides: printf is asked again then.
 */
static void
round_digits(struct decimal *out, const struct decimal *d17, double a, int prec)
{
    int i, tie = d17->d[prec] == '5';

    for (i = prec + 1; tie && i < d17->nd; i++)
        tie = d17->d[i] == '0';
    if (tie) {
        printf_digits(out, a, prec);
        return;
    }
    memcpy(out->d, d17->d, (size_t)prec);
    out->nd = prec;
    out->exp = d17->exp;
    if (d17->d[prec] >= '5') /* exact ties were handled above */
        increment(out);
}

/* Shortest form of a normal or subnormal a (> 0) when the fast paths did not apply. */
static void
search_digits(struct decimal *dec, double a, int none_short)
{
    struct decimal d17;
    int prec, e2;

    if (a < DBL_MIN) {
        /* Subnormals have fewer significant bits, so very short forms can round-trip. */
        for (prec = 1; prec < 17; prec++) {
            printf_digits(dec, a, prec);
            if (reads_back(dec, a))
                return;
        }
        printf_digits(dec, a, 17);
        return;
    }
    printf_digits(&d17, a, 17);
    /*
     * A normal double's <= 15-digit round-tripping decimal, if any, is its nearest 15-digit
     * decimal (DBL_DIG), so trimming the 15-digit rounding finds it; beyond that only 16 or
     * 17 digits remain, and the nearest 17 always round-trip.
     */
    if (!none_short) {
        round_digits(dec, &d17, a, 15);
        if (reads_back(dec, a))
            return;
    }
    round_digits(dec, &d17, a, 16);
    if (reads_back(dec, a))
        return;
    /*
     * Above a power of two the gap to the next double is twice the gap below, so when the
     * nearest 16-digit decimal lies below a and misses, the next one up may still hit.
     */
    if (dec->back < a && frexp(a, &e2) == 0.5) {
        increment(dec);
        if (reads_back(dec, a))
            return;
    }
    *dec = d17;
}

/* Shortest round-tripping digits of a (a > 0, finite), without trailing zeros. */
static void
shortest_digits(struct decimal *dec, double a)
{
    int none_short;

    if (a < EXACT_INT_LIMIT && a == floor(a)) {
        int_digits(dec, (uint64_t)a);
        return;
    }
    if (short_decimal(dec, a, &none_short))
        return;
    search_digits(dec, a, none_short);
    trim_zeros(dec);
}

/* Lay out digits as Go's 'g' with shortest precision: %e form when exp < -4 or exp >= 6. */
static size_t
layout(char *buf, int neg, const struct decimal *dec)
{
    char *p = buf;
    int x = dec->exp, i;

    if (neg)
        *p++ = '-';
    if (x < -4 || x >= 6) {
        unsigned ax = (unsigned)(x < 0 ? -x : x);

        *p++ = dec->d[0];
        if (dec->nd > 1) {
            *p++ = '.';
            memcpy(p, dec->d + 1, (size_t)dec->nd - 1);
            p += dec->nd - 1;
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        if (ax >= 100)
            *p++ = (char)('0' + ax / 100);
        *p++ = (char)('0' + ax / 10 % 10);
        *p++ = (char)('0' + ax % 10);
    } else if (x >= 0) {
        for (i = 0; i <= x; i++)
            *p++ = i < dec->nd ? dec->d[i] : '0';
        if (dec->nd > x + 1) {
            *p++ = '.';
            memcpy(p, dec->d + x + 1, (size_t)(dec->nd - x - 1));
            p += dec->nd - x - 1;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (i = -1; i > x; i--)
            *p++ = '0';
        memcpy(p, dec->d, (size_t)dec->nd);
        p += dec->nd;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* Copy a constant string into buf and return its length. */
static size_t
put(char *buf, const char *s)
{
    size_t n = strlen(s);

    memcpy(buf, s, n + 1);
    return n;
}

/* Shared body of both float formatters; zero is handled by the callers. */
static size_t
format_nonzero(char *buf, double v)
{
    struct decimal dec;
    int neg;

    if (isnan(v))
        return put(buf, "NaN");
    if (isinf(v))
        return put(buf, v > 0 ? "+Inf" : "-Inf");
    neg = v < 0;
    shortest_digits(&dec, neg ? -v : v);
    return layout(buf, neg, &dec);
}

size_t
gofmt_float(char buf[GOFMT_FLOAT_MAX], double v)
{
    /* expfmt's writeFloat special-cases 0 (so -0 too) and +-1. */
    if (v == 0)
        return put(buf, "0");
    if (v == 1)
        return put(buf, "1");
    if (v == -1)
        return put(buf, "-1");
    return format_nonzero(buf, v);
}

size_t
gofmt_float_json(char buf[GOFMT_FLOAT_MAX], double v)
{
    /* strconv keeps the sign of zero. */
    if (v == 0)
        return put(buf, signbit(v) ? "-0" : "0");
    return format_nonzero(buf, v);
}

/* Write x zero-padded to width digits (Go's appendInt with a width), returning the end. */
static char *
put_int(char *p, long x, int width)
{
    char tmp[24];
    unsigned long u;
    int n = 0;

    if (x < 0) {
        *p++ = '-';
        u = (unsigned long)-(x + 1) + 1;
    } else {
        u = (unsigned long)x;
    }
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    while (width-- > n)
        *p++ = '0';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/*
 * localtime_r with a memo of the last minute converted: the JSON API formats thousands of
 * receive times, most within the same minutes, and a zone's offset changes only on a minute
 * boundary. The memo is also keyed on what tzset() sets, so a changed TZ is noticed.
 */
static void
local_time(time_t sec, struct tm *tm)
{
    static time_t memo_min = -1;
    static struct tm memo_tm;
    static const char *memo_zone, *memo_dst_zone;
    static long memo_timezone;
    time_t min = sec >= 0 ? sec / 60 : -1;

    if (min >= 0 && min == memo_min && memo_zone == tzname[0] && memo_dst_zone == tzname[1] &&
        memo_timezone == timezone) {
        *tm = memo_tm;
        tm->tm_sec = (int)(sec % 60);
        return;
    }
    if (localtime_r(&sec, tm) == NULL) {
        memset(tm, 0, sizeof(*tm));
        tm->tm_year = 70;
        tm->tm_mday = 1;
        return;
    }
    /* A leap second or a zone whose minutes do not start at :00 is not memoised. */
    if (min >= 0 && tm->tm_sec == (int)(sec % 60)) {
        memo_min = min;
        memo_tm = *tm;
        memo_zone = tzname[0];
        memo_dst_zone = tzname[1];
        memo_timezone = timezone;
    } else {
        memo_min = -1;
    }
}

size_t
gofmt_rfc3339nano(char buf[GOFMT_TIME_MAX], const struct timespec *ts)
{
    struct tm tm;
    time_t sec = ts->tv_sec;
    long ns = ts->tv_nsec;
    long off, zone;
    char *p = buf;

    /* Normalise like Go's time.Unix so the fraction is always in [0, 1e9). */
    if (ns < 0 || ns >= 1000000000L) {
        sec += ns / 1000000000L;
        ns %= 1000000000L;
        if (ns < 0) {
            ns += 1000000000L;
            sec--;
        }
    }
    local_time(sec, &tm);
    p = put_int(p, (long)tm.tm_year + 1900, 4);
    *p++ = '-';
    p = put_int(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_int(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = put_int(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put_int(p, tm.tm_min, 2);
    *p++ = ':';
    p = put_int(p, tm.tm_sec, 2);
    if (ns != 0) {
        char frac[9];
        int i, n = 9;

        for (i = 8; i >= 0; i--) {
            frac[i] = (char)('0' + ns % 10);
            ns /= 10;
        }
        while (frac[n - 1] == '0')
            n--;
        *p++ = '.';
        memcpy(p, frac, (size_t)n);
        p += n;
    }
    off = tm.tm_gmtoff;
    if (off == 0) {
        *p++ = 'Z';
    } else {
        /* Go truncates the offset to minutes and prints the sign of that. */
        zone = off / 60;
        if (zone < 0) {
            *p++ = '-';
            zone = -zone;
        } else {
            *p++ = '+';
        }
        p = put_int(p, zone / 60, 2);
        *p++ = ':';
        p = put_int(p, zone % 60, 2);
    }
    *p = '\0';
    return (size_t)(p - buf);
}
