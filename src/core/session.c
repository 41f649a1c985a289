#include "session.h"

#include <stdio.h>
#include <string.h>

#include "model/catalog.h"
#include "model/estate.h"

static int is_running(int st)
{
	return st != ST_STOPPED;
}

int session_transition_ok(int from, int to)
{
	if(from == to)
		return from != ST_STOPPED;
	if(from == ST_STOPPED || to == ST_STOPPED || to == ST_STARTING)
		return 0;               /* final; Stopped only through complete; never back to Starting */
	if(from == ST_STOPPING)
		return 0;               /* only complete follows a stop */
	return to >= 0 && to < ST__COUNT;
}

static enum rc check_progress(int p, char *err, size_t errlen)
{
	if(p < 0 || p > 100) {
		snprintf(err, errlen, "progressPercent must be between 0 and 100");
		return RC_INVALID;
	}
	return RC_OK;
}

enum rc session_prepare_new(struct sess_rec *r, int64_t now_us, char *err, size_t errlen)
{
	if(!r->name || !r->name[0]) {
		snprintf(err, errlen, "name is required");
		return RC_INVALID;
	}
	if(strlen(r->name) > 1024) {
		snprintf(err, errlen, "name is longer than 1024 bytes");
		return RC_INVALID;
	}
	if(!catalog_type_valid(r->type)) {
		snprintf(err, errlen, "sessionType is not a known session type");
		return RC_INVALID;
	}
	if(r->state < 0 || r->state >= ST__COUNT) {
		snprintf(err, errlen, "state is not a known session state");
		return RC_INVALID;
	}
	if(uuid_is_nil(&r->id))
		uuid_v7(&r->id);
	if(!r->creation_us)
		r->creation_us = now_us;
	if(r->state == ST_STOPPED && (r->result <= RES_NONE || r->result >= RES__COUNT)) {
		snprintf(err, errlen, "state: a new session cannot start as Stopped; complete it instead");
		return RC_INVALID;
	}
	if(check_progress(r->progress, err, errlen))
		return RC_INVALID;
	if(uuid_is_nil(&r->job_id)) {
		/* Sessions of the same job name share a job id, so jobs can be derived. */
		estate_name_id(EK_job, r->job_name ? r->job_name : r->name, &r->job_id);
	}
	r->stop_requested = 0;
	if(r->state == ST_STOPPED) {
		/* A run reported when it was over: it ended when it says, and never before it began. */
		if(!r->end_us)
			r->end_us = now_us;
		if(r->end_us < r->creation_us)
			r->end_us = r->creation_us;
		if(r->result == RES_SUCCESS)
			r->progress = 100;   /* as a completion does */
		return RC_OK;
	}
	r->result = RES_NONE;
	r->end_us = 0;
	r->is_canceled = 0;
	return RC_OK;
}

enum rc task_prepare_new(struct task_rec *t, int64_t now_us, char *err, size_t errlen)
{
	if(!t->name || !t->name[0]) {
		snprintf(err, errlen, "name is required");
		return RC_INVALID;
	}
	if(uuid_is_nil(&t->id))
		uuid_v7(&t->id);
	if(!t->creation_us)
		t->creation_us = now_us;
	if(t->state == ST_STOPPED && (t->result <= RES_NONE || t->result >= RES__COUNT)) {
		snprintf(err, errlen, "state: a new task session cannot start as Stopped");
		return RC_INVALID;
	}
	if(check_progress(t->progress, err, errlen))
		return RC_INVALID;
	if(t->state == ST_STOPPED) {
		if(!t->end_us)
			t->end_us = now_us;
		if(t->end_us < t->creation_us)
			t->end_us = t->creation_us;
		return RC_OK;
	}
	t->result = RES_NONE;
	t->end_us = 0;
	return RC_OK;
}

void sess_patch_init(struct sess_patch *p, int64_t now_us)
{
	memset(p, 0, sizeof(*p));
	p->if_match = -1;
	p->total_size = -1;
	p->now_us = now_us;
}

static enum rc check_match(int64_t if_match, int64_t usn, char *err, size_t errlen)
{
	if(if_match >= 0 && if_match != usn) {
		snprintf(err, errlen, "the session changed meanwhile (usn is %lld, If-Match asked for %lld)",
		         (long long)usn, (long long)if_match);
		return RC_PRECONDITION;
	}
	return RC_OK;
}

static enum rc check_state_change(int from, int to, const char *what, char *err, size_t errlen)
{
	if(from == ST_STOPPED) {
		snprintf(err, errlen, "the %s is stopped and can no longer change", what);
		return RC_CONFLICT;
	}
	if(!session_transition_ok(from, to)) {
		if(to == ST_STOPPED)
			snprintf(err, errlen, "state: a %s stops through POST …/complete, not by a state change", what);
		else
			snprintf(err, errlen, "state: illegal transition from %s to %s", catalog_state_name(from),
			         catalog_state_name(to));
		return RC_CONFLICT;
	}
	return RC_OK;
}

enum rc session_apply_patch(const struct sess_patch *p, struct sess_rec *r, char *err, size_t errlen)
{
	enum rc rc;
	if((rc = check_match(p->if_match, r->usn, err, errlen)))
		return rc;
	if(r->state == ST_STOPPED) {
		snprintf(err, errlen, "the session is stopped and can no longer change");
		return RC_CONFLICT;
	}
	if(p->has_state && (rc = check_state_change(r->state, p->state, "session", err, errlen)))
		return rc;
	if(p->has_state)
		r->state = p->state;
	if(p->has_progress)
		r->progress = p->progress;
	if(p->name)
		r->name = p->name;
	if(p->message)
		r->message = p->message;
	if(p->extra)
		r->extra = p->extra;
	return RC_OK;
}

static int final_canceled(int requested, int stop_requested)
{
	return requested < 0 ? stop_requested : requested;
}

enum rc session_apply_complete(const struct sess_complete *c, struct sess_rec *r, char *err, size_t errlen)
{
	enum rc rc;
	if((rc = check_match(c->if_match, r->usn, err, errlen)))
		return rc;
	if(!is_running(r->state)) {
		snprintf(err, errlen, "the session is already stopped");
		return RC_CONFLICT;
	}
	r->state = ST_STOPPED;
	r->result = c->result;
	if(c->message)
		r->message = c->message;
	r->is_canceled = final_canceled(c->is_canceled, r->stop_requested);
	r->end_us = c->end_us > r->creation_us ? c->end_us : r->creation_us;
	if(c->result == RES_SUCCESS)
		r->progress = 100;
	return RC_OK;
}

enum rc session_apply_stop(struct sess_rec *r, char *err, size_t errlen)
{
	if(!is_running(r->state)) {
		snprintf(err, errlen, "the session is already stopped");
		return RC_CONFLICT;
	}
	r->state = ST_STOPPING;
	r->stop_requested = 1;
	return RC_OK;
}

enum rc session_check_open(const struct sess_rec *r, char *err, size_t errlen)
{
	if(!is_running(r->state)) {
		snprintf(err, errlen, "the session is stopped and can no longer change");
		return RC_CONFLICT;
	}
	return RC_OK;
}

enum rc task_apply_patch(const struct sess_patch *p, struct task_rec *t, char *err, size_t errlen)
{
	enum rc rc;
	if((rc = check_match(p->if_match, t->usn, err, errlen)))
		return rc;
	if(t->state == ST_STOPPED) {
		snprintf(err, errlen, "the task session is stopped and can no longer change");
		return RC_CONFLICT;
	}
	if(p->has_state && (rc = check_state_change(t->state, p->state, "task session", err, errlen)))
		return rc;
	if(p->has_state)
		t->state = p->state;
	if(p->has_progress)
		t->progress = p->progress;
	if(p->name)
		t->name = p->name;
	if(p->message)
		t->message = p->message;
	if(p->reason)
		t->reason = p->reason;
	if(p->extra)
		t->extra = p->extra;
	if(p->total_size >= 0)
		t->total_size = p->total_size;
	return RC_OK;
}

enum rc task_apply_complete(const struct sess_complete *c, struct task_rec *t, char *err, size_t errlen)
{
	enum rc rc;
	if((rc = check_match(c->if_match, t->usn, err, errlen)))
		return rc;
	if(!is_running(t->state)) {
		snprintf(err, errlen, "the task session is already stopped");
		return RC_CONFLICT;
	}
	t->state = ST_STOPPED;
	t->result = c->result;
	if(c->message)
		t->message = c->message;
	t->is_canceled = c->is_canceled > 0;
	t->end_us = c->end_us > t->creation_us ? c->end_us : t->creation_us;
	if(c->result == RES_SUCCESS)
		t->progress = 100;
	return RC_OK;
}
