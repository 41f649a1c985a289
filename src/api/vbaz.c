/* VB for Azure dialect (/api/v1 … /api/v8.1): route table, authentication, list
 * filters and the handlers. The wire mapping they stand on — versions, problem+json
 * errors in the ProblemDetails shape the v8.1 document gives for each status, how a
 * JobSession looks in JSON, CSV and XML, and the feed that streams pages and exports —
 * is vbaz_wire.c. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/cache.h"
#include "api/token.h"
#include "api/vbaz.h"
#include "model/catalog.h"
#include "core/core.h"
#include "model/query.h"
#include "core/session.h"
#include "util/jw.h"
#include "util/timefmt.h"


#define BUFFERED_MAX 1000     /* larger pages (and Limit=-1) are streamed */

static void json_answer(struct req *r, int status, struct jw *w)
{
	r->status = status;
	r->ctype = VBAZ_JSON_TYPE;
	buf_reset(&r->out);
	jw_init(w, &r->out);
}

/* ---------- version and authentication ---------- */

static enum rc vbaz_prepare(struct req *r)
{
	r->version = AZ_V81;
	if(!strncmp(r->path, "/api/oauth2/", 12))
		return RC_OK;
	const char *v = r->path + 5; /* after "/api/" */
	const char *end = strchr(v, '/');
	size_t n = end ? (size_t)(end - v) : strlen(v);
	for(int i = AZ_V1; i < AZ__END; i++)
		if(strlen(vbaz__version_name(i)) == n && !strncmp(v, vbaz__version_name(i), n)) {
			r->version = i;
			return RC_OK;
		}
	vbaz__problem(r, 404, NULL, "unknown API version: use /api/v1 … /api/v8 or /api/v8.1");
	return RC_NOTFOUND;
}

static enum rc vbaz_authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if(!h || strncasecmp(h, "Bearer ", 7)) {
		vbaz__problem(r, 401, NULL, "authorization is required: send Authorization: Bearer <access_token>");
		return RC_UNAUTHORIZED;
	}
	h += 7;
	while(*h == ' ')
		h++;
	size_t len = strlen(h);
	while(len && h[len - 1] == ' ')
		len--;
	enum rc rc = len ? auth_verify(h, len, TOK_ACCESS, &r->who) : RC_UNAUTHORIZED;
	if(rc) {
		const char *msg;
		int status = api_token_refused(r, rc, "access token", &msg);
		vbaz__problem(r, status, NULL, msg);
		return rc;
	}
	return RC_OK;
}

/* ---------- rendering helpers ---------- */



static void kuuid(struct jw *w, const char *key, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	jw_kstr(w, key, s);
}

/* ---------- token endpoint ---------- */

static const char *const role_names[ROLE__COUNT] = {
	[ROLE_NONE] = "Unknown", [ROLE_VIEWER] = "ReadOnlyUser", [ROLE_OPERATOR] = "PortalOperator",
	[ROLE_REPORTER] = "IntegrationOperator", [ROLE_ADMIN] = "PortalAdmin",
};

static void token_fail(struct req *r, enum rc rc, int status, const char *msg)
{
	static const char *const fields[] = {"grant_type", "username", "password", "refresh_token"};
	const char *field = NULL;
	const char *first = NULL;
	for(size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *at = strstr(msg, fields[i]);
		if(at && (!first || at < first)) {
			first = at;
			field = fields[i];
		}
	}
	if(!status)
		status = rc == RC_INVALID ? 400 : rc == RC_UNAUTHORIZED || rc == RC_EXPIRED ? 401 : 500;
	vbaz__problem(r, status, field, msg);
}

static void login_answer(struct req *r, const struct login *l)
{
	struct uuid uid = {{0}};
	for(int i = 0; i < 8; i++)
		uid.b[15 - i] = (unsigned char)((uint64_t)l->who.uid >> (8 * i));
	struct jw w;
	json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "access_token", l->tokens.access);
	jw_kstr(&w, "token_type", "bearer");
	jw_kstr(&w, "refresh_token", l->tokens.refresh);
	jw_kint(&w, "expires_in", AUTH_ACCESS_TTL_S);
	vbaz__ktime(&w, ".issued", l->tokens.issued_us);
	vbaz__ktime(&w, ".expires", l->tokens.access_expires_us);
	kuuid(&w, "userId", &uid);
	jw_kstr(&w, "username", l->who.user);
	jw_kstr(&w, "roleName", role_names[l->who.role > 0 && l->who.role < ROLE__COUNT ? l->who.role : 0]);
	jw_kstr(&w, "userType", "Internal");
	jw_kbool(&w, "latestNewsShown", 1);
	jw_kbool(&w, "mfa_enabled", 0);
	jw_kbool(&w, "shortLived", l->short_refresh);
	jw_obj_end(&w);
	req_add_header(r, "Cache-Control", "no-store");
}

static void logged_out(struct req *r)
{
	r->status = 204;
	buf_reset(&r->out);
}

static const struct token_dialect vbaz_tokens = {
	.fail = token_fail,
	.answer = login_answer,
	.logged_out = logged_out,
};

static void h_token(struct req *r)
{
	token_grant(r, &vbaz_tokens);
}

static void h_logout(struct req *r)
{
	token_logout(r, &vbaz_tokens);
}


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

enum rc vbaz__int_param(struct req *r, const char *name, int64_t min, int64_t def, int64_t *out)
{
	const char *v = req_query(r, name);
	*out = def;
	if(!v)
		return RC_OK;
	char *end;
	long long n = strtoll(v, &end, 10);
	if(!*v || *end || n < min || n > 2147483647LL)
		return vbaz__bad(r, name, min < 0 ? "%s must be an integer of at least -1, not '%.100s'"
		                            : "%s must be a non-negative integer, not '%.100s'", v);
	*out = n;
	return RC_OK;
}



static void h_sessions(struct req *r)
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

/* A body where the operation takes none: nothing, null or {} (what clients send for
 * "no options") pass; a property, another JSON value or malformed JSON is a 400. */
enum rc vbaz__no_body(struct req *r, const char *model)
{
	size_t i = 0;
	while(i < r->body_len && strchr(" \t\r\n", r->body[i]))
		i++;
	if(!r->body || i == r->body_len)
		return RC_OK;
	json_error_t je;
	json_t *o = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &je);
	if(!o || !(json_is_null(o) || json_is_object(o))) {
		json_decref(o);
		return vbaz__bad(r, "body", "the %s of %.100s must be empty or a JSON object", model);
	}
	const char *key = json_is_object(o) ? json_object_iter_key(json_object_iter(o)) : NULL;
	enum rc rc = RC_OK;
	if(key) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s is not a property of %s: it takes no options", key, model);
		vbaz__problem(r, 400, key, msg);
		rc = RC_INVALID;
	}
	json_decref(o);
	return rc;
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

static void h_session(struct req *r)
{
	/* A body rendered since the last write is still the answer (its links name the host). */
	char *key = arena_printf(r->arena, "vbaz %d %s %s", r->version, r->base_url ? r->base_url : "",
	                         r->nparams > 1 ? r->params[1] : "");
	int64_t usn = core_usn();
	struct jw w;
	json_answer(r, 200, &w);
	if(api_cache_get(key, usn, &r->out))
		return;
	struct sess_rec s;
	if(session_of(r, &s))
		return;
	struct vbaz__render_ctx c = {.base = vbaz__api_base(r), .version = r->version, .now = r->now_us};
	json_answer(r, 200, &w);
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

static void h_session_log(struct req *r)
{
	struct sess_rec s;
	if(session_of(r, &s))
		return;
	char id[UUID_STR_LEN + 1];
	uuid_format(&s.id, id);
	struct jw w;
	json_answer(r, 200, &w);
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

static void h_session_stop(struct req *r)
{
	struct uuid sid;
	const char *id = r->nparams > 1 ? r->params[1] : "";
	if(uuid_parse(id, strlen(id), &sid)) {
		vbaz__problem(r, 404, NULL, "no session has this id");
		return;
	}
	core_session_stop(api_write(r, stopped), &sid);
}

/* ---------- overview and system ---------- */

static int64_t count_status(struct req *r, const char *status, enum qfield f, int64_t from, int64_t to)
{
	struct arena *a = r->arena;
	const char *names[] = {status};
	const struct qexpr *w = q_and(a, vbaz__status_where(a, names, 1),
	                              q_and(a, q_int(a, f, Q_GE, from), q_int(a, f, Q_LT, to)));
	int64_t total = 0;
	if(vbaz__count_where(r, w, &total))
		return -1;
	return total;
}

static void h_summary(struct req *r)
{
	static const struct {
		const char *key;
		const char *status;
		int diff;
	} rows[] = {
		{"latestSessionsErrorCount", "Error", 1},
		{"latestSessionsWarningCount", "Warning", 1},
		{"latestSessionsSuccessCount", "Success", 1},
		{"latestSessionsRunningCount", "Running", 0},
	};
	const int64_t day = 24LL * 3600 * 1000000;
	int64_t now = r->now_us;
	int64_t cur[4], prev[4];
	for(size_t i = 0; i < 4; i++) {
		enum qfield f = rows[i].diff ? QF_END : QF_CREATION;
		cur[i] = count_status(r, rows[i].status, f, now - day, now + 1);
		prev[i] = rows[i].diff ? count_status(r, rows[i].status, f, now - 2 * day, now - day) : 0;
		if(cur[i] < 0 || prev[i] < 0) {
			vbaz__error(r, RC_BACKEND, 500, "cannot count the sessions");
			return;
		}
	}
	struct jw w;
	json_answer(r, 200, &w);
	jw_obj(&w);
	for(size_t i = 0; i < 4; i++) {
		jw_kint(&w, rows[i].key, cur[i]);
		if(rows[i].diff) {
			char k[64];
			snprintf(k, sizeof(k), "%sDifference", rows[i].key);
			jw_kstr(&w, k, cur[i] > prev[i] ? "Increased" : cur[i] < prev[i] ? "Decreased" : "NotChanged");
		}
	}
	jw_obj_end(&w);
}

#define NIL_UUID "00000000-0000-0000-0000-000000000000"

static void h_server_info(struct req *r)
{
	const struct core_info *ci = core_info();
	struct jw w;
	json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "subscriptionId", NIL_UUID);
	jw_kstr(&w, "serverName", ci->server_name);
	jw_kstr(&w, "azureRegion", "local");
	jw_kstr(&w, "azureRegionName", "Local");
	jw_kstr(&w, "azureVmId", "");
	jw_kstr(&w, "resourceGroup", "");
	jw_kstr(&w, "azureEnvironment", "Global");
	jw_kstr(&w, "virtualMachineUniqueId", ci->installation_id);
	jw_obj_end(&w);
}

static void h_about(struct req *r)
{
	static const char *const server_version[AZ__END] = {
		NULL, "1.0.0.0", "2.0.0.0", "3.0.0.0", "4.0.0.0", "5.0.0.0", "6.0.0.0", "7.0.0.0", "8.0.0.0", "8.1.0.0",
	};
	const struct core_info *ci = core_info();
	struct jw w;
	json_answer(r, 200, &w);
	jw_obj(&w);
	jw_kstr(&w, "serverVersion", server_version[r->version]);
	jw_kstr(&w, "workerVersion", server_version[r->version]);
	jw_kstr(&w, "flrVersion", server_version[r->version]);
	struct uuid db;
	if(ci->installation_id && !uuid_parse(ci->installation_id, strlen(ci->installation_id), &db))
		kuuid(&w, "databaseId", &db);
	else
		jw_kstr(&w, "databaseId", NIL_UUID);
	jw_kstr(&w, "copyright", "sessiond, a session recorder speaking the VB for Azure REST API");
	jw_kstr(&w, "deploymentSubscriptionId", NIL_UUID);
	jw_obj_end(&w);
}

/* ---------- the route table ---------- */

static const struct route routes[] = {
	{M_POST, "/api/oauth2/token", PERM_PUBLIC, h_token},
	{M_DELETE, "/api/oauth2/token", PERM_AUTH, h_logout},
	{M_GET, "/api/{v}/jobSessions", PERM_READ, h_sessions},
	{M_POST, "/api/{v}/jobSessions/export", PERM_READ, vbaz__export},
	{M_GET, "/api/{v}/jobSessions/{id}", PERM_READ, h_session},
	{M_GET | M_POST, "/api/{v}/jobSessions/{id}/log", PERM_READ, h_session_log},
	{M_POST, "/api/{v}/jobSessions/{id}/stop", PERM_STOP, h_session_stop},
	{M_GET, "/api/{v}/jobSessions/{id}/protectedItems", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/restoredItems", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/deletedItems", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/checkedItems", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/fileLevelRestoredItems", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/fileLevelRestoredFileShareItems", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/vnetRestoredItems", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/restoredDatabases", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/jobSessions/{id}/restoredCosmosDbAccounts", PERM_READ, vbaz__items},
	{M_GET, "/api/{v}/overview/sessionsSummary", PERM_READ, h_summary},
	{M_GET, "/api/{v}/system/serverInfo", PERM_AUTH, h_server_info},
	{M_GET, "/api/{v}/system/about", PERM_AUTH, h_about},
};

const struct dialect dialect_vbaz = {
	.name = "vbaz",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.prepare = vbaz_prepare,
	.authenticate = vbaz_authenticate,
	.error = vbaz__error,
};
