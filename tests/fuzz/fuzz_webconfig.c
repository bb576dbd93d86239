/* fuzz_webconfig.c - libFuzzer harness for the web configuration parser and basic-auth header */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a successful parse guarantees to the rest of the gateway. */
static void
check_result(const struct webconfig *wc)
{
    const struct webconfig_tls *t = &wc->tls;
    char *err = NULL;
    size_t i;

    for (i = 0; i < wc->nusers; i++) {
        enum webconfig_hash s;

        if (webconfig_hash_check(wc->users[i].hash, &s, &err) != 0 || s != wc->users[i].scheme)
            abort();
        if (strchr(wc->users[i].name, ':') != NULL)
            abort();
        if (i > 0 && strcmp(wc->users[i - 1].name, wc->users[i].name) >= 0)
            abort(); /* sorted, no duplicates */
    }
    for (i = 0; i < wc->nheaders; i++)
        if (wc->headers[i].value[0] == '\0' || strpbrk(wc->headers[i].value, "\r\n") != NULL)
            abort();
    if (t->enabled && ((t->cert_file == NULL && t->cert == NULL) ||
                       (t->key_file == NULL && t->key == NULL) || t->min_version > t->max_version))
        abort();
    if (t->min_version < WEBCONFIG_TLS10 || t->max_version > WEBCONFIG_TLS13)
        abort();
    if (wc->rate_interval < 0 || wc->rate_burst < 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct webconfig wc;
    char *err = NULL, *text, *user = NULL, *pass = NULL;
    size_t ulen, plen;

    webconfig_init(&wc);
    if (webconfig_parse((const char *)data, size, "/fuzz", &wc, &err) != 0) {
        /* Errors are one line of printable text. */
        if (err == NULL || strchr(err, '\n') != NULL)
            abort();
        free(err);
    } else {
        if (err != NULL)
            abort();
        check_result(&wc);
    }
    webconfig_free(&wc);

    /* The same bytes as an Authorization header. */
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (webconfig_parse_basic_auth(text, &user, &ulen, &pass, &plen) == 0) {
        if (strlen(user) > ulen || memchr(user, ':', ulen) != NULL)
            abort();
        free(user);
        free(pass);
    }
    free(text);
    return 0;
}
