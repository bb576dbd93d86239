/* test_compress.c - gzip bodies in and out: the decoder's errors, the segmented writer, and
 * scrapes that splice the compressed families kept in the store */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "compress.h"
#include "expo_proto.h"
#include "gather.h"
#include "grouping.h"
#include "store.h"
#include "textparse.h"
#include "xmalloc.h"

/* Decompress a whole gzip body (CRC and size checked by zlib) and compare with want. */
static void
assert_gunzips_to(const struct strbuf *gz, const void *want, size_t wantlen)
{
    struct strbuf out = STRBUF_INIT;
    char *err = NULL;

    assert_int_equal(
        gzip_decompress((const unsigned char *)gz->data, gz->len, (size_t)1 << 30, &out, &err), 0);
    assert_null(err);
    assert_int_equal(out.len, wantlen);
    assert_memory_equal(out.data, want, wantlen);
    strbuf_free(&out);
}

/* Deterministic text that compresses like an exposition: repeated names, varying numbers. */
static void
fill_text(struct strbuf *sb, const char *name, unsigned seed, size_t lines)
{
    size_t i;

    for (i = 0; i < lines; i++)
        strbuf_addf(sb, "%s{instance=\"host%zu\",job=\"bench\"} %u\n", name, i,
                    (unsigned)(seed * 2654435761u + i * 40503u));
}

/* Move what the writer produced so far into gz. */
static void
take(struct gzip_writer *w, struct strbuf *gz)
{
    strbuf_add(gz, w->out.data, w->out.len);
    strbuf_reset(&w->out);
}

static void
finish(struct gzip_writer *w, struct strbuf *gz)
{
    assert_int_equal(gzip_writer_finish(w), 0);
    take(w, gz);
    gzip_writer_free(w);
}

static struct gzip_segment *
segment(struct gzip_writer *w, const struct strbuf *data, size_t pieces)
{
    size_t step = data->len / pieces + 1, off;

    gzip_writer_segment_begin(w);
    for (off = 0; off < data->len; off += step)
        gzip_writer_write(w, data->data + off, data->len - off < step ? data->len - off : step);
    return gzip_writer_segment_end(w);
}

static void
test_writer_plain_and_empty(void **state)
{
    struct strbuf gz = STRBUF_INIT, text = STRBUF_INIT;
    struct gzip_writer w;

    (void)state;
    /* An empty member is still a valid gzip body. */
    assert_int_equal(gzip_writer_init(&w), 0);
    finish(&w, &gz);
    assert_gunzips_to(&gz, "", 0);
    strbuf_reset(&gz);

    /* Several megabytes in pieces of odd sizes, taken out as they come. */
    fill_text(&text, "plain", 1, 60000);
    assert_int_equal(gzip_writer_init(&w), 0);
    gzip_writer_write(&w, text.data, 1);
    gzip_writer_write(&w, text.data + 1, 0);
    take(&w, &gz);
    gzip_writer_write(&w, text.data + 1, 70000);
    take(&w, &gz);
    gzip_writer_write(&w, text.data + 70001, text.len - 70001);
    finish(&w, &gz);
    assert_true(gz.len < text.len / 5);
    assert_gunzips_to(&gz, text.data, text.len);
    strbuf_free(&gz);
    strbuf_free(&text);
}

/*
 * A segment compressed in one stream, after other data, is spliced into another stream at
 * the start, between fresh data and next to other segments: every body decompresses to the
 * concatenation, with a correct CRC and size.
 */
static void
test_writer_segments_splice_anywhere(void **state)
{
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT, gz = STRBUF_INIT;
    struct strbuf want = STRBUF_INIT;
    struct gzip_segment *sa, *sb, *empty;
    struct gzip_writer w;

    (void)state;
    fill_text(&a, "alpha", 2, 3000);
    fill_text(&b, "beta", 3, 5);
    fill_text(&c, "alpha", 4, 2000); /* shares strings with a: a compressor would refer back */

    /* Stream 1: fresh c, then a (written in pieces) and b as kept segments, then c again. */
    assert_int_equal(gzip_writer_init(&w), 0);
    gzip_writer_write(&w, c.data, c.len);
    sa = segment(&w, &a, 7);
    take(&w, &gz);
    sb = segment(&w, &b, 1);
    empty = segment(&w, &b, 1);
    gzip_writer_write(&w, c.data, c.len);
    finish(&w, &gz);
    strbuf_add(&want, c.data, c.len);
    strbuf_add(&want, a.data, a.len);
    strbuf_add(&want, b.data, b.len);
    strbuf_add(&want, b.data, b.len);
    strbuf_add(&want, c.data, c.len);
    assert_gunzips_to(&gz, want.data, want.len);
    assert_int_equal(sa->rawlen, a.len);
    assert_true(sa->z.len > 0 && sa->z.len < a.len);
    gzip_segment_unref(empty);

    /* Stream 2: the kept segments in another order and context. */
    strbuf_reset(&gz);
    strbuf_reset(&want);
    assert_int_equal(gzip_writer_init(&w), 0);
    gzip_writer_splice(&w, sb);
    gzip_writer_write(&w, c.data, c.len);
    gzip_writer_splice(&w, sa);
    gzip_writer_splice(&w, sa);
    gzip_writer_write(&w, a.data, 10);
    gzip_writer_splice(&w, sb);
    finish(&w, &gz);
    strbuf_add(&want, b.data, b.len);
    strbuf_add(&want, c.data, c.len);
    strbuf_add(&want, a.data, a.len);
    strbuf_add(&want, a.data, a.len);
    strbuf_add(&want, a.data, 10);
    strbuf_add(&want, b.data, b.len);
    assert_gunzips_to(&gz, want.data, want.len);

    /* A corrupted member is caught by the CRC, not silently accepted. */
    {
        struct strbuf out = STRBUF_INIT;
        char *err = NULL;
        gz.data[gz.len - 8] ^= 1;
        assert_int_equal(
            gzip_decompress((const unsigned char *)gz.data, gz.len, (size_t)1 << 30, &out, &err),
            -1);
        assert_string_equal(err, "gzip: invalid checksum");
        free(err);
        strbuf_free(&out);
    }
    /* References: a segment lives until its last holder lets go. */
    assert_ptr_equal(gzip_segment_ref(sa), sa);
    gzip_segment_unref(sa);
    gzip_segment_unref(sa);
    gzip_segment_unref(sb);
    gzip_segment_unref(NULL);
    strbuf_free(&a);
    strbuf_free(&b);
    strbuf_free(&c);
    strbuf_free(&gz);
    strbuf_free(&want);
}

static void
test_decompress_errors(void **state)
{
    struct strbuf gz = STRBUF_INIT, out = STRBUF_INIT, text = STRBUF_INIT;
    struct gzip_writer w;
    char *err = NULL;

    (void)state;
    fill_text(&text, "limit", 5, 1000);
    assert_int_equal(gzip_writer_init(&w), 0);
    gzip_writer_write(&w, text.data, text.len);
    finish(&w, &gz);

    /* The limit: one byte short of the body. */
    assert_int_equal(
        gzip_decompress((const unsigned char *)gz.data, gz.len, text.len - 1, &out, &err), -2);
    assert_non_null(strstr(err, "exceeds the limit"));
    free(err);
    strbuf_reset(&out);
    /* Truncated in the middle of the deflate data. */
    assert_int_equal(
        gzip_decompress((const unsigned char *)gz.data, gz.len / 2, (size_t)1 << 30, &out, &err),
        -1);
    assert_string_equal(err, "unexpected EOF");
    free(err);
    strbuf_reset(&out);
    /* Garbage after a complete member is not another member. */
    strbuf_addstr(&gz, "garbage!!!");
    assert_int_equal(
        gzip_decompress((const unsigned char *)gz.data, gz.len, (size_t)1 << 30, &out, &err), -1);
    assert_string_equal(err, "gzip: invalid header");
    free(err);
    strbuf_reset(&out);
    /* Empty and short bodies, as Go's reader words them. */
    assert_int_equal(gzip_decompress((const unsigned char *)"", 0, 100, &out, &err), -1);
    assert_string_equal(err, "EOF");
    free(err);
    assert_int_equal(gzip_decompress((const unsigned char *)"\x1f\x8b", 2, 100, &out, &err), -1);
    assert_string_equal(err, "unexpected EOF");
    free(err);
    strbuf_free(&gz);
    strbuf_free(&out);
    strbuf_free(&text);
}

/* ----- scrapes ----- */

static void
push_text(struct store *st, const char *instance, const char *text, time_t sec)
{
    struct timespec ts = {sec, 0};
    char labels[64];

    snprintf(labels, sizeof(labels), "instance/%s", instance);
    test_push(st, "bench", labels, 0, text, 1, &ts);
}

/* Load n groups; every family is large enough to be kept compressed. */
static void
load(struct store *st, size_t n, const char *value)
{
    char body[256];
    size_t i;

    for (i = 0; i < n; i++) {
        char inst[32];
        snprintf(inst, sizeof(inst), "host%zu", i);
        snprintf(body, sizeof(body),
                 "# HELP batch_seconds Duration.\n# TYPE batch_seconds gauge\n"
                 "batch_seconds %s\n# TYPE batch_records counter\n"
                 "batch_records{stage=\"load\"} %zu\nbatch_records{stage=\"x.y\"} 2\n",
                 value, i);
        push_text(st, inst, body, 1700000000 + (time_t)i);
    }
}

/* Render g plainly and gzipped (twice: cold, then from the kept segments); compare. */
static void
check_scrape(struct gather *g, struct store *st, int proto, enum name_escaping esc)
{
    struct strbuf plain = STRBUF_INIT, gz = STRBUF_INIT;
    int round;

    if (proto)
        gather_render_proto(g, esc, &plain);
    else
        gather_render_text_esc(g, esc, &plain);
    for (round = 0; round < 2; round++) {
        strbuf_reset(&gz);
        assert_int_equal(gather_render_gzip(g, st, proto, esc, &gz), 0);
        assert_gunzips_to(&gz, plain.data, plain.len);
    }
    strbuf_free(&plain);
    strbuf_free(&gz);
}

static struct famidx *
idx(struct store *st, const char *name)
{
    struct famidx *fi = store_famidx(st, name);
    assert_non_null(fi);
    return fi;
}

static void
test_scrape_keeps_and_drops_segments(void **state)
{
    struct store st;
    struct gather g;
    char *err = NULL;

    (void)state;
    store_init(&st);
    load(&st, 300, "1.5");
    assert_int_equal(gather_collect(&g, &st, 0, 0, &err), 0);
    check_scrape(&g, &st, 0, ESCAPE_UNDERSCORES);
    /* Stored-only families are kept; the scrape reused them the second time. */
    assert_non_null(idx(&st, "batch_seconds")->gz);
    assert_non_null(idx(&st, "batch_records")->gz);
    assert_non_null(idx(&st, PUSH_TIME_NAME)->gz);
    /* Another scheme or format replaces the kept rendering rather than reusing it. */
    check_scrape(&g, &st, 0, ESCAPE_VALUES);
    check_scrape(&g, &st, 1, ESCAPE_UNDERSCORES);
    check_scrape(&g, &st, 0, ESCAPE_UNDERSCORES);
    gather_free(&g);

    /* A push drops the kept renderings of the names it touches, and only those. */
    {
        const struct gzip_segment *kept = idx(&st, "batch_records")->gz;
        push_text(&st, "host7", "# TYPE batch_seconds gauge\nbatch_seconds 99\n", 1800000000);
        assert_null(idx(&st, "batch_seconds")->gz);
        assert_null(idx(&st, "batch_records")->gz); /* a PUT replaced host7's families */
        assert_null(idx(&st, PUSH_TIME_NAME)->gz);
        assert_non_null(idx(&st, PUSH_FAILURE_TIME_NAME)->gz);
        (void)kept;
    }
    assert_int_equal(gather_collect(&g, &st, 0, 0, &err), 0);
    check_scrape(&g, &st, 0, ESCAPE_UNDERSCORES);
    gather_free(&g);

    /* A family with one small member is compressed every time, never kept. */
    push_text(&st, "host0", "# TYPE tiny gauge\ntiny 1\n", 1800000001);
    assert_int_equal(gather_collect(&g, &st, 0, 0, &err), 0);
    check_scrape(&g, &st, 0, ESCAPE_UNDERSCORES);
    check_scrape(&g, &st, 1, ESCAPE_UNDERSCORES);
    assert_null(idx(&st, "tiny")->gz);
    gather_free(&g);

    /* Deleting a group drops what it was part of; wiping frees everything kept. */
    {
        struct grouping_key k;
        assert_int_equal(grouping_parse("bench", 0, "instance/host3", 0, &k, &err), 0);
        assert_int_equal(gather_collect(&g, &st, 0, 0, &err), 0);
        check_scrape(&g, &st, 0, ESCAPE_UNDERSCORES);
        gather_free(&g);
        assert_int_equal(store_delete(&st, &k), 1);
        grouping_key_free(&k);
        assert_null(idx(&st, "batch_seconds")->gz);
    }
    assert_int_equal(gather_collect(&g, &st, 0, 0, &err), 0);
    check_scrape(&g, &st, 0, ESCAPE_UNDERSCORES);
    gather_free(&g);
    store_wipe(&st);
    store_free(&st);
}

/*
 * A scrape compressed in small steps while the store changes between them: the body is the
 * store as it was at the gather, and nothing compressed after the change is kept (the
 * family it would be kept in may be gone).
 */
static void
test_scrape_in_steps_across_a_change(void **state)
{
    struct strbuf plain = STRBUF_INIT, gz = STRBUF_INIT;
    struct gzip_scrape *z;
    struct store st;
    struct gather g;
    char *err = NULL;
    int rc, steps = 0;

    (void)state;
    store_init(&st);
    load(&st, 200, "2.5");
    assert_int_equal(gather_collect(&g, &st, 0, 0, &err), 0);
    gather_render_text_esc(&g, ESCAPE_UNDERSCORES, &plain);
    z = gather_gzip_prepare(&g, &st, 0, ESCAPE_UNDERSCORES);
    assert_non_null(z);
    gather_free(&g);
    /* The first step keeps the first family (batch_records sorts first). */
    assert_int_equal(gather_gzip_step(z, 1000, &gz), 1);
    steps++;
    /* Now the store changes: every family of the bench groups is replaced or dropped. */
    store_wipe(&st);
    load(&st, 3, "7");
    while ((rc = gather_gzip_step(z, 1000, &gz)) == 1)
        steps++;
    assert_int_equal(rc, 0);
    assert_true(steps > 10);
    gather_gzip_free(z);
    assert_gunzips_to(&gz, plain.data, plain.len);
    /* Nothing from the old store was kept in the new store's families. */
    assert_null(idx(&st, "batch_seconds")->gz);
    assert_null(idx(&st, PUSH_TIME_NAME)->gz);
    store_free(&st);
    strbuf_free(&plain);
    strbuf_free(&gz);
}

/* Pack sb's copy of data and check everything reads back the same. Returns b->len. */
static size_t
pack_roundtrip(const char *data, size_t n)
{
    struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;
    struct rcbytes *b;
    char *raw;

    strbuf_add(&sb, data, n);
    b = rcbytes_pack(&sb);
    assert_int_equal(sb.len, 0);
    assert_int_equal(b->raw, n);
    assert_int_equal(b->refs, 1);
    raw = xmalloc(n + 1);
    rcbytes_unpack(b, raw);
    assert_memory_equal(raw, data, n);
    free(raw);
    /* Appended after what is there, whole or without its first bytes. */
    strbuf_addstr(&out, "<");
    rcbytes_append(b, 0, &out);
    rcbytes_append(b, 1, &out);
    rcbytes_append(b, n, &out);
    rcbytes_append(b, n + 5, &out);
    assert_int_equal(out.len, 1 + n + n - 1);
    assert_memory_equal(out.data + 1, data, n);
    assert_memory_equal(out.data + 1 + n, data + 1, n - 1);
    assert_int_equal(out.data[out.len], '\0');
    strbuf_free(&out);
    n = b->len;
    rcbytes_unref(b);
    return n;
}

/* Cached renderings are kept compressed when that saves, and always read back exactly. */
static void
test_packed_renderings(void **state)
{
    struct strbuf json = STRBUF_INIT;
    char noise[4096], small[] = ",{\"labels\":{\"job\":\"j\"}}";
    uint32_t x = 2463534242u;
    size_t i, len;

    (void)state;
    for (i = 0; i < 40; i++)
        strbuf_addf(&json,
                    ",{\"m_%zu\":{\"time_stamp\":\"2026-11-21T12:17:42.515473418Z\","
                    "\"type\":\"GAUGE\",\"metrics\":[{\"labels\":{\"instance\":\"host%zu\","
                    "\"job\":\"bench\"},\"value\":\"%zu\"}]}}",
                    i % 3, i, i * 7);
    len = pack_roundtrip(json.data, json.len);
#ifdef HAVE_LZ4
    assert_true(len < json.len / 2); /* repetitive JSON packs well */
#else
    assert_int_equal(len, json.len);
#endif
    for (i = 0; i < sizeof(noise); i++) { /* xorshift: does not compress */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise[i] = (char)x;
    }
    assert_int_equal(pack_roundtrip(noise, sizeof(noise)), sizeof(noise));
    assert_int_equal(pack_roundtrip(small, strlen(small)), strlen(small));
    strbuf_free(&json);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_plain_and_empty),
        cmocka_unit_test(test_writer_segments_splice_anywhere),
        cmocka_unit_test(test_decompress_errors),
        cmocka_unit_test(test_packed_renderings),
        cmocka_unit_test(test_scrape_keeps_and_drops_segments),
        cmocka_unit_test(test_scrape_in_steps_across_a_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
