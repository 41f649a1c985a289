/* The PostgreSQL driver's read path: which connection a read runs on, and reads in
 * pipeline mode.
 *
 * Each thread has a read connection of its own (on the replica with --db-read, else
 * on the primary). With a replica, every read makes sure the replica holds every
 * commit the primary had acknowledged when the read began (read your writes, whichever
 * instance took the write): the primary is asked for its flushed WAL position while
 * the replica's pipeline starts with the position it has replayed, then the read; the
 * answer is used when the replica was past the primary's position. A replica behind is
 * asked again until it catches up (the read runs again there), or for REPLICA_WAIT_US
 * at most (the read runs on the primary); one still short of where a read gave up on it
 * leaves reads to the primary at once (a replica far behind costs one wait, not one per
 * read).
 *
 * A list with its total is BEGIN (a read-only snapshot), the count, the page and
 * COMMIT sent in one pipeline: one round trip, the page streamed row by row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/pg.h"

#define REPLICA_WAIT_US 200000   /* how long a read waits for the replica before the primary serves it */
#define REPLICA_POLL_US 1000     /* how often a replica behind is asked again */

static int res_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A connection that was lost is opened again before it is used. */
static int conn_ready(struct pg_conn *c, const char *uri)
{
	if(c->db && PQstatus(c->db) == CONNECTION_OK)
		return 0;
	char err[256];
	return pg_connect(c, uri, err, sizeof(err));
}

/* A read connection of this thread, linked into the store's list (closed with it). */
static struct pg_conn *conn_new(struct store *s, const char *uri)
{
	struct pg_conn *c = xcalloc(1, sizeof(*c));
	c->store = s;
	conn_ready(c, uri);   /* a failure is kept: the next call tries again */
	pthread_mutex_lock(&s->conns_lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->conns_lock);
	return c;
}

/* ---------- read your writes on a replica ---------- */

/* A WAL position ("16/B374D848") as a number; 0 when NULL (no such position). */
static uint64_t lsn_of(const PGresult *r)
{
	unsigned hi, lo;
	if(!res_ok(r) || PQntuples(r) != 1 || PQgetisnull(r, 0, 0) || sscanf(PQgetvalue(r, 0, 0), "%X/%X", &hi, &lo) != 2)
		return 0;
	return (uint64_t)hi << 32 | lo;
}

/* The answer of the one statement sent on db (its result, then the end of it); -1 when
 * there is none, 0 when the position is NULL. */
static int64_t lsn_read(PGconn *db)
{
	PGresult *r = PQgetResult(db), *more;
	int64_t v = r && res_ok(r) ? (int64_t)lsn_of(r) : -1;
	PQclear(r);
	while((more = PQgetResult(db)))
		PQclear(more);
	return v;
}

static const char PRIMARY_LSN[] = "SELECT pg_current_wal_flush_lsn()";
static const char REPLAYED_LSN[] = "SELECT pg_last_wal_replay_lsn()";

/* Where a read runs whose replica connection c had replayed up to have when the primary
 * had flushed up to want (have < want): c once the replica caught up (asked again every
 * REPLICA_POLL_US), else this thread's connection to the primary. */
static struct pg_conn *fence_wait(struct store *s, struct pg_conn *c, int64_t want, int64_t have)
{
	struct pg_conn *p = c->primary;
	if(!have) {
		/* not a replica (never in recovery): it cannot say what it holds */
		if(!s->not_replica_said) {
			s->not_replica_said = 1;
			fprintf(stderr, "sessiond: --db-read is not a streaming replica (no replayed WAL position): "
			                "reads go to the primary\n");
		}
		return p;
	}
	if(have < __atomic_load_n(&s->replica_missed, __ATOMIC_ACQUIRE)) {
		/* still short of a position it did not reach within a read's wait before: a
		 * replica this far behind does not make each read wait again */
		__atomic_add_fetch(&s->replica_misses, 1, __ATOMIC_RELAXED);
		return p;
	}
	__atomic_add_fetch(&s->replica_waits, 1, __ATOMIC_RELAXED);
	int64_t t0 = mono_us();
	while(have < want) {
		if(mono_us() - t0 >= REPLICA_WAIT_US) {
			__atomic_add_fetch(&s->replica_misses, 1, __ATOMIC_RELAXED);
			int64_t m = __atomic_load_n(&s->replica_missed, __ATOMIC_ACQUIRE);
			while(want > m && !__atomic_compare_exchange_n(&s->replica_missed, &m, want, 0, __ATOMIC_ACQ_REL,
			                                                 __ATOMIC_ACQUIRE))
				;
			return p;
		}
		usleep(REPLICA_POLL_US);
		if(!PQsendQueryParams(c->db, REPLAYED_LSN, 0, NULL, NULL, NULL, NULL, 0) || (have = lsn_read(c->db)) < 0)
			return p;
	}
	return c;
}

/* This thread's connection for a read (pg.h). */
struct pg_conn *pg_reader(struct store *s)
{
	const char *uri = s->read_uri ? s->read_uri : s->uri;
	struct pg_conn *c = pthread_getspecific(s->key);
	if(!c) {
		c = conn_new(s, uri);
		pthread_setspecific(s->key, c);
	}
	/* A read made from a list's callback, while this thread's connection streams the
	 * list, takes a connection of its own (one more per level of nesting). It follows a
	 * read that began earlier, so it needs no new fence when that one streams from the
	 * replica, which only moves forward. */
	int fenced = 0;
	while(c->streaming || (c->primary && c->primary->streaming)) {
		fenced = c->streaming;
		if(!c->nested)
			c->nested = conn_new(s, uri);
		c = c->nested;
	}
	if(conn_ready(c, uri))
		return NULL;
	c->fence_due = s->read_uri && !fenced;
	if(c->fence_due) {
		if(!c->primary)
			c->primary = xcalloc(1, sizeof(*c->primary));
		if(conn_ready(c->primary, s->uri))
			return NULL;   /* the primary cannot say what a read must see: 503 */
	}
	return c;
}

/* ---------- lists ---------- */

/* The name of sql prepared on c as "l<slot>" (into name); -1 when it cannot be. */
int pg_list_prepare(struct pg_conn *c, const char *sql, char name[16])
{
	int i;
	for(i = 0; i < PG_LIST_CACHE; i++)
		if(c->lc[i].sql && !strcmp(c->lc[i].sql, sql))
			break;
	if(i == PG_LIST_CACHE) {
		i = c->lc_next;
		c->lc_next = (i + 1) % PG_LIST_CACHE;
		snprintf(name, 16, "l%d", i);
		if(c->lc[i].sql) {
			char dealloc[32];
			snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", name);
			PQclear(PQexec(c->db, dealloc));
			free(c->lc[i].sql);
			c->lc[i].sql = NULL;
		}
		PGresult *r = PQprepare(c->db, name, sql, 0, NULL);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if(!ok)
			return -1;
		c->lc[i].sql = xstrdup(sql);
	}
	snprintf(name, 16, "l%d", i);
	return 0;
}

/* Reads the answer of one statement of a pipeline: the rows to row(ctx, r) one at a
 * time (single-row mode) when row is given, else the whole answer into *whole (NULL:
 * dropped). Stops handing rows out once row returns non-zero, but reads them all. */
static enum rc pipe_answer(struct pg_conn *c, int (*row)(void *, const PGresult *), void *ctx, PGresult **whole)
{
	enum rc rc = RC_OK;
	int stop = 0;
	if(row && !PQsetSingleRowMode(c->db))
		rc = RC_BACKEND, row = NULL;   /* not when the statement is next to answer */
	PGresult *r = PQgetResult(c->db);
	if(!r)
		return RC_BACKEND;
	c->streaming = row != NULL;
	for(; r; r = PQgetResult(c->db)) {
		ExecStatusType st = PQresultStatus(r);
		if(st == PGRES_SINGLE_TUPLE) {
			if(!stop)
				stop = row(ctx, r);
		} else if(st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
			rc = RC_BACKEND;
		} else if(whole && !*whole) {
			*whole = r;
			continue;
		}
		PQclear(r);
	}
	c->streaming = 0;
	return rc;
}

/* Reads up to the pipeline's sync point and leaves pipeline mode. A transaction left
 * open by a failure is rolled back (keep: one left open on purpose is kept). syncs:
 * sync points before the last that are still to be read. */
static enum rc pipe_end(struct pg_conn *c, enum rc rc, int keep, int syncs)
{
	PGresult *r;
	for(syncs++; syncs > 0;) {
		if(PQstatus(c->db) != CONNECTION_OK)
			return RC_BACKEND;
		r = PQgetResult(c->db);
		if(!r)
			continue;
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if(st == PGRES_PIPELINE_SYNC)
			syncs--;
		if(st == PGRES_FATAL_ERROR)
			rc = RC_BACKEND;
	}
	if(!PQexitPipelineMode(c->db))
		rc = RC_BACKEND;
	PGTransactionStatusType ts = PQtransactionStatus(c->db);
	if(ts == PQTRANS_INERROR || (ts == PQTRANS_INTRANS && (rc || !keep)))
		PQclear(PQexec(c->db, "ROLLBACK"));
	return rc;
}

static int send_text(struct pg_conn *c, const char *sql)
{
	return PQsendQueryParams(c->db, sql, 0, NULL, NULL, NULL, NULL, 0);
}

static int send_prepared(struct pg_conn *c, const char *name, const struct pg_params *p)
{
	return PQsendQueryPrepared(c->db, name, p->n, p->v, p->len, p->fmt, 0);
}

/* One pipeline (one round trip) of: BEGIN of a read-only snapshot (begin), the count
 * (count: its total into *total), the page (page: its rows to row, or whole into
 * *whole), COMMIT (commit). Statements are prepared first (only the first time).
 *
 * On a replica (fence_due), the pipeline starts with the replica's replayed position,
 * in a transaction of its own so that the reads' snapshots come after it, and the
 * primary is asked for its flushed position at the same moment: a replica that has
 * caught up costs no round trip more. One that has not: the answers are dropped, and
 * the pipeline runs again once it has (fence_wait), or on the primary. */
static enum rc pipe_read(struct pg_conn *c, int begin, const char *count, const struct pg_params *cp, int64_t *total,
                         const char *page, const struct pg_params *pp, int commit,
                         int (*row)(void *, const PGresult *), void *ctx, PGresult **whole)
{
	char cname[16], pname[16];
	/* (the count once more: the page's statement may have taken its slot) */
	if((count && pg_list_prepare(c, count, cname)) || (page && pg_list_prepare(c, page, pname)) ||
	   (count && page && pg_list_prepare(c, count, cname))) {
		if(PQtransactionStatus(c->db) != PQTRANS_IDLE)
			PQclear(PQexec(c->db, "ROLLBACK"));
		return RC_BACKEND;
	}
	int fence = c->fence_due;
	c->fence_due = 0;
	struct pg_conn *p = c->primary;
	if(fence && !PQsendQueryParams(p->db, PRIMARY_LSN, 0, NULL, NULL, NULL, NULL, 0))
		return RC_BACKEND;
	if(!PQenterPipelineMode(c->db)) {
		if(fence)
			lsn_read(p->db);
		return RC_BACKEND;
	}
	enum rc rc = RC_OK;
	int fence_synced = 0;
	if((fence && (!send_text(c, REPLAYED_LSN) || !(fence_synced = PQpipelineSync(c->db)))) ||
	   (begin && !send_text(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) ||
	   (count && !send_prepared(c, cname, cp)) || (page && !send_prepared(c, pname, pp)) ||
	   (commit && !send_text(c, "COMMIT")) || !PQpipelineSync(c->db)) {
		if(fence)
			lsn_read(p->db);
		if(PQstatus(c->db) == CONNECTION_OK && PQpipelineSync(c->db))
			return pipe_end(c, RC_BACKEND, 0, fence_synced);
		PQfinish(c->db);   /* no sync point to read up to: opened again by the next read */
		c->db = NULL;
		return RC_BACKEND;
	}
	if(fence) {
		int64_t want = lsn_read(p->db), have = -1;
		PGresult *r = PQgetResult(c->db), *more;
		if(r && res_ok(r))
			have = (int64_t)lsn_of(r);
		PQclear(r);
		while((more = PQgetResult(c->db)))
			PQclear(more);
		r = PQgetResult(c->db);   /* the sync point after it */
		if(PQresultStatus(r) != PGRES_PIPELINE_SYNC)
			have = -1;
		PQclear(r);
		if(want < 0 || have < want) {
			/* the replica is behind (or failed, or the primary did): none of this answer */
			pipe_end(c, RC_BACKEND, 0, 0);
			if(want < 0)
				return RC_BACKEND;
			struct pg_conn *to = have < 0 ? p : fence_wait(c->store, c, want, have);
			return pipe_read(to, begin, count, cp, total, page, pp, commit, row, ctx, whole);
		}
	}
	if(begin)
		rc = pipe_answer(c, NULL, NULL, NULL);
	if(count) {
		PGresult *n = NULL;
		enum rc crc = pipe_answer(c, NULL, NULL, &n);
		if(!crc && n && PQntuples(n) == 1)
			*total = pg_int(n, 0, 0);
		else
			rc = RC_BACKEND;
		PQclear(n);
	}
	if(page && pipe_answer(c, row, ctx, whole))
		rc = RC_BACKEND;
	if(commit && pipe_answer(c, NULL, NULL, NULL))
		rc = RC_BACKEND;
	return pipe_end(c, rc, begin && !commit, 0);
}

PGresult *pg_read_whole(struct store *s, const char *sql, const struct pg_params *p)
{
	struct pg_conn *c = pg_reader(s);
	PGresult *r = NULL;
	if(!c || pipe_read(c, 0, NULL, NULL, NULL, sql, p, 0, NULL, NULL, &r)) {
		PQclear(r);
		return NULL;
	}
	return r;
}

enum rc pg_list_stream(struct pg_conn *c, const char *sql, const struct pg_params *p,
                       int (*row)(void *ctx, const PGresult *r), void *ctx)
{
	return pipe_read(c, 0, NULL, NULL, NULL, sql, p, 0, row, ctx, NULL);
}

enum rc pg_list_page(struct pg_conn *c, const char *count_sql, const struct pg_params *cp, int64_t *total,
                     pg_page_fn page, void *pctx, int (*row)(void *, const PGresult *), void *ctx, PGresult **whole)
{
	struct pg_params pp;
	int late = 0, all = 0;
	const char *sql = page(pctx, -1, &pp, &late, &all);
	if(!sql)
		return RC_INVALID;
	if(!count_sql)
		return pipe_read(c, 0, NULL, NULL, NULL, sql, &pp, 0, all ? NULL : row, ctx, all ? whole : NULL);
	if(!late)   /* the page does not depend on the total: all in one round trip */
		return pipe_read(c, 1, count_sql, cp, total, sql, &pp, 1, all ? NULL : row, ctx, all ? whole : NULL);
	/* the page depends on the total: the count first, then the page, in one snapshot */
	enum rc rc = pipe_read(c, 1, count_sql, cp, total, NULL, NULL, 0, NULL, NULL, NULL);
	if(rc)
		return rc;
	sql = page(pctx, *total, &pp, &late, &all);
	if(!sql) {
		PQclear(PQexec(c->db, "ROLLBACK"));
		return RC_INVALID;
	}
	return pipe_read(c, 0, NULL, NULL, NULL, sql, &pp, 1, all ? NULL : row, ctx, all ? whole : NULL);
}

/* ---------- the usn, exact ---------- */

int64_t pg_usn_fresh(struct store *s)
{
	struct pg_conn *c = pthread_getspecific(s->key);
	if(!c) {
		c = conn_new(s, s->read_uri ? s->read_uri : s->uri);
		pthread_setspecific(s->key, c);
	}
	/* the primary: this thread's read connection, or with a replica its primary one */
	if(s->read_uri) {
		if(!c->primary)
			c->primary = xcalloc(1, sizeof(*c->primary));
		c = c->primary;
	}
	if(c->streaming || conn_ready(c, s->uri))
		return -1;   /* (from a list's callback: the caller keeps usn_current) */
	/* prepared: asked before every cached answer, so its parsing and planning would be
	 * most of the database's work for a polled page */
	struct pg_params p = {0};
	PGresult *r = pg_exec_prepared(c, "usn", &c->prepared[PR_USN_GET], pg_rstmt_sql[PR_USN_GET], &p);
	int64_t u = res_ok(r) && PQntuples(r) == 1 ? pg_int(r, 0, 0) : -1;
	PQclear(r);
	if(u >= 0)
		pg_heard(s, u);
	return u;
}
