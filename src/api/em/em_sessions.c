/* Enterprise Manager sessions: backup, replica, file share, agent, restore and system
 * sessions, their collections, the stop action and system session events. */
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
#include "api/cache.h"

/* Where the task sessions of a session of family fam are listed. */
static const char *tasks_href(struct req *r, const struct sess_rec *s, int fam)
{
	return arena_printf(r->arena, "%s/%s", em__session_href(r, s, fam),
	                    em__families[fam].task_replica ? "replicaTaskSessions" : "taskSessions");
}

static const char *tasks_list_type(int fam)
{
	return em__families[fam].task_replica ? "ReplicaTaskSessionReferenceList" : "BackupTaskSessionReferenceList";
}

static void job_link(struct req *r, struct em__out *o, const struct sess_rec *s)
{
	char jid[UUID_STR_LEN + 1];
	uuid_format(&s->job_id, jid);
	em__link(o, "Up", em__href(r, "/api/jobs/%s", jid), em__job_name(s), "JobReference");
}

/* A session's reference: its server and job, its entity form, its task sessions (the
 * documented links and order); a system session links its events instead of a job. */
static void render_session_ref(struct req *r, struct em__out *o, const struct sess_rec *s, int root)
{
	int fam = em__fam_of(s->type);
	const char *ent = em__families[fam].entity;
	const char *h = em__session_href(r, s, fam), *name = em__session_name(r, s);
	em__open(o, root ? "EntityRef" : "Ref");
	em__attr(o, "UID", em__uid(r, ent, &s->id));
	em__attr(o, "Name", name);
	em__attr(o, "Href", h);
	em__attr(o, "Type", arena_printf(r->arena, "%sReference", ent));
	em__links(o);
	em__server_link(r, o, em__server_of(s));
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
	int fam = em__fam_of(s->type);
	const struct em__family *F = &em__families[fam];
	const char *h = em__session_href(r, s, fam);
	const char *name = em__session_name(r, s);
	em__entity_begin(r, o, F->entity, em__uid(r, F->entity, &s->id), name, h);
	em__server_link(r, o, em__server_of(s));
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
		em__str(o, "SessionType", catalog_type_em_name(s->type));
		em__time(o, "CreationTimeUTC", s->creation_us);
		if(s->end_us)
			em__time(o, "EndTimeUTC", s->end_us);
		em__str(o, "State", catalog_em_system_state(s->state, s->result));
		em__open(o, "Result");
		em__str(o, "Result", catalog_result_name(s->result));
		em__str(o, "Message", s->message);
		em__bool(o, "IsCanceled", s->is_canceled);
		em__close(o);
		em__close(o);
		return;
	}
	em__str(o, "JobUid", em__uid(r, "Job", &s->job_id));
	em__str(o, "JobName", em__job_name(s));
	em__str(o, "JobType", catalog_type_em_name(s->type));
	em__time(o, "CreationTimeUTC", s->creation_us);
	if(s->end_us)
		em__time(o, "EndTimeUTC", s->end_us);
	em__str(o, "State", catalog_em_state_name(s->state));
	em__str(o, "Result", catalog_result_name(s->result));
	em__int(o, "Progress", s->progress);
	em__str(o, "FailureMessage", s->result == RES_FAILED || s->result == RES_WARNING ? s->message : "");
	if(fam != EMF_RESTORE)
		em__bool(o, "IsRetry", s->is_retry);
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

void em__h_sessions(struct req *r)
{
	int fam = em__family_of_path(r->path);
	const struct qexpr *where = q_and(r->arena, em__types_where(r->arena, QF_TYPE, em__families[fam].listed),
	                                  q_int(r->arena, QF_CREATION, Q_GE, r->now_us - EM__DAYS30_US));
	em__send_collection(r, 0, where, em__families[fam].plural, NULL);
}

enum rc em__load_session(struct req *r, int fam, struct sess_rec *s)
{
	struct uuid id;
	if(em__path_uuid(r, 0, &id))
		return RC_INVALID;
	enum rc rc = core_session_get(&id, r->arena, s);
	if(!rc && !(em__families[fam].listed & EM__FAM(catalog_type_em_family(s->type))))
		rc = RC_NOTFOUND;
	if(rc)
		em__error(r, rc, 0, rc == RC_NOTFOUND ? "session not found in this collection" : "cannot read the session");
	return rc;
}

void em__h_session(struct req *r)
{
	int fam = em__family_of_path(r->path);
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
	if(em__load_session(r, fam, &s))
		return;
	em__out_begin(r, &o, 200);
	if(entity)
		render_session(r, &o, &s);
	else
		render_session_ref(r, &o, &s, 1);
	api_cache_put(key, usn, r->out.p, r->out.len);
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
	em__render_task_obj(r, &w->emtask, 202);
}

void em__h_session_action(struct req *r)
{
	int fam = em__family_of_path(r->path);
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
	if(em__load_session(r, fam, &s))
		return;
	core_session_stop_em(api_write(r, stop_done), &s.id, r->who.uid);
}

/* ---------- system session events ---------- */

static int emit_event(void *ctx, const struct log_rec *l)
{
	struct em__out *o = ctx;
	em__open(o, "SystemSessionEvent");
	em__int(o, "Id", l->id);
	em__str(o, "Status", catalog_log_status_name(l->status));
	em__str(o, "Title", l->title);
	em__str(o, "Description", l->description);
	em__time(o, "StartTimeUTC", l->start_us);
	em__time(o, "UpdateTimeUTC", l->update_us);
	em__close(o);
	return 0;
}

void em__h_system_events(struct req *r)
{
	struct sess_rec s;
	if(em__load_session(r, EMF_SYSTEM, &s))
		return;
	struct em__out o;
	em__out_begin(r, &o, 200);
	em__open(&o, "SystemSessionEvents");
	em__attr(&o, "Href", arena_printf(r->arena, "%s/events", em__session_href(r, &s, EMF_SYSTEM)));
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

