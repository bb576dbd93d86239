/* fuzz_textparse.c - libFuzzer harness for the text format parser (textparse) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metric.h"
#include "textparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check what every successful parse guarantees, so that silent corruption also stops the run. */
static void
check_families(const struct family_list *fl)
{
    size_t i, j, k;

    for (i = 0; i < fl->n; i++) {
        const struct metric_family *mf = fl->v[i];
        if (mf->nmetrics == 0 || (unsigned)mf->type > METRIC_TYPE_MAX)
            abort();
        for (j = 0; j < mf->nmetrics; j++) {
            const struct metric *m = &mf->metrics[j];
            if (m->kind != mf->type)
                abort();
            for (k = 0; k < m->nlabels; k++)
                if (!utf8_valid(m->labels[k].value, strlen(m->labels[k].value)))
                    abort();
        }
    }
}

/*
 * The input is a push body, parsed with and without --push.enable-utf8-names. The flag only
 * relaxes name validation, so a legacy success must succeed identically with it, and a
 * legacy error that is not about a name must come back unchanged.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct family_list legacy, utf8;
    char *err_legacy = NULL, *err_utf8 = NULL;
    int rc_legacy, rc_utf8;
    size_t i;

    family_list_init(&legacy);
    family_list_init(&utf8);
    rc_legacy = textparse((const char *)data, size, 0, &legacy, &err_legacy);
    rc_utf8 = textparse((const char *)data, size, 1, &utf8, &err_utf8);
    if (rc_legacy == 0) {
        if (rc_utf8 != 0 || legacy.n != utf8.n || err_legacy != NULL)
            abort();
        for (i = 0; i < legacy.n; i++)
            if (strcmp(legacy.v[i]->name, utf8.v[i]->name) != 0 ||
                legacy.v[i]->nmetrics != utf8.v[i]->nmetrics)
                abort();
        check_families(&legacy);
    } else {
        if (err_legacy == NULL || legacy.n != 0 ||
            strncmp(err_legacy, "text format parsing error in line ", 34) != 0)
            abort();
        if (strstr(err_legacy, "invalid metric name \"") == NULL &&
            strstr(err_legacy, "invalid label name \"") == NULL &&
            (err_utf8 == NULL || strcmp(err_legacy, err_utf8) != 0))
            abort();
    }
    if (rc_utf8 == 0)
        check_families(&utf8);
    else if (err_utf8 == NULL || utf8.n != 0)
        abort();
    free(err_legacy);
    free(err_utf8);
    family_list_free(&legacy);
    family_list_free(&utf8);
    return 0;
}
