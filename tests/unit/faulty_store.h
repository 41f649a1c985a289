/* A struct store_ops that forwards to a real backend and fails chosen operations
 * with RC_BACKEND (fault injection, as STYLE.md asks). Set faulty.inner before
 * opening; set bits of faulty.fail (FAIL_*) and faulty.fail_writes (1 << kind)
 * to make those operations fail; faulty.hits counts injected failures. */
#ifndef SESSIOND_TESTS_FAULTY_STORE_H
#define SESSIOND_TESTS_FAULTY_STORE_H
#include <stdio.h>

#include "store/store.h"

enum {
	FAIL_OPEN = 1 << 0, FAIL_SESSION_GET = 1 << 1, FAIL_SESSION_LIST = 1 << 2, FAIL_TASK_GET = 1 << 3,
	FAIL_TASK_LIST = 1 << 4, FAIL_JOB_LATEST = 1 << 5, FAIL_LOG_LIST = 1 << 6, FAIL_USER_GET = 1 << 7,
	FAIL_USER_GET_UID = 1 << 8, FAIL_USER_LIST = 1 << 9, FAIL_USER_COUNT = 1 << 10, FAIL_KV_GET = 1 << 11,
	FAIL_REVOKED_LIST = 1 << 12,
};

static struct {
	const struct store_ops *inner;
	unsigned fail;
	unsigned fail_writes;
	int hits;
} faulty;

#define FAULTY_CHECK(bit) \
	do { \
		if(faulty.fail & (bit)) { \
			faulty.hits++; \
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

static enum rc faulty_user_list(struct store *s, struct arena *a, int (*cb)(void *, const struct user_rec *), void *ctx)
{
	FAULTY_CHECK(FAIL_USER_LIST);
	return faulty.inner->user_list(s, a, cb, ctx);
}

static int64_t faulty_user_count(struct store *s)
{
	if(faulty.fail & FAIL_USER_COUNT) {
		faulty.hits++;
		return -1;
	}
	return faulty.inner->user_count(s);
}

static enum rc faulty_kv_get(struct store *s, const char *key, struct arena *a, const char **value)
{
	FAULTY_CHECK(FAIL_KV_GET);
	return faulty.inner->kv_get(s, key, a, value);
}

static enum rc faulty_revoked_list(struct store *s, int64_t now_us, int (*cb)(void *, const char *, int64_t), void *ctx)
{
	FAULTY_CHECK(FAIL_REVOKED_LIST);
	return faulty.inner->revoked_list(s, now_us, cb, ctx);
}

static void faulty_set_commit_hook(struct store *s, void (*fn)(int64_t usn))
{
	faulty.inner->set_commit_hook(s, fn);
}

/* A failing write is answered at once, as a backend whose transaction failed would. */
static void faulty_submit(struct store *s, struct store_write *w)
{
	if(faulty.fail_writes & (1u << w->kind)) {
		faulty.hits++;
		w->next = NULL;
		w->rc = RC_BACKEND;
		snprintf(w->err, sizeof(w->err), "injected: write kind %d", (int)w->kind);
		w->done(w);
		return;
	}
	faulty.inner->submit(s, w);
}

static const struct store_ops store_faulty = {
	.name = "faulty",
	.open = faulty_open,
	.close = faulty_close,
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
	.set_commit_hook = faulty_set_commit_hook,
	.submit = faulty_submit,
};

#endif
