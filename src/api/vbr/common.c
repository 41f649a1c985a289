/* VBR dialect: errors, versions and authentication, rendering shared by every resource,
 * query parameters and paging. */
#include "api/vbr/vbr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/timefmt.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define PLATFORM_NIL "00000000-0000-0000-0000-000000000000"

/* ---------- errors ---------- */

/* The Error.errorCode VBR gives each rc (the status is api_status's). */
static const struct {
	enum rc rc;
	const char *code;
} error_codes[] = {
	{RC_INVALID, "UnexpectedContent"}, {RC_NOTFOUND, "NotFound"}, {RC_CONFLICT, "UnexpectedContent"},
	{RC_PRECONDITION, "UnexpectedContent"}, {RC_UNAUTHORIZED, "InvalidToken"}, {RC_EXPIRED, "ExpiredToken"},
	{RC_FORBIDDEN, "AccessDenied"}, {RC_TOOLARGE, "UnexpectedContent"}, {RC_BUSY, "ServiceUnavailable"},
	{RC_BACKEND, "UnknownError"},
};

void vbr_json(struct req *r, int status, struct jw *w)
{
	r->status = status;
	r->ctype = JSON_TYPE;
	buf_reset(&r->out);
	jw_init(w, &r->out);
}

void vbr_error(struct req *r, enum rc rc, int status, const char *msg)
{
	int st = status ? status : api_status(rc);
	const char *code = "UnknownError";
	for(size_t i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
		if(error_codes[i].rc == rc)
			code = error_codes[i].code;
	if(st == 405)
		code = "MethodNotAllowed";
	if(st == 404)
		code = "NotFound";
	if(st == 401)
		req_add_header(r, "WWW-Authenticate", "Bearer");
	struct jw w;
	vbr_json(r, st, &w);
	jw_obj(&w);
	jw_kstr(&w, "errorCode", code);
	jw_kstr(&w, "message", msg);
	jw_obj_end(&w);
}

/* ---------- shared rendering ---------- */

void vbr_time(struct jw *w, const char *key, int64_t us)
{
	char t[TIME_STR_MAX];
	time_format(us, 3, t);
	jw_kstr(w, key, t);
}

void vbr__kuuid(struct jw *w, const char *key, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	jw_kstr(w, key, s);
}

void vbr__kuuid_opt(struct jw *w, const char *key, const struct uuid *u)
{
	if(!uuid_is_nil(u))
		vbr__kuuid(w, key, u);
}

static void result_model(struct jw *w, int result, const char *message, int canceled)
{
	jw_key(w, "result");
	jw_obj(w);
	jw_kstr(w, "result", catalog_result_name(result));
	jw_kstr(w, "message", message ? message : "");
	jw_kbool(w, "isCanceled", canceled);
	jw_obj_end(w);
}

static void progress_model(struct jw *w, const char *key, int fam, int64_t creation, int64_t end, int percent)
{
	char span[40];
	int64_t stop = end ? end : time_now_us();
	timespan_format(stop > creation ? stop - creation : 0, span);
	jw_key(w, key);
	jw_obj(w);
	jw_kstr(w, "duration", span);
	jw_knull(w, "processingRate");
	jw_kstr(w, "bottleneck", "None");
	jw_knull(w, "processedSize");
	jw_knull(w, "readSize");
	jw_knull(w, "transferredSize");
	if(fam >= VBR_13)
		jw_kint(w, "progressPercent", percent);
	jw_obj_end(w);
}

void vbr_render_session(struct jw *w, const struct sess_rec *s, int ver, int ingest)
{
	const struct vbr_version *v = catalog_vbr(ver);
	jw_obj(w);
	vbr__kuuid(w, "id", &s->id);
	jw_kstr(w, "name", s->name);
	vbr__kuuid(w, v->job_id, &s->job_id);
	jw_kstr(w, "sessionType", catalog_vbr_type(s->type, ver));
	vbr_time(w, "creationTime", s->creation_us);
	if(s->end_us)
		vbr_time(w, "endTime", s->end_us);
	jw_kstr(w, "state", catalog_state_name(catalog_vbr_state(s->state, ver)));
	jw_kint(w, "progressPercent", s->progress);
	result_model(w, s->result, s->message, s->is_canceled);
	vbr__kuuid_opt(w, "resourceId", &s->resource_id);
	if(s->resource_ref)
		jw_kstr(w, "resourceReference", s->resource_ref);
	vbr__kuuid_opt(w, "parentSessionId", &s->parent_id);
	jw_kint(w, "usn", s->usn);
	if(v->platform) {
		if(s->platform_name && catalog_vbr_platform_known(s->platform_name, ver))
			jw_kstr(w, v->platform, s->platform_name);
		jw_kstr(w, "platformId", PLATFORM_NIL);
	}
	if(v->initiated_by && s->initiated_by)
		jw_kstr(w, v->initiated_by, s->initiated_by);
	if(v->progress)
		progress_model(w, v->progress, v->fam, s->creation_us, s->end_us, s->progress);
	if(v->retry_info && s->is_retry) {
		jw_key(w, v->retry_info);
		jw_obj(w);
		jw_kbool(w, "isRecheckRetry", 0);
		jw_knull(w, "retryNumber");
		jw_obj_end(w);
	}
	if(ingest) {
		jw_kbool(w, "stopRequested", s->stop_requested);
		if(s->job_name)
			jw_kstr(w, "jobName", s->job_name);
	}
	jw_obj_end(w);
}

void vbr_render_task(struct jw *w, const struct task_rec *t, int ver, const int *ingest_stop)
{
	if(catalog_vbr_family(ver) < VBR_12)
		ver = catalog_vbr_newest(VBR_12);
	int fam = catalog_vbr_family(ver);
	jw_obj(w);
	vbr__kuuid(w, "id", &t->id);
	jw_kstr(w, "type", catalog_task_type_name(t->type));
	vbr__kuuid(w, "sessionId", &t->session_id);
	jw_kstr(w, "sessionType", catalog_vbr_type(t->session_type, ver));
	vbr_time(w, "creationTime", t->creation_us);
	if(t->end_us)
		vbr_time(w, "endTime", t->end_us);
	jw_kstr(w, "name", t->name);
	if(t->type == TT_ANTIVIRUS) {
		static const char *const scan_result[] = {"None", "Clean", "Inconclusive", "Infected"};
		vbr__kuuid_opt(w, "restorePointId", &t->restore_point_id);
		jw_kstr(w, "scanType", "Antivirus");
		jw_kstr(w, "scanResult", t->is_canceled ? "Canceled" : scan_result[t->result & 3]);
		jw_kstr(w, "scanState", t->state == ST_STOPPED ? "Finished" : "InProgress");
	} else {
		jw_kint(w, "usn", t->usn);
		jw_kstr(w, "state", catalog_state_name(catalog_vbr_state(t->state, ver)));
		result_model(w, t->result, t->message, t->is_canceled);
		if(t->type == TT_BACKUP) {
			vbr__kuuid_opt(w, "restorePointId", &t->restore_point_id);
			vbr__kuuid_opt(w, "repositoryId", &t->repository_id);
		}
		if(t->type != TT_RESTORE)
			progress_model(w, "progress", fam, t->creation_us, t->end_us, t->progress);
	}
	if(ingest_stop) {
		jw_kbool(w, "stopRequested", *ingest_stop);
		jw_kint(w, "progressPercent", t->progress);
		jw_kint(w, "totalSize", t->total_size);
		if(t->reason)
			jw_kstr(w, "reason", t->reason);
		if(t->type == TT_ANTIVIRUS) {
			jw_kint(w, "usn", t->usn);
			jw_kstr(w, "state", catalog_state_name(t->state));
			result_model(w, t->result, t->message, t->is_canceled);
		}
	}
	jw_obj_end(w);
}

enum rc vbr_path_uuid(struct req *r, int idx, struct uuid *u)
{
	const char *s = idx < r->nparams ? r->params[idx] : NULL;
	if(!s || uuid_parse(s, strlen(s), u)) {
		vbr_error(r, RC_INVALID, 400, "the id in the path is not a valid UUID");
		return RC_INVALID;
	}
	return RC_OK;
}

/* ---------- version and authentication ---------- */

enum rc vbr__prepare(struct req *r)
{
	const char *v = req_header(r, "x-api-version");
	int ver = catalog_vbr_parse(v);
	if(ver < 0) {
		vbr_error(r, RC_INVALID, 400,
		          arena_printf(r->arena, "%s; supported: %s", v && *v ? "unsupported x-api-version"
		                                                        : "the x-api-version header is required",
		                       catalog_vbr_list()));
		return RC_INVALID;
	}
	r->version = ver;
	return RC_OK;
}

static enum rc bearer(struct req *r, const char **tok, size_t *len)
{
	const char *h = req_header(r, "Authorization");
	if(!h || strncasecmp(h, "Bearer ", 7))
		return RC_UNAUTHORIZED;
	h += 7;
	while(*h == ' ')
		h++;
	*tok = h;
	*len = strlen(h);
	while(*len && h[*len - 1] == ' ')
		(*len)--;
	return *len ? RC_OK : RC_UNAUTHORIZED;
}

enum rc vbr__authenticate(struct req *r)
{
	const char *tok;
	size_t len;
	if(bearer(r, &tok, &len)) {
		vbr_error(r, RC_UNAUTHORIZED, 401, "authorization is required: send Authorization: Bearer <access_token>");
		return RC_UNAUTHORIZED;
	}
	enum rc rc = auth_verify(tok, len, TOK_ACCESS, &r->who);
	if(rc) {
		const char *msg;
		int status = api_token_refused(r, rc, "access token", &msg);
		vbr_error(r, rc, status, msg);
		return rc;
	}
	return RC_OK;
}

/* A path that versions before family fam lack: 404 in those, as in their definitions. */
int vbr__available(struct req *r, int fam, const char *what)
{
	if(vbr__fam(r) >= fam)
		return 1;
	vbr_error(r, RC_NOTFOUND, 404,
	          arena_printf(r->arena, "%s available from x-api-version %s on", what,
	                       catalog_vbr(catalog_vbr_oldest(fam))->name));
	return 0;
}

/* ---------- query parameters ---------- */

enum rc vbr__bad(struct req *r, const char *fmt, const char *name)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, name);
	vbr_error(r, RC_INVALID, 400, msg);
	return RC_INVALID;
}

enum rc vbr__q_int64(struct req *r, const char *name, int64_t min, int64_t def, int64_t *out)
{
	const char *v = req_query(r, name);
	*out = def;
	if(!v)
		return RC_OK;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	/* skip and limit are int32 in every version; a usn is int64 */
	int64_t max = strcmp(name, "usnGreaterThan") ? 0x7fffffff : INT64_MAX;
	if(!*v || *end || errno || n < min || n > max)
		return vbr__bad(r, "query parameter %s must be an integer in range", name);
	*out = n;
	return RC_OK;
}

enum rc vbr__q_bool(struct req *r, const char *name, int def, int *out)
{
	const char *v = req_query(r, name);
	*out = def;
	if(!v)
		return RC_OK;
	if(!strcasecmp(v, "true"))
		*out = 1;
	else if(!strcasecmp(v, "false"))
		*out = 0;
	else
		return vbr__bad(r, "query parameter %s must be true or false", name);
	return RC_OK;
}

enum rc vbr__q_time(struct req *r, const char *name, enum qfield f, enum qop op, const struct qexpr **where)
{
	const char *v = req_query(r, name);
	if(!v)
		return RC_OK;
	int64_t us;
	if(time_parse(v, strlen(v), &us))
		return vbr__bad(r, "query parameter %s must be an RFC 3339 date-time with an offset", name);
	*where = q_and(r->arena, *where, q_int(r->arena, f, op, us));
	return RC_OK;
}

enum rc vbr__q_uuidf(struct req *r, const char *name, enum qfield f, const struct qexpr **where)
{
	const char *v = req_query(r, name);
	if(!v)
		return RC_OK;
	struct uuid u;
	if(uuid_parse(v, strlen(v), &u))
		return vbr__bad(r, "query parameter %s must be a UUID", name);
	*where = q_and(r->arena, *where, q_uuid(r->arena, f, Q_EQ, &u));
	return RC_OK;
}

#define MAX_VALUES 64

/* An enum filter: one value before 1.3, an array (repeated parameter) from 1.3.
 * parse(value) returns the codes the value stands for (-1 when unknown). */
enum rc vbr__q_enum(struct req *r, const char *name, enum qfield f, int multi,
                      int (*match)(const char *s, int ver, int *out, int max), const struct qexpr **where)
{
	const char *vals[MAX_VALUES];
	int n = req_query_all(r, name, vals, MAX_VALUES);
	if(!n)
		return RC_OK;
	if(n > 1 && !multi)
		return vbr__bad(r, "query parameter %s takes one value in this API version", name);
	int codes[512];
	int nc = 0;
	for(int i = 0; i < n; i++) {
		/* Some clients send an array as one comma-separated value. */
		const char *p = vals[i];
		while(*p) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			char *one = arena_strndup(r->arena, p, len);
			int got = match(one, r->version, codes + nc, (int)(sizeof(codes) / sizeof(codes[0])) - nc);
			if(got < 0) {
				char msg[300];
				snprintf(msg, sizeof(msg), "query parameter %s: unknown value '%.200s'", name, one);
				vbr_error(r, RC_INVALID, 400, msg);
				return RC_INVALID;
			}
			nc += got;
			p += len;
			if(*p == ',')
				p++;
		}
	}
	*where = q_and(r->arena, *where, q_in_ints(r->arena, f, codes, nc));
	return RC_OK;
}

int vbr__match_type(const char *s, int ver, int *out, int max)
{
	return catalog_vbr_type_match(s, ver, out, max);
}

/* Filters on a single-code enumeration: the value stands for exactly one code. */
static int one_code(int code, int *out, int max)
{
	if(code < 0 || max < 1)
		return -1;
	out[0] = code;
	return 1;
}

int vbr__match_state(const char *s, int ver, int *out, int max)
{
	return one_code(catalog_vbr_state_parse(s, ver), out, max);
}

int vbr__match_result(const char *s, int ver, int *out, int max)
{
	(void)ver;
	return one_code(catalog_result_parse(s), out, max);
}

int vbr__match_task_type(const char *s, int ver, int *out, int max)
{
	(void)ver;
	return one_code(catalog_task_type_parse(s), out, max);
}

enum rc vbr__q_order(struct req *r, const struct vbr__order_name *names, struct query *q)
{
	const char *v = req_query(r, "orderColumn");
	if(!v)
		return RC_OK;
	for(const struct vbr__order_name *o = names; o->name; o++)
		if(!strcasecmp(v, o->name) && vbr__fam(r) >= o->since) {
			q->order = o->order;
			return RC_OK;
		}
	return vbr__bad(r, "query parameter %s has an unknown column", "orderColumn");
}

/* The limit a list takes when the request sends none, per family (enum vbr_fam): 1.3 defines
 * 200; 1.0-1.2 define no default, so all matches come, up to VBR_LIST_MAX. */
static const int64_t default_limit[VBR_FAM_COUNT] = {
	[VBR_10] = VBR_LIST_MAX, [VBR_11] = VBR_LIST_MAX, [VBR_12] = VBR_LIST_MAX, [VBR_13] = 200,
};

enum rc vbr__q_limit(struct req *r, int64_t *skip, int64_t *limit)
{
	enum rc rc;
	if((rc = vbr__q_int64(r, "skip", 0, 0, skip)) || (rc = vbr__q_int64(r, "limit", 1, default_limit[vbr__fam(r)], limit)))
		return rc;
	if(*limit > VBR_LIST_MAX)
		*limit = VBR_LIST_MAX;
	return RC_OK;
}

enum rc vbr__q_page(struct req *r, struct query *q)
{
	enum rc rc;
	if((rc = vbr__q_limit(r, &q->skip, &q->limit)) || (rc = vbr__q_bool(r, "orderAsc", 0, &q->asc)))
		return rc;
	return RC_OK;
}

enum rc vbr__q_common(struct req *r, struct query *q, const struct qexpr **where)
{
	enum rc rc;
	const char *name = req_query(r, "nameFilter");
	if(name && *name)
		*where = q_and(r->arena, *where, q_match(r->arena, QF_NAME, name));
	if((rc = vbr__q_time(r, "createdAfterFilter", QF_CREATION, Q_GE, where)) ||
	   (rc = vbr__q_time(r, "createdBeforeFilter", QF_CREATION, Q_LE, where)) ||
	   (rc = vbr__q_time(r, "endedAfterFilter", QF_END, Q_GE, where)) ||
	   (rc = vbr__q_time(r, "endedBeforeFilter", QF_END, Q_LE, where)) ||
	   (rc = vbr__q_enum(r, "stateFilter", QF_STATE, 0, vbr__match_state, where)) ||
	   (rc = vbr__q_enum(r, "resultFilter", QF_RESULT, vbr__fam(r) >= VBR_13, vbr__match_result, where)))
		return rc;
	int64_t usn;
	if((rc = vbr__q_int64(r, "usnGreaterThan", 0, -1, &usn)))
		return rc;
	if(usn >= 0)
		*where = q_and(r->arena, *where, q_int(r->arena, QF_USN, Q_GT, usn));
	return RC_OK;
}

void vbr__pagination(struct jw *w, int64_t total, int64_t count, const struct query *q)
{
	jw_key(w, "pagination");
	jw_obj(w);
	jw_kint(w, "total", total);
	jw_kint(w, "count", count);
	jw_kint(w, "skip", q->skip);
	jw_kint(w, "limit", q->limit);
	jw_obj_end(w);
}
