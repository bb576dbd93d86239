/* test_textparse.c - unit tests for the text exposition format 0.0.4 parser */
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

#include "goquote.h"
#include "metric.h"
#include "strbuf.h"
#include "textparse.h"

/*
 * Results are compared as a compact dump: one line per family ("name TYPE help=\"...\""),
 * then one line per metric with its labels (Go-quoted values) and its values:
 *   v=1                                  counter, gauge, untyped
 *   count=3 sum=1 q=[0.5:1,0.9:2]        summary
 *   count=3 sum=1 b=[1:2,+Inf:3]         histogram (float counts carry an 'f' prefix)
 * followed by " ts=N" when a timestamp was given.
 */
static void
add_double(struct strbuf *sb, double d)
{
    if (isnan(d))
        strbuf_addstr(sb, "NaN");
    else if (isinf(d))
        strbuf_addstr(sb, d > 0 ? "+Inf" : "-Inf");
    else {
        /* The shortest of %.15g..%.17g that reads back as the same double. */
        char buf[32];
        int prec;
        for (prec = 15; prec < 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        strbuf_addf(sb, "%.*g", prec, d);
    }
}

static void
add_count(struct strbuf *sb, uint64_t count, double count_float)
{
    if (count_float != 0) {
        strbuf_addch(sb, 'f');
        add_double(sb, count_float);
    } else {
        strbuf_addf(sb, "%llu", (unsigned long long)count);
    }
}

static void
dump_metric(struct strbuf *sb, const struct metric_family *mf, const struct metric *m)
{
    size_t i;

    strbuf_addstr(sb, "  {");
    for (i = 0; i < m->nlabels; i++) {
        strbuf_addf(sb, "%s%s=", i ? "," : "", m->labels[i].name);
        goquote_append(sb, m->labels[i].value, strlen(m->labels[i].value));
    }
    strbuf_addstr(sb, "}");
    if (m->kind != mf->type)
        strbuf_addf(sb, " kind=%s", metric_type_enum(m->kind));
    switch (m->kind) {
    case METRIC_SUMMARY:
        strbuf_addf(sb, " count=%llu sum=", (unsigned long long)m->count);
        add_double(sb, m->sum);
        strbuf_addstr(sb, " q=[");
        for (i = 0; i < m->nquantiles; i++) {
            strbuf_addstr(sb, i ? "," : "");
            add_double(sb, m->quantiles[i].quantile);
            strbuf_addch(sb, ':');
            add_double(sb, m->quantiles[i].value);
        }
        strbuf_addch(sb, ']');
        break;
    case METRIC_HISTOGRAM:
    case METRIC_GAUGE_HISTOGRAM:
        strbuf_addstr(sb, " count=");
        add_count(sb, m->count, m->count_float);
        strbuf_addstr(sb, " sum=");
        add_double(sb, m->sum);
        strbuf_addstr(sb, " b=[");
        for (i = 0; i < m->nbuckets; i++) {
            strbuf_addstr(sb, i ? "," : "");
            add_double(sb, m->buckets[i].upper_bound);
            strbuf_addch(sb, ':');
            add_count(sb, m->buckets[i].count, m->buckets[i].count_float);
        }
        strbuf_addch(sb, ']');
        break;
    default:
        strbuf_addstr(sb, " v=");
        add_double(sb, m->value);
        break;
    }
    if (m->has_timestamp)
        strbuf_addf(sb, " ts=%lld", (long long)m->timestamp_ms);
    strbuf_addch(sb, '\n');
}

static char *
dump(const struct family_list *fl)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i, j;

    strbuf_addstr(&sb, "");
    for (i = 0; i < fl->n; i++) {
        const struct metric_family *mf = fl->v[i];
        strbuf_addf(&sb, "%s %s", mf->name, metric_type_enum(mf->type));
        if (mf->help != NULL) {
            strbuf_addstr(&sb, " help=");
            goquote_append(&sb, mf->help, strlen(mf->help));
        }
        strbuf_addch(&sb, '\n');
        for (j = 0; j < mf->nmetrics; j++)
            dump_metric(&sb, mf, &mf->metrics[j]);
    }
    return strbuf_detach(&sb, NULL);
}

/* An input given with its length (NULs allowed), the UTF-8 names flag, and the result. */
struct tcase {
    const char *in;
    size_t len;
    int utf8;
    const char *want; /* dump on success, the full error message otherwise */
};

#define OK(lit, want)                                                                              \
    {                                                                                              \
        lit, sizeof(lit) - 1, 0, want                                                              \
    }
#define OK8(lit, want)                                                                             \
    {                                                                                              \
        lit, sizeof(lit) - 1, 1, want                                                              \
    }
#define ERR(lit, line, msg)                                                                        \
    {                                                                                              \
        lit, sizeof(lit) - 1, 0, "text format parsing error in line " #line ": " msg               \
    }
#define ERR8(lit, line, msg)                                                                       \
    {                                                                                              \
        lit, sizeof(lit) - 1, 1, "text format parsing error in line " #line ": " msg               \
    }

static const struct tcase ok_cases[] = {
    /* Empty and comment-only bodies give no families. */
    OK("", ""),
    OK("\n\n  \t\n", ""),
    OK("  \t", ""),
    OK("# just a comment\n#\n#   \n# HELP\n# TYPE\n# HELP m\n# TYPE m\n# HELP \n", ""),
    OK("# HELP m some help\n# TYPE m counter\n", ""),
    OK("# help m lower-case keywords are plain comments\n#Help m x\n", ""),
    OK("# HELPER m x\n# TYPE_ m gauge\nm 1\n", "m UNTYPED\n  {} v=1\n"),

    /* Samples. */
    OK("m 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("  \t m \t 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("\n\nm 1\n\n", "m UNTYPED\n  {} v=1\n"),
    OK(":a_b:C9 1\n", ":a_b:C9 UNTYPED\n  {} v=1\n"),
    OK("m{} 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("m {} 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("m{}1\n", "m UNTYPED\n  {} v=1\n"),
    OK("m{a=\"1\"} 2\n", "m UNTYPED\n  {a=\"1\"} v=2\n"),
    OK("m { a = \"1\" , b=\"2\", } 2\n", "m UNTYPED\n  {a=\"1\",b=\"2\"} v=2\n"),
    OK("m{a=\"1\",}2\n", "m UNTYPED\n  {a=\"1\"} v=2\n"),
    OK("m{\ta\t=\t\"1\"\t}\t2\n", "m UNTYPED\n  {a=\"1\"} v=2\n"),
    OK("m{b=\"2\",a=\"1\"} 3\n", "m UNTYPED\n  {b=\"2\",a=\"1\"} v=3\n"),
    OK("m{_A9=\"\"} 3\n", "m UNTYPED\n  {_A9=\"\"} v=3\n"),
    OK("m{a=\"x\\\\y\\\"z\\nw\"} 1\n", "m UNTYPED\n  {a=\"x\\\\y\\\"z\\nw\"} v=1\n"),
    OK("m{a=\"{}=,# \xc3\xa9\"} 1\n", "m UNTYPED\n  {a=\"{}=,# \xc3\xa9\"} v=1\n"),
    OK("m{le=\"x\",quantile=\"y\"} 1\n", "m UNTYPED\n  {le=\"x\",quantile=\"y\"} v=1\n"),
    OK("m 1\nm 2\nm{a=\"1\"} 3\nm{a=\"1\"} 4\n",
       "m UNTYPED\n  {} v=1\n  {} v=2\n  {a=\"1\"} v=3\n  {a=\"1\"} v=4\n"),

    /* Timestamps. */
    OK("m 1 123\n", "m UNTYPED\n  {} v=1 ts=123\n"),
    OK("m 1 -123\n", "m UNTYPED\n  {} v=1 ts=-123\n"),
    OK("m 1 +5\n", "m UNTYPED\n  {} v=1 ts=5\n"),
    OK("m 1 \t 0\n", "m UNTYPED\n  {} v=1 ts=0\n"),
    OK("m 1 9223372036854775807\n", "m UNTYPED\n  {} v=1 ts=9223372036854775807\n"),
    OK("m 1 -9223372036854775808\n", "m UNTYPED\n  {} v=1 ts=-9223372036854775808\n"),

    /* Families: first-appearance order, empty ones dropped, HELP and TYPE. */
    OK("b 1\na 2\n# HELP c x\nc 3\nb 4\n",
       "b UNTYPED\n  {} v=1\n  {} v=4\na UNTYPED\n  {} v=2\nc UNTYPED help=\"x\"\n  {} v=3\n"),
    OK("# HELP x y\n# TYPE z counter\n# HELP q \nm 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("# HELP m h\n# TYPE m counter\nm 1\n", "m COUNTER help=\"h\"\n  {} v=1\n"),
    OK("# TYPE m gauge\n# HELP m h\nm 1\n", "m GAUGE help=\"h\"\n  {} v=1\n"),
    OK("m 1\n# HELP m late\n", "m UNTYPED help=\"late\"\n  {} v=1\n"),
    OK("#HELP m no space\n#TYPE m counter\nm 1\n", "m COUNTER help=\"no space\"\n  {} v=1\n"),
    OK("  #  HELP \t m \t  spaced  \nm 1\n", "m UNTYPED help=\"spaced  \"\n  {} v=1\n"),
    OK("# HELP m a\\\\b\\nc\\\"d\nm 1\n", "m UNTYPED help=\"a\\\\b\\nc\\\"d\"\n  {} v=1\n"),
    OK("# HELP m  \nm 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("# HELP m # x {} \xff\nm 1\n", "m UNTYPED help=\"# x {} \\xff\"\n  {} v=1\n"),
    OK("# TYPE m Gauge\nm 1\n", "m GAUGE\n  {} v=1\n"),
    OK("# TYPE m COUNTER\nm 1\n", "m COUNTER\n  {} v=1\n"),
    OK("# TYPE m untyped\nm 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("# TYPE m gauge_histogram\nm_count 1\n", "m GAUGE_HISTOGRAM\n  {} count=1 sum=0 b=[]\n"),
    OK("# TYPE m GaugeHistogram\nm_count 1\n", "m GAUGE_HISTOGRAM\n  {} count=1 sum=0 b=[]\n"),
    /* strings.ToUpper folds U+0131 to I and U+017F to S. */
    OK("# TYPE m h\xc4\xb1stogram\nm_count 1\n", "m HISTOGRAM\n  {} count=1 sum=0 b=[]\n"),
    OK("# TYPE m \xc5\xbfummary\nm_count 1\n", "m SUMMARY\n  {} count=1 sum=0 q=[]\n"),
    /* Outside HELP, backslashes vanish from the rest of a line. */
    OK("# TYPE m coun\\ter\nm 1\n", "m COUNTER\n  {} v=1\n"),
    OK("# TYPE m counter\n# HELP m_count x\nm_count 1\n", "m_count UNTYPED help=\"x\"\n  {} v=1\n"),

    /* Float syntax. */
    OK("m -3\n", "m UNTYPED\n  {} v=-3\n"),
    OK("m +3\n", "m UNTYPED\n  {} v=3\n"),
    OK("m .5\n", "m UNTYPED\n  {} v=0.5\n"),
    OK("m 5.\n", "m UNTYPED\n  {} v=5\n"),
    OK("m 1e6\n", "m UNTYPED\n  {} v=1000000\n"),
    OK("m 1.5E-3\n", "m UNTYPED\n  {} v=0.0015\n"),
    OK("m 1.e+2\n", "m UNTYPED\n  {} v=100\n"),
    OK("m 007\n", "m UNTYPED\n  {} v=7\n"),
    OK("m -0\n", "m UNTYPED\n  {} v=-0\n"),
    OK("m 1e-400\n", "m UNTYPED\n  {} v=0\n"),
    OK("m 1.7976931348623157e308\n", "m UNTYPED\n  {} v=1.7976931348623157e+308\n"),
    OK("m 0.1\n", "m UNTYPED\n  {} v=0.1\n"),
    OK("m NaN\nm nan\nm nAN\n", "m UNTYPED\n  {} v=NaN\n  {} v=NaN\n  {} v=NaN\n"),
    OK("m Inf\nm +Inf\nm -inf\nm +INF\n",
       "m UNTYPED\n  {} v=+Inf\n  {} v=+Inf\n  {} v=-Inf\n  {} v=+Inf\n"),
    OK("m Infinity\nm -infinity\nm +InFiNiTy\n",
       "m UNTYPED\n  {} v=+Inf\n  {} v=-Inf\n  {} v=+Inf\n"),

    /* A metric name can also be given, quoted, inside the braces. */
    OK("{\"m\"} 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("{ \"m\" , a=\"1\"} 1\n", "m UNTYPED\n  {a=\"1\"} v=1\n"),
    OK("{a=\"1\", \"m\"} 1\n", "m UNTYPED\n  {a=\"1\"} v=1\n"),
    OK("{a=\"1\",\"m\",b=\"2\",} 1\n", "m UNTYPED\n  {a=\"1\",b=\"2\"} v=1\n"),
    OK("{\"m\"}1\n", "m UNTYPED\n  {} v=1\n"),
    OK("{m} 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("{a=\"1\",m} 1\n", "m UNTYPED\n  {a=\"1\"} v=1\n"),
    OK("\"m\" 1\n", "m UNTYPED\n  {} v=1\n"),
    OK("\"m\"{\"a\"=\"1\"} 1\n", "m UNTYPED\n  {a=\"1\"} v=1\n"),
    OK("# TYPE \"m\" counter\n{\"m\"} 1\n", "m COUNTER\n  {} v=1\n"),
    /* A quote inside a bare name starts a quoted part; the closing quote ends the name. */
    OK("foo\"bar\" 1\n", "foobar UNTYPED\n  {} v=1\n"),
    OK("m{a\"b\"=\"1\"} 1\n", "m UNTYPED\n  {ab=\"1\"} v=1\n"),
    /* UTF-8 names only with the flag. */
    OK8("{\"a.b\"} 1\n", "a.b UNTYPED\n  {} v=1\n"),
    OK8("{\"a.b\", \"c d\"=\"x\"} 1\n", "a.b UNTYPED\n  {c d=\"x\"} v=1\n"),
    OK8("{\"\xc3\xa9\\\"\\n\\\\\"} 1\n", "\xc3\xa9\"\n\\ UNTYPED\n  {} v=1\n"),
    OK8("# HELP \"a.b\" h\n{\"a.b\"} 1\n", "a.b UNTYPED help=\"h\"\n  {} v=1\n"),
    OK8("m 1\n", "m UNTYPED\n  {} v=1\n"),

    /* Summaries: merged per label set (in any order), quantile left out, count truncated. */
    OK("# TYPE s summary\n"
       "s{a=\"1\",quantile=\"0.5\"} 10\n"
       "s{a=\"2\",quantile=\"0.5\"} 20\n"
       "s{quantile=\"0.9\",a=\"1\"} 11\n"
       "s_sum{a=\"1\"} 100\n"
       "s_count{a=\"1\"} 7.9\n"
       "s_count{a=\"2\"} 3\n",
       "s SUMMARY\n"
       "  {a=\"1\"} count=7 sum=100 q=[0.5:10,0.9:11]\n"
       "  {a=\"2\"} count=3 sum=0 q=[0.5:20]\n"),
    OK("# TYPE s summary\ns{a=\"1\",b=\"2\",quantile=\"0.5\"} 1\ns_sum{b=\"2\",a=\"1\"} 2\n"
       "s_count{b=\"2\",a=\"1\",quantile=\"0.1\"} 3\n",
       "s SUMMARY\n  {a=\"1\",b=\"2\"} count=3 sum=2 q=[0.5:1]\n"),
    OK("# TYPE s summary\ns_sum 1\ns_count 2\ns{quantile=\"1\"} 3\n",
       "s SUMMARY\n  {} count=2 sum=1 q=[1:3]\n"),
    /* A line without a quantile creates the metric but stores nothing; quantile="NaN" too. */
    OK("# TYPE s summary\ns{a=\"1\"} 5\ns{a=\"2\",quantile=\"NaN\"} 6\n",
       "s SUMMARY\n  {a=\"1\"} count=0 sum=0 q=[]\n  {a=\"2\"} count=0 sum=0 q=[]\n"),
    OK("# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.5\"} 2\n",
       "s SUMMARY\n  {} count=0 sum=0 q=[0.5:1,0.5:2]\n"),
    OK("# TYPE s summary\ns{le=\"1\",quantile=\"+Inf\"} 1\n",
       "s SUMMARY\n  {le=\"1\"} count=0 sum=0 q=[+Inf:1]\n"),
    /* Counts go through Go's uint64(float64) on amd64. */
    OK("# TYPE s summary\ns_count{a=\"1\"} -1\ns_count{a=\"2\"} NaN\ns_count{a=\"3\"} 1e30\n"
       "s_count{a=\"4\"} 18446744073709549568\ns_count{a=\"5\"} -0.5\n",
       "s SUMMARY\n  {a=\"1\"} count=18446744073709551615 sum=0 q=[]\n"
       "  {a=\"2\"} count=9223372036854775808 sum=0 q=[]\n"
       "  {a=\"3\"} count=9223372036854775808 sum=0 q=[]\n"
       "  {a=\"4\"} count=18446744073709549568 sum=0 q=[]\n"
       "  {a=\"5\"} count=0 sum=0 q=[]\n"),
    /* _sum and _count of a family that is not a summary are families of their own. */
    OK("# TYPE s gauge\ns 1\ns_sum 2\ns_count 3\n",
       "s GAUGE\n  {} v=1\ns_sum UNTYPED\n  {} v=2\ns_count UNTYPED\n  {} v=3\n"),
    OK("x_bucket{le=\"1\"} 1\nx_sum 2\nx_count 3\nx 4\n",
       "x_bucket UNTYPED\n  {le=\"1\"} v=1\nx_sum UNTYPED\n  {} v=2\nx_count UNTYPED\n  {} v=3\n"
       "x UNTYPED\n  {} v=4\n"),
    OK("# TYPE s summary\ns_bucket 1\n", "s_bucket UNTYPED\n  {} v=1\n"),
    OK("# TYPE s summary\n# HELP s_sum sum help\ns_sum 1\n",
       "s SUMMARY help=\"sum help\"\n  {} count=0 sum=1 q=[]\n"),

    /* Histograms. */
    OK("# TYPE h histogram\n"
       "h_bucket{a=\"1\",le=\"0.5\"} 1\n"
       "h_bucket{le=\"0.5\",a=\"2\"} 4\n"
       "h_bucket{a=\"1\",le=\"+Inf\"} 2\n"
       "h_bucket{a=\"1\",le=\"0.1\"} 0\n"
       "h_sum{a=\"1\"} 1.5\n"
       "h_count{a=\"1\"} 2\n",
       "h HISTOGRAM\n"
       "  {a=\"1\"} count=2 sum=1.5 b=[0.5:1,+Inf:2,0.1:0]\n"
       "  {a=\"2\"} count=0 sum=0 b=[0.5:4]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\nh_bucket{le=\"2\"} 2\nh_count 2\n",
       "h HISTOGRAM\n  {} count=f2 sum=0 b=[1:f1.5,2:f2]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 2.5\n",
       "h HISTOGRAM\n  {} count=f2.5 sum=0 b=[1:f1]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"1\",a=\"1\"} 1\nh_bucket{le=\"1\",a=\"2\"} 0.5\n",
       "h HISTOGRAM\n  {a=\"1\"} count=0 sum=0 b=[1:1]\n  {a=\"2\"} count=0 sum=0 b=[1:f0.5]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"1\"} NaN\nh_count +Inf\n",
       "h HISTOGRAM\n  {} count=f+Inf sum=0 b=[1:fNaN]\n"),
    /* 1e30 does not fit a uint64, so it is a float; a float 0 looks like an integer 0. */
    OK("# TYPE h histogram\nh_bucket{le=\"1\"} -0\nh_count 1e30\n",
       "h HISTOGRAM\n  {} count=f1e+30 sum=0 b=[1:0]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"1\"} 18446744073709549568\n",
       "h HISTOGRAM\n  {} count=0 sum=0 b=[1:18446744073709549568]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"NaN\"} 1\nh_bucket 2\nh{quantile=\"1\"} 3\n",
       "h HISTOGRAM\n  {} count=0 sum=0 b=[]\n  {quantile=\"1\"} count=0 sum=0 b=[]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"-Inf\"} 0\nh_bucket{le=\"1e3\"} 0\n",
       "h HISTOGRAM\n  {} count=0 sum=0 b=[-Inf:0,1000:0]\n"),
    OK("# TYPE g gaugehistogram\ng_bucket{le=\"1\"} 1\ng_sum -3\ng_count 1\n",
       "g GAUGE_HISTOGRAM\n  {} count=1 sum=-3 b=[1:1]\n"),
    OK("# TYPE h histogram\n{\"h_bucket\",le=\"1\"} 1\n{le=\"2\",\"h_bucket\"} 2\n",
       "h HISTOGRAM\n  {} count=0 sum=0 b=[1:1]\n  {le=\"2\"} count=0 sum=0 b=[]\n"),
    OK("# TYPE h histogram\nh_bucket{le=\"1\"} 1 1000\n",
       "h HISTOGRAM\n  {} count=0 sum=0 b=[1:1] ts=1000\n"),
};

static const struct tcase err_cases[] = {
    /* Every line needs its newline. */
    ERR("m 1", 1, "unexpected end of input stream"),
    ERR("m 1\nm 2", 2, "unexpected end of input stream"),
    ERR("m", 1, "unexpected end of input stream"),
    ERR("m{", 1, "unexpected end of input stream"),
    ERR("m{a", 1, "unexpected end of input stream"),
    ERR("m{a=", 1, "unexpected end of input stream"),
    ERR("m{a=\"b", 1, "unexpected end of input stream"),
    ERR("m{a=\"b\\", 1, "unexpected end of input stream"),
    ERR("m{a=\"b\"", 1, "unexpected end of input stream"),
    ERR("m{a=\"b\"}", 1, "unexpected end of input stream"),
    ERR("m 1 ", 1, "unexpected end of input stream"),
    ERR("m 1 2", 1, "unexpected end of input stream"),
    ERR("m 1 2 ", 1, "unexpected end of input stream"),
    ERR("#", 1, "unexpected end of input stream"),
    ERR("# comment", 1, "unexpected end of input stream"),
    ERR("# HELP", 1, "unexpected end of input stream"),
    ERR("# HELP m", 1, "unexpected end of input stream"),
    ERR("# HELP m ", 1, "unexpected end of input stream"),
    ERR("# HELP m text", 1, "unexpected end of input stream"),
    ERR("# TYPE m counter", 1, "unexpected end of input stream"),
    ERR("{\"m", 1, "unexpected end of input stream"),
    ERR("\"m\"", 1, "unexpected end of input stream"),
    ERR("\n\n# x\nm 1", 4, "unexpected end of input stream"),

    /* Values. */
    ERR("m 3.14\r\n", 1, "expected float as value, got \"3.14\\r\""),
    ERR("blablabla\n", 1, "expected float as value, got \"\""),
    ERR("m-x 1\n", 1, "expected float as value, got \"-x\""),
    ERR("m{a=\"b\"}\n", 1, "expected float as value, got \"\""),
    ERR("m x\n", 1, "expected float as value, got \"x\""),
    ERR("m 0x10\n", 1, "expected float as value, got \"0x10\""),
    ERR("m 0x1p3\n", 1, "expected float as value, got \"0x1p3\""),
    ERR("m 1p3\n", 1, "expected float as value, got \"1p3\""),
    ERR("m 1_000\n", 1, "expected float as value, got \"1_000\""),
    ERR("m 1e400\n", 1, "expected float as value, got \"1e400\""),
    ERR("m -1e400\n", 1, "expected float as value, got \"-1e400\""),
    ERR("m 1.8e308\n", 1, "expected float as value, got \"1.8e308\""),
    ERR("m +nan\n", 1, "expected float as value, got \"+nan\""),
    ERR("m -NaN\n", 1, "expected float as value, got \"-NaN\""),
    ERR("m infin\n", 1, "expected float as value, got \"infin\""),
    ERR("m infinityy\n", 1, "expected float as value, got \"infinityy\""),
    ERR("m nanx\n", 1, "expected float as value, got \"nanx\""),
    ERR("m .\n", 1, "expected float as value, got \".\""),
    ERR("m 1e\n", 1, "expected float as value, got \"1e\""),
    ERR("m 1e+\n", 1, "expected float as value, got \"1e+\""),
    ERR("m 1.2.3\n", 1, "expected float as value, got \"1.2.3\""),
    ERR("m --1\n", 1, "expected float as value, got \"--1\""),
    ERR("m +\n", 1, "expected float as value, got \"+\""),
    ERR("m 1,5\n", 1, "expected float as value, got \"1,5\""),
    ERR("m 1f\n", 1, "expected float as value, got \"1f\""),
    ERR("m \xff\n", 1, "expected float as value, got \"\\xff\""),
    ERR("m 1\v\n", 1, "expected float as value, got \"1\\v\""),
    ERR("m 1\x00\n", 1, "expected float as value, got \"1\\x00\""),
    ERR("m\x00 1\n", 1, "expected float as value, got \"\\x00\""),
    ERR("m.x 1\n", 1, "expected float as value, got \".x\""),

    /* Timestamps. */
    ERR("m 1 abc\n", 1, "expected integer as timestamp, got \"abc\""),
    ERR("m 1 \n", 1, "expected integer as timestamp, got \"\""),
    ERR("m 1\t\n", 1, "expected integer as timestamp, got \"\""),
    ERR("m 1 1.5\n", 1, "expected integer as timestamp, got \"1.5\""),
    ERR("m 1 1e3\n", 1, "expected integer as timestamp, got \"1e3\""),
    ERR("m 1 1_000\n", 1, "expected integer as timestamp, got \"1_000\""),
    ERR("m 1 0x10\n", 1, "expected integer as timestamp, got \"0x10\""),
    ERR("m 1 +\n", 1, "expected integer as timestamp, got \"+\""),
    ERR("m 1 9223372036854775808\n", 1,
        "expected integer as timestamp, got \"9223372036854775808\""),
    ERR("m 1 -9223372036854775809\n", 1,
        "expected integer as timestamp, got \"-9223372036854775809\""),
    ERR("m 1 1 3\n", 1, "spurious string after timestamp: \" 3\""),
    ERR("m 1 1 \n", 1, "spurious string after timestamp: \" \""),
    ERR("m 1 1\t\\x\n", 1, "spurious string after timestamp: \"\\tx\""),
    ERR("m 1 1 2 3\r\n", 1, "spurious string after timestamp: \" 2 3\\r\""),
    ERR("m 1 1\r\n", 1, "expected integer as timestamp, got \"1\\r\""),

    /* Metric names. */
    ERR("{} 1\n", 1, "invalid metric name"),
    ERR("{ } 1\n", 1, "invalid metric name"),
    ERR("{a=\"b\"} 1\n", 1, "invalid metric name"),
    ERR("{a=\"b\",} 1\n", 1, "invalid metric name"),
    ERR("m 1\n{} 1\n", 2, "invalid metric name"),
    ERR("1m 1\n", 1, "invalid metric name"),
    ERR("-1\n", 1, "invalid metric name"),
    ERR("\r\n", 1, "invalid metric name"),
    ERR("\"\" 1\n", 1, "invalid metric name"),
    ERR("}\n", 1, "invalid metric name"),
    ERR("\xc3\xa9 1\n", 1, "invalid metric name"),
    ERR("{\"a.b\"} 1\n", 1, "invalid metric name \"a.b\""),
    ERR("\"a b\" 1\n", 1, "invalid metric name \"a b\""),
    ERR("{\"\"} 1\n", 1, "invalid label name for metric \"\""),
    ERR8("{\"\xff\"} 1\n", 1, "invalid metric name \"\\xff\""),
    ERR8("# HELP \"\" x\n", 1, "invalid metric name \"\""),
    ERR("# TYPE \"a.b\" counter\n", 1, "invalid metric name \"a.b\""),
    ERR("{\"m\",\"n\"} 1\n", 1, "multiple metric names for metric \"m\""),
    ERR("{\"m\",a=\"1\",\"n\"} 1\n", 1, "multiple metric names for metric \"m\""),
    ERR("{\"m\" \"n\"} 1\n", 1, "unexpected end of metric name '\"'"),
    ERR("{\"m\" 1\n", 1, "unexpected end of metric name '1'"),
    /* Inside braces the name is read as a label name would be. */
    ERR("{\"m\nx\"} 1\n", 1, "label name \"m\" contains unescaped new-line"),
    ERR("{m:x} 1\n", 1, "unexpected end of metric name ':'"),
    ERR("\"a\\nb\nc\" 1\n", 1, "metric name \"a\\nb\" contains unescaped new-line"),
    ERR("{\"a\\tb\"} 1\n", 1, "invalid escape sequence '\\t'"),
    ERR("m{\"a\"} 1\n", 1, "expected '=' after label name, found '}'"),
    ERR("# HELP m.x y\n", 1, "invalid metric name in comment"),
    ERR("# TYPE m{ counter\n", 1, "invalid metric name in comment"),
    ERR("# HELP \"m\"x y\n", 1, "invalid metric name in comment"),
    ERR("# HELP 1m y\n", 1, "invalid metric name in comment"),

    /* Label names. */
    ERR("m{a 1\n", 1, "expected '=' after label name, found '1'"),
    ERR("m{a} 1\n", 1, "expected '=' after label name, found '}'"),
    ERR("m{a,b=\"1\"} 1\n", 1, "expected '=' after label name, found ','"),
    ERR("m{a.b=\"1\"} 1\n", 1, "expected '=' after label name, found '.'"),
    ERR("m{a'} 1\n", 1, "expected '=' after label name, found '\\''"),
    ERR("m{a\\} 1\n", 1, "expected '=' after label name, found '\\\\'"),
    ERR("m{a\x01} 1\n", 1, "expected '=' after label name, found '\\x01'"),
    ERR("m{a\x7f} 1\n", 1, "expected '=' after label name, found '\\x7f'"),
    ERR("m{a\x80} 1\n", 1, "expected '=' after label name, found '\\u0080'"),
    ERR("m{a\xa0} 1\n", 1, "expected '=' after label name, found '\\u00a0'"),
    ERR("m{a\xad} 1\n", 1, "expected '=' after label name, found '\\u00ad'"),
    ERR("m{a\xe9} 1\n", 1, "expected '=' after label name, found '\xc3\xa9'"),
    ERR("m{a\r} 1\n", 1, "expected '=' after label name, found '\\r'"),
    ERR("m{a\n", 1, "expected '=' after label name, found '\\n'"),
    ERR("m{a\x00} 1\n", 1, "expected '=' after label name, found '\\x00'"),
    ERR("m{,} 1\n", 1, "invalid label name for metric \"m\""),
    ERR("m{a=\"1\",,} 1\n", 1, "invalid label name for metric \"m\""),
    ERR("m{1=\"a\"} 1\n", 1, "invalid label name for metric \"m\""),
    ERR("m{:a=\"a\"} 1\n", 1, "invalid label name for metric \"m\""),
    ERR("m{\n", 1, "invalid label name for metric \"m\""),
    ERR("m{\"\"=\"a\"} 1\n", 1, "invalid label name for metric \"m\""),
    ERR("m{__name__=\"x\"} 1\n", 1, "label name \"__name__\" is reserved"),
    ERR8("m{\"__name__\"=\"x\"} 1\n", 1, "label name \"__name__\" is reserved"),
    ERR("m{a=\"1\",a=\"2\"} 1\n", 1, "duplicate label names for metric \"m\""),
    ERR("m{a=\"1\",b=\"2\",\"a\"=\"3\"} 1\n", 1, "duplicate label names for metric \"m\""),
    ERR("{a=\"1\",a=\"2\"} 1\n", 1, "duplicate label names for metric \"\""),
    ERR("m{\"a.b\"=\"x\"} 1\n", 1, "invalid label name \"a.b\""),
    ERR("m{\"\\\"\"=\"x\"} 1\n", 1, "invalid label name \"\\\"\""),
    ERR8("m{\"\xff\"=\"x\"} 1\n", 1, "invalid label name \"\\xff\""),
    ERR("m{\"a\nb\"=\"x\"} 1\n", 1, "label name \"a\" contains unescaped new-line"),
    ERR("m{\"a\\qb\"=\"x\"} 1\n", 1, "invalid escape sequence '\\q'"),

    /* Label values. */
    ERR("m{a=1} 1\n", 1, "expected '\"' at start of label value, found '1'"),
    ERR("m{a=} 1\n", 1, "expected '\"' at start of label value, found '}'"),
    ERR("m{a='x'} 1\n", 1, "expected '\"' at start of label value, found '\\''"),
    ERR("m{a=\n", 1, "expected '\"' at start of label value, found '\\n'"),
    ERR("m{a=\"\\t\"} 1\n", 1, "invalid escape sequence '\\t'"),
    ERR("m{a=\"\\'\"} 1\n", 1, "invalid escape sequence '\\''"),
    ERR("m{a=\"\\\xff\"} 1\n", 1, "invalid escape sequence '\\\xc3\xbf'"),
    ERR("m{a=\"\\\n\"} 1\n", 1, "invalid escape sequence '\\\n'"),
    ERR("m{a=\"x\ny\"} 1\n", 1, "label value \"x\" contains unescaped new-line"),
    ERR("m{a=\"\xff\"} 1\n", 1, "invalid label value \"\\xff\""),
    ERR("m{a=\"a\xc3\"} 1\n", 1, "invalid label value \"a\\xc3\""),
    ERR("m{a=\"\xed\xa0\x80\"} 1\n", 1, "invalid label value \"\\xed\\xa0\\x80\""),
    ERR("m{a=\"\xe2\x80\x8b\xff\"} 1\n", 1, "invalid label value \"\\u200b\\xff\""),
    ERR("m{a=\"1\" b=\"2\"} 1\n", 1, "unexpected end of label value \"1\""),
    ERR("m{a=\"1\"\n", 1, "unexpected end of label value \"1\""),
    ERR("m{a=\"x\\ny\"x} 1\n", 1, "unexpected end of label value \"x\\ny\""),

    /* HELP and TYPE. */
    ERR("# HELP m x\n# HELP m y\n", 2, "second HELP line for metric name \"m\""),
    ERR("# HELP m x\nm 1\n# HELP m y\n", 3, "second HELP line for metric name \"m\""),
    ERR("# TYPE s summary\n# HELP s x\n# HELP s_count y\n", 3,
        "second HELP line for metric name \"s\""),
    ERR("# HELP m a\\tb\n", 1, "invalid escape sequence '\\t'"),
    ERR("# HELP m a\\\n", 1, "invalid escape sequence '\\\n'"),
    ERR("# TYPE m counter\n# TYPE m gauge\n", 2,
        "second TYPE line for metric name \"m\", or TYPE reported after samples"),
    ERR("# TYPE m counter\n# TYPE m counter\n", 2,
        "second TYPE line for metric name \"m\", or TYPE reported after samples"),
    ERR("m 1\n# TYPE m counter\n", 2,
        "second TYPE line for metric name \"m\", or TYPE reported after samples"),
    ERR("# TYPE h histogram\n# TYPE h_bucket counter\n", 2,
        "second TYPE line for metric name \"h\", or TYPE reported after samples"),
    ERR("# TYPE m foo\n", 1, "unknown metric type \"foo\""),
    ERR("# TYPE m counter \n", 1, "unknown metric type \"counter \""),
    ERR("# TYPE m counter\r\n", 1, "unknown metric type \"counter\\r\""),
    ERR("# TYPE m gauge histogram\n", 1, "unknown metric type \"gauge histogram\""),
    ERR("# TYPE m unknown\n", 1, "unknown metric type \"unknown\""),
    ERR("# TYPE m \\\n", 1, "unknown metric type \"\""),
    ERR("# TYPE m \xc3\xa9\n", 1, "unknown metric type \"\xc3\xa9\""),

    /* Summaries and histograms. */
    ERR("# TYPE s summary\ns{quantile=\"x\"} 1\n", 2,
        "expected float as value for 'quantile' label, got \"x\""),
    ERR("# TYPE s summary\ns{quantile=\"\"} 1\n", 2,
        "expected float as value for 'quantile' label, got \"\""),
    ERR("# TYPE s summary\ns{quantile=\"0x1p-1\"} 1\n", 2,
        "expected float as value for 'quantile' label, got \"0x1p-1\""),
    ERR("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", 2,
        "expected float as value for 'le' label, got \"x\""),
    ERR("# TYPE h gauge_histogram\nh_bucket{le=\"1e999\"} 1\n", 2,
        "expected float as value for 'le' label, got \"1e999\""),
    ERR("# TYPE h histogram\nh_bucket{le=\"1\"} -0.5\n", 2,
        "negative bucket population for histogram"),
    ERR("# TYPE h histogram\nh_bucket{le=\"1\"} -1\n", 2,
        "negative bucket population for histogram"),
    ERR("# TYPE h histogram\nh_bucket{le=\"1\"} -Inf\n", 2,
        "negative bucket population for histogram"),
    ERR("# TYPE h histogram\nh_count -1.5\n", 2, "negative count for histogram"),
    ERR("# TYPE h histogram\nh_count{a=\"b\"} -1\n", 2, "negative count for histogram"),

    /* Line numbers count every line, comments and blank ones included. */
    ERR("# c\n\n  \nm{a=\"1\"} 1\n# HELP x y\nm{a} 2\n", 6,
        "expected '=' after label name, found '}'"),
    ERR("\n\n\n\n\n\n\n\n\n\nm x\n", 11, "expected float as value, got \"x\""),
};

static void
run_case(const struct tcase *c, int want_ok)
{
    struct family_list fl;
    char *err = NULL, *got;
    int rc;

    family_list_init(&fl);
    rc = textparse(c->in, c->len, c->utf8, &fl, &err);
    if (want_ok) {
        if (rc != 0)
            print_error("input %s: unexpected error: %s\n", goquote(c->in, c->len), err);
        assert_int_equal(rc, 0);
        assert_null(err);
        got = dump(&fl);
        if (strcmp(got, c->want) != 0)
            print_error("input %s:\n got: %s\nwant: %s\n", goquote(c->in, c->len), got, c->want);
        assert_string_equal(got, c->want);
        free(got);
    } else {
        if (rc == 0 || err == NULL || strcmp(err, c->want) != 0)
            print_error("input %s: got %s\n", goquote(c->in, c->len),
                        err ? goquote(err, strlen(err)) : "success");
        assert_int_equal(rc, -1);
        assert_non_null(err);
        assert_string_equal(err, c->want);
        assert_int_equal(fl.n, 0);
        free(err);
    }
    family_list_free(&fl);
}

static void
test_accepted(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++)
        run_case(&ok_cases[i], 1);
}

static void
test_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
        run_case(&err_cases[i], 0);
}

/* Every UTF-8-flag-independent case behaves the same with the flag. */
static void
test_utf8_flag_neutral(void **state)
{
    size_t i;
    struct tcase c;

    (void)state;
    for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        c = ok_cases[i];
        c.utf8 = 1;
        run_case(&c, 1);
    }
}

/* A failed parse leaves out as it was; a successful one appends. */
static void
test_out_handling(void **state)
{
    struct family_list fl;
    struct metric_family *mf;
    char *err = NULL;

    (void)state;
    family_list_init(&fl);
    mf = metric_family_new("pre", METRIC_GAUGE);
    family_list_add(&fl, mf);
    assert_int_equal(textparse("a 1\nb 2\nc{", 10, 0, &fl, &err), -1);
    assert_int_equal(fl.n, 1);
    assert_true(fl.v[0] == mf);
    assert_string_equal(err, "text format parsing error in line 3: unexpected end of input stream");
    free(err);
    err = NULL;
    assert_int_equal(textparse("a 1\nb 2\n", 8, 0, &fl, &err), 0);
    assert_null(err);
    assert_int_equal(fl.n, 3);
    assert_true(fl.v[0] == mf);
    assert_string_equal(fl.v[1]->name, "a");
    assert_string_equal(fl.v[2]->name, "b");
    family_list_free(&fl);
}

/* The parser reads exactly len bytes: what follows is never looked at. */
static void
test_not_nul_terminated(void **state)
{
    struct family_list fl;
    char *err = NULL;
    char buf[8] = {'m', ' ', '1', '\n', 'x', 'x', 'x', 'x'};

    (void)state;
    family_list_init(&fl);
    assert_int_equal(textparse(buf, 4, 0, &fl, &err), 0);
    assert_int_equal(fl.n, 1);
    assert_true(fl.v[0]->metrics[0].value == 1.0);
    family_list_free(&fl);
    assert_int_equal(textparse(buf, 3, 0, &fl, &err), -1);
    assert_string_equal(err, "text format parsing error in line 1: unexpected end of input stream");
    free(err);
    assert_int_equal(textparse(NULL, 0, 0, &fl, &err), 0);
    assert_int_equal(fl.n, 0);
}

/* Field-level checks that the dump does not show: kinds, exact doubles, help NULL vs set. */
static void
test_fields(void **state)
{
    static const char in[] = "# HELP c Help.\n# TYPE c counter\nc{x=\"y\"} -0 77\n"
                             "# TYPE h histogram\nh_bucket{le=\"0.25\"} 3\n";
    struct family_list fl;
    struct metric *m;
    char *err = NULL;
    double negzero = -0.0;

    (void)state;
    family_list_init(&fl);
    assert_int_equal(textparse(in, sizeof(in) - 1, 0, &fl, &err), 0);
    assert_int_equal(fl.n, 2);
    assert_string_equal(fl.v[0]->help, "Help.");
    assert_int_equal(fl.v[0]->type, METRIC_COUNTER);
    m = &fl.v[0]->metrics[0];
    assert_int_equal(m->kind, METRIC_COUNTER);
    assert_memory_equal(&m->value, &negzero, sizeof(double));
    assert_true(m->has_timestamp);
    assert_true(m->timestamp_ms == 77);
    assert_int_equal(m->nlabels, 1);
    assert_string_equal(m->labels[0].name, "x");
    assert_string_equal(m->labels[0].value, "y");
    assert_null(fl.v[1]->help);
    m = &fl.v[1]->metrics[0];
    assert_int_equal(m->kind, METRIC_HISTOGRAM);
    assert_true(!m->has_timestamp);
    assert_int_equal(m->nbuckets, 1);
    assert_true(m->buckets[0].upper_bound == 0.25);
    assert_true(m->buckets[0].count == 3);
    assert_true(m->buckets[0].count_float == 0);
    family_list_free(&fl);
}

/* Long tokens and lines are handled without limits. */
static void
test_long_lines(void **state)
{
    struct strbuf in = STRBUF_INIT;
    struct family_list fl;
    char *err = NULL;
    size_t i;

    (void)state;
    family_list_init(&fl);
    /* A 1 MiB name, label value and HELP text. */
    for (i = 0; i < (1u << 20); i++)
        strbuf_addch(&in, 'a');
    strbuf_addstr(&in, "{l=\"");
    for (i = 0; i < (1u << 20); i++)
        strbuf_addch(&in, i % 64 == 63 ? '\\' : 'v');
    strbuf_addstr(&in, "\\\\\"} 1\n");
    assert_int_equal(textparse(in.data, in.len, 0, &fl, &err), -1);
    assert_non_null(strstr(err, "invalid escape sequence '\\v'"));
    free(err);
    strbuf_reset(&in);
    strbuf_addstr(&in, "# HELP m ");
    for (i = 0; i < (1u << 20); i++)
        strbuf_addch(&in, 'h');
    strbuf_addstr(&in, "\nm{l=\"");
    for (i = 0; i < (1u << 20); i++)
        strbuf_addch(&in, 'v');
    strbuf_addstr(&in, "\"} 1\n");
    assert_int_equal(textparse(in.data, in.len, 0, &fl, &err), 0);
    assert_int_equal(strlen(fl.v[0]->help), 1u << 20);
    assert_int_equal(strlen(fl.v[0]->metrics[0].labels[0].value), 1u << 20);
    family_list_free(&fl);

    /* 5000 labels on one line, then a duplicate at the very end. */
    strbuf_reset(&in);
    strbuf_addstr(&in, "m{");
    for (i = 0; i < 5000; i++)
        strbuf_addf(&in, "l%zu=\"%zu\",", i, i);
    strbuf_addstr(&in, "} 1\n");
    assert_int_equal(textparse(in.data, in.len, 0, &fl, &err), 0);
    assert_int_equal(fl.v[0]->metrics[0].nlabels, 5000);
    assert_string_equal(fl.v[0]->metrics[0].labels[4999].value, "4999");
    family_list_free(&fl);
    in.len -= 4;
    strbuf_addstr(&in, "l17=\"x\"} 1\n");
    assert_int_equal(textparse(in.data, in.len, 0, &fl, &err), -1);
    assert_string_equal(
        err, "text format parsing error in line 1: duplicate label names for metric \"m\"");
    free(err);

    /* The same for a summary: merged by label set whatever the order. */
    strbuf_reset(&in);
    strbuf_addstr(&in, "# TYPE s summary\ns{quantile=\"0.5\",");
    for (i = 0; i < 100; i++)
        strbuf_addf(&in, "l%zu=\"%zu\",", i, i);
    strbuf_addstr(&in, "} 1\ns_sum{");
    for (i = 100; i-- > 0;)
        strbuf_addf(&in, "l%zu=\"%zu\",", i, i);
    strbuf_addstr(&in, "} 2\n");
    assert_int_equal(textparse(in.data, in.len, 0, &fl, &err), 0);
    assert_int_equal(fl.v[0]->nmetrics, 1);
    assert_int_equal(fl.v[0]->metrics[0].nquantiles, 1);
    assert_true(fl.v[0]->metrics[0].sum == 2);
    family_list_free(&fl);
    strbuf_free(&in);
}

/* NUL bytes in label values and HELP are refused (ours): C strings would truncate them. */
static void
test_nul_bytes(void **state)
{
    static const char value[] = "m{a=\"x\0y\"} 1\n";
    static const char help[] = "m 1\n# HELP m h\0i\n";
    struct family_list fl;
    char *err = NULL;

    (void)state;
    family_list_init(&fl);
    assert_int_equal(textparse(value, sizeof(value) - 1, 0, &fl, &err), -1);
    assert_string_equal(err, "text format parsing error in line 1: invalid label value "
                             "\"x\\x00y\": NUL bytes are not supported");
    free(err);
    assert_int_equal(textparse(help, sizeof(help) - 1, 0, &fl, &err), -1);
    assert_string_equal(err, "text format parsing error in line 2: invalid HELP text "
                             "\"h\\x00i\": NUL bytes are not supported");
    free(err);
    assert_int_equal(fl.n, 0);
}

/* A body of 100k lines over many families, summaries and histograms parses fast. */
static void
test_large_body(void **state)
{
    struct strbuf in = STRBUF_INIT;
    struct family_list fl;
    char *err = NULL;
    size_t i, nlines = 0, nmetrics = 0;
    clock_t t0;
    double secs;

    (void)state;
    strbuf_addstr(&in, "# TYPE s summary\n# TYPE h histogram\n");
    nlines = 2;
    for (i = 0; nlines < 100000; i++) {
        strbuf_addf(&in, "fam_%zu{instance=\"host-%zu\",path=\"/a/b/%zu\"} %zu.5\n", i % 2000, i,
                    i % 7, i);
        strbuf_addf(&in, "s{id=\"%zu\",quantile=\"0.5\"} %zu\n", i % 5000, i);
        strbuf_addf(&in, "h_bucket{id=\"%zu\",le=\"%zu\"} %zu\n", i % 5000, i % 10, i);
        nlines += 3;
    }
    family_list_init(&fl);
    t0 = clock();
    assert_int_equal(textparse(in.data, in.len, 0, &fl, &err), 0);
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    for (i = 0; i < fl.n; i++)
        nmetrics += fl.v[i]->nmetrics;
    assert_int_equal(fl.n, 2002);
    assert_string_equal(fl.v[0]->name, "s");
    assert_int_equal(fl.v[0]->nmetrics, 5000);
    assert_int_equal(fl.v[1]->nmetrics, 5000);
    assert_int_equal(nmetrics, 10000 + (nlines - 2) / 3);
    /* Generous bound: sanitizer builds are several times slower than release ones. */
    assert_true(secs < 5.0);
    family_list_free(&fl);
    strbuf_free(&in);
}

/* Every prefix of a valid body fails cleanly (or succeeds at line ends) without leaks. */
static void
test_truncations(void **state)
{
    static const char in[] = "# HELP s Some \\\"help\\\".\n# TYPE s summary\n"
                             "s{a=\"1\",quantile=\"0.5\"} 1 100\ns_sum{a=\"1\"} 2\n"
                             "{\"m\",b=\"\\n\"} +Inf\n# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\n";
    struct family_list fl;
    char *err;
    size_t n;
    int rc;

    (void)state;
    for (n = 0; n <= sizeof(in) - 1; n++) {
        family_list_init(&fl);
        err = NULL;
        rc = textparse(in, n, n % 2, &fl, &err);
        if (n == 0 || in[n - 1] == '\n') {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, "unexpected end of input stream"));
        }
        free(err);
        family_list_free(&fl);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),           cmocka_unit_test(test_errors),
        cmocka_unit_test(test_utf8_flag_neutral),  cmocka_unit_test(test_out_handling),
        cmocka_unit_test(test_not_nul_terminated), cmocka_unit_test(test_fields),
        cmocka_unit_test(test_long_lines),         cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_large_body),         cmocka_unit_test(test_truncations),
    };

    return cmocka_run_group_tests_name("textparse", tests, NULL, NULL);
}
