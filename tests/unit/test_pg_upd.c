/* PostgreSQL only (SESSIOND_TEST_PG names a cluster; without it nothing runs): the
 * progress updates of a pipelined batch, gathered into one statement (store/pg_upd.c).
 * - they store every column as the ordinary way would (texts with quotes, braces and
 *   backslashes, NULLs, ids), in one statement, without running the batch again;
 * - writes of other sessions (a state change, an insert) pass them; a second write of a
 *   session loads what the first is to store and replaces it; usns stay in a row. */
#include "pg_unit.h"

/* ---------- a batch's kept updates, gathered into one statement ---------- */

static void every(const struct pop *x, struct sess_rec *r)
{
	r->progress = 40 + x->add;
	r->name = "a \"quoted\", {braced} \\ name";
	r->message = x->add ? "message \u00e9t\u00e9" : NULL;
	r->extra = "{\"k\": [1, \"two\"]}";
	r->job_name = x->add ? NULL : "job";
	r->parent_id = x->add ? (struct uuid){{0}} : pid(77);
	r->resource_id = pid(78);
	r->end_us = x->add ? 0 : 1700000000123456LL;
	r->lease_us = x->add ? 1700000009000000LL : 0;
	r->heartbeat_s = 30 + x->add;
	r->is_retry = 1;
}

static enum rc f_every(struct pop *x, struct store_tx *tx)
{
	return p_update(x, tx, every);
}

static void to_state_2(const struct pop *x, struct sess_rec *r)
{
	(void)x;
	r->state = 2;
}

/* Loads the session and changes its state (not gathered: session_counts counts it). */
static enum rc f_state(struct pop *x, struct store_tx *tx)
{
	return p_update(x, tx, to_state_2);
}

static void test_gathered_updates(void **state)
{
	struct store_writer *w;
	struct store *s = seeded(&w, 3);
	struct arena a;
	arena_init(&a);
	int64_t redos = s->redos, gathered = s->upd_sent;
	struct pop every[2] = {{.fn = f_every, .id = pid(1), .add = 0}, {.fn = f_every, .id = pid(2), .add = 1}};
	run_batch(w, every, 2);
	assert_int_equal(every[0].op.rc, RC_OK);
	assert_int_equal(every[1].op.rc, RC_OK);
	assert_int_equal(s->redos, redos);             /* as sent, */
	assert_int_equal(s->upd_sent, gathered + 2);   /* in one statement */
	for(unsigned n = 1; n <= 2; n++) {
		struct sess_rec r = get(s, &a, n, RC_OK);
		int odd = n == 2;
		assert_int_equal(r.usn, every[n - 1].usn);
		assert_int_equal(r.progress, 40 + odd);
		assert_string_equal(r.name, "a \"quoted\", {braced} \\ name");
		if(odd)
			assert_string_equal(r.message, "message \u00e9t\u00e9");
		else
			assert_null(r.message);
		assert_string_equal(r.extra, "{\"k\": [1, \"two\"]}");
		if(odd)
			assert_null(r.job_name);
		else
			assert_string_equal(r.job_name, "job");
		struct uuid parent = pid(77), res = pid(78);
		assert_true(odd ? uuid_is_nil(&r.parent_id) : uuid_eq(&r.parent_id, &parent));
		assert_true(uuid_eq(&r.resource_id, &res));
		assert_int_equal(r.end_us, odd ? 0 : 1700000000123456LL);
		assert_int_equal(r.lease_us, odd ? 1700000009000000LL : 0);
		assert_int_equal(r.heartbeat_s, 30 + odd);
		assert_int_equal(r.is_retry, 1);
		assert_int_equal(r.state, 1);
	}
	/* Writes of other sessions pass the gathered updates; a second write of a gathered
	 * session loads it from them and replaces it there: one statement, of 1 and 3 */
	int64_t stmts = s->upd_stmts;
	gathered = s->upd_sent;
	struct pop mixed[5] = {
		{.fn = f_bump, .id = pid(1), .add = 1}, {.fn = f_state, .id = pid(2)}, {.fn = f_insert, .id = pid(5)},
		{.fn = f_bump, .id = pid(3), .add = 3}, {.fn = f_bump, .id = pid(1), .add = 1},
	};
	run_batch(w, mixed, 5);
	for(int i = 0; i < 5; i++)
		assert_int_equal(mixed[i].op.rc, RC_OK);
	assert_int_equal(s->redos, redos);
	assert_int_equal(s->upd_sent, gathered + 2);
	assert_int_equal(s->upd_stmts, stmts + 1);
	for(int i = 1; i < 5; i++)
		assert_int_equal(mixed[i].usn, mixed[i - 1].usn + 1);
	assert_int_equal(get(s, &a, 1, RC_OK).progress, 42);
	assert_int_equal(get(s, &a, 2, RC_OK).state, 2);
	assert_int_equal(get(s, &a, 3, RC_OK).progress, 3);
	assert_int_equal(get(s, &a, 5, RC_OK).usn, mixed[2].usn);
	assert_int_equal(one("SELECT sum(n) FROM session_counts WHERE state = 2"), 1);
	assert_int_equal(one("SELECT count(*) FROM sessions s JOIN session_changes c ON c.sid = s.id AND c.seq = s.usn"), 4);
	assert_int_equal(one("SELECT count(*) FROM session_changes"), 4);
	store_writer_stop(w);
	arena_free(&a);
	store_pg.close(s);
}

int main(void)
{
	const char *pg = getenv("SESSIOND_TEST_PG");
	if(!pg || !pg[0]) {
		fprintf(stderr, "test_pg_upd: no SESSIOND_TEST_PG, PostgreSQL cases not run\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gathered_updates, setup, teardown),
	};
	return cmocka_run_group_tests_name("store_pg_upd", tests, NULL, NULL);
}
