/* VBR REST dialect: route table and the mapping between the domain model and
 * VBR's JSON, in the shape of the x-api-version the client asked for. */
#include "api/vbr.h"
#include "api/estate.h"

#include "api/cache.h"
#include "api/token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/catalog.h"
#include "core/core.h"
#include "core/feed.h"
#include "model/query.h"
#include "core/session.h"
#include "util/form.h"
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

static void kuuid(struct jw *w, const char *key, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	jw_kstr(w, key, s);
}

static void kuuid_opt(struct jw *w, const char *key, const struct uuid *u)
{
	if(!uuid_is_nil(u))
		kuuid(w, key, u);
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

/* The family of the request's version (r->version is an enum vbr_ver). */
static int vfam(const struct req *r) { return catalog_vbr_family(r->version); }

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
	kuuid(w, "id", &s->id);
	jw_kstr(w, "name", s->name);
	kuuid(w, v->job_id, &s->job_id);
	jw_kstr(w, "sessionType", catalog_vbr_type(s->type, ver));
	vbr_time(w, "creationTime", s->creation_us);
	if(s->end_us)
		vbr_time(w, "endTime", s->end_us);
	jw_kstr(w, "state", catalog_state_name(catalog_vbr_state(s->state, ver)));
	jw_kint(w, "progressPercent", s->progress);
	result_model(w, s->result, s->message, s->is_canceled);
	kuuid_opt(w, "resourceId", &s->resource_id);
	if(s->resource_ref)
		jw_kstr(w, "resourceReference", s->resource_ref);
	kuuid_opt(w, "parentSessionId", &s->parent_id);
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
	kuuid(w, "id", &t->id);
	jw_kstr(w, "type", catalog_task_type_name(t->type));
	kuuid(w, "sessionId", &t->session_id);
	jw_kstr(w, "sessionType", catalog_vbr_type(t->session_type, ver));
	vbr_time(w, "creationTime", t->creation_us);
	if(t->end_us)
		vbr_time(w, "endTime", t->end_us);
	jw_kstr(w, "name", t->name);
	if(t->type == TT_ANTIVIRUS) {
		static const char *const scan_result[] = {"None", "Clean", "Inconclusive", "Infected"};
		kuuid_opt(w, "restorePointId", &t->restore_point_id);
		jw_kstr(w, "scanType", "Antivirus");
		jw_kstr(w, "scanResult", t->is_canceled ? "Canceled" : scan_result[t->result & 3]);
		jw_kstr(w, "scanState", t->state == ST_STOPPED ? "Finished" : "InProgress");
	} else {
		jw_kint(w, "usn", t->usn);
		jw_kstr(w, "state", catalog_state_name(catalog_vbr_state(t->state, ver)));
		result_model(w, t->result, t->message, t->is_canceled);
		if(t->type == TT_BACKUP) {
			kuuid_opt(w, "restorePointId", &t->restore_point_id);
			kuuid_opt(w, "repositoryId", &t->repository_id);
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

static enum rc vbr_prepare(struct req *r)
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

static enum rc vbr_authenticate(struct req *r)
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

/* ---------- token endpoint ---------- */


static void write_token(struct req *r, const struct login *l)
{
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "access_token", l->tokens.access);
	jw_kstr(&w, "token_type", "bearer");
	jw_kstr(&w, "refresh_token", l->tokens.refresh);
	jw_kint(&w, "expires_in", AUTH_ACCESS_TTL_S);
	vbr_time(&w, ".issued", l->tokens.issued_us);
	vbr_time(&w, ".expires", l->tokens.access_expires_us);
	jw_obj_end(&w);
	req_add_header(r, "Cache-Control", "no-store");
}

static const struct token_dialect vbr_tokens;

/* ---- authorization codes (1.0-rev2 ... 1.2-rev1: POST /api/oauth2/authorization_code) ----
 * A code is a signed TOK_CODE token of the caller's family that lasts AUTH_CODE_TTL_S. The
 * grant_type=authorization_code exchange records its token key as spent (REVOKE_SPENT) in
 * the store before it answers, exactly as a refresh does, so a code works once, across
 * restarts and instances too; the caller's logout revokes an unused code with its family. */

static void code_spent(struct req *r)
{
	struct login *l = r->work;
	if(l->w->rc == RC_CONFLICT) {
		vbr_error(r, RC_UNAUTHORIZED, 401, "the authorization code was already used");
		return;
	}
	if(l->w->rc) {
		vbr_error(r, l->w->rc, 0, "cannot record the authorization code's use");
		return;
	}
	struct user_rec u;
	enum rc urc = core_user_get_uid(l->who.uid, r->arena, &u);
	if(urc) {
		if(urc == RC_NOTFOUND)
			vbr_error(r, RC_UNAUTHORIZED, 401, "the user of this authorization code no longer exists");
		else
			vbr_error(r, urc, 0, "cannot read the user of this authorization code");
		return;
	}
	l->who.role = u.role;
	snprintf(l->who.user, sizeof(l->who.user), "%s", u.name);
	memset(l->who.sid, 0, sizeof(l->who.sid));   /* the exchange starts a token family of its own */
	auth_issue(&l->who, l->short_refresh, &l->tokens);
	write_token(r, l);
}

static void code_grant(struct req *r)
{
	struct login *l = arena_zalloc(r->arena, sizeof(*l));
	l->d = &vbr_tokens;
	const char *srt = form_get(r->body, r->body_len, "use_short_term_refresh", r->arena);
	l->short_refresh = srt && !strcasecmp(srt, "true");
	const char *code = form_get(r->body, r->body_len, "code", r->arena);
	if(!code || !*code) {
		vbr_error(r, RC_INVALID, 400, "code is required for the authorization_code grant");
		return;
	}
	enum rc rc = auth_verify(code, strlen(code), TOK_CODE, &l->who);
	if(rc) {
		vbr_error(r, rc, 401, rc == RC_EXPIRED ? "the authorization code has expired" : "the authorization code is not valid");
		return;
	}
	char *key = arena_alloc(r->arena, 40);
	auth_token_key(&l->who, key);
	l->w = api_write(r, code_spent);
	r->work = l;
	core_token_revoke(l->w, key, REVOKE_SPENT, l->who.expires_us);
}

static void h_token(struct req *r)
{
	const char *grant = form_get(r->body, r->body_len, "grant_type", r->arena);
	if(grant && !strcasecmp(grant, "authorization_code")) {
		code_grant(r);
		return;
	}
	token_grant(r, &vbr_tokens);
}


static void h_authorization_code(struct req *r)
{
	if(vfam(r) > VBR_12) {
		vbr_error(r, RC_NOTFOUND, 404,
		          arena_printf(r->arena, "authorization codes are available up to x-api-version %s",
		                       catalog_vbr(catalog_vbr_newest(VBR_12))->name));
		return;
	}
	char code[AUTH_TOKEN_MAX];
	int64_t expires;
	auth_issue_code(&r->who, code, &expires);
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "code", code);
	jw_obj_end(&w);
	req_add_header(r, "Cache-Control", "no-store");
}

static void logged_out(struct req *r)
{
	struct jw jw;
	vbr_json(r, 200, &jw);
	jw_obj(&jw);
	jw_obj_end(&jw);
}

static void h_logout(struct req *r)
{
	token_logout(r, &vbr_tokens);
}

static const struct token_dialect vbr_tokens = {
	.fail = vbr_error,
	.answer = write_token,
	.logged_out = logged_out,
};

/* ---------- server ---------- */

static void h_server_time(struct req *r)
{
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	char t[TIME_STR_MAX];
	time_format(r->now_us, 7, t);
	jw_kstr(&w, "serverTime", t);
	jw_kstr(&w, "timeZone", "(UTC) Coordinated Universal Time");
	const char *zone = catalog_vbr(r->version)->iana_zone;
	if(zone)
		jw_kstr(&w, zone, "Etc/UTC");
	jw_obj_end(&w);
}

/* A path that versions before family fam lack: 404 in those, as in their definitions. */
static int available(struct req *r, int fam, const char *what)
{
	if(vfam(r) >= fam)
		return 1;
	vbr_error(r, RC_NOTFOUND, 404,
	          arena_printf(r->arena, "%s available from x-api-version %s on", what,
	                       catalog_vbr(catalog_vbr_oldest(fam))->name));
	return 0;
}

static void h_server_info(struct req *r)
{
	const char *build = catalog_vbr(r->version)->build;
	if(!build) {
		vbr_error(r, RC_NOTFOUND, 404,
		          arena_printf(r->arena, "x-api-version %s has no serverInfo", catalog_vbr(r->version)->name));
		return;
	}
	const struct core_info *ci = core_info();
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "vbrId", ci->installation_id);
	if(vfam(r) == VBR_11)
		jw_kstr(&w, "vbrInstallationId", ci->installation_id);
	jw_kstr(&w, "name", ci->server_name);
	jw_kstr(&w, "buildVersion", build);
	jw_key(&w, "patches");
	jw_arr(&w);
	jw_arr_end(&w);
	if(vfam(r) >= VBR_12) {
		jw_kstr(&w, "databaseVendor", "SQLite");
		jw_kstr(&w, "sqlServerEdition", "embedded");
		jw_kstr(&w, "sqlServerVersion", "3");
		jw_kstr(&w, "databaseSchemaVersion", "1");
		jw_kstr(&w, "databaseContentVersion", "1");
	}
	if(vfam(r) >= VBR_13) {
		jw_key(&w, "veeamRegistration");
		jw_obj(&w);
		jw_kbool(&w, "isRegistered", 0);
		jw_obj_end(&w);
		jw_kstr(&w, "platform", "Linux");
	}
	jw_obj_end(&w);
}

/* ---------- query parameters ---------- */

static enum rc bad(struct req *r, const char *fmt, const char *name)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, name);
	vbr_error(r, RC_INVALID, 400, msg);
	return RC_INVALID;
}

static enum rc q_int64(struct req *r, const char *name, int64_t min, int64_t def, int64_t *out)
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
		return bad(r, "query parameter %s must be an integer in range", name);
	*out = n;
	return RC_OK;
}

static enum rc q_bool(struct req *r, const char *name, int def, int *out)
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
		return bad(r, "query parameter %s must be true or false", name);
	return RC_OK;
}

static enum rc q_time(struct req *r, const char *name, enum qfield f, enum qop op, const struct qexpr **where)
{
	const char *v = req_query(r, name);
	if(!v)
		return RC_OK;
	int64_t us;
	if(time_parse(v, strlen(v), &us))
		return bad(r, "query parameter %s must be an RFC 3339 date-time with an offset", name);
	*where = q_and(r->arena, *where, q_int(r->arena, f, op, us));
	return RC_OK;
}

static enum rc q_uuidf(struct req *r, const char *name, enum qfield f, const struct qexpr **where)
{
	const char *v = req_query(r, name);
	if(!v)
		return RC_OK;
	struct uuid u;
	if(uuid_parse(v, strlen(v), &u))
		return bad(r, "query parameter %s must be a UUID", name);
	*where = q_and(r->arena, *where, q_uuid(r->arena, f, Q_EQ, &u));
	return RC_OK;
}

#define MAX_VALUES 64

/* An enum filter: one value before 1.3, an array (repeated parameter) from 1.3.
 * parse(value) returns the codes the value stands for (-1 when unknown). */
static enum rc q_enum(struct req *r, const char *name, enum qfield f, int multi,
                      int (*match)(const char *s, int ver, int *out, int max), const struct qexpr **where)
{
	const char *vals[MAX_VALUES];
	int n = req_query_all(r, name, vals, MAX_VALUES);
	if(!n)
		return RC_OK;
	if(n > 1 && !multi)
		return bad(r, "query parameter %s takes one value in this API version", name);
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

static int match_type(const char *s, int ver, int *out, int max)
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

static int match_state(const char *s, int ver, int *out, int max)
{
	return one_code(catalog_vbr_state_parse(s, ver), out, max);
}

static int match_result(const char *s, int ver, int *out, int max)
{
	(void)ver;
	return one_code(catalog_result_parse(s), out, max);
}

static int match_task_type(const char *s, int ver, int *out, int max)
{
	(void)ver;
	return one_code(catalog_task_type_parse(s), out, max);
}

struct order_name {
	const char *name;
	enum qorder order;
	int since; /* first family (enum vbr_fam) */
};

static enum rc q_order(struct req *r, const struct order_name *names, struct query *q)
{
	const char *v = req_query(r, "orderColumn");
	if(!v)
		return RC_OK;
	for(const struct order_name *o = names; o->name; o++)
		if(!strcasecmp(v, o->name) && vfam(r) >= o->since) {
			q->order = o->order;
			return RC_OK;
		}
	return bad(r, "query parameter %s has an unknown column", "orderColumn");
}

/* The most items one list answer holds, in every version: no definition gives a maximum for
 * limit, so a larger limit (limit=2147483647 meaning "everything") is clamped to this and
 * pagination.limit says so; the client pages on with skip. */
#define VBR_LIST_MAX 1000

/* The limit a list takes when the request sends none, per family (enum vbr_fam): 1.3 defines
 * 200; 1.0-1.2 define no default, so all matches come, up to VBR_LIST_MAX. */
static const int64_t default_limit[VBR_FAM_COUNT] = {
	[VBR_10] = VBR_LIST_MAX, [VBR_11] = VBR_LIST_MAX, [VBR_12] = VBR_LIST_MAX, [VBR_13] = 200,
};

static enum rc q_limit(struct req *r, int64_t *skip, int64_t *limit)
{
	enum rc rc;
	if((rc = q_int64(r, "skip", 0, 0, skip)) || (rc = q_int64(r, "limit", 1, default_limit[vfam(r)], limit)))
		return rc;
	if(*limit > VBR_LIST_MAX)
		*limit = VBR_LIST_MAX;
	return RC_OK;
}

static enum rc q_page(struct req *r, struct query *q)
{
	enum rc rc;
	if((rc = q_limit(r, &q->skip, &q->limit)) || (rc = q_bool(r, "orderAsc", 0, &q->asc)))
		return rc;
	return RC_OK;
}

static enum rc q_common(struct req *r, struct query *q, const struct qexpr **where)
{
	enum rc rc;
	const char *name = req_query(r, "nameFilter");
	if(name && *name)
		*where = q_and(r->arena, *where, q_match(r->arena, QF_NAME, name));
	if((rc = q_time(r, "createdAfterFilter", QF_CREATION, Q_GE, where)) ||
	   (rc = q_time(r, "createdBeforeFilter", QF_CREATION, Q_LE, where)) ||
	   (rc = q_time(r, "endedAfterFilter", QF_END, Q_GE, where)) ||
	   (rc = q_time(r, "endedBeforeFilter", QF_END, Q_LE, where)) ||
	   (rc = q_enum(r, "stateFilter", QF_STATE, 0, match_state, where)) ||
	   (rc = q_enum(r, "resultFilter", QF_RESULT, vfam(r) >= VBR_13, match_result, where)))
		return rc;
	int64_t usn;
	if((rc = q_int64(r, "usnGreaterThan", 0, -1, &usn)))
		return rc;
	if(usn >= 0)
		*where = q_and(r->arena, *where, q_int(r->arena, QF_USN, Q_GT, usn));
	return RC_OK;
}

/* ---------- the change feed: long polls ---------- */

struct longpoll {
	struct feed_waiter fw;
	struct req *r;
	int64_t deadline_us;
	void (*handler)(struct req *r);
};

static void lp_fire(struct feed_waiter *fw)
{
	struct longpoll *lp = fw->ctx;
	lp->r->io->resume(lp->r);
}

static void lp_cont(struct req *r)
{
	struct longpoll *lp = r->work;
	lp->handler(r);
}

/* The request ends (answered, or its client left while it waited). */
static void lp_done(struct req *r)
{
	struct longpoll *lp = r->work;
	feed_cancel(&lp->fw);
}

#define LONG_POLL_MAX_S 300

/* With ?usnGreaterThan=N&wait=S a request whose answer holds nothing (found == 0) waits up
 * to S seconds, without holding a worker, for a commit after mark (the newest usn the
 * answer examined, read before it was computed), then handler runs again and looks anew.
 * Returns 1 when r now waits or was answered with an error, 0 to answer now. */
static int long_poll(struct req *r, int found, int64_t mark, void (*handler)(struct req *r))
{
	const char *wv = req_query(r, "wait");
	if(!wv)
		return 0;
	const char *uv = req_query(r, "usnGreaterThan");
	char *end;
	long wait = strtol(wv, &end, 10);
	if(!*wv || *end || wait < 0 || wait > LONG_POLL_MAX_S) {
		bad(r, "query parameter %s must be a number of seconds from 0 to 300", "wait");
		return 1;
	}
	long long after = uv ? strtoll(uv, &end, 10) : -1;
	if(!uv || !*uv || *end || after < 0) {
		bad(r, "query parameter %s needs usnGreaterThan=<usn>", "wait");
		return 1;
	}
	if(found || wait == 0 || feed_closed())
		return 0;
	struct longpoll *lp = r->work;
	if(!lp) {
		lp = arena_zalloc(r->arena, sizeof(*lp));
		lp->r = r;
		lp->handler = handler;
		lp->deadline_us = r->now_us + (int64_t)wait * 1000000;
		r->work = lp;
		r->stream_done = lp_done;   /* lets the http layer end the wait early */
	}
	if(time_now_us() >= lp->deadline_us)
		return 0;
	buf_reset(&r->out);
	lp->fw.after_usn = mark > after ? mark : after;
	lp->fw.deadline_us = lp->deadline_us;
	lp->fw.fire = lp_fire;
	lp->fw.ctx = lp;
	r->io->suspend(r, lp_cont);
	feed_wait(&lp->fw);
	return 1;
}

/* ---------- the change feed: server-sent events ---------- */

#define SSE_BATCH 200
#define SSE_KEEPALIVE_S 15

struct sse {
	struct feed_waiter fw;
	struct req *r;
	int64_t last;          /* sessions with a usn above this are still to send */
	int64_t last_task;     /* task sessions with a usn above this are still to send */
	int armed;             /* fw was queued and may have fired */
	struct arena a;        /* rows of one batch */
	struct sess_rec *sess;
	int nsess;
	struct task_rec *task;
	int ntask;
};

static void sse_fire(struct feed_waiter *fw)
{
	struct sse *e = fw->ctx;
	e->r->io->resume(e->r);
}

static int sse_keep_sess(void *ctx, const struct sess_rec *s)
{
	struct sse *e = ctx;
	e->sess[e->nsess] = *s;
	return ++e->nsess >= SSE_BATCH;
}

static int sse_keep_task(void *ctx, const struct task_rec *t)
{
	struct sse *e = ctx;
	e->task[e->ntask] = *t;
	return ++e->ntask >= SSE_BATCH;
}

/* Each event carries the model GET /sessions/{id} (or /taskSessions/{id}) answers in the
 * request's version: one rendering path for both. A change gives a session and its task the
 * same usn, so the ids differ: "<usn>" for the session, "<usn>.1" for the task (sent after it). */
static void sse_session(struct buf *out, const struct sess_rec *s, int ver)
{
	buf_printf(out, "id: %lld\nevent: session\ndata: ", (long long)s->usn);
	struct jw w;
	jw_init(&w, out);
	vbr_render_session(&w, s, ver, 0);
	buf_addstr(out, "\n\n");
}

static void sse_task(struct buf *out, const struct task_rec *t, int ver)
{
	buf_printf(out, "id: %lld.1\nevent: taskSession\ndata: ", (long long)t->usn);
	struct jw w;
	jw_init(&w, out);
	vbr_render_task(&w, t, ver, NULL);
	buf_addstr(out, "\n\n");
}

/* Sends what changed after e->last, in usn order; waits for the feed when nothing did. */
static int sse_stream(struct req *r, struct buf *out)
{
	struct sse *e = r->work;
	if(feed_closed())
		return 0;
	int64_t seen = core_usn();
	arena_reset(&e->a);
	e->sess = arena_alloc(&e->a, sizeof(*e->sess) * SSE_BATCH);
	e->task = arena_alloc(&e->a, sizeof(*e->task) * SSE_BATCH);
	e->nsess = e->ntask = 0;
	struct query q = {.where = q_int(&e->a, QF_USN, Q_GT, e->last), .order = QO_USN, .asc = 1, .limit = SSE_BATCH};
	struct query qt = q;
	qt.where = q_int(&e->a, QF_USN, Q_GT, e->last_task);
	if(core_session_list(&q, &e->a, sse_keep_sess, e, NULL) || core_task_list(&qt, &e->a, sse_keep_task, e, NULL))
		return -1;
	/* A full batch may hide rows of the other kind below its end: send up to the lower end. */
	int64_t cut = INT64_MAX;
	if(e->nsess == SSE_BATCH)
		cut = e->sess[SSE_BATCH - 1].usn;
	if(e->ntask == SSE_BATCH && e->task[SSE_BATCH - 1].usn < cut)
		cut = e->task[SSE_BATCH - 1].usn;
	int i = 0, k = 0, sent = 0;
	while((i < e->nsess && e->sess[i].usn <= cut) || (k < e->ntask && e->task[k].usn <= cut)) {
		int take_sess = k >= e->ntask || e->task[k].usn > cut ||
		                (i < e->nsess && e->sess[i].usn <= cut && e->sess[i].usn <= e->task[k].usn);
		if(take_sess) {
			sse_session(out, &e->sess[i], r->version);
			e->last = e->sess[i++].usn;
			if(e->last - 1 > e->last_task)
				e->last_task = e->last - 1;   /* tasks below it came before it */
		} else {
			sse_task(out, &e->task[k], r->version);
			e->last_task = e->task[k].usn;
			if(e->last_task > e->last)
				e->last = e->last_task;       /* its session's change at that usn came first */
			k++;
		}
		sent++;
	}
	if(sent) {
		e->armed = 0;
		return 1;
	}
	if(seen > e->last)
		e->last = seen;
	if(seen > e->last_task)
		e->last_task = seen;    /* what committed up to `seen` was visible, and none of it is ours */
	int queued = e->armed && feed_queued(&e->fw);
	if(e->armed && !queued) {
		/* The wait ended with nothing to send: its deadline, so keep the line alive. */
		e->armed = 0;
		buf_addstr(out, ": keepalive\n\n");
		return 1;
	}
	if(!queued) {
		e->armed = 1;
		e->fw.after_usn = e->last;
		e->fw.deadline_us = time_now_us() + (int64_t)SSE_KEEPALIVE_S * 1000000;
		e->fw.fire = sse_fire;
		e->fw.ctx = e;
		feed_wait(&e->fw);
	}
	return 2;
}

static void sse_done(struct req *r)
{
	struct sse *e = r->work;
	/* Always: the waiter can still be queued when a batch was sent after a stale
	 * wake-up (armed is 0 then); cancelling one that is not queued is harmless. */
	feed_cancel(&e->fw);
	arena_free(&e->a);
}

/* GET /api/v1/sessions/events: session and task session changes as server-sent events,
 * in the request's version. A session event's id is its usn N, its task event's "N.1".
 * Resumes after Last-Event-ID (or ?lastEventId=): after "N" the task event of usn N still
 * comes; ?usnGreaterThan=N resumes after everything up to N. */
static void h_events(struct req *r)
{
	const char *from = req_header(r, "Last-Event-ID");
	int id_form = 1;
	if(!from)
		from = req_query(r, "lastEventId");
	if(!from) {
		from = req_query(r, "usnGreaterThan");
		id_form = 0;
	}
	int64_t last = core_usn(), last_task = last;
	if(from) {
		char *end;
		errno = 0;
		long long v = strtoll(from, &end, 10);
		int task = !strcmp(end, ".1");
		if(!*from || (*end && !(task && id_form)) || errno || v < 0) {
			bad(r, "%s must be an event id (<usn> or <usn>.1)", id_form ? "Last-Event-ID" : "usnGreaterThan");
			return;
		}
		last = last_task = v;
		if(id_form && !task && v > 0)
			last_task = v - 1;
	}
	struct sse *e = arena_zalloc(r->arena, sizeof(*e));
	e->r = r;
	e->last = last;
	e->last_task = last_task;
	arena_init(&e->a);
	r->work = e;
	r->status = 200;
	r->ctype = "text/event-stream";
	req_add_header(r, "Cache-Control", "no-cache");
	req_add_header(r, "X-Accel-Buffering", "no");
	r->stream = sse_stream;
	r->stream_done = sse_done;
}

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

static void pagination(struct jw *w, int64_t total, int64_t count, const struct query *q)
{
	jw_key(w, "pagination");
	jw_obj(w);
	jw_kint(w, "total", total);
	jw_kint(w, "count", count);
	jw_kint(w, "skip", q->skip);
	jw_kint(w, "limit", q->limit);
	jw_obj_end(w);
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
static void answer_list(struct req *r, const struct query *q, int tasks, void (*again)(struct req *r))
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
	pagination(&w, total, l.count, q);
	jw_obj_end(&w);
	if(again && long_poll(r, l.count > 0, mark, again))
		return;
	req_add_header(r, "X-Usn", arena_printf(r->arena, "%lld", (long long)mark));
}

static const struct order_name session_orders[] = {
	{"Name", QO_NAME, VBR_10}, {"SessionType", QO_TYPE, VBR_10}, {"CreationTime", QO_CREATION, VBR_10},
	{"EndTime", QO_END, VBR_10}, {"State", QO_STATE, VBR_10}, {"Result", QO_RESULT, VBR_10},
	{"InitiatedBy", QO_INITIATED_BY, VBR_13}, {NULL, 0, 0},
};

static void h_sessions(struct req *r);

/* extra: what the path itself selects (automation sessions); multi_type: typeFilter takes an
 * array (sessions from 1.3; automation sessions take one value in every version). */
static void list_sessions(struct req *r, const struct qexpr *extra, int multi_type, void (*again)(struct req *r))
{
	struct query q = {.order = QO_CREATION, .want_total = 1};
	const struct qexpr *where = extra;
	if(q_page(r, &q) || q_order(r, session_orders, &q) || q_common(r, &q, &where) ||
	   q_enum(r, "typeFilter", QF_TYPE, multi_type, match_type, &where) ||
	   q_uuidf(r, "jobIdFilter", QF_JOB_ID, &where))
		return;
	q.where = where;
	answer_list(r, &q, 0, again);
}

static void h_sessions(struct req *r)
{
	list_sessions(r, NULL, vfam(r) >= VBR_13, h_sessions);
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

static void h_auto_sessions(struct req *r)
{
	list_sessions(r, automation_where(r->arena), 0, h_auto_sessions);
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

static void h_auto_session(struct req *r)
{
	struct uuid id;
	struct sess_rec s;
	if(auto_session(r, &id, &s))
		return;
	struct jw w;
	vbr_json(r, 200, &w);
	vbr_render_session(&w, &s, r->version, 0);
}

static void render_logs(struct req *r, const struct uuid *owner);

static void h_auto_session_logs(struct req *r)
{
	int64_t mark = core_usn();
	struct uuid id;
	struct sess_rec s;
	if(auto_session(r, &id, &s))
		return;
	const char *uv = req_query(r, "usnGreaterThan");
	if(long_poll(r, !uv || s.usn > strtoll(uv, NULL, 10), mark, h_auto_session_logs))
		return;
	render_logs(r, &id);
}

static void stopped(struct req *r);

static void h_auto_session_stop(struct req *r)
{
	struct uuid id;
	struct sess_rec s;
	if(auto_session(r, &id, &s))
		return;
	core_session_stop(api_write(r, stopped), &id);
}

static void h_session(struct req *r)
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

static void render_logs(struct req *r, const struct uuid *owner)
{
	int status = -1;
	const char *sf = req_query(r, "statusFilter");
	if(sf && vfam(r) >= VBR_13) {
		status = catalog_log_status_parse(sf);
		if(status < 0) {
			bad(r, "query parameter %s has an unknown status", "statusFilter");
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

static void h_session_logs(struct req *r)
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
	if(long_poll(r, !uv || s.usn > strtoll(uv, NULL, 10), mark, h_session_logs))
		return;
	render_logs(r, &id);
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

static void h_session_stop(struct req *r)
{
	struct uuid id;
	if(vbr_path_uuid(r, 0, &id))
		return;
	core_session_stop(api_write(r, stopped), &id);
}

/* ---------- task sessions (1.2 and later) ---------- */

static int tasks_available(struct req *r)
{
	return available(r, VBR_12, "task sessions are");
}

static const struct order_name task_orders[] = {
	{"Name", QO_NAME, VBR_12}, {"Type", QO_TASK_TYPE, VBR_12}, {"SessionType", QO_SESSION_TYPE, VBR_12},
	{"CreationTime", QO_CREATION, VBR_12}, {"EndTime", QO_END, VBR_12}, {"State", QO_STATE, VBR_12},
	{"Result", QO_RESULT, VBR_12}, {"ScanState", QO_STATE, VBR_12}, {"ScanResult", QO_RESULT, VBR_12},
	{NULL, 0, 0},
};

/* The antivirus scan fields of a task session are derived from it (vbr_render_task): scanType
 * is Antivirus, scanResult Canceled when canceled, else None/Clean/Inconclusive/Infected by
 * result, scanState Finished once stopped, else InProgress. The scan filters select exactly the
 * antivirus task sessions that show the value asked for; a value never shown matches nothing. */
enum scan_match { SCAN_NEVER, SCAN_ANY, SCAN_RESULT, SCAN_CANCELED, SCAN_STOPPED, SCAN_RUNNING };
struct scan_value {
	const char *name;
	enum scan_match match;
	int result;                 /* SCAN_RESULT */
};
static const struct scan_value scan_types[] = {{"Antivirus", SCAN_ANY, 0}, {"Yara", SCAN_NEVER, 0}, {NULL, 0, 0}};
static const struct scan_value scan_results[] = {
	{"None", SCAN_RESULT, RES_NONE}, {"Clean", SCAN_RESULT, RES_SUCCESS}, {"Inconclusive", SCAN_RESULT, RES_WARNING},
	{"Infected", SCAN_RESULT, RES_FAILED}, {"Canceled", SCAN_CANCELED, 0}, {"Failed", SCAN_NEVER, 0}, {NULL, 0, 0},
};
static const struct scan_value scan_states[] = {
	{"NotStarted", SCAN_NEVER, 0}, {"InProgress", SCAN_RUNNING, 0}, {"Finished", SCAN_STOPPED, 0}, {NULL, 0, 0},
};

static enum rc q_scan(struct req *r, const char *name, const struct scan_value *values, const struct qexpr **where)
{
	const char *v = req_query(r, name);
	if(!v)
		return RC_OK;
	const struct scan_value *sv = values;
	while(sv->name && strcasecmp(sv->name, v))
		sv++;
	if(!sv->name)
		return bad(r, "query parameter %s has an unknown value", name);
	struct arena *a = r->arena;
	const struct qexpr *e = q_int(a, QF_TASK_TYPE, Q_EQ, TT_ANTIVIRUS);
	switch(sv->match) {
	case SCAN_NEVER: e = q_int(a, QF_TASK_TYPE, Q_EQ, -1); break;
	case SCAN_ANY: break;
	case SCAN_RESULT:
		e = q_and(a, e, q_and(a, q_int(a, QF_RESULT, Q_EQ, sv->result), q_int(a, QF_IS_CANCELED, Q_EQ, 0)));
		break;
	case SCAN_CANCELED: e = q_and(a, e, q_int(a, QF_IS_CANCELED, Q_EQ, 1)); break;
	case SCAN_STOPPED: e = q_and(a, e, q_int(a, QF_STATE, Q_EQ, ST_STOPPED)); break;
	case SCAN_RUNNING: e = q_and(a, e, q_int(a, QF_STATE, Q_NE, ST_STOPPED)); break;
	}
	*where = q_and(a, *where, e);
	return RC_OK;
}

static void h_tasks(struct req *r);

static void list_tasks(struct req *r, const struct uuid *session)
{
	struct query q = {.order = QO_CREATION, .want_total = 1};
	const struct qexpr *where = session ? q_uuid(r->arena, QF_SESSION_ID, Q_EQ, session) : NULL;
	if(q_page(r, &q) || q_order(r, task_orders, &q) || q_common(r, &q, &where) ||
	   q_enum(r, "typeFilter", QF_TASK_TYPE, 0, match_task_type, &where) ||
	   q_enum(r, "sessionTypeFilter", QF_SESSION_TYPE, 0, match_type, &where) ||
	   q_uuidf(r, "sessionIdFilter", QF_SESSION_ID, &where) || q_scan(r, "scanTypeFilter", scan_types, &where) ||
	   q_scan(r, "scanResultFilter", scan_results, &where) || q_scan(r, "scanStateFilter", scan_states, &where))
		return;
	q.where = where;
	answer_list(r, &q, 1, session ? NULL : h_tasks);
}

static void h_tasks(struct req *r)
{
	if(tasks_available(r))
		list_tasks(r, NULL);
}

static void h_session_tasks(struct req *r)
{
	struct uuid id;
	if(!tasks_available(r) || vbr_path_uuid(r, 0, &id))
		return;
	struct sess_rec s;
	enum rc rc = core_session_get(&id, r->arena, &s);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "session not found" : "cannot read the session");
		return;
	}
	list_tasks(r, &id);
}

static void h_task(struct req *r)
{
	struct uuid id;
	if(!tasks_available(r) || vbr_path_uuid(r, 0, &id))
		return;
	struct task_rec t;
	enum rc rc = core_task_get(&id, r->arena, &t);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "task session not found" : "cannot read the task session");
		return;
	}
	struct jw w;
	vbr_json(r, 200, &w);
	vbr_render_task(&w, &t, r->version, NULL);
}

static void h_task_logs(struct req *r)
{
	struct uuid id;
	if(!tasks_available(r) || vbr_path_uuid(r, 0, &id))
		return;
	int64_t mark = core_usn();
	struct task_rec t;
	enum rc rc = core_task_get(&id, r->arena, &t);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "task session not found" : "cannot read the task session");
		return;
	}
	const char *uv = req_query(r, "usnGreaterThan");
	if(long_poll(r, !uv || t.usn > strtoll(uv, NULL, 10), mark, h_task_logs))
		return;
	render_logs(r, &id);
}

/* ---------- jobs, derived from sessions ---------- */

/* What kind of job a session belongs to, as data: its session type (canonical name) and,
 * when given, its platform (EPlatformType) pick the job's EJobType and EJobWorkload. The
 * EJobType is the first of `types` that the request's version has (the candidates run from
 * the most precise to the most general); the first matching row wins, the last is the default. */
enum workload { WL_APPLICATION, WL_CLOUD_VM, WL_FILE, WL_SERVER, WL_WORKSTATION, WL_VM, WL__COUNT };
static const char *const workload_names[WL__COUNT] = {
	"Application", "CloudVm", "File", "Server", "Workstation", "Vm",
};

#define JOB_TYPES_MAX 4
static const struct job_kind {
	const char *session_type;   /* NULL: any */
	const char *platform;       /* NULL: any */
	const char *types[JOB_TYPES_MAX];
	enum workload workload;
} job_kinds[] = {
	{"ReplicaJob", NULL, {"VSphereReplica", "Backup"}, WL_VM},
	{"BackupCopyJob", NULL, {"BackupCopy", "Backup"}, WL_VM},
	{"BackupCopyJobParent", NULL, {"BackupCopy", "Backup"}, WL_VM},
	{"CopyBackup", NULL, {"LegacyBackupCopy", "Backup"}, WL_VM},
	{"UnstructuredDataBackupCopy", NULL, {"FileBackupCopy", "Backup"}, WL_FILE},
	{"SureBackupContentScan", NULL, {"SureBackupContentScan", "Unknown", "Backup"}, WL_VM},
	{"IrisBackup", NULL, {"IrisBackup", "Unknown", "Backup"}, WL_APPLICATION},
	{"SqlLogBackup", NULL, {"Unknown", "Backup"}, WL_APPLICATION},
	{"OracleLogBackup", NULL, {"Unknown", "Backup"}, WL_APPLICATION},
	{"PostgreSqlLogBackup", NULL, {"Unknown", "Backup"}, WL_APPLICATION},
	{"AgentPolicy", "LinuxPhysical", {"LinuxAgentBackupServerPolicy", "LinuxAgentBackup", "Backup"}, WL_SERVER},
	{"AgentPolicy", NULL, {"WindowsAgentBackupServerPolicy", "WindowsAgentBackup", "Backup"}, WL_SERVER},
	{"AgentBackup", "LinuxPhysical", {"LinuxAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"AgentBackup", NULL, {"WindowsAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"EndpointBackup", NULL, {"WindowsAgentBackupWorkstationPolicy", "WindowsAgentBackup", "Backup"}, WL_WORKSTATION},
	{"PlatformBackupJob", "AWSEC2", {"CloudBackupAWS", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PlatformBackupJob", "AzureCompute", {"CloudBackupAzure", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PlatformBackupJob", "GCE", {"CloudBackupGoogle", "Unknown", "Backup"}, WL_CLOUD_VM},
	{"PlatformBackupJob", "Nutanix", {"NutanixAHVBackupJob", "Unknown", "Backup"}, WL_VM},
	{"PlatformBackupJob", "Proxmox", {"ProxmoxBackupJob", "Unknown", "Backup"}, WL_VM},
	{"PlatformBackupJob", NULL, {"Unknown", "Backup"}, WL_CLOUD_VM},
	{"BackupJob", "HyperV", {"HyperVBackup", "Backup"}, WL_VM},
	{"BackupJob", "CloudDirector", {"CloudDirectorBackup", "Backup"}, WL_VM},
	{"BackupJob", "Nutanix", {"NutanixAHVBackupJob", "Unknown", "Backup"}, WL_VM},
	{"BackupJob", "Proxmox", {"ProxmoxBackupJob", "Unknown", "Backup"}, WL_VM},
	{"BackupJob", "EntraID", {"EntraIDTenantBackup", "Unknown", "Backup"}, WL_APPLICATION},
	{"BackupJob", "UnstructuredData", {"FileBackup", "Unknown", "Backup"}, WL_FILE},
	{"BackupJob", "WindowsPhysical", {"WindowsAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"BackupJob", "LinuxPhysical", {"LinuxAgentBackup", "Unknown", "Backup"}, WL_SERVER},
	{"BackupJob", "Iris", {"IrisBackup", "Unknown", "Backup"}, WL_APPLICATION},
	{"BackupJob", "MongoDb", {"Unknown", "Backup"}, WL_APPLICATION},
	{"BackupJob", NULL, {"VSphereBackup", "Backup"}, WL_VM},
	{NULL, NULL, {"Unknown", "Backup"}, WL_VM},
};

/* The EJobType values of each version's definition, from the first version that has the list on. */
static const char *const job_types_10[] = {"Backup", NULL};
static const char *const job_types_12[] = {
	"Backup", "VSphereReplica", "CloudDirectorBackup", "EntraIDTenantBackup", "EntraIDAuditLogBackup",
	"FileBackupCopy", NULL,
};
static const char *const job_types_13r0[] = {
	"Unknown", "VSphereBackup", "HyperVBackup", "VSphereReplica", "CloudDirectorBackup", "EntraIDTenantBackup",
	"EntraIDAuditLogBackup", "FileBackupCopy", "LegacyBackupCopy", "BackupCopy", "WindowsAgentBackup",
	"LinuxAgentBackup", "EntraIDTenantBackupCopy", NULL,
};
#define JOB_TYPES_13R1 \
	"Unknown", "VSphereBackup", "HyperVBackup", "VSphereReplica", "CloudDirectorBackup", "EntraIDTenantBackup", \
	"EntraIDAuditLogBackup", "FileBackupCopy", "LegacyBackupCopy", "BackupCopy", "WindowsAgentBackup", \
	"LinuxAgentBackup", "FileBackup", "ObjectStorageBackup", "EntraIDTenantBackupCopy", "SureBackupContentScan", \
	"CloudBackupAzure", "CloudBackupAWS", "CloudBackupGoogle", "WindowsAgentBackupWorkstationPolicy", \
	"LinuxAgentBackupWorkstationPolicy", "WindowsAgentBackupServerPolicy", "LinuxAgentBackupServerPolicy"
static const char *const job_types_13r1[] = {JOB_TYPES_13R1, NULL};
static const char *const job_types_13r2[] = {
	JOB_TYPES_13R1, "NutanixAHVBackupJob", "ProxmoxBackupJob", "IrisBackup", "WindowsAgentBackupFailoverCluster", NULL,
};
static const struct {
	int since;                  /* enum vbr_ver */
	const char *const *types;
} job_type_sets[] = {
	{VBR_V10R1, job_types_10}, {VBR_V12R0, job_types_12}, {VBR_V13R0, job_types_13r0},
	{VBR_V13R1, job_types_13r1}, {VBR_V13R2, job_types_13r2},
};

static const struct job_kind *job_kind_of(const struct sess_rec *s)
{
	const char *type = catalog_type_name(s->type);
	const struct job_kind *k = job_kinds;
	for(; k->session_type; k++)
		if(!strcmp(k->session_type, type) && (!k->platform || (s->platform_name && !strcmp(k->platform, s->platform_name))))
			break;
	return k;
}

static const char *job_type_name(const struct job_kind *k, int ver)
{
	const char *const *set = job_types_10;
	for(size_t i = 0; i < sizeof(job_type_sets) / sizeof(job_type_sets[0]); i++)
		if(ver >= job_type_sets[i].since)
			set = job_type_sets[i].types;
	for(int c = 0; c < JOB_TYPES_MAX && k->types[c]; c++)
		for(const char *const *t = set; *t; t++)
			if(!strcmp(*t, k->types[c]))
				return *t;
	return set[0];
}

/* EJobWorkload: capitalized from 1.3-rev1 on, lower camel case before (as the version's words say). */
static const char *job_workload_name(struct arena *a, enum workload wl, const struct vbr_job_words *words)
{
	const char *n = workload_names[wl];
	if(words->vm[0] >= 'A' && words->vm[0] <= 'Z')
		return n;
	char *low = arena_strndup(a, n, strlen(n));
	low[0] = (char)(low[0] - 'A' + 'a');
	return low;
}

struct job_row {
	struct sess_rec s;
	struct job_row *next;
};

struct jobs {
	struct arena *a;
	struct job_row *head, *tail;
	int64_t n;
};

static int collect_job(void *ctx, const struct sess_rec *s)
{
	struct jobs *j = ctx;
	struct job_row *row = arena_zalloc(j->a, sizeof(*row));
	row->s = *s;
	if(j->tail)
		j->tail->next = row;
	else
		j->head = row;
	j->tail = row;
	j->n++;
	return 0;
}

static void h_job_states(struct req *r)
{
	struct query q = {.want_total = 0};
	if(q_limit(r, &q.skip, &q.limit))
		return;
	struct jobs j = {.a = r->arena};
	enum rc rc = core_job_latest(r->arena, collect_job, &j);
	if(rc) {
		vbr_error(r, rc, 0, "cannot list jobs");
		return;
	}
	const char *name = req_query(r, "nameFilter");
	int fam = vfam(r);
	const struct vbr_job_words *words = catalog_vbr(r->version)->jobs;
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	int64_t idx = 0, count = 0, total = 0;
	for(struct job_row *row = j.head; row; row = row->next) {
		const struct sess_rec *s = &row->s;
		const char *job = s->job_name ? s->job_name : s->name;
		if(name && *name && !strcasestr(job, name))
			continue;
		total++;
		if(idx++ < q.skip || count >= q.limit)
			continue;
		count++;
		int running = s->state != ST_STOPPED;
		jw_obj(&w);
		kuuid(&w, "id", &s->job_id);
		jw_kstr(&w, "name", job);
		const struct job_kind *kind = job_kind_of(s);
		jw_kstr(&w, "type", job_type_name(kind, r->version));
		jw_kstr(&w, "description", "");
		jw_kstr(&w, "status", running ? words->running : words->inactive);
		vbr_time(&w, "lastRun", s->creation_us);
		jw_kstr(&w, "lastResult", catalog_result_name(s->result));
		jw_kstr(&w, "workload", job_workload_name(r->arena, kind->workload, words));
		jw_kint(&w, "objectsCount", 0);
		kuuid(&w, "sessionId", &s->id);
		if(fam >= VBR_13) {
			jw_kbool(&w, "highPriority", 0);
			jw_kint(&w, "progressPercent", s->progress);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	pagination(&w, total, count, &q);
	jw_obj_end(&w);
}

/* ---------- the route table ---------- */

static const struct route routes[] = {
	{M_POST, "/api/oauth2/token", PERM_PUBLIC, h_token},
	{M_POST, "/api/oauth2/logout", PERM_AUTH, h_logout},
	{M_POST, "/api/oauth2/authorization_code", PERM_AUTH, h_authorization_code},
	{M_GET, "/api/v1/serverTime", PERM_PUBLIC, h_server_time},
	{M_GET, "/api/v1/serverInfo", PERM_AUTH, h_server_info},
	{M_GET, "/api/v1/sessions", PERM_READ, h_sessions},
	{M_POST, "/api/v1/sessions", PERM_INGEST, ingest_session_create},
	{M_GET, "/api/v1/sessions/events", PERM_READ, h_events},
	{M_GET, "/api/v1/sessions/{id}", PERM_READ, h_session},
	{M_PATCH, "/api/v1/sessions/{id}", PERM_INGEST, ingest_session_patch},
	{M_GET, "/api/v1/sessions/{id}/logs", PERM_READ, h_session_logs},
	{M_POST, "/api/v1/sessions/{id}/logs", PERM_INGEST, ingest_session_log_append},
	{M_PATCH, "/api/v1/sessions/{id}/logs/{rid}", PERM_INGEST, ingest_session_log_patch},
	{M_POST, "/api/v1/sessions/{id}/stop", PERM_STOP, h_session_stop},
	{M_POST, "/api/v1/sessions/{id}/complete", PERM_INGEST, ingest_session_complete},
	{M_GET, "/api/v1/sessions/{id}/taskSessions", PERM_READ, h_session_tasks},
	{M_POST, "/api/v1/sessions/{id}/taskSessions", PERM_INGEST, ingest_task_create},
	{M_GET, "/api/v1/taskSessions", PERM_READ, h_tasks},
	{M_GET, "/api/v1/taskSessions/{id}", PERM_READ, h_task},
	{M_PATCH, "/api/v1/taskSessions/{id}", PERM_INGEST, ingest_task_patch},
	{M_GET, "/api/v1/taskSessions/{id}/logs", PERM_READ, h_task_logs},
	{M_POST, "/api/v1/taskSessions/{id}/logs", PERM_INGEST, ingest_task_log_append},
	{M_PATCH, "/api/v1/taskSessions/{id}/logs/{rid}", PERM_INGEST, ingest_task_log_patch},
	{M_POST, "/api/v1/taskSessions/{id}/complete", PERM_INGEST, ingest_task_complete},
	{M_GET, "/api/v1/jobs/states", PERM_READ, h_job_states},
	{M_GET, "/api/v1/automation/sessions", PERM_READ, h_auto_sessions},
	{M_GET, "/api/v1/automation/sessions/{id}", PERM_READ, h_auto_session},
	{M_GET, "/api/v1/automation/sessions/{id}/logs", PERM_READ, h_auto_session_logs},
	{M_POST, "/api/v1/automation/sessions/{id}/stop", PERM_STOP, h_auto_session_stop},
	{M_GET, "/api/v1/estate", PERM_READ, estate_h_changes},
	{M_GET, "/api/v1/estate/{kind}", PERM_READ, estate_h_list},
	{M_GET, "/api/v1/estate/{kind}/{id}", PERM_READ, estate_h_get},
	{M_PUT, "/api/v1/estate/{kind}/{id}", PERM_INGEST, estate_h_put},
	{M_DELETE, "/api/v1/estate/{kind}/{id}", PERM_INGEST, estate_h_del},
};

const struct dialect dialect_vbr = {
	.name = "vbr",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.prepare = vbr_prepare,
	.authenticate = vbr_authenticate,
	.error = vbr_error,
};
