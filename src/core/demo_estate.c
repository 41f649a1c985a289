/* demo_estate: the backup estate of the demo, agreeing with its sessions. The demo is
 * its reporter: backup servers, managed servers, proxies, repositories, protected
 * objects (VMs, computers, shares, databases, Azure items), declared jobs and Azure
 * policies (type, schedule, repository, objects), their backups, replicas, and one
 * restore point per successful task session of a job that makes backups (with the
 * session id and a size). A repository's used space is the sum of the restore points
 * it holds: it grows as sessions succeed and shrinks when the simulator's retention
 * removes old points, and stays below capacity; each time a repository is written, core
 * records its fill sample for the hour (core/fill.c), so the seeded runs leave the
 * repositories a fill history of their last 14 days. Ids are derived from names
 * (estate_name_id) as sessionctl derives them; restore points get time-ordered ids,
 * so a backup's points of one object list oldest first. Core verbs only. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/demo_int.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "util/timefmt.h"

#define TIB (1024LL * 1024 * 1024 * 1024)
#define DAY_US (86400LL * 1000000)
#define KEEP_POINTS 35          /* each job's retention: restore points kept per object */
#define REPORTER "sessiond demo"
#define DEMO_SILENT_JOB "Legacy File Server Backup"
#define DEMO_ALERT_RULE "demo failures"
#define DEMO_ALERT_URL "http://127.0.0.1:9500/"
#define DEMO_ALERT_SECRET "demo-secret-123"

struct demo_repo {
	const char *name, *type, *host, *path;
	int64_t capacity;
	int64_t used;               /* the sum of the sizes of its restore points */
	int dirty;
};

/* Capacities are above what retention can hold: at most KEEP_POINTS points per object,
 * a Full at most 60 % of 520 GiB once a week, increments at most 8 % of it. */
static struct demo_repo repos[] = {
	{REPO_DEFAULT, "WinLocal", "vbr01.corp.local", "D:\\Backups", 48 * TIB, 0, 0},
	{REPO_LINUX, "LinuxLocal", "repo01.corp.local", "/mnt/backups", 24 * TIB, 0, 0},
	{REPO_OFFSITE, "Smb", "nas02.corp.local", "\\\\nas02\\offsite", 10 * TIB, 0, 0},
	{REPO_AZURE, "AzureBlob", NULL, "vbazure-backups", 16 * TIB, 0, 0},
};
#define NREPOS (sizeof(repos) / sizeof(repos[0]))

static const struct {
	const char *name, *description, *version;
	int port;
} servers[] = {
	{"vbr01.corp.local", "Veeam Backup & Replication (demo)", "12.3.1", 9419},
	{"vbr02.corp.local", "Veeam Backup & Replication (demo)", "12.3.1", 9419},
	{"vbazure.corp.local", "Veeam Backup for Microsoft Azure (demo)", "8.1", 443},
};

static const struct {
	const char *name, *type, *description;
} hosts[] = {
	{"vbr01.corp.local", "WindowsHost", "backup server"},
	{"vbr02.corp.local", "WindowsHost", "backup server"},
	{"proxy02.corp.local", "WindowsHost", "backup proxy"},
	{"esx01.corp.local", "ViHost", "ESXi host"},
	{"esx02.corp.local", "ViHost", "ESXi host (replica target)"},
	{"hv01.corp.local", "WindowsHost", "Hyper-V host"},
	{"repo01.corp.local", "LinuxHost", "Linux repository server"},
};

static const struct {
	const char *name, *host;
	int max_tasks;
} proxies[] = {
	{"VMware Backup Proxy", "vbr01.corp.local", 4},
	{"proxy02.corp.local", "proxy02.corp.local", 8},
};

static const struct {
	const char *name, *type, *platform, *host;
} objects[] = {
	{"web01", "Vm", "VMware", "esx01.corp.local"},
	{"web02", "Vm", "VMware", "esx01.corp.local"},
	{"db01", "Vm", "VMware", "esx01.corp.local"},
	{"app01", "Vm", "VMware", "esx01.corp.local"},
	{"sql01", "Vm", "HyperV", "hv01.corp.local"},
	{"sql02", "Vm", "HyperV", "hv01.corp.local"},
	{"fs01", "Computer", "WindowsPhysical", "fs01.corp.local"},
	{"\\\\nas01\\projects", "Share", "UnstructuredData", "nas01.corp.local"},
	{"\\\\nas01\\home", "Share", "UnstructuredData", "nas01.corp.local"},
	{"lt-anna", "Computer", "WindowsPhysical", NULL},
	{"lt-bob", "Computer", "WindowsPhysical", NULL},
	{"lt-chen", "Computer", "WindowsPhysical", NULL},
	{"app-lx01", "Computer", "LinuxPhysical", "app-lx01.corp.local"},
	{"app-lx02", "Computer", "LinuxPhysical", "app-lx02.corp.local"},
	{"az-web01", "Vm", "Azure", NULL},            /* Azure workloads: platform Azure */
	{"az-api01", "Vm", "Azure", NULL},
	{"sqldb-orders", "Database", "Azure", "sqlsrv-prod"},
	{"share-finance", "Share", "Azure", NULL},
	{"ora-prod", "Database", NULL, "ora01.corp.local"},
};

static uint64_t ers;                       /* the estate's own random stream */
static unsigned char has_point[64][5];     /* job × object: a restore point exists (seeding) */

/* ---------- writing ---------- */

/* Writes an object: queued in b, or at once (b NULL: the result is returned). */
static enum rc put(struct demo_batch *b, int kind, const struct uuid *id, const char *name, const struct uuid *parent,
                   json_t *props)
{
	enum rc rc = RC_OK;
	char *text = json_dumps(props, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(props);
	struct estate_rec e = {.kind = kind, .id = *id, .reporter = REPORTER};
	if(parent)
		e.parent_id = *parent;
	if(b) {
		e.name = arena_strdup(&b->a, name);
		e.props = arena_strdup(&b->a, text ? text : "{}");
		struct estate_rec *copy = arena_zalloc(&b->a, sizeof(*copy));
		*copy = e;
		core_estate_put(demo_batch_new(b), copy);
	} else {
		e.name = name;
		e.props = text ? text : "{}";
		struct core_write w = {0};
		rc = core_estate_put(&w, &e);
	}
	free(text);
	return rc;
}

static void name_id(int kind, const char *name, struct uuid *out)
{
	estate_name_id(kind, name, out);
}

/* A job's backup: id from "<job id>/<repository name>" as sessionctl derives it. */
static void backup_id(const struct demo_job *j, struct uuid *out)
{
	struct uuid jid;
	char s[UUID_STR_LEN + 1], key[300];
	name_id(EK_job, j->name, &jid);
	uuid_format(&jid, s);
	snprintf(key, sizeof(key), "%s/%s", s, j->repository ? j->repository : "");
	name_id(EK_backup, key, out);
}

static struct demo_repo *repo_of(const char *name)
{
	for(size_t i = 0; name && i < NREPOS; i++)
		if(!strcmp(repos[i].name, name))
			return &repos[i];
	return NULL;
}

/* Whether job j's successful tasks make restore points: its tasks back something up. */
static int makes_points(const struct demo_job *j)
{
	return j->task_type == TT_BACKUP && j->objects[0];
}

/* ---------- the static part ---------- */

enum rc demo_estate_seed(struct demo_batch *b, uint64_t seed, int64_t start_us)
{
	struct uuid id, parent;
	ers = seed ^ 0x65737461746521ULL;
	memset(has_point, 0, sizeof(has_point));
	for(size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		name_id(EK_backupServer, servers[i].name, &id);
		put(b, EK_backupServer, &id, servers[i].name, NULL,
		    json_pack("{s:s,s:s,s:i}", "description", servers[i].description, "version", servers[i].version, "port",
		              servers[i].port));
	}
	for(size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		name_id(EK_managedServer, hosts[i].name, &id);
		put(b, EK_managedServer, &id, hosts[i].name, NULL,
		    json_pack("{s:s,s:s}", "type", hosts[i].type, "description", hosts[i].description));
	}
	for(size_t i = 0; i < NREPOS; i++) {
		repos[i].used = 0;
		repos[i].dirty = 1;
	}
	for(size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		name_id(EK_protectedObject, objects[i].name, &id);
		json_t *p = json_pack("{s:s}", "type", objects[i].type);
		if(objects[i].platform)
			json_object_set_new(p, "platform", json_string(objects[i].platform));
		if(objects[i].host)
			json_object_set_new(p, "host", json_string(objects[i].host));
		if(!strcmp(objects[i].type, "Share") && objects[i].name[0] == '\\')
			json_object_set_new(p, "path", json_string(objects[i].name));
		put(b, EK_protectedObject, &id, objects[i].name, NULL, p);
	}
	for(size_t k = 0; k < demo_njobs; k++) {
		const struct demo_job *j = &demo_jobs[k];
		if(catalog_type_parse(j->type) == catalog_type_parse("RestoreVm"))
			continue;   /* a restore is no job */
		name_id(EK_job, j->name, &id);
		char schedule[32];
		snprintf(schedule, sizeof(schedule), "0 %d * * *", j->hour);
		json_t *objs = json_array();
		for(int o = 0; o < 5 && j->objects[o]; o++)
			json_array_append_new(objs, json_string(j->objects[o]));
		json_t *p = json_pack("{s:s,s:s,s:i,s:o}", "type", j->type, "schedule", schedule, "graceSeconds", 900,
		                      "objects", objs);
		if(j->repository)
			json_object_set_new(p, "repository", json_string(j->repository));
		put(b, EK_job, &id, j->name, NULL, p);
	}
	/* A job declared with a schedule that nothing runs: its missed runs (every 10 minutes,
	 * recorded by the schedule sweep) are the demo's "what did not happen". */
	name_id(EK_job, DEMO_SILENT_JOB, &id);
	put(b, EK_job, &id, DEMO_SILENT_JOB, NULL,
	    json_pack("{s:s,s:s,s:s,s:i}", "type", "BackupJob", "description",
	              "declared, but its reporter no longer runs it: the demo's missed runs", "schedule", "*/10 * * * *",
	              "graceSeconds", 120));
	/* One alert rule: the demo's failures posted to the local receiver docs/ALERTS.md
	 * shows how to start (a receiver that is not running makes deliveries that retry and
	 * then fail, listed like any other). */
	name_id(EK_alertRule, DEMO_ALERT_RULE, &id);
	put(b, EK_alertRule, &id, DEMO_ALERT_RULE, NULL,
	    json_pack("{s:s,s:s,s:s}", "event", "failed", "url", DEMO_ALERT_URL, "secret", DEMO_ALERT_SECRET));
	/* parents first: the children below check them */
	if(demo_batch_wait(b))
		return RC_BACKEND;
	for(size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
		name_id(EK_proxy, proxies[i].name, &id);
		name_id(EK_managedServer, proxies[i].host, &parent);
		put(b, EK_proxy, &id, proxies[i].name, &parent,
		    json_pack("{s:s,s:s,s:i,s:b}", "type", "ViProxy", "server", proxies[i].host, "maxTasks", proxies[i].max_tasks,
		              "disabled", 0));
	}
	for(size_t k = 0; k < demo_njobs; k++) {
		const struct demo_job *j = &demo_jobs[k];
		name_id(EK_job, j->name, &parent);
		if(makes_points(j)) {
			backup_id(j, &id);
			json_t *p = json_object();
			if(j->repository)
				json_object_set_new(p, "repository", json_string(j->repository));
			if(j->platform)
				json_object_set_new(p, "platform", json_string(j->platform));
			put(b, EK_backup, &id, j->name, &parent, p);
		}
		for(int o = 0; j->task_type == TT_REPLICA && o < 5 && j->objects[o]; o++) {
			char name[128];
			snprintf(name, sizeof(name), "%s_replica", j->objects[o]);
			name_id(EK_replica, name, &id);
			json_t *p = json_pack("{s:s,s:s}", "object", j->objects[o], "host", "esx02.corp.local");
			if(j->platform)
				json_object_set_new(p, "platform", json_string(j->platform));
			put(b, EK_replica, &id, name, &parent, p);
		}
	}
	demo_estate_repos(b, start_us);   /* empty when the history starts */
	return demo_batch_wait(b) ? RC_BACKEND : RC_OK;
}

/* ---------- restore points and used space ---------- */

void demo_estate_repos(struct demo_batch *b, int64_t now_us)
{
	char when[TIME_STR_MAX];
	time_format(now_us - now_us % 1000, 3, when);
	for(size_t i = 0; i < NREPOS; i++) {
		struct demo_repo *r = &repos[i];
		if(!r->dirty)
			continue;
		r->dirty = 0;
		struct uuid id;
		name_id(EK_repository, r->name, &id);
		json_t *p = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "type", r->type, "path", r->path, "capacityBytes",
		                      (json_int_t)r->capacity, "freeBytes", (json_int_t)(r->capacity - r->used), "usedBytes",
		                      (json_int_t)r->used, "measuredTime", when);
		if(r->host)
			json_object_set_new(p, "host", json_string(r->host));
		put(b, EK_repository, &id, r->name, NULL, p);
	}
}

struct points {
	int64_t n;
	struct uuid oldest[8];
	int64_t oldest_size[8];
};

static int take_point(void *ctx, const struct estate_rec *e)
{
	struct points *p = ctx;
	if(p->n < 8) {
		json_t *props = e->props ? json_loads(e->props, 0, NULL) : NULL;
		json_t *size = json_object_get(props, "sizeBytes");
		p->oldest[p->n] = e->id;
		p->oldest_size[p->n] = json_is_integer(size) ? json_integer_value(size) : 0;
		json_decref(props);
	}
	p->n++;
	return 0;
}

/* The simulator's retention: the oldest points of object beyond KEEP_POINTS go, and their
 * space with them. Returns how many points the object had before. */
static int64_t retain(const struct uuid *backup, const char *object, struct demo_repo *r)
{
	struct arena a;
	arena_init(&a);
	struct points p = {0};
	struct estate_query q = {.kind = EK_restorePoint, .parent_id = *backup, .name = object, .after_usn = -1};
	if(core_estate_list(&q, &a, take_point, &p, NULL)) {
		arena_free(&a);
		return -1;
	}
	for(int64_t i = 0; i < 8 && p.n - i > KEEP_POINTS; i++) {
		struct core_write w = {0};
		if(core_estate_del(&w, EK_restorePoint, &p.oldest[i]) == RC_OK && r) {
			r->used -= p.oldest_size[i];
			r->dirty = 1;
		}
	}
	arena_free(&a);
	return p.n;
}

void demo_estate_point(struct demo_batch *b, const struct demo_job *j, const struct uuid *session, const char *object,
                       int64_t end_us, int64_t total_size)
{
	if(!makes_points(j))
		return;
	struct uuid bid, pid;
	backup_id(j, &bid);
	struct demo_repo *r = repo_of(j->repository);
	int k = 0;
	while(k < 4 && j->objects[k] && strcmp(j->objects[k], object))
		k++;
	size_t ji = (size_t)(j - demo_jobs);
	int full;
	if(b) {
		/* the history: a Full first and every Sunday, increments between */
		full = ji >= 64 || !has_point[ji][k] || (end_us / DAY_US + 4) % 7 == 0;
		if(ji < 64)
			has_point[ji][k] = 1;
	} else {
		full = retain(&bid, object, r) == 0;
	}
	int64_t pct = full ? 40 + (int64_t)(demo_rand(&ers) % 21) : 2 + (int64_t)(demo_rand(&ers) % 7);
	int64_t size = total_size / 100 * pct;
	if(r && r->used + size > r->capacity)
		return;   /* never above capacity (the sizes above keep clear of it) */
	end_us -= end_us % 1000;
	demo_uuid(&ers, end_us / 1000, &pid);
	char when[TIME_STR_MAX], sid[UUID_STR_LEN + 1];
	time_format(end_us, 3, when);
	uuid_format(session, sid);
	json_t *p = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "object", object, "time", when, "pointType",
	                      full ? "Full" : "Increment", "sizeBytes", (json_int_t)size, "job", j->name, "sessionId", sid);
	if(j->repository)
		json_object_set_new(p, "repository", json_string(j->repository));
	if(j->platform)
		json_object_set_new(p, "platform", json_string(j->platform));
	if(put(b, EK_restorePoint, &pid, object, &bid, p) == RC_OK && r) {
		r->used += size;
		r->dirty = 1;
	}
}

void demo_estate_load(uint64_t seed)
{
	ers = seed ^ 0x65737461746521ULL ^ (uint64_t)time_now_us();
	struct arena a;
	arena_init(&a);
	for(size_t i = 0; i < NREPOS; i++) {
		struct uuid id;
		struct estate_rec e;
		name_id(EK_repository, repos[i].name, &id);
		repos[i].dirty = 0;
		if(core_estate_get(EK_repository, &id, &a, &e))
			continue;
		json_t *p = e.props ? json_loads(e.props, 0, NULL) : NULL;
		json_t *used = json_object_get(p, "usedBytes");
		repos[i].used = json_is_integer(used) ? json_integer_value(used) : 0;
		json_decref(p);
	}
	arena_free(&a);
}
