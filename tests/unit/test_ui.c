/* test_ui.c - the web UI: escaping, group cards, delete paths, one-group view, embedded assets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "config.h"
#include "grouping.h"
#include "store.h"
#include "textparse.h"
#include "ui.h"
#include "xmalloc.h"

/* Push a text body into the group job/labels at time sec (PUT). */
static void
push_text(struct store *st, const char *job, const char *labels, int utf8, const char *text,
          time_t sec)
{
    struct timespec ts = {sec, 0};

    test_push(st, job, labels, utf8, text, 1, &ts);
}

static char *
render(struct store *st, const struct config *cfg, enum ui_tab tab, const char *group, int *status)
{
    struct timespec start = {1000, 0};
    struct ui_view view;

    view.tab = tab;
    view.group = group;
    return ui_render_status(st, cfg, &start, &view, status);
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

static void
test_escaping_and_cards(void **state)
{
    struct config cfg;
    struct store st;
    struct grouping_key k;
    struct timespec failed_at = {3000, 0};
    char *page, *err = NULL;
    int status;

    (void)state;
    config_defaults(&cfg);
    store_init(&st);
    push_text(&st, "<script>alert(1)</script>", "/instance/i", 0,
              "# HELP m <b>bold</b> & \"quoted\"\n# TYPE m gauge\n"
              "m{v=\"<img src=x onerror=alert(2)>'\"} 1.5\n",
              2000);
    push_text(&st, "ok", "/instance/", 0, "# TYPE c counter\nc 7\n", 2000);
    assert_int_equal(grouping_parse("ok", 0, "/instance/", 0, &k, &err), 0);
    store_push_failed(&st, &k, &failed_at);
    grouping_key_free(&k);

    page = render(&st, &cfg, UI_TAB_METRICS, NULL, &status);
    assert_int_equal(status, 200);
    assert_null(strstr(page, "<script>alert"));
    assert_null(strstr(page, "<img"));
    assert_null(strstr(page, "<b>bold"));
    assert_non_null(strstr(page, "<span class=\"b j\">job=\"&lt;script&gt;alert(1)&lt;/script&gt;\""
                                 "</span><span class=\"b\">instance=\"i\"</span>"));
    assert_non_null(
        strstr(page, "<p class=\"help\">&lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34;</p>"));
    assert_non_null(strstr(page, "v=&#34;&lt;img src=x onerror=alert(2)&gt;&#39;&#34;}"));
    assert_non_null(strstr(page, "<td class=\"v\">1.5</td>"));
    /* Links: relative to the UI prefix "."; no wipe button without the admin API. */
    assert_non_null(strstr(page, "<link rel=\"stylesheet\" href=\"./static/app.css?v="));
    assert_non_null(strstr(page, "<script defer src=\"./static/app.js?v="));
    assert_null(strstr(page, "data-act=\"wipe\""));
    /* Cards in key order ("instance\xff\xff..." sorts after "instance\xffi..."), collapsed. */
    assert_true(strstr(page, "job=\"&lt;script&gt;") < strstr(page, "job=\"ok\""));
    assert_int_equal(count(page, "<details class=\"group"), 2);
    assert_null(strstr(page, " open "));
    /* The failed group: marker, both times, the delete path with "=" for the empty value. */
    assert_int_equal(count(page, "<span class=\"fail\">Last push failed</span>"), 1);
    assert_non_null(strstr(page, "<details class=\"group failed\" data-g=\"job@base64/b2s=/"
                                 "instance@base64/=\""));
    assert_non_null(strstr(page, "failed <time class=\"r\" data-t=\"3000000\">"));
    assert_non_null(strstr(page, "last success <time class=\"r\" data-t=\"2000000\">"));
    /* The filter's search text. */
    assert_non_null(strstr(page, "data-s=\"instance= job=ok c \""));
    free(page);

    /* One-group view: the path on the card finds the group, opened. */
    page = render(&st, &cfg, UI_TAB_METRICS, "job@base64/b2s=/instance@base64/=", &status);
    assert_int_equal(status, 200);
    assert_int_equal(count(page, "<details class=\"group"), 1);
    assert_non_null(strstr(page, "<details class=\"group failed\" open data-g="));
    free(page);
    page = render(&st, &cfg, UI_TAB_METRICS, "job%40base64/b2s%3D/instance%40base64/%3D", &status);
    assert_int_equal(status, 200);
    free(page);
    page = render(&st, &cfg, UI_TAB_METRICS, "job@base64/b2s=/instance@base64/eA=", &status);
    assert_int_equal(status, 404);
    assert_int_equal(count(page, "<details class=\"group"), 0);
    free(page);
    page = render(&st, &cfg, UI_TAB_METRICS, "job/ok", &status);
    assert_int_equal(status, 404);
    free(page);

    /* Admin API: the wipe button. */
    cfg.enable_admin_api = 1;
    page = render(&st, &cfg, UI_TAB_METRICS, NULL, &status);
    assert_non_null(strstr(page, "data-act=\"wipe\">Delete all groups</button>"));
    free(page);

    /* Status tab: build information and flags, no groups. */
    page = render(&st, &cfg, UI_TAB_STATUS, NULL, &status);
    assert_int_equal(status, 200);
    assert_null(strstr(page, "<details"));
    assert_non_null(strstr(page, "<tr><th>web.enable-admin-api</th><td>true</td></tr>"));
    assert_non_null(strstr(page, "<a class=\"tab on\" aria-current=\"page\" href=\"./status\">"));
    free(page);

    store_free(&st);
    config_free(&cfg);
}

/* Every card's data-g path finds its own group again (UTF-8 names, U__ look-alikes). */
static void
test_group_paths_round_trip(void **state)
{
    struct config cfg;
    struct store st;
    char *page, *p;
    int status, n = 0;

    (void)state;
    config_defaults(&cfg);
    cfg.enable_utf8_names = 1;
    store_init(&st);
    push_text(&st, "j", "/U__dotted_2e_name/v/U__U____x/y", 1, "a 1\n", 10);
    push_text(&st, "j/with/slash?&", "/z@base64/", 1, "b 1\n", 10);
    push_text(&st, "j", "/U__caf_e9_/\xc3\xa9", 1, "c 1\n", 10);
    page = render(&st, &cfg, UI_TAB_METRICS, NULL, &status);
    assert_non_null(strstr(page, "/U__dotted_2e_name@base64/dg="));
    assert_non_null(strstr(page, "/U__U____x@base64/eQ="));
    for (p = strstr(page, "data-g=\""); p != NULL; p = strstr(p, "data-g=\"")) {
        char *end, *path, *one;
        int st1;

        p += 8;
        end = strchr(p, '"');
        path = xstrndup(p, (size_t)(end - p));
        one = render(&st, &cfg, UI_TAB_METRICS, path, &st1);
        assert_int_equal(st1, 200);
        assert_int_equal(count(one, "<details class=\"group"), 1);
        free(one);
        free(path);
        n++;
    }
    assert_int_equal(n, 3);
    free(page);
    store_free(&st);
    config_free(&cfg);
}

/* Beyond UI_INLINE_GROUPS groups, cards link to their one-group view instead. */
static void
test_lazy_cards(void **state)
{
    struct config cfg;
    struct store st;
    char labels[32], *page;
    int i, status;

    (void)state;
    config_defaults(&cfg);
    store_init(&st);
    for (i = 0; i <= UI_INLINE_GROUPS; i++) {
        snprintf(labels, sizeof(labels), "/instance/i%d", i);
        push_text(&st, "j", labels, 0, "m 1\n", 10);
    }
    page = render(&st, &cfg, UI_TAB_METRICS, NULL, &status);
    assert_int_equal(count(page, "<div class=\"gbody lazy\"><a href=\"?group=job@base64/ag=/"),
                     UI_INLINE_GROUPS + 1);
    assert_null(strstr(page, "class=\"fam\""));
    free(page);
    store_free(&st);
    config_free(&cfg);
}

static void
test_external_url_prefix(void **state)
{
    struct config cfg;
    struct store st;
    char *page;
    int status;

    (void)state;
    config_defaults(&cfg);
    free(cfg.ui_prefix);
    cfg.ui_prefix = xstrdup("/10.0.0.1/pushgateway");
    store_init(&st);
    page = render(&st, &cfg, UI_TAB_METRICS, NULL, &status);
    assert_non_null(strstr(page, "href=\"/10.0.0.1/pushgateway/static/app.css?v="));
    assert_non_null(strstr(page, "href=\"/10.0.0.1/pushgateway/status\">Status</a>"));
    free(page);
    store_free(&st);
    config_free(&cfg);
}

static void
test_assets(void **state)
{
    const struct ui_asset *a;
    char v[UI_VERSION_LEN + 1], v2[UI_VERSION_LEN + 1];
    size_t i;

    (void)state;
    assert_true(ui_nassets >= 3);
    for (i = 0; i < ui_nassets; i++) {
        assert_true(ui_assets[i].len > 0);
        assert_int_equal(ui_assets[i].data[ui_assets[i].len], 0);
        if (i > 0)
            assert_true(strcmp(ui_assets[i - 1].name, ui_assets[i].name) < 0);
    }
    a = ui_asset_find("app.js");
    assert_non_null(a);
    assert_memory_equal(a->data, "/* app.js", 9);
    assert_null(ui_asset_find("nope.js"));
    assert_null(ui_asset_find(""));
    ui_asset_version(a, v);
    ui_asset_version(a, v2);
    assert_int_equal(strlen(v), UI_VERSION_LEN);
    assert_string_equal(v, v2);
    ui_asset_version(ui_asset_find("app.css"), v2);
    assert_string_not_equal(v, v2);
    assert_string_equal(ui_asset_mime("app.css"), "text/css; charset=utf-8");
    assert_string_equal(ui_asset_mime("app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(ui_asset_mime("favicon.ico"), "image/x-icon");
    assert_string_equal(ui_asset_mime("x.svg"), "image/svg+xml");
    assert_string_equal(ui_asset_mime("README"), "application/octet-stream");
    assert_string_equal(ui_asset_mime("x.jsx"), "application/octet-stream");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping_and_cards),
        cmocka_unit_test(test_group_paths_round_trip),
        cmocka_unit_test(test_lazy_cards),
        cmocka_unit_test(test_external_url_prefix),
        cmocka_unit_test(test_assets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
