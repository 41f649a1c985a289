/* A store on a database file in a fresh temporary directory, for unit tests, with
 * core opened on it (core is a process singleton: one fixture open at a time).
 * fx_open() creates it; fx_shut() closes core (which closes the store after its
 * writer committed what was queued); fx_reopen() opens both again; fx_close()
 * shuts down and removes the directory. Reads may go to f->ops on f->s directly.
 *
 * fx_op is a test-local unit of work for core's writer, for row behaviour that no
 * core verb expresses: its fn runs inside the write transaction with the driver's
 * tx_* operations, exactly as a verb's apply does. */
#ifndef SESSIOND_TESTS_STORE_FIXTURE_H
#define SESSIOND_TESTS_STORE_FIXTURE_H
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "store/store.h"

/* A test's id n (n < 65536) in a family of ids that tag tells apart. */
static inline struct uuid fx_id(unsigned char tag, unsigned n)
{
	struct uuid u = {{0}};
	u.b[0] = tag;
	u.b[14] = (unsigned char)(n >> 8);
	u.b[15] = (unsigned char)n;
	return u;
}

struct fx {
	const struct store_ops *ops;
	struct store *s;
	char dir[128];
	char path[512];             /* the database file, or a PostgreSQL database's URI */
	char pgdb[64];              /* the PostgreSQL database made for this fixture */
	struct arena a;
};

/* PostgreSQL: SESSIOND_TEST_PG names a cluster (scripts/check starts one with
 * tests/pg/cluster); each fixture gets a database of its own, dropped at the end. */
static inline void fx_pg_sql(const char *fmt, const char *name)
{
	PGconn *db = PQconnectdb(getenv("SESSIOND_TEST_PG"));
	char sql[160];
	snprintf(sql, sizeof(sql), fmt, name);
	PGresult *r = PQexec(db, sql);
	if(PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(db));
		abort();
	}
	PQclear(r);
	PQfinish(db);
}

static inline void fx_pg_create(struct fx *f)
{
	static int n;
	const char *base = getenv("SESSIOND_TEST_PG");
	const char *q = base ? strchr(base, '?') : NULL;
	if(!q)
		q = base ? base + strlen(base) : "";
	const char *slash = base ? q : NULL;
	while(slash && slash > base && slash[-1] != '/')
		slash--;
	if(!slash || slash == base) {
		fprintf(stderr, "SESSIOND_TEST_PG must be a postgresql:// URI naming a database\n");
		abort();
	}
	snprintf(f->pgdb, sizeof(f->pgdb), "unit_%d_%d", (int)getpid(), ++n);
	fx_pg_sql("CREATE DATABASE %s", f->pgdb);
	snprintf(f->path, sizeof(f->path), "%.*s%s%s", (int)(slash - base), base, f->pgdb, q);
}

static inline void fx_mkdir(struct fx *f)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/sessiond-unit-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if(!mkdtemp(f->dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	if(f->ops == &store_pg)
		fx_pg_create(f);
}

static inline void fx_rmdir(struct fx *f)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[sizeof(f->path) + 16];
	for(size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	if(f->pgdb[0])
		fx_pg_sql("DROP DATABASE %s WITH (FORCE)", f->pgdb);
	f->pgdb[0] = 0;
}

/** Opens (or reopens) the store at f->path and core on it; aborts the test on failure. */
static inline struct store *fx_reopen(struct fx *f)
{
	char err[256] = "";
	enum rc rc = f->ops->open(f->path, &f->s, err, sizeof(err));
	if(rc) {
		fprintf(stderr, "open %s: %s (%s)\n", f->path, rc_name(rc), err);
		abort();
	}
	rc = core_open_store(f->ops, f->s, err, sizeof(err));
	if(rc) {
		fprintf(stderr, "core on %s: %s (%s)\n", f->path, rc_name(rc), err);
		abort();
	}
	return f->s;
}

static inline void fx_open(struct fx *f, const struct store_ops *ops)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	fx_mkdir(f);
	fx_reopen(f);
	arena_init(&f->a);
}

/** Closes core: queued writes commit, the writer stops, the store closes. */
static inline void fx_shut(struct fx *f)
{
	if(f->s)
		core_close();
	f->s = NULL;
}

static inline void fx_close(struct fx *f)
{
	fx_shut(f);
	arena_free(&f->a);
	fx_rmdir(f);
}

/* ---------- test-local units of work ---------- */

struct store_writer *core__writer(void);   /* core's writer (core/core.c) */

struct fx_op {
	struct store_op op;         /* first: the writer hands this back */
	/** Runs in the write transaction; a non-zero rc (message in x->op.err) undoes it. */
	enum rc (*fn)(struct fx_op *x, struct store_tx *tx);
	/** With done set, fx_op_submit queues and done runs on the writer thread after
	 *  the commit; fx_op_run sets its own and waits. */
	void (*done)(struct fx_op *x);
	void *ctx;
	/* private */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
};

static inline enum rc fx_op_apply(struct store_op *op, struct store_tx *tx)
{
	struct fx_op *x = (struct fx_op *)op;
	return x->fn(x, tx);
}

static inline void fx_op_done(struct store_op *op)
{
	struct fx_op *x = (struct fx_op *)op;
	x->done(x);
}

static inline void fx_op_submit(struct fx_op *x)
{
	x->op.apply = fx_op_apply;
	x->op.done = fx_op_done;
	store_writer_submit(core__writer(), &x->op);
}

static inline void fx_op_wake(struct fx_op *x)
{
	pthread_mutex_lock(&x->lock);
	x->finished = 1;
	pthread_cond_signal(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

/** Runs x through core's writer and waits for its commit; returns x->op.rc. */
static inline enum rc fx_op_run(struct fx_op *x)
{
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cond, NULL);
	x->finished = 0;
	x->done = fx_op_wake;
	fx_op_submit(x);
	pthread_mutex_lock(&x->lock);
	while(!x->finished)
		pthread_cond_wait(&x->cond, &x->lock);
	pthread_mutex_unlock(&x->lock);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->cond);
	return x->op.rc;
}

/* A raw session edit: loads the row, lets edit change any field, gives it the next usn
 * and stores it; then, if refuse is set, fails with it (after writing: the writer must
 * undo the row, the usn and whatever triggers did). */
struct fx_edit {
	struct fx_op x;
	struct uuid id;
	void (*edit)(struct fx_edit *e, struct sess_rec *r);
	void *ctx;
	enum rc refuse;
	int calls;                  /* how often edit ran */
	int64_t seen_usn;           /* the usn of the row as loaded */
	int64_t usn;                /* the usn given */
};

static inline enum rc fx_edit_fn(struct fx_op *x, struct store_tx *tx)
{
	struct fx_edit *e = (struct fx_edit *)x;
	struct sess_rec r;
	enum rc rc = tx->ops->tx_session_load(tx->s, &e->id, tx->a, &r);
	if(rc) {
		snprintf(x->op.err, sizeof(x->op.err), "load: %s", rc_name(rc));
		return rc;
	}
	struct sess_rec old = r;
	e->calls++;
	e->seen_usn = r.usn;
	if(e->edit)
		e->edit(e, &r);
	if((rc = tx->ops->tx_usn_next(tx->s, &r.usn)) || (rc = tx->ops->tx_session_update(tx->s, &old, &r))) {
		snprintf(x->op.err, sizeof(x->op.err), "update: %s", tx->ops->tx_error(tx->s));
		return rc;
	}
	if(e->refuse) {
		snprintf(x->op.err, sizeof(x->op.err), "refused by test");
		return e->refuse;
	}
	e->usn = r.usn;
	return RC_OK;
}

/** Runs a raw edit of session id (see struct fx_edit); returns its rc. */
static inline enum rc fx_edit_run(struct fx_edit *e)
{
	e->x.fn = fx_edit_fn;
	e->usn = 0;
	return fx_op_run(&e->x);
}

/* A raw session insert: the row exactly as given (no defaults, no rules), with the next usn. */
struct fx_insert {
	struct fx_op x;
	struct sess_rec r;
	int64_t usn;
};

static inline enum rc fx_insert_fn(struct fx_op *x, struct store_tx *tx)
{
	struct fx_insert *in = (struct fx_insert *)x;
	struct sess_rec r = in->r;
	enum rc rc;
	if((rc = tx->ops->tx_usn_next(tx->s, &r.usn)) || (rc = tx->ops->tx_session_insert(tx->s, &r))) {
		snprintf(x->op.err, sizeof(x->op.err), "insert: %s", tx->ops->tx_error(tx->s));
		return rc;
	}
	in->usn = r.usn;
	return RC_OK;
}

static inline enum rc fx_insert_run(struct fx_insert *in)
{
	in->x.fn = fx_insert_fn;
	return fx_op_run(&in->x);
}

#endif
