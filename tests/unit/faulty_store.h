/* A struct store_ops that forwards to a real backend and fails chosen operations
 * with RC_BACKEND (fault injection, as STYLE.md asks). Set faulty.inner before
 * opening; set bits of faulty.fail (FAIL_*: open and the reads) and of
 * faulty.fail_tx (1u << FTX_*: the write transaction's primitives) to make those
 * operations fail; faulty.hits counts injected failures. An injected transaction
 * failure reads back from tx_error as "injected: <primitive>". */
#ifndef SESSIOND_TESTS_FAULTY_STORE_H
#define SESSIOND_TESTS_FAULTY_STORE_H
#include <stdio.h>

#include "store/store.h"

enum {
	FAIL_OPEN = 1 << 0, FAIL_SESSION_GET = 1 << 1, FAIL_SESSION_LIST = 1 << 2, FAIL_TASK_GET = 1 << 3,
	FAIL_TASK_LIST = 1 << 4, FAIL_JOB_LATEST = 1 << 5, FAIL_LOG_LIST = 1 << 6, FAIL_USER_GET = 1 << 7,
	FAIL_USER_GET_UID = 1 << 8, FAIL_USER_LIST = 1 << 9, FAIL_USER_COUNT = 1 << 10, FAIL_KV_GET = 1 << 11,
	FAIL_REVOKED_LIST = 1 << 12, FAIL_LOGON_GET = 1 << 13, FAIL_LOGON_LIST = 1 << 14, FAIL_EMTASK_GET = 1 << 15,
	FAIL_EMTASK_LIST = 1 << 16, FAIL_KEY_GET = 1 << 17, FAIL_KEY_LIST = 1 << 18,
	FAIL_ESTATE_GET = 1 << 19, FAIL_ESTATE_LIST = 1 << 20,
};

/* The transaction primitives, by bit of faulty.fail_tx. */
enum ftx {
	FTX_BEGIN, FTX_COMMIT, FTX_USN_NEXT, FTX_SESSION_LOAD, FTX_SESSION_INSERT, FTX_SESSION_UPDATE,
	FTX_SESSION_DELETE, FTX_SESSIONS_ENDED, FTX_TASK_LOAD, FTX_TASK_INSERT, FTX_TASK_UPDATE, FTX_LOG_LAST,
	FTX_LOG_INSERT, FTX_LOG_UPDATE, FTX_USER_PUT, FTX_USER_LOAD, FTX_USER_DELETE, FTX_KV_PUT, FTX_REVOKE,
	FTX_REVOKED_PURGE, FTX_LOGON_PUT, FTX_LOGON_LOAD, FTX_LOGON_DELETE, FTX_LOGON_OF_USER, FTX_EMTASK_PUT,
	FTX_EMTASK_DELETE, FTX_KEY_PUT, FTX_KEY_LOAD, FTX_KEY_DELETE, FTX_ESTATE_LOAD, FTX_ESTATE_PUT,
	FTX_SESSIONS_DROP, FTX__COUNT
};

static const char *const faulty_tx_names[FTX__COUNT] = {
	[FTX_BEGIN] = "tx_begin", [FTX_COMMIT] = "tx_commit", [FTX_USN_NEXT] = "tx_usn_next",
	[FTX_SESSION_LOAD] = "tx_session_load", [FTX_SESSION_INSERT] = "tx_session_insert",
	[FTX_SESSION_UPDATE] = "tx_session_update", [FTX_SESSION_DELETE] = "tx_session_delete",
	[FTX_SESSIONS_ENDED] = "tx_sessions_ended", [FTX_TASK_LOAD] = "tx_task_load",
	[FTX_TASK_INSERT] = "tx_task_insert", [FTX_TASK_UPDATE] = "tx_task_update", [FTX_LOG_LAST] = "tx_log_last",
	[FTX_LOG_INSERT] = "tx_log_insert", [FTX_LOG_UPDATE] = "tx_log_update", [FTX_USER_PUT] = "tx_user_put",
	[FTX_USER_LOAD] = "tx_user_load", [FTX_USER_DELETE] = "tx_user_delete", [FTX_KV_PUT] = "tx_kv_put",
	[FTX_REVOKE] = "tx_revoke", [FTX_REVOKED_PURGE] = "tx_revoked_purge", [FTX_LOGON_PUT] = "tx_logon_put",
	[FTX_LOGON_LOAD] = "tx_logon_load", [FTX_LOGON_DELETE] = "tx_logon_delete",
	[FTX_LOGON_OF_USER] = "tx_logon_of_user", [FTX_EMTASK_PUT] = "tx_emtask_put",
	[FTX_EMTASK_DELETE] = "tx_emtask_delete", [FTX_KEY_PUT] = "tx_key_put", [FTX_KEY_LOAD] = "tx_key_load",
	[FTX_KEY_DELETE] = "tx_key_delete", [FTX_ESTATE_LOAD] = "tx_estate_load", [FTX_ESTATE_PUT] = "tx_estate_put",
	[FTX_SESSIONS_DROP] = "tx_sessions_drop_ended",
};

static struct {
	const struct store_ops *inner;
	unsigned fail;              /* FAIL_* */
	unsigned fail_tx;           /* 1u << FTX_* */
	int hits;
	char injected[64];          /* what tx_error says after an injected failure */
} faulty;

#define FAULTY_CHECK(bit) \
	do { \
		if(faulty.fail & (bit)) { \
			faulty.hits++; \
			return RC_BACKEND; \
		} \
	} while(0)

/* A transaction primitive: fails when its bit is set; otherwise the backend's own
 * error text is what tx_error reports. */
#define FAULTY_TX(which) \
	do { \
		faulty.injected[0] = 0; \
		if(faulty.fail_tx & (1u << (which))) { \
			faulty.hits++; \
			snprintf(faulty.injected, sizeof(faulty.injected), "injected: %s", faulty_tx_names[which]); \
			return RC_BACKEND; \
		} \
	} while(0)

static enum rc faulty_open(const char *uri, struct store **out, char *err, size_t errlen)
{
	if(faulty.fail & FAIL_OPEN) {
		faulty.hits++;
		snprintf(err, errlen, "injected: open");
		return RC_BACKEND;
	}
	return faulty.inner->open(uri, out, err, errlen);
}

static void faulty_close(struct store *s) { faulty.inner->close(s); }

/* ---- reads ---- */

static enum rc faulty_session_get(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	FAULTY_CHECK(FAIL_SESSION_GET);
	return faulty.inner->session_get(s, id, a, out);
}

static enum rc faulty_session_list(struct store *s, const struct query *q, struct arena *a, store_sess_cb cb,
                                   void *ctx, int64_t *total)
{
	FAULTY_CHECK(FAIL_SESSION_LIST);
	return faulty.inner->session_list(s, q, a, cb, ctx, total);
}

static enum rc faulty_task_get(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out)
{
	FAULTY_CHECK(FAIL_TASK_GET);
	return faulty.inner->task_get(s, id, a, out);
}

static enum rc faulty_task_list(struct store *s, const struct query *q, struct arena *a, store_task_cb cb,
                                void *ctx, int64_t *total)
{
	FAULTY_CHECK(FAIL_TASK_LIST);
	return faulty.inner->task_list(s, q, a, cb, ctx, total);
}

static enum rc faulty_job_latest(struct store *s, struct arena *a, store_sess_cb cb, void *ctx)
{
	FAULTY_CHECK(FAIL_JOB_LATEST);
	return faulty.inner->job_latest(s, a, cb, ctx);
}

static enum rc faulty_log_list(struct store *s, const struct uuid *owner, int status, struct arena *a,
                               store_log_cb cb, void *ctx, int64_t *total)
{
	FAULTY_CHECK(FAIL_LOG_LIST);
	return faulty.inner->log_list(s, owner, status, a, cb, ctx, total);
}

static int64_t faulty_usn_current(struct store *s) { return faulty.inner->usn_current(s); }

static enum rc faulty_user_get(struct store *s, const char *name, struct arena *a, struct user_rec *out)
{
	FAULTY_CHECK(FAIL_USER_GET);
	return faulty.inner->user_get(s, name, a, out);
}

static enum rc faulty_user_get_uid(struct store *s, int64_t uid, struct arena *a, struct user_rec *out)
{
	FAULTY_CHECK(FAIL_USER_GET_UID);
	return faulty.inner->user_get_uid(s, uid, a, out);
}

static enum rc faulty_user_list(struct store *s, struct arena *a, store_user_cb cb, void *ctx)
{
	FAULTY_CHECK(FAIL_USER_LIST);
	return faulty.inner->user_list(s, a, cb, ctx);
}

static enum rc faulty_user_count(struct store *s, int64_t *n)
{
	FAULTY_CHECK(FAIL_USER_COUNT);
	return faulty.inner->user_count(s, n);
}

static enum rc faulty_kv_get(struct store *s, const char *key, struct arena *a, const char **value)
{
	FAULTY_CHECK(FAIL_KV_GET);
	return faulty.inner->kv_get(s, key, a, value);
}

static enum rc faulty_revoked_list(struct store *s, int kind, int64_t now_us, int64_t after, int64_t *last,
                                   store_revoked_cb cb, void *ctx)
{
	FAULTY_CHECK(FAIL_REVOKED_LIST);
	return faulty.inner->revoked_list(s, kind, now_us, after, last, cb, ctx);
}

static enum rc faulty_logon_get(struct store *s, const char *sid, struct arena *a, struct logon_rec *out)
{
	FAULTY_CHECK(FAIL_LOGON_GET);
	return faulty.inner->logon_get(s, sid, a, out);
}

static enum rc faulty_logon_list(struct store *s, int64_t uid, struct arena *a,
                                 int (*cb)(void *ctx, const struct logon_rec *l), void *ctx)
{
	FAULTY_CHECK(FAIL_LOGON_LIST);
	return faulty.inner->logon_list(s, uid, a, cb, ctx);
}

static enum rc faulty_emtask_get(struct store *s, int64_t id, struct arena *a, struct emtask_rec *out)
{
	FAULTY_CHECK(FAIL_EMTASK_GET);
	return faulty.inner->emtask_get(s, id, a, out);
}

static enum rc faulty_emtask_list(struct store *s, int64_t uid, struct arena *a,
                                  int (*cb)(void *, const struct emtask_rec *), void *ctx)
{
	FAULTY_CHECK(FAIL_EMTASK_LIST);
	return faulty.inner->emtask_list(s, uid, a, cb, ctx);
}

static enum rc faulty_key_get(struct store *s, const char *id, struct arena *a, struct key_rec *out)
{
	FAULTY_CHECK(FAIL_KEY_GET);
	return faulty.inner->key_get(s, id, a, out);
}

static enum rc faulty_key_list(struct store *s, struct arena *a, int (*cb)(void *, const struct key_rec *), void *ctx)
{
	FAULTY_CHECK(FAIL_KEY_LIST);
	return faulty.inner->key_list(s, a, cb, ctx);
}

static enum rc faulty_estate_get(struct store *s, int kind, const struct uuid *id, struct arena *a,
                                 struct estate_rec *out)
{
	FAULTY_CHECK(FAIL_ESTATE_GET);
	return faulty.inner->estate_get(s, kind, id, a, out);
}

static enum rc faulty_estate_list(struct store *s, const struct estate_query *q, struct arena *a, store_estate_cb cb,
                                  void *ctx, int64_t *total)
{
	FAULTY_CHECK(FAIL_ESTATE_LIST);
	return faulty.inner->estate_list(s, q, a, cb, ctx, total);
}

static const char *faulty_read_error(struct store *s)
{
	return faulty.hits ? "injected: read" : faulty.inner->read_error(s);
}

static void faulty_reads_rarely(struct store *s)
{
	if(faulty.inner->reads_rarely)
		faulty.inner->reads_rarely(s);
}

/* ---- the write transaction ---- */

static enum rc faulty_tx_begin(struct store *s)
{
	FAULTY_TX(FTX_BEGIN);
	return faulty.inner->tx_begin(s);
}

/* An injected commit failure leaves the transaction open, as a failed COMMIT can:
 * the writer must roll it back. */
static enum rc faulty_tx_commit(struct store *s)
{
	FAULTY_TX(FTX_COMMIT);
	return faulty.inner->tx_commit(s);
}

static void faulty_tx_rollback(struct store *s) { faulty.inner->tx_rollback(s); }

static void faulty_tx_savepoint(struct store *s, enum store_sp step) { faulty.inner->tx_savepoint(s, step); }
static void faulty_tx_savepoint_one(struct store *s)
{
	if(faulty.inner->tx_savepoint_one)
		faulty.inner->tx_savepoint_one(s);
	else
		faulty.inner->tx_savepoint(s, SP_BEGIN);
}

static const char *faulty_tx_error(struct store *s)
{
	return faulty.injected[0] ? faulty.injected : faulty.inner->tx_error(s);
}

static enum rc faulty_tx_usn_next(struct store *s, int64_t *usn)
{
	FAULTY_TX(FTX_USN_NEXT);
	return faulty.inner->tx_usn_next(s, usn);
}

static enum rc faulty_tx_session_load(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	FAULTY_TX(FTX_SESSION_LOAD);
	return faulty.inner->tx_session_load(s, id, a, out);
}

static enum rc faulty_tx_session_insert(struct store *s, const struct sess_rec *r)
{
	FAULTY_TX(FTX_SESSION_INSERT);
	return faulty.inner->tx_session_insert(s, r);
}

static enum rc faulty_tx_session_update(struct store *s, const struct sess_rec *old, const struct sess_rec *r)
{
	FAULTY_TX(FTX_SESSION_UPDATE);
	return faulty.inner->tx_session_update(s, old, r);
}

static enum rc faulty_tx_session_delete(struct store *s, const struct uuid *id)
{
	FAULTY_TX(FTX_SESSION_DELETE);
	return faulty.inner->tx_session_delete(s, id);
}

static enum rc faulty_tx_sessions_drop_ended(struct store *s, int64_t cutoff_us, int64_t *n)
{
	FAULTY_TX(FTX_SESSIONS_DROP);
	return faulty.inner->tx_sessions_drop_ended(s, cutoff_us, n);
}

static void faulty_watch(struct store *s, void (*on_usn)(int64_t usn))
{
	faulty.inner->watch(s, on_usn);
}

static enum rc faulty_tx_sessions_ended(struct store *s, int64_t cutoff_us, int max, struct uuid *ids, int *n)
{
	FAULTY_TX(FTX_SESSIONS_ENDED);
	return faulty.inner->tx_sessions_ended(s, cutoff_us, max, ids, n);
}

static enum rc faulty_tx_task_load(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out)
{
	FAULTY_TX(FTX_TASK_LOAD);
	return faulty.inner->tx_task_load(s, id, a, out);
}

static enum rc faulty_tx_task_insert(struct store *s, const struct task_rec *t)
{
	FAULTY_TX(FTX_TASK_INSERT);
	return faulty.inner->tx_task_insert(s, t);
}

static enum rc faulty_tx_task_update(struct store *s, const struct task_rec *t)
{
	FAULTY_TX(FTX_TASK_UPDATE);
	return faulty.inner->tx_task_update(s, t);
}

static enum rc faulty_tx_log_last(struct store *s, const struct uuid *owner, int64_t *id)
{
	FAULTY_TX(FTX_LOG_LAST);
	return faulty.inner->tx_log_last(s, owner, id);
}

static enum rc faulty_tx_log_insert(struct store *s, const struct log_rec *l)
{
	FAULTY_TX(FTX_LOG_INSERT);
	return faulty.inner->tx_log_insert(s, l);
}

static enum rc faulty_tx_log_update(struct store *s, const struct log_rec *l)
{
	FAULTY_TX(FTX_LOG_UPDATE);
	return faulty.inner->tx_log_update(s, l);
}

static enum rc faulty_tx_user_put(struct store *s, struct user_rec *u)
{
	FAULTY_TX(FTX_USER_PUT);
	return faulty.inner->tx_user_put(s, u);
}

static enum rc faulty_tx_user_load(struct store *s, const char *name, struct arena *a, struct user_rec *out)
{
	FAULTY_TX(FTX_USER_LOAD);
	return faulty.inner->tx_user_load(s, name, a, out);
}

static enum rc faulty_tx_user_delete(struct store *s, int64_t uid)
{
	FAULTY_TX(FTX_USER_DELETE);
	return faulty.inner->tx_user_delete(s, uid);
}

static enum rc faulty_tx_kv_put(struct store *s, const char *key, const char *value)
{
	FAULTY_TX(FTX_KV_PUT);
	return faulty.inner->tx_kv_put(s, key, value);
}

static enum rc faulty_tx_revoke(struct store *s, const char *key, int kind, int64_t expires_us)
{
	FAULTY_TX(FTX_REVOKE);
	return faulty.inner->tx_revoke(s, key, kind, expires_us);
}

static enum rc faulty_tx_revoked_purge(struct store *s, int64_t now_us)
{
	FAULTY_TX(FTX_REVOKED_PURGE);
	return faulty.inner->tx_revoked_purge(s, now_us);
}

static enum rc faulty_tx_logon_put(struct store *s, const struct logon_rec *l)
{
	FAULTY_TX(FTX_LOGON_PUT);
	return faulty.inner->tx_logon_put(s, l);
}

static enum rc faulty_tx_logon_load(struct store *s, const char *sid, struct arena *a, struct logon_rec *out)
{
	FAULTY_TX(FTX_LOGON_LOAD);
	return faulty.inner->tx_logon_load(s, sid, a, out);
}

static enum rc faulty_tx_logon_delete(struct store *s, const char *sid, int64_t idle_before_us,
                                      int64_t started_before_us)
{
	FAULTY_TX(FTX_LOGON_DELETE);
	return faulty.inner->tx_logon_delete(s, sid, idle_before_us, started_before_us);
}

static enum rc faulty_tx_logon_of_user(struct store *s, int64_t uid, int max, char (*sids)[40], int *n)
{
	FAULTY_TX(FTX_LOGON_OF_USER);
	return faulty.inner->tx_logon_of_user(s, uid, max, sids, n);
}

static enum rc faulty_tx_emtask_delete(struct store *s, int64_t id)
{
	FAULTY_TX(FTX_EMTASK_DELETE);
	return faulty.inner->tx_emtask_delete(s, id);
}

static enum rc faulty_tx_key_put(struct store *s, const struct key_rec *k, int replace)
{
	FAULTY_TX(FTX_KEY_PUT);
	return faulty.inner->tx_key_put(s, k, replace);
}

static enum rc faulty_tx_key_load(struct store *s, const char *name, struct arena *a, struct key_rec *out)
{
	FAULTY_TX(FTX_KEY_LOAD);
	return faulty.inner->tx_key_load(s, name, a, out);
}

static enum rc faulty_tx_key_delete(struct store *s, const char *name)
{
	FAULTY_TX(FTX_KEY_DELETE);
	return faulty.inner->tx_key_delete(s, name);
}

static enum rc faulty_tx_estate_load(struct store *s, int kind, const struct uuid *id, struct arena *a,
                                     struct estate_rec *out)
{
	FAULTY_TX(FTX_ESTATE_LOAD);
	return faulty.inner->tx_estate_load(s, kind, id, a, out);
}

static enum rc faulty_tx_estate_put(struct store *s, const struct estate_rec *e)
{
	FAULTY_TX(FTX_ESTATE_PUT);
	return faulty.inner->tx_estate_put(s, e);
}

static enum rc faulty_tx_emtask_put(struct store *s, struct emtask_rec *e)
{
	FAULTY_TX(FTX_EMTASK_PUT);
	return faulty.inner->tx_emtask_put(s, e);
}

static const struct store_ops store_faulty = {
	.name = "faulty",
	.open = faulty_open,
	.close = faulty_close,
	.watch = faulty_watch,
	.session_get = faulty_session_get,
	.session_list = faulty_session_list,
	.task_get = faulty_task_get,
	.task_list = faulty_task_list,
	.job_latest = faulty_job_latest,
	.log_list = faulty_log_list,
	.usn_current = faulty_usn_current,
	.user_get = faulty_user_get,
	.user_get_uid = faulty_user_get_uid,
	.user_list = faulty_user_list,
	.user_count = faulty_user_count,
	.kv_get = faulty_kv_get,
	.revoked_list = faulty_revoked_list,
	.logon_get = faulty_logon_get,
	.logon_list = faulty_logon_list,
	.emtask_get = faulty_emtask_get,
	.emtask_list = faulty_emtask_list,
	.key_get = faulty_key_get,
	.key_list = faulty_key_list,
	.estate_get = faulty_estate_get,
	.estate_list = faulty_estate_list,
	.read_error = faulty_read_error,
	.reads_rarely = faulty_reads_rarely,
	.tx_begin = faulty_tx_begin,
	.tx_commit = faulty_tx_commit,
	.tx_rollback = faulty_tx_rollback,
	.tx_savepoint = faulty_tx_savepoint,
	.tx_savepoint_one = faulty_tx_savepoint_one,
	.tx_error = faulty_tx_error,
	.tx_usn_next = faulty_tx_usn_next,
	.tx_session_load = faulty_tx_session_load,
	.tx_session_insert = faulty_tx_session_insert,
	.tx_session_update = faulty_tx_session_update,
	.tx_session_delete = faulty_tx_session_delete,
	.tx_sessions_ended = faulty_tx_sessions_ended,
	.tx_sessions_drop_ended = faulty_tx_sessions_drop_ended,
	.tx_task_load = faulty_tx_task_load,
	.tx_task_insert = faulty_tx_task_insert,
	.tx_task_update = faulty_tx_task_update,
	.tx_log_last = faulty_tx_log_last,
	.tx_log_insert = faulty_tx_log_insert,
	.tx_log_update = faulty_tx_log_update,
	.tx_user_put = faulty_tx_user_put,
	.tx_user_load = faulty_tx_user_load,
	.tx_user_delete = faulty_tx_user_delete,
	.tx_kv_put = faulty_tx_kv_put,
	.tx_revoke = faulty_tx_revoke,
	.tx_revoked_purge = faulty_tx_revoked_purge,
	.tx_logon_put = faulty_tx_logon_put,
	.tx_logon_load = faulty_tx_logon_load,
	.tx_logon_delete = faulty_tx_logon_delete,
	.tx_logon_of_user = faulty_tx_logon_of_user,
	.tx_emtask_put = faulty_tx_emtask_put,
	.tx_emtask_delete = faulty_tx_emtask_delete,
	.tx_key_put = faulty_tx_key_put,
	.tx_key_load = faulty_tx_key_load,
	.tx_key_delete = faulty_tx_key_delete,
	.tx_estate_load = faulty_tx_estate_load,
	.tx_estate_put = faulty_tx_estate_put,
};

#endif
