/* Enterprise Manager dialect: route table, logon, errors, and the mapping between
 * the domain model and EM's XML (default) or JSON (Accept: application/json). One
 * set of emit calls (struct em__out) writes both. The query service is em_query.c;
 * each resource family has its own file (em_sessions.c, em_tasks.c, em_infra.c, em_jobs.c). */
#include "api/em/em.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "model/catalog.h"
#include "core/core.h"
#include "core/logon.h"
#include "model/query.h"
#include "util/jw.h"
#include "util/timefmt.h"
#include "util/xw.h"

#define EM_NS "http://www.veeam.com/ent/v1.0"
#define XML_TYPE "application/xml; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"

/* ---------- one emitter for XML and JSON ---------- */

static int wants_json(struct req *r)
{
	const char *a = req_header(r, "Accept");
	return a && strcasestr(a, "application/json") != NULL;
}

void em__out_begin(struct req *r, struct em__out *o, int status)
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
/* Starts element name (JSON: its key, unless it is an array item) one level down. */
static void start(struct em__out *o, const char *name, unsigned char list)
{
	if(o->json) {
		if(o->depth > 0 && !o->in_list[o->depth])
			jw_key(&o->j, name);
	} else {
		xw_start(&o->x, name);
		if(o->depth == 0)
			xw_attr(&o->x, "xmlns", EM_NS);
	}
	o->depth++;
	o->in_list[o->depth] = list;
}

void em__open(struct em__out *o, const char *name)
{
	start(o, name, 0);
	if(o->json)
		jw_obj(&o->j);
}

void em__close(struct em__out *o)
{
	o->depth--;
	if(o->json)
		jw_obj_end(&o->j);
	else
		xw_end(&o->x);
}

/* A list element whose items go under items (JSON: {items:[…]}, or [..] when bare). */
void em__list(struct em__out *o, const char *name, const char *items, int bare)
{
	start(o, name, (unsigned char)(bare ? 2 : 1));
	if(o->json) {
		if(!bare) {
			jw_obj(&o->j);
			jw_key(&o->j, items);
		}
		jw_arr(&o->j);
	}
}

void em__list_end(struct em__out *o)
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

/* Repeated elements without a wrapper in XML (a choice of maxOccurs unbounded); JSON: an
 * array under name. */
void em__seq(struct em__out *o, const char *name)
{
	if(o->json) {
		if(o->depth > 0 && !o->in_list[o->depth])
			jw_key(&o->j, name);
		jw_arr(&o->j);
	}
	o->depth++;
	o->in_list[o->depth] = 2;
}

void em__seq_end(struct em__out *o)
{
	o->depth--;
	if(o->json)
		jw_arr_end(&o->j);
}

void em__attr(struct em__out *o, const char *k, const char *v)
{
	if(!v)
		return;
	if(o->json)
		jw_kstr(&o->j, k, v);
	else
		xw_attr(&o->x, k, v);
}

void em__attr_int(struct em__out *o, const char *k, int64_t v)
{
	if(o->json)
		jw_kint(&o->j, k, v);
	else {
		char t[24];
		snprintf(t, sizeof(t), "%lld", (long long)v);
		xw_attr(&o->x, k, t);
	}
}

void em__attr_bool(struct em__out *o, const char *k, int v)
{
	if(o->json)
		jw_kbool(&o->j, k, v);
	else
		xw_attr(&o->x, k, v ? "true" : "false");
}

void em__str(struct em__out *o, const char *k, const char *v)
{
	if(o->json)
		jw_kstr(&o->j, k, v ? v : "");
	else
		xw_elem(&o->x, k, v ? v : "");
}

void em__int(struct em__out *o, const char *k, int64_t v)
{
	if(o->json)
		jw_kint(&o->j, k, v);
	else
		xw_elem_int(&o->x, k, v);
}

void em__bool(struct em__out *o, const char *k, int v)
{
	if(o->json)
		jw_kbool(&o->j, k, v);
	else
		xw_elem_bool(&o->x, k, v);
}

void em__time(struct em__out *o, const char *k, int64_t us)
{
	char t[TIME_STR_MAX];
	time_format(us, 3, t);
	em__str(o, k, t);
}

void em__links(struct em__out *o) { em__list(o, "Links", "Links", 1); }

void em__link(struct em__out *o, const char *rel, const char *href, const char *name, const char *type)
{
	em__open(o, "Link");
	em__attr(o, "Href", href);
	em__attr(o, "Name", name);
	em__attr(o, "Type", type);
	em__attr(o, "Rel", rel);
	em__close(o);
}

/* ---------- errors ---------- */

static const struct {
	int status;
	const char *name;
} status_names[] = {
	{400, "BadRequest"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "NotFound"},
	{405, "MethodNotAllowed"}, {409, "Conflict"}, {412, "PreconditionFailed"},
	{413, "RequestEntityTooLarge"}, {500, "InternalServerError"}, {501, "NotImplemented"},
	{503, "ServiceUnavailable"},
};

void em__error(struct req *r, enum rc rc, int status, const char *msg)
{
	int st = status ? status : api_status(rc);
	const char *name = "InternalServerError";
	for(size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if(status_names[i].status == st)
			name = status_names[i].name;
	if(st == 401)
		req_add_header(r, "WWW-Authenticate", "Basic realm=\"RestSvc\"");
	struct em__out o;
	em__out_begin(r, &o, st);
	em__open(&o, "Error");
	em__attr(&o, "Message", msg ? msg : name);
	em__attr_int(&o, "StatusCode", st);
	em__attr(&o, "Status", name);
	em__close(&o);
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

int em_token_sid(const char *token, char sid[40])
{
	unsigned char bin[48];
	size_t len = 0;
	size_t tlen = strlen(token);
	if(tlen > 64 || sodium_base642bin(bin, sizeof(bin) - 1, token, tlen, NULL, &len, NULL,
	                                  sodium_base64_VARIANT_ORIGINAL) || len != UUID_STR_LEN)
		return -1;
	bin[len] = 0;
	struct uuid u;
	if(uuid_parse((const char *)bin, len, &u))
		return -1;
	uuid_format(&u, sid);
	return 0;
}

static enum rc em_authenticate(struct req *r)
{
	const char *tok = session_token(r);
	if(!tok) {
		em__error(r, RC_UNAUTHORIZED, 401, "authentication is required: log on with POST /api/sessionMngr/?v=latest "
		                                  "and send X-RestSvcSessionId");
		return RC_UNAUTHORIZED;
	}
	char sid[40];
	struct logon_rec l;
	enum rc rc = em_token_sid(tok, sid) ? RC_UNAUTHORIZED : logon_check(sid, r->now_us, &l, r->who.user, sizeof(r->who.user));
	if(rc) {
		if(rc == RC_BACKEND)
			em__error(r, rc, 503, "cannot check the logon session");
		else
			em__error(r, rc, 401, rc == RC_EXPIRED ? "the logon session has expired" : "the logon session is not valid");
		return rc;
	}
	r->who.authenticated = 1;
	r->who.role = l.role;
	r->who.uid = l.uid;
	r->work = arena_strdup(r->arena, sid); /* the caller's SessionId, for DELETE /api/logonSessions/{id} */
	return RC_OK;
}

/* ---------- helpers ---------- */

const char *em__href(struct req *r, const char *fmt, ...)
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

const char *em__uid(struct req *r, const char *type, const struct uuid *u)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(u, s);
	return arena_printf(r->arena, "urn:veeam:%s:%s", type, s);
}

enum rc em__path_uuid(struct req *r, int idx, struct uuid *u)
{
	const char *s = idx < r->nparams ? r->params[idx] : NULL;
	if(s && !strncasecmp(s, "urn:veeam:", 10)) {
		const char *t = strrchr(s, ':');
		s = t + 1;
	}
	if(!s || uuid_parse(s, strlen(s), u)) {
		em__error(r, RC_INVALID, 400, "the ID in the path is not a valid UUID");
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

const char *em__server_of(const struct sess_rec *s)
{
	return s->backup_server ? s->backup_server : core_info()->server_name;
}

const struct em__family em__families[EMF__COUNT] = {
	[EMF_BACKUP] = {"BackupJobSession", "BackupJobSessions", 0, "backupSessions", EM__BACKUP_LISTED},
	[EMF_REPLICA] = {"ReplicaJobSession", "ReplicaJobSessions", 1, "replicaSessions", EM__FAM(EMF_REPLICA)},
	[EMF_NAS] = {"BackupJobSession", "BackupJobSessions", 0, "backupSessions", EM__FAM(EMF_NAS)},
	[EMF_AGENT] = {"BackupJobSession", "BackupJobSessions", 0, "backupSessions", EM__FAM(EMF_AGENT)},
	[EMF_RESTORE] = {"RestoreSession", "RestoreSessions", 0, "restoreSessions", EM__FAM(EMF_RESTORE)},
	[EMF_SYSTEM] = {"SystemSession", "SystemSessions", 0, "systemSessions", EM__FAM(EMF_SYSTEM)},
};

/* The family of a session type, backup for types of no family. */
int em__fam_of(int type)
{
	int f = catalog_type_em_family(type);
	return f == EMF_NONE ? EMF_BACKUP : f;
}

/* The family named by the path after /api/ ("nas/backupSessions/…"). */
int em__family_of_path(const char *path)
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

const struct qexpr *em__types_where(struct arena *a, enum qfield f, unsigned fams)
{
	int types[512];
	int n = 0;
	for(int i = 0; i < catalog_type_count() && n < 512; i++) {
		int t = catalog_type_at(i);
		if(fams & EM__FAM(catalog_type_em_family(t)))
			types[n++] = t;
	}
	return q_in_ints(a, f, types, n);
}

const char *em__job_name(const struct sess_rec *s)
{
	return s->job_name ? s->job_name : s->name;
}

const char *em__session_name(struct req *r, const struct sess_rec *s)
{
	char t[TIME_STR_MAX];
	time_format_plain(s->creation_us, t);
	return arena_printf(r->arena, "%s@%s", em__job_name(s), t);
}

int em__format_entity(struct req *r, const char *param, const char *entity_word)
{
	const char *f = req_query(r, param);
	return f && !strcasecmp(f, entity_word);
}

enum rc em__check_format(struct req *r, const char *param, const char *ref, const char *ent)
{
	const char *f = req_query(r, param);
	if(f && strcasecmp(f, ref) && strcasecmp(f, ent)) {
		char msg[160];
		snprintf(msg, sizeof(msg), "query parameter %s must be %s or %s", param, ref, ent);
		em__error(r, RC_INVALID, 400, msg);
		return RC_INVALID;
	}
	return RC_OK;
}

/* ---------- rendering ---------- */

const char *em__session_href(struct req *r, const struct sess_rec *s, int fam)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->id, id);
	return em__href(r, "/api/%s/%s", em__families[fam].path, id);
}

void em__server_link(struct req *r, struct em__out *o, const char *server)
{
	struct uuid su;
	em_server_uuid(server, &su);
	char id[UUID_STR_LEN + 1];
	uuid_format(&su, id);
	em__link(o, "Up", em__href(r, "/api/backupServers/%s", id), server, "BackupServerReference");
}

/* The reference to entity ent (an EntityRef at the root, else a Ref in a list): it links
 * up to its backup server when server is set, and to its entity form. */
void em__render_ref(struct req *r, struct em__out *o, int root, const char *ent, const char *u, const char *name,
                       const char *h, const char *server)
{
	em__open(o, root ? "EntityRef" : "Ref");
	em__attr(o, "UID", u);
	em__attr(o, "Name", name);
	em__attr(o, "Href", h);
	em__attr(o, "Type", arena_printf(r->arena, "%sReference", ent));
	em__links(o);
	if(server)
		em__server_link(r, o, server);
	em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), name, ent);
	em__list_end(o);
	em__close(o);
}

/* Opens entity ent (reference form at h) up to its open Links list. */
void em__entity_begin(struct req *r, struct em__out *o, const char *ent, const char *u, const char *name,
                         const char *h)
{
	em__open(o, ent);
	em__attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	em__attr(o, "Type", ent);
	em__attr(o, "Name", name);
	em__attr(o, "UID", u);
	em__links(o);
}

/* Checks ?format and starts a collection's answer: the plural list of entities
 * (?format=Entity) or EntityReferences. 0/1: references/entities; -1: answered 400. */
int em__collection_begin(struct req *r, struct em__out *o, const char *plural)
{
	if(em__check_format(r, "format", "References", "Entity"))
		return -1;
	int entity = em__format_entity(r, "format", "Entity");
	em__out_begin(r, o, 200);
	if(entity)
		em__list(o, plural, plural, 0);
	else
		em__list(o, "EntityReferences", "Refs", 0);
	return entity;
}

/* Ends the collection, or answers the error of the read that filled it. */
void em__collection_end(struct req *r, struct em__out *o, enum rc rc, const char *what)
{
	if(rc)
		em__error(r, rc, 0, what);
	else
		em__list_end(o);
}

/* A streamed collection: the plural list of entities or EntityReferences. */
struct coll_ctx {
	const char *plural;
	int entity;
};

static void coll_head(struct em__out *o, void *ctx)
{
	struct coll_ctx *c = ctx;
	if(c->entity)
		em__list(o, c->plural, c->plural, 0);
	else
		em__list(o, "EntityReferences", "Refs", 0);
}

static void coll_tail(struct em__out *o, int64_t rows, void *ctx)
{
	(void)rows;
	(void)ctx;
	em__list_end(o);
}

/* Sends the sessions or task sessions (tasks) matching where, newest first, as a
 * collection named plural; answers 400 for a bad ?format. */
void em__send_collection(struct req *r, int tasks, const struct qexpr *where, const char *plural,
                            const struct sess_rec *parent)
{
	if(em__check_format(r, "format", "References", "Entity"))
		return;
	struct coll_ctx *c = arena_zalloc(r->arena, sizeof(*c));
	c->plural = plural;
	c->entity = em__format_entity(r, "format", "Entity");
	struct em__list l = {.tasks = tasks, .where = where, .order = QO_CREATION, .asc = 0, .limit = -1,
	                     .entity = c->entity, .parent = parent, .head = coll_head, .tail = coll_tail, .ctx = c};
	em__list_send(r, &l, tasks ? "cannot list task sessions" : "cannot list sessions");
}

/* ---------- the route table ---------- */

#define SESSION_ROUTES(base)                                                          \
	{M_GET, "/api/" base, PERM_READ, em__h_sessions, 0},                          \
	{M_GET, "/api/" base "/{id}", PERM_READ, em__h_session, 0},                   \
	{M_POST, "/api/" base "/{id}", PERM_STOP, em__h_session_action, 0},           \
	{M_GET, "/api/" base "/{id}/taskSessions", PERM_READ, em__h_session_tasks, 0}

static const struct route routes[] = {
	{M_GET, "/api/", PERM_PUBLIC, em__root, 0},
	{M_POST, "/api/sessionMngr/", PERM_PUBLIC, em__logon, 0},
	{M_GET, "/api/logonSessions", PERM_AUTH, em__logons, 0},
	{M_GET, "/api/logonSessions/{id}", PERM_AUTH, em__logon_get, 0},
	{M_DELETE, "/api/logonSessions/{id}", PERM_AUTH, em__logoff, 0},
	SESSION_ROUTES("backupSessions"),
	SESSION_ROUTES("replicaSessions"),
	{M_GET, "/api/replicaSessions/{id}/replicaTaskSessions", PERM_READ, em__h_session_tasks, 0},
	SESSION_ROUTES("nas/backupSessions"),
	SESSION_ROUTES("agents/backupSessions"),
	SESSION_ROUTES("restoreSessions"),
	{M_GET, "/api/systemSessions", PERM_READ, em__h_sessions, 0},
	{M_GET, "/api/systemSessions/{id}", PERM_READ, em__h_session, 0},
	{M_POST, "/api/systemSessions/{id}", PERM_STOP, em__h_session_action, 0},
	{M_GET, "/api/systemSessions/{id}/events", PERM_READ, em__h_system_events, 0},
	{M_GET, "/api/backupTaskSessions", PERM_READ, em__h_tasks, 0},
	{M_GET, "/api/backupTaskSessions/{id}", PERM_READ, em__h_task, 0},
	{M_GET, "/api/replicaTaskSessions", PERM_READ, em__h_tasks, 0},
	{M_GET, "/api/replicaTaskSessions/{id}", PERM_READ, em__h_task, 0},
	{M_GET, "/api/backupServers", PERM_READ, em__h_servers, ROUTE_CACHED},
	{M_GET, "/api/backupServers/{id}", PERM_READ, em__h_server, 0},
	{M_GET, "/api/jobs", PERM_READ, em__h_jobs, ROUTE_CACHED},
	{M_GET, "/api/jobs/{id}", PERM_READ, em__h_job, 0},
	{M_GET, "/api/jobs/{id}/backupSessions", PERM_READ, em__h_job_sessions, 0},
	{M_GET, "/api/nas/jobs", PERM_READ, em__h_jobs, ROUTE_CACHED},
	{M_GET, "/api/nas/jobs/{id}", PERM_READ, em__h_job, 0},
	{M_GET, "/api/nas/jobs/{id}/backupSessions", PERM_READ, em__h_job_sessions, 0},
	{M_GET, "/api/backupServers/{id}/jobs", PERM_READ, em__h_server_jobs, ROUTE_CACHED},
	{M_GET, "/api/backupServers/{id}/repositories", PERM_READ, em__h_repositories, ROUTE_CACHED},
	{M_GET, "/api/repositories", PERM_READ, em__h_repositories, ROUTE_CACHED},
	{M_GET, "/api/repositories/{id}", PERM_READ, em__h_repository, 0},
	{M_GET, "/api/repositories/{id}/backups", PERM_READ, em__h_repository_backups, ROUTE_CACHED},
	{M_GET, "/api/backups", PERM_READ, em__h_backups, ROUTE_CACHED},
	{M_GET, "/api/backups/{id}", PERM_READ, em__h_backup, 0},
	{M_GET, "/api/backups/{id}/restorePoints", PERM_READ, em__h_backup_points, ROUTE_CACHED},
	{M_GET, "/api/restorePoints", PERM_READ, em__h_restore_points, ROUTE_CACHED},
	{M_GET, "/api/restorePoints/{id}", PERM_READ, em__h_restore_point, 0},
	{M_GET, "/api/agents/discoveredComputers", PERM_READ, em__h_computers, ROUTE_CACHED},
	{M_GET, "/api/agents/discoveredComputers/{id}", PERM_READ, em__h_computer, 0},
	{M_GET, "/api/reports/summary/overview", PERM_READ, em__h_report_overview, ROUTE_CACHED},
	{M_GET, "/api/reports/summary/vms_overview", PERM_READ, em__h_report_vms, ROUTE_CACHED},
	{M_GET, "/api/reports/summary/job_statistics", PERM_READ, em__h_report_jobs, ROUTE_CACHED},
	{M_GET, "/api/reports/summary/repository", PERM_READ, em__h_report_repositories, ROUTE_CACHED},
	{M_GET, "/api/query", PERM_READ, em__query, ROUTE_CACHED},
	{M_GET, "/api/querySvc", PERM_READ, em__query_svc, 0},
	{M_GET, "/api/tasks", PERM_AUTH, em__h_task_list, 0},
	{M_GET, "/api/tasks/{id}", PERM_AUTH, em__h_task_get, 0},
	{M_DELETE, "/api/tasks/{id}", PERM_AUTH, em__h_task_delete, 0},
};

const struct dialect dialect_em = {
	.name = "em",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.authenticate = em_authenticate,
	.error = em__error,
};

