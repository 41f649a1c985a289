/* session: the rules of the domain for one record: defaults and validation of
 * new sessions and task sessions, the state machine, and what a patch, a
 * completion or a stop changes. core/write.c applies them inside the store's
 * write transaction, to the record as it is stored. */
#ifndef SESSIOND_CORE_SESSION_H
#define SESSIOND_CORE_SESSION_H
#include <stddef.h>
#include <stdint.h>

#include "model/record.h"
#include "util/rc.h"

/** Whether a session (or task) may move from state `from` to `to` by a patch. */
int session_transition_ok(int from, int to);

/** Fills defaults of a new session (id, creation now, job id from the job name
 *  or the name) and validates it. The caller sets the state: a zeroed record is
 *  Stopped, which a new session may be only with a result (a run reported when it
 *  was over: its end time is now unless given); a running one has no result yet. */
enum rc session_prepare_new(struct sess_rec *r, int64_t now_us, char *err, size_t errlen);
enum rc task_prepare_new(struct task_rec *t, int64_t now_us, char *err, size_t errlen);

/* A partial update of a session or task session; has_* say which fields are set. */
struct sess_patch {
	int64_t if_match;          /* expected usn, or -1 */
	int has_state, state;
	int has_progress, progress;
	const char *name;
	const char *message;
	const char *extra;         /* JSON object text replacing the stored one, or NULL */
	int has_heartbeat, heartbeat_s; /* sessions: a new lease length, seconds */
	int64_t total_size;        /* tasks: -1 if unset */
	const char *reason;        /* tasks */
	int64_t now_us;
};

void sess_patch_init(struct sess_patch *p, int64_t now_us);

struct sess_complete {
	int64_t if_match;
	int result;                /* enum sess_result */
	const char *message;
	int is_canceled;           /* -1: canceled if a stop was requested */
	int64_t end_us;
};

/* Each edits r in place (as loaded in the write transaction) or refuses with an rc
 * and a message: RC_PRECONDITION for a stale If-Match, RC_CONFLICT for a change the
 * state machine does not allow. */
enum rc session_apply_patch(const struct sess_patch *p, struct sess_rec *r, char *err, size_t errlen);
enum rc session_apply_complete(const struct sess_complete *c, struct sess_rec *r, char *err, size_t errlen);
/** A stop request: a running session goes to Stopping with stop_requested set. */
enum rc session_apply_stop(struct sess_rec *r, char *err, size_t errlen);
/** Refuses writes under a stopped session (log records, task sessions and their changes). */
enum rc session_check_open(const struct sess_rec *r, char *err, size_t errlen);
enum rc task_apply_patch(const struct sess_patch *p, struct task_rec *t, char *err, size_t errlen);
enum rc task_apply_complete(const struct sess_complete *c, struct task_rec *t, char *err, size_t errlen);

/** Times are stored as the dialects show them: whole milliseconds. */
static inline int64_t session_time(int64_t us)
{
	return us - us % 1000;
}

#endif
