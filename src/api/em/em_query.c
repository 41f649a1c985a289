/* Enterprise Manager query service: GET /api/query?type=…&filter=…&sortAsc|sortDesc=…
 * &pageSize=…&page=…&format=References|Entities. The filter grammar is em_filter.c's;
 * rows are rendered by em.c's row callbacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/em/em.h"
#include "api/em/em_filter.h"
#include "model/catalog.h"
#include "core/core.h"
#include "model/estate.h"
#include "model/query.h"

static const struct em_field job_fields[] = {
	{"UID", QF_ID, EMK_UID}, {"Name", QF_NAME, EMK_SHOWN_NAME}, {"JobType", QF_TYPE, EMK_JOB_TYPE},
	{"JobUid", QF_JOB_ID, EMK_UID}, {"JobName", QF_JOB_NAME, EMK_TEXT},
	{"CreationTime", QF_CREATION, EMK_TIME}, {"CreationTimeUTC", QF_CREATION, EMK_TIME},
	{"EndTime", QF_END, EMK_TIME}, {"EndTimeUTC", QF_END, EMK_TIME}, {"State", QF_STATE, EMK_STATE},
	{"Result", QF_RESULT, EMK_RESULT}, {"IsRetry", QF_IS_RETRY, EMK_BOOL}, {"Progress", QF_PROGRESS, EMK_INT},
	{"BackupServerUid", QF_BACKUP_SERVER, EMK_SERVER_UID}, {"BackupServerName", QF_BACKUP_SERVER, EMK_TEXT},
	{NULL, 0, 0},
};

static const struct em_field system_fields[] = {
	{"UID", QF_ID, EMK_UID}, {"Name", QF_NAME, EMK_SHOWN_NAME}, {"SessionType", QF_TYPE, EMK_JOB_TYPE},
	{"CreationTime", QF_CREATION, EMK_TIME}, {"CreationTimeUTC", QF_CREATION, EMK_TIME},
	{"EndTime", QF_END, EMK_TIME}, {"EndTimeUTC", QF_END, EMK_TIME}, {"Result", QF_RESULT, EMK_RESULT},
	{NULL, 0, 0},
};

static const struct em_field task_fields[] = {
	{"UID", QF_ID, EMK_UID}, {"Name", QF_NAME, EMK_TEXT}, {"VmDisplayName", QF_NAME, EMK_TEXT},
	{"JobSessionUid", QF_SESSION_ID, EMK_UID}, {"CreationTime", QF_CREATION, EMK_TIME},
	{"CreationTimeUTC", QF_CREATION, EMK_TIME}, {"EndTime", QF_END, EMK_TIME},
	{"EndTimeUTC", QF_END, EMK_TIME}, {"State", QF_STATE, EMK_TASK_STATE}, {"Result", QF_RESULT, EMK_RESULT},
	{NULL, 0, 0},
};

/* Jobs match when one of their sessions does; these fields are the same in each. */
static const struct em_field job_entity_fields[] = {
	{"UID", QF_JOB_ID, EMK_UID}, {"Name", QF_JOB_NAME, EMK_TEXT}, {"JobType", QF_TYPE, EMK_JOB_TYPE},
	{"Platform", QF_PLATFORM, EMK_TEXT}, {"BackupServerUid", QF_BACKUP_SERVER, EMK_SERVER_UID},
	{"BackupServerName", QF_BACKUP_SERVER, EMK_TEXT}, {NULL, 0, 0},
};

struct sort_name {
	const char *name;
	enum qorder order;
	int by_job;     /* sessions: by job name, then creation time (the Name shown is job@time) */
};

static const struct sort_name job_sorts[] = {
	{"Name", QO_NAME, 1}, {"JobName", QO_JOB_NAME, 1}, {"JobType", QO_TYPE, 0}, {"SessionType", QO_TYPE, 0},
	{"CreationTime", QO_CREATION, 0}, {"CreationTimeUTC", QO_CREATION, 0}, {"EndTime", QO_END, 0},
	{"EndTimeUTC", QO_END, 0}, {"State", QO_STATE, 0}, {"Result", QO_RESULT, 0}, {"Progress", QO_PROGRESS, 0}, {NULL, 0, 0},
};

static const struct sort_name job_entity_sorts[] = {{"Name", QO_JOB_NAME, 0}, {"JobType", QO_TYPE, 0}, {NULL, 0, 0}};

static const struct sort_name task_sorts[] = {
	{"Name", QO_NAME, 0}, {"VmDisplayName", QO_NAME, 0}, {"CreationTime", QO_CREATION, 0},
	{"CreationTimeUTC", QO_CREATION, 0}, {"EndTime", QO_END, 0}, {"EndTimeUTC", QO_END, 0}, {"State", QO_STATE, 0},
	{"Result", QO_RESULT, 0}, {NULL, 0, 0},
};

/* Query types: sessions of a family, task sessions of backup / replica sessions, jobs,
 * and the caller's tasks (the answers to stops). */
static const struct qtype {
	const char *name;
	int fam;        /* sessions of this family; EMF_NONE for tasks and jobs */
	int task;       /* 1 backup tasks, 2 replica tasks */
	const char *plural;
	int job;
	int emtask;     /* tasks (type=Task) */
	int kind;       /* estate objects of this kind (model/estate.h) */
} qtypes[] = {
	{"Job", EMF_NONE, 0, "Jobs", 1, 0, 0},
	{"Task", EMF_NONE, 0, "Tasks", 0, 1, 0},
	{"Repository", EMF_NONE, 0, "Repositories", 0, 0, EK_repository},
	{"Backup", EMF_NONE, 0, "Backups", 0, 0, EK_backup},
	{"RestorePoint", EMF_NONE, 0, "RestorePoints", 0, 0, EK_restorePoint},
	{"BackupJobSession", EMF_BACKUP, 0, "BackupJobSessions", 0, 0, 0},
	{"ReplicaJobSession", EMF_REPLICA, 0, "ReplicaJobSessions", 0, 0, 0},
	{"RestoreSession", EMF_RESTORE, 0, "RestoreSessions", 0, 0, 0},
	{"SystemSession", EMF_SYSTEM, 0, "SystemSessions", 0, 0, 0},
	{"BackupTaskSession", EMF_NONE, 1, "BackupTaskSessions", 0, 0, 0},
	{"ReplicaTaskSession", EMF_NONE, 2, "ReplicaTaskSessions", 0, 0, 0},
};

const char *const em__query_types[] = {
	"BackupJobSession", "ReplicaJobSession", "RestoreSession", "SystemSession", "BackupTaskSession",
	"ReplicaTaskSession", "Job", "Task", "Repository", "Backup", "RestorePoint", NULL,
};

static enum rc q_posint(struct req *r, const char *name, int64_t def, int64_t *out)
{
	const char *v = req_query(r, name);
	*out = def;
	if(!v)
		return RC_OK;
	char *end;
	long long n = strtoll(v, &end, 10);
	if(!*v || *end || n < 0 || n > 0x7fffffff) {
		char msg[120];
		snprintf(msg, sizeof(msg), "query parameter %s must be a non-negative integer", name);
		em__error(r, RC_INVALID, 400, msg);
		return RC_INVALID;
	}
	*out = n;
	return RC_OK;
}

/* The query URL with page replaced, for PagingInfo links. */
static const char *page_href(struct req *r, int64_t page)
{
	struct buf b;
	buf_init(&b, 16384);
	buf_addstr(&b, "/api/query?");
	static const char *const keep[] = {"type", "format", "filter", "sortAsc", "sortDesc", "pageSize"};
	int first = 1;
	for(size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const char *v = req_query(r, keep[i]);
		if(!v)
			continue;
		buf_printf(&b, "%s%s=", first ? "" : "&", keep[i]);
		for(const unsigned char *p = (const unsigned char *)v; *p; p++) {
			if((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			   strchr("-_.~:=;,()<>!", *p))
				buf_addc(&b, (char)*p);
			else
				buf_printf(&b, "%%%02X", *p);
		}
		first = 0;
	}
	buf_printf(&b, "&page=%lld", (long long)page);
	const char *s = em__href(r, "%s", buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* ---------- jobs ---------- */

/* A set of job ids (open addressing, in an arena). */
struct idset {
	struct arena *a;
	struct uuid *v;
	unsigned char *used;
	size_t cap, n;
};

static size_t id_slot(const struct idset *s, const struct uuid *u)
{
	uint64_t h;
	memcpy(&h, u->b + 8, sizeof(h)); /* ids are random or hashed: any 8 bytes spread */
	size_t i = (size_t)(h * 0x9E3779B97F4A7C15ull) & (s->cap - 1);
	while(s->used[i] && !uuid_eq(&s->v[i], u))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void id_add(struct idset *s, const struct uuid *u)
{
	if(2 * (s->n + 1) > s->cap) {
		struct idset g = {.a = s->a, .cap = s->cap ? 2 * s->cap : 256};
		g.v = arena_alloc(g.a, sizeof(*g.v) * g.cap);
		g.used = arena_zalloc(g.a, g.cap);
		for(size_t i = 0; i < s->cap; i++)
			if(s->used[i])
				id_add(&g, &s->v[i]);
		*s = g;
	}
	size_t i = id_slot(s, u);
	if(!s->used[i]) {
		s->used[i] = 1;
		s->v[i] = *u;
		s->n++;
	}
}

static int id_has(const struct idset *s, const struct uuid *u)
{
	return s->cap && s->used[id_slot(s, u)];
}

static int collect_job_id(void *ctx, const struct sess_rec *s)
{
	id_add(ctx, &s->job_id);
	return 0;
}

/* A declared job that never ran, against the filter (jobs that ran match through their
 * sessions): its id, name, type and server (sessiond's) are known, its platform is not. */
static int declared_match(const struct job_view *j, const struct qexpr *x)
{
	switch(x->op) {
	case Q_AND: return declared_match(j, x->a) && declared_match(j, x->b);
	case Q_OR: return declared_match(j, x->a) || declared_match(j, x->b);
	case Q_NOT: return !declared_match(j, x->a);
	default: break;
	}
	int c;
	if(x->field == QF_TYPE && x->op == Q_IN) {
		for(int i = 0; i < x->nlist; i++)
			if(x->list[i] == j->type)
				return 1;
		return 0;
	}
	if(x->field == QF_JOB_ID)
		c = memcmp(j->id.b, x->u.b, sizeof(x->u.b));
	else if(x->field == QF_JOB_NAME)
		c = strcasecmp(j->name, x->s ? x->s : "");
	else if(x->field == QF_BACKUP_SERVER)
		c = strcasecmp(core_info()->server_name, x->s ? x->s : "");
	else
		return 0;
	return q_op_holds(x->op, c);
}

struct jobs {
	const struct qexpr *filter;   /* the filter as given: for declared jobs that never ran */
	const struct idset *only;     /* NULL: every job */
	struct arena *a;
	struct job_view *v;
	size_t n, cap;
};

static int collect_job(void *ctx, const struct job_view *jv)
{
	struct jobs *j = ctx;
	if(!em__job_shown(jv))
		return 0;
	if(j->only && !(jv->has_last ? id_has(j->only, &jv->last.job_id) : declared_match(jv, j->filter)))
		return 0;
	if(j->n == j->cap) {
		j->cap = j->cap ? 2 * j->cap : 64;
		struct job_view *nv = arena_alloc(j->a, sizeof(*nv) * j->cap);
		if(j->n)
			memcpy(nv, j->v, sizeof(*nv) * j->n);
		j->v = nv;
	}
	j->v[j->n++] = *jv;
	return 0;
}

static int by_job_type(const void *a, const void *b)
{
	const struct job_view *x = a, *y = b;
	int c = strcmp(catalog_type_em_name(x->type), catalog_type_em_name(y->type));
	return c ? c : strcasecmp(x->name, y->name);
}

/* Jobs as GET /api/jobs shows them (core/jobs.h), those with a session matching where
 * when where is set (a job that never ran: matching filter); in name order unless sorted says q's order; q's skip and limit
 * page them. */
static enum rc query_jobs(struct req *r, const struct qexpr *where, const struct qexpr *filter, const struct query *q,
                          int sorted, struct em__emit *e, int64_t *total)
{
	struct idset ids = {.a = r->arena};
	struct jobs j = {.a = r->arena, .only = where ? &ids : NULL, .filter = filter};
	enum rc rc = RC_OK;
	if(where) {
		struct query all = {.where = where, .order = QO_CREATION, .limit = -1};
		rc = core_session_list(&all, r->arena, collect_job_id, &ids, NULL);
	}
	if(!rc)
		rc = core_jobs(r->arena, collect_job, &j);
	if(rc)
		return rc;
	if(sorted && q->order == QO_TYPE)
		qsort(j.v, j.n, sizeof(*j.v), by_job_type);
	int reverse = sorted && !q->asc;
	*total = (int64_t)j.n;
	int64_t end = q->limit < 0 || q->skip + q->limit > *total ? *total : q->skip + q->limit;
	for(int64_t i = q->skip; i < end; i++)
		em__emit_job(e, &j.v[reverse ? j.n - 1 - (size_t)i : (size_t)i]);
	return RC_OK;
}

/* ---------- the query ---------- */

struct page_ctx {
	struct req *r;
	const struct qtype *qt;
	int entity;
	int64_t page_size, page;
	int64_t total;             /* paged: every match; else the rows written */
};

static void page_head(struct em__out *o, void *ctx);
static void page_tail(struct em__out *o, int64_t rows, void *ctx);

/* ---------- tasks: the caller's own, as GET /api/tasks lists them ----------
 * Filtered here, not by the store: a user's tasks are few, and their State and Operation
 * are not stored (every task sessiond records is a finished stop, see EM__TASK_STATE). */

static const struct em_field emtask_fields[] = {
	{"TaskId", QF_ID, EMK_TEXT}, {"State", QF_STATE, EMK_TEXT}, {"Operation", QF_TYPE, EMK_TEXT},
	{NULL, 0, 0},
};

/* The documented task states, in the order a task goes through them. */
static const char *const emtask_states[] = {"Running", "OperationFinished", EM__TASK_STATE};
#define EMTASK_STATES (int)(sizeof(emtask_states) / sizeof(emtask_states[0]))

static int emtask_state_rank(const char *v)
{
	for(int i = 0; i < EMTASK_STATES; i++)
		if(!strcasecmp(v, emtask_states[i]))
			return i;
	return -1;
}

/* The number of a task id, task-<n> or <n>; -1 when v is neither. */
static int64_t emtask_number(const char *v)
{
	if(!strncasecmp(v, "task-", 5))
		v += 5;
	if(*v < '0' || *v > '9')
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	return *end || errno ? -1 : n;
}

/* NULL when every comparison of e names a value its field can hold, else why not. */
static const char *emtask_check(struct arena *a, const struct qexpr *e)
{
	if(!e)
		return NULL;
	if(e->op == Q_AND || e->op == Q_OR || e->op == Q_NOT) {
		const char *why = emtask_check(a, e->a);
		return why ? why : emtask_check(a, e->b);
	}
	if(e->field == QF_ID && emtask_number(e->s) < 0)
		return arena_printf(a, "filter: TaskId takes a task id such as task-1, not '%s'", e->s);
	if(e->field == QF_STATE && emtask_state_rank(e->s) < 0)
		return arena_printf(a, "filter: unknown State '%s' (Running, OperationFinished, Finished)", e->s);
	return NULL;
}

/* Task t compared with the value of comparison e: TaskId by number, State by the
 * order of the states, Operation as text (case-insensitive). */
static int emtask_cmp(const struct emtask_rec *t, const struct qexpr *e)
{
	switch(e->field) {
	case QF_ID: {
		int64_t v = emtask_number(e->s);
		return t->id < v ? -1 : t->id > v;
	}
	case QF_STATE:
		return EMTASK_STATES - 1 - emtask_state_rank(e->s);
	default:
		return strcasecmp(EM__TASK_OPERATION, e->s);
	}
}

static int emtask_match(const struct emtask_rec *t, const struct qexpr *e)
{
	if(!e)
		return 1;
	switch(e->op) {
	case Q_AND: return emtask_match(t, e->a) && emtask_match(t, e->b);
	case Q_OR: return emtask_match(t, e->a) || emtask_match(t, e->b);
	case Q_NOT: return !emtask_match(t, e->a);
	default: break;
	}
	int c = emtask_cmp(t, e);
	return q_op_holds(e->op, c);
}

struct emtasks {
	struct arena *a;
	const struct qexpr *where;
	struct emtask_rec *v;
	size_t n, cap;
};

static int collect_emtask(void *ctx, const struct emtask_rec *t)
{
	struct emtasks *c = ctx;
	if(!emtask_match(t, c->where))
		return 0;
	if(c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		struct emtask_rec *nv = arena_alloc(c->a, sizeof(*nv) * c->cap);
		if(c->n)
			memcpy(nv, c->v, sizeof(*nv) * c->n);
		c->v = nv;
	}
	c->v[c->n++] = *t;
	return 0;
}

/* A task's reference: Ref with its id as UID and Name, and its representation. */
static void emtask_ref(struct req *r, struct em__out *o, const struct emtask_rec *t)
{
	const char *id = arena_printf(r->arena, "task-%lld", (long long)t->id);
	const char *h = em__href(r, "/api/tasks/%s", id);
	em__open(o, "Ref");
	em__attr(o, "UID", arena_printf(r->arena, "urn:veeam:Task:%s", id));
	em__attr(o, "Name", id);
	em__attr(o, "Href", h);
	em__attr(o, "Type", "TaskReference");
	em__links(o);
	em__link(o, "Alternate", h, id, "Task");
	em__list_end(o);
	em__close(o);
}

/* type=Task. Sorts: TaskUid and TaskId by id; State and Operation are the same for every
 * task, so they leave the id order. Unsorted: newest first, as GET /api/tasks. */
static void query_tasks(struct req *r, const struct qtype *qt, int entity, int64_t page_size, int64_t page)
{
	static const char *const sorts[] = {"TaskUid", "TaskId", "State", "Operation", NULL};
	const char *sa = req_query(r, "sortAsc"), *sd = req_query(r, "sortDesc");
	if(sa && sd) {
		em__error(r, RC_INVALID, 400, "use sortAsc or sortDesc, not both");
		return;
	}
	int known = !sa && !sd;
	for(const char *const *k = sorts; *k && !known; k++)
		known = !strcasecmp(*k, sa ? sa : sd);
	if(!known) {
		em__error(r, RC_INVALID, 400, sa ? "query parameter sortAsc names an unknown field (TaskUid, TaskId, "
		                                   "State, Operation)"
		                                 : "query parameter sortDesc names an unknown field (TaskUid, TaskId, "
		                                   "State, Operation)");
		return;
	}
	struct em_filter_ctx fc = {.fields = emtask_fields, .a = r->arena};
	struct em_filter_err err;
	struct emtasks c = {.a = r->arena};
	if(em_filter_parse(&fc, req_query(r, "filter"), &c.where, &err)) {
		em__error(r, RC_INVALID, 400, err.msg);
		return;
	}
	const char *why = emtask_check(r->arena, c.where);
	if(why) {
		em__error(r, RC_INVALID, 400, why);
		return;
	}
	enum rc rc = core_emtask_list(r->who.uid, r->arena, collect_emtask, &c);
	if(rc) {
		em__error(r, rc, 0, "cannot run the query");
		return;
	}
	int asc = sa != NULL;      /* the store lists newest first */
	int64_t total = (int64_t)c.n;
	int64_t from = page_size > 0 ? (page - 1) * page_size : 0;
	int64_t end = page_size > 0 && from + page_size < total ? from + page_size : total;
	struct em__out o;
	em__out_begin(r, &o, 200);
	struct page_ctx pc = {.r = r, .qt = qt, .entity = entity, .page_size = page_size, .page = page,
	                      .total = total};
	page_head(&o, &pc);
	for(int64_t i = from; i < end; i++) {
		const struct emtask_rec *t = &c.v[asc ? c.n - 1 - (size_t)i : (size_t)i];
		if(entity)
			em__task_obj(r, &o, t);
		else
			emtask_ref(r, &o, t);
	}
	page_tail(&o, end > from ? end - from : 0, &pc);
}

/* ---------- estate types: repositories, backups, restore points ----------
 * Filtered here on UID and Name (the estate's own lists filter by name only), in name
 * order (sortAsc or sortDesc=Name), paged. */

static const struct em_field estate_fields[] = {
	{"UID", QF_ID, EMK_UID}, {"Name", QF_NAME, EMK_TEXT}, {NULL, 0, 0},
};

static int estate_match(const struct estate_rec *e, const struct qexpr *x)
{
	if(!x)
		return 1;
	switch(x->op) {
	case Q_AND: return estate_match(e, x->a) && estate_match(e, x->b);
	case Q_OR: return estate_match(e, x->a) || estate_match(e, x->b);
	case Q_NOT: return !estate_match(e, x->a);
	default: break;
	}
	int c = x->field == QF_ID ? memcmp(e->id.b, x->u.b, sizeof(x->u.b)) : strcasecmp(e->name, x->s ? x->s : "");
	return q_op_holds(x->op, c);
}

static void estate_emit(struct em__emit *e, int kind, const struct estate_rec *x)
{
	if(kind == EK_repository)
		em__render_repository(e->r, e->o, x, e->entity, 0);
	else if(kind == EK_backup)
		em__render_backup(e->r, e->o, x, e->entity, 0);
	else
		em__render_restore_point(e->r, e->o, x, e->entity, 0);
}

/* The matches, read before any is rendered (rendering reads the store). */
struct estate_rows {
	const struct qexpr *where;
	struct em__rows rows;
};

static int stop_at_first(void *ctx, const struct estate_rec *x)
{
	(void)ctx;
	(void)x;
	return 1;
}

static int estate_row(void *ctx, const struct estate_rec *x)
{
	struct estate_rows *s = ctx;
	return estate_match(x, s->where) ? em__rows_add(&s->rows, x) : 0;
}

static void query_estate(struct req *r, const struct qtype *qt, int entity, int64_t page_size, int64_t page)
{
	const char *sa = req_query(r, "sortAsc"), *sd = req_query(r, "sortDesc");
	if(sa && sd) {
		em__error(r, RC_INVALID, 400, "use sortAsc or sortDesc, not both");
		return;
	}
	if((sa && strcasecmp(sa, "Name")) || (sd && strcasecmp(sd, "Name"))) {
		em__error(r, RC_INVALID, 400, sa ? "query parameter sortAsc names an unknown field (Name)"
		                                 : "query parameter sortDesc names an unknown field (Name)");
		return;
	}
	struct em_filter_ctx fc = {.fields = estate_fields, .a = r->arena};
	struct em_filter_err err;
	struct estate_rows s = {.rows = {.a = r->arena}};
	if(em_filter_parse(&fc, req_query(r, "filter"), &s.where, &err)) {
		em__error(r, RC_INVALID, 400, err.msg);
		return;
	}
	/* Unfiltered pages are read from the store as pages (the name order is the store's);
	 * a filter is applied here, to every object of the kind. */
	int paged = !s.where && page_size > 0;
	struct estate_query q = {.kind = qt->kind, .after_usn = -1, .limit = paged ? 1 : 0};
	int64_t total = 0;
	enum rc rc = core_estate_list(&q, r->arena, paged ? stop_at_first : estate_row, &s, paged ? &total : NULL);
	if(!paged)
		total = (int64_t)s.rows.n;
	int64_t from = page_size > 0 ? (page - 1) * page_size : 0;
	int64_t end = page_size > 0 && from + page_size < total ? from + page_size : total;
	if(!rc && paged && end > from) {
		q.offset = sd ? total - end : from;
		q.limit = end - from;
		rc = core_estate_list(&q, r->arena, em__rows_add, &s.rows, NULL);
	}
	if(rc) {
		em__error(r, rc, 0, "cannot run the query");
		return;
	}
	struct em__out o;
	em__out_begin(r, &o, 200);
	struct page_ctx pc = {.r = r, .qt = qt, .entity = entity, .page_size = page_size, .page = page, .total = total};
	page_head(&o, &pc);
	struct em__emit e = {.r = r, .o = &o, .entity = entity};
	size_t base = paged ? 0 : (size_t)from, n = end > from ? (size_t)(end - from) : 0;
	for(size_t i = 0; i < n && base + i < s.rows.n; i++) {
		size_t k = sd ? (paged ? n - 1 - i : s.rows.n - 1 - base - i) : base + i;
		estate_emit(&e, qt->kind, &s.rows.v[k]);
	}
	page_tail(&o, end > from ? end - from : 0, &pc);
}

static void page_head(struct em__out *o, void *ctx)
{
	struct page_ctx *pc = ctx;
	const struct qtype *qt = pc->qt;
	em__open(o, "QueryResult");
	if(pc->entity) {
		em__open(o, qt->emtask ? "Resources" : "Entities");   /* a Task is a resource (the XSD) */
		em__list(o, qt->plural, qt->plural, 0);
	} else
		em__list(o, "Refs", "Refs", 0);
}

/* Closes the rows and writes the PagingInfo. */
static void page_tail(struct em__out *o, int64_t rows, void *ctx)
{
	struct page_ctx *pc = ctx;
	struct req *r = pc->r;
	int64_t page_size = pc->page_size, page = pc->page;
	int64_t total = page_size > 0 ? pc->total : rows;
	em__list_end(o);
	if(pc->entity)
		em__close(o);
	int64_t size = page_size > 0 ? page_size : total;
	int64_t pages = page_size > 0 ? (total + page_size - 1) / page_size : 1;
	if(pages < 1)
		pages = 1;
	em__open(o, "PagingInfo");
	em__attr_int(o, "PageNum", page_size > 0 ? page : 1);
	em__attr_int(o, "PageSize", size);
	em__attr_int(o, "PagesCount", pages);
	em__links(o);
	if(page_size > 0) {
		em__link(o, "First", page_href(r, 1), NULL, NULL);
		if(page > 1)
			em__link(o, "Previous", page_href(r, page - 1 < pages ? page - 1 : pages), NULL, NULL);
		if(page < pages)
			em__link(o, "Next", page_href(r, page + 1), NULL, NULL);
		em__link(o, "Last", page_href(r, pages), NULL, NULL);
	}
	em__list_end(o);
	em__close(o);
	em__close(o);
}

/* Sessions or task sessions: counted first when paged (PagingInfo needs the total),
 * then written as they are read (see em__list_send). */
static void send_rows(struct req *r, const struct qtype *qt, const struct query *q, int by_job, int entity,
                      int64_t page_size, int64_t page)
{
	struct page_ctx *pc = arena_zalloc(r->arena, sizeof(*pc));
	*pc = (struct page_ctx){.r = r, .qt = qt, .entity = entity, .page_size = page_size, .page = page};
	if(page_size > 0) {
		struct query cq = {.where = q->where, .limit = 0};
		enum rc rc = qt->task ? core_task_list(&cq, r->arena, NULL, NULL, &pc->total)
		                      : core_session_list(&cq, r->arena, NULL, NULL, &pc->total);
		if(rc) {
			em__error(r, rc, 0, "cannot run the query");
			return;
		}
	}
	struct em__list l = {.tasks = qt->task != 0, .where = q->where, .order = q->order, .asc = q->asc,
	                     .by_job = by_job && !qt->task, .skip = q->skip, .limit = q->limit, .entity = entity,
	                     .head = page_head, .tail = page_tail, .ctx = pc};
	em__list_send(r, &l, "cannot run the query");
}

void em__query(struct req *r)
{
	const char *type = req_query(r, "type");
	const struct qtype *qt = NULL;
	for(size_t i = 0; type && i < sizeof(qtypes) / sizeof(qtypes[0]); i++)
		if(!strcasecmp(type, qtypes[i].name))
			qt = &qtypes[i];
	if(!qt) {
		em__error(r, RC_INVALID, 400, type ? "query parameter type names an unsupported type (BackupJobSession, "
		                                    "ReplicaJobSession, RestoreSession, SystemSession, BackupTaskSession, "
		                                    "ReplicaTaskSession, Job, Task, Repository, Backup, "
		                                    "RestorePoint)"
		                                  : "query parameter type is required");
		return;
	}
	if(em__check_format(r, "format", "References", "Entities"))
		return;
	int entity = em__format_entity(r, "format", "Entities");
	int64_t page_size, page;
	if(q_posint(r, "pageSize", 0, &page_size) || q_posint(r, "page", 1, &page))
		return;
	if(page < 1) {
		em__error(r, RC_INVALID, 400, "query parameter page starts at 1");
		return;
	}
	if(qt->emtask) {
		r->no_cache = 1;   /* the caller's own tasks, whose writes take no usn */
		query_tasks(r, qt, entity, page_size, page);
		return;
	}
	if(qt->kind) {
		query_estate(r, qt, entity, page_size, page);
		return;
	}
	struct query q = {.order = QO_CREATION, .asc = 0, .limit = -1, .want_total = 1};
	int by_job = 0;
	const char *sa = req_query(r, "sortAsc"), *sd = req_query(r, "sortDesc");
	if(sa && sd) {
		em__error(r, RC_INVALID, 400, "use sortAsc or sortDesc, not both");
		return;
	}
	if(sa || sd) {
		const struct sort_name *sorts = qt->job ? job_entity_sorts : qt->task ? task_sorts : job_sorts;
		const struct sort_name *hit = NULL;
		for(const struct sort_name *s = sorts; s->name; s++)
			if(!strcasecmp(s->name, sa ? sa : sd))
				hit = s;
		if(!hit) {
			em__error(r, RC_INVALID, 400, sa ? "query parameter sortAsc names an unknown field"
			                                 : "query parameter sortDesc names an unknown field");
			return;
		}
		q.order = hit->order;
		q.asc = sa != NULL;
		by_job = hit->by_job;
	}
	struct em__servers v = {0};
	struct em_filter_ctx fc = {
		.fields = qt->job ? job_entity_fields : qt->task ? task_fields
		                                  : qt->fam == EMF_SYSTEM ? system_fields : job_fields,
		.a = r->arena,
		.server_name = em__server_by_uuid,
		.server_ctx = &v,
	};
	const char *filter = req_query(r, "filter");
	if(filter && strcasestr(filter, "BackupServerUid")) {
		enum rc rc = em__servers_list(r->arena, &v);
		if(rc) {
			em__error(r, rc, 0, "cannot list backup servers");
			return;
		}
	}
	const struct qexpr *where = NULL;
	struct em_filter_err err;
	if(em_filter_parse(&fc, filter, &where, &err)) {
		em__error(r, RC_INVALID, 400, err.msg);
		return;
	}
	const struct qexpr *scope;
	if(qt->task)
		scope = em__types_where(r->arena, QF_SESSION_TYPE, em__task_families(qt->task == 2));
	else
		scope = em__types_where(r->arena, QF_TYPE, qt->job ? EM__JOB_FAMILIES : em__listed(qt->fam));
	q.where = q_and(r->arena, scope, where);
	if(page_size > 0) {
		q.limit = page_size;
		q.skip = (page - 1) * page_size;
	}
	if(!qt->job) {
		send_rows(r, qt, &q, by_job, entity, page_size, page);
		return;
	}
	struct em__out o;
	em__out_begin(r, &o, 200);
	struct page_ctx pc = {.r = r, .qt = qt, .entity = entity, .page_size = page_size, .page = page};
	page_head(&o, &pc);
	struct em__emit e = {.r = r, .o = &o, .entity = entity};
	enum rc rc = query_jobs(r, where ? q.where : NULL, where, &q, sa || sd, &e, &pc.total);
	if(rc) {
		em__error(r, rc, 0, "cannot run the query");
		return;
	}
	page_tail(&o, pc.total, &pc);
}
