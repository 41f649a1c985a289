/* sessiond-gen: fills a store with realistic sessions, task sessions and log
 * records straight through core's write verbs (no HTTP), in large group-committed
 * batches, so that benches over a million sessions start in seconds.
 *
 *   sessiond-gen --db PATH --sessions N [--running R] [--days D] [--jobs J]
 *                [--tasks-every K] [--logs-every K] [--seed S]
 *                [--sample-file F] [--running-file F] [--revocations N]
 *
 * Sessions are spread evenly over the last D days (oldest first, time-ordered
 * ids made from their creation time); the newest R are still running. Most are
 * backup jobs of J jobs; results are 85% Success, 10% Warning, 5% Failed.
 * Every K-th session gets two task sessions (--tasks-every) and three log
 * records (--logs-every); 0 turns either off. --sample-file receives the id of
 * one stopped session, --running-file the ids of the running ones. --revocations
 * stores N logouts (revoked token families that have not expired), which every
 * token check must look past. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "model/catalog.h"
#include "util/mem.h"
#include "util/timefmt.h"
#include "util/uuid.h"

#define WINDOW 8192                  /* writes in flight at once */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* splitmix64: reproducible for a given --seed */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int64_t rnd_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* A version-7 uuid for a given time, so ids sort like their creation time. */
static void uuid_at(struct uuid *u, int64_t us)
{
	uint64_t ms = (uint64_t)(us / 1000);
	uint64_t r1 = rnd(), r2 = rnd();
	for(int i = 0; i < 6; i++)
		u->b[i] = (unsigned char)(ms >> (40 - 8 * i));
	unsigned sub = (unsigned)((us % 1000) * 4096 / 1000);
	u->b[6] = (unsigned char)(0x70 | ((sub >> 8) & 0x0f));
	u->b[7] = (unsigned char)sub;
	memcpy(u->b + 8, &r1, 4);
	memcpy(u->b + 12, &r2, 4);
	u->b[8] = (unsigned char)((u->b[8] & 0x3f) | 0x80);
}

/* ---- batches: submit up to WINDOW writes, wait until all committed ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending;
	int64_t failed;
	char first_err[256];
} win = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void on_done(struct core_write *w)
{
	pthread_mutex_lock(&win.lock);
	if(w->rc) {
		if(!win.failed++)
			snprintf(win.first_err, sizeof(win.first_err), "%s", w->err);
	}
	if(--win.pending == 0)
		pthread_cond_signal(&win.cond);
	pthread_mutex_unlock(&win.lock);
}

struct gen {
	struct core_write *w;        /* WINDOW slots */
	int n;                       /* slots used */
	struct arena a;              /* records and strings of the writes in flight */
};

/* Waits until every write in flight committed. */
static void flush(struct gen *g)
{
	if(!g->n)
		return;
	pthread_mutex_lock(&win.lock);
	while(win.pending)
		pthread_cond_wait(&win.cond, &win.lock);
	pthread_mutex_unlock(&win.lock);
	g->n = 0;
	arena_reset(&g->a);
}

/* A write slot, counted in flight before its verb is called. */
static struct core_write *slot(struct gen *g)
{
	if(g->n == WINDOW)
		flush(g);
	struct core_write *w = &g->w[g->n++];
	memset(w, 0, sizeof(*w));
	w->done = on_done;
	pthread_mutex_lock(&win.lock);
	win.pending++;
	pthread_mutex_unlock(&win.lock);
	return w;
}

/* ---- the data ---- */

struct job {
	char name[64];
	struct uuid id;
	int type;
	int objects;                 /* protected objects: task sessions per run */
};

static const struct { const char *type; int weight; const char *prefix; } job_kinds[] = {
	{"BackupJob", 70, "Backup Job"},
	{"ReplicaJob", 8, "Replication Job"},
	{"ConfigurationBackup", 2, "Backup Configuration Job"},
	{"RepositoryMaintenance", 4, "Repository Maintenance"},
	{"MalwareDetection", 4, "Malware Detection"},
	{"FileLevelRestore", 4, "File Level Restore"},
	{"RestoreVm", 3, "VM Restore"},
	{"Infrastructure", 5, "Infrastructure Rescan"},
};

static const char *const users[] = {"VEEAM\\Administrator", "VEEAM\\backup-svc", "root", "scheduler"};
static const char *const warn_msgs[] = {
	"Processing finished with warnings at 2:14:07", "Changed block tracking is disabled",
	"Low free space on the repository (9% left)",
};
static const char *const fail_msgs[] = {
	"Error: Failed to connect to the host: connection timed out",
	"Error: Not enough storage space on the target repository",
	"Error: The snapshot could not be created",
};

static void make_jobs(struct job *jobs, int n)
{
	int total = 0;
	for(size_t k = 0; k < sizeof(job_kinds) / sizeof(job_kinds[0]); k++)
		total += job_kinds[k].weight;
	for(int i = 0; i < n; i++) {
		int pick = (int)rnd_range(0, total - 1);
		size_t k = 0;
		while(pick >= job_kinds[k].weight)
			pick -= job_kinds[k++].weight;
		jobs[i].type = catalog_type_parse(job_kinds[k].type);
		if(jobs[i].type < 0)
			jobs[i].type = catalog_type_parse("BackupJob");
		snprintf(jobs[i].name, sizeof(jobs[i].name), "%s %03d", job_kinds[k].prefix, i + 1);
		uuid_v4(&jobs[i].id);
		jobs[i].objects = (int)rnd_range(1, 8);
	}
}

/* A session; one that will get task sessions or logs (open) starts running and is
 * completed by finish_session after them, since a stopped session is final. */
static void add_session(struct gen *g, const struct job *j, int64_t creation, int running, int open, int is_retry,
                        struct uuid *id_out, struct sess_complete *end)
{
	struct core_write *w = slot(g);   /* first: a full window flushes, and resets the arena */
	struct sess_rec *s = arena_zalloc(&g->a, sizeof(*s));
	uuid_at(&s->id, creation);
	*id_out = s->id;
	s->name = j->name;
	s->job_name = j->name;
	s->job_id = j->id;
	s->type = j->type;
	s->creation_us = creation;
	s->platform_name = "VMware";
	s->initiated_by = users[rnd() % (sizeof(users) / sizeof(users[0]))];
	s->backup_server = "vbr01.example.com";
	s->is_retry = is_retry;
	if(running) {
		s->state = ST_WORKING;
		s->progress = (int)rnd_range(0, 99);
		s->result = RES_NONE;
		/* a year's lease: a store kept in build/bench for days still has its running
		 * sessions (with the default 10 minutes the lease sweep ends them, and ingest
		 * benchmarks get 409 for them) */
		s->heartbeat_s = 365 * 24 * 3600;
	} else {
		int p = (int)rnd_range(0, 99);
		s->state = ST_STOPPED;
		s->progress = 100;
		s->result = p < 85 ? RES_SUCCESS : p < 95 ? RES_WARNING : RES_FAILED;
		s->end_us = creation + rnd_range(30, 7200) * 1000000;
		if(s->result == RES_WARNING)
			s->message = warn_msgs[rnd() % 3];
		else if(s->result == RES_FAILED)
			s->message = fail_msgs[rnd() % 3];
		s->is_canceled = s->result == RES_FAILED && rnd() % 10 == 0;
		if(open) {
			*end = (struct sess_complete){.if_match = -1, .result = s->result, .message = s->message,
			                              .is_canceled = s->is_canceled, .end_us = s->end_us};
			s->state = ST_WORKING;
			s->result = RES_NONE;
			s->message = NULL;
			s->is_canceled = 0;
			s->end_us = 0;
		}
	}
	if(j->type == catalog_type_parse("BackupJob")) {
		char pid[UUID_STR_LEN + 1];
		uuid_format(&j->id, pid);
		s->extra = arena_printf(&g->a,
		                        "{\"backupJobInfo\":{\"policyId\":\"%s\",\"policyName\":\"%s\","
		                        "\"policyType\":\"Vm\",\"protectedInstancesCount\":%d,\"policyRemoved\":false}}",
		                        pid, j->name, j->objects);
	}
	core_session_create(w, s);
}

static void finish_session(struct gen *g, const struct uuid *id, const struct sess_complete *end)
{
	struct core_write *w = slot(g);
	struct sess_complete *c = arena_alloc(&g->a, sizeof(*c));
	*c = *end;
	core_session_complete(w, id, c);
}

static void add_tasks(struct gen *g, const struct job *j, const struct uuid *sid, int64_t creation, int running)
{
	for(int t = 0; t < 2; t++) {
		struct core_write *w = slot(g);
		struct task_rec *k = arena_zalloc(&g->a, sizeof(*k));
		uuid_at(&k->id, creation + 1000 * (t + 1));
		k->session_id = *sid;
		k->name = arena_printf(&g->a, "vm-%s-%02d", j->name + strlen(j->name) - 3, t + 1);
		k->type = TT_BACKUP;
		k->state = running ? ST_WORKING : ST_STOPPED;
		k->result = running ? RES_NONE : RES_SUCCESS;
		k->progress = running ? 50 : 100;
		k->total_size = rnd_range(1, 500) << 30;
		k->creation_us = creation + 1000 * (t + 1);
		k->end_us = running ? 0 : creation + rnd_range(30, 3600) * 1000000;
		core_task_create(w, k);
	}
}

static void add_logs(struct gen *g, const struct uuid *sid, int64_t creation)
{
	static const char *const titles[] = {
		"Job started at %s", "Building list of objects to process", "Processing finished",
	};
	struct core_write *w = slot(g);
	struct log_rec *logs = arena_zalloc(&g->a, 3 * sizeof(struct log_rec));
	for(int i = 0; i < 3; i++) {
		struct log_rec *l = &logs[i];
		l->status = LOG_SUCCEEDED;
		l->title = i == 0 ? arena_printf(&g->a, titles[0], "the scheduled time") : titles[i];
		l->start_us = creation + i * 1000000;
		l->update_us = l->start_us + 500000;
	}
	core_log_append(w, OWNER_SESSION, sid, logs, 3);
}

static void write_ids(const char *path, const struct uuid *ids, int64_t n)
{
	if(!path)
		return;
	FILE *f = fopen(path, "w");
	if(!f) {
		fprintf(stderr, "sessiond-gen: cannot write %s\n", path);
		exit(1);
	}
	char s[UUID_STR_LEN + 1];
	for(int64_t i = 0; i < n; i++) {
		uuid_format(&ids[i], s);
		fprintf(f, "%s\n", s);
	}
	fclose(f);
}

static void usage(void)
{
	fputs("usage: sessiond-gen --db PATH --sessions N [--running R] [--days D] [--jobs J]\n"
	      "                    [--tasks-every K] [--logs-every K] [--seed S]\n"
	      "                    [--sample-file F] [--running-file F] [--revocations N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *sample_file = NULL, *running_file = NULL;
	int64_t nsess = -1, running = 100, days = 365, njobs = 300, tasks_every = 10, logs_every = 10, nrevoked = 0;
	for(int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if(!v)
			usage();
		char *end = NULL;
		long long n = strtoll(v, &end, 10);
		int num = *v && !*end && n >= 0;
		if(!strcmp(a, "--db"))
			db = v;
		else if(!strcmp(a, "--sample-file"))
			sample_file = v;
		else if(!strcmp(a, "--running-file"))
			running_file = v;
		else if(num && !strcmp(a, "--sessions"))
			nsess = n;
		else if(num && !strcmp(a, "--running"))
			running = n;
		else if(num && !strcmp(a, "--days") && n > 0)
			days = n;
		else if(num && !strcmp(a, "--jobs") && n > 0)
			njobs = n;
		else if(num && !strcmp(a, "--tasks-every"))
			tasks_every = n;
		else if(num && !strcmp(a, "--logs-every"))
			logs_every = n;
		else if(num && !strcmp(a, "--revocations"))
			nrevoked = n;
		else if(num && !strcmp(a, "--seed"))
			rng_state ^= (uint64_t)n * 0x2545f4914f6cdd1dull;
		else
			usage();
		i++;
	}
	if(!db || nsess < 0)
		usage();
	if(running > nsess)
		running = nsess;

	struct gen g = {0};
	char err[256] = "";
	if(core_open(db, err, sizeof(err))) {
		fprintf(stderr, "sessiond-gen: %s\n", err);
		return 1;
	}
	g.w = xcalloc(WINDOW, sizeof(*g.w));
	arena_init(&g.a);
	struct job *jobs = xcalloc((size_t)njobs, sizeof(*jobs));
	make_jobs(jobs, (int)njobs);
	struct uuid *run_ids = xcalloc((size_t)(running ? running : 1), sizeof(*run_ids));
	struct uuid sample = {{0}};

	int64_t t0 = time_now_us();
	int64_t now = t0 - t0 % 1000;
	int64_t span = days * 86400 * INT64_C(1000000);
	int64_t start = now - span;
	int64_t step = nsess ? span / nsess : 0;
	int64_t ntasks = 0, nlogs = 0;
	for(int64_t i = 0; i < nsess; i++) {
		int64_t creation = start + i * step + rnd_range(0, step > 1000 ? step / 2 : 0);
		creation -= creation % 1000;
		int is_running = i >= nsess - running;
		const struct job *j = &jobs[rnd() % (uint64_t)njobs];
		struct uuid id;
		struct sess_complete end;
		int with_tasks = tasks_every && i % tasks_every == 0, with_logs = logs_every && i % logs_every == 0;
		add_session(&g, j, creation, is_running, with_tasks || with_logs, rnd() % 50 == 0, &id, &end);
		if(is_running)
			run_ids[i - (nsess - running)] = id;
		else if(i == nsess / 2 || uuid_is_nil(&sample))
			sample = id;
		if(with_tasks) {
			add_tasks(&g, j, &id, creation, is_running);
			ntasks += 2;
		}
		if(with_logs) {
			add_logs(&g, &id, creation);
			nlogs += 3;
		}
		if((with_tasks || with_logs) && !is_running)
			finish_session(&g, &id, &end);
		if(i && i % 100000 == 0) {
			flush(&g);
			fprintf(stderr, "sessiond-gen: %" PRId64 " sessions\n", i);
		}
	}
	for(int64_t i = 0; i < nrevoked; i++) {
		struct core_write *w = slot(&g);   /* first: a full window flushes, and resets the arena */
		char *key = arena_printf(&g.a, "f%016" PRIx64 "%016" PRIx64, rnd(), rnd());
		core_token_revoke(w, key, REVOKE_LOGOUT, now + 14 * 86400 * INT64_C(1000000));
	}
	flush(&g);
	core_close();
	int64_t us = time_now_us() - t0;
	if(win.failed) {
		fprintf(stderr, "sessiond-gen: %" PRId64 " writes failed, first: %s\n", win.failed, win.first_err);
		return 1;
	}
	fprintf(stderr, "sessiond-gen: %" PRId64 " sessions (%" PRId64 " running), %" PRId64 " task sessions, %" PRId64
	        " log records, %" PRId64 " revocations in %.1f s\n", nsess, running, ntasks, nlogs, nrevoked,
	        (double)us / 1e6);
	if(sample_file && nsess > running)
		write_ids(sample_file, &sample, 1);
	write_ids(running_file, run_ids, running);
	free(run_ids);
	free(jobs);
	free(g.w);
	arena_free(&g.a);
	return 0;
}
