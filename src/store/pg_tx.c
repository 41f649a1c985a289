/* The write transaction of the PostgreSQL driver, on the writer thread's connection.
 *
 * usn order across instances: every write transaction first takes a transaction-level
 * advisory lock (PG_WRITE_LOCK), then reads the stored usn, gives the next ones, and
 * writes the newest back with its commit. The lock is released only once the commit
 * is visible, so transactions that give usns commit one after another, in usn order:
 * a reader never sees a usn while a smaller one is still to come, and a long poll that
 * asked for "after n" can never miss a write. The commit also sends the newest usn on
 * PG_CHANNEL (NOTIFY is delivered at commit), which wakes every instance's feed. A
 * savepoint rollback gives its usns back, as the counter is an ordinary row.
 *
 * A batch begun with pg_tx_begin_batch runs in pipeline mode (pg_pipe.c): the same
 * statements, sent ahead; the helpers below send or wait as the mode asks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/pg.h"

static int res_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Records why r failed for tx_error; RC_BACKEND. */
static enum rc werr(struct store *s, const char *what, const PGresult *r)
{
	const char *why = r ? PQresultErrorMessage(r) : "";
	if(!why[0])
		why = PQerrorMessage(s->wconn->db);
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, why);
	char *nl = strchr(s->errmsg, '\n');
	if(nl)
		*nl = 0;
	return RC_BACKEND;
}

/* Statements of the write connection that change nothing: an op that failed after
 * running only these has nothing to undo. */
static const unsigned char pw_reads[PW_STMT_COUNT] = {
	[PW_SESS_GET] = 1, [PW_SESS_ENDED] = 1, [PW_TASK_GET] = 1, [PW_LOG_LAST] = 1, [PW_USER_GET] = 1,
	[PW_LOGON_GET] = 1, [PW_LOGON_OF_USER] = 1, [PW_KEY_GET] = 1, [PW_USER_NAME_TAKEN] = 1,
	[PW_ESTATE_GET] = 1, [PW_SESS_GET_MANY] = 1,
};

/* Statements that touch no row of sessions: the session updates a pipelined batch
 * gathers (pg_upd.c) need not be sent before them. Any other statement sends them first,
 * but for those that touch only the session their first parameter names (pw_by_id), when
 * no gathered update is of that session. */
static const unsigned char pw_by_id[PW_STMT_COUNT] = {
	[PW_SESS_GET] = 1, [PW_SESS_INS] = 1, [PW_SESS_UPD] = 1, [PW_SESS_UPD_KEEP] = 1, [PW_SESS_DEL] = 1,
};
static const unsigned char pw_passes[PW_STMT_COUNT] = {
	[PW_TASKS_DEL] = 1, [PW_TASK_LOGS_DEL] = 1, [PW_LOGS_DEL] = 1,
	[PW_TASK_GET] = 1, [PW_TASK_INS] = 1, [PW_TASK_UPD] = 1, [PW_LOG_LAST] = 1, [PW_LOG_INS] = 1,
	[PW_LOG_UPD] = 1, [PW_USER_INS] = 1, [PW_USER_UPD] = 1, [PW_USER_GET] = 1, [PW_USER_DEL] = 1,
	[PW_KV_PUT] = 1, [PW_REVOKE] = 1, [PW_REVOKED_PURGE] = 1, [PW_LOGON_PUT] = 1, [PW_LOGON_GET] = 1,
	[PW_LOGON_DEL] = 1, [PW_LOGON_DEL_OLD] = 1, [PW_LOGON_OF_USER] = 1, [PW_EMTASK_INS] = 1, [PW_KEY_INS] = 1,
	[PW_KEY_REPLACE] = 1, [PW_KEY_GET] = 1, [PW_KEY_DEL] = 1, [PW_EMTASK_DEL] = 1, [PW_USER_NAME_TAKEN] = 1,
	[PW_ESTATE_GET] = 1, [PW_ESTATE_PUT] = 1,
};

/* Sends the gathered updates before statement which with p, unless it need not wait for them. */
static void upd_before(struct store *s, enum pg_wstmt which, const struct pg_params *p)
{
	if(!s->upd_n || pw_passes[which])
		return;
	if(pw_by_id[which] && p && p->n && p->fmt[0] == 1 && p->len[0] == 16) {
		struct uuid id;
		memcpy(id.b, p->v[0], 16);
		if(!pg_upd_has(s, &id))
			return;
	}
	pg_upd_flush(s);
}

/* A write statement, prepared on the write connection once, run with p; in a pipeline,
 * its answer is awaited with every one before it (one round trip). */
static PGresult *wexec(struct store *s, enum pg_wstmt which, const struct pg_params *p, const char *what)
{
	char name[16];
	snprintf(name, sizeof(name), "w%d", (int)which);
	s->op_wrote |= !pw_reads[which];
	if(s->piped)
		upd_before(s, which, p);
	if(s->piped)
		return pg_pipe_exec(s, name, pg_wstmt_sql[which], &s->wconn->prepared[which], p, what);
	return pg_exec_prepared(s->wconn, name, &s->wconn->prepared[which], pg_wstmt_sql[which], p);
}

/* A write sent ahead in a pipeline; its answer is checked against expect later. */
static enum rc wsend(struct store *s, enum pg_wstmt which, const struct pg_params *p, enum pg_expect expect,
                     const char *what)
{
	char name[16];
	snprintf(name, sizeof(name), "w%d", (int)which);
	s->op_wrote = 1;
	upd_before(s, which, p);
	return pg_pipe_send(s, name, pg_wstmt_sql[which], &s->wconn->prepared[which], p, expect, what, NULL)
	           ? RC_BACKEND : RC_OK;
}

/* A statement of text only (DDL, the partition queries); in a pipeline, awaited. */
static PGresult *texec(struct store *s, const char *sql, const char *what)
{
	s->op_wrote = 1;
	if(s->piped) {
		pg_upd_flush(s);
		return pg_pipe_exec(s, NULL, sql, NULL, NULL, what);
	}
	return PQexec(s->wconn->db, sql);
}

/* Runs a write statement to its end (in a pipeline: sends it ahead, assumed to succeed
 * when no count is asked for); *changed (if given) receives the rows it changed. */
static enum rc wdo(struct store *s, enum pg_wstmt which, const struct pg_params *p, const char *what, int64_t *changed)
{
	if(s->piped && !changed)
		return wsend(s, which, p, PE_OK, what);
	PGresult *r = wexec(s, which, p, what);
	enum rc rc = res_ok(r) ? RC_OK : pg_state_is(r, "23505") ? RC_CONFLICT : RC_BACKEND;
	if(rc)
		werr(s, what, r);
	else if(changed)
		*changed = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return rc;
}

/* Like wdo, with RC_absent when the statement changed no row. */
static enum rc wdo_some(struct store *s, enum pg_wstmt which, const struct pg_params *p, const char *what,
                        enum rc absent)
{
	int64_t n = 0;
	enum rc rc = wdo(s, which, p, what, &n);
	return !rc && n == 0 ? absent : rc;
}

/* A write that should change a row (an insert of a new key, an update of a row the op
 * loaded): absent when it changes none. In a pipeline it is sent ahead, assumed to: when
 * it does not, the batch runs again the ordinary way, which then answers absent. */
static enum rc wdo_sure(struct store *s, enum pg_wstmt which, const struct pg_params *p, const char *what,
                        enum rc absent)
{
	if(s->piped)
		return wsend(s, which, p, PE_SOME, what);
	return wdo_some(s, which, p, what, absent);
}

static enum rc wexec_simple(struct store *s, const char *sql)
{
	PGresult *r = PQexec(s->wconn->db, sql);
	enum rc rc = res_ok(r) ? RC_OK : werr(s, sql, r);
	PQclear(r);
	return rc;
}

enum rc pg_tx_connect(struct store *s)
{
	if(s->wconn->db && PQstatus(s->wconn->db) == CONNECTION_OK)
		return RC_OK;
	/* the connection was lost: open it again (its statements are prepared anew) */
	return pg_connect(s->wconn, s->uri, s->errmsg, sizeof(s->errmsg)) ? RC_BACKEND : RC_OK;
}

enum rc pg_tx_begin(struct store *s)
{
	s->errmsg[0] = 0;
	if(pg_tx_connect(s))
		return RC_BACKEND;
	char sql[160];
	snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%d); SELECT value::bigint FROM meta WHERE key='usn'",
	         PG_WRITE_LOCK);
	PGresult *r = PQexec(s->wconn->db, sql);
	if(PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		werr(s, "begin", r);
		PQclear(r);
		PQclear(PQexec(s->wconn->db, "ROLLBACK"));
		return RC_BACKEND;
	}
	s->usn = s->usn_batch = pg_int(r, 0, 0);
	s->release_due = 0;
	pg_changes_undo(s, 1);
	PQclear(r);
	return RC_OK;
}

static enum rc commit_plain(struct store *s)
{
	char sql[192];
	if(s->usn != s->usn_batch)
		snprintf(sql, sizeof(sql),
		         "UPDATE meta SET value='%" PRId64 "' WHERE key='usn'; NOTIFY " PG_CHANNEL ", '%" PRId64 "'; COMMIT",
		         s->usn, s->usn);
	else
		snprintf(sql, sizeof(sql), "COMMIT");
	PGresult *r = PQexec(s->wconn->db, sql);
	/* COMMIT of a failed transaction answers ROLLBACK, without an error */
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
	if(!ok) {
		werr(s, "commit", r);
		if(!s->errmsg[0] || !strcmp(s->errmsg, "commit: "))
			snprintf(s->errmsg, sizeof(s->errmsg), "commit: the transaction was rolled back");
	}
	PQclear(r);
	return ok ? RC_OK : RC_BACKEND;
}

/* Sends the transaction's rows of session_changes (in a pipeline, ahead of the commit). */
static void changes_put(struct store *s)
{
	struct pg_params p;
	struct pg_arr arrs[4] = {0};
	if(pg_changes_params(s, &p, arrs))
		/* should it fail, the transaction is aborted: its COMMIT answers that it rolled back */
		wdo(s, PW_CHANGES_PUT, &p, "store the change feed", NULL);
	for(int i = 0; i < 4; i++)
		pg_arr_free(&arrs[i]);
}

enum rc pg_tx_commit(struct store *s)
{
	pg_upd_flush(s);
	changes_put(s);
	pg_changes_undo(s, 1);
	enum rc rc = s->piped ? pg_pipe_commit(s) : commit_plain(s);
	if(rc)
		return rc;
	int64_t cur = __atomic_load_n(&s->usn_seen, __ATOMIC_ACQUIRE);
	while(s->usn > cur && !__atomic_compare_exchange_n(&s->usn_seen, &cur, s->usn, 0, __ATOMIC_ACQ_REL,
	                                                    __ATOMIC_ACQUIRE))
		;
	return RC_OK;
}

void pg_tx_rollback(struct store *s)
{
	if(s->piped) {
		pg_pipe_abort(s);
		return;
	}
	if(PQstatus(s->wconn->db) == CONNECTION_OK)
		PQclear(PQexec(s->wconn->db, "ROLLBACK"));
	s->usn = s->usn_batch;
	s->nparts = 0;
	pg_changes_undo(s, 1);
}

void pg_tx_savepoint(struct store *s, enum store_sp step)
{
	if(s->piped) {
		/* no savepoints in a pipeline: an op that fails after it wrote makes the batch
		 * run again the ordinary way; one that failed before gives its usns back */
		if(step == SP_BEGIN) {
			s->usn_sp = s->usn;
			s->op_wrote = 0;
			pg_changes_mark(s);
		} else if(step == SP_ROLLBACK) {
			s->usn = s->usn_sp;
			pg_changes_undo(s, 0);
			if(s->op_wrote)
				pg_pipe_redo(s, "pipeline", "an op failed after it wrote");
		}
		return;
	}
	switch(step) {
	case SP_BEGIN:
		s->usn_sp = s->usn;
		pg_changes_mark(s);
		wexec_simple(s, s->release_due ? "RELEASE w; SAVEPOINT w" : "SAVEPOINT w");
		s->release_due = 0;
		break;
	case SP_ROLLBACK:
		s->usn = s->usn_sp;
		pg_changes_undo(s, 0);
		s->nparts = 0;   /* a partition it made is gone */
		wexec_simple(s, "ROLLBACK TO w");
		break;
	case SP_RELEASE:
		/* one round trip less per op: released with the next op's SAVEPOINT, or by COMMIT */
		s->release_due = 1;
		break;
	}
}

const char *pg_tx_error(struct store *s)
{
	return s->errmsg[0] ? s->errmsg : PQerrorMessage(s->wconn->db);
}

enum rc pg_tx_usn_next(struct store *s, int64_t *usn)
{
	*usn = ++s->usn;
	return RC_OK;
}

typedef void (*pg_row_reader)(const PGresult *r, int row, struct arena *a, void *rec);

static void rd_sess(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_sess(r, i, a, rec); }
static void rd_task(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_task(r, i, a, rec); }
static void rd_user(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_user(r, i, a, rec); }
static void rd_logon(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_logon(r, i, a, rec); }
static void rd_key(const PGresult *r, int i, struct arena *a, void *rec) { pg_read_key(r, i, a, rec); }

/* Loads one row through a write statement keyed by a uuid or a text. */
static enum rc wload(struct store *s, enum pg_wstmt which, const struct uuid *id, const char *text, struct arena *a,
                     pg_row_reader rd, void *out)
{
	struct pg_params p = {0};
	if(id)
		pgp_uuid(&p, id);
	else
		pgp_text(&p, text);
	PGresult *r = wexec(s, which, &p, "load");
	enum rc rc = !res_ok(r) ? werr(s, "load", r) : PQntuples(r) ? RC_OK : RC_NOTFOUND;
	if(!rc)
		rd(r, 0, a, out);
	PQclear(r);
	return rc;
}

enum rc pg_tx_session_load(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	if(!pg_upd_load(s, id, out))
		return RC_OK;   /* written in this batch, not sent yet */
	int rc = pg_pre_find(s, id, a, out);
	if(rc >= 0)
		return (enum rc)rc;
	return wload(s, PW_SESS_GET, id, NULL, a, rd_sess, out);
}

enum rc pg_tx_task_load(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out)
{
	return wload(s, PW_TASK_GET, id, NULL, a, rd_task, out);
}

/* ---------- partitions: sessions by creation month ---------- */

static int month_of(int64_t us, int *y, int *m)
{
	time_t t = (time_t)(us / 1000000 - (us % 1000000 < 0));
	struct tm tm;
	if(!gmtime_r(&t, &tm))
		return -1;
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	return 0;
}

static int64_t month_start_us(int y, int m)
{
	struct tm tm = {.tm_year = y - 1900 + (m - 1) / 12, .tm_mon = (m - 1) % 12, .tm_mday = 1};
	return (int64_t)timegm(&tm) * 1000000;
}

/* The partition holding sessions created in the month of creation_us, made if missing.
 * It is made inside the write transaction under the write lock, so two instances never
 * race; a rollback forgets what this process believed made. */
static enum rc ensure_partition(struct store *s, int64_t creation_us)
{
	int y, m;
	if(month_of(creation_us, &y, &m))
		return RC_INVALID;
	int key = y * 12 + m - 1;
	for(int i = 0; i < s->nparts; i++)
		if(s->parts[i] == key)
			return RC_OK;
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "CREATE TABLE IF NOT EXISTS \"sessions_%04d_%02d\" PARTITION OF sessions FOR VALUES FROM (%" PRId64
	         ") TO (%" PRId64 ") WITH (fillfactor = " PG_SESS_FILLFACTOR ")",
	         y, m, month_start_us(y, m), month_start_us(y, m + 1));
	PGresult *r = texec(s, sql, "make partition");
	enum rc rc = res_ok(r) ? RC_OK : werr(s, "make partition", r);
	PQclear(r);
	if(!rc)
		s->parts[s->nparts++ % 64] = key;
	if(s->nparts > 64)
		s->nparts = 64;
	return rc;
}

/* What dropping the partition %s of sessions takes, step by step. */
static const char *const drop_steps[] = {
	"DELETE FROM logs WHERE owner IN (SELECT t.id FROM task_sessions t JOIN \"%s\" p ON t.session_id = p.id)",
	"DELETE FROM logs WHERE owner IN (SELECT id FROM \"%s\")",
	"DELETE FROM task_sessions WHERE session_id IN (SELECT id FROM \"%s\")",
	("UPDATE session_counts c SET n = c.n - x.n FROM (SELECT type, state, result, count(*) AS n FROM \"%s\""
	 " GROUP BY 1, 2, 3) x WHERE c.type = x.type AND c.state = x.state AND c.result = x.result"),
	"DELETE FROM session_changes c USING \"%s\" p WHERE c.seq = p.usn AND c.sid = p.id",
	"DROP TABLE \"%s\"",
};

enum rc pg_tx_sessions_drop_ended(struct store *s, int64_t cutoff_us, int64_t *n)
{
	*n = 0;
	pg_pre_forget(s, NULL);
	PGresult *r = texec(s, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
	                       "WHERE i.inhparent = 'sessions'::regclass ORDER BY 1", "list partitions");
	if(!res_ok(r)) {
		enum rc rc = werr(s, "list partitions", r);
		PQclear(r);
		return rc;
	}
	enum rc rc = RC_OK;
	for(int i = 0; !rc && i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 0);
		int y, m;
		if(sscanf(name, "sessions_%d_%d", &y, &m) != 2 || month_start_us(y, m + 1) > cutoff_us)
			continue;   /* a month that is not over before the cutoff keeps its partition */
		char sql[1400];
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FILTER (WHERE end_time IS NULL OR end_time >= %" PRId64 "), count(*) FROM \"%s\"",
		         cutoff_us, name);
		PGresult *c = texec(s, sql, "count partition");
		if(!res_ok(c) || PQntuples(c) != 1) {
			rc = werr(s, "count partition", c);
			PQclear(c);
			break;
		}
		int64_t keep = pg_int(c, 0, 0), all = pg_int(c, 0, 1);
		PQclear(c);
		if(keep)
			continue;   /* some of it stays: retention deletes the rest in batches */
		for(size_t k = 0; !rc && k < sizeof(drop_steps) / sizeof(drop_steps[0]); k++) {
			snprintf(sql, sizeof(sql), drop_steps[k], name);
			c = texec(s, sql, "drop partition");
			if(!res_ok(c))
				rc = werr(s, "drop partition", c);
			PQclear(c);
		}
		if(!rc)
			*n += all;
	}
	PQclear(r);
	s->nparts = 0;   /* forget what was dropped */
	return rc;
}

enum rc pg_tx_session_insert(struct store *s, const struct sess_rec *r)
{
	enum rc rc = ensure_partition(s, r->creation_us);
	if(rc)
		return rc;
	struct pg_params p;
	pg_bind_sess(&p, r);
	pg_pre_forget(s, &r->id);
	rc = wdo_sure(s, PW_SESS_INS, &p, "insert session", RC_CONFLICT);
	if(!rc)
		pg_changes_note(s, &r->id, -1, r->usn);
	return rc;
}

/* The whole row: PostgreSQL writes a new row version either way, and leaves the
 * indexes of columns whose value did not change alone only when none changed. */
enum rc pg_tx_session_update(struct store *s, const struct sess_rec *old, const struct sess_rec *r)
{
	if(r->creation_us != old->creation_us) {
		enum rc rc = ensure_partition(s, r->creation_us);
		if(rc)
			return rc;
	}
	pg_pre_forget(s, &r->id);
	if(!pg_upd_add(s, old, r)) {   /* sent with the batch's other updates */
		pg_changes_note(s, &r->id, old->usn, r->usn);
		return RC_OK;
	}
	struct pg_params p;
	pg_bind_sess(&p, r);
	pgp_int(&p, old->creation_us);
	int keep = r->type == old->type && r->state == old->state && r->result == old->result;
	enum rc rc = wdo_sure(s, keep ? PW_SESS_UPD_KEEP : PW_SESS_UPD, &p, "update session", RC_NOTFOUND);
	if(!rc)
		pg_changes_note(s, &r->id, old->usn, r->usn);
	return rc;
}

enum rc pg_tx_session_delete(struct store *s, const struct uuid *id)
{
	static const enum pg_wstmt steps[] = {PW_TASK_LOGS_DEL, PW_LOGS_DEL, PW_TASKS_DEL, PW_SESS_DEL};
	struct pg_params p = {0};
	pgp_uuid(&p, id);
	pg_pre_forget(s, id);
	enum rc rc = RC_OK;
	for(size_t k = 0; k < sizeof(steps) / sizeof(steps[0]) && !rc; k++)
		rc = wdo(s, steps[k], &p, "delete session", NULL);
	if(!rc)
		pg_changes_forget(s, id);
	return rc;
}

enum rc pg_tx_sessions_ended(struct store *s, int64_t cutoff_us, int max, struct uuid *ids, int *n)
{
	struct pg_params p = {0};
	pgp_int(&p, cutoff_us);
	pgp_int(&p, max);
	PGresult *r = wexec(s, PW_SESS_ENDED, &p, "list ended sessions");
	*n = 0;
	enum rc rc = res_ok(r) ? RC_OK : werr(s, "list ended sessions", r);
	for(int i = 0; !rc && i < PQntuples(r) && *n < max; i++)
		pg_uuid(r, i, 0, &ids[(*n)++]);
	PQclear(r);
	return rc;
}

enum rc pg_tx_task_insert(struct store *s, const struct task_rec *t)
{
	struct pg_params p;
	pg_bind_task(&p, t);
	return wdo_sure(s, PW_TASK_INS, &p, "insert task session", RC_CONFLICT);
}

enum rc pg_tx_task_update(struct store *s, const struct task_rec *t)
{
	struct pg_params p;
	pg_bind_task(&p, t);
	return wdo(s, PW_TASK_UPD, &p, "store task session", NULL);
}

enum rc pg_tx_log_last(struct store *s, const struct uuid *owner, int64_t *id)
{
	struct pg_params p = {0};
	pgp_uuid(&p, owner);
	PGresult *r = wexec(s, PW_LOG_LAST, &p, "log id");
	enum rc rc = res_ok(r) && PQntuples(r) == 1 ? RC_OK : werr(s, "log id", r);
	*id = rc ? 0 : pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

enum rc pg_tx_log_insert(struct store *s, const struct log_rec *l)
{
	struct pg_params p = {0};
	pgp_uuid(&p, &l->owner);
	pgp_int(&p, l->id);
	pgp_int(&p, l->status);
	pgp_text(&p, l->title ? l->title : "");
	pgp_text(&p, l->description);
	pgp_int(&p, l->start_us);
	pgp_int(&p, l->update_us);
	return wdo_sure(s, PW_LOG_INS, &p, "insert log", RC_CONFLICT);
}

enum rc pg_tx_log_update(struct store *s, const struct log_rec *l)
{
	struct pg_params p = {0};
	pgp_uuid(&p, &l->owner);
	pgp_int(&p, l->id);
	pgp_int(&p, l->status);
	pgp_int(&p, l->update_us);
	pgp_text(&p, l->title);
	pgp_text(&p, l->description);
	return wdo_some(s, PW_LOG_UPD, &p, "update log", RC_NOTFOUND);
}

enum rc pg_tx_user_put(struct store *s, struct user_rec *u)
{
	struct pg_params p = {0};
	if(u->uid) {
		/* a rename onto a taken name is a conflict, found before it could abort the transaction */
		pgp_text(&p, u->name);
		pgp_int(&p, u->uid);
		PGresult *r = wexec(s, PW_USER_NAME_TAKEN, &p, "store user");
		enum rc rc = !res_ok(r) ? werr(s, "store user", r) : PQntuples(r) ? RC_CONFLICT : RC_OK;
		PQclear(r);
		if(rc)
			return rc;
		p.n = 0;
		pgp_int(&p, u->uid);
	}
	pgp_text(&p, u->name);
	pgp_text(&p, u->hash);
	pgp_int(&p, u->role);
	pgp_int(&p, u->gen);
	pgp_int(&p, u->created_us);
	if(u->uid)
		return wdo_some(s, PW_USER_UPD, &p, "store user", RC_NOTFOUND);
	PGresult *r = wexec(s, PW_USER_INS, &p, "store user");
	enum rc rc = !res_ok(r) ? werr(s, "store user", r) : PQntuples(r) ? RC_OK : RC_CONFLICT;
	if(!rc)
		u->uid = pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

enum rc pg_tx_user_load(struct store *s, const char *name, struct arena *a, struct user_rec *out)
{
	return wload(s, PW_USER_GET, NULL, name, a, rd_user, out);
}

enum rc pg_tx_user_delete(struct store *s, int64_t uid)
{
	struct pg_params p = {0};
	pgp_int(&p, uid);
	return wdo_some(s, PW_USER_DEL, &p, "delete user", RC_NOTFOUND);
}

enum rc pg_tx_kv_put(struct store *s, const char *key, const char *value)
{
	struct pg_params p = {0};
	pgp_text(&p, key);
	pgp_text(&p, value);
	return wdo(s, PW_KV_PUT, &p, "store setting", NULL);
}

enum rc pg_tx_revoke(struct store *s, const char *key, int kind, int64_t expires_us)
{
	struct pg_params p = {0};
	pgp_text(&p, key);
	pgp_int(&p, kind);
	pgp_int(&p, expires_us);
	return wdo_some(s, PW_REVOKE, &p, "revoke", RC_CONFLICT);
}

enum rc pg_tx_revoked_purge(struct store *s, int64_t now_us)
{
	struct pg_params p = {0};
	pgp_int(&p, now_us);
	return wdo(s, PW_REVOKED_PURGE, &p, "purge revocations", NULL);
}

enum rc pg_tx_logon_put(struct store *s, const struct logon_rec *l)
{
	struct pg_params p = {0};
	pgp_text(&p, l->sid);
	pgp_int(&p, l->uid);
	pgp_int(&p, l->gen);
	pgp_int(&p, l->role);
	pgp_text(&p, l->user ? l->user : "");
	pgp_int(&p, l->created_us);
	pgp_int(&p, l->last_us);
	return wdo(s, PW_LOGON_PUT, &p, "store logon", NULL);
}

enum rc pg_tx_logon_load(struct store *s, const char *sid, struct arena *a, struct logon_rec *out)
{
	return wload(s, PW_LOGON_GET, NULL, sid, a, rd_logon, out);
}

enum rc pg_tx_logon_delete(struct store *s, const char *sid, int64_t idle_before_us, int64_t started_before_us)
{
	struct pg_params p = {0};
	if(sid) {
		pgp_text(&p, sid);
		return wdo_some(s, PW_LOGON_DEL, &p, "delete logon", RC_NOTFOUND);
	}
	pgp_int(&p, idle_before_us);
	pgp_int(&p, started_before_us);
	return wdo(s, PW_LOGON_DEL_OLD, &p, "delete logons", NULL);
}

enum rc pg_tx_logon_of_user(struct store *s, int64_t uid, int max, char (*sids)[40], int *n)
{
	struct pg_params p = {0};
	pgp_int(&p, uid);
	pgp_int(&p, max);
	PGresult *r = wexec(s, PW_LOGON_OF_USER, &p, "list logons");
	*n = 0;
	enum rc rc = res_ok(r) ? RC_OK : werr(s, "list logons", r);
	for(int i = 0; !rc && i < PQntuples(r) && *n < max; i++)
		snprintf(sids[(*n)++], 40, "%s", PQgetvalue(r, i, 0));
	PQclear(r);
	return rc;
}

enum rc pg_tx_emtask_put(struct store *s, struct emtask_rec *e)
{
	struct pg_params p = {0};
	pgp_uuid(&p, &e->session_id);
	pgp_int(&p, e->uid);
	pgp_int(&p, e->success);
	pgp_text(&p, e->message);
	pgp_int(&p, e->created_us);
	PGresult *r = wexec(s, PW_EMTASK_INS, &p, "store task");
	enum rc rc = res_ok(r) && PQntuples(r) == 1 ? RC_OK : werr(s, "store task", r);
	if(!rc)
		e->id = pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

enum rc pg_tx_emtask_delete(struct store *s, int64_t id)
{
	struct pg_params p = {0};
	pgp_int(&p, id);
	return wdo_some(s, PW_EMTASK_DEL, &p, "delete task", RC_NOTFOUND);
}

enum rc pg_tx_key_put(struct store *s, const struct key_rec *k, int replace)
{
	struct pg_params p = {0};
	pgp_text(&p, k->id);
	pgp_text(&p, k->name);
	pgp_int(&p, k->role);
	pgp_text(&p, k->hash);
	pgp_int(&p, k->created_us);
	pgp_int(&p, k->last_used_us);
	if(replace)
		return wdo(s, PW_KEY_REPLACE, &p, "store key", NULL);
	return wdo_some(s, PW_KEY_INS, &p, "store key", RC_CONFLICT);
}

enum rc pg_tx_key_load(struct store *s, const char *name, struct arena *a, struct key_rec *out)
{
	return wload(s, PW_KEY_GET, NULL, name, a, rd_key, out);
}

enum rc pg_tx_key_delete(struct store *s, const char *name)
{
	struct pg_params p = {0};
	pgp_text(&p, name);
	return wdo_some(s, PW_KEY_DEL, &p, "delete key", RC_NOTFOUND);
}

enum rc pg_tx_estate_load(struct store *s, int kind, const struct uuid *id, struct arena *a, struct estate_rec *out)
{
	struct pg_params p = {0};
	pgp_uuid(&p, id);
	pgp_int(&p, kind);
	PGresult *r = wexec(s, PW_ESTATE_GET, &p, "load estate object");
	enum rc rc = !res_ok(r) ? werr(s, "load estate object", r) : PQntuples(r) ? RC_OK : RC_NOTFOUND;
	if(!rc)
		pg_read_estate(r, 0, a, out);
	PQclear(r);
	return rc;
}

enum rc pg_tx_estate_put(struct store *s, const struct estate_rec *e)
{
	struct pg_params p = {0};
	pgp_int(&p, e->kind);
	pgp_uuid(&p, &e->id);
	pgp_uuid(&p, &e->parent_id);
	pgp_text(&p, e->name ? e->name : "");
	pgp_text(&p, e->reporter);
	pgp_text(&p, e->props ? e->props : "{}");
	pgp_int(&p, e->deleted);
	pgp_int(&p, e->created_us);
	pgp_int(&p, e->updated_us);
	pgp_int(&p, e->usn);
	return wdo(s, PW_ESTATE_PUT, &p, "store estate object", NULL);
}
