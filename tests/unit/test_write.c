/* The rules of core's write verbs (core/write.c, core/session.c), through the real
 * SQLite backend: usn assignment, log numbering, millisecond times, If-Match, the
 * state machine, what a stopped session still allows (nothing), cancellation, and
 * when a purge takes a usn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "model/catalog.h"
#include "store_fixture.h"
#include "util/timefmt.h"

#define T0 1700000000000000LL   /* µs, a whole second */

static struct fx f;

static int setup(void **state)
{
	fx_open(&f, &store_sqlite);
	return 0;
}

static int teardown(void **state)
{
	fx_close(&f);
	return 0;
}

static struct uuid mkid(unsigned n)
{
	struct uuid u = {{0}};
	u.b[0] = 0x30;
	u.b[15] = (unsigned char)n;
	return u;
}

static struct sess_rec running(unsigned n)
{
	struct sess_rec r = {0};
	r.id = mkid(n);
	r.name = "run";
	r.state = ST_WORKING;
	r.creation_us = T0 + n * 1000;
	return r;
}

static struct task_rec task_of(unsigned n, const struct uuid *sess)
{
	struct task_rec t = {0};
	t.id = mkid(n);
	t.session_id = *sess;
	t.name = "vm";
	t.state = ST_WORKING;
	t.creation_us = T0 + n * 1000;
	return t;
}

static enum rc create(unsigned n, int64_t *usn)
{
	struct sess_rec r = running(n);
	struct core_write w = {0};
	enum rc rc = core_session_create(&w, &r);
	if(usn)
		*usn = w.usn;
	return rc;
}

static enum rc create_task(unsigned n, const struct uuid *sess, int64_t *usn)
{
	struct task_rec t = task_of(n, sess);
	struct core_write w = {0};
	enum rc rc = core_task_create(&w, &t);
	if(usn)
		*usn = w.usn;
	return rc;
}

static struct sess_patch patch(void)
{
	struct sess_patch p;
	sess_patch_init(&p, time_now_us());
	return p;
}

static struct sess_complete completion(int result)
{
	return (struct sess_complete){.if_match = -1, .result = result, .is_canceled = -1};
}

static struct sess_rec get_sess(const struct uuid *id)
{
	struct sess_rec r;
	assert_int_equal(core_session_get(id, &f.a, &r), RC_OK);
	return r;
}

static struct task_rec get_task(const struct uuid *id)
{
	struct task_rec t;
	assert_int_equal(core_task_get(id, &f.a, &t), RC_OK);
	return t;
}

/* ---------- usn ---------- */

/* Every write to a session, its task sessions or their logs gives the next usn,
 * strictly increasing whatever the verb; writes elsewhere give none. */
static void test_usn_strictly_increasing(void **state)
{
	int64_t last = core_usn(), u;
	struct uuid a = mkid(1), b = mkid(2), t = mkid(3);
#define NEXT(expr, usn_of) \
	do { \
		assert_int_equal((expr), RC_OK); \
		if(!((usn_of) > last)) \
			fail_msg("%s: usn %lld after %lld", #expr, (long long)(usn_of), (long long)last); \
		last = (usn_of); \
		assert_int_equal(core_usn(), last); \
	} while(0)
	NEXT(create(1, &u), u);
	NEXT(create(2, &u), u);
	struct sess_patch p = patch();
	p.has_progress = 1;
	p.progress = 10;
	struct core_write w1 = {0};
	NEXT(core_session_patch(&w1, &a, &p), w1.usn);
	NEXT(create_task(3, &a, &u), u);
	struct core_write w2 = {0};
	NEXT(core_task_patch(&w2, &t, &p), w2.usn);
	struct log_rec l1 = {.title = "x"}, l2 = {.title = "y"};
	struct core_write w3 = {0};
	NEXT(core_log_append(&w3, OWNER_SESSION, &a, &l1, 1), w3.usn);
	struct core_write w4 = {0};
	NEXT(core_log_append(&w4, OWNER_TASK, &t, &l2, 1), w4.usn);
	struct log_rec up = {.id = 1, .status = LOG_WARNING};
	struct core_write w5 = {0};
	NEXT(core_log_update(&w5, OWNER_SESSION, &a, &up), w5.usn);
	struct core_write w6 = {0};
	NEXT(core_log_update(&w6, OWNER_TASK, &t, &up), w6.usn);
	struct core_write w7 = {0};
	NEXT(core_session_stop(&w7, &b), w7.usn);
	struct core_write w8 = {0};
	NEXT(core_session_stop_em(&w8, &b, 1), w8.usn);
	struct sess_complete c = completion(RES_SUCCESS);
	c.end_us = T0 + 10000;
	struct core_write w9 = {0};
	NEXT(core_session_complete(&w9, &b, &c), w9.usn);
	struct core_write w10 = {0};
	NEXT(core_task_complete(&w10, &t, &c), w10.usn);
	struct core_write w11 = {0};
	NEXT(core_session_complete(&w11, &a, &c), w11.usn);
	struct core_write w12 = {0};
	NEXT(core_purge(&w12, T0 + 1000000, 1), w12.usn);
	assert_int_equal(w12.affected, 1);
#undef NEXT

	/* Settings, users, revocations and logons are no session change: no usn. */
	struct core_write n[5];
	memset(n, 0, sizeof(n));
	assert_int_equal(core_kv_put(&n[0], "k", "v"), RC_OK);
	assert_int_equal(core_user_add(&n[1], "ann", "$h", 1), RC_OK);
	assert_int_equal(core_user_change(&n[2], "ann", NULL, 2), RC_OK);
	assert_int_equal(core_token_revoke(&n[3], "fk", REVOKE_LOGOUT, time_now_us() + 60000000), RC_OK);
	struct logon_rec l = {.sid = "00000000-0000-4000-8000-000000000001", .uid = n[1].user.uid, .gen = 1,
	                      .created_us = T0, .last_us = T0};
	assert_int_equal(core_logon_create(&n[4], &l, 5), RC_OK);
	for(int i = 0; i < 5; i++)
		assert_int_equal(n[i].usn, 0);
	assert_int_equal(core_usn(), last);

	/* A restart goes on from there. */
	fx_shut(&f);
	fx_reopen(&f);
	assert_int_equal(core_usn(), last);
	assert_int_equal(create(9, &u), RC_OK);
	assert_true(u > last);
}

/* A task change gives its session and the task the same new usn, in what the verb
 * hands back and in what is stored. */
static void test_task_change_same_usn(void **state)
{
	struct uuid s = mkid(1), t = mkid(2), t2 = mkid(3);
	assert_int_equal(create(1, NULL), RC_OK);
	struct task_rec tr = task_of(2, &s);
	struct core_write w[6];
	memset(w, 0, sizeof(w));
	for(int i = 0; i < 6; i++)
		w[i].arena = &f.a;
	assert_int_equal(core_task_create(&w[0], &tr), RC_OK);
	struct sess_patch p = patch();
	p.has_progress = 1;
	p.progress = 50;
	assert_int_equal(core_task_patch(&w[1], &t, &p), RC_OK);
	struct log_rec l = {.title = "step"};
	assert_int_equal(core_log_append(&w[2], OWNER_TASK, &t, &l, 1), RC_OK);
	struct log_rec up = {.id = 1, .status = LOG_SUCCEEDED};
	assert_int_equal(core_log_update(&w[3], OWNER_TASK, &t, &up), RC_OK);
	struct sess_complete c = completion(RES_WARNING);
	assert_int_equal(core_task_complete(&w[4], &t, &c), RC_OK);
	int64_t prev = 0;
	for(int i = 0; i < 5; i++) {
		assert_true(w[i].usn > prev);
		assert_int_equal(w[i].sess.usn, w[i].usn);
		assert_int_equal(w[i].task.usn, w[i].usn);
		assert_true(uuid_eq(&w[i].task.id, &t));
		assert_true(uuid_eq(&w[i].sess.id, &s));
		prev = w[i].usn;
	}
	assert_int_equal(get_sess(&s).usn, prev);
	assert_int_equal(get_task(&t).usn, prev);

	/* A change of the session alone leaves its task sessions' usn; a change of one task
	 * session leaves the other's. */
	assert_int_equal(create_task(3, &s, NULL), RC_OK);
	int64_t t2usn = get_task(&t2).usn;
	assert_int_equal(core_session_patch(&w[5], &s, &p), RC_OK);
	assert_int_equal(get_sess(&s).usn, w[5].usn);
	assert_int_equal(get_task(&t).usn, prev);
	assert_int_equal(get_task(&t2).usn, t2usn);
	assert_true(w[5].usn > t2usn);
}

/* ---------- logs ---------- */

static void test_log_numbering(void **state)
{
	struct uuid a = mkid(1), b = mkid(2), t = mkid(3);
	assert_int_equal(create(1, NULL), RC_OK);
	assert_int_equal(create(2, NULL), RC_OK);
	assert_int_equal(create_task(3, &a, NULL), RC_OK);
	struct log_rec l[3];
	memset(l, 0, sizeof(l));
	l[0].title = "one";
	l[1].title = "two";
	l[2].title = "three";
	struct core_write w = {0};
	assert_int_equal(core_log_append(&w, OWNER_SESSION, &a, l, 3), RC_OK);
	assert_int_equal(w.first_log_id, 1);
	for(int i = 0; i < 3; i++)
		assert_int_equal(l[i].id, i + 1);
	struct core_write w2 = {0};
	assert_int_equal(core_log_append(&w2, OWNER_SESSION, &a, l, 2), RC_OK);
	assert_int_equal(w2.first_log_id, 4);
	assert_int_equal(l[1].id, 5);
	/* Each owner counts from 1: another session, a task session of the first. */
	struct core_write w3 = {0};
	assert_int_equal(core_log_append(&w3, OWNER_SESSION, &b, l, 1), RC_OK);
	assert_int_equal(w3.first_log_id, 1);
	struct core_write w4 = {0};
	assert_int_equal(core_log_append(&w4, OWNER_TASK, &t, l, 2), RC_OK);
	assert_int_equal(w4.first_log_id, 1);
	/* A refused append numbers nothing: the next goes on without a gap. */
	struct core_write bad = {0};
	assert_int_equal(core_log_append(&bad, OWNER_SESSION, &t, l, 1), RC_NOTFOUND);
	struct core_write none = {0};
	assert_int_equal(core_log_append(&none, OWNER_SESSION, &a, l, 0), RC_INVALID);
	assert_true(none.err[0] != 0);
	struct core_write w5 = {0};
	assert_int_equal(core_log_append(&w5, OWNER_TASK, &t, l, 1), RC_OK);
	assert_int_equal(w5.first_log_id, 3);
	/* And across a restart. */
	fx_shut(&f);
	fx_reopen(&f);
	struct core_write w6 = {0};
	assert_int_equal(core_log_append(&w6, OWNER_SESSION, &a, l, 1), RC_OK);
	assert_int_equal(w6.first_log_id, 6);
}

/* ---------- times ---------- */

struct log_times {
	int n;
	int64_t start[8], update[8];
};

static int collect_times(void *ctx, const struct log_rec *l)
{
	struct log_times *lt = ctx;
	if(lt->n < 8) {
		lt->start[lt->n] = l->start_us;
		lt->update[lt->n] = l->update_us;
	}
	lt->n++;
	return 0;
}

static void test_millisecond_times(void **state)
{
	struct sess_rec r = running(1);
	r.creation_us = T0 + 123456789;
	struct core_write w = {.arena = &f.a};
	assert_int_equal(core_session_create(&w, &r), RC_OK);
	assert_int_equal(w.sess.creation_us, T0 + 123456000);
	assert_int_equal(get_sess(&r.id).creation_us, T0 + 123456000);

	/* A finished run reported at once: both of its times. */
	struct sess_rec done = running(2);
	done.state = ST_STOPPED;
	done.result = RES_SUCCESS;
	done.creation_us = T0 + 1999;
	done.end_us = T0 + 5000999;
	struct core_write wd = {0};
	assert_int_equal(core_session_create(&wd, &done), RC_OK);
	struct sess_rec got = get_sess(&done.id);
	assert_int_equal(got.creation_us, T0 + 1000);
	assert_int_equal(got.end_us, T0 + 5000000);

	/* A default creation time is now, in milliseconds. */
	struct sess_rec now = running(3);
	now.creation_us = 0;
	int64_t before = time_now_us();
	struct core_write wn = {0};
	assert_int_equal(core_session_create(&wn, &now), RC_OK);
	got = get_sess(&now.id);
	assert_int_equal(got.creation_us % 1000, 0);
	assert_true(got.creation_us >= before - before % 1000 && got.creation_us <= time_now_us());

	/* Task sessions. */
	struct task_rec t = task_of(4, &r.id);
	t.creation_us = T0 + 200000555;
	struct core_write wt = {0};
	assert_int_equal(core_task_create(&wt, &t), RC_OK);
	assert_int_equal(get_task(&t.id).creation_us, T0 + 200000000);
	struct sess_complete c = completion(RES_SUCCESS);
	c.end_us = T0 + 300000777;
	struct core_write wtc = {0};
	assert_int_equal(core_task_complete(&wtc, &t.id, &c), RC_OK);
	assert_int_equal(get_task(&t.id).end_us, T0 + 300000000);

	/* Log records: start, update (defaults to the start), and an update's time. */
	struct log_rec l[2] = {{.title = "a", .start_us = T0 + 7777}, {.title = "b", .start_us = T0 + 8888, .update_us = T0 + 9999}};
	struct core_write wl = {0};
	assert_int_equal(core_log_append(&wl, OWNER_SESSION, &r.id, l, 2), RC_OK);
	struct log_times lt = {0};
	assert_int_equal(core_log_list(&r.id, -1, &f.a, collect_times, &lt, NULL), RC_OK);
	assert_int_equal(lt.n, 2);
	assert_int_equal(lt.start[1], T0 + 7000);
	assert_int_equal(lt.update[1], T0 + 7000);
	assert_int_equal(lt.start[0], T0 + 8000);
	assert_int_equal(lt.update[0], T0 + 9000);
	struct log_rec up = {.id = 1, .status = LOG_FAILED, .update_us = T0 + 12345678};
	struct core_write wu = {0};
	assert_int_equal(core_log_update(&wu, OWNER_SESSION, &r.id, &up), RC_OK);
	memset(&lt, 0, sizeof(lt));
	assert_int_equal(core_log_list(&r.id, -1, &f.a, collect_times, &lt, NULL), RC_OK);
	assert_int_equal(lt.update[1], T0 + 12345000);
	assert_int_equal(lt.start[1], T0 + 7000);

	/* The session's end. */
	c.end_us = T0 + 400000001;
	struct core_write wc = {0};
	assert_int_equal(core_session_complete(&wc, &r.id, &c), RC_OK);
	assert_int_equal(get_sess(&r.id).end_us, T0 + 400000000);
	/* An end before the creation is the creation. */
	struct sess_rec early = running(5);
	assert_int_equal(core_session_create(&(struct core_write){0}, &early), RC_OK);
	c.end_us = T0 - 1000000;
	assert_int_equal(core_session_complete(&(struct core_write){0}, &early.id, &c), RC_OK);
	got = get_sess(&early.id);
	assert_int_equal(got.end_us, got.creation_us);
}

/* ---------- If-Match ---------- */

static void test_if_match(void **state)
{
	struct uuid s = mkid(1), t = mkid(2);
	int64_t u;
	assert_int_equal(create(1, NULL), RC_OK);
	assert_int_equal(create_task(2, &s, &u), RC_OK);
	struct sess_patch p = patch();
	p.name = "stale";
	p.if_match = u - 1;
	struct core_write w = {0};
	assert_int_equal(core_session_patch(&w, &s, &p), RC_PRECONDITION);
	assert_non_null(strstr(w.err, "changed"));
	assert_int_equal(w.usn, 0);
	assert_string_equal(get_sess(&s).name, "run");
	assert_int_equal(core_usn(), u);

	struct sess_complete c = completion(RES_SUCCESS);
	c.if_match = u + 5;
	struct core_write wc = {0};
	assert_int_equal(core_session_complete(&wc, &s, &c), RC_PRECONDITION);
	assert_int_equal(get_sess(&s).state, ST_WORKING);
	struct core_write wt = {0};
	assert_int_equal(core_task_patch(&wt, &t, &p), RC_PRECONDITION);
	struct core_write wtc = {0};
	assert_int_equal(core_task_complete(&wtc, &t, &c), RC_PRECONDITION);
	assert_int_equal(get_task(&t).state, ST_WORKING);
	assert_string_equal(get_task(&t).name, "vm");
	assert_int_equal(core_usn(), u);

	/* The current usn matches. */
	p.name = "fresh";
	p.if_match = u;
	struct core_write ok = {0};
	assert_int_equal(core_session_patch(&ok, &s, &p), RC_OK);
	assert_string_equal(get_sess(&s).name, "fresh");
	/* The task's own usn is what a task change is matched against: now behind its session's. */
	p.if_match = ok.usn;
	struct core_write wt2 = {0};
	assert_int_equal(core_task_patch(&wt2, &t, &p), RC_PRECONDITION);
	p.if_match = u;
	struct core_write wt3 = {0};
	assert_int_equal(core_task_patch(&wt3, &t, &p), RC_OK);
	c.if_match = wt3.usn;
	struct core_write wtc2 = {0};
	assert_int_equal(core_task_complete(&wtc2, &t, &c), RC_OK);
	c.if_match = wtc2.usn;
	struct core_write wc2 = {0};
	assert_int_equal(core_session_complete(&wc2, &s, &c), RC_OK);
}

/* ---------- the state machine ---------- */

static void test_illegal_transitions(void **state)
{
	struct uuid s = mkid(1), t = mkid(2);
	assert_int_equal(create(1, NULL), RC_OK);
	assert_int_equal(create_task(2, &s, NULL), RC_OK);
	struct log_rec l = {.title = "x"};
	assert_int_equal(core_log_append(&(struct core_write){0}, OWNER_TASK, &t, &l, 1), RC_OK);
	assert_int_equal(core_log_append(&(struct core_write){0}, OWNER_SESSION, &s, &l, 1), RC_OK);
	int64_t u = core_usn();
	static const int refused[] = {ST_STOPPED, ST_STARTING};
	for(size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct sess_patch p = patch();
		p.has_state = 1;
		p.state = refused[i];
		struct core_write w = {0}, wt = {0};
		assert_int_equal(core_session_patch(&w, &s, &p), RC_CONFLICT);
		assert_true(w.err[0] != 0);
		assert_int_equal(core_task_patch(&wt, &t, &p), RC_CONFLICT);
	}
	assert_int_equal(core_usn(), u);
	struct sess_patch p = patch();
	p.has_state = 1;
	p.state = ST_PAUSING;
	assert_int_equal(core_session_patch(&(struct core_write){0}, &s, &p), RC_OK);
	p.state = ST_WORKING;
	assert_int_equal(core_session_patch(&(struct core_write){0}, &s, &p), RC_OK);

	/* After a stop only completion follows. */
	assert_int_equal(core_session_stop(&(struct core_write){0}, &s), RC_OK);
	assert_int_equal(get_sess(&s).state, ST_STOPPING);
	struct core_write back = {0};
	assert_int_equal(core_session_patch(&back, &s, &p), RC_CONFLICT);
	assert_int_equal(get_sess(&s).state, ST_STOPPING);

	/* A stopped session is final, for everything under it too. */
	struct sess_complete c = completion(RES_FAILED);
	assert_int_equal(core_session_complete(&(struct core_write){0}, &s, &c), RC_OK);
	u = core_usn();
	struct sess_patch q = patch();
	q.has_progress = 1;
	q.progress = 5;
	struct log_rec up = {.id = 1, .status = LOG_FAILED};
	struct task_rec t2 = task_of(3, &s);
	struct core_write w[9];
	memset(w, 0, sizeof(w));
	assert_int_equal(core_session_patch(&w[0], &s, &q), RC_CONFLICT);
	assert_int_equal(core_session_complete(&w[1], &s, &c), RC_CONFLICT);
	assert_int_equal(core_session_stop(&w[2], &s), RC_CONFLICT);
	assert_int_equal(core_task_create(&w[3], &t2), RC_CONFLICT);
	assert_int_equal(core_task_patch(&w[4], &t, &q), RC_CONFLICT);
	assert_int_equal(core_task_complete(&w[5], &t, &c), RC_CONFLICT);
	assert_int_equal(core_log_append(&w[6], OWNER_SESSION, &s, &l, 1), RC_CONFLICT);
	assert_int_equal(core_log_append(&w[7], OWNER_TASK, &t, &l, 1), RC_CONFLICT);
	assert_int_equal(core_log_update(&w[8], OWNER_TASK, &t, &up), RC_CONFLICT);
	for(int i = 0; i < 9; i++) {
		if(!w[i].err[0])
			fail_msg("refusal %d without a message", i);
		assert_int_equal(w[i].usn, 0);
	}
	assert_int_equal(core_log_update(&(struct core_write){0}, OWNER_SESSION, &s, &up), RC_CONFLICT);
	assert_int_equal(core_usn(), u);
	assert_int_equal(get_task(&t).state, ST_WORKING);
	assert_int_equal(core_task_get(&t2.id, &f.a, &(struct task_rec){0}), RC_NOTFOUND);

	/* A stopped task session is final too, under a running session. */
	struct uuid s2 = mkid(4), t3 = mkid(5);
	assert_int_equal(create(4, NULL), RC_OK);
	assert_int_equal(create_task(5, &s2, NULL), RC_OK);
	assert_int_equal(core_task_complete(&(struct core_write){0}, &t3, &c), RC_OK);
	assert_int_equal(core_task_complete(&(struct core_write){0}, &t3, &c), RC_CONFLICT);
	assert_int_equal(core_task_patch(&(struct core_write){0}, &t3, &q), RC_CONFLICT);

	/* New sessions: Stopped only as a finished run (with a result); one id space. */
	struct sess_rec r = running(6);
	r.state = ST_STOPPED;
	struct core_write wi = {0};
	assert_int_equal(core_session_create(&wi, &r), RC_INVALID);
	assert_true(wi.err[0] != 0);
	assert_int_equal(core_session_get(&r.id, &f.a, &(struct sess_rec){0}), RC_NOTFOUND);
	r.result = RES_SUCCESS;
	assert_int_equal(core_session_create(&(struct core_write){0}, &r), RC_OK);
	assert_int_equal(get_sess(&r.id).state, ST_STOPPED);
	assert_true(get_sess(&r.id).end_us > 0);
	struct sess_rec clash = running(5);   /* t3's id */
	assert_int_equal(core_session_create(&(struct core_write){0}, &clash), RC_CONFLICT);
	struct task_rec tclash = task_of(4, &s2);   /* s2's own id */
	assert_int_equal(core_task_create(&(struct core_write){0}, &tclash), RC_CONFLICT);
	/* Logs by owner kind: a session id is no task session and the other way round. */
	assert_int_equal(core_log_append(&(struct core_write){0}, OWNER_TASK, &s2, &l, 1), RC_NOTFOUND);
	assert_int_equal(core_log_append(&(struct core_write){0}, OWNER_SESSION, &t3, &l, 1), RC_NOTFOUND);
}

/* ---------- cancellation ---------- */

static void test_stop_then_complete_is_canceled(void **state)
{
	struct uuid a = mkid(1), b = mkid(2), c = mkid(3), d = mkid(4);
	for(unsigned n = 1; n <= 4; n++)
		assert_int_equal(create(n, NULL), RC_OK);
	struct sess_complete done = completion(RES_SUCCESS);
	/* stopped, then completed: canceled unless the completion says otherwise */
	assert_int_equal(core_session_stop(&(struct core_write){0}, &a), RC_OK);
	struct core_write w = {.arena = &f.a};
	assert_int_equal(core_session_complete(&w, &a, &done), RC_OK);
	assert_int_equal(w.sess.is_canceled, 1);
	struct sess_rec r = get_sess(&a);
	assert_int_equal(r.is_canceled, 1);
	assert_int_equal(r.state, ST_STOPPED);
	assert_int_equal(r.stop_requested, 1);
	assert_int_equal(r.result, RES_SUCCESS);
	assert_int_equal(r.progress, 100);
	assert_int_equal(core_session_stop_em(&(struct core_write){0}, &d, 1), RC_OK);
	struct sess_complete notcanceled = done;
	notcanceled.is_canceled = 0;
	assert_int_equal(core_session_complete(&(struct core_write){0}, &d, &notcanceled), RC_OK);
	assert_int_equal(get_sess(&d).is_canceled, 0);
	/* never stopped: not canceled, unless the completion says so */
	assert_int_equal(core_session_complete(&(struct core_write){0}, &b, &done), RC_OK);
	assert_int_equal(get_sess(&b).is_canceled, 0);
	assert_int_equal(get_sess(&b).stop_requested, 0);
	struct sess_complete canceled = done;
	canceled.is_canceled = 1;
	assert_int_equal(core_session_complete(&(struct core_write){0}, &c, &canceled), RC_OK);
	assert_int_equal(get_sess(&c).is_canceled, 1);
}

/* ---------- purge ---------- */

static void test_purge_usn(void **state)
{
	struct uuid a = mkid(1), b = mkid(2);
	assert_int_equal(create(1, NULL), RC_OK);
	assert_int_equal(create(2, NULL), RC_OK);
	assert_int_equal(create(3, NULL), RC_OK);   /* old but running: never purged */
	struct sess_complete c = completion(RES_SUCCESS);
	c.end_us = T0 + 10000;
	assert_int_equal(core_session_complete(&(struct core_write){0}, &a, &c), RC_OK);
	c.end_us = T0 + 90000000;
	assert_int_equal(core_session_complete(&(struct core_write){0}, &b, &c), RC_OK);
	int64_t u = core_usn();

	/* Nothing old enough: no usn taken. */
	struct core_write p0 = {0};
	assert_int_equal(core_purge(&p0, T0 + 10000, 100), RC_OK);
	assert_int_equal(p0.affected, 0);
	assert_int_equal(p0.usn, 0);
	assert_int_equal(core_usn(), u);

	/* One removed: the next usn, so what keys on the usn sees the change. */
	struct core_write p1 = {0};
	assert_int_equal(core_purge(&p1, T0 + 60000000, 100), RC_OK);
	assert_int_equal(p1.affected, 1);
	assert_int_equal(p1.usn, u + 1);
	assert_int_equal(core_usn(), u + 1);
	assert_int_equal(core_session_get(&a, &f.a, &(struct sess_rec){0}), RC_NOTFOUND);
	assert_int_equal(get_sess(&b).state, ST_STOPPED);

	/* And again nothing. */
	struct core_write p2 = {0};
	assert_int_equal(core_purge(&p2, T0 + 60000000, 100), RC_OK);
	assert_int_equal(p2.affected, 0);
	assert_int_equal(p2.usn, 0);
	assert_int_equal(core_usn(), u + 1);
	/* The running one is kept whatever the cutoff. */
	struct core_write p3 = {0};
	assert_int_equal(core_purge(&p3, T0 + 999000000000LL, 100), RC_OK);
	assert_int_equal(p3.affected, 1);
	struct uuid r = mkid(3);
	assert_int_equal(get_sess(&r).state, ST_WORKING);
}

/* ---------- queued writes ---------- */

struct seen {
	int calls;
	enum rc rc;
	int64_t usn;
};

static void note(struct core_write *w)
{
	struct seen *s = w->udata;
	s->calls++;
	s->rc = w->rc;
	s->usn = w->usn;
}

/* A verb that refuses its input before queueing calls done() at once, as it would later. */
static void test_refused_before_queueing(void **state)
{
	struct seen s = {0};
	struct sess_rec r = running(1);
	r.name = "";
	struct core_write w = {.done = note, .udata = &s};
	assert_int_equal(core_session_create(&w, &r), RC_INVALID);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.rc, RC_INVALID);
	assert_non_null(strstr(w.err, "name"));
	struct seen s2 = {0};
	struct log_rec l = {.title = "x"};
	struct uuid id = mkid(1);
	struct core_write w2 = {.done = note, .udata = &s2};
	assert_int_equal(core_log_append(&w2, OWNER_SESSION, &id, &l, 0), RC_INVALID);
	assert_int_equal(s2.calls, 1);
	assert_int_equal(s2.rc, RC_INVALID);
	struct seen s3 = {0};
	struct core_write w3 = {.done = note, .udata = &s3};
	assert_int_equal(core_user_add(&w3, "", "$h", 1), RC_INVALID);
	assert_int_equal(s3.calls, 1);
	assert_int_equal(core_usn(), 0);
}

/* ---------- leases ---------- */

/* A reporter's write renews its session's lease to its heartbeat from now, plus at most a
 * quarter second; a lease already that long stays as it is (its index entry unwritten);
 * a shorter heartbeat shortens it; a stopped session has none. */
static void test_lease_slack(void **state)
{
	(void)state;
	assert_int_equal(core_lease_slack_us(1), 250000);
	assert_int_equal(core_lease_slack_us(16), 250000);
	assert_int_equal(core_lease_slack_us(32), 500000);
	assert_int_equal(core_lease_slack_us(600), 4000000);
	assert_int_equal(core_lease_slack_us(31536000), 4000000);
}

static void test_lease_renewal(void **state)
{
	struct sess_rec r = running(1);
	r.heartbeat_s = 10;
	int64_t t0 = session_time(time_now_us());
	struct core_write w = {0};
	assert_int_equal(core_session_create(&w, &r), RC_OK);
	int64_t t1 = session_time(time_now_us());
	int64_t l0 = get_sess(&r.id).lease_us;
	assert_true(l0 >= t0 + 10000000 + core_lease_slack_us(10));   /* written: the slack on top */
	assert_true(l0 <= t1 + 10000000 + core_lease_slack_us(10));

	struct sess_patch p = patch();
	p.has_progress = 1;
	p.progress = 5;
	int64_t t4 = session_time(time_now_us());
	struct core_write w1 = {0};
	assert_int_equal(core_session_patch(&w1, &r.id, &p), RC_OK);
	struct sess_rec got = get_sess(&r.id);
	assert_int_equal(got.progress, 5);
	assert_int_equal(got.usn, w1.usn);
	if(session_time(time_now_us()) + 10000000 <= l0)   /* still long enough when written */
		assert_int_equal(got.lease_us, l0);
	assert_true(got.lease_us >= t4 + 10000000);
	assert_true(got.lease_us <= session_time(time_now_us()) + 10000000 + core_lease_slack_us(10));

	/* a longer heartbeat: the lease moves out at once */
	p = patch();
	p.has_heartbeat = 1;
	p.heartbeat_s = 20;
	int64_t t2 = session_time(time_now_us());
	struct core_write w2 = {0};
	assert_int_equal(core_session_patch(&w2, &r.id, &p), RC_OK);
	int64_t l2 = get_sess(&r.id).lease_us;
	assert_true(l2 >= t2 + 20000000 + core_lease_slack_us(20));
	assert_true(l2 <= session_time(time_now_us()) + 20000000 + core_lease_slack_us(20));

	/* a shorter one: it comes in */
	p = patch();
	p.has_heartbeat = 1;
	p.heartbeat_s = 2;
	int64_t t3 = session_time(time_now_us());
	struct core_write w3 = {0};
	assert_int_equal(core_session_patch(&w3, &r.id, &p), RC_OK);
	int64_t l3 = get_sess(&r.id).lease_us;
	assert_true(l3 >= t3 + 2000000 + core_lease_slack_us(2));
	assert_true(l3 <= session_time(time_now_us()) + 2000000 + core_lease_slack_us(2));

	/* stopped: none */
	struct sess_complete c = completion(RES_SUCCESS);
	struct core_write w4 = {0};
	assert_int_equal(core_session_complete(&w4, &r.id, &c), RC_OK);
	assert_int_equal(get_sess(&r.id).lease_us, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_usn_strictly_increasing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_change_same_usn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_numbering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_millisecond_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_if_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_then_complete_is_canceled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_usn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_before_queueing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_renewal, setup, teardown),
		cmocka_unit_test(test_lease_slack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
