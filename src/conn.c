/* conn.c - the connection gate: connection cap, read deadline, pausing on accept() errors */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "conn.h"
#include "log.h"
#include "selfmetrics.h"
#include "xmalloc.h"

/* Descriptors kept free for everything but connections (storage, logs, /proc, listeners). */
#define FD_RESERVE 128
/* Rejected connections drained before closing (so the 503 is not lost to a reset), at most. */
#define MAX_LINGER 64
#define LINGER_SECONDS 2
/* A request "starts" when data arrives this long after the previous one was read (jiffies). */
#define START_SLACK_MS 50
/* At the cap, closed connections are looked for at most this often (a flood costs no more). */
#define PURGE_MS 100
/* Accept backoff after an accept() error: first and longest pause. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000

/* One accepted connection, indexed by its descriptor. */
struct conn_slot {
    dev_t dev;        /* identity of the accepted socket: it is gone when the fd no longer has it */
    ino_t ino;        /* 0 = free slot */
    int64_t ready_ms; /* accepted, or its last request arrived (monotonic ms) */
    int64_t start_ms; /* first byte of the next request seen; 0 = not yet */
    struct bufferevent *bev; /* evhttp's, known once a request arrived: pending output */
    int closing;             /* shut down by the read deadline; waiting for evhttp to close it */
};

/* A hooked listener: the gate's accept callback forwards to evhttp's. */
struct gate_listener {
    struct conn_gate *g;
    struct evconnlistener *lev;
    evconnlistener_cb evhttp_cb; /* NULL when the hook failed (backoff only) */
    void *evhttp_arg;
};

/* A rejected connection being drained until the client has read the 503. */
struct lingerer {
    struct conn_gate *g;
    int fd;
    struct event *ev;
    int64_t since_ms;
    struct lingerer *next;
};

struct conn_gate {
    struct event_base *base;
    uint64_t max;         /* --web.max-connections; 0 = no cap */
    int64_t read_timeout; /* ms */
    int tls;
    struct conn_slot *slots;
    size_t nslots;
    size_t count; /* used slots */
    struct gate_listener **listeners;
    size_t nlisteners;
    struct event *sweep_ev;
    struct event *resume_ev;
    int backoff_ms;
    time_t last_warn;
    struct lingerer *lingering;
    size_t nlingering;
    int64_t last_purge_ms;       /* the cap purges closed slots at most every PURGE_MS */
    struct conn_gate *next_gate; /* every gate, for the error callback's lookup */
};

static struct conn_gate *gates;

/* Monotonic milliseconds. */
static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Release a slot (the connection is gone). */
static void
slot_clear(struct conn_gate *g, int fd)
{
    if (g->slots[fd].ino != 0)
        g->count--;
    memset(&g->slots[fd], 0, sizeof(g->slots[fd]));
}

/* Is the socket recorded in slot fd still open on that descriptor? */
static int
slot_alive(const struct conn_gate *g, int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && st.st_ino == g->slots[fd].ino && st.st_dev == g->slots[fd].dev;
}

/* Has the client sent data since its last request arrived? Then the next request started. */
static void
detect_start(struct conn_slot *s, int fd, int64_t now)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < (socklen_t)(offsetof(struct tcp_info, tcpi_last_data_recv) +
                          sizeof(ti.tcpi_last_data_recv))) {
        /* Not TCP: the deadline runs from the end of the previous request. */
        s->start_ms = s->ready_ms;
        return;
    }
    if (now - (int64_t)ti.tcpi_last_data_recv > s->ready_ms + START_SLACK_MS)
        s->start_ms = now - (int64_t)ti.tcpi_last_data_recv;
}

/* Close a connection whose request did not arrive in time: 408 on plain HTTP, then EOF. */
static void
expire(struct conn_gate *g, int fd)
{
    static const char reply[] = "HTTP/1.1 408 Request Timeout\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Connection: close\r\n"
                                "Content-Length: 41\r\n"
                                "\r\n"
                                "request not received within read timeout\n";

    if (!g->tls)
        (void)!send(fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    /* evhttp sees end of input, fails the request and frees the connection, closing fd. */
    shutdown(fd, SHUT_RDWR);
    g->slots[fd].closing = 1;
    selfmetrics_count_limit_hit(LIMIT_HIT_READ_TIMEOUT);
    log_debug("connection closed: request not received within --web.read-timeout");
}

/* Purge closed connections and, with deadlines, close the late ones. */
static void
sweep(struct conn_gate *g, int deadlines)
{
    int64_t now = now_ms();
    size_t fd;

    for (fd = 0; fd < g->nslots; fd++) {
        struct conn_slot *s = &g->slots[fd];

        if (s->ino == 0)
            continue;
        if (!slot_alive(g, (int)fd)) {
            slot_clear(g, (int)fd);
            continue;
        }
        if (!deadlines || s->closing)
            continue;
        if (s->start_ms == 0)
            detect_start(s, (int)fd, now);
        if (s->start_ms != 0 && now - s->start_ms > g->read_timeout &&
            (s->bev == NULL || evbuffer_get_length(bufferevent_get_output(s->bev)) == 0))
            expire(g, (int)fd);
    }
}

/* The periodic sweep. */
static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn_gate *g = arg;

    (void)fd;
    (void)what;
    if (g->count > 0)
        sweep(g, 1);
}

/* Drain a rejected connection; close it at EOF, on an error or after LINGER_SECONDS. */
static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lingerer *l = arg, **pp;
    struct conn_gate *g = l->g;
    char buf[4096];
    int done = (what & EV_TIMEOUT) != 0;

    while (!done) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        done = 1;
    }
    if (!done && now_ms() - l->since_ms < LINGER_SECONDS * 1000)
        return;
    for (pp = &g->lingering; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            g->nlingering--;
            break;
        }
    }
    event_free(l->ev);
    close(l->fd);
    free(l);
}

/* Refuse a connection beyond the cap: 503 on plain HTTP (then drain and close), else close. */
static void
reject(struct conn_gate *g, int fd)
{
    static const char reply[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "X-Content-Type-Options: nosniff\r\n"
                                "Connection: close\r\n"
                                "Content-Length: 26\r\n"
                                "\r\n"
                                "too many open connections\n";
    struct timeval tv = {LINGER_SECONDS, 0};
    struct lingerer *l;

    selfmetrics_count_limit_hit(LIMIT_HIT_CONNECTIONS);
    if (g->tls) {
        close(fd);
        return;
    }
    (void)!send(fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_WR);
    if (g->nlingering >= MAX_LINGER) {
        close(fd); /* the client may see a reset instead of the answer */
        return;
    }
    l = xcalloc(1, sizeof(*l));
    l->g = g;
    l->fd = fd;
    l->since_ms = now_ms();
    l->ev = event_new(g->base, fd, EV_READ | EV_PERSIST, linger_cb, l);
    if (l->ev == NULL || event_add(l->ev, &tv) != 0) {
        if (l->ev != NULL)
            event_free(l->ev);
        free(l);
        close(fd);
        return;
    }
    l->next = g->lingering;
    g->lingering = l;
    g->nlingering++;
}

/* Every accepted socket comes here first, then goes on to evhttp. */
static void
gate_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen,
               void *arg)
{
    struct gate_listener *gl = arg;
    struct conn_gate *g = gl->g;
    struct stat st;

    g->backoff_ms = BACKOFF_MIN_MS;
    if (g->max != 0 && g->count >= g->max) {
        int64_t now = now_ms();

        if (now - g->last_purge_ms >= PURGE_MS) {
            g->last_purge_ms = now;
            sweep(g, 0);
        }
    }
    if (g->max != 0 && g->count >= g->max) {
        reject(g, fd);
        return;
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return;
    }
    if ((size_t)fd >= g->nslots) {
        size_t n = g->nslots > 0 ? g->nslots : 64;

        while (n <= (size_t)fd)
            n *= 2;
        g->slots = xreallocarray(g->slots, n, sizeof(*g->slots));
        memset(g->slots + g->nslots, 0, (n - g->nslots) * sizeof(*g->slots));
        g->nslots = n;
    }
    slot_clear(g, fd); /* a stale entry: that connection closed and the number was reused */
    g->slots[fd].dev = st.st_dev;
    g->slots[fd].ino = st.st_ino != 0 ? st.st_ino : 1;
    g->slots[fd].ready_ms = now_ms();
    g->count++;
    gl->evhttp_cb(lev, fd, sa, socklen, gl->evhttp_arg);
}

/* Resume accepting after a pause. */
static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn_gate *g = arg;
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < g->nlisteners; i++)
        evconnlistener_enable(g->listeners[i]->lev);
}

/*
 * accept() failed for another reason than a retry (EMFILE, ENFILE, ENOBUFS, ...): stop
 * accepting for a while instead of being woken again at once, which libevent 2.0 would do
 * forever. Connections in the kernel's backlog wait; they are accepted when descriptors free.
 */
static void
gate_error_cb(struct evconnlistener *lev, void *arg)
{
    int err = EVUTIL_SOCKET_ERROR();
    struct conn_gate *g;
    struct timeval tv;
    time_t now = time(NULL);
    size_t i;

    (void)arg;
    for (g = gates; g != NULL; g = g->next_gate) {
        for (i = 0; i < g->nlisteners; i++)
            if (g->listeners[i]->lev == lev)
                break;
        if (i < g->nlisteners)
            break;
    }
    if (g == NULL) {
        evconnlistener_disable(lev); /* not ours any more: never spin */
        return;
    }
    selfmetrics_count_limit_hit(LIMIT_HIT_FDS);
    if (now - g->last_warn >= 10) {
        char ms[16], open[32];

        snprintf(ms, sizeof(ms), "%d", g->backoff_ms);
        snprintf(open, sizeof(open), "%zu", g->count);
        log_warn("accept failed; not accepting connections for a moment", "err", strerror(err),
                 "pause_ms", ms, "open_connections", open);
        g->last_warn = now;
    }
    for (i = 0; i < g->nlisteners; i++)
        evconnlistener_disable(g->listeners[i]->lev);
    if (g->count > 0)
        sweep(g, 0);
    tv.tv_sec = g->backoff_ms / 1000;
    tv.tv_usec = (g->backoff_ms % 1000) * 1000;
    event_add(g->resume_ev, &tv);
    g->backoff_ms = g->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : g->backoff_ms * 2;
}

/* Make room for max connections in the descriptor limit (raise the soft limit if we may). */
static void
raise_fd_limit(uint64_t max)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)(max + FD_RESERVE);

    if (max == 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        struct rlimit want = rl;

        want.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        char have[32], want_s[32];

        snprintf(have, sizeof(have), "%llu", (unsigned long long)rl.rlim_cur);
        snprintf(want_s, sizeof(want_s), "%llu", (unsigned long long)need);
        log_warn("the open file limit is below --web.max-connections plus a reserve: accepting "
                 "pauses when descriptors run out",
                 "limit", have, "wanted", want_s);
    }
}

struct conn_gate *
conn_gate_new(struct event_base *base, const struct config *cfg, int tls)
{
    struct conn_gate *g = xcalloc(1, sizeof(*g));
    struct timeval tv;

    g->base = base;
    g->max = cfg->max_connections;
    g->read_timeout = cfg->read_timeout / 1000000;
    g->tls = tls;
    g->backoff_ms = BACKOFF_MIN_MS;
    g->resume_ev = evtimer_new(base, resume_cb, g);
    g->sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, g);
    /* The deadline is checked at this granularity: a quarter second for short timeouts. */
    tv.tv_sec = g->read_timeout <= 5000 ? 0 : 1;
    tv.tv_usec = g->read_timeout <= 5000 ? 250000 : 0;
    if (g->resume_ev == NULL || g->sweep_ev == NULL || event_add(g->sweep_ev, &tv) != 0) {
        log_error("cannot create the connection gate's timers");
        abort();
    }
    raise_fd_limit(g->max);
    g->next_gate = gates;
    gates = g;
    return g;
}

/*
 * The first members of libevent's private struct evconnlistener (listener.c), identical in
 * 2.0.x and 2.1.x: the only way to reach evhttp's accept callback, which evhttp_bind_listener
 * installs and keeps private. The hook checks the layout against values it knows (its own
 * error callback and evhttp as the user data) before it trusts the callback pointer.
 */
struct lev_head {
    const void *ops;
    void *lock;
    evconnlistener_cb cb;
    evconnlistener_errorcb errorcb;
    void *user_data;
};

int
conn_gate_hook(struct conn_gate *g, struct evhttp *http, struct evhttp_bound_socket *bs)
{
    struct evconnlistener *lev = evhttp_bound_socket_get_listener(bs);
    struct gate_listener *gl;
    struct lev_head head;

    if (lev == NULL)
        return -1;
    gl = xcalloc(1, sizeof(*gl));
    gl->g = g;
    gl->lev = lev;
    g->listeners = xreallocarray(g->listeners, g->nlisteners + 1, sizeof(*g->listeners));
    g->listeners[g->nlisteners++] = gl;
    evconnlistener_set_error_cb(lev, gate_error_cb);
    memcpy(&head, lev, sizeof(head));
    if (head.errorcb != gate_error_cb || head.user_data != (void *)http || head.cb == NULL) {
        log_warn("cannot hook this libevent's connection listener: --web.max-connections and "
                 "--web.read-timeout are not enforced");
        return -1;
    }
    gl->evhttp_cb = head.cb;
    gl->evhttp_arg = head.user_data;
    evconnlistener_set_cb(lev, gate_accept_cb, gl);
    return 0;
}

void
conn_gate_unhook_all(struct conn_gate *g)
{
    size_t i;

    event_del(g->resume_ev);
    for (i = 0; i < g->nlisteners; i++)
        free(g->listeners[i]);
    free(g->listeners);
    g->listeners = NULL;
    g->nlisteners = 0;
}

void
conn_gate_request(struct conn_gate *g, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev;
    int fd;

    if (evcon == NULL)
        return;
    bev = evhttp_connection_get_bufferevent(evcon);
    fd = bev != NULL ? (int)bufferevent_getfd(bev) : -1;
    if (fd < 0 || (size_t)fd >= g->nslots || g->slots[fd].ino == 0)
        return;
    g->slots[fd].ready_ms = now_ms();
    g->slots[fd].start_ms = 0;
    g->slots[fd].bev = bev;
}

size_t
conn_gate_open(struct conn_gate *g)
{
    if (g->count > 0)
        sweep(g, 0);
    return g->count;
}

void
conn_gate_free(struct conn_gate *g)
{
    struct conn_gate **pp;

    if (g == NULL)
        return;
    for (pp = &gates; *pp != NULL; pp = &(*pp)->next_gate) {
        if (*pp == g) {
            *pp = g->next_gate;
            break;
        }
    }
    conn_gate_unhook_all(g);
    while (g->lingering != NULL) {
        struct lingerer *l = g->lingering;

        g->lingering = l->next;
        event_free(l->ev);
        close(l->fd);
        free(l);
    }
    event_free(g->sweep_ev);
    event_free(g->resume_ev);
    free(g->slots);
    free(g);
}
