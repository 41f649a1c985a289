/* Helpers of the PostgreSQL unit tests (test_pg.c, test_pg_upd.c): a fresh database for
 * each test on the cluster SESSIOND_TEST_PG names, and ops run by a writer as one batch. */
#ifndef SESSIOND_TESTS_PG_UNIT_H
#define SESSIOND_TESTS_PG_UNIT_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/pg.h"
#include "store/store.h"

static char uri[512], dbname[64];   /* the test's database */

static inline void sql(const char *u, const char *text)
{
	PGconn *db = PQconnectdb(u);
	PGresult *r = PQexec(db, text);
	if(PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", text, PQerrorMessage(db));
	PQclear(r);
	PQfinish(db);
}

static inline int64_t one(const char *text)
{
	PGconn *db = PQconnectdb(uri);
	PGresult *r = PQexec(db, text);
	int64_t v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
	PQclear(r);
	PQfinish(db);
	return v;
}

/* A fresh database for each test: uri names it. */
static inline int setup(void **state)
{
	static int n;
	const char *base = getenv("SESSIOND_TEST_PG");
	const char *q = strchr(base, '?');
	if(!q)
		q = base + strlen(base);
	const char *slash = q;
	while(slash > base && slash[-1] != '/')
		slash--;
	snprintf(dbname, sizeof(dbname), "pgunit_%d_%d", (int)getpid(), ++n);
	char text[128];
	snprintf(text, sizeof(text), "CREATE DATABASE %s", dbname);
	sql(base, text);
	snprintf(uri, sizeof(uri), "%.*s%s%s", (int)(slash - base), base, dbname, q);
	return 0;
}

static inline int teardown(void **state)
{
	char text[128];
	snprintf(text, sizeof(text), "DROP DATABASE %s WITH (FORCE)", dbname);
	sql(getenv("SESSIOND_TEST_PG"), text);
	return 0;
}

static inline struct store *open_store(void)
{
	struct store *s = NULL;
	char err[256] = "";
	if(store_pg.open(uri, &s, err, sizeof(err)))
		fail_msg("open %s: %s", uri, err);
	return s;
}

/* ---------- pipelined batches ---------- */

/* An op of the tests below: fn does its work in the transaction. */
struct pop {
	struct store_op op;
	enum rc (*fn)(struct pop *x, struct store_tx *tx);
	struct uuid id;
	const char *name;           /* a new name (bump), NULL: kept */
	int add;                    /* added to the progress (bump) */
	int64_t usn;                /* the usn it gave */
	sem_t *entered, *release;   /* gate */
	sem_t done;
};

static inline enum rc pop_apply(struct store_op *op, struct store_tx *tx)
{
	struct pop *x = (struct pop *)op;
	return x->fn(x, tx);
}

static inline void pop_done(struct store_op *op)
{
	sem_post(&((struct pop *)op)->done);
}

static inline struct uuid pid(unsigned n)
{
	struct uuid u = {{0}};
	memcpy(u.b, &n, sizeof(n));
	u.b[15] = 7;
	return u;
}

static inline struct sess_rec psess(const struct uuid *id)
{
	return (struct sess_rec){.id = *id, .name = "piped", .state = 1, .creation_us = 1700000000000000LL};
}

/* Holds the writer in its batch until released: what is submitted meanwhile is the next batch. */
static inline enum rc f_gate(struct pop *x, struct store_tx *tx)
{
	sem_post(x->entered);
	sem_wait(x->release);
	return RC_OK;
}

static inline enum rc f_insert(struct pop *x, struct store_tx *tx)
{
	struct sess_rec r = psess(&x->id);
	enum rc rc = tx->ops->tx_usn_next(tx->s, &r.usn);
	if(!rc)
		rc = tx->ops->tx_session_insert(tx->s, &r);
	x->usn = rc ? 0 : r.usn;
	return rc;
}

/* Loads x's session, lets change alter it, stores it under a new usn (x->usn: that usn, 0
 * when refused). */
static inline enum rc p_update(struct pop *x, struct store_tx *tx, void (*change)(const struct pop *, struct sess_rec *))
{
	struct sess_rec r;
	enum rc rc = tx->ops->tx_session_load(tx->s, &x->id, tx->a, &r);
	if(rc)
		return rc;
	struct sess_rec old = r;
	change(x, &r);
	if(!(rc = tx->ops->tx_usn_next(tx->s, &r.usn)))
		rc = tx->ops->tx_session_update(tx->s, &old, &r);
	x->usn = rc ? 0 : r.usn;
	return rc;
}

static inline void bump(const struct pop *x, struct sess_rec *r)
{
	r->progress += x->add;
	if(x->name)
		r->name = x->name;
}

/* Loads the session, adds to its progress (renames it), stores it under a new usn. */
static inline enum rc f_bump(struct pop *x, struct store_tx *tx)
{
	return p_update(x, tx, bump);
}

/* Runs ops as one batch of w (after a gate holding the writer) and waits for them all. */
static inline void run_batch(struct store_writer *w, struct pop *ops, int n)
{
	sem_t entered, release;
	sem_init(&entered, 0, 0);
	sem_init(&release, 0, 0);
	struct pop gate = {.fn = f_gate, .entered = &entered, .release = &release};
	struct pop *all[17] = {&gate};
	assert_true(n < 17);
	for(int i = 0; i <= n; i++) {
		struct pop *x = i ? &ops[i - 1] : &gate;
		all[i] = x;
		x->op.apply = pop_apply;
		x->op.done = pop_done;
		x->op.key = x->id;
		sem_init(&x->done, 0, 0);
		store_writer_submit(w, &x->op);
		if(!i)
			sem_wait(&entered);
	}
	sem_post(&release);
	for(int i = 0; i <= n; i++) {
		sem_wait(&all[i]->done);
		sem_destroy(&all[i]->done);
	}
	assert_int_equal(gate.op.rc, RC_OK);
	sem_destroy(&entered);
	sem_destroy(&release);
}

/* A store with its writer and sessions pid(1)..pid(n) in it, each insert asserted. */
static inline struct store *seeded(struct store_writer **w, int n)
{
	struct store *s = open_store();
	assert_int_equal(store_writer_start(&store_pg, s, NULL, w), RC_OK);
	struct pop seed[16];
	assert_true(n <= 16);
	for(int i = 0; i < n; i++)
		seed[i] = (struct pop){.fn = f_insert, .id = pid((unsigned)i + 1)};
	run_batch(*w, seed, n);
	for(int i = 0; i < n; i++)
		assert_int_equal(seed[i].op.rc, RC_OK);
	return s;
}

static inline struct sess_rec get(struct store *s, struct arena *a, unsigned n, enum rc want)
{
	struct sess_rec r = {0};
	struct uuid id = pid(n);
	assert_int_equal(store_pg.session_get(s, &id, a, &r), want);
	return r;
}

#endif
