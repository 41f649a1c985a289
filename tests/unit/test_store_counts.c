/* List totals under type/state/result filters come from the session_counts table
 * that triggers keep (src/store/store_sql.c, migration 2), and under name and job
 * filters from session_names and task_names (migration 7). These cases compare them,
 * after creates, updates, stops, purges and a reopen, with totals that the same
 * filter gives when it also tests another column, which counts the rows themselves;
 * and the pages read with a total (which may skip an empty page or read a text filter
 * in the order's index) with the same pages read without one. */
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/catalog.h"
#include "model/query.h"
#include "core/core.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 1700000000000000LL
#define N 60

static int no_row(void *ctx, const struct sess_rec *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

/* The filter and a test every row passes, under NOT NOT: a shape no kept count serves, so
 * its total is a count of the rows themselves. */
static const struct qexpr *rows_counted(struct arena *a, const struct qexpr *filter, const struct qexpr *all_rows)
{
	return q_not(a, q_not(a, q_and(a, filter, all_rows)));
}

static int64_t total_of(struct fx *f, const struct qexpr *where)
{
	struct query q = {.where = where, .limit = 0, .want_total = 1};
	int64_t total = -1;
	assert_int_equal(f->ops->session_list(f->s, &q, &f->a, no_row, NULL, &total), RC_OK);
	return total;
}

/* Every filter shape on type/state/result must total what counting the rows gives. */
static void check_totals(struct fx *f)
{
	struct arena *a = &f->a;
	/* progress >= 0 holds for every session and forces the row count */
	const struct qexpr *all_rows = q_int(a, QF_PROGRESS, Q_GE, 0);
	const struct qexpr *filters[64];
	int n = 0;
	filters[n++] = NULL;
	for(int t = 0; t < 3; t++)
		filters[n++] = q_int(a, QF_TYPE, Q_EQ, t);
	for(int s = 0; s < ST__COUNT; s += 3)
		filters[n++] = q_int(a, QF_STATE, Q_EQ, s);
	for(int r = 0; r < RES__COUNT; r++) {
		filters[n++] = q_int(a, QF_RESULT, Q_EQ, r);
		filters[n++] = q_int(a, QF_RESULT, Q_NE, r);
	}
	int types[] = {0, 2};
	int results[] = {RES_SUCCESS, RES_FAILED};
	filters[n++] = q_and(a, q_in_ints(a, QF_TYPE, types, 2), q_in_ints(a, QF_RESULT, results, 2));
	filters[n++] = q_or(a, q_int(a, QF_STATE, Q_EQ, ST_STOPPED), q_int(a, QF_TYPE, Q_GT, 1));
	filters[n++] = q_not(a, q_int(a, QF_STATE, Q_EQ, ST_WORKING));
	/* the Azure statuses: is_canceled and stop_requested with result and state */
	filters[n++] = q_and(a, q_int(a, QF_IS_CANCELED, Q_EQ, 0), q_int(a, QF_RESULT, Q_EQ, RES_FAILED));
	filters[n++] = q_or(a, q_int(a, QF_IS_CANCELED, Q_NE, 0), q_int(a, QF_STOP_REQUESTED, Q_EQ, 1));
	filters[n++] = q_and(a, q_int(a, QF_STOP_REQUESTED, Q_EQ, 0), q_int(a, QF_STATE, Q_NE, ST_STOPPED));
	filters[n++] = q_not(a, q_int(a, QF_IS_CANCELED, Q_EQ, 1));
	for(int i = 0; i < n; i++) {
		int64_t fast = total_of(f, filters[i]);
		int64_t slow = total_of(f, rows_counted(a, filters[i], all_rows));
		if(fast != slow)
			fail_msg("filter %d: total %lld from session_counts, %lld counting rows", i, (long long)fast,
			         (long long)slow);
	}
}

static struct uuid mkid(unsigned n)
{
	return fx_id(0x20, n);
}

/* A raw change of state and result that is then refused: the counts must not move. */
static void stop_raw(struct fx_edit *e, struct sess_rec *r)
{
	r->state = ST_STOPPED;
	r->result = RES_FAILED;
	r->type = 2;
	r->end_us = T0 + 1000;
}

static void counts_follow_writes(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, &store_sqlite);
	for(unsigned i = 0; i < N; i++) {
		struct sess_rec r = {0};
		r.id = mkid(i);
		r.name = "job";
		r.type = (int)(i % 3);
		r.state = ST_WORKING;
		r.creation_us = T0 + i * 1000;
		struct core_write w = {0};
		assert_int_equal(core_session_create(&w, &r), RC_OK);
	}
	/* a few that were over when reported */
	for(unsigned i = N; i < N + 4; i++) {
		struct sess_rec r = {0};
		r.id = mkid(i);
		r.name = "late";
		r.type = (int)(i % 3);
		r.state = ST_STOPPED;
		r.result = 1 + (int)(i % 3);
		r.creation_us = T0 + i * 1000;
		r.end_us = T0 + 500000;
		struct core_write w = {0};
		assert_int_equal(core_session_create(&w, &r), RC_OK);
	}
	check_totals(&f);
	assert_int_equal(total_of(&f, NULL), N + 4);
	for(unsigned i = 0; i < N; i += 2) {
		struct sess_complete c = {.if_match = -1, .result = (int)(i % RES__COUNT), .is_canceled = i % 6 == 0 ? 1 : -1,
		                          .end_us = T0 + 1000000};
		struct uuid id = mkid(i);
		struct core_write w = {0};
		assert_int_equal(core_session_complete(&w, &id, &c), RC_OK);
	}
	for(unsigned i = 1; i < N; i += 4) {
		struct sess_patch p;
		sess_patch_init(&p, 0);
		p.has_state = 1;
		p.state = ST_PAUSING;
		p.has_progress = 1;
		p.progress = 40;
		struct uuid id = mkid(i);
		struct core_write w = {0};
		assert_int_equal(core_session_patch(&w, &id, &p), RC_OK);
	}
	int stops = 0;
	for(unsigned i = 3; i < N; i += 8, stops++) {
		struct uuid id = mkid(i);
		struct core_write w = {0};
		assert_int_equal(core_session_stop(&w, &id), RC_OK);
	}
	struct fx_edit bad = {.id = mkid(7), .edit = stop_raw, .refuse = RC_CONFLICT};
	assert_int_equal(fx_edit_run(&bad), RC_CONFLICT);
	check_totals(&f);
	assert_int_equal(total_of(&f, q_int(&f.a, QF_STATE, Q_EQ, ST_STOPPED)), N / 2 + 4);
	assert_int_equal(total_of(&f, q_int(&f.a, QF_STATE, Q_EQ, ST_STOPPING)), stops);
	assert_int_equal(total_of(&f, q_int(&f.a, QF_STATE, Q_EQ, ST_PAUSING)), N / 4);
	assert_int_equal(total_of(&f, q_int(&f.a, QF_IS_CANCELED, Q_EQ, 1)), (N + 5) / 6);
	assert_int_equal(total_of(&f, q_int(&f.a, QF_STOP_REQUESTED, Q_EQ, 1)), stops);

	struct core_write p = {0};
	assert_int_equal(core_purge(&p, T0 + 2000000, 7), RC_OK);
	assert_int_equal(p.affected, 7);
	check_totals(&f);
	assert_int_equal(total_of(&f, NULL), N + 4 - 7);

	fx_shut(&f);
	fx_reopen(&f);
	check_totals(&f);
	fx_close(&f);
}

/* ---------- session_names and task_names ---------- */

struct ids {
	struct uuid v[256];
	int n;
};

static int take_sess(void *ctx, const struct sess_rec *r)
{
	struct ids *x = ctx;
	if(x->n < 256)
		x->v[x->n++] = r->id;
	return 0;
}

static int take_task(void *ctx, const struct task_rec *r)
{
	struct ids *x = ctx;
	if(x->n < 256)
		x->v[x->n++] = r->id;
	return 0;
}

static const char *const names[] = {"Backup Job 001", "Backup Job 010", "backup job 100", "Replica 1",
                                    "x_y%z", "xAyBz", "Job 1"};
#define NNAMES ((int)(sizeof(names) / sizeof(names[0])))
static const char *const jobs[] = {NULL, "Backup Job 001", "Nightly", "x_y%z"};
static const char *const patterns[] = {"Backup Job 0*", "*1*", "*Job*", "x_y%z", "x*z", "*_*", "*%*",
                                       "backup*", "Job 1*", "*", "nothing*", "*0"};
#define NPATTERNS ((int)(sizeof(patterns) / sizeof(patterns[0])))

static struct uuid job_uuid(int k)
{
	return fx_id(0x30, (unsigned)k + 1);
}

/* The filters a dialect makes of name, job and type/state/result tests, alone and
 * combined; *n of them into out. */
static int group_filters(struct arena *a, const struct qexpr **out, int tasks)
{
	int n = 0;
	for(int i = 0; i < NPATTERNS; i++) {
		const struct qexpr *m = q_match(a, QF_NAME, patterns[i]);
		out[n++] = m;
		out[n++] = q_and(a, m, q_int(a, QF_STATE, Q_EQ, ST_STOPPED));
		out[n++] = q_and(a, q_int(a, QF_RESULT, Q_NE, RES_SUCCESS), m);
		out[n++] = q_not(a, m);
		/* with a time range: counted as rows unless the name matches no group */
		out[n++] = q_and(a, m, q_int(a, QF_CREATION, Q_GE, T0 + 30000));
		if(!tasks)
			out[n++] = q_or(a, m, q_match(a, QF_JOB_NAME, patterns[i]));
	}
	out[n++] = q_text(a, QF_NAME, Q_EQ, "BACKUP JOB 001");
	out[n++] = q_text(a, QF_NAME, Q_LT, "Backup Job 010");
	if(tasks) {
		out[n++] = q_int(a, QF_TASK_TYPE, Q_EQ, 1);
		out[n++] = q_and(a, q_match(a, QF_NAME, "*1*"), q_int(a, QF_SESSION_TYPE, Q_EQ, 2));
		return n;
	}
	for(int k = 0; k < 3; k++) {
		struct uuid u = job_uuid(k);
		out[n++] = q_uuid(a, QF_JOB_ID, Q_EQ, &u);
		out[n++] = q_and(a, q_uuid(a, QF_JOB_ID, Q_EQ, &u), q_int(a, QF_RESULT, Q_EQ, RES_SUCCESS));
	}
	out[n++] = q_null(a, QF_JOB_ID, 1);
	out[n++] = q_null(a, QF_JOB_NAME, 1);
	out[n++] = q_text(a, QF_JOB_NAME, Q_EQ, "nightly");
	/* the Enterprise Manager JobName form: coalesce(job name, name) == v */
	out[n++] = q_or(a, q_and(a, q_null(a, QF_JOB_NAME, 0), q_text(a, QF_JOB_NAME, Q_EQ, "x_y%z")),
	                q_and(a, q_null(a, QF_JOB_NAME, 1), q_text(a, QF_NAME, Q_EQ, "x_y%z")));
	int types[] = {0, 2};
	out[n++] = q_and(a, q_in_ints(a, QF_TYPE, types, 2), q_match(a, QF_NAME, "Backup*"));
	return n;
}

static int64_t list_total(struct fx *f, const struct qexpr *where, int tasks, struct ids *page, int64_t limit)
{
	struct query q = {.where = where, .limit = limit, .want_total = 1, .order = QO_CREATION};
	int64_t total = -1;
	if(page)
		page->n = 0;
	if(tasks)
		assert_int_equal(f->ops->task_list(f->s, &q, &f->a, page ? take_task : NULL, page, &total), RC_OK);
	else
		assert_int_equal(f->ops->session_list(f->s, &q, &f->a, page ? take_sess : NULL, page, &total), RC_OK);
	return total;
}

static void list_plain(struct fx *f, const struct qexpr *where, int tasks, struct ids *page, int64_t limit)
{
	struct query q = {.where = where, .limit = limit, .order = QO_CREATION};
	page->n = 0;
	if(tasks)
		assert_int_equal(f->ops->task_list(f->s, &q, &f->a, take_task, page, NULL), RC_OK);
	else
		assert_int_equal(f->ops->session_list(f->s, &q, &f->a, take_sess, page, NULL), RC_OK);
}

static void check_groups(struct fx *f, int tasks)
{
	struct arena *a = &f->a;
	const struct qexpr *all_rows = q_int(a, QF_PROGRESS, Q_GE, 0);
	const struct qexpr *filters[128];
	int n = group_filters(a, filters, tasks);
	int nonzero = 0;
	for(int i = 0; i < n; i++) {
		int64_t fast = list_total(f, filters[i], tasks, NULL, 0);
		int64_t slow = list_total(f, rows_counted(a, filters[i], all_rows), tasks, NULL, 0);
		if(fast != slow)
			fail_msg("%s filter %d: total %lld from the groups, %lld counting rows", tasks ? "task" : "session", i,
			         (long long)fast, (long long)slow);
		nonzero += fast > 0;
		/* the first page read with its total is the page read without */
		for(int64_t limit = 1; limit <= 40; limit *= 5) {
			struct ids with, without;
			int64_t t = list_total(f, filters[i], tasks, &with, limit);
			list_plain(f, filters[i], tasks, &without, limit);
			assert_int_equal(t, fast);
			if(with.n != without.n || memcmp(with.v, without.v, sizeof(with.v[0]) * (size_t)with.n))
				fail_msg("%s filter %d, limit %lld: the page read with its total differs (%d rows, %d without)",
				         tasks ? "task" : "session", i, (long long)limit, with.n, without.n);
		}
	}
	assert_true(nonzero > n / 2);   /* the filters do select: most match something */
}

static void rename_job(struct fx_edit *e, struct sess_rec *r)
{
	(void)e;
	r->name = "Job 1";
	r->job_name = NULL;
	r->job_id = job_uuid(2);
	r->type = 2;
}

static void groups_follow_writes(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, &store_sqlite);
	for(unsigned i = 0; i < 90; i++) {
		struct sess_rec r = {0};
		r.id = mkid(i);
		r.name = names[i % NNAMES];
		r.job_name = jobs[i % 4];
		if(i % 5)
			r.job_id = job_uuid((int)(i % 3));
		r.type = (int)(i % 3);
		r.state = ST_WORKING;
		r.creation_us = T0 + i * 1000;
		struct core_write w = {0};
		assert_int_equal(core_session_create(&w, &r), RC_OK);
		for(unsigned t = 0; t < 2 && i % 3 == 0; t++) {
			struct task_rec k = {0};
			k.id = mkid(i);
			k.id.b[1] = (unsigned char)(t + 1);
			k.session_id = r.id;
			k.name = names[(i + t) % NNAMES];
			k.type = (int)(t % 2);
			k.session_type = r.type;
			k.state = ST_WORKING;
			k.creation_us = T0 + i * 1000 + t + 1;
			struct core_write tw = {0};
			assert_int_equal(core_task_create(&tw, &k), RC_OK);
		}
	}
	check_groups(&f, 0);
	check_groups(&f, 1);
	/* completions (a task session's is a rewrite of its row), renames, refused edits */
	for(unsigned i = 0; i < 90; i += 2) {
		if(i % 3 == 0)
			for(unsigned t = 0; t < 2; t++) {
				struct uuid tid = mkid(i);
				tid.b[1] = (unsigned char)(t + 1);
				struct sess_complete c = {.if_match = -1, .result = 1 + (int)((i + t) % 3), .is_canceled = -1,
				                          .end_us = T0 + 900000};
				struct core_write w = {0};
				assert_int_equal(core_task_complete(&w, &tid, &c), RC_OK);
			}
		struct sess_complete c = {.if_match = -1, .result = (int)(i % RES__COUNT), .is_canceled = -1,
		                          .end_us = T0 + 1000000 + i};
		struct uuid id = mkid(i);
		struct core_write w = {0};
		assert_int_equal(core_session_complete(&w, &id, &c), RC_OK);
	}
	for(unsigned i = 1; i < 90; i += 6) {
		struct sess_patch p;
		sess_patch_init(&p, 0);
		p.name = i % 4 == 1 ? "xAyBz" : "Renamed 1";
		struct uuid id = mkid(i);
		struct core_write w = {0};
		assert_int_equal(core_session_patch(&w, &id, &p), RC_OK);
		if(i % 3 == 0) {
			struct uuid tid = id;
			tid.b[1] = 1;
			struct core_write tw = {0};
			assert_int_equal(core_task_patch(&tw, &tid, &p), RC_OK);
		}
	}
	struct fx_edit e1 = {.id = mkid(5), .edit = rename_job};
	assert_int_equal(fx_edit_run(&e1), RC_OK);
	struct fx_edit e2 = {.id = mkid(11), .edit = rename_job, .refuse = RC_CONFLICT};
	assert_int_equal(fx_edit_run(&e2), RC_CONFLICT);
	check_groups(&f, 0);
	check_groups(&f, 1);
	int64_t job1 = 1;   /* the raw edit of session 5 */
	for(unsigned i = 0; i < 90; i++)
		job1 += !strcmp(names[i % NNAMES], "Job 1") && i % 6 != 1;   /* minus the renamed */
	assert_int_equal(list_total(&f, q_match(&f.a, QF_NAME, "Job 1*"), 0, NULL, 0), job1);

	/* retention removes sessions with their task sessions */
	struct core_write p = {0};
	assert_int_equal(core_purge(&p, T0 + 1000000 + 60, 20), RC_OK);
	assert_true(p.affected > 10);
	check_groups(&f, 0);
	check_groups(&f, 1);
	fx_shut(&f);
	fx_reopen(&f);
	check_groups(&f, 0);
	check_groups(&f, 1);
	fx_close(&f);
}

/* ---------- session_days: totals under creation ranges ---------- */

#define DAY 86400000000LL
#define D0 (1700006400000000LL)   /* a UTC midnight */

static void check_days(struct fx *f)
{
	struct arena *a = &f->a;
	const struct qexpr *all_rows = q_int(a, QF_PROGRESS, Q_GE, 0);
	/* bounds on and around midnights and sessions, and far away */
	const int64_t points[] = {D0 - DAY, D0, D0 + 1, D0 + 7 * 3600000000LL, D0 + DAY - 1, D0 + DAY,
	                          D0 + 3 * DAY + 5, D0 + 3 * DAY + 3 * 7 * 3600000000LL + 3000, D0 + 20 * DAY, D0 + 20 * DAY - 1, D0 + 57 * DAY + 1, D0 + 90 * DAY,
	                          0, -5 * DAY - 3000, -5 * DAY - 2999, -5 * DAY};
	const int np = (int)(sizeof(points) / sizeof(points[0]));
	int results[] = {RES_SUCCESS, RES_FAILED};
	const struct qexpr *rests[] = {NULL, q_int(a, QF_TYPE, Q_EQ, 1), q_int(a, QF_STATE, Q_EQ, ST_STOPPED),
	                               q_in_ints(a, QF_RESULT, results, 2),
	                               q_or(a, q_int(a, QF_TYPE, Q_EQ, 2), q_int(a, QF_RESULT, Q_EQ, RES_WARNING))};
	static const enum qop lows[] = {Q_GE, Q_GT}, highs[] = {Q_LE, Q_LT};
	int checked = 0, nonzero = 0;
	for(int i = 0; i < np; i++)
		for(int j = -1; j < np; j++)
			for(int o = 0; o < 2; o++)
				for(size_t r = 0; r < sizeof(rests) / sizeof(rests[0]); r++) {
					const struct qexpr *w = q_int(a, QF_CREATION, lows[o], points[i]);
					if(j >= 0)
						w = q_and(a, w, q_int(a, QF_CREATION, highs[o], points[j]));
					w = q_and(a, rests[r], w);
					int64_t fast = total_of(f, w), slow = total_of(f, rows_counted(a, w, all_rows));
					if(fast != slow)
						fail_msg("creation %s %lld .. %s %lld, rest %d: total %lld by days, %lld counting rows",
						         o ? ">" : ">=", (long long)(points[i] - D0), o ? "<" : "<=",
						         j >= 0 ? (long long)(points[j] - D0) : 0LL, (int)r, (long long)fast,
						         (long long)slow);
					checked++;
					nonzero += fast > 0;
				}
	/* only an upper bound */
	for(int j = 0; j < np; j++) {
		const struct qexpr *w = q_int(a, QF_CREATION, Q_LT, points[j]);
		assert_int_equal(total_of(f, w), total_of(f, rows_counted(a, w, all_rows)));
	}
	assert_true(nonzero > checked / 8);   /* the ranges do select */
	/* end-time ranges (session_end_days), and the pages of sessions ended before a time
	 * (read as a creation range while no session ended before it was created) against the
	 * pages read as written */
	const int64_t ends[] = {D0 + 60 * DAY - 1, D0 + 60 * DAY, D0 + 60 * DAY + 50, D0 + 60 * DAY + 300, D0 + 61 * DAY,
	                        D0 + 2 * DAY, D0 - 2 * DAY, 0, D0 + 3 * DAY + 20, D0 + 10 * DAY};
	const int ne = (int)(sizeof(ends) / sizeof(ends[0]));
	nonzero = 0;
	for(int i = -1; i < ne; i++)
		for(int j = -1; j < ne; j++)
			for(size_t r = 0; r < sizeof(rests) / sizeof(rests[0]); r++) {
				if(i < 0 && j < 0)
					continue;
				const struct qexpr *w = rests[r];
				if(i >= 0)
					w = q_and(a, w, q_int(a, QF_END, i % 2 ? Q_GT : Q_GE, ends[i]));
				if(j >= 0)
					w = q_and(a, w, q_int(a, QF_END, j % 2 ? Q_LT : Q_LE, ends[j]));
				int64_t fast = total_of(f, w), slow = total_of(f, rows_counted(a, w, all_rows));
				if(fast != slow)
					fail_msg("end range %d .. %d, rest %d: total %lld by days, %lld counting rows", i, j, (int)r,
					         (long long)fast, (long long)slow);
				nonzero += fast > 0;
				for(int asc = 0; asc < 2; asc++)
					for(int64_t limit = 1; limit <= 40; limit *= 6) {
						struct ids with, plain;
						struct query q = {.where = w, .limit = limit, .want_total = 1, .order = QO_CREATION, .asc = asc};
						struct query pq = {.where = rows_counted(a, w, all_rows), .limit = limit, .order = QO_CREATION,
						                   .asc = asc};
						int64_t t = -1;
						with.n = plain.n = 0;
						assert_int_equal(f->ops->session_list(f->s, &q, a, take_sess, &with, &t), RC_OK);
						assert_int_equal(f->ops->session_list(f->s, &pq, a, take_sess, &plain, NULL), RC_OK);
						if(with.n != plain.n || memcmp(with.v, plain.v, sizeof(with.v[0]) * (size_t)with.n))
							fail_msg("end range %d .. %d, rest %d, limit %lld: the page differs (%d rows, %d as written)",
							         i, j, (int)r, (long long)limit, with.n, plain.n);
					}
			}
	if(total_of(f, q_null(a, QF_END, 0)) > 0)
		assert_true(nonzero > 10);   /* once sessions ended, the ranges do select */
}

/* A raw edit of an older release's kind: a session that ended before it was created. */
static void end_early(struct fx_edit *e, struct sess_rec *r)
{
	(void)e;
	r->state = ST_STOPPED;
	r->result = RES_SUCCESS;
	r->end_us = r->creation_us - 3 * DAY;
}

static void move_day(struct fx_edit *e, struct sess_rec *r)
{
	(void)e;
	r->creation_us += 3 * DAY + 17;
	r->type = 2;
}

static void days_follow_writes(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, &store_sqlite);
	for(unsigned i = 0; i < 200; i++) {
		struct sess_rec r = {0};
		r.id = mkid(i);
		r.id.b[2] = (unsigned char)(i >> 8);
		r.name = "daily";
		r.type = (int)(i % 3);
		r.state = ST_WORKING;
		r.creation_us = D0 + (int64_t)i * 7 * 3600000000LL + (i % 4 == 0 ? 0 : (int64_t)i * 1000);   /* ms: as stored */
		if(i == 199)
			r.creation_us = -5 * DAY - 3000;   /* before 1970: days round down */
		struct core_write w = {0};
		assert_int_equal(core_session_create(&w, &r), RC_OK);
	}
	check_days(&f);
	for(unsigned i = 0; i < 200; i += 3) {
		struct uuid id = mkid(i);
		id.b[2] = (unsigned char)(i >> 8);
		struct sess_complete c = {.if_match = -1, .result = 1 + (int)(i % 3), .is_canceled = -1,
		                          .end_us = D0 + 60 * DAY + i};
		struct core_write w = {0};
		assert_int_equal(core_session_complete(&w, &id, &c), RC_OK);
	}
	struct fx_edit e = {.id = mkid(8), .edit = move_day};
	assert_int_equal(fx_edit_run(&e), RC_OK);
	struct fx_edit early = {.id = mkid(40), .edit = end_early};
	assert_int_equal(fx_edit_run(&early), RC_OK);
	struct fx_edit refused = {.id = mkid(10), .edit = move_day, .refuse = RC_CONFLICT};
	assert_int_equal(fx_edit_run(&refused), RC_CONFLICT);
	check_days(&f);
	struct core_write p = {0};
	assert_int_equal(core_purge(&p, D0 + 60 * DAY + 100, 30), RC_OK);
	assert_true(p.affected > 10);
	check_days(&f);
	fx_shut(&f);
	fx_reopen(&f);
	check_days(&f);
	fx_close(&f);
}

/* ---------- pages and totals read job by job ---------- */

#define NJOBS 240
#define PER_JOB 10

static struct uuid sid(unsigned i)
{
	return fx_id(0x40, i);
}

static const char *job_name(struct arena *a, unsigned k)
{
	return arena_printf(a, "Backup Job %03u", k);
}

/* The filter's total and pages (both orders, several sizes) against its rows counted and
 * its pages read as written (under NOT NOT, which the store reads plainly). */
static void check_by_job(struct fx *f, const struct qexpr *w, const char *what)
{
	struct arena *a = &f->a;
	const struct qexpr *all_rows = q_int(a, QF_PROGRESS, Q_GE, 0), *plain = rows_counted(a, w, all_rows);
	int64_t fast = total_of(f, w), slow = total_of(f, plain);
	if(fast != slow)
		fail_msg("%s: total %lld, %lld counting rows", what, (long long)fast, (long long)slow);
	for(int asc = 0; asc < 2; asc++)
		for(int64_t limit = 3; limit <= 200; limit *= 4)
			for(int with_total = 0; with_total < 2; with_total++) {
				struct ids got, want;
				struct query q = {.where = w, .limit = limit, .want_total = with_total, .order = QO_CREATION, .asc = asc};
				struct query pq = {.where = plain, .limit = limit, .order = QO_CREATION, .asc = asc};
				int64_t t = -1;
				got.n = want.n = 0;
				assert_int_equal(f->ops->session_list(f->s, &q, a, take_sess, &got, with_total ? &t : NULL), RC_OK);
				assert_int_equal(f->ops->session_list(f->s, &pq, a, take_sess, &want, NULL), RC_OK);
				if(got.n != want.n || memcmp(got.v, want.v, sizeof(got.v[0]) * (size_t)got.n))
					fail_msg("%s, limit %lld%s%s: the page differs (%d rows, %d as written)", what, (long long)limit,
					         asc ? ", ascending" : "", with_total ? ", with its total" : "", got.n, want.n);
			}
}

/* The shapes the dialects make of job and name tests with times, flags and results. */
static void check_jobs(struct fx *f)
{
	struct arena *a = &f->a;
	int types[] = {0, 1};
	int64_t t = T0 + (NJOBS * PER_JOB / 2) * 1000LL;
	for(unsigned k = 7; k < NJOBS; k += 53) {
		const char *job = job_name(a, k);
		const struct qexpr *same = q_or(a, q_and(a, q_null(a, QF_JOB_NAME, 0), q_text(a, QF_JOB_NAME, Q_EQ, job)),
		                                q_and(a, q_null(a, QF_JOB_NAME, 1), q_text(a, QF_NAME, Q_EQ, job)));
		const struct qexpr *after = q_or(a, q_and(a, q_null(a, QF_JOB_NAME, 0), q_text(a, QF_JOB_NAME, Q_GT, job)),
		                                 q_and(a, q_null(a, QF_JOB_NAME, 1), q_text(a, QF_NAME, Q_GT, job)));
		const struct qexpr *ty = q_in_ints(a, QF_TYPE, types, 2);
		check_by_job(f, q_and(a, ty, same), "EM JobName==");
		check_by_job(f, q_and(a, ty, q_and(a, q_and(a, same, q_int(a, QF_RESULT, Q_EQ, RES_SUCCESS)),
		                                   q_int(a, QF_CREATION, Q_GE, t))), "EM JobName, Result, CreationTime");
		/* EM Name >= "job@time": the pair (job name, time) */
		check_by_job(f, q_and(a, ty, q_or(a, after, q_and(a, same, q_int(a, QF_CREATION, Q_GE, t)))), "EM Name>=");
		check_by_job(f, q_and(a, same, q_int(a, QF_END, Q_GE, t)), "job and ended after");
	}
	static const char *const pats[] = {"*Job 01*", "*Job 2*", "*Job 1*", "*Renamed*", "*ad-hoc*", "Backup Job 0*"};
	for(size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		const struct qexpr *m = q_match(a, QF_NAME, pats[i]);
		check_by_job(f, m, pats[i]);
		/* Azure Filter: the name or the job name */
		const struct qexpr *either = q_or(a, m, q_match(a, QF_JOB_NAME, pats[i]));
		check_by_job(f, either, "name or job name");
		check_by_job(f, q_and(a, either, q_and(a, q_int(a, QF_IS_CANCELED, Q_EQ, 0),
		                                         q_and(a, q_int(a, QF_RESULT, Q_EQ, RES_SUCCESS),
		                                               q_int(a, QF_CREATION, Q_GE, t)))),
		             "name or job name, status, from");
		check_by_job(f, q_and(a, m, q_and(a, q_int(a, QF_STATE, Q_EQ, ST_STOPPED),
		                                  q_and(a, q_int(a, QF_CREATION, Q_GE, t - 300000),
		                                        q_int(a, QF_CREATION, Q_LE, t + 300000)))),
		             "name, state, window");
		check_by_job(f, q_and(a, m, q_not(a, q_int(a, QF_RESULT, Q_EQ, RES_FAILED))), "name and not failed");
	}
}

static void rename_session(struct fx_edit *e, struct sess_rec *r)
{
	(void)e;
	r->name = "Renamed Job 017";
}

static void jobs_follow_writes(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, &store_sqlite);
	for(unsigned i = 0; i < NJOBS * PER_JOB; i++) {
		unsigned k = i % NJOBS;
		struct sess_rec r = {0};
		r.id = sid(i);
		r.name = job_name(&f.a, k);
		if(k % 11 == 5)
			r.name = "ad-hoc Job 2";   /* sessions of a job under another name */
		if(k % 13 != 3) {
			r.job_id = job_uuid((int)k);
			r.job_name = k % 7 == 2 ? NULL : job_name(&f.a, k);
		} else
			r.job_name = job_name(&f.a, k);   /* no job id */
		r.type = (int)(k % 3);
		r.state = ST_WORKING;
		r.creation_us = T0 + i * 1000LL;
		struct core_write w = {0};
		assert_int_equal(core_session_create(&w, &r), RC_OK);
	}
	for(unsigned i = 0; i < NJOBS * PER_JOB; i += 2) {
		struct sess_complete c = {.if_match = -1, .result = 1 + (int)(i / 2 % 3), .is_canceled = i % 14 == 0 ? 1 : -1,
		                          .end_us = T0 + i * 1000LL + 5000};
		struct uuid id = sid(i);
		struct core_write w = {0};
		assert_int_equal(core_session_complete(&w, &id, &c), RC_OK);
	}
	check_jobs(&f);
	/* a job's session renamed: its job's groups no longer all pass a name test */
	struct fx_edit e = {.id = sid(17 + 3 * NJOBS), .edit = rename_session};
	assert_int_equal(fx_edit_run(&e), RC_OK);
	struct core_write p = {0};
	assert_int_equal(core_purge(&p, T0 + 400000, 100), RC_OK);
	assert_true(p.affected > 50);
	check_jobs(&f);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_follow_writes),
		cmocka_unit_test(groups_follow_writes),
		cmocka_unit_test(days_follow_writes),
		cmocka_unit_test(jobs_follow_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
