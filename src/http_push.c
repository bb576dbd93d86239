/* http_push.c - PUT/POST/DELETE on /metrics/job/... and PUT /api/v1/admin/wipe (spec §5, §6) */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "caps.h"
#include "check.h"
#include "expiry.h"
#include "grouping.h"
#include "http_internal.h"
#include "log.h"
#include "protoparse.h"
#include "selfmetrics.h"
#include "storage.h"
#include "textparse.h"
#include "xmalloc.h"

/* Is the Content-Type the delimited protobuf MetricFamily format (spec §5.1)? */
static int
is_protobuf(const char *ct)
{
    char *s, *tok, *save = NULL;
    int media = 0, enc = 0, proto = 0, first = 1;

    if (ct == NULL)
        return 0;
    s = xstrdup(ct);
    for (tok = strtok_r(s, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
        char *eq, *end;
        while (*tok == ' ' || *tok == '\t')
            tok++;
        end = tok + strlen(tok);
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (first) {
            media = strcasecmp(tok, "application/vnd.google.protobuf") == 0;
            first = 0;
            continue;
        }
        eq = strchr(tok, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        if (strcasecmp(tok, "encoding") == 0)
            enc = strcmp(eq + 1, "delimited") == 0;
        else if (strcasecmp(tok, "proto") == 0)
            proto = strcmp(eq + 1, "io.prometheus.client.MetricFamily") == 0;
    }
    free(s);
    return media && enc && proto;
}

/* upstream's approximate request size: URL, method, protocol, headers, host, body length. */
static double
request_size(struct http_ctx *c)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(c->req);
    struct evkeyval *kv;
    const char *host = evhttp_request_get_host(c->req);
    double n = (double)strlen(evhttp_request_get_uri(c->req)) + strlen(http_method_name(c->cmd)) +
               strlen("HTTP/1.1");

    for (kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next)
        n += (double)(strlen(kv->key) + strlen(kv->value));
    if (host != NULL)
        n += (double)strlen(host);
    return n + (double)c->body_len;
}

/*
 * Hand a mutation to the storage backend before it is applied (storage.h). On failure the
 * change must not be applied: reply 500, log the reason and return -1.
 */
static int
record_ttl(struct http_ctx *c, enum storage_op op, const struct grouping_key *key,
           const struct family_list *fams, int replace, int unchecked, int has_ttl, int64_t ttl)
{
    struct storage_mutation m;
    char *err = NULL;

    memset(&m, 0, sizeof(m));
    m.op = op;
    m.key = key;
    m.families = fams;
    m.replace = replace;
    m.unchecked = unchecked;
    m.has_ttl = has_ttl;
    m.ttl = ttl;
    m.ts = c->received;
    if (storage_record(c->gw->storage, &m, &err) == 0)
        return 0;
    log_error("cannot record a change in storage; not applied", "path", c->raw_path, "err",
              err != NULL ? err : "unknown");
    free(err);
    http_reply_error(c, 500, "storage error: the change could not be stored and was not applied");
    return -1;
}

/* record_ttl() for everything but a successful push (no TTL). */
static int
record(struct http_ctx *c, enum storage_op op, const struct grouping_key *key,
       const struct family_list *fams, int replace, int unchecked)
{
    return record_ttl(c, op, key, fams, replace, unchecked, 0, 0);
}

/*
 * Record a failed push unless doing so would leave the store inconsistent (spec §13.2).
 * Returns -1 when storage failed (500 already sent).
 */
static int
record_failure(struct http_ctx *c, const struct grouping_key *key)
{
    struct store *st = c->gw->store;

    if (check_push_failed(st, key, c->gw->cfg->enable_utf8_names) != 0) {
        log_warn("failed push not recorded: its timestamp series would make the store "
                 "inconsistent",
                 "path", c->raw_path);
        return 0;
    }
    /* A failed push must not create groups beyond --push.max-groups either. */
    if (!caps_group_fits(st, c->gw->cfg, key)) {
        log_debug("failed push not recorded: --push.max-groups reached", "path", c->raw_path);
        return 0;
    }
    if (record(c, STORAGE_FAILURE, key, NULL, 0, 0) != 0)
        return -1;
    store_push_failed(st, key, &c->received);
    return 0;
}

/* Reply to a rejected push with the consistency-check message. */
static void
reply_inconsistent(struct http_ctx *c, const char *what)
{
    char *msg = xasprintf(CHECK_ERR_PREFIX "%s", what);
    http_reply_error(c, 400, msg);
    free(msg);
}

/* Non-zero when every grouping label value is valid UTF-8. */
static int
key_is_utf8(const struct grouping_key *key)
{
    size_t i;

    for (i = 0; i < key->n; i++)
        if (!utf8_valid(key->labels[i].value, strlen(key->labels[i].value)))
            return 0;
    return 1;
}

/* Parse, check and apply a PUT or POST; returns the status code sent. */
static void
push(struct http_ctx *c, const struct grouping_key *key)
{
    const struct config *cfg = c->gw->cfg;
    struct store *st = c->gw->store;
    int replace = c->cmd == EVHTTP_REQ_PUT;
    int checked = !cfg->disable_consistency_check;
    struct family_list fams;
    const char *body;
    size_t len;
    char *err = NULL;
    int rc, has_ttl;
    int64_t ttl;
    enum caps_limit cap;

    family_list_init(&fams);
    /* ?ttl=DURATION (ours, docs/ttl.md): the group's own TTL; the query is otherwise ignored. */
    if (expiry_ttl_from_query(c->query, &has_ttl, &ttl, &err) != 0) {
        http_reply_error(c, 400, err);
        goto out;
    }
    if (!key_is_utf8(key)) {
        /* Upstream would store a group no scrape can gather; we refuse it up front. */
        check_push(st, key, &fams, replace, cfg->enable_utf8_names, &err);
        reply_inconsistent(c, err != NULL ? err : "grouping label value is not valid UTF-8");
        goto out;
    }
    rc = http_body_text(c, &body, &len, &err);
    if (rc != 0) {
        http_reply_error(c, rc == -2 ? 413 : 400, err);
        goto out;
    }
    /* Delimited protobuf MetricFamily messages or, for any other Content-Type, text 0.0.4. */
    if (is_protobuf(evhttp_find_header(evhttp_request_get_input_headers(c->req), "Content-Type"))
            ? protoparse(body, len, cfg->enable_utf8_names, &fams, &err) != 0
            : textparse(body, len, cfg->enable_utf8_names, &fams, &err) != 0) {
        http_reply_error(c, 400, err);
        goto out;
    }
    /* Caps (ours): a push that would exceed one changes nothing, not even the failure time. */
    cap = caps_check_push(st, cfg, key, &fams, replace, &err);
    if (cap != CAPS_OK) {
        selfmetrics_count_limit_hit(cap == CAPS_GROUPS             ? LIMIT_HIT_GROUPS
                                    : cap == CAPS_SERIES_PER_GROUP ? LIMIT_HIT_SERIES_PER_GROUP
                                                                   : LIMIT_HIT_SERIES);
        http_reply_error(c, 409, err);
        goto out;
    }
    if (check_has_timestamps(&fams)) {
        if (record_failure(c, key) != 0)
            goto out;
        if (checked)
            reply_inconsistent(c, CHECK_ERR_TIMESTAMP);
        else
            http_reply_empty(c, 202);
        goto out;
    }
    store_sanitise(&fams, key);
    if (checked && check_push(st, key, &fams, replace, cfg->enable_utf8_names, &err) != 0) {
        if (record_failure(c, key) == 0)
            reply_inconsistent(c, err);
        goto out;
    }
    if (record_ttl(c, STORAGE_PUSH, key, &fams, replace, !checked, has_ttl, ttl) != 0)
        goto out;
    if (!checked)
        c->gw->store_unchecked = 1;
    store_push_ttl(st, key, &fams, replace, &c->received, has_ttl ? ttl : STORE_TTL_DEFAULT);
    http_reply_empty_durable(c, checked ? 200 : 202);
out:
    family_list_free(&fams);
    free(err);
}

void
http_handle_push(struct http_ctx *c)
{
    const char *prefix = c->gw->cfg->route_prefix;
    const char *route = c->path + strlen(prefix);
    int job_b64 = strncmp(route, "/metrics/job@base64/", 20) == 0;
    char *job = xstrndup(c->params.v[0].value, c->params.v[0].len);
    char *labels =
        c->params.n > 1 ? xstrndup(c->params.v[1].value, c->params.v[1].len) : xstrdup("");
    struct grouping_key key;
    struct timespec done;
    char *err = NULL;
    int is_delete = c->cmd == EVHTTP_REQ_DELETE;

    if (grouping_parse(job, job_b64, labels, c->gw->cfg->enable_utf8_names, &key, &err) != 0) {
        http_reply_error(c, 400, err);
        free(err);
    } else {
        if (is_delete) {
            /* Deleting a missing group changes nothing and is not recorded. */
            if (store_group(c->gw->store, &key) == NULL) {
                http_reply_empty(c, 202);
            } else if (record(c, STORAGE_DELETE, &key, NULL, 0, 0) == 0) {
                store_delete(c->gw->store, &key);
                http_reply_empty_durable(c, 202);
            }
        } else {
            push(c, &key);
        }
        grouping_key_free(&key);
    }
    selfmetrics_count_request(is_delete ? HANDLER_DELETE : HANDLER_PUSH, http_method_name(c->cmd),
                              c->replied);
    if (!is_delete) {
        clock_gettime(CLOCK_REALTIME, &done);
        selfmetrics_observe_push(http_method_name(c->cmd),
                                 (double)(done.tv_sec - c->received.tv_sec) +
                                     (double)(done.tv_nsec - c->received.tv_nsec) / 1e9,
                                 request_size(c));
    }
    free(job);
    free(labels);
}

void
http_handle_wipe(struct http_ctx *c)
{
    size_t n = c->gw->store->groups.len;
    char count[32];

    if (n > 0 && record(c, STORAGE_WIPE, NULL, NULL, 0, 0) != 0) {
        selfmetrics_count_request(HANDLER_WIPE, http_method_name(c->cmd), 500);
        return;
    }
    store_wipe(c->gw->store);
    snprintf(count, sizeof(count), "%zu", n);
    log_info("wiped the metric store", "groups", count);
    http_reply_empty_durable(c, 202);
    selfmetrics_count_request(HANDLER_WIPE, http_method_name(c->cmd), 202);
}
