/* core/jobs: jobs as monitoring sees them. A job is declared (an estate object of kind
 * job: type, description, schedule, repository, objects, disabled) and/or seen (sessions
 * sharing a job id); the view joins both by id or, failing that, by name
 * (case-insensitively). Everything here is derived, never invented: a value nobody
 * reported and no session shows is absent (NULL, nil, 0 or -1 as each field says). */
#ifndef SESSIOND_CORE_JOBS_H
#define SESSIOND_CORE_JOBS_H
#include <stdint.h>

#include "model/record.h"
#include "util/mem.h"
#include "util/rc.h"

struct job_view {
	struct uuid id;             /* the declared job's id, else the sessions' job id */
	const char *name;
	int type;                   /* catalog session type code: declared, else the last session's */
	int declared;               /* an estate job object exists */
	const char *description;    /* declared, or NULL */
	const char *schedule;       /* declared, or NULL */
	int64_t grace_s;            /* declared graceSeconds, or -1 */
	const char *repository;     /* declared repository name, or NULL */
	struct uuid repository_id;  /* that repository's estate id, nil when none by the name */
	int objects;                /* declared objects, else the last session's task sessions, else 0 */
	int disabled;               /* declared */
	int has_last;               /* it ran: last is its newest session */
	struct sess_rec last;
	int64_t last_success_us;    /* end of the newest successful session, 0 if none (in the last 1000) */
	int64_t next_run_us;        /* the next expected run from the schedule, 0 when unknown */
	int64_t missed;             /* missed runs recorded, 0 when none */
};

/** Every job (declared or seen), by name; cb returns non-zero to stop. */
enum rc core_jobs(struct arena *a, int (*cb)(void *ctx, const struct job_view *j), void *ctx);
/** The job with id (declared id or sessions' job id); RC_NOTFOUND when none. */
enum rc core_job_get(const struct uuid *id, struct arena *a, struct job_view *out);

#endif
