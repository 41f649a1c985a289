/* Query plans SQLite picks for list queries that run unasked (store/sqlgen.c over the
 * schema of store/store_sql.c): they must find their few rows through an index that
 * serves the filter, not walk every session in the order's index; a usn range still
 * reads the usn index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/catalog.h"
#include "model/query.h"
#include "store/sqlgen.h"
#include "store/store.h"
#include "store/store_sql.h"

/* as store/sqlite.c's */
static const struct sqlgen_dialect dialect = {.dollar = 0, .like = "LIKE", .text_eq = " COLLATE NOCASE",
                                             .unary_plus = 1};

static char dir[64], path[128];

/* The query plan's lines for q over the sessions, joined by "; ". */
static void plan(const struct query *q, char *out, size_t len)
{
	struct arena a;
	arena_init(&a);
	struct sqlgen g;
	sqlgen_init(&g, &dialect, &store_sql_sessions_grouped, q, &a);
	struct buf text;
	buf_init(&text, 1 << 16);
	buf_addstr(&text, "EXPLAIN QUERY PLAN ");
	sqlgen_page(&g, q, -1, &text);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	if(sqlite3_prepare_v2(db, buf_cstr(&text), -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", buf_cstr(&text), sqlite3_errmsg(db));
	out[0] = 0;
	while(sqlite3_step(st) == SQLITE_ROW) {
		size_t n = strlen(out);
		snprintf(out + n, len - n, "%s%s", n ? "; " : "", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	buf_free(&text);
	sqlgen_free(&g);
	arena_free(&a);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sessiond-plans.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.db", dir);
	struct store *s;
	char err[256];
	assert_int_equal(store_sqlite.open(path, &s, err, sizeof(err)), RC_OK);   /* the schema, migrated */
	store_sqlite.close(s);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[160];
	for(const char *ext = ""; ext; ext = !*ext ? "-wal" : !strcmp(ext, "-wal") ? "-shm" : NULL) {
		snprintf(p, sizeof(p), "%s%s", path, ext);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

/* q's plan (printed, labelled what) reads the index named index and has no step containing
 * never ("SCAN": no walk of a table or index; "TEMP B-TREE": no sort). */
static void expect_plan(const char *what, const struct query *q, const char *index, const char *never)
{
	char p[1024];
	plan(q, p, sizeof(p));
	printf("%s: %s\n", what, p);
	assert_non_null(strstr(p, index));
	assert_null(strstr(p, never));
}

/* core/lease.c's sweep, every 5 s: running sessions whose lease lapsed, oldest usn first */
static void test_lease_sweep_reads_the_lease_index(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	const struct qexpr *where = q_and(&a, q_int(&a, QF_LEASE, Q_LT, 1700000000000000LL),
	                                  q_running(&a, QF_STATE));
	struct query q = {.where = where, .order = QO_USN, .asc = 1, .limit = 100};
	expect_plan("lease sweep", &q, "sessions_lease", "SCAN");
	arena_free(&a);
}

/* core/alerts.c at start: every running session, by usn */
static void test_running_sessions_read_the_state_index(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct query q = {.where = q_running(&a, QF_STATE), .order = QO_USN, .asc = 1, .limit = -1};
	expect_plan("running sessions", &q, "sessions_state", "SCAN");
	arena_free(&a);
}

/* the alerts' passes: the sessions changed in a usn range, by usn: the usn index, unsorted,
 * also when only running ones are asked for */
static void test_usn_range_reads_the_usn_index(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	const struct qexpr *range = q_and(&a, q_int(&a, QF_USN, Q_GT, 5), q_int(&a, QF_USN, Q_LE, 900));
	struct query q = {.where = range, .order = QO_USN, .asc = 1, .limit = 100};
	expect_plan("usn range", &q, "sessions_usn", "TEMP B-TREE");
	q.where = q_and(&a, range, q_running(&a, QF_STATE));
	expect_plan("usn range, running", &q, "sessions_usn", "TEMP B-TREE");
	arena_free(&a);
}

/* the same order without a lease test still reads the usn index, unsorted */
static void test_usn_order_alone_reads_the_usn_index(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct query q = {.where = q_int(&a, QF_USN, Q_GT, 5), .order = QO_USN, .asc = 1, .limit = 100};
	expect_plan("usn order", &q, "sessions_usn", "TEMP B-TREE");
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lease_sweep_reads_the_lease_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_running_sessions_read_the_state_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usn_range_reads_the_usn_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usn_order_alone_reads_the_usn_index, setup, teardown),
	};
	return cmocka_run_group_tests_name("sqlite_plans", tests, NULL, NULL);
}
