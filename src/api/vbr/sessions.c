/* VBR dialect: sessions, automation sessions and their logs. */
#include "api/vbr/vbr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/cache.h"

/* ---------- sessions ---------- */

struct listing {
	struct jw *w;
	int ver;
	int64_t count;
};

static int emit_session(void *ctx, const struct sess_rec *s)
{
	struct listing *l = ctx;
	vbr_render_session(l->w, s, l->ver, 0);
	l->count++;
	return 0;
}

static int emit_task(void *ctx, const struct task_rec *t)
{
	struct listing *l = ctx;
	vbr_render_task(l->w, t, l->ver, NULL);
	l->count++;
	return 0;
}

/* orderColumn=SessionType sorts by the ESessionType value the request's version shows, so equal
 * values stay together: the catalog's types are grouped by that spelling, the groups taken in
 * the spelling's order, and each group listed by creation time. The store orders by type code
 * only, so a page is put together group by group (each group: type IN its codes). */
struct type_group {
	const char *name;
	int *codes;
	int n;
};

static int group_cmp(const void *x, const void *y)
{
	return strcmp(((const struct type_group *)x)->name, ((const struct type_group *)y)->name);
}

static int type_groups(struct arena *a, int ver, struct type_group **out)
{
	int n = catalog_type_count(), ng = 0;
	struct type_group *g = arena_zalloc(a, sizeof(*g) * (size_t)n);
	for(int i = 0; i < n; i++) {
		int code = catalog_type_at(i);
		const char *name = catalog_vbr_type(code, ver);
		int k = 0;
		while(k < ng && strcmp(g[k].name, name))
			k++;
		if(k == ng) {
			g[ng].name = name;
			g[ng].codes = arena_alloc(a, sizeof(int) * (size_t)n);
			ng++;
		}
		g[k].codes[g[k].n++] = code;
	}
	qsort(g, (size_t)ng, sizeof(*g), group_cmp);
	*out = g;
	return ng;
}

static enum rc run_list(struct req *r, const struct query *q, int tasks, struct listing *l, int64_t *total)
{
	enum qorder by_type = tasks ? QO_SESSION_TYPE : QO_TYPE;
	if(q->order != by_type)
		return tasks ? core_task_list(q, r->arena, emit_task, l, total)
		             : core_session_list(q, r->arena, emit_session, l, total);
	struct type_group *g;
	int ng = type_groups(r->arena, r->version, &g);
	int64_t skip = q->skip, left = q->limit;
	*total = 0;
	for(int i = 0; i < ng; i++) {
		const struct type_group *grp = &g[q->asc ? i : ng - 1 - i];
		struct query gq = *q;
		gq.where = q_and(r->arena, q->where, q_in_ints(r->arena, tasks ? QF_SESSION_TYPE : QF_TYPE, grp->codes, grp->n));
		gq.order = QO_CREATION;
		gq.skip = skip;
		gq.limit = left;
		gq.want_total = 1;
		int64_t before = l->count, gt = 0;
		enum rc rc = tasks ? core_task_list(&gq, r->arena, emit_task, l, &gt)
		                   : core_session_list(&gq, r->arena, emit_session, l, &gt);
		if(rc)
			return rc;
		*total += gt;
		skip = gt <= skip ? skip - gt : 0;
		if(left > 0)
			left -= l->count - before;
	}
	return RC_OK;
}

/* Answers {data: [...], pagination} for a query over sessions or task sessions. With
 * ?usnGreaterThan=N&wait=S (again: the handler to run anew) an answer that would hold nothing
 * waits for a change that matches the query instead. Every answer carries X-Usn: every change
 * up to that usn was examined, so usnGreaterThan=<X-Usn> continues without skipping anything
 * (when the page held every match: pagination.total == count). */
void vbr__answer_list(struct req *r, const struct query *q, int tasks, void (*again)(struct req *r))
{
	int64_t mark = core_usn();
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	struct listing l = {.w = &w, .ver = r->version};
	int64_t total = 0;
	enum rc rc = run_list(r, q, tasks, &l, &total);
	if(rc) {
		vbr_error(r, rc, 0, tasks ? "cannot list task sessions" : "cannot list sessions");
		return;
	}
	jw_arr_end(&w);
	vbr__pagination(&w, total, l.count, q);
	jw_obj_end(&w);
	if(again && vbr__long_poll(r, l.count > 0, mark, again))
		return;
	req_add_header(r, "X-Usn", arena_printf(r->arena, "%lld", (long long)mark));
}

static const struct vbr__order_name session_orders[] = {
	{"Name", QO_NAME, VBR_10}, {"SessionType", QO_TYPE, VBR_10}, {"CreationTime", QO_CREATION, VBR_10},
	{"EndTime", QO_END, VBR_10}, {"State", QO_STATE, VBR_10}, {"Result", QO_RESULT, VBR_10},
	{"InitiatedBy", QO_INITIATED_BY, VBR_13}, {NULL, 0, 0},
};

/* extra: what the path itself selects (automation sessions); multi_type: typeFilter takes an
 * array (sessions from 1.3; automation sessions take one value in every version). */
static void list_sessions(struct req *r, const struct qexpr *extra, int multi_type, void (*again)(struct req *r))
{
	struct query q = {.order = QO_CREATION, .want_total = 1};
	const struct qexpr *where = extra;
	if(vbr__q_page(r, &q) || vbr__q_order(r, session_orders, &q) || vbr__q_common(r, &q, &where) ||
	   vbr__q_enum(r, "typeFilter", QF_TYPE, multi_type, vbr__match_type, &where) ||
	   vbr__q_uuidf(r, "jobIdFilter", QF_JOB_ID, &where))
		return;
	q.where = where;
	vbr__answer_list(r, &q, 0, again);
}

void vbr__h_sessions(struct req *r)
{
	list_sessions(r, NULL, vbr__fam(r) >= VBR_13, vbr__h_sessions);
}

/* ---------- automation sessions (/api/v1/automation/sessions, every version) ---------- */

/* The session types the automation family holds (canonical names). */
static const char *const automation_types[] = {"Automation"};
#define NAUTOMATION ((int)(sizeof(automation_types) / sizeof(automation_types[0])))

static const struct qexpr *automation_where(struct arena *a)
{
	int codes[NAUTOMATION];
	for(int i = 0; i < NAUTOMATION; i++)
		codes[i] = catalog_type_parse(automation_types[i]);
	return q_in_ints(a, QF_TYPE, codes, NAUTOMATION);
}

static int is_automation(const struct sess_rec *s)
{
	for(int i = 0; i < NAUTOMATION; i++)
		if(s->type == catalog_type_parse(automation_types[i]))
			return 1;
	return 0;
}

void vbr__h_auto_sessions(struct req *r)
{
	list_sessions(r, automation_where(r->arena), 0, vbr__h_auto_sessions);
}

/* Reads the automation session of path parameter 0 into s; answers 400/404 otherwise. */
static enum rc auto_session(struct req *r, struct uuid *id, struct sess_rec *s)
{
	if(vbr_path_uuid(r, 0, id))
		return RC_INVALID;
	enum rc rc = core_session_get(id, r->arena, s);
	if(!rc && !is_automation(s))
		rc = RC_NOTFOUND;
	if(rc)
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "automation session not found" : "cannot read the session");
	return rc;
}

void vbr__h_auto_session(struct req *r)
{
	struct uuid id;
	struct sess_rec s;
	if(auto_session(r, &id, &s))
		return;
	struct jw w;
	vbr_json(r, 200, &w);
	vbr_render_session(&w, &s, r->version, 0);
}

void vbr__h_auto_session_logs(struct req *r)
{
	int64_t mark = core_usn();
	struct uuid id;
	struct sess_rec s;
	if(auto_session(r, &id, &s))
		return;
	const char *uv = req_query(r, "usnGreaterThan");
	if(vbr__long_poll(r, !uv || s.usn > strtoll(uv, NULL, 10), mark, vbr__h_auto_session_logs))
		return;
	vbr__render_logs(r, &id);
}

static void stopped(struct req *r);

void vbr__h_auto_session_stop(struct req *r)
{
	struct uuid id;
	struct sess_rec s;
	if(auto_session(r, &id, &s))
		return;
	core_session_stop(api_write(r, stopped), &id);
}

void vbr__h_session(struct req *r)
{
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	/* The hottest read: a body rendered since the last write is still the answer. */
	char key[64];
	snprintf(key, sizeof(key), "vbr %d %s", r->version, r->params[0]);
	int64_t usn = core_usn();
	struct jw w;
	vbr_json(r, 200, &w);
	if(api_cache_get(key, usn, &r->out))
		return;
	struct sess_rec s;
	enum rc rc = core_session_get(&id, r->arena, &s);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "session not found" : "cannot read the session");
		return;
	}
	vbr_render_session(&w, &s, r->version, 0);
	/* progress shows a running session's duration, which moves with the clock: not cached */
	if(s.state == ST_STOPPED || !catalog_vbr(r->version)->progress)
		api_cache_put(key, usn, r->out.p, r->out.len);
}

static int emit_log(void *ctx, const struct log_rec *l)
{
	struct jw *w = ctx;
	jw_obj(w);
	jw_kint(w, "id", l->id);
	jw_kstr(w, "status", catalog_log_status_name(l->status));
	vbr_time(w, "startTime", l->start_us);
	vbr_time(w, "updateTime", l->update_us);
	jw_kstr(w, "title", l->title);
	jw_kstr(w, "description", l->description ? l->description : "");
	jw_obj_end(w);
	return 0;
}

void vbr__render_logs(struct req *r, const struct uuid *owner)
{
	int status = -1;
	const char *sf = req_query(r, "statusFilter");
	if(sf && vbr__fam(r) >= VBR_13) {
		status = catalog_log_status_parse(sf);
		if(status < 0) {
			vbr__bad(r, "query parameter %s has an unknown status", "statusFilter");
			return;
		}
	}
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "records");
	jw_arr(&w);
	int64_t total = 0;
	enum rc rc = core_log_list(owner, status, r->arena, emit_log, &w, &total);
	if(rc) {
		vbr_error(r, rc, 0, "cannot read the log");
		return;
	}
	jw_arr_end(&w);
	jw_kint(&w, "totalRecords", total);
	jw_obj_end(&w);
}

void vbr__h_session_logs(struct req *r)
{
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	int64_t mark = core_usn();
	struct sess_rec s;
	enum rc rc = core_session_get(&id, r->arena, &s);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "session not found" : "cannot read the session");
		return;
	}
	const char *uv = req_query(r, "usnGreaterThan");
	if(vbr__long_poll(r, !uv || s.usn > strtoll(uv, NULL, 10), mark, vbr__h_session_logs))
		return;
	vbr__render_logs(r, &id);
}

static void stopped(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbr_error(r, w->rc, 0, w->err[0] ? w->err : "cannot stop the session");
		return;
	}
	struct jw jw;
	vbr_json(r, 200, &jw);
	jw_obj(&jw);
	jw_obj_end(&jw);
}

void vbr__h_session_stop(struct req *r)
{
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	core_session_stop(api_write(r, stopped), &id);
}
