/* ui.h - the web UI: the HTML page at <prefix>/ and <prefix>/status, and its embedded assets */
#ifndef PGW_UI_H
#define PGW_UI_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "store.h"

/*
 * Which tab the page shows: the groups (<prefix>/) or the build information, start time and
 * flags (<prefix>/status). The tabs are links between the two routes, so they work without JS.
 */
enum ui_tab {
    UI_TAB_METRICS,
    UI_TAB_STATUS,
};

/* Stores with more groups than this get the family tables of a group only when it is opened. */
#define UI_INLINE_GROUPS 500

/* What to render. */
struct ui_view {
    enum ui_tab tab;
    /*
     * Metrics tab: NULL for every group, or the query value group=<path> (still percent-encoded)
     * naming one group as its delete URL does after "metrics/": job@base64/<b64>=/<name>@base64/...
     * Only that group is shown, opened; the page's script loads group bodies this way.
     */
    const char *group;
};

/*
 * Render the page (spec §10), server-side so it works without JavaScript. The metrics tab has
 * one collapsed <details> card per group in grouping-key order: the job badge, the other
 * grouping labels, a "Last push failed" marker with the failure and success times, then each
 * family with its type, HELP, push time and series (exposition formatting). Beyond
 * UI_INLINE_GROUPS groups a card holds a link to its one-group view instead of the families.
 * Every pushed string is HTML-escaped. Links to assets and tabs start with cfg->ui_prefix;
 * request URLs of the page's script are relative (metrics/job@base64/..., api/v1/admin/wipe).
 * The "Delete all groups" button is only there with cfg->enable_admin_api. *status is 200, or
 * 404 when view->group names no stored group. Caller frees.
 */
char *ui_render_status(struct store *st, const struct config *cfg, const struct timespec *start,
                       const struct ui_view *view, int *status);

/* A file of ui/static/, embedded in the binary by cmake/embed_assets.cmake (ui_assets.c). */
struct ui_asset {
    const char *name;          /* file name, e.g. "app.css" */
    const unsigned char *data; /* contents, followed by a NUL byte that len does not count */
    size_t len;
};

/* The generated table, sorted by name. */
extern const struct ui_asset ui_assets[];
extern const size_t ui_nassets;

/* The embedded asset with this file name (no directories), or NULL. */
const struct ui_asset *ui_asset_find(const char *name);

/* Content-Type for a file name, chosen by its extension (application/octet-stream if unknown). */
const char *ui_asset_mime(const char *name);

#define UI_VERSION_LEN 16

/*
 * The asset's version: 16 hex digits of a hash of its contents (NUL-terminated in buf). Links
 * carry it as ?v=<version>, and the quoted form is the ETag.
 */
void ui_asset_version(const struct ui_asset *a, char buf[UI_VERSION_LEN + 1]);

#endif
