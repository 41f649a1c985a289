/* VB for Azure: GET jobSessions (its filters), one session, its log, and stop. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/cache.h"
#include "api/vbaz/vbaz.h"
#include "model/catalog.h"
#include "core/core.h"
#include "model/query.h"
#include "core/session.h"
#include "util/jw.h"
#include "util/timefmt.h"

#define BUFFERED_MAX 1000     /* larger pages (and Limit=-1) are streamed */

/* ---------- filters ---------- */




/* Query parameters of GET jobSessions into a predicate; answers 400 itself. */
static enum rc list_filters(struct req *r, const struct qexpr **where)
{
	struct arena *a = r->arena;
	const char *v;
	if((v = req_query(r, "PolicyId")) && *v) {
		struct uuid u;
		if(uuid_parse(v, strlen(v), &u))
			return vbaz__bad(r, "PolicyId", "%s must be a UUID, not '%.100s'", v);
		*where = q_and(a, *where, q_uuid(a, QF_JOB_ID, Q_EQ, &u));
	}
	if((v = req_query(r, "Filter")) && *v) {
		const char *pat = arena_printf(a, "*%s*", v);
		*where = q_and(a, *where, q_or(a, q_match(a, QF_NAME, pat), q_match(a, QF_JOB_NAME, pat)));
	}
	static const struct {
		const char *name;
		enum qop op;
	} times[] = {{"FromUtc", Q_GE}, {"ToUtc", Q_LE}};
	for(size_t i = 0; i < 2; i++)
		if((v = req_query(r, times[i].name)) && *v) {
			int64_t us;
			if(time_parse(v, strlen(v), &us))
				return vbaz__bad(r, times[i].name, "%s must be a date-time like 2024-01-31T10:00:00Z, not '%.100s'", v);
			*where = q_and(a, *where, q_int(a, QF_CREATION, times[i].op, us));
		}
	if((v = req_query(r, "ResourceId")) && *v) {
		struct uuid u;
		if(uuid_parse(v, strlen(v), &u))
			*where = q_and(a, *where, q_in_ints(a, QF_STATE, NULL, 0));
		else
			*where = q_and(a, *where, q_uuid(a, QF_RESOURCE_ID, Q_EQ, &u));
	}
	const char *vals[64];
	const char *names[64];
	int nv = req_query_all(r, "Status", vals, 64), nn = 0;
	for(int i = 0; i < nv; i++)
		for(const char *p = vals[i]; *p;) {
			size_t len = strcspn(p, ",");
			char *one = arena_strndup(a, p, len);
			if(!vbaz__status_known(one))
				return vbaz__bad(r, "Status", "%s: unknown JobStatus value '%.100s'", one);
			if(nn < 64)
				names[nn++] = one;
			p += len + (p[len] == ',');
		}
	if(nn)
		*where = q_and(a, *where, vbaz__status_where(a, names, nn));
	int types[VBAZ_MAX_TYPES], nt = 0;
	nv = req_query_all(r, "Types", vals, 64);
	for(int i = 0; i < nv; i++)
		for(const char *p = vals[i]; *p;) {
			size_t len = strcspn(p, ",");
			char *one = arena_strndup(a, p, len);
			int m = vbaz__type_match(one, r->version, types + nt, VBAZ_MAX_TYPES - nt);
			if(m < 0)
				return vbaz__bad(r, "Types", "%s: unknown session type '%.100s'", one);
			nt += m;
			p += len + (p[len] == ',');
		}
	if(nv)
		*where = q_and(a, *where, q_in_ints(a, QF_TYPE, types, nt));
	return RC_OK;
}

void vbaz__h_sessions(struct req *r)
{
	const struct qexpr *where = NULL;
	int64_t offset, limit, total;
	if(vbaz__int_param(r, "Offset", 0, 0, &offset) || vbaz__int_param(r, "Limit", -1, VBAZ_DEFAULT_LIMIT, &limit) ||
	   list_filters(r, &where))
		return;
	if(vbaz__count_where(r, where, &total))
		return;
	vbaz__send_page(r, where, offset, limit, total, arena_printf(r->arena, "%s/jobSessions", vbaz__api_base(r)),
	                limit >= 0 && limit <= BUFFERED_MAX);
}

/* ---------- one session, log, stop ---------- */

/* Reads the session named by path parameter 1; answers 404 itself. */
static enum rc session_of(struct req *r, struct sess_rec *s)
{
	const char *id = r->nparams > 1 ? r->params[1] : "";
	struct uuid u;
	if(uuid_parse(id, strlen(id), &u)) {
		vbaz__problem(r, 404, NULL, "no session has this id");
		return RC_NOTFOUND;
	}
	enum rc rc = core_session_get(&u, r->arena, s);
	if(rc)
		vbaz__error(r, rc, 0, rc == RC_NOTFOUND ? "no session has this id" : "cannot read the session");
	return rc;
}

void vbaz__h_session(struct req *r)
{
	/* A body rendered since the last write is still the answer (its links name the host). */
	char *key = arena_printf(r->arena, "vbaz %d %s %s", r->version, r->base_url ? r->base_url : "",
	                         r->nparams > 1 ? r->params[1] : "");
	int64_t usn = core_usn();
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	if(api_cache_get(key, usn, &r->out))
		return;
	struct sess_rec s;
	if(session_of(r, &s))
		return;
	struct vbaz__render_ctx c = {.base = vbaz__api_base(r), .version = r->version, .now = r->now_us};
	vbaz__json_answer(r, 200, &w);
	vbaz__render_session(&w, &s, &c);
	if(s.state == ST_STOPPED)   /* a running session's duration moves with the clock */
		api_cache_put(key, usn, r->out.p, r->out.len);
}

static int emit_log(void *ctx, const struct log_rec *l)
{
	static const int result_of[LOG__COUNT] = {
		[LOG_NONE] = RES_NONE, [LOG_SUCCEEDED] = RES_SUCCESS, [LOG_WARNING] = RES_WARNING,
		[LOG_FAILED] = RES_FAILED,
	};
	struct jw *w = ctx;
	int st = l->status >= 0 && l->status < LOG__COUNT ? l->status : LOG_NONE;
	jw_obj(w);
	vbaz__ktime(w, "logTime", l->start_us);
	jw_kstr(w, "status", catalog_az_status(st == LOG_NONE ? ST_WORKING : ST_STOPPED, result_of[st], 0, 0));
	jw_kstr(w, "message", l->description && *l->description ? l->description : l->title);
	vbaz__ktime(w, "executionStartTime", l->start_us);
	vbaz__kspan(w, "executionDuration", l->update_us - l->start_us);
	jw_obj_end(w);
	return 0;
}

void vbaz__h_session_log(struct req *r)
{
	struct sess_rec s;
	if(session_of(r, &s))
		return;
	char id[UUID_STR_LEN + 1];
	uuid_format(&s.id, id);
	struct jw w;
	vbaz__json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "jobSessionId", id);
	jw_key(&w, "log");
	jw_arr(&w);
	int64_t total = 0;
	enum rc rc = core_log_list(&s.id, -1, r->arena, emit_log, &w, &total);
	if(rc) {
		vbaz__error(r, rc, 0, "cannot read the log");
		return;
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
}

static void stopped(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc) {
		vbaz__error(r, w->rc, 0, w->rc == RC_NOTFOUND ? "no session has this id" :
		                        w->err[0] ? w->err : "cannot stop the session");
		return;
	}
	r->status = 204;
	buf_reset(&r->out);
}

void vbaz__h_session_stop(struct req *r)
{
	struct uuid sid;
	const char *id = r->nparams > 1 ? r->params[1] : "";
	if(uuid_parse(id, strlen(id), &sid)) {
		vbaz__problem(r, 404, NULL, "no session has this id");
		return;
	}
	core_session_stop(api_write(r, stopped), &sid);
}
