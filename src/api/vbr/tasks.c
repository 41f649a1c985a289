/* VBR dialect: task sessions (1.2 and later). */
#include "api/vbr/vbr_int.h"

#include <stdlib.h>
#include <strings.h>

/* ---------- task sessions (1.2 and later) ---------- */

int tasks_available(struct req *r)
{
	return vbr__available(r, VBR_12, "task sessions are");
}

static const struct vbr__order_name task_orders[] = {
	{"Name", QO_NAME, VBR_12}, {"Type", QO_TASK_TYPE, VBR_12}, {"SessionType", QO_SESSION_TYPE, VBR_12},
	{"CreationTime", QO_CREATION, VBR_12}, {"EndTime", QO_END, VBR_12}, {"State", QO_STATE, VBR_12},
	{"Result", QO_RESULT, VBR_12}, {"ScanState", QO_STATE, VBR_12}, {"ScanResult", QO_RESULT, VBR_12},
	{NULL, 0, 0},
};

/* The antivirus scan fields of a task session are derived from it (vbr_render_task): scanType
 * is Antivirus, scanResult Canceled when canceled, else None/Clean/Inconclusive/Infected by
 * result, scanState Finished once stopped, else InProgress. The scan filters select exactly the
 * antivirus task sessions that show the value asked for; a value never shown matches nothing. */
enum scan_match { SCAN_NEVER, SCAN_ANY, SCAN_RESULT, SCAN_CANCELED, SCAN_STOPPED, SCAN_RUNNING };
struct scan_value {
	const char *name;
	enum scan_match match;
	int result;                 /* SCAN_RESULT */
};
static const struct scan_value scan_types[] = {{"Antivirus", SCAN_ANY, 0}, {"Yara", SCAN_NEVER, 0}, {NULL, 0, 0}};
static const struct scan_value scan_results[] = {
	{"None", SCAN_RESULT, RES_NONE}, {"Clean", SCAN_RESULT, RES_SUCCESS}, {"Inconclusive", SCAN_RESULT, RES_WARNING},
	{"Infected", SCAN_RESULT, RES_FAILED}, {"Canceled", SCAN_CANCELED, 0}, {"Failed", SCAN_NEVER, 0}, {NULL, 0, 0},
};
static const struct scan_value scan_states[] = {
	{"NotStarted", SCAN_NEVER, 0}, {"InProgress", SCAN_RUNNING, 0}, {"Finished", SCAN_STOPPED, 0}, {NULL, 0, 0},
};

static enum rc q_scan(struct req *r, const char *name, const struct scan_value *values, const struct qexpr **where)
{
	const char *v = req_query(r, name);
	if(!v)
		return RC_OK;
	const struct scan_value *sv = values;
	while(sv->name && strcasecmp(sv->name, v))
		sv++;
	if(!sv->name)
		return vbr__bad(r, "query parameter %s has an unknown value", name);
	struct arena *a = r->arena;
	const struct qexpr *e = q_int(a, QF_TASK_TYPE, Q_EQ, TT_ANTIVIRUS);
	switch(sv->match) {
	case SCAN_NEVER: e = q_int(a, QF_TASK_TYPE, Q_EQ, -1); break;
	case SCAN_ANY: break;
	case SCAN_RESULT:
		e = q_and(a, e, q_and(a, q_int(a, QF_RESULT, Q_EQ, sv->result), q_int(a, QF_IS_CANCELED, Q_EQ, 0)));
		break;
	case SCAN_CANCELED: e = q_and(a, e, q_int(a, QF_IS_CANCELED, Q_EQ, 1)); break;
	case SCAN_STOPPED: e = q_and(a, e, q_int(a, QF_STATE, Q_EQ, ST_STOPPED)); break;
	case SCAN_RUNNING: e = q_and(a, e, q_running(a, QF_STATE)); break;
	}
	*where = q_and(a, *where, e);
	return RC_OK;
}

static void list_tasks(struct req *r, const struct uuid *session)
{
	struct query q = {.order = QO_CREATION, .want_total = 1};
	const struct qexpr *where = session ? q_uuid(r->arena, QF_SESSION_ID, Q_EQ, session) : NULL;
	if(vbr__q_page(r, &q) || vbr__q_order(r, task_orders, &q) || vbr__q_common(r, &q, &where) ||
	   vbr__q_enum(r, "typeFilter", QF_TASK_TYPE, 0, vbr__match_task_type, &where) ||
	   vbr__q_enum(r, "sessionTypeFilter", QF_SESSION_TYPE, 0, vbr__match_type, &where) ||
	   vbr__q_uuidf(r, "sessionIdFilter", QF_SESSION_ID, &where) || q_scan(r, "scanTypeFilter", scan_types, &where) ||
	   q_scan(r, "scanResultFilter", scan_results, &where) || q_scan(r, "scanStateFilter", scan_states, &where))
		return;
	/* a session's task sessions have a default limit (200) only from 1.3-rev1 on: 1.3-rev0 defines
	 * none there, so all of them come (up to VBR_LIST_MAX), as in 1.2 */
	if(session && r->version < VBR_V13R1 && !req_query(r, "limit"))
		q.limit = VBR_LIST_MAX;
	q.where = where;
	vbr__answer_list(r, &q, 1, session ? NULL : vbr__h_tasks);
}

void vbr__h_tasks(struct req *r)
{
	if(tasks_available(r))
		list_tasks(r, NULL);
}

void vbr__h_session_tasks(struct req *r)
{
	struct uuid id;
	if(!tasks_available(r) || vbr_path_uuid(r, 0, &id))
		return;
	struct sess_rec s;
	enum rc rc = core_session_get(&id, r->arena, &s);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "session not found" : "cannot read the session");
		return;
	}
	list_tasks(r, &id);
}

void vbr__h_task(struct req *r)
{
	struct uuid id;
	if(!tasks_available(r) || vbr_path_uuid(r, 0, &id))
		return;
	struct task_rec t;
	enum rc rc = core_task_get(&id, r->arena, &t);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "task session not found" : "cannot read the task session");
		return;
	}
	struct jw w;
	vbr_json(r, 200, &w);
	vbr_render_task(&w, &t, r->version, NULL);
}

void vbr__h_task_logs(struct req *r)
{
	struct uuid id;
	if(!tasks_available(r) || vbr_path_uuid(r, 0, &id))
		return;
	int64_t mark = core_usn();
	struct task_rec t;
	enum rc rc = core_task_get(&id, r->arena, &t);
	if(rc) {
		vbr_error(r, rc, 0, rc == RC_NOTFOUND ? "task session not found" : "cannot read the task session");
		return;
	}
	const char *uv = req_query(r, "usnGreaterThan");
	if(vbr__long_poll(r, !uv || t.usn > strtoll(uv, NULL, 10), mark, vbr__h_task_logs))
		return;
	vbr__render_logs(r, &id);
}
