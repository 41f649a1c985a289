/* List totals under type/state/result filters come from the session_counts table
 * that triggers keep (src/store/store_sql.c, migration 2). These cases compare them,
 * after creates, updates, stops, purges and a reopen, with totals that the same
 * filter gives when it also tests another column, which counts the rows themselves. */
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
	for(int i = 0; i < n; i++) {
		int64_t fast = total_of(f, filters[i]);
		int64_t slow = total_of(f, q_and(a, filters[i], all_rows));
		if(fast != slow)
			fail_msg("filter %d: total %lld from session_counts, %lld counting rows", i, (long long)fast,
			         (long long)slow);
	}
}

static struct uuid mkid(unsigned n)
{
	struct uuid u = {{0}};
	u.b[0] = 0x20;
	u.b[15] = (unsigned char)n;
	return u;
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
		struct sess_complete c = {.if_match = -1, .result = (int)(i % RES__COUNT), .is_canceled = -1,
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_follow_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
