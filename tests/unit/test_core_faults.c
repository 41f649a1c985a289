/* Backend failures injected into store_ops reach core's and auth's callers as
 * RC_BACKEND (never as "not found" or "unauthorized").
 *
 * The test hands core the faulty wrapper through core_open_store().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "core/auth.h"
#include "core/core.h"
#include "faulty_store.h"
#include "store_fixture.h"

/* Waits for an asynchronous write's done(). */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void wake(struct store_write *w)
{
	struct waiter *wt = w->udata;
	pthread_mutex_lock(&wt->lock);
	wt->done = 1;
	pthread_cond_signal(&wt->cond);
	pthread_mutex_unlock(&wt->lock);
}

static struct fx fx;

static int setup(void **state)
{
	faulty.fail = 0;
	faulty.fail_writes = 0;
	faulty.hits = 0;
	memset(&fx, 0, sizeof(fx));
	fx_mkdir(&fx);
	arena_init(&fx.a);
	return 0;
}

static int teardown(void **state)
{
	faulty.fail = 0;
	faulty.fail_writes = 0;
	core_close();
	arena_free(&fx.a);
	fx_rmdir(&fx);
	return 0;
}

static enum rc open_core(char *err, size_t errlen)
{
	err[0] = 0;
	/* as sessiond starts: the database, then authentication on top of it */
	faulty.inner = &store_sqlite;
	struct store *st;
	enum rc rc = store_faulty.open(fx.path, &st, err, errlen);
	if(!rc)
		rc = core_open_store(&store_faulty, st, err, errlen);
	if(!rc && (rc = auth_init())) {
		snprintf(err, errlen, "auth_init: %s", rc_name(rc));
		core_close();
	}
	return rc;
}

static void test_open_failures(void **state)
{
	char err[256];
	faulty.fail = FAIL_OPEN;
	assert_int_equal(open_core(err, sizeof(err)), RC_BACKEND);
	assert_non_null(strstr(err, "injected"));

	faulty.fail = FAIL_KV_GET;   /* reading the installation id */
	assert_int_equal(open_core(err, sizeof(err)), RC_BACKEND);
	assert_true(err[0] != 0);

	faulty.fail = 0;
	faulty.fail_writes = 1u << W_KV_PUT;   /* storing the installation id on a new database */
	assert_int_equal(open_core(err, sizeof(err)), RC_BACKEND);
	assert_true(err[0] != 0);

	faulty.fail_writes = 0;
	faulty.fail = FAIL_REVOKED_LIST;       /* auth loading its revocations */
	assert_int_equal(open_core(err, sizeof(err)), RC_BACKEND);
	assert_true(err[0] != 0);

	faulty.fail = 0;
	assert_int_equal(open_core(err, sizeof(err)), RC_OK);
	assert_non_null(core_info()->installation_id);
}

static int count_sess(void *ctx, const struct sess_rec *r) { (*(int *)ctx)++; return 0; }
static int count_task(void *ctx, const struct task_rec *r) { (*(int *)ctx)++; return 0; }
static int count_log(void *ctx, const struct log_rec *r) { (*(int *)ctx)++; return 0; }
static int count_user(void *ctx, const struct user_rec *u) { (*(int *)ctx)++; return 0; }

static void test_reads_propagate(void **state)
{
	char err[256];
	assert_int_equal(open_core(err, sizeof(err)), RC_OK);
	struct store_write w = {.kind = W_SESSION_CREATE};
	uuid_v7(&w.sess.id);
	w.sess.name = "s";
	w.sess.creation_us = 1;
	assert_int_equal(core_write_sync(&w), RC_OK);
	struct sess_rec s;
	struct task_rec t;
	struct user_rec u;
	const char *v;
	int n = 0;
	struct query q = {.limit = -1};
	int64_t total;

	/* Working first, so each failure below is the injected one. */
	assert_int_equal(core_session_get(&w.sess.id, &fx.a, &s), RC_OK);
	assert_int_equal(core_session_list(&q, &fx.a, count_sess, &n, &total), RC_OK);
	assert_int_equal(n, 1);

	static const struct { unsigned bit; const char *what; } faults[] = {
		{FAIL_SESSION_GET, "session_get"}, {FAIL_SESSION_LIST, "session_list"}, {FAIL_TASK_GET, "task_get"},
		{FAIL_TASK_LIST, "task_list"}, {FAIL_JOB_LATEST, "job_latest"}, {FAIL_LOG_LIST, "log_list"},
		{FAIL_USER_GET, "user_get"}, {FAIL_USER_GET_UID, "user_get_uid"}, {FAIL_USER_LIST, "user_list"},
		{FAIL_KV_GET, "kv_get"}, {FAIL_REVOKED_LIST, "revoked_list"},
	};
	for(size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		faulty.fail = faults[i].bit;
		faulty.hits = 0;
		enum rc rc;
		switch(faults[i].bit) {
		case FAIL_SESSION_GET: rc = core_session_get(&w.sess.id, &fx.a, &s); break;
		case FAIL_SESSION_LIST: rc = core_session_list(&q, &fx.a, count_sess, &n, &total); break;
		case FAIL_TASK_GET: rc = core_task_get(&w.sess.id, &fx.a, &t); break;
		case FAIL_TASK_LIST: rc = core_task_list(&q, &fx.a, count_task, &n, &total); break;
		case FAIL_JOB_LATEST: rc = core_job_latest(&fx.a, count_sess, &n); break;
		case FAIL_LOG_LIST: rc = core_log_list(&w.sess.id, -1, &fx.a, count_log, &n, &total); break;
		case FAIL_USER_GET: rc = core_user_get("admin", &fx.a, &u); break;
		case FAIL_USER_GET_UID: rc = core_user_get_uid(1, &fx.a, &u); break;
		case FAIL_USER_LIST: rc = core_user_list(&fx.a, count_user, &n); break;
		case FAIL_KV_GET: rc = core_kv_get("installation_id", &fx.a, &v); break;
		default: rc = core_revoked_list(0, NULL, NULL); break;
		}
		if(rc != RC_BACKEND || faulty.hits != 1)
			fail_msg("%s: %s (hits %d)", faults[i].what, rc_name(rc), faulty.hits);
	}
	faulty.fail = FAIL_USER_COUNT;
	assert_true(core_user_count() < 0);
	faulty.fail = 0;
	assert_int_equal(core_user_count(), 0);
}

static void test_writes_propagate(void **state)
{
	char err[256];
	assert_int_equal(open_core(err, sizeof(err)), RC_OK);
	for(int kind = W_SESSION_CREATE; kind <= W_PURGE; kind++) {
		faulty.fail_writes = 1u << kind;
		faulty.hits = 0;
		struct store_write w = {.kind = (enum write_kind)kind};
		assert_int_equal(core_write_sync(&w), RC_BACKEND);
		assert_int_equal(faulty.hits, 1);
		assert_non_null(strstr(w.err, "injected"));
	}
	/* core_submit hands the failure to done() as well. */
	faulty.fail_writes = 1u << W_SESSION_CREATE;
	struct store_write w = {.kind = W_SESSION_CREATE};
	struct waiter wt = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	w.udata = &wt;
	w.done = wake;
	core_submit(&w);
	pthread_mutex_lock(&wt.lock);
	while(!wt.done)
		pthread_cond_wait(&wt.cond, &wt.lock);
	pthread_mutex_unlock(&wt.lock);
	assert_int_equal(w.rc, RC_BACKEND);
	faulty.fail_writes = 0;
	assert_int_equal(core_usn(), 0);
}

static void test_auth_propagates(void **state)
{
	char err[256];
	assert_int_equal(open_core(err, sizeof(err)), RC_OK);
	char hash[128];
	assert_int_equal(auth_password_hash("secret123", hash, sizeof(hash)), RC_OK);
	struct store_write w = {.kind = W_USER_PUT};
	w.user.name = "ann";
	w.user.hash = hash;
	w.user.role = ROLE_ADMIN;
	assert_int_equal(core_write_sync(&w), RC_OK);
	struct principal who;
	assert_int_equal(auth_password_check("ann", "secret123", &who), RC_OK);
	/* A store failure while checking a password is a backend error, not a wrong password. */
	faulty.fail = FAIL_USER_GET;
	assert_int_equal(auth_password_check("ann", "secret123", &who), RC_BACKEND);
	faulty.fail = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_propagate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_propagate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_propagates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
