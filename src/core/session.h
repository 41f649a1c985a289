/* session: the rules of the domain: defaults and validation of new sessions,
 * task sessions and log records, and the state machine. The mutate callbacks
 * run inside the store's write transaction (see struct store_write). */
#ifndef SESSIOND_CORE_SESSION_H
#define SESSIOND_CORE_SESSION_H
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/rc.h"

/** Whether a session (or task) may move from state `from` to `to` by a patch. */
int session_transition_ok(int from, int to);

/** Fills defaults of a new session (id, creation now, job id from the job name
 *  or the name) and validates it. The caller sets the state: a zeroed record
 *  is Stopped, which a new session may not be. */
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

/* store_write.mutate callbacks; ctx is the struct named. */
enum rc session_mutate_patch(void *patch, void *sess_rec, char *err, size_t errlen);
enum rc session_mutate_complete(void *complete, void *sess_rec, char *err, size_t errlen);
/** A stop request: a running session goes to Stopping with stop_requested set. */
enum rc session_mutate_stop(void *unused, void *sess_rec, char *err, size_t errlen);
/** Refuses writes under a stopped session (log appends, new task sessions);
 *  ctx, when not NULL, is an int that receives the session's stop_requested. */
enum rc session_mutate_open(void *unused, void *sess_rec, char *err, size_t errlen);
enum rc task_mutate_patch(void *patch, void *task_rec, char *err, size_t errlen);
enum rc task_mutate_complete(void *complete, void *task_rec, char *err, size_t errlen);

#endif
