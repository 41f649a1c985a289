/* VBR REST dialect: route table and the mapping between the domain model and
 * VBR's JSON, in the shape of the x-api-version the client asked for. */
#include "api/vbr.h"

#include "api/cache.h"
#include "api/token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/catalog.h"
#include "core/core.h"
#include "core/feed.h"
#include "core/query.h"
#include "core/session.h"
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

static void progress_model(struct jw *w, int fam, int64_t creation, int64_t end, int percent)
{
	char span[40];
	int64_t stop = end ? end : time_now_us();
	timespan_format(stop > creation ? stop - creation : 0, span);
	jw_key(w, "progress");
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

static int platform_known(const char *p, int fam)
{
	static const char *const v12[] = {"VMware", "HyperV", "CloudDirector", "WindowsPhysical", "LinuxPhysical",
	                                  "Tape", "CustomPlatform", "EntraID", "UnstructuredData", "Test"};
	static const char *const v13[] = {"MongoDb", "Iris", "AWSEC2", "AzureCompute", "GCE", "Nutanix",
	                                  "Proxmox", "LinuxPhysicalPpc", "ApplicationBackupRepository"};
	for(size_t i = 0; i < sizeof(v12) / sizeof(v12[0]); i++)
		if(!strcmp(p, v12[i]))
			return 1;
	if(fam >= VBR_13)
		for(size_t i = 0; i < sizeof(v13) / sizeof(v13[0]); i++)
			if(!strcmp(p, v13[i]))
				return 1;
	return 0;
}

void vbr_render_session(struct jw *w, const struct sess_rec *s, int fam, int ingest)
{
	jw_obj(w);
	kuuid(w, "id", &s->id);
	jw_kstr(w, "name", s->name);
	if(fam <= VBR_11)
		kuuid(w, "activityId", &s->job_id);
	else
		kuuid(w, "jobId", &s->job_id);
	jw_kstr(w, "sessionType", catalog_type_vbr(s->type, fam));
	vbr_time(w, "creationTime", s->creation_us);
	if(s->end_us)
		vbr_time(w, "endTime", s->end_us);
	jw_kstr(w, "state", catalog_state_name(s->state == ST_ACTION_REQUIRED && fam < VBR_13 ? ST_WORKING : s->state));
	jw_kint(w, "progressPercent", s->progress);
	result_model(w, s->result, s->message, s->is_canceled);
	kuuid_opt(w, "resourceId", &s->resource_id);
	if(s->resource_ref)
		jw_kstr(w, "resourceReference", s->resource_ref);
	kuuid_opt(w, "parentSessionId", &s->parent_id);
	jw_kint(w, "usn", s->usn);
	if(fam >= VBR_12) {
		if(s->platform_name && platform_known(s->platform_name, fam))
			jw_kstr(w, "platformName", s->platform_name);
		jw_kstr(w, "platformId", PLATFORM_NIL);
	}
	if(fam >= VBR_13) {
		if(s->initiated_by)
			jw_kstr(w, "initiatedBy", s->initiated_by);
		progress_model(w, fam, s->creation_us, s->end_us, s->progress);
		if(s->is_retry) {
			jw_key(w, "retryInfo");
			jw_obj(w);
			jw_kbool(w, "isRecheckRetry", 0);
			jw_knull(w, "retryNumber");
			jw_obj_end(w);
		}
	}
	if(ingest) {
		jw_kbool(w, "stopRequested", s->stop_requested);
		if(s->job_name)
			jw_kstr(w, "jobName", s->job_name);
	}
	jw_obj_end(w);
}

void vbr_render_task(struct jw *w, const struct task_rec *t, int fam, int ingest)
{
	jw_obj(w);
	kuuid(w, "id", &t->id);
	jw_kstr(w, "type", catalog_task_type_name(t->type));
	kuuid(w, "sessionId", &t->session_id);
	jw_kstr(w, "sessionType", catalog_type_vbr(t->session_type, fam));
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
		jw_kstr(w, "state", catalog_state_name(t->state == ST_ACTION_REQUIRED && fam < VBR_13 ? ST_WORKING : t->state));
		result_model(w, t->result, t->message, t->is_canceled);
		if(t->type == TT_BACKUP) {
			kuuid_opt(w, "restorePointId", &t->restore_point_id);
			kuuid_opt(w, "repositoryId", &t->repository_id);
		}
		if(t->type != TT_RESTORE)
			progress_model(w, fam, t->creation_us, t->end_us, t->progress);
	}
	if(ingest) {
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
	if(!v || !*v) {
		vbr_error(r, RC_INVALID, 400, "the x-api-version header is required (1.0-rev1 … 1.3-rev2)");
		return RC_INVALID;
	}
	int fam = catalog_vbr_version(v);
	if(fam < 0) {
		vbr_error(r, RC_INVALID, 400, "unsupported x-api-version; supported: 1.0-rev1 … 1.3-rev2");
		return RC_INVALID;
	}
	r->version = fam;
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
		vbr_error(r, rc, 401, rc == RC_EXPIRED ? "the access token has expired" : "the access token is not valid");
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

static void h_token(struct req *r)
{
	token_grant(r, &vbr_tokens);
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
	if(r->version >= VBR_13)
		jw_kstr(&w, "ianaTimeZoneId", "Etc/UTC");
	jw_obj_end(&w);
}

static void h_server_info(struct req *r)
{
	const struct core_info *ci = core_info();
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "vbrId", ci->installation_id);
	if(r->version <= VBR_11)
		jw_kstr(&w, "vbrInstallationId", ci->installation_id);
	jw_kstr(&w, "name", ci->server_name);
	jw_kstr(&w, "buildVersion", r->version >= VBR_13 ? "13.0.1.1071" : r->version == VBR_12 ? "12.3.0.310" :
	                            r->version == VBR_11 ? "12.0.0.1420" : "11.0.1.1261");
	jw_key(&w, "patches");
	jw_arr(&w);
	jw_arr_end(&w);
	if(r->version >= VBR_12) {
		jw_kstr(&w, "databaseVendor", "SQLite");
		jw_kstr(&w, "sqlServerEdition", "embedded");
		jw_kstr(&w, "sqlServerVersion", "3");
		jw_kstr(&w, "databaseSchemaVersion", "1");
		jw_kstr(&w, "databaseContentVersion", "1");
	}
	if(r->version >= VBR_13) {
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
                      int (*match)(const char *s, int fam, int *out, int max), const struct qexpr **where)
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

static int match_type(const char *s, int fam, int *out, int max)
{
	return catalog_type_match_vbr(s, fam, out, max);
}

/* Filters on a single-code enumeration: the value stands for exactly one code. */
static int one_code(int code, int *out, int max)
{
	if(code < 0 || max < 1)
		return -1;
	out[0] = code;
	return 1;
}

static int match_state(const char *s, int fam, int *out, int max)
{
	return one_code(catalog_state_parse(s, fam), out, max);
}

static int match_result(const char *s, int fam, int *out, int max)
{
	(void)fam;
	return one_code(catalog_result_parse(s), out, max);
}

static int match_task_type(const char *s, int fam, int *out, int max)
{
	(void)fam;
	return one_code(catalog_task_type_parse(s), out, max);
}

struct order_name {
	const char *name;
	enum qorder order;
	int since;
};

static enum rc q_order(struct req *r, const struct order_name *names, struct query *q)
{
	const char *v = req_query(r, "orderColumn");
	if(!v)
		return RC_OK;
	for(const struct order_name *o = names; o->name; o++)
		if(!strcasecmp(v, o->name) && r->version >= o->since) {
			q->order = o->order;
			return RC_OK;
		}
	return bad(r, "query parameter %s has an unknown column", "orderColumn");
}

static enum rc q_page(struct req *r, struct query *q)
{
	enum rc rc;
	if((rc = q_int64(r, "skip", 0, 0, &q->skip)) || (rc = q_int64(r, "limit", 1, 200, &q->limit)) ||
	   (rc = q_bool(r, "orderAsc", 0, &q->asc)))
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
	   (rc = q_enum(r, "resultFilter", QF_RESULT, r->version >= VBR_13, match_result, where)))
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

/* With ?usnGreaterThan=N&wait=S a request whose answer shows nothing newer than N
 * (seen_usn is the newest usn its answer covers) waits up to S seconds for a
 * change without holding a worker, then handler runs again. Returns 1 when r
 * now waits or was answered with an error, 0 to answer now. */
static int long_poll(struct req *r, int64_t seen_usn, void (*handler)(struct req *r))
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
	if(seen_usn > after || wait == 0 || feed_closed())
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
	int64_t global = core_usn();
	lp->fw.after_usn = global > after ? global : after;
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
	int64_t last;          /* newest usn sent */
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

static void sse_session(struct buf *out, const struct sess_rec *s)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->id, id);
	buf_printf(out, "id: %lld\nevent: session\ndata: ", (long long)s->usn);
	struct jw w;
	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "id", id);
	jw_kint(&w, "usn", s->usn);
	jw_kstr(&w, "name", s->name);
	jw_kstr(&w, "sessionType", catalog_type_name(s->type));
	jw_kstr(&w, "state", catalog_state_name(s->state));
	jw_kint(&w, "progressPercent", s->progress);
	jw_kstr(&w, "result", catalog_result_name(s->result));
	jw_kbool(&w, "stopRequested", s->stop_requested);
	jw_obj_end(&w);
	buf_addstr(out, "\n\n");
}

static void sse_task(struct buf *out, const struct task_rec *t)
{
	char id[UUID_STR_LEN + 1], sid[UUID_STR_LEN + 1];
	uuid_format(&t->id, id);
	uuid_format(&t->session_id, sid);
	buf_printf(out, "id: %lld\nevent: taskSession\ndata: ", (long long)t->usn);
	struct jw w;
	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "id", id);
	jw_kstr(&w, "sessionId", sid);
	jw_kint(&w, "usn", t->usn);
	jw_kstr(&w, "name", t->name);
	jw_kstr(&w, "state", catalog_state_name(t->state));
	jw_kint(&w, "progressPercent", t->progress);
	jw_kstr(&w, "result", catalog_result_name(t->result));
	jw_obj_end(&w);
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
	if(core_session_list(&q, &e->a, sse_keep_sess, e, NULL) || core_task_list(&q, &e->a, sse_keep_task, e, NULL))
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
			sse_session(out, &e->sess[i]);
			e->last = e->sess[i++].usn;
		} else {
			sse_task(out, &e->task[k]);
			if(e->task[k].usn > e->last)
				e->last = e->task[k].usn;
			k++;
		}
		sent++;
	}
	if(sent) {
		e->armed = 0;
		return 1;
	}
	if(seen > e->last)
		e->last = seen;    /* what committed up to `seen` was visible, and none of it is ours */
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

/* GET /api/v1/sessions/events: session and task session changes as server-sent
 * events, each with id = usn; resumes after Last-Event-ID (or ?lastEventId=). */
static void h_events(struct req *r)
{
	const char *from = req_header(r, "Last-Event-ID");
	if(!from)
		from = req_query(r, "lastEventId");
	if(!from)
		from = req_query(r, "usnGreaterThan");
	int64_t last = core_usn();
	if(from) {
		char *end;
		long long v = strtoll(from, &end, 10);
		if(!*from || *end || v < 0) {
			bad(r, "%s must be a usn (a non-negative integer)", "Last-Event-ID");
			return;
		}
		last = v;
	}
	struct sse *e = arena_zalloc(r->arena, sizeof(*e));
	e->r = r;
	e->last = last;
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
	int fam;
	int64_t count;
};

static int emit_session(void *ctx, const struct sess_rec *s)
{
	struct listing *l = ctx;
	vbr_render_session(l->w, s, l->fam, 0);
	l->count++;
	return 0;
}

static int emit_task(void *ctx, const struct task_rec *t)
{
	struct listing *l = ctx;
	vbr_render_task(l->w, t, l->fam, 0);
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

/* Answers {data: [...], pagination} for a query over sessions or task sessions. */
static void answer_list(struct req *r, const struct query *q, int tasks)
{
	struct jw w;
	vbr_json(r, 200, &w);
	jw_obj(&w);
	jw_key(&w, "data");
	jw_arr(&w);
	struct listing l = {.w = &w, .fam = r->version};
	int64_t total = 0;
	enum rc rc = tasks ? core_task_list(q, r->arena, emit_task, &l, &total)
	                   : core_session_list(q, r->arena, emit_session, &l, &total);
	if(rc) {
		vbr_error(r, rc, 0, tasks ? "cannot list task sessions" : "cannot list sessions");
		return;
	}
	jw_arr_end(&w);
	pagination(&w, total, l.count, q);
	jw_obj_end(&w);
}

static const struct order_name session_orders[] = {
	{"Name", QO_NAME, VBR_10}, {"SessionType", QO_TYPE, VBR_10}, {"CreationTime", QO_CREATION, VBR_10},
	{"EndTime", QO_END, VBR_10}, {"State", QO_STATE, VBR_10}, {"Result", QO_RESULT, VBR_10},
	{"InitiatedBy", QO_INITIATED_BY, VBR_13}, {NULL, 0, 0},
};

static void h_sessions(struct req *r);

static void list_sessions(struct req *r, const struct qexpr *extra)
{
	if(long_poll(r, core_usn(), h_sessions))
		return;
	struct query q = {.order = QO_CREATION, .want_total = 1};
	const struct qexpr *where = extra;
	if(q_page(r, &q) || q_order(r, session_orders, &q) || q_common(r, &q, &where) ||
	   q_enum(r, "typeFilter", QF_TYPE, r->version >= VBR_13, match_type, &where) ||
	   q_uuidf(r, "jobIdFilter", QF_JOB_ID, &where))
		return;
	q.where = where;
	answer_list(r, &q, 0);
}

static void h_sessions(struct req *r)
{
	list_sessions(r, NULL);
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
	/* 1.3 shows a running session's duration, which moves with the clock: not cached */
	if(s.state == ST_STOPPED || r->version < VBR_13)
		api_cache_put(key, usn, r->out.p, r->out.len);
}

struct logs_out {
	struct jw *w;
};

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
	if(sf && r->version >= VBR_13) {
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
	struct sess_rec s;
	enum rc rc = core_session_get(&id, r->arena, &s);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "session not found" : "cannot read the session");
		return;
	}
	if(long_poll(r, s.usn, h_session_logs))
		return;
	render_logs(r, &id);
}

static void stopped(struct req *r)
{
	struct store_write *w = r->work;
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
	struct store_write *w = arena_zalloc(r->arena, sizeof(*w));
	if(vbr_path_uuid(r, 0, &w->target))
		return;
	w->kind = W_SESSION_UPDATE;
	w->mutate = session_mutate_stop;
	api_write(r, w, stopped);
}

/* ---------- task sessions (1.2 and later) ---------- */

static int tasks_available(struct req *r)
{
	if(r->version >= VBR_12)
		return 1;
	vbr_error(r, RC_NOTFOUND, 404, "task sessions are available from x-api-version 1.2-rev0 on");
	return 0;
}

static const struct order_name task_orders[] = {
	{"Name", QO_NAME, VBR_12}, {"Type", QO_TASK_TYPE, VBR_12}, {"SessionType", QO_SESSION_TYPE, VBR_12},
	{"CreationTime", QO_CREATION, VBR_12}, {"EndTime", QO_END, VBR_12}, {"State", QO_STATE, VBR_12},
	{"Result", QO_RESULT, VBR_12}, {"ScanState", QO_STATE, VBR_13}, {"ScanResult", QO_RESULT, VBR_13},
	{NULL, 0, 0},
};

static void h_tasks(struct req *r);

static void list_tasks(struct req *r, const struct uuid *session)
{
	if(!session && long_poll(r, core_usn(), h_tasks))
		return;
	struct query q = {.order = QO_CREATION, .want_total = 1};
	const struct qexpr *where = session ? q_uuid(r->arena, QF_SESSION_ID, Q_EQ, session) : NULL;
	if(q_page(r, &q) || q_order(r, task_orders, &q) || q_common(r, &q, &where) ||
	   q_enum(r, "typeFilter", QF_TASK_TYPE, 0, match_task_type, &where) ||
	   q_enum(r, "sessionTypeFilter", QF_SESSION_TYPE, 0, match_type, &where) ||
	   q_uuidf(r, "sessionIdFilter", QF_SESSION_ID, &where))
		return;
	q.where = where;
	answer_list(r, &q, 1);
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
	vbr_render_task(&w, &t, r->version, 0);
}

static void h_task_logs(struct req *r)
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
	if(long_poll(r, t.usn, h_task_logs))
		return;
	render_logs(r, &id);
}

/* ---------- jobs, derived from sessions ---------- */

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
	if(q_int64(r, "skip", 0, 0, &q.skip) || q_int64(r, "limit", 1, 200, &q.limit))
		return;
	struct jobs j = {.a = r->arena};
	enum rc rc = core_job_latest(r->arena, collect_job, &j);
	if(rc) {
		vbr_error(r, rc, 0, "cannot list jobs");
		return;
	}
	const char *name = req_query(r, "nameFilter");
	int fam = r->version;
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
		const char *ts = catalog_type_name(s->type);
		int replica = !strcmp(ts, "ReplicaJob");
		jw_kstr(&w, "type", fam >= VBR_13 ? (replica ? "VSphereReplica" : "VSphereBackup")
		                                  : (replica && fam == VBR_12 ? "VSphereReplica" : "Backup"));
		jw_kstr(&w, "description", "");
		jw_kstr(&w, "status", fam >= VBR_13 ? (running ? "Running" : "Inactive") : (running ? "running" : "inactive"));
		vbr_time(&w, "lastRun", s->creation_us);
		jw_kstr(&w, "lastResult", catalog_result_name(s->result));
		jw_kstr(&w, "workload", fam >= VBR_13 ? "Vm" : "vm");
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
	{M_GET, "/api/v1/serverTime", PERM_PUBLIC, h_server_time},
	{M_GET, "/api/v1/serverInfo", PERM_AUTH, h_server_info},
	{M_GET, "/api/v1/sessions", PERM_READ, h_sessions},
	{M_POST, "/api/v1/sessions", PERM_INGEST, ingest_session_create},
	{M_GET, "/api/v1/sessions/events", PERM_READ, h_events},
	{M_GET, "/api/v1/sessions/{id}", PERM_READ, h_session},
	{M_PATCH, "/api/v1/sessions/{id}", PERM_INGEST, ingest_session_patch},
	{M_GET, "/api/v1/sessions/{id}/logs", PERM_READ, h_session_logs},
	{M_POST, "/api/v1/sessions/{id}/logs", PERM_INGEST, ingest_log_append},
	{M_PATCH, "/api/v1/sessions/{id}/logs/{rid}", PERM_INGEST, ingest_log_patch},
	{M_POST, "/api/v1/sessions/{id}/stop", PERM_STOP, h_session_stop},
	{M_POST, "/api/v1/sessions/{id}/complete", PERM_INGEST, ingest_session_complete},
	{M_GET, "/api/v1/sessions/{id}/taskSessions", PERM_READ, h_session_tasks},
	{M_POST, "/api/v1/sessions/{id}/taskSessions", PERM_INGEST, ingest_task_create},
	{M_GET, "/api/v1/taskSessions", PERM_READ, h_tasks},
	{M_GET, "/api/v1/taskSessions/{id}", PERM_READ, h_task},
	{M_PATCH, "/api/v1/taskSessions/{id}", PERM_INGEST, ingest_task_patch},
	{M_GET, "/api/v1/taskSessions/{id}/logs", PERM_READ, h_task_logs},
	{M_POST, "/api/v1/taskSessions/{id}/logs", PERM_INGEST, ingest_log_append},
	{M_PATCH, "/api/v1/taskSessions/{id}/logs/{rid}", PERM_INGEST, ingest_log_patch},
	{M_POST, "/api/v1/taskSessions/{id}/complete", PERM_INGEST, ingest_task_complete},
	{M_GET, "/api/v1/jobs/states", PERM_READ, h_job_states},
};

const struct dialect dialect_vbr = {
	.name = "vbr",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.prepare = vbr_prepare,
	.authenticate = vbr_authenticate,
	.error = vbr_error,
};
