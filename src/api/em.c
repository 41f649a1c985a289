/* Enterprise Manager dialect: route table and the mapping between the domain
 * model and EM's XML (default) or JSON (Accept: application/json). One set of
 * emit calls writes both: XML attributes become JSON properties, list elements
 * hold their items under the plural property, Links is an array. */
#include "api/em.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/em_filter.h"
#include "core/catalog.h"
#include "core/core.h"
#include "core/query.h"
#include "core/session.h"
#include "util/jw.h"
#include "util/timefmt.h"
#include "util/xw.h"

#define EM_NS "http://www.veeam.com/ent/v1.0"
#define XML_TYPE "application/xml; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"
#define DAYS30_US ((int64_t)30 * 24 * 3600 * 1000000)

/* ---------- one emitter for XML and JSON ---------- */

struct em_out {
	int json;
	struct xw x;
	struct jw j;
	int depth;
	unsigned char in_list[XW_MAX_DEPTH + 2]; /* per level: children are array items */
};

static int wants_json(struct req *r)
{
	const char *a = req_header(r, "Accept");
	return a && strcasestr(a, "application/json") != NULL;
}

static void out_begin(struct req *r, struct em_out *o, int status)
{
	memset(o, 0, sizeof(*o));
	o->json = wants_json(r);
	r->status = status;
	r->ctype = o->json ? JSON_TYPE : XML_TYPE;
	buf_reset(&r->out);
	if(o->json)
		jw_init(&o->j, &r->out);
	else
		xw_init(&o->x, &r->out);
}

/* An element with attributes and children (JSON: an object). */
static void e_open(struct em_out *o, const char *name)
{
	if(o->json) {
		if(o->depth > 0 && !o->in_list[o->depth])
			jw_key(&o->j, name);
		jw_obj(&o->j);
	} else {
		xw_start(&o->x, name);
		if(o->depth == 0)
			xw_attr(&o->x, "xmlns", EM_NS);
	}
	o->depth++;
	o->in_list[o->depth] = 0;
}

static void e_close(struct em_out *o)
{
	o->depth--;
	if(o->json)
		jw_obj_end(&o->j);
	else
		xw_end(&o->x);
}

/* A list element whose items go under items (JSON: {items:[…]}, or [..] when bare). */
static void e_list(struct em_out *o, const char *name, const char *items, int bare)
{
	if(o->json) {
		if(o->depth > 0 && !o->in_list[o->depth])
			jw_key(&o->j, name);
		if(!bare) {
			jw_obj(&o->j);
			jw_key(&o->j, items);
		}
		jw_arr(&o->j);
	} else {
		xw_start(&o->x, name);
		if(o->depth == 0)
			xw_attr(&o->x, "xmlns", EM_NS);
	}
	o->depth++;
	o->in_list[o->depth] = (unsigned char)(bare ? 2 : 1);
}

static void e_list_end(struct em_out *o)
{
	int bare = o->in_list[o->depth] == 2;
	o->depth--;
	if(o->json) {
		jw_arr_end(&o->j);
		if(!bare)
			jw_obj_end(&o->j);
	} else
		xw_end(&o->x);
}

static void e_attr(struct em_out *o, const char *k, const char *v)
{
	if(!v)
		return;
	if(o->json)
		jw_kstr(&o->j, k, v);
	else
		xw_attr(&o->x, k, v);
}

static void e_attr_int(struct em_out *o, const char *k, int64_t v)
{
	if(o->json)
		jw_kint(&o->j, k, v);
	else {
		char t[24];
		snprintf(t, sizeof(t), "%lld", (long long)v);
		xw_attr(&o->x, k, t);
	}
}

static void e_attr_bool(struct em_out *o, const char *k, int v)
{
	if(o->json)
		jw_kbool(&o->j, k, v);
	else
		xw_attr(&o->x, k, v ? "true" : "false");
}

static void e_str(struct em_out *o, const char *k, const char *v)
{
	if(o->json)
		jw_kstr(&o->j, k, v ? v : "");
	else
		xw_elem(&o->x, k, v ? v : "");
}

static void e_int(struct em_out *o, const char *k, int64_t v)
{
	if(o->json)
		jw_kint(&o->j, k, v);
	else
		xw_elem_int(&o->x, k, v);
}

static void e_bool(struct em_out *o, const char *k, int v)
{
	if(o->json)
		jw_kbool(&o->j, k, v);
	else
		xw_elem_bool(&o->x, k, v);
}

static void e_time(struct em_out *o, const char *k, int64_t us)
{
	char t[TIME_STR_MAX];
	time_format(us, 3, t);
	e_str(o, k, t);
}

static void e_links(struct em_out *o) { e_list(o, "Links", "Links", 1); }

static void e_link(struct em_out *o, const char *rel, const char *href, const char *name, const char *type)
{
	e_open(o, "Link");
	e_attr(o, "Href", href);
	e_attr(o, "Name", name);
	e_attr(o, "Type", type);
	e_attr(o, "Rel", rel);
	e_close(o);
}

/* ---------- errors ---------- */

static const struct {
	enum rc rc;
	int status;
} rc_status[] = {
	{RC_INVALID, 400}, {RC_NOTFOUND, 404}, {RC_CONFLICT, 409}, {RC_PRECONDITION, 412},
	{RC_UNAUTHORIZED, 401}, {RC_EXPIRED, 401}, {RC_FORBIDDEN, 403}, {RC_TOOLARGE, 413},
	{RC_BUSY, 503}, {RC_BACKEND, 500},
};

static const struct {
	int status;
	const char *name;
} status_names[] = {
	{400, "BadRequest"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "NotFound"},
	{405, "MethodNotAllowed"}, {409, "Conflict"}, {412, "PreconditionFailed"},
	{413, "RequestEntityTooLarge"}, {500, "InternalServerError"}, {501, "NotImplemented"},
	{503, "ServiceUnavailable"},
};

static void em_error(struct req *r, enum rc rc, int status, const char *msg)
{
	int st = 500;
	for(size_t i = 0; i < sizeof(rc_status) / sizeof(rc_status[0]); i++)
		if(rc_status[i].rc == rc)
			st = rc_status[i].status;
	if(status)
		st = status;
	const char *name = "InternalServerError";
	for(size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if(status_names[i].status == st)
			name = status_names[i].name;
	if(st == 401)
		req_add_header(r, "WWW-Authenticate", "Basic realm=\"RestSvc\"");
	struct em_out o;
	out_begin(r, &o, st);
	e_open(&o, "Error");
	e_attr(&o, "Message", msg ? msg : name);
	e_attr_int(&o, "StatusCode", st);
	e_attr(&o, "Status", name);
	e_close(&o);
}

/* ---------- logon sessions (process-local) ---------- */

struct logon {
	char token[EM_TOKEN_MAX];
	char sid[37];
	struct principal who;
	int64_t last_us;
};

static struct {
	pthread_mutex_t lock;
	struct logon *v;
	int n, cap;
} logons = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void logon_drop(int i)
{
	logons.v[i] = logons.v[--logons.n];
}

enum rc em_logon_add(const struct principal *who, int64_t now_us, char sid[37], char token[EM_TOKEN_MAX])
{
	struct uuid u;
	uuid_v4(&u);
	uuid_format(&u, sid);
	sodium_bin2base64(token, EM_TOKEN_MAX, (const unsigned char *)sid, 36, sodium_base64_VARIANT_ORIGINAL);
	pthread_mutex_lock(&logons.lock);
	for(int i = 0; i < logons.n;)
		if(now_us - logons.v[i].last_us > EM_LOGON_IDLE_US)
			logon_drop(i);
		else
			i++;
	if(logons.n >= EM_LOGON_MAX) {
		pthread_mutex_unlock(&logons.lock);
		return RC_BUSY;
	}
	if(logons.n == logons.cap) {
		logons.cap = logons.cap ? 2 * logons.cap : 64;
		logons.v = xrealloc(logons.v, sizeof(*logons.v) * (size_t)logons.cap);
	}
	struct logon *l = &logons.v[logons.n++];
	memcpy(l->token, token, EM_TOKEN_MAX);
	memcpy(l->sid, sid, 37);
	l->who = *who;
	l->last_us = now_us;
	pthread_mutex_unlock(&logons.lock);
	return RC_OK;
}

enum rc em_logon_touch(const char *token, int64_t now_us, struct principal *who, char sid[37])
{
	enum rc rc = RC_UNAUTHORIZED;
	size_t tlen = strlen(token);
	pthread_mutex_lock(&logons.lock);
	for(int i = 0; i < logons.n; i++) {
		struct logon *l = &logons.v[i];
		if(!auth_equal(l->token, strlen(l->token), token, tlen))
			continue;
		if(now_us - l->last_us > EM_LOGON_IDLE_US) {
			logon_drop(i);
			rc = RC_EXPIRED;
			break;
		}
		if(now_us > l->last_us)
			l->last_us = now_us;
		*who = l->who;
		memcpy(sid, l->sid, 37);
		rc = RC_OK;
		break;
	}
	pthread_mutex_unlock(&logons.lock);
	return rc;
}

enum rc em_logon_remove(const char *sid)
{
	enum rc rc = RC_NOTFOUND;
	pthread_mutex_lock(&logons.lock);
	for(int i = 0; i < logons.n; i++)
		if(!strcasecmp(logons.v[i].sid, sid)) {
			logon_drop(i);
			rc = RC_OK;
			break;
		}
	pthread_mutex_unlock(&logons.lock);
	return rc;
}

void em_logon_reset(void)
{
	pthread_mutex_lock(&logons.lock);
	free(logons.v);
	logons.v = NULL;
	logons.n = logons.cap = 0;
	pthread_mutex_unlock(&logons.lock);
}

/* ---------- tasks (stop requests), process-local ---------- */

#define TASK_RING 1024

struct em_task {
	int64_t id;
	int success;
	char message[200];
};

static struct {
	pthread_mutex_t lock;
	struct em_task ring[TASK_RING];
	int64_t next;
} tasks = {.lock = PTHREAD_MUTEX_INITIALIZER, .next = 1};

static int64_t task_add(int success, const char *message)
{
	pthread_mutex_lock(&tasks.lock);
	int64_t id = tasks.next++;
	struct em_task *t = &tasks.ring[id % TASK_RING];
	t->id = id;
	t->success = success;
	snprintf(t->message, sizeof(t->message), "%.199s", message ? message : "");
	pthread_mutex_unlock(&tasks.lock);
	return id;
}

static int task_get(int64_t id, struct em_task *out)
{
	pthread_mutex_lock(&tasks.lock);
	struct em_task *t = &tasks.ring[id % TASK_RING];
	int found = id > 0 && t->id == id;
	if(found)
		*out = *t;
	pthread_mutex_unlock(&tasks.lock);
	return found;
}

/* ---------- authentication ---------- */

static const char *session_token(struct req *r)
{
	const char *c = req_cookie(r, "X-RestSvcSessionId");
	if(c && *c)
		return c;
	const char *h = req_header(r, "X-RestSvcSessionId");
	return h && *h ? h : NULL;
}

static enum rc em_authenticate(struct req *r)
{
	const char *tok = session_token(r);
	if(!tok) {
		em_error(r, RC_UNAUTHORIZED, 401, "authentication is required: log on with POST /api/sessionMngr/?v=latest "
		                                  "and send X-RestSvcSessionId");
		return RC_UNAUTHORIZED;
	}
	char sid[37];
	enum rc rc = em_logon_touch(tok, r->now_us, &r->who, sid);
	if(rc) {
		em_error(r, rc, 401, rc == RC_EXPIRED ? "the logon session has expired" : "the logon session is not valid");
		return rc;
	}
	char *s = arena_strdup(r->arena, sid);
	r->work = s; /* the caller's SessionId, for DELETE /api/logonSessions/{id} */
	return RC_OK;
}

/* ---------- helpers ---------- */

static const char *href(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *href(struct req *r, const char *fmt, ...)
{
	struct buf b;
	buf_init(&b, 4096);
	buf_addstr(&b, r->base_url ? r->base_url : "");
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *s = arena_strdup(r->arena, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static const char *uid(struct req *r, const char *type, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	return arena_printf(r->arena, "urn:veeam:%s:%s", type, s);
}

static enum rc path_uuid(struct req *r, int idx, struct uuid *u)
{
	const char *s = idx < r->nparams ? r->params[idx] : NULL;
	if(s && !strncasecmp(s, "urn:veeam:", 10)) {
		const char *t = strrchr(s, ':');
		s = t + 1;
	}
	if(!s || uuid_parse(s, strlen(s), u)) {
		em_error(r, RC_INVALID, 400, "the ID in the path is not a valid UUID");
		return RC_INVALID;
	}
	return RC_OK;
}

void em_server_uuid(const char *name, struct uuid *out)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof(out->b));
	static const char ns[] = "sessiond:em:backup-server:";
	crypto_generichash_update(&st, (const unsigned char *)ns, sizeof(ns) - 1);
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
	crypto_generichash_final(&st, out->b, sizeof(out->b));
	out->b[6] = (unsigned char)((out->b[6] & 0x0f) | 0x50);
	out->b[8] = (unsigned char)((out->b[8] & 0x3f) | 0x80);
}

static const char *server_of(const struct sess_rec *s)
{
	return s->backup_server ? s->backup_server : core_info()->server_name;
}

/* What an EM family is called on the wire. */
struct family {
	const char *entity;      /* BackupJobSession, … */
	const char *plural;      /* BackupJobSessions */
	int task_replica;        /* its task sessions are ReplicaTaskSessions */
};

static const struct family families[EMF__COUNT] = {
	[EMF_BACKUP] = {"BackupJobSession", "BackupJobSessions", 0},
	[EMF_REPLICA] = {"ReplicaJobSession", "ReplicaJobSessions", 1},
	[EMF_NAS] = {"BackupJobSession", "BackupJobSessions", 0},
	[EMF_AGENT] = {"BackupJobSession", "BackupJobSessions", 0},
	[EMF_RESTORE] = {"RestoreSession", "RestoreSessions", 0},
	[EMF_SYSTEM] = {"SystemSession", "SystemSessions", 0},
};

/* The family named by the path after /api/ ("nas/backupSessions/…"). */
static int family_of_path(const char *path)
{
	if(strncmp(path, "/api/", 5))
		return EMF_NONE;
	const char *p = path + 5;
	int best = EMF_NONE;
	size_t best_len = 0;
	for(int f = 1; f < EMF__COUNT; f++) {
		const char *n = catalog_em_family_name(f);
		size_t len = strlen(n);
		if(!strncmp(p, n, len) && (p[len] == 0 || p[len] == '/') && len > best_len) {
			best = f;
			best_len = len;
		}
	}
	return best;
}

static const struct qexpr *family_types(struct arena *a, enum qfield f, int fam)
{
	int types[512];
	int n = 0;
	for(int t = 0; t < catalog_type_count() && n < 512; t++)
		if((int)catalog_type_em_family(t) == fam)
			types[n++] = t;
	return q_in_ints(a, f, types, n);
}

static const struct qexpr *task_family_types(struct arena *a, int replica)
{
	int types[512];
	int n = 0;
	for(int t = 0; t < catalog_type_count() && n < 512; t++) {
		int f = catalog_type_em_family(t);
		if(replica ? f == EMF_REPLICA : (f == EMF_BACKUP || f == EMF_NAS || f == EMF_AGENT))
			types[n++] = t;
	}
	return q_in_ints(a, QF_SESSION_TYPE, types, n);
}

static const char *session_name(struct req *r, const struct sess_rec *s)
{
	char t[TIME_STR_MAX];
	time_format_plain(s->creation_us, t);
	return arena_printf(r->arena, "%s@%s", s->job_name ? s->job_name : s->name, t);
}

static int format_entity(struct req *r, const char *param, const char *entity_word)
{
	const char *f = req_query(r, param);
	return f && !strcasecmp(f, entity_word);
}

static enum rc check_format(struct req *r, const char *param, const char *ref, const char *ent)
{
	const char *f = req_query(r, param);
	if(f && strcasecmp(f, ref) && strcasecmp(f, ent)) {
		char msg[160];
		snprintf(msg, sizeof(msg), "query parameter %s must be %s or %s", param, ref, ent);
		em_error(r, RC_INVALID, 400, msg);
		return RC_INVALID;
	}
	return RC_OK;
}

/* ---------- rendering ---------- */

static const char *session_href(struct req *r, const struct sess_rec *s, int fam)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->id, id);
	return href(r, "/api/%s/%s", catalog_em_family_name(fam), id);
}

static void server_link(struct req *r, struct em_out *o, const char *server)
{
	struct uuid su;
	em_server_uuid(server, &su);
	char id[UUID_STR_LEN + 1];
	uuid_format(&su, id);
	e_link(o, "Up", href(r, "/api/backupServers/%s", id), server, "BackupServerReference");
}

static void render_session_ref(struct req *r, struct em_out *o, const struct sess_rec *s, int root)
{
	int fam = catalog_type_em_family(s->type);
	const struct family *F = &families[fam];
	const char *h = session_href(r, s, fam);
	e_open(o, root ? "EntityRef" : "Ref");
	e_attr(o, "UID", uid(r, F->entity, &s->id));
	e_attr(o, "Name", session_name(r, s));
	e_attr(o, "Href", h);
	e_attr(o, "Type", arena_printf(r->arena, "%sReference", F->entity));
	e_links(o);
	server_link(r, o, server_of(s));
	e_link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), session_name(r, s), F->entity);
	e_list_end(o);
	e_close(o);
}

static void render_session(struct req *r, struct em_out *o, const struct sess_rec *s)
{
	int fam = catalog_type_em_family(s->type);
	const struct family *F = &families[fam];
	const char *h = session_href(r, s, fam);
	const char *name = session_name(r, s);
	e_open(o, F->entity);
	e_attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	e_attr(o, "Type", F->entity);
	e_attr(o, "Name", name);
	e_attr(o, "UID", uid(r, F->entity, &s->id));
	e_links(o);
	server_link(r, o, server_of(s));
	char jid[UUID_STR_LEN + 1];
	uuid_format(&s->job_id, jid);
	if(fam != EMF_SYSTEM)
		e_link(o, "Up", href(r, "/api/jobs/%s", jid), s->job_name ? s->job_name : s->name, "JobReference");
	e_link(o, "Alternate", h, name, arena_printf(r->arena, "%sReference", F->entity));
	if(fam == EMF_SYSTEM)
		e_link(o, "Down", arena_printf(r->arena, "%s/events", h), "Events", "SystemSessionEvents");
	else {
		e_link(o, "Down", arena_printf(r->arena, "%s/taskSessions", h), name,
		       F->task_replica ? "ReplicaTaskSessionReferenceList" : "BackupTaskSessionReferenceList");
		if(s->state != ST_STOPPED)
			e_link(o, "Stop", arena_printf(r->arena, "%s?action=stop", h), NULL, NULL);
	}
	e_list_end(o);
	if(fam == EMF_SYSTEM) {
		e_str(o, "SessionType", catalog_type_em_name(s->type));
		e_time(o, "CreationTimeUTC", s->creation_us);
		if(s->end_us)
			e_time(o, "EndTimeUTC", s->end_us);
		e_str(o, "State", catalog_em_system_state(s->state, s->result));
		e_open(o, "Result");
		e_str(o, "Result", catalog_result_name(s->result));
		e_str(o, "Message", s->message);
		e_bool(o, "IsCanceled", s->is_canceled);
		e_close(o);
		e_close(o);
		return;
	}
	e_str(o, "JobUid", uid(r, "Job", &s->job_id));
	e_str(o, "JobName", s->job_name ? s->job_name : s->name);
	e_str(o, "JobType", catalog_type_em_name(s->type));
	e_time(o, "CreationTimeUTC", s->creation_us);
	if(s->end_us)
		e_time(o, "EndTimeUTC", s->end_us);
	e_str(o, "State", catalog_em_state_name(s->state));
	e_str(o, "Result", catalog_result_name(s->result));
	e_int(o, "Progress", s->progress);
	e_str(o, "FailureMessage", s->result == RES_FAILED || s->result == RES_WARNING ? s->message : "");
	if(fam != EMF_RESTORE)
		e_bool(o, "IsRetry", s->is_retry);
	e_close(o);
}

static const char *task_entity(const struct task_rec *t)
{
	return catalog_type_em_family(t->session_type) == EMF_REPLICA ? "ReplicaTaskSession" : "BackupTaskSession";
}

static const char *task_href(struct req *r, const struct task_rec *t)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&t->id, id);
	return href(r, "/api/%s/%s", catalog_type_em_family(t->session_type) == EMF_REPLICA ? "replicaTaskSessions"
	                                                                                      : "backupTaskSessions", id);
}

static void render_task_ref(struct req *r, struct em_out *o, const struct task_rec *t, int root)
{
	const char *ent = task_entity(t);
	const char *h = task_href(r, t);
	e_open(o, root ? "EntityRef" : "Ref");
	e_attr(o, "UID", uid(r, ent, &t->id));
	e_attr(o, "Name", t->name);
	e_attr(o, "Href", h);
	e_attr(o, "Type", arena_printf(r->arena, "%sReference", ent));
	e_links(o);
	e_link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), t->name, ent);
	e_list_end(o);
	e_close(o);
}

static void render_task(struct req *r, struct em_out *o, const struct task_rec *t, const char *server)
{
	const char *ent = task_entity(t);
	const char *h = task_href(r, t);
	int fam = catalog_type_em_family(t->session_type);
	char sid[UUID_STR_LEN + 1];
	uuid_format(&t->session_id, sid);
	e_open(o, ent);
	e_attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	e_attr(o, "Type", ent);
	e_attr(o, "Name", t->name);
	e_attr(o, "UID", uid(r, ent, &t->id));
	e_attr(o, "VmDisplayName", t->name);
	e_links(o);
	if(server)
		server_link(r, o, server);
	e_link(o, "Up", href(r, "/api/%s/%s", catalog_em_family_name(fam != EMF_NONE ? fam : EMF_BACKUP), sid), NULL,
	       arena_printf(r->arena, "%sReference", families[fam != EMF_NONE ? fam : EMF_BACKUP].entity));
	e_link(o, "Alternate", h, t->name, arena_printf(r->arena, "%sReference", ent));
	if(!uuid_is_nil(&t->restore_point_id)) {
		char rp[UUID_STR_LEN + 1];
		uuid_format(&t->restore_point_id, rp);
		e_link(o, "Related", href(r, "/api/vmRestorePoints/%s", rp), NULL, "VmRestorePointReference");
	}
	e_list_end(o);
	e_str(o, "JobSessionUid", uid(r, families[fam != EMF_NONE ? fam : EMF_BACKUP].entity, &t->session_id));
	e_time(o, "CreationTimeUTC", t->creation_us);
	if(t->end_us)
		e_time(o, "EndTimeUTC", t->end_us);
	e_str(o, "State", catalog_em_task_state_name(t->state));
	e_str(o, "Result", catalog_result_name(t->result));
	e_str(o, "Reason", t->reason ? t->reason : t->message);
	e_int(o, "TotalSize", t->total_size);
	e_close(o);
}

/* ---------- root, logon, logoff ---------- */

static const char *const em_versions[] = {"v1_4", "v1_5", "v1_6", "v1_7"};

static void h_root(struct req *r)
{
	struct em_out o;
	out_begin(r, &o, 200);
	e_open(&o, "EnterpriseManager");
	e_attr(&o, "Href", href(r, "/api/"));
	e_attr(&o, "Type", "EnterpriseManager");
	e_links(&o);
	e_link(&o, "Create", href(r, "/api/sessionMngr/?v=latest"), NULL, "LogonSession");
	e_list_end(&o);
	e_list(&o, "SupportedVersions", "SupportedVersions", 0);
	for(size_t i = 0; i < sizeof(em_versions) / sizeof(em_versions[0]); i++) {
		e_open(&o, "SupportedVersion");
		e_attr(&o, "Name", em_versions[i]);
		e_links(&o);
		e_link(&o, "Create", href(r, "/api/sessionMngr/?v=%s", em_versions[i]), NULL, "LogonSession");
		e_list_end(&o);
		e_close(&o);
	}
	e_list_end(&o);
	e_close(&o);
}

struct em_logon {
	char *user;
	char *password;
	enum rc rc;
	struct principal who;
};

static void check_password(void *arg)
{
	struct em_logon *l = arg;
	l->rc = auth_password_check(l->user, l->password, &l->who);
	sodium_memzero(l->password, strlen(l->password));
}

static const char *const down_collections[] = {
	"backupSessions", "replicaSessions", "backupTaskSessions", "replicaTaskSessions", "systemSessions",
	"backupServers", "query",
};

static void render_logon(struct req *r, const char *user, const char *sid, int status)
{
	struct em_out o;
	out_begin(r, &o, status);
	const char *h = href(r, "/api/logonSessions/%s", sid);
	e_open(&o, "LogonSession");
	e_attr(&o, "Href", h);
	e_attr(&o, "Type", "LogonSession");
	e_links(&o);
	e_link(&o, "Up", href(r, "/api/"), NULL, "EnterpriseManager");
	for(size_t i = 0; i < sizeof(down_collections) / sizeof(down_collections[0]); i++)
		e_link(&o, "Down", href(r, "/api/%s", down_collections[i]), NULL, "EntityReferenceListType");
	e_link(&o, "Delete", h, NULL, NULL);
	e_list_end(&o);
	e_str(&o, "UserName", user);
	e_str(&o, "SessionId", sid);
	e_close(&o);
}

static void logon_checked(struct req *r)
{
	struct em_logon *l = r->work;
	if(l->rc) {
		em_error(r, l->rc == RC_UNAUTHORIZED ? RC_UNAUTHORIZED : l->rc, l->rc == RC_UNAUTHORIZED ? 401 : 0,
		         l->rc == RC_UNAUTHORIZED ? "the user name or password is wrong" : "cannot check credentials");
		return;
	}
	char sid[37];
	char *tok = arena_alloc(r->arena, EM_TOKEN_MAX);
	enum rc rc = em_logon_add(&l->who, r->now_us, sid, tok);
	if(rc) {
		em_error(r, rc, 0, "too many logon sessions; try again later");
		return;
	}
	snprintf(r->who.user, sizeof(r->who.user), "%s", l->who.user);
	render_logon(r, l->user, sid, 201);
	req_add_header(r, "X-RestSvcSessionId", tok);
	req_add_header(r, "Set-Cookie", arena_printf(r->arena, "X-RestSvcSessionId=%s; Path=/api", tok));
	req_add_header(r, "Location", href(r, "/api/logonSessions/%s", sid));
}

static void h_logon(struct req *r)
{
	const char *v = req_query(r, "v");
	if(v && strcasecmp(v, "latest")) {
		int ok = 0;
		for(size_t i = 0; i < sizeof(em_versions) / sizeof(em_versions[0]); i++)
			ok |= !strcasecmp(v, em_versions[i]);
		if(!ok) {
			em_error(r, RC_INVALID, 400, "query parameter v must be latest or one of v1_4, v1_5, v1_6, v1_7");
			return;
		}
	}
	const char *a = req_header(r, "Authorization");
	if(!a || strncasecmp(a, "Basic ", 6)) {
		em_error(r, RC_UNAUTHORIZED, 401, "send the user name and password with Authorization: Basic");
		return;
	}
	a += 6;
	while(*a == ' ')
		a++;
	size_t alen = strlen(a);
	unsigned char *bin = arena_alloc(r->arena, alen + 1);
	size_t blen = 0;
	if(sodium_base642bin(bin, alen, a, alen, " ", &blen, NULL, sodium_base64_VARIANT_ORIGINAL)) {
		em_error(r, RC_UNAUTHORIZED, 401, "the Authorization header is not valid base64");
		return;
	}
	bin[blen] = 0;
	char *colon = memchr(bin, ':', blen);
	if(!colon || colon == (char *)bin || memchr(bin, 0, blen)) {
		em_error(r, RC_UNAUTHORIZED, 401, "the Authorization header must hold user:password");
		return;
	}
	struct em_logon *l = arena_zalloc(r->arena, sizeof(*l));
	*colon = 0;
	l->user = (char *)bin;
	l->password = colon + 1;
	r->work = l;
	api_offload(r, check_password, l, logon_checked);
}

static void h_logoff(struct req *r)
{
	const char *mine = r->work;
	const char *id = r->params[0];
	if(r->who.role != ROLE_ADMIN && (!mine || strcasecmp(mine, id))) {
		em_error(r, RC_FORBIDDEN, 403, "you can end only your own logon session");
		return;
	}
	if(em_logon_remove(id)) {
		em_error(r, RC_NOTFOUND, 404, "no such logon session");
		return;
	}
	r->status = 204;
	buf_reset(&r->out);
}

static void h_logon_get(struct req *r)
{
	const char *mine = r->work;
	if(!mine || strcasecmp(mine, r->params[0])) {
		em_error(r, RC_NOTFOUND, 404, "no such logon session");
		return;
	}
	render_logon(r, r->who.user, mine, 200);
}

/* ---------- session collections ---------- */

struct emit_ctx {
	struct req *r;
	struct em_out *o;
	int entity;
	int64_t count;
};

static int emit_sess(void *ctx, const struct sess_rec *s)
{
	struct emit_ctx *e = ctx;
	if(e->entity)
		render_session(e->r, e->o, s);
	else
		render_session_ref(e->r, e->o, s, 0);
	e->count++;
	return 0;
}

static void h_sessions(struct req *r)
{
	int fam = family_of_path(r->path);
	if(check_format(r, "format", "References", "Entity"))
		return;
	int entity = format_entity(r, "format", "Entity") || format_entity(r, "format", "Entities");
	struct query q = {.order = QO_CREATION, .asc = 0, .limit = -1};
	q.where = q_and(r->arena, family_types(r->arena, QF_TYPE, fam),
	                q_int(r->arena, QF_CREATION, Q_GE, r->now_us - DAYS30_US));
	struct em_out o;
	out_begin(r, &o, 200);
	if(entity)
		e_list(&o, families[fam].plural, families[fam].plural, 0);
	else
		e_list(&o, "EntityReferences", "Refs", 0);
	struct emit_ctx e = {.r = r, .o = &o, .entity = entity};
	enum rc rc = core_session_list(&q, r->arena, emit_sess, &e, NULL);
	if(rc) {
		em_error(r, rc, 0, "cannot list sessions");
		return;
	}
	e_list_end(&o);
}

static enum rc load_session(struct req *r, int fam, struct sess_rec *s)
{
	struct uuid id;
	if(path_uuid(r, 0, &id))
		return RC_INVALID;
	enum rc rc = core_session_get(&id, r->arena, s);
	if(!rc && (int)catalog_type_em_family(s->type) != fam)
		rc = RC_NOTFOUND;
	if(rc)
		em_error(r, rc, 0, rc == RC_NOTFOUND ? "session not found in this collection" : "cannot read the session");
	return rc;
}

static void h_session(struct req *r)
{
	int fam = family_of_path(r->path);
	struct sess_rec s;
	if(check_format(r, "format", "References", "Entity") || load_session(r, fam, &s))
		return;
	struct em_out o;
	out_begin(r, &o, 200);
	if(format_entity(r, "format", "Entity"))
		render_session(r, &o, &s);
	else
		render_session_ref(r, &o, &s, 1);
}

struct task_emit {
	struct req *r;
	struct em_out *o;
	int entity;
	const char *server;
	int64_t count;
};

static int emit_task(void *ctx, const struct task_rec *t)
{
	struct task_emit *e = ctx;
	if(e->entity)
		render_task(e->r, e->o, t, e->server);
	else
		render_task_ref(e->r, e->o, t, 0);
	e->count++;
	return 0;
}

static void list_tasks(struct req *r, const struct qexpr *where, int replica, const char *server, int one_session)
{
	if(check_format(r, "format", "References", "Entity"))
		return;
	int entity = format_entity(r, "format", "Entity");
	struct query q = {.order = QO_CREATION, .asc = 0, .limit = -1, .where = where};
	if(!one_session)
		q.where = q_and(r->arena, q.where, q_int(r->arena, QF_CREATION, Q_GE, r->now_us - DAYS30_US));
	const char *plural = replica ? "ReplicaTaskSessions" : "BackupTaskSessions";
	struct em_out o;
	out_begin(r, &o, 200);
	if(entity)
		e_list(&o, plural, plural, 0);
	else
		e_list(&o, "EntityReferences", "Refs", 0);
	struct task_emit e = {.r = r, .o = &o, .entity = entity, .server = server};
	enum rc rc = core_task_list(&q, r->arena, emit_task, &e, NULL);
	if(rc) {
		em_error(r, rc, 0, "cannot list task sessions");
		return;
	}
	e_list_end(&o);
}

static void h_session_tasks(struct req *r)
{
	int fam = family_of_path(r->path);
	struct sess_rec s;
	if(load_session(r, fam, &s))
		return;
	list_tasks(r, q_uuid(r->arena, QF_SESSION_ID, Q_EQ, &s.id), fam == EMF_REPLICA, server_of(&s), 1);
}

static void stop_done(struct req *r)
{
	struct store_write *w = r->work;
	if(w->rc == RC_NOTFOUND) {
		em_error(r, RC_NOTFOUND, 404, "session not found");
		return;
	}
	if(w->rc && w->rc != RC_CONFLICT) {
		em_error(r, w->rc, 0, w->err[0] ? w->err : "cannot stop the session");
		return;
	}
	int64_t id = task_add(w->rc == RC_OK, w->rc ? (w->err[0] ? w->err : "the session cannot be stopped") : NULL);
	struct em_task t;
	task_get(id, &t);
	const char *h = href(r, "/api/tasks/task-%lld", (long long)id);
	req_add_header(r, "Location", h);
	struct em_out o;
	out_begin(r, &o, 202);
	e_open(&o, "Task");
	e_attr(&o, "Href", h);
	e_attr(&o, "Type", "Task");
	e_links(&o);
	e_link(&o, "Delete", h, NULL, NULL);
	e_list_end(&o);
	e_str(&o, "TaskId", arena_printf(r->arena, "task-%lld", (long long)id));
	e_str(&o, "State", "Finished");
	e_str(&o, "Operation", "StopJobSession");
	e_open(&o, "Result");
	e_attr_bool(&o, "Success", t.success);
	if(!t.success)
		e_str(&o, "Message", t.message);
	e_close(&o);
	e_close(&o);
}

static void render_task_obj(struct req *r, const struct em_task *t, int status)
{
	const char *h = href(r, "/api/tasks/task-%lld", (long long)t->id);
	struct em_out o;
	out_begin(r, &o, status);
	e_open(&o, "Task");
	e_attr(&o, "Href", h);
	e_attr(&o, "Type", "Task");
	e_links(&o);
	e_link(&o, "Delete", h, NULL, NULL);
	e_list_end(&o);
	e_str(&o, "TaskId", arena_printf(r->arena, "task-%lld", (long long)t->id));
	e_str(&o, "State", "Finished");
	e_str(&o, "Operation", "StopJobSession");
	e_open(&o, "Result");
	e_attr_bool(&o, "Success", t->success);
	if(!t->success)
		e_str(&o, "Message", t->message);
	e_close(&o);
	e_close(&o);
}

static void h_session_action(struct req *r)
{
	int fam = family_of_path(r->path);
	const char *action = req_query(r, "action");
	if(!action || strcasecmp(action, "stop")) {
		em_error(r, RC_INVALID, 400, "query parameter action must be stop");
		return;
	}
	if(fam == EMF_SYSTEM) {
		em_error(r, RC_INVALID, 405, "system sessions cannot be stopped");
		return;
	}
	struct sess_rec s;
	if(load_session(r, fam, &s))
		return;
	struct store_write *w = arena_zalloc(r->arena, sizeof(*w));
	w->kind = W_SESSION_UPDATE;
	w->target = s.id;
	w->mutate = session_mutate_stop;
	api_write(r, w, stop_done);
}

static void h_task_get(struct req *r)
{
	const char *p = r->params[0];
	if(!strncasecmp(p, "task-", 5))
		p += 5;
	char *end;
	long long id = strtoll(p, &end, 10);
	struct em_task t;
	if(!*p || *end || !task_get(id, &t)) {
		em_error(r, RC_NOTFOUND, 404, "no such task");
		return;
	}
	render_task_obj(r, &t, 200);
}

/* ---------- task session collections ---------- */

static int is_replica_task_path(const char *path) { return !strncmp(path, "/api/replicaTaskSessions", 24); }

static void h_tasks(struct req *r)
{
	int replica = is_replica_task_path(r->path);
	list_tasks(r, task_family_types(r->arena, replica), replica, NULL, 0);
}

static void h_task(struct req *r)
{
	int replica = is_replica_task_path(r->path);
	struct uuid id;
	if(check_format(r, "format", "References", "Entity") || path_uuid(r, 0, &id))
		return;
	struct task_rec t;
	enum rc rc = core_task_get(&id, r->arena, &t);
	if(!rc && (catalog_type_em_family(t.session_type) == EMF_REPLICA) != replica)
		rc = RC_NOTFOUND;
	if(rc) {
		em_error(r, rc, 0, rc == RC_NOTFOUND ? "task session not found" : "cannot read the task session");
		return;
	}
	struct sess_rec s;
	const char *server = core_session_get(&t.session_id, r->arena, &s) ? NULL : server_of(&s);
	struct em_out o;
	out_begin(r, &o, 200);
	if(format_entity(r, "format", "Entity"))
		render_task(r, &o, &t, server);
	else
		render_task_ref(r, &o, &t, 1);
}

/* ---------- system session events ---------- */

static int emit_event(void *ctx, const struct log_rec *l)
{
	struct em_out *o = ctx;
	e_open(o, "SystemSessionEvent");
	e_int(o, "Id", l->id);
	e_str(o, "Status", catalog_log_status_name(l->status));
	e_str(o, "Title", l->title);
	e_str(o, "Description", l->description);
	e_time(o, "StartTimeUTC", l->start_us);
	e_time(o, "UpdateTimeUTC", l->update_us);
	e_close(o);
	return 0;
}

static void h_system_events(struct req *r)
{
	struct sess_rec s;
	if(load_session(r, EMF_SYSTEM, &s))
		return;
	struct em_out o;
	out_begin(r, &o, 200);
	e_open(&o, "SystemSessionEvents");
	e_attr(&o, "Href", arena_printf(r->arena, "%s/events", session_href(r, &s, EMF_SYSTEM)));
	e_attr(&o, "Type", "SystemSessionEvents");
	e_list(&o, "Events", "SystemSessionEvents", 1);
	enum rc rc = core_log_list(&s.id, -1, r->arena, emit_event, &o, NULL);
	if(rc) {
		em_error(r, rc, 0, "cannot read the session's events");
		return;
	}
	e_list_end(&o);
	e_close(&o);
}

/* ---------- backup servers, derived from sessions ---------- */

struct servers {
	struct arena *a;
	const char **names;
	int n, cap;
};

static int collect_server(void *ctx, const struct sess_rec *s)
{
	struct servers *v = ctx;
	const char *name = server_of(s);
	for(int i = 0; i < v->n; i++)
		if(!strcmp(v->names[i], name))
			return 0;
	if(v->n == v->cap) {
		int cap = v->cap ? 2 * v->cap : 16;
		const char **nn = arena_alloc(v->a, sizeof(*nn) * (size_t)cap);
		if(v->n)
			memcpy(nn, v->names, sizeof(*nn) * (size_t)v->n);
		v->names = nn;
		v->cap = cap;
	}
	v->names[v->n++] = arena_strdup(v->a, name);
	return 0;
}

static enum rc servers_list(struct arena *a, struct servers *v)
{
	memset(v, 0, sizeof(*v));
	v->a = a;
	enum rc rc = core_job_latest(a, collect_server, v);
	if(!rc && v->n == 0)
		collect_server(v, &(struct sess_rec){.backup_server = core_info()->server_name});
	return rc;
}

static const char *server_by_uuid(void *ctx, const struct uuid *u)
{
	struct servers *v = ctx;
	for(int i = 0; i < v->n; i++) {
		struct uuid su;
		em_server_uuid(v->names[i], &su);
		if(uuid_eq(&su, u))
			return v->names[i];
	}
	return NULL;
}

static void render_server(struct req *r, struct em_out *o, const char *name, int entity, int root)
{
	struct uuid su;
	em_server_uuid(name, &su);
	char id[UUID_STR_LEN + 1];
	uuid_format(&su, id);
	const char *h = href(r, "/api/backupServers/%s", id);
	if(!entity) {
		e_open(o, root ? "EntityRef" : "Ref");
		e_attr(o, "UID", uid(r, "BackupServer", &su));
		e_attr(o, "Name", name);
		e_attr(o, "Href", h);
		e_attr(o, "Type", "BackupServerReference");
		e_links(o);
		e_link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), name, "BackupServer");
		e_list_end(o);
		e_close(o);
		return;
	}
	e_open(o, "BackupServer");
	e_attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	e_attr(o, "Type", "BackupServer");
	e_attr(o, "Name", name);
	e_attr(o, "UID", uid(r, "BackupServer", &su));
	e_links(o);
	e_link(o, "Alternate", h, name, "BackupServerReference");
	e_link(o, "Down", href(r, "/api/query?type=BackupJobSession&filter=BackupServerUid==%s",
	                       uid(r, "BackupServer", &su)), NULL, "BackupJobSessionReferenceList");
	e_list_end(o);
	e_str(o, "Description", "sessiond: sessions reported from this server");
	e_int(o, "Port", 9392);
	e_str(o, "Version", "12.3.0.310");
	e_close(o);
}

static void h_servers(struct req *r)
{
	if(check_format(r, "format", "References", "Entity"))
		return;
	int entity = format_entity(r, "format", "Entity");
	struct servers v;
	enum rc rc = servers_list(r->arena, &v);
	if(rc) {
		em_error(r, rc, 0, "cannot list backup servers");
		return;
	}
	struct em_out o;
	out_begin(r, &o, 200);
	if(entity)
		e_list(&o, "BackupServers", "BackupServers", 0);
	else
		e_list(&o, "EntityReferences", "Refs", 0);
	for(int i = 0; i < v.n; i++)
		render_server(r, &o, v.names[i], entity, 0);
	e_list_end(&o);
}

static void h_server(struct req *r)
{
	struct uuid id;
	if(check_format(r, "format", "References", "Entity") || path_uuid(r, 0, &id))
		return;
	struct servers v;
	enum rc rc = servers_list(r->arena, &v);
	if(rc) {
		em_error(r, rc, 0, "cannot list backup servers");
		return;
	}
	const char *name = server_by_uuid(&v, &id);
	if(!name) {
		em_error(r, RC_NOTFOUND, 404, "backup server not found");
		return;
	}
	struct em_out o;
	out_begin(r, &o, 200);
	render_server(r, &o, name, format_entity(r, "format", "Entity"), 1);
}

/* ---------- query service ---------- */

static const struct em_field job_fields[] = {
	{"UID", QF_ID, EMK_UID}, {"Name", QF_NAME, EMK_TEXT}, {"JobType", QF_TYPE, EMK_JOB_TYPE},
	{"JobUid", QF_JOB_ID, EMK_UID}, {"JobName", QF_JOB_NAME, EMK_TEXT},
	{"CreationTime", QF_CREATION, EMK_TIME}, {"CreationTimeUTC", QF_CREATION, EMK_TIME},
	{"EndTime", QF_END, EMK_TIME}, {"EndTimeUTC", QF_END, EMK_TIME}, {"State", QF_STATE, EMK_STATE},
	{"Result", QF_RESULT, EMK_RESULT}, {"IsRetry", QF_IS_RETRY, EMK_BOOL}, {"Progress", QF_PROGRESS, EMK_INT},
	{"BackupServerUid", QF_BACKUP_SERVER, EMK_SERVER_UID}, {"BackupServerName", QF_BACKUP_SERVER, EMK_TEXT},
	{NULL, 0, 0},
};

static const struct em_field system_fields[] = {
	{"UID", QF_ID, EMK_UID}, {"Name", QF_NAME, EMK_TEXT}, {"SessionType", QF_TYPE, EMK_JOB_TYPE},
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

struct sort_name {
	const char *name;
	enum qorder order;
};

static const struct sort_name job_sorts[] = {
	{"Name", QO_NAME}, {"JobName", QO_JOB_NAME}, {"JobType", QO_TYPE}, {"SessionType", QO_TYPE},
	{"CreationTime", QO_CREATION}, {"CreationTimeUTC", QO_CREATION}, {"EndTime", QO_END},
	{"EndTimeUTC", QO_END}, {"State", QO_STATE}, {"Result", QO_RESULT}, {"Progress", QO_PROGRESS}, {NULL, 0},
};

static const struct sort_name task_sorts[] = {
	{"Name", QO_NAME}, {"VmDisplayName", QO_NAME}, {"CreationTime", QO_CREATION},
	{"CreationTimeUTC", QO_CREATION}, {"EndTime", QO_END}, {"EndTimeUTC", QO_END}, {"State", QO_STATE},
	{"Result", QO_RESULT}, {NULL, 0},
};

/* Query types: sessions of a family, or task sessions of backup / replica sessions. */
static const struct qtype {
	const char *name;
	int fam;        /* sessions of this family; EMF_NONE for tasks */
	int task;       /* 1 backup tasks, 2 replica tasks */
	const char *plural;
} qtypes[] = {
	{"BackupJobSession", EMF_BACKUP, 0, "BackupJobSessions"},
	{"ReplicaJobSession", EMF_REPLICA, 0, "ReplicaJobSessions"},
	{"RestoreSession", EMF_RESTORE, 0, "RestoreSessions"},
	{"SystemSession", EMF_SYSTEM, 0, "SystemSessions"},
	{"BackupTaskSession", EMF_NONE, 1, "BackupTaskSessions"},
	{"ReplicaTaskSession", EMF_NONE, 2, "ReplicaTaskSessions"},
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
		em_error(r, RC_INVALID, 400, msg);
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
	const char *s = href(r, "%s", buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void h_query(struct req *r)
{
	const char *type = req_query(r, "type");
	const struct qtype *qt = NULL;
	for(size_t i = 0; type && i < sizeof(qtypes) / sizeof(qtypes[0]); i++)
		if(!strcasecmp(type, qtypes[i].name))
			qt = &qtypes[i];
	if(!qt) {
		em_error(r, RC_INVALID, 400, type ? "query parameter type names an unsupported type (BackupJobSession, "
		                                    "ReplicaJobSession, RestoreSession, SystemSession, BackupTaskSession, "
		                                    "ReplicaTaskSession)"
		                                  : "query parameter type is required");
		return;
	}
	if(check_format(r, "format", "References", "Entities"))
		return;
	int entity = format_entity(r, "format", "Entities");
	int64_t page_size, page;
	if(q_posint(r, "pageSize", 0, &page_size) || q_posint(r, "page", 1, &page))
		return;
	if(page < 1) {
		em_error(r, RC_INVALID, 400, "query parameter page starts at 1");
		return;
	}
	struct query q = {.order = QO_CREATION, .asc = 0, .limit = -1, .want_total = 1};
	const char *sa = req_query(r, "sortAsc"), *sd = req_query(r, "sortDesc");
	if(sa && sd) {
		em_error(r, RC_INVALID, 400, "use sortAsc or sortDesc, not both");
		return;
	}
	if(sa || sd) {
		const struct sort_name *sorts = qt->task ? task_sorts : job_sorts;
		const struct sort_name *hit = NULL;
		for(const struct sort_name *s = sorts; s->name; s++)
			if(!strcasecmp(s->name, sa ? sa : sd))
				hit = s;
		if(!hit) {
			em_error(r, RC_INVALID, 400, sa ? "query parameter sortAsc names an unknown field"
			                                 : "query parameter sortDesc names an unknown field");
			return;
		}
		q.order = hit->order;
		q.asc = sa != NULL;
	}
	struct servers v = {0};
	struct em_filter_ctx fc = {
		.fields = qt->task ? task_fields : qt->fam == EMF_SYSTEM ? system_fields : job_fields,
		.a = r->arena,
		.server_name = server_by_uuid,
		.server_ctx = &v,
	};
	const char *filter = req_query(r, "filter");
	if(filter && strcasestr(filter, "BackupServerUid")) {
		enum rc rc = servers_list(r->arena, &v);
		if(rc) {
			em_error(r, rc, 0, "cannot list backup servers");
			return;
		}
	}
	const struct qexpr *where = NULL;
	struct em_filter_err err;
	if(em_filter_parse(&fc, filter, &where, &err)) {
		em_error(r, RC_INVALID, 400, err.msg);
		return;
	}
	const struct qexpr *scope = qt->task ? task_family_types(r->arena, qt->task == 2)
	                                     : family_types(r->arena, QF_TYPE, qt->fam);
	q.where = q_and(r->arena, scope, where);
	if(page_size > 0) {
		q.limit = page_size;
		q.skip = (page - 1) * page_size;
	}
	struct em_out o;
	out_begin(r, &o, 200);
	e_open(&o, "QueryResult");
	if(entity) {
		e_open(&o, "Entities");
		e_list(&o, qt->plural, qt->plural, 0);
	} else
		e_list(&o, "Refs", "Refs", 0);
	int64_t total = 0;
	enum rc rc;
	if(qt->task) {
		struct task_emit e = {.r = r, .o = &o, .entity = entity};
		rc = core_task_list(&q, r->arena, emit_task, &e, &total);
	} else {
		struct emit_ctx e = {.r = r, .o = &o, .entity = entity};
		rc = core_session_list(&q, r->arena, emit_sess, &e, &total);
	}
	if(rc) {
		em_error(r, rc, 0, "cannot run the query");
		return;
	}
	e_list_end(&o);
	if(entity)
		e_close(&o);
	int64_t size = page_size > 0 ? page_size : total;
	int64_t pages = page_size > 0 ? (total + page_size - 1) / page_size : 1;
	if(pages < 1)
		pages = 1;
	e_open(&o, "PagingInfo");
	e_attr_int(&o, "PageNum", page_size > 0 ? page : 1);
	e_attr_int(&o, "PageSize", size);
	e_attr_int(&o, "PagesCount", pages);
	e_links(&o);
	if(page_size > 0) {
		e_link(&o, "First", page_href(r, 1), NULL, NULL);
		if(page > 1)
			e_link(&o, "Previous", page_href(r, page - 1 < pages ? page - 1 : pages), NULL, NULL);
		if(page < pages)
			e_link(&o, "Next", page_href(r, page + 1), NULL, NULL);
		e_link(&o, "Last", page_href(r, pages), NULL, NULL);
	}
	e_list_end(&o);
	e_close(&o);
	e_close(&o);
}

/* ---------- the route table ---------- */

#define SESSION_ROUTES(base)                                                                                    \
	{M_GET, "/api/" base, PERM_READ, h_sessions}, {M_GET, "/api/" base "/{id}", PERM_READ, h_session},      \
	{M_POST, "/api/" base "/{id}", PERM_STOP, h_session_action},                                            \
	{M_GET, "/api/" base "/{id}/taskSessions", PERM_READ, h_session_tasks}

static const struct route routes[] = {
	{M_GET, "/api/", PERM_PUBLIC, h_root},
	{M_POST, "/api/sessionMngr/", PERM_PUBLIC, h_logon},
	{M_GET, "/api/logonSessions/{id}", PERM_AUTH, h_logon_get},
	{M_DELETE, "/api/logonSessions/{id}", PERM_AUTH, h_logoff},
	SESSION_ROUTES("backupSessions"),
	SESSION_ROUTES("replicaSessions"),
	SESSION_ROUTES("nas/backupSessions"),
	SESSION_ROUTES("agents/backupSessions"),
	SESSION_ROUTES("restoreSessions"),
	{M_GET, "/api/systemSessions", PERM_READ, h_sessions},
	{M_GET, "/api/systemSessions/{id}", PERM_READ, h_session},
	{M_POST, "/api/systemSessions/{id}", PERM_STOP, h_session_action},
	{M_GET, "/api/systemSessions/{id}/events", PERM_READ, h_system_events},
	{M_GET, "/api/backupTaskSessions", PERM_READ, h_tasks},
	{M_GET, "/api/backupTaskSessions/{id}", PERM_READ, h_task},
	{M_GET, "/api/replicaTaskSessions", PERM_READ, h_tasks},
	{M_GET, "/api/replicaTaskSessions/{id}", PERM_READ, h_task},
	{M_GET, "/api/backupServers", PERM_READ, h_servers},
	{M_GET, "/api/backupServers/{id}", PERM_READ, h_server},
	{M_GET, "/api/query", PERM_READ, h_query},
	{M_GET, "/api/tasks/{id}", PERM_AUTH, h_task_get},
};

const struct dialect dialect_em = {
	.name = "em",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.authenticate = em_authenticate,
	.error = em_error,
};
