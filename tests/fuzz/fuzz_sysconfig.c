/* fuzz_sysconfig.c - libFuzzer harness for the sysconfig parser and the config file loader */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_file.h"
#include "metric.h"
#include "sysconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every assignment the parser hands out must be a valid shell name and valid UTF-8. */
static int
check_pair(void *arg, unsigned line, const char *key, const char *value, char **err)
{
    unsigned *last = arg;
    size_t i;

    (void)err;
    if (line < *last || line == 0)
        abort();
    *last = line;
    if (!((key[0] >= 'A' && key[0] <= 'Z') || (key[0] >= 'a' && key[0] <= 'z') || key[0] == '_'))
        abort();
    for (i = 1; key[i] != '\0'; i++)
        if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= 'a' && key[i] <= 'z') ||
              (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
            abort();
    if (!utf8_valid(value, strlen(value)))
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_warnings w = {NULL, 0};
    struct config cfg;
    unsigned last = 0, line = 0;
    char *err = NULL;

    /* The pure parser: errors carry a line within the input and one line of text. */
    if (sysconfig_parse((const char *)data, size, check_pair, &last, &line, &err) != 0) {
        if (err == NULL || strchr(err, '\n') != NULL || line == 0)
            abort();
        free(err);
        err = NULL;
    }
    /* The loader on top: keys, PUSHGATEWAY_OPTS, option values. */
    config_defaults(&cfg);
    if (config_file_apply(&cfg, "fuzz", (const char *)data, size, &w, &err) != 0) {
        if (err == NULL || strncmp(err, "fuzz:", 5) != 0)
            abort();
        free(err);
    } else if (config_validate(&cfg, &err) != 0) {
        free(err);
    }
    config_warnings_free(&w);
    config_free(&cfg);
    return 0;
}
