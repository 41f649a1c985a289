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
	int64_t created_us;         /* when it was declared, 0 if it was not */
	const char *description;    /* declared, or NULL */
	const char *schedule;       /* declared, or NULL */
	int64_t grace_s;            /* declared graceSeconds, or -1 */
	const char *repository;     /* declared repository name, or NULL */
	struct uuid repository_id;  /* that repository's estate id, nil when none by the name */
	int objects;                /* declared objects, else the last session's task sessions, else 0 */
	int disabled;               /* declared */
	int has_last;               /* it ran: last is its newest session */
	struct sess_rec last;       /* its message and extra are not kept (NULL) */
	int64_t last_success_us;    /* end of the newest successful session, 0 if none (in the last 1000) */
	int64_t next_run_us;        /* the next expected run from the schedule (not yet past due), 0 when
	                               there is none (no schedule, disabled, not declared) */
	int64_t missed;             /* missed runs recorded */
};

/** Every job (declared or seen), by name; cb returns non-zero to stop. */
enum rc core_jobs(struct arena *a, int (*cb)(void *ctx, const struct job_view *j), void *ctx);
/** The job with id (declared id or sessions' job id); RC_NOTFOUND when none. */
enum rc core_job_get(const struct uuid *id, struct arena *a, struct job_view *out);
/* Both read one view of every job, shared by all readers until the store's usn moves or a
 * second passes; each caller gets copies in its own arena. */
/** Drops the shared view (core_close calls it). */
void core__jobs_forget(void);

/* ---- missed runs (core/missed.c) ----
 * A declared job with a schedule (model/schedule.h) is expected at each time it gives; a
 * run is missed when none started within the job's grace (graceSeconds, else the lesser of
 * 10 minutes and half a period) around that time. A sweep records each missed run as an
 * estate object of kind missedRun (child of the job, named by the expected time). */
/** One sweep now over every job; returns how many missed runs it recorded. */
int core_missed_sweep(void);
/** Sweeps every interval_ms until core_missed_stop. */
void core_missed_start(unsigned interval_ms);
void core_missed_stop(void);
/** Sets j->next_run_us and j->missed (core_jobs does this for every job it gives). */
void core__missed_fill(struct job_view *j, struct arena *a);

#endif
