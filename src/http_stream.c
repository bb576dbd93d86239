/* http_stream.c - replies whose body is produced in chunks as the client takes them */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http_internal.h"
#include "xmalloc.h"

/*
 * With libevent >= 2.1.1 a chunk's callback says when it has left the output buffer, so
 * the next chunk is produced only then: a reply costs one chunk of memory however large it
 * is, and the event loop serves other requests between chunks. libevent 2.0 has no such
 * callback; there the whole body is produced at once and sent with a Content-Length.
 */
#if defined(LIBEVENT_VERSION_NUMBER) && LIBEVENT_VERSION_NUMBER >= 0x02010100
#define HAVE_CHUNK_CB 1
#else
#define HAVE_CHUNK_CB 0
#endif

struct http_stream {
    struct evhttp_request *req; /* NULL once the connection is gone */
    struct evhttp_connection *evcon;
    http_stream_fill_fn fill;
    void (*done)(void *arg);
    void *arg;
    struct evbuffer *buf;
    struct http_stream *prev, *next; /* streams in progress (stream_head) */
};

static struct http_stream *stream_head;

static void
stream_free(struct http_stream *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        stream_head = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->done(s->arg);
    evbuffer_free(s->buf);
    free(s);
}

#if HAVE_CHUNK_CB
/*
 * A connection is going away: the chunk callback will not come again, so the streams on it
 * end here. libevent detaches a request whose reply is unfinished from a failed connection
 * and leaves it to its user: free it then (one still attached goes with the connection).
 * The callback stays set on the connection after a stream ended (it finds nothing then), as
 * another reply may have replaced it.
 */
static void
stream_closecb(struct evhttp_connection *evcon, void *arg)
{
    struct http_stream *s = stream_head, *next;

    (void)arg;
    for (; s != NULL; s = next) {
        next = s->next;
        if (s->evcon == evcon) {
            if (evhttp_request_get_connection(s->req) == NULL)
                evhttp_request_free(s->req);
            s->req = NULL;
            stream_free(s);
        }
    }
}

/* The last chunk left the output buffer (or this is the first): send the next one. */
static void
stream_next(struct evhttp_connection *evcon, void *arg)
{
    struct http_stream *s = arg;
    int more;

    (void)evcon;
    /* An empty chunk would get no callback: fill until there is something or the end. */
    do
        more = s->fill(s->arg, s->buf);
    while (more && evbuffer_get_length(s->buf) == 0);
    if (evbuffer_get_length(s->buf) > 0)
        evhttp_send_reply_chunk_with_cb(s->req, s->buf, more ? stream_next : NULL, more ? s : NULL);
    if (!more) {
        evhttp_send_reply_end(s->req);
        stream_free(s);
    }
}
#endif

void
http_reply_stream(struct http_ctx *c, int code, const char *content_type, http_stream_fill_fn fill,
                  void (*done)(void *arg), void *arg)
{
    struct http_stream *s = xcalloc(1, sizeof(*s));
    int more;

    s->req = c->req;
    s->evcon = evhttp_request_get_connection(c->req);
    s->fill = fill;
    s->done = done;
    s->arg = arg;
    s->buf = evbuffer_new();
    s->next = stream_head;
    if (stream_head != NULL)
        stream_head->prev = s;
    stream_head = s;
    more = fill(arg, s->buf);
#if HAVE_CHUNK_CB
    /* HEAD has no body (libevent would drop the chunks without calling back). */
    if (more && c->cmd != EVHTTP_REQ_HEAD && s->evcon != NULL) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);

        if (content_type != NULL)
            evhttp_add_header(h, "Content-Type", content_type);
        if (c->close_connection)
            evhttp_add_header(h, "Connection", "close");
        /* No length: HTTP/1.1 gets chunked encoding, HTTP/1.0 the end of the connection. */
        evhttp_remove_header(h, "Content-Length");
        http_add_date(h);
        evhttp_connection_set_closecb(s->evcon, stream_closecb, NULL);
        evhttp_send_reply_start(c->req, code, NULL);
        c->replied = code;
        if (evbuffer_get_length(s->buf) > 0)
            evhttp_send_reply_chunk_with_cb(c->req, s->buf, stream_next, s);
        else
            stream_next(s->evcon, s);
        return;
    }
#endif
    /* A body that fits in one piece (or HEAD, or libevent 2.0): one reply with its length. */
    while (more)
        more = fill(arg, s->buf);
    http_reply_buffer(c, code, content_type, s->buf);
    s->req = NULL;
    stream_free(s);
}
