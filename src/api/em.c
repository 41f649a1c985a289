/* Enterprise Manager dialect: route table, logon, errors, and the mapping between
 * the domain model and EM's XML (default) or JSON (Accept: application/json). One
 * set of emit calls (struct em__out) writes both. The query service is em_query.c. */
#include "api/em.h"
#include "api/cache.h"

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
#include "core/session.h"
#include "util/jw.h"
#include "util/timefmt.h"
#include "util/xw.h"

#define EM_NS "http://www.veeam.com/ent/v1.0"
#define XML_TYPE "application/xml; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"
#define DAYS30_US ((int64_t)30 * 24 * 3600 * 1000000)

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

static void e_attr_bool(struct em__out *o, const char *k, int v)
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

#define e_str em__str

static void e_int(struct em__out *o, const char *k, int64_t v)
{
	if(o->json)
		jw_kint(&o->j, k, v);
	else
		xw_elem_int(&o->x, k, v);
}

static void e_bool(struct em__out *o, const char *k, int v)
{
	if(o->json)
		jw_kbool(&o->j, k, v);
	else
		xw_elem_bool(&o->x, k, v);
}

static void e_time(struct em__out *o, const char *k, int64_t us)
{
	char t[TIME_STR_MAX];
	time_format(us, 3, t);
	e_str(o, k, t);
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

static const char *server_of(const struct sess_rec *s)
{
	return s->backup_server ? s->backup_server : core_info()->server_name;
}

/* What an EM family is called on the wire. */
struct family {
	const char *entity;      /* BackupJobSession, … */
	const char *plural;      /* BackupJobSessions */
	int task_replica;        /* its task sessions are ReplicaTaskSessions */
	const char *path;        /* where one session is: file share and agent backup sessions are
	                          * backup sessions (their own collections list them too) */
	unsigned listed;         /* the families the collection of this one lists (EM__FAM mask) */
};

static const struct family families[EMF__COUNT] = {
	[EMF_BACKUP] = {"BackupJobSession", "BackupJobSessions", 0, "backupSessions", EM__BACKUP_LISTED},
	[EMF_REPLICA] = {"ReplicaJobSession", "ReplicaJobSessions", 1, "replicaSessions", EM__FAM(EMF_REPLICA)},
	[EMF_NAS] = {"BackupJobSession", "BackupJobSessions", 0, "backupSessions", EM__FAM(EMF_NAS)},
	[EMF_AGENT] = {"BackupJobSession", "BackupJobSessions", 0, "backupSessions", EM__FAM(EMF_AGENT)},
	[EMF_RESTORE] = {"RestoreSession", "RestoreSessions", 0, "restoreSessions", EM__FAM(EMF_RESTORE)},
	[EMF_SYSTEM] = {"SystemSession", "SystemSessions", 0, "systemSessions", EM__FAM(EMF_SYSTEM)},
};

/* The family of a session type, backup for types of no family. */
static int fam_of(int type)
{
	int f = catalog_type_em_family(type);
	return f == EMF_NONE ? EMF_BACKUP : f;
}

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

static const char *job_name(const struct sess_rec *s)
{
	return s->job_name ? s->job_name : s->name;
}

static const char *session_name(struct req *r, const struct sess_rec *s)
{
	char t[TIME_STR_MAX];
	time_format_plain(s->creation_us, t);
	return arena_printf(r->arena, "%s@%s", job_name(s), t);
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

static const char *session_href(struct req *r, const struct sess_rec *s, int fam)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->id, id);
	return em__href(r, "/api/%s/%s", families[fam].path, id);
}

/* Where the task sessions of a session of family fam are listed. */
static const char *tasks_href(struct req *r, const struct sess_rec *s, int fam)
{
	return arena_printf(r->arena, "%s/%s", session_href(r, s, fam),
	                    families[fam].task_replica ? "replicaTaskSessions" : "taskSessions");
}

static const char *tasks_list_type(int fam)
{
	return families[fam].task_replica ? "ReplicaTaskSessionReferenceList" : "BackupTaskSessionReferenceList";
}

static void job_link(struct req *r, struct em__out *o, const struct sess_rec *s)
{
	char jid[UUID_STR_LEN + 1];
	uuid_format(&s->job_id, jid);
	em__link(o, "Up", em__href(r, "/api/jobs/%s", jid), job_name(s), "JobReference");
}

static void server_link(struct req *r, struct em__out *o, const char *server)
{
	struct uuid su;
	em_server_uuid(server, &su);
	char id[UUID_STR_LEN + 1];
	uuid_format(&su, id);
	em__link(o, "Up", em__href(r, "/api/backupServers/%s", id), server, "BackupServerReference");
}

/* The reference to entity ent (an EntityRef at the root, else a Ref in a list): it links
 * up to its backup server when server is set, and to its entity form. */
static void render_ref(struct req *r, struct em__out *o, int root, const char *ent, const char *u, const char *name,
                       const char *h, const char *server)
{
	em__open(o, root ? "EntityRef" : "Ref");
	em__attr(o, "UID", u);
	em__attr(o, "Name", name);
	em__attr(o, "Href", h);
	em__attr(o, "Type", arena_printf(r->arena, "%sReference", ent));
	em__links(o);
	if(server)
		server_link(r, o, server);
	em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), name, ent);
	em__list_end(o);
	em__close(o);
}

/* Opens entity ent (reference form at h) up to its open Links list. */
static void entity_begin(struct req *r, struct em__out *o, const char *ent, const char *u, const char *name,
                         const char *h)
{
	em__open(o, ent);
	em__attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	em__attr(o, "Type", ent);
	em__attr(o, "Name", name);
	em__attr(o, "UID", u);
	em__links(o);
}

/* A session's reference: its server and job, its entity form, its task sessions (the
 * documented links and order); a system session links its events instead of a job. */
static void render_session_ref(struct req *r, struct em__out *o, const struct sess_rec *s, int root)
{
	int fam = fam_of(s->type);
	const char *ent = families[fam].entity;
	const char *h = session_href(r, s, fam), *name = session_name(r, s);
	em__open(o, root ? "EntityRef" : "Ref");
	em__attr(o, "UID", uid(r, ent, &s->id));
	em__attr(o, "Name", name);
	em__attr(o, "Href", h);
	em__attr(o, "Type", arena_printf(r->arena, "%sReference", ent));
	em__links(o);
	server_link(r, o, server_of(s));
	if(fam != EMF_SYSTEM)
		job_link(r, o, s);
	em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), name, ent);
	if(fam == EMF_SYSTEM)
		em__link(o, "Down", arena_printf(r->arena, "%s/events", h), "Events", "SystemSessionEvents");
	else
		em__link(o, "Down", tasks_href(r, s, fam), NULL, tasks_list_type(fam));
	em__list_end(o);
	em__close(o);
}

static void render_session(struct req *r, struct em__out *o, const struct sess_rec *s)
{
	int fam = fam_of(s->type);
	const struct family *F = &families[fam];
	const char *h = session_href(r, s, fam);
	const char *name = session_name(r, s);
	entity_begin(r, o, F->entity, uid(r, F->entity, &s->id), name, h);
	server_link(r, o, server_of(s));
	if(fam != EMF_SYSTEM)
		job_link(r, o, s);
	em__link(o, "Alternate", h, name, arena_printf(r->arena, "%sReference", F->entity));
	if(fam == EMF_SYSTEM)
		em__link(o, "Down", arena_printf(r->arena, "%s/events", h), "Events", "SystemSessionEvents");
	else {
		em__link(o, "Down", tasks_href(r, s, fam), NULL, tasks_list_type(fam));
		if(s->state != ST_STOPPED)
			em__link(o, "Stop", arena_printf(r->arena, "%s?action=stop", h), NULL, NULL);
	}
	em__list_end(o);
	if(fam == EMF_SYSTEM) {
		e_str(o, "SessionType", catalog_type_em_name(s->type));
		e_time(o, "CreationTimeUTC", s->creation_us);
		if(s->end_us)
			e_time(o, "EndTimeUTC", s->end_us);
		e_str(o, "State", catalog_em_system_state(s->state, s->result));
		em__open(o, "Result");
		e_str(o, "Result", catalog_result_name(s->result));
		e_str(o, "Message", s->message);
		e_bool(o, "IsCanceled", s->is_canceled);
		em__close(o);
		em__close(o);
		return;
	}
	e_str(o, "JobUid", uid(r, "Job", &s->job_id));
	e_str(o, "JobName", job_name(s));
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
	em__close(o);
}

static const char *task_entity(const struct task_rec *t)
{
	return catalog_type_em_family(t->session_type) == EMF_REPLICA ? "ReplicaTaskSession" : "BackupTaskSession";
}


static const char *task_href(struct req *r, const struct task_rec *t)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&t->id, id);
	return em__href(r, "/api/%s/%s", catalog_type_em_family(t->session_type) == EMF_REPLICA ? "replicaTaskSessions"
	                                                                                      : "backupTaskSessions", id);
}

static void render_task_ref(struct req *r, struct em__out *o, const struct task_rec *t, int root)
{
	const char *ent = task_entity(t);
	render_ref(r, o, root, ent, uid(r, ent, &t->id), t->name, task_href(r, t), NULL);
}

/* A task session entity; parent is its session (NULL when it is gone): the documented
 * links are its backup server, its session (with the session's Name), its reference. */
static void render_task(struct req *r, struct em__out *o, const struct task_rec *t, const struct sess_rec *parent)
{
	const char *ent = task_entity(t);
	const char *h = task_href(r, t);
	int fam = fam_of(t->session_type);
	em__open(o, ent);
	em__attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	em__attr(o, "Type", ent);
	em__attr(o, "Name", t->name);
	em__attr(o, "UID", uid(r, ent, &t->id));
	em__attr(o, "VmDisplayName", t->name);
	em__links(o);
	if(parent) {
		server_link(r, o, server_of(parent));
		em__link(o, "Up", session_href(r, parent, fam), session_name(r, parent),
		         arena_printf(r->arena, "%sReference", families[fam].entity));
	} else {
		char sid[UUID_STR_LEN + 1];
		uuid_format(&t->session_id, sid);
		em__link(o, "Up", em__href(r, "/api/%s/%s", families[fam].path, sid), NULL,
		         arena_printf(r->arena, "%sReference", families[fam].entity));
	}
	em__link(o, "Alternate", h, t->name, arena_printf(r->arena, "%sReference", ent));
	em__list_end(o);
	e_str(o, "JobSessionUid", uid(r, families[fam].entity, &t->session_id));
	e_time(o, "CreationTimeUTC", t->creation_us);
	if(t->end_us)
		e_time(o, "EndTimeUTC", t->end_us);
	e_str(o, "State", catalog_em_task_state_name(t->state));
	e_str(o, "Result", catalog_result_name(t->result));
	e_str(o, "Reason", t->reason ? t->reason : t->message);
	e_int(o, "TotalSize", t->total_size);
	em__close(o);
}

/* ---------- session collections ---------- */


int em__emit_session(void *ctx, const struct sess_rec *s)
{
	struct em__emit *e = ctx;
	if(e->entity)
		render_session(e->r, e->o, s);
	else
		render_session_ref(e->r, e->o, s, 0);
	return 0;
}

/* Checks ?format and starts a collection's answer: the plural list of entities
 * (?format=Entity) or EntityReferences. 0/1: references/entities; -1: answered 400. */
static int collection_begin(struct req *r, struct em__out *o, const char *plural)
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
static void collection_end(struct req *r, struct em__out *o, enum rc rc, const char *what)
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
static void send_collection(struct req *r, int tasks, const struct qexpr *where, const char *plural,
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

static void h_sessions(struct req *r)
{
	int fam = family_of_path(r->path);
	const struct qexpr *where = q_and(r->arena, em__types_where(r->arena, QF_TYPE, families[fam].listed),
	                                  q_int(r->arena, QF_CREATION, Q_GE, r->now_us - DAYS30_US));
	send_collection(r, 0, where, families[fam].plural, NULL);
}

static enum rc load_session(struct req *r, int fam, struct sess_rec *s)
{
	struct uuid id;
	if(path_uuid(r, 0, &id))
		return RC_INVALID;
	enum rc rc = core_session_get(&id, r->arena, s);
	if(!rc && !(families[fam].listed & EM__FAM(catalog_type_em_family(s->type))))
		rc = RC_NOTFOUND;
	if(rc)
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "session not found in this collection" : "cannot read the session");
	return rc;
}

static void h_session(struct req *r)
{
	int fam = family_of_path(r->path);
	if(em__check_format(r, "format", "References", "Entity"))
		return;
	int entity = em__format_entity(r, "format", "Entity");
	struct em__out o;
	em__out_begin(r, &o, 200);
	/* A body rendered since the last write is still the answer (its links name the host). */
	char *key = arena_printf(r->arena, "em %d %d %s %s", o.json, entity, r->base_url ? r->base_url : "", r->path);
	int64_t usn = core_usn();
	buf_reset(&r->out);   /* the cached body has its own XML declaration */
	if(api_cache_get(key, usn, &r->out))
		return;
	struct sess_rec s;
	if(load_session(r, fam, &s))
		return;
	em__out_begin(r, &o, 200);
	if(entity)
		render_session(r, &o, &s);
	else
		render_session_ref(r, &o, &s, 1);
	api_cache_put(key, usn, r->out.p, r->out.len);
}


/* The session of task t: e's parent, else read (the last one read is kept, since a
 * list holds a session's task sessions together); NULL when it is gone. */
static const struct sess_rec *task_parent(struct em__emit *e, const struct task_rec *t)
{
	if(e->parent)
		return e->parent;
	if(!e->have_cached || !uuid_eq(&e->cached.id, &t->session_id)) {
		e->have_cached = 0;
		if(core_session_get(&t->session_id, e->r->arena, &e->cached))
			return NULL;
		e->have_cached = 1;
	}
	return &e->cached;
}

int em__emit_task(void *ctx, const struct task_rec *t)
{
	struct em__emit *e = ctx;
	if(e->entity)
		render_task(e->r, e->o, t, task_parent(e, t));
	else
		render_task_ref(e->r, e->o, t, 0);
	return 0;
}

static void h_session_tasks(struct req *r)
{
	int fam = family_of_path(r->path);
	struct sess_rec *s = arena_zalloc(r->arena, sizeof(*s));
	if(load_session(r, fam, s))
		return;
	/* /taskSessions of a replica session and /replicaTaskSessions of a backup session: not there */
	int replica_path = strstr(r->path, "/replicaTaskSessions") != NULL;
	int replica = families[fam_of(s->type)].task_replica;
	if(replica_path && !replica) {
		em__error(r, RC_NOTFOUND, 404, "a backup session has taskSessions, not replicaTaskSessions");
		return;
	}
	send_collection(r, 1, q_uuid(r->arena, QF_SESSION_ID, Q_EQ, &s->id),
	                replica ? "ReplicaTaskSessions" : "BackupTaskSessions", s);
}

/* One <Task> element. */
void em__task_obj(struct req *r, struct em__out *o, const struct emtask_rec *t)
{
	const char *h = em__href(r, "/api/tasks/task-%lld", (long long)t->id);
	em__open(o, "Task");
	em__attr(o, "Href", h);
	em__attr(o, "Type", "Task");
	em__links(o);
	em__link(o, "Delete", h, NULL, "Task");
	em__list_end(o);
	e_str(o, "TaskId", arena_printf(r->arena, "task-%lld", (long long)t->id));
	e_str(o, "State", EM__TASK_STATE);
	e_str(o, "Operation", EM__TASK_OPERATION);
	em__open(o, "Result");
	e_attr_bool(o, "Success", t->success);
	if(!t->success)
		e_str(o, "Message", t->message && *t->message ? t->message : "the session cannot be stopped");
	em__close(o);
	em__close(o);
}

static void render_task_obj(struct req *r, const struct emtask_rec *t, int status)
{
	struct em__out o;
	em__out_begin(r, &o, status);
	em__task_obj(r, &o, t);
}

static void stop_done(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc == RC_NOTFOUND) {
		em__error(r, RC_NOTFOUND, 404, "session not found");
		return;
	}
	if(w->rc) {
		em__error(r, w->rc, 0, w->err[0] ? w->err : "cannot stop the session");
		return;
	}
	req_add_header(r, "Location", em__href(r, "/api/tasks/task-%lld", (long long)w->emtask.id));
	render_task_obj(r, &w->emtask, 202);
}

static void h_session_action(struct req *r)
{
	int fam = family_of_path(r->path);
	const char *action = req_query(r, "action");
	if(!action || strcasecmp(action, "stop")) {
		em__error(r, RC_INVALID, 400, "query parameter action must be stop");
		return;
	}
	if(fam == EMF_SYSTEM) {
		em__error(r, RC_INVALID, 405, "system sessions cannot be stopped");
		return;
	}
	struct sess_rec s;
	if(load_session(r, fam, &s))
		return;
	core_session_stop_em(api_write(r, stop_done), &s.id, r->who.uid);
}

/* The task named in the path, if it is the caller's (an admin's: anyone's); else answered. */
static int load_task(struct req *r, struct emtask_rec *t)
{
	const char *p = r->params[0];
	if(!strncasecmp(p, "task-", 5))
		p += 5;
	char *end;
	long long id = strtoll(p, &end, 10);
	enum rc rc = !*p || *end || id <= 0 ? RC_NOTFOUND : core_emtask_get(id, r->arena, t);
	if(!rc && t->uid != r->who.uid && r->who.role != ROLE_ADMIN)
		rc = RC_NOTFOUND;   /* another user's task is none of the caller's business */
	if(rc) {
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "no such task" : "cannot read the task");
		return -1;
	}
	return 0;
}

static void h_task_get(struct req *r)
{
	struct emtask_rec t;
	if(!load_task(r, &t))
		render_task_obj(r, &t, 200);
}

static int emit_listed_task(void *ctx, const struct emtask_rec *t)
{
	struct em__emit *e = ctx;
	em__task_obj(e->r, e->o, t);
	return 0;
}

/* GET /api/tasks: the caller's tasks, newest first (EM keeps them per logon session;
 * sessiond keeps them per user, stored, so they outlive a restart). */
static void h_task_list(struct req *r)
{
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__list(&o, "Tasks", "Tasks", 0);
	struct em__emit e = {.r = r, .o = &o};
	enum rc rc = core_emtask_list(r->who.uid, r->arena, emit_listed_task, &e);
	if(rc) {
		em__error(r, rc, 0, "cannot list tasks");
		return;
	}
	em__list_end(&o);
}

static void task_deleted(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc) {
		em__error(r, w->rc, 0, w->rc == RC_NOTFOUND ? "no such task" : "cannot delete the task");
		return;
	}
	r->status = 204;
	buf_reset(&r->out);
}

static void h_task_delete(struct req *r)
{
	struct emtask_rec t;
	if(!load_task(r, &t))
		core_emtask_del(api_write(r, task_deleted), t.id);
}

/* ---------- task session collections ---------- */

static int is_replica_task_path(const char *path) { return !strncmp(path, "/api/replicaTaskSessions", 24); }

static void h_tasks(struct req *r)
{
	int replica = is_replica_task_path(r->path);
	const struct qexpr *where = q_and(r->arena, em__types_where(r->arena, QF_SESSION_TYPE, em__task_families(replica)),
	                                  q_int(r->arena, QF_CREATION, Q_GE, r->now_us - DAYS30_US));
	send_collection(r, 1, where, replica ? "ReplicaTaskSessions" : "BackupTaskSessions", NULL);
}

static void h_task(struct req *r)
{
	int replica = is_replica_task_path(r->path);
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || path_uuid(r, 0, &id))
		return;
	struct task_rec t;
	enum rc rc = core_task_get(&id, r->arena, &t);
	if(!rc && (catalog_type_em_family(t.session_type) == EMF_REPLICA) != replica)
		rc = RC_NOTFOUND;
	if(rc) {
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "task session not found" : "cannot read the task session");
		return;
	}
	struct sess_rec s;
	const struct sess_rec *parent = core_session_get(&t.session_id, r->arena, &s) ? NULL : &s;
	struct em__out o;
	em__out_begin(r, &o, 200);
	if(em__format_entity(r, "format", "Entity"))
		render_task(r, &o, &t, parent);
	else
		render_task_ref(r, &o, &t, 1);
}

/* ---------- system session events ---------- */

static int emit_event(void *ctx, const struct log_rec *l)
{
	struct em__out *o = ctx;
	em__open(o, "SystemSessionEvent");
	e_int(o, "Id", l->id);
	e_str(o, "Status", catalog_log_status_name(l->status));
	e_str(o, "Title", l->title);
	e_str(o, "Description", l->description);
	e_time(o, "StartTimeUTC", l->start_us);
	e_time(o, "UpdateTimeUTC", l->update_us);
	em__close(o);
	return 0;
}

static void h_system_events(struct req *r)
{
	struct sess_rec s;
	if(load_session(r, EMF_SYSTEM, &s))
		return;
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__open(&o, "SystemSessionEvents");
	em__attr(&o, "Href", arena_printf(r->arena, "%s/events", session_href(r, &s, EMF_SYSTEM)));
	em__attr(&o, "Type", "SystemSessionEvents");
	em__list(&o, "Events", "SystemSessionEvents", 1);
	enum rc rc = core_log_list(&s.id, -1, r->arena, emit_event, &o, NULL);
	if(rc) {
		em__error(r, rc, 0, "cannot read the session's events");
		return;
	}
	em__list_end(&o);
	em__close(&o);
}

/* ---------- backup servers, derived from sessions ---------- */


static int collect_server(void *ctx, const struct sess_rec *s)
{
	struct em__servers *v = ctx;
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

enum rc em__servers_list(struct arena *a, struct em__servers *v)
{
	memset(v, 0, sizeof(*v));
	v->a = a;
	enum rc rc = core_job_latest(a, collect_server, v);
	if(!rc && v->n == 0)
		collect_server(v, &(struct sess_rec){.backup_server = core_info()->server_name});
	return rc;
}

const char *em__server_by_uuid(void *ctx, const struct uuid *u)
{
	struct em__servers *v = ctx;
	for(int i = 0; i < v->n; i++) {
		struct uuid su;
		em_server_uuid(v->names[i], &su);
		if(uuid_eq(&su, u))
			return v->names[i];
	}
	return NULL;
}

static void render_server(struct req *r, struct em__out *o, const char *name, int entity, int root)
{
	struct uuid su;
	em_server_uuid(name, &su);
	char id[UUID_STR_LEN + 1];
	uuid_format(&su, id);
	const char *h = em__href(r, "/api/backupServers/%s", id);
	if(!entity) {
		render_ref(r, o, root, "BackupServer", uid(r, "BackupServer", &su), name, h, NULL);
		return;
	}
	entity_begin(r, o, "BackupServer", uid(r, "BackupServer", &su), name, h);
	em__link(o, "Alternate", h, name, "BackupServerReference");
	em__link(o, "Down", em__href(r, "/api/query?type=BackupJobSession&filter=BackupServerUid==%s",
	                       uid(r, "BackupServer", &su)), NULL, "BackupJobSessionReferenceList");
	em__list_end(o);
	e_str(o, "Description", "sessiond: sessions reported from this server");
	e_int(o, "Port", 9392);
	e_str(o, "Version", "12.3.0.310");
	em__close(o);
}

static void h_servers(struct req *r)
{
	struct em__out o;
	int entity = collection_begin(r, &o, "BackupServers");
	if(entity < 0)
		return;
	struct em__servers v;
	enum rc rc = em__servers_list(r->arena, &v);
	for(int i = 0; !rc && i < v.n; i++)
		render_server(r, &o, v.names[i], entity, 0);
	collection_end(r, &o, rc, "cannot list backup servers");
}

static void h_server(struct req *r)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || path_uuid(r, 0, &id))
		return;
	struct em__servers v;
	enum rc rc = em__servers_list(r->arena, &v);
	if(rc) {
		em__error(r, rc, 0, "cannot list backup servers");
		return;
	}
	const char *name = em__server_by_uuid(&v, &id);
	if(!name) {
		em__error(r, RC_NOTFOUND, 404, "backup server not found");
		return;
	}
	struct em__out o;
	em__out_begin(r, &o, 200);
	render_server(r, &o, name, em__format_entity(r, "format", "Entity"), 1);
}

/* ---------- jobs, derived from sessions ---------- */

/* A job as its newest session of a job family shows it. */
static void render_job(struct req *r, struct em__out *o, const struct sess_rec *s, int entity, int root)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->job_id, id);
	const char *h = em__href(r, "/api/jobs/%s", id);
	const char *u = uid(r, "Job", &s->job_id);
	if(!entity) {
		render_ref(r, o, root, "Job", u, job_name(s), h, server_of(s));
		return;
	}
	int fam = catalog_type_em_family(s->type);
	entity_begin(r, o, "Job", u, job_name(s), h);
	server_link(r, o, server_of(s));
	em__link(o, "Alternate", h, job_name(s), "JobReference");
	if(fam != EMF_SYSTEM && fam != EMF_NONE) /* file share and agent jobs: their BackupJobSessions */
		em__link(o, "Down", em__href(r, "/api/query?type=%s&filter=JobUid==%s", families[fam].entity, u), NULL,
		         arena_printf(r->arena, "%sReferenceList", families[fam].entity));
	em__list_end(o);
	e_str(o, "JobType", catalog_type_em_name(s->type));
	if(s->platform_name && *s->platform_name)
		e_str(o, "Platform", s->platform_name);
	em__close(o);
}

int em__emit_job(void *ctx, const struct sess_rec *s)
{
	struct em__emit *e = ctx;
	if(EM__JOB_FAMILIES & EM__FAM(catalog_type_em_family(s->type)))
		render_job(e->r, e->o, s, e->entity, 0);
	return 0;
}

static void h_jobs(struct req *r)
{
	struct em__out o;
	int entity = collection_begin(r, &o, "Jobs");
	if(entity < 0)
		return;
	struct em__emit e = {.r = r, .o = &o, .entity = entity};
	collection_end(r, &o, core_job_latest(r->arena, em__emit_job, &e), "cannot list jobs");
}

static int keep_first(void *ctx, const struct sess_rec *s)
{
	*(struct sess_rec *)ctx = *s;
	return 1;
}

static void h_job(struct req *r)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || path_uuid(r, 0, &id))
		return;
	struct query q = {.order = QO_CREATION, .asc = 0, .limit = 1};
	q.where = q_and(r->arena, q_uuid(r->arena, QF_JOB_ID, Q_EQ, &id),
	                em__types_where(r->arena, QF_TYPE, EM__JOB_FAMILIES));
	struct sess_rec s = {.name = NULL};
	enum rc rc = core_session_list(&q, r->arena, keep_first, &s, NULL);
	if(!rc && !s.name)
		rc = RC_NOTFOUND;
	if(rc) {
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "job not found" : "cannot read the job");
		return;
	}
	struct em__out o;
	em__out_begin(r, &o, 200);
	render_job(r, &o, &s, em__format_entity(r, "format", "Entity"), 1);
}

/* The job's sessions (GET /api/jobs/{id}/backupSessions): all of them, newest first, as
 * EntityReferences or, with ?format=Entity, as the entities of the job's kind. */
static void h_job_sessions(struct req *r)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || path_uuid(r, 0, &id))
		return;
	struct query q = {.order = QO_CREATION, .asc = 0, .limit = 1};
	q.where = q_and(r->arena, q_uuid(r->arena, QF_JOB_ID, Q_EQ, &id),
	                em__types_where(r->arena, QF_TYPE, EM__JOB_FAMILIES));
	struct sess_rec s = {.name = NULL};
	enum rc rc = core_session_list(&q, r->arena, keep_first, &s, NULL);
	if(!rc && !s.name)
		rc = RC_NOTFOUND;
	if(rc) {
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "job not found" : "cannot read the job");
		return;
	}
	send_collection(r, 0, q.where, families[fam_of(s.type)].plural, NULL);
}

/* ---------- the route table ---------- */

#define SESSION_ROUTES(base)                                                                                    \
	{M_GET, "/api/" base, PERM_READ, h_sessions}, {M_GET, "/api/" base "/{id}", PERM_READ, h_session},      \
	{M_POST, "/api/" base "/{id}", PERM_STOP, h_session_action},                                            \
	{M_GET, "/api/" base "/{id}/taskSessions", PERM_READ, h_session_tasks}

static const struct route routes[] = {
	{M_GET, "/api/", PERM_PUBLIC, em__root},
	{M_POST, "/api/sessionMngr/", PERM_PUBLIC, em__logon},
	{M_GET, "/api/logonSessions", PERM_AUTH, em__logons},
	{M_GET, "/api/logonSessions/{id}", PERM_AUTH, em__logon_get},
	{M_DELETE, "/api/logonSessions/{id}", PERM_AUTH, em__logoff},
	SESSION_ROUTES("backupSessions"),
	SESSION_ROUTES("replicaSessions"),
	{M_GET, "/api/replicaSessions/{id}/replicaTaskSessions", PERM_READ, h_session_tasks},
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
	{M_GET, "/api/jobs", PERM_READ, h_jobs},
	{M_GET, "/api/jobs/{id}", PERM_READ, h_job},
	{M_GET, "/api/jobs/{id}/backupSessions", PERM_READ, h_job_sessions},
	{M_GET, "/api/query", PERM_READ, em__query},
	{M_GET, "/api/querySvc", PERM_READ, em__query_svc},
	{M_GET, "/api/tasks", PERM_AUTH, h_task_list},
	{M_GET, "/api/tasks/{id}", PERM_AUTH, h_task_get},
	{M_DELETE, "/api/tasks/{id}", PERM_AUTH, h_task_delete},
};

const struct dialect dialect_em = {
	.name = "em",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.authenticate = em_authenticate,
	.error = em__error,
};
