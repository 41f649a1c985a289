/* Enterprise Manager task sessions (backup and replica) and the tasks a stop answers
 * with (/api/tasks). */
#include "api/em/em.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/core.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "model/query.h"
#include "util/jw.h"
#include "util/timefmt.h"
#include "util/xw.h"

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
	em__render_ref(r, o, root, ent, em__uid(r, ent, &t->id), t->name, task_href(r, t), NULL);
}

/* A task session entity; parent is its session (NULL when it is gone): the documented
 * links are its backup server, its session (with the session's Name), its reference. */
static void render_task(struct req *r, struct em__out *o, const struct task_rec *t, const struct sess_rec *parent)
{
	const char *ent = task_entity(t);
	const char *h = task_href(r, t);
	int fam = em__fam_of(t->session_type);
	em__open(o, ent);
	em__attr(o, "Href", arena_printf(r->arena, "%s?format=Entity", h));
	em__attr(o, "Type", ent);
	em__attr(o, "Name", t->name);
	em__attr(o, "UID", em__uid(r, ent, &t->id));
	em__attr(o, "VmDisplayName", t->name);
	em__links(o);
	if(parent) {
		em__server_link(r, o, em__server_of(parent));
		em__link(o, "Up", em__session_href(r, parent, fam), em__session_name(r, parent),
		         arena_printf(r->arena, "%sReference", em__families[fam].entity));
	} else {
		char sid[UUID_STR_LEN + 1];
		uuid_format(&t->session_id, sid);
		em__link(o, "Up", em__href(r, "/api/%s/%s", em__families[fam].path, sid), NULL,
		         arena_printf(r->arena, "%sReference", em__families[fam].entity));
	}
	em__link(o, "Alternate", h, t->name, arena_printf(r->arena, "%sReference", ent));
	struct estate_rec rp;   /* the restore point the task made, when the estate has it */
	if(!uuid_is_nil(&t->restore_point_id) && !core_estate_get(EK_restorePoint, &t->restore_point_id, r->arena, &rp)) {
		char rid[UUID_STR_LEN + 1];
		uuid_format(&rp.id, rid);
		em__link(o, "Related", em__href(r, "/api/restorePoints/%s?format=Entity", rid), rp.name, "RestorePoint");
	}
	em__list_end(o);
	em__str(o, "JobSessionUid", em__uid(r, em__families[fam].entity, &t->session_id));
	em__time(o, "CreationTimeUTC", t->creation_us);
	if(t->end_us)
		em__time(o, "EndTimeUTC", t->end_us);
	em__str(o, "State", catalog_em_task_state_name(t->state));
	em__str(o, "Result", catalog_result_name(t->result));
	em__str(o, "Reason", t->reason ? t->reason : t->message);
	em__int(o, "TotalSize", t->total_size);
	em__close(o);
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

void em__h_session_tasks(struct req *r)
{
	int fam = em__family_of_path(r->path);
	struct sess_rec *s = arena_zalloc(r->arena, sizeof(*s));
	if(em__load_session(r, fam, s))
		return;
	/* /taskSessions of a replica session and /replicaTaskSessions of a backup session: not there */
	int replica_path = strstr(r->path, "/replicaTaskSessions") != NULL;
	int replica = em__families[em__fam_of(s->type)].task_replica;
	if(replica_path && !replica) {
		em__error(r, RC_NOTFOUND, 404, "a backup session has taskSessions, not replicaTaskSessions");
		return;
	}
	em__send_collection(r, 1, q_uuid(r->arena, QF_SESSION_ID, Q_EQ, &s->id),
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
	em__str(o, "TaskId", arena_printf(r->arena, "task-%lld", (long long)t->id));
	em__str(o, "State", EM__TASK_STATE);
	em__str(o, "Operation", EM__TASK_OPERATION);
	em__open(o, "Result");
	em__attr_bool(o, "Success", t->success);
	if(!t->success)
		em__str(o, "Message", t->message && *t->message ? t->message : "the session cannot be stopped");
	em__close(o);
	em__close(o);
}

void em__render_task_obj(struct req *r, const struct emtask_rec *t, int status)
{
	struct em__out o;
	em__out_begin(r, &o, status);
	em__task_obj(r, &o, t);
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

void em__h_task_get(struct req *r)
{
	struct emtask_rec t;
	if(!load_task(r, &t))
		em__render_task_obj(r, &t, 200);
}

static int emit_listed_task(void *ctx, const struct emtask_rec *t)
{
	struct em__emit *e = ctx;
	em__task_obj(e->r, e->o, t);
	return 0;
}

/* GET /api/tasks: the caller's tasks, newest first (EM keeps them per logon session;
 * sessiond keeps them per user, stored, so they outlive a restart). */
void em__h_task_list(struct req *r)
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

void em__h_task_delete(struct req *r)
{
	struct emtask_rec t;
	if(!load_task(r, &t))
		core_emtask_del(api_write(r, task_deleted), t.id);
}

/* ---------- task session collections ---------- */

static int is_replica_task_path(const char *path) { return !strncmp(path, "/api/replicaTaskSessions", 24); }

void em__h_tasks(struct req *r)
{
	int replica = is_replica_task_path(r->path);
	const struct qexpr *where = q_and(r->arena, em__types_where(r->arena, QF_SESSION_TYPE, em__task_families(replica)),
	                                  q_int(r->arena, QF_CREATION, Q_GE, r->now_us - EM__DAYS30_US));
	em__send_collection(r, 1, where, replica ? "ReplicaTaskSessions" : "BackupTaskSessions", NULL);
}

void em__h_task(struct req *r)
{
	int replica = is_replica_task_path(r->path);
	struct uuid id;
	if(em__check_format(r, "format", "References", "Entity") || em__path_uuid(r, 0, &id))
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

