/* http_durable.c - replies that wait for the storage group commit (--persistence.fsync=always) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "http_internal.h"
#include "log.h"
#include "storage.h"
#include "xmalloc.h"

/*
 * A reply held back until storage.c's group commit has made the recorded mutation durable.
 * libevent (2.0 and 2.1) keeps a request alive until it is answered, with one exception:
 * when its connection is freed while the request is still attached to it (server shutdown,
 * some failures), the request is freed with it. The connection's close callback runs just
 * before that, so it is where such requests are forgotten. A request that libevent detached
 * from a failed connection (evhttp_request_get_connection() == NULL) stays valid and must
 * still be answered: evhttp_send_reply() then only frees it.
 */
struct held {
    struct evhttp_request *req; /* NULL once the connection took the request with it */
    struct evhttp_connection *evcon;
    int code;
    int close_connection;
    struct held *prev, *next;
};

static struct held *held_head; /* every reply waiting for a commit */

/* Unlink h from the list of held replies. */
static void
held_unlink(struct held *h)
{
    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        held_head = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
    h->prev = h->next = NULL;
}

/*
 * A connection is going away: forget its held requests. One still attached goes with the
 * connection; one libevent detached (an unanswered request on a failed connection is left
 * to its user) is freed here.
 */
static void
held_closecb(struct evhttp_connection *evcon, void *arg)
{
    struct held *h;

    (void)arg;
    for (h = held_head; h != NULL; h = h->next) {
        if (h->evcon != evcon || h->req == NULL)
            continue;
        if (evhttp_request_get_connection(h->req) == NULL)
            evhttp_request_free(h->req);
        h->req = NULL;
    }
}

/* The group commit finished: send the held reply (or a 500 when it failed). */
static void
held_done(void *arg, int ok)
{
    struct held *h = arg;
    struct evhttp_request *req = h->req;

    held_unlink(h);
    if (req != NULL) {
        struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
        struct evbuffer *buf = evbuffer_new();
        static const char msg[] = "storage error: the change is applied but could not be made "
                                  "durable\n";

        if (h->close_connection)
            evhttp_add_header(hdr, "Connection", "close");
        evhttp_remove_header(hdr, "Content-Length");
        http_add_date(hdr);
        if (ok) {
            evhttp_add_header(hdr, "Content-Length", "0");
            evhttp_send_reply(req, h->code, NULL, buf);
        } else {
            char clen[32];

            snprintf(clen, sizeof(clen), "%zu", sizeof(msg) - 1);
            evhttp_add_header(hdr, "Content-Type", "text/plain; charset=utf-8");
            evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
            evhttp_add_header(hdr, "Content-Length", clen);
            evbuffer_add(buf, msg, sizeof(msg) - 1);
            evhttp_send_reply(req, 500, NULL, buf);
        }
        evbuffer_free(buf);
    }
    free(h);
}

void
http_reply_empty_durable(struct http_ctx *c, int code)
{
    struct storage *s = c->gw->storage;
    struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
    struct held *h;

    if (!storage_sync_pending(s) || evcon == NULL) {
        http_reply_empty(c, code);
        return;
    }
    h = xcalloc(1, sizeof(*h));
    h->req = c->req;
    h->evcon = evcon;
    h->code = code;
    h->close_connection = c->close_connection;
    h->next = held_head;
    if (held_head != NULL)
        held_head->prev = h;
    held_head = h;
    evhttp_connection_set_closecb(evcon, held_closecb, NULL);
    c->replied = code;
    storage_when_durable(s, held_done, h);
}
