/* The write transaction in pipeline mode (libpq 14 and later). A batch begun with
 * pg_tx_begin_batch sends its statements without waiting for each answer: a write is
 * assumed to succeed (PE_OK) or to change a row (PE_SOME), and answers are read only
 * when something needs one (a load), when PG_PIPE_MAX are in flight, and at COMMIT.
 * BEGIN, the write lock, the stored usn and the sessions the batch's ops name go in
 * one round trip, so a batch of updates costs two round trips in all, not three per op.
 *
 * Nothing is decided on an assumption. Should an answer differ from it, or an op fail
 * after it wrote (no savepoint is taken in this mode, so it cannot be undone alone),
 * the batch is marked for a redo: nothing more is sent, the transaction is rolled back
 * before its COMMIT could run, and the writer runs the batch again the ordinary way,
 * each op under its savepoint. COMMIT cannot run after a failed statement (the server
 * skips the rest of a pipeline after an error), and a row count is read before COMMIT
 * is sent. A connection that fails in the pipeline is closed: the batch fails as it
 * would otherwise (503), and the next one connects again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"

/* Keeps the first line of a message. */
static void one_line(char *s)
{
	char *nl = strchr(s, '\n');
	if(nl)
		*nl = 0;
}

/* The connection failed in the pipeline: it is closed, and the next batch opens it again. */
static int broke(struct store *s, const char *what)
{
	if(!s->broken) {
		s->broken = 1;
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what,
		         s->wconn->db ? PQerrorMessage(s->wconn->db) : "no connection");
		one_line(s->errmsg);
	}
	if(s->wconn->db) {
		PQfinish(s->wconn->db);
		s->wconn->db = NULL;
	}
	s->npending = 0;
	return -1;
}

void pg_pipe_redo(struct store *s, const char *what, const char *why)
{
	if(s->redo)
		return;
	s->redo = 1;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, why && why[0] ? why : "failed");
	one_line(s->errmsg);
}

static void push(struct store *s, enum pg_expect expect, const char *what, unsigned char *prepared, PGresult **out)
{
	s->pending[s->npending++] = (struct pg_pending){.what = what, .expect = expect, .prepared = prepared, .out = out,
	                                                .rows = 1};
}

int pg_pipe_send(struct store *s, const char *stmt, const char *sql, unsigned char *prepared,
                 const struct pg_params *p, enum pg_expect expect, const char *what, PGresult **out)
{
	static const struct pg_params none;
	if(out)
		*out = NULL;
	if(s->npending + 2 > PG_PIPE_MAX && !s->redo)
		pg_pipe_wait(s);
	if(s->redo || s->broken)
		return -1;   /* the batch runs again, or fails: nothing more to send */
	PGconn *db = s->wconn->db;
	if(stmt && !*prepared) {
		if(!PQsendPrepare(db, stmt, sql, 0, NULL))
			return broke(s, what);
		*prepared = 2;   /* sent: its answer makes it 1, or 0 again */
		push(s, PE_PREP, what, prepared, NULL);
	}
	if(!p)
		p = &none;
	int ok = stmt ? PQsendQueryPrepared(db, stmt, p->n, p->v, p->len, p->fmt, 0)
	              : PQsendQueryParams(db, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	if(!ok)
		return broke(s, what);
	push(s, expect, what, NULL, out);
	return 0;
}

/* Reads the answer of the oldest statement in flight and checks it against what was assumed. */
static int read_one(struct store *s, const struct pg_pending *q)
{
	PGconn *db = s->wconn->db;
	PGresult *r = PQgetResult(db);
	if(!r)
		return broke(s, q->what);
	PGresult *end = PQgetResult(db);   /* each statement's answer ends with NULL */
	if(end) {
		PQclear(end);
		PQclear(r);
		return broke(s, q->what);
	}
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if(!ok && PQstatus(db) != CONNECTION_OK) {
		PQclear(r);
		return broke(s, q->what);
	}
	if(!ok)   /* the server skips the rest of the pipeline: the batch runs again */
		pg_pipe_redo(s, q->what, st == PGRES_PIPELINE_ABORTED ? "skipped" : PQresultErrorMessage(r));
	switch(q->expect) {
	case PE_PREP:
		*q->prepared = (unsigned char)ok;
		break;
	case PE_SOME:
		if(ok && !strtoll(PQcmdTuples(r), NULL, 10))
			pg_pipe_redo(s, q->what, "no row changed");
		break;
	case PE_ROWS:
		if(ok && strtoll(PQcmdTuples(r), NULL, 10) != q->rows)
			pg_pipe_redo(s, q->what, "not every row changed");
		break;
	case PE_KEEP:
		*q->out = r;
		return 0;
	case PE_OK:
		break;
	}
	PQclear(r);
	return 0;
}

enum rc pg_pipe_wait(struct store *s)
{
	if(s->broken)
		return RC_BACKEND;
	if(!s->npending)
		return RC_OK;
	PGconn *db = s->wconn->db;
	if(!PQsendFlushRequest(db) || PQflush(db)) {
		broke(s, "send");
		return RC_BACKEND;
	}
	int n = s->npending;
	s->npending = 0;
	for(int i = 0; i < n; i++)
		if(read_one(s, &s->pending[i]))
			return RC_BACKEND;
	return RC_OK;
}

PGresult *pg_pipe_exec(struct store *s, const char *stmt, const char *sql, unsigned char *prepared,
                       const struct pg_params *p, const char *what)
{
	PGresult *r = NULL;
	if(pg_pipe_send(s, stmt, sql, prepared, p, PE_KEEP, what, &r))
		return NULL;
	pg_pipe_wait(s);
	return r;
}

/* Ends the pipeline (if still in it): reads every answer in flight, then the sync point. */
static void leave(struct store *s)
{
	if(s->piped && !s->broken) {
		PGconn *db = s->wconn->db;
		if(!PQpipelineSync(db)) {
			broke(s, "sync");
		} else {
			int n = s->npending;
			s->npending = 0;
			for(int i = 0; i < n && !s->broken; i++)
				read_one(s, &s->pending[i]);
			if(!s->broken) {
				PGresult *r = PQgetResult(db);
				int ok = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
				PQclear(r);
				if(!ok || !PQexitPipelineMode(db))
					broke(s, "sync");
			}
		}
	}
	s->piped = 0;
	s->npending = 0;
	PQclear(s->pre);
	s->pre = NULL;
	s->npre = 0;
}

void pg_pipe_abort(struct store *s)
{
	leave(s);
	if(!s->broken)
		PQclear(PQexec(s->wconn->db, "ROLLBACK"));
	s->usn = s->usn_batch;
	s->nparts = 0;   /* a partition it made is gone */
	pg_changes_undo(s, 1);
	pg_upd_drop(s);
}

/* Rolls back for the batch to run again the ordinary way. */
static enum rc again(struct store *s)
{
	pg_pipe_abort(s);
	s->redos++;
	return RC_BUSY;
}

enum rc pg_pipe_commit(struct store *s)
{
	for(int i = 0; i < s->npending; i++)
		if(s->pending[i].expect == PE_SOME || s->pending[i].expect == PE_ROWS) {
			pg_pipe_wait(s);   /* a row count to check before COMMIT may run */
			break;
		}
	if(s->broken) {
		pg_pipe_abort(s);
		return RC_BACKEND;
	}
	if(s->redo)
		return again(s);
	if(s->usn != s->usn_batch) {
		struct pg_params p = {0};
		char name[16];
		pgp_int(&p, s->usn);
		snprintf(name, sizeof(name), "w%d", (int)PW_USN_PUT);
		pg_pipe_send(s, name, pg_wstmt_sql[PW_USN_PUT], &s->wconn->prepared[PW_USN_PUT], &p, PE_OK,
		             "store the usn", NULL);
	}
	PGresult *cr = NULL;
	pg_pipe_send(s, NULL, "COMMIT", NULL, NULL, PE_KEEP, "commit", &cr);
	leave(s);
	int committed = PQresultStatus(cr) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(cr), "COMMIT");
	PQclear(cr);
	if(committed)
		return RC_OK;
	if(s->broken)
		return RC_BACKEND;   /* whether it committed is unknown: the batch fails */
	/* COMMIT was skipped after a failure, or failed: nothing was committed */
	pg_pipe_redo(s, "commit", "the transaction was rolled back");
	return again(s);
}

/* ---------- the sessions a batch names, loaded at its start ---------- */

static int pre_cmp(const void *x, const void *y)
{
	return memcmp(((const struct pg_pre *)x)->id.b, ((const struct pg_pre *)y)->id.b, 16);
}

static struct pg_pre *pre_get(struct store *s, const struct uuid *id)
{
	struct pg_pre key = {.id = *id};
	return bsearch(&key, s->pre_ids, (size_t)s->npre, sizeof(key), pre_cmp);
}

/* Sends the load of the sessions keys names (sorted, without repeats, into pre_ids). */
static void prefetch(struct store *s, const struct uuid *keys, int n)
{
	s->npre = 0;
	if(n > PG_PREFETCH_MAX)
		n = PG_PREFETCH_MAX;
	if(n <= 0)
		return;
	for(int i = 0; i < n; i++)
		s->pre_ids[i] = (struct pg_pre){.id = keys[i], .row = -1, .valid = 1};
	qsort(s->pre_ids, (size_t)n, sizeof(s->pre_ids[0]), pre_cmp);
	int m = 0;
	for(int i = 0; i < n; i++)
		if(!m || pre_cmp(&s->pre_ids[m - 1], &s->pre_ids[i]))
			s->pre_ids[m++] = s->pre_ids[i];
	s->npre = m;
	struct pg_arr ids = {0};
	pg_arr_begin(&ids, PG_OID_BYTEA);
	for(int i = 0; i < m; i++)
		pg_arr_bytes(&ids, s->pre_ids[i].id.b, 16);
	struct pg_params p = {0};
	char name[16];
	snprintf(name, sizeof(name), "w%d", (int)PW_SESS_GET_MANY);
	if(!pg_arr_end(&ids, &p))
		pg_pipe_send(s, name, pg_wstmt_sql[PW_SESS_GET_MANY], &s->wconn->prepared[PW_SESS_GET_MANY], &p, PE_KEEP,
		             "load the batch's sessions", &s->pre);
	pg_arr_free(&ids);   /* libpq copied it */
}

/* Notes which row of the answer holds each session named. */
static void prefetched(struct store *s)
{
	if(PQresultStatus(s->pre) != PGRES_TUPLES_OK) {
		PQclear(s->pre);
		s->pre = NULL;
		s->npre = 0;
		return;
	}
	for(int r = 0; r < PQntuples(s->pre); r++) {
		struct uuid id;
		pg_uuid(s->pre, r, 0, &id);
		struct pg_pre *e = pre_get(s, &id);
		if(e)
			e->row = r;
	}
}

int pg_pre_find(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	struct pg_pre *e = s->piped && s->npre ? pre_get(s, id) : NULL;
	if(!e || !e->valid)
		return -1;
	if(e->row < 0)
		return RC_NOTFOUND;
	pg_read_sess(s->pre, e->row, a, out);
	return RC_OK;
}

void pg_pre_forget(struct store *s, const struct uuid *id)
{
	if(!s->npre)
		return;
	if(!id) {
		s->npre = 0;
		return;
	}
	struct pg_pre *e = pre_get(s, id);
	if(e)
		e->valid = 0;
}

enum rc pg_tx_begin_batch(struct store *s, const struct uuid *keys, int n)
{
	s->errmsg[0] = 0;
	if(pg_tx_connect(s))
		return RC_BACKEND;
	if(!PQenterPipelineMode(s->wconn->db)) {
		snprintf(s->errmsg, sizeof(s->errmsg), "begin: %s", PQerrorMessage(s->wconn->db));
		one_line(s->errmsg);
		return RC_BACKEND;
	}
	s->piped = 1;
	s->redo = s->broken = s->op_wrote = s->release_due = 0;
	s->npending = s->npre = 0;
	s->pre = NULL;
	pg_changes_undo(s, 1);
	pg_upd_drop(s);
	char lock[16], usn[16];
	snprintf(lock, sizeof(lock), "w%d", (int)PW_LOCK);
	snprintf(usn, sizeof(usn), "w%d", (int)PW_USN_GET);
	struct pg_params lp = {0};
	pgp_int(&lp, PG_WRITE_LOCK);
	PGresult *u = NULL;
	pg_pipe_send(s, NULL, "BEGIN", NULL, NULL, PE_OK, "begin", NULL);
	pg_pipe_send(s, lock, pg_wstmt_sql[PW_LOCK], &s->wconn->prepared[PW_LOCK], &lp, PE_OK, "begin", NULL);
	pg_pipe_send(s, usn, pg_wstmt_sql[PW_USN_GET], &s->wconn->prepared[PW_USN_GET], NULL, PE_KEEP, "begin", &u);
	prefetch(s, keys, n);
	pg_pipe_wait(s);
	if(s->broken || s->redo || PQresultStatus(u) != PGRES_TUPLES_OK || PQntuples(u) != 1) {
		if(!s->errmsg[0])
			snprintf(s->errmsg, sizeof(s->errmsg), "begin: %s", u ? PQresultErrorMessage(u) : "no answer");
		PQclear(u);
		if(!s->broken)
			return again(s);   /* the ordinary way may still work */
		pg_pipe_abort(s);
		return RC_BACKEND;
	}
	s->usn = s->usn_batch = pg_int(u, 0, 0);
	PQclear(u);
	if(s->pre)
		prefetched(s);
	else
		s->npre = 0;
	return RC_OK;
}
