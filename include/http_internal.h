/* http_internal.h - shared between the HTTP dispatcher (http.c) and its handlers */
#ifndef PGW_HTTP_INTERNAL_H
#define PGW_HTTP_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <event2/http.h>

#include "http.h"
#include "strbuf.h"

#define HTTP_MAX_PARAMS 2

/* Route parameters (":job", "*labels"): slices of the decoded path, in pattern order. */
struct http_params {
    struct {
        const char *value;
        size_t len;
    } v[HTTP_MAX_PARAMS];
    size_t n;
};

/* Everything a handler needs about one request; lives for the duration of the callback. */
struct http_ctx {
    struct http_server *server;
    struct gateway *gw;
    struct evhttp_request *req;
    enum evhttp_cmd_type cmd;
    struct timespec received; /* receive time: push timestamps use it */
    const char *raw_path;     /* escaped path as sent, without the query */
    const char *query;        /* after '?', or NULL */
    const char *path;         /* decoded path, relative to the router's mount point */
    const char *mount;        /* "" or the API root the path is relative to */
    struct http_params params;
    const char *body; /* raw request body (borrowed from the evbuffer) */
    size_t body_len;
    int gzip_body; /* Content-Encoding: gzip: body must be decompressed to read */
    int decoded_ready;
    struct strbuf decoded; /* the decompressed body */
    int close_connection;  /* answer with Connection: close */
    int replied;           /* status sent, 0 until then */
};

typedef void (*http_handler_fn)(struct http_ctx *c);

unsigned http_method_bit(enum evhttp_cmd_type cmd);
const char *http_method_name(enum evhttp_cmd_type cmd);
/* Go's path.Clean keeping a trailing slash (ServeMux cleaning). Caller frees. */
char *http_clean_path(const char *p);

/*
 * The request body as the handler reads it (decompressed when gzip). Returns 0; or -1 with
 * *err (a read error, answered as 400), or -2 when the body is too large (413). Caller frees *err.
 */
int http_body_text(struct http_ctx *c, const char **body, size_t *len, char **err);

/* Replies; each handler sends exactly one. content_type NULL = no Content-Type header. */
void http_reply(struct http_ctx *c, int code, const char *content_type, const void *body,
                size_t len);
/*
 * Like http_reply, but the body is handed to libevent by reference instead of being copied
 * (large scrapes): done(body, len, arg) is called once libevent no longer needs the bytes —
 * sent, or the connection gone; at once for HEAD.
 */
void http_reply_ref(struct http_ctx *c, int code, const char *content_type, const void *body,
                    size_t len, void (*done)(const void *data, size_t len, void *arg), void *arg);
/*
 * Like http_reply, with a body assembled in an evbuffer (pieces added by reference, say);
 * the buffer stays the caller's and is left empty.
 */
struct evbuffer;
void http_reply_buffer(struct http_ctx *c, int code, const char *content_type,
                       struct evbuffer *body);
/*
 * A reply whose body is produced piece by piece as the client takes it (http_stream.c):
 * fill(arg, out) appends the next piece to out and returns 1 while more follows, 0 with the
 * last; done(arg) is called once when the reply is over (sent, or the connection gone), to
 * release arg. A body that fill() produces in one call, a HEAD request and libevent 2.0 get
 * one reply with a Content-Length; otherwise the reply has no length (chunked for HTTP/1.1)
 * and each piece is produced only when the previous one has left the output buffer.
 */
typedef int (*http_stream_fill_fn)(void *arg, struct evbuffer *out);
void http_reply_stream(struct http_ctx *c, int code, const char *content_type,
                       http_stream_fill_fn fill, void (*done)(void *arg), void *arg);
/*
 * Add the Date header ("Mon, 02 Jan 2006 15:04:05 GMT", as libevent and Go write it) from a
 * string made once a second; libevent would otherwise format it for every reply, a tenth of
 * the cost of a push. Every reply gets it before it is sent.
 */
void http_add_date(struct evkeyvalq *h);
/* Go's http.Error: text/plain, nosniff, msg + "\n". */
void http_reply_error(struct http_ctx *c, int code, const char *msg);
/* A plain string without newline (Go's content sniffing gives text/plain). */
void http_reply_text(struct http_ctx *c, int code, const char *msg);
void http_reply_empty(struct http_ctx *c, int code);
/*
 * An empty reply that acknowledges a recorded mutation (http_durable.c): sent at once unless
 * the storage must flush first (--persistence.fsync=always), in which case it is sent after
 * the group commit (or a 500 if that fails). c->replied is set to `code` either way.
 */
void http_reply_empty_durable(struct http_ctx *c, int code);

/* Handlers (http_push.c, http_query.c). */
void http_handle_push(struct http_ctx *c);
void http_handle_wipe(struct http_ctx *c);
void http_handle_metrics(struct http_ctx *c);
void http_handle_healthy(struct http_ctx *c);
void http_handle_ready(struct http_ctx *c);
void http_handle_quit(struct http_ctx *c);
void http_handle_quit_get(struct http_ctx *c);
void http_handle_ui(struct http_ctx *c);
void http_handle_static(struct http_ctx *c);
void http_handle_api_status(struct http_ctx *c);
void http_handle_api_metrics(struct http_ctx *c);
void http_handle_api_options(struct http_ctx *c);

#endif
