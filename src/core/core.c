#include "core.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/feed.h"
#include "core/health.h"
#include "core/jobs.h"
#include "util/ticker.h"
#include "util/timefmt.h"

static struct {
	const struct store_ops *ops;
	struct store *st;
	struct store_writer *writer;
	struct core_info info;
	char server_name[256];
	char install_id[UUID_STR_LEN + 1];
} core;

/* The writer of the open store (core/write.c queues through it). */
struct store_writer *core__writer(void)
{
	return core.writer;
}

static enum rc ensure_install_id(char *err, size_t errlen)
{
	struct arena a;
	arena_init(&a);
	const char *v = NULL;
	enum rc rc = core.ops->kv_get(core.st, "installation_id", &a, &v);
	if(rc == RC_NOTFOUND) {
		struct uuid u;
		uuid_v4(&u);
		uuid_format(&u, core.install_id);
		struct core_write w = {0};
		rc = core_kv_put(&w, "installation_id", core.install_id);
		if(rc)
			snprintf(err, errlen, "cannot store the installation id: %s", w.err);
	} else if(!rc) {
		snprintf(core.install_id, sizeof(core.install_id), "%s", v);
	} else {
		snprintf(err, errlen, "cannot read settings from the database");
	}
	arena_free(&a);
	return rc;
}

enum rc core_open(const char *db_uri, char *err, size_t errlen)
{
	return core_open_read(db_uri, NULL, err, errlen);
}

enum rc core_open_read(const char *db_uri, const char *read_uri, char *err, size_t errlen)
{
	const struct store_ops *ops;
	struct store *st;
	enum rc rc = store_open_read(db_uri, read_uri, &ops, &st, err, errlen);
	return rc ? rc : core_open_store(ops, st, err, errlen);
}

enum rc core_open_store(const struct store_ops *ops, struct store *st, char *err, size_t errlen)
{
	enum rc rc;
	int missing = store_ops_missing(ops);
	if(missing >= 0) {
		snprintf(err, errlen, "the %s store lacks its operation %d", ops->name, missing);
		if(ops->close)
			ops->close(st);
		return RC_BACKEND;
	}
	core.ops = ops;
	core.st = st;
	ticker_on_thread_start(core_reads_rarely);
	if(gethostname(core.server_name, sizeof(core.server_name)) != 0 || !core.server_name[0])
		snprintf(core.server_name, sizeof(core.server_name), "sessiond");
	core.server_name[sizeof(core.server_name) - 1] = 0;
	if((rc = store_writer_start(ops, st, feed_committed, &core.writer))) {
		snprintf(err, errlen, "cannot start the writer thread");
		core_close();
		return rc;
	}
	ops->watch(st, feed_committed);   /* commits of other instances on the same database */
	if((rc = ensure_install_id(err, errlen))) {
		core_close();
		return rc;
	}
	core.info.server_name = core.server_name;
	core.info.installation_id = core.install_id;
	core.info.started_us = time_now_us();
	health_start();
	return RC_OK;
}

void core_close(void)
{
	health_stop();
	ticker_on_thread_start(NULL);
	store_writer_stop(core.writer);
	core.writer = NULL;
	core__jobs_forget();   /* the shared job view is of this store */
	if(core.ops && core.st)
		core.ops->close(core.st);
	core.st = NULL;
}

const struct core_info *core_info(void)
{
	return &core.info;
}

/* A read's rc; a backend failure starts a health episode. */
static enum rc seen(enum rc rc, const char *what)
{
	if(rc == RC_BACKEND) {
		char cause[300];
		snprintf(cause, sizeof(cause), "%s: %s", what, core.ops->read_error(core.st));
		health_failed(cause);
	}
	return rc;
}

enum rc core_session_get(const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	return seen(core.ops->session_get(core.st, id, a, out), "cannot read a session");
}

enum rc core_session_list(const struct query *q, struct arena *a, store_sess_cb cb, void *ctx, int64_t *total)
{
	return seen(core.ops->session_list(core.st, q, a, cb, ctx, total), "cannot list sessions");
}

enum rc core_task_get(const struct uuid *id, struct arena *a, struct task_rec *out)
{
	return seen(core.ops->task_get(core.st, id, a, out), "cannot read a task session");
}

enum rc core_task_list(const struct query *q, struct arena *a, store_task_cb cb, void *ctx, int64_t *total)
{
	return seen(core.ops->task_list(core.st, q, a, cb, ctx, total), "cannot list task sessions");
}

enum rc core_log_list(const struct uuid *owner, int status, struct arena *a, store_log_cb cb, void *ctx, int64_t *total)
{
	return seen(core.ops->log_list(core.st, owner, status, a, cb, ctx, total), "cannot read a log");
}

enum rc core_job_latest(struct arena *a, store_sess_cb cb, void *ctx)
{
	return seen(core.ops->job_latest(core.st, a, cb, ctx), "cannot read jobs");
}

int64_t core_usn(void)
{
	return core.ops->usn_current(core.st);
}

int64_t core_usn_fresh(void)
{
	int64_t u = core.ops->usn_fresh ? core.ops->usn_fresh(core.st) : -1;
	return u >= 0 ? u : core_usn();
}

void core_reads_rarely(void)
{
	if(core.st && core.ops->reads_rarely)
		core.ops->reads_rarely(core.st);
}

void core_release_memory(void)
{
	core_reads_rarely();
#ifndef __SANITIZE_ADDRESS__
	/* the freed pages go back to the system, not only to malloc (under AddressSanitizer
	 * malloc is the sanitizer's, and glibc's trim would walk an arena never set up) */
	malloc_trim(0);
#endif
}

void core_on_commit_time(void (*fn)(int64_t us))
{
	store_writer_on_commit_time(fn);
}

enum rc core_user_get(const char *name, struct arena *a, struct user_rec *out)
{
	return seen(core.ops->user_get(core.st, name, a, out), "cannot read a user");
}

enum rc core_user_get_uid(int64_t uid, struct arena *a, struct user_rec *out)
{
	return seen(core.ops->user_get_uid(core.st, uid, a, out), "cannot read a user");
}

enum rc core_user_list(struct arena *a, store_user_cb cb, void *ctx)
{
	return seen(core.ops->user_list(core.st, a, cb, ctx), "cannot list users");
}

enum rc core_user_count(int64_t *n)
{
	return seen(core.ops->user_count(core.st, n), "cannot count users");
}

enum rc core_kv_get(const char *key, struct arena *a, const char **value)
{
	return seen(core.ops->kv_get(core.st, key, a, value), "cannot read settings");
}

enum rc core_revoked_list(int kind, int64_t now_us, int64_t after, int64_t *last, store_revoked_cb cb, void *ctx)
{
	return seen(core.ops->revoked_list(core.st, kind, now_us, after, last, cb, ctx), "cannot read revocations");
}

enum rc core_logon_get(const char *sid, struct arena *a, struct logon_rec *out)
{
	return seen(core.ops->logon_get(core.st, sid, a, out), "cannot read a logon session");
}

enum rc core_logon_list(int64_t uid, struct arena *a, int (*cb)(void *, const struct logon_rec *), void *ctx)
{
	return seen(core.ops->logon_list(core.st, uid, a, cb, ctx), "cannot list logon sessions");
}

enum rc core_emtask_get(int64_t id, struct arena *a, struct emtask_rec *out)
{
	return seen(core.ops->emtask_get(core.st, id, a, out), "cannot read a task");
}

enum rc core_emtask_list(int64_t uid, struct arena *a, int (*cb)(void *, const struct emtask_rec *), void *ctx)
{
	return seen(core.ops->emtask_list(core.st, uid, a, cb, ctx), "cannot list tasks");
}

enum rc core_key_get(const char *id, struct arena *a, struct key_rec *out)
{
	return seen(core.ops->key_get(core.st, id, a, out), "cannot read an API key");
}

enum rc core_key_list(struct arena *a, int (*cb)(void *, const struct key_rec *), void *ctx)
{
	return seen(core.ops->key_list(core.st, a, cb, ctx), "cannot list API keys");
}

enum rc core_estate_get(int kind, const struct uuid *id, struct arena *a, struct estate_rec *out)
{
	return seen(core.ops->estate_get(core.st, kind, id, a, out), "cannot read the estate");
}

enum rc core_estate_list(const struct estate_query *q, struct arena *a, store_estate_cb cb, void *ctx, int64_t *total)
{
	return seen(core.ops->estate_list(core.st, q, a, cb, ctx, total), "cannot list the estate");
}
