/* http.h - the HTTP front end: evhttp server, routing (spec §2, §3) and the handlers */
#ifndef PGW_HTTP_H
#define PGW_HTTP_H

#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "storage.h"
#include "store.h"

/* Application state the handlers work on; owned by main, borrowed by the server. */
struct gateway {
    const struct config *cfg;
    struct store *store;
    struct timespec start_time;
    struct event_base *base;
    int store_unchecked;     /* non-zero once a push was applied without the consistency check */
    struct storage *storage; /* where mutations are recorded before they are applied (storage.h) */
    void (*shutdown)(struct gateway *gw, const char *reason); /* graceful stop (SIGTERM, /-/quit) */
};

struct http_server;

/* Create the server for gw (routes built from gw->cfg). Returns NULL with *err on failure. */
struct http_server *http_server_new(struct gateway *gw, char **err);

/*
 * Listen on one --web.listen-address value (":9091", "127.0.0.1:9091", "[::1]:0",
 * "localhost:9091"). Returns 0, or -1 with *err (caller frees). The port actually bound is
 * logged, so port 0 can be used by tests.
 */
int http_server_listen(struct http_server *hs, const char *address, char **err);

/*
 * Check --web.config.file (when set) as start-up will use it: the YAML, the password hashes
 * against this platform's crypt(), TLS support and the certificate and key. 0, or -1 with
 * *err ("--web.config.file: <path>: <reason>"; caller frees).
 */
int http_web_config_check(const struct config *cfg, char **err);

/* Check the syntax of a --web.listen-address value without binding. 0, or -1 with *err. */
int http_listen_address_check(const char *address, char **err);

/*
 * Serve on fd, an already bound and listening stream socket (systemd socket activation).
 * The server owns fd from then on. Returns 0, or -1 with *err (caller frees).
 */
int http_server_listen_fd(struct http_server *hs, int fd, char **err);

/* Stop accepting new connections (graceful shutdown keeps serving open ones briefly). */
void http_server_close_listeners(struct http_server *hs);
void http_server_free(struct http_server *hs);

#endif
