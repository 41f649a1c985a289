/* GET /metrics: the Prometheus text exposition format, version 0.0.4.
 *
 * Counters that requests and commits bump are atomics in this file. What comes from the
 * store (sessions by type/state/result, each job's newest result and last success) is
 * rendered once per usn and kept: a scrape while nothing changed costs a copy. Session
 * counts come from list totals under type/state/result filters, which the store answers
 * from its per-combination counts without scanning sessions; the combinations in use are
 * found by halving code ranges whose total is not zero. */
#include "api/metrics.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "core/feed.h"
#include "model/estate.h"
#include "model/catalog.h"
#include "util/timefmt.h"

/* ---------- histograms ---------- */

#define HIST_MAX_BUCKETS 16

struct hist {
	uint64_t bucket[HIST_MAX_BUCKETS + 1];   /* per upper bound (not cumulative); last: +Inf */
	uint64_t count;
	uint64_t sum_us;
};

/* Upper bounds in seconds. */
static const double req_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const double commit_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
#define NREQ_BOUNDS (sizeof(req_bounds) / sizeof(req_bounds[0]))
#define NCOMMIT_BOUNDS (sizeof(commit_bounds) / sizeof(commit_bounds[0]))

static void hist_observe(struct hist *h, const double *bounds, size_t n, int64_t us)
{
	double s = (double)us / 1e6;
	size_t i = 0;
	while(i < n && s > bounds[i])
		i++;
	__atomic_add_fetch(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->sum_us, (uint64_t)(us > 0 ? us : 0), __ATOMIC_RELAXED);
}

/* name_bucket{labels,le="…"} lines (cumulative), then _sum and _count. labels: "" or `a="b",`. */
static void hist_write(struct buf *b, const char *name, const char *labels, const struct hist *h, const double *bounds,
                       size_t n)
{
	uint64_t cum = 0;
	for(size_t i = 0; i <= n; i++) {
		cum += __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
		if(i < n)
			buf_printf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, bounds[i], (unsigned long long)cum);
		else
			buf_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, (unsigned long long)cum);
	}
	int ll = (int)strlen(labels);
	buf_printf(b, "%s_sum%s%.*s%s %.6f\n", name, ll ? "{" : "", ll ? ll - 1 : 0, labels, ll ? "}" : "",
	           (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6);
	buf_printf(b, "%s_count%s%.*s%s %llu\n", name, ll ? "{" : "", ll ? ll - 1 : 0, labels, ll ? "}" : "",
	           (unsigned long long)cum);
}

/* ---------- what the http layer and the writer report ---------- */

static const char *const class_names[MC__COUNT] = {"vbr", "em", "vbaz", "ingest", "other"};
#define NSTATUS 5   /* 1xx … 5xx */

static struct {
	const char *version;
	int64_t started_us;
	struct hist req[MC__COUNT][NSTATUS];
	struct hist commit;
} m = {.version = "unknown"};

enum metrics_class api_metrics_class(const struct dialect *d, const struct route *rt)
{
	if(rt && rt->perm == PERM_INGEST)
		return MC_INGEST;
	if(d == &dialect_vbr)
		return MC_VBR;
	if(d == &dialect_em)
		return MC_EM;
	if(d == &dialect_vbaz)
		return MC_VBAZ;
	return MC_OTHER;
}

void api_metrics_request(enum metrics_class c, int status, int64_t duration_us)
{
	int s = status / 100 - 1;
	if((unsigned)c >= MC__COUNT)
		c = MC_OTHER;
	if(s < 0 || s >= NSTATUS)
		s = NSTATUS - 1;   /* no status: counted as the 5xx it was for the client */
	hist_observe(&m.req[c][s], req_bounds, NREQ_BOUNDS, duration_us);
}

static void commit_time(int64_t us) { hist_observe(&m.commit, commit_bounds, NCOMMIT_BOUNDS, us); }


/* ---------- what the store holds, rendered once per usn ---------- */

static struct {
	pthread_mutex_t lock;
	int valid;
	int64_t usn;
	struct buf text;           /* the rendered store section */
	pthread_t warm;            /* reads the store once at start (api_metrics_init) */
	int warming;
	int stopping;              /* api_metrics_shutdown: the warm-up ends early */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void label(struct buf *b, const char *k, const char *v, int comma)
{
	buf_printf(b, "%s%s=\"", comma ? "," : "", k);
	for(const char *p = v ? v : ""; *p; p++) {
		if(*p == '\\' || *p == '"')
			buf_addc(b, '\\');
		if(*p == '\n')
			buf_addstr(b, "\\n");
		else
			buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

static int no_row(void *ctx, const struct sess_rec *s)
{
	(void)ctx;
	(void)s;
	return 0;
}

/* How many sessions match where (a type/state/result predicate: no scan). */
static enum rc total(struct arena *a, const struct qexpr *where, int64_t *n)
{
	struct query q = {.where = where, .limit = 0, .want_total = 1};
	*n = 0;
	return core_session_list(&q, a, no_row, NULL, n);
}

struct counts {
	struct arena *a;
	struct buf *b;
	int64_t running;
	enum rc rc;
};

static const struct qexpr *range(struct arena *a, const struct qexpr *base, enum qfield f, int lo, int hi)
{
	return q_and(a, base, q_and(a, q_int(a, f, Q_GE, lo), q_int(a, f, Q_LT, hi)));
}

/* The fields in order; a level is split in halves until each non-empty range is one code. */
static const enum qfield dims[] = {QF_TYPE, QF_STATE, QF_RESULT};

static void count_split(struct counts *c, const struct qexpr *base, int dim, int lo, int hi, int code[3], int64_t n);

/* Every non-empty code range of dims[dim] inside [lo, hi) under base, n sessions in all. */
static void count_level(struct counts *c, const struct qexpr *base, int dim, int lo, int hi, int code[3], int64_t n)
{
	if(c->rc || !n)
		return;
	if(hi - lo == 1) {
		code[dim] = lo;
		const struct qexpr *one = q_and(c->a, base, q_int(c->a, dims[dim], Q_EQ, lo));
		if(dim == 2) {
			struct buf *b = c->b;
			buf_addstr(b, "sessiond_sessions{");
			label(b, "type", catalog_type_name(code[0]), 0);
			label(b, "state", catalog_state_name(code[1]), 1);
			label(b, "result", catalog_result_name(code[2]), 1);
			buf_printf(b, "} %lld\n", (long long)n);
			if(code[1] != ST_STOPPED)
				c->running += n;
			return;
		}
		int hi2 = dim + 1 == 1 ? ST__COUNT : RES__COUNT;
		count_level(c, one, dim + 1, 0, hi2, code, n);
		return;
	}
	count_split(c, base, dim, lo, hi, code, n);
}

static void count_split(struct counts *c, const struct qexpr *base, int dim, int lo, int hi, int code[3], int64_t n)
{
	int mid = lo + (hi - lo) / 2;
	int64_t left = 0;
	if((c->rc = total(c->a, range(c->a, base, dims[dim], lo, mid), &left)))
		return;
	count_level(c, base, dim, lo, mid, code, left);
	count_level(c, base, dim, mid, hi, code, n - left);
}

/* Every job's newest session and last success, kept from the sessions that changed since
 * the last refresh (usn above the one seen): the first refresh reads every session once, in
 * chunks; later ones read only what changed. Guarded by cache.lock. */
struct job {
	struct uuid id;
	char *name;                /* job name (the session's name when it has none); NULL: free slot */
	struct uuid sid;           /* its newest session (by creation, then id) */
	int64_t creation_us;
	int type, state, result;
	int64_t success_end_us;    /* end of its newest successful session; 0: none */
};

static struct {
	struct job *v;             /* open addressing by job id; cap a power of two */
	size_t n, cap;
	int64_t usn;               /* sessions up to this usn are in */
} jobs;

#define JOB_CHUNK 2000

static size_t job_slot(const struct job *v, size_t cap, const struct uuid *id)
{
	uint64_t h = 1469598103934665603ull;
	for(size_t i = 0; i < sizeof(id->b); i++)
		h = (h ^ id->b[i]) * 1099511628211ull;
	size_t k = (size_t)h & (cap - 1);
	while(v[k].name && !uuid_eq(&v[k].id, id))
		k = (k + 1) & (cap - 1);
	return k;
}

static struct job *job_get(const struct uuid *id)
{
	if((jobs.n + 1) * 2 > jobs.cap) {
		size_t cap = jobs.cap ? jobs.cap * 2 : 256;
		struct job *v = xcalloc(cap, sizeof(*v));
		for(size_t i = 0; i < jobs.cap; i++)
			if(jobs.v[i].name)
				v[job_slot(v, cap, &jobs.v[i].id)] = jobs.v[i];
		free(jobs.v);
		jobs.v = v;
		jobs.cap = cap;
	}
	struct job *j = &jobs.v[job_slot(jobs.v, jobs.cap, id)];
	if(!j->name) {
		j->id = *id;
		j->name = xstrdup("");
		j->creation_us = INT64_MIN;
		jobs.n++;
	}
	return j;
}

struct delta {
	int64_t last_usn;
	int rows;
};

static int job_seen(void *ctx, const struct sess_rec *s)
{
	struct delta *d = ctx;
	d->last_usn = s->usn;
	d->rows++;
	if(uuid_is_nil(&s->job_id))
		return 0;
	struct job *j = job_get(&s->job_id);
	if(s->creation_us > j->creation_us ||
	   (s->creation_us == j->creation_us && memcmp(s->id.b, j->sid.b, sizeof(s->id.b)) >= 0)) {
		const char *name = s->job_name ? s->job_name : s->name ? s->name : "";
		if(strcmp(j->name, name)) {
			free(j->name);
			j->name = xstrdup(name);
		}
		j->sid = s->id;
		j->creation_us = s->creation_us;
		j->type = s->type;
		j->state = s->state;
		j->result = s->result;
	}
	if(s->result == RES_SUCCESS && s->end_us > j->success_end_us)
		j->success_end_us = s->end_us;
	return 0;
}

/* Reads the sessions that changed since jobs.usn, up to usn. */
static enum rc jobs_refresh(int64_t usn)
{
	struct arena a;
	arena_init(&a);
	enum rc rc = RC_OK;
	while(!rc && jobs.usn < usn) {
		if(__atomic_load_n(&cache.stopping, __ATOMIC_RELAXED)) {
			rc = RC_BUSY;
			break;
		}
		struct delta d = {.last_usn = jobs.usn};
		struct query q = {.where = q_int(&a, QF_USN, Q_GT, jobs.usn), .order = QO_USN, .asc = 1, .limit = JOB_CHUNK};
		rc = core_session_list(&q, &a, job_seen, &d, NULL);
		if(!rc)
			jobs.usn = d.rows < JOB_CHUNK ? usn : d.last_usn;
		arena_reset(&a);
	}
	arena_free(&a);
	return rc;
}

static int job_order(const void *x, const void *y)
{
	const struct job *a = *(const struct job *const *)x, *b = *(const struct job *const *)y;
	int c = strcasecmp(a->name, b->name);
	return c ? c : memcmp(a->id.b, b->id.b, sizeof(a->id.b));
}

static void job_labels(struct buf *b, const struct job *j)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&j->id, id);
	label(b, "job", j->name, 0);
	label(b, "job_id", id, 1);
}

static void render_jobs(struct buf *b)
{
	const struct job **v = xcalloc(jobs.n ? jobs.n : 1, sizeof(*v));
	size_t n = 0;
	for(size_t i = 0; i < jobs.cap; i++)
		if(jobs.v[i].name)
			v[n++] = &jobs.v[i];
	qsort(v, n, sizeof(*v), job_order);
	buf_addstr(b, "# HELP sessiond_job_last_result Result code of each job's newest session "
	              "(0 None: running, 1 Success, 2 Warning, 3 Failed).\n# TYPE sessiond_job_last_result gauge\n");
	for(size_t i = 0; i < n; i++) {
		buf_addstr(b, "sessiond_job_last_result{");
		job_labels(b, v[i]);
		label(b, "type", catalog_type_name(v[i]->type), 1);
		label(b, "state", catalog_state_name(v[i]->state), 1);
		label(b, "result", catalog_result_name(v[i]->result), 1);
		buf_printf(b, "} %d\n", v[i]->result);
	}
	buf_addstr(b, "# HELP sessiond_job_last_success_time_seconds End of each job's newest successful session, "
	              "seconds since the epoch.\n# TYPE sessiond_job_last_success_time_seconds gauge\n");
	for(size_t i = 0; i < n; i++)
		if(v[i]->success_end_us) {
			buf_addstr(b, "sessiond_job_last_success_time_seconds{");
			job_labels(b, v[i]);
			buf_printf(b, "} %.3f\n", (double)v[i]->success_end_us / 1e6);
		}
	free(v);
}

/* The store section into b; RC_OK or the failing read's rc. */
static enum rc render_store(struct buf *b, int64_t usn)
{
	struct arena a;
	arena_init(&a);
	int64_t all = 0;
	struct counts c = {.a = &a, .b = b};
	buf_addstr(b, "# HELP sessiond_sessions Stored sessions by type, state and result.\n"
	              "# TYPE sessiond_sessions gauge\n");
	c.rc = total(&a, NULL, &all);
	int code[3] = {0, 0, 0};
	count_level(&c, NULL, 0, 0, 1 << 16, code, all);
	enum rc rc = c.rc;
	if(!rc) {
		buf_printf(b, "# HELP sessiond_sessions_running Sessions not Stopped yet.\n"
		              "# TYPE sessiond_sessions_running gauge\nsessiond_sessions_running %lld\n",
		           (long long)c.running);
		buf_printf(b, "# HELP sessiond_usn The newest update sequence number.\n"
		              "# TYPE sessiond_usn gauge\nsessiond_usn %lld\n", (long long)usn);
		rc = jobs_refresh(usn);
		if(!rc)
			render_jobs(b);
	}
	arena_free(&a);
	return rc;
}

/* ---------- the backup estate: missed runs and repositories ---------- */

struct estate_pass {
	struct buf *b;
	struct buf repo[3];        /* capacity, free, used lines: each family stays together */
	struct arena *a;
	struct { struct uuid id; const char *name; int64_t missed; } *job;
	size_t njob, cap;
};

static int estate_job(void *ctx, const struct estate_rec *e)
{
	struct estate_pass *p = ctx;
	if(e->deleted)
		return 0;
	if(p->njob == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		void *v = arena_alloc(p->a, cap * sizeof(*p->job));
		if(p->njob)
			memcpy(v, p->job, p->njob * sizeof(*p->job));
		p->job = v;
		p->cap = cap;
	}
	p->job[p->njob].id = e->id;
	p->job[p->njob].name = e->name;
	p->job[p->njob].missed = 0;
	p->njob++;
	return 0;
}

static int estate_missed(void *ctx, const struct estate_rec *e)
{
	struct estate_pass *p = ctx;
	for(size_t i = 0; i < p->njob && !e->deleted; i++)
		if(uuid_eq(&p->job[i].id, &e->parent_id)) {
			p->job[i].missed++;
			break;
		}
	return 0;
}

/* A repository's capacity, free and used bytes and when they were measured, as reported. */
static int estate_repository(void *ctx, const struct estate_rec *e)
{
	static const char *const fields[] = {"capacityBytes", "freeBytes", "usedBytes"};
	static const char *const metric[] = {"sessiond_repository_capacity_bytes", "sessiond_repository_free_bytes",
	                                     "sessiond_repository_used_bytes"};
	struct estate_pass *p = ctx;
	json_t *props = e->deleted || !e->props ? NULL : json_loads(e->props, 0, NULL);
	if(!props)
		return 0;
	char id[UUID_STR_LEN + 1];
	uuid_format(&e->id, id);
	for(size_t f = 0; f < 3; f++) {
		json_t *v = json_object_get(props, fields[f]);
		if(!json_is_integer(v))
			continue;
		struct buf *b = &p->repo[f];
		buf_printf(b, "%s{", metric[f]);
		label(b, "repository", e->name, 0);
		label(b, "id", id, 1);
		buf_printf(b, "} %lld\n", (long long)json_integer_value(v));
	}
	json_decref(props);
	return 0;
}

/* Missed runs recorded per declared job and each repository's space, from the estate (its
 * objects carry usns, so this section follows the same cache as the sessions). Next expected
 * runs change with the clock, not the usn: they are shown by the dialects' job views. */
static enum rc render_estate(struct buf *b)
{
	struct arena a;
	arena_init(&a);
	struct estate_pass p = {.b = b, .a = &a};
	struct estate_query q = {.kind = EK_job};
	enum rc rc = core_estate_list(&q, &a, estate_job, &p, NULL);
	q.kind = EK_missedRun;
	if(!rc)
		rc = core_estate_list(&q, &a, estate_missed, &p, NULL);
	if(!rc) {
		buf_addstr(b, "# HELP sessiond_job_missed_runs Missed runs recorded for each declared job.\n"
		              "# TYPE sessiond_job_missed_runs gauge\n");
		for(size_t i = 0; i < p.njob; i++) {
			char id[UUID_STR_LEN + 1];
			uuid_format(&p.job[i].id, id);
			buf_addstr(b, "sessiond_job_missed_runs{");
			label(b, "job", p.job[i].name, 0);
			label(b, "job_id", id, 1);
			buf_printf(b, "} %lld\n", (long long)p.job[i].missed);
		}
		static const char *const head[] = {
			"# HELP sessiond_repository_capacity_bytes Capacity of each repository, as reported.\n"
			"# TYPE sessiond_repository_capacity_bytes gauge\n",
			"# HELP sessiond_repository_free_bytes Free space of each repository, as reported.\n"
			"# TYPE sessiond_repository_free_bytes gauge\n",
			"# HELP sessiond_repository_used_bytes Space used by backups in each repository, as reported.\n"
			"# TYPE sessiond_repository_used_bytes gauge\n"};
		for(int f = 0; f < 3; f++)
			buf_init(&p.repo[f], 0);
		q.kind = EK_repository;
		rc = core_estate_list(&q, &a, estate_repository, &p, NULL);
		for(int f = 0; f < 3; f++) {
			buf_addstr(b, head[f]);
			buf_add(b, p.repo[f].p, p.repo[f].len);
			buf_free(&p.repo[f]);
		}
	}
	arena_free(&a);
	return rc;
}

/* ---------- the answer ---------- */

/* Renders the store section again unless it is of the current usn; call with cache.lock. */
static enum rc cache_refresh(void)
{
	int64_t usn = core_usn();
	if(cache.valid && cache.usn == usn)
		return RC_OK;
	struct buf t;
	buf_init(&t, 0);
	enum rc rc = render_store(&t, usn);
	if(!rc)
		rc = render_estate(&t);
	if(rc) {
		buf_free(&t);
		return rc;
	}
	buf_free(&cache.text);
	cache.text = t;
	cache.usn = usn;
	cache.valid = 1;
	return RC_OK;
}

/* The first refresh reads every session (seconds for a million): done at start, so the
 * first scrape does not wait for it (one that comes earlier waits for the lock). */
static void *warm_main(void *arg)
{
	(void)arg;
	core_reads_rarely();
	pthread_mutex_lock(&cache.lock);
	cache_refresh();
	pthread_mutex_unlock(&cache.lock);
	core_release_memory();   /* the first rendering read every session; the thread ends */
	return NULL;
}

void api_metrics_init(const char *version, int64_t started_us)
{
	m.version = version;
	m.started_us = started_us;
	core_on_commit_time(commit_time);
	cache.stopping = 0;
	cache.warming = pthread_create(&cache.warm, NULL, warm_main, NULL) == 0;
}

void api_metrics_shutdown(void)
{
	core_on_commit_time(NULL);
	__atomic_store_n(&cache.stopping, 1, __ATOMIC_RELAXED);
	if(cache.warming)
		pthread_join(cache.warm, NULL);
	cache.warming = 0;
}

void api_metrics(struct req *r)
{
	struct buf *b = &r->out;
	pthread_mutex_lock(&cache.lock);
	enum rc rc = cache_refresh();
	if(!rc)
		buf_add(b, cache.text.p, cache.text.len);
	pthread_mutex_unlock(&cache.lock);
	if(rc) {
		dialect_misc.error(r, rc, 503, "cannot read the store for the metrics");
		req_add_header(r, "Retry-After", "5");
		return;
	}
	buf_printf(b, "# HELP sessiond_build_info Version of the running sessiond.\n# TYPE sessiond_build_info gauge\n"
	              "sessiond_build_info{version=\"%s\"} 1\n", m.version);
	buf_printf(b, "# HELP sessiond_process_start_time_seconds When the process started, seconds since the epoch.\n"
	              "# TYPE sessiond_process_start_time_seconds gauge\nsessiond_process_start_time_seconds %.3f\n",
	           (double)m.started_us / 1e6);
	buf_printf(b, "# HELP sessiond_feed_subscribers Long polls and event streams waiting for a change.\n"
	              "# TYPE sessiond_feed_subscribers gauge\nsessiond_feed_subscribers %d\n", feed_subscribers());
	buf_addstr(b, "# HELP sessiond_http_requests_total Answered requests by dialect and status class.\n"
	              "# TYPE sessiond_http_requests_total counter\n");
	for(int c = 0; c < MC__COUNT; c++)
		for(int s = 0; s < NSTATUS; s++)
			buf_printf(b, "sessiond_http_requests_total{dialect=\"%s\",code=\"%dxx\"} %llu\n", class_names[c], s + 1,
			           (unsigned long long)__atomic_load_n(&m.req[c][s].count, __ATOMIC_RELAXED));
	buf_addstr(b, "# HELP sessiond_http_request_duration_seconds Time from the request's headers to its end.\n"
	              "# TYPE sessiond_http_request_duration_seconds histogram\n");
	for(int c = 0; c < MC__COUNT; c++)
		for(int s = 0; s < NSTATUS; s++) {
			char labels[64];
			snprintf(labels, sizeof(labels), "dialect=\"%s\",code=\"%dxx\",", class_names[c], s + 1);
			hist_write(b, "sessiond_http_request_duration_seconds", labels, &m.req[c][s], req_bounds, NREQ_BOUNDS);
		}
	buf_addstr(b, "# HELP sessiond_store_commit_duration_seconds Time each store commit (one group of writes) took.\n"
	              "# TYPE sessiond_store_commit_duration_seconds histogram\n");
	hist_write(b, "sessiond_store_commit_duration_seconds", "", &m.commit, commit_bounds, NCOMMIT_BOUNDS);
	r->status = 200;
	r->ctype = "text/plain; version=0.0.4; charset=utf-8";
	req_add_header(r, "Cache-Control", "no-store");
}

/* ---------- the dialect of GET /metrics: a bearer token or API key of a reader ---------- */

static void metrics_error(struct req *r, enum rc rc, int status, const char *msg)
{
	dialect_misc.error(r, rc, status, msg);
}

static enum rc metrics_authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	enum rc rc = RC_UNAUTHORIZED;
	if(h && !strncasecmp(h, "Bearer ", 7)) {
		h += 7;
		while(*h == ' ')
			h++;
		size_t len = strlen(h);
		while(len && h[len - 1] == ' ')
			len--;
		if(len)
			rc = auth_verify(h, len, TOK_ACCESS, &r->who);
	}
	if(rc) {
		metrics_error(r, rc, 401, "send Authorization: Bearer with an API key or access token of a viewer, "
		                          "operator or admin (or scrape the --metrics-listen address)");
		req_add_header(r, "WWW-Authenticate", "Bearer");
	}
	return rc;
}

static const struct route routes[] = {
	{M_GET, "/metrics", PERM_READ, api_metrics, 0},
};

const struct dialect dialect_metrics = {
	.name = "metrics",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.authenticate = metrics_authenticate,
	.error = metrics_error,
};
