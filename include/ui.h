/* ui.h - the HTML status page served at <prefix>/ and <prefix>/status */
#ifndef PGW_UI_H
#define PGW_UI_H

#include <time.h>

#include "config.h"
#include "store.h"

/*
 * Render the status page: one section per group in grouping-key order (job first, then the
 * other grouping labels), a marker when the last push failed, each family with its type,
 * HELP, push time and series. Every pushed string is HTML-escaped. Caller frees.
 */
char *ui_render_status(struct store *st, const struct config *cfg, const struct timespec *start);

#endif
