/* tls.h - TLS for the HTTP server (tls_server_config): OpenSSL through libevent_openssl */
#ifndef PGW_TLS_H
#define PGW_TLS_H

#include <event2/http.h>

#include "webconfig.h"

struct tls_server;

/*
 * NULL when this build can serve TLS, else why not. TLS needs evhttp_set_bevcb (libevent
 * 2.1.8 or later; EL6 and EL7 ship 2.0) and OpenSSL 1.1.0 or later.
 */
const char *tls_unsupported_reason(void);

/*
 * Build the server side of TLS from t (which must be enabled): certificate and key (files are
 * read now), client CA and client_auth_type, protocol versions, cipher suites, curves, the
 * client_allowed_sans check. Returns the context (free with tls_server_free), or NULL with
 * *err naming the setting and the reason (caller frees).
 */
struct tls_server *tls_server_new(const struct webconfig_tls *t, char **err);

/* Serve every connection of http through ts from now on (ts must outlive http). 0 or -1. */
int tls_server_attach(struct tls_server *ts, struct evhttp *http, char **err);

void tls_server_free(struct tls_server *ts);

#endif
