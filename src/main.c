/* main.c - pushgateway: start-up, signals, event loop, shutdown */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "selfmetrics.h"
#include "store.h"
#include "version.h"
#include "xmalloc.h"

static struct http_server *server;

/* Graceful stop: stop accepting, let in-flight replies go out, leave the loop. */
static void
gateway_shutdown(struct gateway *gw, const char *reason)
{
    struct timeval drain = {0, 100000};

    log_info(reason);
    if (server != NULL)
        http_server_close_listeners(server);
    event_base_loopexit(gw->base, &drain);
}

static void
signal_cb(evutil_socket_t sig, short events, void *arg)
{
    struct gateway *gw = arg;

    (void)events;
    if (sig == SIGHUP) {
        log_info("received SIGHUP: nothing to reload");
        return;
    }
    gateway_shutdown(gw, sig == SIGINT ? "received SIGINT, exiting gracefully"
                                       : "received SIGTERM, exiting gracefully");
}

int
main(int argc, char **argv)
{
    struct config cfg;
    struct store st;
    struct gateway gw;
    struct event *sigs[3];
    static const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
    char *err = NULL;
    size_t i;
    int rc;

    config_defaults(&cfg);
    rc = config_parse_args(&cfg, argc, argv, &err);
    if (rc == 1) {
        config_free(&cfg);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "pushgateway: %s\n", err);
        free(err);
        config_free(&cfg);
        return 2;
    }
    log_init(cfg.log_level, cfg.log_format);
    log_info("starting pushgateway", "version", PGW_VERSION, "revision", PGW_REVISION,
             "compatible_with", PGW_UPSTREAM_VERSION);
    signal(SIGPIPE, SIG_IGN);

    memset(&gw, 0, sizeof(gw));
    gw.cfg = &cfg;
    gw.store = &st;
    gw.shutdown = gateway_shutdown;
    clock_gettime(CLOCK_REALTIME, &gw.start_time);
    gw.base = event_base_new();
    if (gw.base == NULL) {
        log_error("cannot create the event loop");
        return 1;
    }
    store_init(&st);
    selfmetrics_init();
    if (cfg.persistence_file[0] != '\0')
        log_warn("persistence is not available in this build; metrics are kept in memory only",
                 "file", cfg.persistence_file);

    server = http_server_new(&gw, &err);
    if (server == NULL) {
        log_error("cannot start the HTTP server", "err", err);
        return 1;
    }
    for (i = 0; i < cfg.nlisten_addresses; i++) {
        if (http_server_listen(server, cfg.listen_addresses[i], &err) != 0) {
            log_error("error starting HTTP server", "err", err);
            free(err);
            http_server_free(server);
            return 1;
        }
    }
    for (i = 0; i < 3; i++) {
        sigs[i] = evsignal_new(gw.base, signums[i], signal_cb, &gw);
        event_add(sigs[i], NULL);
    }

    event_base_dispatch(gw.base);

    for (i = 0; i < 3; i++)
        event_free(sigs[i]);
    http_server_free(server);
    server = NULL;
    store_free(&st);
    selfmetrics_free();
    event_base_free(gw.base);
    config_free(&cfg);
    log_info("pushgateway stopped");
    return 0;
}
