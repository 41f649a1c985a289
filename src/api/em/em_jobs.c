/* Enterprise Manager jobs: /api/jobs, /api/nas/jobs and a backup server's jobs, each
 * job as core/jobs.h sees it (declared in the estate and/or seen in sessions). */
#include "api/em/em.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/core.h"
#include "core/jobs.h"
#include "model/catalog.h"
#include "model/query.h"

int em__job_shown(const struct job_view *j)
{
	int fam = catalog_type_em_family(j->type);
	return (EM__JOB_FAMILIES & EM__FAM(fam)) || (j->declared && fam == EMF_NONE);
}

const char *em__job_server(const struct job_view *j)
{
	return j->has_last ? em__server_of(&j->last) : core_info()->server_name;
}

/* The job id its sessions carry (a declared job joined by name keeps its own id). */
static const struct uuid *sessions_job_id(const struct job_view *j)
{
	return j->has_last ? &j->last.job_id : &j->id;
}

/* A job: its backup server, its reference or entity form, its sessions. File share jobs
 * (nas) live under /api/nas/jobs as NASJob, without JobType (the documented shape). */
static void render_job(struct req *r, struct em__out *o, const struct job_view *j, int entity, int root, int nas)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&j->id, id);
	const char *h = em__href(r, nas ? "/api/nas/jobs/%s" : "/api/jobs/%s", id);
	const char *type = nas ? "NasJob" : "Job";
	const char *u = em__uid(r, type, &j->id);
	const char *server = em__job_server(j);
	if(!entity) {
		em__render_ref(r, o, root, type, u, j->name, h, server);
		return;
	}
	em__open(o, nas ? "NASJob" : "Job");
	em__attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	em__attr(o, "Type", type);
	em__attr(o, "Name", j->name);
	em__attr(o, "UID", u);
	em__links(o);
	em__server_link(r, o, server);
	em__link(o, "Alternate", h, j->name, arena_printf(r->arena, "%sReference", type));
	int fam = em__fam_of(j->type);
	em__link(o, "Down", arena_printf(r->arena, "%s/backupSessions", h), NULL,
	         arena_printf(r->arena, "%sReferenceList", em__families[fam].entity));
	em__list_end(o);
	if(!nas)
		em__str(o, "JobType", catalog_type_em_name(j->type));
	if(!nas && j->has_last && j->last.platform_name && *j->last.platform_name)
		em__str(o, "Platform", j->last.platform_name);
	if(j->description)
		em__str(o, "Description", j->description);
	if(j->declared) {
		em__bool(o, "ScheduleConfigured", j->schedule != NULL);
		em__bool(o, "ScheduleEnabled", j->schedule != NULL && !j->disabled);
	}
	if(j->next_run_us > 0)
		em__time(o, "NextRun", j->next_run_us);
	em__close(o);
}

int em__emit_job(void *ctx, const struct job_view *j)
{
	struct em__emit *e = ctx;
	if(em__job_shown(j))
		render_job(e->r, e->o, j, e->entity, 0, 0);
	return 0;
}

/* A list of jobs, filtered by the path: every job, the file share jobs, or the jobs of
 * one backup server. */
struct job_list {
	struct em__emit e;
	int nas;                    /* file share jobs only, rendered as such */
	int by_server;
	struct uuid server;         /* by_server: the backup server's uid */
};

static int emit_listed(void *ctx, const struct job_view *j)
{
	struct job_list *l = ctx;
	if(!em__job_shown(j) || (l->nas && catalog_type_em_family(j->type) != EMF_NAS))
		return 0;
	if(l->by_server) {
		struct uuid su;
		em_server_uuid(em__job_server(j), &su);
		if(!uuid_eq(&su, &l->server))
			return 0;
	}
	render_job(l->e.r, l->e.o, j, l->e.entity, 0, l->nas);
	return 0;
}

static void send_jobs(struct req *r, struct job_list *l)
{
	struct em__out o;
	int entity = em__collection_begin(r, &o, l->nas ? "NASJobs" : "Jobs");
	if(entity < 0)
		return;
	l->e = (struct em__emit){.r = r, .o = &o, .entity = entity};
	em__collection_end(r, &o, core_jobs(r->arena, emit_listed, l), "cannot list jobs");
}

void em__h_jobs(struct req *r)
{
	struct job_list l = {.nas = !strncmp(r->path, "/api/nas/", 9)};
	send_jobs(r, &l);
}

/* GET /api/backupServers/{id}/jobs: references only, as documented (JobReferenceList). */
void em__h_server_jobs(struct req *r)
{
	struct job_list l = {.by_server = 1};
	if(em__path_uuid(r, 0, &l.server) || !em__server_check(r, &l.server))
		return;
	send_jobs(r, &l);
}

/* The job named in the path, shown in this dialect (a file share job under /nas/); else answered. */
static int load_job(struct req *r, struct job_view *j, int nas)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || em__path_uuid(r, 0, &id))
		return -1;
	enum rc rc = core_job_get(&id, r->arena, j);
	if(!rc && (!em__job_shown(j) || (nas && catalog_type_em_family(j->type) != EMF_NAS)))
		rc = RC_NOTFOUND;
	if(rc) {
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "job not found" : "cannot read the job");
		return -1;
	}
	return 0;
}

void em__h_job(struct req *r)
{
	int nas = !strncmp(r->path, "/api/nas/", 9);
	struct job_view j;
	if(load_job(r, &j, nas))
		return;
	struct em__out o;
	em__out_begin(r, &o, 200);
	render_job(r, &o, &j, em__format_entity(r, "format", "Entity"), 1, nas);
}

/* The job's sessions (GET /api/jobs/{id}/backupSessions): all of them, newest first, as
 * EntityReferences or, with ?format=Entity, as the entities of the job's kind; a job
 * that never ran has none. */
void em__h_job_sessions(struct req *r)
{
	int nas = !strncmp(r->path, "/api/nas/", 9);
	struct job_view j;
	if(load_job(r, &j, nas))
		return;
	const struct qexpr *where = q_and(r->arena, q_uuid(r->arena, QF_JOB_ID, Q_EQ, sessions_job_id(&j)),
	                                  em__types_where(r->arena, QF_TYPE, EM__JOB_FAMILIES));
	em__send_collection(r, 0, where, em__families[em__fam_of(j.type)].plural, NULL);
}

