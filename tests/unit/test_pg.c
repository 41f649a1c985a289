/* PostgreSQL only (SESSIOND_TEST_PG names a cluster; without it nothing runs):
 * two stores on one database, as two sessiond instances have them.
 * - usn order: writers on both stores insert sessions as fast as they can while a
 *   reader checks, snapshot after snapshot, that the usns it sees are exactly 1..n
 *   (no usn is visible before a smaller one, none repeats, none is skipped);
 * - watch: a commit on one store reaches the other's watch callback;
 * - migrations: a fresh database reaches the last schema version, a reopen changes
 *   nothing, a database newer than this build is refused; migration 7 on a database of
 *   schema 6 keeps the change feed exact, and progress updates become HOT updates;
 * - pipelined batches: a batch's writes sent ahead commit as the ordinary way would, and
 *   one bad write (refused by the server, or an op that fails after it wrote, or a taken
 *   id) refuses only itself: the batch runs again the ordinary way (test_pg_upd.c: the
 *   progress updates a batch gathers into one statement). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg_unit.h"
#include "store/pg.h"
#include "store/store.h"
#include "util/timefmt.h"

/* ---------- usn order across two stores ---------- */

struct ins {
	struct store_op op;
	struct sess_rec r;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static enum rc ins_apply(struct store_op *op, struct store_tx *tx)
{
	struct ins *x = (struct ins *)op;
	enum rc rc = tx->ops->tx_usn_next(tx->s, &x->r.usn);
	return rc ? rc : tx->ops->tx_session_insert(tx->s, &x->r);
}

static void ins_done(struct store_op *op)
{
	struct ins *x = (struct ins *)op;
	pthread_mutex_lock(&x->lock);
	x->done = 1;
	pthread_cond_signal(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

struct writer_arg {
	struct store_writer *w;
	int base, n;
	int64_t max_usn;            /* the highest usn its inserts got */
};

static void *writer_main(void *p)
{
	struct writer_arg *a = p;
	for(int i = 0; i < a->n; i++) {
		struct ins x = {.op = {.apply = ins_apply, .done = ins_done}};
		pthread_mutex_init(&x.lock, NULL);
		pthread_cond_init(&x.cond, NULL);
		unsigned id = (unsigned)(a->base + i);
		memcpy(x.r.id.b, &id, sizeof(id));
		x.r.id.b[15] = 1;
		x.r.name = "ordered";
		x.r.state = 1;
		x.r.creation_us = 1700000000000000LL + id;
		store_writer_submit(a->w, &x.op);
		pthread_mutex_lock(&x.lock);
		while(!x.done)
			pthread_cond_wait(&x.cond, &x.lock);
		pthread_mutex_unlock(&x.lock);
		assert_int_equal(x.op.rc, RC_OK);
		if(x.r.usn > a->max_usn)
			a->max_usn = x.r.usn;
		pthread_mutex_destroy(&x.lock);
		pthread_cond_destroy(&x.cond);
	}
	return NULL;
}

static int stop_reader;

/* Snapshot after snapshot: the usns visible are exactly 1..count. */
static void *reader_main(void *p)
{
	long *bad = p;
	PGconn *db = PQconnectdb(uri);
	while(!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
		PGresult *r = PQexec(db, "SELECT count(*), coalesce(max(usn),0), count(DISTINCT usn) FROM sessions");
		if(PQresultStatus(r) == PGRES_TUPLES_OK) {
			long n = atol(PQgetvalue(r, 0, 0)), max = atol(PQgetvalue(r, 0, 1)), distinct = atol(PQgetvalue(r, 0, 2));
			if(n != max || n != distinct)
				(*bad)++;
		}
		PQclear(r);
	}
	PQfinish(db);
	return NULL;
}

static int64_t heard_usn;

static void on_usn(int64_t usn)
{
	__atomic_store_n(&heard_usn, usn, __ATOMIC_RELEASE);
}

static void test_usn_order_across_instances(void **state)
{
	struct store *a = open_store(), *b = open_store();
	struct store_writer *wa, *wb;
	assert_int_equal(store_writer_start(&store_pg, a, NULL, &wa), RC_OK);
	assert_int_equal(store_writer_start(&store_pg, b, NULL, &wb), RC_OK);
	store_pg.watch(b, on_usn);
	enum { PER = 150, THREADS = 3 };
	struct writer_arg args[2 * THREADS];
	pthread_t th[2 * THREADS], rd;
	long bad = 0;
	stop_reader = 0;
	pthread_create(&rd, NULL, reader_main, &bad);
	int64_t t0 = time_now_us();
	for(int i = 0; i < 2 * THREADS; i++) {
		args[i] = (struct writer_arg){.w = i % 2 ? wb : wa, .base = i * PER, .n = PER};
		pthread_create(&th[i], NULL, writer_main, &args[i]);
	}
	for(int i = 0; i < 2 * THREADS; i++)
		pthread_join(th[i], NULL);
	int64_t took = time_now_us() - t0;
	__atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
	pthread_join(rd, NULL);
	print_message("usn order: %d inserts through 2 stores in %.2f s (%.0f/s)\n", 2 * THREADS * PER,
	              (double)took / 1e6, 2 * THREADS * PER / ((double)took / 1e6));
	assert_int_equal(bad, 0);
	assert_int_equal(one("SELECT count(*) FROM sessions"), 2 * THREADS * PER);
	assert_int_equal(one("SELECT max(usn) FROM sessions"), 2 * THREADS * PER);
	/* B knows the newest usn, and heard A's newest through the listener (B's own commits
	 * raise B's usn at once, so only A's can be heard as news) */
	int64_t a_max = 0;
	for(int i = 0; i < 2 * THREADS; i += 2)
		a_max = args[i].max_usn > a_max ? args[i].max_usn : a_max;
	for(int i = 0; i < 250 && __atomic_load_n(&heard_usn, __ATOMIC_ACQUIRE) < a_max; i++)
		usleep(20000);
	for(int i = 0; i < 250 && store_pg.usn_current(b) < 2 * THREADS * PER; i++)
		usleep(20000);
	assert_int_equal(store_pg.usn_current(b), 2 * THREADS * PER);
	assert_true(__atomic_load_n(&heard_usn, __ATOMIC_ACQUIRE) >= a_max);
	store_writer_stop(wa);
	store_writer_stop(wb);
	store_pg.close(a);
	store_pg.close(b);
}

/* ---------- watch: one commit, heard by the other store ---------- */

static void test_watch_hears_the_other_store(void **state)
{
	struct store *a = open_store(), *b = open_store();
	heard_usn = 0;
	store_pg.watch(b, on_usn);
	usleep(200000);   /* the listener is listening */
	struct store_writer *wa;
	assert_int_equal(store_writer_start(&store_pg, a, NULL, &wa), RC_OK);
	struct writer_arg arg = {.w = wa, .base = 1, .n = 1};
	int64_t t0 = time_now_us();
	writer_main(&arg);
	while(__atomic_load_n(&heard_usn, __ATOMIC_ACQUIRE) < 1 && time_now_us() - t0 < 5000000)
		usleep(1000);
	print_message("watch: heard after %.1f ms\n", (double)(time_now_us() - t0) / 1e3);
	assert_int_equal(__atomic_load_n(&heard_usn, __ATOMIC_ACQUIRE), 1);
	assert_true(time_now_us() - t0 < 1000000);
	store_writer_stop(wa);
	store_pg.close(a);
	store_pg.close(b);
}

/* ---------- retention: whole months go at once ---------- */

struct drop_op {
	struct store_op op;
	int64_t cutoff, n;
	int phase;                  /* 0: insert the rows, 1: drop */
};

#define JAN2020 1577836800000000LL
#define FEB2020 1580515200000000LL
#define DAY 86400000000LL

static enum rc drop_apply(struct store_op *op, struct store_tx *tx)
{
	struct drop_op *d = (struct drop_op *)op;
	const struct store_ops *o = tx->ops;
	struct store *s = tx->s;
	enum rc rc = RC_OK;
	if(d->phase == 1)
		return o->tx_sessions_drop_ended(s, d->cutoff, &d->n);
	for(unsigned i = 0; i < 20 && !rc; i++) {
		struct sess_rec r = {.name = "month", .state = 3, .result = 1};
		r.id.b[0] = 0x20;
		r.id.b[15] = (unsigned char)(i + 1);
		/* ten in January 2020, all ended; ten in February, one of them still running */
		r.creation_us = (i < 10 ? JAN2020 : FEB2020) + (int64_t)i * DAY;
		r.end_us = i == 15 ? 0 : r.creation_us + DAY;
		if(!r.end_us)
			r.state = 1, r.result = 0;
		struct task_rec t = {.name = "task", .session_id = r.id, .creation_us = r.creation_us, .state = 3};
		t.id = r.id;
		t.id.b[0] = 0x21;
		struct log_rec l = {.owner = t.id, .id = 1, .title = "step", .start_us = 1, .update_us = 1};
		struct log_rec sl = {.owner = r.id, .id = 1, .title = "step", .start_us = 1, .update_us = 1};
		if(!(rc = o->tx_usn_next(s, &r.usn)) && !(rc = o->tx_session_insert(s, &r)) &&
		   !(rc = o->tx_task_insert(s, &t)) && !(rc = o->tx_log_insert(s, &l)))
			rc = o->tx_log_insert(s, &sl);
	}
	return rc;
}

static void drop_done(struct store_op *op)
{
	(void)op;
}

static void test_retention_drops_whole_months(void **state)
{
	struct store *s = open_store();
	struct store_writer *w;
	assert_int_equal(store_writer_start(&store_pg, s, NULL, &w), RC_OK);
	struct drop_op d = {.op = {.apply = drop_apply, .done = drop_done}, .cutoff = JAN2020 + 365 * DAY};
	store_writer_submit(w, &d.op);
	store_writer_stop(w);   /* commits what is queued */
	assert_int_equal(d.op.rc, RC_OK);
	assert_int_equal(one("SELECT count(*) FROM pg_inherits WHERE inhparent = 'sessions'::regclass"), 2);
	assert_true(store_writer_start(&store_pg, s, NULL, &w) == RC_OK);
	d.phase = 1;
	store_writer_submit(w, &d.op);
	store_writer_stop(w);
	assert_int_equal(d.op.rc, RC_OK);
	assert_int_equal(d.n, 10);   /* January went whole; February keeps its running session */
	assert_int_equal(one("SELECT count(*) FROM pg_inherits WHERE inhparent = 'sessions'::regclass"), 1);
	assert_int_equal(one("SELECT count(*) FROM sessions"), 10);
	assert_int_equal(one("SELECT count(*) FROM task_sessions"), 10);
	assert_int_equal(one("SELECT count(*) FROM logs"), 20);
	assert_int_equal(one("SELECT sum(n) FROM session_counts"), 10);
	store_pg.close(s);
}

/* ---------- migrations ---------- */

static void test_migrations(void **state)
{
	store_pg.close(open_store());
	int64_t v = one("SELECT version FROM schema_version");
	assert_true(v >= 5);
	int64_t tables = one("SELECT count(*) FROM pg_tables WHERE schemaname='public'");
	store_pg.close(open_store());   /* a reopen migrates nothing */
	assert_int_equal(one("SELECT version FROM schema_version"), v);
	assert_int_equal(one("SELECT count(*) FROM pg_tables WHERE schemaname='public'"), tables);
	char text[96];
	snprintf(text, sizeof(text), "UPDATE schema_version SET version=%lld", (long long)v + 1);
	sql(uri, text);
	struct store *s = NULL;
	char err[256] = "";
	assert_int_equal(store_pg.open(uri, &s, err, sizeof(err)), RC_BACKEND);
	assert_non_null(strstr(err, "newer than this sessiond"));
}

/* Migration 6 on a database at schema 5 with an estate (live objects and tombstones): the
 * totals are counted from what it holds, and writes after keep them. Schema 5 is what the
 * earlier release's migrations made; the later tables are dropped to get back to it. */
/* What migration 7 did, undone: schema 6 as the earlier release made it. */
#define UNDO_7 "DROP TABLE session_changes; CREATE INDEX sessions_usn ON sessions(usn);" \
	"CREATE INDEX sessions_lease ON sessions(lease) WHERE lease IS NOT NULL;" \
	"DO $$ DECLARE p regclass; BEGIN FOR p IN SELECT inhrelid::regclass FROM pg_inherits" \
	" WHERE inhparent = 'sessions'::regclass LOOP EXECUTE format('ALTER TABLE %s RESET (fillfactor)', p);" \
	" END LOOP; END $$; UPDATE schema_version SET version=6;"

static void test_migration_6_counts_the_estate(void **state)
{
	store_pg.close(open_store());
	assert_true(one("SELECT version FROM schema_version") >= 7);
	sql(uri, UNDO_7 "DROP TRIGGER estate_counts_keep ON estate; DROP FUNCTION estate_counts_keep();"
	         "DROP TABLE estate_counts; UPDATE schema_version SET version=5");
	sql(uri, "INSERT INTO estate(kind,id,parent,name,reporter,props,deleted,created,updated,usn) VALUES"
	         " (4,'\\x01','\\x00','r1',NULL,'{}',0,1,1,1), (4,'\\x02',NULL,'r2',NULL,'{}',0,1,1,2),"
	         " (4,'\\x03',NULL,'r3',NULL,'{}',1,1,1,3), (7,'\\x04',NULL,'j',NULL,'{}',0,1,1,4)");
	struct store *s = open_store();
	assert_true(one("SELECT version FROM schema_version") >= 6);
	assert_int_equal(one("SELECT n FROM estate_counts WHERE kind=4"), 2);
	assert_int_equal(one("SELECT n FROM estate_counts WHERE kind=7"), 1);
	/* the trigger keeps them: an undelete, a rewrite, a delete, a new one */
	sql(uri, "UPDATE estate SET deleted=0 WHERE id='\\x03'; UPDATE estate SET name='r2b' WHERE id='\\x02';"
	         "UPDATE estate SET deleted=1 WHERE id='\\x04';"
	         "INSERT INTO estate(kind,id,parent,name,reporter,props,deleted,created,updated,usn)"
	         " VALUES (10,'\\x05',NULL,'p',NULL,'{}',0,1,1,5)");
	assert_int_equal(one("SELECT n FROM estate_counts WHERE kind=4"), 3);
	assert_int_equal(one("SELECT n FROM estate_counts WHERE kind=7"), 0);
	assert_int_equal(one("SELECT n FROM estate_counts WHERE kind=10"), 1);
	sql(uri, "DELETE FROM estate WHERE id='\\x01'");
	assert_int_equal(one("SELECT n FROM estate_counts WHERE kind=4"), 2);
	store_pg.close(s);
}

/* ---------- pipelined batches ---------- */

/* Inserts a session, then fails: its insert must not stay. */
static enum rc f_insert_then_fail(struct pop *x, struct store_tx *tx)
{
	enum rc rc = f_insert(x, tx);
	return rc ? rc : RC_INVALID;
}

static void test_pipelined_batch(void **state)
{
	/* sessions 1..3, then a batch of updates with nothing wrong: it commits as sent */
	struct store_writer *w;
	struct store *s = seeded(&w, 3);
	struct arena a;
	arena_init(&a);
	struct pop clean[4] = {
		{.fn = f_bump, .id = pid(1), .add = 10},
		{.fn = f_bump, .id = pid(1), .add = 5},   /* the same session again: sees the first */
		{.fn = f_bump, .id = pid(404), .add = 1}, /* none such: refused before it wrote */
		{.fn = f_bump, .id = pid(3), .add = 20},
	};
	int64_t redos = s->redos;
	run_batch(w, clean, 4);
	assert_int_equal(clean[0].op.rc, RC_OK);
	assert_int_equal(clean[1].op.rc, RC_OK);
	assert_int_equal(clean[2].op.rc, RC_NOTFOUND);
	assert_int_equal(clean[3].op.rc, RC_OK);
	assert_int_equal(s->redos, redos);   /* nothing made it run again */
	assert_int_equal(get(s, &a, 1, RC_OK).progress, 15);
	assert_int_equal(get(s, &a, 3, RC_OK).progress, 20);
	assert_int_equal(clean[1].usn, clean[0].usn + 1);
	assert_int_equal(clean[3].usn, clean[1].usn + 1);   /* the refused op gave its usn back */
	assert_int_equal(store_pg.usn_current(s), clean[3].usn);
	assert_int_equal(one("SELECT value FROM meta WHERE key='usn'"), clean[3].usn);

	/* Each kind of trouble in its own batch: it makes the batch run again the ordinary
	 * way, it refuses only its own op, and the others commit with usns in a row. */
	/* a write the server refuses (not UTF-8) */
	struct pop refused[3] = {
		{.fn = f_bump, .id = pid(1), .add = 1},
		{.fn = f_bump, .id = pid(2), .add = 1, .name = "bad \xff name"},
		{.fn = f_bump, .id = pid(3), .add = 1},
	};
	run_batch(w, refused, 3);
	assert_int_equal(s->redos, redos + 1);
	assert_int_equal(refused[0].op.rc, RC_OK);
	assert_int_equal(refused[1].op.rc, RC_BACKEND);
	assert_non_null(strstr(refused[1].op.err, "UTF8"));
	assert_int_equal(refused[2].op.rc, RC_OK);
	assert_int_equal(refused[0].usn, clean[3].usn + 1);
	assert_int_equal(refused[2].usn, refused[0].usn + 1);
	struct sess_rec two = get(s, &a, 2, RC_OK);
	assert_string_equal(two.name, "piped");
	assert_int_equal(two.progress, 0);

	/* an op that fails after it wrote */
	struct pop undone[2] = {{.fn = f_insert_then_fail, .id = pid(8)}, {.fn = f_bump, .id = pid(1), .add = 1}};
	run_batch(w, undone, 2);
	assert_int_equal(s->redos, redos + 2);
	assert_int_equal(undone[0].op.rc, RC_INVALID);
	assert_int_equal(undone[1].op.rc, RC_OK);
	assert_int_equal(undone[1].usn, refused[2].usn + 1);
	get(s, &a, 8, RC_NOTFOUND);

	/* an insert of a taken id */
	struct pop taken[3] = {
		{.fn = f_insert, .id = pid(3)},
		{.fn = f_insert, .id = pid(9)},
		{.fn = f_bump, .id = pid(3), .add = 1},
	};
	run_batch(w, taken, 3);
	assert_int_equal(s->redos, redos + 3);
	assert_int_equal(taken[0].op.rc, RC_CONFLICT);
	assert_int_equal(taken[1].op.rc, RC_OK);
	assert_int_equal(taken[2].op.rc, RC_OK);
	assert_int_equal(taken[1].usn, undone[1].usn + 1);
	assert_int_equal(taken[2].usn, taken[1].usn + 1);

	assert_int_equal(get(s, &a, 1, RC_OK).progress, 17);
	assert_int_equal(get(s, &a, 3, RC_OK).progress, 22);
	get(s, &a, 9, RC_OK);
	assert_int_equal(one("SELECT value FROM meta WHERE key='usn'"), taken[2].usn);
	assert_int_equal(store_pg.usn_current(s), taken[2].usn);
	assert_int_equal(one("SELECT count(*) FROM sessions"), 4);
	/* the change feed's rows: one per session, of its usn, whatever ran again */
	assert_int_equal(one("SELECT count(*) FROM session_changes"), 4);
	assert_int_equal(one("SELECT count(*) FROM sessions s JOIN session_changes c ON c.sid = s.id AND c.seq = s.usn"), 4);

	store_writer_stop(w);
	arena_free(&a);
	store_pg.close(s);
}

/* ---------- migration 7: HOT progress updates, the feed from session_changes ---------- */

struct usns {
	int n;
	int64_t usn[16];
	unsigned id[16];
};

static int usns_row(void *ctx, const struct sess_rec *r)
{
	struct usns *u = ctx;
	if(u->n < 16) {
		u->usn[u->n] = r->usn;
		memcpy(&u->id[u->n], r->id.b, sizeof(unsigned));
		u->n++;
	}
	return 0;
}

/* The sessions changed after usn, in usn order, as the change feed reads them. */
static struct usns feed_after(struct store *s, int64_t usn)
{
	struct arena a;
	arena_init(&a);
	struct usns u = {0};
	struct query q = {.where = q_int(&a, QF_USN, Q_GT, usn), .order = QO_USN, .asc = 1, .limit = 100};
	int64_t total = -1;
	assert_int_equal(store_pg.session_list(s, &q, &a, usns_row, &u, &total), RC_OK);
	assert_int_equal(total, u.n);
	arena_free(&a);
	return u;
}

/* Rows of November 2023's partition updated, and of them HOT (*hot): statistics of a
 * connection arrive once it is closed. */
static int64_t tuples_updated(int64_t *hot)
{
	int64_t upd = one("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'sessions_2023_11'");
	*hot = one("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'sessions_2023_11'");
	return upd;
}

static enum rc f_delete(struct pop *x, struct store_tx *tx)
{
	return tx->ops->tx_session_delete(tx->s, &x->id);
}

static void test_migration_7_hot_updates(void **state)
{
	/* schema 6 with sessions in it: written, then migration 7 undone */
	struct store *s = open_store();
	struct store_writer *w;
	assert_int_equal(store_writer_start(&store_pg, s, NULL, &w), RC_OK);
	struct pop seed[4] = {{.fn = f_insert, .id = pid(1)}, {.fn = f_insert, .id = pid(2)}, {.fn = f_insert, .id = pid(3)},
	                      {.fn = f_bump, .id = pid(1), .add = 1}};
	run_batch(w, seed, 4);
	store_writer_stop(w);
	store_pg.close(s);
	int64_t upd0 = 0, hot0 = 0;
	for(int i = 0; i < 100 && (upd0 = tuples_updated(&hot0)) < 1; i++)
		usleep(50000);
	assert_int_equal(upd0, 1);
	sql(uri, UNDO_7);
	assert_int_equal(one("SELECT count(*) FROM pg_indexes WHERE indexname IN ('sessions_usn', 'sessions_lease')"), 2);

	s = open_store();
	assert_int_equal(one("SELECT version FROM schema_version"), 7);
	assert_int_equal(one("SELECT count(*) FROM pg_indexes WHERE indexname IN ('sessions_usn', 'sessions_lease')"), 0);
	assert_int_equal(one("SELECT count(*) FROM pg_class WHERE relname = 'sessions_2023_11'"
	                     " AND 'fillfactor=" PG_SESS_FILLFACTOR "' = ANY(reloptions)"), 1);
	assert_int_equal(one("SELECT count(*) FROM session_changes"), 3);
	/* the feed after the second insert: session 3, then session 1 (its bump) */
	struct usns u = feed_after(s, seed[1].usn);
	assert_int_equal(u.n, 2);
	assert_int_equal(u.id[0], 3);
	assert_int_equal(u.id[1], 1);
	assert_int_equal(u.usn[1], seed[3].usn);
	assert_int_equal(feed_after(s, 0).n, 3);

	/* writes after it: each session keeps one row there, of its usn */
	assert_int_equal(store_writer_start(&store_pg, s, NULL, &w), RC_OK);
	struct pop more[8] = {
		{.fn = f_bump, .id = pid(2), .add = 5},
		{.fn = f_bump, .id = pid(2), .add = 5},   /* twice in one batch */
		{.fn = f_bump, .id = pid(3), .add = 1},
		{.fn = f_insert, .id = pid(4)},
		{.fn = f_delete, .id = pid(1)},
		{.fn = f_insert, .id = pid(5)},           /* made and deleted in one batch */
		{.fn = f_bump, .id = pid(5), .add = 1},
		{.fn = f_delete, .id = pid(5)},
	};
	run_batch(w, more, 8);
	for(int i = 0; i < 8; i++)
		assert_int_equal(more[i].op.rc, RC_OK);
	struct pop bumps[3] = {{.fn = f_bump, .id = pid(2), .add = 1}, {.fn = f_bump, .id = pid(3), .add = 1},
	                       {.fn = f_bump, .id = pid(2), .add = 1}};
	for(int round = 0; round < 10; round++) {
		run_batch(w, bumps, 3);
		for(int i = 0; i < 3; i++)
			assert_int_equal(bumps[i].op.rc, RC_OK);
	}
	store_writer_stop(w);
	assert_int_equal(one("SELECT count(*) FROM session_changes"), 3);
	assert_int_equal(one("SELECT count(*) FROM sessions s JOIN session_changes c ON c.sid = s.id AND c.seq = s.usn"), 3);
	u = feed_after(s, more[3].usn);   /* after the insert of 4: 3 and 2, in the order of their last bumps */
	assert_int_equal(u.n, 2);
	assert_int_equal(u.id[0], 3);
	assert_int_equal(u.usn[0], bumps[1].usn);
	assert_int_equal(u.id[1], 2);
	assert_int_equal(u.usn[1], bumps[2].usn);
	assert_int_equal(feed_after(s, bumps[2].usn).n, 0);
	store_pg.close(s);

	/* the updates since were HOT: no new index entries */
	int64_t upd = 0, hot = 0;
	for(int i = 0; i < 100 && (upd = tuples_updated(&hot)) < upd0 + 23; i++)
		usleep(50000);
	/* 3 of the first batch, 20 of the rounds: two progress updates of one session in a
	 * batch store one row version (store/pg_upd.c) */
	assert_int_equal(upd, upd0 + 23);
	assert_int_equal(hot, hot0 + 23);
}

/* Every required operation of the table is filled: an op added to store.h must be written
 * here too. */
static void test_every_op_set(void **state)
{
	/* tx_savepoint_one is optional and stays unset here: an error aborts a PostgreSQL
	 * transaction, so every op needs its savepoint */
	assert_int_equal(store_ops_missing(&store_pg), -1);
	assert_null(store_pg.tx_savepoint_one);
}

int main(void)
{
	const struct CMUnitTest always[] = {cmocka_unit_test(test_every_op_set)};
	int failed = cmocka_run_group_tests_name("store_pg_table", always, NULL, NULL);
	const char *pg = getenv("SESSIOND_TEST_PG");
	if(!pg || !pg[0]) {
		fprintf(stderr, "test_pg: no SESSIOND_TEST_PG, PostgreSQL cases not run\n");
		return failed;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_6_counts_the_estate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_7_hot_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_hears_the_other_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usn_order_across_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_drops_whole_months, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_batch, setup, teardown),
	};
	return failed + cmocka_run_group_tests_name("store_pg", tests, NULL, NULL);
}
