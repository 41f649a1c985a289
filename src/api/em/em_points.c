/* Enterprise Manager backups, restore points and discovered computers: estate objects of
 * kind backup, restorePoint and protectedObject (type Computer), with links up to the
 * backup server, the repository, the backup and the job they belong to. */
#include "api/em/em.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/estate.h"
#include "core/core.h"
#include "model/estate.h"
#include "util/timefmt.h"

/* Opens a reference element (Ref, EntityRef, or the Ref inside an entity) of type. */
static void ref_open(struct req *r, struct em__out *o, const char *elem, const char *type, const struct uuid *id,
                     const char *name, const char *h)
{
	em__open(o, elem);
	em__attr(o, "UID", em__uid(r, type, id));
	em__attr(o, "Name", name);
	em__attr(o, "Href", h);
	em__attr(o, "Type", arena_printf(r->arena, "%sReference", type));
}

static const char *href_of(struct req *r, const char *coll, const struct uuid *id)
{
	char s[UUID_STR_LEN + 1];
	uuid_format(id, s);
	return em__href(r, "/api/%s/%s", coll, s);
}

/* The job an object belongs to, as its links name it. */
struct job_ref {
	struct uuid id;
	const char *name;
};

/* The job of an object: its parent job, else the declared job named name, else the job of
 * session sid; 0 when none is known. Point reads only, so a long list stays cheap. */
static int job_of(struct req *r, const struct uuid *parent, const char *name, const struct uuid *sid,
                  struct job_ref *j)
{
	struct estate_rec e;
	struct sess_rec s;
	if((parent && !uuid_is_nil(parent) && !core_estate_get(EK_job, parent, r->arena, &e)) ||
	   (name && !core_estate_find(EK_job, name, r->arena, &e))) {
		*j = (struct job_ref){.id = e.id, .name = e.name};
		return 1;
	}
	if(sid && !uuid_is_nil(sid) && !core_session_get(sid, r->arena, &s)) {
		*j = (struct job_ref){.id = s.job_id, .name = em__job_name(&s)};
		return 1;
	}
	return 0;
}

int em__rows_add(void *ctx, const struct estate_rec *e)
{
	struct em__rows *s = ctx;
	if(s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		struct estate_rec *nv = arena_alloc(s->a, sizeof(*nv) * s->cap);
		if(s->n)
			memcpy(nv, s->v, sizeof(*nv) * s->n);
		s->v = nv;
	}
	s->v[s->n++] = *e;
	return 0;
}

static void job_link(struct req *r, struct em__out *o, const struct job_ref *j)
{
	em__link(o, "Up", href_of(r, "jobs", &j->id), j->name, "JobReference");
}

/* The Up link to the repository called name, when the estate has it. */
static void repository_link(struct req *r, struct em__out *o, const char *name)
{
	struct estate_rec e;
	if(name && !core_estate_find(EK_repository, name, r->arena, &e))
		em__link(o, "Up", href_of(r, "repositories", &e.id), e.name, "RepositoryReference");
}

/* ---------- backups ---------- */

/* A backup: links to its repository, the backup server, the job, its restore points; the
 * entity's Ref is its job (else the backup server), Platform as reported. */
void em__render_backup(struct req *r, struct em__out *o, const struct estate_rec *e, int entity, int root)
{
	const char *h = href_of(r, "backups", &e->id);
	json_t *p = estate_props(e);
	struct job_ref jr, *j = job_of(r, &e->parent_id, NULL, NULL, &jr) ? &jr : NULL;
	if(entity)
		em__entity_begin(r, o, "Backup", em__uid(r, "Backup", &e->id), e->name, h);
	else {
		ref_open(r, o, root ? "EntityRef" : "Ref", "Backup", &e->id, e->name, h);
		em__links(o);
	}
	repository_link(r, o, estate_pstr(p, "repository"));
	em__server_link(r, o, core_info()->server_name);
	if(j)
		job_link(r, o, j);
	if(entity)
		em__link(o, "Alternate", h, e->name, "BackupReference");
	else
		em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), e->name, "Backup");
	em__link(o, "Down", arena_printf(r->arena, "%s/restorePoints", h), NULL, "RestorePointReferenceList");
	em__list_end(o);
	if(entity) {
		if(j) {
			ref_open(r, o, "Ref", "Job", &j->id, j->name, href_of(r, "jobs", &j->id));
		} else {
			struct uuid su;
			em_server_uuid(core_info()->server_name, &su);
			ref_open(r, o, "Ref", "BackupServer", &su, core_info()->server_name, href_of(r, "backupServers", &su));
		}
		em__close(o);
		const char *platform = estate_pstr(p, "platform");
		if(platform)
			em__str(o, "Platform", platform);
	}
	em__close(o);
	json_decref(p);
}

/* ---------- restore points ---------- */

/* A restore point: links to its backup, the backup server, its job; the entity's Ref is
 * its backup (else its job, else the backup server), BackupDateUTC its time. */
void em__render_restore_point(struct req *r, struct em__out *o, const struct estate_rec *e, int entity, int root)
{
	const char *h = href_of(r, "restorePoints", &e->id);
	json_t *p = estate_props(e);
	struct estate_rec b;
	int has_backup = !uuid_is_nil(&e->parent_id) && !core_estate_get(EK_backup, &e->parent_id, r->arena, &b);
	struct uuid sid;
	const char *sids = estate_pstr(p, "sessionId");
	int has_sid = sids && !uuid_parse(sids, strlen(sids), &sid);
	struct job_ref jr, *j = job_of(r, has_backup ? &b.parent_id : NULL, estate_pstr(p, "job"),
	                               has_sid ? &sid : NULL, &jr) ? &jr : NULL;
	if(entity)
		em__entity_begin(r, o, "RestorePoint", em__uid(r, "RestorePoint", &e->id), e->name, h);
	else {
		ref_open(r, o, root ? "EntityRef" : "Ref", "RestorePoint", &e->id, e->name, h);
		em__links(o);
	}
	if(has_backup)
		em__link(o, "Up", href_of(r, "backups", &b.id), b.name, "BackupReference");
	em__server_link(r, o, core_info()->server_name);
	if(j)
		job_link(r, o, j);
	if(entity)
		em__link(o, "Alternate", h, e->name, "RestorePointReference");
	else
		em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), e->name, "RestorePoint");
	em__list_end(o);
	if(entity) {
		if(has_backup)
			ref_open(r, o, "Ref", "Backup", &b.id, b.name, href_of(r, "backups", &b.id));
		else if(j)
			ref_open(r, o, "Ref", "Job", &j->id, j->name, href_of(r, "jobs", &j->id));
		else {
			struct uuid su;
			em_server_uuid(core_info()->server_name, &su);
			ref_open(r, o, "Ref", "BackupServer", &su, core_info()->server_name, href_of(r, "backupServers", &su));
		}
		em__close(o);
		const char *t = estate_pstr(p, "time");   /* required at ingest, checked there */
		int64_t us = 0;
		if(t)
			time_parse(t, strlen(t), &us);
		em__time(o, "BackupDateUTC", us);
	}
	em__close(o);
	json_decref(p);
}

/* ---------- discovered computers ---------- */

static int is_computer(const struct estate_rec *e)
{
	json_t *p = estate_props(e);
	const char *type = estate_pstr(p, "type");
	int yes = type && !strcasecmp(type, "Computer");
	json_decref(p);
	return yes;
}

/* A protected computer: its backup server and its other form; nothing else is reported. */
static void render_computer(struct req *r, struct em__out *o, const struct estate_rec *e, int entity, int root)
{
	const char *h = href_of(r, "agents/discoveredComputers", &e->id);
	if(entity)
		em__entity_begin(r, o, "DiscoveredComputer", em__uid(r, "DiscoveredComputer", &e->id), e->name, h);
	else {
		ref_open(r, o, root ? "EntityRef" : "Ref", "DiscoveredComputer", &e->id, e->name, h);
		em__links(o);
	}
	em__server_link(r, o, core_info()->server_name);
	if(entity)
		em__link(o, "Alternate", h, e->name, "DiscoveredComputerReference");
	else
		em__link(o, "Alternate", arena_printf(r->arena, "%s?format=Entity", h), e->name, "DiscoveredComputer");
	em__list_end(o);
	em__close(o);
}

/* ---------- the collections ---------- */

/* Whether backup e is in the repository called repository (NULL: any). */
static int in_repository(const struct estate_rec *e, const char *repository)
{
	if(!repository)
		return 1;
	json_t *p = estate_props(e);
	const char *repo = estate_pstr(p, "repository");
	int in = repo && !strcasecmp(repo, repository);
	json_decref(p);
	return in;
}

static void send_list(struct req *r, int kind, const struct uuid *parent, const char *repository)
{
	static const struct {
		int kind;
		const char *plural, *what;
	} names[] = {
		{EK_backup, "Backups", "cannot list backups"},
		{EK_restorePoint, "RestorePoints", "cannot list restore points"},
		{EK_protectedObject, "DiscoveredComputers", "cannot list discovered computers"},
	};
	size_t i = 0;
	while(names[i].kind != kind)
		i++;
	if(em__check_format(r, "format", "References", "Entity"))
		return;
	struct em__rows rows = {.a = r->arena};
	struct estate_query q = {.kind = kind, .after_usn = -1};
	if(parent)
		q.parent_id = *parent;
	enum rc rc = core_estate_list(&q, r->arena, em__rows_add, &rows, NULL);
	if(rc) {
		em__error(r, rc, 0, names[i].what);
		return;
	}
	struct em__out o;
	int entity = em__collection_begin(r, &o, names[i].plural);
	for(size_t k = 0; k < rows.n; k++) {
		const struct estate_rec *e = &rows.v[k];
		if(kind == EK_backup && in_repository(e, repository))
			em__render_backup(r, &o, e, entity, 0);
		else if(kind == EK_restorePoint)
			em__render_restore_point(r, &o, e, entity, 0);
		else if(kind == EK_protectedObject && is_computer(e))
			render_computer(r, &o, e, entity, 0);
	}
	em__list_end(&o);
}

void em__h_backups(struct req *r) { send_list(r, EK_backup, NULL, NULL); }
void em__h_restore_points(struct req *r) { send_list(r, EK_restorePoint, NULL, NULL); }
void em__h_computers(struct req *r) { send_list(r, EK_protectedObject, NULL, NULL); }

/* GET /api/repositories/{id}/backups: the backups reported in that repository (by name). */
void em__h_repository_backups(struct req *r)
{
	struct estate_rec e;
	if(!em__load_estate(r, EK_repository, &e, "repository"))
		send_list(r, EK_backup, NULL, e.name);
}

/* GET /api/backups/{id}/restorePoints: the restore points whose parent is the backup. */
void em__h_backup_points(struct req *r)
{
	struct estate_rec e;
	if(!em__load_estate(r, EK_backup, &e, "backup"))
		send_list(r, EK_restorePoint, &e.id, NULL);
}

void em__h_backup(struct req *r)
{
	struct estate_rec e;
	if(em__load_estate(r, EK_backup, &e, "backup"))
		return;
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__render_backup(r, &o, &e, em__format_entity(r, "format", "Entity"), 1);
}

void em__h_restore_point(struct req *r)
{
	struct estate_rec e;
	if(em__load_estate(r, EK_restorePoint, &e, "restore point"))
		return;
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__render_restore_point(r, &o, &e, em__format_entity(r, "format", "Entity"), 1);
}

void em__h_computer(struct req *r)
{
	struct estate_rec e;
	if(em__load_estate(r, EK_protectedObject, &e, "discovered computer"))
		return;
	if(!is_computer(&e)) {
		em__error(r, RC_NOTFOUND, 404, "discovered computer not found");
		return;
	}
	struct em__out o;
	em__out_begin(r, &o, 200);
	render_computer(r, &o, &e, em__format_entity(r, "format", "Entity"), 1);
}
