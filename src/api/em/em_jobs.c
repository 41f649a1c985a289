/* Enterprise Manager jobs. */
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

/* ---------- jobs, derived from sessions ---------- */

/* A job as its newest session of a job family shows it. */
static void render_job(struct req *r, struct em__out *o, const struct sess_rec *s, int entity, int root)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&s->job_id, id);
	const char *h = em__href(r, "/api/jobs/%s", id);
	const char *u = em__uid(r, "Job", &s->job_id);
	if(!entity) {
		em__render_ref(r, o, root, "Job", u, em__job_name(s), h, em__server_of(s));
		return;
	}
	int fam = catalog_type_em_family(s->type);
	em__entity_begin(r, o, "Job", u, em__job_name(s), h);
	em__server_link(r, o, em__server_of(s));
	em__link(o, "Alternate", h, em__job_name(s), "JobReference");
	if(fam != EMF_SYSTEM && fam != EMF_NONE) /* file share and agent jobs: their BackupJobSessions */
		em__link(o, "Down", em__href(r, "/api/query?type=%s&filter=JobUid==%s", em__families[fam].entity, u), NULL,
		         arena_printf(r->arena, "%sReferenceList", em__families[fam].entity));
	em__list_end(o);
	em__str(o, "JobType", catalog_type_em_name(s->type));
	if(s->platform_name && *s->platform_name)
		em__str(o, "Platform", s->platform_name);
	em__close(o);
}

int em__emit_job(void *ctx, const struct sess_rec *s)
{
	struct em__emit *e = ctx;
	if(EM__JOB_FAMILIES & EM__FAM(catalog_type_em_family(s->type)))
		render_job(e->r, e->o, s, e->entity, 0);
	return 0;
}

void em__h_jobs(struct req *r)
{
	struct em__out o;
	int entity = em__collection_begin(r, &o, "Jobs");
	if(entity < 0)
		return;
	struct em__emit e = {.r = r, .o = &o, .entity = entity};
	em__collection_end(r, &o, core_job_latest(r->arena, em__emit_job, &e), "cannot list jobs");
}

static int keep_first(void *ctx, const struct sess_rec *s)
{
	*(struct sess_rec *)ctx = *s;
	return 1;
}

void em__h_job(struct req *r)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || em__path_uuid(r, 0, &id))
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
void em__h_job_sessions(struct req *r)
{
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || em__path_uuid(r, 0, &id))
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
	em__send_collection(r, 0, q.where, em__families[em__fam_of(s.type)].plural, NULL);
}

