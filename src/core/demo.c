#include "demo.h"
#include "demo_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "model/catalog.h"
#include "core/core.h"
#include "core/session.h"
#include "util/ticker.h"
#include "util/timefmt.h"

#define DAY_US (86400LL * 1000000)
#define MIN_US (60LL * 1000000)
#define HISTORY_DAYS 30

const struct demo_job demo_jobs[] = {
	{"Daily VM Backup", "BackupJob", "VMware", "vbr01.corp.local", 22, 45, 5, 12, TT_BACKUP, {"web01", "web02", "db01", "app01"}, REPO_DEFAULT},
	{"SQL Servers", "BackupJob", "HyperV", "vbr01.corp.local", 23, 30, 8, 10, TT_BACKUP, {"sql01", "sql02"}, REPO_DEFAULT},
	{"File Server Backup", "BackupJob", "WindowsPhysical", "vbr01.corp.local", 1, 60, 4, 15, TT_BACKUP, {"fs01"}, REPO_LINUX},
	{"Offsite Backup Copy", "BackupCopyJob", "VMware", "vbr01.corp.local", 3, 90, 6, 20, TT_BACKUP, {"web01", "db01"}, REPO_OFFSITE},
	{"DR Replication", "ReplicaJob", "VMware", "vbr02.corp.local", 2, 25, 5, 8, TT_REPLICA, {"web01", "db01", "app01"}, NULL},
	{"NAS Shares", "NasBackup", "UnstructuredData", "vbr02.corp.local", 21, 50, 7, 18, TT_BACKUP, {"\\\\nas01\\projects", "\\\\nas01\\home"}, REPO_LINUX},
	{"Laptops", "EndpointBackup", "WindowsPhysical", "vbr02.corp.local", 12, 20, 10, 25, TT_BACKUP, {"lt-anna", "lt-bob", "lt-chen"}, REPO_DEFAULT},
	{"Linux Servers", "AgentBackup", "LinuxPhysical", "vbr01.corp.local", 0, 35, 6, 10, TT_BACKUP, {"app-lx01", "app-lx02"}, REPO_LINUX},
	{"Azure VM Policy", "PolicyBackup", "AzureCompute", "vbazure.corp.local", 4, 40, 5, 10, TT_BACKUP, {"az-web01", "az-api01"}, REPO_AZURE},
	{"Azure VM Snapshots", "PolicySnapshot", "AzureCompute", "vbazure.corp.local", 6, 10, 3, 8, TT_BACKUP, {"az-web01", "az-api01"}, NULL},
	{"Azure SQL Policy", "SqlPolicyBackup", NULL, "vbazure.corp.local", 5, 30, 6, 10, TT_BACKUP, {"sqldb-orders"}, REPO_AZURE},
	{"File Share Snapshots", "FileSharePolicySnapshot", NULL, "vbazure.corp.local", 7, 8, 3, 6, TT_BACKUP, {"share-finance"}, NULL},
	{"Backup Retention", "BackupRetention", NULL, "vbazure.corp.local", 8, 6, 2, 4, TT_RESTORE, {NULL}, NULL},
	{"Configuration Backup", "ConfigurationBackup", NULL, "vbr01.corp.local", 10, 3, 2, 3, TT_RESTORE, {NULL}, REPO_DEFAULT},
	{"SureBackup Verification", "SureBackup", "VMware", "vbr01.corp.local", 9, 40, 8, 15, TT_ANTIVIRUS, {"web01", "db01"}, NULL},
	{"Oracle Logs", "OracleLogBackup", NULL, "vbr01.corp.local", 13, 5, 4, 6, TT_BACKUP, {"ora-prod"}, REPO_DEFAULT},
	{"Repository Maintenance", "RepositoryMaintenance", NULL, "vbr01.corp.local", 11, 15, 2, 5, TT_RESTORE, {NULL}, NULL},
	{"Catalog Crawl", "CatalogCrawlJob", NULL, "em01.corp.local", 14, 5, 2, 5, TT_RESTORE, {NULL}, NULL},
	{"Collect Job", "CollectJob", NULL, "em01.corp.local", 15, 2, 1, 3, TT_RESTORE, {NULL}, NULL},
	{"Restore web01", "RestoreVm", "VMware", "vbr01.corp.local", 16, 15, 10, 10, TT_RESTORE, {"web01"}, NULL},
};

const size_t demo_njobs = sizeof(demo_jobs) / sizeof(demo_jobs[0]);

/* splitmix64: small, seedable, and the same everywhere. */
uint64_t demo_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rand_pct(uint64_t *s)
{
	return (int)(demo_rand(s) % 100);
}

void demo_uuid(uint64_t *s, int64_t ms, struct uuid *u)
{
	uint64_t a = demo_rand(s), b = demo_rand(s);
	/* Version-7 layout, so demo ids sort by time like real ones. */
	for(int i = 0; i < 6; i++)
		u->b[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
	for(int i = 6; i < 16; i++)
		u->b[i] = (unsigned char)((i < 11 ? a : b) >> (8 * (i % 8)));
	u->b[6] = (unsigned char)((u->b[6] & 0x0f) | 0x70);
	u->b[8] = (unsigned char)((u->b[8] & 0x3f) | 0x80);
}

/* ---- batched asynchronous writes, waited for as a whole ---- */

static void batch_done(struct core_write *w)
{
	struct demo_batch *b = w->udata;
	pthread_mutex_lock(&b->lock);
	if(w->rc)
		b->failed++;
	if(--b->pending == 0)
		pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* A write of the batch: counted as pending before any verb can finish it. */
struct core_write *demo_batch_new(struct demo_batch *b)
{
	struct core_write *w = arena_zalloc(&b->a, sizeof(*w));
	w->done = batch_done;
	w->udata = b;
	pthread_mutex_lock(&b->lock);
	b->pending++;
	pthread_mutex_unlock(&b->lock);
	return w;
}

int demo_batch_wait(struct demo_batch *b)
{
	pthread_mutex_lock(&b->lock);
	while(b->pending)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	return b->failed;
}

static const char *const warn_msgs[] = {
	"Changed block tracking is disabled; a full read was needed",
	"Free space on the repository is below 10%",
	"Snapshot removal took longer than expected",
	"Guest processing skipped: credentials not set",
};
static const char *const fail_msgs[] = {
	"Timed out waiting for the source host",
	"Repository is not available",
	"Access denied to the protected object",
	"Snapshot creation failed: insufficient space on datastore",
};

static void add_log(struct demo_batch *b, enum core_owner owner_kind, const struct uuid *owner, uint64_t *rs, int64_t t,
                    int status, const char *title)
{
	struct log_rec *l = arena_zalloc(&b->a, sizeof(*l));
	l->status = status;
	l->title = arena_strdup(&b->a, title);
	l->start_us = t;
	l->update_us = t + (int64_t)(demo_rand(rs) % 30) * 1000000;
	core_log_append(demo_batch_new(b), owner_kind, owner, l, 1);
}

/* One finished run of job j starting at t; returns when it ended. */
static int64_t seed_run(struct demo_batch *b, const struct demo_job *j, uint64_t *rs, int64_t t)
{
	int type = catalog_type_parse(j->type);
	int dur_min = j->minutes / 2 + (int)(demo_rand(rs) % (unsigned)(j->minutes + 1));
	int64_t end = t + (int64_t)dur_min * MIN_US + (int64_t)(demo_rand(rs) % 60) * 1000000;
	int roll = rand_pct(rs);
	int result = roll < j->fail_pct ? RES_FAILED : roll < j->fail_pct + j->warn_pct ? RES_WARNING : RES_SUCCESS;
	struct sess_rec *s = arena_zalloc(&b->a, sizeof(*s));
	demo_uuid(rs, t / 1000, &s->id);
	s->name = j->name;
	s->job_name = j->name;
	s->type = type;
	s->state = ST_WORKING;      /* completed below, after its task sessions and logs: stopped is final */
	s->progress = result == RES_FAILED ? (int)(demo_rand(rs) % 90) : 100;
	s->creation_us = t;
	s->platform_name = j->platform;
	s->backup_server = j->server;
	s->initiated_by = "Scheduler";
	const char *message = result == RES_WARNING ? warn_msgs[demo_rand(rs) % 4] : result == RES_FAILED ? fail_msgs[demo_rand(rs) % 4] : "";
	if(!strcmp(j->type, "PolicyBackup") || !strcmp(j->type, "PolicySnapshot"))
		s->extra = arena_printf(&b->a, "{\"backupJobInfo\":{\"policyId\":\"%08x-0000-4000-8000-%012x\",\"policyName\":\"%s\","
		                                  "\"policyType\":\"VirtualMachines\",\"protectedInstancesCount\":2,\"policyRemoved\":false}}",
		                        (unsigned)(j - demo_jobs), (unsigned)(j - demo_jobs), j->name);
	else if(!strcmp(j->type, "BackupRetention"))
		s->extra = arena_printf(&b->a, "{\"retentionJobInfo\":{\"deletedRestorePointsCount\":%d}}", (int)(demo_rand(rs) % 12));
	/* The job id comes from core, by the same derivation as for ingest. */
	core_session_create(demo_batch_new(b), s);
	add_log(b, OWNER_SESSION, &s->id, rs, t, LOG_SUCCEEDED, "Job started");
	for(int k = 0; k < 5 && j->objects[k]; k++) {
		struct task_rec *ts = arena_zalloc(&b->a, sizeof(*ts));
		demo_uuid(rs, t / 1000 + k + 1, &ts->id);
		ts->session_id = s->id;
		ts->name = j->objects[k];
		ts->type = j->task_type;
		ts->state = ST_STOPPED;
		int tr = result == RES_SUCCESS ? RES_SUCCESS : (k == 0 ? result : (rand_pct(rs) < 70 ? RES_SUCCESS : result));
		ts->result = tr;
		ts->progress = tr == RES_FAILED ? 40 : 100;
		ts->total_size = (int64_t)(demo_rand(rs) % 500 + 20) * 1024 * 1024 * 1024;
		ts->creation_us = t + (int64_t)(k + 1) * 1000000;
		ts->end_us = end - (int64_t)(4 - k) * 1000000;
		ts->reason = tr == RES_FAILED ? message : NULL;
		ts->message = tr == RES_SUCCESS ? "" : message;
		core_task_create(demo_batch_new(b), ts);
		if(tr != RES_FAILED)
			demo_estate_point(b, j, &s->id, j->objects[k], ts->end_us, ts->total_size);
		char title[160];
		snprintf(title, sizeof(title), "Processing %s", j->objects[k]);
		add_log(b, OWNER_TASK, &ts->id, rs, ts->creation_us, LOG_SUCCEEDED, title);
		add_log(b, OWNER_TASK, &ts->id, rs, ts->end_us,
		        tr == RES_SUCCESS ? LOG_SUCCEEDED : tr == RES_WARNING ? LOG_WARNING : LOG_FAILED,
		        tr == RES_SUCCESS ? "Backup completed" : tr == RES_WARNING ? warn_msgs[k % 4] : fail_msgs[k % 4]);
		add_log(b, OWNER_SESSION, &s->id, rs, ts->end_us,
		        tr == RES_SUCCESS ? LOG_SUCCEEDED : tr == RES_WARNING ? LOG_WARNING : LOG_FAILED, title);
	}
	add_log(b, OWNER_SESSION, &s->id, rs, end, result == RES_SUCCESS ? LOG_SUCCEEDED : result == RES_WARNING ? LOG_WARNING : LOG_FAILED,
	        result == RES_SUCCESS ? "Job finished successfully" : result == RES_WARNING ? "Job finished with warnings"
	                                                                                  : "Job failed");

	struct sess_complete *c = arena_zalloc(&b->a, sizeof(*c));
	*c = (struct sess_complete){.if_match = -1, .result = result, .message = message, .end_us = end};
	core_session_complete(demo_batch_new(b), &s->id, c);
	return end;
}

static int count_one(void *ctx, const struct sess_rec *s)
{
	(void)s;
	(*(int64_t *)ctx)++;
	return 1;
}

enum rc demo_seed(uint64_t seed, int64_t anchor_us, int64_t *n)
{
	*n = 0;
	struct arena a;
	arena_init(&a);
	int64_t any = 0;
	struct query q = {.limit = 1};
	enum rc rc = core_session_list(&q, &a, count_one, &any, NULL);
	arena_free(&a);
	if(rc || any)
		return rc;
	anchor_us -= anchor_us % DAY_US;          /* whole days: the same history all day long */
	uint64_t rs = seed;
	struct demo_batch b = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	arena_init(&b.a);
	int64_t start = anchor_us - (int64_t)HISTORY_DAYS * DAY_US;
	if(demo_estate_seed(&b, seed, start < time_now_us() ? start : time_now_us())) {
		arena_free(&b.a);
		return RC_BACKEND;
	}
	arena_reset(&b.a);
	for(int day = HISTORY_DAYS; day >= 1; day--) {
		/* the day's runs in the order they start, each followed by the fill of the
		 * repositories it wrote to (measured when it ended): the repositories' history */
		for(int hour = 0; hour < 24; hour++)
			for(size_t k = 0; k < demo_njobs; k++) {
				const struct demo_job *j = &demo_jobs[k];
				if(j->hour != hour)
					continue;
				int64_t t = anchor_us - (int64_t)day * DAY_US + (int64_t)j->hour * 60 * MIN_US +
				            (int64_t)(demo_rand(&rs) % 600) * 1000000;
				int64_t end = seed_run(&b, j, &rs, t), now = time_now_us();
				demo_estate_repos(&b, end < now ? end : now);
				(*n)++;
			}
		/* Bound memory: one day's writes at a time. */
		if(demo_batch_wait(&b)) {
			arena_free(&b.a);
			return RC_BACKEND;
		}
		arena_reset(&b.a);
	}
	arena_free(&b.a);
	return RC_OK;
}

/* ---- the simulator ---- */

#define LIVE_MAX 4

struct live {
	int used;
	const struct demo_job *job;
	struct uuid id;
	struct uuid task[5];
	const char *object[5];      /* what each task backs up */
	int64_t size[5];            /* and its total size */
	int ntasks;
	int progress;
	int warn;
};

static struct {
	struct ticker ticker;
	uint64_t rs;
	struct arena a;
	struct live live[LIVE_MAX];
} sim;

static void sim_start_run(struct live *l, struct arena *a)
{
	const struct demo_job *j = &demo_jobs[demo_rand(&sim.rs) % demo_njobs];
	struct core_write w = {.arena = a};
	struct sess_rec s = {
		.name = j->name, .job_name = j->name, .type = catalog_type_parse(j->type), .platform_name = j->platform,
		.backup_server = j->server, .initiated_by = "Scheduler", .state = ST_STARTING,
	};
	if(core_session_create(&w, &s))
		return;
	memset(l, 0, sizeof(*l));
	l->used = 1;
	l->job = j;
	l->id = w.sess.id;
	for(int k = 0; k < 5 && j->objects[k]; k++) {
		struct core_write tw = {.arena = a};
		struct task_rec t = {
			.session_id = l->id, .name = j->objects[k], .type = j->task_type, .state = ST_WORKING,
			.total_size = (int64_t)(demo_rand(&sim.rs) % 500 + 20) * 1024 * 1024 * 1024,
		};
		if(core_task_create(&tw, &t))
			continue;
		l->object[l->ntasks] = j->objects[k];
		l->size[l->ntasks] = t.total_size;
		l->task[l->ntasks++] = tw.task.id;
	}
	struct log_rec rec = {.status = LOG_SUCCEEDED, .title = "Job started"};
	struct core_write lw = {0};
	core_log_append(&lw, OWNER_SESSION, &l->id, &rec, 1);
}

static void sim_advance(struct live *l, struct arena *a)
{
	int64_t now = time_now_us();
	now -= now % 1000;
	int step = 3 + (int)(demo_rand(&sim.rs) % 9);
	l->progress = l->progress + step > 100 ? 100 : l->progress + step;
	struct sess_patch p;
	sess_patch_init(&p, now);
	p.has_progress = 1;
	p.progress = l->progress;
	p.has_state = 1;
	p.state = l->progress >= 95 ? ST_POSTPROCESSING : ST_WORKING;
	struct core_write w = {.arena = a};
	enum rc rc = core_session_patch(&w, &l->id, &p);
	int stop = w.sess.stop_requested;
	if(rc == RC_CONFLICT) {
		/* Asked to stop (Stopping allows no other state): finish as canceled below. */
		struct sess_rec cur;
		if(core_session_get(&l->id, a, &cur) || cur.state == ST_STOPPED) {
			l->used = 0;   /* stopped by someone else */
			return;
		}
		stop = cur.stop_requested;
	} else if(rc) {
		l->used = 0;   /* gone */
		return;
	}
	if(l->ntasks) {
		int k = (int)(demo_rand(&sim.rs) % (unsigned)l->ntasks);
		struct sess_patch tp;
		sess_patch_init(&tp, now);
		tp.has_progress = 1;
		tp.progress = l->progress;
		struct core_write tw = {0};
		core_task_patch(&tw, &l->task[k], &tp);
	}
	if(rand_pct(&sim.rs) < 30) {
		int warn = rand_pct(&sim.rs) < 8;
		l->warn |= warn;
		char title[160];
		if(warn)
			snprintf(title, sizeof(title), "%s", warn_msgs[l->progress % 4]);
		else
			snprintf(title, sizeof(title), "Processed %d%% of the data", l->progress);
		struct log_rec rec = {.status = warn ? LOG_WARNING : LOG_SUCCEEDED, .title = title};
		struct core_write lw = {0};
		core_log_append(&lw, OWNER_SESSION, &l->id, &rec, 1);
	}
	if(l->progress < 100 && !stop)
		return;
	int fail = !stop && rand_pct(&sim.rs) < l->job->fail_pct;
	struct sess_complete c = {
		.if_match = -1,
		.result = stop ? RES_FAILED : fail ? RES_FAILED : l->warn ? RES_WARNING : RES_SUCCESS,
		.message = stop ? "Stopped by user" : fail ? fail_msgs[l->progress % 4] : l->warn ? "Finished with warnings" : "",
		.is_canceled = stop,
		.end_us = now,
	};
	for(int k = 0; k < l->ntasks; k++) {
		struct core_write tw = {0};
		core_task_complete(&tw, &l->task[k], &c);
	}
	struct log_rec rec = {.status = c.result == RES_SUCCESS ? LOG_SUCCEEDED : c.result == RES_WARNING ? LOG_WARNING : LOG_FAILED,
	                      .title = stop ? "Job stopped by user" : c.result == RES_SUCCESS ? "Job finished successfully" : "Job finished",
	                      .start_us = now, .update_us = now};
	struct core_write lw = {0};
	core_log_append(&lw, OWNER_SESSION, &l->id, &rec, 1);
	struct core_write cw = {0};
	core_session_complete(&cw, &l->id, &c);
	if(c.result != RES_FAILED && cw.rc == RC_OK) {
		/* what it made: a restore point per task, and the repository fills */
		for(int k = 0; k < l->ntasks; k++)
			demo_estate_point(NULL, l->job, &l->id, l->object[k], now, l->size[k]);
		demo_estate_repos(NULL, now);
	}
	l->used = 0;
}

/* One simulator step: advance every running session, sometimes start one. */
static void sim_step(void *ctx)
{
	(void)ctx;
	int used = 0;
	for(int i = 0; i < LIVE_MAX; i++) {
		if(sim.live[i].used) {
			sim_advance(&sim.live[i], &sim.a);
			used++;
		}
	}
	if(used < LIVE_MAX && rand_pct(&sim.rs) < 35) {
		for(int i = 0; i < LIVE_MAX; i++)
			if(!sim.live[i].used) {
				sim_start_run(&sim.live[i], &sim.a);
				break;
			}
	}
	arena_reset(&sim.a);
}

void demo_start(uint64_t seed, unsigned interval_ms)
{
	sim.rs = seed ^ (uint64_t)time_now_us();
	demo_estate_load(seed);
	arena_init(&sim.a);
	ticker_start(&sim.ticker, interval_ms, 0, sim_step, NULL);
}

void demo_stop(void)
{
	ticker_stop(&sim.ticker);
	arena_free(&sim.a);
}
