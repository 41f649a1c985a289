/* SQLite driver: one file in WAL mode, a read connection per thread with its
 * prepared statements kept, and one write connection that the writer
 * (store/writer.c) drives through the tx_* operations. List queries are
 * compiled by store/sqlgen.c; rules are core's. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sess_cache.h"
#include "store/sqlgen.h"
#include "store/store.h"
#include "store/store_sql.h"
#include "util/buf.h"
#include "util/timefmt.h"

#define USER_COLS "uid,name,hash,role,gen,created"
#define LOGON_COLS "sid,uid,gen,role,user,created,last"
#define EMTASK_COLS "id,session_id,uid,success,message,created"
#define KEY_COLS "id,name,role,hash,created,last_used"
#define ESTATE_COLS "kind,id,parent,name,reporter,props,deleted,created,updated,usn"

/* Statements of the read connections, prepared once per connection. */
enum rstmt {
	R_SESS_GET, R_TASK_GET, R_USER_GET, R_USER_GET_UID, R_KV_GET, R_LOGON_GET, R_EMTASK_GET, R_KEY_GET, R_ESTATE_GET, R_STMT_COUNT
};

static const char *const rstmt_sql[R_STMT_COUNT] = {
	[R_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE id=?1",
	[R_TASK_GET] = "SELECT " TASK_COLS " FROM task_sessions WHERE id=?1",
	[R_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name=?1",
	[R_USER_GET_UID] = "SELECT " USER_COLS " FROM users WHERE uid=?1",
	[R_KV_GET] = "SELECT value FROM meta WHERE key=?1",
	[R_LOGON_GET] = "SELECT " LOGON_COLS " FROM logons WHERE sid=?1",
	[R_EMTASK_GET] = "SELECT " EMTASK_COLS " FROM em_tasks WHERE id=?1",
	[R_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE id=?1",
	[R_ESTATE_GET] = "SELECT " ESTATE_COLS " FROM estate WHERE kind=?2 AND id=?1 AND deleted=0",
};

/* Statements of the write connection, prepared once. */
enum wstmt {
	W_BEGIN, W_COMMIT, W_ROLLBACK, W_SP, W_SP_ROLLBACK, W_SP_RELEASE, W_USN_SAVE,
	W_SESS_GET, W_SESS_INS, W_SESS_DEL, W_SESS_ENDED, W_TASK_GET, W_TASK_INS, W_TASK_UPD,
	W_TASKS_DEL, W_TASK_LOGS_DEL, W_LOGS_DEL, W_LOG_LAST, W_LOG_INS, W_LOG_UPD,
	W_USER_INS, W_USER_UPD, W_USER_GET, W_USER_DEL, W_KV_PUT, W_REVOKE, W_REVOKED_PURGE,
	W_LOGON_PUT, W_LOGON_GET, W_LOGON_DEL, W_LOGON_DEL_OLD, W_LOGON_OF_USER, W_EMTASK_INS,
	W_KEY_INS, W_KEY_REPLACE, W_KEY_GET, W_KEY_DEL, W_EMTASK_DEL, W_ESTATE_GET, W_ESTATE_PUT, W_STMT_COUNT
};

static const char *const wstmt_sql[W_STMT_COUNT] = {
	[W_BEGIN] = "BEGIN IMMEDIATE",
	[W_COMMIT] = "COMMIT",
	[W_ROLLBACK] = "ROLLBACK",
	[W_SP] = "SAVEPOINT w",
	[W_SP_ROLLBACK] = "ROLLBACK TO w",
	[W_SP_RELEASE] = "RELEASE w",
	[W_USN_SAVE] = "REPLACE INTO meta(key,value) VALUES('usn',?1)",
	[W_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE id=?1",
	[W_SESS_INS] = "INSERT INTO sessions(" SESS_COLS ") VALUES(" SESS_PARAMS ")",
	[W_SESS_DEL] = "DELETE FROM sessions WHERE id=?1",
	[W_SESS_ENDED] = "SELECT id FROM sessions WHERE end_time < ?1 ORDER BY end_time LIMIT ?2",
	[W_TASK_GET] = "SELECT " TASK_COLS " FROM task_sessions WHERE id=?1",
	[W_TASK_INS] = "INSERT INTO task_sessions(" TASK_COLS ") VALUES(" TASK_PARAMS ")",
	[W_TASK_UPD] = "REPLACE INTO task_sessions(" TASK_COLS ") VALUES(" TASK_PARAMS ")",
	[W_TASKS_DEL] = "DELETE FROM task_sessions WHERE session_id=?1",
	[W_TASK_LOGS_DEL] = "DELETE FROM logs WHERE owner IN (SELECT id FROM task_sessions WHERE session_id=?1)",
	[W_LOGS_DEL] = "DELETE FROM logs WHERE owner=?1",
	[W_LOG_LAST] = "SELECT coalesce(max(id),0) FROM logs WHERE owner=?1",
	[W_LOG_INS] = "INSERT INTO logs(owner,id,status,title,description,start_time,update_time) VALUES(?1,?2,?3,?4,?5,?6,?7)",
	[W_LOG_UPD] = "UPDATE logs SET status=?3, update_time=?4, title=coalesce(?5,title), "
	              "description=coalesce(?6,description) WHERE owner=?1 AND id=?2",
	[W_USER_INS] = "INSERT INTO users(name,hash,role,gen,created) VALUES(?2,?3,?4,?5,?6)",
	[W_USER_UPD] = "UPDATE users SET name=?2, hash=?3, role=?4, gen=?5, created=?6 WHERE uid=?1",
	[W_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name=?1",
	[W_USER_DEL] = "DELETE FROM users WHERE uid=?1",
	[W_KV_PUT] = "REPLACE INTO meta(key,value) VALUES(?1,?2)",
	[W_REVOKE] = "INSERT INTO revoked(key,kind,expires) VALUES(?1,?2,?3)",
	[W_REVOKED_PURGE] = "DELETE FROM revoked WHERE expires < ?1",
	[W_LOGON_PUT] = "REPLACE INTO logons(" LOGON_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7)",
	[W_LOGON_GET] = "SELECT " LOGON_COLS " FROM logons WHERE sid=?1",
	[W_LOGON_DEL] = "DELETE FROM logons WHERE sid=?1",
	[W_LOGON_DEL_OLD] = "DELETE FROM logons WHERE last < ?1 OR created < ?2",
	[W_LOGON_OF_USER] = "SELECT sid FROM logons WHERE uid=?1 ORDER BY created, sid LIMIT ?2",
	[W_EMTASK_INS] = "INSERT INTO em_tasks(session_id,uid,success,message,created) VALUES(?1,?2,?3,?4,?5)",
	[W_KEY_INS] = "INSERT INTO api_keys(" KEY_COLS ") VALUES(?1,?2,?3,?4,?5,?6)",
	[W_KEY_REPLACE] = "REPLACE INTO api_keys(" KEY_COLS ") VALUES(?1,?2,?3,?4,?5,?6)",
	[W_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE name=?1",
	[W_KEY_DEL] = "DELETE FROM api_keys WHERE name=?1",
	[W_EMTASK_DEL] = "DELETE FROM em_tasks WHERE id=?1",
	[W_ESTATE_GET] = "SELECT " ESTATE_COLS " FROM estate WHERE kind=?2 AND id=?1",
	/* an upsert, not REPLACE: a rewrite must run the update trigger of estate_counts */
	[W_ESTATE_PUT] = "INSERT INTO estate(" ESTATE_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
	                 " ON CONFLICT(kind, id) DO UPDATE SET parent=excluded.parent, name=excluded.name,"
	                 " reporter=excluded.reporter, props=excluded.props, deleted=excluded.deleted,"
	                 " created=excluded.created, updated=excluded.updated, usn=excluded.usn",
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

	/* the write connection, used by the writer thread only */
	struct conn *wconn;
	sqlite3_stmt *wst[W_STMT_COUNT];
	struct { uint32_t mask; sqlite3_stmt *st; } ucache[32];   /* session updates by changed columns */
	struct sess_cache *rows;    /* session rows as last read or written here */
	int64_t usn;                /* last usn given (writer thread only) */
	int64_t usn_batch;          /* usn at tx_begin, restored by a rollback */
	int64_t usn_sp;             /* usn at the op's savepoint */
	enum { SPS_NONE, SPS_ASKED, SPS_OPEN } sp;   /* the op's savepoint: opened before its first write */
	int64_t usn_seen;           /* last committed usn, read by other threads (atomic) */
	char errmsg[256];           /* the last failure's text (tx_error) */
};

static const struct sqlgen_dialect dialect = {.dollar = 0, .like = "LIKE", .text_eq = " COLLATE NOCASE",
                                             .unary_plus = 1};

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
	r->lease_us = sqlite3_column_int64(st, 22);
	r->heartbeat_s = sqlite3_column_int(st, 23);
}

/* Binds the columns of SESS_COLS that mask names (bit i: column i, parameter ?i+1); the
 * id (bit 0) always. An update binds only what its statement sets. */
static void bind_sess_cols(sqlite3_stmt *st, const struct sess_rec *r, uint32_t mask)
{
#define B(i, call) \
	if(mask & (1u << ((i) - 1))) \
		call
	bind_uuid(st, 1, &r->id);
	B(2, sqlite3_bind_int64(st, 2, r->usn));
	B(3, bind_text(st, 3, r->name ? r->name : ""));
	B(4, sqlite3_bind_int(st, 4, r->type));
	B(5, sqlite3_bind_int(st, 5, r->state));
	B(6, sqlite3_bind_int(st, 6, r->result));
	B(7, sqlite3_bind_int(st, 7, r->progress));
	B(8, sqlite3_bind_int(st, 8, r->is_canceled));
	B(9, sqlite3_bind_int(st, 9, r->is_retry));
	B(10, sqlite3_bind_int(st, 10, r->stop_requested));
	B(11, sqlite3_bind_int64(st, 11, r->creation_us));
	B(12, bind_time(st, 12, r->end_us));
	B(13, bind_uuid(st, 13, &r->job_id));
	B(14, bind_uuid(st, 14, &r->parent_id));
	B(15, bind_uuid(st, 15, &r->resource_id));
	B(16, bind_text(st, 16, r->job_name));
	B(17, bind_text(st, 17, r->resource_ref));
	B(18, bind_text(st, 18, r->platform_name));
	B(19, bind_text(st, 19, r->initiated_by));
	B(20, bind_text(st, 20, r->message));
	B(21, bind_text(st, 21, r->backup_server));
	B(22, bind_text(st, 22, r->extra));
	B(23, bind_time(st, 23, r->lease_us));
	B(24, sqlite3_bind_int(st, 24, r->heartbeat_s));
#undef B
}

static void bind_sess(sqlite3_stmt *st, const struct sess_rec *r)
{
	bind_sess_cols(st, r, ~0u);
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
	memset(u, 0, sizeof(*u));
	u->uid = sqlite3_column_int64(st, 0);
	u->name = col_text(st, 1, a);
	u->hash = col_text(st, 2, a);
	u->role = sqlite3_column_int(st, 3);
	u->gen = sqlite3_column_int64(st, 4);
	u->created_us = sqlite3_column_int64(st, 5);
}

static void read_logon(sqlite3_stmt *st, struct arena *a, struct logon_rec *l)
{
	memset(l, 0, sizeof(*l));
	const char *sid = (const char *)sqlite3_column_text(st, 0);
	snprintf(l->sid, sizeof(l->sid), "%s", sid ? sid : "");
	l->uid = sqlite3_column_int64(st, 1);
	l->gen = sqlite3_column_int64(st, 2);
	l->role = sqlite3_column_int(st, 3);
	l->user = col_text(st, 4, a);
	l->created_us = sqlite3_column_int64(st, 5);
	l->last_us = sqlite3_column_int64(st, 6);
}

static void read_emtask(sqlite3_stmt *st, struct arena *a, struct emtask_rec *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	col_uuid(st, 1, &e->session_id);
	e->uid = sqlite3_column_int64(st, 2);
	e->success = sqlite3_column_int(st, 3);
	e->message = col_text(st, 4, a);
	e->created_us = sqlite3_column_int64(st, 5);
}

static void read_key(sqlite3_stmt *st, struct arena *a, struct key_rec *k)
{
	memset(k, 0, sizeof(*k));
	const char *id = (const char *)sqlite3_column_text(st, 0);
	snprintf(k->id, sizeof(k->id), "%s", id ? id : "");
	k->name = col_text(st, 1, a);
	k->role = sqlite3_column_int(st, 2);
	k->hash = col_text(st, 3, a);
	k->created_us = sqlite3_column_int64(st, 4);
	k->last_used_us = sqlite3_column_int64(st, 5);
}

static void read_estate(sqlite3_stmt *st, struct arena *a, struct estate_rec *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = sqlite3_column_int(st, 0);
	col_uuid(st, 1, &e->id);
	col_uuid(st, 2, &e->parent_id);
	e->name = col_text(st, 3, a);
	e->reporter = col_text(st, 4, a);
	e->props = col_text(st, 5, a);
	e->deleted = sqlite3_column_int(st, 6);
	e->created_us = sqlite3_column_int64(st, 7);
	e->updated_us = sqlite3_column_int64(st, 8);
	e->usn = sqlite3_column_int64(st, 9);
}

/* ---------- list queries (compiled by sqlgen) ---------- */

static void bind_list(sqlite3_stmt *st, const struct sqlgen_param *params, int n)
{
	for(int i = 0; i < n; i++) {
		const struct sqlgen_param *p = &params[i];
		if(p->kind == QV_INT)
			sqlite3_bind_int64(st, i + 1, p->i);
		else if(p->kind == QV_TEXT)
			bind_text(st, i + 1, p->s);
		else
			sqlite3_bind_blob(st, i + 1, p->u.b, 16, SQLITE_TRANSIENT);
	}
}

static void bind_params(sqlite3_stmt *st, const struct sqlgen *g)
{
	bind_list(st, g->p, g->np);
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

/* A read transaction for a list whose total and page must agree; 0 when it began. */
static int snapshot_begin(struct conn *c)
{
	sqlite3_stmt *st = list_stmt(c, "BEGIN");
	return st && sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* What the groups table tells of reading a filter's sessions job by job (sqlgen_jobs_stats). */
struct jobs {
	int known;                  /* the statistics were read */
	int64_t nulls, rows;        /* groups that may match without a job id; the sessions of their jobs */
	int64_t rest_nulls, rest_rows;   /* the same for the groups not all of whose sessions match */
	int64_t misses;             /* groups of those jobs failing the group-only conjuncts (-1: none) */
	int64_t all;                /* every session */
};

static int64_t one_int(struct conn *c, const char *sql)
{
	sqlite3_stmt *st = list_stmt(c, sql);
	int64_t v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if(st)
		sqlite3_reset(st);
	return v;
}

/* Reads the statistics once (text is scratch); 0 when the filter cannot be read by job. */
static int jobs_stats(struct conn *c, struct sqlgen *g, struct jobs *j, struct buf *text, struct arena *a)
{
	if(j->known)
		return j->known > 0;
	j->known = -1;
	buf_reset(text);
	if(!sqlgen_jobs_stats(g, text, a))
		return 0;
	sqlite3_stmt *st = list_stmt(c, buf_cstr(text));
	if(!st)
		return 0;
	bind_list(st, g->cp, g->ncp);
	if(sqlite3_step(st) == SQLITE_ROW) {
		j->nulls = sqlite3_column_int64(st, 0);
		j->rows = sqlite3_column_int64(st, 1);
		j->rest_nulls = sqlite3_column_int64(st, 2);
		j->rest_rows = sqlite3_column_int64(st, 3);
		j->misses = sqlite3_column_int64(st, 4);
		j->known = 1;
	}
	sqlite3_reset(st);
	buf_reset(text);
	j->all = one_int(c, "SELECT coalesce(sum(n),0) FROM session_counts");
	return j->known > 0;
}

/* How the page of a filter is read (total: -1 when not counted; text is scratch):
 * - a bound on end_time bounds creation as well while no session ended before it was
 *   created (sessions_ended_early is empty): the page of sessions ended before a time
 *   is then a range of the creation index, not a walk over every newer session;
 * - the sessions of the jobs the filter can match (sqlgen_jobs_page) are read and sorted
 *   when they are fewer (or, read in the job index alone, ten times fewer) than the entries
 *   a walk of the order's index would step over, about (skip + limit) * all / total (with
 *   no total: when they are under 2 % of the table);
 * - else a filter that matches much (known by its total) is read in the order's index,
 *   whose walk then steps over fewer entries than the filter's index would give to be
 *   sorted. */
static void page_plan(struct conn *c, struct sqlgen *g, const struct query *q, int64_t total, struct jobs *j,
                      struct buf *text, struct arena *a)
{
	const struct sqlgen_table *t = g->t;
	int64_t bound;
	if(q->order == QO_CREATION && sqlgen_end_bound(g, &bound) &&
	   one_int(c, "SELECT NOT EXISTS (SELECT 1 FROM sessions INDEXED BY sessions_ended_early"
	              " WHERE end_time < creation)"))   /* else a covering index is scanned */
		sqlgen_restrict(g, q_int(a, QF_CREATION, Q_LE, bound), a);
	if(!(t->counts || t->groups))
		return;
	int64_t all = j->known > 0 ? j->all : one_int(c, t->counts ? "SELECT coalesce(sum(n),0) FROM session_counts"
	                                                        : "SELECT coalesce(sum(n),0) FROM task_names");
	double want = (double)(q->skip > 0 ? q->skip : 0) + (double)q->limit;
	/* without a total (a page read on its own), the jobs' sessions when they are few */
	double walk = total >= 0 ? want * (double)all / (double)(total > 0 ? total : 1) : (double)all / 50;
	if(walk > 2000 && jobs_stats(c, g, j, text, a) && j->nulls == 0) {
		int exact = j->misses == 0;
		double cost = (double)j->rows / (exact && sqlgen_jobs_exact_cheap(g, a) ? 10 : 1);
		if(cost < walk && sqlgen_jobs_page(g, exact, a))
			return;
	}
	if(total >= 0 && sqlgen_filter_indexed(g) && (double)total * (double)total >= want * (double)all)
		sqlgen_unindexed(g, a);
}

static enum rc run_list(struct store *s, const struct sqlgen_table *t, const struct query *q, struct arena *a,
                        row_reader rd, size_t recsize, int (*cb)(void *, const void *), void *ctx, int64_t *total)
{
	struct conn *c = reader(s);
	if(!c)
		return RC_BACKEND;
	struct sqlgen g;
	sqlgen_init(&g, &dialect, t, q, a);
	struct buf text;
	buf_init(&text, 0);
	enum rc rc = RC_OK;
	sqlite3_stmt *st;
	int in_txn = 0;
	if(g.bad) {
		rc = RC_INVALID;
		goto out;
	}
	struct jobs j = {0};
	if(total || (q->limit > 0 && t->groups)) {
		/* The total and the page (and what plans the page) come from one snapshot. */
		if(snapshot_begin(c)) {
			rc = RC_BACKEND;
			goto out;
		}
		in_txn = 1;
	}
	if(total) {
		int kept = sqlgen_count(&g, &text, a);
		if(!kept && jobs_stats(c, &g, &j, &text, a) && j.rest_nulls == 0 && j.rest_rows * 8 <= j.all) {
			/* the sessions of a few jobs are counted instead of a range of the table */
			if(!sqlgen_jobs_count(&g, j.misses == 0, &text, a)) {
				buf_reset(&text);
				sqlgen_count(&g, &text, a);
			}
		} else if(!kept && j.known) {
			buf_reset(&text);
			sqlgen_count(&g, &text, a);
		}
		if(!(st = list_stmt(c, buf_cstr(&text)))) {
			rc = RC_BACKEND;
			goto out;
		}
		if(g.ncp)
			bind_list(st, g.cp, g.ncp);
		else
			bind_params(st, &g);
		*total = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		buf_reset(&text);
		if(sqlgen_page_empty(q, *total))
			goto out;   /* nothing to read: a filter that matches little would scan for it */
	}
	if(q->limit > 0 && t->groups) {
		page_plan(c, &g, q, total ? *total : -1, &j, &text, a);
		buf_reset(&text);
	}
	sqlgen_page(&g, q, total ? *total : -1, &text);
	if(!(st = list_stmt(c, buf_cstr(&text)))) {
		rc = RC_BACKEND;
		goto out;
	}
	bind_params(st, &g);
	if(g.paged) {
		sqlite3_bind_int64(st, g.np + 1, g.limit);
		sqlite3_bind_int64(st, g.np + 2, g.offset);
	}
	int step = SQLITE_DONE;   /* limit 0 steps nothing */
	if(g.reverse) {
		int64_t limit = g.limit;
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
	sqlgen_free(&g);
	buf_free(&text);
	return rc;
}

/* ---------- read operations ---------- */

static void rd_sess(sqlite3_stmt *st, struct arena *a, void *rec) { read_sess(st, a, rec); }
static void rd_task(sqlite3_stmt *st, struct arena *a, void *rec) { read_task(st, a, rec); }
static void rd_user(sqlite3_stmt *st, struct arena *a, void *rec) { read_user(st, a, rec); }
static void rd_logon(sqlite3_stmt *st, struct arena *a, void *rec) { read_logon(st, a, rec); }
static void rd_emtask(sqlite3_stmt *st, struct arena *a, void *rec) { read_emtask(st, a, rec); }
static void rd_key(sqlite3_stmt *st, struct arena *a, void *rec) { read_key(st, a, rec); }
static void rd_estate(sqlite3_stmt *st, struct arena *a, void *rec) { read_estate(st, a, rec); }

/* Steps a bound single-row statement into out through rd. */
static enum rc step_one(sqlite3_stmt *st, struct arena *a, row_reader rd, void *out)
{
	int step = sqlite3_step(st);
	enum rc rc = step == SQLITE_ROW ? RC_OK : step == SQLITE_DONE ? RC_NOTFOUND : RC_BACKEND;
	if(step == SQLITE_ROW)
		rd(st, a, out);
	sqlite3_reset(st);
	return rc;
}

/* One row through a kept statement of this thread's connection, keyed by a uuid, a
 * text or an integer (whichever is given). */
static enum rc get_one(struct store *s, enum rstmt which, const struct uuid *id, const char *text, int64_t i,
                       struct arena *a, row_reader rd, void *out)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st = c ? stmt(c, which) : NULL;
	if(!st)
		return RC_BACKEND;
	if(id)
		bind_uuid(st, 1, id);
	else if(text)
		bind_text(st, 1, text);
	else
		sqlite3_bind_int64(st, 1, i);
	return step_one(st, a, rd, out);
}

static enum rc sq_session_get(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	return get_one(s, R_SESS_GET, id, NULL, 0, a, rd_sess, out);
}

static enum rc sq_task_get(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out)
{
	return get_one(s, R_TASK_GET, id, NULL, 0, a, rd_task, out);
}

static enum rc sq_user_get(struct store *s, const char *name, struct arena *a, struct user_rec *out)
{
	return get_one(s, R_USER_GET, NULL, name, 0, a, rd_user, out);
}

static enum rc sq_user_get_uid(struct store *s, int64_t uid, struct arena *a, struct user_rec *out)
{
	return get_one(s, R_USER_GET_UID, NULL, NULL, uid, a, rd_user, out);
}

static enum rc sq_logon_get(struct store *s, const char *sid, struct arena *a, struct logon_rec *out)
{
	return get_one(s, R_LOGON_GET, NULL, sid, 0, a, rd_logon, out);
}

static enum rc sq_emtask_get(struct store *s, int64_t id, struct arena *a, struct emtask_rec *out)
{
	return get_one(s, R_EMTASK_GET, NULL, NULL, id, a, rd_emtask, out);
}

static enum rc sq_key_get(struct store *s, const char *id, struct arena *a, struct key_rec *out)
{
	return get_one(s, R_KEY_GET, NULL, id, 0, a, rd_key, out);
}

static enum rc sq_session_list(struct store *s, const struct query *q, struct arena *a, store_sess_cb cb,
                               void *ctx, int64_t *total)
{
	return run_list(s, &store_sql_sessions_grouped, q, a, rd_sess, sizeof(struct sess_rec), (int (*)(void *, const void *))cb, ctx,
	                total);
}

static enum rc sq_task_list(struct store *s, const struct query *q, struct arena *a, store_task_cb cb,
                            void *ctx, int64_t *total)
{
	return run_list(s, &store_sql_tasks_grouped, q, a, rd_task, sizeof(struct task_rec), (int (*)(void *, const void *))cb, ctx,
	                total);
}

/* Runs a one-off statement (bound by bind(st, arg)) and hands each row, read by rd,
 * to cb; RC_BACKEND when any step fails. */
static enum rc each_row(struct store *s, const char *sql, void (*bind)(sqlite3_stmt *, const void *),
                        const void *arg, struct arena *a, row_reader rd, size_t recsize,
                        int (*cb)(void *, const void *), void *ctx, int64_t *count)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st;
	if(!c || sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return RC_BACKEND;
	if(bind)
		bind(st, arg);
	void *rec = arena_alloc(a, recsize);
	int64_t n = 0;
	int step, stopped = 0;
	while((step = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if(stopped)
			continue;   /* counting on to the end */
		rd(st, a, rec);
		if(cb(ctx, rec)) {
			stopped = 1;
			if(!count)
				break;
		}
	}
	sqlite3_finalize(st);
	if(count)
		*count = n;
	return step == SQLITE_ROW || step == SQLITE_DONE ? RC_OK : RC_BACKEND;
}

struct log_args {
	const struct uuid *owner;
	int status;
	store_log_cb cb;
	void *ctx;
};

/* Rows of one owner's logs: the owner is the query's, not a column. */
static int log_row(void *ctx, const void *rec)
{
	const struct log_args *la = ctx;
	struct log_rec *r = (struct log_rec *)rec;
	r->owner = *la->owner;
	return la->cb(la->ctx, r);
}

static void bind_log_args(sqlite3_stmt *st, const void *arg)
{
	const struct log_args *l = arg;
	bind_uuid(st, 1, l->owner);
	if(l->status >= 0)
		sqlite3_bind_int(st, 2, l->status);
}

static void rd_log(sqlite3_stmt *st, struct arena *a, void *rec)
{
	struct log_rec *r = rec;
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->status = sqlite3_column_int(st, 1);
	r->title = col_text(st, 2, a);
	r->description = col_text(st, 3, a);
	r->start_us = sqlite3_column_int64(st, 4);
	r->update_us = sqlite3_column_int64(st, 5);
}

static enum rc sq_log_list(struct store *s, const struct uuid *owner, int status, struct arena *a,
                           store_log_cb cb, void *ctx, int64_t *total)
{
	const char *sql = status < 0
		? "SELECT id,status,title,description,start_time,update_time FROM logs WHERE owner=?1 ORDER BY id DESC"
		: "SELECT id,status,title,description,start_time,update_time FROM logs WHERE owner=?1 AND status=?2 ORDER BY id DESC";
	struct log_args la = {owner, status, cb, ctx};
	int64_t n = 0;
	enum rc rc = each_row(s, sql, bind_log_args, &la, a, rd_log, sizeof(struct log_rec), log_row, &la, &n);
	if(total)
		*total = n;
	return rc;
}

static enum rc sq_job_latest(struct store *s, struct arena *a, store_sess_cb cb, void *ctx)
{
	static const char sql[] =
		"SELECT " SESS_COLS_LEAN " FROM sessions WHERE id IN "
		"(SELECT (SELECT id FROM sessions s WHERE s.job_id = j.job_id ORDER BY creation DESC, id DESC LIMIT 1) "
		" FROM (SELECT DISTINCT job_id FROM sessions WHERE job_id IS NOT NULL) j) "
		"ORDER BY coalesce(job_name, name) COLLATE NOCASE, job_id";
	return each_row(s, sql, NULL, NULL, a, rd_sess, sizeof(struct sess_rec), (int (*)(void *, const void *))cb, ctx,
	                NULL);
}

static int64_t sq_usn_current(struct store *s)
{
	return __atomic_load_n(&s->usn_seen, __ATOMIC_ACQUIRE);
}

static enum rc sq_user_list(struct store *s, struct arena *a, store_user_cb cb, void *ctx)
{
	return each_row(s, "SELECT " USER_COLS " FROM users ORDER BY name", NULL, NULL, a, rd_user,
	                sizeof(struct user_rec), (int (*)(void *, const void *))cb, ctx, NULL);
}

static void rd_count(sqlite3_stmt *st, struct arena *a, void *rec)
{
	(void)a;
	*(int64_t *)rec = sqlite3_column_int64(st, 0);
}

static int take_count(void *ctx, const void *rec)
{
	*(int64_t *)ctx = *(const int64_t *)rec;
	return 1;
}

static enum rc sq_user_count(struct store *s, int64_t *n)
{
	struct arena a;
	arena_init(&a);
	*n = 0;
	enum rc rc = each_row(s, "SELECT count(*) FROM users", NULL, NULL, &a, rd_count, sizeof(int64_t), take_count, n,
	                      NULL);
	arena_free(&a);
	return rc;
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

static enum rc sq_revoked_list(struct store *s, int kind, int64_t now_us, int64_t after, int64_t *last,
                               store_revoked_cb cb, void *ctx)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st;
	if(!c || sqlite3_prepare_v2(c->db, "SELECT seq, key, expires FROM revoked WHERE kind=?1 AND expires > ?2 AND seq > ?3 "
	                                   "ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return RC_BACKEND;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int64(st, 2, now_us);
	sqlite3_bind_int64(st, 3, after);
	int step;
	while((step = sqlite3_step(st)) == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		if(cb(ctx, (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2)))
			break;
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? RC_OK : RC_BACKEND;
}

static void bind_uid(sqlite3_stmt *st, const void *arg)
{
	sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
}

static enum rc sq_logon_list(struct store *s, int64_t uid, struct arena *a,
                             int (*cb)(void *, const struct logon_rec *), void *ctx)
{
	return each_row(s, uid ? "SELECT " LOGON_COLS " FROM logons WHERE uid=?1 ORDER BY created DESC, sid"
	                       : "SELECT " LOGON_COLS " FROM logons ORDER BY created DESC, sid",
	                uid ? bind_uid : NULL, &uid, a, rd_logon, sizeof(struct logon_rec),
	                (int (*)(void *, const void *))cb, ctx, NULL);
}

static enum rc sq_emtask_list(struct store *s, int64_t uid, struct arena *a,
                              int (*cb)(void *, const struct emtask_rec *), void *ctx)
{
	return each_row(s, uid ? "SELECT " EMTASK_COLS " FROM em_tasks WHERE uid=?1 ORDER BY id DESC"
	                       : "SELECT " EMTASK_COLS " FROM em_tasks ORDER BY id DESC",
	                uid ? bind_uid : NULL, &uid, a, rd_emtask, sizeof(struct emtask_rec),
	                (int (*)(void *, const void *))cb, ctx, NULL);
}

static enum rc sq_key_list(struct store *s, struct arena *a, int (*cb)(void *, const struct key_rec *), void *ctx)
{
	return each_row(s, "SELECT " KEY_COLS " FROM api_keys ORDER BY name", NULL, NULL, a, rd_key,
	                sizeof(struct key_rec), (int (*)(void *, const void *))cb, ctx, NULL);
}

static enum rc sq_estate_get(struct store *s, int kind, const struct uuid *id, struct arena *a,
                            struct estate_rec *out)
{
	struct conn *c = reader(s);
	sqlite3_stmt *st = c ? stmt(c, R_ESTATE_GET) : NULL;
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, id);
	sqlite3_bind_int(st, 2, kind);
	return step_one(st, a, rd_estate, out);
}

/* The WHERE clause of an estate query; parameters ?1 kind, ?2 parent, ?3 name, ?4 usn. */
static void estate_where(const struct estate_query *q, struct buf *b)
{
	buf_addstr(b, q->after_usn >= 0 ? " WHERE usn > ?4" : " WHERE deleted = 0");
	if(q->kind)
		buf_addstr(b, " AND kind = ?1");
	if(!uuid_is_nil(&q->parent_id))
		buf_addstr(b, " AND parent = ?2");
	if(q->name)
		buf_addstr(b, q->name_like ? " AND name LIKE ?3 ESCAPE '\\'" : " AND name = ?3 COLLATE NOCASE");
}

static void estate_bind(sqlite3_stmt *st, const struct estate_query *q)
{
	if(q->kind)
		sqlite3_bind_int(st, 1, q->kind);
	if(!uuid_is_nil(&q->parent_id))
		bind_uuid(st, 2, &q->parent_id);
	if(q->name)
		bind_text(st, 3, q->name);
	if(q->after_usn >= 0)
		sqlite3_bind_int64(st, 4, q->after_usn);
}

static enum rc sq_estate_list(struct store *s, const struct estate_query *q, struct arena *a, store_estate_cb cb,
                              void *ctx, int64_t *total)
{
	struct conn *c = reader(s);
	if(!c)
		return RC_BACKEND;
	struct buf text;
	buf_init(&text, 0);
	enum rc rc = RC_OK;
	int in_txn = 0;
	sqlite3_stmt *st;
	if(total) {
		/* The total and the page come from one snapshot. */
		if(snapshot_begin(c)) {
			rc = RC_BACKEND;
			goto out;
		}
		in_txn = 1;
		if(estate_counted(q))
			buf_addstr(&text, q->kind ? "SELECT coalesce(sum(n), 0) FROM estate_counts WHERE kind = ?1"
			                          : "SELECT coalesce(sum(n), 0) FROM estate_counts");
		else {
			buf_addstr(&text, "SELECT count(*) FROM estate");
			estate_where(q, &text);
		}
		if(!(st = list_stmt(c, buf_cstr(&text)))) {
			rc = RC_BACKEND;
			goto out;
		}
		estate_bind(st, q);
		*total = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		buf_reset(&text);
	}
	if(q->offset > 0 && q->kind && q->after_usn < 0) {
		/* A deep page: the skipped objects are stepped over in an index that covers the
		 * filter and the order (estate_name, estate_parent), and whole rows are read for
		 * the page only (a page at 47,600 of 95,200 restore points: 119 → 4 ms). */
		buf_addstr(&text, "SELECT " ESTATE_COLS " FROM estate WHERE kind = ?1 AND id IN (SELECT id FROM estate");
		estate_where(q, &text);
		buf_addstr(&text, " ORDER BY name COLLATE NOCASE, name, id LIMIT ?5 OFFSET ?6)"
		                  " ORDER BY name COLLATE NOCASE, name, id");
	} else {
		buf_addstr(&text, "SELECT " ESTATE_COLS " FROM estate");
		estate_where(q, &text);
		buf_addstr(&text, q->after_usn >= 0 ? " ORDER BY usn" : " ORDER BY name COLLATE NOCASE, name, id");
		buf_addstr(&text, " LIMIT ?5 OFFSET ?6");
	}
	if(!(st = list_stmt(c, buf_cstr(&text)))) {
		rc = RC_BACKEND;
		goto out;
	}
	estate_bind(st, q);
	sqlite3_bind_int64(st, 5, q->limit > 0 ? q->limit : -1);
	sqlite3_bind_int64(st, 6, q->offset > 0 ? q->offset : 0);
	struct estate_rec e;
	int step;
	while((step = sqlite3_step(st)) == SQLITE_ROW) {
		read_estate(st, a, &e);
		if(cb(ctx, &e))
			break;
	}
	if(step != SQLITE_ROW && step != SQLITE_DONE)
		rc = RC_BACKEND;
	sqlite3_reset(st);
out:
	if(in_txn && (st = list_stmt(c, "COMMIT")))
		sqlite3_step(st);
	buf_free(&text);
	return rc;
}

static const char *sq_read_error(struct store *s)
{
	struct conn *c = pthread_getspecific(s->key);
	return c ? sqlite3_errmsg(c->db) : "cannot open a read connection";
}

/* 256 KiB instead of 8 MB: a pass over a million sessions on a background thread would
 * otherwise leave its connection holding 8 MB of pages that no request reads. */
static void sq_reads_rarely(struct store *s)
{
	struct conn *c = reader(s);
	if(!c)
		return;
	sqlite3_exec(c->db, "PRAGMA cache_size=-256;", NULL, NULL, NULL);
	sqlite3_db_release_memory(c->db);
}

/* ---------- the write transaction ---------- */

static int exec1(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Records the connection's error text for tx_error and returns RC_BACKEND. */
static enum rc werr(struct store *s, const char *what)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, sqlite3_errmsg(s->wconn->db));
	return RC_BACKEND;
}

/* A write statement, prepared once, reset and cleared. */
static sqlite3_stmt *wst(struct store *s, enum wstmt which)
{
	sqlite3_stmt *st = s->wst[which];
	if(st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if(sqlite3_prepare_v3(s->wconn->db, wstmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->wst[which], NULL) !=
	   SQLITE_OK) {
		werr(s, "prepare");
		return NULL;
	}
	return s->wst[which];
}

/* Opens the op's savepoint, which SP_BEGIN only asked for: an op that writes nothing
 * (a refused transition, a stale If-Match) costs no SAVEPOINT and no RELEASE. */
static enum rc sp_open(struct store *s)
{
	s->sp = SPS_OPEN;
	sqlite3_stmt *st = wst(s, W_SP);
	if(!st)
		return RC_BACKEND;
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_DONE ? RC_OK : werr(s, "savepoint");
}

/* Steps a bound write statement to its end: RC_CONFLICT for a uniqueness failure.
 * A statement that writes opens the op's savepoint first. */
static enum rc wdone(struct store *s, sqlite3_stmt *st, const char *what)
{
	if(s->sp == SPS_ASKED && !sqlite3_stmt_readonly(st) && sp_open(s)) {
		sqlite3_reset(st);
		return RC_BACKEND;
	}
	int step = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(s->wconn->db);
	sqlite3_reset(st);
	if(step == SQLITE_DONE || step == SQLITE_ROW)
		return RC_OK;
	enum rc rc = werr(s, what);
	if(ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
		rc = RC_CONFLICT;
	/* SQLite rolled the whole transaction back (an I/O error, a full disk): the rows held
	 * since it began may never be stored, savepoint or not */
	if(sqlite3_get_autocommit(s->wconn->db))
		sess_cache_clear(s->rows);
	return rc;
}

/* Runs a statement that takes no parameters. */
static enum rc wrun(struct store *s, enum wstmt which)
{
	sqlite3_stmt *st = wst(s, which);
	return st ? wdone(s, st, wstmt_sql[which]) : RC_BACKEND;
}

static enum rc sq_tx_begin(struct store *s)
{
	s->usn_batch = s->usn;
	return wrun(s, W_BEGIN);
}

static enum rc sq_tx_commit(struct store *s)
{
	sqlite3_stmt *st = wst(s, W_USN_SAVE);
	if(!st)
		return RC_BACKEND;
	sqlite3_bind_int64(st, 1, s->usn);
	enum rc rc = wdone(s, st, "save usn");
	if(rc || (rc = wrun(s, W_COMMIT)))
		return rc;
	__atomic_store_n(&s->usn_seen, s->usn, __ATOMIC_RELEASE);
	return RC_OK;
}

static void sq_tx_rollback(struct store *s)
{
	s->sp = SPS_NONE;
	sess_cache_clear(s->rows);
	if(wrun(s, W_ROLLBACK))
		exec1(s->wconn->db, "ROLLBACK");
	s->usn = s->usn_batch;
}

static void sq_tx_savepoint(struct store *s, enum store_sp step)
{
	switch(step) {
	case SP_BEGIN:
		s->usn_sp = s->usn;
		s->sp = SPS_ASKED;
		break;
	case SP_ROLLBACK:
		s->usn = s->usn_sp;
		/* without a write the rows held are still as stored: they stay */
		if(s->sp == SPS_OPEN) {
			sess_cache_clear(s->rows);
			wrun(s, W_SP_ROLLBACK);
		}
		break;
	case SP_RELEASE:
		if(s->sp == SPS_OPEN)
			wrun(s, W_SP_RELEASE);
		s->sp = SPS_NONE;
		break;
	}
}

/* An op with one write: SQLite undoes a failed statement by itself (with a statement
 * journal when the statement could fail halfway), so the op needs no savepoint, which
 * would also copy each page it first touches into the savepoint's journal. */
static void sq_tx_savepoint_one(struct store *s)
{
	s->usn_sp = s->usn;
	s->sp = SPS_NONE;
}

static const char *sq_tx_error(struct store *s)
{
	return s->errmsg[0] ? s->errmsg : sqlite3_errmsg(s->wconn->db);
}

static enum rc sq_tx_usn_next(struct store *s, int64_t *usn)
{
	*usn = ++s->usn;
	return RC_OK;
}

/* Loads one row through a write statement keyed by a uuid or a text. */
static enum rc wload(struct store *s, enum wstmt which, const struct uuid *id, const char *text, struct arena *a,
                     row_reader rd, void *out)
{
	sqlite3_stmt *st = wst(s, which);
	if(!st)
		return RC_BACKEND;
	if(id)
		bind_uuid(st, 1, id);
	else
		bind_text(st, 1, text);
	enum rc rc = step_one(st, a, rd, out);
	return rc == RC_BACKEND ? werr(s, "load") : rc;
}

/* A row held in s->rows needs no statement: a reporter's updates follow each other. */
static enum rc sq_tx_session_load(struct store *s, const struct uuid *id, struct arena *a, struct sess_rec *out)
{
	if(sess_cache_get(s->rows, id, a, out))
		return RC_OK;
	enum rc rc = wload(s, W_SESS_GET, id, NULL, a, rd_sess, out);
	if(rc == RC_OK)
		sess_cache_put(s->rows, out);
	return rc;
}

/* Holds r as the row now reads: a NULL name is stored as "" (bind_sess). */
static void hold(struct store *s, const struct sess_rec *r)
{
	if(r->name) {
		sess_cache_put(s->rows, r);
		return;
	}
	struct sess_rec n = *r;
	n.name = "";
	sess_cache_put(s->rows, &n);
}

static enum rc sq_tx_task_load(struct store *s, const struct uuid *id, struct arena *a, struct task_rec *out)
{
	return wload(s, W_TASK_GET, id, NULL, a, rd_task, out);
}

static enum rc sq_tx_session_insert(struct store *s, const struct sess_rec *r)
{
	sqlite3_stmt *st = wst(s, W_SESS_INS);
	if(!st)
		return RC_BACKEND;
	bind_sess(st, r);
	enum rc rc = wdone(s, st, "insert session");
	if(rc == RC_OK)
		hold(s, r);
	return rc;
}

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
	m |= (uint32_t)(o->lease_us != n->lease_us) << 22;
	m |= (uint32_t)(o->heartbeat_s != n->heartbeat_s) << 23;
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
			sqlite3_reset(s->ucache[i].st);   /* every parameter is bound again */
			return s->ucache[i].st;
		}
	struct buf sql;
	buf_init(&sql, 0);
	sqlgen_update(&dialect, "sessions", SESS_COLS, mask, &sql);
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v3(s->wconn->db, buf_cstr(&sql), -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) == SQLITE_OK;
	buf_free(&sql);
	if(!ok) {
		werr(s, "prepare");
		return NULL;
	}
	size_t slot = 0;
	while(slot < n - 1 && s->ucache[slot].st)
		slot++;
	sqlite3_finalize(s->ucache[slot].st);  /* full: the last slot turns over */
	s->ucache[slot].mask = mask;
	s->ucache[slot].st = st;
	return st;
}

static enum rc sq_tx_session_update(struct store *s, const struct sess_rec *old, const struct sess_rec *r)
{
	uint32_t mask = sess_changed(old, r);
	sqlite3_stmt *st = sess_update_stmt(s, mask);
	if(!st)
		return RC_BACKEND;
	bind_sess_cols(st, r, mask);
	enum rc rc = wdone(s, st, "update session");
	if(rc == RC_OK)
		hold(s, r);
	else
		sess_cache_drop(s->rows, &r->id);
	return rc;
}

/* Runs a statement bound with one uuid. */
static enum rc wrun_id(struct store *s, enum wstmt which, const struct uuid *id)
{
	sqlite3_stmt *st = wst(s, which);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, id);
	return wdone(s, st, wstmt_sql[which]);
}

static enum rc sq_tx_session_delete(struct store *s, const struct uuid *id)
{
	static const enum wstmt steps[] = {W_TASK_LOGS_DEL, W_LOGS_DEL, W_TASKS_DEL, W_SESS_DEL};
	enum rc rc = RC_OK;
	sess_cache_drop(s->rows, id);
	for(size_t k = 0; k < sizeof(steps) / sizeof(steps[0]) && !rc; k++)
		rc = wrun_id(s, steps[k], id);
	return rc;
}

/* A file has one process: there is no other instance to hear. */
static void sq_watch(struct store *s, void (*on_usn)(int64_t usn))
{
	(void)s;
	(void)on_usn;
}

/* Sessions are not kept in groups here: retention deletes them in batches. */
static enum rc sq_tx_sessions_drop_ended(struct store *s, int64_t cutoff_us, int64_t *n)
{
	(void)s;
	(void)cutoff_us;
	*n = 0;
	return RC_OK;
}

static enum rc sq_tx_sessions_ended(struct store *s, int64_t cutoff_us, int max, struct uuid *ids, int *n)
{
	sqlite3_stmt *st = wst(s, W_SESS_ENDED);
	if(!st)
		return RC_BACKEND;
	sqlite3_bind_int64(st, 1, cutoff_us);
	sqlite3_bind_int64(st, 2, max);
	int step = SQLITE_DONE;
	*n = 0;
	while(*n < max && (step = sqlite3_step(st)) == SQLITE_ROW)
		col_uuid(st, 0, &ids[(*n)++]);
	int bad = *n < max && step != SQLITE_DONE;
	sqlite3_reset(st);
	return bad ? werr(s, "list ended sessions") : RC_OK;
}

static enum rc task_write(struct store *s, enum wstmt which, const struct task_rec *t)
{
	sqlite3_stmt *st = wst(s, which);
	if(!st)
		return RC_BACKEND;
	bind_task(st, t);
	return wdone(s, st, "store task session");
}

static enum rc sq_tx_task_insert(struct store *s, const struct task_rec *t)
{
	return task_write(s, W_TASK_INS, t);
}

static enum rc sq_tx_task_update(struct store *s, const struct task_rec *t)
{
	return task_write(s, W_TASK_UPD, t);
}

static enum rc sq_tx_log_last(struct store *s, const struct uuid *owner, int64_t *id)
{
	sqlite3_stmt *st = wst(s, W_LOG_LAST);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, owner);
	int step = sqlite3_step(st);
	*id = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return step == SQLITE_ROW ? RC_OK : werr(s, "log id");
}

static enum rc sq_tx_log_insert(struct store *s, const struct log_rec *l)
{
	sqlite3_stmt *st = wst(s, W_LOG_INS);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, &l->owner);
	sqlite3_bind_int64(st, 2, l->id);
	sqlite3_bind_int(st, 3, l->status);
	bind_text(st, 4, l->title ? l->title : "");
	bind_text(st, 5, l->description);
	sqlite3_bind_int64(st, 6, l->start_us);
	sqlite3_bind_int64(st, 7, l->update_us);
	return wdone(s, st, "insert log");
}

static enum rc sq_tx_log_update(struct store *s, const struct log_rec *l)
{
	sqlite3_stmt *st = wst(s, W_LOG_UPD);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, &l->owner);
	sqlite3_bind_int64(st, 2, l->id);
	sqlite3_bind_int(st, 3, l->status);
	sqlite3_bind_int64(st, 4, l->update_us);
	bind_text(st, 5, l->title);
	bind_text(st, 6, l->description);
	enum rc rc = wdone(s, st, "update log");
	if(!rc && sqlite3_changes(s->wconn->db) == 0)
		rc = RC_NOTFOUND;
	return rc;
}

static enum rc sq_tx_user_put(struct store *s, struct user_rec *u)
{
	sqlite3_stmt *st = wst(s, u->uid ? W_USER_UPD : W_USER_INS);
	if(!st)
		return RC_BACKEND;
	if(u->uid)
		sqlite3_bind_int64(st, 1, u->uid);
	bind_text(st, 2, u->name);
	bind_text(st, 3, u->hash);
	sqlite3_bind_int(st, 4, u->role);
	sqlite3_bind_int64(st, 5, u->gen);
	sqlite3_bind_int64(st, 6, u->created_us);
	enum rc rc = wdone(s, st, "store user");
	if(!rc && !u->uid)
		u->uid = sqlite3_last_insert_rowid(s->wconn->db);
	else if(!rc && sqlite3_changes(s->wconn->db) == 0)
		rc = RC_NOTFOUND;
	return rc;
}

static enum rc sq_tx_user_load(struct store *s, const char *name, struct arena *a, struct user_rec *out)
{
	return wload(s, W_USER_GET, NULL, name, a, rd_user, out);
}

static enum rc sq_tx_user_delete(struct store *s, int64_t uid)
{
	sqlite3_stmt *st = wst(s, W_USER_DEL);
	if(!st)
		return RC_BACKEND;
	sqlite3_bind_int64(st, 1, uid);
	enum rc rc = wdone(s, st, "delete user");
	if(!rc && sqlite3_changes(s->wconn->db) == 0)
		rc = RC_NOTFOUND;
	return rc;
}

static enum rc sq_tx_kv_put(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = wst(s, W_KV_PUT);
	if(!st)
		return RC_BACKEND;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return wdone(s, st, "store setting");
}

static enum rc sq_tx_revoke(struct store *s, const char *key, int kind, int64_t expires_us)
{
	sqlite3_stmt *st = wst(s, W_REVOKE);
	if(!st)
		return RC_BACKEND;
	bind_text(st, 1, key);
	sqlite3_bind_int(st, 2, kind);
	sqlite3_bind_int64(st, 3, expires_us);
	return wdone(s, st, "revoke");
}

static enum rc sq_tx_revoked_purge(struct store *s, int64_t now_us)
{
	sqlite3_stmt *st = wst(s, W_REVOKED_PURGE);
	if(!st)
		return RC_BACKEND;
	sqlite3_bind_int64(st, 1, now_us);
	return wdone(s, st, "purge revocations");
}

static enum rc sq_tx_logon_put(struct store *s, const struct logon_rec *l)
{
	sqlite3_stmt *st = wst(s, W_LOGON_PUT);
	if(!st)
		return RC_BACKEND;
	bind_text(st, 1, l->sid);
	sqlite3_bind_int64(st, 2, l->uid);
	sqlite3_bind_int64(st, 3, l->gen);
	sqlite3_bind_int(st, 4, l->role);
	bind_text(st, 5, l->user ? l->user : "");
	sqlite3_bind_int64(st, 6, l->created_us);
	sqlite3_bind_int64(st, 7, l->last_us);
	return wdone(s, st, "store logon");
}

static enum rc sq_tx_logon_load(struct store *s, const char *sid, struct arena *a, struct logon_rec *out)
{
	return wload(s, W_LOGON_GET, NULL, sid, a, rd_logon, out);
}

static enum rc sq_tx_logon_delete(struct store *s, const char *sid, int64_t idle_before_us, int64_t started_before_us)
{
	sqlite3_stmt *st = wst(s, sid ? W_LOGON_DEL : W_LOGON_DEL_OLD);
	if(!st)
		return RC_BACKEND;
	if(sid) {
		bind_text(st, 1, sid);
	} else {
		sqlite3_bind_int64(st, 1, idle_before_us);
		sqlite3_bind_int64(st, 2, started_before_us);
	}
	enum rc rc = wdone(s, st, "delete logon");
	if(!rc && sid && sqlite3_changes(s->wconn->db) == 0)
		rc = RC_NOTFOUND;
	return rc;
}

static enum rc sq_tx_logon_of_user(struct store *s, int64_t uid, int max, char (*sids)[40], int *n)
{
	sqlite3_stmt *st = wst(s, W_LOGON_OF_USER);
	if(!st)
		return RC_BACKEND;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, max);
	int step = SQLITE_DONE;
	*n = 0;
	while(*n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sid = (const char *)sqlite3_column_text(st, 0);
		snprintf(sids[(*n)++], 40, "%s", sid ? sid : "");
	}
	int bad = *n < max && step != SQLITE_DONE;
	sqlite3_reset(st);
	return bad ? werr(s, "list logons") : RC_OK;
}

static enum rc sq_tx_emtask_put(struct store *s, struct emtask_rec *e)
{
	sqlite3_stmt *st = wst(s, W_EMTASK_INS);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, &e->session_id);
	sqlite3_bind_int64(st, 2, e->uid);
	sqlite3_bind_int(st, 3, e->success);
	bind_text(st, 4, e->message);
	sqlite3_bind_int64(st, 5, e->created_us);
	enum rc rc = wdone(s, st, "store task");
	if(!rc)
		e->id = sqlite3_last_insert_rowid(s->wconn->db);
	return rc;
}

static enum rc sq_tx_emtask_delete(struct store *s, int64_t id)
{
	sqlite3_stmt *st = wst(s, W_EMTASK_DEL);
	if(!st)
		return RC_BACKEND;
	sqlite3_bind_int64(st, 1, id);
	enum rc rc = wdone(s, st, "delete task");
	if(!rc && sqlite3_changes(s->wconn->db) == 0)
		rc = RC_NOTFOUND;
	return rc;
}

static enum rc sq_tx_key_put(struct store *s, const struct key_rec *k, int replace)
{
	sqlite3_stmt *st = wst(s, replace ? W_KEY_REPLACE : W_KEY_INS);
	if(!st)
		return RC_BACKEND;
	bind_text(st, 1, k->id);
	bind_text(st, 2, k->name);
	sqlite3_bind_int(st, 3, k->role);
	bind_text(st, 4, k->hash);
	sqlite3_bind_int64(st, 5, k->created_us);
	sqlite3_bind_int64(st, 6, k->last_used_us);
	return wdone(s, st, "store key");
}

static enum rc sq_tx_key_load(struct store *s, const char *name, struct arena *a, struct key_rec *out)
{
	return wload(s, W_KEY_GET, NULL, name, a, rd_key, out);
}

static enum rc sq_tx_key_delete(struct store *s, const char *name)
{
	sqlite3_stmt *st = wst(s, W_KEY_DEL);
	if(!st)
		return RC_BACKEND;
	bind_text(st, 1, name);
	enum rc rc = wdone(s, st, "delete key");
	if(!rc && sqlite3_changes(s->wconn->db) == 0)
		rc = RC_NOTFOUND;
	return rc;
}

static enum rc sq_tx_estate_load(struct store *s, int kind, const struct uuid *id, struct arena *a,
                                 struct estate_rec *out)
{
	sqlite3_stmt *st = wst(s, W_ESTATE_GET);
	if(!st)
		return RC_BACKEND;
	bind_uuid(st, 1, id);
	sqlite3_bind_int(st, 2, kind);
	enum rc rc = step_one(st, a, rd_estate, out);
	return rc == RC_BACKEND ? werr(s, "load estate object") : rc;
}

static enum rc sq_tx_estate_put(struct store *s, const struct estate_rec *e)
{
	sqlite3_stmt *st = wst(s, W_ESTATE_PUT);
	if(!st)
		return RC_BACKEND;
	sqlite3_bind_int(st, 1, e->kind);
	bind_uuid(st, 2, &e->id);
	bind_uuid(st, 3, &e->parent_id);
	bind_text(st, 4, e->name);
	bind_text(st, 5, e->reporter);
	bind_text(st, 6, e->props ? e->props : "{}");
	sqlite3_bind_int(st, 7, e->deleted);
	sqlite3_bind_int64(st, 8, e->created_us);
	sqlite3_bind_int64(st, 9, e->updated_us);
	sqlite3_bind_int64(st, 10, e->usn);
	return wdone(s, st, "store estate object");
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
	if(version > store_sql_migration_count) {
		snprintf(err, errlen, "database schema version %d is newer than this sessiond (%d)", version,
		         store_sql_migration_count);
		return RC_BACKEND;
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
	return RC_OK;
}

/* One integer from a query; -1 when it cannot be read (an absent row reads as 0). */
static int query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	*v = 0;
	if(sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int step = sqlite3_step(st);
	if(step == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
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
	s->rows = sess_cache_new();
	pthread_key_create(&s->key, conn_destroy_key);
	pthread_mutex_init(&s->conns_lock, NULL);
	enum rc rc = conn_open(s, 1, &s->wconn, err, errlen);
	if(rc) {
		sq_close(s);
		return rc;
	}
	sqlite3 *db = s->wconn->db;
	if(exec1(db, "PRAGMA journal_mode=WAL") || exec1(db, "PRAGMA synchronous=FULL") ||
	   exec1(db, "PRAGMA foreign_keys=OFF")) {
		snprintf(err, errlen, "cannot configure %s: %s", s->path, sqlite3_errmsg(db));
		sq_close(s);
		return RC_BACKEND;
	}
	if((rc = migrate(db, err, errlen))) {
		sq_close(s);
		return rc;
	}
	/* The usn goes on from the highest ever given; one that cannot be read stops the start,
	 * since guessing low would give usns again. */
	int64_t u1, u2, u3;
	if(query_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='usn'", &u1) ||
	   query_int(db, "SELECT coalesce(max(usn),0) FROM sessions", &u2) ||
	   query_int(db, "SELECT coalesce(max(usn),0) FROM task_sessions", &u3)) {
		snprintf(err, errlen, "cannot read the update sequence number of %s: %s", s->path, sqlite3_errmsg(db));
		sq_close(s);
		return RC_BACKEND;
	}
	s->usn = u1 > u2 ? u1 : u2;
	if(u3 > s->usn)
		s->usn = u3;
	s->usn_seen = s->usn;
	*out = s;
	return RC_OK;
}

static void sq_close(struct store *s)
{
	if(!s)
		return;
	struct conn *c = s->conns;
	while(c) {
		struct conn *next = c->next;
		conn_close(c);
		c = next;
	}
	if(s->wconn) {
		exec1(s->wconn->db, "PRAGMA wal_checkpoint(TRUNCATE)");
		for(int i = 0; i < W_STMT_COUNT; i++)
			sqlite3_finalize(s->wst[i]);
		for(size_t i = 0; i < sizeof(s->ucache) / sizeof(s->ucache[0]); i++)
			sqlite3_finalize(s->ucache[i].st);
		conn_close(s->wconn);
	}
	sess_cache_free(s->rows);
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->conns_lock);
	free(s->path);
	free(s);
}

const struct store_ops store_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.watch = sq_watch,
	.session_get = sq_session_get,
	.session_list = sq_session_list,
	.task_get = sq_task_get,
	.task_list = sq_task_list,
	.job_latest = sq_job_latest,
	.log_list = sq_log_list,
	.usn_current = sq_usn_current,
	.user_get = sq_user_get,
	.user_get_uid = sq_user_get_uid,
	.user_list = sq_user_list,
	.user_count = sq_user_count,
	.kv_get = sq_kv_get,
	.revoked_list = sq_revoked_list,
	.logon_get = sq_logon_get,
	.logon_list = sq_logon_list,
	.emtask_get = sq_emtask_get,
	.emtask_list = sq_emtask_list,
	.key_get = sq_key_get,
	.key_list = sq_key_list,
	.estate_get = sq_estate_get,
	.estate_list = sq_estate_list,
	.read_error = sq_read_error,
	.reads_rarely = sq_reads_rarely,
	.tx_begin = sq_tx_begin,
	.tx_commit = sq_tx_commit,
	.tx_rollback = sq_tx_rollback,
	.tx_savepoint = sq_tx_savepoint,
	.tx_savepoint_one = sq_tx_savepoint_one,
	.tx_error = sq_tx_error,
	.tx_usn_next = sq_tx_usn_next,
	.tx_session_load = sq_tx_session_load,
	.tx_session_insert = sq_tx_session_insert,
	.tx_session_update = sq_tx_session_update,
	.tx_session_delete = sq_tx_session_delete,
	.tx_sessions_ended = sq_tx_sessions_ended,
	.tx_sessions_drop_ended = sq_tx_sessions_drop_ended,
	.tx_task_load = sq_tx_task_load,
	.tx_task_insert = sq_tx_task_insert,
	.tx_task_update = sq_tx_task_update,
	.tx_log_last = sq_tx_log_last,
	.tx_log_insert = sq_tx_log_insert,
	.tx_log_update = sq_tx_log_update,
	.tx_user_put = sq_tx_user_put,
	.tx_user_load = sq_tx_user_load,
	.tx_user_delete = sq_tx_user_delete,
	.tx_kv_put = sq_tx_kv_put,
	.tx_revoke = sq_tx_revoke,
	.tx_revoked_purge = sq_tx_revoked_purge,
	.tx_logon_put = sq_tx_logon_put,
	.tx_logon_load = sq_tx_logon_load,
	.tx_logon_delete = sq_tx_logon_delete,
	.tx_logon_of_user = sq_tx_logon_of_user,
	.tx_emtask_put = sq_tx_emtask_put,
	.tx_emtask_delete = sq_tx_emtask_delete,
	.tx_key_put = sq_tx_key_put,
	.tx_key_load = sq_tx_key_load,
	.tx_key_delete = sq_tx_key_delete,
	.tx_estate_load = sq_tx_estate_load,
	.tx_estate_put = sq_tx_estate_put,
};
