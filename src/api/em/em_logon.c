/* Enterprise Manager: the root resource, logon sessions (create, read, list, end) and
 * the query service resource. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/em/em.h"
#include "core/core.h"
#include "core/logon.h"

/* ---------- root, logon, logoff ---------- */

static const char *const em_versions[] = {"v1_4", "v1_5", "v1_6", "v1_7"};

void em__root(struct req *r)
{
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__open(&o, "EnterpriseManager");
	em__attr(&o, "Href", em__href(r, "/api/"));
	em__attr(&o, "Type", "EnterpriseManager");
	em__links(&o);
	em__link(&o, "Create", em__href(r, "/api/sessionMngr/?v=latest"), NULL, "LogonSession");
	em__list_end(&o);
	em__list(&o, "SupportedVersions", "SupportedVersions", 0);
	for(size_t i = 0; i < sizeof(em_versions) / sizeof(em_versions[0]); i++) {
		em__open(&o, "SupportedVersion");
		em__attr(&o, "Name", em_versions[i]);
		em__links(&o);
		em__link(&o, "Create", em__href(r, "/api/sessionMngr/?v=%s", em_versions[i]), NULL, "LogonSession");
		em__list_end(&o);
		em__close(&o);
	}
	em__list_end(&o);
	em__close(&o);
}

struct em_logon {
	char *user;
	char *password;
	enum rc rc;
	struct principal who;
};

static enum rc check_password(void *arg)
{
	struct em_logon *l = arg;
	enum rc rc = l->rc = auth_password_check(l->user, l->password, &l->who);
	sodium_memzero(l->password, strlen(l->password));
	return rc;
}

/* The resources a logon session links down to, in the documented order, with their
 * documented types (the reference lists, the caller's tasks, the query service, then the
 * entity lists).
 * The documentation gives systemSessions the BackupJobSession list types. */
static const struct {
	const char *path, *type;
} down_links[] = {
	{"backupServers", "BackupServerReferenceList"},
	{"jobs", "JobReferenceList"},
	{"repositories", "RepositoryReferenceList"},
	{"backups", "BackupReferenceList"},
	{"restorePoints", "RestorePointReferenceList"},
	{"backupSessions", "BackupJobSessionReferenceList"},
	{"restoreSessions", "RestoreSessionReferenceList"},
	{"replicaSessions", "ReplicaJobSessionReferenceList"},
	{"backupTaskSessions", "BackupTaskSessionReferenceList"},
	{"replicaTaskSessions", "ReplicaTaskSessionReferenceList"},
	{"systemSessions", "BackupJobSessionReferenceList"},
	{"tasks", "TaskList"},
	{"querySvc", "QueryService"},
	{"backupServers?format=Entity", "BackupServerList"},
	{"jobs?format=Entity", "JobList"},
	{"repositories?format=Entity", "RepositoryList"},
	{"backups?format=Entity", "BackupList"},
	{"restorePoints?format=Entity", "RestorePointList"},
	{"backupSessions?format=Entity", "BackupJobSessionList"},
	{"restoreSessions?format=Entity", "RestoreSessionList"},
	{"replicaSessions?format=Entity", "ReplicaJobSessionList"},
	{"backupTaskSessions?format=Entity", "BackupTaskSessionList"},
	{"replicaTaskSessions?format=Entity", "ReplicaTaskSessionList"},
	{"systemSessions?format=Entity", "BackupJobSessionList"},
};

/* One LogonSession element (the document root or an item of LogonSessions). */
static void logon_elem(struct req *r, struct em__out *o, const char *user, const char *sid)
{
	const char *h = em__href(r, "/api/logonSessions/%s", sid);
	em__open(o, "LogonSession");
	em__attr(o, "Href", h);
	em__attr(o, "Type", "LogonSession");
	em__links(o);
	em__link(o, "Up", em__href(r, "/api/"), NULL, "EnterpriseManager");
	for(size_t i = 0; i < sizeof(down_links) / sizeof(down_links[0]); i++)
		em__link(o, "Down", em__href(r, "/api/%s", down_links[i].path), NULL, down_links[i].type);
	em__link(o, "Delete", h, NULL, "LogonSession");
	em__list_end(o);
	em__str(o, "UserName", user);
	em__str(o, "SessionId", sid);
	em__close(o);
}

static void render_logon(struct req *r, const char *user, const char *sid, int status)
{
	struct em__out o;
	em__out_begin(r, &o, status);
	logon_elem(r, &o, user, sid);
}

static void logon_stored(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc) {
		em__error(r, w->rc, 0, "cannot store the logon session");
		return;
	}
	const char *sid = w->logon.sid;
	char *tok = arena_alloc(r->arena, EM_TOKEN_MAX);
	sodium_bin2base64(tok, EM_TOKEN_MAX, (const unsigned char *)sid, strlen(sid), sodium_base64_VARIANT_ORIGINAL);
	render_logon(r, w->logon.user, sid, 201);
	req_add_header(r, "X-RestSvcSessionId", tok);
	req_add_header(r, "Set-Cookie", arena_printf(r->arena, "X-RestSvcSessionId=%s; Path=/api", tok));
	req_add_header(r, "Location", em__href(r, "/api/logonSessions/%s", sid));
}

static void logon_checked(struct req *r)
{
	struct em_logon *l = r->work;
	if(l->rc) {
		snprintf(r->who.user, sizeof(r->who.user), "%s", l->user);   /* the name tried, for the log */
		em__error(r, l->rc == RC_UNAUTHORIZED ? RC_UNAUTHORIZED : l->rc, l->rc == RC_UNAUTHORIZED ? 401 : 0,
		         l->rc == RC_UNAUTHORIZED ? "the user name or password is wrong" : "cannot check credentials");
		return;
	}
	struct logon_rec *rec = arena_zalloc(r->arena, sizeof(*rec));
	struct uuid u;
	uuid_v4(&u);
	uuid_format(&u, rec->sid);
	rec->uid = l->who.uid;
	rec->gen = l->who.gen;
	rec->role = l->who.role;
	rec->user = arena_strdup(r->arena, l->who.user);
	rec->created_us = rec->last_us = r->now_us;
	snprintf(r->who.user, sizeof(r->who.user), "%s", l->who.user);
	core_logon_create(api_write(r, logon_stored), rec, LOGON_PER_USER);
}

void em__logon(struct req *r)
{
	const char *v = req_query(r, "v");
	if(v && strcasecmp(v, "latest")) {
		int ok = 0;
		for(size_t i = 0; i < sizeof(em_versions) / sizeof(em_versions[0]); i++)
			ok |= !strcasecmp(v, em_versions[i]);
		if(!ok) {
			em__error(r, RC_INVALID, 400, "query parameter v must be latest or one of v1_4, v1_5, v1_6, v1_7");
			return;
		}
	}
	const char *a = req_header(r, "Authorization");
	if(!a || strncasecmp(a, "Basic ", 6)) {
		em__error(r, RC_UNAUTHORIZED, 401, "send the user name and password with Authorization: Basic");
		return;
	}
	a += 6;
	while(*a == ' ')
		a++;
	size_t alen = strlen(a);
	unsigned char *bin = arena_alloc(r->arena, alen + 1);
	size_t blen = 0;
	if(sodium_base642bin(bin, alen, a, alen, " ", &blen, NULL, sodium_base64_VARIANT_ORIGINAL)) {
		em__error(r, RC_UNAUTHORIZED, 401, "the Authorization header is not valid base64");
		return;
	}
	bin[blen] = 0;
	char *colon = memchr(bin, ':', blen);
	if(!colon || colon == (char *)bin || memchr(bin, 0, blen)) {
		em__error(r, RC_UNAUTHORIZED, 401, "the Authorization header must hold user:password");
		return;
	}
	struct em_logon *l = arena_zalloc(r->arena, sizeof(*l));
	*colon = 0;
	l->user = (char *)bin;
	l->password = colon + 1;
	r->work = l;
	api_logon(r, check_password, l, logon_checked);
}

static void logged_off(struct req *r)
{
	struct core_write *w = r->work;
	if(w->rc) {
		em__error(r, w->rc, 0, w->rc == RC_NOTFOUND ? "no such logon session" : "cannot end the logon session");
		return;
	}
	r->status = 204;
	buf_reset(&r->out);
}

void em__logoff(struct req *r)
{
	const char *mine = r->work;
	const char *id = r->params[0];
	if(r->who.role != ROLE_ADMIN && (!mine || strcasecmp(mine, id))) {
		em__error(r, RC_FORBIDDEN, 403, "you can end only your own logon session");
		return;
	}
	char *sid = arena_strdup(r->arena, id);
	for(char *c = sid; *c; c++)
		if(*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	logon_forget(sid);
	core_logon_delete(api_write(r, logged_off), sid);
}

void em__logon_get(struct req *r)
{
	const char *mine = r->work;
	if(!mine || strcasecmp(mine, r->params[0])) {
		em__error(r, RC_NOTFOUND, 404, "no such logon session");
		return;
	}
	render_logon(r, r->who.user, mine, 200);
}


/* ---------- GET /api/logonSessions ---------- */

struct logons {
	struct req *r;
	struct em__out *o;
	const char *mine;          /* the caller's own logon, written first */
	int64_t uid;               /* a user whose credentials are checked below */
	int64_t gen;               /* …and that user's credential generation (-1: gone) */
};

/* Whether logon l still works: not idle or too old, its user's credentials unchanged. */
static int logon_live(struct logons *c, const struct logon_rec *l)
{
	int64_t now = c->r->now_us;
	if(l->last_us + LOGON_IDLE_US <= now || l->created_us + LOGON_MAX_AGE_US <= now)
		return 0;
	if(c->uid != l->uid) {
		struct user_rec u;
		c->uid = l->uid;
		c->gen = core_user_get_uid(l->uid, c->r->arena, &u) ? -1 : u.gen;
	}
	return c->gen == l->gen;
}

static int emit_logon(void *ctx, const struct logon_rec *l)
{
	struct logons *c = ctx;
	if(strcmp(l->sid, c->mine) && logon_live(c, l))
		logon_elem(c->r, c->o, l->user, l->sid);
	return 0;
}

/* The live logon sessions, the caller's own first, then newest first: an admin's answer
 * holds everyone's, anyone else's only their own. */
void em__logons(struct req *r)
{
	const char *mine = r->work;
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__list(&o, "LogonSessions", "LogonSessions", 0);
	logon_elem(r, &o, r->who.user, mine);
	struct logons c = {.r = r, .o = &o, .mine = mine, .uid = -1};
	enum rc rc = core_logon_list(r->who.role == ROLE_ADMIN ? 0 : r->who.uid, r->arena, emit_logon, &c);
	if(rc) {
		em__error(r, rc, 0, "cannot list the logon sessions");
		return;
	}
	em__list_end(&o);
}

/* ---------- GET /api/querySvc ---------- */

void em__query_svc(struct req *r)
{
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__open(&o, "QuerySvc");
	em__attr(&o, "Href", em__href(r, "/api/querySvc"));
	em__attr(&o, "Type", "QueryService");
	em__links(&o);
	em__link(&o, "Up", em__href(r, "/api/"), NULL, "EnterpriseManager");
	for(const char *const *t = em__query_types; *t; t++)
		em__link(&o, "Down", em__href(r, "/api/query?type=%s", *t), *t, "QueryResult");
	em__list_end(&o);
	em__close(&o);
}
