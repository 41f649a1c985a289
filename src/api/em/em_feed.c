/* Enterprise Manager lists in constant memory (see em.h, struct em__list).
 *
 * The rows are read in chunks. After the first chunk, the next one continues after the
 * last row read (a keyset on the order's column and the id, which the store seeks to in
 * its indexes), except for orders on a text column, whose comparison (case-insensitive)
 * differs from the store's sort, where the next chunk is the next page (offset). Sessions
 * by job name are read job by job (each job's sessions by creation time, through the
 * index on the job), the jobs in the order of their names (case-insensitive; jobs whose
 * names differ only in case are read together); a job is named by its newest session, so
 * the sessions of a renamed job sort under its new name. Each chunk is rendered into a
 * chunk arena: r->arena points at it while the rows are rendered. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/em/em.h"
#include "core/core.h"
#include "model/catalog.h"
#include "model/query.h"

struct feed {
	struct req *r;
	struct em__list l;
	struct em__out o;
	struct em__emit e;
	struct arena chunk;          /* reset before every chunk */
	struct arena *req_arena;     /* r->arena outside a chunk */
	struct buf pending;          /* the first chunk, rendered in the handler */
	int started, finished;
	int64_t skip_left;           /* rows still to skip here (job order) */
	int64_t remaining;           /* rows still to write; < 0: all */
	int64_t written;             /* rows written */
	int64_t read;                /* rows read by the current query */
	int64_t queries;             /* queries run (the first may skip in the store) */
	/* keyset: the last row read */
	int have_last;
	int64_t last_v;
	int last_null;
	struct uuid last_id;
	enum qfield kfield;          /* the order's column; QF__COUNT: text order, paged by offset */
	/* job order: the jobs in the order of their names; jobs whose names differ only in
	 * case make one group, whose sessions are read together */
	struct uuid *jobs;
	size_t njobs;
	size_t *groups;              /* groups[g]: the first job of group g; groups[ngroups] = njobs */
	size_t ngroups, group;
	const char *last_name;       /* of the last job collected */
};

/* The integer column an order sorts on, or QF__COUNT for a text column. */
static enum qfield order_field(int tasks, enum qorder o)
{
	switch(o) {
	case QO_CREATION: return QF_CREATION;
	case QO_END: return QF_END;
	case QO_STATE: return QF_STATE;
	case QO_RESULT: return QF_RESULT;
	case QO_PROGRESS: return QF_PROGRESS;
	case QO_USN: return QF_USN;
	case QO_TYPE: return tasks ? QF_TASK_TYPE : QF_TYPE;
	case QO_TASK_TYPE: return QF_TASK_TYPE;
	case QO_SESSION_TYPE: return tasks ? QF_SESSION_TYPE : QF_TYPE;
	default: return QF__COUNT;
	}
}

static int64_t field_value(enum qfield f, int64_t creation, int64_t end, int state, int result, int progress,
                           int type, int session_type, int64_t usn, int *null)
{
	*null = 0;
	switch(f) {
	case QF_CREATION: return creation;
	case QF_END: *null = end == 0; return end;
	case QF_STATE: return state;
	case QF_RESULT: return result;
	case QF_PROGRESS: return progress;
	case QF_USN: return usn;
	case QF_TYPE:
	case QF_TASK_TYPE: return type;
	case QF_SESSION_TYPE: return session_type;
	default: return 0;
	}
}

/* Counts a row read; 1 when the row is not to be written (skipped), -1 when the page is full. */
static int take(struct feed *f)
{
	f->read++;
	if(f->skip_left > 0) {
		f->skip_left--;
		return 1;
	}
	if(f->remaining == 0)
		return -1;
	if(f->remaining > 0)
		f->remaining--;
	f->written++;
	return 0;
}

static int feed_session(void *ctx, const struct sess_rec *s)
{
	struct feed *f = ctx;
	f->have_last = 1;
	f->last_id = s->id;
	enum qfield k = f->l.by_job ? QF_CREATION : f->kfield;
	f->last_v = field_value(k, s->creation_us, s->end_us, s->state, s->result, s->progress, s->type, s->type, s->usn,
	                        &f->last_null);
	int t = take(f);
	if(t < 0)
		return 1;
	if(!t)
		em__emit_session(&f->e, s);
	return 0;
}

static int feed_task(void *ctx, const struct task_rec *tr)
{
	struct feed *f = ctx;
	f->have_last = 1;
	f->last_id = tr->id;
	f->last_v = field_value(f->kfield, tr->creation_us, tr->end_us, tr->state, tr->result, tr->progress, tr->type,
	                        tr->session_type, tr->usn, &f->last_null);
	int t = take(f);
	if(t < 0)
		return 1;
	if(!t)
		em__emit_task(&f->e, tr);
	return 0;
}

/* Rows after the last one read, in the order (asc or not) on column k, then the id. */
static const struct qexpr *after_last(struct arena *a, struct feed *f, enum qfield k, int asc)
{
	enum qop cmp = asc ? Q_GT : Q_LT;
	const struct qexpr *id_after = q_uuid(a, QF_ID, cmp, &f->last_id);
	if(f->last_null) /* NULLs sort first ascending, last descending */
		return asc ? q_or(a, q_and(a, q_null(a, k, 1), id_after), q_null(a, k, 0))
		           : q_and(a, q_null(a, k, 1), id_after);
	const struct qexpr *ks =
	    q_or(a, q_int(a, k, cmp, f->last_v), q_and(a, q_int(a, k, Q_EQ, f->last_v), id_after));
	return k == QF_END && !asc ? q_or(a, ks, q_null(a, k, 1)) : ks;
}

static int collect_job(void *ctx, const struct sess_rec *s)
{
	struct feed *f = ctx;
	if(f->njobs % 64 == 0) {
		struct uuid *v = arena_alloc(f->req_arena, sizeof(*v) * (f->njobs + 64));
		size_t *g = arena_alloc(f->req_arena, sizeof(*g) * (f->njobs + 65));
		if(f->njobs) {
			memcpy(v, f->jobs, sizeof(*v) * f->njobs);
			memcpy(g, f->groups, sizeof(*g) * f->ngroups);
		}
		f->jobs = v;
		f->groups = g;
	}
	const char *name = s->job_name ? s->job_name : s->name;
	if(!f->last_name || strcasecmp(f->last_name, name))
		f->groups[f->ngroups++] = f->njobs;
	f->last_name = arena_strdup(f->req_arena, name);
	f->jobs[f->njobs++] = s->job_id;
	f->groups[f->ngroups] = f->njobs;
	return 0;
}

/* Runs the next query of the list into the chunk arena: 1 more may follow, 0 done, -1 failed. */
static int next_query(struct feed *f)
{
	struct arena *a = &f->chunk;
	struct query q = {.where = f->l.where, .order = f->l.order, .asc = f->l.asc, .limit = EM__CHUNK};
	if(f->remaining >= 0 && f->skip_left == 0 && f->remaining < q.limit)
		q.limit = f->remaining;
	if(f->l.by_job) {
		if(f->group >= f->ngroups)
			return 0;
		size_t g = f->l.asc ? f->group : f->ngroups - 1 - f->group;
		const struct qexpr *jobs = NULL;
		for(size_t j = f->groups[g]; j < f->groups[g + 1]; j++)
			jobs = jobs ? q_or(a, jobs, q_uuid(a, QF_JOB_ID, Q_EQ, &f->jobs[j])) : q_uuid(a, QF_JOB_ID, Q_EQ, &f->jobs[j]);
		q.order = QO_CREATION;
		q.where = q_and(a, q.where, jobs);
		if(f->have_last)
			q.where = q_and(a, q.where, after_last(a, f, QF_CREATION, f->l.asc));
	} else if(f->kfield == QF__COUNT) {
		q.skip = f->l.skip + f->written;
	} else if(f->have_last) {
		q.where = q_and(a, q.where, after_last(a, f, f->kfield, f->l.asc));
	} else
		q.skip = f->l.skip;
	f->read = 0;
	f->queries++;
	enum rc rc = q.limit == 0 ? RC_OK
	             : f->l.tasks ? core_task_list(&q, a, feed_task, f, NULL)
	                          : core_session_list(&q, a, feed_session, f, NULL);
	if(rc)
		return -1;
	if(f->remaining == 0)
		return 0;
	if(f->read < q.limit) { /* this query's rows are exhausted */
		if(!f->l.by_job)
			return 0;
		f->group++;
		f->have_last = 0;
		return f->group < f->ngroups;
	}
	return 1;
}

/* Appends the next piece to out: 1 more follows, 0 this was the last, -1 failed. */
static int feed_next(struct feed *f, struct buf *out)
{
	f->o.x.b = out;
	f->o.j.b = out;
	if(!f->started) {
		f->started = 1;
		if(f->l.head)
			f->l.head(&f->o, f->l.ctx);
	}
	if(f->finished)
		return 0;
	arena_reset(&f->chunk);
	f->e.have_cached = 0;
	f->r->arena = &f->chunk;
	int more = next_query(f);
	f->r->arena = f->req_arena;
	if(more < 0)
		return -1;
	if(!more) {
		f->finished = 1;
		if(f->l.tail)
			f->l.tail(&f->o, f->written, f->l.ctx);
	}
	return more;
}

static int feed_stream(struct req *r, struct buf *part)
{
	struct feed *f = r->work;
	if(f->pending.len) {
		buf_add(part, f->pending.p, f->pending.len);
		buf_free(&f->pending);
		return 1;
	}
	int more = feed_next(f, part);
	if(more < 0)
		return -1;
	return more;
}

static void feed_done(struct req *r)
{
	struct feed *f = r->work;
	arena_free(&f->chunk);
	buf_free(&f->pending);
}

void em__list_send(struct req *r, const struct em__list *l, const char *what)
{
	struct feed *f = arena_zalloc(r->arena, sizeof(*f));
	f->r = r;
	f->l = *l;
	f->req_arena = r->arena;
	f->remaining = l->limit;
	f->kfield = order_field(l->tasks, l->order);
	f->e = (struct em__emit){.r = r, .o = &f->o, .entity = l->entity, .parent = l->parent};
	arena_init(&f->chunk);
	buf_init(&f->pending, 0);
	if(l->by_job) {
		f->skip_left = l->skip;
		if(core_job_latest(r->arena, collect_job, f)) {
			arena_free(&f->chunk);
			em__error(r, RC_BACKEND, 0, what);
			return;
		}
	}
	em__out_begin(r, &f->o, 200);
	int more;
	/* A list that ends within its first chunks is answered at once. */
	for(int i = 0; i < 4 && (more = feed_next(f, &r->out)) > 0 && f->written < EM__CHUNK;)
		if(f->read)
			i++;
	if(more <= 0 || r->out.failed) {
		arena_free(&f->chunk);
		if(more < 0 || r->out.failed)
			em__error(r, RC_BACKEND, 0, what);
		return;
	}
	buf_add(&f->pending, r->out.p, r->out.len);
	buf_reset(&r->out);
	r->work = f;
	r->stream = feed_stream;
	r->stream_done = feed_done;
}
