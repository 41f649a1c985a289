/* alerts: the evaluation of alert rules (core/alerts.h says the contract, docs/ALERTS.md
 * the wire; alerts_rules.c checks rules and builds deliveries). A thread follows every change by usn from a cursor kept in the kv store:
 * finished sessions with result Failed or Warning, new missedRun objects and repository
 * reports; running sessions' progress is tracked in memory (a restart learns it again,
 * so a session stuck across a restart is seen stuck N minutes after the restart). Each
 * alert is stored as an alertDelivery whose id is derived from (rule, subject,
 * occurrence) and which is created only when absent, so it is recorded once. */
#include "core/alerts_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jobs.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "util/text.h"
#include "util/log.h"
#include "util/ticker.h"
#include "util/timefmt.h"

#define CURSOR_KEY "alerts.cursor"
#define BELOW_KEY "alerts.below."      /* + rule id + "." + repository id: "1" while below */
#define BATCH 100               /* changed rows read at a time: a batch of large sessions (tens of KiB of
                                 * extra each) is what a pass holds in memory */
#define MAX_RULES 1000

/* A rule as evaluation uses it (strings in the evaluation's arena). A change made before
 * the rule was stored (or last changed: rec.usn) does not raise it. */
struct rule {
	struct estate_rec rec;
	int event;
	const char *pattern;        /* NULL: any */
	int type;                   /* -1: any */
	int64_t stuck_s;            /* minutes or seconds, in seconds */
	int64_t percent;
};

static int rule_load(const struct estate_rec *e, struct arena *a, struct rule *r)
{
	json_t *p = e->props ? json_loads(e->props, 0, NULL) : NULL;
	memset(r, 0, sizeof(*r));
	r->rec = *e;
	r->event = core__alert_event_parse(json_string_value(json_object_get(p, "event")));
	const char *pat = json_string_value(json_object_get(p, "jobPattern"));
	r->pattern = pat && *pat ? arena_strdup(a, pat) : NULL;
	const char *t = json_string_value(json_object_get(p, "sessionType"));
	r->type = t ? catalog_type_parse(t) : -1;
	r->stuck_s = json_integer_value(json_object_get(p, "minutes")) * 60 +
	             json_integer_value(json_object_get(p, "seconds"));
	r->percent = json_integer_value(json_object_get(p, "percent"));
	int off = json_is_true(json_object_get(p, "disabled"));
	json_decref(p);
	return r->event < 0 || off ? -1 : 0;
}

static int in_scope(const struct rule *r, const char *name, int type)
{
	if(r->pattern && !text_glob(r->pattern, name ? name : ""))
		return 0;
	return r->type < 0 || r->type == type;
}

/* Alerts recorded by one evaluation: queued together, so one commit takes them all. */
struct recorder {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending;                /* queued, not yet committed or refused */
	int recorded;               /* new deliveries */
};

static void recorded(struct core_write *w)
{
	struct recorder *rec = w->udata;
	if(w->rc && w->rc != RC_CONFLICT)   /* RC_CONFLICT: recorded before (another instance, a restart) */
		log_error("alerts: cannot record a delivery: %s", w->err);
	pthread_mutex_lock(&rec->lock);
	rec->recorded += !w->rc;
	rec->pending--;
	pthread_cond_broadcast(&rec->cond);
	pthread_mutex_unlock(&rec->lock);
}

/* Waits until every queued delivery was committed or refused; wakes the sender for new ones. */
static void recorder_wait(struct recorder *rec)
{
	pthread_mutex_lock(&rec->lock);
	while(rec->pending)
		pthread_cond_wait(&rec->cond, &rec->lock);
	pthread_mutex_unlock(&rec->lock);
	if(rec->recorded)
		core__alerts_send_kick();
}

/* The delivery of an alert into a (its id derived from rule, subject and occurrence). */
static struct estate_rec *delivery_of(const struct rule *r, const struct alert_subject *sub, int64_t occurrence,
                                      const char *message, json_t *details, struct arena *a)
{
	struct uuid id;
	const char *ev = core__alert_events[r->event];
	core__alert_delivery_id(&r->rec.id, &sub->id, ev, occurrence, &id);
	struct estate_rec *d = arena_alloc(a, sizeof(*d));
	core__alert_delivery(&r->rec, ev, sub, message, details, &id, a, d);
	return d;
}

/* Queues the delivery of an alert, created only when absent (recorded once); a must live
 *  until recorder_wait returned. */
static void record(struct recorder *rec, const struct rule *r, const struct alert_subject *sub, int64_t occurrence,
                   const char *message, json_t *details, struct arena *a)
{
	struct core_write *w = arena_zalloc(a, sizeof(*w));
	w->done = recorded;
	w->udata = rec;
	pthread_mutex_lock(&rec->lock);
	rec->pending++;
	pthread_mutex_unlock(&rec->lock);
	core_estate_add(w, delivery_of(r, sub, occurrence, message, details, a));
}

/* The same, waiting for the commit: RC_OK when it was new, RC_CONFLICT when it was there. */
static enum rc record_now(const struct rule *r, const struct alert_subject *sub, int64_t occurrence, const char *message,
                          json_t *details, struct arena *a)
{
	struct core_write w = {0};
	enum rc rc = core_estate_add(&w, delivery_of(r, sub, occurrence, message, details, a));
	if(!rc)
		core__alerts_send_kick();
	else if(rc != RC_CONFLICT)
		log_error("alerts: cannot record a delivery: %s", w.err);
	return rc;
}

/* ---------- evaluation ---------- */

struct running {
	struct uuid id;
	int progress;
	int64_t progress_usn;       /* the session's usn when progress was last seen to change */
	int64_t since_us;           /* when that was seen (or when the session was first seen) */
	struct uuid alerted[8];     /* stuck rules recorded for this progress */
	int nalerted;
	int type;
	char *job;                  /* job name (else session name), malloc'd */
};

static struct {
	pthread_mutex_t lock;
	struct ticker ticker;
	int loaded;                 /* cursor read, running sessions learnt */
	int64_t cursor;
	struct running *run;
	size_t nrun, cap;
} ev = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct running *running_find(const struct uuid *id)
{
	for(size_t i = 0; i < ev.nrun; i++)
		if(uuid_eq(&ev.run[i].id, id))
			return &ev.run[i];
	return NULL;
}

static void running_forget(const struct uuid *id)
{
	struct running *r = running_find(id);
	if(!r)
		return;
	free(r->job);
	*r = ev.run[--ev.nrun];
}

static void running_see(const struct sess_rec *s, int64_t now)
{
	struct running *r = running_find(&s->id);
	if(!r) {
		if(ev.nrun == ev.cap) {
			ev.cap = ev.cap ? ev.cap * 2 : 64;
			ev.run = xrealloc(ev.run, ev.cap * sizeof(*ev.run));
		}
		r = &ev.run[ev.nrun++];
		memset(r, 0, sizeof(*r));
		r->id = s->id;
		r->progress = -1;
		r->job = xstrdup(s->job_name && *s->job_name ? s->job_name : s->name ? s->name : "");
		r->type = s->type;
	}
	if(r->progress != s->progress) {
		r->progress = s->progress;
		r->progress_usn = s->usn;
		r->since_us = now;
		r->nalerted = 0;
	}
}

struct pass {
	struct arena *a;
	struct rule *rules;
	int nrules;
	int recorded;               /* by record_now */
	struct recorder rec;        /* the rest */
	int64_t now, top;
	struct sess_rec *sess;      /* a batch of changed sessions */
	struct estate_rec *est;     /* a batch of changed estate objects */
	int n;
	int64_t last;               /* usn of the batch's last */
};

static int take_rule(void *ctx, const struct estate_rec *e)
{
	struct pass *p = ctx;
	if(p->nrules < MAX_RULES && !rule_load(e, p->a, &p->rules[p->nrules]))
		p->nrules++;
	return 0;
}

static int take_session(void *ctx, const struct sess_rec *s)
{
	struct pass *p = ctx;
	p->sess[p->n++] = *s;
	p->last = s->usn;
	return 0;
}

static int take_estate(void *ctx, const struct estate_rec *e)
{
	struct pass *p = ctx;
	if(e->usn > p->top)
		return 1;
	p->est[p->n++] = *e;
	p->last = e->usn;
	return 0;
}

static json_t *session_details(const struct sess_rec *s)
{
	json_t *d = json_object();
	core__json_uuid(d, "sessionId", &s->id);
	json_object_set_new(d, "sessionName", json_string(s->name ? s->name : ""));
	core__json_uuid(d, "jobId", &s->job_id);
	json_object_set_new(d, "jobName", s->job_name ? json_string(s->job_name) : json_null());
	json_object_set_new(d, "sessionType", json_string(catalog_type_name(s->type)));
	json_object_set_new(d, "state", json_string(catalog_state_name(s->state)));
	json_object_set_new(d, "result", json_string(catalog_result_name(s->result)));
	json_object_set_new(d, "progress", json_integer(s->progress));
	json_object_set_new(d, "resultMessage", s->message ? json_string(s->message) : json_null());
	core__json_time(d, "creationTime", s->creation_us);
	core__json_time(d, "endTime", s->end_us);
	return d;
}

static void on_session(struct pass *p, const struct sess_rec *s)
{
	if(s->state != ST_STOPPED) {
		running_see(s, p->now);
		return;
	}
	running_forget(&s->id);
	int e = s->result == RES_FAILED ? EV_FAILED : s->result == RES_WARNING ? EV_WARNING : -1;
	const char *job = s->job_name && *s->job_name ? s->job_name : s->name;
	for(int i = 0; e >= 0 && i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];
		if(r->event != e || s->usn < r->rec.usn || !in_scope(r, job, s->type))
			continue;
		struct alert_subject sub = {.kind = "session", .id = s->id, .name = s->name};
		const char *msg = arena_printf(p->a, "%s ended with result %s", job ? job : "a session",
		                               catalog_result_name(s->result));
		record(&p->rec, r, &sub, 0, msg, session_details(s), p->a);
	}
}

static void on_missed(struct pass *p, const struct estate_rec *m)
{
	struct job_view j;
	if(m->deleted || core_job_get(&m->parent_id, p->a, &j))
		return;
	json_t *props = m->props ? json_loads(m->props, 0, NULL) : NULL;
	const char *expected = json_string_value(json_object_get(props, "expectedTime"));
	for(int i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];
		if(r->event != EV_MISSED || m->usn < r->rec.usn || !in_scope(r, j.name, j.type))
			continue;
		json_t *d = json_object();
		core__json_uuid(d, "jobId", &j.id);
		json_object_set_new(d, "jobName", json_string(j.name ? j.name : ""));
		json_object_set_new(d, "expectedTime", expected ? json_string(expected) : json_null());
		json_object_set_new(d, "schedule", j.schedule ? json_string(j.schedule) : json_null());
		core__json_uuid(d, "missedRunId", &m->id);
		struct alert_subject sub = {.kind = "job", .id = j.id, .name = j.name};
		const char *msg = arena_printf(p->a, "%s did not run at %s", j.name ? j.name : "a job",
		                               expected ? expected : m->name);
		int64_t occ = 0;
		memcpy(&occ, m->id.b, sizeof(occ));   /* one per missed run */
		record(&p->rec, r, &sub, occ, msg, d, p->a);
	}
	json_decref(props);
}

static void on_repository(struct pass *p, const struct estate_rec *e)
{
	json_t *props = e->props ? json_loads(e->props, 0, NULL) : NULL;
	json_int_t cap = json_integer_value(json_object_get(props, "capacityBytes"));
	json_t *fv = json_object_get(props, "freeBytes");
	json_int_t freeb = json_integer_value(fv);
	for(int i = 0; !e->deleted && cap > 0 && json_is_integer(fv) && i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];
		if(r->event != EV_REPO_FREE || e->usn < r->rec.usn || (r->pattern && !text_glob(r->pattern, e->name)))
			continue;
		double pct = (double)freeb * 100.0 / (double)cap;
		int below = pct < (double)r->percent;
		char rid[UUID_STR_LEN + 1], oid[UUID_STR_LEN + 1];
		uuid_format(&r->rec.id, rid);
		uuid_format(&e->id, oid);
		const char *key = arena_printf(p->a, BELOW_KEY "%s.%s", rid, oid), *was = NULL;
		if(core_kv_get(key, p->a, &was) == RC_BACKEND)
			continue;
		int was_below = was && !strcmp(was, "1");
		if(below == was_below)
			continue;
		if(below) {
			json_t *d = json_object();
			json_object_set_new(d, "repositoryId", json_string(oid));
			json_object_set_new(d, "repositoryName", json_string(e->name));
			json_object_set_new(d, "capacityBytes", json_integer(cap));
			json_object_set_new(d, "freeBytes", json_integer(freeb));
			json_object_set_new(d, "freePercent", json_real((double)(int64_t)(pct * 100) / 100));
			json_object_set_new(d, "thresholdPercent", json_integer(r->percent));
			struct alert_subject sub = {.kind = "repository", .id = e->id, .name = e->name};
			const char *msg = arena_printf(p->a, "repository %s has %.1f%% free, below %lld%%", e->name, pct,
			                               (long long)r->percent);
			enum rc rc = record_now(r, &sub, e->usn, msg, d, p->a);
			if(!rc)
				p->recorded++;
			else if(rc != RC_CONFLICT)
				continue;   /* not recorded: try again at the next report */
		}
		struct core_write w = {0};
		core_kv_put(&w, key, below ? "1" : "0");
	}
	json_decref(props);
}

static void check_stuck(struct pass *p)
{
	for(size_t k = 0; k < ev.nrun; k++) {
		struct running *s = &ev.run[k];
		for(int i = 0; i < p->nrules; i++) {
			const struct rule *r = &p->rules[i];
			if(r->event != EV_STUCK || p->now - s->since_us < r->stuck_s * 1000000 || !in_scope(r, s->job, s->type))
				continue;
			int done = 0;
			for(int x = 0; x < s->nalerted && !done; x++)
				done = uuid_eq(&s->alerted[x], &r->rec.id);
			if(done)
				continue;
			struct sess_rec cur;
			if(core_session_get(&s->id, p->a, &cur) || cur.state == ST_STOPPED)
				continue;   /* it ended meanwhile: the change will be seen */
			json_t *d = session_details(&cur);
			json_object_set_new(d, "stuckSeconds", json_integer(r->stuck_s));
			core__json_time(d, "progressSince", s->since_us / 1000 * 1000);
			struct alert_subject sub = {.kind = "session", .id = s->id, .name = cur.name};
			const char *msg = arena_printf(p->a, "%s made no progress for %lld s (at %d%%)", s->job,
			                               (long long)r->stuck_s, s->progress);
			record(&p->rec, r, &sub, s->progress_usn, msg, d, p->a);
			if(s->nalerted < 8)
				s->alerted[s->nalerted++] = r->rec.id;
		}
	}
}

static int take_running(void *ctx, const struct sess_rec *s)
{
	running_see(s, ((struct pass *)ctx)->now);
	return 0;
}

/* Reads the cursor (a first start begins at the present: history raises no alerts) and
 * learns the running sessions. */
static enum rc load(struct pass *p)
{
	const char *v = NULL;
	enum rc rc = core_kv_get(CURSOR_KEY, p->a, &v);
	if(rc && rc != RC_NOTFOUND)
		return rc;
	struct query q = {.where = q_running(p->a, QF_STATE), .order = QO_USN, .asc = 1, .limit = -1};
	if((rc = core_session_list(&q, p->a, take_running, p, NULL)))
		return rc;
	if(v) {
		ev.cursor = strtoll(v, NULL, 10);
	} else {
		ev.cursor = core_usn();
		char text[24];
		snprintf(text, sizeof(text), "%lld", (long long)ev.cursor);
		struct core_write w = {0};
		if((rc = core_kv_put(&w, CURSOR_KEY, text)))
			return rc;
	}
	ev.loaded = 1;
	core_release_memory();   /* the running sessions were found by a pass over the table */
	return RC_OK;
}

static enum rc pass_run(struct pass *p)
{
	enum rc rc;
	struct estate_query rq = {.kind = EK_alertRule, .after_usn = -1, .limit = MAX_RULES};
	if(!ev.loaded && (rc = load(p)))
		return rc;
	p->top = core_usn();
	if((rc = core_estate_list(&rq, p->a, take_rule, p, NULL)))
		return rc;
	/* sessions changed after the cursor, by usn. Each batch's rows (and what its deliveries
	 * are built from) live in an arena of their own, freed once the batch's deliveries are
	 * recorded: a pass over many changes holds one batch in memory, not all of them. */
	struct arena *keep = p->a, batch;
	arena_init(&batch);
	p->sess = arena_alloc(keep, BATCH * sizeof(*p->sess));
	p->est = arena_alloc(keep, BATCH * sizeof(*p->est));
	p->a = &batch;
	rc = RC_OK;
	for(int64_t from = ev.cursor; !rc;) {
		p->n = 0;
		const struct qexpr *w = q_and(p->a, q_int(p->a, QF_USN, Q_GT, from), q_int(p->a, QF_USN, Q_LE, p->top));
		struct query q = {.where = w, .order = QO_USN, .asc = 1, .limit = BATCH};
		if((rc = core_session_list(&q, p->a, take_session, p, NULL)))
			break;
		for(int i = 0; i < p->n; i++)
			on_session(p, &p->sess[i]);
		recorder_wait(&p->rec);
		arena_reset(&batch);
		if(p->n < BATCH)
			break;
		from = p->last;
	}
	/* estate objects changed after the cursor: missed runs and repository reports */
	for(int64_t from = ev.cursor; !rc;) {
		p->n = 0;
		struct estate_query q = {.after_usn = from, .limit = BATCH};
		if((rc = core_estate_list(&q, p->a, take_estate, p, NULL)))
			break;
		for(int i = 0; i < p->n; i++)
			if(p->est[i].kind == EK_missedRun)
				on_missed(p, &p->est[i]);
			else if(p->est[i].kind == EK_repository)
				on_repository(p, &p->est[i]);
		recorder_wait(&p->rec);
		arena_reset(&batch);
		if(p->n < BATCH)
			break;
		from = p->last;
	}
	p->a = keep;
	arena_free(&batch);
	if(rc)
		return rc;
	check_stuck(p);
	recorder_wait(&p->rec);   /* recorded before the cursor moves past them */
	if(p->top != ev.cursor) {
		char text[24];
		snprintf(text, sizeof(text), "%lld", (long long)p->top);
		struct core_write w = {0};
		if(!(rc = core_kv_put(&w, CURSOR_KEY, text)))
			ev.cursor = p->top;
	}
	return rc;
}

int core_alerts_evaluate(void)
{
	struct arena a;
	arena_init(&a);
	struct pass p = {.a = &a, .now = time_now_us()};
	pthread_mutex_init(&p.rec.lock, NULL);
	pthread_cond_init(&p.rec.cond, NULL);
	p.rules = arena_alloc(&a, MAX_RULES * sizeof(*p.rules));
	pthread_mutex_lock(&ev.lock);
	enum rc rc = pass_run(&p);
	recorder_wait(&p.rec);    /* also after a failed read: the queued writes use a */
	pthread_mutex_unlock(&ev.lock);
	p.recorded += p.rec.recorded;
	pthread_mutex_destroy(&p.rec.lock);
	pthread_cond_destroy(&p.rec.cond);
	arena_free(&a);
	if(rc)
		log_error("alerts: evaluation failed (%s); trying again", rc_name(rc));
	return p.recorded;
}

static void tick(void *ctx)
{
	(void)ctx;
	int n = core_alerts_evaluate();
	if(n)
		log_info("alerts: recorded %d deliver%s", n, n == 1 ? "y" : "ies");
}

void core_alerts_start(const struct alerts_config *c)
{
	core__alerts_send_start(c);
	ticker_start(&ev.ticker, c->check_ms ? c->check_ms : 1000, 1, tick, NULL);
}

void core_alerts_stop(void)
{
	ticker_stop(&ev.ticker);
	core__alerts_send_stop();
	pthread_mutex_lock(&ev.lock);
	for(size_t i = 0; i < ev.nrun; i++)
		free(ev.run[i].job);
	free(ev.run);
	ev.run = NULL;
	ev.nrun = ev.cap = 0;
	ev.loaded = 0;
	pthread_mutex_unlock(&ev.lock);
}
