/* selfmetrics.c - the gateway's own metrics: build info, HTTP counters, push summaries, process_*
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "expiry.h"
#include "selfmetrics.h"
#include "storage.h"
#include "version.h"
#include "xmalloc.h"

/* Sorted by name: own_family_find() searches it with bsearch. */
static const struct own_family own_table[] = {
    {"process_cpu_seconds_total", METRIC_COUNTER,
     "Total user and system CPU time spent in seconds."},
    {"process_max_fds", METRIC_GAUGE, "Maximum number of open file descriptors."},
    {"process_network_receive_bytes_total", METRIC_COUNTER,
     "Number of bytes received by the process over the network."},
    {"process_network_transmit_bytes_total", METRIC_COUNTER,
     "Number of bytes sent by the process over the network."},
    {"process_open_fds", METRIC_GAUGE, "Number of open file descriptors."},
    {"process_resident_memory_bytes", METRIC_GAUGE, "Resident memory size in bytes."},
    {"process_start_time_seconds", METRIC_GAUGE,
     "Start time of the process since unix epoch in seconds."},
    {"process_virtual_memory_bytes", METRIC_GAUGE, "Virtual memory size in bytes."},
    {"process_virtual_memory_max_bytes", METRIC_GAUGE,
     "Maximum amount of virtual memory available in bytes."},
    {"pushgateway_build_info", METRIC_GAUGE,
     "A metric with a constant '1' value labeled by version, revision, branch, goversion from "
     "which pushgateway was built, and the goos and goarch for the build."},
    /* Ours: expiry of stale groups (expiry.h, docs/ttl.md). */
    {"pushgateway_groups_expired_total", METRIC_COUNTER,
     "Groups deleted because their last successful push was older than their TTL."},
    {"pushgateway_groups_with_ttl", METRIC_GAUGE,
     "Groups that have a TTL and will be deleted unless pushed to again."},
    {"pushgateway_http_push_duration_seconds", METRIC_SUMMARY,
     "HTTP request duration for pushes to the Pushgateway."},
    {"pushgateway_http_push_size_bytes", METRIC_SUMMARY,
     "HTTP request size for pushes to the Pushgateway."},
    {"pushgateway_http_requests_total", METRIC_COUNTER,
     "Total HTTP requests processed by the Pushgateway, excluding scrapes."},
    /* Ours: limits (selfmetrics_set_limits). */
    {"pushgateway_limit_current", METRIC_GAUGE,
     "Current usage of a limit: open connections, groups, series, series of the largest "
     "group."},
    {"pushgateway_limit_hits_total", METRIC_COUNTER,
     "Requests or connections refused, or connections closed, because a limit was reached."},
    {"pushgateway_limit_max", METRIC_GAUGE,
     "Configured limit (0 = unlimited); sizes in bytes, timeouts in seconds."},
    /* Ours: the storage backend (storage.h). */
    {"pushgateway_storage_healthy", METRIC_GAUGE,
     "Whether the storage backend accepts writes (1) or not (0)."},
    {"pushgateway_storage_journal_bytes", METRIC_GAUGE,
     "Current size of the storage journal in bytes."},
    {"pushgateway_storage_last_snapshot_duration_seconds", METRIC_GAUGE,
     "Duration of the last successful storage snapshot in seconds."},
    {"pushgateway_storage_last_snapshot_timestamp_seconds", METRIC_GAUGE,
     "Unix time of the last successful storage snapshot, 0 if none."},
    {"pushgateway_storage_records_replayed", METRIC_GAUGE,
     "Journal records applied during start-up recovery."},
    {"pushgateway_storage_records_written_total", METRIC_COUNTER,
     "Mutations (pushes, failed pushes, deletes, wipes) recorded by the storage backend."},
    {"pushgateway_storage_recovery_duration_seconds", METRIC_GAUGE,
     "Time spent recovering the stored state at start-up in seconds."},
    {"pushgateway_storage_snapshot_failures_total", METRIC_COUNTER,
     "Storage snapshots that failed."},
};
#define OWN_N (sizeof(own_table) / sizeof(own_table[0]))

static const char *const handler_names[HANDLER_MAX] = {
    "push",   "delete", "wipe",          "healthy",        "ready",
    "status", "static", "api/v1/status", "api/v1/metrics", "api/v1/options"};

/* Methods promhttp knows; anything else is counted as "unknown". */
static const char *const known_methods[] = {"get",     "put",     "head",   "post",  "delete",
                                            "connect", "options", "notify", "trace", "patch"};

static const double objectives[] = {0.1, 0.5, 0.9};
#define NOBJECTIVES 3

/*
 * Sliding-window summary like client_golang's default (10 minute window in 5 age buckets).
 * Each age bucket keeps a bounded reservoir, so memory stays fixed whatever the push rate.
 */
#define AGE_BUCKETS 5
#define AGE_BUCKET_SECONDS 120
#define RESERVOIR 512

struct age_bucket {
    time_t start;
    size_t seen;
    size_t n;
    double v[RESERVOIR];
};

struct window_summary {
    uint64_t count;
    double sum;
    struct age_bucket b[AGE_BUCKETS];
    /* The quantiles last computed, for count observations in the age period q_period: the
       live samples depend on nothing else, so scrapes between pushes do not sort again. */
    double q[NOBJECTIVES];
    uint64_t q_count;
    time_t q_period; /* the age period (now / AGE_BUCKET_SECONDS) they were computed in */
};

struct request_count {
    int handler;
    const char *method; /* one of known_methods or "unknown" */
    int code;
    double n;
};

static struct {
    double start_time;
    struct request_count *req;
    size_t nreq;
    struct window_summary duration[2]; /* [0] put, [1] post */
    struct window_summary size[2];
    unsigned int rng;
    struct storage *storage;      /* borrowed; NULL = no pushgateway_storage_* families */
    const struct expiry *expiry;  /* borrowed; NULL = no pushgateway_groups_* families */
    selfmetrics_limits_fn limits; /* NULL = no pushgateway_limit_* families */
    void *limits_arg;
    double hits[LIMIT_HIT_MAX];
} sm;

/* Labels of pushgateway_limit_hits_total, indexed by enum selfmetrics_hit. */
static const char *const hit_names[LIMIT_HIT_MAX] = {
    "body_bytes", "connections",  "fds",    "groups",
    "rate_limit", "read_timeout", "series", "series_per_group"};

static int
own_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct own_family *)elem)->name);
}

const struct own_family *
own_family_find(const char *name)
{
    return bsearch(name, own_table, OWN_N, sizeof(own_table[0]), own_cmp);
}

const struct own_family *
own_families(size_t *n)
{
    *n = OWN_N;
    return own_table;
}

void
selfmetrics_init(void)
{
    struct timespec ts;

    memset(&sm, 0, sizeof(sm));
    clock_gettime(CLOCK_REALTIME, &ts);
    sm.start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    sm.rng = (unsigned int)ts.tv_nsec ^ (unsigned int)getpid();
}

void
selfmetrics_set_storage(struct storage *s)
{
    sm.storage = s;
}

void
selfmetrics_set_expiry(const struct expiry *e)
{
    sm.expiry = e;
}

void
selfmetrics_set_limits(selfmetrics_limits_fn fn, void *arg)
{
    sm.limits = fn;
    sm.limits_arg = arg;
}

void
selfmetrics_count_limit_hit(enum selfmetrics_hit h)
{
    if ((int)h >= 0 && h < LIMIT_HIT_MAX)
        sm.hits[h]++;
}

void
selfmetrics_free(void)
{
    free(sm.req);
    sm.req = NULL;
    sm.nreq = 0;
}

static const char *
method_label(const char *method)
{
    char lower[16];
    size_t i, n = strlen(method);

    if (n >= sizeof(lower))
        return "unknown";
    for (i = 0; i <= n; i++)
        lower[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] + 32 : method[i]);
    for (i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
        if (strcmp(lower, known_methods[i]) == 0)
            return known_methods[i];
    return "unknown";
}

void
selfmetrics_count_request(enum own_handler h, const char *method, int code)
{
    const char *m = method_label(method);
    size_t i;

    for (i = 0; i < sm.nreq; i++) {
        if (sm.req[i].handler == (int)h && sm.req[i].code == code && sm.req[i].method == m) {
            sm.req[i].n++;
            return;
        }
    }
    sm.req = xreallocarray(sm.req, sm.nreq + 1, sizeof(*sm.req));
    sm.req[sm.nreq].handler = (int)h;
    sm.req[sm.nreq].method = m;
    sm.req[sm.nreq].code = code;
    sm.req[sm.nreq].n = 1;
    sm.nreq++;
}

/* The age bucket for `now`, recycled when its slot held an older period. */
static struct age_bucket *
current_bucket(struct window_summary *ws, time_t now)
{
    time_t period = now / AGE_BUCKET_SECONDS;
    struct age_bucket *b = &ws->b[period % AGE_BUCKETS];

    if (b->start != period * AGE_BUCKET_SECONDS) {
        b->start = period * AGE_BUCKET_SECONDS;
        b->seen = 0;
        b->n = 0;
    }
    return b;
}

static void
summary_observe(struct window_summary *ws, double v)
{
    struct age_bucket *b = current_bucket(ws, time(NULL));

    ws->count++;
    ws->sum += v;
    b->seen++;
    if (b->n < RESERVOIR) {
        b->v[b->n++] = v;
    } else {
        /* Reservoir sampling keeps a uniform sample of the bucket's observations. */
        size_t r = (size_t)rand_r(&sm.rng) % b->seen;
        if (r < RESERVOIR)
            b->v[r] = v;
    }
}

void
selfmetrics_observe_push(const char *method, double seconds, double size_bytes)
{
    int i = (method[0] == 'p' || method[0] == 'P') && (method[1] == 'o' || method[1] == 'O');

    summary_observe(&sm.duration[i], seconds);
    summary_observe(&sm.size[i], size_bytes);
}

static int
double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static struct metric_family *
family_for(const char *name)
{
    const struct own_family *of = own_family_find(name);
    struct metric_family *mf = metric_family_new(name, of->type);

    mf->help = xstrdup(of->help);
    return mf;
}

/* Add the summary of one method; quantiles over the live window, NaN when it is empty. */
static void
summary_collect(struct metric_family *mf, struct window_summary *ws, const char *method)
{
    time_t now = time(NULL), period = now / AGE_BUCKET_SECONDS;
    size_t i;
    struct metric *m;

    if (ws->q_period != period || ws->q_count != ws->count || ws->q_count == 0) {
        double *all = xreallocarray(NULL, AGE_BUCKETS * RESERVOIR, sizeof(double));
        size_t n = 0;

        for (i = 0; i < AGE_BUCKETS; i++) {
            const struct age_bucket *b = &ws->b[i];
            if (b->n > 0 && now - b->start < (time_t)(AGE_BUCKETS * AGE_BUCKET_SECONDS)) {
                memcpy(all + n, b->v, b->n * sizeof(double));
                n += b->n;
            }
        }
        qsort(all, n, sizeof(double), double_cmp);
        for (i = 0; i < NOBJECTIVES; i++) {
            size_t idx = (size_t)(objectives[i] * (double)n);
            ws->q[i] = n == 0 ? NAN : all[idx < n ? idx : n - 1];
        }
        free(all);
        ws->q_count = ws->count;
        ws->q_period = period;
    }
    m = metric_family_add_metric(mf, METRIC_SUMMARY);
    metric_add_label(m, "method", method);
    m->count = ws->count;
    m->sum = ws->sum;
    m->quantiles = xreallocarray(NULL, NOBJECTIVES, sizeof(*m->quantiles));
    m->nquantiles = NOBJECTIVES;
    for (i = 0; i < NOBJECTIVES; i++) {
        m->quantiles[i].quantile = objectives[i];
        m->quantiles[i].value = ws->q[i];
    }
}

static void
add_gauge(struct family_list *out, const char *name, double v)
{
    struct metric_family *mf = family_for(name);
    struct metric *m = metric_family_add_metric(mf, mf->type);

    m->value = v;
    family_list_add(out, mf);
}

/* process_* from /proc/self, as client_golang's process collector reads them. */
static void
collect_process(struct family_list *out)
{
    FILE *f;
    char buf[4096];
    struct rlimit rl;
    DIR *d;
    struct dirent *de;
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    double open_fds = 0, rx = 0, tx = 0;
    int have_net = 0;

    f = fopen("/proc/self/stat", "r");
    if (f != NULL) {
        if (fgets(buf, sizeof(buf), f) != NULL) {
            /* Fields after the parenthesised command name, which may contain spaces. */
            char *p = strrchr(buf, ')');
            unsigned long utime, stime, vsize;
            unsigned long long starttime;
            long rss;
            if (p != NULL &&
                sscanf(p + 2,
                       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
                       "%*d %llu %lu %ld",
                       &utime, &stime, &starttime, &vsize, &rss) == 5) {
                double boot = 0;
                FILE *s = fopen("/proc/stat", "r");
                if (s != NULL) {
                    char line[256];
                    while (fgets(line, sizeof(line), s) != NULL)
                        if (strncmp(line, "btime ", 6) == 0)
                            boot = strtod(line + 6, NULL);
                    fclose(s);
                }
                add_gauge(out, "process_cpu_seconds_total", (double)(utime + stime) / ticks);
                add_gauge(out, "process_resident_memory_bytes", (double)rss * page);
                add_gauge(out, "process_start_time_seconds", boot + (double)starttime / ticks);
                add_gauge(out, "process_virtual_memory_bytes", (double)vsize);
            }
        }
        fclose(f);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        add_gauge(out, "process_max_fds",
                  rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : (double)rl.rlim_cur);
    if (getrlimit(RLIMIT_AS, &rl) == 0)
        add_gauge(out, "process_virtual_memory_max_bytes",
                  rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : (double)rl.rlim_cur);
    d = opendir("/proc/self/fd");
    if (d != NULL) {
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                open_fds++;
        closedir(d);
        add_gauge(out, "process_open_fds", open_fds - 1); /* minus the fd of this listing */
    }
    f = fopen("/proc/self/net/dev", "r");
    if (f != NULL) {
        while (fgets(buf, sizeof(buf), f) != NULL) {
            char *colon = strchr(buf, ':');
            double r, t;
            if (colon != NULL &&
                sscanf(colon + 1, "%lf %*f %*f %*f %*f %*f %*f %*f %lf", &r, &t) == 2) {
                rx += r;
                tx += t;
                have_net = 1;
            }
        }
        fclose(f);
    }
    if (have_net) {
        add_gauge(out, "process_network_receive_bytes_total", rx);
        add_gauge(out, "process_network_transmit_bytes_total", tx);
    }
}

/* pushgateway_storage_*, labelled with the backend's name. */
static void
collect_storage(struct family_list *out)
{
    static const char *const names[] = {
        "pushgateway_storage_healthy",
        "pushgateway_storage_journal_bytes",
        "pushgateway_storage_last_snapshot_duration_seconds",
        "pushgateway_storage_last_snapshot_timestamp_seconds",
        "pushgateway_storage_records_replayed",
        "pushgateway_storage_records_written_total",
        "pushgateway_storage_recovery_duration_seconds",
        "pushgateway_storage_snapshot_failures_total",
    };
    struct storage_stats st;
    double values[sizeof(names) / sizeof(names[0])];
    size_t i;

    if (sm.storage == NULL)
        return;
    storage_stats(sm.storage, &st);
    values[0] = storage_healthy(sm.storage) ? 1 : 0;
    values[1] = (double)st.journal_bytes;
    values[2] = st.last_snapshot_duration;
    values[3] = st.last_snapshot_time;
    values[4] = (double)st.records_replayed;
    values[5] = (double)st.records_written;
    values[6] = st.recovery_duration;
    values[7] = (double)st.snapshot_failures;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct metric_family *mf = family_for(names[i]);
        struct metric *m = metric_family_add_metric(mf, mf->type);

        metric_add_label(m, "backend", sm.storage->ops->name);
        m->value = values[i];
        family_list_add(out, mf);
    }
}

/* pushgateway_groups_expired_total and pushgateway_groups_with_ttl. */
static void
collect_expiry(struct family_list *out)
{
    if (sm.expiry == NULL)
        return;
    add_gauge(out, "pushgateway_groups_expired_total", (double)expiry_expired_total(sm.expiry));
    add_gauge(out, "pushgateway_groups_with_ttl", (double)expiry_groups_with_ttl(sm.expiry));
}

/* pushgateway_limit_current, _max and _hits_total from the registered provider. */
static void
collect_limits(struct family_list *out)
{
    struct selfmetrics_limit l[16];
    struct metric_family *cur, *max, *hits;
    size_t n, i;

    if (sm.limits == NULL)
        return;
    n = sm.limits(sm.limits_arg, l, sizeof(l) / sizeof(l[0]));
    cur = family_for("pushgateway_limit_current");
    max = family_for("pushgateway_limit_max");
    hits = family_for("pushgateway_limit_hits_total");
    for (i = 0; i < n; i++) {
        struct metric *m = metric_family_add_metric(max, METRIC_GAUGE);

        metric_add_label(m, "limit", l[i].name);
        m->value = l[i].max;
        if (l[i].has_current) {
            m = metric_family_add_metric(cur, METRIC_GAUGE);
            metric_add_label(m, "limit", l[i].name);
            m->value = l[i].current;
        }
    }
    for (i = 0; i < LIMIT_HIT_MAX; i++) {
        struct metric *m = metric_family_add_metric(hits, METRIC_COUNTER);

        metric_add_label(m, "limit", hit_names[i]);
        m->value = sm.hits[i];
    }
    family_list_add(out, cur);
    family_list_add(out, max);
    family_list_add(out, hits);
}

static const char *
build_goarch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "386";
#elif defined(__powerpc64__)
    return "ppc64le";
#elif defined(__s390x__)
    return "s390x";
#else
    return "unknown";
#endif
}

void
selfmetrics_collect(struct family_list *out)
{
    struct metric_family *mf;
    struct metric *m;
    size_t i;

    collect_process(out);
    collect_storage(out);
    collect_limits(out);
    collect_expiry(out);

    mf = family_for("pushgateway_build_info");
    m = metric_family_add_metric(mf, METRIC_GAUGE);
    m->value = 1;
    metric_add_label(m, "branch", PGW_BRANCH);
    metric_add_label(m, "goarch", build_goarch());
    metric_add_label(m, "goos", "linux");
#ifdef __clang__
    metric_add_label(m, "goversion", "clang " __clang_version__);
#else
    metric_add_label(m, "goversion", "gcc " __VERSION__);
#endif
    metric_add_label(m, "revision", PGW_REVISION);
    metric_add_label(m, "tags", "");
    metric_add_label(m, "version", PGW_VERSION);
    family_list_add(out, mf);

    if (sm.duration[0].count + sm.duration[1].count > 0) {
        static const char *const methods[2] = {"put", "post"};
        struct metric_family *dur = family_for("pushgateway_http_push_duration_seconds");
        struct metric_family *size = family_for("pushgateway_http_push_size_bytes");
        for (i = 0; i < 2; i++) {
            if (sm.duration[i].count == 0)
                continue;
            summary_collect(dur, &sm.duration[i], methods[i]);
            summary_collect(size, &sm.size[i], methods[i]);
        }
        family_list_add(out, dur);
        family_list_add(out, size);
    }
    if (sm.nreq > 0) {
        mf = family_for("pushgateway_http_requests_total");
        for (i = 0; i < sm.nreq; i++) {
            char code[16];
            m = metric_family_add_metric(mf, METRIC_COUNTER);
            snprintf(code, sizeof(code), "%d", sm.req[i].code);
            metric_add_label(m, "code", code);
            metric_add_label(m, "handler", handler_names[sm.req[i].handler]);
            metric_add_label(m, "method", sm.req[i].method);
            m->value = sm.req[i].n;
        }
        family_list_add(out, mf);
    }
}
