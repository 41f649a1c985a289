/* Store conformance suite: every case takes a `const struct store_ops *` and
 * runs against each backend in `backends[]` on a fresh database, with core opened
 * on it (store_fixture.h). Reads go to the backend directly; writes go through
 * core's verbs, as the server makes them, or, for row behaviour no verb expresses
 * (editing any column, a row without a job id, an op that fails after writing),
 * through test-local units of work on core's writer that call the tx_* primitives.
 * List queries are checked against a reference evaluator of struct qexpr (SQL
 * semantics: NULL compares unknown, text equality and matching are ASCII
 * case-insensitive). Times are whole milliseconds, as core stores them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <sqlite3.h>
#include <strings.h>

#include "core/auth.h"
#include "model/catalog.h"
#include "model/estate.h"
#include "model/query.h"
#include "store/store.h"
#include "store/store_sql.h"
#include "store_fixture.h"
#include "util/timefmt.h"

#define T0 1700000000000000LL   /* a fixed creation time base, µs */

static struct uuid mkid(unsigned n)
{
	return fx_id(0x10, n);
}

/* A session through core_session_create; *usn gets the usn it was given. */
static enum rc put_sess(struct fx *f, const struct sess_rec *r, int64_t *usn)
{
	struct core_write w = {0};
	enum rc rc = core_session_create(&w, r);
	if(usn)
		*usn = w.usn;
	return rc;
}

static struct sess_rec simple_sess(unsigned n, const char *name)
{
	struct sess_rec r = {0};
	r.id = mkid(n);
	r.name = name;
	r.state = ST_WORKING;
	r.creation_us = T0 + (int64_t)n * 1000;
	return r;
}

static enum rc put_task(struct fx *f, unsigned n, const struct uuid *sess, const char *name, int64_t *usn)
{
	struct task_rec t = {0};
	t.id = mkid(n);
	t.session_id = *sess;
	t.name = name;
	t.state = ST_WORKING;
	t.creation_us = T0 + (int64_t)n * 1000;
	struct core_write w = {0};
	enum rc rc = core_task_create(&w, &t);
	if(usn)
		*usn = w.usn;
	return rc;
}

/* Appends n records titled "step", record i starting at T0 + i ms. */
static enum rc append_logs(struct fx *f, enum core_owner kind, const struct uuid *owner, int n, int status,
                           int64_t *first, int64_t *usn)
{
	struct log_rec logs[16];
	memset(logs, 0, sizeof(logs));
	for(int i = 0; i < n; i++) {
		logs[i].status = status;
		logs[i].title = "step";
		logs[i].start_us = T0 + i * 1000;
	}
	struct core_write w = {0};
	enum rc rc = core_log_append(&w, kind, owner, logs, n);
	if(first)
		*first = w.first_log_id;
	if(usn)
		*usn = w.usn;
	return rc;
}

static enum rc complete_sess(const struct uuid *id, int result, int64_t end_us, int64_t *usn)
{
	struct sess_complete c = {.if_match = -1, .result = result, .is_canceled = -1, .end_us = end_us};
	struct core_write w = {0};
	enum rc rc = core_session_complete(&w, id, &c);
	if(usn)
		*usn = w.usn;
	return rc;
}

static void assert_str_eq_or_null(const char *a, const char *b)
{
	if(!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_uuid_eq(const struct uuid *a, const struct uuid *b)
{
	assert_memory_equal(a->b, b->b, 16);
}

static void assert_sess_eq(const struct sess_rec *a, const struct sess_rec *b)
{
	assert_uuid_eq(&a->id, &b->id);
	assert_uuid_eq(&a->job_id, &b->job_id);
	assert_uuid_eq(&a->parent_id, &b->parent_id);
	assert_uuid_eq(&a->resource_id, &b->resource_id);
	assert_str_eq_or_null(a->name, b->name);
	assert_str_eq_or_null(a->job_name, b->job_name);
	assert_str_eq_or_null(a->resource_ref, b->resource_ref);
	assert_str_eq_or_null(a->platform_name, b->platform_name);
	assert_str_eq_or_null(a->initiated_by, b->initiated_by);
	assert_str_eq_or_null(a->message, b->message);
	assert_str_eq_or_null(a->backup_server, b->backup_server);
	assert_str_eq_or_null(a->extra, b->extra);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->result, b->result);
	assert_int_equal(a->progress, b->progress);
	assert_int_equal(a->is_canceled, b->is_canceled);
	assert_int_equal(a->is_retry, b->is_retry);
	assert_int_equal(a->stop_requested, b->stop_requested);
	assert_int_equal(a->creation_us, b->creation_us);
	assert_int_equal(a->end_us, b->end_us);
}

static void assert_task_eq(const struct task_rec *a, const struct task_rec *b)
{
	assert_uuid_eq(&a->id, &b->id);
	assert_uuid_eq(&a->session_id, &b->session_id);
	assert_uuid_eq(&a->restore_point_id, &b->restore_point_id);
	assert_uuid_eq(&a->repository_id, &b->repository_id);
	assert_str_eq_or_null(a->name, b->name);
	assert_str_eq_or_null(a->message, b->message);
	assert_str_eq_or_null(a->reason, b->reason);
	assert_str_eq_or_null(a->extra, b->extra);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->result, b->result);
	assert_int_equal(a->progress, b->progress);
	assert_int_equal(a->is_canceled, b->is_canceled);
	assert_int_equal(a->total_size, b->total_size);
	assert_int_equal(a->creation_us, b->creation_us);
	assert_int_equal(a->end_us, b->end_us);
}

static int no_sess_row(void *ctx, const struct sess_rec *r)
{
	return 0;
}

/* ---------- sessions ---------- */

static struct sess_rec full_sess(void)
{
	struct sess_rec r = {0};
	r.id = mkid(1);
	r.job_id = mkid(2);
	r.parent_id = mkid(3);
	r.resource_id = mkid(4);
	r.name = "Nightly \"backup\" — ünïcode";
	r.job_name = "Nightly";
	r.resource_ref = "/vm/42";
	r.platform_name = "VMware";
	r.initiated_by = "alice";
	r.message = "line1\nline2";
	r.backup_server = "srv1";
	r.extra = "{\"backupJobInfo\":{\"policyName\":\"p\"}}";
	r.type = 7;
	r.state = ST_STOPPED;        /* a finished run, reported with its result */
	r.result = RES_WARNING;
	r.progress = 55;
	r.is_canceled = 1;
	r.is_retry = 1;
	r.stop_requested = 0;        /* a new session never carries a stop request (set below, raw) */
	r.creation_us = T0 + 123000;
	r.end_us = T0 + 999000;
	return r;
}

static void set_stop_requested(struct fx_edit *e, struct sess_rec *r)
{
	r->stop_requested = 1;
}

static void c_session_roundtrip(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec r = full_sess();
	struct core_write w = {.arena = &f.a};
	assert_int_equal(core_session_create(&w, &r), RC_OK);
	assert_true(w.usn > 0);
	assert_sess_eq(&w.sess, &r);
	assert_int_equal(w.sess.usn, w.usn);

	struct sess_rec got;
	assert_int_equal(ops->session_get(f.s, &r.id, &f.a, &got), RC_OK);
	assert_sess_eq(&got, &r);
	assert_int_equal(got.usn, w.usn);
	assert_int_equal(ops->usn_current(f.s), w.usn);

	/* Every column round-trips, stop_requested too (no verb sets it on a stopped session). */
	struct fx_edit e = {.id = r.id, .edit = set_stop_requested};
	assert_int_equal(fx_edit_run(&e), RC_OK);
	r.stop_requested = 1;
	assert_int_equal(ops->session_get(f.s, &r.id, &f.a, &got), RC_OK);
	assert_sess_eq(&got, &r);
	assert_int_equal(got.usn, e.usn);

	/* Absent strings stay NULL and nil uuids stay nil. */
	struct sess_rec bare = simple_sess(9, "bare");
	assert_int_equal(put_sess(&f, &bare, NULL), RC_OK);
	assert_int_equal(ops->session_get(f.s, &bare.id, &f.a, &got), RC_OK);
	bare.job_id = got.job_id;    /* core names the job after the session */
	assert_false(uuid_is_nil(&got.job_id));
	assert_sess_eq(&got, &bare);
	assert_null(got.job_name);
	assert_null(got.extra);
	assert_true(uuid_is_nil(&got.parent_id));
	assert_true(uuid_is_nil(&got.resource_id));
	assert_int_equal(got.end_us, 0);
	/* A row stored without a job id (as an older release could) reads back with none. */
	struct fx_insert raw = {.r = simple_sess(10, "no job")};
	assert_int_equal(fx_insert_run(&raw), RC_OK);
	assert_int_equal(ops->session_get(f.s, &raw.r.id, &f.a, &got), RC_OK);
	assert_sess_eq(&got, &raw.r);
	assert_true(uuid_is_nil(&got.job_id));
	assert_int_equal(got.usn, raw.usn);

	/* Survives close and reopen. */
	fx_shut(&f);
	fx_reopen(&f);
	assert_int_equal(ops->session_get(f.s, &r.id, &f.a, &got), RC_OK);
	assert_sess_eq(&got, &r);

	struct uuid missing = mkid(77);
	assert_int_equal(ops->session_get(f.s, &missing, &f.a, &got), RC_NOTFOUND);
	fx_close(&f);
}

static void c_session_duplicate(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec r = simple_sess(1, "first");
	int64_t usn;
	assert_int_equal(put_sess(&f, &r, &usn), RC_OK);
	struct sess_rec dup = simple_sess(1, "second");
	struct core_write w = {0};
	assert_int_equal(core_session_create(&w, &dup), RC_CONFLICT);
	assert_int_equal(w.rc, RC_CONFLICT);
	assert_true(w.err[0] != 0);
	assert_int_equal(w.usn, 0);
	/* One id space: a task session's id is taken for sessions too. */
	assert_int_equal(put_task(&f, 2, &r.id, "task", &usn), RC_OK);
	struct sess_rec clash = simple_sess(2, "clash");
	struct core_write w2 = {0};
	assert_int_equal(core_session_create(&w2, &clash), RC_CONFLICT);
	assert_true(w2.err[0] != 0);
	struct sess_rec got;
	assert_int_equal(ops->session_get(f.s, &clash.id, &f.a, &got), RC_NOTFOUND);
	assert_int_equal(ops->session_get(f.s, &r.id, &f.a, &got), RC_OK);
	assert_string_equal(got.name, "first");
	assert_int_equal(got.usn, usn);
	assert_int_equal(ops->usn_current(f.s), usn);
	fx_close(&f);
}

/* An edit of fields no verb changes (type, creation), then maybe a refusal. */
struct edit {
	const char *name;
	int progress;
	int type;
	int64_t creation_us;
};

static void edit_sess(struct fx_edit *e, struct sess_rec *r)
{
	const struct edit *ed = e->ctx;
	r->name = ed->name;
	r->progress = ed->progress;
	r->type = ed->type;
	r->creation_us = ed->creation_us;
	r->message = NULL;
}

static void c_session_update(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec r = full_sess();
	r.state = ST_WORKING;
	r.result = RES_NONE;
	r.is_canceled = 0;
	r.end_us = 0;
	int64_t usn0;
	assert_int_equal(put_sess(&f, &r, &usn0), RC_OK);

	struct edit ed = {.name = "renamed", .progress = 80, .type = 3, .creation_us = T0 + 5000};
	struct fx_edit e = {.id = r.id, .edit = edit_sess, .ctx = &ed};
	assert_int_equal(fx_edit_run(&e), RC_OK);
	assert_int_equal(e.calls, 1);
	assert_int_equal(e.seen_usn, usn0);
	assert_true(e.usn > usn0);
	struct sess_rec got;
	assert_int_equal(ops->session_get(f.s, &r.id, &f.a, &got), RC_OK);
	struct sess_rec want = r;
	want.name = "renamed";
	want.progress = 80;
	want.type = 3;
	want.creation_us = T0 + 5000;
	want.message = NULL;
	assert_sess_eq(&got, &want);
	assert_int_equal(got.usn, e.usn);
	int64_t usn1 = e.usn;
	/* The changed columns are what lists filter on. */
	struct query q = {.where = q_and(&f.a, q_int(&f.a, QF_TYPE, Q_EQ, 3), q_int(&f.a, QF_CREATION, Q_EQ, T0 + 5000)),
	                  .limit = -1, .want_total = 1};
	int64_t total = -1;
	assert_int_equal(ops->session_list(f.s, &q, &f.a, no_sess_row, NULL, &total), RC_OK);
	assert_int_equal(total, 1);

	/* An edit that wrote its row and a usn, then failed: the row, the usn and the
	 * rc and message are as if it never ran. */
	struct edit ned = {.name = "never", .progress = 1, .type = 5, .creation_us = T0};
	struct fx_edit no = {.id = r.id, .edit = edit_sess, .ctx = &ned, .refuse = RC_PRECONDITION};
	assert_int_equal(fx_edit_run(&no), RC_PRECONDITION);
	/* a driver that sent the batch ahead runs it again the ordinary way (store.h) */
	assert_int_equal(no.calls, ops->tx_begin_batch ? 2 : 1);
	assert_string_equal(no.x.op.err, "refused by test");
	assert_int_equal(ops->session_get(f.s, &r.id, &f.a, &got), RC_OK);
	assert_sess_eq(&got, &want);
	assert_int_equal(got.usn, usn1);
	assert_int_equal(ops->usn_current(f.s), usn1);
	q.where = q_int(&f.a, QF_TYPE, Q_EQ, 5);
	assert_int_equal(ops->session_list(f.s, &q, &f.a, no_sess_row, NULL, &total), RC_OK);
	assert_int_equal(total, 0);
	/* The next usn given is the one the failed edit had taken back. */
	struct edit ed2 = ed;
	struct fx_edit e2 = {.id = r.id, .edit = edit_sess, .ctx = &ed2};
	assert_int_equal(fx_edit_run(&e2), RC_OK);
	assert_int_equal(e2.usn, usn1 + 1);
	/* ... and the writer loads the row as stored, not as the failed edit left it. */
	assert_int_equal(e2.seen_usn, usn1);
	assert_int_equal(ops->session_get(f.s, &r.id, &f.a, &got), RC_OK);
	assert_sess_eq(&got, &want);
	assert_int_equal(got.usn, e2.usn);

	/* An update of an unknown session: RC_NOTFOUND, edit never called. */
	struct fx_edit e3 = {.id = mkid(99), .edit = edit_sess, .ctx = &ed};
	assert_int_equal(fx_edit_run(&e3), RC_NOTFOUND);
	assert_int_equal(e3.calls, 0);
	fx_close(&f);
}

/* ---------- usn ---------- */

static int64_t sess_usn(struct fx *f, const struct uuid *id)
{
	struct sess_rec got;
	assert_int_equal(f->ops->session_get(f->s, id, &f->a, &got), RC_OK);
	return got.usn;
}

static void c_usn_monotonic(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	int64_t last = ops->usn_current(f.s), u;
	struct sess_rec a = simple_sess(1, "a"), b = simple_sess(2, "b");

	assert_int_equal(put_sess(&f, &a, &u), RC_OK);
	assert_true(u > last);
	last = u;
	assert_int_equal(put_sess(&f, &b, &u), RC_OK);
	assert_true(u > last);
	last = u;

	/* A task session change gives its session (and the task) the next usn. */
	assert_int_equal(put_task(&f, 10, &a.id, "t", &u), RC_OK);
	assert_true(u > last);
	last = u;
	assert_int_equal(sess_usn(&f, &a.id), u);
	struct task_rec t;
	struct uuid tid = mkid(10);
	assert_int_equal(ops->task_get(f.s, &tid, &f.a, &t), RC_OK);
	assert_int_equal(t.usn, u);

	struct sess_patch p;
	sess_patch_init(&p, 0);
	struct core_write tw = {0};
	assert_int_equal(core_task_patch(&tw, &tid, &p), RC_OK);
	assert_true(tw.usn > last);
	last = tw.usn;
	assert_int_equal(sess_usn(&f, &a.id), last);

	/* Logs of a session and of a task session bump the session. */
	assert_int_equal(append_logs(&f, OWNER_SESSION, &b.id, 2, LOG_NONE, NULL, &u), RC_OK);
	assert_true(u > last);
	last = u;
	assert_int_equal(sess_usn(&f, &b.id), u);
	assert_int_equal(append_logs(&f, OWNER_TASK, &tid, 1, LOG_NONE, NULL, &u), RC_OK);
	assert_true(u > last);
	last = u;
	assert_int_equal(sess_usn(&f, &a.id), u);
	assert_int_equal(ops->task_get(f.s, &tid, &f.a, &t), RC_OK);
	assert_int_equal(t.usn, u);

	struct log_rec upd = {.id = 1, .status = LOG_SUCCEEDED, .update_us = T0 + 5000};
	struct core_write lw = {0};
	assert_int_equal(core_log_update(&lw, OWNER_SESSION, &b.id, &upd), RC_OK);
	assert_true(lw.usn > last);
	last = lw.usn;
	assert_int_equal(sess_usn(&f, &b.id), last);
	assert_int_equal(ops->usn_current(f.s), last);

	/* Survives close and reopen, and the next write goes on from there. */
	fx_shut(&f);
	fx_reopen(&f);
	assert_int_equal(ops->usn_current(f.s), last);
	struct sess_rec c = simple_sess(3, "c");
	assert_int_equal(put_sess(&f, &c, &u), RC_OK);
	assert_true(u > last);
	fx_close(&f);
}

static void c_usn_not_reused(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec a = simple_sess(1, "a"), b = simple_sess(2, "b");
	int64_t ua, ub, u;
	assert_int_equal(put_sess(&f, &a, &ua), RC_OK);
	assert_int_equal(put_sess(&f, &b, &ub), RC_OK);

	/* Failed writes of every kind give nothing away and take nothing back. */
	assert_int_equal(put_sess(&f, &a, NULL), RC_CONFLICT);
	struct uuid nowhere = mkid(500);
	assert_int_equal(put_task(&f, 20, &nowhere, "orphan", NULL), RC_NOTFOUND);
	assert_int_equal(append_logs(&f, OWNER_SESSION, &nowhere, 1, LOG_NONE, NULL, NULL), RC_NOTFOUND);
	struct edit ned = {.name = "x"};
	struct fx_edit no = {.id = a.id, .edit = edit_sess, .ctx = &ned, .refuse = RC_CONFLICT};
	assert_int_equal(fx_edit_run(&no), RC_CONFLICT);
	assert_int_equal(ops->usn_current(f.s), ub);
	struct sess_rec c = simple_sess(3, "c");
	assert_int_equal(put_sess(&f, &c, &u), RC_OK);
	assert_true(u > ub);

	/* The session holding the highest usn is purged; its usn is still never given again. */
	int64_t top;
	assert_int_equal(complete_sess(&c.id, RES_SUCCESS, T0 + 50000, &top), RC_OK);
	assert_int_equal(ops->usn_current(f.s), top);
	struct core_write pw = {0};
	assert_int_equal(core_purge(&pw, T0 + 100000, 100), RC_OK);
	assert_int_equal(pw.affected, 1);
	fx_shut(&f);
	fx_reopen(&f);
	assert_true(ops->usn_current(f.s) >= top);
	struct sess_rec d = simple_sess(4, "d");
	assert_int_equal(put_sess(&f, &d, &u), RC_OK);
	assert_true(u > top);
	fx_close(&f);
}

/* ---------- task sessions ---------- */

static void c_task_roundtrip(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec s = simple_sess(1, "parent");
	s.type = 5;
	assert_int_equal(put_sess(&f, &s, NULL), RC_OK);

	struct task_rec t = {0};
	t.id = mkid(2);
	t.session_id = s.id;
	t.restore_point_id = mkid(3);
	t.repository_id = mkid(4);
	t.name = "vm-01";
	t.message = "msg";
	t.reason = "why";
	t.extra = "{\"a\":1}";
	t.type = TT_REPLICA;
	t.session_type = 99; /* core copies the parent's type over it */
	t.state = ST_WORKING;
	t.progress = 12;
	t.is_canceled = 1;
	t.total_size = 1LL << 40;
	t.creation_us = T0 + 7000;
	struct core_write w = {.arena = &f.a};
	assert_int_equal(core_task_create(&w, &t), RC_OK);
	struct task_rec want = t;
	want.session_type = 5;
	assert_task_eq(&w.task, &want);
	assert_int_equal(w.task.usn, w.usn);
	struct task_rec got;
	assert_int_equal(ops->task_get(f.s, &t.id, &f.a, &got), RC_OK);
	assert_task_eq(&got, &want);
	assert_int_equal(got.usn, w.usn);

	/* NULL strings and nil ids stay absent. */
	assert_int_equal(put_task(&f, 5, &s.id, "bare", NULL), RC_OK);
	struct uuid t5 = mkid(5);
	assert_int_equal(ops->task_get(f.s, &t5, &f.a, &got), RC_OK);
	assert_null(got.message);
	assert_null(got.extra);
	assert_true(uuid_is_nil(&got.repository_id));

	/* Duplicate id; a session's id; missing session; missing task. */
	int64_t before = ops->usn_current(f.s);
	struct core_write dup = {0};
	assert_int_equal(core_task_create(&dup, &t), RC_CONFLICT);
	struct task_rec clash = t;
	clash.id = s.id;
	struct core_write dup2 = {0};
	assert_int_equal(core_task_create(&dup2, &clash), RC_CONFLICT);
	assert_int_equal(ops->task_get(f.s, &s.id, &f.a, &got), RC_NOTFOUND);
	struct uuid nowhere = mkid(404);
	assert_int_equal(put_task(&f, 6, &nowhere, "orphan", NULL), RC_NOTFOUND);
	struct uuid t6 = mkid(6);
	assert_int_equal(ops->task_get(f.s, &t6, &f.a, &got), RC_NOTFOUND);
	struct sess_patch p;
	sess_patch_init(&p, 0);
	struct core_write up = {0};
	assert_int_equal(core_task_patch(&up, &t6, &p), RC_NOTFOUND);
	assert_int_equal(ops->usn_current(f.s), before);
	fx_close(&f);
}

static void c_task_update(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec s = simple_sess(1, "parent");
	assert_int_equal(put_sess(&f, &s, NULL), RC_OK);
	int64_t u0;
	assert_int_equal(put_task(&f, 2, &s.id, "t", &u0), RC_OK);
	struct uuid tid = mkid(2);
	struct sess_patch p;
	sess_patch_init(&p, 0);
	p.name = "t2";
	p.has_progress = 1;
	p.progress = 40;
	p.total_size = 77;
	struct core_write w = {.arena = &f.a};
	assert_int_equal(core_task_patch(&w, &tid, &p), RC_OK);
	assert_true(w.usn > u0);
	assert_string_equal(w.task.name, "t2");
	struct task_rec got;
	assert_int_equal(ops->task_get(f.s, &tid, &f.a, &got), RC_OK);
	assert_string_equal(got.name, "t2");
	assert_int_equal(got.progress, 40);
	assert_int_equal(got.total_size, 77);
	assert_true(uuid_eq(&got.session_id, &s.id));

	/* A refused change (an illegal transition) changes nothing it carried. */
	struct sess_patch no;
	sess_patch_init(&no, 0);
	no.name = "never";
	no.has_progress = 1;
	no.progress = 3;
	no.has_state = 1;
	no.state = ST_STARTING;
	struct core_write w2 = {0};
	assert_int_equal(core_task_patch(&w2, &tid, &no), RC_CONFLICT);
	assert_true(w2.err[0] != 0);
	assert_int_equal(ops->task_get(f.s, &tid, &f.a, &got), RC_OK);
	assert_string_equal(got.name, "t2");
	assert_int_equal(got.progress, 40);
	assert_int_equal(got.usn, w.usn);
	assert_int_equal(sess_usn(&f, &s.id), w.usn);
	assert_int_equal(ops->usn_current(f.s), w.usn);
	fx_close(&f);
}

/* ---------- logs ---------- */

struct logs_seen {
	int n;
	int64_t ids[64];
	int status[64];
	int64_t start[64], update[64];
	const char *title[64], *desc[64];
	int stop_after;
};

static int collect_log(void *ctx, const struct log_rec *r)
{
	struct logs_seen *ls = ctx;
	if(ls->n < 64) {
		ls->ids[ls->n] = r->id;
		ls->status[ls->n] = r->status;
		ls->start[ls->n] = r->start_us;
		ls->update[ls->n] = r->update_us;
		ls->title[ls->n] = r->title;
		ls->desc[ls->n] = r->description;
	}
	ls->n++;
	return ls->stop_after && ls->n >= ls->stop_after;
}

static void c_log_append_list(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec a = simple_sess(1, "a"), b = simple_sess(2, "b");
	assert_int_equal(put_sess(&f, &a, NULL), RC_OK);
	assert_int_equal(put_sess(&f, &b, NULL), RC_OK);
	assert_int_equal(put_task(&f, 3, &a.id, "t", NULL), RC_OK);
	struct uuid tid = mkid(3);

	struct log_rec logs[3] = {
		{.status = LOG_SUCCEEDED, .title = "one", .description = "d1", .start_us = T0 + 1000},
		{.status = LOG_WARNING, .title = "two", .start_us = T0 + 2000, .update_us = T0 + 20000},
		{.status = LOG_SUCCEEDED, .title = "three", .start_us = T0 + 3000},
	};
	struct core_write w = {0};
	assert_int_equal(core_log_append(&w, OWNER_SESSION, &a.id, logs, 3), RC_OK);
	assert_int_equal(w.first_log_id, 1);
	assert_int_equal(logs[0].id, 1);
	assert_int_equal(logs[2].id, 3);
	int64_t first;
	assert_int_equal(append_logs(&f, OWNER_SESSION, &a.id, 2, LOG_FAILED, &first, NULL), RC_OK);
	assert_int_equal(first, 4);
	/* Numbering is per owner: another session and a task session start at 1. */
	assert_int_equal(append_logs(&f, OWNER_SESSION, &b.id, 1, LOG_NONE, &first, NULL), RC_OK);
	assert_int_equal(first, 1);
	assert_int_equal(append_logs(&f, OWNER_TASK, &tid, 2, LOG_NONE, &first, NULL), RC_OK);
	assert_int_equal(first, 1);
	assert_int_equal(append_logs(&f, OWNER_TASK, &tid, 1, LOG_NONE, &first, NULL), RC_OK);
	assert_int_equal(first, 3);

	struct logs_seen ls = {0};
	int64_t total = -1;
	assert_int_equal(ops->log_list(f.s, &a.id, -1, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(ls.n, 5);
	assert_int_equal(total, 5);
	for(int i = 0; i < 5; i++)
		assert_int_equal(ls.ids[i], 5 - i);  /* newest first */
	assert_string_equal(ls.title[4], "one");
	assert_string_equal(ls.desc[4], "d1");
	assert_null(ls.desc[3]);
	assert_int_equal(ls.start[4], T0 + 1000);
	assert_int_equal(ls.update[4], T0 + 1000); /* update time defaults to the start time */
	assert_int_equal(ls.update[3], T0 + 20000);

	memset(&ls, 0, sizeof(ls));
	assert_int_equal(ops->log_list(f.s, &a.id, LOG_SUCCEEDED, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(ls.n, 2);
	assert_int_equal(total, 2);
	assert_int_equal(ls.ids[0], 3);
	assert_int_equal(ls.ids[1], 1);

	/* A callback stopping early still gets the full total. */
	memset(&ls, 0, sizeof(ls));
	ls.stop_after = 2;
	assert_int_equal(ops->log_list(f.s, &a.id, -1, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(ls.n, 2);
	assert_int_equal(total, 5);

	memset(&ls, 0, sizeof(ls));
	assert_int_equal(ops->log_list(f.s, &tid, -1, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(total, 3);

	/* Unknown owner, or an owner of the other kind: appending fails, listing is empty. */
	int64_t before = ops->usn_current(f.s);
	struct uuid nowhere = mkid(404);
	assert_int_equal(append_logs(&f, OWNER_SESSION, &nowhere, 1, LOG_NONE, NULL, NULL), RC_NOTFOUND);
	assert_int_equal(append_logs(&f, OWNER_TASK, &nowhere, 1, LOG_NONE, NULL, NULL), RC_NOTFOUND);
	assert_int_equal(append_logs(&f, OWNER_TASK, &a.id, 1, LOG_NONE, NULL, NULL), RC_NOTFOUND);
	assert_int_equal(append_logs(&f, OWNER_SESSION, &tid, 1, LOG_NONE, NULL, NULL), RC_NOTFOUND);
	assert_int_equal(ops->usn_current(f.s), before);
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(ops->log_list(f.s, &nowhere, -1, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(total, 0);
	assert_int_equal(ops->log_list(f.s, &a.id, -1, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(total, 5);
	assert_int_equal(ops->log_list(f.s, &tid, -1, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(total, 3);
	fx_close(&f);
}

static void c_log_update(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec a = simple_sess(1, "a");
	assert_int_equal(put_sess(&f, &a, NULL), RC_OK);
	assert_int_equal(append_logs(&f, OWNER_SESSION, &a.id, 2, LOG_NONE, NULL, NULL), RC_OK);
	int64_t before = ops->usn_current(f.s);

	struct log_rec upd = {.id = 2, .status = LOG_WARNING, .update_us = T0 + 999000};
	struct core_write w = {0};
	assert_int_equal(core_log_update(&w, OWNER_SESSION, &a.id, &upd), RC_OK);
	assert_true(w.usn > before);
	struct logs_seen ls = {0};
	assert_int_equal(ops->log_list(f.s, &a.id, -1, &f.a, collect_log, &ls, NULL), RC_OK);
	assert_int_equal(ls.n, 2);
	assert_int_equal(ls.ids[0], 2);
	assert_int_equal(ls.status[0], LOG_WARNING);
	assert_int_equal(ls.update[0], T0 + 999000);
	assert_string_equal(ls.title[0], "step");   /* title kept when not given */
	assert_int_equal(ls.start[0], T0 + 1000);
	assert_int_equal(ls.status[1], LOG_NONE);   /* the other record untouched */

	struct log_rec upd2 = {.id = 1, .status = LOG_FAILED, .update_us = T0 + 5000, .title = "new", .description = "dd"};
	struct core_write w2 = {0};
	assert_int_equal(core_log_update(&w2, OWNER_SESSION, &a.id, &upd2), RC_OK);
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(ops->log_list(f.s, &a.id, LOG_FAILED, &f.a, collect_log, &ls, NULL), RC_OK);
	assert_int_equal(ls.n, 1);
	assert_string_equal(ls.title[0], "new");
	assert_string_equal(ls.desc[0], "dd");

	int64_t u = ops->usn_current(f.s);
	struct log_rec bad = {.id = 3, .status = LOG_FAILED, .update_us = T0};
	struct core_write w3 = {0};
	assert_int_equal(core_log_update(&w3, OWNER_SESSION, &a.id, &bad), RC_NOTFOUND);
	struct uuid nowhere = mkid(404);
	struct core_write w4 = {0};
	assert_int_equal(core_log_update(&w4, OWNER_SESSION, &nowhere, &upd), RC_NOTFOUND);
	struct core_write w5 = {0};
	assert_int_equal(core_log_update(&w5, OWNER_TASK, &a.id, &upd), RC_NOTFOUND);
	assert_int_equal(ops->usn_current(f.s), u);
	assert_int_equal(sess_usn(&f, &a.id), u);
	fx_close(&f);
}

/* ---------- list queries against a reference evaluator ---------- */

#define NS 14
#define NT 8

struct dataset {
	struct sess_rec s[NS];
	struct task_rec t[NT];
};

static const char *const names[NS] = {
	"alpha", "alpha copy", "beta", "gamma_1", "gamma%1", "gammax1", "delta", "Alpha",
	"epsilon", "zeta", "eta", "theta", "iota", "kappa",
};

static void build_dataset(struct fx *f, struct dataset *d)
{
	static const char *const jobs[] = {"job-a", NULL, "JOB-A", "job-b"};
	static const char *const users[] = {"alice", "bob", NULL};
	static const char *const servers[] = {"srv1", NULL};
	static const char *const platforms[] = {"VMware", "HyperV", NULL};
	for(int i = 0; i < NS; i++) {
		struct sess_rec *r = &d->s[i];
		memset(r, 0, sizeof(*r));
		r->id = mkid((unsigned)(100 + (i * 3) % NS));   /* id order differs from insert order */
		r->name = names[i];
		r->job_name = jobs[i % 4];
		if(r->job_name)
			r->job_id = mkid(1000 + (unsigned)(i % 4));
		if(i % 3 == 0)
			r->parent_id = mkid(2000 + (unsigned)i);
		if(i % 5 == 1)
			r->resource_id = mkid(3000);
		r->initiated_by = users[i % 3];
		r->backup_server = servers[i % 2];
		r->platform_name = platforms[i % 3];
		r->type = i % 4;
		r->state = i % 2 ? ST_WORKING : ST_IDLE;
		r->progress = (i * 37) % 101;
		r->is_retry = i % 4 == 3;
		r->creation_us = T0 + (int64_t)((i * 5) % NS) * 1000000;   /* creation order differs too */
		if(i == 9)
			r->creation_us = d->s[2].creation_us;                  /* a tie */
		struct core_write w = {0};
		assert_int_equal(core_session_create(&w, r), RC_OK);
		r->usn = w.usn;
		r->job_id = w.sess.job_id;   /* without a job, core names one after the session */
	}
	for(int i = 0; i < NT; i++) {
		struct task_rec *t = &d->t[i];
		memset(t, 0, sizeof(*t));
		t->id = mkid((unsigned)(500 + (i * 3) % NT));
		t->session_id = d->s[i % 3].id;
		t->name = names[(i * 5) % NS];
		t->type = i % TT__COUNT;
		t->state = i % 2 ? ST_WORKING : ST_IDLE;
		t->progress = i * 10;
		t->is_canceled = i == 3;
		t->creation_us = T0 + (int64_t)((i * 3) % NT) * 1000000;
		struct core_write w = {0};
		assert_int_equal(core_task_create(&w, t), RC_OK);
		t->usn = w.usn;
		t->session_type = d->s[i % 3].type;
		/* the parent session's usn moved with its new task */
		d->s[i % 3].usn = w.usn;
	}
	/* A third of the sessions are over (stopped last: a stopped session takes no more task sessions). */
	for(int i = 0; i < NS; i++) {
		struct sess_rec *r = &d->s[i];
		if(i % 3 != 2)
			continue;
		struct sess_complete c = {.if_match = -1, .result = 1 + i % 3, .is_canceled = i % 2 == 0,
		                          .end_us = r->creation_us + (int64_t)(NS - i) * 1000};
		struct core_write w = {0};
		assert_int_equal(core_session_complete(&w, &r->id, &c), RC_OK);
		r->state = ST_STOPPED;
		r->result = c.result;
		r->is_canceled = c.is_canceled;
		r->end_us = c.end_us;
		r->usn = w.usn;
	}
}

enum vk { V_NULL, V_INT, V_TEXT, V_UUID };
struct val {
	enum vk k;
	int64_t i;
	const char *s;
	struct uuid u;
};

static struct val vint(int64_t i) { return (struct val){.k = V_INT, .i = i}; }
static struct val vtime(int64_t i) { return i ? vint(i) : (struct val){.k = V_NULL}; }
static struct val vtext(const char *s) { return s ? (struct val){.k = V_TEXT, .s = s} : (struct val){.k = V_NULL}; }
static struct val vuuid(const struct uuid *u)
{
	return uuid_is_nil(u) ? (struct val){.k = V_NULL} : (struct val){.k = V_UUID, .u = *u};
}

/* The value of field f in a session; .k = -1 when the field does not apply. */
static int sess_field(const struct sess_rec *r, enum qfield f, struct val *v)
{
	switch(f) {
	case QF_ID: *v = vuuid(&r->id); return 1;
	case QF_NAME: *v = vtext(r->name); return 1;
	case QF_TYPE: *v = vint(r->type); return 1;
	case QF_STATE: *v = vint(r->state); return 1;
	case QF_RESULT: *v = vint(r->result); return 1;
	case QF_CREATION: *v = vtime(r->creation_us); return 1;
	case QF_END: *v = vtime(r->end_us); return 1;
	case QF_JOB_ID: *v = vuuid(&r->job_id); return 1;
	case QF_JOB_NAME: *v = vtext(r->job_name); return 1;
	case QF_PARENT_ID: *v = vuuid(&r->parent_id); return 1;
	case QF_RESOURCE_ID: *v = vuuid(&r->resource_id); return 1;
	case QF_USN: *v = vint(r->usn); return 1;
	case QF_PROGRESS: *v = vint(r->progress); return 1;
	case QF_INITIATED_BY: *v = vtext(r->initiated_by); return 1;
	case QF_IS_RETRY: *v = vint(r->is_retry); return 1;
	case QF_BACKUP_SERVER: *v = vtext(r->backup_server); return 1;
	case QF_PLATFORM: *v = vtext(r->platform_name); return 1;
	case QF_IS_CANCELED: *v = vint(r->is_canceled); return 1;
	default: return 0;
	}
}

static int task_field(const struct task_rec *t, enum qfield f, struct val *v)
{
	switch(f) {
	case QF_ID: *v = vuuid(&t->id); return 1;
	case QF_NAME: *v = vtext(t->name); return 1;
	case QF_STATE: *v = vint(t->state); return 1;
	case QF_RESULT: *v = vint(t->result); return 1;
	case QF_CREATION: *v = vtime(t->creation_us); return 1;
	case QF_END: *v = vtime(t->end_us); return 1;
	case QF_USN: *v = vint(t->usn); return 1;
	case QF_PROGRESS: *v = vint(t->progress); return 1;
	case QF_IS_CANCELED: *v = vint(t->is_canceled); return 1;
	case QF_SESSION_ID: *v = vuuid(&t->session_id); return 1;
	case QF_TASK_TYPE: *v = vint(t->type); return 1;
	case QF_SESSION_TYPE: *v = vint(t->session_type); return 1;
	default: return 0;
	}
}

/* '*' matches any run; everything else literally, ASCII case-insensitive. */
static int glob_ci(const char *p, const char *s)
{
	if(!*p)
		return !*s;
	if(*p == '*') {
		for(;; s++) {
			if(glob_ci(p + 1, s))
				return 1;
			if(!*s)
				return 0;
		}
	}
	if(!*s)
		return 0;
	char a = *p, b = *s;
	if(a >= 'A' && a <= 'Z')
		a = (char)(a + 32);
	if(b >= 'A' && b <= 'Z')
		b = (char)(b + 32);
	return a == b && glob_ci(p + 1, s + 1);
}

static int cmp_val(const struct val *x, const struct qexpr *e)
{
	if(x->k == V_INT)
		return x->i < e->i ? -1 : x->i > e->i;
	if(x->k == V_TEXT)
		return strcasecmp(x->s, e->s);
	return memcmp(x->u.b, e->u.b, 16);
}

/* Three-valued: 1 true, 0 false, -1 unknown (a NULL was compared). */
typedef int (*field_fn)(const void *rec, enum qfield f, struct val *v);

static int ref_eval(const struct qexpr *e, const void *rec, field_fn get)
{
	switch(e->op) {
	case Q_AND: {
		int a = ref_eval(e->a, rec, get), b = ref_eval(e->b, rec, get);
		return a == 0 || b == 0 ? 0 : a == 1 && b == 1 ? 1 : -1;
	}
	case Q_OR: {
		int a = ref_eval(e->a, rec, get), b = ref_eval(e->b, rec, get);
		return a == 1 || b == 1 ? 1 : a == 0 && b == 0 ? 0 : -1;
	}
	case Q_NOT: {
		int a = ref_eval(e->a, rec, get);
		return a < 0 ? -1 : !a;
	}
	default: break;
	}
	struct val v;
	if(!get(rec, e->field, &v))
		fail_msg("field %d does not apply", e->field);
	if(e->op == Q_NULL)
		return v.k == V_NULL;
	if(e->op == Q_NOTNULL)
		return v.k != V_NULL;
	if(e->op == Q_IN) {
		if(v.k == V_NULL)
			return e->nlist ? -1 : 0;
		for(int i = 0; i < e->nlist; i++)
			if(v.i == e->list[i])
				return 1;
		return 0;
	}
	if(v.k == V_NULL)
		return -1;
	if(e->op == Q_MATCH)
		return glob_ci(e->s, v.s);
	int c = cmp_val(&v, e);
	switch(e->op) {
	case Q_EQ: return c == 0;
	case Q_NE: return c != 0;
	case Q_LT: return c < 0;
	case Q_GT: return c > 0;
	case Q_LE: return c <= 0;
	case Q_GE: return c >= 0;
	default: fail_msg("op %d", e->op);
	}
	return 0;
}

static int get_sess(const void *rec, enum qfield f, struct val *v) { return sess_field(rec, f, v); }
static int get_task(const void *rec, enum qfield f, struct val *v) { return task_field(rec, f, v); }

/* The sort key of a record for an order: NULLs sort lowest (before everything ascending). */
static struct val sess_key(const struct sess_rec *r, enum qorder o)
{
	switch(o) {
	case QO_CREATION: return vint(r->creation_us);
	case QO_NAME: return vtext(r->name);
	case QO_TYPE: case QO_TASK_TYPE: case QO_SESSION_TYPE: return vint(r->type);
	case QO_END: return vtime(r->end_us);
	case QO_STATE: return vint(r->state);
	case QO_RESULT: return vint(r->result);
	case QO_INITIATED_BY: return vtext(r->initiated_by);
	case QO_USN: return vint(r->usn);
	case QO_JOB_NAME: return vtext(r->job_name);
	case QO_PROGRESS: return vint(r->progress);
	default: return vint(r->creation_us);
	}
}

static struct val task_key(const struct task_rec *t, enum qorder o)
{
	switch(o) {
	case QO_CREATION: return vint(t->creation_us);
	case QO_NAME: case QO_INITIATED_BY: case QO_JOB_NAME: return vtext(t->name);
	case QO_TYPE: case QO_TASK_TYPE: return vint(t->type);
	case QO_SESSION_TYPE: return vint(t->session_type);
	case QO_END: return vtime(t->end_us);
	case QO_STATE: return vint(t->state);
	case QO_RESULT: return vint(t->result);
	case QO_USN: return vint(t->usn);
	case QO_PROGRESS: return vint(t->progress);
	default: return vint(t->creation_us);
	}
}

static int key_cmp(const struct val *a, const struct val *b)
{
	if(a->k == V_NULL || b->k == V_NULL)
		return (a->k != V_NULL) - (b->k != V_NULL);
	if(a->k == V_INT)
		return a->i < b->i ? -1 : a->i > b->i;
	return strcmp(a->s, b->s);
}

struct ordctx {
	enum qorder o;
	int asc;
	int task;
};
static struct ordctx ord;

static int rec_cmp(const void *x, const void *y)
{
	struct val a, b;
	const struct uuid *ia, *ib;
	if(ord.task) {
		const struct task_rec *p = *(const struct task_rec *const *)x, *q = *(const struct task_rec *const *)y;
		a = task_key(p, ord.o);
		b = task_key(q, ord.o);
		ia = &p->id;
		ib = &q->id;
	} else {
		const struct sess_rec *p = *(const struct sess_rec *const *)x, *q = *(const struct sess_rec *const *)y;
		a = sess_key(p, ord.o);
		b = sess_key(q, ord.o);
		ia = &p->id;
		ib = &q->id;
	}
	int c = key_cmp(&a, &b);
	if(!c)
		c = memcmp(ia->b, ib->b, 16);   /* ties broken by id, same direction */
	return ord.asc ? c : -c;
}

struct ids {
	int n;
	struct uuid id[64];
};

static int collect_sess(void *ctx, const struct sess_rec *r)
{
	struct ids *l = ctx;
	assert_true(l->n < 64);
	l->id[l->n++] = r->id;
	return 0;
}

static int collect_task(void *ctx, const struct task_rec *r)
{
	struct ids *l = ctx;
	assert_true(l->n < 64);
	l->id[l->n++] = r->id;
	return 0;
}

static void describe(const struct qexpr *e, char *out, size_t n)
{
	if(!e) {
		snprintf(out, n, "all");
		return;
	}
	char a[256], b[256];
	switch(e->op) {
	case Q_AND: case Q_OR:
		describe(e->a, a, sizeof(a));
		describe(e->b, b, sizeof(b));
		snprintf(out, n, "(%s %s %s)", a, e->op == Q_AND ? "AND" : "OR", b);
		return;
	case Q_NOT:
		describe(e->a, a, sizeof(a));
		snprintf(out, n, "NOT %s", a);
		return;
	default:
		snprintf(out, n, "f%d op%d i=%lld s=%s", e->field, e->op, (long long)e->i, e->s ? e->s : "-");
	}
}

/* Runs q on the store and on the reference; the ids must come back in the same order. */
static void check_query(struct fx *f, const struct dataset *d, int task, const struct qexpr *where,
                        enum qorder o, int asc, int64_t skip, int64_t limit)
{
	const void *match[64];
	int n = 0;
	int count = task ? NT : NS;
	for(int i = 0; i < count; i++) {
		const void *rec = task ? (const void *)&d->t[i] : (const void *)&d->s[i];
		if(!where || ref_eval(where, rec, task ? get_task : get_sess) == 1)
			match[n++] = rec;
	}
	ord = (struct ordctx){.o = o, .asc = asc, .task = task};
	qsort(match, (size_t)n, sizeof(match[0]), rec_cmp);

	struct query q = {.where = where, .order = o, .asc = asc, .skip = skip, .limit = limit, .want_total = 1};
	struct ids got = {0};
	int64_t total = -1;
	enum rc rc = task ? f->ops->task_list(f->s, &q, &f->a, collect_task, &got, &total)
	                  : f->ops->session_list(f->s, &q, &f->a, collect_sess, &got, &total);
	char desc[1024];
	describe(where, desc, sizeof(desc));
	if(rc)
		fail_msg("%s list %s: %s", task ? "task" : "session", desc, rc_name(rc));
	int from = skip > n ? n : (int)skip;
	int want = n - from;
	if(limit >= 0 && want > limit)
		want = (int)limit;
	if(total != n || got.n != want)
		fail_msg("%s list %s order %d %s skip %lld limit %lld: total %lld/%d, rows %d/%d", task ? "task" : "session",
		         desc, o, asc ? "asc" : "desc", (long long)skip, (long long)limit, (long long)total, n, got.n, want);
	for(int i = 0; i < want; i++) {
		const struct uuid *wid = task ? &((const struct task_rec *)match[from + i])->id
		                              : &((const struct sess_rec *)match[from + i])->id;
		if(!uuid_eq(wid, &got.id[i]))
			fail_msg("%s list %s order %d %s skip %lld: row %d differs", task ? "task" : "session", desc, o,
			         asc ? "asc" : "desc", (long long)skip, i);
	}
}

static void finish_tasks(struct fx *f, struct dataset *d)
{
	for(int i = 1; i < NT; i += 3) {
		struct sess_complete c = {.if_match = -1, .result = RES_SUCCESS, .end_us = T0 + 60000000 + i * 1000};
		struct core_write w = {0};
		assert_int_equal(core_task_complete(&w, &d->t[i].id, &c), RC_OK);
		d->t[i].state = ST_STOPPED;
		d->t[i].result = RES_SUCCESS;
		d->t[i].progress = 100;     /* a success is complete */
		d->t[i].is_canceled = 0;
		d->t[i].end_us = c.end_us;
		d->t[i].usn = w.usn;
		for(int k = 0; k < NS; k++)
			if(uuid_eq(&d->s[k].id, &d->t[i].session_id))
				d->s[k].usn = w.usn;
	}
}

static const enum qfield sess_fields[] = {
	QF_ID, QF_NAME, QF_TYPE, QF_STATE, QF_RESULT, QF_CREATION, QF_END, QF_JOB_ID, QF_JOB_NAME,
	QF_PARENT_ID, QF_RESOURCE_ID, QF_USN, QF_PROGRESS, QF_INITIATED_BY, QF_IS_RETRY,
	QF_BACKUP_SERVER, QF_PLATFORM, QF_IS_CANCELED,
};
static const enum qfield task_fields[] = {
	QF_ID, QF_NAME, QF_STATE, QF_RESULT, QF_CREATION, QF_END, QF_USN, QF_PROGRESS, QF_IS_CANCELED,
	QF_SESSION_ID, QF_TASK_TYPE, QF_SESSION_TYPE,
};

/* A comparison of field f against the value it has in rec (so every op has hits and misses). */
static const struct qexpr *cmp_from(struct arena *a, enum qfield f, enum qop op, const struct val *v)
{
	switch(v->k) {
	case V_INT: return q_int(a, f, op, v->i);
	case V_TEXT: return q_text(a, f, op, v->s);
	case V_UUID: return q_uuid(a, f, op, &v->u);
	default: return NULL;
	}
}

static void c_list_fields_ops(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct dataset d;
	build_dataset(&f, &d);
	finish_tasks(&f, &d);
	static const enum qop cmps[] = {Q_EQ, Q_NE, Q_LT, Q_GT, Q_LE, Q_GE};
	for(int task = 0; task < 2; task++) {
		const enum qfield *fields = task ? task_fields : sess_fields;
		size_t nf = task ? sizeof(task_fields) / sizeof(task_fields[0]) : sizeof(sess_fields) / sizeof(sess_fields[0]);
		int count = task ? NT : NS;
		for(size_t k = 0; k < nf; k++) {
			enum qfield fld = fields[k];
			check_query(&f, &d, task, q_null(&f.a, fld, 1), QO_CREATION, 1, 0, -1);
			check_query(&f, &d, task, q_null(&f.a, fld, 0), QO_CREATION, 1, 0, -1);
			/* Compare against the values of a few records, including a middle one. */
			for(int pick = 0; pick < count; pick += 3) {
				struct val v;
				if(task)
					task_field(&d.t[pick], fld, &v);
				else
					sess_field(&d.s[pick], fld, &v);
				if(v.k == V_NULL)
					continue;
				for(size_t c = 0; c < sizeof(cmps) / sizeof(cmps[0]); c++) {
					const struct qexpr *e = cmp_from(&f.a, fld, cmps[c], &v);
					check_query(&f, &d, task, e, QO_CREATION, 1, 0, -1);
					check_query(&f, &d, task, q_not(&f.a, e), QO_CREATION, 0, 0, -1);
				}
				if(v.k == V_INT) {
					int64_t list[3] = {v.i, v.i + 1, -5};
					check_query(&f, &d, task, q_in(&f.a, fld, list, 3), QO_CREATION, 1, 0, -1);
					check_query(&f, &d, task, q_not(&f.a, q_in(&f.a, fld, list, 1)), QO_CREATION, 1, 0, -1);
					check_query(&f, &d, task, q_in(&f.a, fld, list, 0), QO_CREATION, 1, 0, -1);
				}
			}
		}
	}

	/* Text equality ignores case; so does MATCH, where only '*' is a wildcard. */
	static const char *const patterns[] = {
		"alpha", "ALPHA", "alpha*", "*a", "*", "", "*ta*", "gamma_1", "gamma%1", "gamma*1", "g*a_*",
		"%", "_", "*%*", "*_*", "a*a", "*copy", "bet", "b*t*a", "\\", "gamma\\1",
	};
	for(size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		check_query(&f, &d, 0, q_match(&f.a, QF_NAME, patterns[i]), QO_NAME, 1, 0, -1);
		check_query(&f, &d, 0, q_text(&f.a, QF_NAME, Q_EQ, patterns[i]), QO_NAME, 1, 0, -1);
		check_query(&f, &d, 1, q_match(&f.a, QF_NAME, patterns[i]), QO_NAME, 0, 0, -1);
	}
	check_query(&f, &d, 0, q_match(&f.a, QF_JOB_NAME, "job-a"), QO_NAME, 1, 0, -1);
	check_query(&f, &d, 0, q_match(&f.a, QF_INITIATED_BY, "*o*"), QO_NAME, 1, 0, -1);
	check_query(&f, &d, 0, q_match(&f.a, QF_PLATFORM, "*v"), QO_NAME, 1, 0, -1);
	check_query(&f, &d, 0, q_match(&f.a, QF_BACKUP_SERVER, "SRV?"), QO_NAME, 1, 0, -1);

	/* Combinations, including NOT over NULLs (unknown stays unknown). */
	struct arena *a = &f.a;
	const struct qexpr *running = q_int(a, QF_STATE, Q_NE, ST_STOPPED);
	const struct qexpr *late = q_int(a, QF_CREATION, Q_GE, T0 + 6000000);
	const struct qexpr *bob = q_text(a, QF_INITIATED_BY, Q_EQ, "Bob");
	const struct qexpr *ended = q_int(a, QF_END, Q_LT, T0 + 9000000);
	const struct qexpr *combos[] = {
		q_and(a, running, late),
		q_or(a, running, late),
		q_or(a, bob, ended),
		q_and(a, q_not(a, bob), late),
		q_not(a, q_or(a, bob, ended)),
		q_not(a, q_and(a, bob, ended)),
		q_and(a, q_or(a, q_match(a, QF_NAME, "*a"), q_null(a, QF_JOB_NAME, 1)), q_not(a, running)),
		q_and(a, q_in_ints(a, QF_TYPE, (const int[]){0, 2}, 2), q_uuid(a, QF_JOB_ID, Q_EQ, &d.s[0].job_id)),
	};
	for(size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		check_query(&f, &d, 0, combos[i], QO_CREATION, 0, 0, -1);
		check_query(&f, &d, 0, combos[i], QO_NAME, 1, 1, 3);
	}
	check_query(&f, &d, 1, q_and(a, q_uuid(a, QF_SESSION_ID, Q_EQ, &d.s[0].id), q_not(a, q_null(a, QF_END, 1))),
	            QO_CREATION, 1, 0, -1);

	/* A field that does not apply to the list is refused, not ignored. */
	struct query bad = {.where = q_int(a, QF_TASK_TYPE, Q_EQ, 0), .limit = -1};
	struct ids got = {0};
	assert_int_equal(ops->session_list(f.s, &bad, a, collect_sess, &got, NULL), RC_INVALID);
	bad.where = q_uuid(a, QF_JOB_ID, Q_EQ, &d.s[0].job_id);
	assert_int_equal(ops->task_list(f.s, &bad, a, collect_task, &got, NULL), RC_INVALID);
	fx_close(&f);
}

static void c_list_orders_paging(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct dataset d;
	build_dataset(&f, &d);
	finish_tasks(&f, &d);
	static const struct { int64_t skip, limit; } pages[] = {
		{0, -1}, {0, 0}, {0, 1}, {0, 5}, {5, 5}, {10, 5}, {13, 100}, {14, 1}, {100, 10}, {3, -1},
	};
	for(int task = 0; task < 2; task++)
		for(int o = 0; o < QO__COUNT; o++)
			for(int asc = 0; asc < 2; asc++)
				for(size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++)
					check_query(&f, &d, task, NULL, (enum qorder)o, asc, pages[p].skip, pages[p].limit);
	/* Paging a filtered list: total counts every match, not the page. */
	const struct qexpr *w = q_int(&f.a, QF_STATE, Q_NE, ST_STOPPED);
	for(int64_t skip = 0; skip < 12; skip += 4)
		check_query(&f, &d, 0, w, QO_NAME, 1, skip, 4);

	/* want_total unset: total untouched, rows still paged. */
	struct query q = {.order = QO_CREATION, .asc = 1, .skip = 2, .limit = 3};
	struct ids got = {0};
	assert_int_equal(ops->session_list(f.s, &q, &f.a, collect_sess, &got, NULL), RC_OK);
	assert_int_equal(got.n, 3);
	fx_close(&f);
}

/* ---------- jobs ---------- */

struct jobs_seen {
	int n;
	struct uuid id[32];
	const char *name[32];
};

static int collect_job(void *ctx, const struct sess_rec *r)
{
	struct jobs_seen *j = ctx;
	assert_true(j->n < 32);
	j->id[j->n] = r->id;
	j->name[j->n] = r->job_name ? r->job_name : r->name;
	j->n++;
	return 0;
}

static void put_job_sess(struct fx *f, unsigned n, const char *name, const char *job, unsigned job_id, int64_t creation)
{
	struct sess_rec r = simple_sess(n, name);
	r.job_name = job;
	if(job_id)
		r.job_id = mkid(job_id);
	r.creation_us = creation;
	if(!job && !job_id) {
		/* Core gives every session a job; a row without one is stored raw. */
		struct fx_insert in = {.r = r};
		assert_int_equal(fx_insert_run(&in), RC_OK);
		return;
	}
	assert_int_equal(put_sess(f, &r, NULL), RC_OK);
}

static void c_job_latest(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	put_job_sess(&f, 1, "s1", "beta", 900, T0 + 10000);
	put_job_sess(&f, 2, "s2", "beta", 900, T0 + 30000);   /* newest of beta */
	put_job_sess(&f, 3, "s3", "beta", 900, T0 + 20000);
	put_job_sess(&f, 4, "s4", "Alpha", 901, T0 + 5000);   /* only one of Alpha */
	put_job_sess(&f, 5, "s5", NULL, 0, T0 + 99000);       /* no job: not a job */
	put_job_sess(&f, 6, "gamma run", NULL, 902, T0 + 1000); /* job named by its session */
	put_job_sess(&f, 7, "gamma run", NULL, 902, T0 + 2000);
	struct jobs_seen j = {0};
	assert_int_equal(ops->job_latest(f.s, &f.a, collect_job, &j), RC_OK);
	assert_int_equal(j.n, 3);
	struct uuid s4 = mkid(4), s2 = mkid(2), s7 = mkid(7);
	assert_true(uuid_eq(&j.id[0], &s4));   /* by job name, case-insensitively */
	assert_true(uuid_eq(&j.id[1], &s2));
	assert_true(uuid_eq(&j.id[2], &s7));
	fx_close(&f);
}

static void c_job_latest_tie(const struct store_ops *ops)
{
	/* Two runs of a job reported with the same creation time (clients often send whole
	 * seconds): the job still appears once. */
	struct fx f;
	fx_open(&f, ops);
	put_job_sess(&f, 1, "s1", "job", 900, T0 + 10000);
	put_job_sess(&f, 2, "s2", "job", 900, T0 + 10000);
	struct jobs_seen j = {0};
	assert_int_equal(ops->job_latest(f.s, &f.a, collect_job, &j), RC_OK);
	assert_int_equal(j.n, 1);
	fx_close(&f);
}

/* ---------- users, kv, revocations ---------- */

struct users_seen {
	int n;
	const char *name[16];
	int role[16];
};

static int collect_user(void *ctx, const struct user_rec *u)
{
	struct users_seen *us = ctx;
	assert_true(us->n < 16);
	us->name[us->n] = u->name;
	us->role[us->n] = u->role;
	us->n++;
	return 0;
}

static enum rc add_user(const char *name, const char *hash, int role, int64_t *uid)
{
	struct core_write w = {0};
	enum rc rc = core_user_add(&w, name, hash, role);
	if(uid)
		*uid = w.user.uid;
	return rc;
}

static enum rc change_user(const char *name, const char *hash, int role, int64_t *gen)
{
	struct core_write w = {0};
	enum rc rc = core_user_change(&w, name, hash, role);
	if(gen)
		*gen = w.user.gen;
	return rc;
}

static enum rc del_user(const char *name)
{
	struct core_write w = {0};
	return core_user_del(&w, name);
}

static int64_t user_count(struct fx *f)
{
	int64_t n = -1;
	assert_int_equal(f->ops->user_count(f->s, &n), RC_OK);
	return n;
}

static void c_users(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct user_rec u;
	int64_t t_before = time_now_us();
	assert_int_equal(user_count(&f), 0);
	assert_int_equal(ops->user_get(f.s, "nobody", &f.a, &u), RC_NOTFOUND);
	assert_int_equal(add_user("zed", "$argon2id$zed", 1, NULL), RC_OK);
	assert_int_equal(add_user("amy", "$argon2id$amy", 4, NULL), RC_OK);
	assert_int_equal(add_user("amy", "$argon2id$other", 1, NULL), RC_CONFLICT);
	assert_int_equal(user_count(&f), 2);
	assert_int_equal(ops->user_get(f.s, "amy", &f.a, &u), RC_OK);
	assert_string_equal(u.name, "amy");
	assert_string_equal(u.hash, "$argon2id$amy");
	assert_int_equal(u.role, 4);
	assert_int_equal(u.gen, 1);
	assert_true(u.created_us >= t_before - t_before % 1000 && u.created_us <= time_now_us());
	assert_int_equal(u.created_us % 1000, 0);
	int64_t uid = u.uid;
	assert_int_equal(ops->user_get_uid(f.s, uid, &f.a, &u), RC_OK);
	assert_string_equal(u.name, "amy");
	assert_int_equal(ops->user_get_uid(f.s, uid + 1000, &f.a, &u), RC_NOTFOUND);

	/* A change replaces role and hash, keeps the uid and bumps the credential generation. */
	int64_t gen;
	assert_int_equal(change_user("amy", "$argon2id$new", 2, &gen), RC_OK);
	assert_int_equal(gen, 2);
	assert_int_equal(ops->user_get(f.s, "amy", &f.a, &u), RC_OK);
	assert_int_equal(u.uid, uid);
	assert_string_equal(u.hash, "$argon2id$new");
	assert_int_equal(u.role, 2);
	assert_int_equal(u.gen, 2);
	/* A role change without a hash keeps the password (as `sessiond user role` does). */
	assert_int_equal(change_user("amy", NULL, 3, &gen), RC_OK);
	assert_int_equal(ops->user_get(f.s, "amy", &f.a, &u), RC_OK);
	assert_string_equal(u.hash, "$argon2id$new");
	assert_int_equal(u.role, 3);
	assert_int_equal(u.gen, 3);
	/* A password change without a role keeps the role. */
	assert_int_equal(change_user("amy", "$argon2id$third", -1, &gen), RC_OK);
	assert_int_equal(ops->user_get(f.s, "amy", &f.a, &u), RC_OK);
	assert_string_equal(u.hash, "$argon2id$third");
	assert_int_equal(u.role, 3);
	assert_int_equal(u.gen, 4);
	assert_int_equal(change_user("nobody", NULL, 1, NULL), RC_NOTFOUND);
	/* zed was never changed. */
	assert_int_equal(ops->user_get(f.s, "zed", &f.a, &u), RC_OK);
	assert_int_equal(u.gen, 1);

	struct users_seen us = {0};
	assert_int_equal(ops->user_list(f.s, &f.a, collect_user, &us), RC_OK);
	assert_int_equal(us.n, 2);
	assert_string_equal(us.name[0], "amy");
	assert_string_equal(us.name[1], "zed");

	assert_int_equal(del_user("zed"), RC_OK);
	assert_int_equal(ops->user_get(f.s, "zed", &f.a, &u), RC_NOTFOUND);
	assert_int_equal(user_count(&f), 1);
	assert_int_equal(del_user("zed"), RC_NOTFOUND);
	fx_close(&f);
}

static void c_user_uid_never_reused(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	int64_t ua, ub, uc, ud;
	assert_int_equal(add_user("a", "$h", 1, &ua), RC_OK);
	assert_int_equal(add_user("b", "$h", 1, &ub), RC_OK);
	assert_true(ub > ua);
	assert_int_equal(del_user("b"), RC_OK);
	assert_int_equal(add_user("c", "$h", 1, &uc), RC_OK);
	assert_true(uc > ub);
	/* The same name again is a new user, not the old one back. */
	assert_int_equal(add_user("b", "$h", 1, &ud), RC_OK);
	assert_true(ud > uc);
	struct user_rec u;
	assert_int_equal(ops->user_get_uid(f.s, ub, &f.a, &u), RC_NOTFOUND);
	/* Also across a restart, after the newest user is gone. */
	assert_int_equal(del_user("b"), RC_OK);
	fx_shut(&f);
	fx_reopen(&f);
	int64_t ue;
	assert_int_equal(add_user("e", "$h", 1, &ue), RC_OK);
	assert_true(ue > ud);
	assert_int_equal(ops->user_get_uid(f.s, ue, &f.a, &u), RC_OK);
	assert_string_equal(u.name, "e");
	assert_int_equal(u.gen, 1);
	fx_close(&f);
}

static void c_kv(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	const char *v = NULL;
	assert_int_equal(ops->kv_get(f.s, "k", &f.a, &v), RC_NOTFOUND);
	struct core_write w = {0};
	assert_int_equal(core_kv_put(&w, "k", "one"), RC_OK);
	assert_int_equal(ops->kv_get(f.s, "k", &f.a, &v), RC_OK);
	assert_string_equal(v, "one");
	struct core_write w2 = {0};
	assert_int_equal(core_kv_put(&w2, "k", "two"), RC_OK);
	assert_int_equal(ops->kv_get(f.s, "k", &f.a, &v), RC_OK);
	assert_string_equal(v, "two");
	assert_int_equal(ops->kv_get(f.s, "K", &f.a, &v), RC_NOTFOUND);
	fx_shut(&f);
	fx_reopen(&f);
	assert_int_equal(ops->kv_get(f.s, "k", &f.a, &v), RC_OK);
	assert_string_equal(v, "two");
	fx_close(&f);
}

struct estate_rows {
	int n;
	char name[8][32];
	int64_t usn[8];
	int deleted[8];
};

static int collect_estate(void *ctx, const struct estate_rec *e)
{
	struct estate_rows *r = ctx;
	assert_true(r->n < 8);
	r->usn[r->n] = e->usn;
	r->deleted[r->n] = e->deleted;
	snprintf(r->name[r->n++], 32, "%s", e->name);
	return 0;
}

static enum rc estate_put(int kind, unsigned n, unsigned parent, const char *name, const char *props,
                          struct estate_rec *out)
{
	struct estate_rec e = {.kind = kind, .id = mkid(n), .name = name, .props = props, .reporter = "r1"};
	if(parent)
		e.parent_id = mkid(parent);
	struct core_write w = {0};
	enum rc rc = core_estate_put(&w, &e);
	if(out)
		*out = w.estate;
	return rc;
}

/* The estate: upsert keeps the creation time and takes a new usn; a parent must be live and
 * of the parent kind; delete leaves a tombstone that only the change feed sees; lists filter
 * by kind, parent and name (exact, case-insensitive, or a pattern) and count every match. */
static void c_estate(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct estate_rec e, g;
	assert_int_equal(estate_put(EK_repository, 1, 0, "Repo-B", "{\"freeBytes\":5}", &e), RC_OK);
	assert_true(e.usn > 0);
	assert_int_equal(ops->estate_get(f.s, EK_repository, &e.id, &f.a, &g), RC_OK);
	assert_string_equal(g.name, "Repo-B");
	assert_string_equal(g.props, "{\"freeBytes\":5}");
	assert_string_equal(g.reporter, "r1");
	assert_int_equal(g.usn, e.usn);
	/* the same id under another kind is another object */
	assert_int_equal(ops->estate_get(f.s, EK_proxy, &e.id, &f.a, &g), RC_NOTFOUND);
	struct estate_rec e2;
	assert_int_equal(estate_put(EK_repository, 1, 0, "Repo-B", "{\"freeBytes\":4}", &e2), RC_OK);
	assert_true(e2.usn > e.usn);
	assert_int_equal(e2.created_us, e.created_us);
	assert_int_equal(estate_put(EK_repository, 2, 0, "repo-a", "{}", NULL), RC_OK);
	assert_int_equal(estate_put(EK_repository, 3, 0, "Other", "{}", NULL), RC_OK);
	/* parents */
	assert_int_equal(estate_put(EK_backup, 10, 20, "b", "{}", NULL), RC_INVALID);
	assert_int_equal(estate_put(EK_job, 20, 0, "job", "{}", NULL), RC_OK);
	assert_int_equal(estate_put(EK_backup, 10, 20, "b", "{}", NULL), RC_OK);
	assert_int_equal(estate_put(EK_backup, 11, 1, "b2", "{}", NULL), RC_INVALID);   /* 1 is a repository */
	assert_int_equal(estate_put(EK_job, 21, 20, "j", "{}", NULL), RC_INVALID);      /* jobs have none */
	/* lists */
	struct estate_rows rows = {0};
	int64_t total = -1;
	struct estate_query q = {.kind = EK_repository, .after_usn = -1};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 3);
	assert_int_equal(rows.n, 3);
	assert_string_equal(rows.name[0], "Other");
	assert_string_equal(rows.name[1], "repo-a");
	assert_string_equal(rows.name[2], "Repo-B");
	memset(&rows, 0, sizeof(rows));
	q.offset = 1;
	q.limit = 1;
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 3);
	assert_int_equal(rows.n, 1);
	assert_string_equal(rows.name[0], "repo-a");
	memset(&rows, 0, sizeof(rows));
	q = (struct estate_query){.kind = EK_repository, .after_usn = -1, .name = "REPO-%", .name_like = 1};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 2);
	memset(&rows, 0, sizeof(rows));
	q = (struct estate_query){.kind = EK_repository, .after_usn = -1, .name = "repo-b"};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 1);
	memset(&rows, 0, sizeof(rows));
	q = (struct estate_query){.kind = EK_backup, .after_usn = -1, .parent_id = mkid(20)};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 1);
	assert_string_equal(rows.name[0], "b");
	/* delete: a tombstone */
	struct core_write w = {0};
	struct uuid id1 = mkid(1);
	assert_int_equal(core_estate_del(&w, EK_repository, &id1), RC_OK);
	int64_t del_usn = w.usn;
	struct core_write w2 = {0};
	assert_int_equal(core_estate_del(&w2, EK_repository, &id1), RC_NOTFOUND);
	assert_int_equal(ops->estate_get(f.s, EK_repository, &id1, &f.a, &g), RC_NOTFOUND);
	memset(&rows, 0, sizeof(rows));
	q = (struct estate_query){.kind = EK_repository, .after_usn = -1};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 2);
	/* the change feed, by usn, with the tombstone */
	memset(&rows, 0, sizeof(rows));
	q = (struct estate_query){.after_usn = e2.usn};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, NULL), RC_OK);
	assert_int_equal(rows.n, 5);   /* repo-a, Other, job, b, the tombstone of Repo-B */
	for(int i = 1; i < rows.n; i++)
		assert_true(rows.usn[i] > rows.usn[i - 1]);
	assert_int_equal(rows.usn[4], del_usn);
	assert_true(rows.deleted[4]);
	/* kept over a reopen, and put again it lives anew */
	fx_shut(&f);
	fx_reopen(&f);
	assert_int_equal(ops->estate_get(f.s, EK_repository, &id1, &f.a, &g), RC_NOTFOUND);
	assert_int_equal(estate_put(EK_repository, 1, 0, "Repo-B", "{}", &e), RC_OK);
	assert_true(e.created_us >= e2.created_us);
	assert_int_equal(ops->estate_get(f.s, EK_repository, &id1, &f.a, &g), RC_OK);
	/* the totals a kind's list shows are kept, not counted: a rewrite, a delete and a put
	 * after the delete each leave them exact, per kind and over every kind */
	memset(&rows, 0, sizeof(rows));
	q = (struct estate_query){.kind = EK_repository, .after_usn = -1};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 3);
	assert_int_equal(rows.n, 3);
	memset(&rows, 0, sizeof(rows));
	q = (struct estate_query){.after_usn = -1};
	assert_int_equal(ops->estate_list(f.s, &q, &f.a, collect_estate, &rows, &total), RC_OK);
	assert_int_equal(total, 5);   /* three repositories, the job and its backup */
	assert_int_equal(rows.n, 5);
	fx_close(&f);
}

struct revs {
	int n;
	char key[8][40];
	int64_t exp[8];
};

static int collect_rev(void *ctx, const char *key, int64_t exp)
{
	struct revs *r = ctx;
	assert_true(r->n < 8);
	r->exp[r->n] = exp;
	snprintf(r->key[r->n++], 40, "%s", key);
	return 0;
}

static enum rc revoke_key(const char *key, enum revoke_kind kind, int64_t expires_us)
{
	struct core_write w = {0};
	return core_token_revoke(&w, key, kind, expires_us);
}

/* Revocations of kind listed at now after seq; *last as the store leaves it. */
static struct revs list_rev(struct fx *f, int kind, int64_t now, int64_t after, int64_t *last)
{
	struct revs r = {0};
	assert_int_equal(f->ops->revoked_list(f->s, kind, now, after, last, collect_rev, &r), RC_OK);
	return r;
}

static void c_revoke(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	int64_t now = time_now_us();
	assert_int_equal(revoke_key("fabc", REVOKE_LOGOUT, now + 60000000), RC_OK);
	assert_int_equal(revoke_key("fabc", REVOKE_LOGOUT, now + 60000000), RC_CONFLICT);
	assert_int_equal(revoke_key("fabc", REVOKE_SPENT, now + 60000000), RC_CONFLICT);   /* one key, one kind */
	assert_int_equal(revoke_key("told", REVOKE_LOGOUT, now - 1000000), RC_OK);
	assert_int_equal(revoke_key("t1", REVOKE_SPENT, now + 60000000), RC_OK);
	int64_t last = -7;
	struct revs r = list_rev(&f, REVOKE_LOGOUT, now, 0, &last);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "fabc");
	assert_int_equal(r.exp[0], now + 60000000);
	assert_true(last > 0);
	int64_t l1 = last;
	int64_t lspent = 0;
	r = list_rev(&f, REVOKE_SPENT, now, 0, &lspent);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "t1");
	assert_true(lspent > 0);

	/* Sequence: after the last seen, only newer rows of that kind. */
	assert_int_equal(revoke_key("fdef", REVOKE_LOGOUT, now + 60000000), RC_OK);
	assert_int_equal(revoke_key("t2", REVOKE_SPENT, now + 60000000), RC_OK);
	r = list_rev(&f, REVOKE_LOGOUT, now, l1, &last);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "fdef");
	assert_true(last > l1);
	int64_t l2 = last;
	r = list_rev(&f, REVOKE_LOGOUT, now, l2, &last);
	assert_int_equal(r.n, 0);
	assert_int_equal(last, l2);   /* unchanged when nothing is newer */
	r = list_rev(&f, REVOKE_SPENT, now, lspent, &last);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "t2");

	/* Expired ones are not listed, and a purge removes them for good. */
	r = list_rev(&f, REVOKE_LOGOUT, now - 2000000, 0, &last);
	assert_int_equal(r.n, 3);
	struct core_write p = {0};
	assert_int_equal(core_purge(&p, T0, 10), RC_OK);
	r = list_rev(&f, REVOKE_LOGOUT, now - 2000000, 0, &last);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.key[0], "fabc");
	assert_string_equal(r.key[1], "fdef");

	/* The state survives a restart, sequence numbers included. */
	fx_shut(&f);
	fx_reopen(&f);
	last = 0;
	r = list_rev(&f, REVOKE_LOGOUT, now, l1, &last);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "fdef");
	assert_int_equal(last, l2);
	assert_int_equal(revoke_key("fghi", REVOKE_LOGOUT, now + 60000000), RC_OK);
	r = list_rev(&f, REVOKE_LOGOUT, now, l2, &last);
	assert_int_equal(r.n, 1);
	assert_true(last > l2);
	fx_close(&f);
}

/* ---------- Enterprise Manager logons and tasks ---------- */

static struct logon_rec mklogon(unsigned n, int64_t uid, int64_t created, int64_t last)
{
	struct logon_rec l = {0};
	snprintf(l.sid, sizeof(l.sid), "00000000-0000-4000-8000-%012u", n);
	l.uid = uid;
	l.gen = 3;
	l.role = 2;
	l.user = uid == 1 ? "ann" : "bob";
	l.created_us = created;
	l.last_us = last;
	return l;
}

static enum rc logon_create(const struct logon_rec *l, int max)
{
	struct core_write w = {0};
	return core_logon_create(&w, l, max);
}

static enum rc logon_get(struct fx *f, unsigned n, struct logon_rec *out)
{
	struct logon_rec l = mklogon(n, 0, 0, 0);
	return f->ops->logon_get(f->s, l.sid, &f->a, out);
}

struct sids {
	int n;
	char sid[16][40];
};

static int collect_logon(void *ctx, const struct logon_rec *l)
{
	struct sids *s = ctx;
	assert_true(s->n < 16);
	snprintf(s->sid[s->n++], 40, "%s", l->sid);
	return 0;
}

static struct sids logons_of(struct fx *f, int64_t uid)
{
	struct sids s = {0};
	assert_int_equal(f->ops->logon_list(f->s, uid, &f->a, collect_logon, &s), RC_OK);
	return s;
}

static int has_logon(struct fx *f, unsigned n)
{
	struct logon_rec l;
	enum rc rc = logon_get(f, n, &l);
	assert_true(rc == RC_OK || rc == RC_NOTFOUND);
	return rc == RC_OK;
}

static void c_logons(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	/* create / get / list */
	struct logon_rec a = mklogon(1, 1, T0 + 1000, T0 + 1000);
	assert_int_equal(logon_create(&a, 0), RC_OK);
	struct logon_rec got;
	assert_int_equal(logon_get(&f, 1, &got), RC_OK);
	assert_string_equal(got.sid, a.sid);
	assert_int_equal(got.uid, 1);
	assert_int_equal(got.gen, 3);
	assert_int_equal(got.role, 2);
	assert_string_equal(got.user, "ann");
	assert_int_equal(got.created_us, T0 + 1000);
	assert_int_equal(got.last_us, T0 + 1000);
	assert_int_equal(logon_get(&f, 99, &got), RC_NOTFOUND);
	struct logon_rec b = mklogon(2, 1, T0 + 2000, T0 + 2000), x = mklogon(3, 2, T0 + 500, T0 + 500);
	assert_int_equal(logon_create(&b, 0), RC_OK);
	assert_int_equal(logon_create(&x, 0), RC_OK);
	struct sids s = logons_of(&f, 1);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.sid[0], b.sid);   /* newest first */
	assert_string_equal(s.sid[1], a.sid);
	s = logons_of(&f, 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.sid[2], x.sid);
	s = logons_of(&f, 7);
	assert_int_equal(s.n, 0);

	/* touch: the last use only moves forward */
	struct logon_rec t = a;
	t.last_us = T0 + 90000;
	struct core_write w = {0};
	assert_int_equal(core_logon_touch(&w, &t), RC_OK);
	assert_int_equal(logon_get(&f, 1, &got), RC_OK);
	assert_int_equal(got.last_us, T0 + 90000);
	t.last_us = T0 + 50000;
	struct core_write w2 = {0};
	assert_int_equal(core_logon_touch(&w2, &t), RC_OK);
	assert_int_equal(logon_get(&f, 1, &got), RC_OK);
	assert_int_equal(got.last_us, T0 + 90000);
	assert_int_equal(got.created_us, T0 + 1000);

	/* delete: once */
	struct core_write d1 = {0};
	assert_int_equal(core_logon_delete(&d1, b.sid), RC_OK);
	assert_false(has_logon(&f, 2));
	struct core_write d2 = {0};
	assert_int_equal(core_logon_delete(&d2, b.sid), RC_NOTFOUND);
	assert_true(d2.err[0] != 0);
	/* a touch never brings a deleted logon back */
	struct logon_rec tb = b;
	tb.last_us = T0 + 99000;
	struct core_write w3 = {0};
	assert_int_equal(core_logon_touch(&w3, &tb), RC_NOTFOUND);
	assert_false(has_logon(&f, 2));
	assert_true(has_logon(&f, 1));
	assert_true(has_logon(&f, 3));

	/* Survives a restart. */
	fx_shut(&f);
	fx_reopen(&f);
	assert_int_equal(logon_get(&f, 1, &got), RC_OK);
	assert_int_equal(got.last_us, T0 + 90000);
	fx_close(&f);
}

static void c_logon_expire(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	/* when each logon started and was last used */
	struct { unsigned n; int64_t created, last; } rows[] = {
		{1, T0 + 1000000, T0 + 1000000},     /* old and idle */
		{2, T0 + 2000000, T0 + 50000000},    /* old, recently used */
		{3, T0 + 30000000, T0 + 31000000},   /* new, idle */
		{4, T0 + 40000000, T0 + 50000000},   /* new, recently used */
	};
	for(size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct logon_rec l = mklogon(rows[i].n, 1 + i % 2, rows[i].created, rows[i].last);
		assert_int_equal(logon_create(&l, 0), RC_OK);
	}
	/* By idle time only: everything last used before T0 + 40 s. */
	struct core_write w = {0};
	assert_int_equal(core_logon_expire(&w, T0 + 40000000, 0), RC_OK);
	assert_false(has_logon(&f, 1));
	assert_true(has_logon(&f, 2));
	assert_false(has_logon(&f, 3));
	assert_true(has_logon(&f, 4));
	/* By age only: everything started before T0 + 10 s, however recently used. */
	struct core_write w2 = {0};
	assert_int_equal(core_logon_expire(&w2, 0, T0 + 10000000), RC_OK);
	assert_false(has_logon(&f, 2));
	assert_true(has_logon(&f, 4));
	/* Nothing left to expire: still fine. */
	struct core_write w3 = {0};
	assert_int_equal(core_logon_expire(&w3, T0, T0), RC_OK);
	assert_true(has_logon(&f, 4));
	fx_close(&f);
}

static void c_logon_cap(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	/* bob's logon is older than all of ann's: the cap must not touch it */
	struct logon_rec x = mklogon(9, 2, T0 + 500, T0 + 500);
	assert_int_equal(logon_create(&x, 3), RC_OK);
	for(unsigned n = 1; n <= 3; n++) {
		struct logon_rec l = mklogon(n, 1, T0 + n * 1000, T0 + n * 1000);
		assert_int_equal(logon_create(&l, 3), RC_OK);
	}
	assert_int_equal(logons_of(&f, 1).n, 3);
	/* The fourth of ann's logons evicts ann's oldest. */
	struct logon_rec d = mklogon(4, 1, T0 + 4000, T0 + 4000);
	assert_int_equal(logon_create(&d, 3), RC_OK);
	assert_false(has_logon(&f, 1));
	assert_true(has_logon(&f, 2));
	assert_true(has_logon(&f, 3));
	assert_true(has_logon(&f, 4));
	assert_true(has_logon(&f, 9));
	struct sids s = logons_of(&f, 1);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.sid[0], d.sid);
	/* And the next one the next oldest. */
	struct logon_rec e = mklogon(5, 1, T0 + 5000, T0 + 5000);
	assert_int_equal(logon_create(&e, 3), RC_OK);
	assert_false(has_logon(&f, 2));
	assert_int_equal(logons_of(&f, 1).n, 3);
	assert_int_equal(logons_of(&f, 0).n, 4);
	/* No cap (0): nothing is evicted. */
	struct logon_rec g = mklogon(6, 1, T0 + 6000, T0 + 6000);
	assert_int_equal(logon_create(&g, 0), RC_OK);
	assert_int_equal(logons_of(&f, 1).n, 4);
	fx_close(&f);
}

/* A user removed takes its logons with it. */
static void c_logons_of_deleted_user(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	int64_t ann, bob;
	assert_int_equal(add_user("ann", "$h", 2, &ann), RC_OK);
	assert_int_equal(add_user("bob", "$h", 2, &bob), RC_OK);
	struct logon_rec a = mklogon(1, ann, T0 + 1000, T0 + 1000), b = mklogon(2, bob, T0 + 1000, T0 + 1000);
	assert_int_equal(logon_create(&a, 0), RC_OK);
	assert_int_equal(logon_create(&b, 0), RC_OK);
	assert_int_equal(del_user("ann"), RC_OK);
	assert_false(has_logon(&f, 1));
	assert_true(has_logon(&f, 2));
	fx_close(&f);
}

static void c_stop_em(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec s = simple_sess(1, "job run");
	int64_t u0;
	assert_int_equal(put_sess(&f, &s, &u0), RC_OK);

	/* A stop that works: the session is stopping and a successful task says so. */
	struct core_write w = {.arena = &f.a};
	int64_t t_before = time_now_us();
	assert_int_equal(core_session_stop_em(&w, &s.id, 7), RC_OK);
	assert_true(w.usn > u0);
	assert_true(w.emtask.id > 0);
	assert_int_equal(w.emtask.success, 1);
	assert_null(w.emtask.message);
	assert_int_equal(w.emtask.uid, 7);
	assert_true(uuid_eq(&w.emtask.session_id, &s.id));
	assert_int_equal(w.sess.state, ST_STOPPING);
	assert_int_equal(w.sess.stop_requested, 1);
	struct sess_rec got;
	assert_int_equal(ops->session_get(f.s, &s.id, &f.a, &got), RC_OK);
	assert_int_equal(got.state, ST_STOPPING);
	assert_int_equal(got.stop_requested, 1);
	assert_int_equal(got.usn, w.usn);
	int64_t ok_id = w.emtask.id, ok_created = w.emtask.created_us;
	assert_true(ok_created >= t_before - t_before % 1000);

	/* Once stopped, a stop fails: the write succeeds and records a failed task with why. */
	int64_t ucomplete;
	assert_int_equal(complete_sess(&s.id, RES_WARNING, 0, &ucomplete), RC_OK);
	struct core_write w2 = {.arena = &f.a};
	assert_int_equal(core_session_stop_em(&w2, &s.id, 8), RC_OK);
	assert_int_equal(w2.usn, 0);
	assert_true(w2.emtask.id > ok_id);
	assert_int_equal(w2.emtask.success, 0);
	assert_non_null(w2.emtask.message);
	assert_non_null(strstr(w2.emtask.message, "stopped"));
	assert_int_equal(ops->usn_current(f.s), ucomplete);
	assert_int_equal(ops->session_get(f.s, &s.id, &f.a, &got), RC_OK);
	assert_int_equal(got.state, ST_STOPPED);
	assert_int_equal(got.usn, ucomplete);
	int64_t fail_id = w2.emtask.id;

	/* An unknown session: no task at all. */
	struct uuid nowhere = mkid(404);
	struct core_write w3 = {0};
	assert_int_equal(core_session_stop_em(&w3, &nowhere, 7), RC_NOTFOUND);
	struct emtask_rec e;
	assert_int_equal(ops->emtask_get(f.s, fail_id + 1, &f.a, &e), RC_NOTFOUND);

	/* Both tasks survive a restart. */
	fx_shut(&f);
	fx_reopen(&f);
	assert_int_equal(ops->emtask_get(f.s, ok_id, &f.a, &e), RC_OK);
	assert_int_equal(e.id, ok_id);
	assert_int_equal(e.success, 1);
	assert_int_equal(e.uid, 7);
	assert_true(uuid_eq(&e.session_id, &s.id));
	assert_null(e.message);
	assert_int_equal(e.created_us, ok_created);
	assert_int_equal(ops->emtask_get(f.s, fail_id, &f.a, &e), RC_OK);
	assert_int_equal(e.success, 0);
	assert_int_equal(e.uid, 8);
	assert_non_null(e.message);
	assert_non_null(strstr(e.message, "stopped"));
	assert_int_equal(ops->emtask_get(f.s, fail_id + 1, &f.a, &e), RC_NOTFOUND);
	/* Ids are not given twice. */
	struct sess_rec s2 = simple_sess(2, "another run");
	assert_int_equal(put_sess(&f, &s2, NULL), RC_OK);
	struct core_write w4 = {0};
	assert_int_equal(core_session_stop_em(&w4, &s2.id, 7), RC_OK);
	assert_true(w4.emtask.id > fail_id);
	fx_close(&f);
}

/* ---------- purge ---------- */

static void c_purge(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	const int64_t cutoff = T0 + 1000000;
	struct { unsigned n; int stopped; int64_t end; } rows[] = {
		{1, 1, T0 + 10000},          /* old and stopped: purged */
		{2, 1, cutoff - 1000},       /* just before: purged */
		{3, 1, cutoff},              /* at the cutoff: kept */
		{4, 1, cutoff + 5000000},    /* recent: kept */
		{5, 0, 0},                   /* old but running: kept */
	};
	for(size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sess_rec r = simple_sess(rows[i].n, "s");
		r.creation_us = T0;
		assert_int_equal(put_sess(&f, &r, NULL), RC_OK);
		assert_int_equal(put_task(&f, 100 + rows[i].n, &r.id, "t", NULL), RC_OK);
		struct uuid tid = mkid(100 + rows[i].n);
		assert_int_equal(append_logs(&f, OWNER_SESSION, &r.id, 2, LOG_NONE, NULL, NULL), RC_OK);
		assert_int_equal(append_logs(&f, OWNER_TASK, &tid, 2, LOG_NONE, NULL, NULL), RC_OK);
		if(rows[i].stopped)
			assert_int_equal(complete_sess(&r.id, RES_SUCCESS, rows[i].end, NULL), RC_OK);
	}
	/* At most n per run; a run that removed something takes a usn, one that did not takes none. */
	int64_t u = ops->usn_current(f.s);
	struct core_write p1 = {0};
	assert_int_equal(core_purge(&p1, cutoff, 1), RC_OK);
	assert_int_equal(p1.affected, 1);
	assert_true(p1.usn > u);
	struct core_write p2 = {0};
	assert_int_equal(core_purge(&p2, cutoff, 100), RC_OK);
	assert_int_equal(p2.affected, 1);
	assert_true(p2.usn > p1.usn);
	struct core_write p3 = {0};
	assert_int_equal(core_purge(&p3, cutoff, 100), RC_OK);
	assert_int_equal(p3.affected, 0);
	assert_int_equal(p3.usn, 0);
	assert_int_equal(ops->usn_current(f.s), p2.usn);

	for(size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int gone = rows[i].stopped && rows[i].end < cutoff;
		struct uuid sid = mkid(rows[i].n), tid = mkid(100 + rows[i].n);
		struct sess_rec s;
		struct task_rec t;
		assert_int_equal(ops->session_get(f.s, &sid, &f.a, &s), gone ? RC_NOTFOUND : RC_OK);
		assert_int_equal(ops->task_get(f.s, &tid, &f.a, &t), gone ? RC_NOTFOUND : RC_OK);
		int64_t total = -1;
		struct logs_seen ls = {0};
		assert_int_equal(ops->log_list(f.s, &sid, -1, &f.a, collect_log, &ls, &total), RC_OK);
		assert_int_equal(total, gone ? 0 : 2);
		memset(&ls, 0, sizeof(ls));
		assert_int_equal(ops->log_list(f.s, &tid, -1, &f.a, collect_log, &ls, &total), RC_OK);
		assert_int_equal(total, gone ? 0 : 2);
	}
	struct query q = {.limit = -1, .want_total = 1};
	int64_t total = -1;
	struct ids got = {0};
	assert_int_equal(ops->task_list(f.s, &q, &f.a, collect_task, &got, &total), RC_OK);
	assert_int_equal(total, 3);
	fx_close(&f);
}

/* ---------- group commit ---------- */

#define THREADS 4
#define PER_THREAD 60

struct gc {
	struct fx *f;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	int errors;               /* failures seen in done() that the test did not expect */
	int64_t usns[THREADS * PER_THREAD];
	int nusn;
};

struct gcw {
	struct core_write w;
	struct sess_rec r;
	struct gc *g;
	int expect_fail;
	int calls;
};

static void gc_done(struct core_write *w)
{
	struct gcw *x = w->udata;
	struct gc *g = x->g;
	x->calls++;
	/* Acknowledged only after commit: another connection already sees the row. */
	struct arena a;
	arena_init(&a);
	struct sess_rec r;
	enum rc seen = g->f->ops->session_get(g->f->s, &x->r.id, &a, &r);
	pthread_mutex_lock(&g->lock);
	if(x->expect_fail) {
		if(w->rc != RC_CONFLICT || w->usn != 0 || seen != RC_OK || strcmp(r.name, "pre-existing"))
			g->errors++;
	} else {
		if(w->rc != RC_OK || seen != RC_OK || r.usn != w->usn)
			g->errors++;
		g->usns[g->nusn++] = w->usn;
	}
	g->done++;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	arena_free(&a);
}

struct gcarg {
	struct gc *g;
	struct gcw *ws;
	int t;
};

static void *gc_thread(void *p)
{
	struct gcarg *arg = p;
	for(int i = 0; i < PER_THREAD; i++) {
		struct gcw *x = &arg->ws[arg->t * PER_THREAD + i];
		core_session_create(&x->w, &x->r);
	}
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void c_group_commit_threads(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec pre = simple_sess(1, "pre-existing");
	assert_int_equal(put_sess(&f, &pre, NULL), RC_OK);
	struct gc g = {.f = &f, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	static struct gcw ws[THREADS * PER_THREAD];
	memset(ws, 0, sizeof(ws));
	int nfail = 0;
	for(int i = 0; i < THREADS * PER_THREAD; i++) {
		ws[i].g = &g;
		ws[i].expect_fail = i % 7 == 3;   /* a duplicate of the pre-existing session */
		nfail += ws[i].expect_fail;
		ws[i].r = simple_sess(ws[i].expect_fail ? 1 : 1000 + (unsigned)i, "concurrent");
		ws[i].w.done = gc_done;
		ws[i].w.udata = &ws[i];
	}
	pthread_t th[THREADS];
	struct gcarg args[THREADS];
	for(int t = 0; t < THREADS; t++) {
		args[t] = (struct gcarg){.g = &g, .ws = ws, .t = t};
		assert_int_equal(pthread_create(&th[t], NULL, gc_thread, &args[t]), 0);
	}
	for(int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_lock(&g.lock);
	while(g.done < THREADS * PER_THREAD)
		pthread_cond_wait(&g.cond, &g.lock);
	pthread_mutex_unlock(&g.lock);
	assert_int_equal(g.errors, 0);
	for(int i = 0; i < THREADS * PER_THREAD; i++)
		assert_int_equal(ws[i].calls, 1);
	assert_int_equal(g.nusn, THREADS * PER_THREAD - nfail);
	qsort(g.usns, (size_t)g.nusn, sizeof(g.usns[0]), cmp_i64);
	for(int i = 1; i < g.nusn; i++)
		assert_true(g.usns[i] > g.usns[i - 1]);
	assert_int_equal(ops->usn_current(f.s), g.usns[g.nusn - 1]);
	struct query q = {.limit = -1, .want_total = 1};
	int64_t total = -1;
	struct ids got = {0};
	q.limit = 0;
	assert_int_equal(ops->session_list(f.s, &q, &f.a, collect_sess, &got, &total), RC_OK);
	assert_int_equal(total, 1 + THREADS * PER_THREAD - nfail);
	fx_close(&f);
}

/* A raw edit whose function holds the writer until released, so that everything
 * submitted meanwhile is committed together in the next batch. */
struct gate {
	sem_t entered, release;
};

static void gate_edit(struct fx_edit *e, struct sess_rec *r)
{
	struct gate *g = e->ctx;
	sem_post(&g->entered);
	sem_wait(&g->release);
}

struct seq {
	pthread_mutex_t lock;
	int order[32];
	int n;
};

static void seq_push(struct seq *s, int i)
{
	pthread_mutex_lock(&s->lock);
	s->order[s->n++] = i;
	pthread_mutex_unlock(&s->lock);
}

struct seqw {
	struct core_write w;
	struct seq *s;
	int i;
};

static void seq_done(struct core_write *w)
{
	struct seqw *x = w->udata;
	seq_push(x->s, x->i);
}

static void seq_blocker_done(struct fx_op *x)
{
	seq_push(x->ctx, 0);
}

static void c_group_commit_isolation(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec a = simple_sess(1, "a");
	assert_int_equal(put_sess(&f, &a, NULL), RC_OK);
	struct gate gate;
	sem_init(&gate.entered, 0, 0);
	sem_init(&gate.release, 0, 0);
	struct seq seq = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct fx_edit blocker = {.id = a.id, .edit = gate_edit, .ctx = &gate};
	blocker.x.fn = fx_edit_fn;
	blocker.x.done = seq_blocker_done;
	blocker.x.ctx = &seq;
	fx_op_submit(&blocker.x);
	sem_wait(&gate.entered);

	struct log_rec logs[2] = {{.title = "x", .start_us = T0}, {.title = "y", .start_us = T0}};
	struct log_rec upd = {.id = 1, .status = LOG_FAILED};
	struct uuid nowhere = mkid(404), b = mkid(2);
	struct sess_rec sb = simple_sess(2, "b"), dup = simple_sess(1, "dup"), sc = simple_sess(6, "c");
	struct task_rec orphan = {.id = mkid(5), .session_id = nowhere, .name = "t", .state = ST_WORKING};
	struct sess_patch never;
	sess_patch_init(&never, 0);
	never.name = "never";
	never.has_state = 1;
	never.state = ST_STARTING;
	static struct seqw w[8];
	memset(w, 0, sizeof(w));
	for(int i = 0; i < 8; i++) {
		w[i].w.done = seq_done;
		w[i].w.udata = &w[i];
		w[i].s = &seq;
		w[i].i = i + 1;
	}
	core_session_create(&w[0].w, &sb);
	core_session_create(&w[1].w, &dup);                          /* fails */
	core_log_append(&w[2].w, OWNER_SESSION, &b, logs, 2);         /* on b, same batch */
	core_session_patch(&w[3].w, &a.id, &never);                  /* fails: an illegal transition */
	core_task_create(&w[4].w, &orphan);                          /* fails */
	core_session_create(&w[5].w, &sc);
	core_log_update(&w[6].w, OWNER_SESSION, &a.id, &upd);        /* no record 1 on a: fails */
	core_kv_put(&w[7].w, "k", "v");
	static const enum rc want[8] = {RC_OK, RC_CONFLICT, RC_OK, RC_CONFLICT, RC_NOTFOUND, RC_OK, RC_NOTFOUND, RC_OK};
	/* Nothing is acknowledged before its commit. */
	pthread_mutex_lock(&seq.lock);
	assert_int_equal(seq.n, 0);
	pthread_mutex_unlock(&seq.lock);
	sem_post(&gate.release);
	fx_shut(&f);   /* close drains the queue */
	assert_int_equal(seq.n, 9);
	for(int i = 0; i < 9; i++)
		assert_int_equal(seq.order[i], i);   /* done() in submission order */
	assert_int_equal(blocker.x.op.rc, RC_OK);
	for(int i = 0; i < 8; i++)
		if(w[i].w.rc != want[i])
			fail_msg("write %d: %s, expected %s (%s)", i, rc_name(w[i].w.rc), rc_name(want[i]), w[i].w.err);

	/* The good writes committed despite the failures around them; usns kept increasing. */
	assert_true(w[0].w.usn > blocker.usn);
	assert_true(w[2].w.usn > w[0].w.usn);
	assert_true(w[5].w.usn > w[2].w.usn);
	for(int i = 0; i < 8; i++)
		if(want[i])
			assert_int_equal(w[i].w.usn, 0);
	fx_reopen(&f);
	assert_int_equal(ops->usn_current(f.s), w[5].w.usn);
	struct uuid c = mkid(6), t = mkid(5);
	assert_int_equal(sess_usn(&f, &b), w[2].w.usn);
	assert_int_equal(sess_usn(&f, &c), w[5].w.usn);
	struct sess_rec got;
	assert_int_equal(ops->session_get(f.s, &a.id, &f.a, &got), RC_OK);
	assert_string_equal(got.name, "a");
	assert_int_equal(got.state, ST_WORKING);
	assert_int_equal(got.usn, blocker.usn);
	struct task_rec tr;
	assert_int_equal(ops->task_get(f.s, &t, &f.a, &tr), RC_NOTFOUND);
	int64_t total;
	struct logs_seen ls = {0};
	assert_int_equal(ops->log_list(f.s, &b, -1, &f.a, collect_log, &ls, &total), RC_OK);
	assert_int_equal(total, 2);
	const char *v;
	assert_int_equal(ops->kv_get(f.s, "k", &f.a, &v), RC_OK);
	sem_destroy(&gate.entered);
	sem_destroy(&gate.release);
	fx_close(&f);
}

/* ---------- an op with one write, failing at it ---------- */

/* Loads session id, sets its progress and stores it under usn (0: the next one): an op
 * queued with one_write, which a driver may run without a savepoint. */
struct one_write {
	struct fx_op x;
	struct uuid id;
	int progress;
	int64_t usn;
	struct gate *gate;          /* held here until released, when set */
};

static enum rc one_write_fn(struct fx_op *x, struct store_tx *tx)
{
	struct one_write *o = (struct one_write *)x;
	if(o->gate) {
		sem_post(&o->gate->entered);
		sem_wait(&o->gate->release);
	}
	struct sess_rec r;
	enum rc rc = tx->ops->tx_session_load(tx->s, &o->id, tx->a, &r);
	if(rc)
		return rc;
	struct sess_rec old = r;
	r.progress = o->progress;
	if(o->usn)
		r.usn = o->usn;
	else if((rc = tx->ops->tx_usn_next(tx->s, &r.usn)))
		return rc;
	if((rc = tx->ops->tx_session_update(tx->s, &old, &r))) {
		snprintf(x->op.err, sizeof(x->op.err), "update: %s", tx->ops->tx_error(tx->s));
		return rc;
	}
	o->usn = r.usn;
	return RC_OK;
}

static void one_write_done(struct fx_op *x)
{
	(void)x;
}

/* Three one-write ops in one batch, the middle one refused by the database at its write
 * (the usn of another session, which SQLite's unique usn index refuses): it leaves no
 * trace, not in the row nor in the writer's row cache, and the others commit. */
static void c_one_write_refused(const struct store_ops *ops)
{
	if(!ops->tx_savepoint_one)
		return;   /* a driver that keeps the savepoint: c_session_update covers it */
	struct fx f;
	fx_open(&f, ops);
	struct sess_rec a = simple_sess(1, "a"), b = simple_sess(2, "b"), c = simple_sess(3, "c");
	struct sess_rec d = simple_sess(4, "d");   /* untouched: its usn stays taken */
	int64_t ub, ud;
	assert_int_equal(put_sess(&f, &d, &ud), RC_OK);
	assert_int_equal(put_sess(&f, &a, NULL), RC_OK);
	assert_int_equal(put_sess(&f, &b, &ub), RC_OK);
	assert_int_equal(put_sess(&f, &c, NULL), RC_OK);
	struct gate gate;
	sem_init(&gate.entered, 0, 0);
	sem_init(&gate.release, 0, 0);
	struct one_write blocker = {.id = c.id, .progress = 1, .gate = &gate};
	struct one_write w[3] = {{.id = a.id, .progress = 40}, {.id = b.id, .progress = 50, .usn = ud},
	                         {.id = c.id, .progress = 60}};
	blocker.x.fn = one_write_fn;
	blocker.x.done = one_write_done;
	blocker.x.op.one_write = 1;
	fx_op_submit(&blocker.x);
	sem_wait(&gate.entered);
	for(int i = 0; i < 3; i++) {
		w[i].x.fn = one_write_fn;
		w[i].x.done = one_write_done;
		w[i].x.op.one_write = 1;
		fx_op_submit(&w[i].x);
	}
	sem_post(&gate.release);
	fx_shut(&f);   /* close drains the queue */
	assert_int_equal(blocker.x.op.rc, RC_OK);
	assert_int_equal(w[0].x.op.rc, RC_OK);
	assert_int_not_equal(w[1].x.op.rc, RC_OK);
	assert_int_equal(w[2].x.op.rc, RC_OK);
	fx_reopen(&f);
	struct sess_rec got;
	assert_int_equal(ops->session_get(f.s, &b.id, &f.a, &got), RC_OK);
	assert_int_equal(got.progress, b.progress);
	assert_int_equal(got.usn, ub);
	assert_int_equal(ops->session_get(f.s, &a.id, &f.a, &got), RC_OK);
	assert_int_equal(got.progress, 40);
	assert_int_equal(got.usn, w[0].usn);
	assert_int_equal(ops->session_get(f.s, &c.id, &f.a, &got), RC_OK);
	assert_int_equal(got.progress, 60);
	assert_int_equal(got.usn, w[2].usn);
	/* the usn the refused op did not use is not skipped, and b is written as stored */
	assert_int_equal(w[2].usn, w[0].usn + 1);
	struct one_write again = {.id = b.id, .progress = 70};
	again.x.fn = one_write_fn;
	again.x.op.one_write = 1;
	assert_int_equal(fx_op_run(&again.x), RC_OK);
	assert_int_equal(ops->session_get(f.s, &b.id, &f.a, &got), RC_OK);
	assert_int_equal(got.progress, 70);
	assert_string_equal(got.name, "b");
	assert_int_equal(got.usn, w[2].usn + 1);
	sem_destroy(&gate.entered);
	sem_destroy(&gate.release);
	fx_close(&f);
}

/* ---------- many updates in few batches ---------- */

#define FOLLOW_N 600            /* sessions: some share a slot of the writer's row cache */

struct follow {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending;
	int failed;
};

static void follow_done(struct core_write *w)
{
	struct follow *fw = w->udata;
	pthread_mutex_lock(&fw->lock);
	fw->failed += w->rc != RC_OK;
	if(--fw->pending == 0)
		pthread_cond_signal(&fw->cond);
	pthread_mutex_unlock(&fw->lock);
}

static void follow_wait(struct follow *fw)
{
	pthread_mutex_lock(&fw->lock);
	while(fw->pending)
		pthread_cond_wait(&fw->cond, &fw->lock);
	pthread_mutex_unlock(&fw->lock);
}

/* Rounds of progress updates of every session, each round queued at once (so the writer
 * commits them in few batches), with refused writes among them (an unknown session, an
 * illegal transition): every session ends as its last accepted update left it. */
static void c_session_updates_follow(const struct store_ops *ops)
{
	struct fx f;
	fx_open(&f, ops);
	static struct core_write w[FOLLOW_N + 2];
	static struct sess_rec rs[FOLLOW_N];
	static char snames[FOLLOW_N][16];
	struct follow fw = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	fw.pending = FOLLOW_N;
	for(int i = 0; i < FOLLOW_N; i++) {
		snprintf(snames[i], sizeof(snames[i]), "s%d", i);
		rs[i] = simple_sess((unsigned)i + 1, snames[i]);
		memset(&w[i], 0, sizeof(w[i]));
		w[i].done = follow_done;
		w[i].udata = &fw;
		core_session_create(&w[i], &rs[i]);
	}
	follow_wait(&fw);
	assert_int_equal(fw.failed, 0);
	struct uuid nowhere = mkid(60000);
	for(int round = 1; round <= 4; round++) {
		fw.pending = FOLLOW_N + 2;
		fw.failed = 0;
		for(int i = 0; i < FOLLOW_N + 2; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].done = follow_done;
			w[i].udata = &fw;
			struct sess_patch p;
			sess_patch_init(&p, 0);
			p.has_progress = 1;
			p.progress = (round * 7 + i) % 101;
			if(i == FOLLOW_N / 2) {
				core_session_patch(&w[i], &nowhere, &p);         /* refused: no such session */
			} else if(i == FOLLOW_N + 1) {
				p.has_state = 1;
				p.state = ST_STARTING;                           /* refused: an illegal transition */
				p.name = "never";
				core_session_patch(&w[i], &rs[round].id, &p);
			} else {
				int k = i < FOLLOW_N / 2 ? i : i - 1;
				core_session_patch(&w[i], &rs[k].id, &p);
			}
		}
		follow_wait(&fw);
		assert_int_equal(fw.failed, 2);
	}
	for(int k = 0; k < FOLLOW_N; k++) {
		int i = k < FOLLOW_N / 2 ? k : k + 1;
		struct sess_rec got;
		assert_int_equal(ops->session_get(f.s, &rs[k].id, &f.a, &got), RC_OK);
		assert_int_equal(got.progress, (4 * 7 + i) % 101);
		assert_string_equal(got.name, snames[k]);
		assert_int_equal(got.state, ST_WORKING);
	}
	fx_close(&f);
}

/* ---------- the table ---------- */

typedef void (*conf_case)(const struct store_ops *ops);

static const struct {
	const char *name;
	conf_case fn;
} cases[] = {
	{"session_roundtrip", c_session_roundtrip},
	{"session_duplicate", c_session_duplicate},
	{"session_update", c_session_update},
	{"session_updates_follow", c_session_updates_follow},
	{"one_write_refused", c_one_write_refused},
	{"usn_monotonic", c_usn_monotonic},
	{"usn_not_reused", c_usn_not_reused},
	{"task_roundtrip", c_task_roundtrip},
	{"task_update", c_task_update},
	{"log_append_list", c_log_append_list},
	{"log_update", c_log_update},
	{"list_fields_ops", c_list_fields_ops},
	{"list_orders_paging", c_list_orders_paging},
	{"job_latest", c_job_latest},
	{"job_latest_tie", c_job_latest_tie},
	{"users", c_users},
	{"user_uid_never_reused", c_user_uid_never_reused},
	{"kv", c_kv},
	{"estate", c_estate},
	{"revoke", c_revoke},
	{"logons", c_logons},
	{"logon_expire", c_logon_expire},
	{"logon_cap", c_logon_cap},
	{"logons_of_deleted_user", c_logons_of_deleted_user},
	{"stop_em", c_stop_em},
	{"purge", c_purge},
	{"group_commit_threads", c_group_commit_threads},
	{"group_commit_isolation", c_group_commit_isolation},
};

/* Every backend runs every case; PostgreSQL when SESSIOND_TEST_PG names a cluster
 * (scripts/check starts one with tests/pg/cluster). */
static const struct store_ops *const backends[] = {&store_sqlite, &store_pg};

#define NCASES (sizeof(cases) / sizeof(cases[0]))
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

struct run {
	const struct store_ops *ops;
	conf_case fn;
};

static void run_case(void **state)
{
	const struct run *r = *state;
	r->fn(r->ops);
}

/* ---------- SQLite only: migrations ---------- */

static int64_t pragma(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_sqlite_migrations(void **state)
{
	struct fx f;
	fx_open(&f, &store_sqlite);
	struct sess_rec r = simple_sess(1, "kept");
	assert_int_equal(put_sess(&f, &r, NULL), RC_OK);
	fx_shut(&f);
	assert_true(store_sql_migration_count >= 1);
	assert_int_equal(pragma(f.path, "PRAGMA user_version"), store_sql_migration_count);
	int64_t schema = pragma(f.path, "PRAGMA schema_version");

	/* Reopening runs no migration again: the schema is untouched and the data kept. */
	fx_reopen(&f);
	assert_int_equal(f.ops->session_get(f.s, &r.id, &f.a, &r), RC_OK);
	fx_shut(&f);
	assert_int_equal(pragma(f.path, "PRAGMA user_version"), store_sql_migration_count);
	assert_int_equal(pragma(f.path, "PRAGMA schema_version"), schema);

	/* A database from a newer sessiond is refused with a message, not used. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", store_sql_migration_count + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char err[256] = "";
	struct store *s = NULL;
	assert_int_equal(store_sqlite.open(f.path, &s, err, sizeof(err)), RC_BACKEND);
	assert_non_null(strstr(err, "newer"));
	fx_close(&f);
}

static void test_sqlite_fresh_file_is_wal(void **state)
{
	struct fx f;
	fx_open(&f, &store_sqlite);
	fx_shut(&f);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	fx_close(&f);
}

/* ---------- SQLite only: a database of the previous release ---------- */

/* tests/fixtures/release1.db: from the working directory (make and scripts/check run
 * tests from the repository root), else from the binary's place in BUILD/tests/. */
static int find_fixture(const char *name, char *out, size_t n)
{
	snprintf(out, n, "tests/fixtures/%s", name);
	if(access(out, R_OK) == 0)
		return 1;
	char exe[512];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if(len > 0) {
		exe[len] = 0;
		char *slash = strrchr(exe, '/');
		if(slash) {
			*slash = 0;
			snprintf(out, n, "%s/../../tests/fixtures/%s", exe, name);
			if(access(out, R_OK) == 0)
				return 1;
		}
	}
	return 0;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	assert_int_equal(ferror(in), 0);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static struct uuid fixture_id(const char *prefix, int i)
{
	char text[40];
	snprintf(text, sizeof(text), "%s%012d", prefix, i);
	struct uuid u;
	assert_int_equal(uuid_parse(text, strlen(text), &u), 0);
	return u;
}

static void test_sqlite_release1(void **state)
{
	char src[600];
	if(!find_fixture("release1.db", src, sizeof(src)))
		fail_msg("tests/fixtures/release1.db not found (run from the repository root)");
	struct fx f;
	memset(&f, 0, sizeof(f));
	f.ops = &store_sqlite;
	fx_mkdir(&f);
	copy_file(src, f.path);
	assert_int_equal(pragma(f.path, "PRAGMA user_version"), 2);
	fx_reopen(&f);   /* migrations run */
	arena_init(&f.a);

	/* Every session reads back as the type it was created with, with its task session and log. */
	static const int results[3] = {RES_SUCCESS, RES_WARNING, RES_FAILED};
	static unsigned char seen[CATALOG_CODE_LIMIT];
	memset(seen, 0, sizeof(seen));
	int64_t max_usn = 0;
	int n = 0;
	for(int i = 0; i < 185; i++) {
		struct uuid sid = fixture_id("00000000-0000-4000-8000-", i), tid = fixture_id("00000000-0000-4000-9000-", i);
		struct sess_rec r;
		if(f.ops->session_get(f.s, &sid, &f.a, &r) != RC_OK)
			fail_msg("session %d missing", i);
		assert_true(r.type >= 0 && r.type < CATALOG_CODE_LIMIT);
		if(strcmp(catalog_type_name(r.type), r.name))
			fail_msg("session %d: created as %s, reads back as type %d (%s)", i, r.name, r.type,
			         catalog_type_name(r.type));
		assert_true(catalog_type_valid(r.type));
		assert_int_equal(seen[r.type], 0);
		seen[r.type] = 1;
		char job[160];
		snprintf(job, sizeof(job), "job-%s", r.name);
		assert_string_equal(r.job_name, job);
		if(i % 3 == 0) {
			assert_int_equal(r.state, ST_STOPPED);
			assert_int_equal(r.result, results[i % 9 / 3]);
			assert_true(r.end_us >= r.creation_us);
		} else {
			assert_int_equal(r.state, ST_WORKING);
			assert_int_equal(r.result, RES_NONE);
		}
		if(r.usn > max_usn)
			max_usn = r.usn;
		struct task_rec t;
		if(f.ops->task_get(f.s, &tid, &f.a, &t) != RC_OK)
			fail_msg("task session of %s missing", r.name);
		assert_true(uuid_eq(&t.session_id, &sid));
		assert_int_equal(t.session_type, r.type);
		assert_int_equal(t.type, TT_BACKUP);
		char want[160];
		snprintf(want, sizeof(want), "task of %s", r.name);
		assert_string_equal(t.name, want);
		struct logs_seen ls = {0};
		int64_t total = -1;
		assert_int_equal(f.ops->log_list(f.s, &sid, -1, &f.a, collect_log, &ls, &total), RC_OK);
		assert_int_equal(total, 1);
		snprintf(want, sizeof(want), "log of %s", r.name);
		assert_string_equal(ls.title[0], want);
		assert_int_equal(ls.status[0], LOG_SUCCEEDED);
		n++;
	}
	assert_int_equal(n, 185);
	struct query q = {.limit = 0, .want_total = 1};
	int64_t total = -1;
	assert_int_equal(f.ops->session_list(f.s, &q, &f.a, no_sess_row, NULL, &total), RC_OK);
	assert_int_equal(total, 185);
	/* The type filter (session_counts) still counts them. */
	q.where = q_int(&f.a, QF_STATE, Q_EQ, ST_STOPPED);
	assert_int_equal(f.ops->session_list(f.s, &q, &f.a, no_sess_row, NULL, &total), RC_OK);
	assert_int_equal(total, 62);

	/* Migration 7 grouped what release 1 stored: totals under name and job filters (from
	 * session_names and task_names) are what counting the rows gives. */
	static const char *const pats[] = {"*Backup*", "Replica*", "*a*", "job-*"};
	const struct qexpr *rows = q_int(&f.a, QF_PROGRESS, Q_GE, 0);
	int64_t matched = 0;
	for(size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		for(int tasks = 0; tasks < 2; tasks++)
			for(int field = 0; field < 2 - tasks; field++) {
				const struct qexpr *m = q_match(&f.a, field ? QF_JOB_NAME : QF_NAME, pats[i]);
				int64_t fast = -1, slow = -2;
				struct query gq = {.where = m, .limit = 0, .want_total = 1};
				struct query rq = {.where = q_and(&f.a, m, rows), .limit = 0, .want_total = 1};
				if(tasks) {
					assert_int_equal(f.ops->task_list(f.s, &gq, &f.a, NULL, NULL, &fast), RC_OK);
					assert_int_equal(f.ops->task_list(f.s, &rq, &f.a, NULL, NULL, &slow), RC_OK);
				} else {
					assert_int_equal(f.ops->session_list(f.s, &gq, &f.a, no_sess_row, NULL, &fast), RC_OK);
					assert_int_equal(f.ops->session_list(f.s, &rq, &f.a, no_sess_row, NULL, &slow), RC_OK);
				}
				assert_int_equal(fast, slow);
				matched += fast;
			}
	assert_true(matched > 185);
	/* Migration 8 counted them by is_canceled and stop_requested and by day of end too. */
	const struct qexpr *kept[] = {
		q_int(&f.a, QF_IS_CANCELED, Q_EQ, 0),
		q_and(&f.a, q_int(&f.a, QF_STOP_REQUESTED, Q_EQ, 0), q_int(&f.a, QF_STATE, Q_EQ, ST_STOPPED)),
		q_int(&f.a, QF_END, Q_GE, 0),
		q_int(&f.a, QF_END, Q_LE, INT64_MAX / 2),
	};
	for(size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		int64_t fast = -1, slow = -2;
		struct query kq = {.where = kept[i], .limit = 0, .want_total = 1};
		struct query rq = {.where = q_and(&f.a, kept[i], rows), .limit = 0, .want_total = 1};
		assert_int_equal(f.ops->session_list(f.s, &kq, &f.a, no_sess_row, NULL, &fast), RC_OK);
		assert_int_equal(f.ops->session_list(f.s, &rq, &f.a, no_sess_row, NULL, &slow), RC_OK);
		assert_int_equal(fast, slow);
		assert_true(fast >= 62);   /* the 62 stopped sessions at least */
	}

	/* Users kept their uids and roles; their passwords still check. */
	static const struct { const char *name; int64_t uid; int role; } users[] = {
		{"admin", 1, ROLE_ADMIN}, {"r1-viewer", 2, ROLE_VIEWER}, {"r1-operator", 3, ROLE_OPERATOR},
		{"r1-reporter", 4, ROLE_REPORTER},
	};
	for(size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		struct user_rec u;
		assert_int_equal(f.ops->user_get(f.s, users[i].name, &f.a, &u), RC_OK);
		assert_int_equal(u.uid, users[i].uid);
		assert_int_equal(u.role, users[i].role);
		assert_int_equal(u.gen, 1);
		assert_true(u.created_us > 0);
		assert_non_null(strstr(u.hash, "$argon2id$"));
		assert_int_equal(f.ops->user_get_uid(f.s, users[i].uid, &f.a, &u), RC_OK);
		assert_string_equal(u.name, users[i].name);
	}
	struct principal who;
	assert_true(sodium_init() >= 0);
	assert_int_equal(auth_password_check("r1-operator", "release1-operator", &who), RC_OK);
	assert_int_equal(who.uid, 3);
	assert_int_equal(who.role, ROLE_OPERATOR);
	assert_int_equal(auth_password_check("r1-operator", "wrong", &who), RC_UNAUTHORIZED);

	/* Writes go on from there: usns above every stored one, a uid never given before. */
	assert_true(f.ops->usn_current(f.s) >= max_usn);
	struct sess_rec fresh = simple_sess(1, "after the upgrade");
	int64_t u;
	assert_int_equal(put_sess(&f, &fresh, &u), RC_OK);
	assert_true(u > max_usn);
	int64_t uid;
	assert_int_equal(add_user("new", "$h", ROLE_VIEWER, &uid), RC_OK);
	assert_int_equal(uid, 5);

	fx_shut(&f);
	assert_int_equal(pragma(f.path, "PRAGMA user_version"), store_sql_migration_count);
	fx_close(&f);
}

int main(void)
{
	static struct run runs[NCASES * NBACKENDS];
	static struct CMUnitTest tests[NCASES * NBACKENDS];
	static char tnames[NCASES * NBACKENDS][96];
	size_t n = 0;
	const char *pg = getenv("SESSIOND_TEST_PG");
	const char *only = getenv("SESSIOND_TEST_BACKEND");   /* run one backend's cases */
	if(!pg || !pg[0])
		fprintf(stderr, "store_conformance: no SESSIOND_TEST_PG, PostgreSQL cases not run\n");
	for(size_t b = 0; b < NBACKENDS; b++) {
		if((backends[b] == &store_pg && (!pg || !pg[0])) || (only && strcmp(only, backends[b]->name)))
			continue;
		for(size_t c = 0; c < NCASES; c++, n++) {
			runs[n] = (struct run){.ops = backends[b], .fn = cases[c].fn};
			snprintf(tnames[n], sizeof(tnames[n]), "%s/%s", backends[b]->name, cases[c].name);
			tests[n] = (struct CMUnitTest){.name = tnames[n], .test_func = run_case, .initial_state = &runs[n]};
		}
	}
	int failed = _cmocka_run_group_tests("store_conformance", tests, n, NULL, NULL);
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test(test_sqlite_migrations),
		cmocka_unit_test(test_sqlite_fresh_file_is_wal),
		cmocka_unit_test(test_sqlite_release1),
	};
	failed += cmocka_run_group_tests_name("store_sqlite", sqlite_tests, NULL, NULL);
	return failed;
}
