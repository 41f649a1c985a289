/* demo_int: what demo.c (sessions) and demo_estate.c (the estate they agree with)
 * share. Private to the demo. */
#ifndef SESSIOND_CORE_DEMO_INT_H
#define SESSIOND_CORE_DEMO_INT_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* The demo's repositories (demo_estate.c has their sizes). */
#define REPO_DEFAULT "Default Backup Repository"
#define REPO_LINUX "Linux Repository"
#define REPO_OFFSITE "Offsite SMB Share"
#define REPO_AZURE "Azure Blob Repository"

struct demo_job {
	const char *name;
	const char *type;           /* canonical catalog name */
	const char *platform;       /* EPlatformType, or NULL */
	const char *server;         /* backup server that reports it */
	int hour;                   /* daily start hour (UTC) */
	int minutes;                /* typical duration */
	int fail_pct, warn_pct;     /* how often it fails / warns */
	int task_type;              /* enum task_type */
	const char *objects[5];     /* protected objects: one task session each */
	const char *repository;     /* where its backups go, or NULL */
};

extern const struct demo_job demo_jobs[];
extern const size_t demo_njobs;

/** splitmix64 step; a version-7 layout UUID at ms from s. */
uint64_t demo_rand(uint64_t *s);
void demo_uuid(uint64_t *s, int64_t ms, struct uuid *u);

/* Batched asynchronous writes, waited for as a whole. */
struct demo_batch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending;
	int failed;
	struct arena a;
};
/** A write of the batch: counted as pending before any verb can finish it. */
struct core_write *demo_batch_new(struct demo_batch *b);
/** Waits for every write of the batch; how many failed. */
int demo_batch_wait(struct demo_batch *b);

/* ---- demo_estate.c ---- */

/** The estate without its restore points: backup servers, managed servers, proxies,
 *  repositories (empty, measured at start_us: when the history starts), protected objects,
 *  declared jobs, backups and replicas. Waits. */
enum rc demo_estate_seed(struct demo_batch *b, uint64_t seed, int64_t start_us);
/** A successful task session of job j made a restore point of object: registered (with
 *  the session id and a size from the task's total size) and, when the job writes to a
 *  repository, counted in its used space. b NULL: written at once (the simulator), with
 *  the job's retention applied. */
void demo_estate_point(struct demo_batch *b, const struct demo_job *j, const struct uuid *session,
                       const char *object, int64_t end_us, int64_t total_size);
/** Writes the repositories whose used space changed (b NULL: at once). */
void demo_estate_repos(struct demo_batch *b, int64_t now_us);
/** The simulator's start: the repositories' used space as stored. */
void demo_estate_load(uint64_t seed);

#endif
