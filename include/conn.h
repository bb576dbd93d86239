/* conn.h - the connection gate: --web.max-connections, --web.read-timeout, accept() backoff */
#ifndef PGW_CONN_H
#define PGW_CONN_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>

#include "config.h"

/*
 * evhttp (2.0 and 2.1) accepts connections itself and tells nothing until a whole request
 * has arrived. The gate sits between each listener and evhttp: it sees every accepted
 * socket first, so it can
 *   - count open connections and answer 503 `too many open connections` (plain HTTP) or close
 *     (TLS) beyond --web.max-connections;
 *   - close a connection whose request has not arrived --web.read-timeout after its first
 *     byte (slowloris), answering 408 on plain HTTP;
 *   - pause accepting for a moment when accept() fails (EMFILE: libevent 2.0's listener would
 *     retry at 100% CPU) and resume by itself.
 * Connections are identified by descriptor and socket inode; closed ones are noticed by a
 * sweep (each second, or 4 times a second for short read timeouts) or when the cap is hit.
 * The gate owns nothing of evhttp's: it only shuts down sockets it has to close.
 */
struct conn_gate;

/* A gate for one evhttp server. tls: the server speaks TLS (no plain-text 503 or 408). */
struct conn_gate *conn_gate_new(struct event_base *base, const struct config *cfg, int tls);

/*
 * Put the gate in front of evhttp's accepting on a bound socket of http. Returns 0, or -1
 * (logged) when this libevent's listener cannot be hooked: the socket then still serves,
 * with the accept() backoff but without the connection cap and the read timeout.
 */
int conn_gate_hook(struct conn_gate *g, struct evhttp *http, struct evhttp_bound_socket *bs);

/* Forget the hooked listeners (before evhttp_del_accept_socket frees them). */
void conn_gate_unhook_all(struct conn_gate *g);

/* A request has arrived completely on its connection (first thing in the request callback). */
void conn_gate_request(struct conn_gate *g, struct evhttp_request *req);

/* Open connections now (closed ones purged first). */
size_t conn_gate_open(struct conn_gate *g);

void conn_gate_free(struct conn_gate *g);

#endif
