/* core/jobs: the job view (jobs.h). Declared jobs come from the estate, seen jobs
 * from the newest session of every job id; one job may be both, joined by id or by
 * name. */
#include "core/jobs.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "util/timefmt.h"

struct gather {
	struct arena *a;
	struct job_view *v;
	size_t n, cap;
	size_t nd;                  /* the first nd are declared */
	size_t *by_id, *by_name;    /* positions of the declared, sorted for search() */
	struct job_view probe;      /* what search() looks for: position PROBE */
	struct repo_memo {          /* repositories looked up by name so far (jobs share a few) */
		const char *name;
		struct uuid id;
	} *repos;
	size_t nrepos, caprepos;
};

#define PROBE ((size_t)-1)

static const struct job_view *at(const struct gather *g, size_t i)
{
	return i == PROBE ? &g->probe : &g->v[i];
}


static struct job_view *grow(struct gather *g)
{
	if(g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct job_view *v = arena_alloc(g->a, cap * sizeof(*v));
		if(g->n)
			memcpy(v, g->v, g->n * sizeof(*v));
		g->v = v;
		g->cap = cap;
	}
	struct job_view *j = &g->v[g->n++];
	memset(j, 0, sizeof(*j));
	j->grace_s = -1;
	return j;
}

/* A declared job: its properties as reported. */
static void from_estate(struct arena *a, struct job_view *j, const struct estate_rec *e)
{
	j->id = e->id;
	j->name = e->name;
	j->declared = 1;
	j->created_us = e->created_us;
	j->type = -1;
	json_t *p = e->props ? json_loads(e->props, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(p, "type"));
	if(type)
		j->type = catalog_type_parse(type);
	j->description = arena_strdup(a, json_string_value(json_object_get(p, "description")));
	j->schedule = arena_strdup(a, json_string_value(json_object_get(p, "schedule")));
	j->repository = arena_strdup(a, json_string_value(json_object_get(p, "repository")));
	json_t *grace = json_object_get(p, "graceSeconds");
	if(json_is_integer(grace))
		j->grace_s = json_integer_value(grace);
	json_t *objects = json_object_get(p, "objects");
	j->objects = json_is_array(objects) ? (int)json_array_size(objects) : -1;
	j->disabled = json_is_true(json_object_get(p, "disabled"));
	json_decref(p);
}

static int add_declared(void *ctx, const struct estate_rec *e)
{
	from_estate(((struct gather *)ctx)->a, grow(ctx), e);
	return 0;
}

static const char *session_job_name(const struct sess_rec *s)
{
	return s->job_name && *s->job_name ? s->job_name : s->name;
}

static int cmp_id(const void *x, const void *y, void *ctx)
{
	return memcmp(&at(ctx, *(const size_t *)x)->id, &at(ctx, *(const size_t *)y)->id, sizeof(struct uuid));
}

static int cmp_name(const void *x, const void *y, void *ctx)
{
	return strcasecmp(at(ctx, *(const size_t *)x)->name, at(ctx, *(const size_t *)y)->name);
}

/* Binary search of idx (sorted by cmp) for the entry equal to probe. */
static size_t *search(struct gather *g, size_t *idx, int (*cmp)(const void *, const void *, void *))
{
	size_t lo = 0, hi = g->nd, probe = PROBE;
	while(lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(&probe, &idx[mid], g);
		if(!c)
			return &idx[mid];
		if(c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The declared job with id, else name, not yet joined to sessions; NULL if none. */
static struct job_view *declared(struct gather *g, const struct uuid *id, const char *name)
{
	if(!g->nd)
		return NULL;
	g->probe.id = *id;
	g->probe.name = name ? name : "";
	size_t *p = uuid_is_nil(id) ? NULL : search(g, g->by_id, cmp_id);
	if(!p && name)
		p = search(g, g->by_name, cmp_name);
	return p && !g->v[*p].has_last ? &g->v[*p] : NULL;
}

/* A seen job: joined to the declared one with its id, else its name, else new. System
 * sessions (Enterprise Manager's systemSessions family: maintenance, catalog, collection)
 * are runs of no job, even with a job id: they make a job only when one is declared.
 * Restore sessions do make one: Enterprise Manager links a restore session up to its job. */
static int add_seen(void *ctx, const struct sess_rec *s)
{
	struct gather *g = ctx;
	const char *name = session_job_name(s);
	struct job_view *j = declared(g, &s->job_id, name);
	enum em_family f = catalog_type_em_family(s->type);
	if(!j && f == EMF_SYSTEM)
		return 0;
	if(!j) {
		j = grow(g);
		j->id = s->job_id;
		j->name = name;
		j->type = -1;
		j->objects = -1;
	}
	j->has_last = 1;
	j->last = *s;
	if(j->type < 0)
		j->type = s->type;
	return 0;
}

static int first_sess(void *ctx, const struct sess_rec *s)
{
	*(struct sess_rec *)ctx = *s;
	return 1;
}

static int no_task(void *ctx, const struct task_rec *t)
{
	(void)ctx;
	(void)t;
	return 1;
}

/* The estate id of the repository named name (nil when there is none), read once per list:
 * the names looked up so far are kept sorted (case-insensitively) for a binary search. */
static struct uuid repo_id(struct gather *g, const char *name)
{
	size_t lo = 0, hi = g->nrepos;
	while(lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(name, g->repos[mid].name);
		if(!c)
			return g->repos[mid].id;
		if(c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if(g->nrepos == g->caprepos) {
		size_t cap = g->caprepos ? g->caprepos * 2 : 16;
		struct repo_memo *m = arena_alloc(g->a, cap * sizeof(*m));
		if(g->nrepos)
			memcpy(m, g->repos, g->nrepos * sizeof(*m));
		g->repos = m;
		g->caprepos = cap;
	}
	memmove(&g->repos[lo + 1], &g->repos[lo], (g->nrepos - lo) * sizeof(*g->repos));
	g->nrepos++;
	struct estate_rec r;
	struct repo_memo *m = &g->repos[lo];
	m->name = name;
	memset(&m->id, 0, sizeof(m->id));
	if(!core_estate_find(EK_repository, name, g->a, &r))
		m->id = r.id;
	return m->id;
}

/* What needs a read of its own: the repository's id, the objects of the last run when none
 * were declared, the newest success. */
static void finish(struct gather *g, struct job_view *j)
{
	struct arena *a = g->a;
	core__missed_fill(j, a);
	if(j->type < 0)
		j->type = catalog_type_parse("BackupJob");
	if(j->repository)
		j->repository_id = repo_id(g, j->repository);
	if(!j->has_last) {
		if(j->objects < 0)
			j->objects = 0;
		return;
	}
	if(j->objects < 0) {
		int64_t n = 0;
		struct query q = {.where = q_uuid(a, QF_SESSION_ID, Q_EQ, &j->last.id), .limit = 0, .want_total = 1};
		j->objects = core_task_list(&q, a, no_task, NULL, &n) ? 0 : (int)n;
	}
	if(j->last.result == RES_SUCCESS && j->last.end_us) {
		j->last_success_us = j->last.end_us;
		return;
	}
	struct sess_rec s = {0};
	struct query q = {
		.where = q_and(a, q_uuid(a, QF_JOB_ID, Q_EQ, &j->last.job_id), q_int(a, QF_RESULT, Q_EQ, RES_SUCCESS)),
		.order = QO_CREATION, .asc = 0, .limit = 1,
	};
	if(!core_session_list(&q, a, first_sess, &s, NULL) && s.end_us)
		j->last_success_us = s.end_us;
}

static int by_name(const void *x, const void *y)
{
	const struct job_view *a = x, *b = y;
	int c = strcasecmp(a->name ? a->name : "", b->name ? b->name : "");
	return c ? c : memcmp(&a->id, &b->id, sizeof(a->id));
}

static enum rc gather(struct arena *a, struct gather *g)
{
	memset(g, 0, sizeof(*g));
	g->a = a;
	struct estate_query q = {.kind = EK_job, .after_usn = -1};
	enum rc rc = core_estate_list(&q, a, add_declared, g, NULL);
	if(rc)
		return rc;
	g->nd = g->n;
	g->by_id = arena_alloc(a, (g->nd + 1) * sizeof(size_t));
	g->by_name = arena_alloc(a, (g->nd + 1) * sizeof(size_t));
	for(size_t i = 0; i < g->nd; i++)
		g->by_id[i] = g->by_name[i] = i;
	qsort_r(g->by_id, g->nd, sizeof(size_t), cmp_id, g);
	qsort_r(g->by_name, g->nd, sizeof(size_t), cmp_name, g);
	return core_job_latest(a, add_seen, g);
}

/* ---------- the view at one usn, shared ----------
 * Building the view reads every declared job, the newest session of every job, and per job
 * its missed runs, repository and last success: thousands of reads at a thousand jobs. One
 * view is kept for every reader while the store's usn has not moved (any write moves it)
 * and it is under a second old (next runs and missed runs follow the clock); a reader gets
 * copies of the jobs in its own arena, so nothing of the shared view outlives its lock. */

struct view {
	int refs;                   /* the memo's own, plus one per reader */
	int64_t usn, built_us;
	struct arena a;
	struct job_view *v;
	size_t n;
};

#define VIEW_MAX_AGE_US 1000000

static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static struct view *memo;

static void view_unref(struct view *v)
{
	pthread_mutex_lock(&memo_mu);
	int last = --v->refs == 0;
	pthread_mutex_unlock(&memo_mu);
	if(last) {
		arena_free(&v->a);
		free(v);
	}
}

static void view_copy(struct arena *a, struct job_view *d, const struct job_view *j);

/* Built in an arena of its own, then copied (without what no reader shows) into the view's,
 * so the view keeps kilobytes per job at most, not every newest session's info blocks. */
static enum rc view_build(int64_t usn, struct view **out)
{
	struct arena tmp;
	arena_init(&tmp);
	struct gather g;
	enum rc rc = gather(&tmp, &g);
	if(rc) {
		arena_free(&tmp);
		return rc;
	}
	if(g.n)
		qsort(g.v, g.n, sizeof(*g.v), by_name);
	for(size_t i = 0; i < g.n; i++)
		finish(&g, &g.v[i]);
	struct view *v = xcalloc(1, sizeof(*v));
	arena_init(&v->a);
	v->v = arena_alloc(&v->a, (g.n + 1) * sizeof(*v->v));
	for(size_t i = 0; i < g.n; i++)
		view_copy(&v->a, &v->v[i], &g.v[i]);
	arena_free(&tmp);
	v->n = g.n;
	v->usn = usn;
	v->built_us = time_now_us();
	*out = v;
	return RC_OK;
}

/* The current view, referenced for the caller (view_unref when done). */
static enum rc view_get(struct view **out)
{
	int64_t usn = core_usn_fresh();   /* before reading: a write during the build makes it stale, not wrong */
	pthread_mutex_lock(&memo_mu);
	struct view *v = memo;
	if(v && v->usn == usn && time_now_us() - v->built_us < VIEW_MAX_AGE_US) {
		v->refs++;
		pthread_mutex_unlock(&memo_mu);
		*out = v;
		return RC_OK;
	}
	pthread_mutex_unlock(&memo_mu);
	enum rc rc = view_build(usn, &v);
	if(rc)
		return rc;
	v->refs = 1;
	struct view *old = NULL;
	pthread_mutex_lock(&memo_mu);
	if(!memo || memo->usn <= usn) {
		old = memo;
		memo = v;
		v->refs++;
	}
	pthread_mutex_unlock(&memo_mu);
	if(old)
		view_unref(old);
	*out = v;
	return RC_OK;
}

/* j as the caller's own: its strings in a. The newest session's message and extra (info
 * blocks) are left out: no job view shows them. */
static void view_copy(struct arena *a, struct job_view *d, const struct job_view *j)
{
	*d = *j;
	d->name = arena_strdup(a, j->name);
	d->description = arena_strdup(a, j->description);
	d->schedule = arena_strdup(a, j->schedule);
	d->repository = arena_strdup(a, j->repository);
	d->last.message = d->last.extra = NULL;
	sess_rec_own(&d->last, a);
}

enum rc core_jobs(struct arena *a, int (*cb)(void *ctx, const struct job_view *j), void *ctx)
{
	struct view *v;
	enum rc rc = view_get(&v);
	if(rc)
		return rc;
	for(size_t i = 0; i < v->n; i++) {
		struct job_view j;
		view_copy(a, &j, &v->v[i]);
		if(cb(ctx, &j))
			break;
	}
	view_unref(v);
	return RC_OK;
}

enum rc core_job_get(const struct uuid *id, struct arena *a, struct job_view *out)
{
	struct view *v;
	enum rc rc = view_get(&v);
	if(rc)
		return rc;
	rc = RC_NOTFOUND;
	for(size_t i = 0; i < v->n; i++)
		if(uuid_eq(&v->v[i].id, id) || (v->v[i].has_last && uuid_eq(&v->v[i].last.job_id, id))) {
			view_copy(a, out, &v->v[i]);
			rc = RC_OK;
			break;
		}
	view_unref(v);
	return rc;
}

/* Frees the shared view (at shutdown, so that leak checkers see every block returned). */
void core__jobs_forget(void)
{
	pthread_mutex_lock(&memo_mu);
	struct view *v = memo;
	memo = NULL;
	pthread_mutex_unlock(&memo_mu);
	if(v)
		view_unref(v);
}
