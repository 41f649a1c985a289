/* Backend failures injected into store_ops reach core's and auth's callers as
 * RC_BACKEND (never as "not found" or "unauthorized"), with a message that names
 * the cause; a write that failed anywhere in its transaction leaves no trace.
 *
 * The test hands core the faulty wrapper (faulty_store.h) through core_open_store().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>

#include "core/auth.h"
#include "core/core.h"
#include "faulty_store.h"
#include "model/catalog.h"
#include "store_fixture.h"
#include "util/timefmt.h"

#define T0 1700000000000000LL

static struct fx fx;

static int setup(void **state)
{
	faulty.fail = 0;
	faulty.fail_tx = 0;
	faulty.hits = 0;
	memset(&fx, 0, sizeof(fx));
	fx_mkdir(&fx);
	arena_init(&fx.a);
	return 0;
}

static int teardown(void **state)
{
	faulty.fail = 0;
	faulty.fail_tx = 0;
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

/* Every operation of a table is filled in (a new one left out of the wrapper would crash),
 * but for the optional ones, which store.h says may be NULL; a table missing one is refused. */
static void test_wraps_every_op(void **state)
{
	assert_int_equal(store_ops_missing(&store_sqlite), -1);
	assert_int_equal(store_ops_missing(&store_faulty), -1);
	struct store_ops broken = store_sqlite;
	broken.task_get = NULL;
	assert_int_equal(store_ops_missing(&broken), (offsetof(struct store_ops, task_get) -
	                                              offsetof(struct store_ops, open)) / sizeof(void (*)(void)));
	/* core refuses it at open, saying which, and closes the store */
	struct store *st;
	char err[256];
	assert_int_equal(store_sqlite.open(fx.path, &st, err, sizeof(err)), RC_OK);
	assert_int_equal(core_open_store(&broken, st, err, sizeof(err)), RC_BACKEND);
	assert_non_null(strstr(err, "lacks its operation"));
	broken = store_sqlite;
	broken.usn_fresh = NULL;
	broken.reads_rarely = NULL;
	assert_int_equal(store_ops_missing(&broken), -1);
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
	faulty.fail_tx = 1u << FTX_KV_PUT;   /* storing the installation id on a new database */
	assert_int_equal(open_core(err, sizeof(err)), RC_BACKEND);
	assert_non_null(strstr(err, "injected: tx_kv_put"));

	faulty.fail_tx = 1u << FTX_BEGIN;    /* the writer cannot even start a transaction */
	assert_int_equal(open_core(err, sizeof(err)), RC_BACKEND);
	assert_non_null(strstr(err, "injected: tx_begin"));

	faulty.fail_tx = 1u << FTX_COMMIT;
	assert_int_equal(open_core(err, sizeof(err)), RC_BACKEND);
	assert_non_null(strstr(err, "injected: tx_commit"));

	faulty.fail_tx = 0;
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
static int count_rev(void *ctx, const char *key, int64_t exp) { (*(int *)ctx)++; return 0; }
static int count_logon(void *ctx, const struct logon_rec *l) { (*(int *)ctx)++; return 0; }

static void test_reads_propagate(void **state)
{
	char err[256];
	assert_int_equal(open_core(err, sizeof(err)), RC_OK);
	struct sess_rec r = {.name = "s", .state = ST_WORKING, .creation_us = T0};
	uuid_v7(&r.id);
	struct core_write w = {0};
	assert_int_equal(core_session_create(&w, &r), RC_OK);
	struct sess_rec s;
	struct task_rec t;
	struct user_rec u;
	struct logon_rec l;
	struct emtask_rec e;
	const char *v;
	int n = 0;
	struct query q = {.limit = -1};
	int64_t total, last = 0, count;

	/* Working first, so each failure below is the injected one. */
	assert_int_equal(core_session_get(&r.id, &fx.a, &s), RC_OK);
	assert_int_equal(core_session_list(&q, &fx.a, count_sess, &n, &total), RC_OK);
	assert_int_equal(n, 1);

	static const struct { unsigned bit; const char *what; } faults[] = {
		{FAIL_SESSION_GET, "session_get"}, {FAIL_SESSION_LIST, "session_list"}, {FAIL_TASK_GET, "task_get"},
		{FAIL_TASK_LIST, "task_list"}, {FAIL_JOB_LATEST, "job_latest"}, {FAIL_LOG_LIST, "log_list"},
		{FAIL_USER_GET, "user_get"}, {FAIL_USER_GET_UID, "user_get_uid"}, {FAIL_USER_LIST, "user_list"},
		{FAIL_USER_COUNT, "user_count"}, {FAIL_KV_GET, "kv_get"}, {FAIL_REVOKED_LIST, "revoked_list"},
		{FAIL_LOGON_GET, "logon_get"}, {FAIL_LOGON_LIST, "logon_list"}, {FAIL_EMTASK_GET, "emtask_get"},
	};
	for(size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		faulty.fail = faults[i].bit;
		faulty.hits = 0;
		enum rc rc;
		switch(faults[i].bit) {
		case FAIL_SESSION_GET: rc = core_session_get(&r.id, &fx.a, &s); break;
		case FAIL_SESSION_LIST: rc = core_session_list(&q, &fx.a, count_sess, &n, &total); break;
		case FAIL_TASK_GET: rc = core_task_get(&r.id, &fx.a, &t); break;
		case FAIL_TASK_LIST: rc = core_task_list(&q, &fx.a, count_task, &n, &total); break;
		case FAIL_JOB_LATEST: rc = core_job_latest(&fx.a, count_sess, &n); break;
		case FAIL_LOG_LIST: rc = core_log_list(&r.id, -1, &fx.a, count_log, &n, &total); break;
		case FAIL_USER_GET: rc = core_user_get("admin", &fx.a, &u); break;
		case FAIL_USER_GET_UID: rc = core_user_get_uid(1, &fx.a, &u); break;
		case FAIL_USER_LIST: rc = core_user_list(&fx.a, count_user, &n); break;
		case FAIL_USER_COUNT: rc = core_user_count(&count); break;
		case FAIL_KV_GET: rc = core_kv_get("installation_id", &fx.a, &v); break;
		case FAIL_REVOKED_LIST: rc = core_revoked_list(REVOKE_LOGOUT, 0, 0, &last, count_rev, &n); break;
		case FAIL_LOGON_GET: rc = core_logon_get("00000000-0000-4000-8000-000000000001", &fx.a, &l); break;
		case FAIL_LOGON_LIST: rc = core_logon_list(0, &fx.a, count_logon, &n); break;
		default: rc = core_emtask_get(1, &fx.a, &e); break;
		}
		if(rc != RC_BACKEND || faulty.hits != 1)
			fail_msg("%s: %s (hits %d)", faults[i].what, rc_name(rc), faulty.hits);
	}
	faulty.fail = 0;
	count = -1;
	assert_int_equal(core_user_count(&count), RC_OK);
	assert_int_equal(count, 0);
}

/* ---------- writes ---------- */

/* The database every write case starts from: a running session S with a task session
 * T and a log record each, a session P that ended long ago (for purge), a user with a
 * logon, a setting and a revocation. */
#define SID "00000000-0000-4000-8000-000000000001"
#define TID "00000000-0000-4000-8000-000000000002"
#define PID "00000000-0000-4000-8000-000000000003"
#define LSID "00000000-0000-4000-8000-0000000000aa"

static struct uuid id_of(const char *text)
{
	struct uuid u;
	assert_int_equal(uuid_parse(text, strlen(text), &u), 0);
	return u;
}

static int64_t ann_uid;

static void seed(void)
{
	struct sess_rec s = {.id = id_of(SID), .name = "S", .state = ST_WORKING, .creation_us = T0};
	struct sess_rec p = {.id = id_of(PID), .name = "P", .state = ST_STOPPED, .result = RES_SUCCESS,
	                     .creation_us = T0, .end_us = T0 + 1000};
	struct task_rec t = {.id = id_of(TID), .session_id = s.id, .name = "T", .state = ST_WORKING, .creation_us = T0};
	struct log_rec sl = {.title = "s-log"}, tl = {.title = "t-log"};
	struct core_write w[8];
	memset(w, 0, sizeof(w));
	assert_int_equal(core_session_create(&w[0], &s), RC_OK);
	assert_int_equal(core_session_create(&w[1], &p), RC_OK);
	assert_int_equal(core_task_create(&w[2], &t), RC_OK);
	assert_int_equal(core_log_append(&w[3], OWNER_SESSION, &s.id, &sl, 1), RC_OK);
	assert_int_equal(core_log_append(&w[4], OWNER_TASK, &t.id, &tl, 1), RC_OK);
	assert_int_equal(core_user_add(&w[5], "ann", "$argon2id$ann", ROLE_OPERATOR), RC_OK);
	ann_uid = w[5].user.uid;
	struct logon_rec l = {.sid = LSID, .uid = ann_uid, .gen = 1, .role = ROLE_OPERATOR, .user = "ann",
	                      .created_us = T0, .last_us = T0};
	assert_int_equal(core_logon_create(&w[6], &l, 0), RC_OK);
	assert_int_equal(core_token_revoke(&w[7], "fseed", REVOKE_LOGOUT, time_now_us() + 3600000000LL), RC_OK);
	struct core_write kv = {0};
	assert_int_equal(core_kv_put(&kv, "k", "v0"), RC_OK);
}

/* Everything the write cases could change, as text. */
static void fingerprint(char *out, size_t n)
{
	struct arena a;
	arena_init(&a);
	struct uuid sid = id_of(SID), tid = id_of(TID), pid = id_of(PID);
	struct sess_rec s, p;
	struct task_rec t;
	struct user_rec u;
	struct logon_rec l;
	struct emtask_rec e;
	const char *kv = "-";
	int slogs = 0, tlogs = 0, nrev = 0, nspent = 0, nlogon = 0, nsess = 0, nemtask = 0;
	int64_t users = -1, total, last = 0;
	struct query q = {.limit = -1};
	assert_int_equal(core_session_get(&sid, &a, &s), RC_OK);
	enum rc prc = core_session_get(&pid, &a, &p);
	assert_int_equal(core_task_get(&tid, &a, &t), RC_OK);
	assert_int_equal(core_session_list(&q, &a, count_sess, &nsess, &total), RC_OK);
	assert_int_equal(core_log_list(&sid, -1, &a, count_log, &slogs, &total), RC_OK);
	assert_int_equal(core_log_list(&tid, -1, &a, count_log, &tlogs, &total), RC_OK);
	assert_int_equal(core_user_count(&users), RC_OK);
	enum rc urc = core_user_get("ann", &a, &u);
	enum rc krc = core_kv_get("k", &a, &kv);
	assert_int_equal(core_revoked_list(REVOKE_LOGOUT, 0, 0, &last, count_rev, &nrev), RC_OK);
	assert_int_equal(core_revoked_list(REVOKE_SPENT, 0, 0, &last, count_rev, &nspent), RC_OK);
	assert_int_equal(core_logon_list(0, &a, count_logon, &nlogon), RC_OK);
	enum rc lrc = core_logon_get(LSID, &a, &l);
	for(int64_t id = 1; id < 10; id++)
		nemtask += core_emtask_get(id, &a, &e) == RC_OK;
	snprintf(out, n,
	         "usn=%lld sessions=%d S(state=%d usn=%lld name=%s progress=%d stop=%d) P=%s T(state=%d usn=%lld "
	         "name=%s progress=%d) logs=%d/%d users=%lld ann=%s(role=%d gen=%lld) k=%s(%s) revoked=%d/%d "
	         "logons=%d L=%s(last=%lld) emtasks=%d",
	         (long long)core_usn(), nsess, s.state, (long long)s.usn, s.name, s.progress, s.stop_requested,
	         rc_name(prc), t.state, (long long)t.usn, t.name, t.progress, slogs, tlogs, (long long)users,
	         rc_name(urc), urc ? -1 : u.role, urc ? -1LL : (long long)u.gen, krc ? "-" : kv, rc_name(krc), nrev,
	         nspent, nlogon, rc_name(lrc), lrc ? -1LL : (long long)l.last_us, nemtask);
	arena_free(&a);
}

/* The verbs, each on the seeded database. */
static struct log_rec v_logs[2];
static struct log_rec v_upd;

static enum rc v_session_create(struct core_write *w)
{
	struct sess_rec r = {.name = "new", .state = ST_WORKING, .creation_us = T0};
	return core_session_create(w, &r);
}

static enum rc v_session_patch(struct core_write *w)
{
	struct sess_patch p;
	sess_patch_init(&p, 0);
	p.name = "renamed";
	p.has_progress = 1;
	p.progress = 50;
	struct uuid id = id_of(SID);
	return core_session_patch(w, &id, &p);
}

static enum rc v_session_complete(struct core_write *w)
{
	struct sess_complete c = {.if_match = -1, .result = RES_SUCCESS, .is_canceled = -1};
	struct uuid id = id_of(SID);
	return core_session_complete(w, &id, &c);
}

static enum rc v_session_stop(struct core_write *w)
{
	struct uuid id = id_of(SID);
	return core_session_stop(w, &id);
}

static enum rc v_session_stop_em(struct core_write *w)
{
	struct uuid id = id_of(SID);
	return core_session_stop_em(w, &id, 1);
}

static enum rc v_task_create(struct core_write *w)
{
	struct task_rec t = {.session_id = id_of(SID), .name = "new task", .state = ST_WORKING};
	return core_task_create(w, &t);
}

static enum rc v_task_patch(struct core_write *w)
{
	struct sess_patch p;
	sess_patch_init(&p, 0);
	p.has_progress = 1;
	p.progress = 70;
	struct uuid id = id_of(TID);
	return core_task_patch(w, &id, &p);
}

static enum rc v_task_complete(struct core_write *w)
{
	struct sess_complete c = {.if_match = -1, .result = RES_FAILED};
	struct uuid id = id_of(TID);
	return core_task_complete(w, &id, &c);
}

static enum rc v_log_append(struct core_write *w)
{
	memset(v_logs, 0, sizeof(v_logs));
	v_logs[0].title = "one";
	v_logs[1].title = "two";
	struct uuid id = id_of(SID);
	return core_log_append(w, OWNER_SESSION, &id, v_logs, 2);
}

static enum rc v_task_log_append(struct core_write *w)
{
	memset(v_logs, 0, sizeof(v_logs));
	v_logs[0].title = "one";
	struct uuid id = id_of(TID);
	return core_log_append(w, OWNER_TASK, &id, v_logs, 1);
}

static enum rc v_log_update(struct core_write *w)
{
	v_upd = (struct log_rec){.id = 1, .status = LOG_FAILED, .title = "changed"};
	struct uuid id = id_of(SID);
	return core_log_update(w, OWNER_SESSION, &id, &v_upd);
}

static enum rc v_task_log_update(struct core_write *w)
{
	v_upd = (struct log_rec){.id = 1, .status = LOG_FAILED};
	struct uuid id = id_of(TID);
	return core_log_update(w, OWNER_TASK, &id, &v_upd);
}

static enum rc v_token_revoke(struct core_write *w)
{
	return core_token_revoke(w, "tnew", REVOKE_SPENT, time_now_us() + 3600000000LL);
}

static enum rc v_purge(struct core_write *w)
{
	return core_purge(w, T0 + 1000000, 100);
}

static enum rc v_kv_put(struct core_write *w)
{
	return core_kv_put(w, "k", "v1");
}

static enum rc v_user_add(struct core_write *w)
{
	return core_user_add(w, "bob", "$argon2id$bob", ROLE_VIEWER);
}

static enum rc v_user_change(struct core_write *w)
{
	return core_user_change(w, "ann", "$argon2id$new", ROLE_ADMIN);
}

static enum rc v_user_del(struct core_write *w)
{
	return core_user_del(w, "ann");
}

static enum rc v_logon_create(struct core_write *w)
{
	/* ann is at a cap of one: her logon makes room first */
	struct logon_rec l = {.sid = "00000000-0000-4000-8000-0000000000bb", .uid = ann_uid, .gen = 1,
	                      .role = ROLE_OPERATOR, .user = "ann", .created_us = T0 + 5000, .last_us = T0 + 5000};
	return core_logon_create(w, &l, 1);
}

static enum rc v_logon_touch(struct core_write *w)
{
	struct logon_rec l = {.sid = LSID, .uid = ann_uid, .last_us = T0 + 60000000};
	return core_logon_touch(w, &l);
}

static enum rc v_logon_delete(struct core_write *w)
{
	return core_logon_delete(w, LSID);
}

static enum rc v_logon_expire(struct core_write *w)
{
	return core_logon_expire(w, T0 + 1000, 0);
}

typedef enum rc (*verb_fn)(struct core_write *w);

/* Each verb with every primitive its transaction reaches. */
static const struct {
	const char *name;
	verb_fn fn;
	enum ftx prims[6];
	int n;
} verbs[] = {
	{"session_create", v_session_create, {FTX_TASK_LOAD, FTX_USN_NEXT, FTX_SESSION_INSERT}, 3},
	{"session_patch", v_session_patch, {FTX_SESSION_LOAD, FTX_USN_NEXT, FTX_SESSION_UPDATE}, 3},
	{"session_complete", v_session_complete, {FTX_SESSION_LOAD, FTX_USN_NEXT, FTX_SESSION_UPDATE}, 3},
	{"session_stop", v_session_stop, {FTX_SESSION_LOAD, FTX_USN_NEXT, FTX_SESSION_UPDATE}, 3},
	{"session_stop_em", v_session_stop_em, {FTX_SESSION_LOAD, FTX_USN_NEXT, FTX_SESSION_UPDATE, FTX_EMTASK_PUT}, 4},
	{"task_create", v_task_create, {FTX_SESSION_LOAD, FTX_USN_NEXT, FTX_SESSION_UPDATE, FTX_TASK_INSERT}, 4},
	{"task_patch", v_task_patch, {FTX_TASK_LOAD, FTX_SESSION_LOAD, FTX_USN_NEXT, FTX_SESSION_UPDATE, FTX_TASK_UPDATE}, 5},
	{"task_complete", v_task_complete, {FTX_TASK_LOAD, FTX_SESSION_LOAD, FTX_SESSION_UPDATE, FTX_TASK_UPDATE}, 4},
	{"log_append", v_log_append, {FTX_SESSION_LOAD, FTX_LOG_LAST, FTX_LOG_INSERT, FTX_USN_NEXT, FTX_SESSION_UPDATE}, 5},
	{"task_log_append", v_task_log_append, {FTX_TASK_LOAD, FTX_LOG_LAST, FTX_LOG_INSERT, FTX_SESSION_UPDATE, FTX_TASK_UPDATE}, 5},
	{"log_update", v_log_update, {FTX_SESSION_LOAD, FTX_LOG_UPDATE, FTX_USN_NEXT, FTX_SESSION_UPDATE}, 4},
	{"task_log_update", v_task_log_update, {FTX_TASK_LOAD, FTX_LOG_UPDATE, FTX_SESSION_UPDATE, FTX_TASK_UPDATE}, 4},
	{"token_revoke", v_token_revoke, {FTX_REVOKE}, 1},
	{"purge", v_purge, {FTX_SESSIONS_ENDED, FTX_SESSION_DELETE, FTX_REVOKED_PURGE, FTX_USN_NEXT}, 4},
	{"kv_put", v_kv_put, {FTX_KV_PUT}, 1},
	{"user_add", v_user_add, {FTX_USER_PUT}, 1},
	{"user_change", v_user_change, {FTX_USER_LOAD, FTX_USER_PUT}, 2},
	{"user_del", v_user_del, {FTX_USER_LOAD, FTX_USER_DELETE, FTX_LOGON_OF_USER, FTX_LOGON_DELETE}, 4},
	{"logon_create", v_logon_create, {FTX_LOGON_OF_USER, FTX_LOGON_DELETE, FTX_LOGON_PUT}, 3},
	{"logon_touch", v_logon_touch, {FTX_LOGON_LOAD, FTX_LOGON_PUT}, 2},
	{"logon_delete", v_logon_delete, {FTX_LOGON_DELETE}, 1},
	{"logon_expire", v_logon_expire, {FTX_LOGON_DELETE}, 1},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

/* Opens a fresh seeded database. */
static void open_seeded(void)
{
	char err[256];
	assert_int_equal(open_core(err, sizeof(err)), RC_OK);
	seed();
}

/* Every verb, with a failure injected into each primitive its transaction reaches, and
 * into the transaction's begin and commit: RC_BACKEND naming the primitive, and the
 * database exactly as before. Then the verb without a failure works on the same data,
 * so each failure was the injected one at the point named. */
static void test_writes_propagate(void **state)
{
	open_seeded();
	char before[1024], after[1024];
	fingerprint(before, sizeof(before));
	int cases = 0;
	for(size_t v = 0; v < NVERBS; v++) {
		enum ftx prims[8];
		int n = 0;
		for(int i = 0; i < verbs[v].n; i++)
			prims[n++] = verbs[v].prims[i];
		prims[n++] = FTX_BEGIN;
		prims[n++] = FTX_COMMIT;
		for(int i = 0; i < n; i++) {
			faulty.fail_tx = 1u << prims[i];
			faulty.hits = 0;
			struct core_write w = {0};
			enum rc rc = verbs[v].fn(&w);
			faulty.fail_tx = 0;
			char want[64];
			snprintf(want, sizeof(want), "injected: %s", faulty_tx_names[prims[i]]);
			if(rc != RC_BACKEND || w.rc != RC_BACKEND || faulty.hits != 1 || !strstr(w.err, want))
				fail_msg("%s with %s failing: %s, hits %d, \"%s\"", verbs[v].name, faulty_tx_names[prims[i]],
				         rc_name(rc), faulty.hits, w.err);
			assert_int_equal(w.usn, 0);
			fingerprint(after, sizeof(after));
			if(strcmp(before, after))
				fail_msg("%s with %s failing changed the database:\n before %s\n after  %s", verbs[v].name,
				         faulty_tx_names[prims[i]], before, after);
			cases++;
		}
		struct core_write ok = {0};
		if(verbs[v].fn(&ok) != RC_OK)
			fail_msg("%s without a failure: %s (%s)", verbs[v].name, rc_name(ok.rc), ok.err);
		fingerprint(after, sizeof(after));
		if(!strcmp(before, after))
			fail_msg("%s changed nothing", verbs[v].name);
		/* back to the seeded state for the next verb */
		core_close();
		fx_rmdir(&fx);
		fx_mkdir(&fx);
		open_seeded();
		fingerprint(before, sizeof(before));
	}
	assert_true(cases > 80);
}

/* Waits for an asynchronous write's done(). */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void wake(struct core_write *w)
{
	struct waiter *wt = w->udata;
	pthread_mutex_lock(&wt->lock);
	wt->done = 1;
	pthread_cond_signal(&wt->cond);
	pthread_mutex_unlock(&wt->lock);
}

static void test_async_write_fails(void **state)
{
	open_seeded();
	int64_t usn = core_usn();
	/* A queued write hands the failure to done() as well. */
	faulty.fail_tx = 1u << FTX_SESSION_INSERT;
	struct waiter wt = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct core_write w = {.done = wake, .udata = &wt};
	struct sess_rec r = {.name = "async", .state = ST_WORKING};
	uuid_v7(&r.id);
	assert_int_equal(core_session_create(&w, &r), RC_OK);   /* queued */
	pthread_mutex_lock(&wt.lock);
	while(!wt.done)
		pthread_cond_wait(&wt.cond, &wt.lock);
	pthread_mutex_unlock(&wt.lock);
	faulty.fail_tx = 0;
	assert_int_equal(w.rc, RC_BACKEND);
	assert_non_null(strstr(w.err, "injected: tx_session_insert"));
	assert_int_equal(w.usn, 0);
	assert_int_equal(core_usn(), usn);
	struct sess_rec got;
	assert_int_equal(core_session_get(&r.id, &fx.a, &got), RC_NOTFOUND);
}

/* Holds the writer inside a transaction of its own until released; once its batch
 * committed, arms fail_after, so that it hits the next batch and only that. */
struct blocker {
	struct fx_op x;
	sem_t entered, release;
	unsigned fail_after;
	struct waiter *wt;
};

static enum rc blocker_fn(struct fx_op *x, struct store_tx *tx)
{
	struct blocker *b = (struct blocker *)x;
	sem_post(&b->entered);
	sem_wait(&b->release);
	return RC_OK;
}

static void blocker_done(struct fx_op *x)
{
	struct blocker *b = (struct blocker *)x;
	faulty.fail_tx = b->fail_after;
}

/* Counts done() calls of a batch. */
struct batch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void batch_done(struct core_write *w)
{
	struct batch *b = w->udata;
	pthread_mutex_lock(&b->lock);
	b->done++;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* Queues ws[0..n) (set up by the caller) behind a blocker, arming fail_tx for their batch. */
static void run_batch(struct core_write *ws, const verb_fn *fns, int n, unsigned fail_tx)
{
	struct blocker bl = {.fail_after = fail_tx};
	sem_init(&bl.entered, 0, 0);
	sem_init(&bl.release, 0, 0);
	bl.x.fn = blocker_fn;
	bl.x.done = blocker_done;
	fx_op_submit(&bl.x);
	sem_wait(&bl.entered);
	struct batch b = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	for(int i = 0; i < n; i++) {
		ws[i].done = batch_done;
		ws[i].udata = &b;
		assert_int_equal(fns[i](&ws[i]), RC_OK);   /* queued */
	}
	sem_post(&bl.release);
	pthread_mutex_lock(&b.lock);
	while(b.done < n)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	faulty.fail_tx = 0;
	assert_int_equal(bl.x.op.rc, RC_OK);
	sem_destroy(&bl.entered);
	sem_destroy(&bl.release);
}

/* One op failing in its batch leaves the others of the batch committed; a failed
 * commit fails every op of its batch and stores none of them. */
static void test_failure_in_batch(void **state)
{
	open_seeded();
	int64_t usn = core_usn();
	char before[1024], after[1024];

	/* The stop fails at its last step: its stop and usn are undone, its neighbours stay. */
	static const verb_fn three[] = {v_session_create, v_session_stop_em, v_kv_put};
	struct core_write w[3];
	memset(w, 0, sizeof(w));
	run_batch(w, three, 3, 1u << FTX_EMTASK_PUT);
	assert_int_equal(w[0].rc, RC_OK);
	assert_int_equal(w[1].rc, RC_BACKEND);
	assert_non_null(strstr(w[1].err, "injected: tx_emtask_put"));
	assert_int_equal(w[2].rc, RC_OK);
	assert_int_equal(w[0].usn, usn + 1);
	assert_int_equal(core_usn(), usn + 1);
	struct uuid sid = id_of(SID);
	struct sess_rec got;
	assert_int_equal(core_session_get(&sid, &fx.a, &got), RC_OK);
	assert_int_equal(got.state, ST_WORKING);
	assert_int_equal(got.stop_requested, 0);
	const char *v;
	assert_int_equal(core_kv_get("k", &fx.a, &v), RC_OK);
	assert_string_equal(v, "v1");

	/* The commit fails: all three fail, nothing is stored, no usn or task id is spent. */
	fingerprint(before, sizeof(before));
	static const verb_fn again[] = {v_session_stop_em, v_log_append, v_user_add};
	memset(w, 0, sizeof(w));
	run_batch(w, again, 3, 1u << FTX_COMMIT);
	for(int i = 0; i < 3; i++) {
		assert_int_equal(w[i].rc, RC_BACKEND);
		assert_non_null(strstr(w[i].err, "injected: tx_commit"));
		assert_int_equal(w[i].usn, 0);
	}
	fingerprint(after, sizeof(after));
	if(strcmp(before, after))
		fail_msg("a failed commit changed the database:\n before %s\n after  %s", before, after);
	struct core_write c = {0};
	assert_int_equal(v_session_stop_em(&c), RC_OK);
	assert_int_equal(c.usn, usn + 2);
	assert_int_equal(c.emtask.id, 1);
}

static void test_auth_propagates(void **state)
{
	char err[256];
	assert_int_equal(open_core(err, sizeof(err)), RC_OK);
	char hash[128];
	assert_int_equal(auth_password_hash("secret123", hash, sizeof(hash)), RC_OK);
	struct core_write w = {0};
	assert_int_equal(core_user_add(&w, "ann", hash, ROLE_ADMIN), RC_OK);
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
		cmocka_unit_test_setup_teardown(test_wraps_every_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_propagate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_propagate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_in_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_propagates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
