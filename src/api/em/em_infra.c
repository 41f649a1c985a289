/* Enterprise Manager backup infrastructure: the backup servers (sessiond itself, the
 * servers sessions name, the backupServer objects reporters gave) and the repositories. */
#include "api/em/em.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/core.h"
#include "model/catalog.h"
#include "model/query.h"
#include "util/jw.h"
#include "util/timefmt.h"
#include "util/xw.h"
#include "api/estate.h"
#include "model/estate.h"
#include <sodium.h>

/* ---------- backup servers ---------- */

static void add_server(struct em__servers *v, const char *name)
{
	for(int i = 0; i < v->n; i++)
		if(!strcmp(v->names[i], name))
			return;
	if(v->n == v->cap) {
		int cap = v->cap ? 2 * v->cap : 16;
		const char **nn = arena_alloc(v->a, sizeof(*nn) * (size_t)cap);
		if(v->n)
			memcpy(nn, v->names, sizeof(*nn) * (size_t)v->n);
		v->names = nn;
		v->cap = cap;
	}
	v->names[v->n++] = arena_strdup(v->a, name);
}

static int collect_server(void *ctx, const struct sess_rec *s)
{
	add_server(ctx, em__server_of(s));
	return 0;
}

static int collect_reported(void *ctx, const struct estate_rec *e)
{
	add_server(ctx, e->name);
	return 0;
}

enum rc em__servers_list(struct arena *a, struct em__servers *v)
{
	memset(v, 0, sizeof(*v));
	v->a = a;
	add_server(v, core_info()->server_name);
	enum rc rc = core_job_latest(a, collect_server, v);
	struct estate_query q = {.kind = EK_backupServer, .after_usn = -1};
	if(!rc)
		rc = core_estate_list(&q, a, collect_reported, v, NULL);
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

const char *em__server_check(struct req *r, const struct uuid *id)
{
	struct em__servers v;
	enum rc rc = em__servers_list(r->arena, &v);
	const char *name = rc ? NULL : em__server_by_uuid(&v, id);
	if(!rc && !name)
		rc = RC_NOTFOUND;
	if(rc) {
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "backup server not found" : "cannot list backup servers");
		return NULL;
	}
	return name;
}

/* Whether s is a VersionType (digits, two to four parts). */
static int is_version(const char *s)
{
	int parts = 0;
	while(*s) {
		if(*s < '0' || *s > '9')
			return 0;
		while(*s >= '0' && *s <= '9')
			s++;
		parts++;
		if(*s == '.' && s[1])
			s++;
		else if(*s)
			return 0;
	}
	return parts >= 2 && parts <= 4;
}

/* A backup server: its reference, or its entity with what a reporter gave (docs/ESTATE.md:
 * sessiond itself shows the Veeam build it speaks; others show neutral values). */
static void render_server(struct req *r, struct em__out *o, const char *name, int entity, int root)
{
	struct uuid su;
	em_server_uuid(name, &su);
	char id[UUID_STR_LEN + 1];
	uuid_format(&su, id);
	const char *h = em__href(r, "/api/backupServers/%s", id);
	if(!entity) {   /* the documented reference links, of those sessiond serves */
		em__open(o, root ? "EntityRef" : "Ref");
		em__attr(o, "UID", em__uid(r, "BackupServer", &su));
		em__attr(o, "Name", name);
		em__attr(o, "Href", h);
		em__attr(o, "Type", "BackupServerReference");
		em__links(o);
		em__link(o, "Down", arena_printf(r->arena, "%s/jobs", h), NULL, "JobReferenceList");
		em__link(o, "Down", arena_printf(r->arena, "%s/repositories", h), NULL, "RepositoryReferenceList");
		em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), name, "BackupServer");
		em__list_end(o);
		em__close(o);
		return;
	}
	int self = !strcmp(name, core_info()->server_name);
	struct estate_rec e;
	json_t *p = core_estate_find(EK_backupServer, name, r->arena, &e) ? json_object() : estate_props(&e);
	em__entity_begin(r, o, "BackupServer", em__uid(r, "BackupServer", &su), name, h);
	em__link(o, "Alternate", h, name, "BackupServerReference");
	em__link(o, "Down", arena_printf(r->arena, "%s/jobs", h), NULL, "JobReferenceList");
	em__link(o, "Down", arena_printf(r->arena, "%s/repositories", h), NULL, "RepositoryReferenceList");
	em__link(o, "Down", em__href(r, "/api/query?type=BackupJobSession&filter=BackupServerUid==%s",
	                             em__uid(r, "BackupServer", &su)), NULL, "BackupJobSessionReferenceList");
	em__list_end(o);
	const char *desc = estate_pstr(p, "description"), *ver = estate_pstr(p, "version");
	em__str(o, "Description", desc ? desc : self ? "sessiond: sessions reported from this server" : "");
	em__int(o, "Port", estate_pint(p, "port", self ? EM__SELF_PORT : 0));
	em__str(o, "Version", ver && is_version(ver) ? ver : self ? EM__SELF_VERSION : "0.0");
	em__close(o);
	json_decref(p);
}

void em__h_servers(struct req *r)
{
	struct em__out o;
	int entity = em__collection_begin(r, &o, "BackupServers");
	if(entity < 0)
		return;
	struct em__servers v;
	enum rc rc = em__servers_list(r->arena, &v);
	for(int i = 0; !rc && i < v.n; i++)
		render_server(r, &o, v.names[i], entity, 0);
	em__collection_end(r, &o, rc, "cannot list backup servers");
}

void em__h_server(struct req *r)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || em__path_uuid(r, 0, &id))
		return;
	const char *name = em__server_check(r, &id);
	if(!name)
		return;
	struct em__out o;
	em__out_begin(r, &o, 200);
	render_server(r, &o, name, em__format_entity(r, "format", "Entity"), 1);
}

/* ---------- repositories (estate objects of kind repository) ---------- */

void em__render_repository(struct req *r, struct em__out *o, const struct estate_rec *e, int entity, int root)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&e->id, id);
	const char *h = em__href(r, "/api/repositories/%s", id);
	const char *u = em__uid(r, "Repository", &e->id);
	if(entity) {
		em__entity_begin(r, o, "Repository", u, e->name, h);
	} else {
		em__open(o, root ? "EntityRef" : "Ref");
		em__attr(o, "UID", u);
		em__attr(o, "Name", e->name);
		em__attr(o, "Href", h);
		em__attr(o, "Type", "RepositoryReference");
		em__links(o);
	}
	em__server_link(r, o, core_info()->server_name);
	if(entity)
		em__link(o, "Alternate", h, e->name, "RepositoryReference");
	else
		em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), e->name, "Repository");
	em__link(o, "Down", arena_printf(r->arena, "%s/backups", h), NULL, "BackupReferenceList");
	em__list_end(o);
	if(entity) {
		json_t *p = estate_props(e);
		em__int(o, "Capacity", estate_pint(p, "capacityBytes", 0));
		em__int(o, "FreeSpace", estate_pint(p, "freeBytes", 0));
		json_decref(p);
	}
	em__close(o);
}

static int emit_repository(void *ctx, const struct estate_rec *e)
{
	struct em__emit *x = ctx;
	em__render_repository(x->r, x->o, e, x->entity, 0);
	return 0;
}

/* GET /api/repositories, and a backup server's: sessiond holds every reported repository,
 * so they are its own; another server has none. */
void em__h_repositories(struct req *r)
{
	int of_server = r->nparams > 0;
	if(of_server) {
		struct uuid id;
		const char *name;
		if(em__path_uuid(r, 0, &id) || !(name = em__server_check(r, &id)))
			return;
		if(strcmp(name, core_info()->server_name)) {
			struct em__out o;
			if(em__collection_begin(r, &o, "Repositories") >= 0)
				em__list_end(&o);
			return;
		}
	}
	struct em__out o;
	int entity = em__collection_begin(r, &o, "Repositories");
	if(entity < 0)
		return;
	struct em__emit x = {.r = r, .o = &o, .entity = entity};
	struct estate_query q = {.kind = EK_repository, .after_usn = -1};
	em__collection_end(r, &o, core_estate_list(&q, r->arena, emit_repository, &x, NULL), "cannot list repositories");
}

int em__load_estate(struct req *r, int kind, struct estate_rec *e, const char *what)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || em__path_uuid(r, 0, &id))
		return -1;
	enum rc rc = core_estate_get(kind, &id, r->arena, e);
	if(rc) {
		em__error(r, rc, 0, rc == RC_NOTFOUND ? arena_printf(r->arena, "%s not found", what)
		                                      : arena_printf(r->arena, "cannot read the %s", what));
		return -1;
	}
	return 0;
}

void em__h_repository(struct req *r)
{
	struct estate_rec e;
	if(em__load_estate(r, EK_repository, &e, "repository"))
		return;
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__render_repository(r, &o, &e, em__format_entity(r, "format", "Entity"), 1);
}
