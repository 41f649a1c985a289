/* SQLite backend: one file in WAL mode, a read connection per thread with its
 * prepared statements kept, and one writer thread that group-commits. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_sql.h"
#include "util/buf.h"
#include "util/timefmt.h"

#define BATCH_MAX 1024

enum rstmt {
	R_SESS_GET, R_TASK_GET, R_USER_GET, R_USER_GET_UID, R_KV_GET, R_USN, R_STMT_COUNT
};

static const char *const rstmt_sql[R_STMT_COUNT] = {
	[R_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE id=?1",
	[R_TASK_GET] = "SELECT " TASK_COLS " FROM task_sessions WHERE id=?1",
	[R_USER_GET] = "SELECT uid,name,hash,role,created FROM users WHERE name=?1",
	[R_USER_GET_UID] = "SELECT uid,name,hash,role,created FROM users WHERE uid=?1",
	[R_KV_GET] = "SELECT value FROM meta WHERE key=?1",
	[R_USN] = "SELECT value FROM meta WHERE key='usn'",
};

#define LIST_CACHE 16

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[R_STMT_COUNT];
	struct { char *sql; sqlite3_stmt *st; } lc[LIST_CACHE]; /* list statements by text */
	int lc_next;                /* next slot to reuse */
	struct conn *next;          /* every connection of the store, for close */
};

struct store {
	char *path;
	pthread_key_t key;          /* this thread's struct conn */
	pthread_mutex_t conns_lock;
	struct conn *conns;

	/* writer */
	struct conn *wconn;
	pthread_t writer;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct store_write *qhead, *qtail;
	int stopping;
	int64_t usn;                /* last usn given (writer thread only, mirrored in usn_seen) */
	int64_t usn_seen;           /* read by other threads (atomic) */
	struct { const char *sql; sqlite3_stmt *st; } wcache[48]; /* writer statements by text */
	struct { uint32_t mask; sqlite3_stmt *st; } ucache[32];   /* session updates by changed columns */
	sqlite3_stmt *sp[3];        /* SAVEPOINT w, ROLLBACK TO w, RELEASE w */
	void (*commit_hook)(int64_t usn);
};

/* ---------- connections ---------- */

static enum rc conn_open(struct store *s, int writer, struct conn **out, char *err, size_t errlen)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
	if(rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", s->path,
		         c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_close(c->db);
		free(c);
		return RC_BACKEND;
	}
	sqlite3_busy_timeout(c->db, 5000);
	/* No mmap: a mapped database counts in RSS page by page (an export of a million
	 * sessions reached 272 MiB), while reads through the 8 MB page cache measured as fast
	 * (bench/, docs/PERFORMANCE.md). */
	sqlite3_exec(c->db, "PRAGMA mmap_size=0; PRAGMA cache_size=-8000;", NULL, NULL, NULL);
	if(!writer)
		sqlite3_exec(c->db, "PRAGMA query_only=1;", NULL, NULL, NULL);
	*out = c;
	return RC_OK;
}

static void conn_close(struct conn *c)
{
	for(int i = 0; i < R_STMT_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	for(int i = 0; i < LIST_CACHE; i++) {
		sqlite3_finalize(c->lc[i].st);
		free(c->lc[i].sql);
	}
	sqlite3_close(c->db);
	free(c);
}

static struct conn *reader(struct store *s)
{
	struct conn *c = pthread_getspecific(s->key);
	if(c)
		return c;
	char err[256];
	if(conn_open(s, 0, &c, err, sizeof(err)))
		return NULL;
	pthread_mutex_lock(&s->conns_lock);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->conns_lock);
	pthread_setspecific(s->key, c);
	return c;
}

static sqlite3_stmt *stmt(struct conn *c, enum rstmt which)
{
	if(!c->st[which]) {
		if(sqlite3_prepare_v3(c->db, rstmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &c->st[which], NULL) != SQLITE_OK)
			return NULL;
	} else {
		sqlite3_reset(c->st[which]);
		sqlite3_clear_bindings(c->st[which]);
	}
	return c->st[which];
}

/* ---------- column helpers ---------- */

static void bind_uuid(sqlite3_stmt *st, int i, const struct uuid *u)
{
	if(uuid_is_nil(u))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_blob(st, i, u->b, 16, SQLITE_TRANSIENT);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if(s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t us)
{
	if(us)
		sqlite3_bind_int64(st, i, us);
	else
		sqlite3_bind_null(st, i);
}

static void col_uuid(sqlite3_stmt *st, int i, struct uuid *u)
{
	memset(u, 0, sizeof(*u));
	if(sqlite3_column_type(st, i) == SQLITE_BLOB && sqlite3_column_bytes(st, i) == 16)
		memcpy(u->b, sqlite3_column_blob(st, i), 16);
}

static const char *col_text(sqlite3_stmt *st, int i, struct arena *a)
{
	if(sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	const char *t = (const char *)sqlite3_column_text(st, i);
	return arena_strndup(a, t, (size_t)sqlite3_column_bytes(st, i));
}

static void read_sess(sqlite3_stmt *st, struct arena *a, struct sess_rec *r)
{
	memset(r, 0, sizeof(*r));
	col_uuid(st, 0, &r->id);
	r->usn = sqlite3_column_int64(st, 1);
	r->name = col_text(st, 2, a);
	r->type = sqlite3_column_int(st, 3);
	r->state = sqlite3_column_int(st, 4);
	r->result = sqlite3_column_int(st, 5);
	r->progress = sqlite3_column_int(st, 6);
	r->is_canceled = sqlite3_column_int(st, 7);
	r->is_retry = sqlite3_column_int(st, 8);
	r->stop_requested = sqlite3_column_int(st, 9);
	r->creation_us = sqlite3_column_int64(st, 10);
	r->end_us = sqlite3_column_int64(st, 11);
	col_uuid(st, 12, &r->job_id);
	col_uuid(st, 13, &r->parent_id);
	col_uuid(st, 14, &r->resource_id);
	r->job_name = col_text(st, 15, a);
	r->resource_ref = col_text(st, 16, a);
	r->platform_name = col_text(st, 17, a);
	r->initiated_by = col_text(st, 18, a);
	r->message = col_text(st, 19, a);
	r->backup_server = col_text(st, 20, a);
	r->extra = col_text(st, 21, a);
}

static void bind_sess(sqlite3_stmt *st, const struct sess_rec *r)
{
	bind_uuid(st, 1, &r->id);
	sqlite3_bind_int64(st, 2, r->usn);
	bind_text(st, 3, r->name ? r->name : "");
	sqlite3_bind_int(st, 4, r->type);
	sqlite3_bind_int(st, 5, r->state);
	sqlite3_bind_int(st, 6, r->result);
	sqlite3_bind_int(st, 7, r->progress);
	sqlite3_bind_int(st, 8, r->is_canceled);
	sqlite3_bind_int(st, 9, r->is_retry);
	sqlite3_bind_int(st, 10, r->stop_requested);
	sqlite3_bind_int64(st, 11, r->creation_us);
	bind_time(st, 12, r->end_us);
	bind_uuid(st, 13, &r->job_id);
	bind_uuid(st, 14, &r->parent_id);
	bind_uuid(st, 15, &r->resource_id);
	bind_text(st, 16, r->job_name);
	bind_text(st, 17, r->resource_ref);
	bind_text(st, 18, r->platform_name);
	bind_text(st, 19, r->initiated_by);
	bind_text(st, 20, r->message);
	bind_text(st, 21, r->backup_server);
	bind_text(st, 22, r->extra);
}

static void read_task(sqlite3_stmt *st, struct arena *a, struct task_rec *r)
{
	memset(r, 0, sizeof(*r));
	col_uuid(st, 0, &r->id);
	r->usn = sqlite3_column_int64(st, 1);
	col_uuid(st, 2, &r->session_id);
	r->name = col_text(st, 3, a);
	r->type = sqlite3_column_int(st, 4);
	r->session_type = sqlite3_column_int(st, 5);
	r->state = sqlite3_column_int(st, 6);
	r->result = sqlite3_column_int(st, 7);
	r->progress = sqlite3_column_int(st, 8);
	r->is_canceled = sqlite3_column_int(st, 9);
	r->total_size = sqlite3_column_int64(st, 10);
	r->creation_us = sqlite3_column_int64(st, 11);
	r->end_us = sqlite3_column_int64(st, 12);
	col_uuid(st, 13, &r->restore_point_id);
	col_uuid(st, 14, &r->repository_id);
	r->message = col_text(st, 15, a);
	r->reason = col_text(st, 16, a);
	r->extra = col_text(st, 17, a);
}

static void bind_task(sqlite3_stmt *st, const struct task_rec *r)
{
	bind_uuid(st, 1, &r->id);
	sqlite3_bind_int64(st, 2, r->usn);
	bind_uuid(st, 3, &r->session_id);
	bind_text(st, 4, r->name ? r->name : "");
	sqlite3_bind_int(st, 5, r->type);
	sqlite3_bind_int(st, 6, r->session_type);
	sqlite3_bind_int(st, 7, r->state);
	sqlite3_bind_int(st, 8, r->result);
	sqlite3_bind_int(st, 9, r->progress);
	sqlite3_bind_int(st, 10, r->is_canceled);
	sqlite3_bind_int64(st, 11, r->total_size);
	sqlite3_bind_int64(st, 12, r->creation_us);
	bind_time(st, 13, r->end_us);
	bind_uuid(st, 14, &r->restore_point_id);
	bind_uuid(st, 15, &r->repository_id);
	bind_text(st, 16, r->message);
	bind_text(st, 17, r->reason);
	bind_text(st, 18, r->extra);
}

static void read_user(sqlite3_stmt *st, struct arena *a, struct user_rec *u)
{
	u->uid = sqlite3_column_int64(st, 0);
	u->name = col_text(st, 1, a);
	u->hash = col_text(st, 2, a);
	u->role = sqlite3_column_int(st, 3);
	u->created_us = sqlite3_column_int64(st, 4);
}

/* ---------- queries: predicate tree to SQL ---------- */

static const char *const sess_field_col[QF__COUNT] = {
	[QF_ID] = "id", [QF_NAME] = "name", [QF_TYPE] = "type", [QF_STATE] = "state",
	[QF_RESULT] = "result", [QF_CREATION] = "creation", [QF_END] = "end_time",
	[QF_JOB_ID] = "job_id", [QF_JOB_NAME] = "job_name", [QF_PARENT_ID] = "parent_id",
	[QF_RESOURCE_ID] = "resource_id", [QF_USN] = "usn", [QF_PROGRESS] = "progress",
	[QF_INITIATED_BY] = "initiated_by", [QF_IS_RETRY] = "is_retry",
	[QF_BACKUP_SERVER] = "backup_server", [QF_PLATFORM] = "platform",
	[QF_IS_CANCELED] = "is_canceled", [QF_STOP_REQUESTED] = "stop_requested",
};

static const char *const task_field_col[QF__COUNT] = {
	[QF_ID] = "id", [QF_NAME] = "name", [QF_STATE] = "state", [QF_RESULT] = "result",
	[QF_CREATION] = "creation", [QF_END] = "end_time", [QF_USN] = "usn",
	[QF_PROGRESS] = "progress", [QF_IS_CANCELED] = "is_canceled",
	[QF_SESSION_ID] = "session_id", [QF_TASK_TYPE] = "type", [QF_SESSION_TYPE] = "session_type",
};

static const char *const sess_order_col[QO__COUNT] = {
	[QO_CREATION] = "creation", [QO_NAME] = "name", [QO_TYPE] = "type", [QO_END] = "end_time",
	[QO_STATE] = "state", [QO_RESULT] = "result", [QO_INITIATED_BY] = "initiated_by",
	[QO_USN] = "usn", [QO_JOB_NAME] = "job_name", [QO_PROGRESS] = "progress",
	[QO_TASK_TYPE] = "type", [QO_SESSION_TYPE] = "type",
};

static const char *const task_order_col[QO__COUNT] = {
	[QO_CREATION] = "creation", [QO_NAME] = "name", [QO_TYPE] = "type", [QO_END] = "end_time",
	[QO_STATE] = "state", [QO_RESULT] = "result", [QO_USN] = "usn", [QO_PROGRESS] = "progress",
	[QO_TASK_TYPE] = "type", [QO_SESSION_TYPE] = "session_type", [QO_INITIATED_BY] = "name",
	[QO_JOB_NAME] = "name",
};

struct param {
	enum qval kind;
	int64_t i;
	const char *s;
	struct uuid u;
};

struct sqlq {
	struct buf sql;
	struct param p[256];
	int np;
	int bad;
	const char *const *cols;
};

static void add_param(struct sqlq *q, const struct param *p)
{
	if(q->np >= (int)(sizeof(q->p) / sizeof(q->p[0]))) {
		q->bad = 1;
		return;
	}
	q->p[q->np++] = *p;
	buf_printf(&q->sql, "?%d", q->np);
}

/* '*' becomes '%'; LIKE's own wildcards are escaped with '\'. */
static char *like_pattern(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, 2 * n + 1), *o = out;
	for(size_t i = 0; i < n; i++) {
		char c = s[i];
		if(c == '*')
			*o++ = '%';
		else if(c == '%' || c == '_' || c == '\\') {
			*o++ = '\\';
			*o++ = c;
		} else
			*o++ = c;
	}
	*o = 0;
	return out;
}

/* A keyset continuation "f < v OR (f = v AND id < u)" (or with >) becomes the row value
 * "(f, id) < (v, u)": SQLite seeks to it in an index on (f, id), while it scans the
 * whole index for the OR when v and u are bound parameters (exports read a million
 * sessions in chunks this way, and each chunk would rescan all the rows before it). */
static int keyset(struct sqlq *q, const struct qexpr *e)
{
	if(e->op != Q_OR || !e->a || !e->b || e->b->op != Q_AND || !e->b->a || !e->b->b)
		return 0;
	const struct qexpr *lt = e->a, *eq = e->b->a, *id = e->b->b;
	if((lt->op != Q_LT && lt->op != Q_GT) || lt->kind != QV_INT || lt->field == QF_ID ||
	   eq->op != Q_EQ || eq->field != lt->field || eq->kind != QV_INT || eq->i != lt->i ||
	   id->op != lt->op || id->field != QF_ID || id->kind != QV_UUID)
		return 0;
	const char *col = (unsigned)lt->field < QF__COUNT ? q->cols[lt->field] : NULL;
	if(!col || !q->cols[QF_ID])
		return 0;
	struct param p1 = {.kind = QV_INT, .i = lt->i}, p2 = {.kind = QV_UUID, .u = id->u};
	buf_printf(&q->sql, "((%s, %s) %s (", col, q->cols[QF_ID], lt->op == Q_LT ? "<" : ">");
	add_param(q, &p1);
	buf_addstr(&q->sql, ", ");
	add_param(q, &p2);
	buf_addstr(&q->sql, "))");
	return 1;
}

static void compile(struct sqlq *q, const struct qexpr *e, struct arena *a)
{
	static const char *const opsym[] = {
		[Q_EQ] = "=", [Q_NE] = "<>", [Q_LT] = "<", [Q_GT] = ">", [Q_LE] = "<=", [Q_GE] = ">=",
	};
	if(q->bad)
		return;
	if(keyset(q, e))
		return;
	if(e->op == Q_AND || e->op == Q_OR) {
		buf_addc(&q->sql, '(');
		compile(q, e->a, a);
		buf_addstr(&q->sql, e->op == Q_AND ? " AND " : " OR ");
		compile(q, e->b, a);
		buf_addc(&q->sql, ')');
		return;
	}
	if(e->op == Q_NOT) {
		buf_addstr(&q->sql, "NOT (");
		compile(q, e->a, a);
		buf_addc(&q->sql, ')');
		return;
	}
	const char *col = (unsigned)e->field < QF__COUNT ? q->cols[e->field] : NULL;
	if(!col) {
		q->bad = 1;
		return;
	}
	struct param p = {.kind = e->kind, .i = e->i, .s = e->s, .u = e->u};
	switch(e->op) {
	case Q_NULL:
	case Q_NOTNULL:
		buf_printf(&q->sql, "%s IS %s", col, e->op == Q_NULL ? "NULL" : "NOT NULL");
		break;
	case Q_MATCH:
		buf_printf(&q->sql, "%s LIKE ", col);
		p.kind = QV_TEXT;
		p.s = like_pattern(a, e->s ? e->s : "");
		add_param(q, &p);
		buf_addstr(&q->sql, " ESCAPE '\\'");
		break;
	case Q_IN:
		if(e->nlist == 0) {
			buf_addstr(&q->sql, "0");
			break;
		}
		buf_printf(&q->sql, "%s IN (", col);
		for(int i = 0; i < e->nlist; i++) {
			if(i)
				buf_addc(&q->sql, ',');
			buf_printf(&q->sql, "%lld", (long long)e->list[i]);
		}
		buf_addc(&q->sql, ')');
		break;
	default:
		if(e->op < Q_EQ || e->op > Q_GE) {
			q->bad = 1;
			return;
		}
		buf_printf(&q->sql, "%s %s ", col, opsym[e->op]);
		add_param(q, &p);
		if(e->kind == QV_TEXT)
			buf_addstr(&q->sql, " COLLATE NOCASE");
	}
}

static void bind_params(sqlite3_stmt *st, const struct sqlq *q)
{
	for(int i = 0; i < q->np; i++) {
		const struct param *p = &q->p[i];
		if(p->kind == QV_INT)
			sqlite3_bind_int64(st, i + 1, p->i);
		else if(p->kind == QV_TEXT)
			bind_text(st, i + 1, p->s);
		else
			sqlite3_bind_blob(st, i + 1, p->u.b, 16, SQLITE_TRANSIENT);
	}
}

typedef void (*row_reader)(sqlite3_stmt *st, struct arena *a, void *rec);

/* A list statement of this connection, prepared once per distinct text (filters
 * differ in shape far less often than in values, which are bound). */
static sqlite3_stmt *list_stmt(struct conn *c, const char *sql)
{
	for(int i = 0; i < LIST_CACHE; i++)
		if(c->lc[i].sql && !strcmp(c->lc[i].sql, sql)) {
			sqlite3_reset(c->lc[i].st);
			sqlite3_clear_bindings(c->lc[i].st);
			return c->lc[i].st;
		}
	sqlite3_stmt *st = NULL;
	if(sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	int i = c->lc_next;
	c->lc_next = (i + 1) % LIST_CACHE;
	sqlite3_finalize(c->lc[i].st);
	free(c->lc[i].sql);
	c->lc[i].sql = xstrdup(sql);
	c->lc[i].st = st;
	return st;
}

/* Whether a predicate tests only type, state and result, whose per-combination
 * counts the session_counts table keeps. */
static int counts_only(const struct qexpr *e)
{
	if(!e)
		return 1;
	if(e->op == Q_AND || e->op == Q_OR)
		return counts_only(e->a) && counts_only(e->b);
	if(e->op == Q_NOT)
		return counts_only(e->a);
	if(e->field != QF_TYPE && e->field != QF_STATE && e->field != QF_RESULT)
		return 0;
	return e->op == Q_IN || e->op == Q_NULL || e->op == Q_NOTNULL || (e->op >= Q_EQ && e->op <= Q_GE && e->kind == QV_INT);
}

static enum rc run_list(struct store *s, const char *table, const char *cols, const char *const *fcols,
                        const char *const *ocols, const struct query *q, struct arena *a,
                        row_reader rd, size_t recsize, int (*cb)(void *, const void *), void *ctx,
                        int64_t *total)
{
	struct conn *c = reader(s);
	if(!c)
		return RC_BACKEND;
	struct sqlq sq = {.cols = fcols};
	buf_init(&sq.sql, 1 << 20);
	struct buf where, text;
	buf_init(&where, 1 << 20);
	buf_init(&text, 0);
	if(q->where) {
		compile(&sq, q->where, a);
		buf_addstr(&where, " WHERE ");
		buf_add(&where, sq.sql.p, sq.sql.len);
	}
	enum rc rc = RC_OK;
	sqlite3_stmt *st;
	int in_txn = 0;
	if(sq.bad || where.failed) {
		rc = RC_INVALID;
		goto out;
	}
	if(total) {
		/* The total and the page come from one snapshot. */
		if(!(st = list_stmt(c, "BEGIN")) || sqlite3_step(st) != SQLITE_DONE) {
			rc = RC_BACKEND;
			goto out;
		}
		in_txn = 1;
		/* Totals under type/state/result filters come from session_counts: a full
		 * count(*) over a million sessions costs half a second. */
		if(!strcmp(table, "sessions") && counts_only(q->where))
			buf_printf(&text, "SELECT coalesce(sum(n),0) FROM session_counts%s", buf_cstr(&where));
		else
			buf_printf(&text, "SELECT count(*) FROM %s%s", table, buf_cstr(&where));
		if(!(st = list_stmt(c, buf_cstr(&text)))) {
			rc = RC_BACKEND;
			goto out;
		}
		bind_params(st, &sq);
		*total = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		buf_reset(&text);
	}
	const char *ocol = (unsigned)q->order < QO__COUNT && ocols[q->order] ? ocols[q->order] : "creation";
	int64_t skip = q->skip > 0 ? q->skip : 0, limit = q->limit;
	int reverse = 0;
	if(total && limit >= 0 && limit <= 10000 && skip > *total / 2) {
		/* A page in the far half of the list mirrors one in the near half: read that
		 * in the opposite order (NULLs sort first ascending, last descending, so the
		 * order reverses exactly) and hand its rows out backwards. */
		int64_t end = skip + limit < *total ? skip + limit : *total;
		limit = end > skip ? end - skip : 0;
		skip = *total - end;
		reverse = 1;
	}
	const char *dir = q->asc != reverse ? "ASC" : "DESC";
	int paged = limit >= 0 || skip > 0;
	if(skip > 0)
		/* Skipped rows are stepped over in the inner query, which reads only index
		 * entries where an index covers the filter; full rows are read for the page only. */
		buf_printf(&text, "SELECT %s FROM %s WHERE id IN (SELECT id FROM %s%s ORDER BY %s %s, id %s"
		           " LIMIT ?%d OFFSET ?%d) ORDER BY %s %s, id %s",
		           cols, table, table, buf_cstr(&where), ocol, dir, dir, sq.np + 1, sq.np + 2, ocol, dir, dir);
	else
		buf_printf(&text, "SELECT %s FROM %s%s ORDER BY %s %s, id %s", cols, table, buf_cstr(&where), ocol, dir, dir);
	if(limit >= 0 && skip <= 0)
		buf_printf(&text, " LIMIT ?%d OFFSET ?%d", sq.np + 1, sq.np + 2);
	if(!(st = list_stmt(c, buf_cstr(&text)))) {
		rc = RC_BACKEND;
		goto out;
	}
	bind_params(st, &sq);
	if(paged) {
		sqlite3_bind_int64(st, sq.np + 1, limit >= 0 ? limit : -1);
		sqlite3_bind_int64(st, sq.np + 2, skip);
	}
	int step = SQLITE_DONE;   /* limit 0 steps nothing */
	if(reverse) {
		char *recs = arena_alloc(a, recsize * (size_t)(limit ? limit : 1));
		int64_t n = 0;
		while(n < limit && (step = sqlite3_step(st)) == SQLITE_ROW)
			rd(st, a, recs + recsize * (size_t)n++);
		if(n == limit)
			step = SQLITE_DONE;
		while(n > 0 && !cb(ctx, recs + recsize * (size_t)--n))
			;
	} else {
		void *rec = arena_alloc(a, recsize);
		while((step = sqlite3_step(st)) == SQLITE_ROW) {
			rd(st, a, rec);
			if(cb(ctx, rec))
				break;
		}
	}
	if(step != SQLITE_ROW && step != SQLITE_DONE)
		rc = RC_BACKEND;
	sqlite3_reset(st);
out:
	if(in_txn && (st = list_stmt(c, "COMMIT")))
		sqlite3_step(st);
	buf_free(&sq.sql);
	buf_free(&where);
	buf_free(&text);
	return rc;
}

/* ---------- read operations ---------- */

static void rd_sess(sqlite3_stmt *st, struct arena *a, void *rec) { read_sess(st, a, rec); }
static void rd_task(sqlite3_stmt *st, struct arena *a, void *rec) { read_task(st, a, rec); }

/* One row by primary key through a kept statement. */
static enum rc get_one(struct store *s, enum rstmt which, const struct uuid *id, struct arena *a, row_reader rd,
                       void *out)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st = c ? stmt(c, which) : NULL;
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, id);
	int step = sqlite3_step(st);
	enum rc rc = RC_NOTFOUND;
	if(step == SQLITE_ROW) {
		rd(st, a, out);
		rc = RC_OK;
	} else if(step != SQLITE_DONE)
		rc = RC_BACKEND;
	sqlite3_reset(st);
	return rc;
}

static enum rc sq_session_get(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	return get_one(s, R_SESS_GET, id, a, rd_sess, out);
}

static enum rc sq_task_get(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out)
{
	return get_one(s, R_TASK_GET, id, a, rd_task, out);
}


static enum rc sq_session_list(struct store *s, const struct query *q, struct arena *a, store_sess_cb cb,
                               void *ctx, int64_t *total)
{
	return run_list(s, "sessions", SESS_COLS, sess_field_col, sess_order_col, q, a, rd_sess,
	                sizeof(struct sess_rec), (int (*)(void *, const void *))cb, ctx, total);
}

static enum rc sq_task_list(struct store *s, const struct query *q, struct arena *a, store_task_cb cb,
                            void *ctx, int64_t *total)
{
	return run_list(s, "task_sessions", TASK_COLS, task_field_col, task_order_col, q, a, rd_task,
	                sizeof(struct task_rec), (int (*)(void *, const void *))cb, ctx, total);
}

static enum rc sq_log_list(struct store *s, const struct uuid *owner, int status, struct arena *a,
                           store_log_cb cb, void *ctx, int64_t *total)
{
	struct conn *c = reader(s);
	if(!c)
		return RC_BACKEND;
	const char *sql = status < 0
		? "SELECT id,status,title,description,start_time,update_time FROM logs WHERE owner=?1 ORDER BY id DESC"
		: "SELECT id,status,title,description,start_time,update_time FROM logs WHERE owner=?1 AND status=?2 ORDER BY id DESC";
	sqlite3_stmt *st;
	if(sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return RC_BACKEND;
	bind_uuid(st, 1, owner);
	if(status >= 0)
		sqlite3_bind_int(st, 2, status);
	struct log_rec r;
	int64_t n = 0;
	int step, stop = 0;
	while((step = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if(stop)
			continue;
		memset(&r, 0, sizeof(r));
		r.owner = *owner;
		r.id = sqlite3_column_int64(st, 0);
		r.status = sqlite3_column_int(st, 1);
		r.title = col_text(st, 2, a);
		r.description = col_text(st, 3, a);
		r.start_us = sqlite3_column_int64(st, 4);
		r.update_us = sqlite3_column_int64(st, 5);
		if(cb(ctx, &r))
			stop = 1;
	}
	sqlite3_finalize(st);
	if(total)
		*total = n;
	return step == SQLITE_DONE ? RC_OK : RC_BACKEND;
}

static enum rc sq_job_latest(struct store *s, struct arena *a, store_sess_cb cb, void *ctx)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st;
	static const char sql[] =
		"SELECT " SESS_COLS " FROM sessions WHERE id IN "
		"(SELECT (SELECT id FROM sessions s WHERE s.job_id = j.job_id ORDER BY creation DESC, id DESC LIMIT 1) "
		" FROM (SELECT DISTINCT job_id FROM sessions WHERE job_id IS NOT NULL) j) "
		"ORDER BY coalesce(job_name, name) COLLATE NOCASE, job_id";
	if(!c || sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return RC_BACKEND;
	struct sess_rec r;
	int step;
	while((step = sqlite3_step(st)) == SQLITE_ROW) {
		read_sess(st, a, &r);
		if(cb(ctx, &r))
			break;
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? RC_OK : RC_BACKEND;
}

static int64_t sq_usn_current(struct store *s)
{
	return __atomic_load_n(&s->usn_seen, __ATOMIC_ACQUIRE);
}

static enum rc user_get_by(struct store *s, enum rstmt which, const char *name, int64_t uid,
                           struct arena *a, struct user_rec *out)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st = c ? stmt(c, which) : NULL;
	if(!st)
		return RC_BACKEND;
	if(name)
		bind_text(st, 1, name);
	else
		sqlite3_bind_int64(st, 1, uid);
	int step = sqlite3_step(st);
	enum rc rc = step == SQLITE_ROW ? RC_OK : step == SQLITE_DONE ? RC_NOTFOUND : RC_BACKEND;
	if(step == SQLITE_ROW)
		read_user(st, a, out);
	sqlite3_reset(st);
	return rc;
}

static enum rc sq_user_get(struct store *s, const char *name, struct arena *a, struct user_rec *out)
{
	return user_get_by(s, R_USER_GET, name, 0, a, out);
}

static enum rc sq_user_get_uid(struct store *s, int64_t uid, struct arena *a, struct user_rec *out)
{
	return user_get_by(s, R_USER_GET_UID, NULL, uid, a, out);
}

static enum rc sq_user_list(struct store *s, struct arena *a, int (*cb)(void *, const struct user_rec *), void *ctx)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st;
	if(!c || sqlite3_prepare_v2(c->db, "SELECT uid,name,hash,role,created FROM users ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return RC_BACKEND;
	int step;
	while((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct user_rec u;
		read_user(st, a, &u);
		if(cb(ctx, &u))
			break;
	}
	sqlite3_finalize(st);
	return RC_OK;
}

static int64_t sq_user_count(struct store *s)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st;
	if(!c || sqlite3_prepare_v2(c->db, "SELECT count(*) FROM users", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}

static enum rc sq_kv_get(struct store *s, const char *key, struct arena *a, const char **value)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st = c ? stmt(c, R_KV_GET) : NULL;
	if(!st)
		return RC_BACKEND;
	bind_text(st, 1, key);
	int step = sqlite3_step(st);
	enum rc rc = step == SQLITE_ROW ? RC_OK : step == SQLITE_DONE ? RC_NOTFOUND : RC_BACKEND;
	if(step == SQLITE_ROW)
		*value = col_text(st, 0, a);
	sqlite3_reset(st);
	return rc;
}

static enum rc sq_revoked_list(struct store *s, int64_t now_us, int (*cb)(void *, const char *, int64_t), void *ctx)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st;
	if(!c || sqlite3_prepare_v2(c->db, "SELECT key, expires FROM revoked WHERE expires > ?1", -1, &st, NULL) != SQLITE_OK)
		return RC_BACKEND;
	sqlite3_bind_int64(st, 1, now_us);
	while(sqlite3_step(st) == SQLITE_ROW)
		if(cb(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1)))
			break;
	sqlite3_finalize(st);
	return RC_OK;
}

/* ---------- the writer ---------- */

static int exec1(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static enum rc wfail(struct store_write *w, enum rc rc, sqlite3 *db, const char *what)
{
	w->rc = rc;
	if(rc == RC_BACKEND)
		snprintf(w->err, sizeof(w->err), "%s: %s", what, sqlite3_errmsg(db));
	else if(!w->err[0])
		snprintf(w->err, sizeof(w->err), "%s", what);
	return rc;
}

static sqlite3_stmt *wprep(struct store *s, const char *sql)
{
	/* The writer runs the same few statements again and again: keep them by text. */
	sqlite3 *db = s->wconn->db;
	size_t n = sizeof(s->wcache) / sizeof(s->wcache[0]);
	for(size_t i = 0; i < n; i++) {
		if(s->wcache[i].sql == sql) {
			sqlite3_reset(s->wcache[i].st);
			sqlite3_clear_bindings(s->wcache[i].st);
			return s->wcache[i].st;
		}
		if(!s->wcache[i].sql) {
			sqlite3_stmt *st = NULL;
			if(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
				return NULL;
			s->wcache[i].sql = sql;
			s->wcache[i].st = st;
			return st;
		}
	}
	return NULL;
}



static int wstep(sqlite3_stmt *st)
{
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE || r == SQLITE_ROW ? 0 : -1;
}

static const char sql_sess_get[] = "SELECT " SESS_COLS " FROM sessions WHERE id=?1";
static const char sql_task_get[] = "SELECT " TASK_COLS " FROM task_sessions WHERE id=?1";
static const char sql_sess_ins[] = "INSERT INTO sessions(" SESS_COLS ") VALUES(" SESS_PARAMS ")";
static const char sql_task_ins[] = "INSERT INTO task_sessions(" TASK_COLS ") VALUES(" TASK_PARAMS ")";
static const char sql_task_upd[] = "REPLACE INTO task_sessions(" TASK_COLS ") VALUES(" TASK_PARAMS ")";
static const char sql_sess_usn[] = "UPDATE sessions SET usn=?2 WHERE id=?1";
static const char sql_task_usn[] = "UPDATE task_sessions SET usn=?2 WHERE id=?1";
static const char sql_log_next[] = "SELECT coalesce(max(id),0)+1 FROM logs WHERE owner=?1";
static const char sql_log_ins[] = "INSERT INTO logs(owner,id,status,title,description,start_time,update_time) VALUES(?1,?2,?3,?4,?5,?6,?7)";
static const char sql_log_upd[] = "UPDATE logs SET status=?3, update_time=?4, title=coalesce(?5,title), description=coalesce(?6,description) WHERE owner=?1 AND id=?2";

static int str_differ(const char *a, const char *b)
{
	return a != b && (!a || !b || strcmp(a, b));
}

/* The columns an update changed: bit i stands for column i of SESS_COLS (parameter ?i+1). */
static uint32_t sess_changed(const struct sess_rec *o, const struct sess_rec *n)
{
	uint32_t m = 0;
	m |= (uint32_t)(o->usn != n->usn) << 1;
	m |= (uint32_t)str_differ(o->name, n->name) << 2;
	m |= (uint32_t)(o->type != n->type) << 3;
	m |= (uint32_t)(o->state != n->state) << 4;
	m |= (uint32_t)(o->result != n->result) << 5;
	m |= (uint32_t)(o->progress != n->progress) << 6;
	m |= (uint32_t)(o->is_canceled != n->is_canceled) << 7;
	m |= (uint32_t)(o->is_retry != n->is_retry) << 8;
	m |= (uint32_t)(o->stop_requested != n->stop_requested) << 9;
	m |= (uint32_t)(o->creation_us != n->creation_us) << 10;
	m |= (uint32_t)(o->end_us != n->end_us) << 11;
	m |= (uint32_t)!uuid_eq(&o->job_id, &n->job_id) << 12;
	m |= (uint32_t)!uuid_eq(&o->parent_id, &n->parent_id) << 13;
	m |= (uint32_t)!uuid_eq(&o->resource_id, &n->resource_id) << 14;
	m |= (uint32_t)str_differ(o->job_name, n->job_name) << 15;
	m |= (uint32_t)str_differ(o->resource_ref, n->resource_ref) << 16;
	m |= (uint32_t)str_differ(o->platform_name, n->platform_name) << 17;
	m |= (uint32_t)str_differ(o->initiated_by, n->initiated_by) << 18;
	m |= (uint32_t)str_differ(o->message, n->message) << 19;
	m |= (uint32_t)str_differ(o->backup_server, n->backup_server) << 20;
	m |= (uint32_t)str_differ(o->extra, n->extra) << 21;
	return m | 2u;              /* the usn always changes */
}

/* "UPDATE sessions SET <changed columns> WHERE id=?1", bound by bind_sess: writing only
 * what changed leaves the untouched columns' index entries alone (a progress update
 * rewrites the row and the usn index, not all ten indexes as a REPLACE did). */
static sqlite3_stmt *sess_update_stmt(struct store *s, uint32_t mask)
{
	size_t n = sizeof(s->ucache) / sizeof(s->ucache[0]);
	for(size_t i = 0; i < n && s->ucache[i].st; i++)
		if(s->ucache[i].mask == mask) {
			sqlite3_reset(s->ucache[i].st);
			sqlite3_clear_bindings(s->ucache[i].st);
			return s->ucache[i].st;
		}
	static const char cols[] = SESS_COLS;
	struct buf sql;
	buf_init(&sql, 0);
	buf_addstr(&sql, "UPDATE sessions SET ");
	const char *c = cols;
	for(int i = 0; *c; i++) {
		size_t len = strcspn(c, ",");
		if(mask & (1u << i))
			buf_printf(&sql, "%s%.*s=?%d", sql.p[sql.len - 1] == ' ' ? "" : ",", (int)len, c, i + 1);
		c += len + (c[len] == ',');
	}
	buf_addstr(&sql, " WHERE id=?1");
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v3(s->wconn->db, buf_cstr(&sql), -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) == SQLITE_OK;
	buf_free(&sql);
	if(!ok)
		return NULL;
	size_t slot = 0;
	while(slot < n - 1 && s->ucache[slot].st)
		slot++;
	sqlite3_finalize(s->ucache[slot].st);  /* full: the last slot turns over */
	s->ucache[slot].mask = mask;
	s->ucache[slot].st = st;
	return st;
}

static enum rc load_sess(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *r)
{
	sqlite3_stmt *st = wprep(s, sql_sess_get);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, id);
	int step = sqlite3_step(st);
	if(step == SQLITE_ROW)
		read_sess(st, a, r);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? RC_OK : step == SQLITE_DONE ? RC_NOTFOUND : RC_BACKEND;
}

static enum rc load_task(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *r)
{
	sqlite3_stmt *st = wprep(s, sql_task_get);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, id);
	int step = sqlite3_step(st);
	if(step == SQLITE_ROW)
		read_task(st, a, r);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? RC_OK : step == SQLITE_DONE ? RC_NOTFOUND : RC_BACKEND;
}

static void copy_sess_out(struct store_write *w, const struct sess_rec *r)
{
	w->out_sess = *r;
	struct arena *a = w->out_arena;
	if(!a)
		return;
	struct sess_rec *o = &w->out_sess;
	o->name = arena_strdup(a, r->name);
	o->job_name = arena_strdup(a, r->job_name);
	o->resource_ref = arena_strdup(a, r->resource_ref);
	o->platform_name = arena_strdup(a, r->platform_name);
	o->initiated_by = arena_strdup(a, r->initiated_by);
	o->message = arena_strdup(a, r->message);
	o->backup_server = arena_strdup(a, r->backup_server);
	o->extra = arena_strdup(a, r->extra);
}

static void copy_task_out(struct store_write *w, const struct task_rec *r)
{
	w->out_task = *r;
	struct arena *a = w->out_arena;
	if(!a)
		return;
	struct task_rec *o = &w->out_task;
	o->name = arena_strdup(a, r->name);
	o->message = arena_strdup(a, r->message);
	o->reason = arena_strdup(a, r->reason);
	o->extra = arena_strdup(a, r->extra);
}

/* Finds the session that owns a log or task id: the id itself, or a task's session. */
static enum rc owner_session(struct store *s, const struct uuid *owner, struct arena *a,
                             struct sess_rec *sess, struct task_rec *task, int *is_task)
{
	enum rc rc = load_sess(s, owner, a, sess);
	*is_task = 0;
	if(rc != RC_NOTFOUND)
		return rc;
	rc = load_task(s, owner, a, task);
	if(rc)
		return rc;
	*is_task = 1;
	return load_sess(s, &task->session_id, a, sess);
}

static enum rc bump(struct store *s, const struct uuid *sess_id, const struct uuid *task_id, int64_t *usn)
{
	*usn = ++s->usn;
	sqlite3_stmt *st = wprep(s, sql_sess_usn);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, sess_id);
	sqlite3_bind_int64(st, 2, *usn);
	if(wstep(st))
		return RC_BACKEND;
	if(task_id) {
		st = wprep(s, sql_task_usn);
		if(!st)
			return RC_BACKEND;
		bind_uuid(st, 1, task_id);
		sqlite3_bind_int64(st, 2, *usn);
		if(wstep(st))
			return RC_BACKEND;
	}
	return RC_OK;
}

static enum rc apply(struct store *s, struct store_write *w, struct arena *a)
{
	sqlite3 *db = s->wconn->db;
	sqlite3_stmt *st;
	enum rc rc;
	switch(w->kind) {
	case W_SESSION_CREATE: {
		struct sess_rec r = w->sess;
		r.usn = ++s->usn;
		st = wprep(s, sql_sess_ins);
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_sess(st, &r);
		int step = sqlite3_step(st);
		int ext = sqlite3_extended_errcode(db);
		sqlite3_reset(st);
		if(step != SQLITE_DONE)
			return wfail(w, ext == SQLITE_CONSTRAINT_PRIMARYKEY ? RC_CONFLICT : RC_BACKEND, db,
			             ext == SQLITE_CONSTRAINT_PRIMARYKEY ? "a session with this id exists" : "insert session");
		w->usn = r.usn;
		copy_sess_out(w, &r);
		return RC_OK;
	}
	case W_SESSION_UPDATE: {
		struct sess_rec r;
		if((rc = load_sess(s, &w->target, a, &r)))
			return wfail(w, rc, db, rc == RC_NOTFOUND ? "session not found" : "load session");
		struct sess_rec old = r;
		if(w->mutate && (rc = w->mutate(w->mutate_ctx, &r, w->err, sizeof(w->err))))
			return wfail(w, rc, db, "update refused");
		r.id = w->target;
		r.usn = ++s->usn;
		st = sess_update_stmt(s, sess_changed(&old, &r));
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_sess(st, &r);
		if(wstep(st))
			return wfail(w, RC_BACKEND, db, "update session");
		w->usn = r.usn;
		copy_sess_out(w, &r);
		return RC_OK;
	}
	case W_TASK_CREATE: {
		struct sess_rec parent;
		if((rc = load_sess(s, &w->task.session_id, a, &parent)))
			return wfail(w, rc, db, rc == RC_NOTFOUND ? "session not found" : "load session");
		if(w->mutate && (rc = w->mutate(w->mutate_ctx, &parent, w->err, sizeof(w->err))))
			return wfail(w, rc, db, "refused");
		struct task_rec t = w->task;
		t.session_type = parent.type;
		if((rc = bump(s, &parent.id, NULL, &t.usn)))
			return wfail(w, rc, db, "usn");
		st = wprep(s, sql_task_ins);
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_task(st, &t);
		int step = sqlite3_step(st);
		int ext = sqlite3_extended_errcode(db);
		sqlite3_reset(st);
		if(step != SQLITE_DONE)
			return wfail(w, ext == SQLITE_CONSTRAINT_PRIMARYKEY ? RC_CONFLICT : RC_BACKEND, db,
			             ext == SQLITE_CONSTRAINT_PRIMARYKEY ? "a task session with this id exists" : "insert task session");
		w->usn = t.usn;
		copy_task_out(w, &t);
		return RC_OK;
	}
	case W_TASK_UPDATE: {
		struct task_rec t;
		if((rc = load_task(s, &w->target, a, &t)))
			return wfail(w, rc, db, rc == RC_NOTFOUND ? "task session not found" : "load task session");
		if(w->mutate && (rc = w->mutate(w->mutate_ctx, &t, w->err, sizeof(w->err))))
			return wfail(w, rc, db, "update refused");
		t.id = w->target;
		if((rc = bump(s, &t.session_id, NULL, &t.usn)))
			return wfail(w, rc, db, "usn");
		st = wprep(s, sql_task_upd);
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_task(st, &t);
		if(wstep(st))
			return wfail(w, RC_BACKEND, db, "update task session");
		w->usn = t.usn;
		copy_task_out(w, &t);
		return RC_OK;
	}
	case W_LOG_APPEND:
	case W_LOG_UPDATE: {
		struct sess_rec sess;
		struct task_rec task;
		int is_task;
		if((rc = owner_session(s, &w->target, a, &sess, &task, &is_task)))
			return wfail(w, rc, db, rc == RC_NOTFOUND ? "session not found" : "load session");
		if(w->mutate && (rc = w->mutate(w->mutate_ctx, &sess, w->err, sizeof(w->err))))
			return wfail(w, rc, db, "refused");
		if(w->kind == W_LOG_APPEND) {
			st = wprep(s, sql_log_next);
			if(!st)
				return wfail(w, RC_BACKEND, db, "prepare");
			bind_uuid(st, 1, &w->target);
			int64_t next = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
			sqlite3_reset(st);
			w->first_log_id = next;
			for(int i = 0; i < w->nlogs; i++) {
				struct log_rec *l = &w->logs[i];
				l->id = next + i;
				st = wprep(s, sql_log_ins);
				if(!st)
					return wfail(w, RC_BACKEND, db, "prepare");
				bind_uuid(st, 1, &w->target);
				sqlite3_bind_int64(st, 2, l->id);
				sqlite3_bind_int(st, 3, l->status);
				bind_text(st, 4, l->title ? l->title : "");
				bind_text(st, 5, l->description);
				sqlite3_bind_int64(st, 6, l->start_us);
				sqlite3_bind_int64(st, 7, l->update_us ? l->update_us : l->start_us);
				if(wstep(st))
					return wfail(w, RC_BACKEND, db, "insert log");
			}
		} else {
			struct log_rec *l = &w->logs[0];
			st = wprep(s, sql_log_upd);
			if(!st)
				return wfail(w, RC_BACKEND, db, "prepare");
			bind_uuid(st, 1, &w->target);
			sqlite3_bind_int64(st, 2, l->id);
			sqlite3_bind_int(st, 3, l->status);
			sqlite3_bind_int64(st, 4, l->update_us);
			bind_text(st, 5, l->title);
			bind_text(st, 6, l->description);
			if(wstep(st))
				return wfail(w, RC_BACKEND, db, "update log");
			if(sqlite3_changes(db) == 0)
				return wfail(w, RC_NOTFOUND, db, "log record not found");
		}
		if((rc = bump(s, &sess.id, is_task ? &task.id : NULL, &w->usn)))
			return wfail(w, rc, db, "usn");
		return RC_OK;
	}
	case W_USER_PUT:
		/* Without a hash only the role of an existing user changes. */
		st = w->user.hash ? wprep(s, "INSERT INTO users(name,hash,role,created) VALUES(?1,?2,?3,?4) "
		                             "ON CONFLICT(name) DO UPDATE SET hash=excluded.hash, role=excluded.role")
		                  : wprep(s, "UPDATE users SET role=?3 WHERE name=?1");
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_text(st, 1, w->user.name);
		if(w->user.hash) {
			bind_text(st, 2, w->user.hash);
			sqlite3_bind_int64(st, 4, w->user.created_us);
		}
		sqlite3_bind_int(st, 3, w->user.role);
		if(wstep(st))
			return wfail(w, sqlite3_errcode(db) == SQLITE_CONSTRAINT ? RC_INVALID : RC_BACKEND, db, "store user");
		if(!w->user.hash && sqlite3_changes(db) == 0)
			return wfail(w, RC_NOTFOUND, db, "no such user");
		return RC_OK;
	case W_USER_DEL:
		st = wprep(s, "DELETE FROM users WHERE name=?1");
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_text(st, 1, w->user.name);
		if(wstep(st))
			return wfail(w, RC_BACKEND, db, "delete user");
		if(sqlite3_changes(db) == 0)
			return wfail(w, RC_NOTFOUND, db, "no such user");
		return RC_OK;
	case W_KV_PUT:
		st = wprep(s, "REPLACE INTO meta(key,value) VALUES(?1,?2)");
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_text(st, 1, w->key);
		bind_text(st, 2, w->value);
		if(wstep(st))
			return wfail(w, RC_BACKEND, db, "store setting");
		return RC_OK;
	case W_REVOKE:
		st = wprep(s, "INSERT INTO revoked(key,expires) VALUES(?1,?2)");
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		bind_text(st, 1, w->key);
		sqlite3_bind_int64(st, 2, w->i);
		if(wstep(st))
			return wfail(w, sqlite3_errcode(db) == SQLITE_CONSTRAINT ? RC_CONFLICT : RC_BACKEND, db, "revoke");
		return RC_OK;
	case W_PURGE: {
		st = wprep(s, "SELECT id FROM sessions WHERE end_time < ?1 ORDER BY end_time LIMIT ?2");
		if(!st)
			return wfail(w, RC_BACKEND, db, "prepare");
		sqlite3_bind_int64(st, 1, w->i);
		sqlite3_bind_int64(st, 2, w->n > 0 ? w->n : 1000);
		int64_t n = 0;
		struct uuid ids[1000];
		while(n < 1000 && sqlite3_step(st) == SQLITE_ROW)
			col_uuid(st, 0, &ids[n++]);
		sqlite3_reset(st);
		for(int64_t i = 0; i < n; i++) {
			static const char *const del[] = {
				"DELETE FROM logs WHERE owner IN (SELECT id FROM task_sessions WHERE session_id=?1)",
				"DELETE FROM logs WHERE owner=?1",
				"DELETE FROM task_sessions WHERE session_id=?1",
				"DELETE FROM sessions WHERE id=?1",
			};
			for(size_t k = 0; k < sizeof(del) / sizeof(del[0]); k++) {
				st = wprep(s, del[k]);
				if(!st)
					return wfail(w, RC_BACKEND, db, "prepare");
				bind_uuid(st, 1, &ids[i]);
				if(wstep(st))
					return wfail(w, RC_BACKEND, db, "purge");
			}
		}
		st = wprep(s, "DELETE FROM revoked WHERE expires < ?1");
		if(st) {
			sqlite3_bind_int64(st, 1, time_now_us());
			wstep(st);
		}
		w->affected = n;
		if(n)
			w->usn = ++s->usn;   /* the store changed: whatever keys on the usn sees it */
		return RC_OK;
	}
	}
	return wfail(w, RC_INVALID, db, "unknown write");
}

/* SAVEPOINT w (0), ROLLBACK TO w (1), RELEASE w (2), prepared once: sqlite3_exec
 * would parse them again for every write of a batch. */
static void savepoint(struct store *s, int which)
{
	static const char *const sql[] = {"SAVEPOINT w", "ROLLBACK TO w", "RELEASE w"};
	if(!s->sp[which] &&
	   sqlite3_prepare_v3(s->wconn->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->sp[which], NULL) != SQLITE_OK) {
		exec1(s->wconn->db, sql[which]);
		return;
	}
	wstep(s->sp[which]);
}

static void *writer_main(void *arg)
{
	struct store *s = arg;
	sqlite3 *db = s->wconn->db;
	struct arena a;
	arena_init(&a);
	for(;;) {
		pthread_mutex_lock(&s->qlock);
		while(!s->qhead && !s->stopping)
			pthread_cond_wait(&s->qcond, &s->qlock);
		struct store_write *batch = s->qhead;
		s->qhead = s->qtail = NULL;
		int stopping = s->stopping;
		pthread_mutex_unlock(&s->qlock);
		if(!batch) {
			if(stopping)
				break;
			continue;
		}
		int64_t usn_before = s->usn;
		int ok = exec1(db, "BEGIN IMMEDIATE") == 0;
		for(struct store_write *w = batch; w; w = w->next) {
			w->rc = RC_OK;
			if(!ok) {
				wfail(w, RC_BACKEND, db, "begin");
				continue;
			}
			int64_t usn_w = s->usn;
			savepoint(s, 0);
			if(apply(s, w, &a)) {
				savepoint(s, 1);
				s->usn = usn_w;
			}
			savepoint(s, 2);
		}
		if(ok) {
			sqlite3_stmt *st = wprep(s, "REPLACE INTO meta(key,value) VALUES('usn',?1)");
			if(st) {
				sqlite3_bind_int64(st, 1, s->usn);
				wstep(st);
			}
			if(exec1(db, "COMMIT")) {
				exec1(db, "ROLLBACK");
				s->usn = usn_before;
				for(struct store_write *w = batch; w; w = w->next)
					if(!w->rc)
						wfail(w, RC_BACKEND, db, "commit");
			}
		}
		__atomic_store_n(&s->usn_seen, s->usn, __ATOMIC_RELEASE);
		if(s->commit_hook && s->usn != usn_before)
			s->commit_hook(s->usn);
		arena_reset(&a);
		while(batch) {
			struct store_write *next = batch->next;
			batch->next = NULL;
			batch->done(batch);
			batch = next;
		}
	}
	arena_free(&a);
	return NULL;
}


static void sq_set_commit_hook(struct store *s, void (*fn)(int64_t usn))
{
	s->commit_hook = fn;
}

static void sq_submit(struct store *s, struct store_write *w)
{
	w->next = NULL;
	w->rc = RC_OK;
	w->err[0] = 0;
	pthread_mutex_lock(&s->qlock);
	if(s->stopping) {
		pthread_mutex_unlock(&s->qlock);
		w->rc = RC_BUSY;
		snprintf(w->err, sizeof(w->err), "the server is shutting down");
		w->done(w);
		return;
	}
	if(s->qtail)
		s->qtail->next = w;
	else
		s->qhead = w;
	s->qtail = w;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

/* ---------- open / close ---------- */

static void conn_destroy_key(void *p)
{
	(void)p; /* connections are closed with the store */
}

static enum rc migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	if(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if(sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	for(int v = version; v < store_sql_migration_count; v++) {
		char *msg = NULL;
		if(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
		   sqlite3_exec(db, store_sql_migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %d failed: %s", v + 1, msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return RC_BACKEND;
		}
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v + 1);
		if(exec1(db, pragma) || exec1(db, "COMMIT")) {
			snprintf(err, errlen, "migration %d failed: %s", v + 1, sqlite3_errmsg(db));
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return RC_BACKEND;
		}
	}
	if(version > store_sql_migration_count) {
		snprintf(err, errlen, "database schema version %d is newer than this sessiond (%d)", version,
		         store_sql_migration_count);
		return RC_BACKEND;
	}
	return RC_OK;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if(sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

static void sq_close(struct store *s);

/* SQLite's memory statistics take one process-wide mutex on every allocation, which
 * the HTTP workers then queue on (perf: half the futex calls of a GET). Nothing reads
 * them; turning them off must happen before SQLite initialises. */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static enum rc sq_open(const char *uri, struct store **out, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	if(!strncmp(uri, "sqlite:", 7))
		uri += 7;
	struct store *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(uri);
	pthread_key_create(&s->key, conn_destroy_key);
	pthread_mutex_init(&s->conns_lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	enum rc rc = conn_open(s, 1, &s->wconn, err, errlen);
	if(rc) {
		free(s->path);
		free(s);
		return rc;
	}
	sqlite3 *db = s->wconn->db;
	if(exec1(db, "PRAGMA journal_mode=WAL") || exec1(db, "PRAGMA synchronous=FULL") ||
	   exec1(db, "PRAGMA foreign_keys=OFF")) {
		snprintf(err, errlen, "cannot configure %s: %s", s->path, sqlite3_errmsg(db));
		conn_close(s->wconn);
		free(s->path);
		free(s);
		return RC_BACKEND;
	}
	if((rc = migrate(db, err, errlen))) {
		conn_close(s->wconn);
		free(s->path);
		free(s);
		return rc;
	}
	int64_t u1 = query_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='usn'");
	int64_t u2 = query_int(db, "SELECT coalesce(max(usn),0) FROM sessions");
	int64_t u3 = query_int(db, "SELECT coalesce(max(usn),0) FROM task_sessions");
	s->usn = u1 > u2 ? u1 : u2;
	if(u3 > s->usn)
		s->usn = u3;
	s->usn_seen = s->usn;
	if(pthread_create(&s->writer, NULL, writer_main, s)) {
		snprintf(err, errlen, "cannot start the writer thread");
		sq_close(s);
		return RC_BACKEND;
	}
	*out = s;
	return RC_OK;
}

static void sq_close(struct store *s)
{
	if(!s)
		return;
	pthread_mutex_lock(&s->qlock);
	s->stopping = 1;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	if(s->writer)
		pthread_join(s->writer, NULL);
	struct conn *c = s->conns;
	while(c) {
		struct conn *next = c->next;
		conn_close(c);
		c = next;
	}
	if(s->wconn) {
		exec1(s->wconn->db, "PRAGMA wal_checkpoint(TRUNCATE)");
		for(size_t i = 0; i < sizeof(s->wcache) / sizeof(s->wcache[0]); i++)
			sqlite3_finalize(s->wcache[i].st);
		for(size_t i = 0; i < sizeof(s->ucache) / sizeof(s->ucache[0]); i++)
			sqlite3_finalize(s->ucache[i].st);
		for(size_t i = 0; i < sizeof(s->sp) / sizeof(s->sp[0]); i++)
			sqlite3_finalize(s->sp[i]);
		conn_close(s->wconn);
	}
	pthread_key_delete(s->key);
	free(s->path);
	free(s);
}

const struct store_ops store_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.session_get = sq_session_get,
	.session_list = sq_session_list,
	.task_get = sq_task_get,
	.task_list = sq_task_list,
	.log_list = sq_log_list,
	.job_latest = sq_job_latest,
	.usn_current = sq_usn_current,
	.user_get = sq_user_get,
	.user_get_uid = sq_user_get_uid,
	.user_list = sq_user_list,
	.user_count = sq_user_count,
	.kv_get = sq_kv_get,
	.revoked_list = sq_revoked_list,
	.set_commit_hook = sq_set_commit_hook,
	.submit = sq_submit,
};
