/* main.c - pushgateway: start-up, signals, event loop, shutdown */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "config_file.h"
#include "daemon.h"
#include "expiry.h"
#include "http.h"
#include "log.h"
#include "selfmetrics.h"
#include "storage.h"
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
    daemon_notify("STOPPING=1\nSTATUS=shutting down");
    if (server != NULL)
        http_server_close_listeners(server);
    event_base_loopexit(gw->base, &drain);
}

/* Flush the journal and write a snapshot now (SIGHUP, shutdown); failures are logged. */
static int
storage_checkpoint(struct gateway *gw, const char *why)
{
    char *err = NULL;

    if (storage_flush(gw->storage, &err) != 0) {
        log_error("storage flush failed", "reason", why, "err", err != NULL ? err : "unknown");
        free(err);
        err = NULL;
    }
    if (storage_snapshot(gw->storage, gw->store, &err) != 0) {
        log_error("storage snapshot failed", "reason", why, "err", err != NULL ? err : "unknown");
        free(err);
        return -1;
    }
    return 0;
}

static void
signal_cb(evutil_socket_t sig, short events, void *arg)
{
    struct gateway *gw = arg;

    (void)events;
    if (sig == SIGHUP) {
        char *err = NULL;
        int reopened;

        /* Reopen the log file first: logrotate has just moved it. */
        reopened = log_reopen(&err);
        if (reopened < 0) {
            log_error("cannot reopen the log file; still writing to the old one", "err", err);
            free(err);
        } else if (reopened > 0) {
            log_info("received SIGHUP: log file reopened");
        }
        log_info("received SIGHUP: flushing the journal and writing a snapshot");
        if (storage_checkpoint(gw, "SIGHUP") == 0)
            log_info("snapshot written");
        return;
    }
    gateway_shutdown(gw, sig == SIGINT ? "received SIGINT, exiting gracefully"
                                       : "received SIGTERM, exiting gracefully");
}

/* A configuration error: one line on stderr; exit 1 under --config.check, else 2. */
static int
config_failed(struct config *cfg, struct config_warnings *w, char *err, int check)
{
    fprintf(stderr, "pushgateway: %s\n", err);
    free(err);
    config_warnings_free(w);
    config_free(cfg);
    return check ? 1 : 2;
}

/* Make a relative path absolute: --daemon changes to "/" once serving. */
static void
absolutize(char **path)
{
    char cwd[4096];
    char *abs;

    if ((*path)[0] == '\0' || (*path)[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
        return;
    abs = xasprintf("%s/%s", cwd, *path);
    free(*path);
    *path = abs;
}

/* A start-up failure (log_set_stderr_echo shows it on stderr too). */
static void
start_failed(const char *msg, const char *err)
{
    log_error(msg, "err", err);
}

/* Listen on the descriptors systemd passed (--web.systemd-socket). */
static int
listen_activated(struct http_server *hs, char **err)
{
    size_t i, n;
    int *fds;

    if (daemon_listen_fds(&fds, &n, err) != 0)
        return -1;
    if (n == 0) {
        *err = xstrdup("no socket activation file descriptors found");
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (http_server_listen_fd(hs, fds[i], err) != 0) {
            free(fds);
            return -1;
        }
    }
    free(fds);
    return 0;
}

/* Tell systemd (Type=notify) that the gateway serves. */
static void
notify_ready(const struct config *cfg)
{
    char *state = xasprintf(
        "READY=1\nSTATUS=serving on %s%s\nMAINPID=%ld",
        cfg->systemd_socket ? "socket-activated listeners" : cfg->listen_addresses[0],
        !cfg->systemd_socket && cfg->nlisten_addresses > 1 ? " and more" : "", (long)getpid());

    if (daemon_notify(state) < 0)
        log_warn("cannot notify systemd", "socket", getenv("NOTIFY_SOCKET"));
    free(state);
}

/* Start-up failed at the storage step: release what was built so far, return status. */
static int
storage_abort(struct gateway *gw, struct config *cfg, int status)
{
    storage_free(gw->storage);
    gw->storage = NULL;
    store_free(gw->store);
    selfmetrics_free();
    event_base_free(gw->base);
    config_free(cfg);
    return status;
}

/*
 * The event loop. With epoll, changes of interest are batched per loop iteration
 * (EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST): evhttp turns reading off and on again around
 * every reply, which otherwise costs two epoll_ctl calls per request. The flag is unsafe only
 * with descriptors shared through dup(), which the gateway never watches.
 */
static struct event_base *
event_base_new_fast(void)
{
    struct event_config *ec = event_config_new();
    struct event_base *base;

    if (ec == NULL)
        return event_base_new();
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base = event_base_new_with_config(ec);
    event_config_free(ec);
    return base != NULL ? base : event_base_new();
}

int
main(int argc, char **argv)
{
    struct config cfg;
    struct store st;
    struct gateway gw;
    struct event *sigs[3];
    static const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
    struct config_warnings warnings = {NULL, 0};
    struct expiry *expiry = NULL;
    const char *cfg_file;
    char *err = NULL;
    size_t i;
    int rc, check;
    pid_t running;

#ifdef __GLIBC__
    /*
     * Response buffers of megabytes come and go with every scrape. A fixed threshold keeps
     * them in their own mappings, returned to the system when freed; glibc's adaptive one
     * would move them onto the heap after the first, where they stay resident.
     */
    mallopt(M_MMAP_THRESHOLD, 512 * 1024);
#endif
    /* Precedence: defaults < --config.file (keys, then PUSHGATEWAY_OPTS) < command line. */
    config_defaults(&cfg);
    cfg_file = config_file_from_args(argc, argv, &check);
    if (cfg_file != NULL && config_file_load(&cfg, cfg_file, &warnings, &err) != 0)
        return config_failed(&cfg, &warnings, err, check);
    rc = config_parse_args(&cfg, argc, argv, &err);
    if (rc == 1) {
        config_warnings_free(&warnings);
        config_free(&cfg);
        return 0;
    }
    if (rc != 0 || config_validate(&cfg, &err) != 0 || http_web_config_check(&cfg, &err) != 0)
        return config_failed(&cfg, &warnings, err, check || cfg.config_check);
    if (cfg.config_check) {
        for (i = 0; i < warnings.n; i++)
            fprintf(stderr, "pushgateway: warning: %s\n", warnings.v[i]);
        printf("pushgateway: configuration OK\n");
        config_warnings_free(&warnings);
        config_free(&cfg);
        return 0;
    }

    log_init(cfg.log_level, cfg.log_format);
    if (cfg.log_file[0] != '\0' && log_open_file(cfg.log_file, &err) != 0) {
        fprintf(stderr, "pushgateway: --log.file: %s\n", err);
        free(err);
        config_warnings_free(&warnings);
        config_free(&cfg);
        return 1;
    }
    if (cfg.log_syslog)
        log_open_syslog("pushgateway");
    log_set_stderr_echo(1);
    for (i = 0; i < warnings.n; i++)
        log_warn("configuration file", "warning", warnings.v[i]);
    config_warnings_free(&warnings);
    if (cfg.pid_file[0] != '\0' && (running = daemon_pidfile_running(cfg.pid_file)) != 0) {
        char *what =
            xasprintf("pid file %s names running process %ld", cfg.pid_file, (long)running);

        log_error("already running", "err", what);
        free(what);
        config_free(&cfg);
        log_close();
        return 1;
    }
    /* Fork before anything else starts, so whatever storage sets up lives in the daemon. */
    if (cfg.daemon) {
        absolutize(&cfg.pid_file);
        absolutize(&cfg.persistence_file);
        if (daemon_start(&err) != 0) {
            start_failed("cannot run in the background", err);
            free(err);
            return 1;
        }
    }
    log_info("starting pushgateway", "version", PGW_VERSION, "revision", PGW_REVISION,
             "compatible_with", PGW_UPSTREAM_VERSION);
    signal(SIGPIPE, SIG_IGN);

    memset(&gw, 0, sizeof(gw));
    gw.cfg = &cfg;
    gw.store = &st;
    gw.shutdown = gateway_shutdown;
    clock_gettime(CLOCK_REALTIME, &gw.start_time);
    gw.base = event_base_new_fast();
    if (gw.base == NULL) {
        log_error("cannot create the event loop");
        return 1;
    }
    store_init(&st);
    /* Before recovery: groups that follow the default get their deadlines as they load. */
    store_set_default_ttl(&st, cfg.push_group_ttl);
    selfmetrics_init();

    /* Recover the stored state before any port is bound. */
    gw.storage = storage_new(&cfg, &err);
    if (gw.storage == NULL) {
        fprintf(stderr, "pushgateway: --storage.backend: %s\n", err);
        log_error("cannot set up storage", "err", err);
        free(err);
        return storage_abort(&gw, &cfg, 2);
    }
    if (strcmp(gw.storage->ops->name, "memory") == 0 && cfg.persistence_file[0] != '\0')
        log_warn("--storage.backend=memory: --persistence.file is ignored", "file",
                 cfg.persistence_file);
    if (storage_open(gw.storage, &st, &err) != 0) {
        start_failed("cannot recover the stored state", err);
        free(err);
        return storage_abort(&gw, &cfg, 1);
    }
    {
        struct storage_stats ss;

        storage_stats(gw.storage, &ss);
        if (ss.store_unchecked)
            gw.store_unchecked = 1;
    }
#ifdef __GLIBC__
    /* Replaying a long journal churns the heap; give its free pages back to the system. */
    malloc_trim(0);
#endif
    selfmetrics_set_storage(gw.storage);
    if (storage_start(gw.storage, gw.base, &st) != 0) {
        start_failed("cannot set up storage", "cannot attach it to the event loop");
        selfmetrics_set_storage(NULL);
        return storage_abort(&gw, &cfg, 1);
    }
    /* Expiry of stale groups (docs/ttl.md); idle unless some group has a TTL. */
    expiry = expiry_new(&st, gw.storage);
    if (expiry_start(expiry, gw.base) != 0) {
        start_failed("cannot set up group expiry", "cannot attach it to the event loop");
        expiry_free(expiry);
        selfmetrics_set_storage(NULL);
        return storage_abort(&gw, &cfg, 1);
    }
    selfmetrics_set_expiry(expiry);
    if (cfg.push_group_ttl > 0 || store_expiring_count(&st) > 0) {
        char ttl[32], n[32];

        go_duration_format(cfg.push_group_ttl, ttl);
        snprintf(n, sizeof(n), "%zu", store_expiring_count(&st));
        log_info("stale groups expire", "default_ttl", ttl, "groups_with_ttl", n);
    }

    server = http_server_new(&gw, &err);
    if (server == NULL) {
        log_error("cannot start the HTTP server", "err", err);
        return 1;
    }
    if (cfg.systemd_socket) {
        if (listen_activated(server, &err) != 0) {
            start_failed("error starting HTTP server", err);
            free(err);
            http_server_free(server);
            config_free(&cfg);
            return 1;
        }
    }
    for (i = 0; !cfg.systemd_socket && i < cfg.nlisten_addresses; i++) {
        if (http_server_listen(server, cfg.listen_addresses[i], &err) != 0) {
            start_failed("error starting HTTP server", err);
            free(err);
            http_server_free(server);
            config_free(&cfg);
            return 1;
        }
    }
    for (i = 0; i < 3; i++) {
        sigs[i] = evsignal_new(gw.base, signums[i], signal_cb, &gw);
        event_add(sigs[i], NULL);
    }
    /* Serving: pid file, then let the init script go on, then tell systemd. */
    if (cfg.pid_file[0] != '\0' && daemon_pidfile_write(cfg.pid_file, &err) != 0) {
        start_failed("cannot write the pid file", err);
        free(err);
        http_server_free(server);
        config_free(&cfg);
        return 1;
    }
    daemon_detach();
    log_set_stderr_echo(0);
    notify_ready(&cfg);

    event_base_dispatch(gw.base);

    for (i = 0; i < 3; i++)
        event_free(sigs[i]);
    selfmetrics_set_expiry(NULL);
    expiry_free(expiry);
    /* Answer replies still waiting for a group commit, then the final snapshot. */
    storage_stop(gw.storage);
    storage_checkpoint(&gw, "shutdown");
    http_server_free(server);
    server = NULL;
    selfmetrics_set_storage(NULL);
    storage_free(gw.storage);
    store_free(&st);
    selfmetrics_free();
    event_base_free(gw.base);
    daemon_pidfile_remove(cfg.pid_file);
    config_free(&cfg);
    log_info("pushgateway stopped");
    log_close();
    return 0;
}
