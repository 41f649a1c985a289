/* missed: runs that did not happen. A declared job with a schedule is expected to start
 * at each time the schedule gives; when a run is due (its time plus the job's grace) and
 * no session of the job started near it, a sweep records a missed run: an object of
 * sessiond's own kind missedRun (model/estate.def), child of the job, named by the
 * expected time. Its id is derived from the job and the time, so every instance that
 * sweeps records the same one. Everything goes through core_estate_put. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/jobs.h"
#include "model/estate.h"
#include "model/schedule.h"
#include "util/ticker.h"
#include "util/timefmt.h"
#include "util/log.h"

#define MISSED_PER_SWEEP 10                    /* per job */
#define MISSED_HORIZON_US (7 * 86400000000LL)  /* older expected runs are not looked for */
#define DEFAULT_GRACE_US 600000000LL

static struct ticker sweeper;

struct missed_base {
	int64_t last_expected_us;   /* the newest missed run's expected time, 0 if none */
	int64_t count;
};

static int take_last(void *ctx, const struct estate_rec *e)
{
	struct missed_base *b = ctx;
	const char *name = e->name;
	int64_t us;
	if(name && !time_parse(name, strlen(name), &us) && us > b->last_expected_us)
		b->last_expected_us = us;
	return 0;
}

/* The missed runs of job: how many, and the newest expected time. */
static enum rc missed_of(const struct uuid *job, struct arena *a, struct missed_base *b)
{
	memset(b, 0, sizeof(*b));
	struct estate_query q = {.kind = EK_missedRun, .parent_id = *job, .after_usn = -1, .limit = 0};
	enum rc rc = core_estate_list(&q, a, take_last, b, &b->count);
	if(rc || !b->count)
		return rc;
	/* names are times, so the last by name is the newest */
	q.offset = b->count - 1;
	q.limit = 1;
	return core_estate_list(&q, a, take_last, b, NULL);
}

/* The grace of a job: its graceSeconds, else the lesser of 10 minutes and half a period. */
static int64_t grace_of(const struct job_view *j, const struct schedule *sc, int64_t e)
{
	if(j->grace_s >= 0)
		return j->grace_s * 1000000;
	int64_t period = schedule_next(sc, e) - e;
	return period > 0 && period / 2 < DEFAULT_GRACE_US ? period / 2 : DEFAULT_GRACE_US;
}

static void missed_id(const struct uuid *job, int64_t expected_us, struct uuid *out)
{
	unsigned char in[24], h[16];
	memcpy(in, job->b, 16);
	for(int i = 0; i < 8; i++)
		in[16 + i] = (unsigned char)(expected_us >> (8 * i));
	crypto_generichash(h, sizeof(h), in, sizeof(in), (const unsigned char *)"missedRun", 9);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x80);   /* version 8: custom */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	memcpy(out->b, h, 16);
}

static enum rc record(const struct job_view *j, int64_t expected_us)
{
	char when[40];
	time_format(expected_us, 3, when);
	/* the schedule it was expected by: the job's may change later */
	json_t *p = json_pack("{s:s,s:s}", "expectedTime", when, "schedule", j->schedule);
	char *props = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(p);
	if(!props)
		return RC_BACKEND;   /* out of memory */
	struct estate_rec e = {.kind = EK_missedRun, .parent_id = j->id, .name = when, .reporter = "sessiond",
	                       .props = props};
	missed_id(&j->id, expected_us, &e.id);
	struct core_write w = {0};
	enum rc rc = core_estate_put(&w, &e);
	free(props);
	return rc;
}

/* Where the search for the next expected run of j starts, and the schedule. */
static int missed_base(const struct job_view *j, struct arena *a, struct schedule *sc, int64_t *base, int64_t *count)
{
	char err[200];
	if(!j->declared || j->disabled || !j->schedule || schedule_parse(j->schedule, sc, err, sizeof(err)))
		return -1;
	struct missed_base mb;
	if(missed_of(&j->id, a, &mb))
		return -1;
	*base = j->created_us > mb.last_expected_us ? j->created_us : mb.last_expected_us;
	*count = mb.count;
	return 0;
}

static int sweep_job(void *ctx, const struct job_view *j)
{
	int *recorded = ctx;
	struct arena a;
	arena_init(&a);
	struct schedule sc;
	int64_t base, count, now = time_now_us();
	if(missed_base(j, &a, &sc, &base, &count)) {
		arena_free(&a);
		return 0;
	}
	if(base < now - MISSED_HORIZON_US)
		base = now - MISSED_HORIZON_US;
	int64_t last = j->has_last ? j->last.creation_us : 0;
	for(int i = 0; i < MISSED_PER_SWEEP; i++) {
		int64_t e = schedule_next(&sc, base);
		if(!e)
			break;
		int64_t grace = grace_of(j, &sc, e);
		if(e + grace > now)
			break;
		if(last >= e - grace) {
			base = e > last ? e : last;   /* it ran for this time (or later) */
			continue;
		}
		if(record(j, e))
			break;
		(*recorded)++;
		base = e;
	}
	arena_free(&a);
	return 0;
}

void core__missed_fill(struct job_view *j, struct arena *a)
{
	struct schedule sc;
	int64_t base, now = time_now_us();
	j->next_run_us = 0;
	j->missed = 0;
	if(missed_base(j, a, &sc, &base, &j->missed))
		return;
	if(j->has_last && j->last.creation_us > base)
		base = j->last.creation_us;
	if(base < now - MISSED_HORIZON_US)
		base = now - MISSED_HORIZON_US;
	/* the first expected run not yet past due */
	int64_t e = schedule_next(&sc, base);
	for(int i = 0; e && i < 100000 && e + grace_of(j, &sc, e) < now; i++)
		e = schedule_next(&sc, e);
	j->next_run_us = e;
}

int core_missed_sweep(void)
{
	struct arena a;
	arena_init(&a);
	int recorded = 0;
	core_jobs(&a, sweep_job, &recorded);
	arena_free(&a);
	return recorded;
}

static void tick(void *ctx)
{
	(void)ctx;
	int n = core_missed_sweep();
	if(n)
		log_warn("schedules: recorded %d missed run%s", n, n == 1 ? "" : "s");
}

void core_missed_start(unsigned interval_ms)
{
	ticker_start(&sweeper, interval_ms ? interval_ms : 30000, 0, tick, NULL);
}

void core_missed_stop(void)
{
	ticker_stop(&sweeper);
}
